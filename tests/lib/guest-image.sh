#!/bin/bash
#
# guest-image.sh [OUTDIR]
# guest-image.sh --modules DIR MODULE...
#
# Builds, once, the files a tiny Linux test guest boots from under QEMU/TCG:
#   OUTDIR/vmlinux             uncompressed PVH-bootable kernel (Debian's
#                              linux-image-amd64 dependency, never installed)
#   OUTDIR/initramfs.cpio.gz   busybox-static + virtio modules + qemu-ga with
#                              its libraries + /init (tests/lib/guest-init.sh)
#   OUTDIR/qga/qemu-ga         Debian's qemu-guest-agent binary (downloaded,
#                              never installed; an image without it fails)
#   OUTDIR/kernel-release      the kernel release, e.g. 6.1.0-56-amd64
#   OUTDIR/modules/            the decompressed .ko files and their load order
#
# OUTDIR defaults to ${VTAX_GUEST_CACHE:-${VTAX_TEST_CACHE:-/var/cache/vtax-test}/guest}.
# Re-running is a no-op once the outputs exist (the initramfs alone is
# rebuilt when guest-init.sh or this script changed).
#
# --modules DIR MODULE...: the image as above (in the default OUTDIR), and
# in DIR the named modules of that very kernel, their dependencies first,
# decompressed, with DIR/order ("name file" per line, in load order):
# copied from OUTDIR/modules when all are there, else taken from the
# kernel package, downloaded again.
#
# Environment:
#   VTAX_INSTALL_DEPS=1     apt-get install missing host packages
#   VTAX_GUEST_KERNEL_PKG   kernel package to use (default: what
#                           linux-image-amd64 depends on)
#
# Exit status: 0 ok, 77 a host package or the kernel package is missing and
# cannot be had (the caller should skip), 1 any other error.

set -eu

LIBDIR=$(cd "$(dirname "$0")" && pwd)
EXTRA_DIR=
EXTRA_MODULES=
if [ "${1:-}" = --modules ]; then
    EXTRA_DIR=${2:?--modules needs DIR}
    shift 2
    EXTRA_MODULES=$*
    [ -n "$EXTRA_MODULES" ] || { echo "guest-image: --modules DIR needs modules" >&2; exit 1; }
    set --
fi
OUTDIR=${1:-${VTAX_GUEST_CACHE:-${VTAX_TEST_CACHE:-/var/cache/vtax-test}/guest}}
INIT_SRC=$LIBDIR/guest-init.sh
# Modules the guest needs for virtio-balloon-pci, in load order.  Their
# dependencies are added automatically; missing ones and built-ins skipped.
WANT_MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_balloon"
# virtio disk and network (the libvirt lab domain has both)
WANT_MODULES="$WANT_MODULES virtio_blk failover net_failover virtio_net"
# virtio_console carries the QEMU guest agent's virtio-serial port.
WANT_MODULES="$WANT_MODULES virtio_console"

say() { printf 'guest-image: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
skip() { say "SKIP: $*"; exit 77; }

# ---------------------------------------------------------------------------
# host dependencies

pkg_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# ensure_pkgs PKG... : every package installed, or install them when
# VTAX_INSTALL_DEPS=1, or exit 77.
ensure_pkgs() {
    missing=
    for p in "$@"; do
        pkg_installed "$p" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "${VTAX_INSTALL_DEPS:-0}" != 1 ]; then
        skip "missing host package(s):$missing (apt-get install$missing, or set VTAX_INSTALL_DEPS=1)"
    fi
    say "installing:$missing"
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >&2; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >&2 ||
            die "apt-get install$missing failed"
    fi
}

# ---------------------------------------------------------------------------
# small binary helpers (no readelf/file needed)

# rd FILE OFFSET SIZE: unsigned little-endian integer of SIZE bytes.
rd() {
    od -An -v -j "$2" -N "$3" -t "u$3" "$1" | tr -d ' \n'
}

# has_pvh_note FILE: FILE is an ELF64 with a Xen note of type 18
# (XEN_ELFNOTE_PHYS32_ENTRY), which QEMU's -kernel uses for PVH boot.
has_pvh_note() {
    f=$1
    [ "$(od -An -c -N 4 "$f" | tr -d ' \n')" = '177ELF' ] || return 1
    [ "$(rd "$f" 4 1)" = 2 ] || return 1            # ELFCLASS64
    phoff=$(rd "$f" 32 8)
    phentsize=$(rd "$f" 54 2)
    phnum=$(rd "$f" 56 2)
    i=0
    while [ "$i" -lt "$phnum" ]; do
        ph=$((phoff + i * phentsize))
        i=$((i + 1))
        [ "$(rd "$f" "$ph" 4)" = 4 ] || continue    # PT_NOTE
        off=$(rd "$f" $((ph + 8)) 8)
        end=$((off + $(rd "$f" $((ph + 32)) 8)))
        while [ $((off + 12)) -le "$end" ]; do
            namesz=$(rd "$f" "$off" 4)
            descsz=$(rd "$f" $((off + 4)) 4)
            type=$(rd "$f" $((off + 8)) 4)
            name=$(od -An -c -j $((off + 12)) -N 3 "$f" | tr -d ' \n')
            if [ "$namesz" = 4 ] && [ "$name" = Xen ] && [ "$type" = 18 ]; then
                return 0
            fi
            off=$((off + 12 + (namesz + 3) / 4 * 4 + (descsz + 3) / 4 * 4))
        done
    done
    return 1
}

# ---------------------------------------------------------------------------
# kernel + modules

kernel_pkg() {
    if [ -n "${VTAX_GUEST_KERNEL_PKG:-}" ]; then
        echo "$VTAX_GUEST_KERNEL_PKG"
        return
    fi
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}

# fetch_kernel TMP [PKG]: TMP/root holds the kernel package's files (PKG,
# or what linux-image-amd64 depends on).
fetch_kernel() {
    tmp=$1
    pkg=${2:-$(kernel_pkg)}
    if [ -z "$pkg" ]; then
        say "linux-image-amd64 unknown to apt; running apt-get update"
        apt-get update -q >&2 || true
        pkg=$(kernel_pkg)
    fi
    [ -n "$pkg" ] || skip "cannot resolve linux-image-amd64 to a kernel package"
    say "downloading $pkg"
    mkdir -p "$tmp/deb"
    chmod 0755 "$tmp" "$tmp/deb"
    if ! (cd "$tmp/deb" && apt-get download -q "$pkg" >&2 2>/dev/null); then
        apt-get update -q >&2 || true
        (cd "$tmp/deb" && apt-get download -q "$pkg" >&2) ||
            skip "apt-get download $pkg failed"
    fi
    deb=$(find "$tmp/deb" -name '*.deb' | head -n 1)
    [ -n "$deb" ] || skip "apt-get download $pkg produced no .deb"
    say "extracting $(basename "$deb")"
    dpkg-deb -x "$deb" "$tmp/root"
    rm -f "$deb"
}

# extract_vmlinux BZIMAGE OUT: decompress the xz payload of a bzImage.
extract_vmlinux() {
    # Try every xz stream magic (FD 37 7A 58 5A 00) until one decompresses
    # into an ELF; the first one normally is the kernel.
    offs=$(LC_ALL=C grep -obaUP '\xfd7zXZ\x00' "$1" | cut -d: -f1) || true
    [ -n "$offs" ] || die "no xz payload in $1 (kernel not xz-compressed?)"
    for o in $offs; do
        if tail -c +$((o + 1)) "$1" | xz -dc --single-stream >"$2" 2>/dev/null &&
            has_pvh_note "$2"; then
            return 0
        fi
    done
    rm -f "$2"
    die "no xz payload of $1 is an ELF kernel with a PVH note"
}

# modfile ROOT REL NAME: path (relative to ROOT/lib/modules/REL) of module
# NAME (underscore/dash insensitive, any compression), or nothing.
modfile() {
    pat=$(printf '%s' "$3" | tr '_-' '??')
    (cd "$1/lib/modules/$2" && find kernel -name "$pat.ko" -o -name "$pat.ko.*" |
        LC_ALL=C sort | head -n 1)
}

is_builtin() {
    n=$(printf '%s' "$3" | tr '-' '_')
    f=$1/lib/modules/$2/modules.builtin
    [ -r "$f" ] || return 1
    tr '-' '_' <"$f" | grep -q "/$n\.ko\$"
}

# add_module ROOT REL NAME: append NAME (after its dependencies) to the load
# list $ORDER, decompressing it into $MODDIR.
ORDER=
add_module() {
    local name rel src dst deps d
    name=$(printf '%s' "$3" | tr '-' '_')
    case " $ORDER " in *" $name "*) return 0 ;; esac
    if is_builtin "$1" "$2" "$name"; then
        say "module $name is built in"
        return 0
    fi
    rel=$(modfile "$1" "$2" "$name")
    if [ -z "$rel" ]; then
        say "module $name not found in $2 (skipped)"
        return 0
    fi
    src=$1/lib/modules/$2/$rel
    dst=$MODDIR/$name.ko
    case $src in
        *.ko) cp "$src" "$dst" ;;
        *.ko.xz) xz -dc "$src" >"$dst" ;;
        *.ko.gz) gzip -dc "$src" >"$dst" ;;
        *.ko.zst)
            command -v zstd >/dev/null || die "zstd needed for $src"
            zstd -qdc "$src" >"$dst" ;;
        *) die "unknown module format: $src" ;;
    esac
    deps=$(tr '\0' '\n' <"$dst" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' ')
    for d in $deps; do
        add_module "$1" "$2" "$d"
    done
    ORDER="$ORDER $name"
}

build_kernel() {
    tmp=$1
    fetch_kernel "$tmp"
    root=$tmp/root
    bz=$(find "$root/boot" -name 'vmlinuz-*' | head -n 1)
    [ -n "$bz" ] || die "no /boot/vmlinuz-* in the kernel package"
    krel=${bz##*/vmlinuz-}
    [ -d "$root/lib/modules/$krel" ] || die "no /lib/modules/$krel in the kernel package"
    say "kernel $krel: extracting vmlinux"
    extract_vmlinux "$bz" "$tmp/vmlinux"

    MODDIR=$tmp/modules
    mkdir -p "$MODDIR"
    for m in $WANT_MODULES; do
        add_module "$root" "$krel" "$m"
    done
    printf '%s\n' "$WANT_MODULES" >"$MODDIR/want"
    : >"$MODDIR/order"
    for m in $ORDER; do
        printf '%s %s\n' "$m" "$m.ko" >>"$MODDIR/order"
    done
    say "modules:${ORDER:- (none)}"
    printf '%s\n' "$WANT_MODULES" >"$MODDIR/wanted"

    rm -rf "$OUTDIR/modules"
    mv "$MODDIR" "$OUTDIR/modules"
    printf '%s\n' "$WANT_MODULES" >"$OUTDIR/modules/want"
    printf '%s\n' "$krel" >"$OUTDIR/kernel-release"
    mv "$tmp/vmlinux" "$OUTDIR/vmlinux"
    rm -rf "$root"
}

# ---------------------------------------------------------------------------
# initramfs

stamp() {
    cat "$0" "$INIT_SRC" /bin/busybox "$OUTDIR/modules/order" "$OUTDIR/qga/qemu-ga" \
        2>/dev/null | cksum | cut -d' ' -f1
}

# Debian's QEMU guest agent (7.2: has guest-get-cpustats), fetched once
# into OUTDIR/qga/qemu-ga and never installed on the host; its libraries
# are the host's (ldd), copied into the initramfs with it.
fetch_qga() {
    tmp=$1
    mkdir -p "$tmp/qga-deb"
    chmod 0755 "$tmp/qga-deb"
    say "downloading qemu-guest-agent"
    if ! (cd "$tmp/qga-deb" && apt-get download -q qemu-guest-agent >&2 2>/dev/null); then
        apt-get update -q >&2 || true
        (cd "$tmp/qga-deb" && apt-get download -q qemu-guest-agent >&2) ||
            die "apt-get download qemu-guest-agent failed: the guest image needs its agent (is Debian's archive reachable?)"
    fi
    deb=$(find "$tmp/qga-deb" -name '*.deb' | head -n 1)
    [ -n "$deb" ] || die "apt-get download qemu-guest-agent produced no .deb"
    dpkg-deb -x "$deb" "$tmp/qga-root" || die "dpkg-deb -x $(basename "$deb") failed"
    [ -x "$tmp/qga-root/usr/sbin/qemu-ga" ] || die "$(basename "$deb") has no usr/sbin/qemu-ga"
    mkdir -p "$OUTDIR/qga"
    cp "$tmp/qga-root/usr/sbin/qemu-ga" "$OUTDIR/qga/qemu-ga.new"
    mv "$OUTDIR/qga/qemu-ga.new" "$OUTDIR/qga/qemu-ga"
    rm -rf "$tmp/qga-deb" "$tmp/qga-root"
}

# add_qga IR: qemu-ga and every library ldd lists for it into IR.
# A guest without its agent is a broken image (live-qga.sh and the lab
# read the guest's own CPU through it): every failure here is an error.
add_qga() {
    [ -x "$OUTDIR/qga/qemu-ga" ] || die "no $OUTDIR/qga/qemu-ga (fetch_qga did not run?)"
    mkdir -p "$1/usr/sbin"
    cp "$OUTDIR/qga/qemu-ga" "$1/usr/sbin/qemu-ga"
    libs=$(ldd "$OUTDIR/qga/qemu-ga") || die "ldd $OUTDIR/qga/qemu-ga failed"
    lost=$(printf '%s\n' "$libs" | awk '/not found/ { printf " %s", $1 }')
    [ -z "$lost" ] || die "qemu-ga needs libraries this host lacks:$lost (apt-get install qemu-guest-agent's dependencies, e.g. libglib2.0-0)"
    printf '%s\n' "$libs" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' |
        while read -r lib; do
            mkdir -p "$1$(dirname "$lib")"
            cp -L "$lib" "$1$lib" || die "cannot copy $lib into the initramfs"
        done
}

build_initramfs() {
    tmp=$1
    ir=$tmp/initramfs
    krel=$(cat "$OUTDIR/kernel-release")
    mkdir -p "$ir"
    (cd "$ir" && mkdir -p bin sbin usr/bin usr/sbin etc dev proc sys run tmp \
        "lib/modules")
    chmod 1777 "$ir/tmp"
    cp /bin/busybox "$ir/bin/busybox"
    # one symlink per applet, where busybox itself would install it
    /bin/busybox --list-full | while read -r a; do
        [ "$a" = bin/busybox ] && continue
        [ -e "$ir/$a" ] || [ -L "$ir/$a" ] || ln -s /bin/busybox "$ir/$a"
    done
    [ -e "$ir/bin/sh" ] || ln -s /bin/busybox "$ir/bin/sh"
    # busybox insmod wants a plain path; keep the modules flat
    while read -r _ f; do
        cp "$OUTDIR/modules/$f" "$ir/lib/modules/$f"
    done <"$OUTDIR/modules/order"
    cp "$OUTDIR/modules/order" "$ir/etc/vtax-modules"
    printf '%s\n' "$krel" >"$ir/etc/vtax-kernel-release"
    add_qga "$ir"
    cp "$INIT_SRC" "$ir/init"
    chmod 0755 "$ir/init"
    # The kernel opens /dev/console before running /init.
    mknod -m 0600 "$ir/dev/console" c 5 1 2>/dev/null ||
        say "warning: cannot mknod dev/console (init will open it after devtmpfs)"
    mknod -m 0666 "$ir/dev/null" c 1 3 2>/dev/null || true
    (cd "$ir" && find . -mindepth 1 | LC_ALL=C sort |
        cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$tmp/initramfs.cpio.gz"
    mv "$tmp/initramfs.cpio.gz" "$OUTDIR/initramfs.cpio.gz"
    stamp >"$OUTDIR/initramfs.stamp"
    rm -rf "$ir"
}

# ---------------------------------------------------------------------------

# the module list the modules were extracted for
modules_current() { [ "$(cat "$OUTDIR/modules/want" 2>/dev/null)" = "$WANT_MODULES" ]; }

up_to_date() {
    modules_current && [ -s "$OUTDIR/vmlinux" ] && [ -s "$OUTDIR/initramfs.cpio.gz" ] &&
        [ -s "$OUTDIR/modules/order" ] && [ -s "$OUTDIR/kernel-release" ] &&
        modules_current && [ -x "$OUTDIR/qga/qemu-ga" ] &&
        [ "$(cat "$OUTDIR/initramfs.stamp" 2>/dev/null)" = "$(stamp)" ]
}

# ---------------------------------------------------------------------------
# --modules DIR MODULE...

have_modules() {
    for m in $EXTRA_MODULES; do
        m=$(printf '%s' "$m" | tr '-' '_')
        grep -q "^$m " "$EXTRA_DIR/order" 2>/dev/null || return 1
    done
}

# add_cached NAME: append NAME (after its dependencies) to $ORDER from the
# guest image's own decompressed modules; 1 when one of them is not there.
add_cached() {
    local name d
    name=$(printf '%s' "$1" | tr '-' '_')
    case " $ORDER " in *" $name "*) return 0 ;; esac
    [ -f "$OUTDIR/modules/$name.ko" ] || return 1
    for d in $(tr '\0' '\n' <"$OUTDIR/modules/$name.ko" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '); do
        add_cached "$d" || return 1
    done
    ORDER="$ORDER $name"
}

build_modules() {
    krel=$(cat "$OUTDIR/kernel-release")
    mkdir -p "$EXTRA_DIR"
    EXTRA_DIR=$(cd "$EXTRA_DIR" && pwd)
    have_modules && return 0
    exec 8>"$EXTRA_DIR/.lock"
    flock 8
    have_modules && return 0
    # the guest image already holds them (and their dependencies): no
    # second download of the kernel package
    ORDER=
    local m ok=1
    for m in $EXTRA_MODULES; do add_cached "$m" || { ok=0; break; }; done
    if [ "$ok" = 1 ]; then
        rm -f "$EXTRA_DIR"/*.ko "$EXTRA_DIR/order"
        for m in $ORDER; do
            cp "$OUTDIR/modules/$m.ko" "$EXTRA_DIR/$m.ko"
            printf '%s %s\n' "$m" "$m.ko" >>"$EXTRA_DIR/order"
        done
        say "modules for $EXTRA_DIR (from the guest image):$ORDER"
        return 0
    fi
    tmp=$(mktemp -d "$EXTRA_DIR/.build.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    # the package of the very kernel in OUTDIR/vmlinux
    fetch_kernel "$tmp" "linux-image-$krel"
    [ -d "$tmp/root/lib/modules/$krel" ] || die "no /lib/modules/$krel in linux-image-$krel"
    MODDIR=$tmp/modules
    mkdir -p "$MODDIR"
    ORDER=
    for m in $EXTRA_MODULES; do
        add_module "$tmp/root" "$krel" "$m"
    done
    : >"$MODDIR/order"
    for m in $ORDER; do
        printf '%s %s\n' "$m" "$m.ko" >>"$MODDIR/order"
    done
    say "modules for $EXTRA_DIR:${ORDER:- (none)}"
    rm -f "$EXTRA_DIR"/*.ko "$EXTRA_DIR/order"
    mv "$MODDIR"/* "$EXTRA_DIR/"
    rm -rf "$tmp"
    trap - EXIT
}

# ---------------------------------------------------------------------------

ensure_image() {
    up_to_date && return 0
    command -v flock >/dev/null || die "flock (util-linux) not found"
    exec 9>"$OUTDIR/.lock"
    flock 9
    if up_to_date; then   # somebody else built it meanwhile
        exec 9>&-
        return 0
    fi

    ensure_pkgs busybox-static xz-utils cpio qemu-system-x86
    { command -v apt-get && command -v dpkg-deb; } >/dev/null ||
        skip "apt-get/dpkg-deb not found (not a Debian host?)"

    TMP=$(mktemp -d "$OUTDIR/.build.XXXXXX")
    trap 'rm -rf "$TMP"' EXIT
    trap 'exit 130' INT TERM

    if [ ! -s "$OUTDIR/vmlinux" ] || [ ! -s "$OUTDIR/modules/order" ] ||
        [ ! -s "$OUTDIR/kernel-release" ] || ! modules_current; then
        build_kernel "$TMP"
    fi
    [ -x "$OUTDIR/qga/qemu-ga" ] || fetch_qga "$TMP"
    say "building initramfs"
    build_initramfs "$TMP"
    say "ready: $OUTDIR/vmlinux $OUTDIR/initramfs.cpio.gz ($(cat "$OUTDIR/kernel-release"))"
    rm -rf "$TMP"
    trap - EXIT
    exec 9>&-
}

[ -r "$INIT_SRC" ] || die "missing $INIT_SRC"
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
ensure_image
[ -z "$EXTRA_DIR" ] || build_modules

#!/bin/bash
#
# v2host-image.sh OUT.cpio VTAX_BINARY
#
# Builds the initramfs of the pure cgroup v2 host VM (tests/v2host.sh):
# the test guest's Debian kernel (guest-image.sh) boots it with
# cgroup_no_v1=all, and it holds
#   /init                 tests/lib/v2host-init.sh
#   busybox-static        the userland (one symlink per applet)
#   /usr/bin/vtax         VTAX_BINARY, the one built in the tree
#   qemu-system-x86_64    the nested VM's QEMU, its accel modules and the
#                         firmware it loads (SeaBIOS, kvmvapic.bin)
#   shared libraries      what ldd lists for vtax, QEMU and its modules,
#                         found now (nothing is hard-coded)
#   /lib/modules/v2/      virtio_pci and virtio_blk (the disk the guests
#                         read and write), from guest-image.sh --modules
#   /var/lib/vz/images/9801/vm-9801-disk-0.raw
#                         the nested VM's disk: a boot sector that halts
# OUT.cpio is uncompressed: under TCG its /init starts 1.8 s after boot,
# against 3.5 s when the kernel must gunzip it first. Modules are cached in
# ${VTAX_V2_CACHE:-$VTAX_TEST_CACHE/v2host}/modules (VTAX_TEST_CACHE
# defaults to /var/cache/vtax-test; the kernel package is downloaded once
# for them).
#
# Exit status: 0 ok, 77 the host lacks something (skip), 1 an error.

set -eu

LIBDIR=$(cd "$(dirname "$0")" && pwd)
OUT=${1:?usage: v2host-image.sh OUT.cpio VTAX_BINARY}
VTAXBIN=${2:?usage: v2host-image.sh OUT.cpio VTAX_BINARY}
V2CACHE=${VTAX_V2_CACHE:-${VTAX_TEST_CACHE:-/var/cache/vtax-test}/v2host}
QEMU=${VTAX_QEMU:-qemu-system-x86_64}
MODULES="virtio_pci virtio_blk"

say() { printf 'v2host-image: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
skip() { say "SKIP: $*"; exit 77; }

qemu=$(command -v "$QEMU") || skip "$QEMU not found (apt-get install qemu-system-x86)"
[ -x /bin/busybox ] || skip "busybox-static not installed (/bin/busybox)"
[ -x "$VTAXBIN" ] || die "no vtax binary at $VTAXBIN"
command -v ldd >/dev/null || skip "ldd not found"
command -v cpio >/dev/null || skip "cpio not found"

rc=0
# shellcheck disable=SC2086 # a list of modules
bash "$LIBDIR/guest-image.sh" --modules "$V2CACHE/modules" $MODULES || rc=$?
[ "$rc" = 0 ] || exit "$rc"

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/vtax-v2root.XXXXXX")
trap 'rm -rf "$ROOT"' EXIT

# put SRC DEST: copy SRC (symlinks followed) to ROOT/DEST
put() {
    mkdir -p "$ROOT$(dirname "$2")"
    cp -L "$1" "$ROOT$2"
}

# with_libs FILE: FILE's shared libraries, as ldd resolves them here, at
# the same paths (the dynamic loader finds them there in the VM too)
with_libs() {
    local line lib
    while read -r line; do
        case $line in
            *'not found'*) die "ldd $1: $line" ;;
            *'=> /'*) lib=${line#*=> }; lib=${lib%% (*} ;;
            /*) lib=${line%% (*} ;;
            *) continue ;;
        esac
        [ -e "$ROOT$lib" ] || put "$lib" "$lib"
    done < <(ldd "$1" 2>/dev/null || true)
}

# the layout of a merged-/usr Debian: /lib and /lib64 lead to /usr
mkdir -p "$ROOT"/usr/lib "$ROOT"/usr/lib64 "$ROOT"/usr/bin "$ROOT"/usr/sbin "$ROOT"/bin \
    "$ROOT"/sbin "$ROOT"/etc "$ROOT"/dev "$ROOT"/proc "$ROOT"/sys "$ROOT"/run "$ROOT"/tmp \
    "$ROOT"/var/lib/vz/images/9801 "$ROOT"/usr/lib/modules/v2
ln -s /run "$ROOT/var/run"
chmod 1777 "$ROOT/tmp"
ln -s usr/lib "$ROOT/lib"
ln -s usr/lib64 "$ROOT/lib64"

put /bin/busybox /bin/busybox
/bin/busybox --list-full | while read -r a; do
    [ "$a" = bin/busybox ] && continue
    [ -e "$ROOT/$a" ] || [ -L "$ROOT/$a" ] || ln -s /bin/busybox "$ROOT/$a"
done
[ -e "$ROOT/bin/sh" ] || ln -s /bin/busybox "$ROOT/bin/sh"

put "$VTAXBIN" /usr/bin/vtax
with_libs "$VTAXBIN"

put "$qemu" /usr/bin/qemu-system-x86_64
with_libs "$qemu"
# QEMU's loadable accelerator modules (Debian builds TCG as one): ldd
# cannot see them, QEMU opens them at start
qreal=$(readlink -f "$qemu")
for m in "$(dirname "$qreal")"/../lib/*/qemu/accel-tcg-*.so /usr/lib/*/qemu/accel-tcg-*.so; do
    [ -f "$m" ] || continue
    m=$(readlink -f "$m")
    [ -e "$ROOT$m" ] && continue
    put "$m" "$m"
    with_libs "$m"
done
# firmware: the PC machine's BIOS and the option ROM it always loads
bios=
for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/bios-256k.bin; do
    [ -e "$f" ] && { bios=$f; break; }
done
[ -n "$bios" ] || skip "no SeaBIOS image (bios-256k.bin; apt-get install seabios)"
put "$bios" "$bios"
for f in /usr/share/qemu/kvmvapic.bin /usr/share/seabios/kvmvapic.bin; do
    [ -e "$f" ] && put "$f" "$f"
done

while read -r _ f; do
    put "$V2CACHE/modules/$f" "/usr/lib/modules/v2/$f"
done <"$V2CACHE/modules/order"
cp "$V2CACHE/modules/order" "$ROOT/etc/vtax-modules"

# the nested VM's disk: a boot sector doing cli; hlt; jmp back to the hlt
img=$ROOT/var/lib/vz/images/9801/vm-9801-disk-0.raw
printf '\372\364\353\375' >"$img"
truncate -s 510 "$img"
printf '\125\252' >>"$img"
truncate -s 1M "$img"

cp "$LIBDIR/v2host-init.sh" "$ROOT/init"
chmod 0755 "$ROOT/init"
mknod -m 0600 "$ROOT/dev/console" c 5 1 2>/dev/null || say "warning: cannot mknod dev/console"
mknod -m 0666 "$ROOT/dev/null" c 1 3 2>/dev/null || true

(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
say "$OUT: $(($(stat -c %s "$OUT") / 1048576)) MB"

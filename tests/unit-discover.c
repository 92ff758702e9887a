/* Guest classification from cgroup paths, for every runtime pattern. */
#include "config.h"

#include "discover.h"
#include "tap.h"

static void expect(const char *path, enum runtime rt, const char *id, const char *name,
		   const char *helper)
{
	struct guest_match m;
	int r = discover_classify(path, &m);
	CHECK(r == 1, "%s should be a guest", path);
	if (r != 1)
		return;
	CHECK(m.rt == rt, "%s: runtime %s, want %s", path, runtime_name(m.rt), runtime_name(rt));
	CHECK_STR(m.id, id);
	if (name)
		CHECK_STR(m.name, name);
	CHECK_STR(m.helper_cg, helper ? helper : "");
}

static void reject(const char *path)
{
	struct guest_match m;
	CHECK(discover_classify(path, &m) == 0, "%s should not be a guest", path);
	CHECK(m.rt == RT_COUNT && !m.id[0], "%s: no runtime, no id", path);
}

int main(void)
{
	expect("/qemu.slice/100.scope", RT_PVE_QEMU, "100", NULL, NULL);
	expect("/lxc/101", RT_PVE_LXC, "101", NULL, "/lxc.monitor/101");
	expect("/lxc/web", RT_LXC, "web", NULL, NULL);
	expect("/lxc.payload.web", RT_LXC, "web", NULL, "/lxc.monitor.web");
	expect("/lxc.payload/x/lxc.payload.inner", RT_LXC, "inner", NULL,
	       "/lxc.payload/x/lxc.monitor.inner");
	expect("/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d01.scope", RT_LIBVIRT, "1", "web-01",
	       NULL);
	expect("/machine/db.libvirt-qemu", RT_LIBVIRT, "db", "db", NULL);
	/* libvirtd 9 without systemd, as it really names them */
	expect("/machine/qemu-1-vtax-lv14.libvirt-qemu", RT_LIBVIRT, "1", "vtax-lv14", NULL);
	expect("/machine/qemu-12-a.libvirt-qemu", RT_LIBVIRT, "12", "a", NULL);
	expect("/machine/qemu-web.libvirt-qemu", RT_LIBVIRT, "qemu-web", "qemu-web", NULL);
	expect("/machine.slice/machine-build\\x2dbox.scope", RT_NSPAWN, "build-box", "build-box",
	       NULL);
	expect("/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
	       RT_DOCKER, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL,
	       NULL);
	expect("/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", RT_DOCKER,
	       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL, NULL);
	expect("/machine.slice/libpod-aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999.scope",
	       RT_PODMAN, "aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999", NULL,
	       "/machine.slice/libpod-conmon-aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999.scope");
	expect("/libpod_parent/libpod-aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999",
	       RT_PODMAN, "aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999", NULL, NULL);

	reject("/");
	reject("/qemu.slice");
	reject("/qemu.slice/abc.scope");
	reject("/system.slice/ssh.service");
	reject("/lxc.monitor.web");
	reject("/docker/not-hex");
	reject("/docker");
	reject("/machine.slice/libpod-conmon-aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999.scope");
	reject("/user.slice/user-0.slice");
	/* an empty key names no guest */
	reject("/machine.slice/machine-.scope");
	reject("/lxc.payload.");
	reject("/machine/.libvirt-qemu");
	CHECK(discover_is_helper_cgroup("/lxc.monitor.web"), "lxc monitor cgroup is a helper");
	CHECK(discover_is_helper_cgroup("/lxc.monitor/101"), "pve monitor cgroup is a helper");
	CHECK(!discover_is_helper_cgroup("/lxc.payload.web"), "payload is not a helper");
	CHECK(discover_is_helper_cgroup("/machine.slice/libpod-conmon-aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999.scope"),
	      "conmon scope is a helper");
	CHECK(discover_is_helper_cgroup("/machine.slice/machine-x.scope/supervisor"),
	      "nspawn supervisor is a helper");
	CHECK(!discover_is_helper_cgroup("/machine.slice/machine-x.scope/payload"),
	      "nspawn payload is not a helper");
	return t_done("unit-discover");
}

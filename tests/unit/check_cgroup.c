/* SPDX-License-Identifier: MIT */
/* Names from cgroup paths (lib/cgroup.c): systemd units and containers. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void expect_units(const char *path, const char *unit, const char *user_unit)
{
        char *u = (char *) 0x1, *uu = (char *) 0x1;

        ck_assert_int_eq(sa_cgroup_units(path, &u, &uu), 0);
        if (unit)
                ck_assert_msg(u && strcmp(u, unit) == 0, "%s: unit %s, want %s", path,
                              u ? u : "(null)", unit);
        else
                ck_assert_msg(!u, "%s: unit %s, want none", path, u);
        if (user_unit)
                ck_assert_msg(uu && strcmp(uu, user_unit) == 0, "%s: user unit %s, want %s",
                              path, uu ? uu : "(null)", user_unit);
        else
                ck_assert_msg(!uu, "%s: user unit %s, want none", path, uu);
        free(u);
        free(uu);
}

START_TEST(test_cgroup_units)
{
        char *u = (char *) 0x1, *uu = (char *) 0x1;

        expect_units("/", NULL, NULL);
        expect_units("", NULL, NULL);
        expect_units("/init.scope", "init.scope", NULL);
        expect_units("/system.slice/nginx.service", "nginx.service", NULL);
        expect_units("/system.slice/nginx.service/", "nginx.service", NULL);
        expect_units("//system.slice//nginx.service", "nginx.service", NULL);
        expect_units("/system.slice/system-getty.slice/getty@tty1.service",
                     "getty@tty1.service", NULL);
        expect_units("/system.slice/docker-0123abcd.scope", "docker-0123abcd.scope", NULL);
        /* Nested cgroups under a unit: the unit is the first component. */
        expect_units("/system.slice/docker-0123abcd.scope/init", "docker-0123abcd.scope", NULL);
        expect_units("/system.slice/containerd.service/kubepods-x", "containerd.service", NULL);
        expect_units("/kubepods.slice/kubepods-besteffort.slice/"
                     "kubepods-besteffort-pod1.slice/cri-containerd-ab12.scope",
                     "cri-containerd-ab12.scope", NULL);
        /* cgroupfs driver paths hold no unit. */
        expect_units("/docker/0123abcd", NULL, NULL);
        expect_units("/process_api/c025d39235c5", NULL, NULL);
        expect_units("/system.slice", NULL, NULL);
        expect_units("/user.slice/user-1000.slice", NULL, NULL);
        /* A unit must come right after the slices. */
        expect_units("/system.slice/foo/bar.service", NULL, NULL);
        /* Not unit names: unknown type, template, no prefix, bad chars. */
        expect_units("/system.slice/foo.conf", NULL, NULL);
        expect_units("/system.slice/getty@.service", NULL, NULL);
        expect_units("/system.slice/.service", NULL, NULL);
        expect_units("/system.slice/@x.service", NULL, NULL);
        expect_units("/system.slice/a b.service", NULL, NULL);
        expect_units("/system.slice/a\nb.service", NULL, NULL);
        /* systemd's '_' escape of names that clash with kernel files. */
        expect_units("/system.slice/_cpu.service", "cpu.service", NULL);
        expect_units("/_foo.slice/bar.service", "bar.service", NULL);

        /* Sessions and user managers. */
        expect_units("/user.slice/user-1000.slice/session-2.scope", "session-2.scope", NULL);
        expect_units("/user.slice/user-1000.slice/user@1000.service", "user@1000.service", NULL);
        expect_units("/user.slice/user-1000.slice/user@1000.service/init.scope",
                     "user@1000.service", "init.scope");
        expect_units("/user.slice/user-1000.slice/user@1000.service/app.slice/x.service",
                     "user@1000.service", "x.service");
        expect_units("/user.slice/user-1000.slice/user@1000.service/app.slice/"
                     "app-gnome-firefox-1234.scope/tab",
                     "user@1000.service", "app-gnome-firefox-1234.scope");
        expect_units("/user.slice/user-1000.slice/user@1000.service/session.slice/"
                     "dbus.socket", "user@1000.service", "dbus.socket");
        expect_units("/user.slice/user-1000.slice/user@1000.service/app.slice",
                     "user@1000.service", NULL);
        /* user@ needs a numeric uid. */
        expect_units("/user.slice/user@bob.service/x.service", "user@bob.service", NULL);
        /* Legacy: user units inside a session scope. */
        expect_units("/user.slice/user-1000.slice/session-c2.scope/x.service",
                     "session-c2.scope", "x.service");

        ck_assert_int_eq(sa_cgroup_units(NULL, &u, &uu), -EINVAL);
        ck_assert_ptr_eq(u, (char *) 0x1);
        ck_assert_ptr_eq(uu, (char *) 0x1);
}
END_TEST

/* cgroup path -> container name, on paths as each tool makes them. */
START_TEST(test_cgroup_container)
{
        static const struct {
                const char *cgroup;
                const char *want;       /* NULL = no container */
        } cases[] = {
                /* docker, systemd cgroup driver and cgroupfs driver */
                { "/system.slice/docker-" ID64 ".scope", "docker:0123456789ab" },
                { "/docker/" ID64, "docker:0123456789ab" },
                { "/docker/" ID64 "/init.scope", "docker:0123456789ab" },
                { "/kubepods.slice/kubepods-pod1.slice/docker-" ID64 ".scope", "docker:0123456789ab" },
                /* podman: the container, never its conmon */
                { "/machine.slice/libpod-" ID64 ".scope", "podman:0123456789ab" },
                { "/machine.slice/libpod-" ID64 ".scope/container", "podman:0123456789ab" },
                { "/libpod_parent/libpod-" ID64, "podman:0123456789ab" },
                { "/machine.slice/libpod-conmon-" ID64 ".scope", NULL },
                /* containerd / CRI-O (Kubernetes) */
                { "/kubepods.slice/x.slice/cri-containerd-" ID64 ".scope", "containerd:0123456789ab" },
                { "/kubepods.slice/x.slice/crio-" ID64 ".scope", "crio:0123456789ab" },
                /* systemd-nspawn / machined: the machine name, unit escapes undone */
                { "/machine.slice/machine-web.scope", "web" },
                { "/machine.slice/machine-web.scope/payload/system.slice/nginx.service", "web" },
                { "/machine.slice/machine-qemu\\x2d1\\x2dvm.scope", "qemu-1-vm" },
                { "/machine.slice/machine-bad\\x2fslash.scope", NULL },
                { "/machine.slice/machine-bad\\x0anl.scope", NULL },
                { "/machine.slice/machine-\\x2.scope", NULL },
                { "/machine.slice/machine-.scope", NULL },
                { "/system.slice/machine-web.scope", NULL },
                /* nspawn --keep-unit: no name to be had */
                { "/payload", "container" },
                { "/payload/system.slice/nginx.service", "container" },
                { "/system.slice/sa.service/payload", "container" },
                /* the host's name wins: a machine's own subtree is its root's to fill */
                { "/machine.slice/machine-web.scope/payload/docker/" ID64, "web" },
                { "/machine.slice/machine-web.scope/payload/system.slice/docker-" ID64 ".scope", "web" },
                { "/system.slice/docker-" ID64 ".scope/machine.slice/machine-x.scope", "docker:0123456789ab" },
                /* hostile: a user's delegated subtree names nothing */
                { "/user.slice/user-1000.slice/user@1000.service/app.slice/machine.slice/"
                  "machine-prod\\x2ddb.scope", NULL },
                { "/user.slice/user-1000.slice/user@1000.service/machine.slice/machine-prod.scope", NULL },
                { "/user.slice/user-1000.slice/user@1000.service/system.slice/docker-" ID64 ".scope", NULL },
                { "/user.slice/user-1000.slice/user@1000.service/docker/" ID64, NULL },
                { "/user.slice/user-1000.slice/user@1000.service/payload", NULL },
                { "/user.slice/user-1000.slice/session-3.scope/docker-" ID64 ".scope", NULL },
                { "/user.slice/user-1000.slice/session-3.scope/machine.slice/machine-prod.scope", NULL },
                { "/user.slice/libpod-" ID64 ".scope", NULL },
                { "/system.slice/foo.service/docker-" ID64 ".scope", NULL },
                { "/system.slice/foo.service/machine.slice/machine-prod.scope", NULL },
                { "/x/machine.slice/machine-prod.scope", NULL },
                { "/x/docker-" ID64 ".scope", NULL },
                { "/x/docker/" ID64, NULL },
                { "/kubepods.slice/machine.slice/machine-prod.scope", NULL },
                { "/docker-" ID64 ".scope", NULL },
                /* not containers */
                { "/", NULL },
                { "", NULL },
                { "/system.slice/nginx.service", NULL },
                { "/user.slice/user-1000.slice/session-3.scope", NULL },
                { "/system.slice/docker.service", NULL },
                { "/system.slice/docker-0123.scope", NULL },             /* short id */
                { "/system.slice/docker-" ID64 "0.scope", NULL },        /* long id */
                { "/system.slice/docker-0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef.scope", NULL },
                { "/docker", NULL },
                { "/docker/not-an-id", NULL },
                { "/xdocker/" ID64, NULL },
                { "/payloadx", NULL },
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char *name = (char *) 1;

                ck_assert_int_eq(sa_cgroup_container(cases[i].cgroup, &name), 0);
                if (!cases[i].want)
                        ck_assert_msg(name == NULL, "%s: got '%s', want none", cases[i].cgroup, name);
                else
                        ck_assert_msg(name && !strcmp(name, cases[i].want), "%s: got '%s', want '%s'",
                                      cases[i].cgroup, name ? name : "(none)", cases[i].want);
                free(name);
        }
        char *name = NULL;
        ck_assert_int_eq(sa_cgroup_container(NULL, &name), -EINVAL);
}
END_TEST

Suite *cgroup_suite(void)
{
        Suite *s = suite_create("cgroup");
        TCase *tc = tcase_create("paths");

        tcase_add_test(tc, test_cgroup_units);
        tcase_add_test(tc, test_cgroup_container);
        suite_add_tcase(s, tc);
        return s;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test: virtio-fs on virtiofsd, one guest boot (mount, write, read, hot-add). */
#include <config.h>

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * virtiofsd shares a temporary directory; the guest (shared memory, as
 * vhost-user needs) mounts the tag, reads the file the host wrote and
 * creates one the host then sees.  A second directory is hot-added with
 * nimbus-remote add-fs, mounted and written, then unmounted and removed
 * with remove-device, all in the same boot.  Without shared memory the
 * VMM refuses --fs with CH's reason, and a missing back end is an error
 * naming the socket.
 */

#define FROM_HOST "nimbus-virtiofs-from-host-42"
#define FROM_GUEST "nimbus-virtiofs-from-guest-17"
#define HOT_DATA "nimbus-virtiofs-hot-added"

/* Debian 12: the Rust virtiofsd (package virtiofsd), else QEMU's C one
 * (qemu-system-common); their options differ. */
static TestProc *
virtiofsd_spawn(const char *dir, const char *sock)
{
    g_autofree char *sock_arg = g_strdup_printf("--socket-path=%s", sock);
    g_autofree char *src_arg = g_strdup_printf("source=%s", dir);
    g_autofree char *shared_arg = g_strdup_printf("--shared-dir=%s", dir);
    const char *rust[] = { "/usr/libexec/virtiofsd", sock_arg, shared_arg,
                           "--cache=never", "--sandbox=none", NULL };
    const char *qemu[] = { "/usr/lib/qemu/virtiofsd", sock_arg, "-o",
                           src_arg, "-o", "cache=none", NULL };
    gint64 deadline = g_get_monotonic_time() + 60 * G_TIME_SPAN_SECOND;
    TestProc *p;

    p = test_proc_spawn(g_file_test(rust[0], G_FILE_TEST_IS_EXECUTABLE) ?
                        rust : qemu);
    while (!g_file_test(sock, G_FILE_TEST_EXISTS) &&
           g_get_monotonic_time() < deadline && !test_proc_exited(p))
        g_usleep(50 * 1000);
    if (!g_file_test(sock, G_FILE_TEST_EXISTS)) {
        g_autofree char *out = test_proc_output(p);

        g_test_message("virtiofsd: %s", out);
    }
    g_assert_true(g_file_test(sock, G_FILE_TEST_EXISTS));
    return p;
}

/* The refusals need no guest: nimbus stops before booting. */
static void
test_refused(void)
{
    g_autofree char *nimbus = test_build_path("nimbus");
    g_autofree char *kernel = test_asset("vmlinux");
    g_autofree char *missing = path_in_tmp("no-virtiofsd.sock");
    g_autofree char *fs_arg = g_strdup_printf("tag=t,socket=%s", missing);
    g_autofree char *out = NULL;
    const char *private_mem[] = { nimbus, "--kernel", kernel, "--memory",
                                  "size=128M", "--fs", fs_arg, NULL };
    const char *no_backend[] = { nimbus, "--kernel", kernel, "--memory",
                                 "size=128M,shared=on", "--fs", fs_arg,
                                 NULL };

    g_assert_cmpint(test_run(private_mem, &out, 120 * 1000), !=, 0);
    assert_contains(out, "using vhost-user requires shared memory");
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(test_run(no_backend, &out, 120 * 1000), !=, 0);
    assert_contains(out, "cannot connect to the vhost-user back end");
    assert_contains(out, missing);
}

static void
test_guest(void)
{
    g_autofree char *dir = path_in_tmp("share");
    g_autofree char *hot_dir = path_in_tmp("hot-share");
    g_autofree char *sock = path_in_tmp("virtiofsd.sock");
    g_autofree char *hot_sock = path_in_tmp("virtiofsd-hot.sock");
    g_autofree char *api_sock = path_in_tmp("api.sock");
    g_autofree char *api = g_strdup_printf("path=%s", api_sock);
    g_autofree char *fs_arg = g_strdup_printf("tag=share,socket=%s", sock);
    g_autofree char *hot_arg = g_strdup_printf("tag=hot,socket=%s,id=hotfs",
                                               hot_sock);
    g_autofree char *host_file = NULL;
    g_autofree char *guest_file = NULL;
    g_autofree char *hot_file = NULL;
    g_autofree char *data = NULL;
    g_autofree char *out = NULL;
    g_autoptr(TestProc) fsd = NULL;
    g_autoptr(TestProc) hot_fsd = NULL;
    g_autoptr(TestProc) p = NULL;
    const char *args[] = { "--api-socket", api, "--fs", fs_arg, NULL };
    const char *add[] = { "add-fs", hot_arg, NULL };
    const char *remove[] = { "remove-device", "hotfs", NULL };
    GuestSpec g = {
        .memory = "size=512M,shared=on",
        .script =
            "mkdir -p /mnt/fs /mnt/hot\n"
            "mount -t virtiofs share /mnt/fs || exit 1\n"
            "cat /mnt/fs/from-host || exit 2\n"
            "echo " FROM_GUEST " > /mnt/fs/from-guest || exit 3\n"
            "sync\n"
            "umount /mnt/fs || exit 4\n"
            "echo virtiofs-ready\n"
            "read -r a\n"
            "i=0; while ! mount -t virtiofs hot /mnt/hot 2>/dev/null; do "
            "i=$((i + 1)); [ $i -lt 600 ] || exit 5; sleep 0.1; done\n"
            "echo " HOT_DATA " > /mnt/hot/hot || exit 6\n"
            "sync\n"
            "umount /mnt/hot || exit 7\n"
            "echo virtiofs-hot-written\n"
            "read -r b\n",
        .args = args,
    };

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_cmpint(g_mkdir_with_parents(hot_dir, 0755), ==, 0);
    host_file = g_build_filename(dir, "from-host", NULL);
    guest_file = g_build_filename(dir, "from-guest", NULL);
    hot_file = g_build_filename(hot_dir, "hot", NULL);
    g_assert_true(g_file_set_contents(host_file, FROM_HOST "\n", -1, NULL));
    fsd = virtiofsd_spawn(dir, sock);
    hot_fsd = virtiofsd_spawn(hot_dir, hot_sock);
    p = guest_spawn(&g);

    g_assert_true(test_proc_wait_output(p, "virtiofs-ready",
                                        BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    assert_contains(out, FROM_HOST);
    g_clear_pointer(&out, g_free);
    /* The guest's file is on the host, through virtiofsd. */
    g_assert_true(g_file_get_contents(guest_file, &data, NULL, NULL));
    g_assert_cmpstr(data, ==, FROM_GUEST "\n");
    g_clear_pointer(&data, g_free);

    g_assert_cmpint(remote(api_sock, &out, add), ==, 0);
    assert_contains(out, "\"id\":\"hotfs\"");
    g_clear_pointer(&out, g_free);
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "virtiofs-hot-written",
                                        BOOT_TIMEOUT_MS));
    g_assert_true(g_file_get_contents(hot_file, &data, NULL, NULL));
    g_assert_cmpstr(data, ==, HOT_DATA "\n");
    g_assert_cmpint(remote(api_sock, &out, remove), ==, 0);
    g_clear_pointer(&out, g_free);
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, GUEST_OK, BOOT_TIMEOUT_MS));
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtiofs/refused", test_refused);
    g_test_add_func("/virtiofs/guest", test_guest);
    return g_test_run();
}

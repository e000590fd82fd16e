/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test: --generic-vhost-user device_type=block on qemu-storage-daemon. */
#include <config.h>

#include <stdint.h>
#include <string.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * A generic vhost-user device knows nothing of the type it shows: here
 * qemu-storage-daemon's vhost-user-blk export serves it as
 * device_type=block, so the guest's virtio-blk driver finds /dev/vda only
 * if the PCI device ID is the back end's type, and sees the right
 * capacity only if the config space goes through (GET_CONFIG).  The guest
 * reads the whole disk and prints its sha256, which the host compares
 * with the image's; vm.info lists the device.  Without shared memory
 * nimbus refuses it before booting.
 */

#define IMAGE_SIZE (1024 * 1024)
#define KNOWN "nimbus-generic-vhost-user-known"

static TestProc *
qsd_spawn(const char *image, const char *sock)
{
    g_autofree char *blockdev = g_strdup_printf(
        "driver=file,node-name=disk0,filename=%s,cache.direct=off", image);
    g_autofree char *export = g_strdup_printf(
        "type=vhost-user-blk,id=exp0,node-name=disk0,addr.type=unix,"
        "addr.path=%s,writable=off", sock);
    const char *argv[] = { "/usr/bin/qemu-storage-daemon", "--blockdev",
                           blockdev, "--export", export, NULL };
    gint64 deadline = g_get_monotonic_time() + 60 * G_TIME_SPAN_SECOND;
    TestProc *p = test_proc_spawn(argv);

    while (!g_file_test(sock, G_FILE_TEST_EXISTS) &&
           g_get_monotonic_time() < deadline && !test_proc_exited(p))
        g_usleep(50 * 1000);
    if (!g_file_test(sock, G_FILE_TEST_EXISTS)) {
        g_autofree char *out = test_proc_output(p);

        g_test_message("qemu-storage-daemon: %s", out);
    }
    g_assert_true(g_file_test(sock, G_FILE_TEST_EXISTS));
    return p;
}

/* The refusal needs no guest: nimbus stops before booting. */
static void
test_refused(void)
{
    g_autofree char *nimbus = test_build_path("nimbus");
    g_autofree char *kernel = test_asset("vmlinux");
    g_autofree char *sock = path_in_tmp("no-backend.sock");
    g_autofree char *dev = g_strdup_printf("device_type=block,socket=%s,"
                                           "queue_sizes=[128]", sock);
    g_autofree char *out = NULL;
    const char *private_mem[] = { nimbus, "--kernel", kernel, "--memory",
                                  "size=128M", "--generic-vhost-user", dev,
                                  NULL };

    g_assert_cmpint(test_run(private_mem, &out, 120 * 1000), !=, 0);
    assert_contains(out, "using vhost-user requires shared memory");
}

static void
test_guest(void)
{
    g_autofree char *image = path_in_tmp("generic.raw");
    g_autofree char *sock = path_in_tmp("generic.sock");
    g_autofree char *api_sock = path_in_tmp("api.sock");
    g_autofree char *api = g_strdup_printf("path=%s", api_sock);
    g_autofree char *dev = g_strdup_printf("device_type=block,socket=%s,"
                                           "queue_sizes=[128],id=gvu0",
                                           sock);
    g_autofree uint8_t *content = g_malloc0(IMAGE_SIZE);
    g_autofree char *known_hash = NULL;
    g_autofree char *expect = NULL;
    g_autofree char *out = NULL;
    g_autofree char *nimbus_remote = test_build_path("nimbus-remote");
    g_autoptr(TestProc) qsd = NULL;
    g_autoptr(TestProc) p = NULL;
    const char *args[] = { "--api-socket", api, "--generic-vhost-user", dev,
                           NULL };
    const char *info[] = { nimbus_remote, "--api-socket", api_sock, "info",
                           NULL };
    GuestSpec g = {
        .memory = "size=512M,shared=on",
        .script =
            "i=0; while [ ! -b /dev/vda ]; do i=$((i + 1)); "
            "[ $i -lt 300 ] || exit 1; sleep 0.1; done\n"
            "echo \"gvu-read: $(head -c 31 /dev/vda)\"\n"
            "echo \"gvu-size $(cat /sys/block/vda/size)\"\n"
            "echo \"gvu-known $(sha256sum /dev/vda | cut -c1-64)\"\n"
            "echo gvu-done\n"
            "read -r a\n",
        .args = args,
    };

    for (gsize i = 0; i < IMAGE_SIZE; i++)
        content[i] = (uint8_t)(i * 13 + i / 4096);
    memcpy(content, KNOWN, strlen(KNOWN));
    g_assert_true(g_file_set_contents(image, (const char *)content,
                                      IMAGE_SIZE, NULL));
    known_hash = g_compute_checksum_for_data(G_CHECKSUM_SHA256, content,
                                             IMAGE_SIZE);
    qsd = qsd_spawn(image, sock);
    p = guest_spawn(&g);

    g_assert_true(test_proc_wait_output(p, "gvu-done", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    assert_contains(out, "gvu-read: " KNOWN);
    /* 512-byte sectors: the capacity came through GET_CONFIG. */
    assert_contains(out, "gvu-size 2048");
    expect = g_strdup_printf("gvu-known %s", known_hash);
    assert_contains(out, expect);
    g_clear_pointer(&out, g_free);

    g_assert_cmpint(test_run(info, &out, REMOTE_TIMEOUT_MS), ==, 0);
    assert_contains(out, "generic_vhost_user");
    assert_contains(out, "gvu0");
    g_clear_pointer(&out, g_free);
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, GUEST_OK, BOOT_TIMEOUT_MS));
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vhost-user-generic/refused", test_refused);
    g_test_add_func("/vhost-user-generic/guest", test_guest);
    return g_test_run();
}

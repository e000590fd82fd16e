/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test: a vhost-user-blk disk served by qemu-storage-daemon, one guest boot. */
#include <config.h>

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * qemu-storage-daemon (Debian's qemu-system-common) exports a raw image
 * with known content as a vhost-user-blk back end; the guest (shared
 * memory, as vhost-user needs) reads the whole disk and prints its
 * sha256, then writes 64 KiB of random data at 64 KiB with an fsync and
 * prints their sha256.  The host checks both hashes against the image
 * once the guest has written.  Then the back end is killed under the
 * running guest: the device goes NEEDS_RESET, and the VMM still answers
 * its API and powers the guest off cleanly.  Without shared memory, or
 * without a back end, nimbus refuses the disk before booting.
 */

#define IMAGE_SIZE (1024 * 1024)
#define KNOWN "nimbus-vhost-user-blk-known-content"
#define WRITE_OFF 65536
#define WRITE_LEN 65536

static TestProc *
qsd_spawn(const char *image, const char *sock)
{
    g_autofree char *blockdev = g_strdup_printf(
        "driver=file,node-name=disk0,filename=%s,cache.direct=off", image);
    g_autofree char *export = g_strdup_printf(
        "type=vhost-user-blk,id=exp0,node-name=disk0,addr.type=unix,"
        "addr.path=%s,writable=on", sock);
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

/* The value after "@tag " on a line of @out (a 64-digit hash). */
static char *
tagged_hash(const char *out, const char *tag)
{
    g_autofree char *needle = g_strdup_printf("%s ", tag);
    const char *p = strstr(out, needle);

    g_assert_nonnull(p);
    p += strlen(needle);
    return g_strndup(p, 64);
}

static char *
sha256_of(const uint8_t *data, size_t len)
{
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
}

/* The refusals need no guest: nimbus stops before booting. */
static void
test_refused(void)
{
    g_autofree char *nimbus = test_build_path("nimbus");
    g_autofree char *kernel = test_asset("vmlinux");
    g_autofree char *missing = path_in_tmp("no-backend.sock");
    g_autofree char *disk = g_strdup_printf("vhost_user=on,socket=%s",
                                            missing);
    g_autofree char *out = NULL;
    const char *private_mem[] = { nimbus, "--kernel", kernel, "--memory",
                                  "size=128M", "--disk", disk, NULL };
    const char *no_backend[] = { nimbus, "--kernel", kernel, "--memory",
                                 "size=128M,shared=on", "--disk", disk,
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
    g_autofree char *image = path_in_tmp("vublk.raw");
    g_autofree char *sock = path_in_tmp("vublk.sock");
    g_autofree char *api_sock = path_in_tmp("api.sock");
    g_autofree char *api = g_strdup_printf("path=%s", api_sock);
    g_autofree char *disk = g_strdup_printf("vhost_user=on,socket=%s,"
                                            "id=vublk0", sock);
    g_autofree uint8_t *content = g_malloc0(IMAGE_SIZE);
    g_autofree char *known_hash = NULL;
    g_autofree char *hash = NULL;
    g_autofree char *written_hash = NULL;
    g_autofree char *data = NULL;
    g_autofree char *out = NULL;
    g_autofree char *nimbus_remote = test_build_path("nimbus-remote");
    g_autoptr(TestProc) qsd = NULL;
    g_autoptr(TestProc) p = NULL;
    gsize len = 0;
    const char *args[] = { "--api-socket", api, "--disk", disk, NULL };
    const char *info[] = { nimbus_remote, "--api-socket", api_sock, "info",
                           NULL };
    GuestSpec g = {
        .memory = "size=512M,shared=on",
        .script =
            "i=0; while [ ! -b /dev/vda ]; do i=$((i + 1)); "
            "[ $i -lt 300 ] || exit 1; sleep 0.1; done\n"
            "echo \"vublk-read: $(head -c 35 /dev/vda)\"\n"
            "echo \"vublk-known $(sha256sum /dev/vda | cut -c1-64)\"\n"
            "head -c 65536 /dev/urandom > /tmp/w || exit 2\n"
            "dd if=/tmp/w of=/dev/vda bs=4096 seek=16 conv=notrunc,fsync "
            "2>/dev/null || exit 3\n"
            "echo \"vublk-wrote $(sha256sum /tmp/w | cut -c1-64)\"\n"
            "echo vublk-written\n"
            "read -r a\n"
            /* The back end is gone: the VMM keeps the guest running. */
            "echo vublk-still-alive\n",
        .args = args,
    };

    /* A known image: a string, then a pattern over the whole megabyte. */
    for (gsize i = 0; i < IMAGE_SIZE; i++)
        content[i] = (uint8_t)(i * 7 + i / 4096);
    memcpy(content, KNOWN, strlen(KNOWN));
    g_assert_true(g_file_set_contents(image, (const char *)content,
                                      IMAGE_SIZE, NULL));
    known_hash = sha256_of(content, IMAGE_SIZE);
    qsd = qsd_spawn(image, sock);
    p = guest_spawn(&g);

    g_assert_true(test_proc_wait_output(p, "vublk-written", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    assert_contains(out, "vublk-read: " KNOWN);
    hash = tagged_hash(out, "vublk-known");
    g_assert_cmpstr(hash, ==, known_hash);
    g_clear_pointer(&hash, g_free);
    /* What the guest wrote (fsync'd, so flushed by the back end) is in
     * the image, and nothing else changed. */
    hash = tagged_hash(out, "vublk-wrote");
    g_assert_true(g_file_get_contents(image, &data, &len, NULL));
    g_assert_cmpuint(len, ==, IMAGE_SIZE);
    written_hash = sha256_of((const uint8_t *)data + WRITE_OFF, WRITE_LEN);
    g_assert_cmpstr(written_hash, ==, hash);
    g_assert_cmpmem(data, WRITE_OFF, content, WRITE_OFF);
    g_assert_cmpmem(data + WRITE_OFF + WRITE_LEN,
                    IMAGE_SIZE - WRITE_OFF - WRITE_LEN,
                    content + WRITE_OFF + WRITE_LEN,
                    IMAGE_SIZE - WRITE_OFF - WRITE_LEN);
    g_clear_pointer(&out, g_free);

    /* vm.info lists the disk with its socket. */
    g_assert_cmpint(test_run(info, &out, REMOTE_TIMEOUT_MS), ==, 0);
    assert_contains(out, "vhost_socket");
    assert_contains(out, sock);
    g_clear_pointer(&out, g_free);

    /* A back end that dies: NEEDS_RESET, and the VMM lives on. */
    kill(test_proc_pid(qsd), SIGKILL);
    g_assert_cmpint(test_proc_wait_exit(qsd, 60 * 1000), !=, 0);
    g_assert_true(test_proc_wait_output(p, "vhost-user back end closed",
                                        BOOT_TIMEOUT_MS));
    g_assert_cmpint(test_run(info, &out, REMOTE_TIMEOUT_MS), ==, 0);
    g_clear_pointer(&out, g_free);
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "vublk-still-alive",
                                        BOOT_TIMEOUT_MS));
    g_assert_true(test_proc_wait_output(p, GUEST_OK, BOOT_TIMEOUT_MS));
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vhost-user-blk/refused", test_refused);
    g_test_add_func("/vhost-user-blk/guest", test_guest);
    return g_test_run();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests: a guest on a qcow2 overlay over a compressed base, checked by qemu-img. */
#include <config.h>

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

#define BASE_SIZE (16 * 1024 * 1024)
#define SHA_LEN (8 * 1024 * 1024)

/* qemu-img check's status (0 clean, 3 leaks only, 2 corruption). */
static int
qimg_check(const char *path)
{
    const char *argv[] = { "qemu-img", "check", path, NULL };
    g_autofree char *out = NULL;
    int st = test_run(argv, &out, 120 * 1000);

    g_test_message("qemu-img check: %s", out);
    return st;
}

/* The chain: base.raw (compressible data) -> base.qcow2 (compressed,
 * qemu-img convert -c) <- top.qcow2 (empty overlay).  Returns the sha256
 * of the base's first SHA_LEN bytes. */
static char *
make_chain(const char *raw, const char *base, const char *top)
{
    g_autofree guchar *data = g_malloc(BASE_SIZE);
    g_autofree char *cmd = NULL;
    g_autofree char *o = NULL;

    for (size_t i = 0; i < BASE_SIZE; i++)
        data[i] = (guchar)("nimbus-qcow2-"[i % 13] + (i / 4096) % 7);
    g_assert_true(g_file_set_contents(raw, (const char *)data, BASE_SIZE,
                                      NULL));
    cmd = g_strdup_printf("qemu-img convert -c -f raw -O qcow2 '%s' '%s' && "
                          "qemu-img create -q -f qcow2 -b '%s' -F qcow2 '%s'",
                          raw, base, base, top);
    o = sh(cmd);
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, SHA_LEN);
}

/* The guest reads the base through the overlay, writes 4 MiB at 12 MiB
 * and an unaligned 3.5 KiB piece, reads both back; afterwards the overlay
 * is clean for qemu-img check, holds what the guest wrote, and the base
 * is unchanged. */
static void
test_overlay(void)
{
    g_autofree char *raw = path_in_tmp("base.raw");
    g_autofree char *base = path_in_tmp("base.qcow2");
    g_autofree char *top = path_in_tmp("top.qcow2");
    g_autofree char *want = make_chain(raw, base, top);
    g_autofree char *disk = g_strdup_printf("path=%s,backing_files=on", top);
    g_autofree char *plain = g_strdup_printf("path=%s", top);
    const char *args[] = { "--disk", disk, NULL };
    const char *refused[] = { "--disk", plain, NULL };
    GuestSpec g = {
        .script =
            "echo \"base-sha: $(head -c 8388608 /dev/vda | sha256sum)\"\n"
            "head -c 4194304 /dev/urandom > /tmp/a\n"
            "dd if=/tmp/a of=/dev/vda bs=64k seek=192 oflag=direct 2>/dev/null\n"
            "head -c 3584 /dev/urandom > /tmp/s\n"
            "dd if=/tmp/s of=/dev/vda bs=512 seek=1001 oflag=direct 2>/dev/null\n"
            "sync\n"
            "echo 3 > /proc/sys/vm/drop_caches\n"
            "dd if=/dev/vda of=/tmp/b bs=64k skip=192 count=64 iflag=direct 2>/dev/null\n"
            "dd if=/dev/vda of=/tmp/t bs=512 skip=1001 count=7 iflag=direct 2>/dev/null\n"
            "cmp /tmp/a /tmp/b && cmp /tmp/s /tmp/t && echo qcow2-data-ok\n"
            "echo \"big-sha: $(sha256sum < /tmp/a)\"\n",
        .args = args,
    };
    GuestSpec no = { .script = "exit 0\n", .args = refused };
    g_autoptr(TestProc) p = NULL;
    g_autofree char *out = NULL;
    g_autofree char *o = NULL;
    g_autofree char *cmd = NULL;
    g_autofree char *want_line = g_strdup_printf("base-sha: %s", want);
    const char *big;

    /* Without backing_files=on the chain is not opened. */
    p = guest_spawn(&no);
    g_assert_cmpint(test_proc_wait_exit(p, 120 * 1000), !=, 0);
    out = test_proc_output(p);
    assert_contains(out, "backing_files=on");
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&p, test_proc_free);

    out = guest_run(&g);
    assert_contains(out, want_line);
    assert_contains(out, "qcow2-data-ok");
    big = strstr(out, "big-sha: ");
    g_assert_nonnull(big);

    g_assert_cmpint(qimg_check(top), ==, 0);
    /* What the guest wrote, as qemu-img reads it. */
    cmd = g_strdup_printf("qemu-img convert -O raw '%s' '%s.out' && "
                          "dd if='%s.out' bs=64k skip=192 count=64 2>/dev/null"
                          " | sha256sum", top, top, top);
    o = sh(cmd);
    g_assert_cmpint(strncmp(o, big + strlen("big-sha: "), 64), ==, 0);
    g_clear_pointer(&o, g_free);
    g_clear_pointer(&cmd, g_free);
    cmd = g_strdup_printf("qemu-img compare -f raw -F qcow2 '%s' '%s'", raw,
                          base);
    o = sh(cmd);
}

/* nimbus SIGKILLed while the guest writes: qemu-img check finds leaks at
 * most, never corruption. */
static void
test_kill(void)
{
    g_autofree char *raw = path_in_tmp("kbase.raw");
    g_autofree char *base = path_in_tmp("kbase.qcow2");
    g_autofree char *top = path_in_tmp("ktop.qcow2");
    g_autofree char *want = make_chain(raw, base, top);
    g_autofree char *disk = g_strdup_printf("path=%s,backing_files=on", top);
    const char *args[] = { "--disk", disk, NULL };
    GuestSpec g = {
        .script =
            "echo writing-now\n"
            "i=0\n"
            "while true; do\n"
            "  dd if=/dev/urandom of=/dev/vda bs=4k seek=$(( (i * 37) % 4000 ))"
            " count=9 oflag=direct 2>/dev/null\n"
            "  i=$((i + 1))\n"
            "done\n",
        .args = args,
    };
    g_autoptr(TestProc) p = guest_spawn(&g);
    int st;

    g_assert_true(test_proc_wait_output(p, "writing-now", BOOT_TIMEOUT_MS));
    g_usleep(3 * G_USEC_PER_SEC);
    g_clear_pointer(&p, test_proc_free);     /* SIGKILL */
    st = qimg_check(top);
    g_assert_true(st == 0 || st == 3);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qcow2/overlay", test_overlay);
    g_test_add_func("/qcow2/kill", test_kill);
    return g_test_run();
}

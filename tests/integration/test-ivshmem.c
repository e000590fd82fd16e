/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test: ivshmem-plain in one guest boot (host and guest share a file through BAR2). */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * The host fills a 1 MiB file with zeroes and writes HOST_PATTERN at its
 * start and at the start of its last page, then boots a guest with
 * --ivshmem on it.  test-ivshmem-guest (copied into the initramfs) finds
 * the 1af4:1110 function, enables it, checks its registers, finds the
 * host's pattern in BAR2 and writes GUEST_PATTERN at 4 KiB and at the last
 * page + 64.  After the guest powers off, the file holds both patterns:
 * the guest's writes went straight to the host's file.  A second nimbus
 * with a file too small for size= is refused before any guest runs.
 */

#define MIB (1024 * 1024)
#define HOST_PATTERN "nimbus-ivshmem-from-host-4711"
#define GUEST_PATTERN "nimbus-ivshmem-from-guest-0815"

/* Whether @path holds @needle at @off. */
static gboolean
file_has_at(const char *path, gsize off, const char *needle)
{
    g_autofree char *data = NULL;
    gsize len = 0;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    return off + strlen(needle) <= len &&
           memcmp(data + off, needle, strlen(needle)) == 0;
}

static void
test_ivshmem(void)
{
    g_autofree char *prog = test_build_path(
        "tests/integration/test-ivshmem-guest");
    g_autofree char *dir = path_in_tmp("ivshmem-initrd");
    g_autofree char *dst = g_build_filename(dir, "ivshmem-guest", NULL);
    g_autofree char *shm = path_in_tmp("ivshmem.shm");
    g_autofree char *small = path_in_tmp("small.shm");
    g_autofree char *initrd = NULL;
    g_autofree char *data = NULL;
    g_autofree char *buf = g_malloc0(MIB);
    g_autofree char *opt = g_strdup_printf("path=%s,size=1M", shm);
    g_autofree char *bad_opt = g_strdup_printf("path=%s,size=1M", small);
    g_autofree char *out = NULL;
    gsize len = 0;
    const char *args[] = { "--ivshmem", opt, NULL };
    const char *bad_args[] = { "--ivshmem", bad_opt, NULL };
    GuestSpec g = {
        .script = "/ivshmem-guest " HOST_PATTERN " " GUEST_PATTERN
                  " || exit 1\n",
        .args = args,
    };
    GuestSpec bad = { .script = "exit 0\n", .args = bad_args };
    g_autoptr(TestProc) p = NULL;

    memcpy(buf, HOST_PATTERN, strlen(HOST_PATTERN));
    memcpy(buf + MIB - 4096, HOST_PATTERN, strlen(HOST_PATTERN));
    g_assert_true(g_file_set_contents(shm, buf, MIB, NULL));
    g_assert_true(g_file_set_contents(small, buf, MIB / 2, NULL));
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_get_contents(prog, &data, &len, NULL));
    g_assert_true(g_file_set_contents(dst, data, (gssize)len, NULL));
    g_assert_cmpint(chmod(dst, 0755), ==, 0);
    initrd = initrd_with("ivshmem-initrd.cpio", dir);
    g.initrd = initrd;
    bad.initrd = initrd;

    /* Refused at vm.create: nimbus exits with the reason, no guest. */
    p = guest_spawn(&bad);
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), !=, 0);
    out = test_proc_output(p);
    assert_contains(out, "is 524288 bytes, smaller than size=1048576");
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&p, test_proc_free);

    out = guest_run(&g);
    assert_contains(out, "ivshmem-guest: found");
    assert_contains(out, "ivshmem-guest: registers ok");
    assert_contains(out, "ivshmem-guest: BAR2 is 1048576 bytes");
    assert_contains(out, "ivshmem-guest: host-pattern ok");
    assert_contains(out, "ivshmem-guest: guest-pattern written ok");
    assert_contains(out, GUEST_OK);
    /* The guest's bytes are in the host's file, the host's are intact. */
    g_assert_true(file_has_at(shm, 0, HOST_PATTERN));
    g_assert_true(file_has_at(shm, 4096, GUEST_PATTERN));
    g_assert_true(file_has_at(shm, MIB - 4096, HOST_PATTERN));
    g_assert_true(file_has_at(shm, MIB - 4096 + 64, GUEST_PATTERN));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ivshmem/host-guest-shared-file", test_ivshmem);
    return g_test_run();
}

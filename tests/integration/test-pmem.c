/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test: virtio-pmem in one guest boot (ext on pmem, discard_writes, hot-add). */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * One guest with two regions (booting is the slow part under the
 * harness's emulation): on the shared one (16 MiB) the guest makes a
 * filesystem (busybox mke2fs, mounted by the ext4 driver), writes a file,
 * syncs and unmounts; on the discard_writes=on one (8 MiB, the file full
 * of 'B'), which is also behind the virtio-iommu (iommu=on: its driver
 * takes ACCESS_PLATFORM and its flush requests go through the
 * translation, in bypass as the guest kernel has no IOMMU driver), it
 * writes a marker with an fsync and reads it back.  Then a third region is
 * hot-added with nimbus-remote add-pmem; the guest writes a marker on it
 * with an fsync (a flush request the device counts), and it is
 * hot-removed.  After the guest powers off: the shared file holds the
 * filesystem's data, the discarded one is as it was, the hot-added one
 * holds its marker.  The guest finds its regions by size (pmem names
 * follow probing order).
 */

#define MIB (1024 * 1024)
#define EXT_DATA "nimbus-pmem-ext-data-17"
#define DISCARDED "nimbus-pmem-discarded"
#define HOT_DATA "nimbus-pmem-hotplugged"

static char *
make_file(const char *name, gsize size, char fill)
{
    g_autofree char *path = path_in_tmp(name);
    g_autofree char *buf = g_malloc(size);

    memset(buf, fill, size);
    g_assert_true(g_file_set_contents(path, buf, (gssize)size, NULL));
    return g_steal_pointer(&path);
}

/* Whether @path contains @needle anywhere. */
static gboolean
file_has(const char *path, const char *needle)
{
    g_autofree char *data = NULL;
    gsize len = 0;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    return memmem(data, len, needle, strlen(needle)) != NULL;
}

/* Whether every byte of @path is @fill. */
static gboolean
file_all(const char *path, char fill)
{
    g_autofree char *data = NULL;
    gsize len = 0;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    for (gsize i = 0; i < len; i++) {
        if (data[i] != fill)
            return FALSE;
    }
    return TRUE;
}

/* The number after "@key": in device @id's part of vm.counters' @json
 * (whatever its spacing). */
static guint64
counter(const char *json, const char *id, const char *key)
{
    g_autofree char *dev = g_strdup_printf("\"%s\"", id);
    g_autofree char *k = g_strdup_printf("\"%s\"", key);
    const char *at = strstr(json, dev);

    g_assert_nonnull(at);
    at = strstr(at, k);
    g_assert_nonnull(at);
    at += strlen(k);
    while (*at == ' ' || *at == ':')
        at++;
    return g_ascii_strtoull(at, NULL, 10);
}

static void
test_pmem(void)
{
    g_autofree char *shared = make_file("shared.img", 16 * MIB, 0);
    g_autofree char *discard = make_file("discard.img", 8 * MIB, 'B');
    g_autofree char *hot = make_file("hot.img", 4 * MIB, 0);
    g_autofree char *small = make_file("small.img", 2 * MIB, 0);
    g_autofree char *sock = path_in_tmp("api.sock");
    g_autofree char *api = g_strdup_printf("path=%s", sock);
    g_autofree char *pm0 = g_strdup_printf("file=%s", shared);
    g_autofree char *pm1 = g_strdup_printf("file=%s,discard_writes=on,"
                                           "iommu=on", discard);
    g_autofree char *pm2 = g_strdup_printf("file=%s,id=hotpm", hot);
    g_autofree char *too_big = g_strdup_printf("file=%s,size=4M", small);
    g_autofree char *out = NULL;
    const char *args[] = { "--api-socket", api, "--pmem", pm0, "--pmem", pm1,
                           NULL };
    GuestSpec g = {
        .script =
            "dev() { for d in /sys/block/pmem*; do "
            "[ \"$(cat $d/size)\" = \"$1\" ] && echo /dev/${d##*/} && "
            "return 0; done; return 1; }\n"
            "wait_dev() { i=0; while ! dev $1 >/dev/null && [ $i -lt 600 ]; "
            "do sleep 0.1; i=$((i + 1)); done; dev $1; }\n"
            "A=$(wait_dev 32768) || exit 1\n"
            "B=$(wait_dev 16384) || exit 1\n"
            "echo \"pmem-found: $A $B\"\n"
            "mke2fs -q $A || exit 2\n"
            "mkdir -p /mnt/p\n"
            "mount -t ext4 $A /mnt/p || exit 3\n"
            "echo " EXT_DATA " > /mnt/p/hello || exit 4\n"
            "sync\n"
            "umount /mnt/p || exit 5\n"
            "printf " DISCARDED " | dd of=$B conv=fsync 2>/dev/null || exit 6\n"
            "[ \"$(head -c 21 $B)\" = " DISCARDED " ] && "
            "echo pmem-discard-reads-back\n"
            /* sysfs features: bit 33 is the 34th character. */
            "for v in /sys/bus/virtio/drivers/virtio_pmem/virtio*; do echo "
            "\"pmem-access-platform: $(cut -c34 $v/features)\"; done\n"
            "echo pmem-ready\n"
            "read -r a\n"
            "C=$(wait_dev 8192) || exit 7\n"
            "printf " HOT_DATA " | dd of=$C conv=fsync 2>/dev/null || exit 8\n"
            "echo pmem-hot-written\n"
            "read -r b\n"
            "dev 8192 >/dev/null && echo pmem-hot-still-there || "
            "echo pmem-hot-gone\n",
        .args = args,
    };
    g_autoptr(TestProc) p = guest_spawn(&g);
    const char *add[] = { "add-pmem", pm2, NULL };
    const char *bad[] = { "add-pmem", too_big, NULL };
    const char *counters[] = { "counters", NULL };
    const char *info[] = { "info", NULL };
    const char *remove[] = { "remove-device", "hotpm", NULL };

    g_assert_true(test_proc_wait_output(p, "pmem-ready", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    assert_contains(out, "pmem-discard-reads-back");
    assert_contains(out, "pmem-access-platform: 0");
    assert_contains(out, "pmem-access-platform: 1");
    g_clear_pointer(&out, g_free);
    /* The fsync on the translated one reached it as a flush request. */
    g_assert_cmpint(remote(sock, &out, counters), ==, 0);
    g_assert_cmpuint(counter(out, "_pmem1", "flushes"), >, 0);
    g_clear_pointer(&out, g_free);

    /* A region the file cannot back is refused, the VM unchanged. */
    g_assert_cmpint(remote(sock, &out, bad), ==, 1);
    assert_contains(out, "smaller than size=4194304");
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(remote(sock, &out, add), ==, 0);
    assert_contains(out, "\"id\":\"hotpm\"");
    g_clear_pointer(&out, g_free);
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "pmem-hot-written",
                                        BOOT_TIMEOUT_MS));
    /* dd's fsync reached the device as a flush request. */
    g_assert_cmpint(remote(sock, &out, counters), ==, 0);
    g_assert_cmpuint(counter(out, "hotpm", "flushes"), >, 0);
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(remote(sock, &out, info), ==, 0);
    assert_contains(out, "hot.img");
    g_clear_pointer(&out, g_free);
    /* Unplug: the guest ejects it, its memory slot goes with it. */
    g_assert_cmpint(remote(sock, &out, remove), ==, 0);
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(remote(sock, &out, info), ==, 0);
    g_assert_null(strstr(out, "hot.img"));
    g_clear_pointer(&out, g_free);
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, GUEST_OK, BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    assert_contains(out, "pmem-hot-gone");
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);

    g_assert_true(file_has(shared, EXT_DATA));
    g_assert_true(file_all(discard, 'B'));
    g_assert_true(file_has(hot, HOT_DATA));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pmem/ext-discard-hotplug", test_pmem);
    return g_test_run();
}

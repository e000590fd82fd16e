/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test: a PCI segment behind the virtio-iommu, and a disk hot-added there. */
#include <config.h>

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * The harness's guest kernel (Debian 12, 6.1) has no virtio-iommu driver
 * (CONFIG_VIRTIO_IOMMU unset), so the IOMMU stays in bypass: what this
 * shows is the wiring.  The disk and the rng offer VIRTIO_F_ACCESS_PLATFORM
 * and the guest's drivers accept it (then using the DMA API, direct-mapped
 * without an IOMMU driver) and still work: the guest reads the disk's
 * contents and writes to it, and reads the rng.  The firmware gives the
 * guest a VIOT table, and the IOMMU's PCI function (1af4:1057) is there.
 * The translation itself is covered by tests/unit/test-virtio-iommu.
 * The VM runs with --platform iommu_segments=[0], CH's way of putting a
 * whole segment behind the IOMMU: every device on it has iommu=on, and a
 * disk hot-added with iommu=on offers ACCESS_PLATFORM to the guest, which
 * writes to it, and is hot-removed again.  (A VM with per-device iommu=on
 * only, whose hot-plug refusals are in tests/unit/test-registry-iommu,
 * boots in tests/integration/test-nimbusd-iommu.py.)  The API refuses
 * what the IOMMU rules out: a device without iommu=on on that segment, a
 * snapshot and a migration.
 */

#define MIB (1024 * 1024)
#define MARKER "nimbus-iommu-written-by-guest"
#define HOT_MARKER "nimbus-iommu-hot-disk"

/* Runs nimbus-remote @args, expecting it to fail with @message. */
static void
remote_refused(const char *socket, const char *message,
               const char *const *args)
{
    g_autofree char *out = NULL;

    g_assert_cmpint(remote(socket, &out, args), !=, 0);
    assert_contains(out, message);
}

static void
test_iommu(void)
{
    g_autofree char *img = path_in_tmp("disk.img");
    g_autofree char *hot = path_in_tmp("hot.img");
    g_autofree char *snap = path_in_tmp("snap");
    g_autofree char *snap_url = g_strdup_printf("file://%s", snap);
    g_autofree char *sock = path_in_tmp("api.sock");
    g_autofree char *api = g_strdup_printf("path=%s", sock);
    g_autofree char *disk = g_strdup_printf("path=%s,iommu=on", img);
    g_autofree char *hot_disk = g_strdup_printf("path=%s,iommu=on,id=hot",
                                                hot);
    g_autofree char *plain_disk = g_strdup_printf("path=%s,id=plain", hot);
    g_autofree char *data = g_malloc(8 * MIB);
    g_autofree char *want = NULL;
    g_autofree char *want_line = NULL;
    g_autofree char *out = NULL;
    g_autofree char *after = NULL;
    gsize len = 0;
    GRand *rand = g_rand_new_with_seed(1057);
    const char *args[] = { "--api-socket", api, "--disk", disk,
                           "--rng", "src=/dev/urandom,iommu=on",
                           "--platform", "iommu_segments=[0]", NULL };
    GuestSpec g = {
        .script =
            "echo \"viot: $([ -e /sys/firmware/acpi/tables/VIOT ] && echo "
            "present || echo absent)\"\n"
            "for d in /sys/bus/pci/devices/*; do echo \"pci: "
            "$(cat $d/vendor):$(cat $d/device) ${d##*/}\"; done\n"
            /* sysfs features: one character per bit, bit 33 is the
             * 34th: what the driver accepted. */
            "echo \"vda-access-platform: "
            "$(cut -c34 /sys/block/vda/device/features)\"\n"
            "for v in /sys/bus/virtio/drivers/virtio_rng/virtio*; do "
            "echo \"rng-access-platform: $(cut -c34 $v/features)\"; done\n"
            "echo \"rng-bytes: $(head -c 65536 /dev/hwrng | wc -c)\"\n"
            "echo \"vda-sha256: $(head -c 4194304 /dev/vda | sha256sum)\"\n"
            "printf " MARKER " | dd of=/dev/vda bs=512 seek=8192 "
            "conv=fsync 2>/dev/null && echo vda-written\n"
            "echo iommu-ready\n"
            "read -r reply\n"
            "echo \"host-replied: $reply\"\n"
            "i=0\n"
            "while [ ! -b /dev/vdb ] && [ $i -lt 600 ]; do sleep 0.1; "
            "i=$((i + 1)); done\n"
            "echo \"vdb-access-platform: "
            "$(cut -c34 /sys/block/vdb/device/features)\"\n"
            "printf " HOT_MARKER " | dd of=/dev/vdb conv=fsync 2>/dev/null "
            "&& echo vdb-written\n"
            "read -r reply\n"
            "[ -b /dev/vdb ] && echo vdb-still-there || echo vdb-gone\n",
        .args = args,
    };
    const char *info[] = { "info", NULL };
    const char *counters[] = { "counters", NULL };
    const char *add[] = { "add-disk", hot_disk, NULL };
    const char *add_plain[] = { "add-disk", plain_disk, NULL };
    const char *remove[] = { "remove-device", "hot", NULL };
    const char *migrate[] = { "send-migration", "tcp:127.0.0.1:9", NULL };
    const char *pause[] = { "pause", NULL };
    const char *snapshot[] = { "snapshot", snap_url, NULL };
    const char *resume[] = { "resume", NULL };
    g_autoptr(TestProc) p = NULL;

    for (gsize i = 0; i < 8 * MIB; i += 4)
        *(guint32 *)(data + i) = g_rand_int(rand);
    g_rand_free(rand);
    g_assert_true(g_file_set_contents(img, data, 8 * MIB, NULL));
    g_assert_true(g_file_set_contents(hot, "", 0, NULL));
    g_assert_cmpint(truncate(hot, MIB), ==, 0);
    want = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
                                       (const guchar *)data, 4 * MIB);
    p = guest_spawn(&g);
    g_assert_true(test_proc_wait_output(p, "iommu-ready", BOOT_TIMEOUT_MS));

    /* vm.info's config says so (CH's top-level iommu), and the IOMMU has
     * counters like any virtio device. */
    g_assert_cmpint(remote(sock, &out, info), ==, 0);
    assert_contains(out, "\"iommu\":true");
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(remote(sock, &out, counters), ==, 0);
    assert_contains(out, "\"__iommu\"");
    g_clear_pointer(&out, g_free);
    remote_refused(sock, "PCI segment 0 is behind the virtio-iommu "
                   "(platform.iommu_segments), so each device on it needs "
                   "iommu=true", add_plain);
    remote_refused(sock, "cannot migrate a VM with a virtio-iommu", migrate);
    g_assert_cmpint(remote(sock, &out, pause), ==, 0);
    g_clear_pointer(&out, g_free);
    remote_refused(sock, "its virtio-iommu ('__iommu') has no saved state",
                   snapshot);
    g_assert_false(g_file_test(snap, G_FILE_TEST_EXISTS));
    g_assert_cmpint(remote(sock, &out, resume), ==, 0);
    g_clear_pointer(&out, g_free);

    /* The segment's every slot is in the VIOT: a disk with iommu=on
     * joins it while the guest runs, and leaves again. */
    g_assert_cmpint(remote(sock, &out, add), ==, 0);
    assert_contains(out, "\"id\":\"hot\"");
    g_clear_pointer(&out, g_free);
    test_proc_write(p, "carry-on\n");
    g_assert_true(test_proc_wait_output(p, "vdb-written", BOOT_TIMEOUT_MS));
    g_assert_cmpint(remote(sock, &out, remove), ==, 0);
    g_clear_pointer(&out, g_free);
    test_proc_write(p, "removed\n");
    g_assert_true(test_proc_wait_output(p, GUEST_OK, BOOT_TIMEOUT_MS));
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
    out = test_proc_output(p);
    assert_contains(out, "host-replied: carry-on");
    assert_contains(out, "viot: present");
    assert_contains(out, "pci: 0x1af4:0x1057");
    assert_contains(out, "vda-access-platform: 1");
    assert_contains(out, "rng-access-platform: 1");
    assert_contains(out, "rng-bytes: 65536");
    want_line = g_strdup_printf("vda-sha256: %s", want);
    assert_contains(out, want_line);
    assert_contains(out, "vda-written");
    assert_contains(out, "vdb-access-platform: 1");
    assert_contains(out, "vdb-gone");
    g_clear_pointer(&after, g_free);
    g_assert_true(g_file_get_contents(hot, &after, &len, NULL));
    g_assert_true(memcmp(after, HOT_MARKER, strlen(HOT_MARKER)) == 0);
    g_clear_pointer(&after, g_free);
    g_assert_true(g_file_get_contents(img, &after, &len, NULL));
    g_assert_cmpuint(len, ==, 8 * MIB);
    g_assert_true(memcmp(after + 4 * MIB, MARKER, strlen(MARKER)) == 0);
    g_assert_true(memcmp(after, data, 4 * MIB) == 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/iommu/segment-bypass", test_iommu);
    return g_test_run();
}

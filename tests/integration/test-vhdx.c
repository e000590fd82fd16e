/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test: a guest reads a fixed VHD and a VHDX from qemu-img, writes the VHDX. */
#include <config.h>

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

#define DISK_SIZE (8 * 1024 * 1024)

/* One guest, two disks from the same raw data: vda a fixed VHD (image_type
 * given), vdb a dynamic VHDX with 1 MiB blocks and holes (autodetected).
 * The guest hashes both, writes 2 MiB across a hole and a block boundary
 * of the VHDX and reads it back; afterwards qemu-img check is clean and
 * qemu-img reads what the guest wrote. */
static void
test_vhd_vhdx(void)
{
    g_autofree char *raw = path_in_tmp("src.raw");
    g_autofree char *vhd = path_in_tmp("disk.vhd");
    g_autofree char *vhdx = path_in_tmp("disk.vhdx");
    g_autofree guchar *data = g_malloc0(DISK_SIZE);
    g_autofree char *want = NULL;
    g_autofree char *want_vda = NULL;
    g_autofree char *want_vdb = NULL;
    g_autofree char *d1 = g_strdup_printf("path=%s,image_type=vhd", vhd);
    g_autofree char *d2 = g_strdup_printf("path=%s", vhdx);
    g_autofree char *cmd = NULL;
    g_autofree char *o = NULL;
    g_autofree char *out = NULL;
    const char *args[] = { "--disk", d1, "--disk", d2, NULL };
    GuestSpec g = {
        .script =
            "echo \"vda-sha: $(sha256sum < /dev/vda)\"\n"
            "echo \"vdb-sha: $(sha256sum < /dev/vdb)\"\n"
            "echo \"vda-size: $(cat /sys/block/vda/size)\"\n"
            "head -c 2097152 /dev/urandom > /tmp/a\n"
            "dd if=/tmp/a of=/dev/vdb bs=64k seek=40 oflag=direct 2>/dev/null\n"
            "sync\n"
            "echo 3 > /proc/sys/vm/drop_caches\n"
            "dd if=/dev/vdb of=/tmp/b bs=64k skip=40 count=32 iflag=direct 2>/dev/null\n"
            "cmp /tmp/a /tmp/b && echo vhdx-data-ok\n"
            "echo \"written-sha: $(sha256sum < /tmp/a)\"\n",
        .args = args,
    };
    g_autofree char *line_a = NULL;
    g_autofree char *line_b = NULL;
    g_autofree char *hash = NULL;
    const char *w;

    /* Data in every other MiB: the VHDX has unallocated blocks. */
    for (size_t i = 0; i < DISK_SIZE; i++) {
        if ((i >> 20) % 2 == 0)
            data[i] = (guchar)("nimbus-vhdx-"[i % 12] + (i / 4096) % 5);
    }
    g_assert_true(g_file_set_contents(raw, (const char *)data, DISK_SIZE,
                                      NULL));
    want = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, DISK_SIZE);
    cmd = g_strdup_printf("qemu-img convert -f raw -O vpc -o "
                          "subformat=fixed,force_size=on '%s' '%s' && "
                          "qemu-img convert -f raw -O vhdx -o block_size=1M "
                          "'%s' '%s'", raw, vhd, raw, vhdx);
    o = sh(cmd);

    out = guest_run(&g);
    line_a = g_strdup_printf("vda-sha: %s", want);
    line_b = g_strdup_printf("vdb-sha: %s", want);
    assert_contains(out, line_a);
    assert_contains(out, line_b);
    assert_contains(out, "vda-size: 16384");
    assert_contains(out, "vhdx-data-ok");
    w = strstr(out, "written-sha: ");
    g_assert_nonnull(w);

    g_clear_pointer(&cmd, g_free);
    g_clear_pointer(&o, g_free);
    cmd = g_strdup_printf("qemu-img check -f vhdx '%s' && "
                          "qemu-img convert -f vhdx -O raw '%s' '%s.out' && "
                          "dd if='%s.out' bs=64k skip=40 count=32 2>/dev/null"
                          " | sha256sum", vhdx, vhdx, vhdx, vhdx);
    o = sh(cmd);
    g_assert_nonnull(strstr(o, "No errors"));
    hash = g_strndup(w + strlen("written-sha: "), 64);
    g_assert_nonnull(strstr(o, hash));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vhdx/vhd-and-vhdx", test_vhd_vhdx);
    return g_test_run();
}

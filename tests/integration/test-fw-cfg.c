/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test: a guest finds fw_cfg (ACPI QEMU0002) and reads a string and a file item. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * One guest boot with --fw-cfg-config items=[...]: the harness kernel's
 * qemu_fw_cfg module (added to the guest initramfs here: the shared
 * assets do not load it) binds to \_SB_.FWCF, reads the signature, the
 * feature bits and the file directory through the ports, and exposes the
 * items under /sys/firmware/qemu_fw_cfg/by_name.  The guest prints the
 * string item and the SHA-256 of the file item (6000 bytes, two pages),
 * which must match the host's.  Before it, nimbus refuses an item whose
 * file is missing, naming it, without booting anything.
 */

#define ITEM_STRING "hello from nimbus"

static void
test_missing_file(void)
{
    g_autofree char *nimbus = test_build_path("nimbus");
    g_autofree char *kernel = test_asset("vmlinux");
    g_autofree char *missing = path_in_tmp("no-such-item");
    g_autofree char *arg = g_strdup_printf(
        "items=[name=opt/org.nimbus/file,file=%s]", missing);
    g_autofree char *out = NULL;
    const char *argv[] = { nimbus, "--kernel", kernel, "--memory",
                           "size=128M", "--fw-cfg-config", arg, NULL };

    g_assert_cmpint(test_run(argv, &out, 120 * 1000), !=, 0);
    assert_contains(out, "--fw-cfg-config items[0]");
    assert_contains(out, missing);
}

/* The guest initramfs plus the qemu_fw_cfg module, where busybox's insmod
 * finds it: /lib/modules/<release>/<its path>. */
static char *
initrd_with_fw_cfg(char **module_path)
{
    g_autofree char *modules = test_asset("modules");
    g_autofree char *kver_file = test_asset("kernel-release");
    g_autofree char *kver = NULL;
    g_autofree char *found = NULL;
    g_autofree char *stage = path_in_tmp("fwcfg-stage");
    g_autofree char *cmd = NULL;
    g_autofree char *o = NULL;

    g_assert_true(g_file_get_contents(kver_file, &kver, NULL, NULL));
    g_strstrip(kver);
    cmd = g_strdup_printf("cd '%s' && find -L . -name 'qemu_fw_cfg.ko*' | "
                          "head -n1", modules);
    found = sh(cmd);
    g_strstrip(found);
    if (!*found) {
        g_test_message("the harness kernel has no qemu_fw_cfg module under "
                       "%s", modules);
        g_test_fail();
    }
    g_free(cmd);
    cmd = g_strdup_printf("d='%s/lib/modules/%s'; mkdir -p \"$d/$(dirname "
                          "'%s')\" && cp -L '%s/%s' \"$d/%s\"", stage, kver,
                          found, modules, found, found);
    o = sh(cmd);
    *module_path = g_strdup_printf("/lib/modules/%s/%s", kver, found + 2);
    return initrd_with("fwcfg-initrd.cpio", stage);
}

static void
test_guest_reads_items(void)
{
    g_autofree char *file = path_in_tmp("fwcfg-item.bin");
    g_autofree char *module = NULL;
    g_autofree char *initrd = initrd_with_fw_cfg(&module);
    g_autofree char *sum = NULL;
    g_autofree char *arg = NULL;
    g_autofree char *script = NULL;
    g_autofree char *expect = NULL;
    g_autofree char *out = NULL;
    g_autofree char *cmd = NULL;
    const char *args[3] = { "--fw-cfg-config", NULL, NULL };
    GuestSpec g = { 0 };

    /* Random bytes over more than one page, not a string.  Small: Linux
     * reads sysfs's raw files through the data port, a byte per access,
     * and skips to each page's offset by reading from the start again,
     * which takes minutes per 100 KiB in the emulated harness. */
    cmd = g_strdup_printf("head -c 6000 /dev/urandom > '%s' && "
                          "sha256sum '%s' | cut -d' ' -f1", file, file);
    sum = sh(cmd);
    g_strstrip(sum);
    arg = g_strdup_printf("items=[name=opt/org.nimbus/test,string="
                          ITEM_STRING ":name=opt/org.nimbus/file,file=%s]",
                          file);
    args[1] = arg;
    script = g_strdup_printf(
        "insmod %s || exit 1\n"
        "d=/sys/firmware/qemu_fw_cfg\n"
        "test -d $d/by_name/opt/org.nimbus || { ls -R $d; exit 2; }\n"
        "echo \"fwcfg-rev: $(cat $d/rev)\"\n"
        "echo \"fwcfg-string: $(cat $d/by_name/opt/org.nimbus/test/raw)\"\n"
        "echo \"fwcfg-sha256: $(sha256sum "
        "$d/by_name/opt/org.nimbus/file/raw | cut -d' ' -f1)\"\n"
        "echo \"fwcfg-e820: $(cat $d/by_name/etc/e820/size)\"\n",
        module);
    g.script = script;
    g.initrd = initrd;
    g.args = args;
    out = guest_run(&g);
    assert_contains(out, "fwcfg-string: " ITEM_STRING);
    expect = g_strdup_printf("fwcfg-sha256: %s", sum);
    assert_contains(out, expect);
    /* Traditional interface and DMA. */
    assert_contains(out, "fwcfg-rev: 3");
    /* etc/e820 is on by default: whole 20-byte entries. */
    assert_contains(out, "fwcfg-e820: ");
    g_assert_null(strstr(out, "fwcfg-e820: 0\n"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fw-cfg/missing-file", test_missing_file);
    g_test_add_func("/fw-cfg/guest-reads-items", test_guest_reads_items);
    return g_test_run();
}

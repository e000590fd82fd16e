/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: fw_cfg's ports, file directory, DMA and payload keys; its config's rules. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "config/vm-config-fwcfg.h"
#include "config/vm-config-schema.h"
#include "devices/legacy/fw-cfg.h"
#include "tests/unit/fake-vm.h"

#define RAM (1u << 20)
#define SEL FW_CFG_PIO_BASE
#define DATA (FW_CFG_PIO_BASE + 1)
#define DMA_HI (FW_CFG_PIO_BASE + 4)
#define DMA_LO (FW_CFG_PIO_BASE + 8)
#define DESC 0x1000ull
#define BUF 0x2000ull

typedef struct {
    FakeHost *vm;
    VmmDevice *dev;
    char *tmpdir;
} Fixture;

static void
fx_setup(Fixture *fx, gconstpointer data)
{
    g_autoptr(GBytes) hello = g_bytes_new_static("hello", 5);
    g_autoptr(GBytes) big = NULL;
    uint8_t *b = g_malloc(10000);

    for (unsigned i = 0; i < 10000; i++)
        b[i] = (uint8_t)(i * 7);
    big = g_bytes_new_take(b, 10000);
    fx->vm = fake_host_new(RAM);
    fx->dev = fw_cfg_new(fake_host_base(fx->vm), FW_CFG_ID);
    g_assert_true(fw_cfg_add_file(fx->dev, "opt/a", hello, NULL));
    g_assert_true(fw_cfg_add_file(fx->dev, "opt/big", big, NULL));
    g_assert_true(fake_host_add(fx->vm, fx->dev, NULL));
    fx->tmpdir = g_dir_make_tmp("fwcfg-XXXXXX", NULL);
}

static void
fx_teardown(Fixture *fx, gconstpointer data)
{
    fake_host_free(fx->vm);
    if (fx->tmpdir) {
        g_autoptr(GDir) d = g_dir_open(fx->tmpdir, 0, NULL);
        const char *n;

        while (d && (n = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(fx->tmpdir, n, NULL);

            g_unlink(p);
        }
        g_rmdir(fx->tmpdir);
        g_free(fx->tmpdir);
    }
}

static void
sel(Fixture *fx, uint16_t key)
{
    fake_host_pio_write(fx->vm, SEL, 2, key);
}

static void
read_bytes(Fixture *fx, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = fake_host_inb(fx->vm, DATA);
}

static uint32_t
be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | p[2] << 8 | p[3];
}

/* Writes the DMA address as a guest does: two big-endian halves. */
static void
dma_kick(Fixture *fx, uint64_t desc)
{
    fake_host_pio_write(fx->vm, DMA_HI, 4,
                        GUINT32_SWAP_LE_BE((uint32_t)(desc >> 32)));
    fake_host_pio_write(fx->vm, DMA_LO, 4, GUINT32_SWAP_LE_BE((uint32_t)desc));
}

/* One FWCfgDmaAccess at DESC; returns the control word written back. */
static uint32_t
dma(Fixture *fx, uint32_t control, uint32_t length, uint64_t addr)
{
    GuestMemory *mem = fake_host_get_memory(fx->vm);
    uint8_t d[16];
    uint32_t c = GUINT32_TO_BE(control), l = GUINT32_TO_BE(length);
    uint64_t a = GUINT64_TO_BE(addr);

    memcpy(d, &c, 4);
    memcpy(d + 4, &l, 4);
    memcpy(d + 8, &a, 8);
    g_assert_cmpint(guest_mem_write(mem, DESC, d, sizeof(d)), ==, 0);
    dma_kick(fx, DESC);
    g_assert_cmpint(guest_mem_read(mem, DESC, d, 4), ==, 0);
    return be32(d);
}

static void
test_signature_and_id(Fixture *fx, gconstpointer data)
{
    uint8_t b[8];

    sel(fx, FW_CFG_KEY_SIGNATURE);
    read_bytes(fx, b, 5);
    g_assert_cmpmem(b, 4, "QEMU", 4);
    g_assert_cmpuint(b[4], ==, 0);            /* past the end */
    sel(fx, FW_CFG_KEY_ID);
    read_bytes(fx, b, 4);
    g_assert_cmpuint(b[0], ==, FW_CFG_FEATURE_TRADITIONAL |
                                   FW_CFG_FEATURE_DMA);
    /* The DMA register reads as "QEMU CFG". */
    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)fake_host_pio_read(fx->vm, DMA_HI + i, 1);
    g_assert_cmpmem(b, 8, FW_CFG_DMA_SIGNATURE, 8);
    /* Reselecting starts over. */
    sel(fx, FW_CFG_KEY_SIGNATURE);
    g_assert_cmpuint(fake_host_inb(fx->vm, DATA), ==, 'Q');
}

static void
test_directory(Fixture *fx, gconstpointer data)
{
    uint8_t b[4 + 2 * FW_CFG_FILE_ENTRY_SIZE];
    const uint8_t *e;

    sel(fx, FW_CFG_KEY_FILE_DIR);
    read_bytes(fx, b, sizeof(b));
    g_assert_cmpuint(be32(b), ==, 2);
    e = b + 4;
    g_assert_cmpuint(be32(e), ==, 5);
    g_assert_cmpuint(e[4] << 8 | e[5], ==, FW_CFG_KEY_FILE_FIRST);
    g_assert_cmpstr((const char *)e + 8, ==, "opt/a");
    e += FW_CFG_FILE_ENTRY_SIZE;
    g_assert_cmpuint(be32(e), ==, 10000);
    g_assert_cmpuint(e[4] << 8 | e[5], ==, FW_CFG_KEY_FILE_FIRST + 1);
    g_assert_cmpstr((const char *)e + 8, ==, "opt/big");

    sel(fx, FW_CFG_KEY_FILE_FIRST);
    read_bytes(fx, b, 6);
    g_assert_cmpmem(b, 6, "hello\0", 6);
}

static void
test_bad_selectors(Fixture *fx, gconstpointer data)
{
    /* No such file, the write channel, arch-local keys, an empty fixed
     * key: all read zeros. */
    const uint16_t keys[] = { FW_CFG_KEY_FILE_FIRST + 2, 0x3fff,
                              FW_CFG_KEY_WRITE | FW_CFG_KEY_FILE_FIRST,
                              FW_CFG_KEY_ARCH_LOCAL, 0x8003,
                              FW_CFG_KEY_KERNEL_SIZE };

    for (unsigned i = 0; i < G_N_ELEMENTS(keys); i++) {
        sel(fx, keys[i]);
        for (unsigned j = 0; j < 8; j++)
            g_assert_cmpuint(fake_host_inb(fx->vm, DATA), ==, 0);
    }
    /* Writes to the data port change nothing. */
    sel(fx, FW_CFG_KEY_FILE_FIRST);
    fake_host_outb(fx->vm, DATA, 'X');
    g_assert_cmpuint(fake_host_inb(fx->vm, DATA), ==, 'h');
    /* The selector reads 0; odd-sized accesses are ignored. */
    g_assert_cmpuint(fake_host_pio_read(fx->vm, SEL, 2), ==, 0);
    fake_host_pio_write(fx->vm, SEL + 2, 4, 0xffffffff);
    fake_host_pio_write(fx->vm, DMA_HI, 2, 0xffff);
    g_assert_cmpuint(fake_host_inb(fx->vm, DATA), ==, 'e');
}

static void
test_dma_read(Fixture *fx, gconstpointer data)
{
    GuestMemory *mem = fake_host_get_memory(fx->vm);
    g_autofree uint8_t *out = g_malloc(12000);

    /* Select + read the big file whole, in one transfer. */
    g_assert_cmpuint(dma(fx, (FW_CFG_KEY_FILE_FIRST + 1) << 16 |
                                 FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
                         10000, BUF), ==, 0);
    g_assert_cmpint(guest_mem_read(mem, BUF, out, 10000), ==, 0);
    for (unsigned i = 0; i < 10000; i++)
        g_assert_cmpuint(out[i], ==, (uint8_t)(i * 7));
    g_assert_true(fake_host_page_dirty(fx->vm, BUF));

    /* Skip 100, read 4: the offset carries over. */
    g_assert_cmpuint(dma(fx, (FW_CFG_KEY_FILE_FIRST + 1) << 16 |
                                 FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP,
                         100, 0), ==, 0);
    g_assert_cmpuint(dma(fx, FW_CFG_DMA_CTL_READ, 4, BUF), ==, 0);
    g_assert_cmpint(guest_mem_read(mem, BUF, out, 4), ==, 0);
    for (unsigned i = 0; i < 4; i++)
        g_assert_cmpuint(out[i], ==, (uint8_t)((100 + i) * 7));

    /* Reading past the end fills zeros. */
    memset(out, 0xaa, 16);
    g_assert_cmpint(guest_mem_write(mem, BUF, out, 16), ==, 0);
    g_assert_cmpuint(dma(fx, FW_CFG_KEY_FILE_FIRST << 16 |
                                 FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
                         16, BUF), ==, 0);
    g_assert_cmpint(guest_mem_read(mem, BUF, out, 16), ==, 0);
    g_assert_cmpmem(out, 5, "hello", 5);
    for (unsigned i = 5; i < 16; i++)
        g_assert_cmpuint(out[i], ==, 0);

    /* A control word with no operation transfers nothing. */
    g_assert_cmpuint(dma(fx, 0, 16, BUF), ==, 0);
    /* Then the data port goes on from where DMA stopped. */
    sel(fx, FW_CFG_KEY_FILE_FIRST);
    g_assert_cmpuint(dma(fx, FW_CFG_DMA_CTL_SKIP, 1, 0), ==, 0);
    g_assert_cmpuint(fake_host_inb(fx->vm, DATA), ==, 'e');
}

static void
test_dma_hostile(Fixture *fx, gconstpointer data)
{
    GuestMemory *mem = fake_host_get_memory(fx->vm);
    uint8_t d[16] = { 0 };

    /* A buffer outside RAM, straddling its end, or wrapping around. */
    g_assert_cmpuint(dma(fx, FW_CFG_KEY_FILE_FIRST << 16 |
                                 FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
                         5, 1ull << 40), ==, FW_CFG_DMA_CTL_ERROR);
    g_assert_cmpuint(dma(fx, FW_CFG_KEY_FILE_FIRST << 16 |
                                 FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
                         5, RAM - 2), ==, FW_CFG_DMA_CTL_ERROR);
    g_assert_cmpuint(dma(fx, FW_CFG_DMA_CTL_READ, 0xffffffff,
                         G_MAXUINT64 - 4), ==, FW_CFG_DMA_CTL_ERROR);
    /* Past-the-end zeros that run off RAM. */
    g_assert_cmpuint(dma(fx, 0x3fff << 16 | FW_CFG_DMA_CTL_SELECT |
                                 FW_CFG_DMA_CTL_READ,
                         0xffffffff, BUF), ==, FW_CFG_DMA_CTL_ERROR);
    /* Writes are refused: items are read-only. */
    g_assert_cmpuint(dma(fx, FW_CFG_KEY_FILE_FIRST << 16 |
                                 FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE,
                         5, BUF), ==, FW_CFG_DMA_CTL_ERROR);
    sel(fx, FW_CFG_KEY_FILE_FIRST);
    g_assert_cmpuint(fake_host_inb(fx->vm, DATA), ==, 'h');
    /* A structure outside RAM, or straddling its end: dropped, nothing
     * written, the device still answers. */
    dma_kick(fx, 1ull << 40);
    dma_kick(fx, RAM - 8);
    dma_kick(fx, G_MAXUINT64 - 3);
    g_assert_cmpint(guest_mem_read(mem, RAM - 8, d, 8), ==, 0);
    g_assert_cmpuint(fake_host_inb(fx->vm, DATA), ==, 'e');
    /* The structure overlapping its own buffer still completes. */
    g_assert_cmpuint(dma(fx, FW_CFG_KEY_FILE_FIRST << 16 |
                                 FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
                         5, DESC), ==, 0);
}

static void
test_reset_and_state(Fixture *fx, gconstpointer data)
{
    sel(fx, FW_CFG_KEY_FILE_FIRST);
    g_assert_cmpuint(fake_host_inb(fx->vm, DATA), ==, 'h');
    fake_host_check_save_restore(fx->dev, fx->dev);
    g_assert_cmpuint(fake_host_inb(fx->vm, DATA), ==, 'e');
    fx->dev->ops->reset(fx->dev);
    g_assert_cmpuint(fake_host_inb(fx->vm, DATA), ==, 'Q');
}

static void
test_add_file_refusals(void)
{
    g_autoptr(FakeHost) vm = fake_host_new(RAM);
    g_autoptr(VmmDevice) dev = fw_cfg_new(fake_host_base(vm), FW_CFG_ID);
    g_autoptr(GBytes) b = g_bytes_new_static("x", 1);
    g_autoptr(GError) error = NULL;
    char longname[FW_CFG_FILE_NAME_SIZE + 1];

    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    g_assert_true(fw_cfg_add_file(dev, "opt/x", b, NULL));
    g_assert_false(fw_cfg_add_file(dev, "opt/x", b, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_clear_error(&error);
    g_assert_false(fw_cfg_add_file(dev, longname, b, &error));
    g_assert_nonnull(strstr(error->message, "not a valid file name"));
}

static char *
write_tmp(Fixture *fx, const char *name, const void *data, gsize len)
{
    char *p = g_build_filename(fx->tmpdir, name, NULL);

    g_assert_true(g_file_set_contents(p, data, (gssize)len, NULL));
    return p;
}

/* kernel/cmdline/initramfs keys and items from a PayloadConfig. */
static void
test_payload(Fixture *fx, gconstpointer data)
{
    g_autoptr(FakeHost) vm = fake_host_new(RAM);
    VmmDevice *dev = fw_cfg_new(fake_host_base(vm), FW_CFG_ID);
    uint8_t bz[4096] = { 0 };
    g_autofree char *kernel = NULL, *initrd = NULL, *item = NULL;
    PayloadConfig p = { 0 };
    FwCfgConfig c = { .kernel = true, .cmdline = true, .initramfs = true };
    FwCfgItemListConfig list = { 0 };
    FwCfgItemConfig it1 = { .name = "opt/org.nimbus/s", .string = "str" };
    FwCfgItemConfig it2 = { .name = "opt/org.nimbus/f" };
    Fixture f2 = { .vm = vm };
    uint8_t b[8];

    /* A bzImage with 2 setup sectors after the boot sector. */
    bz[0x1f1] = 2;
    memcpy(bz + 0x202, "HdrS", 4);
    bz[3 * 512] = 0xab;
    kernel = write_tmp(fx, "bz", bz, sizeof(bz));
    initrd = write_tmp(fx, "initrd", "INITRD", 6);
    item = write_tmp(fx, "item", "file-content", 12);
    it2.file = item;
    list.item_list = g_ptr_array_new();
    g_ptr_array_add(list.item_list, &it1);
    g_ptr_array_add(list.item_list, &it2);
    c.items = &list;
    p.kernel = kernel;
    p.initramfs = initrd;
    p.cmdline = "console=ttyS0";
    p.fw_cfg_config = &c;
    g_assert_true(fw_cfg_load_payload(dev, &p, NULL));
    g_ptr_array_unref(list.item_list);
    g_assert_true(fake_host_add(vm, dev, NULL));

    sel(&f2, FW_CFG_KEY_SETUP_SIZE);
    read_bytes(&f2, b, 4);
    g_assert_cmpuint(b[0] | b[1] << 8, ==, 3 * 512);
    sel(&f2, FW_CFG_KEY_SETUP_DATA);
    read_bytes(&f2, b, 1);
    sel(&f2, FW_CFG_KEY_KERNEL_SIZE);
    read_bytes(&f2, b, 4);
    g_assert_cmpuint(b[0] | b[1] << 8, ==, 4096 - 3 * 512);
    sel(&f2, FW_CFG_KEY_KERNEL_DATA);
    g_assert_cmpuint(fake_host_inb(vm, DATA), ==, 0xab);
    sel(&f2, FW_CFG_KEY_INITRD_SIZE);
    read_bytes(&f2, b, 4);
    g_assert_cmpuint(b[0], ==, 6);
    sel(&f2, FW_CFG_KEY_INITRD_DATA);
    read_bytes(&f2, b, 6);
    g_assert_cmpmem(b, 6, "INITRD", 6);
    sel(&f2, FW_CFG_KEY_CMDLINE_SIZE);
    read_bytes(&f2, b, 4);
    g_assert_cmpuint(b[0], ==, strlen("console=ttyS0") + 1);
    sel(&f2, FW_CFG_KEY_CMDLINE_DATA);
    read_bytes(&f2, b, 7);
    g_assert_cmpmem(b, 7, "console", 7);
    sel(&f2, FW_CFG_KEY_FILE_FIRST);
    read_bytes(&f2, b, 3);
    g_assert_cmpmem(b, 3, "str", 3);
    sel(&f2, FW_CFG_KEY_FILE_FIRST + 1);
    read_bytes(&f2, b, 4);
    g_assert_cmpmem(b, 4, "file", 4);
}

/* kernel=off etc.: the keys stay empty; a missing item file is named. */
static void
test_payload_off(Fixture *fx, gconstpointer data)
{
    g_autoptr(FakeHost) vm = fake_host_new(RAM);
    g_autoptr(VmmDevice) dev = fw_cfg_new(fake_host_base(vm), FW_CFG_ID);
    g_autofree char *kernel = write_tmp(fx, "k", "ELFKERNEL", 9);
    FwCfgConfig c = { 0 };
    FwCfgItemListConfig list = { 0 };
    FwCfgItemConfig it = { .name = "opt/x", .file = "/nonexistent/item" };
    PayloadConfig p = { .kernel = kernel, .cmdline = "x",
                        .fw_cfg_config = &c };
    g_autoptr(GError) error = NULL;

    g_assert_true(fw_cfg_load_payload(dev, &p, NULL));
    list.item_list = g_ptr_array_new();
    g_ptr_array_add(list.item_list, &it);
    c.items = &list;
    g_assert_false(fw_cfg_load_payload(dev, &p, &error));
    g_ptr_array_unref(list.item_list);
    g_assert_nonnull(strstr(error->message, "opt/x"));
    g_assert_nonnull(strstr(error->message, "/nonexistent/item"));
}

/* A non-bzImage kernel goes whole into KERNEL_DATA, with no setup. */
static void
test_payload_elf(Fixture *fx, gconstpointer data)
{
    g_autoptr(FakeHost) vm = fake_host_new(RAM);
    VmmDevice *dev = fw_cfg_new(fake_host_base(vm), FW_CFG_ID);
    g_autofree char *kernel = write_tmp(fx, "k", "\177ELFKERNEL", 10);
    FwCfgConfig c = { .kernel = true };
    PayloadConfig p = { .kernel = kernel, .fw_cfg_config = &c };
    Fixture f2 = { .vm = vm };
    uint8_t b[4];

    g_assert_true(fw_cfg_load_payload(dev, &p, NULL));
    g_assert_true(fake_host_add(vm, dev, NULL));
    sel(&f2, FW_CFG_KEY_KERNEL_SIZE);
    read_bytes(&f2, b, 4);
    g_assert_cmpuint(b[0], ==, 10);
    sel(&f2, FW_CFG_KEY_SETUP_SIZE);
    read_bytes(&f2, b, 4);
    g_assert_cmpuint(b[0], ==, 0);
    sel(&f2, FW_CFG_KEY_KERNEL_DATA);
    g_assert_cmpuint(fake_host_inb(vm, DATA), ==, 0x7f);
}

/* ---- the config: CLI, JSON and rules ------------------------------------ */

static VmConfig *
cli_config(const char *arg, GError **error)
{
    g_autoptr(VmConfig) c = vm_config_new();

    if (!vm_config_parse_fw_cfg(c, arg, error))
        return NULL;
    return g_steal_pointer(&c);
}

static void
test_config_cli(void)
{
    g_autoptr(VmConfig) c = cli_config(
        "e820=off,items=[name=opt/org.nimbus/a,string=hello:"
        "name=opt/org.nimbus/b,file=/tmp/b]", NULL);
    FwCfgConfig *f;
    FwCfgItemConfig *it;

    g_assert_nonnull(c);
    f = c->payload.fw_cfg_config;
    g_assert_false(f->e820);
    g_assert_true(f->kernel && f->cmdline && f->initramfs);
    g_assert_false(f->acpi_tables);
    g_assert_cmpuint(f->items->item_list->len, ==, 2);
    it = g_ptr_array_index(f->items->item_list, 0);
    g_assert_cmpstr(it->name, ==, "opt/org.nimbus/a");
    g_assert_cmpstr(it->string, ==, "hello");
    g_assert_null(it->file);
    it = g_ptr_array_index(f->items->item_list, 1);
    g_assert_cmpstr(it->file, ==, "/tmp/b");
    g_assert_true(vm_config_validate_fw_cfg(&c->payload, VM_CONFIG_NAMES_CLI,
                                            NULL));
}

static void
test_config_cli_refusals(void)
{
    static const struct {
        const char *arg, *msg;
    } cases[] = {
        { "acpi_table=on", "not supported yet" },
        { "items=[]", "the list is empty" },
        { "items=opt/a", "expected [name=" },
        { "items=name=opt/a,string=b", "unknown key 'string'" },
        { "items=[string=b]", "name= is required" },
        { "items=[name=opt/a,bogus=1]", "bogus" },
        { "frob=on", "frob" },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmConfig) c = cli_config(cases[i].arg, &error);

        g_assert_null(c);
        g_test_message("'%s': %s", cases[i].arg, error->message);
        g_assert_nonnull(strstr(error->message, cases[i].msg));
    }
}

static void
test_config_rules(void)
{
    static const struct {
        const char *arg, *msg;
    } cases[] = {
        { "items=[name=etc/x,string=a]", "must start with 'opt/'" },
        { "items=[name=opt/,string=a]", "empty, '.' or '..'" },
        { "items=[name=opt//a,string=a]", "empty, '.' or '..'" },
        { "items=[name=opt/../a,string=a]", "empty, '.' or '..'" },
        { "items=[name=opt/a b,string=a]", "printable ASCII" },
        { "items=[name=opt/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,"
          "string=a]", "longer than 55 bytes" },
        { "items=[name=opt/a,string=a:name=opt/a,string=b]",
          "named by another item" },
        { "items=[name=opt/a]", "exactly one of file and string" },
        { "items=[name=opt/a,string=a,file=/b]",
          "exactly one of file and string" },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmConfig) c = cli_config(cases[i].arg, NULL);

        g_assert_nonnull(c);
        g_assert_false(vm_config_validate_fw_cfg(&c->payload,
                                                 VM_CONFIG_NAMES_CLI, &error));
        g_test_message("'%s': %s", cases[i].arg, error->message);
        g_assert_nonnull(strstr(error->message, cases[i].msg));
        g_assert_true(g_str_has_prefix(error->message,
                                       "--fw-cfg-config items["));
    }
    /* 55 bytes is the longest name. */
    {
        const char *why = NULL;

        g_assert_true(vm_config_fw_cfg_name_valid(
            "opt/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &why));
    }
}

static void
test_config_json(void)
{
    const char *json =
        "{\"payload\": {\"kernel\": \"/k\", \"fw_cfg_config\": "
        "{\"e820\": true, \"kernel\": false, \"cmdline\": true, "
        "\"initramfs\": true, \"acpi_tables\": false, \"items\": "
        "{\"item_list\": [{\"name\": \"opt/a\", \"string\": \"x\"}]}}}}";
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_from_json(json, -1, &error);
    g_autofree char *out = NULL;
    g_autoptr(VmConfig) back = NULL;

    g_assert_no_error(error);
    g_assert_false(c->payload.fw_cfg_config->kernel);
    out = vm_config_to_json(c, false);
    back = vm_config_from_json(out, -1, &error);
    g_assert_no_error(error);
    g_assert_true(vschema_equal(&vschema_vm, c, back));
    g_assert_nonnull(strstr(out, "\"item_list\""));
    g_assert_nonnull(strstr(out, "\"acpi_tables\""));

    /* acpi_tables=true is refused by name. */
    g_clear_pointer(&c, vm_config_free);
    c = vm_config_from_json("{\"payload\": {\"kernel\": \"/k\", "
                            "\"fw_cfg_config\": {\"acpi_tables\": true}}}",
                            -1, &error);
    g_assert_null(c);
    g_assert_nonnull(strstr(error->message, "acpi_tables"));
}

static void
test_config_check_host(Fixture *fx, gconstpointer data)
{
    g_autofree char *ok = write_tmp(fx, "ok", "x", 1);
    g_autofree char *arg = g_strdup_printf("items=[name=opt/a,file=%s]", ok);
    g_autoptr(VmConfig) c = cli_config(arg, NULL);
    g_autoptr(VmConfig) bad = cli_config(
        "items=[name=opt/a,string=s:name=opt/b,file=/nonexistent/f]", NULL);
    g_autoptr(VmConfig) dir = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *darg = g_strdup_printf("items=[name=opt/d,file=%s]",
                                            fx->tmpdir);

    g_assert_true(vm_config_check_host_fw_cfg(&c->payload,
                                              VM_CONFIG_NAMES_CLI, NULL));
    g_assert_false(vm_config_check_host_fw_cfg(&bad->payload,
                                               VM_CONFIG_NAMES_JSON, &error));
    g_assert_cmpstr(error->message, ==,
                    "payload.fw_cfg_config.items.item_list[1]: "
                    "/nonexistent/f: No such file or directory");
    g_clear_error(&error);
    dir = cli_config(darg, NULL);
    g_assert_false(vm_config_check_host_fw_cfg(&dir->payload,
                                               VM_CONFIG_NAMES_CLI, &error));
    g_assert_nonnull(strstr(error->message, "not a regular file"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define FX(path, fn)                                                           \
    g_test_add(path, Fixture, NULL, fx_setup, fn, fx_teardown)
    FX("/fw-cfg/signature-and-id", test_signature_and_id);
    FX("/fw-cfg/directory", test_directory);
    FX("/fw-cfg/bad-selectors", test_bad_selectors);
    FX("/fw-cfg/dma-read", test_dma_read);
    FX("/fw-cfg/dma-hostile", test_dma_hostile);
    FX("/fw-cfg/reset-and-state", test_reset_and_state);
    g_test_add_func("/fw-cfg/add-file-refusals", test_add_file_refusals);
    FX("/fw-cfg/payload", test_payload);
    FX("/fw-cfg/payload-off", test_payload_off);
    FX("/fw-cfg/payload-elf", test_payload_elf);
    g_test_add_func("/fw-cfg/config/cli", test_config_cli);
    g_test_add_func("/fw-cfg/config/cli-refusals", test_config_cli_refusals);
    g_test_add_func("/fw-cfg/config/rules", test_config_rules);
    g_test_add_func("/fw-cfg/config/json", test_config_json);
    FX("/fw-cfg/config/check-host", test_config_check_host);
    return g_test_run();
}

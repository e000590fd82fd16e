/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for ivshmem-plain: config rules, PCI identity, registers, BAR2's memory slot. */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/pci/ivshmem.h"
#include "devices/pci/pci-bus.h"
#include "devices/registry.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"

#define SLOT 5
#define CFG(off) (PCI_ECAM_BASE + ((uint64_t)SLOT << 15) + (off))
#define SHM_SIZE (64 * 1024)

static const VmConfigKind *
kind(void)
{
    return ivshmem_type.kind;
}

/* A new file of @size bytes in the test directory, byte i being
 * (i * 7 + @seed) & 0xff; (transfer full) its path. */
static char *
make_file(const char *name, uint64_t size, uint8_t seed)
{
    g_autofree char *path = g_build_filename(test_tmpdir(), name, NULL);
    g_autofree uint8_t *buf = g_malloc(size ? size : 1);
    int fd;

    for (uint64_t i = 0; i < size; i++)
        buf[i] = (uint8_t)(i * 7 + seed);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, buf, size), ==, (ssize_t)size);
    close(fd);
    return g_steal_pointer(&path);
}

/* ---- Config -------------------------------------------------------------- */

/* A config with @cli as --ivshmem, validated (and checked against the
 * host when @host); NULL with @error set on refusal. */
static VmConfig *
config_parse(const char *cli, bool host, GError **error)
{
    g_autoptr(VmConfig) c = vm_config_new();
    gpointer entry = vm_config_kind_parse_cli(kind(), cli, error);

    if (!entry)
        return NULL;
    c->payload.kernel = make_file("vmlinux", 4096, 0);
    vm_config_kind_append(c, kind(), entry);
    if (!vm_config_validate(c, error) ||
        (host && !vm_config_check_host(c, VM_CONFIG_NAMES_CLI, error)))
        return NULL;
    return g_steal_pointer(&c);
}

static VmConfig *
config_with(const char *cli, GError **error)
{
    return config_parse(cli, true, error);
}

static void
test_config(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = make_file("shm", 2u << 20, 0);
    g_autofree char *cli = g_strdup_printf("path=%s,size=2M", path);
    g_autoptr(VmConfig) c = config_with(cli, &error);
    g_autoptr(VmConfig) back = NULL;
    g_autofree char *json = NULL;
    g_autofree char *want = NULL;
    gconstpointer entry;

    g_assert_no_error(error);
    g_assert_cmpuint(vm_config_kind_count(c, kind()), ==, 1);
    entry = vm_config_kind_entry(c, kind(), 0);
    g_assert_cmpstr(vm_config_kind_id(kind(), entry), ==, "__ivshmem");
    json = vm_config_to_json(c, false);
    want = g_strdup_printf("\"ivshmem\":{\"id\":\"__ivshmem\","
                           "\"path\":\"%s\",\"size\":2097152}", path);
    g_assert_nonnull(strstr(json, want));
    back = vm_config_from_json(json, -1, &error);
    g_assert_no_error(error);
    g_assert_true(vm_config_validate(back, &error));
    g_assert_cmpuint(vm_config_kind_count(back, kind()), ==, 1);

    /* CH's CLI default size is 128 MiB; its JSON has no default. */
    g_clear_pointer(&c, vm_config_free);
    g_clear_pointer(&json, g_free);
    c = config_parse("path=/x", false, &error);
    g_assert_no_error(error);
    json = vm_config_to_json(c, false);
    g_assert_nonnull(strstr(json, "\"size\":134217728"));
    g_clear_pointer(&back, vm_config_free);
    back = vm_config_from_json("{\"payload\":{\"kernel\":\"k\"},"
                               "\"ivshmem\":{\"path\":\"/x\"}}", -1, &error);
    g_assert_null(back);
    g_assert_nonnull(strstr(error->message, "size"));
    g_clear_error(&error);
    back = vm_config_from_json("{\"payload\":{\"kernel\":\"k\"},"
                               "\"ivshmem\":{\"size\":4096}}", -1, &error);
    g_assert_null(back);
    g_assert_nonnull(strstr(error->message, "path"));
}

static void
test_config_refusals(void)
{
    g_autofree char *small = make_file("small", 4096, 0);
    g_autofree char *missing = g_build_filename(test_tmpdir(), "none", NULL);
    const struct {
        const char *cli;
        const char *message;
    } bad[] = {
        { "size=1M", "path=</path/to/a/file> is required" },
        { "path=", "path=': expected a non-empty value" },
        { "path=/x,size=3M", "size=3145728 is not a power of two of at "
          "least 4 KiB" },
        { "path=/x,size=2K", "size=2048 is not a power of two" },
        { "path=/x,size=0", "size=0 is not a power of two" },
        { "path=/x,pci_segment=1", "pci_segment" },
        { "path=/x,pci_device_id=0", "pci_device_id" },
        { "path=/x,bogus=1", "bogus" },
        { "path=@S@,size=8K", "is 4096 bytes, smaller than size=8192" },
        { "path=@M@,size=4K", "cannot open path" },
        { "path=@T@,size=4K", "Is a directory" },
        { "path=/dev/null,size=4K", "path '/dev/null' is not a regular file" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GString) cli = g_string_new(bad[i].cli);
        g_autoptr(VmConfig) c = NULL;

        g_string_replace(cli, "@S@", small, 0);
        g_string_replace(cli, "@M@", missing, 0);
        g_string_replace(cli, "@T@", test_tmpdir(), 0);
        c = config_with(cli->str, &error);
        g_test_message("--ivshmem %s -> %s", cli->str,
                       error ? error->message : "(accepted)");
        g_assert_null(c);
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error->message, bad[i].message));
    }
}

/* CH has no vm.add-ivshmem: the registry refuses it by name. */
static void
test_no_hotplug(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_new();
    g_autoptr(JsonNode) body = json_from_string(
        "{\"path\":\"/x\",\"size\":4096}", NULL);
    DeviceCreateCtx ctx = { 0 };
    VmConfig *orig;

    c->payload.kernel = g_strdup("k");
    orig = c;
    g_assert_false(ivshmem_type.hotplug);
    g_assert_null(device_registry_add(&ctx, &c, "ivshmem", body, NULL, 0,
                                      &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_assert_nonnull(strstr(error->message, "ivshmem"));
    g_assert_true(c == orig);
}

/* ---- The device ---------------------------------------------------------- */

typedef struct {
    FakeHost *vm;
    VmmDevice *dev;
    char *path;
    uint64_t bar0, bar2;
} Fixture;

/* An ivshmem on a 64 KiB file, memory decoding on (as the guest enables
 * it), BAR0 and BAR2 where realize put them. */
static void
fixture_start(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    PciBus *bus;

    f->path = make_file("dev.shm", SHM_SIZE, 3);
    f->vm = fake_host_new(8u << 20);
    bus = pci_bus_create(fake_host_base(f->vm), PCI_ECAM_BASE, &error);
    g_assert_no_error(error);
    f->dev = ivshmem_new(fake_host_base(f->vm), NULL, bus, SLOT, f->path,
                         SHM_SIZE, &error);
    g_assert_no_error(error);
    g_assert_true(fake_host_add(f->vm, f->dev, &error));
    g_assert_no_error(error);
    f->bar0 = fake_host_mmio_read(f->vm, CFG(PCI_REG_BAR0), 4) & ~0xfULL;
    f->bar2 = (fake_host_mmio_read(f->vm, CFG(PCI_REG_BAR0 + 8), 4) &
               ~0xfULL) |
              fake_host_mmio_read(f->vm, CFG(PCI_REG_BAR0 + 12), 4) << 32;
    g_assert_cmpuint(fake_host_device_memory_count(f->vm), ==, 0);
    fake_host_mmio_write(f->vm, CFG(PCI_REG_COMMAND), 2, PCI_COMMAND_MEMORY);
}

static void
fixture_stop(Fixture *f)
{
    fake_host_free(f->vm);
    unlink(f->path);
    g_free(f->path);
}

static void
test_identity(void)
{
    Fixture f = { 0 };
    g_autofree char *bdf = NULL;

    fixture_start(&f);
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_VENDOR_ID), 2), ==,
                    0x1af4);
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_DEVICE_ID), 2), ==,
                    0x1110);
    /* Revision 1; class memory controller (0x05), RAM (0x00), prog 0. */
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_REVISION), 4), ==,
                    0x05000001);
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_SUBSYS_VENDOR), 2),
                    ==, 0x1af4);
    /* BAR0: 32-bit memory, not prefetchable; BAR1 absent; BAR2: 64-bit
     * prefetchable, the file's size. */
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_BAR0), 4) & 0xf,
                    ==, 0);
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_BAR0 + 4), 4), ==,
                    0);
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_BAR0 + 8), 4) & 0xf,
                    ==, PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH);
    g_assert_cmpuint(f.bar0, !=, 0);
    g_assert_cmpuint(f.bar2 % SHM_SIZE, ==, 0);
    g_assert_cmpuint(f.bar2, >=, FAKE_HOST_MMIO64_BASE);
    /* Sizing BAR0 and BAR2 (PCI 3.0 §6.2.5.1). */
    fake_host_mmio_write(f.vm, CFG(PCI_REG_BAR0), 4, 0xffffffff);
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_BAR0), 4), ==,
                    0xffffff00);
    fake_host_mmio_write(f.vm, CFG(PCI_REG_BAR0), 4, (uint32_t)f.bar0);
    fake_host_mmio_write(f.vm, CFG(PCI_REG_COMMAND), 2, 0);
    fake_host_mmio_write(f.vm, CFG(PCI_REG_BAR0 + 8), 4, 0xffffffff);
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_BAR0 + 8), 4), ==,
                    (uint32_t)~(SHM_SIZE - 1) | 0xc);
    g_assert_cmpstr(f.dev->id, ==, IVSHMEM_ID);
    bdf = f.dev->ops->pci_bdf(f.dev);
    g_assert_cmpstr(bdf, ==, "0000:00:05.0");
    fixture_stop(&f);
}

static void
test_registers(void)
{
    Fixture f = { 0 };

    fixture_start(&f);
    /* IntrMask: read/write. */
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0, 4), ==, 0);
    fake_host_mmio_write(f.vm, f.bar0, 4, 0xdeadbeef);
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0, 4), ==, 0xdeadbeef);
    /* IntrStatus: read/write, a read clears it. */
    fake_host_mmio_write(f.vm, f.bar0 + 4, 4, 0x5);
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0 + 4, 4), ==, 0x5);
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0 + 4, 4), ==, 0);
    /* IVPosition: 0 (no interrupts), read-only; the doorbell and the
     * reserved bytes read 0 and ignore writes. */
    fake_host_mmio_write(f.vm, f.bar0 + 8, 4, 7);
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0 + 8, 4), ==, 0);
    fake_host_mmio_write(f.vm, f.bar0 + 12, 4, 0x10001);
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0 + 12, 4), ==, 0);
    fake_host_mmio_write(f.vm, f.bar0 + 0xfc, 4, 1);
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0 + 0xfc, 4), ==, 0);
    /* Other widths and misaligned accesses: ignored, read 0. */
    fake_host_mmio_write(f.vm, f.bar0, 1, 0);
    fake_host_mmio_write(f.vm, f.bar0 + 2, 4, 0);
    fake_host_mmio_write(f.vm, f.bar0, 8, 0);
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0, 4), ==, 0xdeadbeef);
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0, 2), ==, 0);
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0 + 1, 1), ==, 0);
    /* A reset clears them. */
    f.dev->ops->reset(f.dev);
    fake_host_mmio_write(f.vm, CFG(PCI_REG_COMMAND), 2, PCI_COMMAND_MEMORY);
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0, 4), ==, 0);
    fixture_stop(&f);
}

/* BAR2 decodes: the file is the memory slot there, both ways. */
static void
test_shared_memory(void)
{
    Fixture f = { 0 };
    uint64_t size = 0;
    uint8_t *mem;
    uint8_t buf[4];
    int fd;

    fixture_start(&f);
    g_assert_cmpuint(fake_host_device_memory_count(f.vm), ==, 1);
    mem = fake_host_device_memory(f.vm, f.bar2, &size);
    g_assert_nonnull(mem);
    g_assert_cmpuint(size, ==, SHM_SIZE);
    /* The host's bytes, as make_file() wrote them. */
    g_assert_cmpuint(mem[0], ==, 3);
    g_assert_cmpuint(mem[SHM_SIZE - 1], ==, (uint8_t)((SHM_SIZE - 1) * 7 + 3));
    /* The guest's write reaches the file. */
    memcpy(mem + 100, "ivsh", 4);
    fd = open(f.path, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(pread(fd, buf, 4, 100), ==, 4);
    close(fd);
    g_assert_cmpmem(buf, 4, "ivsh", 4);
    fixture_stop(&f);
}

/* The slot follows BAR2: moved, disabled, re-enabled, reset, removed. */
static void
test_bar_moves(void)
{
    Fixture f = { 0 };
    uint64_t moved, size = 0;

    fixture_start(&f);
    moved = f.bar2 + 16 * SHM_SIZE;
    /* A 64-bit BAR written half by half: the low dword first moves it to
     * a transient address (allowed), the high one completes the move. */
    fake_host_mmio_write(f.vm, CFG(PCI_REG_BAR0 + 8), 4, (uint32_t)moved);
    fake_host_mmio_write(f.vm, CFG(PCI_REG_BAR0 + 12), 4,
                         (uint32_t)(moved >> 32));
    g_assert_cmpuint(fake_host_device_memory_count(f.vm), ==, 1);
    g_assert_null(fake_host_device_memory(f.vm, f.bar2, &size));
    g_assert_nonnull(fake_host_device_memory(f.vm, moved, &size));
    g_assert_cmpuint(size, ==, SHM_SIZE);
    /* Memory space off: no slot; on again: back at the moved address. */
    fake_host_mmio_write(f.vm, CFG(PCI_REG_COMMAND), 2, 0);
    g_assert_cmpuint(fake_host_device_memory_count(f.vm), ==, 0);
    fake_host_mmio_write(f.vm, CFG(PCI_REG_COMMAND), 2, PCI_COMMAND_MEMORY);
    g_assert_nonnull(fake_host_device_memory(f.vm, moved, &size));
    /* Onto guest RAM: refused by the PCI layer, so no slot. */
    fake_host_mmio_write(f.vm, CFG(PCI_REG_BAR0 + 12), 4, 0);
    fake_host_mmio_write(f.vm, CFG(PCI_REG_BAR0 + 8), 4, 0x100000);
    g_assert_cmpuint(fake_host_device_memory_count(f.vm), ==, 0);
    /* A size probe: the slot follows whatever the PCI layer decodes,
     * never more than one. */
    fake_host_mmio_write(f.vm, CFG(PCI_REG_BAR0 + 8), 4, 0xffffffff);
    fake_host_mmio_write(f.vm, CFG(PCI_REG_BAR0 + 12), 4, 0xffffffff);
    g_assert_cmpuint(fake_host_device_memory_count(f.vm), <=, 1);
    /* Back home. */
    fake_host_mmio_write(f.vm, CFG(PCI_REG_BAR0 + 8), 4, (uint32_t)f.bar2);
    fake_host_mmio_write(f.vm, CFG(PCI_REG_BAR0 + 12), 4,
                         (uint32_t)(f.bar2 >> 32));
    g_assert_nonnull(fake_host_device_memory(f.vm, f.bar2, &size));
    g_assert_cmpuint(fake_host_device_memory_count(f.vm), ==, 1);
    /* A reset stops decoding: the slot goes. */
    f.dev->ops->reset(f.dev);
    g_assert_cmpuint(fake_host_device_memory_count(f.vm), ==, 0);
    fake_host_mmio_write(f.vm, CFG(PCI_REG_COMMAND), 2, PCI_COMMAND_MEMORY);
    g_assert_cmpuint(fake_host_device_memory_count(f.vm), ==, 1);
    /* Freeing the VM unrealizes the device, which gives the slot back
     * (fake_unmap_memory asserts it was there). */
    fixture_stop(&f);
}

/* A snapshot restores the registers and maps the memory where the guest
 * had moved BAR2. */
static void
test_state(void)
{
    Fixture a = { 0 }, b = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) st = NULL;
    uint64_t moved, size = 0;

    fixture_start(&a);
    moved = a.bar2 + 4 * SHM_SIZE;
    fake_host_mmio_write(a.vm, CFG(PCI_REG_BAR0 + 8), 4, (uint32_t)moved);
    fake_host_mmio_write(a.vm, CFG(PCI_REG_BAR0 + 12), 4,
                         (uint32_t)(moved >> 32));
    fake_host_mmio_write(a.vm, a.bar0, 4, 0x3);
    st = a.dev->ops->save(a.dev, &error);
    g_assert_no_error(error);

    fixture_start(&b);
    fake_host_mmio_write(b.vm, CFG(PCI_REG_COMMAND), 2, 0);
    g_assert_true(b.dev->ops->restore(b.dev, st, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(fake_host_device_memory_count(b.vm), ==, 1);
    g_assert_nonnull(fake_host_device_memory(b.vm, moved, &size));
    g_assert_cmphex(fake_host_mmio_read(b.vm, b.bar0, 4), ==, 0x3);
    fake_host_check_save_restore(a.dev, b.dev);
    fixture_stop(&b);
    fixture_stop(&a);
}

/* The map fails (no slot left): the VMM goes on, BAR2 reads all-ones. */
static void
test_map_failure(void)
{
    Fixture f = { 0 };

    fixture_start(&f);
    fake_host_mmio_write(f.vm, CFG(PCI_REG_COMMAND), 2, 0);
    fake_host_set_alloc_fail(f.vm, true);
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "__ivshmem: shared memory not mapped at BAR2 *: "
                          "no free device memory slot");
    fake_host_mmio_write(f.vm, CFG(PCI_REG_COMMAND), 2, PCI_COMMAND_MEMORY);
    g_test_assert_expected_messages();
    g_assert_cmpuint(fake_host_device_memory_count(f.vm), ==, 0);
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar2, 4), ==, 0xffffffff);
    fake_host_mmio_write(f.vm, f.bar2, 4, 0);
    fake_host_set_alloc_fail(f.vm, false);
    fake_host_mmio_write(f.vm, CFG(PCI_REG_COMMAND), 2, 0);
    fake_host_mmio_write(f.vm, CFG(PCI_REG_COMMAND), 2, PCI_COMMAND_MEMORY);
    g_assert_cmpuint(fake_host_device_memory_count(f.vm), ==, 1);
    fixture_stop(&f);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/ivshmem/config", test_config);
    g_test_add_func("/ivshmem/config-refusals", test_config_refusals);
    g_test_add_func("/ivshmem/no-hotplug", test_no_hotplug);
    g_test_add_func("/ivshmem/identity", test_identity);
    g_test_add_func("/ivshmem/registers", test_registers);
    g_test_add_func("/ivshmem/shared-memory", test_shared_memory);
    g_test_add_func("/ivshmem/bar-moves", test_bar_moves);
    g_test_add_func("/ivshmem/state", test_state);
    g_test_add_func("/ivshmem/map-failure", test_map_failure);
    return g_test_run();
}

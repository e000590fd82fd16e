/* SPDX-License-Identifier: Apache-2.0 */
/* Every device type with snapshot state, built as its unit test builds it. */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/char/chardev.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/memory-hotplug.h"
#include "devices/pci/i6300esb.h"
#include "devices/pci/ivshmem.h"
#include "devices/pci/pci-bus.h"
#include "devices/pci/pci-hotplug.h"
#include "devices/pci/pvpanic.h"
#include "devices/tpm/tpm-crb-priv.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/console.h"
#include "devices/virtio/fs.h"
#include "devices/virtio/vhost-user-generic.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/vhost-user.h"
#include "devices/virtio/virtio-pci.h"
#include "devices/virtio/watchdog.h"
#include "tests/testutil.h"
#include "tests/unit/device-state-types.h"
#include "tests/unit/fake-swtpm.h"
#include "tests/unit/fake-vhost-user.h"
#include "tests/unit/sock-backend.h"

#define QSIZE 16
#define SLOT 3
#define NET_PAIRS 2

/* ---- Legacy devices ------------------------------------------------------ */

static VmmDevice *
add(FakeHost *vm, VmmDevice *dev)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(fake_host_add(vm, dev, &error));
    g_assert_no_error(error);
    return dev;
}

static VmmDevice *
serial_create(FakeHost *vm)
{
    return add(vm, serial8250_new(fake_host_base(vm), "__serial",
                                  SERIAL8250_COM1_BASE, SERIAL8250_COM1_GSI,
                                  NULL));
}

static void
serial_exercise(FakeHost *vm, VmmDevice *dev)
{
    fake_host_outb(vm, SERIAL8250_COM1_BASE + 7, 0x5a);   /* SCR */
    fake_host_outb(vm, SERIAL8250_COM1_BASE + 1, 0x03);   /* IER */
    fake_host_outb(vm, SERIAL8250_COM1_BASE + 2, 0xc1);   /* FCR: FIFO, 14 */
}

static VmmDevice *
i8042_create(FakeHost *vm)
{
    return add(vm, i8042_new(fake_host_base(vm), "__i8042"));
}

static void
i8042_exercise(FakeHost *vm, VmmDevice *dev)
{
    fake_host_outb(vm, I8042_BASE, 0x03);
}

static VmmDevice *
rtc_create(FakeHost *vm)
{
    return add(vm, rtc_cmos_new(fake_host_base(vm), "__rtc", 512ULL << 20,
                                1ULL << 30));
}

static void
rtc_exercise(FakeHost *vm, VmmDevice *dev)
{
    fake_host_outb(vm, RTC_CMOS_BASE, 0x40);
    fake_host_outb(vm, RTC_CMOS_BASE + 1, 0x77);
}

static VmmDevice *
acpi_pm_create(FakeHost *vm)
{
    return add(vm, acpi_pm_new(fake_host_base(vm), "__acpi_pm"));
}

static VmmDevice *
ged_create(FakeHost *vm)
{
    return add(vm, ged_new(fake_host_base(vm), "_ged"));
}

static void
ged_exercise(FakeHost *vm, VmmDevice *dev)
{
    ged_notify(dev, GED_EVENT_POWER_BUTTON);
}

/* The controller interrupts through a GED of its own host. */
static VmmDevice *
pci_hotplug_create(FakeHost *vm)
{
    VmmDevice *ged = add(vm, ged_new(fake_host_base(vm), "_ged"));

    return add(vm, pci_hotplug_new(fake_host_base(vm), "_pci_hotplug", ged));
}

static void
pci_hotplug_exercise(FakeHost *vm, VmmDevice *dev)
{
    g_assert_true(pci_hotplug_plug(dev, 0, 3, NULL));
    g_assert_true(pci_hotplug_request_eject(dev, 0, 4, NULL));
}

/* Four 128 MiB DIMM slots at 4 GiB, one plugged at creation. */
static VmmDevice *
memory_hotplug_create(FakeHost *vm)
{
    VmmDevice *ged = add(vm, ged_new(fake_host_base(vm), "_ged"));

    return add(vm, memory_hotplug_new(fake_host_base(vm), MEMORY_HOTPLUG_ID,
                                      ged, 4ULL << 30, 512ULL << 20,
                                      128ULL << 20, 128ULL << 20));
}

static void
memory_hotplug_exercise(FakeHost *vm, VmmDevice *dev)
{
    /* MSEL = 2: the state round trip carries the selector. */
    fake_host_mmio_write(vm, memory_hotplug_get_mmio_base(dev), 4, 2);
}

static VmmDevice *
debug_port_create(FakeHost *vm)
{
    return add(vm, debug_port_new(fake_host_base(vm), "__debug_port",
                                  g_get_monotonic_time()));
}

static void
debug_port_exercise(FakeHost *vm, VmmDevice *dev)
{
    fake_host_outb(vm, DEBUG_PORT_BASE, 0x42);
}

static VmmDevice *
debug_console_create(FakeHost *vm)
{
    return add(vm, debug_console_new(fake_host_base(vm), "__debug_console",
                                     DEBUG_CONSOLE_DEFAULT_IOBASE, NULL));
}

/* ---- PCI ------------------------------------------------------------------ */

static VmmDevice *
pci_bus_dev_create(FakeHost *vm)
{
    g_autoptr(GError) error = NULL;

    g_assert_nonnull(pci_bus_create(fake_host_base(vm), PCI_ECAM_BASE, &error));
    g_assert_no_error(error);
    return fake_host_find(vm, "__pci_segment0");
}

static void
pci_bus_exercise(FakeHost *vm, VmmDevice *dev)
{
    fake_host_pio_write(vm, PCI_CONFIG_ADDRESS_PORT, 4, 0x80001804);
    /* The host bridge's command register (00:00.0), through ECAM. */
    fake_host_mmio_write(vm, PCI_ECAM_BASE + PCI_REG_COMMAND, 2,
                       PCI_COMMAND_MEMORY);
}

static VmmDevice *
pci_ports_create(FakeHost *vm)
{
    pci_bus_dev_create(vm);
    return fake_host_find(vm, "__pci_config_io");
}

/* ---- virtio-pci ----------------------------------------------------------- */

static VmmDevice *
virtio_pci_add(FakeHost *vm, VirtioDevice *vdev)
{
    g_autoptr(GError) error = NULL;
    PciBus *bus = pci_bus_create(fake_host_base(vm), PCI_ECAM_BASE, &error);

    g_assert_no_error(error);
    g_assert_nonnull(vdev);
    return add(vm, virtio_pci_new(fake_host_base(vm), bus, vdev, SLOT));
}

/* What a driver does first: enable the BAR, program an MSI-X vector. */
static void
virtio_pci_exercise_slot(FakeHost *vm, unsigned slot)
{
    uint64_t base = PCI_ECAM_BASE + ((uint64_t)slot << 15);
    uint64_t bar0;

    fake_host_mmio_write(vm, base + PCI_REG_COMMAND, 2,
                       PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    bar0 = (fake_host_mmio_read(vm, base + PCI_REG_BAR0, 4) & ~0xfULL) |
           (fake_host_mmio_read(vm, base + PCI_REG_BAR0 + 4, 4) << 32);
    fake_host_mmio_write(vm, bar0 + VIRTIO_PCI_MSIX_TABLE_OFF + 16, 4,
                       0xfee00000);
    fake_host_mmio_write(vm, bar0 + VIRTIO_PCI_MSIX_TABLE_OFF + 24, 4, 0x41);
}

static void
virtio_pci_exercise(FakeHost *vm, VmmDevice *dev)
{
    virtio_pci_exercise_slot(vm, SLOT);
}

/* A device the registry put on whichever slot was free: its BDF says. */
static void
registry_exercise(FakeHost *vm, VmmDevice *dev)
{
    g_autofree char *bdf = dev->ops->pci_bdf ? dev->ops->pci_bdf(dev) : NULL;
    unsigned seg, bus, slot, fn;

    if (bdf && sscanf(bdf, "%x:%x:%x.%x", &seg, &bus, &slot, &fn) == 4)
        virtio_pci_exercise_slot(vm, slot);
}

static VmmDevice *
virtio_blk_create(FakeHost *vm)
{
    static unsigned count;
    g_autoptr(GError) error = NULL;
    /* An image per instance: a second one would find the first locked. */
    g_autofree char *name = g_strdup_printf("state%u.img", count++);
    g_autofree char *path = g_build_filename(test_tmpdir(), name, NULL);
    DiskConfig disk = { .num_queues = 1, .queue_size = QSIZE,
                        .id = (char *)"_disk0", .image_type = IMAGE_TYPE_RAW,
                        .path = path };
    VirtioDevice *vdev;
    int fd;

    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 1 << 20), ==, 0);
    close(fd);
    vdev = virtio_blk_new(fake_host_base(vm), &disk, false, &error);
    g_assert_no_error(error);
    return virtio_pci_add(vm, vdev);
}

/* On a TAP stand-in (tests/unit/sock-backend.h), closed with the device. */
static VmmDevice *
virtio_net_create(FakeHost *vm)
{
    g_autoptr(GError) error = NULL;
    NetConfig cfg = { .num_queues = 2 * NET_PAIRS, .queue_size = QSIZE,
                      .id = (char *)"_net0", .mac = (char *)"52:54:00:aa:bb:cc",
                      .mtu = 1400 };
    SockBackend *s = sock_backend_new(NET_PAIRS);
    VirtioDevice *vdev;

    vdev = virtio_net_new(fake_host_base(vm), &cfg, &s->be, &error);
    g_assert_no_error(error);
    return virtio_pci_add(vm, vdev);
}

static VmmDevice *
virtio_console_create(FakeHost *vm)
{
    g_autoptr(GError) error = NULL;
    ConsoleConfig cfg = { .mode = CONSOLE_MODE_NULL };
    CharBackend *be = chardev_new(&cfg, "--console", fake_host_context(vm),
                                  &error);
    VirtioDevice *vdev;

    g_assert_no_error(error);
    vdev = virtio_console_new(fake_host_base(vm), NULL, be, &error);
    g_assert_no_error(error);
    return virtio_pci_add(vm, vdev);
}

static VmmDevice *
virtio_rng_create(FakeHost *vm)
{
    g_autoptr(GError) error = NULL;
    RngConfig cfg = { 0 };
    VirtioDevice *vdev = virtio_rng_new(fake_host_base(vm), &cfg,
                                        &error);

    g_assert_no_error(error);
    return virtio_pci_add(vm, vdev);
}

/* virtio-watchdog: CH's timing; the state tests never ping it. */
static VmmDevice *
virtio_watchdog_state_create(FakeHost *vm)
{
    return virtio_pci_add(vm, virtio_watchdog_new(
        fake_host_base(vm), VIRTIO_WATCHDOG_INTERVAL_US,
        VIRTIO_WATCHDOG_TIMEOUT_US));
}

/* pvpanic: its config space is all it saves; a driver enables the BAR. */
static VmmDevice *
pvpanic_state_create(FakeHost *vm)
{
    g_autoptr(GError) error = NULL;
    PciBus *bus = pci_bus_create(fake_host_base(vm), PCI_ECAM_BASE, &error);

    g_assert_no_error(error);
    return add(vm, pvpanic_new(fake_host_base(vm), bus, SLOT));
}

static void
pvpanic_state_exercise(FakeHost *vm, VmmDevice *dev)
{
    fake_host_mmio_write(vm, PCI_ECAM_BASE + ((uint64_t)SLOT << 15) +
                         PCI_REG_COMMAND, 2, PCI_COMMAND_MEMORY);
}

static const DeviceStateType static_types[] = {
    { "serial-8250", "__serial", serial_create, serial_exercise,
      "ier", 0x10, NULL, "serial" },
    { "i8042", "__i8042", i8042_create, i8042_exercise, "port_b", 0x10, NULL },
    { "rtc-cmos", "__rtc", rtc_create, rtc_exercise, "index", 0x80, NULL },
    { "acpi-pm", "__acpi_pm", acpi_pm_create, NULL, "pm_timer", -1,
      "pm_timer" },
    { "ged", "_ged", ged_create, ged_exercise, "pending", 0x10, NULL },
    { "pci-hotplug", "_pci_hotplug", pci_hotplug_create,
      pci_hotplug_exercise, "pseg", 1, NULL },
    { "memory-hotplug", MEMORY_HOTPLUG_ID, memory_hotplug_create,
      memory_hotplug_exercise, "msel", 0x100000000LL, NULL },
    { "debug-port", "__debug_port", debug_port_create, debug_port_exercise,
      "ranges[2].first_code", 0x100, "uptime_us" },
    { "debug-console", "__debug_console", debug_console_create, NULL,
      NULL, 0, NULL, "debug-console" },
    { "pci-bus", "__pci_segment0", pci_bus_dev_create, pci_bus_exercise,
      "config_address", 0x90000000, NULL },
    { "pci-config-ports", "__pci_config_io", pci_ports_create, NULL,
      NULL, 0, NULL },
    { "virtio-blk", "_disk0", virtio_blk_create, virtio_pci_exercise,
      "virtio.queues[0].size", QSIZE + 1, NULL, "disk" },
    { "virtio-net", "_net0", virtio_net_create, virtio_pci_exercise,
      "virtio.device.active_pairs", NET_PAIRS + 1, NULL, "net" },
    { "virtio-console", "__console", virtio_console_create,
      virtio_pci_exercise, "virtio.config_vector", 0x10000, NULL, "console" },
    { "virtio-rng", "__rng", virtio_rng_create, virtio_pci_exercise,
      "msix.entries[1].ctrl", 2, NULL, "rng" },
    { "pvpanic", PVPANIC_ID, pvpanic_state_create, pvpanic_state_exercise,
      NULL, 0, NULL, "pvpanic" },
    { "virtio-watchdog", VIRTIO_WATCHDOG_ID, virtio_watchdog_state_create,
      virtio_pci_exercise, "msix.entries[1].ctrl", 2, NULL, "watchdog" },
};

/* ---- Registry types with a config kind ------------------------------------ */

/* @type's example config, validated (ids assigned); (transfer full). */
static VmConfig *
registry_config(const DeviceType *type)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_new();
    gpointer entry = vm_config_kind_parse_cli(type->kind, type->example,
                                              &error);

    g_assert_no_error(error);
    c->payload.kernel = g_strdup("vmlinux");
    /* vhost-user devices need it (the back end maps guest RAM). */
    c->memory.shared = type == &virtio_fs_type ||
                       type == &vhost_user_generic_type;
    vm_config_kind_append(c, type->kind, entry);
    g_assert_true(vm_config_validate(c, &error));
    g_assert_no_error(error);
    return g_steal_pointer(&c);
}

/* The TPM (not on PCI): locality 0 taken, a command written. */
static void
tpm_exercise(FakeHost *vm, VmmDevice *dev)
{
    fake_host_mmio_write(vm, TPM_CRB_MMIO_BASE + CRB_LOC_CTRL, 4,
                         CRB_LOC_CTRL_REQUEST);
    fake_host_mmio_write(vm, TPM_CRB_MMIO_BASE + CRB_CTRL_REQ, 4,
                         CRB_CTRL_REQ_CMD_READY);
    fake_host_mmio_write(vm, TPM_CRB_MMIO_BASE + TPM_CRB_DATA_BUFFER, 8,
                         0x0000000c00000180ULL);
}

/* The example sockets the fakes below listen on, removed at exit so that
 * no run leaves them in the build directory. */
static void
example_sockets_remove(void)
{
    unlink("nimbus-tpm-example.sock");
    unlink("nimbus-fs-example.sock");
    unlink("nimbus-generic-example.sock");
    unlink("nimbus-vsock-example.sock");
    unlink("nimbus-ivshmem-example.shm");
}

static void
example_sockets_remove_at_exit(void)
{
    static bool registered;

    if (!registered)
        atexit(example_sockets_remove);
    registered = true;
}

/* The TPM's example config names a swtpm control socket in the working
 * directory: a fake one answers there for the whole run. */
static void
tpm_backend_ensure(void)
{
    static FakeSwtpm *fake;

    if (!fake)
        fake = fake_swtpm_start("nimbus-tpm-example.sock", 0xffff);
}

/* The fs example names a vhost-user socket in the working directory: a
 * fake back end (VERSION_1, two queues) answers there for the whole run. */
static void
fs_backend_ensure(void)
{
    static FakeVhostUser *fake;

    if (!fake)
        fake = fake_vhost_user_start("nimbus-fs-example.sock",
                                     1ULL << VIRTIO_F_VERSION_1,
                                     1ULL << VHOST_USER_PROTOCOL_F_MQ |
                                     1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK,
                                     2);
}

/* The generic vhost-user example's back end, the same. */
static void
generic_backend_ensure(void)
{
    static FakeVhostUser *fake;

    if (!fake)
        fake = fake_vhost_user_start("nimbus-generic-example.sock",
                                     1ULL << VIRTIO_F_VERSION_1,
                                     1ULL << VHOST_USER_PROTOCOL_F_MQ |
                                     1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK,
                                     1);
}

/* The ivshmem example maps a 64 KiB file in the working directory. */
static void
ivshmem_file_ensure(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *zeroes = g_malloc0(64 * 1024);

    g_assert_true(g_file_set_contents("nimbus-ivshmem-example.shm", zeroes,
                                      64 * 1024, &error));
}

/* As the device manager does it: on PCI segment 0 of @vm.  The config
 * outlives the device (kept until exit). */
static VmmDevice *
registry_create(const DeviceType *type, FakeHost *vm)
{
    static GPtrArray *configs;
    g_autoptr(GError) error = NULL;
    VmConfig *c = registry_config(type);
    DeviceCreateCtx ctx = {
        fake_host_base(vm),
        pci_bus_create(fake_host_base(vm), PCI_ECAM_BASE, &error),
    };
    VmmDevice *dev;

    g_assert_no_error(error);
    example_sockets_remove_at_exit();
    if (type == &tpm_type)
        tpm_backend_ensure();
    if (type == &virtio_fs_type)
        fs_backend_ensure();
    if (type == &vhost_user_generic_type)
        generic_backend_ensure();
    if (type == &ivshmem_type)
        ivshmem_file_ensure();
    if (!configs)
        configs = g_ptr_array_new_with_free_func((GDestroyNotify)
                                                 vm_config_free);
    g_ptr_array_add(configs, c);
    dev = type->create(&ctx, vm_config_kind_entry(c, type->kind, 0), &error);
    g_assert_no_error(error);
    return dev;
}

const DeviceStateType *
device_state_types(unsigned *n)
{
    static GArray *all;

    if (!all) {
        device_registry_init();
        all = g_array_new(FALSE, FALSE, sizeof(DeviceStateType));
        g_array_append_vals(all, static_types, G_N_ELEMENTS(static_types));
        for (const DeviceType *const *t = device_registry_types(); *t; t++) {
            g_autoptr(VmConfig) c = NULL;
            DeviceStateType st = {
                (*t)->name, NULL, NULL, registry_exercise,
                /* Every virtio-pci device has it, bounded by 16 bits. */
                "virtio.config_vector", 0x10000, NULL, (*t)->name, *t,
            };

            if (!(*t)->kind)
                continue;
            if (*t == &tpm_type) {
                /* Not a virtio-pci device: its own registers. */
                st.exercise = tpm_exercise;
                st.field = "cancel";
                st.bad_value = CRB_CANCEL_INVOKE + 1;
            } else if (*t == &ivshmem_type) {
                /* A PCI function of its own: 32-bit registers. */
                st.exercise = NULL;
                st.field = "intr_mask";
                st.bad_value = (int64_t)G_MAXUINT32 + 1;
            } else if (*t == &i6300esb_type) {
                /* A PCI function of its own: a 20-bit preload. */
                st.exercise = NULL;
                st.field = "timer1";
                st.bad_value = I6300ESB_PRELOAD_MASK + 1;
            }
            c = registry_config(*t);
            st.id = g_strdup(vm_config_kind_id((*t)->kind,
                vm_config_kind_entry(c, (*t)->kind, 0)));
            g_array_append_val(all, st);
        }
    }
    *n = all->len;
    return (const DeviceStateType *)(void *)all->data;
}

VmmDevice *
device_state_create(const DeviceStateType *t, FakeHost *vm)
{
    return t->registry ? registry_create(t->registry, vm) : t->create(vm);
}

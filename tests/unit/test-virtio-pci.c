/* SPDX-License-Identifier: Apache-2.0 */
/* The virtio-pci transport driven as a guest driver would: caps, common config, MSI-X, doorbells. */
#include <config.h>

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_pci.h>

#include "devices/pci/msix.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/virtio-pci.h"
#include "devices/virtio/worker.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define QSIZE 16
#define SLOT 3

typedef struct {
    FakeHost *vm;
    PciBus *bus;
    VmmDevice *dev;
    char *path;
    TdRing ring;
    uint8_t caps[16];       /* cfg_type -> config offset of the capability */
} Fx;

/* The device reports to the event sink of its host (the FakeHost here),
 * from the thread that changed its state, before that access returns. */
static bool
saw_event(Fx *f, const char *event)
{
    g_autofree char *record = g_strdup_printf("virtio-device/%s id=_disk0",
                                              event);

    return fake_host_count_events(f->vm, record) > 0;
}

static uint64_t
cfg_read(Fx *f, unsigned reg, unsigned len)
{
    return fake_host_mmio_read(f->vm, PCI_ECAM_BASE + (SLOT << 15) + reg, len);
}

static void
cfg_write(Fx *f, unsigned reg, unsigned len, uint64_t v)
{
    fake_host_mmio_write(f->vm, PCI_ECAM_BASE + (SLOT << 15) + reg, len, v);
}

static uint64_t
bar0(Fx *f)
{
    return (cfg_read(f, PCI_REG_BAR0, 4) & ~0xfULL) |
           (cfg_read(f, PCI_REG_BAR0 + 4, 4) << 32);
}

/* Where the capability of @type says its structure is in BAR0. */
static uint64_t
cap_addr(Fx *f, unsigned type)
{
    g_assert_cmpuint(f->caps[type], !=, 0);
    return bar0(f) + cfg_read(f, f->caps[type] + VIRTIO_PCI_CAP_OFFSET, 4);
}

static uint64_t
common_read(Fx *f, unsigned off, unsigned len)
{
    return fake_host_mmio_read(f->vm, cap_addr(f, VIRTIO_PCI_CAP_COMMON_CFG) + off,
                             len);
}

static void
common_write(Fx *f, unsigned off, unsigned len, uint64_t v)
{
    fake_host_mmio_write(f->vm, cap_addr(f, VIRTIO_PCI_CAP_COMMON_CFG) + off, len,
                       v);
}

static void
fx_setup(Fx *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    DiskConfig disk = { .num_queues = 1, .queue_size = QSIZE,
                        .id = (char *)"_disk0", .image_type = IMAGE_TYPE_RAW };
    VirtioDevice *vdev;
    unsigned ptr;
    int fd;

    f->vm = fake_host_new(8 << 20);
    f->bus = pci_bus_create(fake_host_base(f->vm), PCI_ECAM_BASE, &error);
    g_assert_no_error(error);
    f->path = g_build_filename(test_tmpdir(), "vpci.img", NULL);
    fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_assert_cmpint(ftruncate(fd, 1 << 20), ==, 0);
    close(fd);
    disk.path = f->path;
    vdev = virtio_blk_new(fake_host_base(f->vm), &disk, true, &error);
    g_assert_no_error(error);
    f->dev = virtio_pci_new(fake_host_base(f->vm), f->bus, vdev, SLOT);
    g_assert_true(fake_host_add(f->vm, f->dev, &error));
    g_assert_no_error(error);
    td_ring_init(&f->ring, fake_host_get_memory(f->vm), 0x100000, 0x100000,
                 QSIZE);

    /* Enumerate the vendor capabilities, as virtio_pci_modern does. */
    ptr = (unsigned)cfg_read(f, PCI_REG_CAP_PTR, 1);
    while (ptr) {
        if (cfg_read(f, ptr, 1) == PCI_CAP_ID_VNDR) {
            unsigned type = (unsigned)cfg_read(f, ptr + VIRTIO_PCI_CAP_CFG_TYPE, 1);

            g_assert_cmpuint(cfg_read(f, ptr + VIRTIO_PCI_CAP_BAR, 1), ==, 0);
            if (type < G_N_ELEMENTS(f->caps) && !f->caps[type])
                f->caps[type] = (uint8_t)ptr;
        }
        ptr = (unsigned)cfg_read(f, ptr + 1, 1);
    }
    cfg_write(f, PCI_REG_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

static void
fx_teardown(Fx *f, gconstpointer data)
{
    fake_host_free(f->vm);
    unlink(f->path);
    g_free(f->path);
}

static VirtioDevice *
fx_vdev(Fx *f)
{
    return virtio_pci_get_virtio(f->dev);
}

static void
fx_msix_enable(Fx *f)
{
    uint64_t t = bar0(f) + VIRTIO_PCI_MSIX_TABLE_OFF;
    unsigned ptr = (unsigned)cfg_read(f, PCI_REG_CAP_PTR, 1);

    while (cfg_read(f, ptr, 1) != PCI_CAP_ID_MSIX)
        ptr = (unsigned)cfg_read(f, ptr + 1, 1);
    g_assert_cmpuint(cfg_read(f, ptr + 2, 2) & 0x7ff, ==, 1);   /* 2 vectors */
    cfg_write(f, ptr + 2, 2, 0x8000);
    for (unsigned v = 0; v < 2; v++) {
        fake_host_mmio_write(f->vm, t + 16 * v, 8, 0xfee00000);
        fake_host_mmio_write(f->vm, t + 16 * v + 8, 4, 0x30 + v);
        fake_host_mmio_write(f->vm, t + 16 * v + 12, 4, 0);
    }
}

static bool
vector_fired(Fx *f, unsigned v, guint timeout_ms)
{
    struct pollfd p = { .events = POLLIN };

    p.fd = msix_vector_eventfd(virtio_pci_get_msix(f->dev), v);
    g_assert_cmpint(p.fd, >=, 0);
    /* The fake VM holds it as the irqfd of the vector's GSI. */
    g_assert_cmpint(fake_host_irqfd_gsi(f->vm, p.fd), >=, FAKE_HOST_FIRST_MSI_GSI);
    if (poll(&p, 1, (int)timeout_ms) != 1)
        return false;
    virtio_eventfd_drain(p.fd);
    return true;
}

/* The virtio 1.2 §3.1.1 initialisation sequence over BAR0. */
static void
driver_init(Fx *f, bool with_msix)
{
    uint64_t feats;

    common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, 0);
    common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
    common_write(f, VIRTIO_PCI_COMMON_STATUS, 1,
                 VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    common_write(f, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
    feats = common_read(f, VIRTIO_PCI_COMMON_DF, 4);
    common_write(f, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
    feats |= common_read(f, VIRTIO_PCI_COMMON_DF, 4) << 32;
    g_assert_cmphex(feats, ==, fx_vdev(f)->host_features);
    g_assert_cmphex(feats & (1ULL << VIRTIO_F_VERSION_1), !=, 0);
    for (unsigned s = 0; s < 2; s++) {
        common_write(f, VIRTIO_PCI_COMMON_GFSELECT, 4, s);
        common_write(f, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(feats >> (32 * s)));
    }
    common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, 0x0b);   /* +FEATURES_OK */
    g_assert_cmphex(common_read(f, VIRTIO_PCI_COMMON_STATUS, 1), ==, 0x0b);
    if (with_msix) {
        fx_msix_enable(f);
        common_write(f, VIRTIO_PCI_COMMON_MSIX, 2, 0);
        g_assert_cmpuint(common_read(f, VIRTIO_PCI_COMMON_MSIX, 2), ==, 0);
    }
    g_assert_cmpuint(common_read(f, VIRTIO_PCI_COMMON_NUMQ, 2), ==, 1);
    common_write(f, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
    g_assert_cmpuint(common_read(f, VIRTIO_PCI_COMMON_Q_SIZE, 2), ==, QSIZE);
    g_assert_cmpuint(common_read(f, VIRTIO_PCI_COMMON_Q_NOFF, 2), ==, 0);
    if (with_msix) {
        common_write(f, VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
        g_assert_cmpuint(common_read(f, VIRTIO_PCI_COMMON_Q_MSIX, 2), ==, 1);
    }
    /* 64-bit addresses as two dwords, as Linux writes them. */
    common_write(f, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)f->ring.desc);
    common_write(f, VIRTIO_PCI_COMMON_Q_DESCHI, 4, f->ring.desc >> 32);
    common_write(f, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)f->ring.avail);
    common_write(f, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, 0);
    common_write(f, VIRTIO_PCI_COMMON_Q_USEDLO, 8, f->ring.used);
    common_write(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    g_assert_cmphex(common_read(f, VIRTIO_PCI_COMMON_Q_DESCLO, 8), ==, f->ring.desc);
    common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);   /* +DRIVER_OK */
}

/* One read request of 512 bytes at sector 0; rings the doorbell. */
static void
submit_read(Fx *f)
{
    TdRing *r = &f->ring;
    uint64_t a[3] = { td_alloc(r, 16), td_alloc(r, 512), td_alloc(r, 1) };
    uint32_t l[3] = { 16, 512, 1 };
    uint64_t notify = cap_addr(f, VIRTIO_PCI_CAP_NOTIFY_CFG);
    uint32_t mult = (uint32_t)cfg_read(f, f->caps[VIRTIO_PCI_CAP_NOTIFY_CFG] +
                                              VIRTIO_PCI_NOTIFY_CAP_MULT, 4);

    g_assert_cmpuint(mult, ==, 4);
    td_publish(r, td_add_chain(r, a, l, 3, 1));
    /* No KVM here: the doorbell write traps to the transport. */
    fake_host_mmio_write(f->vm, notify + 0 * mult, 2, 0);
}

static void
test_layout(Fx *f, gconstpointer data)
{
    g_assert_cmphex(cfg_read(f, 0, 4), ==, 0x10421af4);   /* 0x1040 + blk */
    g_assert_cmphex(cfg_read(f, PCI_REG_REVISION, 1), ==, 1);
    g_assert_cmphex(cfg_read(f, PCI_REG_BAR0, 4) & 0xf, ==, PCI_BAR_MEM_TYPE_64);
    cfg_write(f, PCI_REG_BAR0, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, PCI_REG_BAR0, 4) & ~0xfULL, ==,
                    (uint32_t)~(VIRTIO_PCI_BAR_SIZE - 1));
    cfg_write(f, PCI_REG_BAR0, 4, (uint32_t)virtio_pci_get_pci(f->dev)->bars[0].addr);
    /* CH's BAR0 layout. */
    g_assert_cmphex(cap_addr(f, VIRTIO_PCI_CAP_COMMON_CFG) - bar0(f), ==, 0);
    g_assert_cmphex(cap_addr(f, VIRTIO_PCI_CAP_ISR_CFG) - bar0(f), ==, 0x2000);
    g_assert_cmphex(cap_addr(f, VIRTIO_PCI_CAP_DEVICE_CFG) - bar0(f), ==, 0x4000);
    g_assert_cmphex(cap_addr(f, VIRTIO_PCI_CAP_NOTIFY_CFG) - bar0(f), ==, 0x6000);
    g_assert_cmpuint(f->caps[VIRTIO_PCI_CAP_PCI_CFG], !=, 0);
    /* The device config: capacity in sectors. */
    g_assert_cmpuint(fake_host_mmio_read(f->vm, cap_addr(f, VIRTIO_PCI_CAP_DEVICE_CFG),
                                       8), ==, 2048);
    /* The doorbell has an ioeventfd while BAR0 decodes, and follows it. */
    g_assert_cmpint(fake_host_ioeventfd_fd(f->vm, bar0(f) + 0x6000,
                                           DEVICE_SPACE_MMIO), ==,
                    fx_vdev(f)->kick_fds[0]);
}

/* Whether this process has @path open. */
static bool
self_has_open(const char *path)
{
    g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
    const char *name;

    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d))) {
        g_autofree char *link = g_build_filename("/proc/self/fd", name, NULL);
        g_autofree char *target = g_file_read_link(link, NULL);

        if (target && g_str_equal(target, path))
            return true;
    }
    return false;
}

/* Hot-unplug of a running device (vm_remove_device()): everything it held
 * in the VM and on the host is released, and its slot is free again. */
static void
test_unplug(Fx *f, gconstpointer data)
{
    uint64_t bar = 0, addr = 0;
    uint32_t msi_data = 0;
    int vec_fd, gsi;

    driver_init(f, true);
    bar = bar0(f);
    vec_fd = msix_vector_eventfd(virtio_pci_get_msix(f->dev), 1);
    gsi = fake_host_irqfd_gsi(f->vm, vec_fd);
    g_assert_cmpint(gsi, >=, FAKE_HOST_FIRST_MSI_GSI);
    g_assert_true(fake_host_msi_route(f->vm, (uint32_t)gsi, &addr, &msi_data));
    g_assert_cmpint(fake_host_ioeventfd_fd(f->vm, bar + 0x6000,
                                           DEVICE_SPACE_MMIO), >=, 0);
    g_assert_true(self_has_open(f->path));
    g_assert_true(pci_bus_get_device(f->bus, SLOT) != NULL);

    fake_host_remove(f->vm, f->dev);
    f->dev = NULL;
    g_assert_cmpint(fake_host_ioeventfd_fd(f->vm, bar + 0x6000,
                                           DEVICE_SPACE_MMIO), ==, -1);
    g_assert_cmpint(fake_host_irqfd_gsi(f->vm, vec_fd), ==, -1);
    g_assert_false(fake_host_msi_route(f->vm, (uint32_t)gsi, &addr,
                                       &msi_data));
    g_assert_null(bus_lookup(fake_host_mmio_bus(f->vm), bar, NULL, NULL));
    g_assert_false(self_has_open(f->path));
    g_assert_null(pci_bus_get_device(f->bus, SLOT));
    /* The slot's config space reads as empty. */
    g_assert_cmphex(cfg_read(f, 0, 4), ==, 0xffffffff);
}

static void
test_bar_move_ioeventfd(Fx *f, gconstpointer data)
{
    uint64_t old = bar0(f), new = old + 4 * VIRTIO_PCI_BAR_SIZE;

    cfg_write(f, PCI_REG_BAR0, 4, (uint32_t)new);
    cfg_write(f, PCI_REG_BAR0 + 4, 4, new >> 32);
    g_assert_cmpint(fake_host_ioeventfd_fd(f->vm, old + 0x6000,
                                           DEVICE_SPACE_MMIO), ==, -1);
    g_assert_cmpint(fake_host_ioeventfd_fd(f->vm, new + 0x6000,
                                           DEVICE_SPACE_MMIO), ==,
                    fx_vdev(f)->kick_fds[0]);
    cfg_write(f, PCI_REG_COMMAND, 2, 0);
    g_assert_cmpint(fake_host_ioeventfd_fd(f->vm, new + 0x6000,
                                           DEVICE_SPACE_MMIO), ==, -1);
}

static void
test_io_msix(Fx *f, gconstpointer data)
{
    driver_init(f, true);
    g_assert_true(fx_vdev(f)->active);
    g_assert_true(saw_event(f, "activated"));
    submit_read(f);
    g_assert_true(td_wait_used(&f->ring, 1, 5000));
    g_assert_true(vector_fired(f, 1, 5000));
    /* Vector numbers the device cannot use read back NO_VECTOR. */
    common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, 0);
    g_assert_true(saw_event(f, "reset"));
    g_assert_false(fx_vdev(f)->active);
    g_assert_cmpuint(common_read(f, VIRTIO_PCI_COMMON_STATUS, 1), ==, 0);
    common_write(f, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
    common_write(f, VIRTIO_PCI_COMMON_Q_MSIX, 2, 7);
    g_assert_cmphex(common_read(f, VIRTIO_PCI_COMMON_Q_MSIX, 2), ==, 0xffff);
    /* A queue that does not exist reads size 0. */
    common_write(f, VIRTIO_PCI_COMMON_Q_SELECT, 2, 5);
    g_assert_cmpuint(common_read(f, VIRTIO_PCI_COMMON_Q_SIZE, 2), ==, 0);
}

static void
test_needs_reset(Fx *f, gconstpointer data)
{
    TdRing *r = &f->ring;
    uint64_t a = td_alloc(r, 4);
    uint32_t l = 4;

    driver_init(f, true);
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*device needs reset");
    td_publish(r, td_add_chain(r, &a, &l, 1, 1));
    fake_host_mmio_write(f->vm, cap_addr(f, VIRTIO_PCI_CAP_NOTIFY_CFG), 2, 0);
    /* The configuration vector (0) tells the driver. */
    g_assert_true(vector_fired(f, 0, 5000));
    g_test_assert_expected_messages();
    g_assert_cmphex(common_read(f, VIRTIO_PCI_COMMON_STATUS, 1) &
                    VIRTIO_CONFIG_S_NEEDS_RESET, !=, 0);
    g_assert_cmphex(fake_host_mmio_read(f->vm, cap_addr(f, VIRTIO_PCI_CAP_ISR_CFG),
                                      1) & 2, !=, 0);
    /* ISR is read-to-clear. */
    g_assert_cmphex(fake_host_mmio_read(f->vm, cap_addr(f, VIRTIO_PCI_CAP_ISR_CFG),
                                      1), ==, 0);
    /* The generation moved with the config change. */
    g_assert_cmpuint(common_read(f, VIRTIO_PCI_COMMON_CFGGENERATION, 1), !=, 0);
    /* Reset and start over: works again. */
    td_ring_init(r, fake_host_get_memory(f->vm), 0x100000, 0x100000, QSIZE);
    driver_init(f, true);
    g_assert_false(virtio_device_is_broken(fx_vdev(f)));
    submit_read(f);
    g_assert_true(td_wait_used(r, 1, 5000));
}

/* virtio 1.2 §4.1.4.9: BAR0 through the config-space window. */
static void
test_pci_cfg_window(Fx *f, gconstpointer data)
{
    unsigned c = f->caps[VIRTIO_PCI_CAP_PCI_CFG];

    cfg_write(f, c + VIRTIO_PCI_CAP_BAR, 1, 0);
    cfg_write(f, c + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_COMMON_DFSELECT);
    cfg_write(f, c + VIRTIO_PCI_CAP_LENGTH, 4, 4);
    cfg_write(f, c + 16, 4, 1);                        /* select high dword */
    cfg_write(f, c + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_COMMON_DF);
    g_assert_cmphex(cfg_read(f, c + 16, 4), ==, 1);    /* VERSION_1 = bit 32 */
    cfg_write(f, c + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_DEVICE_OFF);
    g_assert_cmphex(cfg_read(f, c + 16, 4), ==, 2048); /* capacity */
    /* A bad window (length 3) reads the plain register. */
    cfg_write(f, c + VIRTIO_PCI_CAP_LENGTH, 4, 3);
    cfg_read(f, c + 16, 4);
}

static void
test_features_refused(Fx *f, gconstpointer data)
{
    common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, 3);
    common_write(f, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
    common_write(f, VIRTIO_PCI_COMMON_GF, 4, 1 | (1u << 20));   /* unknown bit */
    common_write(f, VIRTIO_PCI_COMMON_STATUS, 1, 0x0b);
    g_assert_cmphex(common_read(f, VIRTIO_PCI_COMMON_STATUS, 1), ==, 3);
    /* Odd-sized and out-of-range accesses do not crash. */
    fake_host_mmio_read(f->vm, bar0(f) + 0x3f, 8);
    fake_host_mmio_write(f->vm, bar0(f) + 0x1000, 4, 0x1234);
    fake_host_mmio_write(f->vm, bar0(f) + 0x6000 + 4 * 200, 2, 0);
    fake_host_mmio_read(f->vm, bar0(f) + VIRTIO_PCI_BAR_SIZE - 4, 4);
}

static void
test_save_restore(Fx *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) st = NULL;

    driver_init(f, true);
    st = f->dev->ops->save(f->dev, &error);
    g_assert_no_error(error);
    f->dev->ops->reset(f->dev);
    g_assert_false(fx_vdev(f)->active);
    g_assert_cmphex(cfg_read(f, PCI_REG_COMMAND, 2), ==, 0);
    g_assert_true(f->dev->ops->restore(f->dev, st, &error));
    g_assert_no_error(error);
    g_assert_true(fx_vdev(f)->active);
    g_assert_cmphex(cfg_read(f, PCI_REG_COMMAND, 2) & PCI_COMMAND_MEMORY, !=, 0);
    submit_read(f);
    g_assert_true(td_wait_used(&f->ring, 1, 5000));
    g_assert_true(vector_fired(f, 1, 5000));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fx, NULL, fx_setup, fn, fx_teardown)
    ADD("/virtio/pci/layout", test_layout);
    ADD("/virtio/pci/bar-move-ioeventfd", test_bar_move_ioeventfd);
    ADD("/virtio/pci/unplug", test_unplug);
    ADD("/virtio/pci/io-msix", test_io_msix);
    ADD("/virtio/pci/needs-reset", test_needs_reset);
    ADD("/virtio/pci/pci-cfg-window", test_pci_cfg_window);
    ADD("/virtio/pci/features-refused", test_features_refused);
    ADD("/virtio/pci/save-restore", test_save_restore);
#undef ADD
    return g_test_run();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Virtio 1.x modern PCI transport with Cloud Hypervisor's BAR0 layout. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>
#include <linux/virtio_pci.h>

#include "devices/pci/msix.h"
#include "devices/virtio/virtio-pci.h"
#include "devices/virtio/worker.h"

/*
 * Locking: @lock serialises the common configuration registers and the
 * status machine (vCPU threads; the control thread for VM reset, pause and
 * snapshots).  It may be taken with the PCI config lock held (pci_cfg
 * window, BAR moves), and is held while calling into the device (activate,
 * reset) and MSI-X (config interrupt); worker threads never take it.
 */
typedef struct {
    VmmDevice dev;
    PciDevice pci;
    Msix *msix;                 /* immutable after realize */
    VirtioDevice *vdev;         /* owned; immutable */
    PciBus *bus;                /* immutable */
    int slot;                   /* requested slot, -1: any */
    uint8_t cfg_cap;            /* pci_cfg capability offset */

    GMutex lock;
    uint32_t dfselect;          /* lock */
    uint32_t gfselect;          /* lock */
    uint16_t queue_sel;         /* lock */
    /* PCI config lock (bar_mapped runs under it). */
    bool *ioeventfd_on;         /* per queue */
    uint64_t notify_addr;
} VirtioPci;

static VirtioPci *
virtio_pci_from_dev(VmmDevice *dev)
{
    return (VirtioPci *)dev;
}

static VirtioPci *
virtio_pci_from_pci(PciDevice *pdev)
{
    return (VirtioPci *)pdev->owner;
}

VirtioDevice *
virtio_pci_get_virtio(VmmDevice *dev)
{
    return virtio_pci_from_dev(dev)->vdev;
}

PciDevice *
virtio_pci_get_pci(VmmDevice *dev)
{
    return &virtio_pci_from_dev(dev)->pci;
}

Msix *
virtio_pci_get_msix(VmmDevice *dev)
{
    return virtio_pci_from_dev(dev)->msix;
}

/* ---- Common configuration (virtio 1.2 §4.1.4.3) ------------------------ */

static VirtQueue *
virtio_pci_cur_queue(VirtioPci *vp)
{
    return vp->queue_sel < vp->vdev->nvqs ? &vp->vdev->vqs[vp->queue_sel]
                                           : NULL;
}

/* The registers as the driver sees them now (lock held).  Building the
 * whole image lets accesses of any width and offset work the same way,
 * including 64-bit fields written as two dwords. */
static void
virtio_pci_common_image(VirtioPci *vp, uint8_t img[VIRTIO_PCI_COMMON_LEN])
{
    VirtioDevice *vdev = vp->vdev;
    VirtQueue *vq = virtio_pci_cur_queue(vp);
    uint64_t df = vp->dfselect < 2 ? vdev->host_features >> (32 * vp->dfselect)
                                   : 0;
    uint64_t gf = vp->gfselect < 2
                      ? vdev->driver_features >> (32 * vp->gfselect) : 0;

    memset(img, 0, VIRTIO_PCI_COMMON_LEN);
    vmm_le_store(img + VIRTIO_PCI_COMMON_DFSELECT, 4, vp->dfselect);
    vmm_le_store(img + VIRTIO_PCI_COMMON_DF, 4, (uint32_t)df);
    vmm_le_store(img + VIRTIO_PCI_COMMON_GFSELECT, 4, vp->gfselect);
    vmm_le_store(img + VIRTIO_PCI_COMMON_GF, 4, (uint32_t)gf);
    vmm_le_store(img + VIRTIO_PCI_COMMON_MSIX, 2, vdev->config_vector);
    vmm_le_store(img + VIRTIO_PCI_COMMON_NUMQ, 2, vdev->nvqs);
    img[VIRTIO_PCI_COMMON_STATUS] = virtio_device_get_status(vdev);
    img[VIRTIO_PCI_COMMON_CFGGENERATION] =
        (uint8_t)g_atomic_int_get(&vdev->config_generation);
    vmm_le_store(img + VIRTIO_PCI_COMMON_Q_SELECT, 2, vp->queue_sel);
    if (!vq)
        return;   /* §4.1.4.3.2: a nonexistent queue reads size 0 */
    vmm_le_store(img + VIRTIO_PCI_COMMON_Q_SIZE, 2, vq->size);
    vmm_le_store(img + VIRTIO_PCI_COMMON_Q_MSIX, 2, vq->msix_vector);
    vmm_le_store(img + VIRTIO_PCI_COMMON_Q_ENABLE, 2, vq->enabled);
    vmm_le_store(img + VIRTIO_PCI_COMMON_Q_NOFF, 2, vq->index);
    vmm_le_store(img + VIRTIO_PCI_COMMON_Q_DESCLO, 8, vq->desc_addr);
    vmm_le_store(img + VIRTIO_PCI_COMMON_Q_AVAILLO, 8, vq->avail_addr);
    vmm_le_store(img + VIRTIO_PCI_COMMON_Q_USEDLO, 8, vq->used_addr);
    vmm_le_store(img + VIRTIO_PCI_COMMON_Q_NDATA, 2, vq->index);
}

static uint16_t
virtio_pci_check_vector(VirtioPci *vp, uint16_t v)
{
    /* §4.1.5.1.2: a vector the device cannot use reads back NO_VECTOR. */
    return v < msix_nvectors(vp->msix) ? v : VIRTIO_NO_VECTOR;
}

static bool
virtio_pci_touches(uint64_t off, unsigned len, unsigned field, unsigned size)
{
    return off < field + size && off + len > field;
}


/* A ring address is guest-physical: no machine has bit 63 in one (the
 * physical-address width CPUID reports stops at 52), and keeping such a
 * value made a saved state unrestorable (state integers are JSON int64;
 * found by fuzz-virtio-pci-common).  Ignored like a reserved value; the
 * ring check at DRIVER_OK judges what is left. */
static void
virtio_pci_set_ring_addr(uint64_t *field, uint64_t addr)
{
    if (addr >> 63) {
        g_debug("virtio-pci: ring address 0x%" G_GINT64_MODIFIER "x ignored",
                addr);
        return;
    }
    *field = addr;
}

static void
virtio_pci_common_write(VirtioPci *vp, uint64_t off, const void *data,
                        unsigned len)
{
    VirtioDevice *vdev = vp->vdev;
    uint8_t img[VIRTIO_PCI_COMMON_LEN];
    uint8_t status = virtio_device_get_status(vdev);
    bool driver_ok = status & VIRTIO_CONFIG_S_DRIVER_OK;
    VirtQueue *vq;

    if (off + len > VIRTIO_PCI_COMMON_LEN)
        return;
    virtio_pci_common_image(vp, img);
    memcpy(img + off, data, len);
    vq = virtio_pci_cur_queue(vp);

#define TOUCHES(field, size) virtio_pci_touches(off, len, field, size)
    if (TOUCHES(VIRTIO_PCI_COMMON_DFSELECT, 4))
        vp->dfselect = (uint32_t)vmm_le_load(img + VIRTIO_PCI_COMMON_DFSELECT, 4);
    if (TOUCHES(VIRTIO_PCI_COMMON_GFSELECT, 4))
        vp->gfselect = (uint32_t)vmm_le_load(img + VIRTIO_PCI_COMMON_GFSELECT, 4);
    /* §3.1.1: features are fixed once FEATURES_OK is set. */
    if (TOUCHES(VIRTIO_PCI_COMMON_GF, 4) && vp->gfselect < 2 &&
        !(status & VIRTIO_CONFIG_S_FEATURES_OK)) {
        unsigned shift = 32 * vp->gfselect;
        uint64_t v = vmm_le_load(img + VIRTIO_PCI_COMMON_GF, 4) << shift;
        uint64_t half = 0xffffffffULL << shift;

        /* Kept masked to what we offer, the rest remembered as a refusal
         * of FEATURES_OK: a state saved now restores (the fuzzer found
         * unoffered bits, bit 63 among them, that restore refused). */
        if (v & ~vdev->host_features)
            vdev->driver_features_bad = true;
        vdev->driver_features = (vdev->driver_features & ~half) |
                                (v & vdev->host_features);
    }
    if (TOUCHES(VIRTIO_PCI_COMMON_MSIX, 2))
        vdev->config_vector = virtio_pci_check_vector(
            vp, (uint16_t)vmm_le_load(img + VIRTIO_PCI_COMMON_MSIX, 2));
    if (TOUCHES(VIRTIO_PCI_COMMON_Q_SELECT, 2)) {
        vp->queue_sel = (uint16_t)vmm_le_load(img + VIRTIO_PCI_COMMON_Q_SELECT, 2);
        vq = virtio_pci_cur_queue(vp);
    }
    /* Queue registers: only for an existing queue, and not once the
     * device runs (§4.1.4.3.2); queue_enable only accepts 1. */
    if (vq && !driver_ok) {
        /* §4.1.4.3.2: a size above the queue's maximum is not one the
         * device takes (kept, it made a saved state unrestorable). */
        if (TOUCHES(VIRTIO_PCI_COMMON_Q_SIZE, 2)) {
            uint16_t size = (uint16_t)vmm_le_load(
                img + VIRTIO_PCI_COMMON_Q_SIZE, 2);

            if (size <= vq->max_size)
                vq->size = size;
        }
        if (TOUCHES(VIRTIO_PCI_COMMON_Q_MSIX, 2))
            vq->msix_vector = virtio_pci_check_vector(
                vp, (uint16_t)vmm_le_load(img + VIRTIO_PCI_COMMON_Q_MSIX, 2));
        if (TOUCHES(VIRTIO_PCI_COMMON_Q_ENABLE, 2) &&
            vmm_le_load(img + VIRTIO_PCI_COMMON_Q_ENABLE, 2) == 1)
            vq->enabled = true;
        if (TOUCHES(VIRTIO_PCI_COMMON_Q_DESCLO, 8))
            virtio_pci_set_ring_addr(&vq->desc_addr,
                vmm_le_load(img + VIRTIO_PCI_COMMON_Q_DESCLO, 8));
        if (TOUCHES(VIRTIO_PCI_COMMON_Q_AVAILLO, 8))
            virtio_pci_set_ring_addr(&vq->avail_addr,
                vmm_le_load(img + VIRTIO_PCI_COMMON_Q_AVAILLO, 8));
        if (TOUCHES(VIRTIO_PCI_COMMON_Q_USEDLO, 8))
            virtio_pci_set_ring_addr(&vq->used_addr,
                vmm_le_load(img + VIRTIO_PCI_COMMON_Q_USEDLO, 8));
    }
    /* Last: a status write may activate the device with the values above. */
    if (TOUCHES(VIRTIO_PCI_COMMON_STATUS, 1))
        virtio_device_set_status(vdev, img[VIRTIO_PCI_COMMON_STATUS]);
#undef TOUCHES
}

/* ---- BAR0 ---------------------------------------------------------------- */

static void
virtio_pci_bar_read(PciDevice *pdev, unsigned bar, uint64_t off, void *data,
                    unsigned len)
{
    VirtioPci *vp = virtio_pci_from_pci(pdev);
    VirtioDevice *vdev = vp->vdev;

    if (off + len <= VIRTIO_PCI_COMMON_LEN) {
        uint8_t img[VIRTIO_PCI_COMMON_LEN];

        g_mutex_lock(&vp->lock);
        virtio_pci_common_image(vp, img);
        g_mutex_unlock(&vp->lock);
        memcpy(data, img + off, len);
    } else if (off == VIRTIO_PCI_ISR_OFF && len == 1) {
        *(uint8_t *)data = virtio_device_read_isr(vdev);
    } else if (off >= VIRTIO_PCI_DEVICE_OFF &&
               off + len <= VIRTIO_PCI_DEVICE_OFF + VIRTIO_PCI_DEVICE_LEN) {
        if (vdev->ops->read_config)
            vdev->ops->read_config(vdev, off - VIRTIO_PCI_DEVICE_OFF, data, len);
        else
            memset(data, 0, len);
    } else if (off >= VIRTIO_PCI_MSIX_TABLE_OFF &&
               off < VIRTIO_PCI_MSIX_PBA_OFF) {
        msix_table_read(vp->msix, off - VIRTIO_PCI_MSIX_TABLE_OFF, data, len);
    } else if (off >= VIRTIO_PCI_MSIX_PBA_OFF) {
        msix_pba_read(vp->msix, off - VIRTIO_PCI_MSIX_PBA_OFF, data, len);
    } else {
        /* Gaps and the write-only notify area read as zero. */
        memset(data, 0, len);
    }
}

static void
virtio_pci_bar_write(PciDevice *pdev, unsigned bar, uint64_t off,
                     const void *data, unsigned len)
{
    VirtioPci *vp = virtio_pci_from_pci(pdev);
    VirtioDevice *vdev = vp->vdev;

    if (off + len <= VIRTIO_PCI_COMMON_LEN) {
        g_mutex_lock(&vp->lock);
        virtio_pci_common_write(vp, off, data, len);
        g_mutex_unlock(&vp->lock);
    } else if (off >= VIRTIO_PCI_DEVICE_OFF &&
               off + len <= VIRTIO_PCI_DEVICE_OFF + VIRTIO_PCI_DEVICE_LEN) {
        if (vdev->ops->write_config)
            vdev->ops->write_config(vdev, off - VIRTIO_PCI_DEVICE_OFF, data, len);
    } else if (off >= VIRTIO_PCI_NOTIFY_OFF &&
               off < VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_LEN) {
        /* Reached only when no ioeventfd covers the address (unit tests,
         * a kernel that refused it): kick the worker by hand. */
        unsigned q = (off - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULT;

        if (q < vdev->nvqs)
            virtio_eventfd_signal(vdev->kick_fds[q]);
    } else if (off >= VIRTIO_PCI_MSIX_TABLE_OFF &&
               off < VIRTIO_PCI_MSIX_PBA_OFF) {
        msix_table_write(vp->msix, off - VIRTIO_PCI_MSIX_TABLE_OFF, data, len);
    } else {
        g_debug("%s: write to BAR0+0x%" G_GINT64_MODIFIER "x ignored",
                vp->dev.id, off);
    }
}

/* BAR0 moved or (un)mapped: the queue doorbells follow it (config lock). */
static void
virtio_pci_bar_mapped(PciDevice *pdev, unsigned bar, uint64_t addr,
                      bool mapped)
{
    VirtioPci *vp = virtio_pci_from_pci(pdev);
    VirtioDevice *vdev = vp->vdev;

    for (unsigned q = 0; q < vdev->nvqs; q++) {
        uint64_t a = addr + VIRTIO_PCI_NOTIFY_OFF + q * VIRTIO_PCI_NOTIFY_MULT;
        int r;

        if (!mapped) {
            if (vp->ioeventfd_on[q])
                device_host_ioeventfd(vdev->host, vdev->kick_fds[q], a, 0,
                                  DEVICE_SPACE_MMIO, false);
            vp->ioeventfd_on[q] = false;
            continue;
        }
        /* Any write width (Linux writes 16 bits) signals the eventfd. */
        r = device_host_ioeventfd(vdev->host, vdev->kick_fds[q], a, 0,
                                  DEVICE_SPACE_MMIO, true);
        if (r < 0)
            g_debug("%s: no ioeventfd for queue %u (%s): notifications "
                    "trap to the VMM", vp->dev.id, q, g_strerror(-r));
        vp->ioeventfd_on[q] = r == 0;
    }
    vp->notify_addr = addr + VIRTIO_PCI_NOTIFY_OFF;
}

/* ---- Config space: MSI-X control and the pci_cfg window ---------------- */

/* virtio 1.2 §4.1.4.9: the driver sets bar/offset/length in the
 * capability, then reads or writes pci_cfg_data. */
static bool
virtio_pci_cfg_window(VirtioPci *vp, uint32_t *bar_off, unsigned *len)
{
    PciDevice *pdev = &vp->pci;
    uint8_t c = vp->cfg_cap;

    *bar_off = pci_get_long(pdev, c + VIRTIO_PCI_CAP_OFFSET);
    *len = pci_get_long(pdev, c + VIRTIO_PCI_CAP_LENGTH);
    return pdev->config[c + VIRTIO_PCI_CAP_BAR] == 0 &&
           (*len == 1 || *len == 2 || *len == 4) && (*bar_off % *len) == 0 &&
           *bar_off < VIRTIO_PCI_BAR_SIZE;
}

static void
virtio_pci_config_read(PciDevice *pdev, uint32_t off, void *data, unsigned len)
{
    VirtioPci *vp = virtio_pci_from_pci(pdev);
    uint32_t d = vp->cfg_cap + 16u, bar_off;
    unsigned wlen;
    uint8_t buf[4] = { 0 };

    if (off + len <= d || off >= d + 4 || !virtio_pci_cfg_window(vp, &bar_off,
                                                                 &wlen))
        return;
    virtio_pci_bar_read(pdev, 0, bar_off, buf, wlen);
    for (unsigned i = 0; i < len; i++) {
        if (off + i >= d && off + i < d + 4)
            ((uint8_t *)data)[i] = buf[off + i - d];
    }
}

static void
virtio_pci_config_write(PciDevice *pdev, uint32_t off, unsigned len)
{
    VirtioPci *vp = virtio_pci_from_pci(pdev);
    uint32_t d = vp->cfg_cap + 16u, bar_off;
    unsigned wlen;

    msix_config_write(vp->msix, off, len);
    if (off + len <= d || off >= d + 4 ||
        !virtio_pci_cfg_window(vp, &bar_off, &wlen))
        return;
    virtio_pci_bar_write(pdev, 0, bar_off, &pdev->config[d], wlen);
}

static const PciDeviceOps virtio_pci_pci_ops = {
    .config_write = virtio_pci_config_write,
    .config_read = virtio_pci_config_read,
    .bar_read = virtio_pci_bar_read,
    .bar_write = virtio_pci_bar_write,
    .bar_mapped = virtio_pci_bar_mapped,
};

/* ---- Interrupts ----------------------------------------------------------- */

static void
virtio_pci_notify(VirtioDevice *vdev, uint16_t vector)
{
    VirtioPci *vp = vdev->transport_data;

    /* No vector: MSI-X is the only interrupt this transport offers
     * (no INTx), so the driver asked for none. */
    if (vector == VIRTIO_NO_VECTOR)
        return;
    msix_notify(vp->msix, vector);
}

static const VirtioTransportOps virtio_pci_transport_ops = {
    .notify = virtio_pci_notify,
};

/* ---- VmmDevice ------------------------------------------------------------- */

static uint32_t
virtio_pci_class(uint16_t type)
{
    switch (type) {
    case VIRTIO_ID_BLOCK:
        return 0x018000;     /* mass storage, other */
    case VIRTIO_ID_NET:
        return 0x020000;     /* ethernet */
    case VIRTIO_ID_CONSOLE:
        return 0x078000;     /* communication, other */
    default:
        return 0xff0000;     /* unassigned class */
    }
}

static bool
virtio_pci_add_cap(VirtioPci *vp, uint8_t type, unsigned size, uint32_t off,
                   uint32_t len, uint8_t *where, GError **error)
{
    PciDevice *pdev = &vp->pci;
    uint8_t c = pci_device_add_capability(pdev, PCI_CAP_ID_VNDR, size, error);

    if (!c)
        return false;
    pdev->config[c + VIRTIO_PCI_CAP_LEN] = (uint8_t)size;
    pdev->config[c + VIRTIO_PCI_CAP_CFG_TYPE] = type;
    pdev->config[c + VIRTIO_PCI_CAP_BAR] = 0;
    pci_set_long(pdev, c + VIRTIO_PCI_CAP_OFFSET, off);
    pci_set_long(pdev, c + VIRTIO_PCI_CAP_LENGTH, len);
    if (where)
        *where = c;
    return true;
}

static bool
virtio_pci_realize(VmmDevice *dev, GError **error)
{
    VirtioPci *vp = virtio_pci_from_dev(dev);
    VirtioDevice *vdev = vp->vdev;
    PciDevice *pdev = &vp->pci;
    uint16_t type = vdev->device_type ? vdev->device_type
                                      : vdev->ops->device_type;
    uint8_t notify;

    if (vdev->nvqs > VIRTIO_PCI_NOTIFY_LEN / VIRTIO_PCI_NOTIFY_MULT ||
        vdev->nvqs + 1 > MSIX_MAX_VECTORS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "too many queues (%u)", vdev->nvqs);
        return false;
    }
    pci_device_init(pdev, &virtio_pci_pci_ops, dev, dev->host,
                    VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BASE + type,
                    virtio_pci_class(type),
                    1 /* §4.1.2.1: non-transitional */, VIRTIO_PCI_VENDOR, 0x40);
    if (!pci_device_add_bar(pdev, 0, PCI_BAR_MEM64, VIRTIO_PCI_BAR_SIZE, false,
                            error) ||
        !virtio_pci_add_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, 16,
                            VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_LEN, NULL,
                            error) ||
        !virtio_pci_add_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, 16, VIRTIO_PCI_ISR_OFF,
                            1, NULL, error) ||
        (vdev->ops->config_size > 0 &&
         !virtio_pci_add_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, 16,
                             VIRTIO_PCI_DEVICE_OFF, vdev->ops->config_size,
                             NULL, error)) ||
        !virtio_pci_add_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, 20,
                            VIRTIO_PCI_NOTIFY_OFF,
                            vdev->nvqs * VIRTIO_PCI_NOTIFY_MULT, &notify,
                            error) ||
        !virtio_pci_add_cap(vp, VIRTIO_PCI_CAP_PCI_CFG, 20, 0, 0, &vp->cfg_cap,
                            error))
        return false;
    pci_set_long(pdev, notify + VIRTIO_PCI_NOTIFY_CAP_MULT,
                 VIRTIO_PCI_NOTIFY_MULT);
    /* pci_cfg: bar, offset, length and the data window are the driver's. */
    pci_set_wmask(pdev, vp->cfg_cap + VIRTIO_PCI_CAP_BAR, 1, 0xff);
    pci_set_wmask(pdev, vp->cfg_cap + VIRTIO_PCI_CAP_OFFSET, 4, 0xffffffff);
    pci_set_wmask(pdev, vp->cfg_cap + VIRTIO_PCI_CAP_LENGTH, 4, 0xffffffff);
    pci_set_wmask(pdev, vp->cfg_cap + 16, 4, 0xffffffff);
    vp->msix = msix_new(pdev, vdev->nvqs + 1, 0, VIRTIO_PCI_MSIX_TABLE_OFF,
                        VIRTIO_PCI_MSIX_PBA_OFF, error);
    if (!vp->msix)
        return false;
    pci_device_finish_init(pdev);
    vdev->transport = &virtio_pci_transport_ops;
    vdev->transport_data = vp;
    return pci_bus_add_device(vp->bus, pdev, vp->slot, error);
}

static void
virtio_pci_unrealize(VmmDevice *dev)
{
    VirtioPci *vp = virtio_pci_from_dev(dev);

    g_mutex_lock(&vp->lock);
    virtio_device_stop(vp->vdev);
    g_mutex_unlock(&vp->lock);
    if (vp->pci.bus) {
        pci_bus_lock(vp->bus);
        pci_device_unmap_bars(&vp->pci);
        pci_bus_unlock(vp->bus);
        pci_bus_remove_device(vp->bus, &vp->pci);
    }
    g_clear_pointer(&vp->msix, msix_free);
}

static void
virtio_pci_reset(VmmDevice *dev)
{
    VirtioPci *vp = virtio_pci_from_dev(dev);

    g_mutex_lock(&vp->lock);
    virtio_device_reset(vp->vdev);
    vp->dfselect = vp->gfselect = 0;
    vp->queue_sel = 0;
    g_mutex_unlock(&vp->lock);
    if (vp->msix)
        msix_reset(vp->msix);
    pci_device_reset(&vp->pci);
}

static bool
virtio_pci_pause(VmmDevice *dev, GError **error)
{
    VirtioPci *vp = virtio_pci_from_dev(dev);
    bool ok;

    g_mutex_lock(&vp->lock);
    ok = virtio_device_pause(vp->vdev, error);
    g_mutex_unlock(&vp->lock);
    return ok;
}

static bool
virtio_pci_resume(VmmDevice *dev, GError **error)
{
    VirtioPci *vp = virtio_pci_from_dev(dev);
    bool ok;

    g_mutex_lock(&vp->lock);
    ok = virtio_device_resume(vp->vdev, error);
    g_mutex_unlock(&vp->lock);
    return ok;
}

/* The function's config space, its MSI-X table and the virtio core
 * (with the device's own section), each a versioned section. */
typedef struct {
    PciDeviceState pci;
    MsixState msix;
    VirtioState virtio;
} VirtioPciState;

static const VmmStateField virtio_pci_state_fields[] = {
    { .name = "pci", .type = VMM_STATE_STRUCT,
      .offset = offsetof(VirtioPciState, pci), .desc = &pci_device_state_desc },
    { .name = "msix", .type = VMM_STATE_STRUCT,
      .offset = offsetof(VirtioPciState, msix), .desc = &msix_state_desc },
    { .name = "virtio", .type = VMM_STATE_STRUCT,
      .offset = offsetof(VirtioPciState, virtio),
      .desc = &virtio_device_state_desc },
};

static const VmmStateDesc virtio_pci_state_desc = {
    .name = "virtio-pci",
    .version = 1,
    .size = sizeof(VirtioPciState),
    .fields = virtio_pci_state_fields,
    .n_fields = G_N_ELEMENTS(virtio_pci_state_fields),
};

static void
virtio_pci_state_free(VirtioPciState *st)
{
    msix_state_clear(&st->msix);
    virtio_state_clear(&st->virtio);
    g_free(st);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtioPciState, virtio_pci_state_free)

/* The live state: also what a load starts from (array lengths, bounds). */
static VirtioPciState *
virtio_pci_get_state(VirtioPci *vp)
{
    VirtioPciState *st = g_new0(VirtioPciState, 1);

    pci_device_get_state(&vp->pci, &st->pci);
    msix_get_state(vp->msix, &st->msix);
    g_mutex_lock(&vp->lock);
    virtio_device_get_state(vp->vdev, &st->virtio);
    g_mutex_unlock(&vp->lock);
    return st;
}

static JsonNode *
virtio_pci_save(VmmDevice *dev, GError **error)
{
    VirtioPci *vp = virtio_pci_from_dev(dev);
    g_autoptr(VirtioPciState) st = virtio_pci_get_state(vp);

    return vmm_state_save(&virtio_pci_state_desc, st);
}

static bool
virtio_pci_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    VirtioPci *vp = virtio_pci_from_dev(dev);
    g_autoptr(VirtioPciState) st = virtio_pci_get_state(vp);

    /* Everything is checked before anything is applied. */
    if (!vmm_state_load(&virtio_pci_state_desc, state, dev->id, st, error) ||
        !virtio_device_check_state(vp->vdev, &st->virtio, "virtio", error))
        return false;
    /* Config space first: MSI-X reads its enable bits from it. */
    pci_device_set_state(&vp->pci, &st->pci);
    msix_set_state(vp->msix, &st->msix);
    g_mutex_lock(&vp->lock);
    virtio_device_set_state(vp->vdev, &st->virtio);
    g_mutex_unlock(&vp->lock);
    return true;
}

static JsonNode *
virtio_pci_counters(VmmDevice *dev)
{
    VirtioDevice *vdev = virtio_pci_from_dev(dev)->vdev;

    return vdev->ops->counters ? vdev->ops->counters(vdev) : NULL;
}

static void
virtio_pci_free(VmmDevice *dev)
{
    VirtioPci *vp = virtio_pci_from_dev(dev);

    g_clear_pointer(&vp->msix, msix_free);
    virtio_device_free(vp->vdev);
    g_free(vp->ioeventfd_on);
    g_mutex_clear(&vp->lock);
    g_free(vp);
}

static char *
virtio_pci_bdf(VmmDevice *dev)
{
    return pci_device_bdf(virtio_pci_get_pci(dev));
}

static const VmmDeviceOps virtio_pci_ops = {
    .name = "virtio-pci",
    .pci_bdf = virtio_pci_bdf,
    .realize = virtio_pci_realize,
    .unrealize = virtio_pci_unrealize,
    .reset = virtio_pci_reset,
    .pause = virtio_pci_pause,
    .resume = virtio_pci_resume,
    .save = virtio_pci_save,
    .restore = virtio_pci_restore,
    .counters = virtio_pci_counters,
    .free = virtio_pci_free,
};

VmmDevice *
virtio_pci_new(DeviceHost *host, PciBus *bus, VirtioDevice *vdev, int slot)
{
    VirtioPci *vp = g_new0(VirtioPci, 1);

    vmm_device_init(&vp->dev, &virtio_pci_ops, host, vdev->id);
    vp->vdev = vdev;
    vp->bus = bus;
    vp->slot = slot;
    vp->ioeventfd_on = g_new0(bool, vdev->nvqs);
    g_mutex_init(&vp->lock);
    return &vp->dev;
}

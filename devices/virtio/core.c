/* SPDX-License-Identifier: Apache-2.0 */
/* Virtio device core: feature negotiation, status machine, reset, NEEDS_RESET, interrupts. */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/virtio/virtio.h"

bool
virtio_device_init(VirtioDevice *vdev, const VirtioDeviceOps *ops,
                   DeviceHost *host, const char *id,
                   uint64_t host_features, unsigned nvqs, uint16_t queue_size,
                   GError **error)
{
    vdev->ops = ops;
    vdev->id = g_strdup(id);
    vdev->host = host;
    vdev->host_features = host_features;
    vdev->nvqs = nvqs;
    vdev->vqs = g_new0(VirtQueue, nvqs);
    vdev->kick_fds = g_new(int, nvqs);
    vdev->config_vector = VIRTIO_NO_VECTOR;
    for (unsigned i = 0; i < nvqs; i++)
        vdev->kick_fds[i] = -1;
    for (unsigned i = 0; i < nvqs; i++) {
        virtqueue_init(&vdev->vqs[i], i, queue_size);
        vdev->kick_fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (vdev->kick_fds[i] < 0) {
            int e = errno;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "%s: cannot create a queue eventfd: %s", id,
                        g_strerror(e));
            return false;
        }
    }
    return true;
}

void
virtio_device_cleanup(VirtioDevice *vdev)
{
    for (unsigned i = 0; vdev->kick_fds && i < vdev->nvqs; i++)
        fd_close(vdev->kick_fds[i]);
    g_clear_pointer(&vdev->kick_fds, g_free);
    g_clear_pointer(&vdev->vqs, g_free);
    g_clear_pointer(&vdev->id, g_free);
    g_clear_pointer(&vdev->dma, g_free);
}

void
virtio_device_set_dma(VirtioDevice *vdev, VirtQueueDma *dma)
{
    g_free(vdev->dma);
    vdev->dma = dma;
    vdev->host_features |= 1ULL << VIRTIO_F_ACCESS_PLATFORM;
}

void
virtio_device_free(VirtioDevice *vdev)
{
    if (vdev)
        vdev->ops->free(vdev);
}

static void
virtio_emit(VirtioDevice *vdev, const char *event)
{
    const char *props[] = { "id", vdev->id, NULL };

    /* A device made without a host (unit tests of its constructor) has
     * nobody to tell. */
    if (vdev->host)
        device_host_emit_event(vdev->host, "virtio-device", event, props);
}

uint8_t
virtio_device_get_status(VirtioDevice *vdev)
{
    return (uint8_t)g_atomic_int_get(&vdev->status);
}

void
virtio_device_reset(VirtioDevice *vdev)
{
    bool was_active = vdev->active;

    /* Stop the workers first: after this no other thread touches the
     * queues, so they can be cleared without further locking. */
    if (vdev->ops->reset)
        vdev->ops->reset(vdev);
    vdev->active = false;
    for (unsigned i = 0; i < vdev->nvqs; i++)
        virtqueue_reset(&vdev->vqs[i]);
    vdev->driver_features = 0;
    vdev->driver_features_bad = false;
    vdev->config_vector = VIRTIO_NO_VECTOR;
    g_atomic_int_set(&vdev->isr, 0);
    g_atomic_int_set(&vdev->broken, 0);
    g_atomic_int_set(&vdev->status, 0);
    if (was_active)
        virtio_emit(vdev, "reset");
}

void
virtio_device_stop(VirtioDevice *vdev)
{
    if (vdev->ops->reset)
        vdev->ops->reset(vdev);
    vdev->active = false;
}

/* DRIVER_OK: map the rings, then let the device start its workers. */
static void
virtio_device_activate(VirtioDevice *vdev)
{
    g_autoptr(GError) error = NULL;

    for (unsigned i = 0; i < vdev->nvqs; i++) {
        VirtQueue *vq = &vdev->vqs[i];

        /* The fast path (no IOMMU) keeps vq->dma NULL. */
        vq->dma = virtio_has_feature(vdev, VIRTIO_F_ACCESS_PLATFORM)
                      ? vdev->dma : NULL;
        if (virtqueue_activate(vq, vdev->host, vdev->driver_features) < 0) {
            virtio_device_set_broken(vdev, "queue %u: %s", i, vq->error);
            return;
        }
    }
    if (vdev->ops->activate && !vdev->ops->activate(vdev, &error)) {
        virtio_device_set_broken(vdev, "activation failed: %s",
                                 error->message);
        return;
    }
    vdev->active = true;
    virtio_emit(vdev, "activated");
}

void
virtio_device_set_status(VirtioDevice *vdev, uint8_t status)
{
    uint8_t old = virtio_device_get_status(vdev);

    if (status == 0) {
        virtio_device_reset(vdev);
        return;
    }
    /* NEEDS_RESET is the device's to set (§2.1.2); keep ours. */
    status = (status & ~VIRTIO_CONFIG_S_NEEDS_RESET) |
             (old & VIRTIO_CONFIG_S_NEEDS_RESET);
    /* §2.1.2: the driver never clears a bit but by a reset (0).  Taking
     * DRIVER_OK away and back would activate the device a second time
     * over its running workers (found by fuzz-virtio-pci-common). */
    if (old & ~status) {
        g_debug("%s: status 0x%x clears bits of 0x%x: ignored", vdev->id,
                status, old);
        return;
    }
    if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
        !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
        /* §3.1.1: refuse a subset we did not offer, and legacy drivers
         * (modern transport only): the driver sees FEATURES_OK unset. */
        if (vdev->driver_features_bad ||
            (vdev->driver_features & ~vdev->host_features) ||
            !virtio_has_feature(vdev, VIRTIO_F_VERSION_1) ||
            (vdev->dma &&
             !virtio_has_feature(vdev, VIRTIO_F_ACCESS_PLATFORM))) {
            g_debug("%s: driver features 0x%" G_GINT64_MODIFIER "x refused",
                    vdev->id, vdev->driver_features);
            status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
        }
    }
    if ((status & VIRTIO_CONFIG_S_DRIVER_OK) &&
        !(status & VIRTIO_CONFIG_S_FEATURES_OK)) {
        g_debug("%s: DRIVER_OK without FEATURES_OK ignored", vdev->id);
        status &= ~VIRTIO_CONFIG_S_DRIVER_OK;
    }
    g_atomic_int_set(&vdev->status, status);
    if ((status & VIRTIO_CONFIG_S_DRIVER_OK) &&
        !(old & VIRTIO_CONFIG_S_DRIVER_OK) && !virtio_device_is_broken(vdev))
        virtio_device_activate(vdev);
}

bool
virtio_device_pause(VirtioDevice *vdev, GError **error)
{
    if (!vdev->active || !vdev->ops->pause)
        return true;
    return vdev->ops->pause(vdev, error);
}

bool
virtio_device_resume(VirtioDevice *vdev, GError **error)
{
    if (!vdev->active || !vdev->ops->resume)
        return true;
    return vdev->ops->resume(vdev, error);
}

uint8_t
virtio_device_read_isr(VirtioDevice *vdev)
{
    return (uint8_t)g_atomic_int_and(&vdev->isr, 0);
}

void
virtio_device_set_broken(VirtioDevice *vdev, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    unsigned suppressed = 0;
    va_list ap;

    /* Log once per reset cycle: a hostile guest must not flood the log. */
    if (!g_atomic_int_compare_and_exchange(&vdev->broken, 0, 1))
        return;
    if (ratelimit_allow(&vdev->broken_log, RATELIMIT_BURST,
                        RATELIMIT_INTERVAL_US, &suppressed)) {
        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        if (suppressed)
            g_warning("%s: %u more NEEDS_RESET messages suppressed", vdev->id,
                      suppressed);
        g_warning("%s: %s; device needs reset", vdev->id, msg);
    }
    g_atomic_int_or(&vdev->status, VIRTIO_CONFIG_S_NEEDS_RESET);
    virtio_notify_config(vdev);
}

void
virtio_notify(VirtioDevice *vdev, VirtQueue *vq)
{
    if (!virtqueue_should_notify(vq))
        return;
    g_atomic_int_or(&vdev->isr, 1);   /* §4.1.4.5: queue interrupt */
    if (vdev->transport)
        vdev->transport->notify(vdev, vq->msix_vector);
}

void
virtio_notify_config(VirtioDevice *vdev)
{
    g_atomic_int_inc(&vdev->config_generation);
    g_atomic_int_or(&vdev->isr, 2);   /* §4.1.4.5: configuration change */
    if (vdev->transport)
        vdev->transport->notify(vdev, vdev->config_vector);
}

void
virtio_config_read(const void *config, size_t size, uint32_t off, void *data,
                   unsigned len)
{
    memset(data, 0, len);
    if (off < size)
        memcpy(data, (const uint8_t *)config + off, MIN(len, size - off));
}

/* ---- Snapshot state ----------------------------------------------------- */

static const VmmStateField virtio_device_state_fields[] = {
    VMM_STATE_UINT_FIELD(VirtioState, driver_features, 0, G_MAXINT64),
    VMM_STATE_UINT_FIELD(VirtioState, status, 0, 0xff),
    VMM_STATE_UINT_FIELD(VirtioState, config_vector, 0, 0xffff),
    { .name = "queues", .type = VMM_STATE_STRUCT,
      .offset = offsetof(VirtioState, queues),
      .flags = VMM_STATE_F_PTR | VMM_STATE_F_LEN,
      .len_off = offsetof(VirtioState, nqueues),
      .desc = &virtqueue_state_desc },
    { .name = "device", .type = VMM_STATE_STRUCT,
      .offset = offsetof(VirtioState, device),
      .flags = VMM_STATE_F_PTR | VMM_STATE_F_DYN_DESC,
      .desc_off = offsetof(VirtioState, device_desc) },
};

const VmmStateDesc virtio_device_state_desc = {
    .name = "virtio",
    .version = 1,
    .size = sizeof(VirtioState),
    .fields = virtio_device_state_fields,
    .n_fields = G_N_ELEMENTS(virtio_device_state_fields),
};

void
virtio_device_get_state(VirtioDevice *vdev, VirtioState *st)
{
    st->driver_features = vdev->driver_features;
    st->status = virtio_device_get_status(vdev);
    st->config_vector = vdev->config_vector;
    st->nqueues = vdev->nvqs;
    st->queues = g_new0(VirtQueueState, vdev->nvqs);
    for (unsigned i = 0; i < vdev->nvqs; i++)
        virtqueue_get_state(&vdev->vqs[i], &st->queues[i]);
    st->device_desc = vdev->ops->state_desc;
    st->device = NULL;
    if (st->device_desc) {
        st->device = g_malloc0(st->device_desc->size);
        vdev->ops->state_get(vdev, st->device);
    }
}

bool
virtio_device_check_state(VirtioDevice *vdev, const VirtioState *st,
                          const char *path, GError **error)
{
    g_autofree char *field = g_strconcat(path, *path ? "." : "",
                                         "driver_features", NULL);

    /* The driver can only have accepted what this device offers. */
    if (st->driver_features & ~vdev->host_features) {
        vmm_state_error(error, vdev->id, field,
                        "0x%" G_GINT64_MODIFIER "x not offered by the device "
                        "(0x%" G_GINT64_MODIFIER "x)", st->driver_features,
                        vdev->host_features);
        return false;
    }
    return true;
}

void
virtio_device_set_state(VirtioDevice *vdev, const VirtioState *st)
{
    virtio_device_reset(vdev);
    for (unsigned i = 0; i < vdev->nvqs; i++)
        virtqueue_set_state(&vdev->vqs[i], &st->queues[i]);
    if (st->device)
        vdev->ops->state_set(vdev, st->device);
    vdev->driver_features = st->driver_features;
    vdev->config_vector = st->config_vector;
    /* Going through the status machine re-activates a running device. */
    g_atomic_int_set(&vdev->status,
                     (gint)(st->status & ~VIRTIO_CONFIG_S_DRIVER_OK));
    if (st->status & VIRTIO_CONFIG_S_DRIVER_OK)
        virtio_device_set_status(vdev, st->status);
}

void
virtio_state_clear(VirtioState *st)
{
    g_clear_pointer(&st->queues, g_free);
    g_clear_pointer(&st->device, g_free);
    st->nqueues = 0;
}

JsonNode *
virtio_device_save(VirtioDevice *vdev)
{
    VirtioState st = { 0 };
    JsonNode *node;

    virtio_device_get_state(vdev, &st);
    node = vmm_state_save(&virtio_device_state_desc, &st);
    virtio_state_clear(&st);
    return node;
}

bool
virtio_device_restore(VirtioDevice *vdev, JsonNode *state, GError **error)
{
    VirtioState st = { 0 };
    bool ok;

    virtio_device_get_state(vdev, &st);
    ok = vmm_state_load(&virtio_device_state_desc, state, vdev->id, &st,
                        error) &&
         virtio_device_check_state(vdev, &st, "", error);
    if (ok)
        virtio_device_set_state(vdev, &st);
    virtio_state_clear(&st);
    return ok;
}

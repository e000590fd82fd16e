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
    if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
        !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
        /* §3.1.1: refuse a subset we did not offer, and legacy drivers
         * (modern transport only): the driver sees FEATURES_OK unset. */
        if ((vdev->driver_features & ~vdev->host_features) ||
            !virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
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

JsonNode *
virtio_device_save(VirtioDevice *vdev, GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    JsonNode *dev_state = NULL;

    if (vdev->ops->save && !(dev_state = vdev->ops->save(vdev, error)))
        return NULL;
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "driver_features");
    json_builder_add_int_value(b, (gint64)vdev->driver_features);
    json_builder_set_member_name(b, "status");
    json_builder_add_int_value(b, virtio_device_get_status(vdev));
    json_builder_set_member_name(b, "config_vector");
    json_builder_add_int_value(b, vdev->config_vector);
    json_builder_set_member_name(b, "queues");
    json_builder_begin_array(b);
    for (unsigned i = 0; i < vdev->nvqs; i++)
        json_builder_add_value(b, virtqueue_save(&vdev->vqs[i]));
    json_builder_end_array(b);
    if (dev_state) {
        json_builder_set_member_name(b, "device");
        json_builder_add_value(b, dev_state);
    }
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

bool
virtio_device_restore(VirtioDevice *vdev, JsonObject *obj, GError **error)
{
    JsonArray *queues;
    JsonNode *n;
    gint64 features, status, vector;

    queues = json_object_has_member(obj, "queues")
                 ? json_object_get_array_member(obj, "queues") : NULL;
    if (!json_object_has_member(obj, "driver_features") ||
        !json_object_has_member(obj, "status") ||
        !json_object_has_member(obj, "config_vector") || !queues ||
        json_array_get_length(queues) != vdev->nvqs) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: virtio state: missing fields or wrong queue count",
                    vdev->id);
        return false;
    }
    features = json_object_get_int_member(obj, "driver_features");
    status = json_object_get_int_member(obj, "status");
    vector = json_object_get_int_member(obj, "config_vector");
    if (((uint64_t)features & ~vdev->host_features) || status < 0 ||
        status > 0xff || vector < 0 || vector > 0xffff) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: virtio state: invalid features, status or vector",
                    vdev->id);
        return false;
    }
    virtio_device_reset(vdev);
    for (unsigned i = 0; i < vdev->nvqs; i++) {
        JsonNode *q = json_array_get_element(queues, i);

        if (!JSON_NODE_HOLDS_OBJECT(q)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "%s: virtio state: queue %u is not an object",
                        vdev->id, i);
            return false;
        }
        if (!virtqueue_restore(&vdev->vqs[i], json_node_get_object(q), error))
            return false;
    }
    n = json_object_get_member(obj, "device");
    if (n && vdev->ops->restore && !vdev->ops->restore(vdev, n, error))
        return false;
    vdev->driver_features = (uint64_t)features;
    vdev->config_vector = (uint16_t)vector;
    /* Going through the status machine re-activates a running device. */
    g_atomic_int_set(&vdev->status, (gint)(status & ~VIRTIO_CONFIG_S_DRIVER_OK));
    if (status & VIRTIO_CONFIG_S_DRIVER_OK)
        virtio_device_set_status(vdev, (uint8_t)status);
    return true;
}

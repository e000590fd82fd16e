/* SPDX-License-Identifier: Apache-2.0 */
/* Virtio device core: feature negotiation, status machine, reset, NEEDS_RESET, interrupts. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "devices/device-host.h"
#include "devices/legacy/ratelimit.h"
#include "devices/state.h"
#include "devices/virtio/queue.h"

#define VIRTIO_NO_VECTOR 0xffff

/* Features every nimbus virtio device offers (CH's common set minus the
 * ones nimbus does not implement yet: IN_ORDER, NOTIFICATION_DATA...). */
#define VIRTIO_COMMON_FEATURES                                                 \
    ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) |       \
     (1ULL << VIRTIO_RING_F_INDIRECT_DESC))

typedef struct VirtioDevice VirtioDevice;

/**
 * VirtioDeviceOps:
 * The device half of a virtio device (blk, net, console, rng), independent
 * of the transport.  `static const`; nothing writes into it.
 *
 * @read_config/@write_config: the device-specific configuration space
 *   (@config_size bytes); vCPU threads.  @write_config may be NULL (read-only).
 * @activate: the driver set DRIVER_OK; the queues are validated and mapped.
 *   Starts the worker threads.  vCPU thread (transport lock held).  A
 *   failure marks the device NEEDS_RESET.
 * @reset: stops processing; when it returns no thread touches the queues
 *   any more.  Called on a driver reset (vCPU thread) and VM reset (control
 *   thread), also when the device was never activated.
 * @pause/@resume: stop and restart the workers of an active device,
 *   keeping all state (vm.pause, snapshots).
 * @state_desc: the device-specific snapshot state (optional: the core
 *   saves features, status and queues itself), a versioned section of its
 *   own under "device"; @state_get fills a struct of @state_desc->size
 *   from the device (also what a load starts from: bounds that depend on
 *   the instance go there, see VMM_STATE_F_DYN_MAX), @state_set applies
 *   a loaded one.  Control thread, device stopped.
 * @counters: vm.counters object (optional).
 * @free: closes the backends and frees the containing struct.
 */
typedef struct {
    const char *name;
    uint16_t device_type;             /* VIRTIO_ID_* */
    uint32_t config_size;
    void (*read_config)(VirtioDevice *vdev, uint32_t off, void *data,
                        unsigned len);
    void (*write_config)(VirtioDevice *vdev, uint32_t off, const void *data,
                         unsigned len);
    bool (*activate)(VirtioDevice *vdev, GError **error);
    void (*reset)(VirtioDevice *vdev);
    bool (*pause)(VirtioDevice *vdev, GError **error);
    bool (*resume)(VirtioDevice *vdev, GError **error);
    const VmmStateDesc *state_desc;
    void (*state_get)(VirtioDevice *vdev, void *st);
    void (*state_set)(VirtioDevice *vdev, const void *st);
    JsonNode *(*counters)(VirtioDevice *vdev);
    void (*free)(VirtioDevice *vdev);
} VirtioDeviceOps;

/**
 * VirtioTransportOps:
 * What the core needs from its transport (virtio-pci today).
 * @notify raises interrupt @vector (VIRTIO_NO_VECTOR: none); any thread,
 * never blocks on the transport's lock.
 */
typedef struct {
    void (*notify)(VirtioDevice *vdev, uint16_t vector);
} VirtioTransportOps;

/**
 * VirtioDevice:
 * Embedded in each device struct.  Field protection:
 *  - immutable after virtio_device_init(): @ops, @id, @host,
 *    @host_features, @nvqs, @vqs (the array), @kick_fds; @dma, set once
 *    before the VM runs (virtio_device_set_dma());
 *  - set once by the transport before realize: @transport, @transport_data;
 *  - written by vCPU threads under the transport's lock, immutable while
 *    the device is active: @driver_features, @config_vector, @active and the
 *    driver-programmed queue fields;
 *  - atomic (any thread): @status, @isr, @config_generation, @broken.
 */
struct VirtioDevice {
    const VirtioDeviceOps *ops;
    char *id;
    DeviceHost *host;
    uint64_t host_features;
    unsigned nvqs;
    VirtQueue *vqs;
    int *kick_fds;                 /* one eventfd per queue (ioeventfd) */
    /* Owned; NULL unless the device sits behind an IOMMU. */
    VirtQueueDma *dma;
    /* The VIRTIO_ID_* the transport shows when not @ops's (0): a generic
     * vhost-user device is of whatever type its back end serves.  Set
     * before the transport is created, immutable after. */
    uint16_t device_type;

    const VirtioTransportOps *transport;
    gpointer transport_data;

    /* What the driver accepted, masked to @host_features (as QEMU keeps
     * it): a saved state then always restores.  @driver_features_bad: the
     * driver also wrote bits we do not offer, so FEATURES_OK is refused
     * (§3.1.1); cleared by a reset, not saved. */
    uint64_t driver_features;
    bool driver_features_bad;
    uint16_t config_vector;
    bool active;                   /* DRIVER_OK seen and activation done */

    gint status;
    gint isr;
    gint config_generation;
    gint broken;
    /* Written only by the thread that wins the @broken 0 -> 1 exchange: a
     * guest that breaks and resets the device in a loop cannot flood the
     * log. */
    RateLimit broken_log;
};

/**
 * virtio_device_init:
 * Fills the common part: @nvqs queues of @queue_size, one kick eventfd each.
 * @host (the rings' memory, the dirty marker, the event sink) may be NULL
 * in unit tests that never activate.  Returns false with @error set if an
 * eventfd cannot be created.
 */
bool virtio_device_init(VirtioDevice *vdev, const VirtioDeviceOps *ops,
                        DeviceHost *host, const char *id,
                        uint64_t host_features, unsigned nvqs,
                        uint16_t queue_size, GError **error);
/**
 * virtio_device_set_dma:
 * Puts @vdev behind an IOMMU before the VM runs (the registry does it
 * once the device's PCI function, its endpoint id, is placed): it offers
 * VIRTIO_F_ACCESS_PLATFORM, refuses FEATURES_OK from a driver that does
 * not accept it (that driver would bypass the IOMMU), and its queues
 * translate every address through @dma once activated.  @dma: (transfer
 * full), a block g_free() releases.
 */
void virtio_device_set_dma(VirtioDevice *vdev, VirtQueueDma *dma);
/* Releases what virtio_device_init() took (not the containing struct). */
void virtio_device_cleanup(VirtioDevice *vdev);
/* ops->free, for a device not (yet) owned by a transport. */
void virtio_device_free(VirtioDevice *vdev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtioDevice, virtio_device_free)

static inline bool
virtio_has_feature(const VirtioDevice *vdev, unsigned bit)
{
    return vdev->driver_features & (1ULL << bit);
}

/* ---- For transports (caller holds the transport lock) ------------------ */

/* The driver wrote the device status (virtio 1.2 §2.1, §3.1.1). */
void virtio_device_set_status(VirtioDevice *vdev, uint8_t status);
uint8_t virtio_device_get_status(VirtioDevice *vdev);
/* Device reset: stops processing, forgets negotiation and queues; emits
 * the virtio-device "reset" event when the device was active. */
void virtio_device_reset(VirtioDevice *vdev);
/* Stops processing for good (unrealize): like a reset, without the
 * "reset" event, which belongs to resets the guest or the VM asked for. */
void virtio_device_stop(VirtioDevice *vdev);
/* vm.pause / vm.resume of an active device. */
bool virtio_device_pause(VirtioDevice *vdev, GError **error);
bool virtio_device_resume(VirtioDevice *vdev, GError **error);
/* Reads and clears the ISR (virtio 1.2 §4.1.4.5). */
uint8_t virtio_device_read_isr(VirtioDevice *vdev);
/**
 * VirtioState:
 * The core's snapshot state (virtio_device_state_desc): negotiation,
 * status, the queues and, under "device", the device's own section
 * (@device_desc, NULL when the device keeps none).
 */
typedef struct {
    uint64_t driver_features;
    uint8_t status;
    uint16_t config_vector;
    unsigned nqueues;
    VirtQueueState *queues;
    const VmmStateDesc *device_desc;
    void *device;
} VirtioState;

extern const VmmStateDesc virtio_device_state_desc;

/* Fills @st from @vdev, allocating the arrays (virtio_state_clear() frees
 * them); a load starts from it (array lengths, bounds). */
void virtio_device_get_state(VirtioDevice *vdev, VirtioState *st);
/* The checks a loaded @st needs the device for (offered features);
 * changes nothing.  @path: where the section sits in the blob ("virtio"),
 * "" at the root, for the error message. */
bool virtio_device_check_state(VirtioDevice *vdev, const VirtioState *st,
                               const char *path, GError **error);
/* Resets @vdev and gives it a checked @st; re-activates a running one. */
void virtio_device_set_state(VirtioDevice *vdev, const VirtioState *st);
void virtio_state_clear(VirtioState *st);
/* The same as one JSON section, for users of the core alone. */
JsonNode *virtio_device_save(VirtioDevice *vdev);
bool virtio_device_restore(VirtioDevice *vdev, JsonNode *state,
                           GError **error);

/* ---- For devices (data plane: any thread, no allocation) -------------- */

/**
 * virtio_device_set_broken:
 * The guest did something the spec forbids (malformed ring or request):
 * sets DEVICE_NEEDS_RESET, raises a configuration change interrupt, logs
 * the reason once, and makes virtio_device_is_broken() true so that
 * workers stop processing until the driver resets the device.  The VMM
 * keeps running.
 */
void virtio_device_set_broken(VirtioDevice *vdev, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static inline bool
virtio_device_is_broken(VirtioDevice *vdev)
{
    return g_atomic_int_get(&vdev->broken) != 0;
}

/* Interrupts the driver for @vq if it asked for it (EVENT_IDX etc.). */
void virtio_notify(VirtioDevice *vdev, VirtQueue *vq);
/* The configuration space changed: new generation + config interrupt. */
void virtio_notify_config(VirtioDevice *vdev);

/* Reads @len bytes at @off of a config struct of @size bytes; bytes past
 * the end read as zero. */
void virtio_config_read(const void *config, size_t size, uint32_t off,
                        void *data, unsigned len);

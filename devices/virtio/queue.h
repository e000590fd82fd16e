/* SPDX-License-Identifier: Apache-2.0 */
/* Split virtqueues (virtio 1.2 §2.7): chain walking, used ring, notification suppression. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "devices/device-host.h"
#include "devices/state.h"

/* Largest split queue (virtio 1.2 §2.7: Queue Size up to 32768). */
#define VIRTQUEUE_MAX_SIZE 32768

/**
 * VirtQueueElem:
 * One descriptor chain, mapped to host memory.  The device-readable
 * buffers come first in @iov (@out_num of them), then the device-writable
 * ones (@in_num).  Zero-length descriptors are dropped.  An element is
 * allocated once (virtqueue_elem_new()) and reused for every pop.
 */
typedef struct {
    uint16_t head;          /* id returned in the used ring */
    unsigned out_num;
    unsigned in_num;
    size_t out_len;         /* bytes the device may read */
    size_t in_len;          /* bytes the device may write */
    unsigned max_segs;      /* capacity of @iov: longer chains are refused */
    struct iovec *iov;
    /* Guest-physical address of each @iov entry: virtqueue_push() marks
     * what the device wrote dirty by it (live migration). */
    uint64_t *gpa;
} VirtQueueElem;

#define VIRTQUEUE_ELEM_OUT(e) ((e)->iov)
#define VIRTQUEUE_ELEM_IN(e) ((e)->iov + (e)->out_num)

VirtQueueElem *virtqueue_elem_new(unsigned max_segs);
void virtqueue_elem_free(VirtQueueElem *elem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtQueueElem, virtqueue_elem_free)

/**
 * VirtQueueDma:
 * How a device behind an IOMMU (VIRTIO_F_ACCESS_PLATFORM negotiated) turns
 * the addresses its driver writes into rings and descriptors (I/O virtual
 * addresses) into guest-physical ones.  @translate: for a DMA of @len
 * (> 0) bytes at @iova, the guest-physical address of @iova in *@gpa and
 * in *@mapped how many bytes (1..@len) from there are contiguous; 0, or
 * -errno when the IOMMU blocks the access.  Any thread, no allocation.
 * Immutable; owned by the device (VirtioDevice.dma).
 */
typedef struct {
    int (*translate)(gpointer opaque, uint64_t iova, uint64_t len, bool write,
                     uint64_t *gpa, uint64_t *mapped);
    gpointer opaque;
} VirtQueueDma;

/**
 * VirtQueue:
 * A split virtqueue.  The driver-programmed fields (@size ... @used_addr,
 * @enabled, @msix_vector) are written by vCPU threads through the transport
 * under the device lock, and only before DRIVER_OK (virtio 1.2 §4.1.4.3.2),
 * so they are immutable while the queue is active.  Everything else is
 * owned by the one thread that processes the queue (its worker), between
 * virtqueue_activate() and virtqueue_reset().
 */
typedef struct {
    /* Immutable after virtqueue_init(). */
    unsigned index;
    uint16_t max_size;

    /* Driver-programmed (see above). */
    uint16_t size;
    bool enabled;
    uint16_t msix_vector;
    uint64_t desc_addr;
    uint64_t avail_addr;    /* "driver area" */
    uint64_t used_addr;     /* "device area" */

    /* Set by virtqueue_activate(); worker thread afterwards. */
    bool ready;
    bool event_idx;         /* VIRTIO_RING_F_EVENT_IDX negotiated */
    bool indirect;          /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
    DeviceHost *host;       /* memory translation and the dirty marker */
    const GuestMemory *mem;
    /* NULL: the driver's addresses are guest-physical (the fast path);
     * else every ring and buffer address goes through it.  Set by the
     * caller before virtqueue_activate(), cleared by virtqueue_reset(). */
    const VirtQueueDma *dma;
    uint64_t used_gpa;      /* guest-physical used_addr (dirty marking) */
    uint8_t *desc;          /* host pointers, bounds-checked at activation */
    uint8_t *avail;
    uint8_t *used;
    uint16_t last_avail;    /* next avail ring slot to consume */
    uint16_t used_idx;      /* our copy of used->idx */
    uint16_t signalled_used;        /* used_idx at the last notification */
    bool signalled_used_valid;
    bool notify_off;                /* virtqueue_disable_notify() in force */
    /* Why the last pop failed (a static string), for NEEDS_RESET logs. */
    const char *error;
} VirtQueue;

/* Sets the immutable fields and resets the rest. */
void virtqueue_init(VirtQueue *vq, unsigned index, uint16_t max_size);
/* Back to the power-on state (device reset): size = max_size, disabled,
 * no vector (0xffff), addresses 0. */
void virtqueue_reset(VirtQueue *vq);

/**
 * virtqueue_activate:
 * Validates and maps the rings the driver programmed (size a power of two
 * no larger than max_size, alignment of §2.7, every ring inside one RAM
 * region), with the negotiated @features (VIRTIO_RING_F_*).  Returns 0, or
 * -EINVAL with vq->error set.  A disabled queue is left not ready (0).
 * With vq->dma set, each ring must be mapped readable (descriptors,
 * available ring) or writable (used ring) and contiguous in guest RAM.
 * @host's memory is where the rings live; every write the queue makes into
 * guest memory (used ring, avail_event, the buffers a push reports as
 * written) goes through its dirty marker.
 */
int virtqueue_activate(VirtQueue *vq, DeviceHost *host, uint64_t features);

/**
 * virtqueue_pop:
 * Takes the next available chain into @elem.  Returns 0, -ENOENT when the
 * ring is empty (with EVENT_IDX, and unless notifications are disabled,
 * avail_event then asks the driver to kick for the next buffer), or
 * another -errno for a malformed ring or chain (the
 * guest's fault: vq->error says why; the caller marks the device
 * NEEDS_RESET).  Every address, length, index and chain is checked: loops,
 * chains longer than the queue or than @elem holds, descriptors outside
 * RAM, nested or empty indirect tables, readable after writable buffers.
 */
int virtqueue_pop(VirtQueue *vq, VirtQueueElem *elem);
/* Gives back the last popped chain (e.g. the backend had no data). */
void virtqueue_unpop(VirtQueue *vq);
/* Puts @elem in the used ring with @len bytes written, and publishes it.
 * The first @len bytes of @elem's device-writable buffers and the used
 * ring entry are marked dirty: @len must cover every byte the device wrote
 * (virtio 1.2 §2.7.8 asks for exactly that). */
void virtqueue_push(VirtQueue *vq, const VirtQueueElem *elem, uint32_t len);

/**
 * virtqueue_mark_written:
 * Reports to the dirty marker that the device wrote bytes [@offset,
 * @offset + @len) of @elem's device-writable buffers, for writes that the
 * used length does not cover (virtio-blk's trailing status byte, a read
 * that failed half-way).  Bytes past the buffers are ignored.
 */
void virtqueue_mark_written(VirtQueue *vq, const VirtQueueElem *elem,
                            size_t offset, size_t len);

/**
 * virtqueue_should_notify:
 * Whether the driver wants an interrupt for what was pushed since the last
 * notification (EVENT_IDX used_event, else VIRTQ_AVAIL_F_NO_INTERRUPT).
 * Records the notification point when it returns true.
 */
bool virtqueue_should_notify(VirtQueue *vq);

/* Asks the driver not to kick (used ring flag / avail_event), while the
 * worker is busy draining the queue anyway. */
void virtqueue_disable_notify(VirtQueue *vq);
/* Asks for kicks again; returns true if more buffers arrived meanwhile
 * (the caller must process them: the driver may not kick for them). */
bool virtqueue_enable_notify(VirtQueue *vq);
/* True when buffers are available (a cheap peek, no validation). */
bool virtqueue_has_available(VirtQueue *vq);

/**
 * VirtQueueState:
 * A queue's snapshot state (virtqueue_state_desc): the driver-programmed
 * fields and the two ring indices.  An element of the virtio core's
 * "queues" array, versioned with it.  @max_size is no field: it bounds
 * @size when a blob is loaded.
 */
typedef struct {
    uint16_t size;
    bool enabled;
    uint16_t msix_vector;
    uint64_t desc_addr;
    uint64_t avail_addr;
    uint64_t used_addr;
    uint16_t last_avail;
    uint16_t used_idx;
    uint64_t max_size;
} VirtQueueState;

extern const VmmStateDesc virtqueue_state_desc;

/* Fills @st from @vq (also what a load starts from: the bounds). */
void virtqueue_get_state(const VirtQueue *vq, VirtQueueState *st);
/* Resets @vq and gives it @st (loaded against virtqueue_state_desc). */
void virtqueue_set_state(VirtQueue *vq, const VirtQueueState *st);

/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-mem (virtio 1.2 §5.15): hot(un)plug of RAM in blocks of the hotplug region. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <gio/gio.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mem.h>

#include "devices/virtio/iov.h"
#include "devices/virtio/mem.h"
#include "devices/virtio/worker.h"

/*
 * The device owns the VM's hotplug region (a GuestRegion mapped and given
 * to KVM whole when the VM was built, daemon/vm.c): plugging a block is
 * only bookkeeping here, and the guest's first touch faults the page in;
 * unplugging drops the block's pages from the host.  The host sets
 * requested_size (vm.resize desired_ram) and signals a config change; the
 * driver plugs or unplugs blocks towards it with requests on the one
 * queue, each answered ACK, NACK or ERROR (§5.15.6.1).  A request naming
 * blocks outside the usable region, misaligned, or in the wrong state is
 * answered ERROR; only a chain too short to hold a request and its
 * response breaks the device.
 */

#define MEM_QUEUE_SIZE 128
#define MEM_BITMAP_MAX_BYTES \
    (VM_CONFIG_HOTPLUG_MAX / VM_CONFIG_VIRTIO_MEM_BLOCK / 8)

typedef struct {
    VirtioDevice vdev;
    /* Immutable after virtio_mem_new(). */
    uint64_t addr;                /* GPA of the region */
    uint64_t region_size;
    uint64_t block_size;
    uint64_t nblocks;
    uint8_t *hva;                 /* the region's host mapping */
    int fd;                       /* its memfd when shared, else -1 */
    uint64_t fd_offset;
    int node;                     /* ACPI proximity domain, -1: none */
    VirtioWorker *worker;         /* control thread */
    VirtQueueElem *elem;          /* worker thread */
    /* Worker thread while the device runs; the control thread while it
     * is stopped (snapshots).  Bit n: block n is plugged. */
    uint64_t *bitmap;
    /* Written by the worker (plugged) or the control thread (requested),
     * read by vCPU threads (config space) and vm.info: atomics. */
    guint64 plugged_size;
    guint64 requested_size;
} VirtioMem;

static VirtioMem *
mem_from_vdev(VirtioDevice *vdev)
{
    return (VirtioMem *)vdev;
}

static bool
mem_block_plugged(const VirtioMem *m, uint64_t b)
{
    return m->bitmap[b / 64] & (1ULL << (b % 64));
}

static void
mem_block_set(VirtioMem *m, uint64_t b, bool plugged)
{
    if (plugged)
        m->bitmap[b / 64] |= 1ULL << (b % 64);
    else
        m->bitmap[b / 64] &= ~(1ULL << (b % 64));
}

/* Drops blocks [first, first + n) from the host: the guest reads zeroes
 * there should it plug them again.  Marked dirty so that a migration
 * sends the zeroes.  Advisory: a failure leaves the pages mapped. */
static void
mem_discard(VirtioMem *m, uint64_t first, uint64_t n)
{
    uint64_t off = first * m->block_size, len = n * m->block_size;

    if (m->fd >= 0) {
        /* MADV_DONTNEED on a shared mapping keeps the memfd's pages. */
        if (fallocate(m->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      (off_t)(m->fd_offset + off), (off_t)len))
            g_debug("%s: punching a hole: %s", m->vdev.id, g_strerror(errno));
    } else if (madvise(m->hva + off, len, MADV_DONTNEED)) {
        g_debug("%s: madvise: %s", m->vdev.id, g_strerror(errno));
    }
    device_host_mark_dirty(m->vdev.host, m->addr + off, len);
}

/* §5.15.6.2: a range is valid when it is block-aligned, non-empty and
 * inside the usable region (here the whole region).  *@first: its first
 * block. */
static bool
mem_range_valid(const VirtioMem *m, uint64_t addr, uint16_t nb_blocks,
                uint64_t *first)
{
    uint64_t off;

    if (nb_blocks == 0 || addr < m->addr || (addr - m->addr) % m->block_size)
        return false;
    off = (addr - m->addr) / m->block_size;
    if (off >= m->nblocks || nb_blocks > m->nblocks - off)
        return false;
    *first = off;
    return true;
}

/* Plugged blocks among [first, first + n). */
static uint64_t
mem_count_plugged(const VirtioMem *m, uint64_t first, uint64_t n)
{
    uint64_t count = 0;

    for (uint64_t b = first; b < first + n; b++)
        count += mem_block_plugged(m, b);
    return count;
}

static uint16_t
mem_plug(VirtioMem *m, uint64_t addr, uint16_t nb)
{
    uint64_t first, bytes = (uint64_t)nb * m->block_size;
    uint64_t plugged = __atomic_load_n(&m->plugged_size, __ATOMIC_RELAXED);

    if (!mem_range_valid(m, addr, nb, &first) ||
        mem_count_plugged(m, first, nb) != 0)
        return VIRTIO_MEM_RESP_ERROR;
    /* §5.15.5.1: never beyond what the host requested. */
    if (plugged + bytes >
        __atomic_load_n(&m->requested_size, __ATOMIC_RELAXED))
        return VIRTIO_MEM_RESP_NACK;
    for (uint64_t b = first; b < first + nb; b++)
        mem_block_set(m, b, true);
    __atomic_store_n(&m->plugged_size, plugged + bytes, __ATOMIC_RELAXED);
    return VIRTIO_MEM_RESP_ACK;
}

static uint16_t
mem_unplug(VirtioMem *m, uint64_t addr, uint16_t nb)
{
    uint64_t first, bytes = (uint64_t)nb * m->block_size;

    if (!mem_range_valid(m, addr, nb, &first) ||
        mem_count_plugged(m, first, nb) != nb)
        return VIRTIO_MEM_RESP_ERROR;
    mem_discard(m, first, nb);
    for (uint64_t b = first; b < first + nb; b++)
        mem_block_set(m, b, false);
    __atomic_sub_fetch(&m->plugged_size, bytes, __ATOMIC_RELAXED);
    return VIRTIO_MEM_RESP_ACK;
}

/* Drops every plugged run with one call each. */
static void
mem_unplug_all(VirtioMem *m)
{
    uint64_t b = 0;

    while (b < m->nblocks) {
        uint64_t start;

        if (!mem_block_plugged(m, b)) {
            b++;
            continue;
        }
        for (start = b; b < m->nblocks && mem_block_plugged(m, b); b++)
            mem_block_set(m, b, false);
        mem_discard(m, start, b - start);
    }
    __atomic_store_n(&m->plugged_size, 0, __ATOMIC_RELAXED);
}

int
virtio_mem_handle(VirtioDevice *vdev, VirtQueueElem *e)
{
    VirtioMem *m = mem_from_vdev(vdev);
    struct virtio_mem_req req;
    struct virtio_mem_resp resp;
    uint64_t addr, first, plugged;
    uint16_t nb;

    G_STATIC_ASSERT(sizeof(req) == VIRTIO_MEM_REQ_SIZE);
    G_STATIC_ASSERT(sizeof(resp) == VIRTIO_MEM_RESP_SIZE);
    /* §5.15.6: a request, then room for the response. */
    if (e->out_len < sizeof(req) || e->in_len < sizeof(resp))
        return -EINVAL;
    iov_to_buf(VIRTQUEUE_ELEM_OUT(e), e->out_num, 0, &req, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    /* The three range requests share one layout. */
    addr = GUINT64_FROM_LE(req.u.plug.addr);
    nb = GUINT16_FROM_LE(req.u.plug.nb_blocks);
    switch (GUINT16_FROM_LE(req.type)) {
    case VIRTIO_MEM_REQ_PLUG:
        resp.type = mem_plug(m, addr, nb);
        break;
    case VIRTIO_MEM_REQ_UNPLUG:
        resp.type = mem_unplug(m, addr, nb);
        break;
    case VIRTIO_MEM_REQ_UNPLUG_ALL:
        mem_unplug_all(m);
        resp.type = VIRTIO_MEM_RESP_ACK;
        break;
    case VIRTIO_MEM_REQ_STATE:
        if (!mem_range_valid(m, addr, nb, &first)) {
            resp.type = VIRTIO_MEM_RESP_ERROR;
            break;
        }
        plugged = mem_count_plugged(m, first, nb);
        resp.type = VIRTIO_MEM_RESP_ACK;
        resp.u.state.state = GUINT16_TO_LE(
            plugged == nb ? VIRTIO_MEM_STATE_PLUGGED
            : plugged == 0 ? VIRTIO_MEM_STATE_UNPLUGGED
                           : VIRTIO_MEM_STATE_MIXED);
        break;
    default:
        /* Unknown to this device: the answer says so (not logged, the
         * guest could flood the log). */
        resp.type = VIRTIO_MEM_RESP_ERROR;
        break;
    }
    resp.type = GUINT16_TO_LE(resp.type);
    return (int)iov_from_buf(VIRTQUEUE_ELEM_IN(e), e->in_num, 0, &resp,
                             sizeof(resp));
}

static void
mem_on_kick(gpointer opaque, int fd, short revents)
{
    VirtioMem *m = opaque;
    VirtioDevice *vdev = &m->vdev;
    VirtQueue *vq = &vdev->vqs[0];
    int r;

    virtio_eventfd_drain(fd);
    if (virtio_device_is_broken(vdev))
        return;
    while ((r = virtqueue_pop(vq, m->elem)) == 0) {
        int n = virtio_mem_handle(vdev, m->elem);

        if (n < 0) {
            virtio_device_set_broken(vdev, "request chain of %zu+%zu bytes "
                                     "is too short", m->elem->out_len,
                                     m->elem->in_len);
            return;
        }
        virtqueue_push(vq, m->elem, (uint32_t)n);
    }
    if (r != -ENOENT) {
        virtio_device_set_broken(vdev, "queue 0: %s", vq->error);
        return;
    }
    virtio_notify(vdev, vq);
}

static bool
mem_activate(VirtioDevice *vdev, GError **error)
{
    VirtioMem *m = mem_from_vdev(vdev);

    /* The same syscalls as the balloon's worker (madvise, fallocate on
     * the guest's memory), so the same seccomp role. */
    m->worker = virtio_worker_new(THREAD_ROLE_VIRTIO_BALLOON, vdev->id);
    virtio_worker_add_fd(m->worker, vdev->kick_fds[0], POLLIN, mem_on_kick,
                         m);
    virtio_eventfd_signal(vdev->kick_fds[0]);
    return virtio_worker_start(m->worker, error);
}

/* §5.15.5: a device reset leaves the blocks as they are; a new driver
 * finds plugged_size != 0 and unplugs everything first (Linux does). */
static void
mem_reset(VirtioDevice *vdev)
{
    g_clear_pointer(&mem_from_vdev(vdev)->worker, virtio_worker_free);
}

static bool
mem_pause(VirtioDevice *vdev, GError **error)
{
    virtio_worker_stop(mem_from_vdev(vdev)->worker);
    return true;
}

static bool
mem_resume(VirtioDevice *vdev, GError **error)
{
    return virtio_worker_start(mem_from_vdev(vdev)->worker, error);
}

/* struct virtio_mem_config; read-only for the driver. */
static void
mem_read_config(VirtioDevice *vdev, uint32_t off, void *data, unsigned len)
{
    VirtioMem *m = mem_from_vdev(vdev);
    struct virtio_mem_config c = {
        .block_size = GUINT64_TO_LE(m->block_size),
        .addr = GUINT64_TO_LE(m->addr),
        .region_size = GUINT64_TO_LE(m->region_size),
        /* Only meaningful with VIRTIO_MEM_F_ACPI_PXM (§5.15.4). */
        .node_id = GUINT16_TO_LE(m->node < 0 ? 0 : (uint16_t)m->node),
        .usable_region_size = GUINT64_TO_LE(m->region_size),
        .plugged_size = GUINT64_TO_LE(
            __atomic_load_n(&m->plugged_size, __ATOMIC_RELAXED)),
        .requested_size = GUINT64_TO_LE(
            __atomic_load_n(&m->requested_size, __ATOMIC_RELAXED)),
    };

    virtio_config_read(&c, sizeof(c), off, data, len);
}

/* Snapshot state: the target and which blocks are plugged (the pages
 * themselves travel with guest memory). */
typedef struct {
    uint64_t requested_size;
    uint64_t region_size;         /* bound of requested_size (not saved) */
    unsigned bitmap_len;
    uint8_t bitmap[MEM_BITMAP_MAX_BYTES];
} VirtioMemState;

static const VmmStateField mem_state_fields[] = {
    { .name = "requested_size", .type = VMM_STATE_UINT,
      .offset = offsetof(VirtioMemState, requested_size),
      .size = VMM_STATE_MEMBER_SIZE(VirtioMemState, requested_size),
      .min = 0, .max = G_MAXINT64, .flags = VMM_STATE_F_DYN_MAX,
      .max_off = offsetof(VirtioMemState, region_size) },
    VMM_STATE_VARBYTES_FIELD(VirtioMemState, bitmap, bitmap_len),
};

static const VmmStateDesc mem_state_desc = {
    .name = "virtio-mem",
    .version = 1,
    .size = sizeof(VirtioMemState),
    .fields = mem_state_fields,
    .n_fields = G_N_ELEMENTS(mem_state_fields),
};

static unsigned
mem_bitmap_bytes(const VirtioMem *m)
{
    return (unsigned)((m->nblocks + 7) / 8);
}

static void
mem_state_get(VirtioDevice *vdev, void *opaque)
{
    VirtioMem *m = mem_from_vdev(vdev);
    VirtioMemState *st = opaque;

    st->requested_size = __atomic_load_n(&m->requested_size,
                                         __ATOMIC_RELAXED);
    st->region_size = m->region_size;
    st->bitmap_len = mem_bitmap_bytes(m);
    for (uint64_t b = 0; b < m->nblocks; b++) {
        if (mem_block_plugged(m, b))
            st->bitmap[b / 8] |= (uint8_t)(1u << (b % 8));
    }
}

/* The blob passed the reader's type and range checks; a bitmap of another
 * region's size is cut or padded to this one, so plugged_size always
 * matches the blocks. */
static void
mem_state_set(VirtioDevice *vdev, const void *opaque)
{
    VirtioMem *m = mem_from_vdev(vdev);
    const VirtioMemState *st = opaque;
    uint64_t plugged = 0;

    memset(m->bitmap, 0, (m->nblocks + 63) / 64 * 8);
    for (uint64_t b = 0; b < m->nblocks && b / 8 < st->bitmap_len; b++) {
        if (st->bitmap[b / 8] & (1u << (b % 8))) {
            mem_block_set(m, b, true);
            plugged += m->block_size;
        }
    }
    __atomic_store_n(&m->plugged_size, plugged, __ATOMIC_RELAXED);
    __atomic_store_n(&m->requested_size,
                     st->requested_size - st->requested_size % m->block_size,
                     __ATOMIC_RELAXED);
}

static JsonNode *
mem_counters(VirtioDevice *vdev)
{
    g_autoptr(JsonBuilder) jb = json_builder_new();

    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "plugged_bytes");
    json_builder_add_int_value(jb, (gint64)virtio_mem_plugged(vdev));
    json_builder_set_member_name(jb, "requested_bytes");
    json_builder_add_int_value(jb, (gint64)virtio_mem_requested(vdev));
    json_builder_end_object(jb);
    return json_builder_get_root(jb);
}

static void
mem_free(VirtioDevice *vdev)
{
    VirtioMem *m = mem_from_vdev(vdev);

    mem_reset(vdev);
    virtqueue_elem_free(m->elem);
    g_free(m->bitmap);
    virtio_device_cleanup(vdev);
    g_free(m);
}

static const VirtioDeviceOps mem_ops = {
    .name = "mem",
    .device_type = VIRTIO_ID_MEM,
    .config_size = sizeof(struct virtio_mem_config),
    .read_config = mem_read_config,
    .activate = mem_activate,
    .reset = mem_reset,
    .pause = mem_pause,
    .resume = mem_resume,
    .state_desc = &mem_state_desc,
    .state_get = mem_state_get,
    .state_set = mem_state_set,
    .counters = mem_counters,
    .free = mem_free,
};

bool
virtio_mem_is(VirtioDevice *vdev)
{
    return vdev->ops == &mem_ops;
}

bool
virtio_mem_set_requested(VirtioDevice *vdev, uint64_t bytes, GError **error)
{
    VirtioMem *m = mem_from_vdev(vdev);

    if (bytes % m->block_size || bytes > m->region_size) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: %" G_GUINT64_FORMAT " bytes is not a multiple of "
                    "the %" G_GUINT64_FORMAT "-byte block size inside the "
                    "%" G_GUINT64_FORMAT "-byte region", vdev->id, bytes,
                    m->block_size, m->region_size);
        return false;
    }
    __atomic_store_n(&m->requested_size, bytes, __ATOMIC_RELAXED);
    virtio_notify_config(vdev);
    return true;
}

uint64_t
virtio_mem_requested(VirtioDevice *vdev)
{
    return __atomic_load_n(&mem_from_vdev(vdev)->requested_size,
                           __ATOMIC_RELAXED);
}

uint64_t
virtio_mem_plugged(VirtioDevice *vdev)
{
    return __atomic_load_n(&mem_from_vdev(vdev)->plugged_size,
                           __ATOMIC_RELAXED);
}

uint64_t
virtio_mem_block_size(VirtioDevice *vdev)
{
    return mem_from_vdev(vdev)->block_size;
}

uint64_t
virtio_mem_region_size(VirtioDevice *vdev)
{
    return mem_from_vdev(vdev)->region_size;
}

VirtioDevice *
virtio_mem_new(DeviceHost *host, const char *id, uint64_t requested,
               GError **error)
{
    const GuestMemory *mem = device_host_memory(host);
    uint64_t gpa = UINT64_MAX;

    for (unsigned i = 0; mem && i < mem->nregions; i++) {
        if (mem->regions[i].hotplug)
            gpa = mem->regions[i].gpa;
    }
    return virtio_mem_new_at(host, id, gpa, -1, requested, error);
}

VirtioDevice *
virtio_mem_new_at(DeviceHost *host, const char *id, uint64_t gpa, int node,
                  uint64_t requested, GError **error)
{
    const GuestMemory *mem = device_host_memory(host);
    const GuestRegion *r = NULL;
    uint64_t features = VIRTIO_COMMON_FEATURES;
    VirtioMem *m;

    for (unsigned i = 0; mem && i < mem->nregions; i++) {
        if (mem->regions[i].hotplug && mem->regions[i].gpa == gpa)
            r = &mem->regions[i];
    }
    if (node > G_MAXUINT16) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: NUMA node %d does not fit virtio-mem's node_id",
                    id, node);
        return NULL;
    }
    /* The driver then adds the plugged memory to that node (Linux:
     * pxm_to_node(node_id)); the SRAT gives the region the same one. */
    if (node >= 0)
        features |= 1ULL << VIRTIO_MEM_F_ACPI_PXM;
    if (!r || r->size == 0 || r->size % VM_CONFIG_VIRTIO_MEM_BLOCK ||
        r->gpa % VM_CONFIG_VIRTIO_MEM_BLOCK ||
        r->size > VM_CONFIG_HOTPLUG_MAX) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: the VM has no usable memory hotplug region", id);
        return NULL;
    }
    if (requested % VM_CONFIG_VIRTIO_MEM_BLOCK || requested > r->size) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: %" G_GUINT64_FORMAT " bytes to plug is not a "
                    "multiple of 2 MiB inside the %" G_GUINT64_FORMAT
                    "-byte hotplug region", id, requested, r->size);
        return NULL;
    }
    m = g_new0(VirtioMem, 1);
    m->addr = r->gpa;
    m->region_size = r->size;
    m->block_size = VM_CONFIG_VIRTIO_MEM_BLOCK;
    m->nblocks = r->size / m->block_size;
    m->hva = r->hva;
    m->fd = r->shared ? r->fd : -1;
    m->fd_offset = r->fd_offset;
    m->node = node;
    m->bitmap = g_new0(uint64_t, (m->nblocks + 63) / 64);
    m->requested_size = requested;
    m->elem = virtqueue_elem_new(MEM_QUEUE_SIZE);
    if (!virtio_device_init(&m->vdev, &mem_ops, host, id,
                            features, 1, MEM_QUEUE_SIZE,
                            error)) {
        mem_free(&m->vdev);
        return NULL;
    }
    return &m->vdev;
}

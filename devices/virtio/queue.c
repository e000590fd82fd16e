/* SPDX-License-Identifier: Apache-2.0 */
/* Split virtqueues (virtio 1.2 §2.7): chain walking, used ring, notification suppression. */
#include <config.h>

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <gio/gio.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/queue.h"

/*
 * Ring layout (virtio 1.2 §2.7.2), offsets in bytes for a queue of N:
 *   descriptor table  16 * N, 16-byte aligned: {le64 addr, le32 len,
 *                     le16 flags, le16 next}
 *   available ring    2-byte aligned: le16 flags, le16 idx, le16 ring[N],
 *                     le16 used_event (EVENT_IDX)
 *   used ring         4-byte aligned: le16 flags, le16 idx,
 *                     {le32 id, le32 len} ring[N], le16 avail_event
 *
 * The guest writes these rings concurrently with us.  Every field is read
 * exactly once into a local before it is validated and used (no double
 * fetch), and the 16-bit indices are accessed with atomic loads/stores so
 * that the compiler neither tears nor caches them.
 */
#define VQ_DESC_SIZE 16
#define VQ_AVAIL_RING 4
#define VQ_USED_RING 4
#define VQ_USED_ELEM 8

typedef struct {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
} VqDesc;

static inline uint16_t
vq_load16(const uint8_t *p)
{
    return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static inline void
vq_store16(uint8_t *p, uint16_t v)
{
    __atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELAXED);
}

static inline uint16_t
vq_avail_idx(const VirtQueue *vq)
{
    return vq_load16(vq->avail + 2);
}

static inline uint8_t *
vq_used_event(const VirtQueue *vq)
{
    return vq->avail + VQ_AVAIL_RING + 2u * vq->size;
}

static inline uint8_t *
vq_avail_event(const VirtQueue *vq)
{
    return vq->used + VQ_USED_RING + (size_t)VQ_USED_ELEM * vq->size;
}

/* Stores into the used ring ("device area") and reports the write to the
 * dirty marker.  The mark follows the store: a dirty-log pass that runs in
 * between then still sees the page, while marking first could let a pass
 * clear the bit before the new value exists. */
static inline void
vq_used_store16(VirtQueue *vq, uint8_t *p, uint16_t v)
{
    vq_store16(p, v);
    device_host_mark_dirty(vq->host, vq->used_gpa + (uint64_t)(p - vq->used),
                           2);
}

VirtQueueElem *
virtqueue_elem_new(unsigned max_segs)
{
    VirtQueueElem *elem = g_new0(VirtQueueElem, 1);

    elem->max_segs = max_segs;
    elem->iov = g_new0(struct iovec, max_segs);
    elem->gpa = g_new0(uint64_t, max_segs);
    return elem;
}

void
virtqueue_elem_free(VirtQueueElem *elem)
{
    if (!elem)
        return;
    g_free(elem->iov);
    g_free(elem->gpa);
    g_free(elem);
}

void
virtqueue_init(VirtQueue *vq, unsigned index, uint16_t max_size)
{
    memset(vq, 0, sizeof(*vq));
    vq->index = index;
    vq->max_size = max_size;
    virtqueue_reset(vq);
}

void
virtqueue_reset(VirtQueue *vq)
{
    unsigned index = vq->index;
    uint16_t max_size = vq->max_size;

    memset(vq, 0, sizeof(*vq));
    vq->index = index;
    vq->max_size = max_size;
    vq->size = max_size;
    vq->msix_vector = 0xffff;   /* VIRTIO_MSI_NO_VECTOR */
}

static int
vq_fail(VirtQueue *vq, const char *why)
{
    vq->error = why;
    return -EINVAL;
}

/* The guest-physical address of [@iova, @iova + @len) through vq->dma,
 * which must map all of it (readable, or writable when @write) onto
 * contiguous guest-physical addresses: rings and indirect tables are
 * used through one host pointer.  Adjacent mappings that are also
 * adjacent in guest-physical space count as one. */
static int
vq_dma_contig(const VirtQueue *vq, uint64_t iova, uint64_t len, bool write,
              uint64_t *gpa)
{
    uint64_t first = 0, g, m;

    for (uint64_t done = 0; done < len; done += m) {
        if (vq->dma->translate(vq->dma->opaque, iova + done, len - done,
                               write, &g, &m) < 0)
            return -EFAULT;
        if (done == 0)
            first = g;
        else if (g != first + done)
            return -EFAULT;
    }
    *gpa = first;
    return 0;
}

int
virtqueue_activate(VirtQueue *vq, DeviceHost *host, uint64_t features)
{
    const GuestMemory *mem = device_host_memory(host);
    uint64_t n = vq->size;
    uint64_t desc = vq->desc_addr, avail = vq->avail_addr;
    uint64_t used = vq->used_addr;

    vq->ready = false;
    vq->error = NULL;
    if (!vq->enabled)
        return 0;
    if (n == 0 || n > vq->max_size || (n & (n - 1)) != 0)
        return vq_fail(vq, "queue size is not a power of two up to the maximum");
    /* virtio 1.2 §2.7: alignment 16 / 2 / 4. */
    if ((vq->desc_addr & 15) || (vq->avail_addr & 1) || (vq->used_addr & 3))
        return vq_fail(vq, "misaligned ring address");
    /* Behind an IOMMU the ring addresses are I/O virtual addresses: the
     * driver maps the rings before DRIVER_OK, and we use them through
     * the guest-physical addresses they had then (as QEMU and CH do). */
    if (vq->dma &&
        (vq_dma_contig(vq, desc, VQ_DESC_SIZE * n, false, &desc) < 0 ||
         vq_dma_contig(vq, avail, VQ_AVAIL_RING + 2 * n + 2, false,
                       &avail) < 0 ||
         vq_dma_contig(vq, used, VQ_USED_RING + VQ_USED_ELEM * n + 2, true,
                       &used) < 0))
        return vq_fail(vq, "ring not mapped (or not contiguous) in the IOMMU");
    vq->desc = guest_mem_ptr(mem, desc, VQ_DESC_SIZE * n);
    vq->avail = guest_mem_ptr(mem, avail, VQ_AVAIL_RING + 2 * n + 2);
    vq->used = guest_mem_ptr(mem, used, VQ_USED_RING + VQ_USED_ELEM * n + 2);
    if (!vq->desc || !vq->avail || !vq->used)
        return vq_fail(vq, "ring outside guest RAM");
    vq->used_gpa = used;
    vq->host = host;
    vq->mem = mem;
    vq->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
    vq->indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
    /* A freshly activated queue starts from the indices the driver sees in
     * the rings (0 after reset; a restored device resumes from its saved
     * indices instead, see virtqueue_set_state()). */
    vq->signalled_used_valid = false;
    vq->ready = true;
    return 0;
}

static void
vq_read_desc(const uint8_t *table, unsigned i, VqDesc *d)
{
    uint8_t raw[VQ_DESC_SIZE];

    /* One copy of the guest's descriptor: everything below validates and
     * uses the copy, never the guest's memory again. */
    memcpy(raw, table + (size_t)i * VQ_DESC_SIZE, sizeof(raw));
    memcpy(&d->addr, raw, 8);
    memcpy(&d->len, raw + 8, 4);
    memcpy(&d->flags, raw + 12, 2);
    memcpy(&d->next, raw + 14, 2);
    d->addr = le64toh(d->addr);
    d->len = le32toh(d->len);
    d->flags = le16toh(d->flags);
    d->next = le16toh(d->next);
}

/* Appends guest-physical [@gpa, @gpa + @len) to @elem. */
static int
vq_add_seg(VirtQueue *vq, VirtQueueElem *elem, uint64_t gpa, uint32_t len,
           bool writable)
{
    void *hva;

    if (elem->out_num + elem->in_num >= elem->max_segs) {
        vq->error = "descriptor chain longer than the device accepts";
        return -E2BIG;
    }
    hva = guest_mem_ptr(vq->mem, gpa, len);
    if (!hva) {
        vq->error = "descriptor buffer outside guest RAM";
        return -EFAULT;
    }
    elem->iov[elem->out_num + elem->in_num] =
        (struct iovec){ .iov_base = hva, .iov_len = len };
    elem->gpa[elem->out_num + elem->in_num] = gpa;
    if (writable) {
        elem->in_num++;
        elem->in_len += len;
    } else {
        elem->out_num++;
        elem->out_len += len;
    }
    return 0;
}

/* Appends one data descriptor to @elem. */
static int
vq_map_desc(VirtQueue *vq, VirtQueueElem *elem, const VqDesc *d)
{
    bool writable = d->flags & VRING_DESC_F_WRITE;
    uint64_t gpa, m;
    int r;

    /* virtio 1.2 §2.7.4.2: device-writable buffers come after all the
     * device-readable ones. */
    if (!writable && elem->in_num > 0)
        return vq_fail(vq, "device-readable descriptor after a writable one");
    if (d->len == 0)
        return 0;
    if (!vq->dma)
        return vq_add_seg(vq, elem, d->addr, d->len, writable);
    /* An IOVA buffer may span several mappings: one segment each. */
    for (uint64_t done = 0; done < d->len; done += m) {
        if (vq->dma->translate(vq->dma->opaque, d->addr + done,
                               d->len - done, writable, &gpa, &m) < 0) {
            vq->error = "descriptor buffer not mapped in the IOMMU";
            return -EFAULT;
        }
        r = vq_add_seg(vq, elem, gpa, (uint32_t)m, writable);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Walks the chain starting at @head (virtio 1.2 §2.7.5, §2.7.5.3). */
static int
vq_walk_chain(VirtQueue *vq, uint16_t head, VirtQueueElem *elem)
{
    const uint8_t *table = vq->desc;
    unsigned table_len = vq->size;
    unsigned visited = 0;          /* in the current table */
    bool in_indirect = false;
    unsigned i = head;
    VqDesc d;
    int r;

    elem->head = head;
    elem->out_num = elem->in_num = 0;
    elem->out_len = elem->in_len = 0;
    for (;;) {
        /* A loop-free chain visits each descriptor of its table at most
         * once: more steps than entries means the guest built a loop. */
        if (++visited > table_len)
            return vq_fail(vq, "descriptor chain loop");
        vq_read_desc(table, i, &d);
        if (d.flags & VRING_DESC_F_INDIRECT) {
            if (!vq->indirect)
                return vq_fail(vq, "indirect descriptor not negotiated");
            if (in_indirect)
                return vq_fail(vq, "indirect descriptor inside an indirect table");
            /* §2.7.5.3.1: not together with NEXT. */
            if (d.flags & VRING_DESC_F_NEXT)
                return vq_fail(vq, "indirect descriptor with the NEXT flag");
            if (d.len == 0 || d.len % VQ_DESC_SIZE != 0)
                return vq_fail(vq, "indirect table length is not a multiple of 16");
            if (d.len / VQ_DESC_SIZE > VIRTQUEUE_MAX_SIZE)
                return vq_fail(vq, "indirect table larger than 32768 entries");
            if (vq->dma && vq_dma_contig(vq, d.addr, d.len, false,
                                         &d.addr) < 0) {
                vq->error = "indirect table not mapped in the IOMMU";
                return -EFAULT;
            }
            table = guest_mem_ptr(vq->mem, d.addr, d.len);
            if (!table) {
                vq->error = "indirect table outside guest RAM";
                return -EFAULT;
            }
            table_len = d.len / VQ_DESC_SIZE;
            visited = 0;
            in_indirect = true;
            i = 0;
            continue;
        }
        r = vq_map_desc(vq, elem, &d);
        if (r < 0)
            return r;
        if (!(d.flags & VRING_DESC_F_NEXT))
            return 0;
        i = d.next;
        if (i >= table_len)
            return vq_fail(vq, "next descriptor index out of range");
    }
}

int
virtqueue_pop(VirtQueue *vq, VirtQueueElem *elem)
{
    uint16_t avail_idx, head;

    if (!vq->ready)
        return -ENOENT;
    avail_idx = vq_avail_idx(vq);
    if (avail_idx == vq->last_avail) {
        /* With EVENT_IDX the driver kicks only when avail->idx passes
         * avail_event (§2.7.10): an empty ring must ask for the next
         * buffer, or the driver never kicks again.  Then look once more,
         * since the driver may have added one before seeing our write. */
        if (!vq->event_idx || vq->notify_off)
            return -ENOENT;
        vq_used_store16(vq, vq_avail_event(vq), vq->last_avail);
        /* Full barrier: avail_event visible before we re-read the index. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        avail_idx = vq_avail_idx(vq);
        if (avail_idx == vq->last_avail)
            return -ENOENT;
    }
    /* The driver only ever adds up to size entries beyond what we used. */
    if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
        return vq_fail(vq, "available index ahead by more than the queue size");
    /* Pairs with the driver's write barrier between writing the ring entry
     * (and the descriptors) and publishing avail->idx (§2.7.13.3): read the
     * entry only after observing the new index. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    head = vq_load16(vq->avail + VQ_AVAIL_RING +
                     2u * (vq->last_avail & (vq->size - 1)));
    if (head >= vq->size)
        return vq_fail(vq, "available ring entry out of range");
    vq->last_avail++;
    return vq_walk_chain(vq, head, elem);
}

void
virtqueue_unpop(VirtQueue *vq)
{
    vq->last_avail--;
}

void
virtqueue_mark_written(VirtQueue *vq, const VirtQueueElem *elem,
                       size_t offset, size_t len)
{
    for (unsigned i = elem->out_num; i < elem->out_num + elem->in_num && len;
         i++) {
        size_t seg = elem->iov[i].iov_len, n;

        if (offset >= seg) {
            offset -= seg;
            continue;
        }
        n = MIN(len, seg - offset);
        device_host_mark_dirty(vq->host, elem->gpa[i] + offset, n);
        offset = 0;
        len -= n;
    }
}

void
virtqueue_push(VirtQueue *vq, const VirtQueueElem *elem, uint32_t len)
{
    uint8_t *e = vq->used + VQ_USED_RING +
                 (size_t)VQ_USED_ELEM * (vq->used_idx & (vq->size - 1));
    uint32_t id = htole32(elem->head), l = htole32(len);

    /* The buffers were written before the push: mark them now, before
     * the driver may reuse them. */
    virtqueue_mark_written(vq, elem, 0, len);
    memcpy(e, &id, 4);
    memcpy(e + 4, &l, 4);
    device_host_mark_dirty(vq->host,
                           vq->used_gpa + (uint64_t)(e - vq->used),
                           VQ_USED_ELEM);
    vq->used_idx++;
    /* The used element must be visible before the index that publishes it
     * (§2.7.8): the driver reads the element after seeing used->idx. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    vq_used_store16(vq, vq->used + 2, vq->used_idx);
}

bool
virtqueue_should_notify(VirtQueue *vq)
{
    uint16_t old, new, event;
    bool valid;

    if (!vq->ready)
        return false;
    /* Full barrier: our used->idx store must be globally visible before we
     * read the driver's suppression state, or the driver could re-enable
     * interrupts after checking a stale used->idx while we read the old
     * flag, and both sides would wait forever (§2.7.7, §2.7.10). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!vq->event_idx)
        return !(vq_load16(vq->avail) & VRING_AVAIL_F_NO_INTERRUPT);
    old = vq->signalled_used;
    valid = vq->signalled_used_valid;
    new = vq->used_idx;
    vq->signalled_used = new;
    vq->signalled_used_valid = true;
    if (!valid)
        return true;
    event = vq_load16(vq_used_event(vq));
    /* vring_need_event(): notify if used_event lies in (old, new]. */
    return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

void
virtqueue_disable_notify(VirtQueue *vq)
{
    vq->notify_off = true;
    if (!vq->ready || vq->event_idx)
        return;   /* with EVENT_IDX, not updating avail_event is enough */
    vq_used_store16(vq, vq->used, vq_load16(vq->used) | VRING_USED_F_NO_NOTIFY);
}

bool
virtqueue_enable_notify(VirtQueue *vq)
{
    vq->notify_off = false;
    if (!vq->ready)
        return false;
    if (vq->event_idx)
        vq_used_store16(vq, vq_avail_event(vq), vq->last_avail);
    else
        vq_used_store16(vq, vq->used,
                        vq_load16(vq->used) & ~VRING_USED_F_NO_NOTIFY);
    /* Full barrier: the driver must see notifications enabled before we
     * look at avail->idx again; otherwise a buffer added in between would
     * get neither a kick nor our attention (§2.7.10). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return vq_avail_idx(vq) != vq->last_avail;
}

bool
virtqueue_has_available(VirtQueue *vq)
{
    return vq->ready && vq_avail_idx(vq) != vq->last_avail;
}

static const VmmStateField virtqueue_state_fields[] = {
    { .name = "size", .type = VMM_STATE_UINT,
      .offset = offsetof(VirtQueueState, size),
      .size = VMM_STATE_MEMBER_SIZE(VirtQueueState, size),
      .max = VIRTQUEUE_MAX_SIZE, .flags = VMM_STATE_F_DYN_MAX,
      .max_off = offsetof(VirtQueueState, max_size) },
    VMM_STATE_BOOL_FIELD(VirtQueueState, enabled),
    VMM_STATE_UINT_FIELD(VirtQueueState, msix_vector, 0, 0xffff),
    VMM_STATE_UINT_FIELD(VirtQueueState, desc_addr, 0, G_MAXINT64),
    VMM_STATE_UINT_FIELD(VirtQueueState, avail_addr, 0, G_MAXINT64),
    VMM_STATE_UINT_FIELD(VirtQueueState, used_addr, 0, G_MAXINT64),
    VMM_STATE_UINT_FIELD(VirtQueueState, last_avail, 0, 0xffff),
    VMM_STATE_UINT_FIELD(VirtQueueState, used_idx, 0, 0xffff),
};

/* Version 0: the queues are part of the virtio core's section. */
const VmmStateDesc virtqueue_state_desc = {
    .name = "virtqueue",
    .size = sizeof(VirtQueueState),
    .fields = virtqueue_state_fields,
    .n_fields = G_N_ELEMENTS(virtqueue_state_fields),
};

void
virtqueue_get_state(const VirtQueue *vq, VirtQueueState *st)
{
    st->size = vq->size;
    st->enabled = vq->enabled;
    st->msix_vector = vq->msix_vector;
    st->desc_addr = vq->desc_addr;
    st->avail_addr = vq->avail_addr;
    st->used_addr = vq->used_addr;
    st->last_avail = vq->last_avail;
    st->used_idx = vq->used_idx;
    st->max_size = vq->max_size;
}

void
virtqueue_set_state(VirtQueue *vq, const VirtQueueState *st)
{
    virtqueue_reset(vq);
    vq->size = st->size;
    vq->enabled = st->enabled;
    vq->msix_vector = st->msix_vector;
    vq->desc_addr = st->desc_addr;
    vq->avail_addr = st->avail_addr;
    vq->used_addr = st->used_addr;
    vq->last_avail = st->last_avail;
    vq->used_idx = st->used_idx;
}

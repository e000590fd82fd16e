/* SPDX-License-Identifier: Apache-2.0 */
/* A test "driver": builds split rings and buffers in a GuestMemory, as a guest would. */
#include <config.h>

#include <string.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/virtio.h"
#include "devices/virtio/worker.h"
#include "tests/unit/test-virtio-driver.h"

GuestMemory *
td_memory_new(void)
{
    MemoryConfig cfg = { 0 };
    GuestRange ranges[] = {
        { TD_RAM0_BASE, TD_RAM0_SIZE },
        { TD_RAM1_BASE, TD_RAM1_SIZE },
    };
    g_autoptr(GError) error = NULL;
    GuestMemory *mem = guest_memory_new(&cfg, ranges, 2, &error);

    g_assert_no_error(error);
    return mem;
}

void *
td_ptr(const GuestMemory *mem, uint64_t gpa, uint64_t len)
{
    void *p = guest_mem_ptr(mem, gpa, len);

    g_assert_nonnull(p);
    return p;
}

static void
td_w16(const TdRing *r, uint64_t gpa, uint16_t v)
{
    /* The device reads these with atomic loads: store the same way. */
    __atomic_store_n((uint16_t *)td_ptr(r->mem, gpa, 2), v, __ATOMIC_RELEASE);
}

static uint16_t
td_r16(const TdRing *r, uint64_t gpa)
{
    return __atomic_load_n((uint16_t *)td_ptr(r->mem, gpa, 2), __ATOMIC_ACQUIRE);
}

void
td_ring_init(TdRing *r, const GuestMemory *mem, uint64_t base, uint64_t span,
             uint16_t size)
{
    memset(r, 0, sizeof(*r));
    r->mem = mem;
    r->size = size;
    r->desc = base;
    r->avail = (base + 16ULL * size + 4095) & ~4095ULL;
    r->used = (r->avail + 6 + 2ULL * size + 4095) & ~4095ULL;
    r->data_next = (r->used + 6 + 8ULL * size + 4095) & ~4095ULL;
    r->data_end = base + span;
    memset(td_ptr(mem, base, r->data_next - base), 0, r->data_next - base);
}

void
td_ring_program(const TdRing *r, VirtQueue *vq)
{
    vq->size = r->size;
    vq->desc_addr = r->desc;
    vq->avail_addr = r->avail;
    vq->used_addr = r->used;
    vq->enabled = true;
}

uint64_t
td_alloc(TdRing *r, uint64_t len)
{
    uint64_t a = r->data_next;

    r->data_next = (r->data_next + len + 15) & ~15ULL;
    g_assert_cmpuint(r->data_next, <=, r->data_end);
    memset(td_ptr(r->mem, a, len ? len : 1), 0, len);
    return a;
}

void
td_set_desc(TdRing *r, uint16_t i, uint64_t addr, uint32_t len,
            uint16_t flags, uint16_t next)
{
    uint8_t *d = td_ptr(r->mem, r->desc + 16ULL * i, 16);

    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

uint16_t
td_next_desc(TdRing *r)
{
    uint16_t i = r->next_desc;

    r->next_desc = (uint16_t)((r->next_desc + 1) % r->size);
    return i;
}

uint16_t
td_add_chain(TdRing *r, const uint64_t *addr, const uint32_t *len, unsigned n,
             unsigned n_out)
{
    uint16_t idx[64];

    g_assert_cmpuint(n, <=, G_N_ELEMENTS(idx));
    for (unsigned i = 0; i < n; i++)
        idx[i] = td_next_desc(r);
    for (unsigned i = 0; i < n; i++) {
        uint16_t flags = (i >= n_out ? VRING_DESC_F_WRITE : 0) |
                         (i + 1 < n ? VRING_DESC_F_NEXT : 0);

        td_set_desc(r, idx[i], addr[i], len[i], flags,
                    i + 1 < n ? idx[i + 1] : 0);
    }
    return idx[0];
}

void
td_publish(TdRing *r, uint16_t head)
{
    td_w16(r, r->avail + 4 + 2ULL * (r->avail_idx % r->size), head);
    r->avail_idx++;
    /* td_w16 is a release store: the entry is visible before the index. */
    td_w16(r, r->avail + 2, r->avail_idx);
}

uint16_t
td_used_idx(const TdRing *r)
{
    return td_r16(r, r->used + 2);
}

bool
td_get_used(TdRing *r, uint32_t *id, uint32_t *len)
{
    uint8_t *e;

    if (td_used_idx(r) == r->last_used)
        return false;
    e = td_ptr(r->mem, r->used + 4 + 8ULL * (r->last_used % r->size), 8);
    memcpy(id, e, 4);
    memcpy(len, e + 4, 4);
    r->last_used++;
    return true;
}

void
td_set_avail_flags(TdRing *r, uint16_t flags)
{
    td_w16(r, r->avail, flags);
}

void
td_set_used_event(TdRing *r, uint16_t v)
{
    td_w16(r, r->avail + 4 + 2ULL * r->size, v);
}

uint16_t
td_get_avail_event(const TdRing *r)
{
    return td_r16(r, r->used + 4 + 8ULL * r->size);
}

uint16_t
td_get_used_flags(const TdRing *r)
{
    return td_r16(r, r->used);
}

void
td_set_avail_idx(TdRing *r, uint16_t idx)
{
    r->avail_idx = idx;
    td_w16(r, r->avail + 2, idx);
}

bool
td_wait_used(TdRing *r, unsigned n, guint timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while ((uint16_t)(td_used_idx(r) - r->last_used) < n) {
        if (g_get_monotonic_time() > end)
            return false;
        g_usleep(200);
    }
    return true;
}

uint8_t
td_blk_request(VirtioDevice *vdev, unsigned q, TdRing *r, uint32_t type,
               uint64_t sector, uint64_t data, uint32_t len, bool data_in,
               uint32_t *used_len)
{
    uint64_t hdr = td_alloc(r, 16), st = td_alloc(r, 1);
    uint64_t a[3];
    uint32_t l[3], id, ulen = 0;
    unsigned n = 0, n_out;
    uint8_t *h = td_ptr(r->mem, hdr, 16);

    memset(h, 0, 16);
    memcpy(h, &type, 4);
    memcpy(h + 8, &sector, 8);
    *(uint8_t *)td_ptr(r->mem, st, 1) = 0xff;
    a[n] = hdr;
    l[n++] = 16;
    if (len && !data_in) {
        a[n] = data;
        l[n++] = len;
    }
    n_out = n;
    if (len && data_in) {
        a[n] = data;
        l[n++] = len;
    }
    a[n] = st;
    l[n++] = 1;
    td_publish(r, td_add_chain(r, a, l, n, n_out));
    virtio_eventfd_signal(vdev->kick_fds[q]);
    if (!td_wait_used(r, 1, 5000))
        return 0xff;
    g_assert_true(td_get_used(r, &id, &ulen));
    if (used_len)
        *used_len = ulen;
    return *(uint8_t *)td_ptr(r->mem, st, 1);
}

void
td_device_start(VirtioDevice *vdev, TdRing *rings, unsigned n)
{
    uint8_t st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

    virtio_device_set_status(vdev, st);
    vdev->driver_features = vdev->host_features;
    st |= VIRTIO_CONFIG_S_FEATURES_OK;
    virtio_device_set_status(vdev, st);
    g_assert_cmpuint(virtio_device_get_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK,
                     !=, 0);
    for (unsigned i = 0; i < n; i++)
        td_ring_program(&rings[i], &vdev->vqs[i]);
    virtio_device_set_status(vdev, st | VIRTIO_CONFIG_S_DRIVER_OK);
}

bool
td_fuzz_load(DeviceHost *host, VirtQueue *vq, const uint8_t *data,
             size_t size)
{
    const GuestMemory *mem = device_host_memory(host);
    uint16_t qsize, avail_idx, used_event;
    uint64_t features = 0;
    uint8_t *ram = td_ptr(mem, 0, TD_FUZZ_DATA + 0x10000);
    size_t n;

    if (size < TD_FUZZ_HDR)
        return false;
    memset(ram, 0, TD_FUZZ_DATA + 0x10000);
    qsize = (uint16_t)(1u << (data[0] % 9));           /* 1 .. 256 */
    if (data[1] & 1)
        features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
    if (data[1] & 2)
        features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
    memcpy(&avail_idx, data + 2, 2);
    memcpy(&used_event, data + 4, 2);
    memcpy(ram + TD_FUZZ_AVAIL, data + 6, 2);          /* avail flags */
    memcpy(ram + TD_FUZZ_AVAIL + 2, &avail_idx, 2);
    memcpy(ram + TD_FUZZ_AVAIL + 4 + 2 * qsize, &used_event, 2);
    data += TD_FUZZ_HDR;
    size -= TD_FUZZ_HDR;
    n = MIN(size, 16u * qsize);
    memcpy(ram + TD_FUZZ_DESC, data, n);
    data += n;
    size -= n;
    n = MIN(size, 2u * qsize);
    memcpy(ram + TD_FUZZ_AVAIL + 4, data, n);
    data += n;
    size -= n;
    memcpy(ram + TD_FUZZ_DATA, data, MIN(size, 0x10000));

    virtqueue_init(vq, 0, 256);
    vq->size = qsize;
    vq->desc_addr = TD_FUZZ_DESC;
    vq->avail_addr = TD_FUZZ_AVAIL;
    vq->used_addr = TD_FUZZ_USED;
    vq->enabled = true;
    g_assert_cmpint(virtqueue_activate(vq, host, features), ==, 0);
    return true;
}

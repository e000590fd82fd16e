/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for split virtqueues: pop/push, notification suppression, indirect, malformed rings. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/queue.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define QSIZE 16
#define FEAT_ALL ((1ULL << VIRTIO_RING_F_EVENT_IDX) | \
                  (1ULL << VIRTIO_RING_F_INDIRECT_DESC))

typedef struct {
    GuestMemory *mem;
    FakeHost *host;         /* the queue's view of @mem, dirty marker */
    TdRing ring;
    VirtQueue vq;
    VirtQueueElem *elem;
} Fixture;

static void
fx_setup_features(Fixture *f, uint64_t features)
{
    f->mem = td_memory_new();
    f->host = fake_host_new_with_memory(f->mem);
    td_ring_init(&f->ring, f->mem, 0x10000, 0x100000, QSIZE);
    virtqueue_init(&f->vq, 0, QSIZE);
    td_ring_program(&f->ring, &f->vq);
    g_assert_cmpint(virtqueue_activate(&f->vq, fake_host_base(f->host),
                                       features), ==, 0);
    g_assert_true(f->vq.ready);
    f->elem = virtqueue_elem_new(8);
}

static void
fx_setup(Fixture *f, gconstpointer data)
{
    fx_setup_features(f, FEAT_ALL);
}

static void
fx_setup_plain(Fixture *f, gconstpointer data)
{
    fx_setup_features(f, 0);
}

static void
fx_teardown(Fixture *f, gconstpointer data)
{
    virtqueue_elem_free(f->elem);
    fake_host_free(f->host);
    guest_memory_free(f->mem);
}

static void
test_pop_empty(Fixture *f, gconstpointer data)
{
    g_assert_cmpint(virtqueue_pop(&f->vq, f->elem), ==, -ENOENT);
    g_assert_false(virtqueue_has_available(&f->vq));
}

static void
test_pop_push(Fixture *f, gconstpointer data)
{
    uint64_t a[3] = { td_alloc(&f->ring, 16), td_alloc(&f->ring, 100),
                      td_alloc(&f->ring, 1) };
    uint32_t l[3] = { 16, 100, 1 }, id, len;
    uint16_t head;

    strcpy(td_ptr(f->mem, a[0], 16), "hello");
    head = td_add_chain(&f->ring, a, l, 3, 1);
    td_publish(&f->ring, head);
    g_assert_true(virtqueue_has_available(&f->vq));
    g_assert_cmpint(virtqueue_pop(&f->vq, f->elem), ==, 0);
    g_assert_cmpuint(f->elem->head, ==, head);
    g_assert_cmpuint(f->elem->out_num, ==, 1);
    g_assert_cmpuint(f->elem->in_num, ==, 2);
    g_assert_cmpuint(f->elem->out_len, ==, 16);
    g_assert_cmpuint(f->elem->in_len, ==, 101);
    g_assert_cmpstr(VIRTQUEUE_ELEM_OUT(f->elem)[0].iov_base, ==, "hello");
    g_assert_true(VIRTQUEUE_ELEM_IN(f->elem)[0].iov_base ==
                  td_ptr(f->mem, a[1], 100));
    g_assert_cmpint(virtqueue_pop(&f->vq, f->elem), ==, -ENOENT);

    virtqueue_push(&f->vq, f->elem, 42);
    g_assert_true(td_get_used(&f->ring, &id, &len));
    g_assert_cmpuint(id, ==, head);
    g_assert_cmpuint(len, ==, 42);
    g_assert_false(td_get_used(&f->ring, &id, &len));
}

static void
test_unpop(Fixture *f, gconstpointer data)
{
    uint64_t a = td_alloc(&f->ring, 64);
    uint32_t l = 64;
    uint16_t head = td_add_chain(&f->ring, &a, &l, 1, 0);

    td_publish(&f->ring, head);
    g_assert_cmpint(virtqueue_pop(&f->vq, f->elem), ==, 0);
    virtqueue_unpop(&f->vq);
    g_assert_true(virtqueue_has_available(&f->vq));
    g_assert_cmpint(virtqueue_pop(&f->vq, f->elem), ==, 0);
    g_assert_cmpuint(f->elem->head, ==, head);
}

static void
test_zero_length_dropped(Fixture *f, gconstpointer data)
{
    uint64_t a[2] = { td_alloc(&f->ring, 8), 0xdead0000ULL };
    uint32_t l[2] = { 8, 0 };

    /* A zero-length descriptor is skipped, whatever its address. */
    td_publish(&f->ring, td_add_chain(&f->ring, a, l, 2, 2));
    g_assert_cmpint(virtqueue_pop(&f->vq, f->elem), ==, 0);
    g_assert_cmpuint(f->elem->out_num, ==, 1);
}

static void
test_indirect(Fixture *f, gconstpointer data)
{
    uint64_t table = td_alloc(&f->ring, 3 * 16);
    uint64_t b0 = td_alloc(&f->ring, 10), b1 = td_alloc(&f->ring, 20),
             b2 = td_alloc(&f->ring, 30);
    uint8_t *t = td_ptr(f->mem, table, 48);
    uint16_t head = td_next_desc(&f->ring);
    struct { uint64_t a; uint32_t l; uint16_t f, n; } d[3] = {
        { b0, 10, VRING_DESC_F_NEXT, 1 },
        { b1, 20, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 },
        { b2, 30, VRING_DESC_F_WRITE, 0 },
    };

    G_STATIC_ASSERT(sizeof(d) == 48);
    memcpy(t, d, sizeof(d));
    td_set_desc(&f->ring, head, table, 48, VRING_DESC_F_INDIRECT, 0);
    td_publish(&f->ring, head);
    g_assert_cmpint(virtqueue_pop(&f->vq, f->elem), ==, 0);
    g_assert_cmpuint(f->elem->head, ==, head);
    g_assert_cmpuint(f->elem->out_num, ==, 1);
    g_assert_cmpuint(f->elem->in_num, ==, 2);
    g_assert_cmpuint(f->elem->in_len, ==, 50);
}

static void
test_indirect_not_negotiated(Fixture *f, gconstpointer data)
{
    uint64_t table = td_alloc(&f->ring, 16);
    uint16_t head = td_next_desc(&f->ring);

    td_set_desc(&f->ring, head, table, 16, VRING_DESC_F_INDIRECT, 0);
    td_publish(&f->ring, head);
    g_assert_cmpint(virtqueue_pop(&f->vq, f->elem), ==, -EINVAL);
    g_assert_nonnull(strstr(f->vq.error, "not negotiated"));
}

/* Without EVENT_IDX: the NO_INTERRUPT flag decides, and the device's
 * NO_NOTIFY flag follows disable/enable. */
static void
test_notify_flags(Fixture *f, gconstpointer data)
{
    uint64_t a = td_alloc(&f->ring, 8);
    uint32_t l = 8;

    td_publish(&f->ring, td_add_chain(&f->ring, &a, &l, 1, 0));
    g_assert_cmpint(virtqueue_pop(&f->vq, f->elem), ==, 0);
    virtqueue_push(&f->vq, f->elem, 0);
    g_assert_true(virtqueue_should_notify(&f->vq));
    td_set_avail_flags(&f->ring, VRING_AVAIL_F_NO_INTERRUPT);
    g_assert_false(virtqueue_should_notify(&f->vq));

    virtqueue_disable_notify(&f->vq);
    g_assert_cmpuint(td_get_used_flags(&f->ring) & VRING_USED_F_NO_NOTIFY, !=, 0);
    g_assert_false(virtqueue_enable_notify(&f->vq));
    g_assert_cmpuint(td_get_used_flags(&f->ring) & VRING_USED_F_NO_NOTIFY, ==, 0);
    td_publish(&f->ring, td_add_chain(&f->ring, &a, &l, 1, 0));
    g_assert_true(virtqueue_enable_notify(&f->vq));
}

/* EVENT_IDX (virtio 1.2 §2.7.10): interrupt only when used_idx crosses
 * used_event; avail_event tells the driver where to kick. */
static void
test_event_idx(Fixture *f, gconstpointer data)
{
    uint64_t a = td_alloc(&f->ring, 8);
    uint32_t l = 8;
    bool notified[6];

    td_set_used_event(&f->ring, 3);      /* interrupt when idx passes 3 */
    for (unsigned i = 0; i < 6; i++)
        td_publish(&f->ring, td_add_chain(&f->ring, &a, &l, 1, 0));
    for (unsigned i = 0; i < 6; i++) {
        g_assert_cmpint(virtqueue_pop(&f->vq, f->elem), ==, 0);
        virtqueue_push(&f->vq, f->elem, 0);
        notified[i] = virtqueue_should_notify(&f->vq);
    }
    /* The first check always notifies (no previous point); then only the
     * push that moved used_idx from 3 to 4 crosses used_event. */
    g_assert_true(notified[0]);
    g_assert_false(notified[1]);
    g_assert_false(notified[2]);
    g_assert_true(notified[3]);
    g_assert_false(notified[4]);
    g_assert_false(notified[5]);

    g_assert_false(virtqueue_enable_notify(&f->vq));
    g_assert_cmpuint(td_get_avail_event(&f->ring), ==, 6);
    td_publish(&f->ring, td_add_chain(&f->ring, &a, &l, 1, 0));
    g_assert_true(virtqueue_enable_notify(&f->vq));
}

/* A device that just pops until empty (no disable/enable) must still ask
 * for kicks: with EVENT_IDX the empty pop publishes avail_event. */
static void
test_event_idx_empty_pop(Fixture *f, gconstpointer data)
{
    uint64_t a = td_alloc(&f->ring, 8);
    uint32_t l = 8;

    for (unsigned i = 0; i < 3; i++)
        td_publish(&f->ring, td_add_chain(&f->ring, &a, &l, 1, 0));
    while (virtqueue_pop(&f->vq, f->elem) == 0)
        virtqueue_push(&f->vq, f->elem, 0);
    g_assert_cmpuint(td_get_avail_event(&f->ring), ==, 3);
    /* While notifications are off, an empty pop leaves it alone. */
    virtqueue_disable_notify(&f->vq);
    td_publish(&f->ring, td_add_chain(&f->ring, &a, &l, 1, 0));
    g_assert_cmpint(virtqueue_pop(&f->vq, f->elem), ==, 0);
    g_assert_cmpint(virtqueue_pop(&f->vq, f->elem), ==, -ENOENT);
    g_assert_cmpuint(td_get_avail_event(&f->ring), ==, 3);
    g_assert_false(virtqueue_enable_notify(&f->vq));
    g_assert_cmpuint(td_get_avail_event(&f->ring), ==, 4);
}

/* A push reports exactly what the device wrote to the dirty marker: the
 * first @len bytes of the writable buffers (across segments and page
 * boundaries) and the used ring, nothing of the readable buffer nor of
 * the writable bytes past @len. */
static void
test_push_marks_dirty(Fixture *f, gconstpointer data)
{
    uint64_t base = td_alloc(&f->ring, 8 * 4096);
    uint64_t page = (base + 4095) & ~4095ULL;
    /* Readable: 64 bytes of page 0.  Writable: 6 KiB from the middle of
     * page 1 (pages 1-2), then 8 KiB at page 4 (pages 4-5). */
    uint64_t a[3] = { page, page + 4096 + 0x800, page + 4 * 4096 };
    uint32_t l[3] = { 64, 0x1800, 0x2000 };

    g_assert_cmpuint(page + 6 * 4096, <=, base + 8 * 4096);
    td_publish(&f->ring, td_add_chain(&f->ring, a, l, 3, 1));
    g_assert_cmpint(virtqueue_pop(&f->vq, f->elem), ==, 0);
    fake_host_dirty_clear(f->host);
    /* All of the first writable buffer and 16 bytes of the second. */
    virtqueue_push(&f->vq, f->elem, 0x1800 + 16);
    g_assert_false(fake_host_page_dirty(f->host, page));
    g_assert_true(fake_host_page_dirty(f->host, page + 4096));
    g_assert_true(fake_host_page_dirty(f->host, page + 2 * 4096));
    g_assert_false(fake_host_page_dirty(f->host, page + 3 * 4096));
    g_assert_true(fake_host_page_dirty(f->host, page + 4 * 4096));
    g_assert_false(fake_host_page_dirty(f->host, page + 5 * 4096));
    /* td_ring_init puts the used ring alone in its page. */
    g_assert_true(fake_host_page_dirty(f->host, f->ring.used));
    g_assert_cmpuint(fake_host_dirty_count(f->host), ==, 4);

    /* Notification suppression writes the used ring's flags. */
    fake_host_dirty_clear(f->host);
    virtqueue_disable_notify(&f->vq);
    g_assert_true(fake_host_page_dirty(f->host, f->ring.used));
    g_assert_cmpuint(fake_host_dirty_count(f->host), ==, 1);
}

static void
test_wraparound(Fixture *f, gconstpointer data)
{
    uint64_t a = td_alloc(&f->ring, 8);
    uint32_t l = 8, id, len;

    /* 16-bit indices wrap: run the ring through 70000 buffers. */
    td_set_avail_idx(&f->ring, 65530);
    f->vq.last_avail = 65530;
    f->vq.used_idx = 65530;
    f->ring.last_used = 65530;
    for (unsigned i = 0; i < 20; i++) {
        td_publish(&f->ring, td_add_chain(&f->ring, &a, &l, 1, 0));
        g_assert_cmpint(virtqueue_pop(&f->vq, f->elem), ==, 0);
        virtqueue_push(&f->vq, f->elem, i);
        g_assert_true(td_get_used(&f->ring, &id, &len));
        g_assert_cmpuint(len, ==, i);
    }
    g_assert_cmpuint(td_used_idx(&f->ring), ==, (uint16_t)(65530 + 20));
}

static void
test_save_restore(Fixture *f, gconstpointer data)
{
    g_autoptr(JsonNode) n = NULL;
    g_autoptr(GError) error = NULL;
    VirtQueueState st;
    VirtQueue copy;
    JsonObject *o;

    f->vq.last_avail = 7;
    f->vq.used_idx = 5;
    f->vq.msix_vector = 3;
    virtqueue_get_state(&f->vq, &st);
    n = vmm_state_save(&virtqueue_state_desc, &st);
    virtqueue_init(&copy, 0, QSIZE);
    virtqueue_get_state(&copy, &st);
    g_assert_true(vmm_state_load(&virtqueue_state_desc, n, "vq", &st, &error));
    g_assert_no_error(error);
    virtqueue_set_state(&copy, &st);
    g_assert_cmpuint(copy.last_avail, ==, 7);
    g_assert_cmpuint(copy.used_idx, ==, 5);
    g_assert_cmpuint(copy.msix_vector, ==, 3);
    g_assert_cmpuint(copy.desc_addr, ==, f->vq.desc_addr);
    g_assert_true(copy.enabled);

    o = json_node_get_object(n);
    json_object_set_int_member(o, "size", QSIZE * 2);   /* above max_size */
    g_assert_false(vmm_state_load(&virtqueue_state_desc, n, "vq", &st, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "field 'size'"));
}

/* ---- Malformed rings: every case is an error, never a crash ------------ */

typedef enum {
    BAD_LOOP,
    BAD_SELF_LOOP,
    BAD_TOO_LONG,
    BAD_OUTSIDE_RAM_END,
    BAD_IN_HOLE,
    BAD_STRADDLES_REGIONS,
    BAD_ADDR_OVERFLOW,
    BAD_NEXT_RANGE,
    BAD_HEAD_RANGE,
    BAD_AVAIL_JUMP,
    BAD_READ_AFTER_WRITE,
    BAD_INDIRECT_NESTED,
    BAD_INDIRECT_EMPTY,
    BAD_INDIRECT_LEN,
    BAD_INDIRECT_NEXT,
    BAD_INDIRECT_OUTSIDE,
    BAD_INDIRECT_LOOP,
    BAD_INDIRECT_NEXT_RANGE,
    BAD_LAST
} BadCase;

static const char *const bad_names[BAD_LAST] = {
    "loop", "self-loop", "too-long", "outside-ram-end", "in-hole",
    "straddles-regions", "addr-overflow", "next-range", "head-range",
    "avail-jump", "read-after-write", "indirect-nested", "indirect-empty",
    "indirect-len", "indirect-next", "indirect-outside", "indirect-loop",
    "indirect-next-range",
};

static void
build_bad(Fixture *f, BadCase c)
{
    TdRing *r = &f->ring;
    uint64_t buf = td_alloc(r, 64), tbl;
    uint8_t *t;
    uint16_t d0 = 0, d1 = 1;

    switch (c) {
    case BAD_LOOP:
        td_set_desc(r, d0, buf, 8, VRING_DESC_F_NEXT, d1);
        td_set_desc(r, d1, buf, 8, VRING_DESC_F_NEXT, d0);
        break;
    case BAD_SELF_LOOP:
        td_set_desc(r, d0, buf, 8, VRING_DESC_F_NEXT, d0);
        break;
    case BAD_TOO_LONG:      /* 10 descriptors, the element holds 8 */
        for (uint16_t i = 0; i < 10; i++)
            td_set_desc(r, i, buf, 8, i < 9 ? VRING_DESC_F_NEXT : 0, i + 1);
        break;
    case BAD_OUTSIDE_RAM_END:
        td_set_desc(r, d0, TD_RAM_END - 4, 8, 0, 0);
        break;
    case BAD_IN_HOLE:
        td_set_desc(r, d0, TD_HOLE, 8, 0, 0);
        break;
    case BAD_STRADDLES_REGIONS:
        td_set_desc(r, d0, TD_RAM0_BASE + TD_RAM0_SIZE - 8, 0x400008, 0, 0);
        break;
    case BAD_ADDR_OVERFLOW:
        td_set_desc(r, d0, G_MAXUINT64 - 4, 64, 0, 0);
        break;
    case BAD_NEXT_RANGE:
        td_set_desc(r, d0, buf, 8, VRING_DESC_F_NEXT, QSIZE);
        break;
    case BAD_HEAD_RANGE:
        d0 = QSIZE + 3;
        break;
    case BAD_AVAIL_JUMP:
        td_set_desc(r, d0, buf, 8, 0, 0);
        td_publish(r, d0);
        td_set_avail_idx(r, QSIZE + 5);
        return;
    case BAD_READ_AFTER_WRITE:
        td_set_desc(r, d0, buf, 8, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, d1);
        td_set_desc(r, d1, buf, 8, 0, 0);
        break;
    case BAD_INDIRECT_NESTED:
    case BAD_INDIRECT_LOOP:
    case BAD_INDIRECT_NEXT_RANGE:
        tbl = td_alloc(r, 32);
        t = td_ptr(f->mem, tbl, 32);
        memset(t, 0, 32);
        if (c == BAD_INDIRECT_NESTED) {
            uint16_t fl = VRING_DESC_F_INDIRECT;
            uint32_t len = 16;

            memcpy(t, &tbl, 8);
            memcpy(t + 8, &len, 4);
            memcpy(t + 12, &fl, 2);
        } else {
            uint16_t fl = VRING_DESC_F_NEXT;
            uint16_t next = c == BAD_INDIRECT_LOOP ? 1 : 2;   /* 2 entries */
            uint16_t back = 0;
            uint32_t len = 8;

            memcpy(t, &buf, 8);
            memcpy(t + 8, &len, 4);
            memcpy(t + 12, &fl, 2);
            memcpy(t + 14, &next, 2);
            memcpy(t + 16, &buf, 8);
            memcpy(t + 24, &len, 4);
            memcpy(t + 28, &fl, 2);
            memcpy(t + 30, &back, 2);
        }
        td_set_desc(r, d0, tbl, 32, VRING_DESC_F_INDIRECT, 0);
        break;
    case BAD_INDIRECT_EMPTY:
        td_set_desc(r, d0, buf, 0, VRING_DESC_F_INDIRECT, 0);
        break;
    case BAD_INDIRECT_LEN:
        td_set_desc(r, d0, buf, 24, VRING_DESC_F_INDIRECT, 0);
        break;
    case BAD_INDIRECT_NEXT:
        td_set_desc(r, d0, buf, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, d1);
        td_set_desc(r, d1, buf, 8, 0, 0);
        break;
    case BAD_INDIRECT_OUTSIDE:
        td_set_desc(r, d0, TD_HOLE, 64, VRING_DESC_F_INDIRECT, 0);
        break;
    case BAD_LAST:
        g_assert_not_reached();
    }
    td_publish(r, d0);
}

static void
test_malformed(gconstpointer data)
{
    BadCase c = GPOINTER_TO_UINT(data);
    Fixture f = { 0 };
    int r;

    fx_setup(&f, NULL);
    if (c == BAD_LOOP || c == BAD_SELF_LOOP || c == BAD_INDIRECT_LOOP) {
        /* Room for more than the table: the loop check must catch it. */
        virtqueue_elem_free(f.elem);
        f.elem = virtqueue_elem_new(4 * QSIZE);
    }
    build_bad(&f, c);
    r = virtqueue_pop(&f.vq, f.elem);
    g_assert_cmpint(r, <, 0);
    g_assert_cmpint(r, !=, -ENOENT);
    g_assert_nonnull(f.vq.error);
    if (c == BAD_LOOP || c == BAD_SELF_LOOP || c == BAD_INDIRECT_LOOP)
        g_assert_nonnull(strstr(f.vq.error, "loop"));
    g_test_message("%s: %s (%s)", bad_names[c], f.vq.error, g_strerror(-r));
    fx_teardown(&f, NULL);
}

static void
test_activate_errors(void)
{
    g_autoptr(GuestMemory) mem = td_memory_new();
    g_autoptr(FakeHost) host = fake_host_new_with_memory(mem);
    DeviceHost *dh = fake_host_base(host);
    VirtQueue vq;
    TdRing ring;

    td_ring_init(&ring, mem, 0x10000, 0x100000, QSIZE);
    virtqueue_init(&vq, 0, QSIZE);
    /* Disabled queue: fine, not ready. */
    g_assert_cmpint(virtqueue_activate(&vq, dh, 0), ==, 0);
    g_assert_false(vq.ready);

    td_ring_program(&ring, &vq);
    vq.size = 12;                        /* not a power of two */
    g_assert_cmpint(virtqueue_activate(&vq, dh, 0), ==, -EINVAL);
    vq.size = QSIZE * 2;                 /* above the maximum */
    g_assert_cmpint(virtqueue_activate(&vq, dh, 0), ==, -EINVAL);
    vq.size = QSIZE;
    vq.desc_addr = ring.desc + 8;        /* misaligned */
    g_assert_cmpint(virtqueue_activate(&vq, dh, 0), ==, -EINVAL);
    vq.desc_addr = TD_HOLE;              /* outside RAM */
    g_assert_cmpint(virtqueue_activate(&vq, dh, 0), ==, -EINVAL);
    vq.desc_addr = ring.desc;
    vq.used_addr = TD_RAM_END - 8;       /* runs off the end */
    g_assert_cmpint(virtqueue_activate(&vq, dh, 0), ==, -EINVAL);
    g_assert_false(vq.ready);
    /* Not ready: pops see nothing, notifications are off. */
    g_assert_cmpint(virtqueue_pop(&vq, NULL), ==, -ENOENT);
    g_assert_false(virtqueue_should_notify(&vq));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, setup) \
    g_test_add(path, Fixture, NULL, setup, fn, fx_teardown)
    ADD("/virtio/queue/pop-empty", test_pop_empty, fx_setup);
    ADD("/virtio/queue/pop-push", test_pop_push, fx_setup);
    ADD("/virtio/queue/unpop", test_unpop, fx_setup);
    ADD("/virtio/queue/zero-length", test_zero_length_dropped, fx_setup);
    ADD("/virtio/queue/indirect", test_indirect, fx_setup);
    ADD("/virtio/queue/indirect-not-negotiated", test_indirect_not_negotiated,
        fx_setup_plain);
    ADD("/virtio/queue/notify-flags", test_notify_flags, fx_setup_plain);
    ADD("/virtio/queue/event-idx", test_event_idx, fx_setup);
    ADD("/virtio/queue/event-idx-empty-pop", test_event_idx_empty_pop, fx_setup);
    ADD("/virtio/queue/wraparound", test_wraparound, fx_setup);
    ADD("/virtio/queue/push-marks-dirty", test_push_marks_dirty,
        fx_setup_plain);
    ADD("/virtio/queue/save-restore", test_save_restore, fx_setup);
#undef ADD
    for (unsigned c = 0; c < BAD_LAST; c++) {
        g_autofree char *path = g_strdup_printf("/virtio/queue/malformed/%s",
                                                bad_names[c]);
        g_test_add_data_func(path, GUINT_TO_POINTER(c), test_malformed);
    }
    g_test_add_func("/virtio/queue/activate-errors", test_activate_errors);
    return g_test_run();
}

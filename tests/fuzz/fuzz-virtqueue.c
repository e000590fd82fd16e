/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: split-virtqueue chain walking over hostile rings (descriptors, indirect tables, indices). */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/virtio/queue.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
in_ram(const GuestMemory *mem, const void *p, size_t len)
{
    const uint8_t *b = p;

    for (unsigned i = 0; i < mem->nregions; i++) {
        const GuestRegion *r = &mem->regions[i];

        if (b >= r->hva && len <= r->size && b - r->hva <= (ptrdiff_t)(r->size - len))
            return true;
    }
    return false;
}

/*
 * Input: see td_fuzz_load() (ring header, descriptor table, available
 * ring, free-form memory).  The device side pops until the ring is empty
 * or broken, pushes what it popped, and runs the notification logic: any
 * crash, sanitizer report or out-of-RAM iovec is a bug; errors are fine.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static GuestMemory *mem;
    static FakeHost *host;   /* the queue's memory and dirty marker */
    static VirtQueueElem *elem;
    VirtQueue vq;
    unsigned pops = 0;
    int r;

    if (!mem) {
        mem = td_memory_new();
        host = fake_host_new_with_memory(mem);
        elem = virtqueue_elem_new(32);
    }
    if (!td_fuzz_load(fake_host_base(host), &vq, data, size))
        return 0;
    virtqueue_disable_notify(&vq);
    for (;;) {
        r = virtqueue_pop(&vq, elem);
        if (r < 0)
            break;
        /* Every buffer handed out lies inside one RAM region. */
        for (unsigned i = 0; i < elem->out_num + elem->in_num; i++)
            g_assert_true(in_ram(mem, elem->iov[i].iov_base,
                                 elem->iov[i].iov_len));
        g_assert_cmpuint(elem->out_num + elem->in_num, <=, elem->max_segs);
        virtqueue_push(&vq, elem, (uint32_t)elem->in_len);
        virtqueue_should_notify(&vq);
        /* The ring holds at most size new entries per pass. */
        g_assert_cmpuint(++pops, <=, vq.size);
    }
    if (r != -ENOENT)
        g_assert_nonnull(vq.error);
    virtqueue_enable_notify(&vq);
    return 0;
}

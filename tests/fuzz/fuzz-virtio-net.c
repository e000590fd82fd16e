/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: virtio-net transmit headers, receive fixups and control commands from hostile rings. */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <gio/gio.h>

#include "devices/virtio/net.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: a ring as td_fuzz_load() builds it; the flags byte's bits 2-7
 * pick the negotiated host offloads.  Each chain is handled as the device
 * does for a TX packet (header check), an RX buffer (num_buffers fixup)
 * and a control command (parse + ack), depending on its direction.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static GuestMemory *mem;
    static FakeHost *host;   /* the queue's memory and dirty marker */
    static VirtQueueElem *elem;
    static const unsigned bits[] = { VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4,
                                     VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_HOST_UFO,
                                     VIRTIO_NET_F_HOST_ECN, VIRTIO_NET_F_MQ };
    uint64_t features = 0;
    VirtQueue vq;
    int r;

    if (!mem) {
        mem = td_memory_new();
        host = fake_host_new_with_memory(mem);
        elem = virtqueue_elem_new(VIRTIO_NET_MAX_SEGS);
    }
    if (size > 1) {
        for (unsigned i = 0; i < G_N_ELEMENTS(bits); i++)
            if (data[1] & (4u << i))
                features |= 1ULL << bits[i];
    }
    if (!td_fuzz_load(fake_host_base(host), &vq, data, size))
        return 0;
    virtio_net_tun_offloads(features | (data[7] * 0x101ULL));
    while ((r = virtqueue_pop(&vq, elem)) == 0) {
        const char *why = NULL;
        VirtioNetCtrl ctrl;

        if (elem->in_num == 0) {
            if (virtio_net_tx_check(VIRTQUEUE_ELEM_OUT(elem), elem->out_num,
                                    elem->out_len, features, &why) < 0)
                g_assert_nonnull(why);
        } else if (elem->out_num == 0) {
            if (elem->in_len >= NET_VNET_HDR_LEN)
                virtio_net_rx_fixup(VIRTQUEUE_ELEM_IN(elem), elem->in_num);
        } else if (virtio_net_ctrl_parse(elem, &ctrl, &why) == 0) {
            g_assert_cmpuint(ctrl.data_len + 2, ==, elem->out_len);
            *ctrl.ack = VIRTIO_NET_OK;
        } else {
            g_assert_nonnull(why);
        }
        virtqueue_push(&vq, elem, 0);
    }
    return 0;
}

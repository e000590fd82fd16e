/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-net header and control-command handling: pure functions, fuzzed. */
#include <config.h>

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <linux/if_tun.h>

#include "devices/virtio/iov.h"
#include "devices/virtio/net.h"

int
virtio_net_tx_check(const struct iovec *iov, unsigned n, size_t len,
                    uint64_t features, const char **why)
{
    struct virtio_net_hdr_v1 h;
    uint16_t gso_size, csum_start, csum_offset;
    uint8_t gso;
    size_t pkt;

#define FEAT(f) (features & (1ULL << (f)))
    if (len < sizeof(h) ||
        iov_to_buf(iov, n, 0, &h, sizeof(h)) != sizeof(h)) {
        *why = "packet shorter than the virtio-net header";
        return -EINVAL;
    }
    pkt = len - sizeof(h);
    gso = h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
    gso_size = le16toh(h.gso_size);
    csum_start = le16toh(h.csum_start);
    csum_offset = le16toh(h.csum_offset);
    /* DATA_VALID and RSC_INFO are device-to-driver only. */
    if (h.flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        *why = "reserved header flags";
        return -EINVAL;
    }
    if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        if (!FEAT(VIRTIO_NET_F_CSUM)) {
            *why = "checksum offload without VIRTIO_NET_F_CSUM";
            return -EINVAL;
        }
        /* The 16-bit checksum field must lie inside the packet. */
        if ((size_t)csum_start + csum_offset + 2 > pkt) {
            *why = "checksum position outside the packet";
            return -EINVAL;
        }
    }
    if (h.gso_type == VIRTIO_NET_HDR_GSO_NONE)
        return 0;
    if (((h.gso_type & VIRTIO_NET_HDR_GSO_ECN) && !FEAT(VIRTIO_NET_F_HOST_ECN)) ||
        (gso == VIRTIO_NET_HDR_GSO_TCPV4 && !FEAT(VIRTIO_NET_F_HOST_TSO4)) ||
        (gso == VIRTIO_NET_HDR_GSO_TCPV6 && !FEAT(VIRTIO_NET_F_HOST_TSO6)) ||
        (gso == VIRTIO_NET_HDR_GSO_UDP && !FEAT(VIRTIO_NET_F_HOST_UFO)) ||
        (gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6 &&
         gso != VIRTIO_NET_HDR_GSO_UDP)) {
        *why = "GSO type not negotiated";
        return -EINVAL;
    }
    /* §5.1.6.2.1: GSO packets need NEEDS_CSUM and a segment size. */
    if (!(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || gso_size == 0) {
        *why = "GSO packet without checksum offload or segment size";
        return -EINVAL;
    }
#undef FEAT
    return 0;
}

unsigned
virtio_net_tun_offloads(uint64_t offloads)
{
    unsigned f = 0;

#define OFF(bit) (offloads & (1ULL << (bit)))
    if (OFF(VIRTIO_NET_F_GUEST_CSUM)) {
        f |= TUN_F_CSUM;
        /* Segmentation offloads only make sense with checksum offload. */
        if (OFF(VIRTIO_NET_F_GUEST_TSO4))
            f |= TUN_F_TSO4;
        if (OFF(VIRTIO_NET_F_GUEST_TSO6))
            f |= TUN_F_TSO6;
        if (OFF(VIRTIO_NET_F_GUEST_ECN) && (f & (TUN_F_TSO4 | TUN_F_TSO6)))
            f |= TUN_F_TSO_ECN;
        if (OFF(VIRTIO_NET_F_GUEST_UFO))
            f |= TUN_F_UFO;
    }
#undef OFF
    return f;
}

void
virtio_net_rx_fixup(const struct iovec *iov, unsigned n)
{
    uint16_t one = htole16(1);

    /* TAP skips the num_buffers bytes of a 12-byte header (it only fills
     * the legacy 10 bytes): write them ourselves. */
    iov_from_buf(iov, n, offsetof(struct virtio_net_hdr_v1, num_buffers), &one,
                 sizeof(one));
}

int
virtio_net_ctrl_parse(const VirtQueueElem *elem, VirtioNetCtrl *ctrl,
                      const char **why)
{
    const struct iovec *in = VIRTQUEUE_ELEM_IN(elem);
    uint8_t hdr[2];

    if (elem->out_len < 2 ||
        iov_to_buf(VIRTQUEUE_ELEM_OUT(elem), elem->out_num, 0, hdr, 2) != 2) {
        *why = "control command without class and command";
        return -EINVAL;
    }
    if (elem->in_num == 0) {
        *why = "control command without an ack byte";
        return -EINVAL;
    }
    ctrl->cls = hdr[0];
    ctrl->cmd = hdr[1];
    ctrl->data_len = elem->out_len - 2;
    memset(ctrl->data, 0, sizeof(ctrl->data));
    iov_to_buf(VIRTQUEUE_ELEM_OUT(elem), elem->out_num, 2, ctrl->data,
               MIN(ctrl->data_len, sizeof(ctrl->data)));
    ctrl->ack = (uint8_t *)in[elem->in_num - 1].iov_base +
                in[elem->in_num - 1].iov_len - 1;
    return 0;
}

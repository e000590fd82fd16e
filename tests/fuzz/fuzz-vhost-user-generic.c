/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: a hostile back end behind a generic vhost-user device and a vhost-user-net. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/virtio/vhost-user-generic.h"
#include "devices/virtio/vhost-user-net.h"
#include "devices/virtio/vhost-user.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: two bytes, the offset and length of a driver's config read
 * (the length 1 to 8, as a PCI access), then everything the back end
 * answers on the socket, byte for byte (then it hangs up).  The front end
 * does its handshake, then the driver's config reads the way a generic
 * device passes them through (a GET_CONFIG from offset 0), a config
 * write (SET_CONFIG, acked with REPLY_ACK) and another read: short,
 * oversized or mismatched replies, failures and hang-ups must each be an
 * error, never a crash.  The back end's features then go through both
 * feature filters (generic and net, with the offload switches from the
 * first byte), which must never offer what nimbus cannot do.
 */

/* More than a socket buffer would block the writer. */
#define FUZZ_MAX_INPUT 32768

static void
check_features(uint64_t backend, uint8_t switches)
{
    NetConfig net = {
        .offload_csum = switches & 1, .offload_tso = switches & 2,
        .offload_ufo = switches & 4, .mtu = switches & 8 ? 9000 : 0,
        .num_queues = switches & 16 ? 4 : 2,
    };
    uint64_t g = vhost_user_generic_features(backend);
    uint64_t n = vhost_user_net_features(&net, backend);

    if (g & ~backend)
        __builtin_trap();
    if (g & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES))
        __builtin_trap();
    /* The back end's bits only where it offered them. */
    if ((n & VHOST_USER_NET_BACKEND_FEATURES) & ~backend)
        __builtin_trap();
    if (!net.offload_csum && (n & (1ULL << VIRTIO_NET_F_GUEST_TSO4)))
        __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(VhostUser) vu = NULL;
    uint8_t buf[8];
    const uint8_t w[4] = { 1, 2, 3, 4 };
    uint32_t off;
    unsigned len;
    uint64_t features = 0;
    int sv[2];

    if (size < 2 || size > FUZZ_MAX_INPUT)
        return 0;
    off = data[0];
    len = 1 + data[1] % 8;
    data += 2;
    size -= 2;

    memcpy(&features, data, MIN(size, sizeof(features)));
    check_features(features, (uint8_t)off);

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return 0;
    if (fd_write_all(sv[1], data, size) < 0 || shutdown(sv[1], SHUT_WR) < 0) {
        close(sv[0]);
        close(sv[1]);
        return 0;
    }
    vu = vhost_user_new_fd(sv[0], "fuzz", NULL);
    if (vu) {
        check_features(vhost_user_backend_features(vu), (uint8_t)off);
        if (vhost_user_generic_config_read(vu, off, buf, len, NULL) &&
            vhost_user_set_config(vu, off, w, sizeof(w), NULL))
            vhost_user_generic_config_read(vu, 0, buf, len, NULL);
    }
    close(sv[1]);
    return 0;
}

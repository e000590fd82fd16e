/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the vhost-user front end reading what a hostile back end sends. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/virtio/vhost-user.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: everything the back end answers, byte for byte, on the socket
 * (then it hangs up).  The front end does its handshake (SET_OWNER,
 * GET_FEATURES, GET/SET_PROTOCOL_FEATURES, GET_QUEUE_NUM) and, if that
 * passed, GET_VRING_BASE, an acked SET_VRING_NUM and GET_CONFIG, reading
 * the replies out of the input: short or truncated replies, wrong request
 * ids, bad flags, oversized payloads, acks with a failure status.  Each
 * must be an error, never a crash or a read past a buffer.  The same
 * bytes also go to vhost_user_parse_reply() directly.
 */

/* More than a socket buffer would block the writer. */
#define FUZZ_MAX_INPUT 32768

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(VhostUser) vu = NULL;
    VhostUserMsg msg;
    uint8_t config[16];
    unsigned base;
    int sv[2];

    if (size > FUZZ_MAX_INPUT)
        return 0;
    for (uint32_t r = VHOST_USER_GET_FEATURES; r <= VHOST_USER_GET_CONFIG;
         r++)
        vhost_user_parse_reply(data, size, r, 0, &msg, NULL);
    vhost_user_parse_reply(data, size, VHOST_USER_GET_VRING_BASE,
                           sizeof(VhostUserVringState), &msg, NULL);

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return 0;
    if (fd_write_all(sv[1], data, size) < 0 || shutdown(sv[1], SHUT_WR) < 0) {
        close(sv[0]);
        close(sv[1]);
        return 0;
    }
    vu = vhost_user_new_fd(sv[0], "fuzz", NULL);
    if (vu) {
        vhost_user_get_vring_base(vu, 0, &base, NULL);
        vhost_user_set_vring_num(vu, 0, 256, NULL);
        vhost_user_get_config(vu, 0, config, sizeof(config), NULL);
    }
    close(sv[1]);
    return 0;
}

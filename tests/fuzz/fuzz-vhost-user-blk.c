/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: vhost-user-blk taking a hostile back end's handshake and config space. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/virtio/vhost-user-blk.h"
#include "devices/virtio/vhost-user.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: one byte, the num_queues the disk asks for (1 to 4), then
 * everything the back end answers on the socket, byte for byte (then it
 * hangs up).  The front end does its handshake and the GET_CONFIG of the
 * virtio-blk config space, then checks that space against the features
 * the back end offered, as vhost_user_blk_new() does: a zero seg_max, a
 * bogus blk_size, too few queues, short or wrong replies must each be an
 * error, never a crash.  The same bytes also go to the config check
 * directly, with the features taken from the input.
 */

/* More than a socket buffer would block the writer. */
#define FUZZ_MAX_INPUT 32768

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(VhostUser) vu = NULL;
    uint8_t config[VHOST_USER_BLK_CONFIG_SIZE];
    unsigned nq;
    uint64_t features = 0;
    int sv[2];

    if (size < 1 || size > FUZZ_MAX_INPUT)
        return 0;
    nq = 1 + data[0] % 4;
    data++;
    size--;

    memset(config, 0, sizeof(config));
    memcpy(&features, data, MIN(size, sizeof(features)));
    memcpy(config, data + MIN(size, sizeof(features)),
           MIN(size - MIN(size, sizeof(features)), sizeof(config)));
    vhost_user_blk_check_config(config, features, nq, NULL);

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return 0;
    if (fd_write_all(sv[1], data, size) < 0 || shutdown(sv[1], SHUT_WR) < 0) {
        close(sv[0]);
        close(sv[1]);
        return 0;
    }
    vu = vhost_user_new_fd(sv[0], "fuzz", NULL);
    if (vu && vhost_user_get_config(vu, 0, config, sizeof(config), NULL))
        vhost_user_blk_check_config(config, vhost_user_backend_features(vu),
                                    nq, NULL);
    close(sv[1]);
    return 0;
}

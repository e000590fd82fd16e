/* SPDX-License-Identifier: Apache-2.0 */
/* A net backend on socketpairs, standing in for a TAP in device tests. */
#include <config.h>

#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>

#include "common/fd-util.h"
#include "tests/unit/sock-backend.h"

static int
sock_set_offload(NetBackend *be, unsigned flags)
{
    g_atomic_int_set((gint *)&((SockBackend *)be)->offload, (gint)flags);
    return 0;
}

static int
sock_set_queues(NetBackend *be, unsigned n)
{
    g_atomic_int_set((gint *)&((SockBackend *)be)->queues, (gint)n);
    return 0;
}

static void
sock_free(NetBackend *be)
{
    SockBackend *s = (SockBackend *)be;

    for (unsigned i = 0; i < be->nfds; i++) {
        close(be->fds[i]);
        close(s->peer[i]);
    }
    g_free(be->fds);
    g_free(s);
}

static const NetBackendOps sock_ops = {
    .name = "socketpair",
    .set_offload = sock_set_offload,
    .set_queues = sock_set_queues,
    .free = sock_free,
};

SockBackend *
sock_backend_new(unsigned pairs)
{
    SockBackend *s = g_new0(SockBackend, 1);

    g_assert_cmpuint(pairs, >=, 1);
    g_assert_cmpuint(pairs, <=, SOCK_BACKEND_MAX_PAIRS);
    s->be.ops = &sock_ops;
    s->be.nfds = pairs;
    s->be.fds = g_new(int, pairs);
    for (unsigned i = 0; i < pairs; i++) {
        int sv[2];

        /* SEQPACKET keeps packet boundaries, as a TAP fd does. */
        g_assert_cmpint(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
                                   sv), ==, 0);
        g_assert_cmpint(fd_set_nonblock(sv[0], true), ==, 0);
        s->be.fds[i] = sv[0];
        s->peer[i] = sv[1];
    }
    return s;
}

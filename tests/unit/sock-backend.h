/* SPDX-License-Identifier: Apache-2.0 */
/* A net backend on socketpairs, standing in for a TAP in device tests. */
#pragma once

#include "devices/net/net-backend.h"

#define SOCK_BACKEND_MAX_PAIRS 4

/*
 * One SOCK_SEQPACKET pair per queue pair (packet boundaries kept, as a TAP
 * fd keeps them): the device gets be.fds[i] (non-blocking), the test reads
 * and writes peer[i].  The offload flags and queue count the device last
 * set are recorded for the test to check.  Freed by net_backend_free().
 */
typedef struct {
    NetBackend be;
    int peer[SOCK_BACKEND_MAX_PAIRS];   /* the host side of each pair */
    unsigned offload;                   /* atomic: last set_offload */
    unsigned queues;                    /* atomic: last set_queues */
} SockBackend;

/* @pairs: 1..SOCK_BACKEND_MAX_PAIRS. */
SockBackend *sock_backend_new(unsigned pairs);

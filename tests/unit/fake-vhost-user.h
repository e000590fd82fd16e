/* SPDX-License-Identifier: Apache-2.0 */
/* A fake vhost-user back end for unit tests: answers the front end's requests and records them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/*
 * Serves one connection at a time on a listening UNIX socket (or on one
 * end of a socketpair) from a thread of its own: answers GET_FEATURES,
 * GET_PROTOCOL_FEATURES, GET_QUEUE_NUM, GET_VRING_BASE and GET_CONFIG,
 * acks NEED_REPLY requests, and records what the front end set so that
 * tests can check it.  Its modes make it a hostile back end.
 */
typedef enum {
    FAKE_VHOST_USER_OK,
    FAKE_VHOST_USER_WRONG_REQUEST,   /* replies name another request */
    FAKE_VHOST_USER_OVERSIZE,        /* replies claim a 64 KiB payload */
    FAKE_VHOST_USER_CLOSE,           /* hangs up instead of replying */
    FAKE_VHOST_USER_NACK,            /* REPLY_ACK with a non-zero status */
    FAKE_VHOST_USER_SHORT_CONFIG,    /* GET_CONFIG answered a byte short */
} FakeVhostUserMode;

typedef struct FakeVhostUser FakeVhostUser;

/* Listens on @path (replaced if it exists), offering @features (bit 30
 * added) and @protocol_features, with @queue_num queues. */
FakeVhostUser *fake_vhost_user_start(const char *path, uint64_t features,
                                     uint64_t protocol_features,
                                     unsigned queue_num);
/* Serves the connected socket @fd (taken over) instead. */
FakeVhostUser *fake_vhost_user_start_fd(int fd, uint64_t features,
                                        uint64_t protocol_features,
                                        unsigned queue_num);
void fake_vhost_user_stop(FakeVhostUser *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeVhostUser, fake_vhost_user_stop)

void fake_vhost_user_set_mode(FakeVhostUser *f, FakeVhostUserMode mode);
/* GET_CONFIG answers from @config (@len bytes, zeros after) instead of
 * 0xab bytes. */
void fake_vhost_user_set_config(FakeVhostUser *f, const void *config,
                                size_t len);

/* What the front end set (0 / -1 until it did). */
typedef struct {
    bool owner;
    uint64_t features;
    uint64_t protocol_features;
    unsigned nregions;
    unsigned nregion_fds;
    unsigned vring_num[8];
    unsigned vring_base[8];
    uint64_t vring_desc[8];
    bool vring_enabled[8];
    bool vring_kick[8];           /* an fd came */
    bool vring_call[8];
    bool vring_err[8];
    unsigned requests;            /* messages received */
    unsigned config_writes;       /* SET_CONFIGs (stored in the config) */
} FakeVhostUserSeen;

/* A copy of what was recorded so far. */
void fake_vhost_user_seen(FakeVhostUser *f, FakeVhostUserSeen *seen);
/* Signals the call eventfd the front end gave for queue @index, as a
 * back end does when it used buffers; false if it gave none. */
bool fake_vhost_user_call(FakeVhostUser *f, unsigned index);

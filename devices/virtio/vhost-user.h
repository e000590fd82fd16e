/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user front end: the VMM side of the protocol over a UNIX socket. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "devices/guest-memory.h"

/*
 * QEMU's docs/interop/vhost-user.rst: a back end process (virtiofsd,
 * qemu-storage-daemon) serves a device's virtqueues straight out of guest
 * RAM, which it maps from the memory fds the front end sends.  The front
 * end keeps the virtio transport, negotiates features, hands over the
 * rings (addresses in its own address space), one kick eventfd per queue
 * (the queue's ioeventfd) and one call eventfd per queue (signalled by
 * the back end when it used buffers).
 *
 * Every call here is a request and, where the protocol has one, a reply
 * on the socket; they run on the control thread (connect) or on the vCPU
 * thread that activates or resets the device.  A back end that does not
 * answer within VHOST_USER_REPLY_TIMEOUT_MS, closes the socket or answers
 * with a malformed reply gives an error naming the request, never a crash.
 */

/* The requests nimbus sends (vhost-user.rst, "Front-end message types"). */
typedef enum {
    VHOST_USER_NONE = 0,
    VHOST_USER_GET_FEATURES = 1,
    VHOST_USER_SET_FEATURES = 2,
    VHOST_USER_SET_OWNER = 3,
    VHOST_USER_SET_MEM_TABLE = 5,
    VHOST_USER_SET_VRING_NUM = 8,
    VHOST_USER_SET_VRING_ADDR = 9,
    VHOST_USER_SET_VRING_BASE = 10,
    VHOST_USER_GET_VRING_BASE = 11,
    VHOST_USER_SET_VRING_KICK = 12,
    VHOST_USER_SET_VRING_CALL = 13,
    VHOST_USER_SET_VRING_ERR = 14,
    VHOST_USER_GET_PROTOCOL_FEATURES = 15,
    VHOST_USER_SET_PROTOCOL_FEATURES = 16,
    VHOST_USER_GET_QUEUE_NUM = 17,
    VHOST_USER_SET_VRING_ENABLE = 18,
    VHOST_USER_GET_CONFIG = 24,
    VHOST_USER_SET_CONFIG = 25,
} VhostUserRequest;

/* Virtio feature bit 30: the back end speaks protocol features. */
#define VHOST_USER_F_PROTOCOL_FEATURES 30

/* Protocol feature bits. */
#define VHOST_USER_PROTOCOL_F_MQ 0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_CONFIG 9

/* Header flags: version 1 in bits 0-1, then REPLY and NEED_REPLY. */
#define VHOST_USER_VERSION 0x1
#define VHOST_USER_VERSION_MASK 0x3
#define VHOST_USER_FLAG_REPLY (1u << 2)
#define VHOST_USER_FLAG_NEED_REPLY (1u << 3)

/* A u64 payload of SET_VRING_KICK/CALL/ERR: the queue index in bits 0-7,
 * bit 8 set when no fd comes with the message. */
#define VHOST_USER_VRING_IDX_MASK 0xffu
#define VHOST_USER_VRING_NOFD (1u << 8)

/* The memory table's baseline size (without CONFIGURE_MEM_SLOTS). */
#define VHOST_USER_MAX_REGIONS 8
/* GET_CONFIG's payload limit. */
#define VHOST_USER_MAX_CONFIG 256

#define VHOST_USER_REPLY_TIMEOUT_MS 10000

#define VHOST_USER_HDR_SIZE 12

/* Wire structures, little-endian (x86_64/aarch64 hosts: native). */
typedef struct __attribute__((packed)) {
    uint32_t request;
    uint32_t flags;
    uint32_t size;                /* payload bytes after the header */
} VhostUserHeader;

typedef struct __attribute__((packed)) {
    uint32_t index;
    uint32_t num;
} VhostUserVringState;

typedef struct __attribute__((packed)) {
    uint32_t index;
    uint32_t flags;
    uint64_t desc;                /* front-end virtual addresses */
    uint64_t used;
    uint64_t avail;
    uint64_t log;
} VhostUserVringAddr;

typedef struct __attribute__((packed)) {
    uint64_t guest_addr;
    uint64_t size;
    uint64_t user_addr;
    uint64_t mmap_offset;
} VhostUserRegion;

typedef struct __attribute__((packed)) {
    uint32_t nregions;
    uint32_t padding;
    VhostUserRegion regions[VHOST_USER_MAX_REGIONS];
} VhostUserMemory;

typedef struct __attribute__((packed)) {
    uint32_t offset;
    uint32_t size;
    uint32_t flags;
    uint8_t region[VHOST_USER_MAX_CONFIG];
} VhostUserConfig;

typedef union {
    uint64_t u64;
    VhostUserVringState state;
    VhostUserVringAddr addr;
    VhostUserMemory memory;
    VhostUserConfig config;
} VhostUserPayload;

typedef struct __attribute__((packed)) {
    VhostUserHeader hdr;
    VhostUserPayload payload;
} VhostUserMsg;

typedef struct VhostUser VhostUser;

/**
 * vhost_user_connect:
 * Connects to the back end listening on @path and does the handshake:
 * SET_OWNER, GET_FEATURES and, when offered, GET/SET_PROTOCOL_FEATURES
 * (nimbus takes MQ, REPLY_ACK and CONFIG) and GET_QUEUE_NUM.  @name
 * prefixes errors (the device id).  (transfer full) or NULL with @error.
 */
VhostUser *vhost_user_connect(const char *path, const char *name,
                              GError **error);
/* The same on a connected socket @fd (taken over, also on failure). */
VhostUser *vhost_user_new_fd(int fd, const char *name, GError **error);
void vhost_user_free(VhostUser *vu);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhostUser, vhost_user_free)

/* The back end's virtio features, without bit 30. */
uint64_t vhost_user_backend_features(const VhostUser *vu);
/* Whether the back end took VHOST_USER_F_PROTOCOL_FEATURES: its rings
 * then start disabled until SET_VRING_ENABLE. */
bool vhost_user_has_protocol_features(const VhostUser *vu);
/* The negotiated protocol features. */
uint64_t vhost_user_protocol_features(const VhostUser *vu);
/* GET_QUEUE_NUM's answer, 0 when the back end has no MQ. */
uint64_t vhost_user_queue_num(const VhostUser *vu);
/* The socket, for a worker to watch for the back end hanging up. */
int vhost_user_fd(const VhostUser *vu);

/* SET_FEATURES with @features (what the driver took); bit 30 is added
 * when protocol features were negotiated. */
bool vhost_user_set_features(VhostUser *vu, uint64_t features,
                             GError **error);
/* SET_MEM_TABLE with every region of @mem; refused (naming it) when a
 * region has no fd or is not shared, as the back end could not see the
 * guest's writes. */
bool vhost_user_set_mem_table(VhostUser *vu, const GuestMemory *mem,
                              GError **error);
bool vhost_user_set_vring_num(VhostUser *vu, unsigned index, unsigned num,
                              GError **error);
/* The ring addresses, as host pointers of this process. */
bool vhost_user_set_vring_addr(VhostUser *vu, unsigned index,
                               const void *desc, const void *avail,
                               const void *used, GError **error);
bool vhost_user_set_vring_base(VhostUser *vu, unsigned index, unsigned base,
                               GError **error);
/* Stops the ring; *@base is the next avail index it would have read. */
bool vhost_user_get_vring_base(VhostUser *vu, unsigned index,
                               unsigned *base, GError **error);
/* SET_VRING_KICK / CALL / ERR: @fd < 0 sends VHOST_USER_VRING_NOFD. */
bool vhost_user_set_vring_fd(VhostUser *vu, VhostUserRequest request,
                             unsigned index, int fd, GError **error);
/* Only with protocol features (else rings start enabled). */
bool vhost_user_set_vring_enable(VhostUser *vu, unsigned index, bool enable,
                                 GError **error);
/* GET_CONFIG: @len bytes at @off of the device's config space.  Only
 * with VHOST_USER_PROTOCOL_F_CONFIG. */
bool vhost_user_get_config(VhostUser *vu, uint32_t off, void *buf,
                           uint32_t len, GError **error);

/* SET_CONFIG: the driver wrote @len bytes at @off of the config space
 * (flags 0: a front-end write, not migration).  Only with
 * VHOST_USER_PROTOCOL_F_CONFIG. */
bool vhost_user_set_config(VhostUser *vu, uint32_t off, const void *buf,
                           uint32_t len, GError **error);

/**
 * vhost_user_parse_reply:
 * Checks a whole reply @buf of @len bytes (header and payload, as read
 * from the socket) to @request: version 1 with the REPLY flag, the same
 * request, a payload size within VhostUserPayload and the one the
 * request's reply has (@expect bytes; 0 for "any up to the maximum").
 * Fills @msg on success.  Pure: the fuzz target's entry.
 */
bool vhost_user_parse_reply(const void *buf, size_t len, uint32_t request,
                            size_t expect, VhostUserMsg *msg,
                            GError **error);

/* The request's name ("SET_MEM_TABLE"), for messages. */
const char *vhost_user_request_name(uint32_t request);

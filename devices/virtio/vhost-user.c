/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user front end: requests, replies and fd passing on the back end's UNIX socket. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/virtio/vhost-user.h"

/* The protocol features nimbus implements (the rest is never asked). */
#define VHOST_USER_PROTOCOL_FEATURES_WANTED                                    \
    ((1ULL << VHOST_USER_PROTOCOL_F_MQ) |                                     \
     (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) |                              \
     (1ULL << VHOST_USER_PROTOCOL_F_CONFIG))

/*
 * Fields: @fd and @name are immutable; the rest is written by the
 * handshake, then read only.  Requests are not reentrant: the device
 * sends them from one thread at a time (its transport lock, or the
 * control thread before the device is visible to the guest).
 */
struct VhostUser {
    int fd;
    char *name;
    uint64_t features;            /* back end's, bit 30 kept */
    uint64_t protocol_features;   /* negotiated */
    uint64_t queue_num;
};

static const char *const request_names[] = {
    [VHOST_USER_GET_FEATURES] = "GET_FEATURES",
    [VHOST_USER_SET_FEATURES] = "SET_FEATURES",
    [VHOST_USER_SET_OWNER] = "SET_OWNER",
    [VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
    [VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
    [VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
    [VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
    [VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
    [VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
    [VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
    [VHOST_USER_SET_VRING_ERR] = "SET_VRING_ERR",
    [VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
    [VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
    [VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
    [VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
    [VHOST_USER_GET_CONFIG] = "GET_CONFIG",
    [VHOST_USER_SET_CONFIG] = "SET_CONFIG",
};

const char *
vhost_user_request_name(uint32_t request)
{
    if (request < G_N_ELEMENTS(request_names) && request_names[request])
        return request_names[request];
    return "unknown request";
}

bool
vhost_user_parse_reply(const void *buf, size_t len, uint32_t request,
                       size_t expect, VhostUserMsg *msg, GError **error)
{
    VhostUserHeader hdr;

    if (len < VHOST_USER_HDR_SIZE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "reply to %s: %zu bytes, shorter than a header",
                    vhost_user_request_name(request), len);
        return false;
    }
    memcpy(&hdr, buf, sizeof(hdr));
    hdr.request = GUINT32_FROM_LE(hdr.request);
    hdr.flags = GUINT32_FROM_LE(hdr.flags);
    hdr.size = GUINT32_FROM_LE(hdr.size);
    if ((hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
        !(hdr.flags & VHOST_USER_FLAG_REPLY)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "reply to %s: flags 0x%x are not a version 1 reply",
                    vhost_user_request_name(request), hdr.flags);
        return false;
    }
    if (hdr.request != request) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "reply to %s names request %u (%s)",
                    vhost_user_request_name(request), hdr.request,
                    vhost_user_request_name(hdr.request));
        return false;
    }
    if (hdr.size > sizeof(VhostUserPayload) ||
        (expect && hdr.size != expect)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "reply to %s: payload of %u bytes, expected %zu",
                    vhost_user_request_name(request), hdr.size,
                    expect ? expect : sizeof(VhostUserPayload));
        return false;
    }
    if (len != VHOST_USER_HDR_SIZE + (size_t)hdr.size) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "reply to %s: %zu bytes for a payload of %u",
                    vhost_user_request_name(request), len, hdr.size);
        return false;
    }
    memset(msg, 0, sizeof(*msg));
    msg->hdr = hdr;
    memcpy(&msg->payload, (const uint8_t *)buf + VHOST_USER_HDR_SIZE,
           hdr.size);
    return true;
}

/* Sends @msg (header + hdr.size payload bytes) with @nfds fds. */
static bool
vhost_user_send(VhostUser *vu, VhostUserMsg *msg, const int *fds,
                unsigned nfds, GError **error)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_REGIONS)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {
        .iov_base = msg, .iov_len = VHOST_USER_HDR_SIZE + msg->hdr.size
    };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    g_assert(nfds <= VHOST_USER_MAX_REGIONS);
    if (nfds) {
        struct cmsghdr *c;

        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    do {
        /* MSG_NOSIGNAL: a back end that went away is an error, not a
         * SIGPIPE that ends the VMM. */
        n = sendmsg(vu->fd, &mh, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n != iov.iov_len) {
        int err = n < 0 ? errno : EIO;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "%s: vhost-user %s: %s", vu->name,
                    vhost_user_request_name(msg->hdr.request),
                    err == EPIPE || err == ECONNRESET ?
                    "the back end closed the socket" :
                    n < 0 ? g_strerror(err) : "short write");
        return false;
    }
    return true;
}

/* Reads exactly @len bytes, waiting at most the reply timeout for each
 * piece; -errno (-EPIPE: the back end closed the socket). */
static int
vhost_user_read_full(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;

    while (len) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        ssize_t n;
        int r = poll(&pfd, 1, VHOST_USER_REPLY_TIMEOUT_MS);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -ETIMEDOUT;
        /* No control buffer: fds a hostile back end attaches are closed
         * by the kernel, not leaked into the VMM. */
        n = recv(fd, p, len, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EPIPE;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads the reply to @request and checks it (vhost_user_parse_reply). */
static bool
vhost_user_recv(VhostUser *vu, uint32_t request, size_t expect,
                VhostUserMsg *msg, GError **error)
{
    uint8_t buf[sizeof(VhostUserMsg)];
    VhostUserHeader hdr;
    g_autoptr(GError) local = NULL;
    uint32_t size = 0;
    int r;

    r = vhost_user_read_full(vu->fd, buf, VHOST_USER_HDR_SIZE);
    if (r == 0) {
        memcpy(&hdr, buf, sizeof(hdr));
        size = GUINT32_FROM_LE(hdr.size);
        /* Bounded before reading: an oversized payload is refused, not
         * read into a buffer it does not fit. */
        if (size > sizeof(VhostUserPayload)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "%s: vhost-user reply to %s: payload of %u bytes, "
                        "more than %zu", vu->name,
                        vhost_user_request_name(request), size,
                        sizeof(VhostUserPayload));
            return false;
        }
        r = vhost_user_read_full(vu->fd, buf + VHOST_USER_HDR_SIZE, size);
    }
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "%s: vhost-user reply to %s: %s", vu->name,
                    vhost_user_request_name(request),
                    r == -EPIPE ? "the back end closed the socket" :
                    r == -ETIMEDOUT ? "the back end did not answer" :
                    g_strerror(-r));
        return false;
    }
    if (!vhost_user_parse_reply(buf, VHOST_USER_HDR_SIZE + size, request,
                                expect, msg, &local)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: vhost-user %s", vu->name, local->message);
        return false;
    }
    return true;
}

static void
vhost_user_msg_init(VhostUserMsg *msg, uint32_t request, uint32_t size)
{
    memset(msg, 0, sizeof(*msg));
    msg->hdr.request = request;
    msg->hdr.flags = VHOST_USER_VERSION;
    msg->hdr.size = size;
}

/*
 * A request without a reply of its own.  With REPLY_ACK the back end is
 * asked to confirm it (a u64, 0 = success), so that a failure is seen at
 * the request that caused it rather than as a silent dead queue.
 */
static bool
vhost_user_request(VhostUser *vu, VhostUserMsg *msg, const int *fds,
                   unsigned nfds, GError **error)
{
    bool ack = vu->protocol_features &
               (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK);
    uint32_t request = msg->hdr.request;
    VhostUserMsg reply;

    if (ack)
        msg->hdr.flags |= VHOST_USER_FLAG_NEED_REPLY;
    if (!vhost_user_send(vu, msg, fds, nfds, error))
        return false;
    if (!ack)
        return true;
    if (!vhost_user_recv(vu, request, sizeof(uint64_t), &reply, error))
        return false;
    if (reply.payload.u64) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "%s: the vhost-user back end refused %s (status %"
                    G_GUINT64_FORMAT ")", vu->name,
                    vhost_user_request_name(request), reply.payload.u64);
        return false;
    }
    return true;
}

/* A request answered with a u64 (GET_FEATURES...). */
static bool
vhost_user_get_u64(VhostUser *vu, uint32_t request, uint64_t *value,
                   GError **error)
{
    VhostUserMsg msg;

    vhost_user_msg_init(&msg, request, 0);
    if (!vhost_user_send(vu, &msg, NULL, 0, error) ||
        !vhost_user_recv(vu, request, sizeof(uint64_t), &msg, error))
        return false;
    *value = GUINT64_FROM_LE(msg.payload.u64);
    return true;
}

static bool
vhost_user_set_u64(VhostUser *vu, uint32_t request, uint64_t value,
                   GError **error)
{
    VhostUserMsg msg;

    vhost_user_msg_init(&msg, request, sizeof(uint64_t));
    msg.payload.u64 = GUINT64_TO_LE(value);
    return vhost_user_request(vu, &msg, NULL, 0, error);
}

static bool
vhost_user_negotiate(VhostUser *vu, GError **error)
{
    VhostUserMsg msg;
    uint64_t pf;

    /* SET_OWNER: no payload, and before protocol features, no ack. */
    vhost_user_msg_init(&msg, VHOST_USER_SET_OWNER, 0);
    if (!vhost_user_send(vu, &msg, NULL, 0, error) ||
        !vhost_user_get_u64(vu, VHOST_USER_GET_FEATURES, &vu->features,
                            error))
        return false;
    if (!(vu->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)))
        return true;
    if (!vhost_user_get_u64(vu, VHOST_USER_GET_PROTOCOL_FEATURES, &pf, error))
        return false;
    pf &= VHOST_USER_PROTOCOL_FEATURES_WANTED;
    /* Sent before vu->protocol_features is set: this one is not acked. */
    if (!vhost_user_set_u64(vu, VHOST_USER_SET_PROTOCOL_FEATURES, pf, error))
        return false;
    vu->protocol_features = pf;
    if ((pf & (1ULL << VHOST_USER_PROTOCOL_F_MQ)) &&
        !vhost_user_get_u64(vu, VHOST_USER_GET_QUEUE_NUM, &vu->queue_num,
                            error))
        return false;
    return true;
}

VhostUser *
vhost_user_new_fd(int fd, const char *name, GError **error)
{
    g_autoptr(VhostUser) vu = g_new0(VhostUser, 1);

    vu->fd = fd;
    vu->name = g_strdup(name);
    if (!vhost_user_negotiate(vu, error))
        return NULL;
    return g_steal_pointer(&vu);
}

VhostUser *
vhost_user_connect(const char *path, const char *name, GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: socket path '%s' is too long", name, path);
        return NULL;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int err = errno;

        fd_close(fd);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "%s: cannot connect to the vhost-user back end at "
                    "'%s': %s", name, path, g_strerror(err));
        return NULL;
    }
    return vhost_user_new_fd(fd, name, error);
}

void
vhost_user_free(VhostUser *vu)
{
    if (!vu)
        return;
    fd_close(vu->fd);
    g_free(vu->name);
    g_free(vu);
}

uint64_t
vhost_user_backend_features(const VhostUser *vu)
{
    return vu->features & ~(1ULL << VHOST_USER_F_PROTOCOL_FEATURES);
}

bool
vhost_user_has_protocol_features(const VhostUser *vu)
{
    return vu->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES);
}

uint64_t
vhost_user_protocol_features(const VhostUser *vu)
{
    return vu->protocol_features;
}

uint64_t
vhost_user_queue_num(const VhostUser *vu)
{
    return vu->queue_num;
}

int
vhost_user_fd(const VhostUser *vu)
{
    return vu->fd;
}

bool
vhost_user_set_features(VhostUser *vu, uint64_t features, GError **error)
{
    /* Bit 30 is the front end's and back end's business, never the
     * driver's: it stays on once the back end offered it. */
    features |= vu->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES);
    return vhost_user_set_u64(vu, VHOST_USER_SET_FEATURES, features, error);
}

bool
vhost_user_set_mem_table(VhostUser *vu, const GuestMemory *mem,
                         GError **error)
{
    VhostUserMsg msg;
    int fds[VHOST_USER_MAX_REGIONS];
    unsigned n = 0;

    if (mem->nregions > VHOST_USER_MAX_REGIONS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: %u memory regions, vhost-user takes %u", vu->name,
                    mem->nregions, VHOST_USER_MAX_REGIONS);
        return false;
    }
    vhost_user_msg_init(&msg, VHOST_USER_SET_MEM_TABLE,
                        offsetof(VhostUserMemory, regions) +
                        mem->nregions * sizeof(VhostUserRegion));
    for (unsigned i = 0; i < mem->nregions; i++) {
        const GuestRegion *r = &mem->regions[i];
        VhostUserRegion *w = &msg.payload.memory.regions[n];

        /* CH (VhostUserRequiresSharedMemory): a private mapping's pages
         * are the VMM's own, the back end would never see them. */
        if (r->fd < 0 || !r->shared) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        "%s: guest memory at 0x%" G_GINT64_MODIFIER "x is "
                        "not shared: vhost-user needs --memory shared=on",
                        vu->name, r->gpa);
            return false;
        }
        w->guest_addr = GUINT64_TO_LE(r->gpa);
        w->size = GUINT64_TO_LE(r->size);
        w->user_addr = GUINT64_TO_LE((uint64_t)(uintptr_t)r->hva);
        w->mmap_offset = GUINT64_TO_LE(r->fd_offset);
        fds[n++] = r->fd;
    }
    msg.payload.memory.nregions = GUINT32_TO_LE(n);
    return vhost_user_request(vu, &msg, fds, n, error);
}

static bool
vhost_user_set_state(VhostUser *vu, uint32_t request, unsigned index,
                     unsigned num, GError **error)
{
    VhostUserMsg msg;

    vhost_user_msg_init(&msg, request, sizeof(VhostUserVringState));
    msg.payload.state.index = GUINT32_TO_LE(index);
    msg.payload.state.num = GUINT32_TO_LE(num);
    return vhost_user_request(vu, &msg, NULL, 0, error);
}

bool
vhost_user_set_vring_num(VhostUser *vu, unsigned index, unsigned num,
                         GError **error)
{
    return vhost_user_set_state(vu, VHOST_USER_SET_VRING_NUM, index, num,
                                error);
}

bool
vhost_user_set_vring_base(VhostUser *vu, unsigned index, unsigned base,
                          GError **error)
{
    return vhost_user_set_state(vu, VHOST_USER_SET_VRING_BASE, index, base,
                                error);
}

bool
vhost_user_set_vring_enable(VhostUser *vu, unsigned index, bool enable,
                            GError **error)
{
    return vhost_user_set_state(vu, VHOST_USER_SET_VRING_ENABLE, index,
                                enable, error);
}

bool
vhost_user_set_vring_addr(VhostUser *vu, unsigned index, const void *desc,
                          const void *avail, const void *used, GError **error)
{
    VhostUserMsg msg;

    vhost_user_msg_init(&msg, VHOST_USER_SET_VRING_ADDR,
                        sizeof(VhostUserVringAddr));
    msg.payload.addr.index = GUINT32_TO_LE(index);
    msg.payload.addr.desc = GUINT64_TO_LE((uint64_t)(uintptr_t)desc);
    msg.payload.addr.avail = GUINT64_TO_LE((uint64_t)(uintptr_t)avail);
    msg.payload.addr.used = GUINT64_TO_LE((uint64_t)(uintptr_t)used);
    return vhost_user_request(vu, &msg, NULL, 0, error);
}

bool
vhost_user_get_vring_base(VhostUser *vu, unsigned index, unsigned *base,
                          GError **error)
{
    VhostUserMsg msg;

    /* GET_VRING_BASE has a reply of its own: never NEED_REPLY. */
    vhost_user_msg_init(&msg, VHOST_USER_GET_VRING_BASE,
                        sizeof(VhostUserVringState));
    msg.payload.state.index = GUINT32_TO_LE(index);
    if (!vhost_user_send(vu, &msg, NULL, 0, error) ||
        !vhost_user_recv(vu, VHOST_USER_GET_VRING_BASE,
                         sizeof(VhostUserVringState), &msg, error))
        return false;
    if (GUINT32_FROM_LE(msg.payload.state.index) != index ||
        GUINT32_FROM_LE(msg.payload.state.num) > G_MAXUINT16) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: vhost-user reply to GET_VRING_BASE: queue %u, "
                    "base %u for queue %u", vu->name,
                    GUINT32_FROM_LE(msg.payload.state.index),
                    GUINT32_FROM_LE(msg.payload.state.num), index);
        return false;
    }
    *base = GUINT32_FROM_LE(msg.payload.state.num);
    return true;
}

bool
vhost_user_set_vring_fd(VhostUser *vu, VhostUserRequest request,
                        unsigned index, int fd, GError **error)
{
    VhostUserMsg msg;
    uint64_t v = index & VHOST_USER_VRING_IDX_MASK;

    g_assert(request == VHOST_USER_SET_VRING_KICK ||
             request == VHOST_USER_SET_VRING_CALL ||
             request == VHOST_USER_SET_VRING_ERR);
    if (fd < 0)
        v |= VHOST_USER_VRING_NOFD;
    vhost_user_msg_init(&msg, request, sizeof(uint64_t));
    msg.payload.u64 = GUINT64_TO_LE(v);
    return vhost_user_request(vu, &msg, &fd, fd < 0 ? 0 : 1, error);
}

bool
vhost_user_get_config(VhostUser *vu, uint32_t off, void *buf, uint32_t len,
                      GError **error)
{
    VhostUserMsg msg;
    const size_t hdr = offsetof(VhostUserConfig, region);

    if (!(vu->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_CONFIG)) ||
        len > VHOST_USER_MAX_CONFIG) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: the vhost-user back end cannot give %u bytes of "
                    "its config space", vu->name, len);
        return false;
    }
    vhost_user_msg_init(&msg, VHOST_USER_GET_CONFIG, hdr + len);
    msg.payload.config.offset = GUINT32_TO_LE(off);
    msg.payload.config.size = GUINT32_TO_LE(len);
    if (!vhost_user_send(vu, &msg, NULL, 0, error) ||
        !vhost_user_recv(vu, VHOST_USER_GET_CONFIG, hdr + len, &msg, error))
        return false;
    if (GUINT32_FROM_LE(msg.payload.config.size) != len) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: vhost-user reply to GET_CONFIG: %u bytes, asked "
                    "for %u", vu->name,
                    GUINT32_FROM_LE(msg.payload.config.size), len);
        return false;
    }
    memcpy(buf, msg.payload.config.region, len);
    return true;
}

bool
vhost_user_set_config(VhostUser *vu, uint32_t off, const void *buf,
                      uint32_t len, GError **error)
{
    VhostUserMsg msg;
    const size_t hdr = offsetof(VhostUserConfig, region);

    if (!(vu->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_CONFIG)) ||
        len > VHOST_USER_MAX_CONFIG) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: the vhost-user back end cannot take %u bytes of "
                    "its config space", vu->name, len);
        return false;
    }
    vhost_user_msg_init(&msg, VHOST_USER_SET_CONFIG, hdr + len);
    msg.payload.config.offset = GUINT32_TO_LE(off);
    msg.payload.config.size = GUINT32_TO_LE(len);
    memcpy(msg.payload.config.region, buf, len);
    return vhost_user_request(vu, &msg, NULL, 0, error);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* A fake vhost-user back end for unit tests: answers the front end's requests and records them. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/fd-util.h"
#include "devices/virtio/vhost-user.h"
#include "tests/unit/fake-vhost-user.h"

#define FAKE_MAX_QUEUES 8

/* Everything below @lock is shared with the serving thread. */
struct FakeVhostUser {
    char *path;
    int listen_fd;                /* -1 with start_fd */
    int conn_fd;                  /* start_fd's, handed to the thread */
    int stop_pipe[2];
    GThread *thread;
    uint64_t features;
    uint64_t protocol_features;
    unsigned queue_num;
    GMutex lock;
    FakeVhostUserMode mode;
    FakeVhostUserSeen seen;
    int call_fds[FAKE_MAX_QUEUES];
    uint8_t config[VHOST_USER_MAX_CONFIG];  /* GET_CONFIG's answer */
    bool config_set;              /* else 0xab bytes */
};

/* Reads one request and the fds that came with it; false at EOF. */
static bool
fake_read_msg(int fd, VhostUserMsg *msg, int *fds, unsigned *nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_REGIONS)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = &msg->hdr,
                         .iov_len = VHOST_USER_HDR_SIZE };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = ctl.buf,
                         .msg_controllen = sizeof(ctl.buf) };
    ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

    *nfds = 0;
    if (n != VHOST_USER_HDR_SIZE)
        return false;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
         c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            *nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds, CMSG_DATA(c), *nfds * sizeof(int));
        }
    }
    if (msg->hdr.size > sizeof(msg->payload))
        return false;
    return fd_read_full(fd, &msg->payload, msg->hdr.size) ==
           (ssize_t)msg->hdr.size;
}

static void
fake_reply(FakeVhostUser *f, int fd, VhostUserMsg *msg, uint32_t size)
{
    FakeVhostUserMode mode;

    g_mutex_lock(&f->lock);
    mode = f->mode;
    g_mutex_unlock(&f->lock);
    msg->hdr.flags = VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY;
    msg->hdr.size = size;
    if (mode == FAKE_VHOST_USER_WRONG_REQUEST)
        msg->hdr.request += 1;
    if (mode == FAKE_VHOST_USER_OVERSIZE)
        msg->hdr.size = 65536;
    if (mode == FAKE_VHOST_USER_CLOSE) {
        shutdown(fd, SHUT_RDWR);
        return;
    }
    (void)fd_write_all(fd, msg, VHOST_USER_HDR_SIZE + size);
}

/* Handles one request; false when the connection is over. */
static bool
fake_serve_one(FakeVhostUser *f, int fd)
{
    VhostUserMsg msg = { { 0 } };
    int fds[VHOST_USER_MAX_REGIONS];
    unsigned nfds, q;
    bool need_ack;
    FakeVhostUserSeen *s = &f->seen;

    if (!fake_read_msg(fd, &msg, fds, &nfds))
        return false;
    need_ack = msg.hdr.flags & VHOST_USER_FLAG_NEED_REPLY;
    q = msg.payload.state.index % FAKE_MAX_QUEUES;
    g_mutex_lock(&f->lock);
    s->requests++;
    switch (msg.hdr.request) {
    case VHOST_USER_SET_OWNER:
        s->owner = true;
        break;
    case VHOST_USER_SET_FEATURES:
        s->features = msg.payload.u64;
        break;
    case VHOST_USER_SET_PROTOCOL_FEATURES:
        s->protocol_features = msg.payload.u64;
        break;
    case VHOST_USER_SET_MEM_TABLE:
        s->nregions = msg.payload.memory.nregions;
        s->nregion_fds = nfds;
        break;
    case VHOST_USER_SET_VRING_NUM:
        s->vring_num[q] = msg.payload.state.num;
        break;
    case VHOST_USER_SET_VRING_BASE:
        s->vring_base[q] = msg.payload.state.num;
        break;
    case VHOST_USER_SET_VRING_ADDR:
        s->vring_desc[msg.payload.addr.index % FAKE_MAX_QUEUES] =
            msg.payload.addr.desc;
        break;
    case VHOST_USER_SET_VRING_ENABLE:
        s->vring_enabled[q] = msg.payload.state.num;
        break;
    case VHOST_USER_SET_CONFIG: {
        /* Later GET_CONFIGs answer what was written. */
        uint32_t len = MIN(msg.payload.config.size, VHOST_USER_MAX_CONFIG);
        uint32_t off = MIN(msg.payload.config.offset,
                           VHOST_USER_MAX_CONFIG - len);

        if (!f->config_set)
            memset(f->config, 0xab, sizeof(f->config));
        memcpy(f->config + off, msg.payload.config.region, len);
        f->config_set = true;
        s->config_writes++;
        break;
    }
    case VHOST_USER_SET_VRING_KICK:
    case VHOST_USER_SET_VRING_CALL:
    case VHOST_USER_SET_VRING_ERR:
        q = (msg.payload.u64 & VHOST_USER_VRING_IDX_MASK) % FAKE_MAX_QUEUES;
        if (msg.hdr.request == VHOST_USER_SET_VRING_KICK)
            s->vring_kick[q] = nfds == 1;
        else if (msg.hdr.request == VHOST_USER_SET_VRING_ERR)
            s->vring_err[q] = nfds == 1;
        else {
            s->vring_call[q] = nfds == 1;
            fd_close(f->call_fds[q]);
            f->call_fds[q] = nfds == 1 ? dup(fds[0]) : -1;
        }
        break;
    default:
        break;
    }
    g_mutex_unlock(&f->lock);
    for (unsigned i = 0; i < nfds; i++)
        close(fds[i]);

    switch (msg.hdr.request) {
    case VHOST_USER_GET_FEATURES:
        msg.payload.u64 = f->features |
                          (1ULL << VHOST_USER_F_PROTOCOL_FEATURES);
        fake_reply(f, fd, &msg, sizeof(uint64_t));
        return true;
    case VHOST_USER_GET_PROTOCOL_FEATURES:
        msg.payload.u64 = f->protocol_features;
        fake_reply(f, fd, &msg, sizeof(uint64_t));
        return true;
    case VHOST_USER_GET_QUEUE_NUM:
        msg.payload.u64 = f->queue_num;
        fake_reply(f, fd, &msg, sizeof(uint64_t));
        return true;
    case VHOST_USER_GET_VRING_BASE:
        g_mutex_lock(&f->lock);
        msg.payload.state.num = f->seen.vring_base[q];
        f->seen.vring_enabled[q] = false;
        g_mutex_unlock(&f->lock);
        fake_reply(f, fd, &msg, sizeof(VhostUserVringState));
        return true;
    case VHOST_USER_GET_CONFIG: {
        uint32_t len = MIN(msg.payload.config.size, VHOST_USER_MAX_CONFIG);
        uint32_t off = MIN(msg.payload.config.offset,
                           VHOST_USER_MAX_CONFIG - len);
        bool short_reply;

        g_mutex_lock(&f->lock);
        if (f->config_set)
            memcpy(msg.payload.config.region, f->config + off, len);
        else
            memset(msg.payload.config.region, 0xab, len);
        short_reply = f->mode == FAKE_VHOST_USER_SHORT_CONFIG;
        g_mutex_unlock(&f->lock);
        /* A back end that answers with less than it was asked. */
        if (short_reply && len)
            msg.payload.config.size = len - 1;
        fake_reply(f, fd, &msg, msg.hdr.size - (short_reply && len));
        return true;
    }
    default:
        break;
    }
    if (need_ack) {
        g_mutex_lock(&f->lock);
        msg.payload.u64 = f->mode == FAKE_VHOST_USER_NACK ? 1 : 0;
        g_mutex_unlock(&f->lock);
        fake_reply(f, fd, &msg, sizeof(uint64_t));
    }
    return true;
}

/* Serves every connection at once: the device-state tests keep several
 * devices (each with its connection) alive together. */
static gpointer
fake_thread(gpointer data)
{
    FakeVhostUser *f = data;
    g_autoptr(GArray) pfds = g_array_new(FALSE, FALSE,
                                         sizeof(struct pollfd));
    struct pollfd stop = { .fd = f->stop_pipe[0], .events = POLLIN };
    struct pollfd lst = { .fd = f->listen_fd, .events = POLLIN };

    g_array_append_val(pfds, stop);
    g_array_append_val(pfds, lst);
    if (f->conn_fd >= 0) {
        struct pollfd c = { .fd = f->conn_fd, .events = POLLIN };

        g_array_append_val(pfds, c);
    }
    for (;;) {
        struct pollfd *p = (struct pollfd *)(void *)pfds->data;

        if (poll(p, pfds->len, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents)
            break;
        if (p[1].fd >= 0 && p[1].revents) {
            struct pollfd c = { .events = POLLIN };

            c.fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (c.fd >= 0)
                g_array_append_val(pfds, c);
            continue;
        }
        for (guint i = 2; i < pfds->len; i++) {
            if (p[i].revents && !fake_serve_one(f, p[i].fd)) {
                fd_close(p[i].fd);
                g_array_remove_index(pfds, i);
                break;
            }
        }
    }
    for (guint i = 2; i < pfds->len; i++)
        fd_close(g_array_index(pfds, struct pollfd, i).fd);
    return NULL;
}

static FakeVhostUser *
fake_new(uint64_t features, uint64_t protocol_features, unsigned queue_num)
{
    FakeVhostUser *f = g_new0(FakeVhostUser, 1);

    f->listen_fd = -1;
    f->conn_fd = -1;
    f->features = features;
    f->protocol_features = protocol_features;
    f->queue_num = queue_num;
    for (unsigned i = 0; i < FAKE_MAX_QUEUES; i++)
        f->call_fds[i] = -1;
    g_mutex_init(&f->lock);
    g_assert_cmpint(pipe2(f->stop_pipe, O_CLOEXEC), ==, 0);
    return f;
}

FakeVhostUser *
fake_vhost_user_start(const char *path, uint64_t features,
                      uint64_t protocol_features, unsigned queue_num)
{
    FakeVhostUser *f = fake_new(features, protocol_features, queue_num);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    f->path = g_strdup(path);
    g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, path);
    unlink(path);
    f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(f->listen_fd, >=, 0);
    g_assert_cmpint(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)),
                    ==, 0);
    g_assert_cmpint(listen(f->listen_fd, 8), ==, 0);
    f->thread = g_thread_new("fake-vhost-user", fake_thread, f);
    return f;
}

FakeVhostUser *
fake_vhost_user_start_fd(int fd, uint64_t features,
                         uint64_t protocol_features, unsigned queue_num)
{
    FakeVhostUser *f = fake_new(features, protocol_features, queue_num);

    f->conn_fd = fd;
    f->thread = g_thread_new("fake-vhost-user", fake_thread, f);
    return f;
}

void
fake_vhost_user_stop(FakeVhostUser *f)
{
    if (!f)
        return;
    (void)fd_write_all(f->stop_pipe[1], "x", 1);
    g_thread_join(f->thread);
    fd_close(f->listen_fd);
    fd_close(f->stop_pipe[0]);
    fd_close(f->stop_pipe[1]);
    for (unsigned i = 0; i < FAKE_MAX_QUEUES; i++)
        fd_close(f->call_fds[i]);
    if (f->path)
        unlink(f->path);
    g_free(f->path);
    g_mutex_clear(&f->lock);
    g_free(f);
}

void
fake_vhost_user_set_mode(FakeVhostUser *f, FakeVhostUserMode mode)
{
    g_mutex_lock(&f->lock);
    f->mode = mode;
    g_mutex_unlock(&f->lock);
}

void
fake_vhost_user_set_config(FakeVhostUser *f, const void *config, size_t len)
{
    g_assert(len <= sizeof(f->config));
    g_mutex_lock(&f->lock);
    memset(f->config, 0, sizeof(f->config));
    memcpy(f->config, config, len);
    f->config_set = true;
    g_mutex_unlock(&f->lock);
}

void
fake_vhost_user_seen(FakeVhostUser *f, FakeVhostUserSeen *seen)
{
    g_mutex_lock(&f->lock);
    *seen = f->seen;
    g_mutex_unlock(&f->lock);
}

bool
fake_vhost_user_call(FakeVhostUser *f, unsigned index)
{
    bool ok;

    g_mutex_lock(&f->lock);
    ok = index < FAKE_MAX_QUEUES && f->call_fds[index] >= 0 &&
         write(f->call_fds[index], &(uint64_t){ 1 }, 8) == 8;
    g_mutex_unlock(&f->lock);
    return ok;
}

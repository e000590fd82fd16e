/* SPDX-License-Identifier: Apache-2.0 */
/* A client of swtpm's control channel and data fd (swtpm_ioctls(3), socket interface). */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/tpm/swtpm.h"

/* Control requests are small and answered at once; a peer that takes
 * longer is not a working swtpm. */
#define SWTPM_CTRL_TIMEOUT_MS 10000

/* CMD_SET_BUFFERSIZE's answer: result, size in use, minimum, maximum. */
#define SWTPM_BUFFERSIZE_RESP 16

struct SwtpmClient {
    char *path;                   /* immutable */
    int ctrl_fd;                  /* immutable; requests under ctrl_lock */
    int data_fd;                  /* immutable; one command at a time (the
                                   * device's executing flag) */
    size_t buffer_size;           /* immutable */
    int timeout_ms;               /* immutable */
    GMutex ctrl_lock;             /* one control request at a time */
};

static uint32_t
get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

uint32_t
tpm2_header_size(const uint8_t *hdr)
{
    return get_be32(hdr + 2);
}

static void
put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

/* Waits for @events on @fd until @deadline (monotonic µs): 0, -ETIMEDOUT
 * or -errno. */
static int
wait_fd(int fd, short events, gint64 deadline)
{
    for (;;) {
        struct pollfd p = { .fd = fd, .events = events };
        gint64 left = deadline - g_get_monotonic_time();
        int r;

        if (left <= 0)
            return -ETIMEDOUT;
        r = poll(&p, 1, (int)MIN(left / 1000 + 1, G_MAXINT));
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -errno;
    }
}

static int
send_all(int fd, const uint8_t *buf, size_t len, gint64 deadline)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        int r;

        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN)
            return -errno;
        if ((r = wait_fd(fd, POLLOUT, deadline)) < 0)
            return r;
    }
    return 0;
}

/* Reads exactly @len bytes; -ECONNRESET when the peer closes first. */
static int
recv_exact(int fd, uint8_t *buf, size_t len, gint64 deadline)
{
    while (len > 0) {
        ssize_t n = read(fd, buf, len);
        int r;

        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n == 0)
            return -ECONNRESET;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -errno;
        if ((r = wait_fd(fd, POLLIN, deadline)) < 0)
            return r;
    }
    return 0;
}

/*
 * One control request: @cmd with @payload, @pass_fd (>= 0) attached as
 * SCM_RIGHTS, then exactly @resp_len bytes of answer.  0 or -errno.
 */
static int
ctrl_request(SwtpmClient *c, uint32_t cmd, const uint8_t *payload,
             size_t payload_len, int pass_fd, uint8_t *resp, size_t resp_len)
{
    gint64 deadline = g_get_monotonic_time() +
                      MIN(c->timeout_ms, SWTPM_CTRL_TIMEOUT_MS) *
                      G_TIME_SPAN_MILLISECOND;
    uint8_t req[4 + 8];
    int r;

    g_assert(payload_len <= sizeof(req) - 4);
    put_be32(req, cmd);
    if (payload_len)
        memcpy(req + 4, payload, payload_len);
    g_mutex_lock(&c->ctrl_lock);
    if (pass_fd >= 0) {
        /* swtpm reads the fd with the command bytes: one message. */
        union {
            struct cmsghdr hdr;
            char buf[CMSG_SPACE(sizeof(int))];
        } ctl = { 0 };
        struct iovec iov = { req, 4 + payload_len };
        struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1,
            .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
        };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
        do {
            r = sendmsg(c->ctrl_fd, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
        } while (r == -EINTR);
    } else {
        r = send_all(c->ctrl_fd, req, 4 + payload_len, deadline);
    }
    if (r == 0)
        r = recv_exact(c->ctrl_fd, resp, resp_len, deadline);
    g_mutex_unlock(&c->ctrl_lock);
    return r;
}

/* A request whose answer is only the 32-bit result: 0, -errno, or -EPROTO
 * when swtpm reports a failure (its code goes to *@result). */
static int
ctrl_simple(SwtpmClient *c, uint32_t cmd, const uint8_t *payload,
            size_t payload_len, int pass_fd, uint32_t *result)
{
    uint8_t resp[4];
    int r = ctrl_request(c, cmd, payload, payload_len, pass_fd, resp,
                         sizeof(resp));

    if (r < 0)
        return r;
    *result = get_be32(resp);
    return *result ? -EPROTO : 0;
}

static bool
ctrl_check(SwtpmClient *c, const char *what, int r, uint32_t result,
           GError **error)
{
    if (r == -EPROTO)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "swtpm '%s': %s failed with TPM result 0x%x", c->path,
                    what, result);
    else if (r < 0)
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "swtpm '%s': %s: %s", c->path, what, g_strerror(-r));
    return r == 0;
}

bool
swtpm_client_startup(SwtpmClient *c, GError **error)
{
    uint8_t size[4], resp[SWTPM_BUFFERSIZE_RESP], flags[4] = { 0 };
    uint32_t result = 0, in_use;
    int r;

    /* The buffer size can only change while the TPM is stopped. */
    r = ctrl_simple(c, SWTPM_CMD_STOP, NULL, 0, -1, &result);
    if (!ctrl_check(c, "CMD_STOP", r, result, error))
        return false;
    put_be32(size, (uint32_t)c->buffer_size);
    r = ctrl_request(c, SWTPM_CMD_SET_BUFFERSIZE, size, sizeof(size), -1,
                     resp, sizeof(resp));
    result = r == 0 ? get_be32(resp) : 0;
    if (r == 0 && result)
        r = -EPROTO;
    if (!ctrl_check(c, "CMD_SET_BUFFERSIZE", r, result, error))
        return false;
    /* swtpm clamps the size to what it supports: a larger one would let
     * responses overflow the device's buffer. */
    in_use = get_be32(resp + 4);
    if (in_use > c->buffer_size) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "swtpm '%s': it cannot limit its buffer to %zu bytes "
                    "(it uses %u)", c->path, c->buffer_size, in_use);
        return false;
    }
    /* Flags 0: keep the volatile state swtpm may have stored. */
    r = ctrl_simple(c, SWTPM_CMD_INIT, flags, sizeof(flags), -1, &result);
    return ctrl_check(c, "CMD_INIT", r, result, error);
}

SwtpmClient *
swtpm_client_connect(const char *path, size_t buffer_size, int timeout_ms,
                     GError **error)
{
    g_autoptr(SwtpmClient) c = g_new0(SwtpmClient, 1);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int pair[2];
    uint8_t caps_be[8];
    uint32_t caps, result = 0;
    g_autofd_t theirs = -1;
    int r;

    g_mutex_init(&c->ctrl_lock);
    c->path = g_strdup(path);
    c->ctrl_fd = c->data_fd = -1;
    c->buffer_size = buffer_size;
    c->timeout_ms = timeout_ms;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "swtpm control socket path '%s' is too long", path);
        return NULL;
    }
    strcpy(sa.sun_path, path);
    c->ctrl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->ctrl_fd < 0 ||
        connect(c->ctrl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int err = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "cannot connect to the swtpm control socket '%s': %s",
                    path, g_strerror(err));
        return NULL;
    }
    /* Every wait is a poll() with a deadline: swtpm hanging must not
     * hang the VMM. */
    if ((r = fd_set_nonblock(c->ctrl_fd, true)) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "swtpm '%s': %s", path, g_strerror(-r));
        return NULL;
    }
    r = ctrl_request(c, SWTPM_CMD_GET_CAPABILITY, NULL, 0, -1, caps_be,
                     sizeof(caps_be));
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "'%s' does not answer as swtpm's control channel "
                    "(CMD_GET_CAPABILITY: %s)", path, g_strerror(-r));
        return NULL;
    }
    /* 64-bit big-endian; every capability is in the low half. */
    caps = get_be32(caps_be + 4);
    if ((caps & SWTPM_CAPS_NEEDED) != SWTPM_CAPS_NEEDED) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "swtpm '%s' lacks capabilities 0x%x (it has 0x%x): is "
                    "it swtpm 0.2 or later with --ctrl type=unixio?", path,
                    SWTPM_CAPS_NEEDED & ~caps, caps);
        return NULL;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "swtpm '%s': socketpair: %s", path, g_strerror(errno));
        return NULL;
    }
    c->data_fd = pair[0];
    theirs = pair[1];
    r = fd_set_nonblock(c->data_fd, true);
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "swtpm '%s': data channel: %s", path, g_strerror(-r));
        return NULL;
    }
    r = ctrl_simple(c, SWTPM_CMD_SET_DATAFD, NULL, 0, theirs, &result);
    if (!ctrl_check(c, "CMD_SET_DATAFD", r, result, error) ||
        !swtpm_client_startup(c, error))
        return NULL;
    return g_steal_pointer(&c);
}

void
swtpm_client_free(SwtpmClient *c)
{
    if (!c)
        return;
    fd_closep(&c->ctrl_fd);
    fd_closep(&c->data_fd);
    g_mutex_clear(&c->ctrl_lock);
    g_free(c->path);
    g_free(c);
}

/* Bytes left from an earlier exchange (a response that came after its
 * command timed out) would be taken for the next response. */
static void
drain_stale(int fd)
{
    uint8_t junk[256];

    while (read(fd, junk, sizeof(junk)) > 0)
        ;
}

ssize_t
swtpm_client_execute(SwtpmClient *c, const uint8_t *cmd, size_t cmd_len,
                     uint8_t *rsp, size_t rsp_max)
{
    gint64 deadline = g_get_monotonic_time() +
                      (gint64)c->timeout_ms * G_TIME_SPAN_MILLISECOND;
    uint32_t size;
    int r;

    if (rsp_max < TPM2_HEADER_SIZE)
        return -EINVAL;
    drain_stale(c->data_fd);
    if ((r = send_all(c->data_fd, cmd, cmd_len, deadline)) < 0 ||
        (r = recv_exact(c->data_fd, rsp, TPM2_HEADER_SIZE, deadline)) < 0)
        return r;
    size = tpm2_header_size(rsp);
    if (size < TPM2_HEADER_SIZE || size > rsp_max)
        return -EPROTO;         /* the rest is drained before the next one */
    r = recv_exact(c->data_fd, rsp + TPM2_HEADER_SIZE,
                   size - TPM2_HEADER_SIZE, deadline);
    return r < 0 ? r : (ssize_t)size;
}

int
swtpm_client_cancel(SwtpmClient *c)
{
    uint32_t result = 0;

    return ctrl_simple(c, SWTPM_CMD_CANCEL_TPM_CMD, NULL, 0, -1, &result);
}

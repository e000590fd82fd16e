/* SPDX-License-Identifier: Apache-2.0 */
/* A fake swtpm for unit tests: its control channel protocol over a UNIX socket, and a data fd. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/fd-util.h"
#include "devices/tpm/swtpm.h"
#include "tests/unit/fake-swtpm.h"

struct FakeSwtpm {
    char *path;
    uint32_t caps;
    int listen_fd;
    int stop_pipe[2];             /* readable once stopping */
    GThread *acceptor;
    GPtrArray *conns;             /* GThread *, joined at stop */
    /* Atomics: */
    int mode;
    unsigned inits, cancels, commands;
    uint32_t buffer_size;
};

typedef struct {
    FakeSwtpm *f;
    int ctrl_fd;
    int data_fd;
} Conn;

static void
be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

/* One control request; false when the peer went away. */
static bool
serve_ctrl(Conn *c)
{
    uint8_t cmd[4], payload[4], resp[16] = { 0 };
    size_t resp_len = 4;
    union {
        struct cmsghdr hdr;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = { cmd, sizeof(cmd) };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = ctl.buf,
                          .msg_controllen = sizeof(ctl.buf) };
    struct cmsghdr *cm;

    if (recvmsg(c->ctrl_fd, &msg, MSG_WAITALL) != sizeof(cmd))
        return false;
    switch (get32(cmd)) {
    case SWTPM_CMD_GET_CAPABILITY:
        be32(resp + 4, c->f->caps);
        resp_len = 8;
        break;
    case SWTPM_CMD_SET_DATAFD:
        cm = CMSG_FIRSTHDR(&msg);
        if (!cm || cm->cmsg_type != SCM_RIGHTS)
            return false;
        memcpy(&c->data_fd, CMSG_DATA(cm), sizeof(int));
        break;
    case SWTPM_CMD_INIT:
        if (fd_read_full(c->ctrl_fd, payload, 4) != 4)
            return false;
        __atomic_add_fetch(&c->f->inits, 1, __ATOMIC_SEQ_CST);
        break;
    case SWTPM_CMD_SET_BUFFERSIZE:
        if (fd_read_full(c->ctrl_fd, payload, 4) != 4)
            return false;
        __atomic_store_n(&c->f->buffer_size, get32(payload),
                         __ATOMIC_SEQ_CST);
        memcpy(resp + 4, payload, 4);
        be32(resp + 8, 2048);
        be32(resp + 12, 4096);
        resp_len = 16;
        break;
    case SWTPM_CMD_CANCEL_TPM_CMD:
        __atomic_add_fetch(&c->f->cancels, 1, __ATOMIC_SEQ_CST);
        break;
    case SWTPM_CMD_STOP:
        break;
    default:
        be32(resp, 0xa);          /* TPM_BAD_ORDINAL */
        break;
    }
    return fd_write_all(c->ctrl_fd, resp, resp_len) == 0;
}

static bool
serve_data(Conn *c)
{
    uint8_t hdr[TPM2_HEADER_SIZE], rest[4096], rsp[14];
    uint32_t size;

    if (fd_read_full(c->data_fd, hdr, sizeof(hdr)) != sizeof(hdr))
        return false;
    size = tpm2_header_size(hdr);
    if (size < sizeof(hdr) || size - sizeof(hdr) > sizeof(rest) ||
        fd_read_full(c->data_fd, rest, size - sizeof(hdr)) !=
            (ssize_t)(size - sizeof(hdr)))
        return false;
    __atomic_add_fetch(&c->f->commands, 1, __ATOMIC_SEQ_CST);
    switch (__atomic_load_n(&c->f->mode, __ATOMIC_SEQ_CST)) {
    case FAKE_SWTPM_SILENT:
        return true;
    case FAKE_SWTPM_OVERSIZE:
        memcpy(rsp, "\x80\x01\x00\x01\x00\x00\x00\x00\x00\x00", 10);
        return fd_write_all(c->data_fd, rsp, 10) == 0;
    default:
        memcpy(rsp, "\x80\x01\x00\x00\x00\x0e\x00\x00\x00\x00", 10);
        memcpy(rsp + 10, hdr + 6, 4);
        return fd_write_all(c->data_fd, rsp, sizeof(rsp)) == 0;
    }
}

static gpointer
conn_thread(gpointer data)
{
    Conn *c = data;

    for (;;) {
        struct pollfd p[3] = {
            { .fd = c->f->stop_pipe[0], .events = POLLIN },
            { .fd = c->ctrl_fd, .events = POLLIN },
            { .fd = c->data_fd, .events = POLLIN },
        };

        if (poll(p, c->data_fd >= 0 ? 3 : 2, -1) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        if (p[1].revents && !serve_ctrl(c))
            break;
        if (c->data_fd >= 0 && p[2].revents && !serve_data(c))
            break;
    }
    fd_closep(&c->ctrl_fd);
    fd_closep(&c->data_fd);
    g_free(c);
    return NULL;
}

static gpointer
accept_thread(gpointer data)
{
    FakeSwtpm *f = data;

    for (;;) {
        struct pollfd p[2] = {
            { .fd = f->stop_pipe[0], .events = POLLIN },
            { .fd = f->listen_fd, .events = POLLIN },
        };
        Conn *c;
        int fd;

        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        if (!p[1].revents || (fd = accept4(f->listen_fd, NULL, NULL,
                                           SOCK_CLOEXEC)) < 0)
            continue;
        c = g_new0(Conn, 1);
        c->f = f;
        c->ctrl_fd = fd;
        c->data_fd = -1;
        g_ptr_array_add(f->conns, g_thread_new("fake-swtpm", conn_thread,
                                               c));
    }
    return NULL;
}

FakeSwtpm *
fake_swtpm_start(const char *path, uint32_t caps)
{
    FakeSwtpm *f = g_new0(FakeSwtpm, 1);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    f->path = g_strdup(path);
    f->caps = caps;
    f->conns = g_ptr_array_new();
    g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, path);
    unlink(path);
    f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(f->listen_fd, >=, 0);
    g_assert_cmpint(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)),
                    ==, 0);
    g_assert_cmpint(listen(f->listen_fd, 8), ==, 0);
    g_assert_cmpint(pipe2(f->stop_pipe, O_CLOEXEC), ==, 0);
    f->acceptor = g_thread_new("fake-swtpm-accept", accept_thread, f);
    return f;
}

void
fake_swtpm_stop(FakeSwtpm *f)
{
    if (!f)
        return;
    fd_closep(&f->stop_pipe[1]);      /* every poll sees POLLHUP */
    g_thread_join(f->acceptor);
    for (guint i = 0; i < f->conns->len; i++)
        g_thread_join(f->conns->pdata[i]);
    g_ptr_array_free(f->conns, TRUE);
    fd_closep(&f->stop_pipe[0]);
    fd_closep(&f->listen_fd);
    unlink(f->path);
    g_free(f->path);
    g_free(f);
}

void
fake_swtpm_set_mode(FakeSwtpm *f, FakeSwtpmMode mode)
{
    __atomic_store_n(&f->mode, (int)mode, __ATOMIC_SEQ_CST);
}

unsigned
fake_swtpm_inits(FakeSwtpm *f)
{
    return __atomic_load_n(&f->inits, __ATOMIC_SEQ_CST);
}

unsigned
fake_swtpm_cancels(FakeSwtpm *f)
{
    return __atomic_load_n(&f->cancels, __ATOMIC_SEQ_CST);
}

unsigned
fake_swtpm_commands(FakeSwtpm *f)
{
    return __atomic_load_n(&f->commands, __ATOMIC_SEQ_CST);
}

uint32_t
fake_swtpm_buffer_size(FakeSwtpm *f)
{
    return __atomic_load_n(&f->buffer_size, __ATOMIC_SEQ_CST);
}

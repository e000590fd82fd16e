/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-vsock's connection multiplexer: guest stream packets to host UNIX sockets and back. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/virtio/iov.h"
#include "devices/virtio/vsock-priv.h"

/*
 * Cloud Hypervisor's "hybrid vsock" (Firecracker's design): the guest
 * talks virtio-vsock, the host talks UNIX sockets.
 *  - host -> guest: a client connects to the device's socket and writes
 *    "CONNECT <port>\n"; we pick a host port, send the guest a REQUEST,
 *    and on its RESPONSE answer the client "OK <host port>\n".  From then
 *    on bytes are relayed.
 *  - guest -> host: a REQUEST for host port P connects to "<socket>_P";
 *    success gives a RESPONSE, failure an RST.
 * Flow control is virtio's (§5.10.6.3): every packet carries the
 * sender's buf_alloc and fwd_cnt; we never send a connection more than
 * its peer's free space, and keep what the host socket cannot take yet
 * in a backlog that the guest's credit bounds (a guest that overruns it
 * gets an RST).  Everything here runs on the device's worker thread.
 */

typedef enum {
    CONN_HANDSHAKE,       /* host client: reading "CONNECT <port>\n" */
    CONN_CONNECTING,      /* REQUEST sent to the guest, awaiting RESPONSE */
    CONN_ESTABLISHED,
} ConnState;

typedef struct {
    int fd;
    ConnState state;
    uint32_t local_port;          /* host side */
    uint32_t peer_port;           /* guest side */
    /* Credit (§5.10.6.3): the guest's buffer and what it consumed, and
     * what we sent it; what we forwarded to the host socket and what we
     * last told the guest about it. */
    uint32_t peer_buf_alloc;
    uint32_t peer_fwd_cnt;
    uint32_t tx_cnt;
    uint32_t fwd_cnt;
    uint32_t fwd_reported;
    /* Guest bytes the host socket has not taken yet (at most our
     * buf_alloc: the guest's credit bounds it). */
    GByteArray *backlog;
    bool in_hash;
    bool rx_ready;                /* in m->rx_ready: worth reading now */
    bool wait_socket;             /* the last read found nothing */
    bool hup;                     /* the client closed; out of the epoll set */
    bool host_eof;                /* the client shut its write side */
    bool guest_no_send;           /* guest SHUTDOWN SEND: no more data */
    bool guest_no_recv;           /* guest SHUTDOWN RCV */
    bool close_when_drained;      /* guest closed: RST once backlog gone */
    uint32_t events;              /* epoll interest now */
} VsockConn;

/* A control packet for the guest: the header fields that vary. */
typedef struct {
    uint32_t src_port;            /* host port */
    uint32_t dst_port;            /* guest port */
    uint16_t op;
    uint32_t flags;
} VsockCtl;

struct VsockMux {
    uint64_t guest_cid;
    char *socket_path;
    int listen_fd;
    int epoll_fd;
    GHashTable *conns;            /* key (local << 32 | peer) -> VsockConn */
    GList *handshakes;            /* VsockConn in CONN_HANDSHAKE */
    GQueue rx_ready;              /* VsockConn with host bytes to send */
    GQueue ctl;                   /* VsockCtl for the guest */
    uint32_t next_port;           /* host ports of host-initiated conns */
};

static uint64_t
conn_key(uint32_t local, uint32_t peer)
{
    return ((uint64_t)local << 32) | peer;
}

/* ---- Headers -------------------------------------------------------- */

int
vsock_hdr_parse(const VirtQueueElem *e, VsockHdr *hdr)
{
    struct virtio_vsock_hdr w;

    /* §5.10.6.6: TX buffers are device-readable, header then payload. */
    if (e->in_num > 0 || e->out_len < VSOCK_HDR_SIZE)
        return -EINVAL;
    iov_to_buf(VIRTQUEUE_ELEM_OUT(e), e->out_num, 0, &w, sizeof(w));
    hdr->src_cid = GUINT64_FROM_LE(w.src_cid);
    hdr->dst_cid = GUINT64_FROM_LE(w.dst_cid);
    hdr->src_port = GUINT32_FROM_LE(w.src_port);
    hdr->dst_port = GUINT32_FROM_LE(w.dst_port);
    hdr->len = GUINT32_FROM_LE(w.len);
    hdr->type = GUINT16_FROM_LE(w.type);
    hdr->op = GUINT16_FROM_LE(w.op);
    hdr->flags = GUINT32_FROM_LE(w.flags);
    hdr->buf_alloc = GUINT32_FROM_LE(w.buf_alloc);
    hdr->fwd_cnt = GUINT32_FROM_LE(w.fwd_cnt);
    if (hdr->len > e->out_len - VSOCK_HDR_SIZE)
        return -EINVAL;
    return 0;
}

void
vsock_hdr_encode(const VsockHdr *hdr, struct virtio_vsock_hdr *w)
{
    w->src_cid = GUINT64_TO_LE(hdr->src_cid);
    w->dst_cid = GUINT64_TO_LE(hdr->dst_cid);
    w->src_port = GUINT32_TO_LE(hdr->src_port);
    w->dst_port = GUINT32_TO_LE(hdr->dst_port);
    w->len = GUINT32_TO_LE(hdr->len);
    w->type = GUINT16_TO_LE(hdr->type);
    w->op = GUINT16_TO_LE(hdr->op);
    w->flags = GUINT32_TO_LE(hdr->flags);
    w->buf_alloc = GUINT32_TO_LE(hdr->buf_alloc);
    w->fwd_cnt = GUINT32_TO_LE(hdr->fwd_cnt);
}

/* ---- Connections ---------------------------------------------------- */

static void
conn_set_events(VsockMux *m, VsockConn *c, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };

    if (c->events == events || c->hup)
        return;
    /* Level-triggered; an fd with no interest still reports hang-ups,
     * which is how a closed client is noticed. */
    if (epoll_ctl(m->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->events = events;
    else
        g_debug("vsock: epoll_ctl: %s", g_strerror(errno));
}

static VsockConn *
conn_new(VsockMux *m, int fd, ConnState state, uint32_t events)
{
    VsockConn *c = g_new0(VsockConn, 1);
    struct epoll_event ev = { .events = events, .data.ptr = c };

    c->fd = fd;
    c->state = state;
    c->events = events;
    c->backlog = g_byte_array_new();
    if (epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        g_debug("vsock: epoll_ctl: %s", g_strerror(errno));
        fd_close(fd);
        g_byte_array_unref(c->backlog);
        g_free(c);
        return NULL;
    }
    return c;
}

/* Forgets @c and closes its socket (the client sees EOF). */
static void
conn_drop(VsockMux *m, VsockConn *c)
{
    uint64_t key = conn_key(c->local_port, c->peer_port);

    if (c->in_hash)
        g_hash_table_remove(m->conns, &key);
    if (c->rx_ready)
        g_queue_remove(&m->rx_ready, c);
    m->handshakes = g_list_remove(m->handshakes, c);
    epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    fd_close(c->fd);
    g_byte_array_unref(c->backlog);
    g_free(c);
}

static void
conn_insert(VsockMux *m, VsockConn *c)
{
    uint64_t *key = g_new(uint64_t, 1);

    *key = conn_key(c->local_port, c->peer_port);
    g_hash_table_insert(m->conns, key, c);
    c->in_hash = true;
}

static VsockConn *
conn_lookup(VsockMux *m, uint32_t local, uint32_t peer)
{
    uint64_t key = conn_key(local, peer);

    return g_hash_table_lookup(m->conns, &key);
}

/* Queues a control packet; a full queue drops it (a guest that posts no
 * RX buffers while flooding TX must not grow our memory). */
static void
ctl_push(VsockMux *m, uint32_t host_port, uint32_t guest_port, uint16_t op,
         uint32_t flags)
{
    VsockCtl *k;

    if (m->ctl.length >= VSOCK_MAX_PENDING_CTL) {
        g_debug("vsock: control queue full, dropping op %u", op);
        return;
    }
    k = g_new(VsockCtl, 1);
    k->src_port = host_port;
    k->dst_port = guest_port;
    k->op = op;
    k->flags = flags;
    g_queue_push_tail(&m->ctl, k);
}

static void
conn_rst(VsockMux *m, VsockConn *c)
{
    ctl_push(m, c->local_port, c->peer_port, VIRTIO_VSOCK_OP_RST, 0);
    conn_drop(m, c);
}

/* Bytes we may still send the guest on @c (§5.10.6.3.1). */
static uint32_t
conn_peer_credit(const VsockConn *c)
{
    uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

    return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

/* Whether host bytes should flow to the guest on @c now. */
static bool
conn_wants_rx(const VsockConn *c)
{
    return c->state == CONN_ESTABLISHED && !c->host_eof &&
           !c->guest_no_recv && !c->close_when_drained &&
           conn_peer_credit(c) > 0;
}

/*
 * Puts @c in the RX round robin when reading it may give the guest
 * something, and watches its socket for what we wait on: readable data
 * (only while the guest has credit: else a level-triggered fd would spin
 * the worker), room for the backlog.
 */
static void
conn_sync(VsockMux *m, VsockConn *c)
{
    bool want = conn_wants_rx(c);
    bool ready = want && !c->wait_socket;
    uint32_t events = 0;

    if (ready && !c->rx_ready)
        g_queue_push_tail(&m->rx_ready, c);
    else if (!ready && c->rx_ready)
        g_queue_remove(&m->rx_ready, c);
    c->rx_ready = ready;
    if (c->state == CONN_HANDSHAKE || (want && c->wait_socket))
        events |= EPOLLIN;
    if (c->backlog->len > 0)
        events |= EPOLLOUT;
    conn_set_events(m, c, events);
}

static void
conn_note_forwarded(VsockMux *m, VsockConn *c, size_t n)
{
    c->fwd_cnt += (uint32_t)n;
    if (c->fwd_cnt - c->fwd_reported >= VSOCK_CREDIT_THRESHOLD)
        ctl_push(m, c->local_port, c->peer_port,
                 VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0);
}

/* Writes the backlog to the host socket; false when @c was dropped. */
static bool
conn_flush(VsockMux *m, VsockConn *c)
{
    while (c->backlog->len > 0) {
        ssize_t n = send(c->fd, c->backlog->data, c->backlog->len,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            conn_rst(m, c);
            return false;
        }
        g_byte_array_remove_range(c->backlog, 0, (guint)n);
        conn_note_forwarded(m, c, (size_t)n);
    }
    conn_sync(m, c);
    if (c->backlog->len > 0)
        return true;
    if (c->close_when_drained) {
        conn_rst(m, c);
        return false;
    }
    if (c->guest_no_send)
        shutdown(c->fd, SHUT_WR);
    return true;
}

/* ---- Host side ------------------------------------------------------ */

VsockMux *
vsock_mux_new(uint64_t guest_cid, const char *socket_path, int listen_fd)
{
    VsockMux *m = g_new0(VsockMux, 1);

    m->guest_cid = guest_cid;
    m->socket_path = g_strdup(socket_path);
    m->listen_fd = listen_fd;
    m->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    m->conns = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                     NULL);
    g_queue_init(&m->rx_ready);
    g_queue_init(&m->ctl);
    /* Host ports of host-initiated connections: above what guests use
     * for listening services, as Firecracker does. */
    m->next_port = 1u << 30;
    return m;
}

void
vsock_mux_reset(VsockMux *m)
{
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, m->conns);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        VsockConn *c = v;

        c->in_hash = false;
        g_hash_table_iter_remove(&it);
        conn_drop(m, c);
    }
    while (m->handshakes)
        conn_drop(m, m->handshakes->data);
    g_queue_clear_full(&m->ctl, g_free);
}

void
vsock_mux_free(VsockMux *m)
{
    if (!m)
        return;
    vsock_mux_reset(m);
    g_hash_table_unref(m->conns);
    fd_close(m->listen_fd);
    fd_close(m->epoll_fd);
    g_free(m->socket_path);
    g_free(m);
}

int
vsock_mux_listen_fd(VsockMux *m)
{
    return m->listen_fd;
}

int
vsock_mux_epoll_fd(VsockMux *m)
{
    return m->epoll_fd;
}

guint
vsock_mux_n_conns(VsockMux *m)
{
    return g_hash_table_size(m->conns);
}

static guint
mux_n_total(VsockMux *m)
{
    return g_hash_table_size(m->conns) + g_list_length(m->handshakes);
}

void
vsock_mux_on_listen(VsockMux *m)
{
    for (;;) {
        int fd = accept4(m->listen_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        VsockConn *c;

        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                g_debug("vsock: accept: %s", g_strerror(errno));
            if (errno != EINTR)
                return;
            continue;
        }
        if (mux_n_total(m) >= VSOCK_MAX_CONNS) {
            g_debug("vsock: too many connections, refusing a client");
            fd_close(fd);
            continue;
        }
        if ((c = conn_new(m, fd, CONN_HANDSHAKE, EPOLLIN)))
            m->handshakes = g_list_prepend(m->handshakes, c);
    }
}

/* "CONNECT <port>\n" (CH, Firecracker): the port the guest listens on. */
static void
conn_handshake(VsockMux *m, VsockConn *c)
{
    char line[32];
    char *nl, *end;
    ssize_t n = recv(c->fd, line, sizeof(line) - 1, MSG_PEEK | MSG_DONTWAIT);
    guint64 port;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        conn_drop(m, c);
        return;
    }
    line[n] = '\0';
    if (!(nl = strchr(line, '\n'))) {
        if ((size_t)n == sizeof(line) - 1)
            conn_drop(m, c);      /* no command is that long */
        return;
    }
    /* Consume exactly the line: what follows is the stream's data. */
    if (recv(c->fd, line, (size_t)(nl - line) + 1, MSG_DONTWAIT) !=
        nl - line + 1) {
        conn_drop(m, c);
        return;
    }
    *nl = '\0';
    if (nl > line && nl[-1] == '\r')
        nl[-1] = '\0';
    if (strncmp(line, "CONNECT ", 8) != 0 || !g_ascii_isdigit(line[8]) ||
        (port = g_ascii_strtoull(line + 8, &end, 10)) > G_MAXUINT32 ||
        *end != '\0') {
        g_debug("vsock: bad handshake from a host client");
        conn_drop(m, c);
        return;
    }
    m->handshakes = g_list_remove(m->handshakes, c);
    c->peer_port = (uint32_t)port;
    do {
        c->local_port = m->next_port++;
        if (m->next_port == 0)
            m->next_port = 1u << 30;
    } while (conn_lookup(m, c->local_port, c->peer_port));
    c->state = CONN_CONNECTING;
    conn_insert(m, c);
    /* Nothing is read from the client until the guest accepts. */
    conn_sync(m, c);
    ctl_push(m, c->local_port, c->peer_port, VIRTIO_VSOCK_OP_REQUEST, 0);
}

void
vsock_mux_on_epoll(VsockMux *m)
{
    struct epoll_event evs[32];
    int n = epoll_wait(m->epoll_fd, evs, G_N_ELEMENTS(evs), 0);

    /* Each fd appears once per call, and serving one connection never
     * frees another, so the pointers stay valid through the loop. */
    for (int i = 0; i < n; i++) {
        VsockConn *c = evs[i].data.ptr;
        uint32_t re = evs[i].events;

        if (c->state == CONN_HANDSHAKE) {
            if (re & (EPOLLHUP | EPOLLERR) && !(re & EPOLLIN))
                conn_drop(m, c);
            else
                conn_handshake(m, c);
            continue;
        }
        if (re & EPOLLERR ||
            (re & EPOLLHUP &&
             (c->backlog->len > 0 || c->state != CONN_ESTABLISHED))) {
            /* Guest bytes can no longer be delivered, or the client gave
             * up before the guest answered. */
            conn_rst(m, c);
            continue;
        }
        if (re & EPOLLOUT && !conn_flush(m, c))
            continue;
        if (re & EPOLLHUP) {
            /* Level-triggered hang-ups would be reported forever: leave
             * the set, and let the reads deliver what is left, then EOF. */
            epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
            c->hup = true;
        }
        if (re & (EPOLLIN | EPOLLHUP))
            c->wait_socket = false;
        conn_sync(m, c);
    }
}

/* ---- Guest side ----------------------------------------------------- */

/* A guest REQUEST for host port @hdr->dst_port: "<socket>_<port>". */
static void
guest_connect(VsockMux *m, const VsockHdr *hdr)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    VsockConn *c;
    int fd, len;

    if (conn_lookup(m, hdr->dst_port, hdr->src_port) ||
        mux_n_total(m) >= VSOCK_MAX_CONNS) {
        ctl_push(m, hdr->dst_port, hdr->src_port, VIRTIO_VSOCK_OP_RST, 0);
        return;
    }
    len = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", m->socket_path,
                   hdr->dst_port);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (len < 0 || (size_t)len >= sizeof(sa.sun_path) || fd < 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        g_debug("vsock: guest connection to host port %u: %s", hdr->dst_port,
                fd < 0 ? g_strerror(errno) : "cannot connect");
        fd_close(fd);
        ctl_push(m, hdr->dst_port, hdr->src_port, VIRTIO_VSOCK_OP_RST, 0);
        return;
    }
    if (!(c = conn_new(m, fd, CONN_ESTABLISHED, 0))) {
        ctl_push(m, hdr->dst_port, hdr->src_port, VIRTIO_VSOCK_OP_RST, 0);
        return;
    }
    c->local_port = hdr->dst_port;
    c->peer_port = hdr->src_port;
    c->peer_buf_alloc = hdr->buf_alloc;
    c->peer_fwd_cnt = hdr->fwd_cnt;
    c->wait_socket = true;        /* nothing to read before the client writes */
    conn_insert(m, c);
    ctl_push(m, c->local_port, c->peer_port, VIRTIO_VSOCK_OP_RESPONSE, 0);
    conn_sync(m, c);
}

/* RW: the payload goes to the host socket, or to the backlog. */
static void
guest_data(VsockMux *m, VsockConn *c, const VsockHdr *hdr,
           const VirtQueueElem *e)
{
    uint8_t chunk[4096];
    size_t off = VSOCK_HDR_SIZE, end = VSOCK_HDR_SIZE + hdr->len;

    if (c->state != CONN_ESTABLISHED || c->guest_no_send) {
        conn_rst(m, c);
        return;
    }
    /* §5.10.6.3.1: the sender never exceeds the receiver's credit. */
    if (c->backlog->len + (size_t)hdr->len > VSOCK_CONN_BUF) {
        g_debug("vsock: guest port %u overran its credit", c->peer_port);
        conn_rst(m, c);
        return;
    }
    while (off < end) {
        size_t n = iov_to_buf(VIRTQUEUE_ELEM_OUT(e), e->out_num, off, chunk,
                              MIN(sizeof(chunk), end - off));

        g_byte_array_append(c->backlog, chunk, (guint)n);
        off += n;
    }
    conn_flush(m, c);
}

void
vsock_mux_from_guest(VsockMux *m, const VsockHdr *hdr, const VirtQueueElem *e)
{
    VsockConn *c;

    /* Packets not from our guest, not to the host, or of another socket
     * type are answered with RST (§5.10.6.4) unless they are RSTs. */
    if (hdr->src_cid != m->guest_cid || hdr->dst_cid != VSOCK_HOST_CID ||
        hdr->type != VIRTIO_VSOCK_TYPE_STREAM) {
        if (hdr->op != VIRTIO_VSOCK_OP_RST && hdr->src_cid == m->guest_cid)
            ctl_push(m, hdr->dst_port, hdr->src_port, VIRTIO_VSOCK_OP_RST, 0);
        return;
    }
    c = conn_lookup(m, hdr->dst_port, hdr->src_port);
    if (hdr->op == VIRTIO_VSOCK_OP_REQUEST && !c) {
        guest_connect(m, hdr);
        return;
    }
    if (!c) {
        if (hdr->op != VIRTIO_VSOCK_OP_RST)
            ctl_push(m, hdr->dst_port, hdr->src_port, VIRTIO_VSOCK_OP_RST, 0);
        return;
    }
    c->peer_buf_alloc = hdr->buf_alloc;
    c->peer_fwd_cnt = hdr->fwd_cnt;
    switch (hdr->op) {
    case VIRTIO_VSOCK_OP_RESPONSE:
        if (c->state != CONN_CONNECTING) {
            conn_rst(m, c);
            return;
        } else {
            g_autofree char *ok = g_strdup_printf("OK %u\n", c->local_port);

            /* A few bytes into a fresh socket: they fit. */
            if (send(c->fd, ok, strlen(ok), MSG_NOSIGNAL | MSG_DONTWAIT) !=
                (ssize_t)strlen(ok)) {
                conn_rst(m, c);
                return;
            }
            c->state = CONN_ESTABLISHED;
            c->wait_socket = !c->hup;
        }
        break;
    case VIRTIO_VSOCK_OP_RW:
        guest_data(m, c, hdr, e);
        return;
    case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
        ctl_push(m, c->local_port, c->peer_port,
                 VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0);
        break;
    case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
        break;                    /* the credit fields are all it says */
    case VIRTIO_VSOCK_OP_SHUTDOWN:
        if (hdr->flags & VIRTIO_VSOCK_SHUTDOWN_RCV)
            c->guest_no_recv = true;
        if (hdr->flags & VIRTIO_VSOCK_SHUTDOWN_SEND)
            c->guest_no_send = true;
        /* Both ways: the guest closed; it waits for our RST, which comes
         * once the host has what the guest sent. */
        if (c->guest_no_recv && c->guest_no_send)
            c->close_when_drained = true;
        if (!conn_flush(m, c))
            return;
        break;
    case VIRTIO_VSOCK_OP_RST:
        conn_drop(m, c);
        return;
    case VIRTIO_VSOCK_OP_REQUEST:  /* for a connection that exists */
    default:
        conn_rst(m, c);
        return;
    }
    conn_sync(m, c);
}

/* ---- Packets for the guest ------------------------------------------ */

bool
vsock_mux_has_rx(VsockMux *m)
{
    return m->ctl.length > 0 || m->rx_ready.length > 0;
}

static void
hdr_for(VsockMux *m, VsockHdr *h, uint32_t host_port, uint32_t guest_port,
        uint16_t op)
{
    VsockConn *c = conn_lookup(m, host_port, guest_port);

    memset(h, 0, sizeof(*h));
    h->src_cid = VSOCK_HOST_CID;
    h->dst_cid = m->guest_cid;
    h->src_port = host_port;
    h->dst_port = guest_port;
    h->type = VIRTIO_VSOCK_TYPE_STREAM;
    h->op = op;
    if (c) {
        /* Every packet tells the guest our credit (§5.10.6.3). */
        h->buf_alloc = VSOCK_CONN_BUF;
        h->fwd_cnt = c->fwd_cnt;
        c->fwd_reported = c->fwd_cnt;
    }
}

/* The SHUTDOWN or RW header for @c into @e. */
static int
put_hdr(VsockMux *m, VsockConn *c, const VirtQueueElem *e, uint16_t op,
        uint32_t flags, uint32_t len)
{
    struct virtio_vsock_hdr w;
    VsockHdr h;

    hdr_for(m, &h, c->local_port, c->peer_port, op);
    h.flags = flags;
    h.len = len;
    vsock_hdr_encode(&h, &w);
    iov_from_buf(VIRTQUEUE_ELEM_IN(e), e->in_num, 0, &w, sizeof(w));
    return (int)(VSOCK_HDR_SIZE + len);
}

/* Reads host bytes of the first ready connection into @e; 0 when none
 * had any after all. */
static int
fill_data(VsockMux *m, const VirtQueueElem *e)
{
    struct iovec iov[64];

    while (m->rx_ready.length > 0) {
        VsockConn *c = g_queue_peek_head(&m->rx_ready);
        size_t room = MIN(MIN(e->in_len - VSOCK_HDR_SIZE, VSOCK_MAX_PKT),
                          conn_peer_credit(c));
        struct msghdr msg = { .msg_iov = iov };
        int niov = iov_slice(VIRTQUEUE_ELEM_IN(e), e->in_num, VSOCK_HDR_SIZE,
                             room, iov, G_N_ELEMENTS(iov));
        ssize_t n;

        if (niov == -E2BIG) {
            /* Too scattered for one read: take what the first entries
             * hold (the rest of the buffer stays unused). */
            size_t fit = 0;

            for (niov = 0; niov < (int)G_N_ELEMENTS(iov) &&
                 fit < room; niov++)
                fit += iov[niov].iov_len;
            room = fit;
        }
        if (niov <= 0 || room == 0) {
            /* A buffer with no room after the header: the header alone
             * would say nothing, so the connection waits. */
            g_queue_pop_head(&m->rx_ready);
            g_queue_push_tail(&m->rx_ready, c);
            return 0;
        }
        msg.msg_iovlen = (size_t)niov;
        n = recvmsg(c->fd, &msg, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !c->hup) {
            c->wait_socket = true;
            conn_sync(m, c);
            continue;
        }
        if (n < 0 && !(errno == EAGAIN || errno == EWOULDBLOCK)) {
            conn_rst(m, c);
            continue;
        }
        if (n <= 0) {
            /* The client shut its write side (or closed): so does the
             * host side of the stream; the guest reads EOF (§5.10.6.5). */
            c->host_eof = true;
            conn_sync(m, c);
            return put_hdr(m, c, e, VIRTIO_VSOCK_OP_SHUTDOWN,
                           VIRTIO_VSOCK_SHUTDOWN_SEND, 0);
        }
        c->tx_cnt += (uint32_t)n;
        /* Round robin: the next packet serves the next connection. */
        g_queue_pop_head(&m->rx_ready);
        c->rx_ready = false;
        conn_sync(m, c);
        return put_hdr(m, c, e, VIRTIO_VSOCK_OP_RW, 0, (uint32_t)n);
    }
    return 0;
}

int
vsock_mux_fill_rx(VsockMux *m, const VirtQueueElem *e)
{
    struct virtio_vsock_hdr w;
    VsockCtl *k;
    VsockHdr h;

    /* §5.10.6.2: RX buffers are device-writable and hold a header. */
    if (e->out_num > 0 || e->in_len < VSOCK_HDR_SIZE)
        return -EINVAL;
    if ((k = g_queue_pop_head(&m->ctl))) {
        hdr_for(m, &h, k->src_port, k->dst_port, k->op);
        h.flags = k->flags;
        g_free(k);
        vsock_hdr_encode(&h, &w);
        iov_from_buf(VIRTQUEUE_ELEM_IN(e), e->in_num, 0, &w, sizeof(w));
        return (int)VSOCK_HDR_SIZE;
    }
    return fill_data(m, e);
}

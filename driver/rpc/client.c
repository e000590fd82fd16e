/* SPDX-License-Identifier: Apache-2.0 */
/* One connected libvirt client: socket I/O, outgoing queue, connection state. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "driver/rpc/rpc-priv.h"

/* Frames handled per main-loop iteration, so that one busy client cannot
 * starve the others. */
#define RPC_CLIENT_FRAMES_PER_WAKEUP 32

typedef struct {
    GSource source;
    RpcClient *client;      /* ref */
} RpcClientSource;

/* Frees every queued packet (client->lock held). */
static void
rpc_client_drop_tx_locked(RpcClient *client)
{
    g_queue_clear_full(&client->tx, (GDestroyNotify)g_bytes_unref);
    client->tx_bytes = client->tx_off = 0;
    client->tx_packets = 0;
}

RpcClient *
rpc_client_ref(RpcClient *client)
{
    g_atomic_int_inc(&client->ref);
    return client;
}

void
rpc_client_unref(RpcClient *client)
{
    if (!client || !g_atomic_int_dec_and_test(&client->ref))
        return;
    g_assert(client->closed);
    if (client->data_destroy)
        client->data_destroy(client->data);
    g_queue_clear_full(&client->tx, (GDestroyNotify)g_bytes_unref);
    g_free(client->rx_buf);
    g_clear_pointer(&client->streams, g_hash_table_unref);
    g_mutex_clear(&client->lock);
    g_free(client);
}

bool
rpc_client_send(RpcClient *client, GBytes *packet)
{
    size_t cost = g_bytes_get_size(packet) + RPC_CLIENT_PACKET_COST;
    bool overflow = false;

    g_mutex_lock(&client->lock);
    if (client->closed || client->closing) {
        g_mutex_unlock(&client->lock);
        return false;
    }
    /* Checked before queueing: the packet that would cross the limit is
     * never stored, and the queue is dropped at once. */
    if (client->tx_bytes + cost > RPC_CLIENT_MAX_TX ||
        client->tx_packets >= RPC_CLIENT_MAX_TX_PACKETS) {
        overflow = true;
        client->closing = true;
        rpc_client_drop_tx_locked(client);
    } else {
        client->tx_bytes += cost;
        client->tx_packets++;
        g_queue_push_tail(&client->tx, g_bytes_ref(packet));
    }
    g_mutex_unlock(&client->lock);
    /* Once per client: closing is set once, and later sends stop above. */
    if (overflow)
        g_warning("client pid %d does not read its replies "
                  "(more than %u packets or %u bytes queued): disconnecting",
                  (int)client->pid, RPC_CLIENT_MAX_TX_PACKETS,
                  RPC_CLIENT_MAX_TX);
    /* prepare() of the client source polls for POLLOUT when the queue is
     * not empty, and closes a closing client: wake the main loop so that
     * it runs again. */
    g_main_context_wakeup(client->server->context);
    return !overflow;
}

void
rpc_client_close(RpcClient *client)
{
    /* Only a flag: callers may hold the server's client-list lock (event
     * fan-out), which closing takes.  The client's own source sees the
     * flag in prepare() and closes the connection in its next dispatch;
     * an idle source would not do, since it never runs while a busy
     * client keeps its source ready. */
    g_mutex_lock(&client->lock);
    client->closing = true;
    rpc_client_drop_tx_locked(client);
    g_mutex_unlock(&client->lock);
    g_main_context_wakeup(client->server->context);
}

bool
rpc_client_is_closed(RpcClient *client)
{
    bool closed;

    g_mutex_lock(&client->lock);
    closed = client->closed || client->closing;
    g_mutex_unlock(&client->lock);
    return closed;
}

uid_t
rpc_client_get_uid(RpcClient *client)
{
    return client->uid;
}

pid_t
rpc_client_get_pid(RpcClient *client)
{
    return client->pid;
}

bool
rpc_client_is_readonly(RpcClient *client)
{
    bool ro;

    g_mutex_lock(&client->lock);
    ro = client->readonly;
    g_mutex_unlock(&client->lock);
    return ro;
}

void
rpc_client_set_open(RpcClient *client, bool readonly)
{
    g_mutex_lock(&client->lock);
    client->open = true;
    client->readonly = client->readonly || readonly;
    g_mutex_unlock(&client->lock);
}

bool
rpc_client_is_open(RpcClient *client)
{
    bool open;

    g_mutex_lock(&client->lock);
    open = client->open;
    g_mutex_unlock(&client->lock);
    return open;
}

void
rpc_client_set_data(RpcClient *client, gpointer data, GDestroyNotify destroy)
{
    g_mutex_lock(&client->lock);
    g_assert(!client->data);
    client->data = data;
    client->data_destroy = destroy;
    g_mutex_unlock(&client->lock);
}

gpointer
rpc_client_get_data(RpcClient *client)
{
    gpointer data;

    g_mutex_lock(&client->lock);
    data = client->data;
    g_mutex_unlock(&client->lock);
    return data;
}

void
rpc_client_call_done(RpcClient *client)
{
    g_mutex_lock(&client->lock);
    client->calls--;
    g_mutex_unlock(&client->lock);
    g_main_context_wakeup(client->server->context);
}

size_t
rpc_client_tx_pending(RpcClient *client)
{
    size_t n;

    g_mutex_lock(&client->lock);
    n = client->tx_bytes;
    g_mutex_unlock(&client->lock);
    return n;
}

/* Writes queued packets until the socket is full.  Returns false on a
 * write error (the peer is gone). */
static bool
rpc_client_flush(RpcClient *client)
{
    g_mutex_lock(&client->lock);
    while (!g_queue_is_empty(&client->tx)) {
        GBytes *head = g_queue_peek_head(&client->tx);
        gsize len = 0;
        const uint8_t *data = g_bytes_get_data(head, &len);
        ssize_t n = send(client->fd, data + client->tx_off,
                         len - client->tx_off, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            int err = errno;

            if (err == EINTR)
                continue;
            g_mutex_unlock(&client->lock);
            if (err == EAGAIN)
                return true;
            g_debug("client pid %d: write failed: %s", (int)client->pid,
                    g_strerror(err));
            return false;
        }
        client->tx_off += (size_t)n;
        if (client->tx_off == len) {
            g_bytes_unref(g_queue_pop_head(&client->tx));
            client->tx_off = 0;
            client->tx_bytes -= len + RPC_CLIENT_PACKET_COST;
            client->tx_packets--;
        }
    }
    g_mutex_unlock(&client->lock);
    return true;
}

/* Reads into the current frame.  Returns 1 when a frame is complete, 0 when
 * the socket has no more data now, -1 when the connection must close. */
static int
rpc_client_read_frame(RpcClient *client)
{
    g_autoptr(GError) error = NULL;
    uint32_t total;
    ssize_t n;

    if (!client->rx_buf) {
        n = recv(client->fd, client->len_buf + client->len_got,
                 RPC_LEN_SIZE - client->len_got, MSG_DONTWAIT);
        if (n == 0)
            return -1;
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        client->len_got += (size_t)n;
        if (client->len_got < RPC_LEN_SIZE)
            return 0;
        if (!rpc_frame_length(client->len_buf, &total, &error)) {
            /* A bad length word loses the framing: nothing after it can
             * be trusted, so the connection goes (libvirt does the same). */
            g_message("client pid %d: %s; closing the connection",
                      (int)client->pid, error->message);
            return -1;
        }
        client->rx_len = total;
        client->rx_buf = g_malloc(total);
        memcpy(client->rx_buf, client->len_buf, RPC_LEN_SIZE);
        client->rx_got = RPC_LEN_SIZE;
    }
    n = recv(client->fd, client->rx_buf + client->rx_got,
             client->rx_len - client->rx_got, MSG_DONTWAIT);
    if (n == 0)
        return -1;
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    client->rx_got += (size_t)n;
    return client->rx_got == client->rx_len ? 1 : 0;
}

static bool
rpc_client_can_read(RpcClient *client)
{
    bool ok;

    g_mutex_lock(&client->lock);
    ok = !client->closed && !client->closing &&
         client->calls < RPC_CLIENT_MAX_CALLS;
    g_mutex_unlock(&client->lock);
    return ok;
}

/* Returns false when the connection must close. */
static bool
rpc_client_handle_input(RpcClient *client)
{
    for (int i = 0; i < RPC_CLIENT_FRAMES_PER_WAKEUP; i++) {
        g_autofree uint8_t *frame = NULL;
        size_t len;
        int r;

        if (!rpc_client_can_read(client))
            return true;
        r = rpc_client_read_frame(client);
        if (r < 0)
            return false;
        if (r == 0)
            return true;
        frame = g_steal_pointer(&client->rx_buf);
        len = client->rx_len;
        client->len_got = 0;
        client->rx_len = client->rx_got = 0;
        if (!rpc_dispatch_frame(client, frame, len))
            return false;
    }
    return true;
}

static bool
rpc_client_is_closing(RpcClient *client)
{
    bool closing;

    g_mutex_lock(&client->lock);
    closing = client->closing;
    g_mutex_unlock(&client->lock);
    return closing;
}

static gboolean
rpc_client_source_prepare(GSource *source, gint *timeout)
{
    RpcClientSource *cs = (RpcClientSource *)source;
    RpcClient *client = cs->client;
    GIOCondition events = 0;
    bool closing;

    *timeout = -1;
    /* Recomputed before every poll: workers only queue and wake us up. */
    if (rpc_client_can_read(client))
        events |= G_IO_IN;
    g_mutex_lock(&client->lock);
    if (!g_queue_is_empty(&client->tx))
        events |= G_IO_OUT;
    closing = client->closing;
    g_mutex_unlock(&client->lock);
    /* Only when it changes: g_source_modify_unix_fd() wakes the context
     * up, so calling it on every iteration made the main loop spin at
     * ~90 % of a core for as long as any client was connected. */
    if (events != client->polled) {
        g_source_modify_unix_fd(source, client->fd_tag, events);
        client->polled = events;
    }
    return closing;
}

static gboolean
rpc_client_source_check(GSource *source)
{
    RpcClientSource *cs = (RpcClientSource *)source;

    return rpc_client_is_closing(cs->client) ||
           g_source_query_unix_fd(source, cs->client->fd_tag) != 0;
}

static gboolean
rpc_client_source_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
    RpcClientSource *cs = (RpcClientSource *)source;
    RpcClient *client = cs->client;
    GIOCondition rev = g_source_query_unix_fd(source, client->fd_tag);

    /* GLib holds the source (and its client reference) for the whole
     * dispatch, even when rpc_client_close_now() destroys it. */

    if (rpc_client_is_closing(client)) {
        rpc_client_close_now(client);
        return G_SOURCE_CONTINUE;
    }

    if ((rev & G_IO_OUT) && !rpc_client_flush(client)) {
        rpc_client_close_now(client);
        return G_SOURCE_CONTINUE;
    }
    /* Read before acting on HUP: the client may have sent its last calls
     * (CONNECT_CLOSE) right before closing its end. */
    if ((rev & (G_IO_IN | G_IO_HUP | G_IO_ERR)) &&
        !rpc_client_handle_input(client)) {
        rpc_client_close_now(client);
        return G_SOURCE_CONTINUE;
    }
    /* A hung-up peer whose reading is paused (too many calls running)
     * would make poll() report HUP forever: nobody is left to answer. */
    if ((rev & (G_IO_HUP | G_IO_ERR)) && !rpc_client_can_read(client)) {
        rpc_client_close_now(client);
        return G_SOURCE_CONTINUE;
    }
    /* Answers produced on this thread (keepalive, errors) go out now. */
    if (!rpc_client_flush(client))
        rpc_client_close_now(client);
    return G_SOURCE_CONTINUE;
}

static void
rpc_client_source_finalize(GSource *source)
{
    RpcClientSource *cs = (RpcClientSource *)source;

    g_clear_pointer(&cs->client, rpc_client_unref);
}

static GSourceFuncs rpc_client_source_funcs = {
    .prepare = rpc_client_source_prepare,
    .check = rpc_client_source_check,
    .dispatch = rpc_client_source_dispatch,
    .finalize = rpc_client_source_finalize,
};

RpcClient *
rpc_client_new(RpcServer *server, int fd, bool readonly, uid_t uid, pid_t pid)
{
    RpcClient *client = g_new0(RpcClient, 1);
    RpcClientSource *cs;

    client->ref = 1;
    client->server = server;
    client->fd = fd;
    client->uid = uid;
    client->pid = pid;
    client->readonly = readonly;
    client->ro_socket = readonly;
    g_mutex_init(&client->lock);
    g_queue_init(&client->tx);
    client->streams = g_hash_table_new(g_direct_hash, g_direct_equal);

    cs = (RpcClientSource *)g_source_new(&rpc_client_source_funcs,
                                         sizeof(RpcClientSource));
    cs->client = rpc_client_ref(client);
    g_source_set_static_name(&cs->source, "rpc-client");
    client->polled = G_IO_IN;
    client->fd_tag = g_source_add_unix_fd(&cs->source, fd, client->polled);
    client->source = &cs->source;
    g_source_attach(client->source, server->context);
    return client;
}

void
rpc_client_close_now(RpcClient *client)
{
    RpcServer *server = client->server;

    g_mutex_lock(&client->lock);
    if (client->closed) {
        g_mutex_unlock(&client->lock);
        return;
    }
    /* Dropping the source and the server's reference below may release
     * the last ones: keep the client until the end. */
    rpc_client_ref(client);
    client->closed = true;
    rpc_client_drop_tx_locked(client);
    g_mutex_unlock(&client->lock);

    g_debug("client pid %d disconnected", (int)client->pid);
    g_source_destroy(client->source);
    g_clear_pointer(&client->source, g_source_unref);
    fd_close(client->fd);
    client->fd = -1;
    rpc_stream_close_all(client);
    if (server->program->client_closed)
        server->program->client_closed(client, server->program_data);
    rpc_server_remove_client(server, client);
    rpc_client_unref(client);
}

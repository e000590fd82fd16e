/* SPDX-License-Identifier: Apache-2.0 */
/* One REST client connection: socket reads with SCM_RIGHTS, pipelining, keep-alive, writes. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <http_parser.h>

#include "daemon/api-http-priv.h"
#include "daemon/api-request.h"
#include "daemon/api-router.h"

/* Requests parsed ahead of the one being executed (HTTP pipelining); past
 * this the connection is not read until the VMM catches up. */
#define CONN_MAX_QUEUED 16
/* Reads per wake-up, so that one busy client cannot starve the others. */
#define CONN_READS_PER_WAKEUP 16
/* Answers not yet taken by a client that keeps sending requests: past this
 * the connection is neither read nor served until it drains. */
#define CONN_MAX_OUT (1024 * 1024)

/*
 * Everything here runs on the http-server thread, except the last
 * unreference, which may happen on the VMM thread once that thread is gone
 * (api_http_free).  @ref is atomic for that reason.
 */
struct HttpConn {
    gint ref;
    ApiHttp *api;
    int fd;                    /* -1 once closed */
    GSource *source;           /* watches @fd */
    gpointer tag;
    ApiRequestParser *parser;
    GByteArray *out;           /* bytes not yet written */
    gsize out_off;
    GError *stream_error;      /* unparsable input: answer 400, then close */
    bool busy;                 /* a request is on the VMM */
    bool eof;                  /* the client will send nothing more */
    bool closing;              /* close once @out is written */
    bool cur_head;             /* the request being answered is HEAD */
    bool cur_keep_alive;
    gint64 req_start;          /* first byte of a partial request (µs), or 0 */
};

typedef struct {
    GSource base;
    HttpConn *conn;            /* borrowed: the connection owns the source */
} ConnSource;

static HttpConn *
conn_ref(HttpConn *c)
{
    g_atomic_int_inc(&c->ref);
    return c;
}

static void
conn_unref(gpointer data)
{
    HttpConn *c = data;

    if (!g_atomic_int_dec_and_test(&c->ref))
        return;
    g_assert(c->fd < 0 && !c->source);
    api_request_parser_free(c->parser);
    g_byte_array_unref(c->out);
    g_clear_error(&c->stream_error);
    g_free(c);
}

void
api_http_conn_close(HttpConn *c)
{
    if (c->fd < 0)
        return;
    g_source_destroy(c->source);
    g_clear_pointer(&c->source, g_source_unref);
    close(c->fd);
    c->fd = -1;
    if (g_hash_table_remove(c->api->conns, c))
        conn_unref(c);
}

static bool
conn_out_pending(HttpConn *c)
{
    return c->out->len > c->out_off;
}

static bool
conn_out_full(HttpConn *c)
{
    return c->out->len - c->out_off >= CONN_MAX_OUT;
}

static void
conn_queue(HttpConn *c, GBytes *bytes)
{
    gsize len;
    const guint8 *data = g_bytes_get_data(bytes, &len);

    g_byte_array_append(c->out, data, (guint)len);
    g_bytes_unref(bytes);
}

/* Non-blocking write of what is queued; closes on a dead peer. */
static void
conn_flush(HttpConn *c)
{
    while (c->fd >= 0 && conn_out_pending(c)) {
        ssize_t n = send(c->fd, c->out->data + c->out_off,
                         c->out->len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                api_http_conn_close(c);    /* EPIPE, ECONNRESET: gone */
            return;
        }
        c->out_off += (gsize)n;
    }
    /* Drop what was sent, so that a slow reader does not grow @out. */
    if (c->fd >= 0 && c->out_off > 0) {
        g_byte_array_remove_range(c->out, 0, (guint)c->out_off);
        c->out_off = 0;
    }
}

void
api_http_conn_flush_until(HttpConn *c, gint64 deadline)
{
    /* A failed write closes (and may free) the connection. */
    conn_ref(c);
    conn_flush(c);
    while (c->fd >= 0 && conn_out_pending(c)) {
        struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
        gint64 left = deadline - g_get_monotonic_time();

        if (left <= 0 || poll(&pfd, 1, (int)(left / 1000) + 1) <= 0)
            break;
        conn_flush(c);
    }
    conn_unref(c);
}

static void
conn_respond(HttpConn *c, const ApiResult *result)
{
    /* A broken stream is closed after its own 400, sent last. */
    bool close = !c->cur_keep_alive;

    conn_queue(c, api_router_response(result, close, c->cur_head));
    if (close)
        c->closing = true;
    conn_flush(c);
}

static void conn_after(HttpConn *c);

/* On the http-server thread, with the VMM's answer. */
static void
conn_on_result(const ApiResult *result, gpointer data)
{
    HttpConn *c = data;

    c->busy = false;
    if (c->fd < 0)
        return;                     /* the client went away meanwhile */
    conn_respond(c, result);
    conn_after(c);
}

/* Starts the next queued request; answers routing errors at once. */
static void
conn_process(HttpConn *c)
{
    while (c->fd >= 0 && !c->busy && !c->closing && !conn_out_full(c)) {
        g_autoptr(ApiRequest) req = api_request_parser_pop(c->parser);
        ApiResult result = { 0 };
        ApiAction action;

        if (!req)
            break;
        c->cur_head = req->method == HTTP_HEAD;
        c->cur_keep_alive = req->keep_alive;
        if (!api_router_route(req, &action, &result)) {
            conn_respond(c, &result);
            api_result_clear(&result);
            continue;
        }
        c->busy = true;
        api_executor_submit(c->api->exec, action,
                            req->body ? g_bytes_ref(req->body) : NULL,
                            api_request_steal_fds(req), c->api->context,
                            conn_on_result, conn_ref(c), conn_unref);
    }
    /* A broken stream is answered after everything parsed before it. */
    if (c->fd >= 0 && c->stream_error && !c->busy && !c->closing &&
        api_request_parser_queued(c->parser) == 0) {
        conn_queue(c, api_router_bad_stream_response(c->stream_error));
        c->closing = true;
        conn_flush(c);
    }
}

static void
conn_set_stream_error(HttpConn *c, GError *error)
{
    if (!c->stream_error)
        c->stream_error = error;
    else
        g_error_free(error);
}

static void
fds_close(GArray *fds)
{
    for (guint k = 0; k < fds->len; k++)
        close(g_array_index(fds, int, k));
    g_array_set_size(fds, 0);
}

/* Collects the SCM_RIGHTS descriptors of one recvmsg(). */
static GArray *
conn_take_fds(struct msghdr *msg)
{
    GArray *fds = g_array_new(FALSE, FALSE, sizeof(int));

    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        g_array_append_vals(fds, CMSG_DATA(cm),
                            (guint)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int)));
    }
    return fds;
}

static void
conn_read(HttpConn *c)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * API_REQUEST_MAX_FDS)];
    } ctl;

    for (int i = 0; i < CONN_READS_PER_WAKEUP && c->fd >= 0 && !c->eof; i++) {
        struct iovec iov = { c->api->rbuf, c->api->rbuf_size };
        struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1,
            .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
        };
        g_autoptr(GArray) fds = NULL;
        GError *error = NULL;
        ssize_t n;

        if (api_request_parser_queued(c->parser) >= CONN_MAX_QUEUED)
            return;
        n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                api_http_conn_close(c);
            return;
        }
        fds = conn_take_fds(&msg);
        if (n == 0) {
            c->eof = true;
            return;
        }
        /* Input after an error is dropped unread; so is a message whose
         * descriptors did not all fit (the kernel discarded the rest). */
        if (!c->stream_error && !c->closing && (msg.msg_flags & MSG_CTRUNC))
            conn_set_stream_error(c, g_error_new(G_IO_ERROR,
                G_IO_ERROR_INVALID_DATA,
                "too many file descriptors with one request (limit %u)",
                API_REQUEST_MAX_FDS));
        if (c->stream_error || c->closing) {
            fds_close(fds);
            continue;
        }
        if (!api_request_parser_feed(c->parser, c->api->rbuf, (gsize)n,
                                     &error)) {
            fds_close(fds);
            conn_set_stream_error(c, error);
            continue;
        }
        /* On error, add_fds() has closed them. */
        if (!api_request_parser_add_fds(c->parser, (const int *)(void *)fds->data,
                                        fds->len, &error)) {
            conn_set_stream_error(c, error);
            continue;
        }
        /* Ask for the body only when it is for the request at the head. */
        if (api_request_parser_take_continue(c->parser) && !c->busy &&
            api_request_parser_queued(c->parser) == 0 &&
            api_request_parser_in_request(c->parser)) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

            g_byte_array_append(c->out, (const guint8 *)cont, sizeof(cont) - 1);
            conn_flush(c);
        }
    }
}

/* When the connection times out, from now (after any progress): a partial
 * request must complete within the request timeout of its first byte, an
 * idle connection (answers written or not) goes after the idle timeout;
 * none while the VMM executes a call of ours. */
static void
conn_arm_timeout(HttpConn *c)
{
    gint64 now = g_get_monotonic_time();
    gint64 deadline = -1;

    if (c->busy) {
        c->req_start = 0;
    } else if (api_request_parser_in_request(c->parser)) {
        if (!c->req_start)
            c->req_start = now;
        deadline = c->req_start +
                   (gint64)g_atomic_int_get(&c->api->request_timeout_ms) * 1000;
    } else {
        c->req_start = 0;
        deadline = now +
                   (gint64)g_atomic_int_get(&c->api->idle_timeout_ms) * 1000;
    }
    g_source_set_ready_time(c->source, deadline);
}

static bool
conn_timed_out(HttpConn *c)
{
    gint64 ready = g_source_get_ready_time(c->source);

    return !c->busy && ready >= 0 && g_get_monotonic_time() >= ready;
}

/* After any progress: next request, end of connection, poll events. */
static void
conn_after(HttpConn *c)
{
    GIOCondition cond = 0;

    conn_process(c);
    if (c->fd < 0)
        return;
    if (!c->busy && !conn_out_pending(c) &&
        (c->closing ||
         (c->eof && api_request_parser_queued(c->parser) == 0))) {
        api_http_conn_close(c);
        return;
    }
    if (!c->eof && !c->closing && !c->stream_error && !conn_out_full(c) &&
        api_request_parser_queued(c->parser) < CONN_MAX_QUEUED)
        cond |= G_IO_IN;
    if (conn_out_pending(c))
        cond |= G_IO_OUT;
    g_source_modify_unix_fd(c->source, c->tag, cond);
    conn_arm_timeout(c);
}

static gboolean
conn_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
    ConnSource *cs = (ConnSource *)source;
    HttpConn *c = conn_ref(cs->conn);
    GIOCondition rev = g_source_query_unix_fd(source, c->tag);

    if (!rev && conn_timed_out(c)) {
        g_debug("API connection: %s timed out; closing",
                c->req_start ? "a partial request" : "an idle connection");
        api_http_conn_close(c);
        conn_unref(c);
        return G_SOURCE_CONTINUE;
    }
    if (rev & G_IO_OUT)
        conn_flush(c);
    if (c->fd >= 0 && (rev & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
        conn_read(c);
    if (c->fd >= 0)
        conn_process(c);
    /* The peer closed both directions: nothing can reach it any more.  A
     * call already on the VMM completes there; its answer is dropped. */
    if (c->fd >= 0 && (rev & (G_IO_HUP | G_IO_ERR)))
        api_http_conn_close(c);
    if (c->fd >= 0)
        conn_after(c);
    conn_unref(c);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs conn_source_funcs = {
    .dispatch = conn_dispatch,
};

void
api_http_conn_new(ApiHttp *api, int fd)
{
    HttpConn *c = g_new0(HttpConn, 1);
    ConnSource *cs;

    c->ref = 1;                 /* api->conns' reference */
    c->api = api;
    c->fd = fd;
    c->parser = api_request_parser_new(API_REQUEST_MAX_BODY);
    c->out = g_byte_array_new();
    c->cur_keep_alive = true;
    c->source = g_source_new(&conn_source_funcs, sizeof(ConnSource));
    cs = (ConnSource *)c->source;
    cs->conn = c;
    g_source_set_name(c->source, "api-http-conn");
    c->tag = g_source_add_unix_fd(c->source, fd, G_IO_IN);
    conn_arm_timeout(c);
    g_source_attach(c->source, api->context);
    g_hash_table_add(api->conns, c);
}

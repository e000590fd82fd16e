/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP/1.1 client over a UNIX socket, with optional SCM_RIGHTS fds. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>
#include <http_parser.h>

#include "common/fd-util.h"
#include "common/http-client.h"

/* Parser state: what the http_parser callbacks collect. */
typedef struct {
    GByteArray *body;
    GString *header_field;    /* name of the header being parsed */
    GString *header_value;
    bool in_value;            /* last callback was a value chunk */
    char *content_type;
    bool complete;            /* on_message_complete seen */
    bool too_large;
} HttpRx;

void
http_response_free(HttpResponse *resp)
{
    if (!resp)
        return;
    g_free(resp->content_type);
    g_bytes_unref(resp->body);
    g_free(resp);
}

char *
http_response_body_string(const HttpResponse *resp)
{
    gsize len = 0;
    const char *data = g_bytes_get_data(resp->body, &len);

    return g_strndup(data ? data : "", len);
}

static HttpRx *
http_rx_from(http_parser *p)
{
    return p->data;
}

/* Header names and values may arrive in several chunks; a header is complete
 * when the next name starts or the headers end. */
static void
http_rx_finish_header(HttpRx *rx)
{
    if (rx->header_field->len > 0 &&
        g_ascii_strcasecmp(rx->header_field->str, "Content-Type") == 0) {
        g_free(rx->content_type);
        rx->content_type = g_strdup(rx->header_value->str);
    }
    g_string_truncate(rx->header_field, 0);
    g_string_truncate(rx->header_value, 0);
    rx->in_value = false;
}

static int
http_rx_on_header_field(http_parser *p, const char *at, size_t len)
{
    HttpRx *rx = http_rx_from(p);

    if (rx->in_value)
        http_rx_finish_header(rx);
    if (rx->header_field->len + len > 8192)
        return 1;
    g_string_append_len(rx->header_field, at, (gssize)len);
    return 0;
}

static int
http_rx_on_header_value(http_parser *p, const char *at, size_t len)
{
    HttpRx *rx = http_rx_from(p);

    rx->in_value = true;
    if (rx->header_value->len + len > 8192)
        return 1;
    g_string_append_len(rx->header_value, at, (gssize)len);
    return 0;
}

static int
http_rx_on_headers_complete(http_parser *p)
{
    http_rx_finish_header(http_rx_from(p));
    return 0;
}

static int
http_rx_on_body(http_parser *p, const char *at, size_t len)
{
    HttpRx *rx = http_rx_from(p);

    if (rx->body->len + len > HTTP_CLIENT_MAX_RESPONSE) {
        rx->too_large = true;
        return 1;
    }
    g_byte_array_append(rx->body, (const guint8 *)at, (guint)len);
    return 0;
}

static int
http_rx_on_message_complete(http_parser *p)
{
    http_rx_from(p)->complete = true;
    /* Stop here: anything after the first response is not ours. */
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings http_rx_settings = {
    .on_header_field = http_rx_on_header_field,
    .on_header_value = http_rx_on_header_value,
    .on_headers_complete = http_rx_on_headers_complete,
    .on_body = http_rx_on_body,
    .on_message_complete = http_rx_on_message_complete,
};

/* Milliseconds left before @deadline (monotonic µs); -1 = no deadline. */
static int
http_time_left(gint64 deadline)
{
    gint64 left;

    if (deadline < 0)
        return -1;
    left = (deadline - g_get_monotonic_time()) / 1000;
    return left > 0 ? (int)left : 0;
}

static bool
http_wait(int fd, short events, gint64 deadline, GError **error)
{
    struct pollfd pfd = { .fd = fd, .events = events };
    int r;

    do {
        r = poll(&pfd, 1, http_time_left(deadline));
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "poll on HTTP socket failed: %s", g_strerror(errno));
        return false;
    }
    if (r == 0) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                            "timed out waiting for the HTTP server");
        return false;
    }
    return true;
}

/* Non-blocking connect, so that the deadline also covers a server whose
 * listen backlog is full. */
static int
http_connect(const char *socket_path, gint64 deadline, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_autofd_t fd = -1;
    int r;

    if (strlen(socket_path) >= sizeof(addr.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                    "socket path '%s' is too long for a UNIX socket", socket_path);
        return -1;
    }
    strcpy(addr.sun_path, socket_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create a UNIX socket: %s", g_strerror(errno));
        return -1;
    }
    do {
        r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
    } while (r < 0 && errno == EINTR);
    if (r < 0 && errno == EAGAIN) {
        /* The listen backlog is full: wait for the server to accept. */
        int err = 0;
        socklen_t elen = sizeof(err);

        if (!http_wait(fd, POLLOUT, deadline, error))
            return -1;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
        r = err ? -1 : 0;
        errno = err;
    }
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot connect to '%s': %s", socket_path, g_strerror(errno));
        return -1;
    }
    r = fd;
    fd = -1;
    return r;
}

/* Sends @data; the first sendmsg carries @fds as SCM_RIGHTS. */
static bool
http_send(int fd, const guint8 *data, gsize len, const int *fds,
          unsigned int n_fds, gint64 deadline, GError **error)
{
    bool fds_sent = n_fds == 0;

    while (len > 0) {
        struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        union {
            char buf[CMSG_SPACE(sizeof(int) * HTTP_CLIENT_MAX_FDS)];
            struct cmsghdr align;
        } ctl;
        ssize_t n;

        if (!fds_sent) {
            struct cmsghdr *cmsg;

            memset(&ctl, 0, sizeof(ctl));
            msg.msg_control = ctl.buf;
            msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
            cmsg = CMSG_FIRSTHDR(&msg);
            cmsg->cmsg_level = SOL_SOCKET;
            cmsg->cmsg_type = SCM_RIGHTS;
            cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
            memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n_fds);
        }
        n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                if (!http_wait(fd, POLLOUT, deadline, error))
                    return false;
                continue;
            }
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        "cannot send the HTTP request: %s", g_strerror(errno));
            return false;
        }
        fds_sent = true;
        data += n;
        len -= (gsize)n;
    }
    return true;
}

static bool
http_receive(int fd, http_parser *parser, HttpRx *rx, gint64 deadline,
             GError **error)
{
    char buf[16384];

    while (!rx->complete) {
        ssize_t n = read(fd, buf, sizeof(buf));
        size_t done;

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                if (!http_wait(fd, POLLIN, deadline, error))
                    return false;
                continue;
            }
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        "cannot read the HTTP response: %s", g_strerror(errno));
            return false;
        }
        /* n == 0 tells the parser about EOF, which completes a response
         * that is delimited by the end of the connection. */
        done = http_parser_execute(parser, &http_rx_settings, buf, (size_t)n);
        if (rx->too_large) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "HTTP response larger than %u bytes", HTTP_CLIENT_MAX_RESPONSE);
            return false;
        }
        if (!rx->complete && (done != (size_t)n ||
                              HTTP_PARSER_ERRNO(parser) != HPE_OK)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "malformed HTTP response: %s",
                        http_errno_description(HTTP_PARSER_ERRNO(parser)));
            return false;
        }
        if (n == 0 && !rx->complete) {
            g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                "the HTTP server closed the connection before answering");
            return false;
        }
    }
    return true;
}

HttpResponse *
http_client_request(const char *socket_path, const char *method,
                    const char *path, const char *content_type,
                    const void *body, gsize body_len, const int *fds,
                    unsigned int n_fds, int timeout_ms, GError **error)
{
    gint64 deadline = timeout_ms > 0 ?
        g_get_monotonic_time() + (gint64)timeout_ms * 1000 : -1;
    g_autofd_t fd = -1;
    g_autoptr(GByteArray) req = g_byte_array_new();
    g_autofree char *head = NULL;
    http_parser parser;
    HttpRx rx = { 0 };
    HttpResponse *resp = NULL;
    bool ok;

    if (n_fds > HTTP_CLIENT_MAX_FDS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "too many fds for one request (%u, at most %u)",
                    n_fds, HTTP_CLIENT_MAX_FDS);
        return NULL;
    }
    fd = http_connect(socket_path, deadline, error);
    if (fd < 0)
        return NULL;

    /* Content-Length always, even 0: the server never has to guess
     * whether a body follows. */
    head = g_strdup_printf("%s %s HTTP/1.1\r\n"
                           "Host: localhost\r\n"
                           "Accept: application/json\r\n"
                           "Content-Type: %s\r\n"
                           "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                           "\r\n",
                           method, path,
                           content_type ? content_type : "application/json",
                           body ? body_len : 0);
    g_byte_array_append(req, (const guint8 *)head, (guint)strlen(head));
    if (body && body_len)
        g_byte_array_append(req, body, (guint)body_len);
    if (!http_send(fd, req->data, req->len, fds, n_fds, deadline, error))
        return NULL;

    /* The response may arrive in any number of reads; http_parser keeps
     * the state between them (and handles chunked bodies). */
    http_parser_init(&parser, HTTP_RESPONSE);
    parser.data = &rx;
    rx.body = g_byte_array_new();
    rx.header_field = g_string_new(NULL);
    rx.header_value = g_string_new(NULL);
    ok = http_receive(fd, &parser, &rx, deadline, error);
    if (ok) {
        resp = g_new0(HttpResponse, 1);
        resp->status = parser.status_code;
        resp->content_type = g_steal_pointer(&rx.content_type);
        resp->body = g_byte_array_free_to_bytes(g_steal_pointer(&rx.body));
    }
    if (rx.body)
        g_byte_array_unref(rx.body);
    g_string_free(rx.header_field, TRUE);
    g_string_free(rx.header_value, TRUE);
    g_free(rx.content_type);
    return resp;
}

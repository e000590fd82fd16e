/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP/1.1 request parsing for the REST API, on byte buffers (no sockets). */
#include <config.h>

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <http_parser.h>

#include "daemon/api-request.h"

/* Headers we look at are short; longer names or values are not ours. */
#define HDR_FIELD_MAX 32
#define HDR_VALUE_MAX 64

/*
 * Debian's libhttp-parser (nodejs/http-parser 2.9) does the HTTP grammar:
 * request line, header syntax, Content-Length vs chunked framing, and the
 * keep-alive rules of RFC 7230 §6.  We only collect the pieces the API
 * needs.  The parser object is owned by one connection (one thread).
 */
struct ApiRequestParser {
    http_parser parser;
    http_parser_settings settings;
    gsize max_body;
    ApiRequest *cur;          /* between message begin and complete */
    GString *url;
    GByteArray *body;
    GString *hdr_field;
    GString *hdr_value;
    bool hdr_in_value;
    bool hdr_expect_continue;
    GQueue done;              /* complete ApiRequest*, oldest first */
    guint completed_in_feed;  /* requests completed by the last feed */
    GError *error;            /* sticky: the stream is unusable after it */
    bool closed;              /* a request asked to close the connection */
    bool send_continue;
};

void
api_request_free(ApiRequest *req)
{
    if (!req)
        return;
    if (req->fds) {
        for (guint i = 0; i < req->fds->len; i++)
            close(g_array_index(req->fds, int, i));
        g_array_unref(req->fds);
    }
    g_free(req->path);
    g_clear_pointer(&req->body, g_bytes_unref);
    g_free(req);
}

GArray *
api_request_steal_fds(ApiRequest *req)
{
    GArray *fds = g_steal_pointer(&req->fds);

    return fds ? fds : g_array_new(FALSE, FALSE, sizeof(int));
}

static ApiRequestParser *
parser_of(http_parser *hp)
{
    return hp->data;
}

/* Records the first error; the callback then makes http_parser stop. */
static int
parser_fail(ApiRequestParser *p, GQuark domain, int code, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static int
parser_fail(ApiRequestParser *p, GQuark domain, int code, const char *fmt, ...)
{
    va_list ap;

    if (!p->error) {
        va_start(ap, fmt);
        p->error = g_error_new_valist(domain, code, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static void
header_finish(ApiRequestParser *p)
{
    if (p->hdr_field->len == 0)
        return;
    /* RFC 7231 §5.1.1: the only expectation defined is 100-continue. */
    if (g_ascii_strcasecmp(p->hdr_field->str, "expect") == 0 &&
        g_ascii_strcasecmp(p->hdr_value->str, "100-continue") == 0)
        p->hdr_expect_continue = true;
    g_string_truncate(p->hdr_field, 0);
    g_string_truncate(p->hdr_value, 0);
    p->hdr_in_value = false;
}

static void
append_capped(GString *s, const char *at, size_t len, gsize cap)
{
    if (s->len < cap)
        g_string_append_len(s, at, (gssize)MIN(len, cap - s->len));
}

static int
on_message_begin(http_parser *hp)
{
    ApiRequestParser *p = parser_of(hp);

    api_request_free(p->cur);
    p->cur = g_new0(ApiRequest, 1);
    g_string_truncate(p->url, 0);
    g_byte_array_set_size(p->body, 0);
    g_string_truncate(p->hdr_field, 0);
    g_string_truncate(p->hdr_value, 0);
    p->hdr_in_value = false;
    p->hdr_expect_continue = false;
    return 0;
}

static int
on_url(http_parser *hp, const char *at, size_t len)
{
    ApiRequestParser *p = parser_of(hp);

    if (p->url->len + len > API_REQUEST_MAX_URL)
        return parser_fail(p, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "request target longer than %u bytes",
                           API_REQUEST_MAX_URL);
    g_string_append_len(p->url, at, (gssize)len);
    return 0;
}

static int
on_header_field(http_parser *hp, const char *at, size_t len)
{
    ApiRequestParser *p = parser_of(hp);

    /* A field after a value starts the next header. */
    if (p->hdr_in_value)
        header_finish(p);
    /* One byte over the cap so that a longer name never compares equal. */
    append_capped(p->hdr_field, at, len, HDR_FIELD_MAX + 1);
    return 0;
}

static int
on_header_value(http_parser *hp, const char *at, size_t len)
{
    ApiRequestParser *p = parser_of(hp);

    p->hdr_in_value = true;
    append_capped(p->hdr_value, at, len, HDR_VALUE_MAX + 1);
    return 0;
}

/* The path of an origin-form ("/api/v1/x?y") or absolute-form
 * ("http://localhost/api/v1/x") target, as CH's uri().get_abs_path(). */
static char *
url_path(const char *url, gsize len)
{
    struct http_parser_url u;

    http_parser_url_init(&u);
    if (http_parser_parse_url(url, len, 0, &u) != 0 ||
        !(u.field_set & (1 << UF_PATH)))
        return NULL;
    return g_strndup(url + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
}

static int
on_headers_complete(http_parser *hp)
{
    ApiRequestParser *p = parser_of(hp);
    ApiRequest *req = p->cur;

    header_finish(p);
    if (hp->http_major != 1)
        return parser_fail(p, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "unsupported HTTP version %u.%u", hp->http_major,
                           hp->http_minor);
    /* http_parser decides on an upgrade (Upgrade header, CONNECT) before
     * this callback; the API speaks nothing but HTTP/1.1. */
    if (hp->upgrade)
        return parser_fail(p, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "protocol upgrade is not supported");
    req->method = hp->method;
    req->method_name = http_method_str(hp->method);
    req->http10 = hp->http_major == 1 && hp->http_minor == 0;
    req->keep_alive = http_should_keep_alive(hp) != 0;
    req->path = url_path(p->url->str, p->url->len);
    if (!req->path)
        return parser_fail(p, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "invalid request target '%.64s'", p->url->str);
    /* http_parser sets content_length to ULLONG_MAX when the header is
     * absent (no body, or chunked: checked as it arrives in on_body). */
    if (hp->content_length != ULLONG_MAX && hp->content_length > p->max_body)
        return parser_fail(p, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                           "Request payload with size %" G_GUINT64_FORMAT
                           " is larger than the limit of %" G_GSIZE_FORMAT
                           " allowed by server",
                           (guint64)hp->content_length, p->max_body);
    if (p->hdr_expect_continue && !req->http10)
        p->send_continue = true;
    return 0;
}

static int
on_body(http_parser *hp, const char *at, size_t len)
{
    ApiRequestParser *p = parser_of(hp);

    if (p->body->len + len > p->max_body)
        return parser_fail(p, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                           "Request payload is larger than the limit of %"
                           G_GSIZE_FORMAT " allowed by server", p->max_body);
    g_byte_array_append(p->body, (const guint8 *)at, (guint)len);
    return 0;
}

static int
on_message_complete(http_parser *hp)
{
    ApiRequestParser *p = parser_of(hp);
    ApiRequest *req = g_steal_pointer(&p->cur);

    if (p->body->len > 0)
        req->body = g_bytes_new(p->body->data, p->body->len);
    g_byte_array_set_size(p->body, 0);
    g_queue_push_tail(&p->done, req);
    p->completed_in_feed++;
    if (!req->keep_alive) {
        /* Nothing after a closing request is read (RFC 7230 §6.6); pausing
         * makes http_parser_execute() return here. */
        p->closed = true;
        http_parser_pause(hp, 1);
    }
    return 0;
}

ApiRequestParser *
api_request_parser_new(gsize max_body)
{
    ApiRequestParser *p = g_new0(ApiRequestParser, 1);

    http_parser_init(&p->parser, HTTP_REQUEST);
    p->parser.data = p;
    http_parser_settings_init(&p->settings);
    p->settings.on_message_begin = on_message_begin;
    p->settings.on_url = on_url;
    p->settings.on_header_field = on_header_field;
    p->settings.on_header_value = on_header_value;
    p->settings.on_headers_complete = on_headers_complete;
    p->settings.on_body = on_body;
    p->settings.on_message_complete = on_message_complete;
    p->max_body = max_body;
    p->url = g_string_new(NULL);
    p->body = g_byte_array_new();
    p->hdr_field = g_string_new(NULL);
    p->hdr_value = g_string_new(NULL);
    g_queue_init(&p->done);
    return p;
}

void
api_request_parser_free(ApiRequestParser *p)
{
    if (!p)
        return;
    api_request_free(p->cur);
    g_queue_clear_full(&p->done, (GDestroyNotify)api_request_free);
    g_string_free(p->url, TRUE);
    g_byte_array_unref(p->body);
    g_string_free(p->hdr_field, TRUE);
    g_string_free(p->hdr_value, TRUE);
    g_clear_error(&p->error);
    g_free(p);
}

/*
 * After an error nothing can be trusted about where the next request
 * starts (the framing is lost), so the error is sticky and the connection
 * ends after answering it, as micro_http does.
 */
bool
api_request_parser_feed(ApiRequestParser *p, const char *data, gsize len,
                        GError **error)
{
    size_t n;
    enum http_errno err;

    p->completed_in_feed = 0;
    if (p->error) {
        g_propagate_error(error, g_error_copy(p->error));
        return false;
    }
    /* A zero length means end of stream to http_parser; the caller handles
     * end of stream itself.  Bytes after a closing request are dropped. */
    if (len == 0 || p->closed)
        return true;
    n = http_parser_execute(&p->parser, &p->settings, data, len);
    err = HTTP_PARSER_ERRNO(&p->parser);
    if (err == HPE_PAUSED && p->closed)
        return true;
    if (err != HPE_OK && !p->error)
        p->error = g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "malformed HTTP request: %s",
                               http_errno_description(err));
    else if (!p->error && p->parser.upgrade)
        p->error = g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "protocol upgrade is not supported");
    else if (!p->error && n != len)
        p->error = g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "malformed HTTP request: trailing bytes");
    if (p->error) {
        g_propagate_error(error, g_error_copy(p->error));
        return false;
    }
    return true;
}

bool
api_request_parser_add_fds(ApiRequestParser *p, const int *fds, guint n,
                           GError **error)
{
    ApiRequest *owner = p->cur;

    if (n == 0)
        return true;
    if (!owner && p->completed_in_feed > 0)
        owner = g_queue_peek_tail(&p->done);
    if (owner && (owner->fds ? owner->fds->len : 0) + n <= API_REQUEST_MAX_FDS) {
        if (!owner->fds)
            owner->fds = g_array_new(FALSE, FALSE, sizeof(int));
        g_array_append_vals(owner->fds, fds, n);
        return true;
    }
    for (guint i = 0; i < n; i++)
        close(fds[i]);
    if (!owner)
        return true;
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "too many file descriptors with one request (limit %u)",
                API_REQUEST_MAX_FDS);
    return false;
}

ApiRequest *
api_request_parser_pop(ApiRequestParser *p)
{
    return g_queue_pop_head(&p->done);
}

guint
api_request_parser_queued(ApiRequestParser *p)
{
    return g_queue_get_length(&p->done);
}

bool
api_request_parser_take_continue(ApiRequestParser *p)
{
    bool r = p->send_continue;

    p->send_continue = false;
    return r;
}

bool
api_request_parser_done(ApiRequestParser *p)
{
    return p->closed || p->error;
}

bool
api_request_parser_in_request(ApiRequestParser *p)
{
    return p->cur != NULL;
}

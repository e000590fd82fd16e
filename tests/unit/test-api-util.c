/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the REST and D-Bus API tests: a Vmm with its APIs on a "vmm" thread, a raw HTTP client. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tests/testutil.h"
#include "tests/unit/test-api-util.h"

static gpointer
vmm_thread(gpointer data)
{
    Server *s = data;

    g_main_context_push_thread_default(s->context);
    s->status = vmm_run(s->vmm);
    g_main_context_pop_thread_default(s->context);
    return NULL;
}

Server *
server_start_apis(const char *path, int fd, const char *dbus_name,
                  const char *dbus_path)
{
    Server *s = g_new0(Server, 1);
    g_autoptr(GError) error = NULL;

    s->context = g_main_context_new();
    s->vmm = vmm_new(NULL, s->context);
    s->path = g_strdup(path);
    if (path || fd >= 0) {
        s->api = api_http_new(s->vmm, s->context, path, fd, &error);
        g_assert_no_error(error);
        g_assert_nonnull(s->api);
    }
    if (dbus_name) {
        s->dbus = api_dbus_new(s->vmm, s->context, dbus_name, dbus_path,
                               false, &error);
        g_assert_no_error(error);
        g_assert_nonnull(s->dbus);
    }
    s->kernel = g_build_filename(test_tmpdir(), "vmlinux", NULL);
    g_assert_true(g_file_set_contents(s->kernel, "not a kernel", -1, NULL));
    s->thread = g_thread_new("vmm", vmm_thread, s);
    return s;
}

Server *
server_start_full(const char *path, int fd)
{
    return server_start_apis(path, fd, NULL, NULL);
}

Server *
server_start(void)
{
    static int n;
    g_autofree char *path = g_strdup_printf("%s/api-%d.sock", test_tmpdir(),
                                            ++n);

    return server_start_full(path, -1);
}

static gboolean
quit_cb(gpointer data)
{
    vmm_quit(data, 0);
    return G_SOURCE_REMOVE;
}

/* Ends the VMM loop (unless vmm.shutdown did) and frees like main.c. */
int
server_stop(Server *s)
{
    g_main_context_invoke(s->context, quit_cb, s->vmm);
    return server_wait(s);
}

int
server_wait(Server *s)
{
    int status;

    g_thread_join(s->thread);
    api_http_free(s->api);
    api_dbus_free(s->dbus);
    vmm_free(s->vmm);
    g_main_context_unref(s->context);
    status = s->status;
    g_free(s->path);
    g_free(s->kernel);
    g_free(s);
    return status;
}

/* ---- A minimal client ------------------------------------------------- */

void
client_send(int fd, const char *data, gsize len, const int *fds, guint n_fds)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 8)];
    } ctl;
    struct iovec iov = { (void *)data, len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    g_assert_cmpuint(n_fds, <=, 8);
    if (n_fds) {
        struct cmsghdr *cm;

        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
    }
    n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    g_assert_cmpint(n, ==, (ssize_t)len);
}

void
client_send_str(int fd, const char *text)
{
    client_send(fd, text, strlen(text), NULL, 0);
}


void
response_free(Response *r)
{
    g_string_free(r->body, TRUE);
    g_string_free(r->field, TRUE);
    g_hash_table_unref(r->headers);
    g_free(r);
}

static int
rsp_header_field(http_parser *hp, const char *at, size_t len)
{
    Response *r = hp->data;

    if (r->in_value) {
        g_string_truncate(r->field, 0);
        r->in_value = false;
    }
    g_string_append_len(r->field, at, (gssize)len);
    return 0;
}

/* Names and values may arrive in pieces: append to the current header. */
static int
rsp_header_value(http_parser *hp, const char *at, size_t len)
{
    Response *r = hp->data;
    g_autofree char *key = g_ascii_strdown(r->field->str, -1);
    const char *old = g_hash_table_lookup(r->headers, key);
    char *value = g_strdup_printf("%s%.*s", r->in_value && old ? old : "",
                                  (int)len, at);

    r->in_value = true;
    g_hash_table_replace(r->headers, g_steal_pointer(&key), value);
    return 0;
}

static int
rsp_body(http_parser *hp, const char *at, size_t len)
{
    Response *r = hp->data;

    g_string_append_len(r->body, at, (gssize)len);
    return 0;
}

static int
rsp_complete(http_parser *hp)
{
    Response *r = hp->data;

    r->status = hp->status_code;
    r->complete = true;
    http_parser_pause(hp, 1);
    return 0;
}


Client *
client_new(const char *path)
{
    Client *c = g_new0(Client, 1);

    c->fd = test_unix_connect(path);
    c->pending = g_byte_array_new();
    http_parser_init(&c->parser, HTTP_RESPONSE);
    return c;
}

void
client_free(Client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    g_byte_array_unref(c->pending);
    g_free(c);
}

/* NULL when the server closed the connection before a whole response. */
Response *
client_read(Client *c)
{
    http_parser_settings st;
    g_autoptr(Response) r = g_new0(Response, 1);
    char buf[4096];

    http_parser_settings_init(&st);
    st.on_header_field = rsp_header_field;
    st.on_header_value = rsp_header_value;
    st.on_body = rsp_body;
    st.on_message_complete = rsp_complete;
    r->body = g_string_new(NULL);
    r->field = g_string_new(NULL);
    r->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    c->parser.data = r;
    http_parser_pause(&c->parser, 0);
    for (;;) {
        size_t used;
        ssize_t n;

        if (c->pending->len) {
            used = http_parser_execute(&c->parser, &st,
                                       (const char *)c->pending->data,
                                       c->pending->len);
            g_byte_array_remove_range(c->pending, 0, (guint)used);
            if (r->complete)
                return g_steal_pointer(&r);
            g_assert_cmpint(HTTP_PARSER_ERRNO(&c->parser), ==, HPE_OK);
        }
        n = read(c->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL;
        g_byte_array_append(c->pending, (const guint8 *)buf, (guint)n);
    }
}

/* One request on a fresh connection (closed by the server: HTTP/1.0). */
Response *
request(const char *path, const char *method, const char *endpoint,
        const char *body)
{
    g_autoptr(Client) c = client_new(path);
    g_autofree char *text = g_strdup_printf(
        "%s /api/v1/%s HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Length: %zu\r\n\r\n%s", method, endpoint,
        body ? strlen(body) : 0, body ? body : "");

    client_send_str(c->fd, text);
    return client_read(c);
}

JsonNode *
parse_json(const char *text)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) error = NULL;

    json_parser_load_from_data(p, text, -1, &error);
    g_assert_no_error(error);
    return json_parser_steal_root(p);
}

void
assert_error_body(const Response *r, const char *needle)
{
    g_autoptr(JsonNode) n = parse_json(r->body->str);
    JsonArray *a;

    g_assert_true(JSON_NODE_HOLDS_ARRAY(n));
    a = json_node_get_array(n);
    g_assert_cmpuint(json_array_get_length(a), >=, 1);
    for (guint i = 0; i < json_array_get_length(a); i++)
        g_assert_nonnull(json_array_get_string_element(a, i));
    if (needle)
        g_assert_nonnull(strstr(r->body->str, needle));
}

/* SPDX-License-Identifier: Apache-2.0 */
/* End-to-end tests of the REST server on a real socket: raw HTTP, curl, SCM_RIGHTS, concurrency, locking. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>
#include <http_parser.h>
#include <json-glib/json-glib.h>

#include "daemon/api.h"
#include "tests/testutil.h"

/* A Vmm served on its own "vmm" thread, as in nimbus. */
typedef struct {
    GMainContext *context;
    Vmm *vmm;
    ApiHttp *api;
    GThread *thread;
    char *path;
    char *kernel;
    int status;
} Server;

static gpointer
vmm_thread(gpointer data)
{
    Server *s = data;

    g_main_context_push_thread_default(s->context);
    s->status = vmm_run(s->vmm);
    g_main_context_pop_thread_default(s->context);
    return NULL;
}

static Server *
server_start_full(const char *path, int fd)
{
    Server *s = g_new0(Server, 1);
    g_autoptr(GError) error = NULL;

    s->context = g_main_context_new();
    s->vmm = vmm_new(NULL, s->context);
    s->path = g_strdup(path);
    s->api = api_http_new(s->vmm, s->context, path, fd, &error);
    g_assert_no_error(error);
    g_assert_nonnull(s->api);
    s->kernel = g_build_filename(test_tmpdir(), "vmlinux", NULL);
    g_assert_true(g_file_set_contents(s->kernel, "not a kernel", -1, NULL));
    s->thread = g_thread_new("vmm", vmm_thread, s);
    return s;
}

static Server *
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
static int
server_stop(Server *s)
{
    int status;

    g_main_context_invoke(s->context, quit_cb, s->vmm);
    g_thread_join(s->thread);
    api_http_free(s->api);
    vmm_free(s->vmm);
    g_main_context_unref(s->context);
    status = s->status;
    g_free(s->path);
    g_free(s->kernel);
    g_free(s);
    return status;
}

/* ---- A minimal client ------------------------------------------------- */

static int
client_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return fd;
}

static void
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

static void
client_send_str(int fd, const char *text)
{
    client_send(fd, text, strlen(text), NULL, 0);
}

typedef struct {
    guint status;
    GString *body;
    GString *field;
    GHashTable *headers;   /* lower-case name -> value */
    bool in_value;
    bool complete;
} Response;

static void
response_free(Response *r)
{
    g_string_free(r->body, TRUE);
    g_string_free(r->field, TRUE);
    g_hash_table_unref(r->headers);
    g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Response, response_free)

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

/*
 * Reads one response; a connection carries several, so the parser and
 * leftover bytes live in a per-connection Client.
 */
typedef struct {
    int fd;
    http_parser parser;
    GByteArray *pending;
} Client;

static Client *
client_new(const char *path)
{
    Client *c = g_new0(Client, 1);

    c->fd = client_connect(path);
    c->pending = g_byte_array_new();
    http_parser_init(&c->parser, HTTP_RESPONSE);
    return c;
}

static void
client_free(Client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    g_byte_array_unref(c->pending);
    g_free(c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Client, client_free)

/* NULL when the server closed the connection before a whole response. */
static Response *
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
static Response *
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

static JsonNode *
parse_json(const char *text)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) error = NULL;

    json_parser_load_from_data(p, text, -1, &error);
    g_assert_no_error(error);
    return json_parser_steal_root(p);
}

static void
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

/* ---- Tests ------------------------------------------------------------ */

static void
test_ping_headers(void)
{
    Server *s = server_start();
    g_autoptr(Response) r = request(s->path, "GET", "vmm.ping", NULL);
    g_autoptr(JsonNode) n = NULL;

    g_assert_nonnull(r);
    g_assert_cmpuint(r->status, ==, 200);
    g_assert_cmpstr(g_hash_table_lookup(r->headers, "server"), ==,
                    "Cloud Hypervisor API");
    g_assert_cmpstr(g_hash_table_lookup(r->headers, "content-type"), ==,
                    "application/json");
    n = parse_json(r->body->str);
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(n), "pid"),
                    ==, getpid());
    g_assert_cmpint(server_stop(s), ==, 0);
}

static void
test_errors(void)
{
    Server *s = server_start();
    g_autoptr(Response) nf = request(s->path, "GET", "vm.nope", NULL);
    g_autoptr(Response) post = request(s->path, "POST", "vm.boot", NULL);
    g_autoptr(Response) wrong = request(s->path, "GET", "vm.boot", NULL);
    g_autoptr(Response) info = request(s->path, "GET", "vm.info", NULL);
    g_autoptr(Response) bad = request(s->path, "PUT", "vm.create", "{\"x\":");

    g_assert_cmpuint(nf->status, ==, 404);
    assert_error_body(nf, "Not Found");
    g_assert_cmpuint(post->status, ==, 400);
    assert_error_body(post, "POST");
    g_assert_cmpuint(wrong->status, ==, 400);
    assert_error_body(wrong, "expects PUT");
    g_assert_cmpuint(info->status, ==, 404);
    assert_error_body(info, "not created");
    g_assert_cmpuint(bad->status, ==, 400);
    assert_error_body(bad, "Failed to deserialize JSON");
    server_stop(s);
}

/* Keep-alive and pipelining: answers come back in order on one socket. */
static void
test_keep_alive_pipelining(void)
{
    Server *s = server_start();
    g_autoptr(Client) c = client_new(s->path);
    static const char three[] =
        "GET /api/v1/vmm.ping HTTP/1.1\r\n\r\n"
        "GET /api/v1/vm.nope HTTP/1.1\r\n\r\n"
        "GET /api/v1/vm.info HTTP/1.1\r\n\r\n";
    static const guint expect[] = { 200, 404, 404 };

    for (int round = 0; round < 3; round++) {
        g_autoptr(Response) r = NULL;

        client_send_str(c->fd, "GET /api/v1/vmm.ping HTTP/1.1\r\n\r\n");
        r = client_read(c);
        g_assert_nonnull(r);
        g_assert_cmpuint(r->status, ==, 200);
        g_assert_null(g_hash_table_lookup(r->headers, "connection"));
    }
    client_send_str(c->fd, three);
    for (guint i = 0; i < G_N_ELEMENTS(expect); i++) {
        g_autoptr(Response) r = client_read(c);

        g_assert_nonnull(r);
        g_assert_cmpuint(r->status, ==, expect[i]);
    }
    server_stop(s);
}

static bool
peer_closed(int fd)
{
    char b;
    ssize_t n;

    do {
        n = read(fd, &b, 1);
    } while (n < 0 && errno == EINTR);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void
test_bad_stream(void)
{
    Server *s = server_start();
    g_autoptr(Client) c = client_new(s->path);
    g_autoptr(Response) r = NULL;
    g_autoptr(Response) after = NULL;

    client_send_str(c->fd, "GET /api/v1/vmm.ping HTTP/1.1\r\n\r\nGARBAGE\r\n\r\n");
    r = client_read(c);
    g_assert_cmpuint(r->status, ==, 200);
    g_clear_pointer(&r, response_free);
    r = client_read(c);
    g_assert_nonnull(r);
    g_assert_cmpuint(r->status, ==, 400);
    g_assert_cmpstr(g_hash_table_lookup(r->headers, "connection"), ==, "close");
    assert_error_body(r, "malformed HTTP request");
    g_assert_true(peer_closed(c->fd));
    /* The server lives on. */
    after = request(s->path, "GET", "vmm.ping", NULL);
    g_assert_cmpuint(after->status, ==, 200);
    server_stop(s);
}

/* Over 4 MiB: refused on the header, before the body is sent. */
static void
test_body_too_large(void)
{
    Server *s = server_start();
    g_autoptr(Client) c = client_new(s->path);
    g_autoptr(Response) r = NULL;

    client_send_str(c->fd, "PUT /api/v1/vm.create HTTP/1.1\r\n"
                           "Content-Length: 5000000\r\n\r\n{");
    r = client_read(c);
    g_assert_nonnull(r);
    g_assert_cmpuint(r->status, ==, 400);
    assert_error_body(r, "larger than the limit of 4194304");
    g_assert_true(peer_closed(c->fd));
    server_stop(s);
}

static void
test_expect_continue(void)
{
    Server *s = server_start();
    g_autoptr(Client) c = client_new(s->path);
    g_autoptr(Response) cont = NULL;
    g_autoptr(Response) r = NULL;
    g_autofree char *body = g_strdup_printf("{\"payload\": {\"kernel\": \"%s\"}}",
                                            s->kernel);
    g_autofree char *head = g_strdup_printf(
        "PUT /api/v1/vm.create HTTP/1.1\r\nExpect: 100-continue\r\n"
        "Content-Length: %zu\r\n\r\n", strlen(body));

    client_send_str(c->fd, head);
    cont = client_read(c);
    g_assert_cmpuint(cont->status, ==, 100);
    client_send_str(c->fd, body);
    r = client_read(c);
    g_assert_cmpuint(r->status, ==, 204);
    server_stop(s);
}

/* Clients that vanish mid-request or mid-answer leave the server serving. */
static void
test_disconnects(void)
{
    Server *s = server_start();
    g_autoptr(Response) r = NULL;

    for (int i = 0; i < 20; i++) {
        int fd = client_connect(s->path);

        switch (i % 4) {
        case 0:
            client_send_str(fd, "PUT /api/v1/vm.create HTTP/1.1\r\n"
                                "Content-Length: 100\r\n\r\n{\"pay");
            break;
        case 1:
            client_send_str(fd, "GET /api/v1/vm.info HTTP/1.1\r\n\r\n");
            break;
        case 2:
            client_send_str(fd, "GET /api/v1/vmm.p");
            break;
        default:
            /* Half-close: the answer must still arrive. */
            client_send_str(fd, "GET /api/v1/vmm.ping HTTP/1.1\r\n\r\n");
            shutdown(fd, SHUT_WR);
            break;
        }
        if (i % 4 == 3) {
            char buf[512];
            ssize_t n = read(fd, buf, sizeof(buf) - 1);

            g_assert_cmpint(n, >, 12);
            buf[n] = '\0';
            g_assert_true(g_str_has_prefix(buf, "HTTP/1.1 200 OK"));
        }
        close(fd);
    }
    r = request(s->path, "GET", "vmm.ping", NULL);
    g_assert_cmpuint(r->status, ==, 200);
    server_stop(s);
}

static guint
count_open_fds(void)
{
    g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
    guint n = 0;

    while (g_dir_read_name(d))
        n++;
    return n;
}

/* Once the server has accepted @c (a round trip proves it). */
static guint
count_after_ping(Client *c)
{
    g_autoptr(Response) r = NULL;

    client_send_str(c->fd, "GET /api/v1/vmm.ping HTTP/1.1\r\n\r\n");
    r = client_read(c);
    g_assert_cmpuint(r->status, ==, 200);
    return count_open_fds();
}

static int
open_null(void)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

    g_assert_cmpint(fd, >, 2);
    return fd;
}

/* Net fds ride as SCM_RIGHTS and reach vm.create (the server runs in this
 * process, so what it holds shows in /proc/self/fd). */
static void
test_scm_rights(void)
{
    Server *s = server_start();
    g_autofree char *body = g_strdup_printf(
        "{\"payload\": {\"kernel\": \"%s\"}, "
        "\"cpus\": {\"boot_vcpus\": 2, \"max_vcpus\": 2}, "
        "\"net\": [{\"fds\": [-1], \"num_queues\": 2}, "
        "{\"fds\": [-1, -1], \"num_queues\": 4}]}", s->kernel);
    g_autofree char *text = g_strdup_printf(
        "PUT /api/v1/vm.create HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s",
        strlen(body), body);
    int fds[3] = { open_null(), open_null(), open_null() };
    guint before;

    {
        g_autoptr(Client) c = client_new(s->path);
        g_autoptr(Response) r = NULL;

        /* Two for three placeholders: 400, and nothing kept. */
        before = count_after_ping(c);
        client_send(c->fd, text, strlen(text), fds, 2);
        r = client_read(c);
        g_assert_cmpuint(r->status, ==, 400);
        assert_error_body(r, "names 3 fd(s) but 2 were received");
        g_assert_cmpuint(count_open_fds(), ==, before);
    }
    {
        g_autoptr(Client) c = client_new(s->path);
        g_autoptr(Response) r = NULL;
        g_autoptr(Response) del = NULL;

        before = count_after_ping(c);
        client_send(c->fd, text, strlen(text), fds, 3);
        r = client_read(c);
        g_assert_cmpuint(r->status, ==, 204);
        g_assert_cmpuint(count_open_fds(), ==, before + 3);
        client_send_str(c->fd, "PUT /api/v1/vm.delete HTTP/1.1\r\n\r\n");
        del = client_read(c);
        g_assert_cmpuint(del->status, ==, 204);
        g_assert_cmpuint(count_open_fds(), ==, before);
    }
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    server_stop(s);
}

static void
test_curl(void)
{
    Server *s = server_start();
    g_autofree char *cfg = g_build_filename(test_tmpdir(), "vm.json", NULL);
    g_autofree char *body = g_strdup_printf("{\"payload\": {\"kernel\": \"%s\"}}",
                                            s->kernel);
    g_autofree char *at_cfg = g_strdup_printf("@%s", cfg);
    g_autofree char *out = NULL;
    const char *ping[] = { "curl", "-sS", "--unix-socket", s->path,
                           "http://localhost/api/v1/vmm.ping", NULL };
    const char *create[] = { "curl", "-sS", "-o", "/dev/null", "-w",
                             "%{http_code}", "--unix-socket", s->path, "-X",
                             "PUT", "-H", "Content-Type: application/json",
                             "-d", at_cfg,
                             "http://localhost/api/v1/vm.create", NULL };
    const char *info[] = { "curl", "-sS", "-w", "\n%{http_code}",
                           "--unix-socket", s->path,
                           "http://localhost/api/v1/vm.info", NULL };
    const char *pause[] = { "curl", "-sS", "-w", "\n%{http_code}",
                            "--unix-socket", s->path, "-X", "PUT",
                            "http://localhost/api/v1/vm.pause", NULL };

    g_assert_true(g_file_set_contents(cfg, body, -1, NULL));
    g_assert_cmpint(test_run(ping, &out, 10000), ==, 0);
    g_assert_nonnull(strstr(out, "\"version\""));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(test_run(create, &out, 10000), ==, 0);
    g_assert_cmpstr(out, ==, "204");
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(test_run(info, &out, 10000), ==, 0);
    g_assert_nonnull(strstr(out, "\"state\":\"Created\""));
    g_assert_true(g_str_has_suffix(out, "\n200"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(test_run(pause, &out, 10000), ==, 0);
    g_assert_true(g_str_has_suffix(out, "\n405"));
    server_stop(s);
}

#define N_CLIENTS 50
#define N_REQUESTS 100

typedef struct {
    const char *path;
    int index;
    guint ok;
} Worker;

static gpointer
worker(gpointer data)
{
    Worker *w = data;
    g_autoptr(Client) c = NULL;

    for (int i = 0; i < N_REQUESTS; i++) {
        g_autoptr(Response) r = NULL;

        /* Half the clients keep one connection, the others reconnect. */
        if (!c || w->index % 2)
            g_clear_pointer(&c, client_free);
        if (!c)
            c = client_new(w->path);
        client_send_str(c->fd, "GET /api/v1/vm.info HTTP/1.1\r\n"
                               "Host: localhost\r\n\r\n");
        r = client_read(c);
        if (r && r->status == 200 && strstr(r->body->str, "\"state\""))
            w->ok++;
    }
    return NULL;
}

static void
test_concurrent_clients(void)
{
    Server *s = server_start();
    g_autofree char *body = g_strdup_printf("{\"payload\": {\"kernel\": \"%s\"}}",
                                            s->kernel);
    g_autoptr(Response) r = request(s->path, "PUT", "vm.create", body);
    Worker w[N_CLIENTS];
    GThread *t[N_CLIENTS];
    gint64 start = g_get_monotonic_time();

    g_assert_cmpuint(r->status, ==, 204);
    for (int i = 0; i < N_CLIENTS; i++) {
        w[i] = (Worker){ .path = s->path, .index = i };
        t[i] = g_thread_new("client", worker, &w[i]);
    }
    for (int i = 0; i < N_CLIENTS; i++) {
        g_thread_join(t[i]);
        g_assert_cmpuint(w[i].ok, ==, N_REQUESTS);
    }
    g_test_message("%d clients x %d vm.info: %.0f ms", N_CLIENTS, N_REQUESTS,
                   (g_get_monotonic_time() - start) / 1000.0);
    server_stop(s);
}

#define N_PIPELINED 3000

static gpointer
pipeline_writer(gpointer data)
{
    int fd = GPOINTER_TO_INT(data);
    static const char req[] = "GET /api/v1/vm.info HTTP/1.1\r\n\r\n";

    for (int i = 0; i < N_PIPELINED; i++)
        client_send(fd, req, sizeof(req) - 1, NULL, 0);
    return NULL;
}

/* A client that sends without reading: the server stops reading it once
 * its answers pile up (no unbounded buffer), and everything is answered,
 * in order, once the client reads. */
static void
test_backpressure(void)
{
    Server *s = server_start();
    g_autofree char *body = g_strdup_printf("{\"payload\": {\"kernel\": \"%s\"}}",
                                            s->kernel);
    g_autoptr(Response) r = request(s->path, "PUT", "vm.create", body);
    g_autoptr(Client) c = client_new(s->path);
    GThread *writer;

    g_assert_cmpuint(r->status, ==, 204);
    writer = g_thread_new("writer", pipeline_writer, GINT_TO_POINTER(c->fd));
    /* Let both socket buffers fill up. */
    g_usleep(500 * 1000);
    for (int i = 0; i < N_PIPELINED; i++) {
        g_autoptr(Response) a = client_read(c);

        g_assert_nonnull(a);
        g_assert_cmpuint(a->status, ==, 200);
    }
    g_thread_join(writer);
    server_stop(s);
}

/* A socket left by a dead VMM is replaced; a live VMM's is refused. */
static void
test_socket_lock(void)
{
    g_autofree char *path = g_build_filename(test_tmpdir(), "lock.sock", NULL);
    g_autofree char *plain = g_build_filename(test_tmpdir(), "plain", NULL);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_autoptr(GError) error = NULL;
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    Server *s;
    ApiHttp *second;
    int stale = socket(AF_UNIX, SOCK_STREAM, 0);

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert_cmpint(bind(stale, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    close(stale);
    g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));

    s = server_start_full(path, -1);
    {
        g_autoptr(Response) r = request(path, "GET", "vmm.ping", NULL);

        g_assert_cmpuint(r->status, ==, 200);
    }
    second = api_http_new(vmm, NULL, path, -1, &error);
    g_assert_null(second);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_BUSY);
    g_assert_nonnull(strstr(error->message, "in use"));
    g_clear_error(&error);
    /* The refused attempt did not break the live server. */
    {
        g_autoptr(Response) r = request(path, "GET", "vmm.ping", NULL);

        g_assert_cmpuint(r->status, ==, 200);
    }
    server_stop(s);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));

    /* Never delete what is not a socket. */
    g_assert_true(g_file_set_contents(plain, "data", -1, NULL));
    g_assert_null(api_http_new(vmm, NULL, plain, -1, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_assert_true(g_file_test(plain, G_FILE_TEST_EXISTS));
}

/* --api-socket fd=N: a socket bound by the parent (libvirt does this). */
static void
test_socket_fd(void)
{
    g_autofree char *path = g_build_filename(test_tmpdir(), "byfd.sock", NULL);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_autoptr(GError) error = NULL;
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int pipefd[2];
    Server *s;

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    s = server_start_full(NULL, fd);
    {
        g_autoptr(Response) r = request(path, "GET", "vmm.ping", NULL);

        g_assert_cmpuint(r->status, ==, 200);
    }
    server_stop(s);

    g_assert_cmpint(pipe2(pipefd, O_CLOEXEC), ==, 0);
    g_assert_null(api_http_new(vmm, NULL, NULL, pipefd[0], &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    close(pipefd[1]);
}

static char *
save_body(const char *name, const Response *r)
{
    char *path = g_build_filename(test_tmpdir(), name, NULL);

    g_assert_true(g_file_set_contents(path, r->body->str, -1, NULL));
    return path;
}

/* Every JSON body validates against CH's OpenAPI schemas (python3-jsonschema
 * from Debian: /usr/bin/python3, whatever python3 PATH finds). */
static void
test_schemas(void)
{
    Server *s = server_start();
    g_autofree char *body = g_strdup_printf(
        "{\"payload\": {\"kernel\": \"%s\", \"cmdline\": \"console=ttyS0\"}, "
        "\"cpus\": {\"boot_vcpus\": 2, \"max_vcpus\": 4}, "
        "\"memory\": {\"size\": 268435456}, "
        "\"disks\": [{\"path\": \"%s\", \"readonly\": true}], "
        "\"serial\": {\"mode\": \"Null\"}, \"console\": {\"mode\": \"Off\"}}",
        s->kernel, s->kernel);
    g_autoptr(Response) create = request(s->path, "PUT", "vm.create", body);
    g_autoptr(Response) ping = request(s->path, "GET", "vmm.ping", NULL);
    g_autoptr(Response) info = request(s->path, "GET", "vm.info", NULL);
    g_autoptr(Response) counters = request(s->path, "GET", "vm.counters", NULL);
    g_autoptr(Response) e404 = request(s->path, "GET", "vm.nope", NULL);
    g_autoptr(Response) e405 = request(s->path, "PUT", "vm.pause", NULL);
    g_autoptr(Response) e500 = request(s->path, "PUT", "vm.snapshot",
                                       "{\"destination_url\": \"file:///x\"}");
    g_autofree char *script = test_src_path("tests/unit/test-api-schema.py");
    g_autofree char *yaml = test_src_path("tests/data/api/cloud-hypervisor-openapi.yaml");
    g_autofree char *a1 = NULL, *a2 = NULL, *a3 = NULL, *a4 = NULL;
    g_autofree char *a5 = NULL, *a6 = NULL;
    g_autofree char *f1 = NULL, *f2 = NULL, *f3 = NULL, *f4 = NULL;
    g_autofree char *f5 = NULL, *f6 = NULL;
    g_autofree char *out = NULL;
    int rc;

    g_assert_cmpuint(create->status, ==, 204);
    g_assert_cmpuint(info->status, ==, 200);
    g_assert_cmpuint(e405->status, ==, 405);
    g_assert_cmpuint(e500->status, ==, 500);
    f1 = save_body("ping.json", ping);
    f2 = save_body("info.json", info);
    f3 = save_body("counters.json", counters);
    f4 = save_body("e404.json", e404);
    f5 = save_body("e405.json", e405);
    f6 = save_body("e500.json", e500);
    a1 = g_strdup_printf("VmmPingResponse=%s", f1);
    a2 = g_strdup_printf("VmInfo=%s", f2);
    a3 = g_strdup_printf("VmCounters=%s", f3);
    a4 = g_strdup_printf("ErrorChain=%s", f4);
    a5 = g_strdup_printf("ErrorChain=%s", f5);
    a6 = g_strdup_printf("ErrorChain=%s", f6);
    {
        const char *argv[] = { "/usr/bin/python3", script, yaml, a1, a2, a3,
                               a4, a5, a6, NULL };

        rc = test_run(argv, &out, 60000);
    }
    g_test_message("%s", out);
    g_assert_cmpint(rc, ==, 0);
    server_stop(s);
}

/* vmm.shutdown is answered before the VMM stops, as with CH. */
static void
test_vmm_shutdown(void)
{
    Server *s = server_start();
    g_autoptr(Response) r = request(s->path, "PUT", "vmm.shutdown", NULL);

    g_assert_nonnull(r);
    g_assert_cmpuint(r->status, ==, 204);
    g_assert_cmpint(server_stop(s), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/api/http/ping-headers", test_ping_headers);
    g_test_add_func("/api/http/errors", test_errors);
    g_test_add_func("/api/http/keep-alive-pipelining",
                    test_keep_alive_pipelining);
    g_test_add_func("/api/http/bad-stream", test_bad_stream);
    g_test_add_func("/api/http/body-too-large", test_body_too_large);
    g_test_add_func("/api/http/expect-continue", test_expect_continue);
    g_test_add_func("/api/http/disconnects", test_disconnects);
    g_test_add_func("/api/http/scm-rights", test_scm_rights);
    g_test_add_func("/api/http/curl", test_curl);
    g_test_add_func("/api/http/concurrent-clients", test_concurrent_clients);
    g_test_add_func("/api/http/backpressure", test_backpressure);
    g_test_add_func("/api/http/socket-lock", test_socket_lock);
    g_test_add_func("/api/http/socket-fd", test_socket_fd);
    g_test_add_func("/api/http/schemas", test_schemas);
    g_test_add_func("/api/http/vmm-shutdown", test_vmm_shutdown);
    return g_test_run();
}

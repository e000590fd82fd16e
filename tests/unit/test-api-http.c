/* SPDX-License-Identifier: Apache-2.0 */
/* End-to-end tests of the REST server on a real socket: HTTP details, curl, SCM_RIGHTS, schemas. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "daemon/cli.h"
#include "tests/testutil.h"
#include "tests/unit/test-api-util.h"

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
    /* The same truth as --version: "cloud-hypervisor v<version> (nimbus
     * v<build>)". */
    {
        g_autofree char *cli = nimbus_cli_version();
        g_autofree char *want = g_strdup_printf(
            "cloud-hypervisor v%s",
            json_object_get_string_member(json_node_get_object(n), "version"));
        const char *build = json_object_get_string_member(
            json_node_get_object(n), "build_version");

        g_assert_true(g_str_has_prefix(cli, want));
        g_assert_cmpstr(cli + strlen("cloud-hypervisor "), ==, build);
    }
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
        int fd = test_unix_connect(s->path);

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

/* True when the server closed @fd within @ms (EOF or reset). */
static bool
closed_within(int fd, guint ms)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;

    for (;;) {
        gint64 left = deadline - g_get_monotonic_time();
        char buf[4096];
        ssize_t n;

        if (left <= 0 || poll(&pfd, 1, (int)(left / 1000) + 1) <= 0)
            return false;
        n = read(fd, buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
    }
}

/* Half-sent requests and idle connections are dropped after their
 * timeouts (1,100 of them used to be held for ever, and at 1024 every new
 * client got 503); a slow but complete exchange is not. */
static void
test_timeouts(void)
{
    Server *s = server_start();
    int partial_head, partial_body, silent, idle;
    g_autoptr(Client) c = NULL;
    g_autoptr(Response) r = NULL;

    api_http_set_timeouts(s->api, 400, 800);
    partial_head = test_unix_connect(s->path);
    client_send_str(partial_head, "GET /api/v1/vmm.p");
    partial_body = test_unix_connect(s->path);
    client_send_str(partial_body, "PUT /api/v1/vm.create HTTP/1.1\r\n"
                                  "Content-Length: 100\r\n\r\n{\"pay");
    silent = test_unix_connect(s->path);
    c = client_new(s->path);
    idle = c->fd;
    client_send_str(idle, "GET /api/v1/vmm.ping HTTP/1.1\r\n\r\n");
    r = client_read(c);
    g_assert_cmpuint(r->status, ==, 200);

    /* The request timeout runs from the request's first byte. */
    g_assert_true(closed_within(partial_head, 2000));
    g_assert_true(closed_within(partial_body, 2000));
    /* Nothing sent, or nothing since the last answer: the idle timeout. */
    g_assert_true(closed_within(silent, 3000));
    g_assert_true(closed_within(idle, 3000));
    close(partial_head);
    close(partial_body);
    close(silent);

    /* Each request that completes in time is served, on one connection,
     * as long as the pauses between them stay below the idle timeout. */
    {
        g_autoptr(Client) k = client_new(s->path);

        for (int i = 0; i < 3; i++) {
            g_autoptr(Response) kr = NULL;

            client_send_str(k->fd, "GET /api/v1/vmm.pi");
            g_usleep(150 * 1000);
            client_send_str(k->fd, "ng HTTP/1.1\r\n\r\n");
            kr = client_read(k);
            g_assert_cmpuint(kr->status, ==, 200);
            g_usleep(300 * 1000);
        }
    }
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
    g_autoptr(Response) e500 = request(s->path, "PUT", "vm.coredump",
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
    g_test_add_func("/api/http/timeouts", test_timeouts);
    g_test_add_func("/api/http/scm-rights", test_scm_rights);
    g_test_add_func("/api/http/curl", test_curl);
    g_test_add_func("/api/http/schemas", test_schemas);
    g_test_add_func("/api/http/vmm-shutdown", test_vmm_shutdown);
    return g_test_run();
}

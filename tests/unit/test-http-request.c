/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the REST API's request parser, router and response formatting (on buffers). */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <http_parser.h>
#include <json-glib/json-glib.h>

#include "daemon/api-request.h"
#include "daemon/api-response.h"
#include "daemon/api-router.h"

static ApiRequestParser *
parse_all(const char *text, GError **error)
{
    ApiRequestParser *p = api_request_parser_new(API_REQUEST_MAX_BODY);

    api_request_parser_feed(p, text, strlen(text), error);
    return p;
}

static void
test_get_simple(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ApiRequestParser) p =
        parse_all("GET /api/v1/vm.info HTTP/1.1\r\nHost: localhost\r\n\r\n",
                  &error);
    g_autoptr(ApiRequest) req = NULL;

    g_assert_no_error(error);
    req = api_request_parser_pop(p);
    g_assert_nonnull(req);
    g_assert_cmpint(req->method, ==, HTTP_GET);
    g_assert_cmpstr(req->method_name, ==, "GET");
    g_assert_cmpstr(req->path, ==, "/api/v1/vm.info");
    g_assert_null(req->body);
    g_assert_true(req->keep_alive);
    g_assert_false(req->http10);
    g_assert_null(api_request_parser_pop(p));
    g_assert_false(api_request_parser_done(p));
}

/* The same stream, fed one byte at a time, gives the same requests. */
static void
test_byte_by_byte(void)
{
    static const char text[] =
        "PUT /api/v1/vm.create HTTP/1.1\r\nContent-Length: 13\r\n\r\n"
        "{\"cpus\": {}}\n"
        "GET /api/v1/vmm.ping HTTP/1.1\r\n\r\n";
    g_autoptr(ApiRequestParser) p = api_request_parser_new(1024);
    g_autoptr(ApiRequest) a = NULL;
    g_autoptr(ApiRequest) b = NULL;
    gsize len;

    for (gsize i = 0; i < sizeof(text) - 1; i++)
        g_assert_true(api_request_parser_feed(p, text + i, 1, NULL));
    g_assert_cmpuint(api_request_parser_queued(p), ==, 2);
    a = api_request_parser_pop(p);
    b = api_request_parser_pop(p);
    g_assert_cmpstr(a->path, ==, "/api/v1/vm.create");
    g_assert_cmpint(a->method, ==, HTTP_PUT);
    g_assert_nonnull(a->body);
    g_assert_cmpmem(g_bytes_get_data(a->body, &len), len, "{\"cpus\": {}}\n",
                    13);
    g_assert_cmpstr(b->path, ==, "/api/v1/vmm.ping");
}

static void
test_chunked_body(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ApiRequestParser) p = parse_all(
        "PUT /api/v1/vm.create HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        "4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n", &error);
    g_autoptr(ApiRequest) req = NULL;
    gsize len;

    g_assert_no_error(error);
    req = api_request_parser_pop(p);
    g_assert_nonnull(req);
    g_assert_cmpmem(g_bytes_get_data(req->body, &len), len, "{\"a\":1}", 7);
}

/* An empty body is no body, as for CH (which refuses bodies on actions). */
static void
test_empty_body(void)
{
    g_autoptr(ApiRequestParser) p = parse_all(
        "PUT /api/v1/vm.boot HTTP/1.1\r\nContent-Length: 0\r\n\r\n", NULL);
    g_autoptr(ApiRequest) req = api_request_parser_pop(p);

    g_assert_nonnull(req);
    g_assert_null(req->body);
}

static void
test_keep_alive_rules(void)
{
    g_autoptr(ApiRequestParser) p = NULL;
    g_autoptr(ApiRequest) req = NULL;

    /* HTTP/1.0 closes unless asked otherwise (RFC 7230 §6.3). */
    p = parse_all("GET /api/v1/vm.info HTTP/1.0\r\n\r\n", NULL);
    req = api_request_parser_pop(p);
    g_assert_true(req->http10);
    g_assert_false(req->keep_alive);
    g_assert_true(api_request_parser_done(p));
    g_clear_pointer(&req, api_request_free);
    g_clear_pointer(&p, api_request_parser_free);

    p = parse_all("GET /api/v1/vm.info HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                  NULL);
    req = api_request_parser_pop(p);
    g_assert_true(req->keep_alive);
    g_clear_pointer(&req, api_request_free);
    g_clear_pointer(&p, api_request_parser_free);

    /* Nothing after "Connection: close" is parsed, not even garbage. */
    p = parse_all("GET /api/v1/vm.info HTTP/1.1\r\nConnection: close\r\n\r\n"
                  "GET /api/v1/vm.info HTTP/1.1\r\n\r\n\x01\x02", NULL);
    req = api_request_parser_pop(p);
    g_assert_false(req->keep_alive);
    g_assert_null(api_request_parser_pop(p));
    g_assert_true(api_request_parser_done(p));
    g_assert_true(api_request_parser_feed(p, "junk", 4, NULL));
}

static void
test_absolute_target(void)
{
    g_autoptr(ApiRequestParser) p = parse_all(
        "GET http://localhost/api/v1/vm.info?x=1#y HTTP/1.1\r\n\r\n", NULL);
    g_autoptr(ApiRequest) req = api_request_parser_pop(p);

    g_assert_cmpstr(req->path, ==, "/api/v1/vm.info");
}

static void
test_malformed(void)
{
    static const char *const bad[] = {
        "GARBAGE\r\n\r\n",
        "GET /api/v1/vm.info HTTP/9.9\r\n\r\n",
        "GET /api/v1/vm.info HTTP/1.1\r\nBad Header\r\n\r\n",
        "PUT /api/v1/vm.create HTTP/1.1\r\nContent-Length: 5\r\n"
        "Content-Length: 6\r\n\r\nhello!",
        "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET /api/v1/vm.info HTTP/1.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\n\r\n",
    };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GError) again = NULL;
        g_autoptr(ApiRequestParser) p = parse_all(bad[i], &error);

        g_test_message("input %u", i);
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        g_assert_null(api_request_parser_pop(p));
        g_assert_true(api_request_parser_done(p));
        /* Sticky: the stream cannot be resynchronised. */
        g_assert_false(api_request_parser_feed(p, "GET / HTTP/1.1\r\n\r\n", 18,
                                               &again));
        g_assert_error(again, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

static void
test_url_too_long(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_strnfill(API_REQUEST_MAX_URL + 10, 'a');
    g_autofree char *text = g_strdup_printf("GET /%s HTTP/1.1\r\n\r\n", path);
    g_autoptr(ApiRequestParser) p = parse_all(text, &error);

    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "request target"));
}

static void
test_body_limit(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ApiRequestParser) p = NULL;
    g_autofree char *big = g_strnfill(40, 'x');
    g_autofree char *text = NULL;

    /* Refused on the header, before any body byte. */
    p = parse_all("PUT /api/v1/vm.create HTTP/1.1\r\nContent-Length: 4194305\r\n\r\n",
                  &error);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
    g_assert_nonnull(strstr(error->message, "4194305"));
    g_assert_nonnull(strstr(error->message, "4194304"));
    g_clear_error(&error);
    g_clear_pointer(&p, api_request_parser_free);

    /* Exactly the limit is fine. */
    p = api_request_parser_new(40);
    text = g_strdup_printf("PUT /x HTTP/1.1\r\nContent-Length: 40\r\n\r\n%s", big);
    g_assert_true(api_request_parser_feed(p, text, strlen(text), NULL));
    g_assert_cmpuint(api_request_parser_queued(p), ==, 1);
    g_clear_pointer(&p, api_request_parser_free);
    g_clear_pointer(&text, g_free);

    /* Chunked bodies are counted as they come. */
    p = api_request_parser_new(40);
    text = g_strdup_printf("PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "28\r\n%s\r\n1\r\ny\r\n0\r\n\r\n", big);
    g_assert_false(api_request_parser_feed(p, text, strlen(text), &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
}

static void
test_expect_continue(void)
{
    g_autoptr(ApiRequestParser) p = api_request_parser_new(1024);
    static const char head[] = "PUT /api/v1/vm.create HTTP/1.1\r\n"
                               "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n";

    g_assert_true(api_request_parser_feed(p, head, strlen(head), NULL));
    g_assert_true(api_request_parser_in_request(p));
    g_assert_true(api_request_parser_take_continue(p));
    g_assert_false(api_request_parser_take_continue(p));
    g_assert_true(api_request_parser_feed(p, "{}", 2, NULL));
    g_assert_false(api_request_parser_in_request(p));
    g_assert_cmpuint(api_request_parser_queued(p), ==, 1);
}

static int
open_null(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    return fd;
}

static bool
fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

/* Descriptors belong to the request holding the last byte of the read that
 * brought them (the kernel ends a read at a message with descriptors). */
static void
test_fds_attribution(void)
{
    g_autoptr(ApiRequestParser) p = api_request_parser_new(1024);
    static const char one[] = "PUT /api/v1/vm.create HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
    int fds[3] = { open_null(), open_null(), open_null() };
    g_autoptr(ApiRequest) a = NULL;
    g_autoptr(ApiRequest) b = NULL;
    g_autoptr(GArray) stolen = NULL;
    int spare;

    /* Partial request: the fds go to it. */
    g_assert_true(api_request_parser_feed(p, one, 20, NULL));
    g_assert_true(api_request_parser_add_fds(p, fds, 1, NULL));
    g_assert_true(api_request_parser_feed(p, one + 20, strlen(one) - 20, NULL));
    /* Complete request plus the start of none: the last completed one. */
    g_assert_true(api_request_parser_feed(p, one, strlen(one), NULL));
    g_assert_true(api_request_parser_add_fds(p, fds + 1, 2, NULL));
    a = api_request_parser_pop(p);
    b = api_request_parser_pop(p);
    g_assert_cmpuint(a->fds->len, ==, 1);
    g_assert_cmpint(g_array_index(a->fds, int, 0), ==, fds[0]);
    g_assert_cmpuint(b->fds->len, ==, 2);
    g_assert_cmpint(g_array_index(b->fds, int, 1), ==, fds[2]);

    /* Stolen fds stay open; freed requests close theirs. */
    stolen = api_request_steal_fds(a);
    g_clear_pointer(&a, api_request_free);
    g_assert_true(fd_is_open(fds[0]));
    close(fds[0]);
    g_clear_pointer(&b, api_request_free);
    g_assert_false(fd_is_open(fds[1]));
    g_assert_false(fd_is_open(fds[2]));

    /* With no request to own them they are closed. */
    spare = open_null();
    g_assert_true(api_request_parser_add_fds(p, &spare, 1, NULL));
    g_assert_false(fd_is_open(spare));
}

static void
test_fds_limit(void)
{
    g_autoptr(ApiRequestParser) p = api_request_parser_new(1024);
    g_autoptr(GError) error = NULL;
    int fds[API_REQUEST_MAX_FDS + 1];

    for (guint i = 0; i < G_N_ELEMENTS(fds); i++)
        fds[i] = open_null();
    g_assert_true(api_request_parser_feed(p, "PUT /x HTTP/1.1\r\n", 17, NULL));
    g_assert_false(api_request_parser_add_fds(p, fds, G_N_ELEMENTS(fds),
                                              &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    for (guint i = 0; i < G_N_ELEMENTS(fds); i++)
        g_assert_false(fd_is_open(fds[i]));
}

static ApiRequest *
request_of(const char *text)
{
    g_autoptr(ApiRequestParser) p = parse_all(text, NULL);

    return api_request_parser_pop(p);
}

static char *
first_error(const ApiResult *r)
{
    return g_strdup(g_ptr_array_index(r->errors, 0));
}

static void
test_route(void)
{
    static const struct {
        const char *text;
        int action;          /* -1: refused */
        guint status;
        const char *first;
    } cases[] = {
        { "GET /api/v1/vm.info HTTP/1.1\r\n\r\n", API_ACTION_VM_INFO, 0, NULL },
        { "PUT /api/v1/vm.boot HTTP/1.1\r\n\r\n", API_ACTION_VM_BOOT, 0, NULL },
        { "PUT /api/v1/vm.add-disk HTTP/1.1\r\n\r\n", API_ACTION_VM_ADD_DISK,
          0, NULL },
        { "GET /api/v1/vm.nope HTTP/1.1\r\n\r\n", -1, 404, "Not Found" },
        { "GET /vm.info HTTP/1.1\r\n\r\n", -1, 404, "Not Found" },
        { "GET /api/v1/ HTTP/1.1\r\n\r\n", -1, 404, "Not Found" },
        { "GET /api/v2/vm.info HTTP/1.1\r\n\r\n", -1, 404, "Not Found" },
        { "GET * HTTP/1.1\r\n\r\n", -1, 404, "Not Found" },
        /* CH: the path first, then the method; PUT/GET only. */
        { "POST /api/v1/vm.boot HTTP/1.1\r\n\r\n", -1, 400, "Bad Request" },
        { "DELETE /api/v1/nope HTTP/1.1\r\n\r\n", -1, 404, "Not Found" },
        { "HEAD /api/v1/vm.info HTTP/1.1\r\n\r\n", -1, 400, "Bad Request" },
        { "GET /api/v1/vm.boot HTTP/1.1\r\n\r\n", -1, 400, "Bad Request" },
        { "PUT /api/v1/vm.info HTTP/1.1\r\n\r\n", -1, 400, "Bad Request" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(ApiRequest) req = request_of(cases[i].text);
        ApiResult r = { 0 };
        ApiAction action = API_ACTION_LAST;
        bool ok;

        g_test_message("case %u", i);
        ok = api_router_route(req, &action, &r);
        if (cases[i].action >= 0) {
            g_assert_true(ok);
            g_assert_cmpint(action, ==, cases[i].action);
            g_assert_null(r.errors);
        } else {
            g_autofree char *first = NULL;

            g_assert_false(ok);
            g_assert_cmpuint(r.status, ==, cases[i].status);
            first = first_error(&r);
            g_assert_cmpstr(first, ==, cases[i].first);
            g_assert_cmpuint(r.errors->len, ==, 2);
        }
        api_result_clear(&r);
    }
}

/* Every endpoint of the reference maps to an action and back. */
static void
test_action_table(void)
{
    static const char *const endpoints[] = {
        "vmm.ping", "vmm.shutdown", "vm.create", "vm.delete", "vm.boot",
        "vm.shutdown", "vm.reboot", "vm.power-button", "vm.pause",
        "vm.resume", "vm.info", "vm.counters", "vm.resize", "vm.resize-zone",
        "vm.resize-disk", "vm.add-device", "vm.add-disk", "vm.add-fs",
        "vm.add-generic-vhost-user", "vm.add-net", "vm.add-pmem",
        "vm.add-vsock", "vm.add-vdpa", "vm.add-user-device",
        "vm.remove-device", "vm.snapshot", "vm.coredump", "vm.restore",
        "vm.nmi", "vm.send-migration", "vm.receive-migration",
        "vm.nimbus-update-rate-limiter", "vm.nimbus-cancel-migration",
    };
    guint n_dbus = 0;

    g_assert_cmpuint(G_N_ELEMENTS(endpoints), ==, API_ACTION_LAST);
    for (guint i = 0; i < G_N_ELEMENTS(endpoints); i++) {
        int a = api_action_from_endpoint(endpoints[i]);
        const ApiActionInfo *info;

        g_assert_cmpint(a, >=, 0);
        info = api_action_info(a);
        g_assert_cmpstr(info->endpoint, ==, endpoints[i]);
        if (info->dbus_method) {
            g_assert_cmpint(api_action_from_dbus_method(info->dbus_method), ==, a);
            n_dbus++;
        }
        /* Only the inspection endpoints are GET. */
        g_assert_true(info->get == (g_str_equal(endpoints[i], "vmm.ping") ||
                                    g_str_equal(endpoints[i], "vm.info") ||
                                    g_str_equal(endpoints[i], "vm.counters")));
    }
    /* CH leaves vm.resize-disk and vm.nmi off D-Bus; nimbus's own
     * vm.nimbus-update-rate-limiter and vm.nimbus-cancel-migration are not
     * on CH's interface either. */
    g_assert_cmpuint(n_dbus, ==, API_ACTION_LAST - 4);
    g_assert_cmpint(api_action_from_endpoint("vm.nope"), ==, -1);
    g_assert_cmpint(api_action_from_dbus_method("VmNmi"), ==, -1);
}

static char *
bytes_str(GBytes *b)
{
    gsize len;
    const char *d = g_bytes_get_data(b, &len);

    return g_strndup(d, len);
}

static void
test_response_format(void)
{
    g_autoptr(GBytes) b = NULL;
    g_autofree char *s = NULL;

    b = api_response_format(200, "{\"a\":1}", false, false);
    s = bytes_str(b);
    g_assert_cmpstr(s, ==, "HTTP/1.1 200 OK\r\nServer: Cloud Hypervisor API\r\n"
                           "Content-Type: application/json\r\n"
                           "Content-Length: 7\r\n\r\n{\"a\":1}");
    g_clear_pointer(&b, g_bytes_unref);
    g_clear_pointer(&s, g_free);

    /* RFC 7230 §3.3.2: 204 carries no Content-Length. */
    b = api_response_format(204, NULL, true, false);
    s = bytes_str(b);
    g_assert_cmpstr(s, ==, "HTTP/1.1 204 No Content\r\n"
                           "Server: Cloud Hypervisor API\r\n"
                           "Content-Type: application/json\r\n"
                           "Connection: close\r\n\r\n");
    g_clear_pointer(&b, g_bytes_unref);
    g_clear_pointer(&s, g_free);

    b = api_response_format(404, "[\"x\"]", false, true);
    s = bytes_str(b);
    g_assert_true(g_str_has_suffix(s, "Content-Length: 5\r\n\r\n"));
}

static void
test_error_body(void)
{
    const char *chain[] = { "Error from API", "quote \" and \\ and \n", NULL };
    g_autofree char *body = api_response_error_body(chain);
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonArray *a;

    g_assert_true(json_parser_load_from_data(parser, body, -1, NULL));
    a = json_node_get_array(json_parser_get_root(parser));
    g_assert_cmpuint(json_array_get_length(a), ==, 2);
    g_assert_cmpstr(json_array_get_string_element(a, 1), ==,
                    "quote \" and \\ and \n");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/api/request/get-simple", test_get_simple);
    g_test_add_func("/api/request/byte-by-byte", test_byte_by_byte);
    g_test_add_func("/api/request/chunked-body", test_chunked_body);
    g_test_add_func("/api/request/empty-body", test_empty_body);
    g_test_add_func("/api/request/keep-alive", test_keep_alive_rules);
    g_test_add_func("/api/request/absolute-target", test_absolute_target);
    g_test_add_func("/api/request/malformed", test_malformed);
    g_test_add_func("/api/request/url-too-long", test_url_too_long);
    g_test_add_func("/api/request/body-limit", test_body_limit);
    g_test_add_func("/api/request/expect-continue", test_expect_continue);
    g_test_add_func("/api/request/fds-attribution", test_fds_attribution);
    g_test_add_func("/api/request/fds-limit", test_fds_limit);
    g_test_add_func("/api/router/route", test_route);
    g_test_add_func("/api/router/action-table", test_action_table);
    g_test_add_func("/api/response/format", test_response_format);
    g_test_add_func("/api/response/error-body", test_error_body);
    return g_test_run();
}

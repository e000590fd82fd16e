/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of common/http-client against a scripted server on a UNIX socket. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "common/http-client.h"
#include "tests/testutil.h"

/* One connection's worth of server behaviour. */
typedef struct {
    int listen_fd;
    const char *response;       /* sent verbatim; NULL = never answer */
    size_t response_len;
    GString *request;           /* what the client sent */
    int received_fd;            /* from SCM_RIGHTS, or -1 */
    bool close_early;           /* close right after reading */
} FakeServer;

static int
fake_listen(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    g_assert_cmpint(listen(fd, 4), ==, 0);
    return fd;
}

/* Reads the request head and its Content-Length body. */
static void
fake_read_request(FakeServer *s, int cfd)
{
    char buf[4096];
    char *end;
    size_t want = 0;

    for (;;) {
        char ctl[CMSG_SPACE(sizeof(int) * 4)];
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = ctl, .msg_controllen = sizeof(ctl) };
        struct cmsghdr *c;
        ssize_t n = recvmsg(cfd, &msg, 0);

        if (n <= 0)
            return;
        for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                memcpy(&s->received_fd, CMSG_DATA(c), sizeof(int));
        }
        g_string_append_len(s->request, buf, n);
        end = strstr(s->request->str, "\r\n\r\n");
        if (end) {
            const char *cl = strstr(s->request->str, "Content-Length: ");

            want = (size_t)(end - s->request->str) + 4 +
                   (cl ? strtoul(cl + 16, NULL, 10) : 0);
            if (s->request->len >= want)
                return;
        }
    }
}

static gpointer
fake_server_thread(gpointer data)
{
    FakeServer *s = data;
    int cfd = accept(s->listen_fd, NULL, NULL);

    if (cfd < 0)
        return NULL;
    fake_read_request(s, cfd);
    if (s->close_early) {
        close(cfd);
        return NULL;
    }
    if (s->response) {
        g_assert_cmpint(fd_write_all(cfd, s->response, s->response_len), ==, 0);
    } else {
        /* Never answer: hold the connection until the client gives up. */
        char c;

        while (read(cfd, &c, 1) > 0)
            ;
    }
    close(cfd);
    return NULL;
}

typedef struct {
    char *path;
    FakeServer server;
    GThread *thread;
} Fixture;

static void
fixture_start(Fixture *f, const char *response, bool close_early)
{
    f->path = g_build_filename(test_tmpdir(), "http.sock", NULL);
    unlink(f->path);
    f->server.listen_fd = fake_listen(f->path);
    f->server.response = response;
    f->server.response_len = response ? strlen(response) : 0;
    f->server.request = g_string_new(NULL);
    f->server.received_fd = -1;
    f->server.close_early = close_early;
    f->thread = g_thread_new("fake-http", fake_server_thread, &f->server);
}

static void
fixture_stop(Fixture *f)
{
    if (f->thread)
        g_thread_join(f->thread);
    close(f->server.listen_fd);
    if (f->server.received_fd >= 0)
        close(f->server.received_fd);
    g_string_free(f->server.request, TRUE);
    unlink(f->path);
    g_free(f->path);
}

static void
test_put_204(void)
{
    Fixture f = { 0 };
    g_autoptr(HttpResponse) resp = NULL;
    g_autoptr(GError) error = NULL;
    const char *body = "{\"payload\":{}}";

    fixture_start(&f, "HTTP/1.1 204 No Content\r\nServer: Cloud Hypervisor API\r\n\r\n", false);
    resp = http_client_request(f.path, "PUT", "/api/v1/vm.create", NULL, body,
                               strlen(body), NULL, 0, 5000, &error);
    fixture_stop(&f);
    g_assert_no_error(error);
    g_assert_cmpuint(resp->status, ==, 204);
    g_assert_cmpuint(g_bytes_get_size(resp->body), ==, 0);
}

static void
test_request_format(void)
{
    Fixture f = { 0 };
    g_autoptr(HttpResponse) resp = NULL;
    const char *body = "{\"x\":1}";
    GString *req;

    fixture_start(&f, "HTTP/1.1 204 No Content\r\n\r\n", false);
    resp = http_client_request(f.path, "PUT", "/api/v1/vm.resize", NULL, body,
                               strlen(body), NULL, 0, 5000, NULL);
    req = f.server.request;
    g_assert_nonnull(resp);
    g_assert_true(g_str_has_prefix(req->str, "PUT /api/v1/vm.resize HTTP/1.1\r\n"));
    g_assert_nonnull(strstr(req->str, "\r\nContent-Type: application/json\r\n"));
    g_assert_nonnull(strstr(req->str, "\r\nContent-Length: 7\r\n"));
    g_assert_true(g_str_has_suffix(req->str, "\r\n\r\n{\"x\":1}"));
    fixture_stop(&f);
}

static void
test_get_json(void)
{
    Fixture f = { 0 };
    g_autoptr(HttpResponse) resp = NULL;
    g_autofree char *text = NULL;

    fixture_start(&f, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      "Content-Length: 16\r\n\r\n{\"state\":\"Ok\"}\r\n", false);
    resp = http_client_request(f.path, "GET", "/api/v1/vm.info", NULL, NULL, 0,
                               NULL, 0, 5000, NULL);
    fixture_stop(&f);
    g_assert_nonnull(resp);
    g_assert_cmpuint(resp->status, ==, 200);
    g_assert_cmpstr(resp->content_type, ==, "application/json");
    text = http_response_body_string(resp);
    g_assert_cmpstr(text, ==, "{\"state\":\"Ok\"}\r\n");
}

static void
test_chunked_and_eof_delimited(void)
{
    Fixture f = { 0 };
    g_autoptr(HttpResponse) r1 = NULL;
    g_autoptr(HttpResponse) r2 = NULL;
    g_autofree char *t1 = NULL;
    g_autofree char *t2 = NULL;

    fixture_start(&f, "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5\r\n[\"a\",\r\n5\r\n\"b\"]\n\r\n0\r\n\r\n", false);
    r1 = http_client_request(f.path, "PUT", "/api/v1/vm.boot", NULL, NULL, 0,
                             NULL, 0, 5000, NULL);
    fixture_stop(&f);
    g_assert_nonnull(r1);
    g_assert_cmpuint(r1->status, ==, 500);
    t1 = http_response_body_string(r1);
    g_assert_cmpstr(t1, ==, "[\"a\",\"b\"]\n");

    /* No length at all: the body ends with the connection. */
    fixture_start(&f, "HTTP/1.0 200 OK\r\n\r\nuntil-eof", false);
    r2 = http_client_request(f.path, "GET", "/x", NULL, NULL, 0, NULL, 0, 5000, NULL);
    fixture_stop(&f);
    g_assert_nonnull(r2);
    t2 = http_response_body_string(r2);
    g_assert_cmpstr(t2, ==, "until-eof");
}

static void
test_fd_passing(void)
{
    Fixture f = { 0 };
    g_autoptr(HttpResponse) resp = NULL;
    int pipefd[2];
    char buf[8] = "";

    g_assert_cmpint(pipe(pipefd), ==, 0);
    fixture_start(&f, "HTTP/1.1 204 No Content\r\n\r\n", false);
    resp = http_client_request(f.path, "PUT", "/api/v1/vm.add-net", NULL, "{}", 2,
                               &pipefd[1], 1, 5000, NULL);
    g_thread_join(f.thread);
    f.thread = NULL;
    g_assert_nonnull(resp);
    /* The server got a working duplicate of the pipe's write end. */
    g_assert_cmpint(f.server.received_fd, >=, 0);
    g_assert_cmpint(write(f.server.received_fd, "fd!", 3), ==, 3);
    g_assert_cmpint(read(pipefd[0], buf, sizeof(buf)), ==, 3);
    g_assert_cmpstr(buf, ==, "fd!");
    close(pipefd[0]);
    close(pipefd[1]);
    fixture_stop(&f);
}

static void
test_errors(void)
{
    Fixture f = { 0 };
    g_autoptr(GError) error = NULL;
    g_autofree char *missing = g_build_filename(test_tmpdir(), "missing.sock", NULL);
    HttpResponse *resp;

    resp = http_client_request(missing, "GET", "/", NULL, NULL, 0, NULL, 0, 1000, &error);
    g_assert_null(resp);
    g_assert_nonnull(error);
    g_clear_error(&error);

    /* A server that never answers: the timeout fires. */
    fixture_start(&f, NULL, false);
    resp = http_client_request(f.path, "GET", "/", NULL, NULL, 0, NULL, 0, 200, &error);
    g_assert_null(resp);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
    g_clear_error(&error);
    fixture_stop(&f);   /* the client hung up: the server's read ends */

    /* Hangs up without answering. */
    fixture_start(&f, NULL, true);
    resp = http_client_request(f.path, "GET", "/", NULL, NULL, 0, NULL, 0, 5000, &error);
    fixture_stop(&f);
    g_assert_null(resp);
    g_assert_nonnull(error);
    g_clear_error(&error);

    /* Not HTTP. */
    fixture_start(&f, "SSH-2.0-OpenSSH\r\n", false);
    resp = http_client_request(f.path, "GET", "/", NULL, NULL, 0, NULL, 0, 5000, &error);
    fixture_stop(&f);
    g_assert_null(resp);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rpc/http-client/put-204", test_put_204);
    g_test_add_func("/rpc/http-client/request-format", test_request_format);
    g_test_add_func("/rpc/http-client/get-json", test_get_json);
    g_test_add_func("/rpc/http-client/chunked-and-eof", test_chunked_and_eof_delimited);
    g_test_add_func("/rpc/http-client/fd-passing", test_fd_passing);
    g_test_add_func("/rpc/http-client/errors", test_errors);
    return g_test_run();
}

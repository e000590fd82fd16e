/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the REST server under load and of its socket: 50 clients, backpressure, lock file, fd=N. */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/testutil.h"
#include "tests/unit/test-api-util.h"

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

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/api/http/concurrent-clients", test_concurrent_clients);
    g_test_add_func("/api/http/backpressure", test_backpressure);
    g_test_add_func("/api/http/socket-lock", test_socket_lock);
    g_test_add_func("/api/http/socket-fd", test_socket_fd);
    return g_test_run();
}

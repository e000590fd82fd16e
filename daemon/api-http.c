/* SPDX-License-Identifier: Apache-2.0 */
/* The REST API server: --api-socket (lock file, stale socket), the http-server thread, accept. */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib-unix.h>

#include "common/fd-util.h"
#include "common/thread-role.h"
#include "daemon/api-http-priv.h"
#include "daemon/api-response.h"
#include "daemon/landlock.h"

#define READ_BUFFER_SIZE (64 * 1024)
/* How long a stopping server keeps trying to deliver queued answers (the
 * vmm.shutdown reply in particular: CH flushes it too). */
#define STOP_FLUSH_US (G_USEC_PER_SEC)

static bool io_error(GError **error, int errsv, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* "<what>: <strerror>", with the errno mapped to a GIOErrorEnum. */
static bool
io_error(GError **error, int errsv, const char *fmt, ...)
{
    g_autofree char *what = NULL;
    va_list ap;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "%s: %s",
                what, g_strerror(errsv));
    return false;
}

/*
 * CH's scheme: "<path>.lock" is flock()ed for as long as the server lives.
 * Holding it proves that a socket left at @path is stale (its owner died
 * without removing it) and may be replaced; failing to take it means a live
 * VMM serves @path.  The lock file itself stays: removing it would let two
 * processes lock two different files for the same path.
 */
static int
lock_socket_path(const char *path, GError **error)
{
    g_autofree char *lock_path = g_strdup_printf("%s.lock", path);
    int fd = open(lock_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0) {
        io_error(error, errno, "--api-socket: cannot open the lock file '%s'",
                 lock_path);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;

        close(fd);
        if (e == EWOULDBLOCK) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                        "--api-socket: '%s' is in use by another process "
                        "(it holds '%s')", path, lock_path);
        } else {
            io_error(error, e, "--api-socket: cannot lock '%s'", lock_path);
        }
        return -1;
    }
    return fd;
}

static int
bind_socket_path(const char *path, GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    g_autofd_t fd = -1;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "--api-socket: path '%s' is longer than %zu bytes", path,
                    sizeof(sa.sun_path) - 1);
        return -1;
    }
    strcpy(sa.sun_path, path);
    /* We hold the lock: a socket here is stale.  Anything else is not ours
     * to delete. */
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                        "--api-socket: '%s' exists and is not a socket", path);
            return -1;
        }
        if (unlink(path) < 0) {
            io_error(error, errno, "--api-socket: cannot remove the stale "
                     "socket '%s'", path);
            return -1;
        }
        g_info("replaced the stale API socket '%s'", path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        io_error(error, errno, "--api-socket: cannot create a socket");
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        io_error(error, errno, "--api-socket: cannot bind '%s'", path);
        return -1;
    }
    if (listen(fd, SOMAXCONN) < 0) {
        io_error(error, errno, "--api-socket: cannot listen on '%s'", path);
        unlink(path);
        return -1;
    }
    return g_steal_fd(&fd);
}

/* --api-socket fd=N: a UNIX stream socket, bound by our parent (libvirt). */
static bool
adopt_listen_fd(int fd, GError **error)
{
    int type = 0, domain = 0, listening = 0;
    socklen_t len = sizeof(int);

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "--api-socket: fd=%d is not a socket: %s", fd,
                    g_strerror(errno));
        return false;
    }
    len = sizeof(int);
    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
    if (type != SOCK_STREAM || domain != AF_UNIX) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "--api-socket: fd=%d is not a UNIX stream socket", fd);
        return false;
    }
    len = sizeof(int);
    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
    if (!listening && listen(fd, SOMAXCONN) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "--api-socket: cannot listen on fd=%d: %s", fd,
                    g_strerror(errno));
        return false;
    }
    fd_set_nonblock(fd, true);
    fd_set_cloexec(fd, true);
    return true;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data);

static void
listen_start(ApiHttp *api)
{
    api->listen_source = g_unix_fd_source_new(api->listen_fd, G_IO_IN);
    g_source_set_callback(api->listen_source, G_SOURCE_FUNC(on_accept), api,
                          NULL);
    g_source_attach(api->listen_source, api->context);
}

static gboolean
on_accept_retry(gpointer data)
{
    ApiHttp *api = data;

    g_clear_pointer(&api->accept_retry, g_source_unref);
    listen_start(api);
    /* Confined with the VMM thread when a config asks for Landlock. */
    landlock_watch_context(api->context);
    return G_SOURCE_REMOVE;
}

static void
refuse_full(int fd)
{
    const char *chain[] = { "Service Unavailable", "too many open connections",
                            NULL };
    g_autofree char *body = api_response_error_body(chain);
    g_autoptr(GBytes) resp = api_response_format(503, body, true, false);
    gsize len;
    const char *data = g_bytes_get_data(resp, &len);

    /* Best effort: the socket buffer of a new connection has room. */
    if (send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        g_debug("cannot refuse a connection: %s", g_strerror(errno));
    close(fd);
}

static gboolean
on_accept(gint lfd, GIOCondition cond, gpointer data)
{
    ApiHttp *api = data;

    for (int i = 0; i < 64; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN)
                break;
            /* Out of descriptors: stop listening for a moment instead of
             * spinning on a readable listener. */
            g_warning("API socket: accept failed: %s", g_strerror(errno));
            g_source_destroy(api->listen_source);
            g_clear_pointer(&api->listen_source, g_source_unref);
            api->accept_retry = g_timeout_source_new(100);
            g_source_set_callback(api->accept_retry, on_accept_retry, api, NULL);
            g_source_attach(api->accept_retry, api->context);
            return G_SOURCE_REMOVE;
        }
        if (g_hash_table_size(api->conns) >= API_HTTP_MAX_CONNECTIONS) {
            refuse_full(fd);
            continue;
        }
        api_http_conn_new(api, fd);
    }
    return G_SOURCE_CONTINUE;
}

/* Runs last on a stopping server: answers already queued are written. */
static gboolean
on_stop(gpointer data)
{
    ApiHttp *api = data;
    gint64 deadline = g_get_monotonic_time() + STOP_FLUSH_US;
    g_autoptr(GList) conns = g_hash_table_get_keys(api->conns);

    for (GList *l = conns; l; l = l->next)
        api_http_conn_flush_until(l->data, deadline);
    g_main_loop_quit(api->loop);
    return G_SOURCE_REMOVE;
}

static gpointer
http_thread(gpointer data)
{
    ApiHttp *api = data;
    g_autoptr(GList) conns = NULL;

    g_main_context_push_thread_default(api->context);
    g_main_loop_run(api->loop);
    conns = g_hash_table_get_keys(api->conns);
    for (GList *l = conns; l; l = l->next)
        api_http_conn_close(l->data);
    if (api->listen_source)
        g_source_destroy(api->listen_source);
    g_clear_pointer(&api->listen_source, g_source_unref);
    if (api->accept_retry)
        g_source_destroy(api->accept_retry);
    g_clear_pointer(&api->accept_retry, g_source_unref);
    g_main_context_pop_thread_default(api->context);
    return NULL;
}

ApiHttp *
api_http_new(Vmm *vmm, GMainContext *context, const char *path, int fd,
             GError **error)
{
    g_autoptr(ApiHttp) api = g_new0(ApiHttp, 1);

    api->listen_fd = -1;
    api->lock_fd = -1;
    if (path) {
        if ((api->lock_fd = lock_socket_path(path, error)) < 0 ||
            (api->listen_fd = bind_socket_path(path, error)) < 0)
            return NULL;
        api->path = g_strdup(path);
    } else {
        /* Owned from here, even on failure (the option gave it to us). */
        api->listen_fd = fd;
        if (!adopt_listen_fd(fd, error))
            return NULL;
    }
    api->vmm = vmm;
    api->exec = api_executor_new(vmm, context);
    api->context = g_main_context_new();
    api->loop = g_main_loop_new(api->context, FALSE);
    api->conns = g_hash_table_new(NULL, NULL);
    api->rbuf_size = READ_BUFFER_SIZE;
    api->rbuf = g_malloc(api->rbuf_size);
    api->request_timeout_ms = API_HTTP_REQUEST_TIMEOUT_MS;
    api->idle_timeout_ms = API_HTTP_IDLE_TIMEOUT_MS;
    listen_start(api);
    /* libvirt classifies the VMM's threads by these names. */
    api->thread = thread_role_new(THREAD_ROLE_HTTP_API, "http-server",
                                  http_thread, api, error);
    if (!api->thread)
        return NULL;
    return g_steal_pointer(&api);
}

void
api_http_set_timeouts(ApiHttp *api, guint request_ms, guint idle_ms)
{
    g_atomic_int_set(&api->request_timeout_ms, request_ms);
    g_atomic_int_set(&api->idle_timeout_ms, idle_ms);
}

void
api_http_free(ApiHttp *api)
{
    if (!api)
        return;
    if (api->thread) {
        GSource *stop = g_idle_source_new();

        /* Lowest priority: the VMM's answers already queued on the
         * context (vmm.shutdown's) are dispatched and written first. */
        g_source_set_priority(stop, G_PRIORITY_LOW);
        g_source_set_callback(stop, on_stop, api, NULL);
        g_source_attach(stop, api->context);
        g_source_unref(stop);
        g_thread_join(g_steal_pointer(&api->thread));
    }
    /* No thread submits any more: drop the calls the VMM did not run. */
    g_clear_pointer(&api->exec, api_executor_free);
    if (api->listen_source)
        g_source_destroy(api->listen_source);
    g_clear_pointer(&api->listen_source, g_source_unref);
    g_clear_pointer(&api->conns, g_hash_table_unref);
    g_clear_pointer(&api->loop, g_main_loop_unref);
    /* Destroys the answers never delivered, releasing their connections. */
    g_clear_pointer(&api->context, g_main_context_unref);
    if (api->listen_fd >= 0)
        close(api->listen_fd);
    if (api->path)
        unlink(api->path);
    if (api->lock_fd >= 0)
        close(api->lock_fd);
    g_free(api->path);
    g_free(api->rbuf);
    g_free(api);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The RPC server: UNIX listeners, clients, the worker pool. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib-unix.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "driver/rpc/rpc-priv.h"

typedef struct {
    RpcServer *server;
    char *path;
    int fd;
    bool readonly;
    guint watch;
    guint pause_timer;      /* set while accepting is paused (out of fds) */
} RpcListener;

/* How long a listener stops accepting when the process is out of fds. */
#define RPC_LISTENER_PAUSE_MS 100

static void
rpc_listener_free(RpcListener *l)
{
    if (l->watch)
        g_source_remove(l->watch);
    if (l->pause_timer)
        g_source_remove(l->pause_timer);
    if (l->fd >= 0) {
        fd_close(l->fd);
        unlink(l->path);
    }
    g_free(l->path);
    g_free(l);
}

RpcServer *
rpc_server_new(const RpcProgram *program, gpointer program_data,
               unsigned int max_workers, GError **error)
{
    g_autoptr(RpcServer) server = g_new0(RpcServer, 1);

    /* bsearch in rpc_program_lookup() needs a sorted table. */
    for (size_t i = 1; i < program->n_procs; i++)
        g_assert(program->procs[i - 1].proc < program->procs[i].proc);

    server->program = program;
    server->program_data = program_data;
    server->context = g_main_context_ref(g_main_context_default());
    server->listeners = g_ptr_array_new_with_free_func((GDestroyNotify)rpc_listener_free);
    server->clients = g_ptr_array_new_with_free_func((GDestroyNotify)rpc_client_unref);
    g_mutex_init(&server->lock);
    server->workers = g_thread_pool_new(rpc_dispatch_worker, server,
                                        (gint)max_workers, FALSE, error);
    if (!server->workers)
        return NULL;
    return g_steal_pointer(&server);
}

static gboolean rpc_server_accept(gint fd, GIOCondition cond, gpointer data);

static gboolean
rpc_listener_resume(gpointer data)
{
    RpcListener *l = data;

    l->pause_timer = 0;
    l->watch = g_unix_fd_add(l->fd, G_IO_IN, rpc_server_accept, l);
    return G_SOURCE_REMOVE;
}

/* Out of fds: the pending connection stays in the backlog and the socket
 * stays readable, so polling it now would spin.  Stop watching it for a
 * while; connections close meanwhile and free fds. */
static void
rpc_listener_pause(RpcListener *l)
{
    if (!l->watch)
        return;
    g_warning("accept on '%s': out of file descriptors; pausing %u ms",
              l->path, RPC_LISTENER_PAUSE_MS);
    g_source_remove(l->watch);
    l->watch = 0;
    l->pause_timer = g_timeout_add(RPC_LISTENER_PAUSE_MS, rpc_listener_resume, l);
}

/* Takes one pending connection off @l.  Returns false when there is none
 * left (or accept failed), true to try again. */
static bool
rpc_server_accept_one(RpcListener *l)
{
    RpcServer *server = l->server;
    struct ucred cred = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
    socklen_t clen = sizeof(cred);
    RpcClient *client;
    unsigned int limit;
    bool full;
    int cfd;

    cfd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (cfd < 0) {
        if (errno == EINTR)
            return true;
        if (errno == EMFILE || errno == ENFILE)
            rpc_listener_pause(l);
        else if (errno != EAGAIN)
            g_warning("accept on '%s' failed: %s", l->path, g_strerror(errno));
        return false;
    }
    if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
        g_warning("cannot read the peer credentials on '%s': %s", l->path,
                  g_strerror(errno));
        fd_close(cfd);
        return true;
    }
    /* The read-write socket is 0600, but a copy of its fd, a bind mount or
     * a relaxed mode must not widen access: only root and our own user
     * may change state (reference §3: access by socket permissions and
     * SO_PEERCRED). */
    if (!l->readonly && cred.uid != 0 && cred.uid != geteuid()) {
        g_message("refusing uid %u (pid %d) on read-write socket '%s'",
                  (unsigned)cred.uid, (int)cred.pid, l->path);
        fd_close(cfd);
        return true;
    }

    /* Each kind of socket has its own cap, so -ro clients (any local
     * user) cannot use up the read-write clients' slots. */
    if (l->readonly)
        limit = RPC_SERVER_MAX_RO_CLIENTS;
    else
        limit = RPC_SERVER_MAX_CLIENTS + (cred.uid == 0 ? RPC_SERVER_ROOT_RESERVE : 0);
    g_mutex_lock(&server->lock);
    full = server->shutting_down ||
           (l->readonly ? server->n_ro_clients
                        : server->clients->len - server->n_ro_clients) >= limit;
    g_mutex_unlock(&server->lock);
    if (full) {
        g_message("too many clients on '%s': refusing pid %d", l->path,
                  (int)cred.pid);
        fd_close(cfd);
        return true;
    }

    client = rpc_client_new(server, cfd, l->readonly, cred.uid, cred.pid);
    if (server->program->client_data_new)
        rpc_client_set_data(client,
                            server->program->client_data_new(client, server->program_data),
                            server->program->client_data_free);
    g_debug("client pid %d uid %u connected on '%s'%s", (int)cred.pid,
            (unsigned)cred.uid, l->path, l->readonly ? " (read-only)" : "");
    g_mutex_lock(&server->lock);
    g_ptr_array_add(server->clients, client);
    if (l->readonly)
        server->n_ro_clients++;
    g_mutex_unlock(&server->lock);
    return true;
}

/* A burst of connections per wake-up, not one: 10,000 connects took 88 s
 * when each cost a main-loop iteration.  Bounded, so that a connect storm
 * cannot starve the clients already there. */
static gboolean
rpc_server_accept(gint fd, GIOCondition cond, gpointer data)
{
    RpcListener *l = data;

    for (unsigned int i = 0; i < RPC_SERVER_ACCEPT_BURST; i++) {
        if (!rpc_server_accept_one(l))
            break;
    }
    return G_SOURCE_CONTINUE;
}

/* True when a server answers on @path (a live daemon owns it). */
static bool
rpc_socket_in_use(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_autofd_t fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return false;
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    return connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
}

bool
rpc_server_listen_unix(RpcServer *server, const char *path, unsigned int mode,
                       bool readonly, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_autofd_t fd = -1;
    RpcListener *l;
    mode_t old_mask;
    int r;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                    "socket path '%s' is too long (at most %zu bytes)", path,
                    sizeof(addr.sun_path) - 1);
        return false;
    }
    strcpy(addr.sun_path, path);
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        if (rpc_socket_in_use(path)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                        "another daemon is already listening on '%s'", path);
            return false;
        }
        unlink(path);   /* stale socket of a daemon that died */
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create a UNIX socket: %s", g_strerror(errno));
        return false;
    }
    /* bind() creates the file with the umask applied: restrict it from the
     * start so that no client connects during a wider window. */
    old_mask = umask(0777 & ~mode);
    r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old_mask);
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot bind '%s': %s", path, g_strerror(errno));
        return false;
    }
    if (chmod(path, mode) < 0 || listen(fd, 128) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot listen on '%s': %s", path, g_strerror(errno));
        unlink(path);
        return false;
    }

    l = g_new0(RpcListener, 1);
    l->server = server;
    l->path = g_strdup(path);
    l->readonly = readonly;
    l->fd = fd;
    fd = -1;
    l->watch = g_unix_fd_add(l->fd, G_IO_IN, rpc_server_accept, l);
    g_ptr_array_add(server->listeners, l);
    g_debug("listening on '%s'%s", path, readonly ? " (read-only)" : "");
    return true;
}

unsigned int
rpc_server_n_clients(RpcServer *server)
{
    unsigned int n;

    g_mutex_lock(&server->lock);
    n = server->clients->len;
    g_mutex_unlock(&server->lock);
    return n;
}

void
rpc_server_foreach_client(RpcServer *server,
                          void (*fn)(RpcClient *client, gpointer data),
                          gpointer data)
{
    g_mutex_lock(&server->lock);
    for (guint i = 0; i < server->clients->len; i++)
        fn(g_ptr_array_index(server->clients, i), data);
    g_mutex_unlock(&server->lock);
}

void
rpc_server_remove_client(RpcServer *server, RpcClient *client)
{
    g_mutex_lock(&server->lock);
    if (g_ptr_array_find(server->clients, client, NULL) && client->ro_socket)
        server->n_ro_clients--;
    g_ptr_array_remove(server->clients, client);
    g_mutex_unlock(&server->lock);
}

void
rpc_server_shutdown(RpcServer *server)
{
    g_mutex_lock(&server->lock);
    server->shutting_down = true;
    g_mutex_unlock(&server->lock);
    g_ptr_array_set_size(server->listeners, 0);

    /* Running calls finish (their replies are dropped once the client is
     * closed); nothing new is queued after the clients are gone. */
    for (;;) {
        RpcClient *client = NULL;

        g_mutex_lock(&server->lock);
        if (server->clients->len)
            client = rpc_client_ref(g_ptr_array_index(server->clients, 0));
        g_mutex_unlock(&server->lock);
        if (!client)
            break;
        rpc_client_close_now(client);
        rpc_client_unref(client);
    }
    if (server->workers) {
        g_thread_pool_free(server->workers, FALSE, TRUE);
        server->workers = NULL;
    }
}

void
rpc_server_free(RpcServer *server)
{
    if (!server)
        return;
    if (server->workers)
        rpc_server_shutdown(server);
    g_ptr_array_unref(server->listeners);
    g_ptr_array_unref(server->clients);
    g_main_context_unref(server->context);
    g_mutex_clear(&server->lock);
    g_free(server);
}

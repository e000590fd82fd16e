/* SPDX-License-Identifier: Apache-2.0 */
/* DOMAIN_OPEN_CONSOLE: a stream between the client and the domain's serial pty. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib-unix.h>

#include "common/fd-util.h"
#include "driver/remote/remote.h"
#include "driver/rpc/stream.h"

/* Everything here runs on the main thread (the open handler is
 * RPC_PROC_MAIN_THREAD, the rest are fd watches and stream callbacks). */

/* Pause reading the pty while this much output waits for the client. */
#define REMOTE_CONSOLE_TX_HIGH (1u << 20)
/* Keystrokes the guest has not read yet, at most. */
#define REMOTE_CONSOLE_RX_MAX (1u << 20)

typedef struct {
    RemoteDaemon *daemon;
    RpcStream *stream;          /* the stream owns us; valid until closed */
    unsigned char uuid[16];
    int fd;                     /* the pty; -1 after EOF */
    guint read_watch;
    guint write_watch;
    guint resume_timer;
    GByteArray *to_pty;         /* client keystrokes not written yet */
    DrvConsoleLog *log;         /* the pty's <log> copier, our reader */
} RemoteConsole;

static guint
remote_uuid_hash(gconstpointer key)
{
    guint h;

    memcpy(&h, key, sizeof(h));
    return h;
}

static gboolean
remote_uuid_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, 16) == 0;
}

static void
remote_console_clear_watches(RemoteConsole *con)
{
    g_clear_handle_id(&con->read_watch, g_source_remove);
    g_clear_handle_id(&con->write_watch, g_source_remove);
    g_clear_handle_id(&con->resume_timer, g_source_remove);
}

/* A logged pty has one reader, the copier: this console stops taking its
 * output. */
static void
remote_console_release_log(RemoteConsole *con)
{
    if (!con->log)
        return;
    drv_console_log_detach(con->log, con);
    g_clear_pointer(&con->log, drv_console_log_unref);
}

/* Ends the pty side: no more I/O, the client gets EOF.  The stream stays
 * until the client confirms with its finish. */
static void
remote_console_eof(RemoteConsole *con)
{
    remote_console_clear_watches(con);
    remote_console_release_log(con);
    if (con->fd >= 0) {
        fd_close(con->fd);
        con->fd = -1;
    }
    if (g_hash_table_lookup(con->daemon->consoles, con->uuid) == con)
        g_hash_table_remove(con->daemon->consoles, con->uuid);
    rpc_stream_send_eof(con->stream);
}

static gboolean remote_console_readable(gint fd, GIOCondition cond, gpointer data);

static void
remote_console_watch_read(RemoteConsole *con)
{
    if (!con->read_watch && con->fd >= 0 && !con->log)
        con->read_watch = g_unix_fd_add(con->fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                        remote_console_readable, con);
}

static gboolean
remote_console_resume(gpointer data)
{
    RemoteConsole *con = data;

    if (rpc_stream_pending(con->stream) > REMOTE_CONSOLE_TX_HIGH)
        return G_SOURCE_CONTINUE;
    con->resume_timer = 0;
    remote_console_watch_read(con);
    return G_SOURCE_REMOVE;
}

static gboolean
remote_console_readable(gint fd, GIOCondition cond, gpointer data)
{
    RemoteConsole *con = data;
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof(buf));

    if (n > 0) {
        rpc_stream_send_data(con->stream, buf, (size_t)n);
        if (rpc_stream_pending(con->stream) > REMOTE_CONSOLE_TX_HIGH) {
            /* The client reads slower than the guest writes. */
            con->read_watch = 0;
            con->resume_timer = g_timeout_add(50, remote_console_resume, con);
            return G_SOURCE_REMOVE;
        }
        return G_SOURCE_CONTINUE;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;
    /* 0, or EIO once nimbus (the master side) is gone: end of console. */
    con->read_watch = 0;
    remote_console_eof(con);
    return G_SOURCE_REMOVE;
}

/* The copier's output for this console (main context). */
static void
remote_console_log_output(const void *data, size_t len, gpointer opaque)
{
    RemoteConsole *con = opaque;

    if (!data) {
        remote_console_eof(con);
        return;
    }
    /* The copier cannot wait for a slow client without holding up the log:
     * past the high mark the client misses output (the log has it). */
    if (rpc_stream_pending(con->stream) > REMOTE_CONSOLE_TX_HIGH)
        return;
    rpc_stream_send_data(con->stream, data, len);
}

/* Writes what the pty takes; false on a hard error. */
static bool
remote_console_flush(RemoteConsole *con)
{
    while (con->to_pty->len > 0) {
        ssize_t n = write(con->fd, con->to_pty->data, con->to_pty->len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n <= 0)
            return false;
        g_byte_array_remove_range(con->to_pty, 0, (guint)n);
    }
    return true;
}

static gboolean
remote_console_writable(gint fd, GIOCondition cond, gpointer data)
{
    RemoteConsole *con = data;

    if (!remote_console_flush(con)) {
        con->write_watch = 0;
        remote_console_eof(con);
        return G_SOURCE_REMOVE;
    }
    if (con->to_pty->len > 0)
        return G_SOURCE_CONTINUE;
    con->write_watch = 0;
    return G_SOURCE_REMOVE;
}

static bool
remote_console_recv(RpcStream *stream, const void *data, size_t len,
                    gpointer opaque, GError **error)
{
    RemoteConsole *con = opaque;

    if (con->fd < 0)
        return true;    /* after EOF: the client's last keys go nowhere */
    if (con->to_pty->len + len > REMOTE_CONSOLE_RX_MAX) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "the guest does not read its console (%u bytes pending)",
                    con->to_pty->len);
        return false;
    }
    g_byte_array_append(con->to_pty, data, (guint)len);
    if (!remote_console_flush(con)) {
        remote_console_eof(con);
        return true;
    }
    if (con->to_pty->len > 0 && !con->write_watch)
        con->write_watch = g_unix_fd_add(con->fd, G_IO_OUT, remote_console_writable, con);
    return true;
}

static void
remote_console_closed(RpcStream *stream, gpointer opaque)
{
    RemoteConsole *con = opaque;

    remote_console_clear_watches(con);
    remote_console_release_log(con);
    if (con->fd >= 0) {
        fd_close(con->fd);
        con->fd = -1;
    }
    if (g_hash_table_lookup(con->daemon->consoles, con->uuid) == con)
        g_hash_table_remove(con->daemon->consoles, con->uuid);
}

static void
remote_console_free(gpointer data)
{
    RemoteConsole *con = data;

    g_byte_array_unref(con->to_pty);
    g_free(con);
}

static const RpcStreamOps remote_console_ops = {
    .recv = remote_console_recv,
    .closed = remote_console_closed,
};

/* Opens the pty slave in raw mode, as libvirt's console does: no echo or
 * line editing between the client's terminal and the guest's. */
static int
remote_console_open_pty(const char *path, GError **error)
{
    g_autofd_t fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    struct termios tio;
    int r;

    if (fd < 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "cannot open console pty '%s': %s", path, g_strerror(errno));
        return -1;
    }
    if (tcgetattr(fd, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(fd, TCSANOW, &tio);
    }
    r = fd;
    fd = -1;
    return r;
}

bool
remote_domain_open_console(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_open_console_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = NULL;
    g_autoptr(DrvConsoleLog) log = NULL;
    g_autofree char *path = NULL;
    RemoteConsole *con;
    RemoteConsole *old;
    int fd;

    if (!drv_check_flags(args->flags, DRV_DOMAIN_CONSOLE_FORCE | DRV_DOMAIN_CONSOLE_SAFE,
                         "virDomainOpenConsole", error) ||
        !(obj = remote_get_domain(daemon, &args->dom, error)) ||
        !(path = drv_domain_console_path(daemon->driver, obj,
                                         args->dev_name ? *args->dev_name : NULL,
                                         &log, error)))
        return false;

    old = g_hash_table_lookup(daemon->consoles, obj->uuid);
    if (old && !(args->flags & DRV_DOMAIN_CONSOLE_FORCE)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                            "Active console session exists for this domain");
        return false;
    }
    fd = remote_console_open_pty(path, error);
    if (fd < 0)
        return false;
    /* --force: the previous session ends (EOF) and this one takes over. */
    if (old)
        remote_console_eof(old);

    con = g_new0(RemoteConsole, 1);
    con->daemon = daemon;
    con->fd = fd;
    con->to_pty = g_byte_array_new();
    memcpy(con->uuid, obj->uuid, sizeof(con->uuid));
    con->stream = rpc_stream_open(call, &remote_console_ops, con, remote_console_free);
    g_hash_table_insert(daemon->consoles, con->uuid, con);
    /* A pty that has ended already: read it (EOF) as an unlogged one. */
    if (log && drv_console_log_attach(log, remote_console_log_output, con))
        con->log = g_steal_pointer(&log);
    /* Data flows from the next main-loop iteration, after the reply. */
    remote_console_watch_read(con);
    return true;
}

GHashTable *
remote_console_table_new(void)
{
    /* Keys are the consoles' own uuid arrays: no key destructor. */
    return g_hash_table_new(remote_uuid_hash, remote_uuid_equal);
}

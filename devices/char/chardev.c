/* SPDX-License-Identifier: Apache-2.0 */
/* CharBackend core: the main-context source, bounded output, paced input. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/char/chardev-priv.h"

/* One read from the host side delivers at most this much. */
#define CHARDEV_READ_CHUNK 4096
/* Tty output goes to a blocking fd we share with our parent (we must not
 * set O_NONBLOCK on it): after poll() reports POLLOUT, a write this small
 * fits in a pipe (PIPE_BUF) or a terminal's buffer without sleeping. */
#define CHARDEV_TTY_CHUNK 256

/*
 * Every backend owns one GSource on the VM's main context.  It polls the
 * input fd, the output fd while buffered output waits, and the listening
 * socket.  Other threads never touch its fds: they wake it with
 * g_source_set_ready_time(0) (thread-safe) and the dispatch function, on the
 * main context, recomputes what to poll.
 */
typedef struct {
    GSource base;
    CharBackend *be;
} ChardevSource;

/* ---- bounded output ring (caller holds out_lock) ---------------------- */

static void
char_ring_push(CharRing *r, const uint8_t *buf, size_t len, uint64_t *dropped)
{
    size_t cap = CHARDEV_OUTPUT_BUFFER;

    if (!r->data)
        r->data = g_malloc(cap);
    if (len >= cap) {
        /* Only the newest cap bytes can survive. */
        *dropped += r->len + (len - cap);
        buf += len - cap;
        len = cap;
        r->head = 0;
        r->len = 0;
    } else if (r->len + len > cap) {
        size_t drop = r->len + len - cap;

        *dropped += drop;
        r->head = (r->head + drop) % cap;
        r->len -= drop;
    }
    while (len > 0) {
        size_t tail = (r->head + r->len) % cap;
        size_t n = MIN(len, cap - tail);

        memcpy(r->data + tail, buf, n);
        r->len += n;
        buf += n;
        len -= n;
    }
}

/* The oldest contiguous run of bytes. */
static size_t
char_ring_peek(CharRing *r, const uint8_t **p)
{
    *p = r->data ? r->data + r->head : NULL;
    return MIN(r->len, CHARDEV_OUTPUT_BUFFER - r->head);
}

static void
char_ring_consume(CharRing *r, size_t n)
{
    r->head = (r->head + n) % CHARDEV_OUTPUT_BUFFER;
    r->len -= n;
    if (r->len == 0)
        r->head = 0;
}

/* ---- output ------------------------------------------------------------ */

static void
chardev_wake(CharBackend *be)
{
    g_source_set_ready_time(be->source, 0);
}

/*
 * One attempt to write without blocking; returns bytes written (possibly
 * 0) or -errno for an error that makes the output unusable.  Caller holds
 * out_lock.
 */
static ssize_t
chardev_try_write_locked(CharBackend *be, const uint8_t *buf, size_t len)
{
    ssize_t n;

    if (be->out_blocking) {
        /* Regular files do not stall on a reader. */
        int r = fd_write_all(be->out_fd, buf, len);
        return r < 0 ? r : (ssize_t)len;
    }
    if (be->kind == CHAR_KIND_TTY) {
        struct pollfd pfd = { .fd = be->out_fd, .events = POLLOUT };

        if (poll(&pfd, 1, 0) <= 0)
            return 0;
        if (pfd.revents & (POLLERR | POLLNVAL))
            return -EIO;
        len = MIN(len, CHARDEV_TTY_CHUNK);
    }
    do {
        if (be->out_is_socket)
            n = send(be->out_fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        else
            n = write(be->out_fd, buf, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
    return n;
}

/* Writes as much of the ring as the fd takes now.  Caller holds out_lock. */
static void
chardev_flush_locked(CharBackend *be)
{
    while (be->ring.len > 0 && be->out_fd >= 0 && !be->out_broken) {
        const uint8_t *p;
        size_t len = char_ring_peek(&be->ring, &p);
        ssize_t n = chardev_try_write_locked(be, p, len);

        if (n < 0) {
            if (!be->out_warned) {
                g_warning("%s: output error, dropping output: %s", be->what,
                          g_strerror((int)-n));
                be->out_warned = true;
            }
            be->out_broken = true;
            break;
        }
        if (n == 0)
            break;
        char_ring_consume(&be->ring, (size_t)n);
    }
    if (be->out_broken) {
        be->dropped += be->ring.len;
        char_ring_consume(&be->ring, be->ring.len);
    }
    g_atomic_int_set(&be->out_pending, be->ring.len > 0 && be->out_fd >= 0);
}

/* The vCPU side: a direct non-blocking write when nothing is queued, else
 * (or for the rest) the ring, and a wake-up of the main context only when
 * output becomes pending, so a burst costs one wake-up. */
size_t
chardev_write(CharBackend *be, const void *buf, size_t len)
{
    size_t total = len;
    bool wake;

    if (len == 0 || be->kind == CHAR_KIND_NULL)
        return len;

    g_mutex_lock(&be->out_lock);
    if (be->out_broken) {
        be->dropped += len;
        g_mutex_unlock(&be->out_lock);
        return len;
    }
    wake = !g_atomic_int_get(&be->out_pending);
    /* Keep the byte order: write directly only when nothing is queued. */
    if (be->ring.len == 0 && be->out_fd >= 0) {
        ssize_t n = chardev_try_write_locked(be, buf, len);

        if (n < 0) {
            be->out_broken = true;
            if (!be->out_warned) {
                g_warning("%s: output error, dropping output: %s", be->what,
                          g_strerror((int)-n));
                be->out_warned = true;
            }
            be->dropped += len;
            g_mutex_unlock(&be->out_lock);
            return total;
        }
        buf = (const uint8_t *)buf + n;
        len -= (size_t)n;
    }
    if (len > 0)
        char_ring_push(&be->ring, buf, len, &be->dropped);
    g_atomic_int_set(&be->out_pending, be->ring.len > 0 && be->out_fd >= 0);
    wake = wake && g_atomic_int_get(&be->out_pending);
    g_mutex_unlock(&be->out_lock);
    if (wake)
        chardev_wake(be);
    return total;
}

uint64_t
chardev_get_dropped(CharBackend *be)
{
    uint64_t v;

    g_mutex_lock(&be->out_lock);
    v = be->dropped;
    g_mutex_unlock(&be->out_lock);
    return v;
}

/* ---- input (main context) --------------------------------------------- */

/* The input side reached its end: a socket client left, stdin hit EOF. */
static void
chardev_input_eof(CharBackend *be)
{
    if (be->kind == CHAR_KIND_SOCKET) {
        chardev_client_detach(be);
        return;
    }
    if (be->in_tag) {
        g_source_remove_unix_fd(be->source, be->in_tag);
        be->in_tag = NULL;
    }
    g_debug("%s: end of input", be->what);
    be->in_hup = false;
    /* The fd stays open when it is also the output (fds of tests). */
    if (be->in_fd != be->out_fd && be->kind != CHAR_KIND_TTY)
        fd_close(be->in_fd);
    be->in_fd = -1;
}

/*
 * Room the consumer has.  0 pauses input: the flag is raised before asking
 * again, so a consumer that drains between the two questions either is seen
 * by the second one or sees the flag in chardev_accept_input() and wakes us.
 */
static size_t
chardev_input_room(CharBackend *be)
{
    size_t room = be->can_read(be->opaque);

    if (room > 0)
        return room;
    g_atomic_int_set(&be->input_paused, 1);
    room = be->can_read(be->opaque);
    if (room > 0)
        g_atomic_int_set(&be->input_paused, 0);
    return room;
}

static void
chardev_pump_input(CharBackend *be)
{
    GIOCondition revents = 0;
    uint8_t buf[CHARDEV_READ_CHUNK];

    if (be->in_fd < 0)
        return;
    if (be->in_tag)
        revents = g_source_query_unix_fd(be->source, be->in_tag);
    if (revents & (G_IO_HUP | G_IO_ERR))
        be->in_hup = true;
    if (!be->read) {
        /* Nobody consumes input; still notice a socket client leaving. */
        if (be->in_hup)
            chardev_input_eof(be);
        return;
    }
    if (g_atomic_int_get(&be->input_paused)) {
        /* Woken by chardev_accept_input(), or still full. */
        if (be->can_read(be->opaque) == 0)
            return;
        g_atomic_int_set(&be->input_paused, 0);
    }
    /* A resumed fd is polled again first: stdin must not be read blindly. */
    if (!(revents & G_IO_IN) && !be->in_hup)
        return;

    /* Readable: one read, then poll again (stdin is a blocking fd).  Peer
     * gone: the fd no longer blocks, drain it while the consumer has room. */
    do {
        size_t room = chardev_input_room(be);
        ssize_t n;

        if (room == 0)
            return;
        do {
            n = read(be->in_fd, buf, MIN(room, sizeof(buf)));
        } while (n < 0 && errno == EINTR);
        if (n > 0) {
            be->read(be->opaque, buf, (size_t)n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !be->in_hup)
            return;
        if (n < 0)
            g_debug("%s: read error: %s", be->what, g_strerror(errno));
        chardev_input_eof(be);
        return;
    } while (be->in_hup);
}

/* ---- the GSource -------------------------------------------------------- */

/* What to poll for, recomputed after every change (main context). */
void
chardev_update_watches(CharBackend *be)
{
    GIOCondition in_ev = 0, out_ev = 0;
    bool want_out = g_atomic_int_get(&be->out_pending);

    if (be->in_fd >= 0 && !be->in_hup) {
        if (be->read && !g_atomic_int_get(&be->input_paused))
            in_ev |= G_IO_IN;
        /* A socket client's hang-up must be seen even when idle. */
        if (be->kind == CHAR_KIND_SOCKET)
            in_ev |= G_IO_HUP | G_IO_ERR;
    }
    if (want_out && be->out_fd >= 0)
        out_ev = G_IO_OUT;
    if (be->out_fd >= 0 && be->out_fd == be->in_fd) {
        in_ev |= be->in_hup ? 0 : out_ev;
        out_ev = 0;
    }

    /* A polled fd reports HUP whatever we ask for: remove it, rather than
     * poll it with no events, when nothing is wanted. */
    if (in_ev && !be->in_tag)
        be->in_tag = g_source_add_unix_fd(be->source, be->in_fd, in_ev);
    else if (in_ev)
        g_source_modify_unix_fd(be->source, be->in_tag, in_ev);
    else if (be->in_tag) {
        g_source_remove_unix_fd(be->source, be->in_tag);
        be->in_tag = NULL;
    }
    if (out_ev && !be->out_tag)
        be->out_tag = g_source_add_unix_fd(be->source, be->out_fd, out_ev);
    else if (!out_ev && be->out_tag) {
        g_source_remove_unix_fd(be->source, be->out_tag);
        be->out_tag = NULL;
    }
}

static gboolean
chardev_source_dispatch(GSource *source, GSourceFunc callback,
                        gpointer user_data)
{
    CharBackend *be = ((ChardevSource *)source)->be;

    g_source_set_ready_time(source, -1);
    /* Input first: a client that left must be gone before a new one is
     * accepted in the same iteration. */
    chardev_pump_input(be);
    if (be->listen_tag &&
        (g_source_query_unix_fd(source, be->listen_tag) & G_IO_IN))
        chardev_socket_accept(be);
    if (g_atomic_int_get(&be->out_pending)) {
        g_mutex_lock(&be->out_lock);
        chardev_flush_locked(be);
        g_mutex_unlock(&be->out_lock);
    }
    chardev_update_watches(be);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs chardev_source_funcs = {
    .dispatch = chardev_source_dispatch,
};

/* ---- lifecycle ---------------------------------------------------------- */

CharBackend *
chardev_alloc(CharKind kind, ConsoleMode mode, const char *what,
              GMainContext *context)
{
    CharBackend *be = g_new0(CharBackend, 1);
    ChardevSource *src;

    be->kind = kind;
    be->mode = mode;
    be->what = g_strdup(what);
    be->context = g_main_context_ref(context ? context
                                             : g_main_context_default());
    be->in_fd = -1;
    be->out_fd = -1;
    be->listen_fd = -1;
    be->pty_slave_fd = -1;
    g_mutex_init(&be->out_lock);

    src = (ChardevSource *)g_source_new(&chardev_source_funcs,
                                        sizeof(ChardevSource));
    src->be = be;
    be->source = &src->base;
    g_source_set_name(be->source, what);
    g_source_attach(be->source, be->context);
    return be;
}

void
chardev_attach_fds(CharBackend *be, int in_fd, int out_fd)
{
    struct stat st;

    be->in_fd = in_fd;
    g_mutex_lock(&be->out_lock);
    be->out_fd = out_fd;
    be->out_is_socket = out_fd >= 0 && fstat(out_fd, &st) == 0 &&
                        S_ISSOCK(st.st_mode);
    g_mutex_unlock(&be->out_lock);
    chardev_update_watches(be);
}

void
chardev_client_attach(CharBackend *be, int fd)
{
    be->in_fd = fd;
    be->in_hup = false;
    g_atomic_int_set(&be->input_paused, 0);
    g_mutex_lock(&be->out_lock);
    be->out_fd = fd;
    be->out_is_socket = true;
    be->out_broken = false;
    be->out_warned = false;
    /* What the guest wrote while nobody listened goes out first. */
    chardev_flush_locked(be);
    g_mutex_unlock(&be->out_lock);
    chardev_update_watches(be);
}

void
chardev_client_detach(CharBackend *be)
{
    int fd = be->in_fd;

    if (be->in_tag) {
        g_source_remove_unix_fd(be->source, be->in_tag);
        be->in_tag = NULL;
    }
    if (be->out_tag) {
        g_source_remove_unix_fd(be->source, be->out_tag);
        be->out_tag = NULL;
    }
    g_mutex_lock(&be->out_lock);
    be->out_fd = -1;
    be->out_broken = false;
    g_atomic_int_set(&be->out_pending, 0);
    g_mutex_unlock(&be->out_lock);
    be->in_fd = -1;
    be->in_hup = false;
    fd_close(fd);
    g_debug("%s: socket client disconnected", be->what);
}

CharBackend *
chardev_new(const ConsoleConfig *config, const char *what,
            GMainContext *context, GError **error)
{
    g_autoptr(CharBackend) be = NULL;
    bool ok = true;

    switch (config->mode) {
    case CONSOLE_MODE_NULL:
        return chardev_alloc(CHAR_KIND_NULL, config->mode, what, context);
    case CONSOLE_MODE_TTY:
        be = chardev_alloc(CHAR_KIND_TTY, config->mode, what, context);
        ok = chardev_open_tty(be, error);
        break;
    case CONSOLE_MODE_PTY:
        be = chardev_alloc(CHAR_KIND_PTY, config->mode, what, context);
        ok = chardev_open_pty(be, error);
        break;
    case CONSOLE_MODE_FILE:
        if (!config->file || !*config->file) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "%s: mode File needs a file path", what);
            return NULL;
        }
        be = chardev_alloc(CHAR_KIND_FILE, config->mode, what, context);
        ok = chardev_open_file(be, config->file, error);
        break;
    case CONSOLE_MODE_SOCKET:
        if (!config->socket || !*config->socket) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "%s: mode Socket needs a socket path", what);
            return NULL;
        }
        be = chardev_alloc(CHAR_KIND_SOCKET, config->mode, what, context);
        ok = chardev_open_socket(be, config->socket, error);
        break;
    case CONSOLE_MODE_OFF:
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: mode Off has no backend (the device is not created)",
                    what);
        return NULL;
    default:
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: invalid console mode %d", what, (int)config->mode);
        return NULL;
    }
    return ok ? g_steal_pointer(&be) : NULL;
}

CharBackend *
chardev_new_fds(const char *what, int in_fd, int out_fd, GMainContext *context)
{
    CharBackend *be = chardev_alloc(CHAR_KIND_FDS, CONSOLE_MODE_SOCKET, what,
                                    context);

    if (in_fd >= 0)
        fd_set_nonblock(in_fd, true);
    if (out_fd >= 0)
        fd_set_nonblock(out_fd, true);
    chardev_attach_fds(be, in_fd, out_fd);
    return be;
}

void
chardev_free(CharBackend *be)
{
    if (!be)
        return;
    chardev_resize_stop(be);
    /* Give stdin back while the source that polls it still exists. */
    if (be->kind == CHAR_KIND_TTY)
        chardev_tty_claim_input(be, false);
    g_source_destroy(be->source);
    g_source_unref(be->source);
    if (be->kind == CHAR_KIND_SOCKET) {
        if (be->in_fd >= 0)
            fd_close(be->in_fd);
    } else if (be->kind != CHAR_KIND_TTY) {
        if (be->in_fd >= 0 && be->in_fd != be->out_fd)
            fd_close(be->in_fd);
        if (be->out_fd >= 0)
            fd_close(be->out_fd);
    }
    chardev_close_mode(be);
    g_main_context_unref(be->context);
    g_mutex_clear(&be->out_lock);
    g_free(be->ring.data);
    g_free(be->what);
    g_free(be);
}

ConsoleMode
chardev_get_mode(CharBackend *be)
{
    return be->mode;
}

const char *
chardev_get_pty_path(CharBackend *be)
{
    return be->pty_path;
}

void
chardev_set_input_handler(CharBackend *be, CharCanReadFunc can_read,
                          CharReadFunc read, gpointer opaque)
{
    be->can_read = read ? can_read : NULL;
    be->read = can_read ? read : NULL;
    be->opaque = opaque;
    g_atomic_int_set(&be->input_paused, 0);
    if (be->kind == CHAR_KIND_TTY)
        chardev_tty_claim_input(be, be->read != NULL);
    chardev_update_watches(be);
}

void
chardev_accept_input(CharBackend *be)
{
    if (g_atomic_int_get(&be->input_paused))
        chardev_wake(be);
}

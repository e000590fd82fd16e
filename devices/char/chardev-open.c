/* SPDX-License-Identifier: Apache-2.0 */
/* CharBackend modes: Tty (stdin/stdout), Pty, File and listening Socket. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib-unix.h>

#include "common/fd-util.h"
#include "devices/char/chardev-priv.h"

/* How often a Pty backend looks for a size change: the kernel signals a
 * resize to the slave's foreground process group, never to the master. */
#define CHARDEV_PTY_RESIZE_POLL_MS 500

static void
chardev_set_errno_error(GError **error, int err, const char *what,
                        const char *action, const char *path)
{
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                "%s: cannot %s '%s': %s", what, action, path, g_strerror(err));
}

/* ---- Tty ----------------------------------------------------------------- */

/*
 * stdin's terminal mode is process state shared by every Tty backend
 * (serial and debug console may both be Tty): the first one saves the
 * original mode and switches to raw, the last one restores it.  The saved
 * copy is also read by chardev_tty_restore() from signal handlers, hence
 * the sig_atomic_t flag written after the struct.
 */
G_LOCK_DEFINE_STATIC(tty);
static struct termios tty_saved;            /* tty lock; read-only once valid */
static volatile sig_atomic_t tty_saved_valid;
static unsigned tty_refs;                   /* tty lock */
static CharBackend *tty_input_owner;        /* tty lock */

void
chardev_tty_restore(void)
{
    if (tty_saved_valid)
        tcsetattr(STDIN_FILENO, TCSANOW, &tty_saved);
}

/* True when stdin is a terminal whose foreground group we are not in: its
 * mode is not ours to change and reading it would stop us (SIGTTIN). */
static bool
chardev_tty_in_background(void)
{
    pid_t fg;

    if (!isatty(STDIN_FILENO))
        return false;
    fg = tcgetpgrp(STDIN_FILENO);
    return fg >= 0 && fg != getpgrp();
}

bool
chardev_open_tty(CharBackend *be, GError **error)
{
    struct stat st;

    G_LOCK(tty);
    if (tty_refs == 0 && isatty(STDIN_FILENO) && !chardev_tty_in_background()) {
        struct termios raw;

        if (tcgetattr(STDIN_FILENO, &tty_saved) < 0) {
            int err = errno;

            G_UNLOCK(tty);
            chardev_set_errno_error(error, err, be->what,
                                    "read the terminal mode of", "stdin");
            return false;
        }
        /* As CH: no line editing, no echo, and ^C/^Z go to the guest. */
        raw = tty_saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        tty_saved_valid = 1;
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
            int err = errno;

            tty_saved_valid = 0;
            G_UNLOCK(tty);
            chardev_set_errno_error(error, err, be->what,
                                    "set raw mode on", "stdin");
            return false;
        }
    }
    tty_refs++;
    be->tty_ref = true;
    G_UNLOCK(tty);
    /* stdout is shared with our parent: never made non-blocking (that
     * would change the parent's file description too); writes are paced
     * with poll() instead, see chardev_try_write_locked(), except into a
     * regular file (a log), which never stalls. */
    if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode))
        be->out_blocking = true;
    chardev_attach_fds(be, -1, STDOUT_FILENO);
    return true;
}

void
chardev_tty_claim_input(CharBackend *be, bool claim)
{
    G_LOCK(tty);
    if (claim && !tty_input_owner) {
        if (chardev_tty_in_background()) {
            g_info("%s: stdin is a terminal owned by another process group: "
                   "input disabled", be->what);
        } else {
            tty_input_owner = be;
            be->in_fd = STDIN_FILENO;
        }
    } else if (!claim && tty_input_owner == be) {
        tty_input_owner = NULL;
        if (be->in_tag) {
            g_source_remove_unix_fd(be->source, be->in_tag);
            be->in_tag = NULL;
        }
        be->in_fd = -1;
    }
    G_UNLOCK(tty);
}

static void
chardev_tty_release(CharBackend *be)
{
    chardev_tty_claim_input(be, false);
    G_LOCK(tty);
    if (be->tty_ref && --tty_refs == 0 && tty_saved_valid) {
        chardev_tty_restore();
        tty_saved_valid = 0;
    }
    be->tty_ref = false;
    G_UNLOCK(tty);
}

/* ---- Pty ----------------------------------------------------------------- */

bool
chardev_open_pty(CharBackend *be, GError **error)
{
    g_autofd_t master = -1;
    g_autofd_t slave = -1;
    struct termios t;
    char name[128];
    int err;

    if (openpty(&master, &slave, NULL, NULL, NULL) < 0) {
        err = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "%s: cannot open a pseudo-terminal: %s", be->what,
                    g_strerror(err));
        return false;
    }
    if ((err = ptsname_r(master, name, sizeof(name))) != 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "%s: cannot get the pseudo-terminal's name: %s", be->what,
                    g_strerror(err));
        return false;
    }
    /* The guest's bytes pass unchanged; the program that opens the slave
     * (screen, minicom) sets the mode it wants. */
    if (tcgetattr(slave, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(slave, TCSANOW, &t);
    }
    fd_set_cloexec(master, true);
    fd_set_cloexec(slave, true);
    fd_set_nonblock(master, true);
    /* Our own slave fd stays open: with no slave open, reads on the master
     * fail with EIO and poll reports HUP forever.  Output written while
     * nobody reads then fills the pty buffer, and the rest waits in the
     * bounded ring: the guest never blocks. */
    be->pty_slave_fd = g_steal_fd(&slave);
    be->pty_path = g_strdup(name);
    chardev_attach_fds(be, master, master);
    master = -1;
    return true;
}

/* ---- File ---------------------------------------------------------------- */

bool
chardev_open_file(CharBackend *be, const char *path, GError **error)
{
    struct stat st;
    int fd;

    /* O_NONBLOCK so that a FIFO without reader fails (ENXIO) rather than
     * hanging VM creation; CH creates/truncates, with 0666 & ~umask. */
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY |
                        O_NONBLOCK, 0666);
    if (fd < 0) {
        chardev_set_errno_error(error, errno, be->what, "open file", path);
        return false;
    }
    /* Regular files take blocking writes (no reader can stall them);
     * FIFOs and devices keep O_NONBLOCK and the buffered path. */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        fd_set_nonblock(fd, false);
        be->out_blocking = true;
    }
    chardev_attach_fds(be, -1, fd);
    return true;
}

/* ---- Socket -------------------------------------------------------------- */

static bool
chardev_fill_addr(struct sockaddr_un *addr, const char *path)
{
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr->sun_path))
        return false;
    strcpy(addr->sun_path, path);
    return true;
}

/* A socket file nobody listens on (left by a process that died). */
static bool
chardev_socket_is_stale(const char *path, const struct sockaddr_un *addr)
{
    struct stat st;
    g_autofd_t fd = -1;

    if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
        return false;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    return connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 &&
           errno == ECONNREFUSED;
}

bool
chardev_open_socket(CharBackend *be, const char *path, GError **error)
{
    struct sockaddr_un addr;
    g_autofd_t fd = -1;
    int r;

    if (!chardev_fill_addr(&addr, path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: socket path '%s' is too long (max %zu bytes)",
                    be->what, path, sizeof(addr.sun_path) - 1);
        return false;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        chardev_set_errno_error(error, errno, be->what, "create socket", path);
        return false;
    }
    r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    if (r < 0 && errno == EADDRINUSE && chardev_socket_is_stale(path, &addr)) {
        unlink(path);
        r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    }
    if (r < 0) {
        if (errno == EADDRINUSE)
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                        "%s: cannot listen on '%s': the path exists and is "
                        "not a stale socket", be->what, path);
        else
            chardev_set_errno_error(error, errno, be->what, "bind socket",
                                    path);
        return false;
    }
    if (listen(fd, 1) < 0) {
        chardev_set_errno_error(error, errno, be->what, "listen on", path);
        unlink(path);
        return false;
    }
    be->socket_path = g_strdup(path);
    be->listen_fd = g_steal_fd(&fd);
    be->listen_tag = g_source_add_unix_fd(be->source, be->listen_fd, G_IO_IN);
    return true;
}

void
chardev_socket_accept(CharBackend *be)
{
    for (;;) {
        int fd = accept4(be->listen_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return;   /* EAGAIN: no more; anything else: retried next poll */
        }
        if (be->in_fd >= 0) {
            /* One console user at a time: a second one would see half of
             * the output and interleave its keystrokes with the first's. */
            static const char busy[] = "console busy: another client is "
                                       "connected\r\n";

            if (send(fd, busy, sizeof(busy) - 1,
                     MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                g_debug("%s: %s", be->what, g_strerror(errno));
            fd_close(fd);
            continue;
        }
        g_debug("%s: socket client connected", be->what);
        chardev_client_attach(be, fd);
    }
}

/* ---- teardown, size ------------------------------------------------------ */

void
chardev_close_mode(CharBackend *be)
{
    switch (be->kind) {
    case CHAR_KIND_SOCKET:
        fd_close(be->listen_fd);
        be->listen_fd = -1;
        if (be->socket_path)
            unlink(be->socket_path);
        g_clear_pointer(&be->socket_path, g_free);
        break;
    case CHAR_KIND_PTY:
        fd_close(be->pty_slave_fd);
        be->pty_slave_fd = -1;
        g_clear_pointer(&be->pty_path, g_free);
        break;
    case CHAR_KIND_TTY:
        chardev_tty_release(be);
        break;
    default:
        break;
    }
}

bool
chardev_get_winsize(CharBackend *be, uint16_t *cols, uint16_t *rows)
{
    struct winsize ws;
    int fd;

    if (be->kind == CHAR_KIND_TTY)
        fd = isatty(STDOUT_FILENO) ? STDOUT_FILENO : STDIN_FILENO;
    else if (be->kind == CHAR_KIND_PTY)
        fd = be->pty_slave_fd;
    else
        return false;
    if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
        return false;
    *cols = ws.ws_col;
    *rows = ws.ws_row;
    return true;
}

static gboolean
chardev_resize_check(gpointer data)
{
    CharBackend *be = data;
    uint16_t cols, rows;

    if (be->resize && chardev_get_winsize(be, &cols, &rows) &&
        (cols != be->last_cols || rows != be->last_rows)) {
        be->last_cols = cols;
        be->last_rows = rows;
        be->resize(be->resize_opaque, cols, rows);
    }
    return G_SOURCE_CONTINUE;
}

void
chardev_resize_stop(CharBackend *be)
{
    if (be->resize_source) {
        g_source_destroy(be->resize_source);
        g_clear_pointer(&be->resize_source, g_source_unref);
    }
    be->resize = NULL;
}

void
chardev_set_resize_handler(CharBackend *be, CharResizeFunc cb, gpointer opaque)
{
    GSource *src;

    chardev_resize_stop(be);
    if (!cb)
        return;
    if (be->kind == CHAR_KIND_TTY)
        src = g_unix_signal_source_new(SIGWINCH);
    else if (be->kind == CHAR_KIND_PTY)
        src = g_timeout_source_new(CHARDEV_PTY_RESIZE_POLL_MS);
    else
        return;
    be->resize = cb;
    be->resize_opaque = opaque;
    if (!chardev_get_winsize(be, &be->last_cols, &be->last_rows))
        be->last_cols = be->last_rows = 0;
    g_source_set_callback(src, chardev_resize_check, be, NULL);
    g_source_attach(src, be->context);
    be->resize_source = src;
}

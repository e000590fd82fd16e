/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the character backends: null, file, socket, pty, tty. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "common/fd-util.h"
#include "devices/char/chardev-priv.h"
#include "tests/testutil.h"

/* A consumer with a settable room, recording what it got. */
typedef struct {
    GByteArray *got;
    size_t room;            /* what can_read answers */
    unsigned resizes;
    uint16_t cols, rows;
} Sink;

static size_t
sink_can_read(gpointer opaque)
{
    return ((Sink *)opaque)->room;
}

static void
sink_read(gpointer opaque, const uint8_t *buf, size_t len)
{
    Sink *s = opaque;

    g_assert_cmpuint(len, <=, s->room);
    g_byte_array_append(s->got, buf, (guint)len);
    s->room -= len;
}

static void
sink_resize(gpointer opaque, uint16_t cols, uint16_t rows)
{
    Sink *s = opaque;

    s->resizes++;
    s->cols = cols;
    s->rows = rows;
}

static void
sink_init(Sink *s, size_t room)
{
    memset(s, 0, sizeof(*s));
    s->got = g_byte_array_new();
    s->room = room;
}

static void
sink_clear(Sink *s)
{
    g_byte_array_unref(s->got);
}

typedef struct {
    Sink *sink;
    size_t want;
} SinkWait;

/* A timeout whose only job is to end a blocking iteration. */
static gboolean
wake_only(gpointer data)
{
    return G_SOURCE_REMOVE;
}

static bool
sink_has(gpointer data)
{
    SinkWait *w = data;

    return w->sink->got->len >= w->want;
}

/* Iterates @ctx until @s holds @want bytes (at most 5 s). */
static bool
sink_wait(GMainContext *ctx, Sink *s, size_t want)
{
    SinkWait w = { s, want };
    int64_t deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (!sink_has(&w) && g_get_monotonic_time() < deadline) {
        GSource *t = g_timeout_source_new(10);

        g_source_set_callback(t, wake_only, NULL, NULL);
        g_source_attach(t, ctx);
        g_main_context_iteration(ctx, TRUE);
        g_source_destroy(t);
        g_source_unref(t);
    }
    return sink_has(&w);
}

static void
iterate(GMainContext *ctx)
{
    for (int i = 0; i < 100 && g_main_context_iteration(ctx, FALSE); i++)
        ;
}

/* Reads what @fd has within @timeout_ms, up to @len bytes. */
static size_t
read_some(int fd, char *buf, size_t len, int timeout_ms)
{
    size_t n = 0;
    int64_t deadline = g_get_monotonic_time() + timeout_ms * 1000;

    while (n < len && g_get_monotonic_time() < deadline) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        ssize_t r;

        if (poll(&pfd, 1, 10) <= 0)
            continue;
        r = read(fd, buf + n, len - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    return n;
}

/* Reads from @fd while iterating @ctx, until @want bytes arrived. */
static size_t
read_while_iterating(GMainContext *ctx, int fd, char *buf, size_t want)
{
    size_t n = 0;
    int64_t deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (n < want && g_get_monotonic_time() < deadline) {
        iterate(ctx);
        n += read_some(fd, buf + n, want - n, 10);
    }
    return n;
}

static void
test_null(void)
{
    ConsoleConfig cfg = { .mode = CONSOLE_MODE_NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(CharBackend) be = chardev_new(&cfg, "serial", NULL, &error);
    uint16_t cols, rows;

    g_assert_no_error(error);
    g_assert_cmpint(chardev_get_mode(be), ==, CONSOLE_MODE_NULL);
    g_assert_cmpuint(chardev_write(be, "abc", 3), ==, 3);
    g_assert_null(chardev_get_pty_path(be));
    g_assert_false(chardev_get_winsize(be, &cols, &rows));
    g_assert_cmpuint(chardev_get_dropped(be), ==, 0);
}

static void
test_invalid(void)
{
    ConsoleConfig off = { .mode = CONSOLE_MODE_OFF };
    ConsoleConfig file = { .mode = CONSOLE_MODE_FILE };
    ConsoleConfig sock = { .mode = CONSOLE_MODE_SOCKET, .socket = "" };
    ConsoleConfig bad = { .mode = CONSOLE_MODE_LAST };
    ConsoleConfig nodir = { .mode = CONSOLE_MODE_FILE,
                            .file = "/nonexistent-dir/x.log" };
    g_autofree char *longpath = g_strnfill(200, 'x');
    ConsoleConfig toolong = { .mode = CONSOLE_MODE_SOCKET, .socket = longpath };
    const ConsoleConfig *cases[] = { &off, &file, &sock, &bad, &nodir,
                                     &toolong };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;

        g_assert_null(chardev_new(cases[i], "serial", NULL, &error));
        g_assert_nonnull(error);
        g_assert_true(g_str_has_prefix(error->message, "serial: "));
    }
}

static void
test_file(void)
{
    g_autofree char *path = g_build_filename(test_tmpdir(), "serial.log",
                                             NULL);
    ConsoleConfig cfg = { .mode = CONSOLE_MODE_FILE, .file = path };
    g_autoptr(GError) error = NULL;
    g_autofree char *contents = NULL;
    CharBackend *be;

    /* CH truncates an existing file. */
    g_assert_true(g_file_set_contents(path, "old contents", -1, NULL));
    be = chardev_new(&cfg, "serial", NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(chardev_write(be, "boot ", 5), ==, 5);
    g_assert_cmpuint(chardev_write(be, "log\n", 4), ==, 4);
    chardev_free(be);
    g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
    g_assert_cmpstr(contents, ==, "boot log\n");
}

static void
test_socket(void)
{
    g_autofree char *path = g_build_filename(test_tmpdir(), "serial.sock",
                                             NULL);
    ConsoleConfig cfg = { .mode = CONSOLE_MODE_SOCKET, .socket = path };
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(GError) error = NULL;
    CharBackend *be;
    Sink sink;
    char buf[64];
    int c1, c2, c3;

    sink_init(&sink, 1024);
    be = chardev_new(&cfg, "serial", ctx, &error);
    g_assert_no_error(error);
    chardev_set_input_handler(be, sink_can_read, sink_read, &sink);

    /* Output before anyone connects is kept and delivered on connect. */
    chardev_write(be, "early ", 6);
    c1 = test_unix_connect(path);
    iterate(ctx);
    chardev_write(be, "later", 5);
    g_assert_cmpuint(read_while_iterating(ctx, c1, buf, 11), ==, 11);
    g_assert_cmpmem(buf, 11, "early later", 11);

    /* Input goes to the consumer. */
    g_assert_cmpint(write(c1, "ls\r", 3), ==, 3);
    g_assert_true(sink_wait(ctx, &sink, 3));
    g_assert_cmpmem(sink.got->data, sink.got->len, "ls\r", 3);

    /* A second client is turned away while the first is connected. */
    c2 = test_unix_connect(path);
    iterate(ctx);
    g_assert_cmpuint(read_some(c2, buf, sizeof(buf), 1000), >, 0);
    g_assert_nonnull(g_strstr_len(buf, sizeof(buf), "busy"));
    close(c2);

    /* The first leaves; a new client gets the console. */
    close(c1);
    iterate(ctx);
    chardev_write(be, "again", 5);
    c3 = test_unix_connect(path);
    g_assert_cmpuint(read_while_iterating(ctx, c3, buf, 5), ==, 5);
    g_assert_cmpmem(buf, 5, "again", 5);
    g_assert_cmpint(write(c3, "x", 1), ==, 1);
    g_assert_true(sink_wait(ctx, &sink, 4));
    close(c3);

    chardev_free(be);
    /* The socket file goes away with the backend. */
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    sink_clear(&sink);
}

static void
test_socket_stale(void)
{
    g_autofree char *path = g_build_filename(test_tmpdir(), "stale.sock",
                                             NULL);
    g_autofree char *file = g_build_filename(test_tmpdir(), "notasock",
                                             NULL);
    ConsoleConfig cfg = { .mode = CONSOLE_MODE_SOCKET, .socket = path };
    ConsoleConfig cfg2 = { .mode = CONSOLE_MODE_SOCKET, .socket = file };
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_autoptr(GError) error = NULL;
    CharBackend *be, *be2;
    int fd;

    /* A socket file left by a dead process is replaced. */
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    close(fd);
    be = chardev_new(&cfg, "serial", NULL, &error);
    g_assert_no_error(error);
    /* A live one is not. */
    g_assert_null(chardev_new(&cfg, "console", NULL, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_clear_error(&error);
    chardev_free(be);
    /* Neither is a regular file. */
    g_assert_true(g_file_set_contents(file, "keep me", -1, NULL));
    be2 = chardev_new(&cfg2, "serial", NULL, &error);
    g_assert_null(be2);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR));
}

static void
test_socket_hup_drain(void)
{
    g_autofree char *path = g_build_filename(test_tmpdir(), "hup.sock", NULL);
    ConsoleConfig cfg = { .mode = CONSOLE_MODE_SOCKET, .socket = path };
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(CharBackend) be = NULL;
    Sink sink;
    int c;

    /* "echo cmd | socat - UNIX-CONNECT:path": the client sends more than
     * the consumer takes at once and leaves; nothing may be lost. */
    sink_init(&sink, 4);
    be = chardev_new(&cfg, "serial", ctx, NULL);
    chardev_set_input_handler(be, sink_can_read, sink_read, &sink);
    c = test_unix_connect(path);
    iterate(ctx);
    g_assert_cmpint(write(c, "uname -a\n", 9), ==, 9);
    close(c);
    g_assert_true(sink_wait(ctx, &sink, 4));
    iterate(ctx);
    g_assert_cmpuint(sink.got->len, ==, 4);
    for (int i = 0; i < 3 && sink.got->len < 9; i++) {
        sink.room = 4;
        chardev_accept_input(be);
        g_assert_true(sink_wait(ctx, &sink, MIN(9, sink.got->len + 1)));
        iterate(ctx);
    }
    g_assert_cmpmem(sink.got->data, sink.got->len, "uname -a\n", 9);
    /* And the console takes a new client afterwards. */
    c = test_unix_connect(path);
    g_assert_cmpint(write(c, "!", 1), ==, 1);
    sink.room = 4;
    g_assert_true(sink_wait(ctx, &sink, 10));
    close(c);
    sink_clear(&sink);
}

static void
test_backpressure(void)
{
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(CharBackend) be = NULL;
    Sink sink;
    int sv[2];
    char data[300];

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)i;
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    sink_init(&sink, 16);
    be = chardev_new_fds("test", sv[0], sv[0], ctx);
    chardev_set_input_handler(be, sink_can_read, sink_read, &sink);
    g_assert_cmpint(write(sv[1], data, sizeof(data)), ==, sizeof(data));
    g_assert_true(sink_wait(ctx, &sink, 16));
    iterate(ctx);
    /* Never more than the consumer said it takes. */
    g_assert_cmpuint(sink.got->len, ==, 16);
    while (sink.got->len < sizeof(data)) {
        size_t before = sink.got->len;

        sink.room = 16;
        chardev_accept_input(be);
        g_assert_true(sink_wait(ctx, &sink, before + 1));
        iterate(ctx);
        g_assert_cmpuint(sink.got->len, <=, before + 16);
    }
    g_assert_cmpmem(sink.got->data, sink.got->len, data, sizeof(data));
    close(sv[1]);
    sink_clear(&sink);
}

static void
test_pty(void)
{
    ConsoleConfig cfg = { .mode = CONSOLE_MODE_PTY };
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(CharBackend) be = chardev_new(&cfg, "serial", ctx, &error);
    struct winsize ws = { .ws_col = 132, .ws_row = 43 };
    struct termios t;
    uint16_t cols = 0, rows = 0;
    Sink sink;
    char buf[16];
    int fd;

    g_assert_no_error(error);
    g_assert_true(g_str_has_prefix(chardev_get_pty_path(be), "/dev/pts/"));
    sink_init(&sink, 64);
    chardev_set_input_handler(be, sink_can_read, sink_read, &sink);
    chardev_set_resize_handler(be, sink_resize, &sink);

    fd = open(chardev_get_pty_path(be), O_RDWR | O_NOCTTY | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    /* Raw: bytes pass unchanged (no \n -> \r\n, no echo). */
    g_assert_cmpint(tcgetattr(fd, &t), ==, 0);
    g_assert_false(t.c_lflag & (ICANON | ECHO));
    chardev_write(be, "out\n", 4);
    g_assert_cmpuint(read_while_iterating(ctx, fd, buf, 4), ==, 4);
    g_assert_cmpmem(buf, 4, "out\n", 4);
    g_assert_cmpint(write(fd, "in", 2), ==, 2);
    g_assert_true(sink_wait(ctx, &sink, 2));
    g_assert_cmpmem(sink.got->data, sink.got->len, "in", 2);

    g_assert_cmpint(ioctl(fd, TIOCSWINSZ, &ws), ==, 0);
    g_assert_true(chardev_get_winsize(be, &cols, &rows));
    g_assert_cmpuint(cols, ==, 132);
    g_assert_cmpuint(rows, ==, 43);
    /* The resize is noticed by polling (the master gets no SIGWINCH). */
    for (int i = 0; i < 300 && sink.resizes == 0; i++) {
        g_usleep(10000);
        iterate(ctx);
    }
    g_assert_cmpuint(sink.resizes, ==, 1);
    g_assert_cmpuint(sink.cols, ==, 132);
    g_assert_cmpuint(sink.rows, ==, 43);
    close(fd);
    sink_clear(&sink);
}

static void
test_pty_no_reader(void)
{
    ConsoleConfig cfg = { .mode = CONSOLE_MODE_PTY };
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(CharBackend) be = chardev_new(&cfg, "serial", ctx, NULL);
    g_autofree char *chunk = g_malloc0(4096);
    int64_t start = g_get_monotonic_time();

    /* Nobody opened the slave: 1 MiB must not block the writer. */
    for (int i = 0; i < 256; i++)
        g_assert_cmpuint(chardev_write(be, chunk, 4096), ==, 4096);
    iterate(ctx);
    g_assert_cmpint(g_get_monotonic_time() - start, <, 2 * G_USEC_PER_SEC);
    /* The pty buffer and the ring hold some; the oldest rest is dropped. */
    g_assert_cmpuint(chardev_get_dropped(be), >, 0);
    g_assert_cmpuint(chardev_get_dropped(be), <, 1024 * 1024);
}

static void
test_socket_slow_client(void)
{
    g_autofree char *path = g_build_filename(test_tmpdir(), "slow.sock",
                                             NULL);
    ConsoleConfig cfg = { .mode = CONSOLE_MODE_SOCKET, .socket = path };
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(CharBackend) be = chardev_new(&cfg, "serial", ctx, NULL);
    g_autofree char *chunk = g_malloc(4096);
    g_autofree char *buf = g_malloc(65536);
    uint64_t total = 0, written = 0;
    int64_t start;
    char last = 0;
    int idle = 0;
    int c = test_unix_connect(path);

    iterate(ctx);
    start = g_get_monotonic_time();
    /* A client that does not read: writes still return at once. */
    for (int i = 0; i < 1024; i++) {
        memset(chunk, i & 0xff, 4096);
        written += chardev_write(be, chunk, 4096);
    }
    g_assert_cmpint(g_get_monotonic_time() - start, <, 2 * G_USEC_PER_SEC);
    g_assert_cmpuint(chardev_get_dropped(be), >, 0);
    /* When it reads, everything not dropped arrives, the newest last. */
    while (idle < 20) {
        size_t n;

        iterate(ctx);
        n = read_some(c, buf, 65536, 10);
        idle = n ? 0 : idle + 1;
        if (n)
            last = buf[n - 1];
        total += n;
    }
    g_assert_cmpuint(total + chardev_get_dropped(be), ==, written);
    g_assert_cmpint((uint8_t)last, ==, 1023 & 0xff);
    close(c);
}

/* Runs @fn with fds 0 and 1 replaced by @in and @out. */
static void
with_stdio(int in, int out, void (*fn)(gpointer), gpointer data)
{
    int saved_in = dup(STDIN_FILENO), saved_out = dup(STDOUT_FILENO);

    fflush(stdout);
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    fn(data);
    dup2(saved_in, STDIN_FILENO);
    dup2(saved_out, STDOUT_FILENO);
    close(saved_in);
    close(saved_out);
}

typedef struct {
    int host_in;        /* write end of the fake stdin */
    int host_out;       /* read end of the fake stdout */
    int tty_fd;         /* -1, or the pty slave used as stdin */
} TtyCase;

static void
tty_body(gpointer data)
{
    TtyCase *tc = data;
    ConsoleConfig cfg = { .mode = CONSOLE_MODE_TTY };
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(GError) error = NULL;
    CharBackend *be, *be2;
    struct termios t;
    Sink sink;
    char buf[8];

    sink_init(&sink, 64);
    be = chardev_new(&cfg, "serial", ctx, &error);
    g_assert_no_error(error);
    /* A second Tty backend (the debug console) shares stdout safely. */
    be2 = chardev_new(&cfg, "debug-console", ctx, &error);
    g_assert_no_error(error);
    if (tc->tty_fd >= 0) {
        g_assert_cmpint(tcgetattr(STDIN_FILENO, &t), ==, 0);
        g_assert_false(t.c_lflag & (ICANON | ECHO | ISIG));
    }
    chardev_set_input_handler(be, sink_can_read, sink_read, &sink);
    chardev_write(be, "tty!", 4);
    chardev_write(be2, "e9", 2);
    g_assert_cmpuint(read_while_iterating(ctx, tc->host_out, buf, 6), ==, 6);
    g_assert_cmpmem(buf, 6, "tty!e9", 6);
    g_assert_cmpint(write(tc->host_in, "k", 1), ==, 1);
    g_assert_true(sink_wait(ctx, &sink, 1));
    chardev_free(be2);
    if (tc->tty_fd >= 0) {
        /* Still raw while the serial uses it. */
        g_assert_cmpint(tcgetattr(STDIN_FILENO, &t), ==, 0);
        g_assert_false(t.c_lflag & ICANON);
    }
    chardev_free(be);
    if (tc->tty_fd >= 0) {
        /* The last one restored the terminal. */
        g_assert_cmpint(tcgetattr(STDIN_FILENO, &t), ==, 0);
        g_assert_true(t.c_lflag & ICANON);
    }
    sink_clear(&sink);
}

static void
test_tty_pipes(void)
{
    int in[2], out[2];
    TtyCase tc = { .tty_fd = -1 };

    g_assert_cmpint(pipe(in), ==, 0);
    g_assert_cmpint(pipe(out), ==, 0);
    tc.host_in = in[1];
    tc.host_out = out[0];
    with_stdio(in[0], out[1], tty_body, &tc);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
}

static void
test_tty_terminal(void)
{
    ConsoleConfig cfg = { .mode = CONSOLE_MODE_PTY };
    g_autoptr(CharBackend) term = chardev_new(&cfg, "term", NULL, NULL);
    int slave, out[2];
    struct termios t;
    TtyCase tc;

    /* A pseudo-terminal in canonical mode plays the user's terminal. */
    slave = open(chardev_get_pty_path(term), O_RDWR | O_NOCTTY | O_CLOEXEC);
    g_assert_cmpint(slave, >=, 0);
    g_assert_cmpint(tcgetattr(slave, &t), ==, 0);
    t.c_lflag |= ICANON | ECHO | ISIG;
    g_assert_cmpint(tcsetattr(slave, TCSANOW, &t), ==, 0);
    g_assert_cmpint(pipe(out), ==, 0);
    tc.host_in = term->in_fd;     /* the master side types */
    tc.host_out = out[0];
    tc.tty_fd = slave;
    with_stdio(slave, out[1], tty_body, &tc);
    close(slave);
    close(out[0]);
    close(out[1]);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/chardev/null", test_null);
    g_test_add_func("/chardev/invalid", test_invalid);
    g_test_add_func("/chardev/file", test_file);
    g_test_add_func("/chardev/socket", test_socket);
    g_test_add_func("/chardev/socket-stale", test_socket_stale);
    g_test_add_func("/chardev/socket-hup-drain", test_socket_hup_drain);
    g_test_add_func("/chardev/socket-slow-client", test_socket_slow_client);
    g_test_add_func("/chardev/backpressure", test_backpressure);
    g_test_add_func("/chardev/pty", test_pty);
    g_test_add_func("/chardev/pty-no-reader", test_pty_no_reader);
    g_test_add_func("/chardev/tty-pipes", test_tty_pipes);
    g_test_add_func("/chardev/tty-terminal", test_tty_terminal);
    return g_test_run();
}

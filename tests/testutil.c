/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by unit and integration tests. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "tests/testutil.h"

const char *
test_top_srcdir(void)
{
    const char *s = g_getenv("NIMBUS_TOP_SRCDIR");
    return s ? s : ".";
}

const char *
test_top_builddir(void)
{
    const char *s = g_getenv("NIMBUS_TOP_BUILDDIR");
    return s ? s : ".";
}

char *
test_build_path(const char *rel)
{
    return g_build_filename(test_top_builddir(), rel, NULL);
}

char *
test_src_path(const char *rel)
{
    return g_build_filename(test_top_srcdir(), rel, NULL);
}

static char *tmpdir;

static void
remove_tree(const char *path)
{
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    const char *e;

    if (d) {
        while ((e = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(path, e, NULL);

            if (g_file_test(p, G_FILE_TEST_IS_DIR) &&
                !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                remove_tree(p);
            else
                g_unlink(p);
        }
    }
    g_rmdir(path);
}

static void
tmpdir_cleanup(void)
{
    if (tmpdir && !g_getenv("NIMBUS_TEST_KEEP"))
        remove_tree(tmpdir);
}

const char *
test_tmpdir(void)
{
    if (!tmpdir) {
        g_autoptr(GError) error = NULL;

        tmpdir = g_dir_make_tmp("nimbus-test-XXXXXX", &error);
        g_assert_no_error(error);
        atexit(tmpdir_cleanup);
    }
    return tmpdir;
}

char *
test_asset(const char *name)
{
    const char *dir = g_getenv("NIMBUS_ASSETS_DIR");
    g_autofree char *path = NULL;

    if (!dir) {
        g_test_message("NIMBUS_ASSETS_DIR is not set: run integration tests "
                       "through tests/harness/with-kvm (make check does)");
        g_test_fail();
        return g_strdup("/nonexistent");
    }
    path = g_build_filename(dir, name, NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_test_message("guest asset %s is missing", path);
        g_test_fail();
    }
    return g_steal_pointer(&path);
}

struct TestProc {
    GPid pid;
    int stdin_fd;
    char *log_path;
    bool exited;
    int status;
};

TestProc *
test_proc_spawn_full(const char *const *argv, const int *keep_fds,
                     unsigned n_keep_fds)
{
    static unsigned counter;
    TestProc *p = g_new0(TestProc, 1);
    int in[2];
    int log_fd;

    p->log_path = g_strdup_printf("%s/proc-%u.log", test_tmpdir(), counter++);
    log_fd = open(p->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_assert_cmpint(log_fd, >=, 0);
    g_assert_cmpint(pipe2(in, O_CLOEXEC), ==, 0);

    p->pid = fork();
    g_assert_cmpint(p->pid, >=, 0);
    if (p->pid == 0) {
        dup2(in[0], 0);
        dup2(log_fd, 1);
        dup2(log_fd, 2);
        for (unsigned i = 0; i < n_keep_fds; i++)
            fcntl(keep_fds[i], F_SETFD, 0);
        /* Own process group, so a timeout kills helpers it spawns too. */
        setpgid(0, 0);
        execvp(argv[0], (char *const *)argv);
        dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(log_fd);
    p->stdin_fd = in[1];
    {
        g_autofree char *cmd = g_strjoinv(" ", (char **)argv);
        g_test_message("spawned [%d] %s (log %s)", p->pid, cmd, p->log_path);
    }
    return p;
}

TestProc *
test_proc_spawn(const char *const *argv)
{
    return test_proc_spawn_full(argv, NULL, 0);
}

bool
test_proc_exited(TestProc *p)
{
    int st;

    if (p->exited)
        return true;
    if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
        p->exited = true;
        p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    return p->exited;
}

char *
test_proc_output(TestProc *p)
{
    char *contents = NULL;

    if (g_file_get_contents(p->log_path, &contents, NULL, NULL))
        return contents;
    return g_strdup("");
}

bool
test_proc_wait_output(TestProc *p, const char *needle, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        g_autofree char *out = test_proc_output(p);
        bool exited;

        if (strstr(out, needle))
            return true;
        /* A guest kernel that panicked will not print the needle: with
         * panic=-1 it reboots (or, broken enough, hangs), so waiting out
         * a boot timeout of minutes only delays the failure. */
        if (strstr(out, GUEST_PANIC) && !strstr(needle, GUEST_PANIC)) {
            g_autofree char *last = NULL;

            g_usleep(500 * 1000);   /* the rest of the oops, for the log */
            last = test_proc_output(p);
            g_test_message("the guest kernel panicked while waiting for '%s'; "
                           "output:\n%s", needle, last);
            return false;
        }
        exited = test_proc_exited(p);
        if (exited || g_get_monotonic_time() > deadline) {
            /* One more look: output may have landed just before exit. */
            g_autofree char *last = test_proc_output(p);

            if (strstr(last, needle))
                return true;
            g_test_message("timed out or exited waiting for '%s'; output:\n%s",
                           needle, last);
            return false;
        }
        g_usleep(50 * 1000);
    }
}

int
test_proc_wait_exit(TestProc *p, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (!test_proc_exited(p)) {
        if (g_get_monotonic_time() > deadline) {
            g_autofree char *out = test_proc_output(p);

            g_test_message("process %d did not exit within %u ms; output:\n%s",
                           p->pid, timeout_ms, out);
            kill(-p->pid, SIGKILL);
            kill(p->pid, SIGKILL);
            return -1;
        }
        g_usleep(20 * 1000);
    }
    return p->status;
}

void
test_proc_write(TestProc *p, const char *text)
{
    size_t len = strlen(text);

    g_assert_cmpint(write(p->stdin_fd, text, len), ==, (ssize_t)len);
}

GPid
test_proc_pid(TestProc *p)
{
    return p->pid;
}

void
test_proc_free(TestProc *p)
{
    if (!p)
        return;
    if (!test_proc_exited(p)) {
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
    }
    if (g_test_failed()) {
        g_autofree char *out = test_proc_output(p);
        g_test_message("output of process %d:\n%s", p->pid, out);
    }
    if (p->stdin_fd >= 0)
        close(p->stdin_fd);
    g_free(p->log_path);
    g_free(p);
}

int
test_run(const char *const *argv, char **out, guint timeout_ms)
{
    g_autoptr(TestProc) p = test_proc_spawn(argv);
    int st = test_proc_wait_exit(p, timeout_ms);

    if (out)
        *out = test_proc_output(p);
    return st;
}

int
test_unix_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return fd;
}

TestProc *
test_dbus_daemon_spawn(const char *bus_arg, char **address)
{
    const char *argv[] = { "dbus-daemon", bus_arg, "--nofork",
                           "--print-address=1", NULL };
    TestProc *p = test_proc_spawn(argv);
    char *out = NULL;
    const char *start, *end = NULL;

    g_assert_true(test_proc_wait_output(p, "unix:", 10000));
    /* "unix:" may come before the rest of the line: the address is
     * complete once its newline is there. */
    for (int i = 0; i < 100 && !end; i++) {
        if (i)
            g_usleep(10000);
        g_free(out);
        out = test_proc_output(p);
        start = strstr(out, "unix:");
        end = strchr(start, '\n');
    }
    g_assert_nonnull(end);
    *address = g_strndup(start, end - start);
    g_free(out);
    return p;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the seccomp filters: each role refuses what it must, in every --seccomp mode. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "common/thread-role.h"
#include "daemon/seccomp-priv.h"
#include "tests/seccomp-threads.h"
#include "tests/testutil.h"

/*
 * Calls a role may refuse that do nothing harmful when made with all-zero
 * arguments (log mode lets them run): each fails with EFAULT, EBADF,
 * ENOTSOCK or EINVAL.  The test takes the first one the role does not
 * mention, so that it shows the role's narrowing and not only the
 * baseline's; chroot is in no list at all.
 */
static const char *const probe_calls[] = {
    "openat", "socket", "ioctl", "io_uring_setup", "memfd_create", "accept4",
    "connect", "unlinkat", "chroot",
};

/* A KVM ioctl, and one of a type (0x12) no role's condition allows. */
#define PROBE_IOCTL_KVM 0xae00         /* KVM_GET_API_VERSION */
#define PROBE_IOCTL_OTHER 0x1234

typedef struct {
    ThreadRole role;
    SeccompMode mode;
    int nr;
    long arg1;
} Probe;

static int
probe_pick(ThreadRole role)
{
    for (guint i = 0; i < G_N_ELEMENTS(probe_calls); i++) {
        int nr = seccomp_syscall_resolve_name(probe_calls[i]);

        g_assert_cmpint(nr, >=, 0);
        if (!seccomp_role_mentions(role, nr))
            return nr;
    }
    g_assert_not_reached();
}

/* The child's thread: filter, then the call.  Exit status 0: the call
 * ran and failed as it does unfiltered; 1: it failed with EPERM. */
static gpointer
probe_thread(gpointer data)
{
    Probe *p = data;
    GError *error = NULL;
    long r;

    if (!seccomp_install_role(p->role, p->mode, &error)) {
        g_printerr("install: %s\n", error->message);
        _exit(90);
    }
    errno = 0;
    r = syscall(p->nr, -1L, p->arg1, 0L, 0L, 0L, 0L);
    _exit(r < 0 && errno == EPERM ? 1 : 0);
}

/* Runs @p in a forked child with stderr into *@err; returns the wait
 * status. */
static int
probe_run(Probe *p, char **err)
{
    int pipefd[2];
    int status = 0;
    pid_t pid;
    GString *out = g_string_new(NULL);
    char buf[512];
    ssize_t n;

    g_assert_cmpint(pipe2(pipefd, O_CLOEXEC), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        GThread *t;

        dup2(pipefd[1], STDERR_FILENO);
        t = g_thread_new("probe", probe_thread, p);
        g_thread_join(t);
        _exit(91);
    }
    close(pipefd[1]);
    while ((n = read(pipefd[0], buf, sizeof(buf))) > 0 ||
           (n < 0 && errno == EINTR))
        g_string_append_len(out, buf, MAX(n, 0));
    close(pipefd[0]);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    *err = g_string_free(out, FALSE);
    if (g_test_verbose())
        g_printerr("child %d: status 0x%x, stderr: %s\n", pid, status, *err);
    return status;
}

/* The kernel's audit record of a logged call (best effort: printk of
 * audit records is rate-limited when no auditd runs). */
static bool
kmsg_has_seccomp_log(int nr)
{
    g_autofd_t fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    g_autofree char *want = g_strdup_printf(" syscall=%d ", nr);
    char rec[4096];
    bool found = false;
    ssize_t n;

    if (fd < 0)
        return false;
    for (;;) {
        n = read(fd, rec, sizeof(rec) - 1);
        if (n < 0 && errno == EPIPE)
            continue;       /* a record was overwritten: read on */
        if (n <= 0)
            break;          /* EAGAIN: the end of the buffer */
        rec[n] = '\0';
        if (strstr(rec, "type=1326") && strstr(rec, want))
            found = true;
    }
    return found;
}

/* true: the call kills the process with SIGSYS, and the log line names
 * the thread's role and the call. */
static void
test_role_kill(gconstpointer data)
{
    Probe p = { .role = GPOINTER_TO_INT(data), .mode = SECCOMP_MODE_TRUE };
    g_autofree char *err = NULL;
    g_autofree char *want = NULL;
    char *name;
    int status;

    p.nr = probe_pick(p.role);
    status = probe_run(&p, &err);
    g_assert_true(WIFSIGNALED(status));
    g_assert_cmpint(WTERMSIG(status), ==, SIGSYS);
    /* libseccomp's string, from malloc(). */
    name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, p.nr);
    want = g_strdup_printf("thread '%s' made a forbidden system call: %s (%d)",
                           thread_role_name(p.role), name, p.nr);
    free(name);
    g_assert_nonnull(strstr(err, want));
}

/* log: the call runs (its own error, not EPERM) and the process lives;
 * the kernel logs it. */
static void
test_role_log(gconstpointer data)
{
    Probe p = { .role = GPOINTER_TO_INT(data), .mode = SECCOMP_MODE_LOG };
    g_autofree char *err = NULL;
    int status;

    p.nr = probe_pick(p.role);
    status = probe_run(&p, &err);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    if (!kmsg_has_seccomp_log(p.nr))
        g_test_message("no audit record for syscall %d in /dev/kmsg "
                       "(unreadable, audit off or rate-limited)", p.nr);
}

/* errno: the call fails with EPERM, as CH's errno mode. */
static void
test_role_errno(gconstpointer data)
{
    Probe p = { .role = GPOINTER_TO_INT(data), .mode = SECCOMP_MODE_ERRNO };
    g_autofree char *err = NULL;
    int status;

    p.nr = probe_pick(p.role);
    status = probe_run(&p, &err);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
}

/* Argument filtering: a vCPU thread may make KVM ioctls, no others. */
static void
test_vcpu_ioctl(void)
{
    Probe p = {
        .role = THREAD_ROLE_VCPU, .mode = SECCOMP_MODE_TRUE,
        .nr = SCMP_SYS(ioctl), .arg1 = PROBE_IOCTL_KVM,
    };
    g_autofree char *err = NULL;
    g_autofree char *err2 = NULL;
    int status;

    status = probe_run(&p, &err);          /* ioctl(-1, KVM_...): EBADF */
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    p.arg1 = PROBE_IOCTL_OTHER;
    status = probe_run(&p, &err2);
    g_assert_true(WIFSIGNALED(status));
    g_assert_cmpint(WTERMSIG(status), ==, SIGSYS);
    g_assert_nonnull(strstr(err2, "forbidden system call: ioctl"));
}

/* Every role's list, and the baseline, compile in every mode: a
 * misspelled call name would otherwise only show when nimbus starts. */
static void
test_rules_compile(void)
{
    for (int mode = 0; mode < SECCOMP_MODE_LAST; mode++) {
        for (int role = 0; role <= THREAD_ROLE_LAST; role++) {
            g_autoptr(GError) error = NULL;
            scmp_filter_ctx ctx = seccomp_filter_new(role, mode, &error);

            g_assert_no_error(error);
            g_assert_nonnull(ctx);
            seccomp_release(ctx);
        }
    }
}

static void
test_mode_parse(void)
{
    static const char *const bad[] = { "", "on", "1", "True", "kill", NULL };
    SeccompMode mode;

    for (int m = 0; m < SECCOMP_MODE_LAST; m++) {
        g_assert_true(seccomp_mode_parse(seccomp_mode_name(m), &mode, NULL));
        g_assert_cmpint(mode, ==, m);
    }
    for (guint i = 0; bad[i]; i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *want =
            g_strdup_printf("--seccomp: invalid value '%s': expected true, "
                            "false, log or errno", bad[i]);

        mode = SECCOMP_MODE_LAST;
        g_assert_false(seccomp_mode_parse(bad[i], &mode, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        g_assert_cmpstr(error->message, ==, want);
        g_assert_cmpint(mode, ==, SECCOMP_MODE_LAST);   /* untouched */
    }
}

/* false: nothing installed, the forbidden call runs. */
static void
test_mode_false(void)
{
    Probe p = {
        .role = THREAD_ROLE_EVENT_MONITOR, .mode = SECCOMP_MODE_FALSE,
        .nr = SCMP_SYS(chroot),
    };
    g_autofree char *err = NULL;
    int status = probe_run(&p, &err);

    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

/* Reports the role and signal mask the thread started with. */
static gpointer
role_report(gpointer data)
{
    int *out = data;
    sigset_t cur;

    pthread_sigmask(SIG_SETMASK, NULL, &cur);
    out[0] = thread_role_current();
    out[1] = sigismember(&cur, SIGTERM);
    out[2] = sigismember(&cur, SIGSYS);
    return NULL;
}

static bool
enter_refuse_rng(ThreadRole role, GError **error)
{
    if (role != THREAD_ROLE_VIRTIO_RNG)
        return true;
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                        "refused");
    return false;
}

/*
 * thread_role_new() through the spawner: the hook runs on the new thread
 * before its function, a refusal means the function never runs and the
 * caller gets the error, and threads start with SIGTERM blocked but not
 * SIGSYS.  In a subprocess: the hook can be set once per process.
 */
static void
test_spawner(void)
{
    if (g_test_subprocess()) {
        int out[3] = { -1, -1, -1 };
        g_autoptr(GError) error = NULL;
        GThread *t;

        g_assert_true(thread_role_set_enter(enter_refuse_rng, &error));
        t = thread_role_new(THREAD_ROLE_VIRTIO_BLK, "blk", role_report, out,
                            &error);
        g_assert_no_error(error);
        g_thread_join(t);
        g_assert_cmpint(out[0], ==, THREAD_ROLE_VIRTIO_BLK);
        g_assert_cmpint(out[1], ==, 1);
        g_assert_cmpint(out[2], ==, 0);
        out[0] = -1;
        g_assert_null(thread_role_new(THREAD_ROLE_VIRTIO_RNG, "rng",
                                      role_report, out, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
        g_assert_cmpstr(error->message, ==, "rng: refused");
        g_assert_cmpint(out[0], ==, -1);      /* never ran */
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
}

/* One HTTP/1.1 request on the API socket; returns the whole answer. */
static char *
api_request(const char *sock, const char *method, const char *what)
{
    g_autofd_t fd = test_unix_connect(sock);
    g_autofree char *req =
        g_strdup_printf("%s /api/v1/%s HTTP/1.1\r\nHost: localhost\r\n"
                        "Content-Length: 0\r\nConnection: close\r\n\r\n",
                        method, what);
    GString *out = g_string_new(NULL);
    char buf[1024];
    ssize_t n;

    g_assert_cmpint(fd_write_all(fd, req, strlen(req)), ==, 0);
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        g_string_append_len(out, buf, n);
    return g_string_free(out, FALSE);
}

/*
 * A real nimbus with every API on (REST, D-Bus, event monitor), used
 * through both APIs: every thread it has, GLib's included, shows
 * "Seccomp: 2" (filter mode), and it exits cleanly, not of SIGSYS.  vCPU
 * and worker threads need KVM: the integration tests check those.
 */
static void
test_nimbus_threads(void)
{
    const char *dir = test_tmpdir();
    g_autofree char *bin = test_build_path("nimbus");
    g_autofree char *sock = g_build_filename(dir, "api.sock", NULL);
    g_autofree char *ev = g_build_filename(dir, "events", NULL);
    g_autofree char *sock_arg = g_strdup_printf("path=%s", sock);
    g_autofree char *ev_arg = g_strdup_printf("path=%s", ev);
    g_autofree char *bus_address = NULL;
    g_autoptr(TestProc) bus = test_dbus_daemon_spawn("--session", &bus_address);
    g_autoptr(TestProc) vmm = NULL;
    g_autofree char *ping = NULL;
    g_autofree char *bye = NULL;
    g_autofree char *dbus_out = NULL;
    const char *const argv[] = {
        bin, "--api-socket", sock_arg, "--event-monitor", ev_arg,
        "--dbus-service-name", "org.nimbus.SeccompTest",
        "--dbus-object-path", "/org/nimbus/SeccompTest", NULL,
    };
    const char *const gdbus[] = {
        "gdbus", "call", "--address", bus_address,
        "--dest", "org.nimbus.SeccompTest",
        "--object-path", "/org/nimbus/SeccompTest",
        "--method", "org.cloudhypervisor.DBusApi1.VmmPing", NULL,
    };
    static const char *const expected[] = {
        "vmm", "spawner", "http-server", "dbus-thread", "event-monitor", NULL,
    };

    g_setenv("DBUS_SESSION_BUS_ADDRESS", bus_address, TRUE);
    vmm = test_proc_spawn(argv);
    /* The D-Bus API starts after the REST one: once it answers, both
     * are up. */
    for (int i = 0; i < 100 && !test_proc_exited(vmm); i++) {
        g_clear_pointer(&dbus_out, g_free);
        if (test_run(gdbus, &dbus_out, 20000) == 0)
            break;
        g_usleep(100000);
    }
    g_assert_nonnull(strstr(dbus_out, "build_version"));
    ping = api_request(sock, "GET", "vmm.ping");
    g_assert_nonnull(strstr(ping, "200 OK"));

    test_assert_threads_seccomp(test_proc_pid(vmm), expected);
    bye = api_request(sock, "PUT", "vmm.shutdown");
    g_assert_nonnull(strstr(bye, "204"));
    g_assert_cmpint(test_proc_wait_exit(vmm, 20000), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/seccomp/mode-parse", test_mode_parse);
    g_test_add_func("/seccomp/mode-false", test_mode_false);
    g_test_add_func("/seccomp/rules-compile", test_rules_compile);
    g_test_add_func("/seccomp/vcpu-ioctl-args", test_vcpu_ioctl);
    g_test_add_func("/seccomp/spawner", test_spawner);
    g_test_add_func("/seccomp/nimbus-threads", test_nimbus_threads);
    for (int r = 0; r < THREAD_ROLE_LAST; r++) {
        static const struct {
            const char *mode;
            GTestDataFunc func;
        } kinds[] = {
            { "kill", test_role_kill },
            { "log", test_role_log },
            { "errno", test_role_errno },
        };

        for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
            g_autofree char *path =
                g_strdup_printf("/seccomp/role/%s/%s", thread_role_name(r),
                                kinds[k].mode);

            g_test_add_data_func(path, GINT_TO_POINTER(r), kinds[k].func);
        }
    }
    return g_test_run();
}

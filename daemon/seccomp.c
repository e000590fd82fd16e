/* SPDX-License-Identifier: Apache-2.0 */
/* seccomp: builds each role's filter with libseccomp and installs it as the thread starts. */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "daemon/seccomp-priv.h"

/*
 * Design (docs/seccomp.md).  Filters stack and only ever narrow, and a new
 * thread inherits its creator's filter.  So main() first installs the
 * baseline, the union of every role's list, on every thread there is
 * (TSYNC: GLib may have started helpers already); a "spawner" thread that
 * keeps the baseline creates every role thread (common/thread-role.c), and
 * each narrows itself to its role before running any of its code.  GLib's
 * own threads get the filter of the thread that starts them: the main
 * thread's ("vmm"), or the D-Bus thread's for GDBus's worker.
 *
 * Filters are compiled once, at setup, into BPF programs: installing one
 * on a new thread is then a single seccomp() call that allocates nothing.
 */

/* Highest x86_64/aarch64 system call number is below this. */
#define SECCOMP_MAX_NR 512

static const char *const seccomp_mode_names[] = {
    [SECCOMP_MODE_TRUE] = "true",
    [SECCOMP_MODE_FALSE] = "false",
    [SECCOMP_MODE_LOG] = "log",
    [SECCOMP_MODE_ERRNO] = "errno",
};
G_STATIC_ASSERT(G_N_ELEMENTS(seccomp_mode_names) == SECCOMP_MODE_LAST);

/* Compiled programs, by mode and role (THREAD_ROLE_LAST: the baseline).
 * Filled under @prog_lock; a filled slot never changes again. */
static struct sock_fprog seccomp_progs[SECCOMP_MODE_LAST][THREAD_ROLE_LAST + 1];
static GMutex prog_lock;
/* The mode seccomp_setup() chose; read by the enter hook. */
static SeccompMode seccomp_active_mode = SECCOMP_MODE_FALSE;
/* System call names for the SIGSYS handler, which may not allocate. */
static char *seccomp_syscall_names[SECCOMP_MAX_NR];

bool
seccomp_mode_parse(const char *value, SeccompMode *mode, GError **error)
{
    for (int i = 0; i < SECCOMP_MODE_LAST; i++) {
        if (value && strcmp(value, seccomp_mode_names[i]) == 0) {
            *mode = i;
            return true;
        }
    }
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "--seccomp: invalid value '%s': expected true, false, log or "
                "errno", value ? value : "");
    return false;
}

const char *
seccomp_mode_name(SeccompMode mode)
{
    return mode < SECCOMP_MODE_LAST ? seccomp_mode_names[mode] : "unknown";
}

static uint32_t
seccomp_mismatch_action(SeccompMode mode)
{
    switch (mode) {
    case SECCOMP_MODE_LOG:
        return SCMP_ACT_LOG;
    case SECCOMP_MODE_ERRNO:
        return SCMP_ACT_ERRNO(EPERM);
    default:
        /* SIGSYS to our handler, which names the call and then lets the
         * kernel kill the process with SIGSYS (seccomp_sigsys()). */
        return SCMP_ACT_TRAP;
    }
}

static bool
seccomp_add_rule(scmp_filter_ctx ctx, const SeccompRule *r, GError **error)
{
    int nr = seccomp_syscall_resolve_name(r->name);
    int rc;

    if (nr == __NR_SCMP_ERROR) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "seccomp: unknown system call '%s'", r->name);
        return false;
    }
    if (r->arg < 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    } else {
        struct scmp_arg_cmp cmp = {
            .arg = (unsigned)r->arg, .op = r->op, .datum_a = r->a,
            .datum_b = r->b,
        };

        rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
    }
    /* -EEXIST: the same call allowed twice (sets overlap), harmless. */
    if (rc < 0 && rc != -EEXIST) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-rc),
                    "seccomp: cannot add a rule for '%s': %s", r->name,
                    g_strerror(-rc));
        return false;
    }
    return true;
}

static bool
seccomp_add_role(scmp_filter_ctx ctx, ThreadRole role, GError **error)
{
    const SeccompRuleSet *const *sets = seccomp_role_sets(role);

    for (; *sets; sets++) {
        for (size_t i = 0; i < (*sets)->n_rules; i++) {
            if (!seccomp_add_rule(ctx, &(*sets)->rules[i], error)) {
                g_prefix_error(error, "%s role (%s): ", thread_role_name(role),
                               (*sets)->what);
                return false;
            }
        }
    }
    return true;
}

/* @role's rules, or for THREAD_ROLE_LAST every role's and the
 * baseline's own. */
static bool
seccomp_add_rules(scmp_filter_ctx ctx, ThreadRole role, GError **error)
{
    if (role < THREAD_ROLE_LAST)
        return seccomp_add_role(ctx, role, error);
    for (int r = 0; r < THREAD_ROLE_LAST; r++) {
        if (!seccomp_add_role(ctx, r, error))
            return false;
    }
    for (size_t i = 0; i < seccomp_set_baseline_only.n_rules; i++) {
        if (!seccomp_add_rule(ctx, &seccomp_set_baseline_only.rules[i], error))
            return false;
    }
    return true;
}

scmp_filter_ctx
seccomp_filter_new(ThreadRole role, SeccompMode mode, GError **error)
{
    scmp_filter_ctx ctx = seccomp_init(seccomp_mismatch_action(mode));
    int rc;

    if (!ctx) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                            "seccomp: cannot create a filter");
        return NULL;
    }
    /* Another ABI (int 0x80, x32) is never legitimate here. */
    rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    /* No new privileges is set once, process-wide, by seccomp_setup(). */
    if (rc == 0)
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    /* glibc falls back to clone(), which the rules can inspect. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-rc),
                    "seccomp: cannot set up a filter: %s", g_strerror(-rc));
        seccomp_release(ctx);
        return NULL;
    }
    if (!seccomp_add_rules(ctx, role, error)) {
        seccomp_release(ctx);
        return NULL;
    }
    return ctx;
}

bool
seccomp_role_mentions(ThreadRole role, int nr)
{
    const SeccompRuleSet *const *sets = seccomp_role_sets(role);

    for (; *sets; sets++) {
        for (size_t i = 0; i < (*sets)->n_rules; i++) {
            if (seccomp_syscall_resolve_name((*sets)->rules[i].name) == nr)
                return true;
        }
    }
    return false;
}

/* libseccomp 2.5 can only export BPF to an fd: a memfd, read back. */
static bool
seccomp_compile(scmp_filter_ctx ctx, struct sock_fprog *prog, GError **error)
{
    g_autofd_t fd = memfd_create("nimbus-seccomp", MFD_CLOEXEC);
    struct stat st;
    void *buf;
    int rc;

    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "seccomp: memfd_create: %s", g_strerror(errno));
        return false;
    }
    if ((rc = seccomp_export_bpf(ctx, fd)) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-rc),
                    "seccomp: cannot compile a filter: %s", g_strerror(-rc));
        return false;
    }
    if (fstat(fd, &st) < 0 || st.st_size <= 0 ||
        st.st_size % sizeof(struct sock_filter) != 0 ||
        st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                            "seccomp: the compiled filter has a bad size");
        return false;
    }
    buf = g_malloc(st.st_size);
    if (pread(fd, buf, st.st_size, 0) != st.st_size) {
        g_free(buf);
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                            "seccomp: cannot read the compiled filter back");
        return false;
    }
    prog->filter = buf;
    prog->len = st.st_size / sizeof(struct sock_filter);
    return true;
}

/* The compiled program for @role (THREAD_ROLE_LAST: the baseline) in
 * @mode; kept for the life of the process.  (transfer none) */
static const struct sock_fprog *
seccomp_prog_get(ThreadRole role, SeccompMode mode, GError **error)
{
    struct sock_fprog *prog = &seccomp_progs[mode][role];
    scmp_filter_ctx ctx;
    bool ok = true;

    g_mutex_lock(&prog_lock);
    if (!prog->filter) {
        ctx = seccomp_filter_new(role, mode, error);
        ok = ctx && seccomp_compile(ctx, prog, error);
        if (ctx)
            seccomp_release(ctx);
    }
    g_mutex_unlock(&prog_lock);
    return ok ? prog : NULL;
}

/* Async-signal-safe: appends @s to @buf at *@len. */
static void
sigsys_append(char *buf, size_t size, size_t *len, const char *s)
{
    while (*s && *len + 1 < size)
        buf[(*len)++] = *s++;
}

static void
sigsys_append_uint(char *buf, size_t size, size_t *len, unsigned long v)
{
    char digits[24];
    int n = 0;

    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < (int)sizeof(digits));
    while (n > 0 && *len + 1 < size)
        buf[(*len)++] = digits[--n];
}

/*
 * A call outside the thread's list (SECCOMP_MODE_TRUE): say which, on
 * stderr (nimbusd's per-domain log), then die of SIGSYS as CH does.  The
 * handler runs with SIGSYS blocked, so the same call, made again with the
 * same arguments, traps again and the kernel kills the process with SIGSYS
 * (a forced signal that is blocked gets its default action).
 */
static void
seccomp_sigsys(int sig, siginfo_t *si, void *ucontext)
{
    ucontext_t *uc = ucontext;
    int nr = si->si_syscall;
    char msg[256];
    size_t len = 0;
    ssize_t unused;

    sigsys_append(msg, sizeof(msg), &len, "nimbus: seccomp: thread '");
    sigsys_append(msg, sizeof(msg), &len,
                  thread_role_name(thread_role_current()));
    sigsys_append(msg, sizeof(msg), &len, "' made a forbidden system call: ");
    if (nr >= 0 && nr < SECCOMP_MAX_NR && seccomp_syscall_names[nr])
        sigsys_append(msg, sizeof(msg), &len, seccomp_syscall_names[nr]);
    else
        sigsys_append(msg, sizeof(msg), &len, "?");
    sigsys_append(msg, sizeof(msg), &len, " (");
    sigsys_append_uint(msg, sizeof(msg), &len, (unsigned long)nr);
    sigsys_append(msg, sizeof(msg), &len, "); killing the VMM\n");
    unused = write(STDERR_FILENO, msg, len);
    (void)unused;
#if defined(__x86_64__)
    syscall(nr, uc->uc_mcontext.gregs[REG_RDI], uc->uc_mcontext.gregs[REG_RSI],
            uc->uc_mcontext.gregs[REG_RDX], uc->uc_mcontext.gregs[REG_R10],
            uc->uc_mcontext.gregs[REG_R8], uc->uc_mcontext.gregs[REG_R9]);
#else
    (void)uc;
    syscall(nr, 0, 0, 0, 0, 0, 0);
#endif
    /* Not reached unless the arguments no longer match (another thread
     * changed memory the call's conditions do not look at anyway). */
    syscall(SYS_exit_group, 128 + SIGSYS);
}

static bool
seccomp_install_sigsys(GError **error)
{
    static gsize names_done;
    struct sigaction sa;

    if (g_once_init_enter(&names_done)) {
        for (int nr = 0; nr < SECCOMP_MAX_NR; nr++)
            seccomp_syscall_names[nr] =
                seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
        g_once_init_leave(&names_done, 1);
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = seccomp_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "seccomp: cannot handle SIGSYS: %s", g_strerror(errno));
        return false;
    }
    return true;
}

static bool
seccomp_load_prog(const struct sock_fprog *prog, unsigned flags,
                  const char *what, GError **error)
{
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);

    if (r != 0) {
        int e = r < 0 ? errno : EBUSY;

        /* With TSYNC, r > 0 is a thread that has another filter. */
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "seccomp: cannot install the %s filter: %s", what,
                    g_strerror(e));
        return false;
    }
    return true;
}

static bool
seccomp_set_no_new_privs(GError **error)
{
    /* Required to install a filter without CAP_SYS_ADMIN; inherited by
     * every thread created afterwards (and set on the others by TSYNC). */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "seccomp: PR_SET_NO_NEW_PRIVS: %s", g_strerror(errno));
        return false;
    }
    return true;
}

bool
seccomp_install_role(ThreadRole role, SeccompMode mode, GError **error)
{
    const struct sock_fprog *prog;

    g_return_val_if_fail(role < THREAD_ROLE_LAST, false);
    if (mode == SECCOMP_MODE_FALSE)
        return true;
    if (!(prog = seccomp_prog_get(role, mode, error)))
        return false;
    if (mode == SECCOMP_MODE_TRUE && !seccomp_install_sigsys(error))
        return false;
    /* For the SIGSYS handler's message. */
    thread_role_set_current(role);
    return seccomp_set_no_new_privs(error) &&
           seccomp_load_prog(prog, 0, thread_role_name(role), error);
}

/* thread_role_new()'s hook: runs first on each new role thread, under
 * the baseline; only the programs compiled at setup are used. */
static bool
seccomp_enter(ThreadRole role, GError **error)
{
    const struct sock_fprog *prog = &seccomp_progs[seccomp_active_mode][role];

    return seccomp_load_prog(prog, 0, thread_role_name(role), error);
}

/*
 * Files glibc reads lazily, the first time any thread needs them, loaded
 * now while every call is allowed: threads that may not open files need
 * them too.
 */
static void
seccomp_preload(void)
{
    const char *charset = NULL;

    /* /etc/localtime: on the first time conversion, even gmtime_r() (the
     * RTC, on a vCPU thread). */
    tzset();
    /* gconv-modules.cache: on the first iconv_open(), which g_printerr()
     * makes when stderr's charset is not UTF-8 (a vCPU's crash report).
     * nimbus never calls setlocale(), so that conversion is one glibc has
     * built in and nothing else is loaded later. */
    if (!g_get_console_charset(&charset)) {
        g_autofree char *s = g_convert_with_fallback("", 0, charset, "UTF-8",
                                                     "?", NULL, NULL, NULL);
    }
}

bool
seccomp_setup(SeccompMode mode, GError **error)
{
    const struct sock_fprog *base;

    if (mode == SECCOMP_MODE_FALSE)
        return true;
#ifdef NIMBUS_SANITIZER_BUILD
    if (mode == SECCOMP_MODE_TRUE) {
        g_warning("seccomp: sanitizer build: violations are logged, not "
                  "fatal (--seccomp log)");
        mode = SECCOMP_MODE_LOG;
    }
#endif
    seccomp_preload();
    /* Compile everything now, before any filter is on: the role threads
     * only load these programs. */
    for (int r = 0; r <= THREAD_ROLE_LAST; r++) {
        if (!seccomp_prog_get(r, mode, error))
            return false;
    }
    base = &seccomp_progs[mode][THREAD_ROLE_LAST];
    seccomp_active_mode = mode;
    if ((mode == SECCOMP_MODE_TRUE && !seccomp_install_sigsys(error)) ||
        !seccomp_set_no_new_privs(error) ||
        !seccomp_load_prog(base, SECCOMP_FILTER_FLAG_TSYNC, "baseline", error))
        return false;
    /* The spawner starts here, under the baseline, before this thread
     * narrows itself. */
    if (!thread_role_set_enter(seccomp_enter, error))
        return false;
    thread_role_set_current(THREAD_ROLE_VMM);
    return seccomp_load_prog(&seccomp_progs[mode][THREAD_ROLE_VMM], 0,
                             thread_role_name(THREAD_ROLE_VMM), error);
}

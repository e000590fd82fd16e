/* SPDX-License-Identifier: Apache-2.0 */
/* Landlock: confining the VMM to the files its config names (--landlock). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/thread-role.h"
#include "daemon/landlock.h"

/*
 * What is handled and what each rule grants, in the kernel's terms
 * (Documentation/userspace-api/landlock.rst).  Every file-system right
 * the kernel's ABI knows is handled, so anything not granted is denied.
 * Older headers lack the later rights: their values are the kernel ABI's.
 */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* Writing an existing file: a disk image, a device node (whose ioctls
 * ABI 5 puts under a right of their own). */
#define FS_WRITE_FILE (LANDLOCK_ACCESS_FS_WRITE_FILE |                         \
                       LANDLOCK_ACCESS_FS_TRUNCATE |                           \
                       LANDLOCK_ACCESS_FS_IOCTL_DEV)
/* Changing a directory's entries (snapshots write a directory next to
 * their destination and rename it into place). */
#define FS_WRITE_DIR (LANDLOCK_ACCESS_FS_REMOVE_DIR |                          \
                      LANDLOCK_ACCESS_FS_REMOVE_FILE |                         \
                      LANDLOCK_ACCESS_FS_MAKE_CHAR |                           \
                      LANDLOCK_ACCESS_FS_MAKE_DIR |                            \
                      LANDLOCK_ACCESS_FS_MAKE_REG |                            \
                      LANDLOCK_ACCESS_FS_MAKE_SOCK |                           \
                      LANDLOCK_ACCESS_FS_MAKE_FIFO |                           \
                      LANDLOCK_ACCESS_FS_MAKE_BLOCK |                          \
                      LANDLOCK_ACCESS_FS_MAKE_SYM)
/* The rights a rule on a file (not a directory) may carry. */
#define FS_FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE |                           \
                        LANDLOCK_ACCESS_FS_READ_FILE | FS_WRITE_FILE)

/*
 * Device nodes and kernel files the VMM opens after vm.create whatever
 * the config says: the hypervisor (at vm.boot), TAP devices, ptys for
 * Pty consoles, userfaultfd for an OnDemand restore, the CPU list glibc
 * reads for sysconf(), its own /proc directory.  A missing one is
 * skipped: the feature that needs it fails as it would anyway.
 */
static const struct {
    const char *path;
    guint64 access;
} landlock_system_paths[] = {
    { "/dev/kvm", LANDLOCK_ACCESS_FS_READ_FILE | FS_WRITE_FILE },
    { "/dev/net/tun", LANDLOCK_ACCESS_FS_READ_FILE | FS_WRITE_FILE },
    { "/dev/ptmx", LANDLOCK_ACCESS_FS_READ_FILE | FS_WRITE_FILE },
    { "/dev/pts", FS_READ | FS_WRITE_FILE },
    { "/dev/userfaultfd", LANDLOCK_ACCESS_FS_READ_FILE | FS_WRITE_FILE },
    { "/dev/null", LANDLOCK_ACCESS_FS_READ_FILE | FS_WRITE_FILE },
    { "/dev/urandom", LANDLOCK_ACCESS_FS_READ_FILE },
    { "/sys/devices/system/cpu", FS_READ },
    { "/proc/self", FS_READ },
};

/* The ruleset fd of the last confinement (-1 before), kept open for the
 * process's life: the API threads restrict themselves with it later.
 * Earlier ones stay open too, so that an fd number, which a thread
 * compares with the one it last applied, is never reused. */
static int landlock_fd = -1;
static GPtrArray *landlock_contexts;    /* GMainContext*, watched */
static GMutex landlock_lock;

/* The threads a confinement reached: a thread restricts itself once per
 * ruleset. */
static __thread int landlock_thread_fd = -1;

static long
ll_create_ruleset(const struct landlock_ruleset_attr *attr, size_t size,
                  guint32 flags)
{
    return syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

static long
ll_add_rule(int fd, const struct landlock_path_beneath_attr *attr)
{
    return syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH,
                   attr, 0);
}

int
landlock_abi(void)
{
    long v = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

    return v < 0 ? 0 : (int)v;
}

/* Every file-system right ABI @abi knows. */
static guint64
ll_handled(int abi)
{
    guint64 h = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                FS_READ | FS_WRITE_DIR;

    if (abi >= 2)
        h |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        h |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5)
        h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return h;
}

typedef struct {
    int fd;
    guint64 handled;
    GError *error;            /* the first failure */
} RulesetBuild;

/* Grants @access beneath @path (trimmed to what a file may carry when
 * @path is not a directory).  @what names the path in errors. */
static void
ll_grant(RulesetBuild *b, const char *path, guint64 access, const char *what)
{
    struct landlock_path_beneath_attr attr = { 0 };
    struct stat st;
    int fd;

    if (b->error)
        return;
    fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        int err = errno;

        g_set_error(&b->error, G_IO_ERROR, g_io_error_from_errno(err),
                    "%s: cannot open '%s' for a Landlock rule: %s", what,
                    path, g_strerror(err));
        if (fd >= 0)
            close(fd);
        return;
    }
    if (!S_ISDIR(st.st_mode))
        access &= FS_FILE_RIGHTS;
    attr.allowed_access = access & b->handled;
    attr.parent_fd = fd;
    if (attr.allowed_access && ll_add_rule(b->fd, &attr) < 0) {
        int err = errno;

        g_set_error(&b->error, G_IO_ERROR, g_io_error_from_errno(err),
                    "%s: cannot add a Landlock rule for '%s': %s", what,
                    path, g_strerror(err));
    }
    close(fd);
}

/* A path the VMM will create (a console file, a bound socket): reached
 * through its directory when it does not exist yet. */
static void
ll_grant_new(RulesetBuild *b, const char *path, guint64 file_access,
             guint64 dir_access, const char *what)
{
    g_autofree char *dir = NULL;

    if (access(path, F_OK) == 0) {
        ll_grant(b, path, file_access, what);
        return;
    }
    dir = g_path_get_dirname(path);
    ll_grant(b, dir, file_access | dir_access, what);
}

static void
ll_config_path(const char *path, VmPathAccess how, const char *field,
               gpointer data)
{
    RulesetBuild *b = data;

    switch (how) {
    case VM_PATH_READ:
        ll_grant(b, path, FS_READ, field);
        break;
    case VM_PATH_READ_WRITE:
        ll_grant(b, path, FS_READ | FS_WRITE_FILE, field);
        break;
    case VM_PATH_CREATE:
        ll_grant_new(b, path, LANDLOCK_ACCESS_FS_READ_FILE | FS_WRITE_FILE,
                     LANDLOCK_ACCESS_FS_MAKE_REG, field);
        break;
    case VM_PATH_SOCKET:
        /* A socket file is bound anew: the old one is unlinked first. */
        ll_grant_new(b, path, LANDLOCK_ACCESS_FS_READ_FILE | FS_WRITE_FILE,
                     LANDLOCK_ACCESS_FS_MAKE_SOCK |
                     LANDLOCK_ACCESS_FS_REMOVE_FILE, field);
        break;
    }
}

/* CH's access strings: "r", "w", "rw" (vm_config_validate()). */
static guint64
ll_rule_access(const char *access)
{
    guint64 a = 0;

    if (strchr(access, 'r'))
        a |= FS_READ;
    if (strchr(access, 'w'))
        a |= FS_WRITE_FILE | FS_WRITE_DIR;
    return a;
}

static int
ll_build(const VmConfig *config, const char *extra_read, GError **error)
{
    struct landlock_ruleset_attr attr = { 0 };
    RulesetBuild b = { -1, 0, NULL };
    int abi = landlock_abi();

    if (abi < 1) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "landlock_enable: this kernel offers no Landlock (not "
                    "built, or not in its lsm= list)");
        return -1;
    }
    b.handled = attr.handled_access_fs = ll_handled(abi);
    b.fd = (int)ll_create_ruleset(&attr, sizeof(attr), 0);
    if (b.fd < 0) {
        int err = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "landlock_enable: cannot create a Landlock ruleset: %s",
                    g_strerror(err));
        return -1;
    }
    vm_config_foreach_path(config, ll_config_path, &b);
    for (guint i = 0; config->landlock_rules &&
                      i < config->landlock_rules->len; i++) {
        const LandlockConfig *r = g_ptr_array_index(config->landlock_rules, i);

        ll_grant(&b, r->path, ll_rule_access(r->access), "landlock_rules");
    }
    if (extra_read)
        ll_grant(&b, extra_read, FS_READ, "source_url");
    for (guint i = 0; i < G_N_ELEMENTS(landlock_system_paths); i++) {
        if (access(landlock_system_paths[i].path, F_OK) == 0)
            ll_grant(&b, landlock_system_paths[i].path,
                     landlock_system_paths[i].access, "landlock");
    }
    if (b.error) {
        g_propagate_error(error, b.error);
        close(b.fd);
        return -1;
    }
    return b.fd;
}

/* Restricts the calling thread with @fd (once per ruleset). */
static bool
ll_restrict_self(int fd, GError **error)
{
    if (landlock_thread_fd == fd)
        return true;
    /* Without seccomp nothing has set it yet; the kernel requires it of
     * an unprivileged thread. */
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 &&
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        int err = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "cannot set no_new_privs for Landlock: %s",
                    g_strerror(err));
        return false;
    }
    if (syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
        int err = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "cannot enforce the Landlock ruleset: %s",
                    g_strerror(err));
        return false;
    }
    landlock_thread_fd = fd;
    return true;
}

static bool
ll_spawner_job(gpointer data, GError **error)
{
    return ll_restrict_self(GPOINTER_TO_INT(data), error);
}

/* Runs on a watched context's thread. */
static gboolean
ll_context_job(gpointer data)
{
    g_autoptr(GError) error = NULL;

    if (!ll_restrict_self(GPOINTER_TO_INT(data), &error))
        g_warning("landlock: %s: %s", g_get_prgname() ? g_get_prgname()
                  : "nimbus", error->message);
    return G_SOURCE_REMOVE;
}

/* Queues the restriction on @context's thread.  An attached source, not
 * g_main_context_invoke(), which runs the function on the calling thread
 * when no thread owns the context yet. */
static void
ll_queue_on(GMainContext *context, int fd)
{
    g_autoptr(GSource) src = g_idle_source_new();

    g_source_set_priority(src, G_PRIORITY_HIGH * 2);
    g_source_set_callback(src, ll_context_job, GINT_TO_POINTER(fd), NULL);
    g_source_set_static_name(src, "landlock");
    g_source_attach(src, context);
}

void
landlock_watch_context(GMainContext *context)
{
    g_mutex_lock(&landlock_lock);
    if (!landlock_contexts)
        landlock_contexts = g_ptr_array_new();
    g_ptr_array_add(landlock_contexts, g_main_context_ref(context));
    /* A server started after a confinement catches up at once. */
    if (landlock_fd >= 0)
        ll_queue_on(context, landlock_fd);
    g_mutex_unlock(&landlock_lock);
}

bool
landlock_confine(const VmConfig *config, const char *extra_read,
                 GError **error)
{
    int fd = ll_build(config, extra_read, error);

    if (fd < 0)
        return false;
    /* The spawner first: if it cannot be confined, nothing is, and the
     * VM is not created.  This thread follows; the servers restrict
     * themselves at their next iteration, before anything else they
     * would dispatch (the highest priority there is). */
    if (!thread_role_run_on_spawner(ll_spawner_job, GINT_TO_POINTER(fd),
                                    error)) {
        close(fd);
        return false;
    }
    /* From here @fd stays open even on failure: the spawner compares fd
     * numbers, and a reused one would look already applied. */
    if (!ll_restrict_self(fd, error))
        return false;
    g_mutex_lock(&landlock_lock);
    landlock_fd = fd;
    for (guint i = 0; landlock_contexts && i < landlock_contexts->len; i++)
        ll_queue_on(g_ptr_array_index(landlock_contexts, i), fd);
    g_mutex_unlock(&landlock_lock);
    return true;
}

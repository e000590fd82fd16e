/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of --landlock: the ruleset built from a config, and who it confines. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/thread-role.h"
#include "daemon/landlock.h"
#include "devices/registry.h"
#include "tests/testutil.h"

/*
 * Each case confines a forked child (Landlock cannot be undone) and
 * reports through its exit status: 0 when every check held, else the
 * number of the check that failed.  The integration side (a guest booted
 * and a disk hot-added under --landlock) is in tests/integration/
 * test-hotplug.c, which runs on the harness's kernel, where Landlock is
 * always on.
 */

typedef struct {
    char *dir;            /* scratch directory */
    char *kernel;         /* a file the config reads */
    char *disk;           /* a file the config writes */
    char *outside;        /* a file no rule names */
    char *ruled;          /* a directory a landlock rule gives rw */
    char *console;        /* a console file that does not exist yet */
} Paths;

static char *
make_file(const char *dir, const char *name)
{
    char *p = g_build_filename(dir, name, NULL);

    g_assert_true(g_file_set_contents(p, "x", 1, NULL));
    return p;
}

static void
paths_init(Paths *p)
{
    g_autofree char *cdir = NULL;

    p->dir = g_dir_make_tmp("nimbus-landlock-XXXXXX", NULL);
    g_assert_nonnull(p->dir);
    p->kernel = make_file(p->dir, "kernel");
    p->disk = make_file(p->dir, "disk.img");
    p->outside = make_file(p->dir, "outside");
    p->ruled = g_build_filename(p->dir, "ruled", NULL);
    g_assert_cmpint(mkdir(p->ruled, 0700), ==, 0);
    cdir = g_build_filename(p->dir, "console-dir", NULL);
    g_assert_cmpint(mkdir(cdir, 0700), ==, 0);
    p->console = g_build_filename(cdir, "serial.log", NULL);
}

static void
paths_clear(Paths *p)
{
    g_autofree char *argv = g_strdup_printf("rm -rf '%s'", p->dir);

    g_assert_true(g_spawn_command_line_sync(argv, NULL, NULL, NULL, NULL));
    g_free(p->dir);
    g_free(p->kernel);
    g_free(p->disk);
    g_free(p->outside);
    g_free(p->ruled);
    g_free(p->console);
}

static VmConfig *
config_for(const Paths *p)
{
    VmConfig *cfg = vm_config_new();
    DiskConfig *disk;
    g_autoptr(GError) error = NULL;
    g_autofree char *rule = g_strdup_printf("path=%s,access=rw", p->ruled);
    g_autofree char *serial = g_strdup_printf("file=%s", p->console);
    g_autofree char *diskarg = g_strdup_printf("path=%s", p->disk);

    cfg->payload.kernel = g_strdup(p->kernel);
    cfg->landlock_enable = true;
    g_assert_true(vm_config_parse_landlock_rule(cfg, rule, &error));
    g_assert_true(vm_config_parse_console(&cfg->serial, "--serial", serial,
                                          &error));
    disk = vm_config_parse_disk(diskarg, &error);
    g_assert_nonnull(disk);
    g_ptr_array_add(cfg->disks, disk);
    return cfg;
}

static bool
opens(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC, 0600);

    if (fd < 0)
        return false;
    close(fd);
    return true;
}

static bool
denied(const char *path, int flags)
{
    return !opens(path, flags) && errno == EACCES;
}

/* What the confined thread (and its later threads) may reach. */
static int
check_access(const Paths *p)
{
    g_autofree char *in_rule = g_build_filename(p->ruled, "new", NULL);
    g_autofree char *sibling = g_build_filename(p->dir, "sibling", NULL);

    if (!opens(p->kernel, O_RDONLY))
        return 10;
    if (!denied(p->kernel, O_WRONLY))
        return 11;
    if (!opens(p->disk, O_RDWR))
        return 12;
    if (!denied(p->outside, O_RDONLY))
        return 13;
    if (!opens(in_rule, O_RDWR | O_CREAT))
        return 14;
    if (!opens(p->console, O_WRONLY | O_CREAT))
        return 15;
    if (!denied(sibling, O_WRONLY | O_CREAT))
        return 16;
    if (!opens("/dev/null", O_RDWR))
        return 17;
    return 0;
}

static gpointer
thread_check(gpointer data)
{
    return GINT_TO_POINTER(check_access(data));
}

static int
child_confine(const Paths *p)
{
    g_autoptr(VmConfig) cfg = config_for(p);
    g_autoptr(GError) error = NULL;
    GThread *t;
    int rc;

    if (!landlock_confine(cfg, NULL, &error)) {
        g_printerr("%s\n", error->message);
        return 1;
    }
    if ((rc = check_access(p)) != 0)
        return rc;
    /* A thread started afterwards inherits the confinement. */
    t = thread_role_new(THREAD_ROLE_VMM, "later", thread_check, (gpointer)p,
                        &error);
    g_assert_nonnull(t);
    rc = GPOINTER_TO_INT(g_thread_join(t));
    return rc ? rc + 20 : 0;
}

/* A thread that runs a context, started before the confinement (an API
 * server): restricted at its next iteration. */
typedef struct {
    GMainContext *context;
    GMainLoop *loop;
    const Paths *paths;
    int result;
} Server;

static gboolean
server_probe(gpointer data)
{
    Server *s = data;

    s->result = check_access(s->paths);
    g_main_loop_quit(s->loop);
    return G_SOURCE_REMOVE;
}

static gpointer
server_thread(gpointer data)
{
    Server *s = data;

    g_main_context_push_thread_default(s->context);
    g_main_loop_run(s->loop);
    g_main_context_pop_thread_default(s->context);
    return NULL;
}

static int
child_server(const Paths *p)
{
    g_autoptr(VmConfig) cfg = config_for(p);
    g_autoptr(GError) error = NULL;
    Server s = { g_main_context_new(), NULL, p, -1 };
    GThread *t;

    s.loop = g_main_loop_new(s.context, FALSE);
    landlock_watch_context(s.context);
    t = g_thread_new("server", server_thread, &s);
    if (!landlock_confine(cfg, NULL, &error)) {
        g_printerr("%s\n", error->message);
        return 1;
    }
    /* Queued after the confinement's job, at a lower priority. */
    g_main_context_invoke(s.context, server_probe, &s);
    g_thread_join(t);
    return s.result ? s.result + 40 : 0;
}

static int
child_missing_rule_path(const Paths *p)
{
    g_autoptr(VmConfig) cfg = config_for(p);
    g_autoptr(GError) error = NULL;
    g_autofree char *gone = g_build_filename(p->dir, "gone", NULL);
    g_autofree char *rule = g_strdup_printf("path=%s,access=r", gone);

    g_assert_true(vm_config_parse_landlock_rule(cfg, rule, &error));
    if (landlock_confine(cfg, NULL, &error))
        return 1;
    if (!strstr(error->message, gone) ||
        !strstr(error->message, "landlock_rules"))
        return 2;
    /* Nothing was restricted. */
    return opens(p->outside, O_RDONLY) ? 0 : 3;
}

static void
run_in_child(int (*func)(const Paths *p))
{
    Paths p;
    pid_t pid;
    int status;

    if (landlock_abi() < 1) {
        g_test_skip("this kernel offers no Landlock (the integration test "
                    "covers it on the harness's kernel)");
        return;
    }
    paths_init(&p);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0)
        _exit(func(&p));
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    paths_clear(&p);
}

static void
test_confine(void)
{
    run_in_child(child_confine);
}

static void
test_server_context(void)
{
    run_in_child(child_server);
}

static void
test_missing_rule_path(void)
{
    run_in_child(child_missing_rule_path);
}

/* The config side: rules are checked, and a rule without --landlock is
 * an option accepted and ignored, so refused. */
static void
test_validate(void)
{
    static const struct {
        const char *rule;
        bool enable;
        const char *error;
    } cases[] = {
        { "path=/tmp,access=rw", true, NULL },
        { "path=/tmp,access=r", true, NULL },
        { "path=/tmp,access=w", true, NULL },
        { "path=/tmp,access=x", true, "access 'x' of '/tmp' is not r, w or rw" },
        { "path=tmp,access=r", true, "path 'tmp' is not absolute" },
        { "path=/tmp,access=r", false, "Landlock is not enabled" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(VmConfig) cfg = vm_config_new();
        g_autoptr(GError) error = NULL;
        bool ok;

        cfg->payload.kernel = g_strdup("/k");
        cfg->landlock_enable = cases[i].enable;
        g_assert_true(vm_config_parse_landlock_rule(cfg, cases[i].rule,
                                                    &error));
        ok = vm_config_validate(cfg, &error);
        if (!cases[i].error) {
            g_assert_no_error(error);
            g_assert_true(ok);
        } else {
            g_assert_false(ok);
            g_assert_nonnull(strstr(error->message, cases[i].error));
        }
    }
}

static void
test_cli_parse(void)
{
    g_autoptr(VmConfig) cfg = vm_config_new();
    g_autoptr(GError) error = NULL;
    const LandlockConfig *r;

    g_assert_false(vm_config_parse_landlock_rule(cfg, "access=rw", &error));
    g_assert_nonnull(strstr(error->message, "path=<path> is required"));
    g_clear_error(&error);
    g_assert_false(vm_config_parse_landlock_rule(cfg, "path=/a,mode=r",
                                                 &error));
    g_clear_error(&error);
    g_assert_cmpuint(cfg->landlock_rules->len, ==, 0);
    g_assert_true(vm_config_parse_landlock_rule(cfg, "path=/a,access=r",
                                                &error));
    g_assert_cmpuint(cfg->landlock_rules->len, ==, 1);
    r = g_ptr_array_index(cfg->landlock_rules, 0);
    g_assert_cmpstr(r->path, ==, "/a");
    g_assert_cmpstr(r->access, ==, "r");
}

/* vm_config_foreach_path: the table lines marked as paths, nothing else. */
static void
collect(const char *path, VmPathAccess how, const char *field, gpointer data)
{
    g_string_append_printf(data, "%s=%s:%d;", field, path, how);
}

static void
test_foreach_path(void)
{
    Paths p;
    g_autoptr(VmConfig) cfg = NULL;
    g_autoptr(GString) s = g_string_new(NULL);
    g_autofree char *want = NULL;

    paths_init(&p);
    cfg = config_for(&p);
    vm_config_foreach_path(cfg, collect, s);
    want = g_strdup_printf("payload.kernel=%s:%d;disks.path=%s:%d;"
                           "rng.src=/dev/urandom:%d;serial.file=%s:%d;",
                           p.kernel, VM_PATH_READ, p.disk, VM_PATH_READ_WRITE,
                           VM_PATH_READ, p.console, VM_PATH_CREATE);
    g_assert_cmpstr(s->str, ==, want);
    paths_clear(&p);
}

/* A device kind's table marks its own paths: vsock's socket. */
static void
test_foreach_path_kind(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) cfg = vm_config_from_json(
        "{\"payload\": {\"kernel\": \"/k\"}, \"rng\": {\"src\": \"/r\"},"
        " \"vsock\": {\"cid\": 3, \"socket\": \"/run/v.sock\"}}", -1, &error);
    g_autoptr(GString) s = g_string_new(NULL);
    g_autofree char *want = NULL;

    g_assert_no_error(error);
    vm_config_foreach_path(cfg, collect, s);
    want = g_strdup_printf("payload.kernel=/k:%d;rng.src=/r:%d;"
                           "vsock.socket=/run/v.sock:%d;", VM_PATH_READ,
                           VM_PATH_READ, VM_PATH_SOCKET);
    g_assert_cmpstr(s->str, ==, want);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/landlock/cli-parse", test_cli_parse);
    g_test_add_func("/landlock/validate", test_validate);
    g_test_add_func("/landlock/foreach-path", test_foreach_path);
    g_test_add_func("/landlock/foreach-path-kind", test_foreach_path_kind);
    g_test_add_func("/landlock/confine", test_confine);
    g_test_add_func("/landlock/server-context", test_server_context);
    g_test_add_func("/landlock/missing-rule-path", test_missing_rule_path);
    return g_test_run();
}

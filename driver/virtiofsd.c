/* SPDX-License-Identifier: Apache-2.0 */
/* The virtiofsd nimbusd runs for each <filesystem> of a domain: start and stop. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>

#include "driver/conf.h"
#include "driver/drv-error.h"
#include "driver/helper-proc.h"
#include "driver/virtiofsd.h"
#include "driver/xml/filesystem.h"

/*
 * One virtiofsd per <filesystem>, as libvirt's qemu driver does, started
 * as nimbusd's own user (which runs nimbus too) through the helper path
 * swtpm uses (helper-proc.c).  Its socket, pid file and log live in
 * <state_dir>/<name>.fs/, a directory only that user can enter: the
 * socket gives whoever connects the shared directory with virtiofsd's
 * rights.  The pid files, not nimbusd's memory, say what to stop, so a
 * nimbusd restarted while the domain ran still stops them.  The files are
 * named by the id nimbus knows the filesystem by ("fs0.sock"), which the
 * live XML keeps (its alias): a detach finds the virtiofsd to stop even
 * after a nimbusd restart, and a filesystem attached later never takes
 * the name of one still running.
 *
 * Only options every virtiofsd understands are passed: --socket-path and
 * "-o source=" (QEMU's C virtiofsd, Debian's qemu-system-common; the Rust
 * one, Debian's virtiofsd package, keeps them as compatibility options).
 */

/* virtiofsd opens its socket after setting up its sandbox; the emulated
 * test harness makes that slow. */
#define VIRTIOFSD_SOCKET_WAIT_MS 30000

/* Where Debian installs it: the Rust virtiofsd first, then QEMU's. */
static const char *const virtiofsd_paths[] = {
    "/usr/libexec/virtiofsd",
    "/usr/lib/qemu/virtiofsd",
};

char *
drv_virtiofsd_dir(DrvDriver *driver, const char *name)
{
    return drv_config_state_path(driver->config, name, ".fs");
}

/* The host's virtiofsd (transfer full), or NULL. */
static char *
virtiofsd_find(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(virtiofsd_paths); i++) {
        if (g_file_test(virtiofsd_paths[i], G_FILE_TEST_IS_EXECUTABLE))
            return g_strdup(virtiofsd_paths[i]);
    }
    return g_find_program_in_path("virtiofsd");
}

void
drv_virtiofsd_release(DrvDriver *driver, const char *name)
{
    g_autofree char *dir = drv_virtiofsd_dir(driver, name);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *entry;

    if (!d)
        return;
    /* The pid files first: each names its virtiofsd. */
    while ((entry = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, entry, NULL);

        if (g_str_has_suffix(entry, ".pid"))
            drv_helper_stop(drv_helper_pid_read(path, NULL), "virtiofsd",
                            name);
    }
    g_dir_rewind(d);
    while ((entry = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, entry, NULL);

        if (g_str_has_suffix(entry, ".pid") ||
            g_str_has_suffix(entry, ".sock"))
            unlink(path);
    }
}

/* The checks that need no process, for every filesystem before the first
 * virtiofsd starts: (transfer full) the binary of filesystem @i. */
static char *
virtiofsd_check(const DomainDef *def, guint i, GError **error)
{
    const char *tag = domain_def_fs_tag(def, i);
    const char *source = domain_def_fs_source(def, i);
    const char *binary = domain_def_fs_binary(def, i);
    g_autofree char *found = NULL;

    if (binary && !g_file_test(binary, G_FILE_TEST_IS_EXECUTABLE)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                    "filesystem '%s': binary path '%s' is not an "
                    "executable virtiofsd", tag, binary);
        return NULL;
    }
    if (!binary && !(found = virtiofsd_find())) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                    "filesystem '%s' needs virtiofsd, which is not "
                    "installed (Debian: apt install virtiofsd, or "
                    "qemu-system-common's /usr/lib/qemu/virtiofsd)", tag);
        return NULL;
    }
    if (!g_file_test(source, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                    "filesystem '%s': source dir '%s' does not exist or is "
                    "not a directory", tag, source);
        return NULL;
    }
    return binary ? g_strdup(binary) : g_steal_pointer(&found);
}

/* Whether @id names files inside the directory: aliases follow
 * [a-zA-Z0-9_.-]+ (the schema), and ".." is one of those. */
static bool
virtiofsd_id_ok(const char *id)
{
    return *id && id[0] != '.' && !strchr(id, '/');
}

/* @dir/@id@suffix, or NULL when @id could name a file outside @dir. */
static char *
virtiofsd_path(const char *dir, const char *id, const char *suffix)
{
    g_autofree char *file = NULL;

    if (!virtiofsd_id_ok(id))
        return NULL;
    file = g_strconcat(id, suffix, NULL);
    return g_build_filename(dir, file, NULL);
}

/* Stops the virtiofsd whose files are named @id, if one runs, and removes
 * its socket and pid file. */
static void
virtiofsd_stop(const char *name, const char *dir, const char *id)
{
    g_autofree char *sock = virtiofsd_path(dir, id, ".sock");
    g_autofree char *pidfile = virtiofsd_path(dir, id, ".pid");

    if (!sock || !pidfile)
        return;
    drv_helper_stop(drv_helper_pid_read(pidfile, NULL), "virtiofsd", name);
    unlink(sock);
    unlink(pidfile);
}

static bool
virtiofsd_start(const char *name, const char *dir, DomainDef *def, guint i,
                const char *binary, GError **error)
{
    g_autofree char *base = domain_def_fs_vmm_id(def, i);
    g_autofree char *sock_file = g_strconcat(base, ".sock", NULL);
    g_autofree char *pid_file = g_strconcat(base, ".pid", NULL);
    g_autofree char *log_file = g_strconcat(base, ".log", NULL);
    g_autofree char *sock = g_build_filename(dir, sock_file, NULL);
    g_autofree char *pidfile = g_build_filename(dir, pid_file, NULL);
    g_autofree char *log = g_build_filename(dir, log_file, NULL);
    g_autofree char *sock_arg = g_strdup_printf("--socket-path=%s", sock);
    g_autofree char *source_arg = NULL;
    const char *argv[] = { binary, sock_arg, "-o", NULL, NULL };
    const char *wait[] = { sock, NULL };
    const DrvHelperSpawn spawn = {
        .what = "virtiofsd", .domain = name, .argv = argv,
        .wait_paths = wait, .pidfile = pidfile, .log = log,
        .timeout_ms = VIRTIOFSD_SOCKET_WAIT_MS,
    };
    struct sockaddr_un sa;

    if (!virtiofsd_id_ok(base)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                    "filesystem '%s': alias '%s' cannot name virtiofsd's "
                    "socket", domain_def_fs_tag(def, i), base);
        return false;
    }
    if (strlen(sock) >= sizeof(sa.sun_path)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                    "virtiofsd socket path '%s' is too long for a UNIX "
                    "socket: use a shorter state directory or domain name",
                    sock);
        return false;
    }
    /* "-o source=" takes the rest of the argument: commas in the path
     * would end it early (-o splits on them). */
    if (strchr(domain_def_fs_source(def, i), ',')) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                    "filesystem '%s': source dir '%s' contains a comma, "
                    "which virtiofsd's -o source= cannot take",
                    domain_def_fs_tag(def, i), domain_def_fs_source(def, i));
        return false;
    }
    source_arg = g_strdup_printf("source=%s", domain_def_fs_source(def, i));
    argv[3] = source_arg;
    /* A socket left by a crashed run would make virtiofsd's bind fail. */
    unlink(sock);
    if (!drv_helper_spawn(&spawn, error)) {
        g_prefix_error(error, "filesystem '%s': ", domain_def_fs_tag(def, i));
        return false;
    }
    domain_def_fs_set_socket(def, i, sock);
    return true;
}

/* The private directory, 0700 even when an older run left it wider. */
static bool
virtiofsd_dir_make(const char *dir, GError **error)
{
    if (g_mkdir_with_parents(dir, 0700) < 0 || chmod(dir, 0700) < 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                    "cannot create virtiofsd directory '%s': %s", dir,
                    g_strerror(errno));
        return false;
    }
    return true;
}

bool
drv_virtiofsd_prepare(DrvDriver *driver, const char *name, DomainDef *def,
                      GError **error)
{
    guint n = domain_def_fs_count(def);
    g_autoptr(GPtrArray) binaries = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *dir = NULL;

    if (n == 0)
        return true;
    for (guint i = 0; i < n; i++) {
        char *bin = virtiofsd_check(def, i, error);

        if (!bin)
            return false;
        g_ptr_array_add(binaries, bin);
    }
    dir = drv_virtiofsd_dir(driver, name);
    /* virtiofsd of a crashed run would still hold the sockets. */
    drv_virtiofsd_release(driver, name);
    if (!virtiofsd_dir_make(dir, error))
        return false;
    for (guint i = 0; i < n; i++) {
        if (!virtiofsd_start(name, dir, def, i,
                             g_ptr_array_index(binaries, i), error)) {
            drv_virtiofsd_release(driver, name);
            return false;
        }
    }
    return true;
}

bool
drv_virtiofsd_start_one(DrvDriver *driver, const char *name, DomainDef *def,
                        guint i, GError **error)
{
    g_autofree char *binary = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *id = NULL;

    if (!(binary = virtiofsd_check(def, i, error)))
        return false;
    dir = drv_virtiofsd_dir(driver, name);
    id = domain_def_fs_vmm_id(def, i);
    if (!virtiofsd_dir_make(dir, error))
        return false;
    /* The id is free in the running definition: a virtiofsd still named
     * by it is a leftover (of a detach whose stop failed, of a crash). */
    virtiofsd_stop(name, dir, id);
    return virtiofsd_start(name, dir, def, i, binary, error);
}

void
drv_virtiofsd_stop_one(DrvDriver *driver, const char *name, const char *id)
{
    g_autofree char *dir = drv_virtiofsd_dir(driver, name);

    virtiofsd_stop(name, dir, id);
}

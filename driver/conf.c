/* SPDX-License-Identifier: Apache-2.0 */
/* DrvConfig: nimbusd's directories and the nimbus binary it runs. */
#include <config.h>

#include <errno.h>
#include <unistd.h>
#include <gio/gio.h>

#include "driver/conf.h"

bool
drv_config_make_dir(const char *path, GError **error)
{
    if (g_mkdir_with_parents(path, 0700) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create directory '%s': %s", path, g_strerror(errno));
        return false;
    }
    return true;
}

/* An absolute path, for state files that outlive the working directory. */
static char *
drv_config_absolute(const char *path)
{
    g_autofree char *cwd = NULL;

    if (g_path_is_absolute(path))
        return g_strdup(path);
    cwd = g_get_current_dir();
    return g_build_filename(cwd, path, NULL);
}

static char *
drv_config_find_nimbus(void)
{
    const char *env = g_getenv("NIMBUS_BINARY");
    g_autofree char *self = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *sibling = NULL;

    if (env && *env)
        return drv_config_absolute(env);
    /* Installed nimbusd and nimbus come from one build, and in the build
     * tree they are siblings: prefer that copy over a foreign one in PATH. */
    self = g_file_read_link("/proc/self/exe", NULL);
    if (self) {
        dir = g_path_get_dirname(self);
        sibling = g_build_filename(dir, "nimbus", NULL);
        if (g_file_test(sibling, G_FILE_TEST_IS_EXECUTABLE))
            return g_steal_pointer(&sibling);
        g_clear_pointer(&sibling, g_free);
        /* /usr/sbin/nimbusd next to /usr/bin/nimbus */
        sibling = g_build_filename(dir, "..", "bin", "nimbus", NULL);
        if (g_file_test(sibling, G_FILE_TEST_IS_EXECUTABLE))
            return g_canonicalize_filename(sibling, NULL);
    }
    return g_find_program_in_path("nimbus");
}

DrvConfig *
drv_config_new(const char *config_dir, const char *state_dir, GError **error)
{
    g_autoptr(DrvConfig) cfg = g_new0(DrvConfig, 1);

    cfg->privileged = geteuid() == 0;
    if (config_dir)
        cfg->config_dir = drv_config_absolute(config_dir);
    else if (cfg->privileged)
        cfg->config_dir = g_strdup("/etc/nimbus/domains");
    else
        cfg->config_dir = g_build_filename(g_get_user_config_dir(), "nimbus",
                                           "domains", NULL);
    if (state_dir)
        cfg->state_dir = drv_config_absolute(state_dir);
    else if (cfg->privileged)
        cfg->state_dir = g_strdup("/run/nimbus");
    else
        cfg->state_dir = g_build_filename(g_get_user_runtime_dir(), "nimbus",
                                          NULL);
    cfg->autostart_dir = g_build_filename(cfg->config_dir, "autostart", NULL);
    cfg->nimbus_binary = drv_config_find_nimbus();
    /* The libvirtd beside ch:///system is the system one; a per-user
     * nimbusd talks to the per-user libvirtd. */
    cfg->libvirtd_uri = g_strdup(cfg->privileged ? "qemu:///system" :
                                 "qemu:///session");

    if (!drv_config_make_dir(cfg->config_dir, error) ||
        !drv_config_make_dir(cfg->autostart_dir, error) ||
        !drv_config_make_dir(cfg->state_dir, error))
        return NULL;
    return g_steal_pointer(&cfg);
}

void
drv_config_free(DrvConfig *cfg)
{
    if (!cfg)
        return;
    g_free(cfg->config_dir);
    g_free(cfg->autostart_dir);
    g_free(cfg->state_dir);
    g_free(cfg->nimbus_binary);
    g_free(cfg->libvirtd_uri);
    g_free(cfg);
}

char *
drv_config_domain_xml_path(const DrvConfig *cfg, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".xml", NULL);

    return g_build_filename(cfg->config_dir, file, NULL);
}

char *
drv_config_autostart_path(const DrvConfig *cfg, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".xml", NULL);

    return g_build_filename(cfg->autostart_dir, file, NULL);
}

char *
drv_config_state_path(const DrvConfig *cfg, const char *name,
                      const char *suffix)
{
    g_autofree char *file = g_strconcat(name, suffix, NULL);

    return g_build_filename(cfg->state_dir, file, NULL);
}

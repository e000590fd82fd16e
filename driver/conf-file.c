/* SPDX-License-Identifier: Apache-2.0 */
/* nimbusd.conf: the daemon's settings that are not per-domain. */
#include <config.h>

#include <errno.h>
#include <gio/gio.h>

#include "driver/conf.h"

#define DRV_CONF_GROUP "nimbusd"

static char *
drv_config_default_file(const DrvConfig *cfg)
{
    if (cfg->privileged)
        return g_strdup("/etc/nimbus/nimbusd.conf");
    return g_build_filename(g_get_user_config_dir(), "nimbus", "nimbusd.conf",
                            NULL);
}

/* Every group and key must be one we read: a misspelt setting would
 * otherwise be accepted and silently have no effect. */
static bool
drv_config_check_keys(GKeyFile *kf, const char *path, GError **error)
{
    static const char *const known[] = { "qemu_compat", "libvirtd_uri", NULL };
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    g_auto(GStrv) keys = NULL;

    for (char **g = groups; *g; g++) {
        if (!g_str_equal(*g, DRV_CONF_GROUP)) {
            g_set_error(error, G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                        "'%s': unknown group '[%s]' (only [" DRV_CONF_GROUP
                        "] is read)", path, *g);
            return false;
        }
    }
    keys = g_key_file_get_keys(kf, DRV_CONF_GROUP, NULL, NULL);
    for (char **k = keys; k && *k; k++) {
        if (!g_strv_contains(known, *k)) {
            g_set_error(error, G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                        "'%s': unknown setting '%s' (known: qemu_compat, "
                        "libvirtd_uri)", path, *k);
            return false;
        }
    }
    return true;
}

bool
drv_config_load_file(DrvConfig *cfg, const char *path, GError **error)
{
    g_autofree char *file = path ? g_strdup(path) :
                            drv_config_default_file(cfg);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;
    g_autofree char *uri = NULL;
    bool compat = cfg->qemu_compat;

    if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, &local)) {
        /* The default file is optional; one the caller named is not. */
        if (!path && g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return true;
        g_set_error(error, local->domain, local->code, "'%s': %s", file,
                    local->message);
        return false;
    }
    if (!drv_config_check_keys(kf, file, error))
        return false;
    if (g_key_file_has_key(kf, DRV_CONF_GROUP, "qemu_compat", NULL)) {
        compat = g_key_file_get_boolean(kf, DRV_CONF_GROUP, "qemu_compat",
                                        &local);
        if (local) {
            g_set_error(error, local->domain, local->code,
                        "'%s': qemu_compat: %s", file, local->message);
            return false;
        }
    }
    if (g_key_file_has_key(kf, DRV_CONF_GROUP, "libvirtd_uri", NULL)) {
        uri = g_key_file_get_string(kf, DRV_CONF_GROUP, "libvirtd_uri", &local);
        if (!uri || !*uri) {
            g_set_error(error, G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_INVALID_VALUE,
                        "'%s': libvirtd_uri: %s", file,
                        local ? local->message : "empty value");
            return false;
        }
    }
    /* All read: only now change @cfg. */
    cfg->qemu_compat = compat;
    if (uri) {
        g_free(cfg->libvirtd_uri);
        cfg->libvirtd_uri = g_steal_pointer(&uri);
    }
    return true;
}

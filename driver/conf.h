/* SPDX-License-Identifier: Apache-2.0 */
/* DrvConfig: nimbusd's directories and the nimbus binary it runs. */
#pragma once

#include <stdbool.h>
#include <glib.h>

/*
 * Directories (created 0700 when missing):
 *   config_dir/<name>.xml            persistent definitions
 *   config_dir/autostart/<name>.xml  symlink: start with the daemon
 *   state_dir/<name>.json            a running domain (pid, id, live XML)
 *   state_dir/<name>.sock            its nimbus REST API socket
 *   state_dir/<name>.events          its nimbus event-monitor stream
 *   state_dir/<name>.log             its nimbus stdout/stderr (kept)
 */
typedef struct {
    char *config_dir;
    char *autostart_dir;
    char *state_dir;
    char *nimbus_binary;    /* NULL: not found; starting a domain fails */
    bool privileged;        /* running as root */
    /* libvirtd, for networks and storage (driver/forward.h): qemu:///system
     * for root, qemu:///session otherwise, or nimbusd --libvirtd-uri. */
    char *libvirtd_uri;
    /* The config file's qemu_compat (driver/compat.h): also answer as
     * qemu:///system and /org/libvirt/QEMU.  Off by default. */
    bool qemu_compat;
} DrvConfig;

/**
 * drv_config_new:
 * @config_dir: (nullable): default /etc/nimbus/domains for root,
 *   $XDG_CONFIG_HOME/nimbus/domains otherwise
 * @state_dir: (nullable): default /run/nimbus for root,
 *   $XDG_RUNTIME_DIR/nimbus otherwise
 * The binary comes from $NIMBUS_BINARY, else "nimbus" next to the running
 * executable, else PATH.
 */
DrvConfig *drv_config_new(const char *config_dir, const char *state_dir,
                          GError **error);
void drv_config_free(DrvConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DrvConfig, drv_config_free)

/* The per-domain paths above (transfer full). */
char *drv_config_domain_xml_path(const DrvConfig *cfg, const char *name);
char *drv_config_autostart_path(const DrvConfig *cfg, const char *name);
char *drv_config_state_path(const DrvConfig *cfg, const char *name,
                            const char *suffix);

/**
 * drv_config_load_file:
 * @path: (nullable): the config file; NULL: the default one,
 *   /etc/nimbus/nimbusd.conf for root, $XDG_CONFIG_HOME/nimbus/nimbusd.conf
 *   otherwise, which may be absent
 * Reads the GKeyFile group [nimbusd]: qemu_compat (boolean) and
 * libvirtd_uri (string).  An unknown group or key, a bad value, or a
 * missing file named by @path is an error, and @cfg is left as it was.
 * (driver/conf-file.c)
 */
bool drv_config_load_file(DrvConfig *cfg, const char *path, GError **error);

/* Creates @path (and parents) with mode 0700. */
bool drv_config_make_dir(const char *path, GError **error);

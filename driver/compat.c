/* SPDX-License-Identifier: Apache-2.0 */
/* The QEMU-compatibility mode's start-up checks. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>

#include "driver/compat.h"

/* Whether something accepts connections on the UNIX socket @path (a stale
 * file of a daemon that died refuses them). */
static bool
drv_compat_socket_live(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd;
    bool live;

    if (strlen(path) >= sizeof(addr.sun_path))
        return false;
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    live = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    close(fd);
    return live;
}

/* Whether the client library would open @uri on qemu:///system's default
 * sockets: qemu:///system itself or its unix transport without socket=. */
static bool
drv_compat_uri_is_qemu_system(const char *uri)
{
    const char *q = strchr(uri, '?');
    g_autofree char *base = q ? g_strndup(uri, (gsize)(q - uri)) :
                            g_strdup(uri);

    if (!g_str_equal(base, "qemu:///system") &&
        !g_str_equal(base, "qemu+unix:///system"))
        return false;
    return !q || !strstr(q, "socket=");
}

bool
drv_compat_check(const DrvConfig *cfg, GError **error)
{
    static const char *const socks[] = { DRV_COMPAT_SOCK,
                                         DRV_COMPAT_LIBVIRTD_SOCK, NULL };

    if (!cfg->privileged) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "qemu_compat answers " DRV_COMPAT_URI ", whose sockets "
                    "are root's (/run/libvirt): run nimbusd as root or turn "
                    "qemu_compat off");
        return false;
    }
    if (drv_compat_uri_is_qemu_system(cfg->libvirtd_uri)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "qemu_compat: networks and storage are forwarded to '%s', "
                    "which would be nimbusd itself: set libvirtd_uri "
                    "(or --libvirtd-uri) to a libvirtd listening elsewhere, "
                    "e.g. qemu+unix:///system?socket=PATH", cfg->libvirtd_uri);
        return false;
    }
    for (const char *const *s = socks; *s; s++) {
        if (drv_compat_socket_live(*s)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                        "qemu_compat: a libvirt daemon (virtqemud or "
                        "libvirtd) is listening on '%s' and serves "
                        DRV_COMPAT_URI ": nimbusd does not take it over; "
                        "stop that daemon and its sockets, or turn "
                        "qemu_compat off", *s);
            return false;
        }
    }
    return true;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* TAP devices nimbusd makes for bridged interfaces, and their removal. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>

#include "driver/net-tap.h"

/*
 * A persistent TAP (it outlives the fd that made it, so nimbus can open it
 * by name; see devices/net/tap.c) with the flags nimbus opens it with:
 * TUNSETIFF on an existing TAP fails unless they match.
 */
static bool
drv_tap_create(const char *name, bool multi_queue, char ifname[IFNAMSIZ],
               GError **error)
{
    struct ifreq ifr = { 0 };
    int fd;
    int e;

    if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) < 0) {
        e = errno;
        g_set_error(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                    "cannot open /dev/net/tun: %s", g_strerror(e));
        return false;
    }
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
                    (multi_queue ? IFF_MULTI_QUEUE : 0);
    g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
        e = errno;
        close(fd);
        g_set_error(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                    "cannot create TAP device '%s': %s%s", name,
                    g_strerror(e),
                    e == EPERM ? " (nimbusd needs CAP_NET_ADMIN)" : "");
        return false;
    }
    g_strlcpy(ifname, ifr.ifr_name, IFNAMSIZ);
    close(fd);
    return true;
}

void
drv_tap_delete(const char *name)
{
    struct ifreq ifr = { 0 };
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        g_warning("cannot remove TAP '%s': /dev/net/tun: %s", name,
                  g_strerror(errno));
        return;
    }
    /* Attaching with any flags fails on a flag mismatch: try both. */
    g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        ifr.ifr_flags |= IFF_MULTI_QUEUE;
        g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
            /* Gone already (removed by hand, or the host rebooted). */
            if (if_nametoindex(name) != 0)
                g_warning("cannot remove TAP '%s': %s", name,
                          g_strerror(errno));
            close(fd);
            return;
        }
    }
    /* Not persistent any more: the kernel deletes it with this fd. */
    if (ioctl(fd, TUNSETPERSIST, 0) < 0)
        g_warning("cannot remove TAP '%s': %s", name, g_strerror(errno));
    close(fd);
}

/* The bridge's own checks (brctl addif): @bridge must be a bridge. */
static bool
drv_tap_add_to_bridge(const char *bridge, const char *tap, GError **error)
{
    struct ifreq ifr = { 0 };
    unsigned int index = if_nametoindex(tap);
    int sock = socket(AF_LOCAL, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int e;

    if (sock < 0) {
        e = errno;
        g_set_error(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                    "cannot attach TAP '%s' to bridge '%s': socket: %s", tap,
                    bridge, g_strerror(e));
        return false;
    }
    g_strlcpy(ifr.ifr_name, bridge, IFNAMSIZ);
    ifr.ifr_ifindex = index;
    if (ioctl(sock, SIOCBRADDIF, &ifr) < 0) {
        e = errno;
        close(sock);
        g_set_error(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                    "cannot attach TAP '%s' to bridge '%s': %s", tap, bridge,
                    e == ENODEV ? "no such bridge" :
                    e == EOPNOTSUPP ? "not a bridge" : g_strerror(e));
        return false;
    }
    close(sock);
    return true;
}

bool
drv_tap_attach(const DomainNetAttach *attach, char **tap, char **bridge,
               gpointer driver, GError **error)
{
    DrvDriver *drv = driver;
    g_autofree char *br = NULL;
    char ifname[IFNAMSIZ];

    if (attach->network) {
        br = drv_forward_network_bridge(drv->forward, attach->network, error);
        if (!br)
            return false;
    } else {
        br = g_strdup(attach->bridge);
    }
    /* Checked first so that a typo leaves no TAP behind to clean up. */
    if (if_nametoindex(br) == 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "bridge '%s'%s%s%s does not exist", br,
                    attach->network ? " of network '" : "",
                    attach->network ? attach->network : "",
                    attach->network ? "'" : "");
        return false;
    }
    /* A named TAP must be ours to delete at stop: refuse an existing one. */
    if (attach->ifname && if_nametoindex(attach->ifname) != 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "network device '%s' already exists (omit <target dev> "
                    "and nimbusd names the TAP itself)", attach->ifname);
        return false;
    }
    /* "vnet%d": the kernel picks the first free number, as for libvirt. */
    if (!drv_tap_create(attach->ifname ? attach->ifname : "vnet%d",
                        attach->multi_queue, ifname, error))
        return false;
    if (!drv_tap_add_to_bridge(br, ifname, error)) {
        drv_tap_delete(ifname);
        return false;
    }
    *tap = g_strdup(ifname);
    *bridge = g_steal_pointer(&br);
    return true;
}

void
drv_tap_delete_list(GPtrArray *taps)
{
    for (guint i = 0; i < taps->len; i++)
        drv_tap_delete(g_ptr_array_index(taps, i));
}

void
drv_tap_delete_all(const DomainDef *def)
{
    g_auto(GStrv) taps = NULL;

    if (!def)
        return;
    taps = domain_def_bridged_taps(def);
    for (char **t = taps; *t; t++)
        drv_tap_delete(*t);
}

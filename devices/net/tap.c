/* SPDX-License-Identifier: Apache-2.0 */
/* The TAP backend: create/attach a multi-queue TAP with vnet headers, host-side address and MTU. */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/net/net-backend.h"

void
net_backend_free(NetBackend *be)
{
    if (be)
        be->ops->free(be);
}

bool
net_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;

    if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
                     &v[4], &v[5], &tail) != 6 || strlen(s) != 17)
        return false;
    for (unsigned i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return true;
}

static int
tap_set_offload(NetBackend *be, unsigned flags)
{
    for (unsigned i = 0; i < be->nfds; i++) {
        /* UFO was removed from Linux 4.14 and came back later only for
         * TAP: try without it before failing. */
        if (ioctl(be->fds[i], TUNSETOFFLOAD, flags) < 0 &&
            ioctl(be->fds[i], TUNSETOFFLOAD, flags & ~TUN_F_UFO) < 0)
            return -errno;
    }
    return 0;
}

static int
tap_set_queues(NetBackend *be, unsigned active)
{
    for (unsigned i = 0; i < be->nfds && be->nfds > 1; i++) {
        struct ifreq ifr = { 0 };

        /* A detached queue gets no packets: the kernel steers flows only
         * to the queues the guest services. */
        ifr.ifr_flags = i < active ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
        if (ioctl(be->fds[i], TUNSETQUEUE, &ifr) < 0 && errno != EINVAL)
            return -errno;
    }
    return 0;
}

static void
tap_free(NetBackend *be)
{
    for (unsigned i = 0; i < be->nfds; i++)
        fd_close(be->fds[i]);
    g_free(be->fds);
    g_free(be->ifname);
    g_free(be);
}

static const NetBackendOps tap_ops = {
    .name = "tap",
    .set_offload = tap_set_offload,
    .set_queues = tap_set_queues,
    .free = tap_free,
};

/* Every TAP fd: non-blocking, 12-byte vnet headers, no offload until the
 * guest asks for some. */
static bool
tap_prepare_fd(int fd, const char *ifname, GError **error)
{
    int hdr = NET_VNET_HDR_LEN;

    if (fd_set_nonblock(fd, true) < 0 ||
        ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
        ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot set up TAP '%s': %s", ifname,
                    g_strerror(errno));
        return false;
    }
    return true;
}

static int
tap_create_one(const char *name, bool multi, char ifname[IFNAMSIZ],
               GError **error)
{
    struct ifreq ifr = { 0 };
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot open /dev/net/tun: %s", g_strerror(errno));
        return -1;
    }
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
                    (multi ? IFF_MULTI_QUEUE : 0);
    g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot create or attach TAP '%s': %s%s", name,
                    g_strerror(e),
                    e == EPERM ? " (needs CAP_NET_ADMIN, or a TAP owned by "
                                 "this user)" : "");
        close(fd);
        return -1;
    }
    g_strlcpy(ifname, ifr.ifr_name, IFNAMSIZ);
    return fd;
}

/* A pre-opened fd (libvirt's): must be a TAP with vnet headers. */
static bool
tap_check_fd(int fd, char ifname[IFNAMSIZ], GError **error)
{
    struct ifreq ifr = { 0 };

    if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "fd=%d is not a TAP device: %s", fd,
                    g_strerror(errno));
        return false;
    }
    if (!(ifr.ifr_flags & IFF_TAP) || !(ifr.ifr_flags & IFF_VNET_HDR)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "fd=%d ('%s') is not a TAP opened with "
                    "IFF_VNET_HDR", fd, ifr.ifr_name);
        return false;
    }
    g_strlcpy(ifname, ifr.ifr_name, IFNAMSIZ);
    return true;
}

static bool
tap_ioctl(int sock, unsigned long req, struct ifreq *ifr, const char *what,
          GError **error)
{
    if (ioctl(sock, req, ifr) == 0)
        return true;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                "cannot set the %s of '%s': %s", what, ifr->ifr_name,
                g_strerror(errno));
    return false;
}

static bool
tap_set_inet(int sock, const char *ifname, unsigned long req, const char *addr,
             const char *what, GError **error)
{
    struct ifreq ifr = { 0 };
    struct sockaddr_in sin = { .sin_family = AF_INET };

    if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s '%s' is not an IPv4 address", what, addr);
        return false;
    }
    g_strlcpy(ifr.ifr_name, ifname, IFNAMSIZ);
    memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
    return tap_ioctl(sock, req, &ifr, what, error);
}

/* ip=, mask=, mtu=, host_mac=, then the link up (CH's Tap::enable). */
static bool
tap_configure_host(const NetConfig *net, const char *ifname, GError **error)
{
    g_autofd_t sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = { 0 };
    uint8_t mac[6];

    if (sock < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "socket: %s", g_strerror(errno));
        return false;
    }
    if (net->ip &&
        !tap_set_inet(sock, ifname, SIOCSIFADDR, net->ip, "ip", error))
        return false;
    if (net->mask &&
        !tap_set_inet(sock, ifname, SIOCSIFNETMASK, net->mask, "mask", error))
        return false;
    g_strlcpy(ifr.ifr_name, ifname, IFNAMSIZ);
    if (net->mtu) {
        ifr.ifr_mtu = (int)net->mtu;
        if (!tap_ioctl(sock, SIOCSIFMTU, &ifr, "MTU", error))
            return false;
    }
    if (net->host_mac) {
        if (!net_parse_mac(net->host_mac, mac)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "host_mac '%s' is not a MAC address",
                        net->host_mac);
            return false;
        }
        memset(&ifr.ifr_hwaddr, 0, sizeof(ifr.ifr_hwaddr));
        ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
        memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
        if (!tap_ioctl(sock, SIOCSIFHWADDR, &ifr, "host MAC", error))
            return false;
    }
    if (!tap_ioctl(sock, SIOCGIFFLAGS, &ifr, "flags", error))
        return false;
    /* Already up (libvirt brings its TAPs up): nothing to do, and no
     * CAP_NET_ADMIN needed. */
    if (ifr.ifr_flags & IFF_UP)
        return true;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return tap_ioctl(sock, SIOCSIFFLAGS, &ifr, "link state", error);
}

NetBackend *
tap_open(const NetConfig *net, unsigned pairs, GError **error)
{
    g_autoptr(NetBackend) be = g_new0(NetBackend, 1);
    char ifname[IFNAMSIZ] = "";
    bool given = net->fds && net->fds->len > 0;

    be->ops = &tap_ops;
    be->fds = g_new(int, pairs);
    for (unsigned i = 0; i < pairs; i++)
        be->fds[i] = -1;
    if (given && net->fds->len != pairs) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%u fds for %u queue pairs (num_queues must be "
                    "twice the number of fds)", net->fds->len, pairs);
        return NULL;
    }
    for (unsigned i = 0; i < pairs; i++) {
        int fd;

        if (given) {
            /* Ours from here on, also on failure: closed with the backend. */
            fd = g_array_index(net->fds, int, i);
            be->fds[i] = fd;
            be->nfds = i + 1;
            if (!tap_check_fd(fd, ifname, error))
                return NULL;
        } else {
            fd = tap_create_one(i == 0 ? (net->tap ? net->tap : "vmtap%d")
                                       : ifname, pairs > 1, ifname, error);
            if (fd < 0)
                return NULL;
            be->fds[i] = fd;
            be->nfds = i + 1;
        }
        if (!tap_prepare_fd(fd, ifname, error))
            return NULL;
    }
    be->ifname = g_strdup(ifname);
    if (!tap_configure_host(net, ifname, error))
        return NULL;
    return g_steal_pointer(&be);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user-net (virtio 1.2 §5.1): virtio-net whose RX/TX queues a vhost-user back end serves. */
#include <config.h>

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/virtio_ids.h>

#include "common/fd-util.h"
#include "devices/net/net-backend.h"
#include "devices/virtio/net.h"
#include "devices/virtio/vhost-user-dev.h"
#include "devices/virtio/vhost-user-net.h"
#include "devices/virtio/vhost-user.h"
#include "devices/virtio/worker.h"

/*
 * CH's `--net vhost_user=on,socket=PATH,vhost_mode=client|server`: the
 * back end (OVS-DPDK, DPDK's net_vhost, ...) moves the packets straight
 * between guest RAM and its ports; nimbus keeps the virtio-pci function,
 * the feature negotiation, the config space (the MAC, link status, queue
 * pairs and MTU are nimbus's, as in CH, not the back end's) and the
 * control queue, which it serves itself.  The RX/TX queues, their
 * eventfds and the worker relaying the back end's calls are
 * vhost-user-dev.c's; a back end that fails or hangs up makes the device
 * NEEDS_RESET and nothing else.
 */

/*
 * Fields: @config, @pairs are immutable after vhost_user_net_new(); @vud
 * as vhost-user-dev.h says; @ctrl_worker and @ctrl_elem belong to the
 * thread that activates, resets, pauses or resumes the device, and the
 * control queue to @ctrl_worker while it runs.
 */
typedef struct {
    VirtioDevice vdev;
    VhostUserDev vud;
    unsigned pairs;
    uint8_t config[VIRTIO_NET_CONFIG_SIZE];
    VirtQueue *ctrl;
    VirtioWorker *ctrl_worker;
    VirtQueueElem *ctrl_elem;
} VhostUserNet;

static const VirtioDeviceOps vhost_user_net_ops;

static VhostUserNet *
vhost_user_net_from_vdev(VirtioDevice *vdev)
{
    return (VhostUserNet *)vdev;
}

bool
vhost_user_net_is(const VirtioDevice *vdev)
{
    return vdev->ops == &vhost_user_net_ops;
}

uint64_t
vhost_user_net_features(const NetConfig *net, uint64_t backend)
{
    uint64_t f = backend & VHOST_USER_NET_BACKEND_FEATURES;
    const uint64_t csum = (1ULL << VIRTIO_NET_F_CSUM) |
                          (1ULL << VIRTIO_NET_F_GUEST_CSUM);
    const uint64_t tso = (1ULL << VIRTIO_NET_F_HOST_TSO4) |
                         (1ULL << VIRTIO_NET_F_HOST_TSO6) |
                         (1ULL << VIRTIO_NET_F_HOST_ECN) |
                         (1ULL << VIRTIO_NET_F_GUEST_TSO4) |
                         (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
                         (1ULL << VIRTIO_NET_F_GUEST_ECN);
    const uint64_t ufo = (1ULL << VIRTIO_NET_F_HOST_UFO) |
                         (1ULL << VIRTIO_NET_F_GUEST_UFO);

    /* The offload switches mean what they mean for a TAP net; and
     * segmentation needs checksum offload on both sides (§5.1.3.1). */
    if (!net->offload_tso)
        f &= ~tso;
    if (!net->offload_ufo)
        f &= ~ufo;
    if (!net->offload_csum || (f & csum) != csum)
        f &= ~(csum | tso | ufo);
    f |= (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |
         (1ULL << VIRTIO_NET_F_CTRL_VQ);
    if (net->mtu)
        f |= 1ULL << VIRTIO_NET_F_MTU;
    if (net->num_queues > 2)
        f |= 1ULL << VIRTIO_NET_F_MQ;
    return f;
}

/* ---- Control queue (§5.1.6.5) ----------------------------------------- */

/* The back end serves every pair from the start (each ring enabled), so
 * VQ_PAIRS_SET only has to be in range: the driver then uses as many as
 * it asked for, as with CH. */
static uint8_t
vhost_user_net_ctrl_mq(VhostUserNet *n, const VirtioNetCtrl *c)
{
    uint16_t pairs;

    if (c->cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || c->data_len != 2 ||
        !virtio_has_feature(&n->vdev, VIRTIO_NET_F_MQ))
        return VIRTIO_NET_ERR;
    memcpy(&pairs, c->data, sizeof(pairs));
    pairs = le16toh(pairs);
    return pairs >= 1 && pairs <= n->pairs ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
}

static void
vhost_user_net_on_ctrl_kick(gpointer opaque, int fd, short revents)
{
    VhostUserNet *n = opaque;
    VirtioDevice *vdev = &n->vdev;
    VirtioNetCtrl c;
    const char *why = NULL;
    int r;

    virtio_eventfd_drain(fd);
    if (virtio_device_is_broken(vdev))
        return;
    while ((r = virtqueue_pop(n->ctrl, n->ctrl_elem)) == 0) {
        if (virtio_net_ctrl_parse(n->ctrl_elem, &c, &why) < 0) {
            virtio_device_set_broken(vdev, "control queue: %s", why);
            return;
        }
        /* Receive filters, MAC changes and offload switches are the back
         * end's business, which the protocol cannot forward: not offered,
         * so refused. */
        *c.ack = c.cls == VIRTIO_NET_CTRL_MQ ? vhost_user_net_ctrl_mq(n, &c)
                                             : VIRTIO_NET_ERR;
        /* The ack ends the writable part, which the used length (1) does
         * not reach when the driver gave more: mark it apart. */
        virtqueue_mark_written(n->ctrl, n->ctrl_elem,
                               n->ctrl_elem->in_len - 1, 1);
        virtqueue_push(n->ctrl, n->ctrl_elem, 1);
    }
    if (r != -ENOENT) {
        virtio_device_set_broken(vdev, "control queue: %s", n->ctrl->error);
        return;
    }
    virtio_notify(vdev, n->ctrl);
}

/* ---- Lifecycle ------------------------------------------------------------ */

static bool
vhost_user_net_activate(VirtioDevice *vdev, GError **error)
{
    VhostUserNet *n = vhost_user_net_from_vdev(vdev);
    g_autofree char *name = g_strdup_printf("%s_ctrl", vdev->id);

    if (!vhost_user_dev_activate(&n->vud, error))
        return false;
    n->ctrl_worker = virtio_worker_new(THREAD_ROLE_VIRTIO_NET_CTL, name);
    virtio_worker_add_fd(n->ctrl_worker, vdev->kick_fds[2 * n->pairs], POLLIN,
                         vhost_user_net_on_ctrl_kick, n);
    return virtio_worker_start(n->ctrl_worker, error);
}

static void
vhost_user_net_reset(VirtioDevice *vdev)
{
    VhostUserNet *n = vhost_user_net_from_vdev(vdev);

    g_clear_pointer(&n->ctrl_worker, virtio_worker_free);
    vhost_user_dev_reset(&n->vud);
}

static bool
vhost_user_net_pause(VirtioDevice *vdev, GError **error)
{
    VhostUserNet *n = vhost_user_net_from_vdev(vdev);

    if (n->ctrl_worker)
        virtio_worker_stop(n->ctrl_worker);
    return vhost_user_dev_pause(&n->vud, error);
}

static bool
vhost_user_net_resume(VirtioDevice *vdev, GError **error)
{
    VhostUserNet *n = vhost_user_net_from_vdev(vdev);

    if (!vhost_user_dev_resume(&n->vud, error))
        return false;
    return !n->ctrl_worker || virtio_device_is_broken(vdev) ||
           virtio_worker_start(n->ctrl_worker, error);
}

static void
vhost_user_net_read_config(VirtioDevice *vdev, uint32_t off, void *data,
                           unsigned len)
{
    VhostUserNet *n = vhost_user_net_from_vdev(vdev);

    virtio_config_read(n->config, sizeof(n->config), off, data, len);
}

static void
vhost_user_net_free(VirtioDevice *vdev)
{
    VhostUserNet *n = vhost_user_net_from_vdev(vdev);

    g_clear_pointer(&n->ctrl_worker, virtio_worker_free);
    vhost_user_dev_cleanup(&n->vud);
    virtqueue_elem_free(n->ctrl_elem);
    virtio_device_cleanup(vdev);
    g_free(n);
}

/* No write_config: nothing in virtio-net's config space is writable.
 * No state_desc: a VM with a vhost-user net is neither snapshotted nor
 * migrated (the back end's queues are not nimbus's to save). */
static const VirtioDeviceOps vhost_user_net_ops = {
    .name = "vhost-user-net",
    .device_type = VIRTIO_ID_NET,
    .config_size = VIRTIO_NET_CONFIG_SIZE,
    .read_config = vhost_user_net_read_config,
    .activate = vhost_user_net_activate,
    .reset = vhost_user_net_reset,
    .pause = vhost_user_net_pause,
    .resume = vhost_user_net_resume,
    .free = vhost_user_net_free,
};

/* ---- Creation ------------------------------------------------------------- */

/*
 * vhost_mode=server: nimbus listens on @path and the back end connects
 * (DPDK's vhost PMD with client=1, OVS's dpdkvhostuserclient).  A stale
 * socket file is replaced; the file goes once the back end is in, as
 * nothing else may connect.
 */
static VhostUser *
vhost_user_net_accept(const NetConfig *net, GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct pollfd pfd = { .events = POLLIN };
    int lfd, fd = -1, r;

    /* vm_config_validate() checked the length. */
    g_strlcpy(sa.sun_path, net->vhost_socket, sizeof(sa.sun_path));
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd >= 0)
        unlink(net->vhost_socket);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(lfd, 1) < 0) {
        int err = errno;

        fd_close(lfd);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "%s: cannot listen on '%s' for the vhost-user back end: "
                    "%s", net->id, net->vhost_socket, g_strerror(err));
        return NULL;
    }
    pfd.fd = lfd;
    do {
        r = poll(&pfd, 1, VHOST_USER_NET_ACCEPT_TIMEOUT_MS);
    } while (r < 0 && errno == EINTR);
    if (r > 0)
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
        int err = r < 0 || r > 0 ? errno : ETIMEDOUT;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "%s: no vhost-user back end connected to '%s' within "
                    "%d s: %s", net->id, net->vhost_socket,
                    VHOST_USER_NET_ACCEPT_TIMEOUT_MS / 1000, g_strerror(err));
    }
    fd_close(lfd);
    unlink(net->vhost_socket);
    return fd < 0 ? NULL : vhost_user_new_fd(fd, net->id, error);
}

/* §5.1.4: mac, status (link up), max_virtqueue_pairs, mtu. */
static void
vhost_user_net_fill_config(VhostUserNet *n, const uint8_t mac[6],
                           uint32_t mtu)
{
    uint16_t v;

    memcpy(n->config, mac, 6);
    v = htole16(VIRTIO_NET_S_LINK_UP);
    memcpy(n->config + 6, &v, 2);
    v = htole16((uint16_t)n->pairs);
    memcpy(n->config + 8, &v, 2);
    v = htole16((uint16_t)mtu);
    memcpy(n->config + 10, &v, 2);
}

VirtioDevice *
vhost_user_net_new(DeviceHost *host, const NetConfig *net, GError **error)
{
    VhostUserNet *n;
    g_autoptr(VirtioDevice) vdev = NULL;
    unsigned pairs = net->num_queues / 2;
    bool server = !g_strcmp0(net->vhost_mode, "Server");
    uint64_t backend;
    uint8_t mac[6];
    VhostUser *vu;

    /* The caller picks a MAC when the config has none. */
    if (!net_parse_mac(net->mac, mac)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: mac '%s' is not a MAC address", net->id,
                    net->mac ? net->mac : "");
        return NULL;
    }
    n = g_new0(VhostUserNet, 1);
    vdev = &n->vdev;
    n->pairs = pairs;
    /* The RX/TX pairs, then the control queue (§5.1.2).  The features
     * are set below, before anyone sees the device. */
    if (!virtio_device_init(vdev, &vhost_user_net_ops, host, net->id, 0,
                            2 * pairs + 1, (uint16_t)net->queue_size, error))
        return NULL;
    n->ctrl = &vdev->vqs[2 * pairs];
    n->ctrl_elem = virtqueue_elem_new(VIRTIO_NET_MAX_SEGS);
    /* Connecting is creating, as in CH: a missing back end is an error
     * of vm.create / vm.boot / vm.add-net, not a dead NIC in the guest. */
    vu = server ? vhost_user_net_accept(net, error)
                : vhost_user_connect(net->vhost_socket, net->id, error);
    if (!vu || !vhost_user_dev_init_queues(&n->vud, vdev, vu, 2 * pairs,
                                           error))
        return NULL;
    backend = vhost_user_backend_features(vu);
    if (!(backend & (1ULL << VIRTIO_F_VERSION_1))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: the vhost-user back end at '%s' does not offer "
                    "VIRTIO_F_VERSION_1", net->id, net->vhost_socket);
        return NULL;
    }
    /* Several pairs need a back end that says how many it serves (a
     * DPDK port has as many as its queues=). */
    if (pairs > 1 && vhost_user_queue_num(vu) < 2 * pairs) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: num_queues=%u, but the vhost-user back end at '%s' "
                    "serves %" G_GUINT64_FORMAT " queues (it needs "
                    "VHOST_USER_PROTOCOL_F_MQ and as many queues)", net->id,
                    net->num_queues, net->vhost_socket,
                    vhost_user_queue_num(vu));
        return NULL;
    }
    vdev->host_features = vhost_user_net_features(net, backend);
    /* The back end hears only of what it offered: MAC, control queue
     * and MQ are nimbus's side of the device. */
    n->vud.backend_mask = backend;
    vhost_user_net_fill_config(n, mac, net->mtu);
    return g_steal_pointer(&vdev);
}

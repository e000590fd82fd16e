/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-vsock (virtio 1.2 §5.10), CH's hybrid vsock: config kind, device, registry entry. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "config/vm-config-kind.h"
#include "config/vm-config-schema.h"
#include "devices/registry.h"
#include "devices/virtio/iov.h"
#include "devices/virtio/virtio-pci.h"
#include "devices/virtio/vsock-priv.h"
#include "devices/virtio/vsock.h"
#include "devices/virtio/worker.h"

/*
 * The device half: three queues (rx 0, tx 1, event 2), a config space
 * holding the guest's CID, and one worker thread ("<id>") that serves
 * the queues and every host socket through the multiplexer
 * (vsock-mux.c).  Stream sockets only (no VIRTIO_VSOCK_F_SEQPACKET, as
 * CH).  Connections are host state, not guest state: a reset or a
 * restored snapshot drops them, as CH does, and the driver is told with
 * a TRANSPORT_RESET event when it had any.
 */

#define VSOCK_QUEUE_SIZE 256
#define Q_RX 0
#define Q_TX 1
#define Q_EVT 2

/* ---- Config: CH's VsockConfig ------------------------------------------- */

typedef struct {
    uint64_t cid;
    char *socket;
    bool iommu;                   /* behind the virtio-iommu */
    char *id;                     /* "_vsock0" by default */
    int pci_device_id;            /* -1: allocate */
} VsockConfig;

static void vsock_config_free(gpointer p);

static const VField vsock_fields[] = {
    /* CIDs are 32-bit in Linux; 0-2 are reserved (§5.10.4) and
     * 0xffffffff is VMADDR_CID_ANY. */
    V_UINT("cid", VsockConfig, cid, 3, G_MAXUINT32 - 1, 0,
           .flags = VF_JSON_REQUIRED | VF_CLI_REQUIRED, .cli_meta = "<cid>"),
    /* Bound by the device (Landlock grants its directory); guest-initiated
     * connections go to "<socket>_<port>" beside it. */
    V_STR("socket", VsockConfig, socket,
          .flags = VF_JSON_REQUIRED | VF_CLI_REQUIRED | VF_PATH_SOCKET,
          .cli_meta = "<socket_path>"),
    /* Its three queues go through virtqueue_pop(), which translates
     * once the registry gives it the IOMMU's context. */
    V_BOOL("iommu", VsockConfig, iommu, false),
    V_STR("id", VsockConfig, id),
    U_INT("pci_segment", 0, .cli_dflt = "0"),
    V_INT_OPT("pci_device_id", VsockConfig, pci_device_id, 1, 31),
    V_END
};

static const VStruct vsock_schema = {
    "VsockConfig", sizeof(VsockConfig), vsock_fields, vsock_config_free, NULL
};

static void
vsock_config_free(gpointer p)
{
    if (p)
        vschema_clear(&vsock_schema, p);
    g_free(p);
}

/* The socket path, and "<path>_<port>" for guest connections, must fit a
 * sockaddr_un; ports take up to 10 digits. */
static bool
vsock_validate(const VmConfig *config, gconstpointer entry,
               const VmConfigKindCtx *ctx, GError **error)
{
    const VsockConfig *v = entry;
    struct sockaddr_un sa;

    if (!v->socket || !*v->socket) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: socket must not be empty", ctx->where);
        return false;
    }
    if (strlen(v->socket) + 11 >= sizeof(sa.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: socket path '%s' is too long for a UNIX socket "
                    "with its '_<port>' suffix (at most %zu bytes)",
                    ctx->where, v->socket, sizeof(sa.sun_path) - 12);
        return false;
    }
    return true;
}

static bool
vsock_iommu(gconstpointer entry)
{
    return ((const VsockConfig *)entry)->iommu;
}

static const VmConfigKind vsock_kind = {
    .json_key = "vsock",
    .cli_option = "--vsock",
    .fields = &vsock_schema,
    .id_prefix = "_vsock",
    .pci = true,
    .iommu = vsock_iommu,
    .validate = vsock_validate,
};

uint64_t
virtio_vsock_config_cid(gconstpointer entry)
{
    return ((const VsockConfig *)entry)->cid;
}

const char *
virtio_vsock_config_socket(gconstpointer entry)
{
    return ((const VsockConfig *)entry)->socket;
}

/* ---- The device ---------------------------------------------------------- */

typedef struct {
    VirtioDevice vdev;
    uint64_t cid;                 /* immutable */
    char *socket_path;            /* immutable */
    struct stat socket_st;        /* what we bound, to unlink only ours */
    VsockMux *mux;                /* worker thread; control while stopped */
    VirtioWorker *worker;         /* control/vCPU thread */
    VirtQueueElem *elem;          /* worker thread */
    /* A TRANSPORT_RESET event is owed to the driver (worker thread; the
     * control thread while stopped). */
    bool event_pending;
    guint64 rx_packets;           /* atomic counters */
    guint64 tx_packets;
} VirtioVsock;

static VirtioVsock *
vsock_from_vdev(VirtioDevice *vdev)
{
    return (VirtioVsock *)vdev;
}

/* eventq: one le32 event id per buffer (§5.10.6.7). */
static void
vsock_serve_evt(VirtioVsock *v)
{
    VirtioDevice *vdev = &v->vdev;
    VirtQueue *vq = &vdev->vqs[Q_EVT];
    uint32_t id = GUINT32_TO_LE(VIRTIO_VSOCK_EVENT_TRANSPORT_RESET);
    int r;

    if (!v->event_pending)
        return;
    if ((r = virtqueue_pop(vq, v->elem)) == -ENOENT)
        return;                   /* sent when the driver posts one */
    if (r < 0) {
        virtio_device_set_broken(vdev, "queue 2: %s", vq->error);
        return;
    }
    if (v->elem->out_num > 0 || v->elem->in_len < sizeof(id)) {
        virtio_device_set_broken(vdev, "queue 2: event buffer is not a "
                                 "device-writable le32");
        return;
    }
    iov_from_buf(VIRTQUEUE_ELEM_IN(v->elem), v->elem->in_num, 0, &id,
                 sizeof(id));
    virtqueue_push(vq, v->elem, sizeof(id));
    v->event_pending = false;
    virtio_notify(vdev, vq);
}

/* rxq: packets the multiplexer has for the guest, while it posts
 * buffers; without buffers they wait for the next rx kick. */
static void
vsock_serve_rx(VirtioVsock *v)
{
    VirtioDevice *vdev = &v->vdev;
    VirtQueue *vq = &vdev->vqs[Q_RX];
    bool pushed = false;

    while (!virtio_device_is_broken(vdev) && vsock_mux_has_rx(v->mux)) {
        int r = virtqueue_pop(vq, v->elem);

        if (r == -ENOENT)
            break;
        if (r < 0) {
            virtio_device_set_broken(vdev, "queue 0: %s", vq->error);
            return;
        }
        r = vsock_mux_fill_rx(v->mux, v->elem);
        if (r < 0) {
            virtio_device_set_broken(vdev, "queue 0: receive buffer is "
                                     "not a device-writable buffer of at "
                                     "least %u bytes", VSOCK_HDR_SIZE);
            return;
        }
        if (r == 0) {
            virtqueue_unpop(vq);
            break;
        }
        virtqueue_push(vq, v->elem, (uint32_t)r);
        __atomic_add_fetch(&v->rx_packets, 1, __ATOMIC_RELAXED);
        pushed = true;
    }
    if (pushed)
        virtio_notify(vdev, vq);
}

/* txq: every packet is consumed whole, whatever becomes of it. */
static void
vsock_serve_tx(VirtioVsock *v)
{
    VirtioDevice *vdev = &v->vdev;
    VirtQueue *vq = &vdev->vqs[Q_TX];
    int r;

    while ((r = virtqueue_pop(vq, v->elem)) == 0) {
        VsockHdr hdr;

        if (vsock_hdr_parse(v->elem, &hdr) < 0) {
            virtio_device_set_broken(vdev, "queue 1: malformed packet (%zu "
                                     "readable and %zu writable bytes)",
                                     v->elem->out_len, v->elem->in_len);
            return;
        }
        vsock_mux_from_guest(v->mux, &hdr, v->elem);
        virtqueue_push(vq, v->elem, 0);
        __atomic_add_fetch(&v->tx_packets, 1, __ATOMIC_RELAXED);
    }
    if (r != -ENOENT) {
        virtio_device_set_broken(vdev, "queue 1: %s", vq->error);
        return;
    }
    virtio_notify(vdev, vq);
}

static void
vsock_on_fd(gpointer opaque, int fd, short revents)
{
    VirtioVsock *v = opaque;
    VirtioDevice *vdev = &v->vdev;

    if (fd == vdev->kick_fds[Q_RX] || fd == vdev->kick_fds[Q_TX] ||
        fd == vdev->kick_fds[Q_EVT])
        virtio_eventfd_drain(fd);
    if (virtio_device_is_broken(vdev))
        return;
    if (fd == vdev->kick_fds[Q_TX])
        vsock_serve_tx(v);
    else if (fd == vsock_mux_listen_fd(v->mux))
        vsock_mux_on_listen(v->mux);
    else if (fd == vsock_mux_epoll_fd(v->mux))
        vsock_mux_on_epoll(v->mux);
    else if (fd == vdev->kick_fds[Q_EVT])
        vsock_serve_evt(v);
    /* Whatever happened may have given the guest something to read. */
    if (!virtio_device_is_broken(vdev))
        vsock_serve_rx(v);
}

static bool
vsock_activate(VirtioDevice *vdev, GError **error)
{
    VirtioVsock *v = vsock_from_vdev(vdev);
    int listen_fd = vsock_mux_listen_fd(v->mux);

    v->worker = virtio_worker_new(THREAD_ROLE_VIRTIO_VSOCK, vdev->id);
    for (unsigned q = 0; q < vdev->nvqs; q++) {
        virtio_worker_add_fd(v->worker, vdev->kick_fds[q], POLLIN,
                             vsock_on_fd, v);
        /* Buffers the driver posted before the worker existed. */
        virtio_eventfd_signal(vdev->kick_fds[q]);
    }
    if (listen_fd >= 0)
        virtio_worker_add_fd(v->worker, listen_fd, POLLIN, vsock_on_fd, v);
    virtio_worker_add_fd(v->worker, vsock_mux_epoll_fd(v->mux), POLLIN,
                         vsock_on_fd, v);
    return virtio_worker_start(v->worker, error);
}

static void
vsock_reset(VirtioDevice *vdev)
{
    VirtioVsock *v = vsock_from_vdev(vdev);

    g_clear_pointer(&v->worker, virtio_worker_free);
    /* §5.10.6.7: the driver that comes next starts without connections;
     * a host client of the old one sees its socket closed. */
    if (v->mux)
        vsock_mux_reset(v->mux);
}

static bool
vsock_pause(VirtioDevice *vdev, GError **error)
{
    virtio_worker_stop(vsock_from_vdev(vdev)->worker);
    return true;
}

static bool
vsock_resume(VirtioDevice *vdev, GError **error)
{
    return virtio_worker_start(vsock_from_vdev(vdev)->worker, error);
}

static void
vsock_read_config(VirtioDevice *vdev, uint32_t off, void *data, unsigned len)
{
    struct virtio_vsock_config cfg = {
        .guest_cid = GUINT64_TO_LE(vsock_from_vdev(vdev)->cid),
    };

    virtio_config_read(&cfg, sizeof(cfg), off, data, len);
}

/*
 * Snapshot state: whether the driver is owed a TRANSPORT_RESET event.
 * Connections are not saved (their host sockets cannot be): a restored
 * device starts without any, and a driver that had some is told so, as
 * §5.10.6.7 asks after a migration.
 */
typedef struct {
    bool transport_reset;
} VirtioVsockState;

static const VmmStateField vsock_state_fields[] = {
    VMM_STATE_BOOL_FIELD(VirtioVsockState, transport_reset),
};

static const VmmStateDesc vsock_state_desc = {
    .name = "virtio-vsock",
    .version = 1,
    .size = sizeof(VirtioVsockState),
    .fields = vsock_state_fields,
    .n_fields = G_N_ELEMENTS(vsock_state_fields),
};

static void
vsock_state_get(VirtioDevice *vdev, void *opaque)
{
    VirtioVsock *v = vsock_from_vdev(vdev);
    VirtioVsockState *st = opaque;

    st->transport_reset = v->event_pending || vsock_mux_n_conns(v->mux) > 0;
}

static void
vsock_state_set(VirtioDevice *vdev, const void *opaque)
{
    VirtioVsock *v = vsock_from_vdev(vdev);
    const VirtioVsockState *st = opaque;

    vsock_mux_reset(v->mux);
    v->event_pending = st->transport_reset;
}

static JsonNode *
vsock_counters(VirtioDevice *vdev)
{
    VirtioVsock *v = vsock_from_vdev(vdev);
    g_autoptr(JsonBuilder) jb = json_builder_new();

    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "rx_packets");
    json_builder_add_int_value(jb, (gint64)__atomic_load_n(
        &v->rx_packets, __ATOMIC_RELAXED));
    json_builder_set_member_name(jb, "tx_packets");
    json_builder_add_int_value(jb, (gint64)__atomic_load_n(
        &v->tx_packets, __ATOMIC_RELAXED));
    json_builder_end_object(jb);
    return json_builder_get_root(jb);
}

static void
vsock_free(VirtioDevice *vdev)
{
    VirtioVsock *v = vsock_from_vdev(vdev);
    struct stat st;

    vsock_reset(vdev);
    g_clear_pointer(&v->mux, vsock_mux_free);
    /* Our socket file goes with us, unless another listener took the
     * path since. */
    if (v->socket_path && stat(v->socket_path, &st) == 0 &&
        st.st_dev == v->socket_st.st_dev && st.st_ino == v->socket_st.st_ino)
        unlink(v->socket_path);
    virtqueue_elem_free(v->elem);
    g_free(v->socket_path);
    virtio_device_cleanup(vdev);
    g_free(v);
}

static const VirtioDeviceOps vsock_ops = {
    .name = "vsock",
    .device_type = VIRTIO_ID_VSOCK,
    .config_size = sizeof(struct virtio_vsock_config),
    .read_config = vsock_read_config,
    .activate = vsock_activate,
    .reset = vsock_reset,
    .pause = vsock_pause,
    .resume = vsock_resume,
    .state_desc = &vsock_state_desc,
    .state_get = vsock_state_get,
    .state_set = vsock_state_set,
    .counters = vsock_counters,
    .free = vsock_free,
};

/* The host clients' socket.  A socket file already at @path (left by a
 * VMM that did not clean up) is replaced; any other file is refused. */
static int
vsock_listen(const char *id, const char *path, struct stat *bound,
             GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_autofd_t fd = -1;
    struct stat st;

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                        "%s: socket '%s' exists and is not a socket", id,
                        path);
            return -1;
        }
        unlink(path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 64) < 0 || stat(path, bound) < 0) {
        int err = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "%s: cannot listen on socket '%s': %s", id, path,
                    g_strerror(err));
        return -1;
    }
    return g_steal_fd(&fd);
}

VirtioDevice *
virtio_vsock_new(DeviceHost *host, gconstpointer entry, GError **error)
{
    const VsockConfig *cfg = entry;
    VirtioVsock *v = g_new0(VirtioVsock, 1);
    int listen_fd;

    v->cid = cfg->cid;
    v->elem = virtqueue_elem_new(VSOCK_QUEUE_SIZE);
    if (!virtio_device_init(&v->vdev, &vsock_ops, host, cfg->id,
                            VIRTIO_COMMON_FEATURES, 3, VSOCK_QUEUE_SIZE,
                            error)) {
        vsock_free(&v->vdev);
        return NULL;
    }
    listen_fd = vsock_listen(cfg->id, cfg->socket, &v->socket_st, error);
    if (listen_fd < 0) {
        vsock_free(&v->vdev);
        return NULL;
    }
    v->socket_path = g_strdup(cfg->socket);
    v->mux = vsock_mux_new(cfg->cid, cfg->socket, listen_fd);
    if (vsock_mux_epoll_fd(v->mux) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "%s: epoll_create1: %s", cfg->id, g_strerror(errno));
        vsock_free(&v->vdev);
        return NULL;
    }
    return &v->vdev;
}

VsockMux *
virtio_vsock_get_mux(VirtioDevice *vdev)
{
    return vsock_from_vdev(vdev)->mux;
}

/* ---- Registry descriptor ------------------------------------------------- */

static VmmDevice *
vsock_create(DeviceCreateCtx *ctx, gpointer entry, GError **error)
{
    const VsockConfig *cfg = entry;

    if (!device_create_pci_bus(ctx, error))
        return NULL;
    return device_create_virtio_pci(ctx, virtio_vsock_new(ctx->host, cfg, error),
                                    cfg->pci_device_id, error);
}

const DeviceType virtio_vsock_type = {
    .name = "vsock",
    .cli_option = "--vsock",
    .json_key = "vsock",
    .cli_help = "Virtio VSOCK parameters \"cid=<context_id>,"
                "socket=<socket_path>,iommu=on|off,id=<device_id>,"
                "pci_segment=<segment_id>\"",
    .example = "cid=3,socket=nimbus-vsock-example.sock",
    .hotplug = true,
    .kind = &vsock_kind,
    .create = vsock_create,
    .behind_iommu = vsock_iommu,
};

/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-fs (virtio 1.2 §5.11) as a vhost-user front end: the queues are served by virtiofsd. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/virtio_ids.h>

#include "common/fd-util.h"
#include "config/vm-config-kind.h"
#include "config/vm-config-schema.h"
#include "devices/registry.h"
#include "devices/virtio/fs.h"
#include "devices/virtio/vhost-user.h"
#include "devices/virtio/virtio-pci.h"
#include "devices/virtio/worker.h"

/*
 * The whole device type in one file (docs/adding-a-device.md): CH's
 * FsConfig, its rules, the device and its registry descriptor.
 *
 * nimbus keeps the virtio-pci function and the config space (the tag and
 * the number of request queues); the back end (virtiofsd) serves every
 * queue itself, out of guest RAM that it maps from the memory fds, hence
 * `--memory shared=on`.  The queue's ioeventfd is the kick fd handed to
 * the back end, so the guest's notifications reach it without nimbus.
 * The back end's interrupts (one call eventfd per queue) are relayed by
 * a worker to the transport, which owns MSI-X masking and pending bits;
 * the same worker watches each queue's error eventfd and the socket: a
 * back end that reports an error or goes away makes the device
 * NEEDS_RESET, and the VMM keeps running.
 *
 * Queue 0 is the high-priority queue, queues 1..num_queues carry requests
 * (§5.11.2); CH's num_queues counts the latter.
 */

#define FS_TAG_MAX 36              /* §5.11.4: tag[36] */
#define FS_QUEUES_MAX 254          /* + hiprio: the 8-bit vhost-user index */

/* ---- Config: CH's FsConfig ----------------------------------------------- */

typedef struct {
    char *tag;
    char *socket;
    uint64_t num_queues;
    uint64_t queue_size;
    char *id;                     /* "_fs0" by default */
    int pci_device_id;            /* -1: allocate */
} FsConfig;

static void fs_config_free(gpointer p);

static const VField fs_fields[] = {
    V_STR("tag", FsConfig, tag, .flags = VF_JSON_REQUIRED | VF_CLI_REQUIRED,
          .cli_meta = "<tag_name>"),
    /* virtiofsd listens, nimbus connects. */
    V_STR("socket", FsConfig, socket,
          .flags = VF_JSON_REQUIRED | VF_CLI_REQUIRED | VF_PATH_SOCKET,
          .cli_meta = "<socket_path>"),
    V_UINT("num_queues", FsConfig, num_queues, 1, FS_QUEUES_MAX, 1),
    V_UINT("queue_size", FsConfig, queue_size, 1, 32768, 1024),
    U_INT("pci_segment", 0, .cli_dflt = "0"),
    V_INT_OPT("pci_device_id", FsConfig, pci_device_id, 1, 31),
    V_STR("id", FsConfig, id),
    V_END
};

static const VStruct fs_schema = {
    "FsConfig", sizeof(FsConfig), fs_fields, fs_config_free, NULL
};

static void
fs_config_free(gpointer p)
{
    if (p)
        vschema_clear(&fs_schema, p);
    g_free(p);
}

static bool
fs_validate(const VmConfig *config, gconstpointer entry,
            const VmConfigKindCtx *ctx, GError **error)
{
    const FsConfig *f = entry;
    struct sockaddr_un sa;

    if (!f->tag || !*f->tag || strlen(f->tag) > FS_TAG_MAX) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: tag '%s' must be 1 to %d bytes", ctx->where,
                    f->tag ? f->tag : "", FS_TAG_MAX);
        return false;
    }
    if (!f->socket || !*f->socket ||
        strlen(f->socket) >= sizeof(sa.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: socket '%s' must be a UNIX socket path of 1 to %zu "
                    "bytes", ctx->where, f->socket ? f->socket : "",
                    sizeof(sa.sun_path) - 1);
        return false;
    }
    if (f->queue_size & (f->queue_size - 1)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: queue_size=%" G_GUINT64_FORMAT " is not a power "
                    "of two", ctx->where, f->queue_size);
        return false;
    }
    /* CH (VhostUserRequiresSharedMemory): the back end maps guest RAM
     * from its fds; a private mapping would hide the guest's writes. */
    if (!config->memory.shared) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: using vhost-user requires shared memory: add "
                    "--memory shared=on", ctx->where);
        return false;
    }
    return true;
}

static const VmConfigKind fs_kind = {
    .json_key = "fs",
    .cli_option = "--fs",
    .fields = &fs_schema,
    .id_prefix = "_fs",
    .pci = true,
    .validate = fs_validate,
};

/* ---- The device ---------------------------------------------------------- */

/* struct virtio_fs_config (§5.11.4), little-endian. */
typedef struct __attribute__((packed)) {
    uint8_t tag[FS_TAG_MAX];
    uint32_t num_request_queues;
} VirtioFsConfig;

/*
 * Fields: everything but @worker and @started is immutable after
 * virtio_fs_new().  @vu's requests, @worker and @started belong to the
 * thread that activates, resets, pauses or resumes the device (the
 * transport lock, or the control thread with the device stopped).
 */
typedef struct {
    VirtioDevice vdev;
    VhostUser *vu;
    VirtioFsConfig config;
    int *call_fds;                /* per queue: the back end signals it */
    int *err_fds;                 /* per queue: the back end's errors */
    bool *started;                /* per queue: the back end runs it */
    unsigned sock_slot;           /* @worker's slot of the socket */
    VirtioWorker *worker;
} VirtioFs;

typedef struct {
    VirtioFs *fs;
    unsigned q;
} FsQueueRef;

static VirtioFs *
fs_from_vdev(VirtioDevice *vdev)
{
    return (VirtioFs *)vdev;
}

/* The back end used buffers of a queue: it already decided that the
 * driver wants an interrupt (EVENT_IDX is its business now). */
static void
fs_on_call(gpointer opaque, int fd, short revents)
{
    VirtioDevice *vdev = opaque;
    unsigned q;

    virtio_eventfd_drain(fd);
    for (q = 0; q < vdev->nvqs && fs_from_vdev(vdev)->call_fds[q] != fd; q++)
        ;
    if (q == vdev->nvqs)
        return;
    g_atomic_int_or(&vdev->isr, 1);   /* §4.1.4.5: queue interrupt */
    if (vdev->transport)
        vdev->transport->notify(vdev, vdev->vqs[q].msix_vector);
}

static void
fs_on_err(gpointer opaque, int fd, short revents)
{
    VirtioDevice *vdev = opaque;

    virtio_eventfd_drain(fd);
    virtio_device_set_broken(vdev, "the vhost-user back end reported a "
                             "queue error");
}

static void
fs_on_hangup(gpointer opaque, int fd, short revents)
{
    VirtioFs *fs = opaque;

    /* Polled no more: the condition stays true. */
    virtio_worker_set_events(fs->worker, fs->sock_slot, 0);
    virtio_device_set_broken(&fs->vdev, "the vhost-user back end closed "
                             "its socket");
}

/* Hands queue @q to the back end (vhost-user.rst "Starting and stopping
 * rings"): size, addresses, where to start, the eventfds, then enable. */
static bool
fs_start_queue(VirtioFs *fs, unsigned q, GError **error)
{
    VirtQueue *vq = &fs->vdev.vqs[q];
    VhostUser *vu = fs->vu;

    if (!vq->ready)
        return true;
    if (!vhost_user_set_vring_num(vu, q, vq->size, error) ||
        !vhost_user_set_vring_addr(vu, q, vq->desc, vq->avail, vq->used,
                                   error) ||
        !vhost_user_set_vring_base(vu, q, vq->last_avail, error) ||
        !vhost_user_set_vring_fd(vu, VHOST_USER_SET_VRING_CALL, q,
                                 fs->call_fds[q], error) ||
        !vhost_user_set_vring_fd(vu, VHOST_USER_SET_VRING_ERR, q,
                                 fs->err_fds[q], error) ||
        !vhost_user_set_vring_fd(vu, VHOST_USER_SET_VRING_KICK, q,
                                 fs->vdev.kick_fds[q], error))
        return false;
    fs->started[q] = true;
    /* With protocol features rings start disabled (vhost-user.rst). */
    if (vhost_user_has_protocol_features(vu) &&
        !vhost_user_set_vring_enable(vu, q, true, error))
        return false;
    return true;
}

/*
 * Takes queue @q back: the back end stops it and says where it stopped,
 * which becomes the queue's state (a snapshot saves it, a resume starts
 * there).  The used index is the one in guest memory, written by the
 * back end.
 */
static bool
fs_stop_queue(VirtioFs *fs, unsigned q, GError **error)
{
    VirtQueue *vq = &fs->vdev.vqs[q];
    unsigned base;
    uint16_t used_idx;

    if (!fs->started[q])
        return true;
    fs->started[q] = false;
    if (!vhost_user_get_vring_base(fs->vu, q, &base, error))
        return false;
    vq->last_avail = (uint16_t)base;
    memcpy(&used_idx, vq->used + 2, sizeof(used_idx));
    vq->used_idx = GUINT16_FROM_LE(used_idx);
    return true;
}

static bool
fs_start_all(VirtioFs *fs, GError **error)
{
    for (unsigned q = 0; q < fs->vdev.nvqs; q++) {
        if (!fs_start_queue(fs, q, error))
            return false;
    }
    return true;
}

/* Stops every queue the back end runs; the first error is kept, but
 * every queue is marked stopped. */
static bool
fs_stop_all(VirtioFs *fs, GError **error)
{
    bool ok = true;

    for (unsigned q = 0; q < fs->vdev.nvqs; q++) {
        if (!fs_stop_queue(fs, q, ok ? error : NULL))
            ok = false;
    }
    return ok;
}

static bool
fs_worker_start(VirtioFs *fs, GError **error)
{
    VirtioDevice *vdev = &fs->vdev;

    fs->worker = virtio_worker_new(THREAD_ROLE_VIRTIO_VHOST_USER, vdev->id);
    for (unsigned q = 0; q < vdev->nvqs; q++) {
        virtio_worker_add_fd(fs->worker, fs->call_fds[q], POLLIN, fs_on_call,
                             vdev);
        virtio_worker_add_fd(fs->worker, fs->err_fds[q], POLLIN, fs_on_err,
                             vdev);
    }
    fs->sock_slot = virtio_worker_add_fd(fs->worker, vhost_user_fd(fs->vu),
                                         POLLRDHUP, fs_on_hangup, fs);
    return virtio_worker_start(fs->worker, error);
}

static bool
fs_activate(VirtioDevice *vdev, GError **error)
{
    VirtioFs *fs = fs_from_vdev(vdev);

    return vhost_user_set_features(fs->vu, vdev->driver_features, error) &&
           vhost_user_set_mem_table(fs->vu, device_host_memory(vdev->host),
                                    error) &&
           fs_start_all(fs, error) &&
           fs_worker_start(fs, error);
}

static void
fs_reset(VirtioDevice *vdev)
{
    VirtioFs *fs = fs_from_vdev(vdev);
    g_autoptr(GError) error = NULL;

    g_clear_pointer(&fs->worker, virtio_worker_free);
    /* A broken device already said why (a back end that went away). */
    if (!fs_stop_all(fs, &error) && !virtio_device_is_broken(vdev))
        g_warning("%s: %s", vdev->id, error->message);
}

static bool
fs_pause(VirtioDevice *vdev, GError **error)
{
    VirtioFs *fs = fs_from_vdev(vdev);

    virtio_worker_stop(fs->worker);
    /* A back end already known dead has nothing left to stop: the VM
     * still pauses (and a resume finds the device NEEDS_RESET). */
    if (virtio_device_is_broken(vdev)) {
        fs_stop_all(fs, NULL);
        return true;
    }
    return fs_stop_all(fs, error);
}

static bool
fs_resume(VirtioDevice *vdev, GError **error)
{
    VirtioFs *fs = fs_from_vdev(vdev);

    if (virtio_device_is_broken(vdev))
        return true;
    return fs_start_all(fs, error) && virtio_worker_start(fs->worker, error);
}

static void
fs_read_config(VirtioDevice *vdev, uint32_t off, void *data, unsigned len)
{
    VirtioFs *fs = fs_from_vdev(vdev);

    virtio_config_read(&fs->config, sizeof(fs->config), off, data, len);
}

static void
fs_free(VirtioDevice *vdev)
{
    VirtioFs *fs = fs_from_vdev(vdev);

    if (fs->vu)
        fs_reset(vdev);
    vhost_user_free(fs->vu);
    for (unsigned q = 0; fs->call_fds && q < vdev->nvqs; q++) {
        fd_close(fs->call_fds[q]);
        fd_close(fs->err_fds[q]);
    }
    g_free(fs->call_fds);
    g_free(fs->err_fds);
    g_free(fs->started);
    virtio_device_cleanup(vdev);
    g_free(fs);
}

static const VirtioDeviceOps fs_ops = {
    .name = "fs",
    .device_type = VIRTIO_ID_FS,
    .config_size = sizeof(VirtioFsConfig),
    .read_config = fs_read_config,
    .activate = fs_activate,
    .reset = fs_reset,
    .pause = fs_pause,
    .resume = fs_resume,
    .free = fs_free,
};

static bool
fs_make_eventfds(VirtioFs *fs, unsigned nvqs, GError **error)
{
    fs->call_fds = g_new(int, nvqs);
    fs->err_fds = g_new(int, nvqs);
    for (unsigned q = 0; q < nvqs; q++)
        fs->call_fds[q] = fs->err_fds[q] = -1;
    for (unsigned q = 0; q < nvqs; q++) {
        fs->call_fds[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        fs->err_fds[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (fs->call_fds[q] < 0 || fs->err_fds[q] < 0) {
            int err = errno;

            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                        "cannot create an eventfd: %s", g_strerror(err));
            return false;
        }
    }
    return true;
}

VirtioDevice *
virtio_fs_new(DeviceHost *host, gconstpointer entry, GError **error)
{
    const FsConfig *cfg = entry;
    VirtioFs *fs = g_new0(VirtioFs, 1);
    g_autoptr(VirtioDevice) vdev = &fs->vdev;
    unsigned nvqs = 1 + (unsigned)cfg->num_queues;
    uint64_t features;

    fs->started = g_new0(bool, nvqs);
    /* The features are the back end's: set below, before anyone sees
     * the device. */
    if (!virtio_device_init(vdev, &fs_ops, host, cfg->id, 0, nvqs,
                            (uint16_t)cfg->queue_size, error) ||
        !fs_make_eventfds(fs, nvqs, error))
        return NULL;
    /* Connecting is creating, as in CH: a missing back end is an error
     * of vm.create / vm.add-fs, not a dead device in the guest. */
    fs->vu = vhost_user_connect(cfg->socket, cfg->id, error);
    if (!fs->vu)
        return NULL;
    /* The guest sees what both the back end and nimbus's rings do. */
    features = vhost_user_backend_features(fs->vu) & VIRTIO_COMMON_FEATURES;
    if (!(features & (1ULL << VIRTIO_F_VERSION_1))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: the vhost-user back end at '%s' does not offer "
                    "VIRTIO_F_VERSION_1", cfg->id, cfg->socket);
        return NULL;
    }
    if (vhost_user_queue_num(fs->vu) &&
        vhost_user_queue_num(fs->vu) < nvqs) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: the vhost-user back end at '%s' serves %"
                    G_GUINT64_FORMAT " queues, num_queues=%" G_GUINT64_FORMAT
                    " needs %u", cfg->id, cfg->socket,
                    vhost_user_queue_num(fs->vu), cfg->num_queues, nvqs);
        return NULL;
    }
    vdev->host_features = features;
    memcpy(fs->config.tag, cfg->tag, strlen(cfg->tag));
    fs->config.num_request_queues = GUINT32_TO_LE((uint32_t)cfg->num_queues);
    return g_steal_pointer(&vdev);
}

/* ---- Registry descriptor ------------------------------------------------- */

static VmmDevice *
fs_create(DeviceCreateCtx *ctx, gpointer entry, GError **error)
{
    const FsConfig *cfg = entry;

    if (!device_create_pci_bus(ctx, error))
        return NULL;
    return device_create_virtio_pci(ctx, virtio_fs_new(ctx->host, cfg, error),
                                    cfg->pci_device_id, error);
}

const DeviceType virtio_fs_type = {
    .name = "fs",
    .cli_option = "--fs",
    .json_key = "fs",
    .cli_multi = true,
    .cli_help = "virtio-fs parameters \"tag=<tag_name>,socket=<socket_path>,"
                "num_queues=<number_of_queues>,queue_size=<size_of_each_"
                "queue>,id=<device_id>,pci_segment=<segment_id>\"",
    /* The state tests run a fake back end at this path. */
    .example = "tag=myfs,socket=nimbus-fs-example.sock",
    .hotplug = true,
    .kind = &fs_kind,
    .create = fs_create,
};

/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-fs (virtio 1.2 §5.11) as a vhost-user front end: the queues are served by virtiofsd. */
#include <config.h>

#include <string.h>
#include <sys/un.h>
#include <gio/gio.h>
#include <linux/virtio_ids.h>

#include "config/vm-config-kind.h"
#include "config/vm-config-schema.h"
#include "devices/registry.h"
#include "devices/virtio/fs.h"
#include "devices/virtio/vhost-user-dev.h"
#include "devices/virtio/vhost-user.h"
#include "devices/virtio/virtio-pci.h"

/*
 * The whole device type in one file (docs/adding-a-device.md): CH's
 * FsConfig, its rules, the device and its registry descriptor.
 *
 * nimbus keeps the virtio-pci function and the config space (the tag and
 * the number of request queues); the back end (virtiofsd) serves every
 * queue itself, out of guest RAM that it maps from the memory fds, hence
 * `--memory shared=on`.  The queue half is vhost-user-dev.c's, as for
 * vhost-user-blk: the queue's ioeventfd is the kick fd handed to the back
 * end, so the guest's notifications reach it without nimbus; the back
 * end's interrupts (one call eventfd per queue) are relayed by a worker
 * to the transport, which owns MSI-X masking and pending bits; the same
 * worker watches each queue's error eventfd and the socket: a back end
 * that reports an error or goes away makes the device NEEDS_RESET, and
 * the VMM keeps running.
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
    /* The schema bounds it to 1..32768; the ring also needs a power of
     * two. */
    if (!vm_config_check_queue_size(ctx->where, "queue_size", f->queue_size,
                                    1, VM_CONFIG_QUEUE_SIZE_MAX, error))
        return false;
    return vm_config_require_shared_memory(config, ctx->where, error);
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
 * Fields: @config is immutable after virtio_fs_new(); @vud as
 * vhost-user-dev.h says.
 */
typedef struct {
    VirtioDevice vdev;
    VhostUserDev vud;
    VirtioFsConfig config;
} VirtioFs;

static VirtioFs *
fs_from_vdev(VirtioDevice *vdev)
{
    return (VirtioFs *)vdev;
}

static bool
fs_activate(VirtioDevice *vdev, GError **error)
{
    return vhost_user_dev_activate(&fs_from_vdev(vdev)->vud, error);
}

static void
fs_reset(VirtioDevice *vdev)
{
    vhost_user_dev_reset(&fs_from_vdev(vdev)->vud);
}

/* The queue state the back end reports when it stops a ring (next avail,
 * used index) becomes the virtio core's: a snapshot saves it, a resume
 * or a restore starts there. */
static bool
fs_pause(VirtioDevice *vdev, GError **error)
{
    return vhost_user_dev_pause(&fs_from_vdev(vdev)->vud, error);
}

static bool
fs_resume(VirtioDevice *vdev, GError **error)
{
    return vhost_user_dev_resume(&fs_from_vdev(vdev)->vud, error);
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

    vhost_user_dev_cleanup(&fs->vud);
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

VirtioDevice *
virtio_fs_new(DeviceHost *host, gconstpointer entry, GError **error)
{
    const FsConfig *cfg = entry;
    VirtioFs *fs = g_new0(VirtioFs, 1);
    g_autoptr(VirtioDevice) vdev = &fs->vdev;
    unsigned nvqs = 1 + (unsigned)cfg->num_queues;
    VhostUser *vu;
    uint64_t features;

    /* The features are the back end's: set below, before anyone sees
     * the device. */
    if (!virtio_device_init(vdev, &fs_ops, host, cfg->id, 0, nvqs,
                            (uint16_t)cfg->queue_size, error))
        return NULL;
    /* Connecting is creating, as in CH: a missing back end is an error
     * of vm.create / vm.add-fs, not a dead device in the guest. */
    vu = vhost_user_connect(cfg->socket, cfg->id, error);
    if (!vu || !vhost_user_dev_init(&fs->vud, vdev, vu, error))
        return NULL;
    /* The guest sees what both the back end and nimbus's rings do. */
    features = vhost_user_backend_features(vu) & VIRTIO_COMMON_FEATURES;
    if (!(features & (1ULL << VIRTIO_F_VERSION_1))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: the vhost-user back end at '%s' does not offer "
                    "VIRTIO_F_VERSION_1", cfg->id, cfg->socket);
        return NULL;
    }
    if (vhost_user_queue_num(vu) && vhost_user_queue_num(vu) < nvqs) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: the vhost-user back end at '%s' serves %"
                    G_GUINT64_FORMAT " queues, num_queues=%" G_GUINT64_FORMAT
                    " needs %u", cfg->id, cfg->socket,
                    vhost_user_queue_num(vu), cfg->num_queues, nvqs);
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

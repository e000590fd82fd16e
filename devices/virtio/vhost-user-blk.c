/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user-blk (virtio 1.2 §5.2): virtio-blk whose queues a vhost-user back end serves. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "devices/virtio/vhost-user-blk.h"
#include "devices/virtio/vhost-user-dev.h"
#include "devices/virtio/vhost-user.h"

/*
 * CH's `--disk vhost_user=on,socket=PATH`: the back end (for example
 * qemu-storage-daemon's vhost-user-blk export) opens the image and serves
 * every request queue out of guest RAM; nimbus keeps the virtio-pci
 * function, the feature negotiation and the config space, which it reads
 * from the back end once at creation (VHOST_USER_GET_CONFIG), as CH does.
 * The queues, their eventfds and the worker that relays the back end's
 * calls are vhost-user-dev.c's.  The disk's options that describe an
 * image (readonly, direct, rate limits...) are refused by the config
 * rules: the back end decides them.
 */

/* Offsets in struct virtio_blk_config (little-endian, virtio 1.0+). */
#define CFG_SEG_MAX 12
#define CFG_BLK_SIZE 20
#define CFG_NUM_QUEUES 34

G_STATIC_ASSERT(VHOST_USER_BLK_CONFIG_SIZE <= VHOST_USER_MAX_CONFIG);

/*
 * Fields: @config is immutable after vhost_user_blk_new(); @vud as
 * vhost-user-dev.h says.
 */
typedef struct {
    VirtioDevice vdev;
    VhostUserDev vud;
    uint8_t config[VHOST_USER_BLK_CONFIG_SIZE];
} VhostUserBlk;

static const VirtioDeviceOps vhost_user_blk_ops;

static VhostUserBlk *
vhost_user_blk_from_vdev(VirtioDevice *vdev)
{
    return (VhostUserBlk *)vdev;
}

bool
vhost_user_blk_is(const VirtioDevice *vdev)
{
    return vdev->ops == &vhost_user_blk_ops;
}

static uint32_t
cfg_u32(const uint8_t *cfg, unsigned off)
{
    uint32_t v;

    memcpy(&v, cfg + off, sizeof(v));
    return GUINT32_FROM_LE(v);
}

static uint16_t
cfg_u16(const uint8_t *cfg, unsigned off)
{
    uint16_t v;

    memcpy(&v, cfg + off, sizeof(v));
    return GUINT16_FROM_LE(v);
}

bool
vhost_user_blk_check_config(uint8_t *cfg, uint64_t features,
                            unsigned num_queues, GError **error)
{
    uint32_t blk_size = cfg_u32(cfg, CFG_BLK_SIZE);
    uint16_t nq = cfg_u16(cfg, CFG_NUM_QUEUES);

    /* A driver divides by these (Linux: sg limits, logical block size):
     * a back end's nonsense is refused here rather than handed on. */
    if ((features & (1ULL << VIRTIO_BLK_F_SEG_MAX)) &&
        cfg_u32(cfg, CFG_SEG_MAX) == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "the vhost-user back end offers SEG_MAX with seg_max 0");
        return false;
    }
    if ((features & (1ULL << VIRTIO_BLK_F_BLK_SIZE)) &&
        (blk_size < 512 || blk_size > 65536 ||
         (blk_size & (blk_size - 1)))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "the vhost-user back end's blk_size %u is not a power of "
                    "two from 512 to 65536", blk_size);
        return false;
    }
    if (num_queues > 1 && !(features & (1ULL << VIRTIO_BLK_F_MQ))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "num_queues=%u, but the vhost-user back end does not "
                    "offer VIRTIO_BLK_F_MQ", num_queues);
        return false;
    }
    if ((features & (1ULL << VIRTIO_BLK_F_MQ)) && nq < num_queues) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "the vhost-user back end serves %u queues, num_queues=%u",
                    nq, num_queues);
        return false;
    }
    /* The driver uses as many queues as the config says: the ones nimbus
     * set up, not all the back end could serve. */
    if (features & (1ULL << VIRTIO_BLK_F_MQ)) {
        nq = GUINT16_TO_LE((uint16_t)num_queues);
        memcpy(cfg + CFG_NUM_QUEUES, &nq, sizeof(nq));
    }
    return true;
}

static bool
vhost_user_blk_activate(VirtioDevice *vdev, GError **error)
{
    return vhost_user_dev_activate(&vhost_user_blk_from_vdev(vdev)->vud,
                                   error);
}

static void
vhost_user_blk_reset(VirtioDevice *vdev)
{
    vhost_user_dev_reset(&vhost_user_blk_from_vdev(vdev)->vud);
}

static bool
vhost_user_blk_pause(VirtioDevice *vdev, GError **error)
{
    return vhost_user_dev_pause(&vhost_user_blk_from_vdev(vdev)->vud, error);
}

static bool
vhost_user_blk_resume(VirtioDevice *vdev, GError **error)
{
    return vhost_user_dev_resume(&vhost_user_blk_from_vdev(vdev)->vud, error);
}

static void
vhost_user_blk_read_config(VirtioDevice *vdev, uint32_t off, void *data,
                           unsigned len)
{
    VhostUserBlk *b = vhost_user_blk_from_vdev(vdev);

    virtio_config_read(b->config, sizeof(b->config), off, data, len);
}

static void
vhost_user_blk_free(VirtioDevice *vdev)
{
    VhostUserBlk *b = vhost_user_blk_from_vdev(vdev);

    vhost_user_dev_cleanup(&b->vud);
    virtio_device_cleanup(vdev);
    g_free(b);
}

/* No write_config: CONFIG_WCE is not offered, so the config space is
 * read-only to the driver.  No state_desc: a VM with a vhost-user disk
 * is neither snapshotted nor migrated (the back end's state is not
 * nimbus's to save). */
static const VirtioDeviceOps vhost_user_blk_ops = {
    .name = "vhost-user-blk",
    .device_type = VIRTIO_ID_BLOCK,
    .config_size = VHOST_USER_BLK_CONFIG_SIZE,
    .read_config = vhost_user_blk_read_config,
    .activate = vhost_user_blk_activate,
    .reset = vhost_user_blk_reset,
    .pause = vhost_user_blk_pause,
    .resume = vhost_user_blk_resume,
    .free = vhost_user_blk_free,
};

VirtioDevice *
vhost_user_blk_new(DeviceHost *host, const DiskConfig *disk, GError **error)
{
    VhostUserBlk *b = g_new0(VhostUserBlk, 1);
    g_autoptr(VirtioDevice) vdev = &b->vdev;
    g_autoptr(GError) local = NULL;
    unsigned nq = MAX(disk->num_queues, 1u);
    VhostUser *vu;
    uint64_t features;

    /* The features are the back end's: set below, before anyone sees
     * the device. */
    if (!virtio_device_init(vdev, &vhost_user_blk_ops, host, disk->id, 0, nq,
                            (uint16_t)disk->queue_size, error))
        return NULL;
    /* Connecting is creating, as in CH: a missing back end is an error
     * of vm.create / vm.add-disk, not a dead device in the guest. */
    vu = vhost_user_connect(disk->vhost_socket, disk->id, error);
    if (!vu || !vhost_user_dev_init(&b->vud, vdev, vu, error))
        return NULL;
    /* The guest sees what both the back end and nimbus do. */
    features = vhost_user_backend_features(vu) & VHOST_USER_BLK_FEATURES;
    if (!(features & (1ULL << VIRTIO_F_VERSION_1))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: the vhost-user back end at '%s' does not offer "
                    "VIRTIO_F_VERSION_1", disk->id, disk->vhost_socket);
        return NULL;
    }
    if (!(vhost_user_protocol_features(vu) &
          (1ULL << VHOST_USER_PROTOCOL_F_CONFIG))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: the vhost-user back end at '%s' does not give its "
                    "config space (VHOST_USER_PROTOCOL_F_CONFIG), which "
                    "holds the disk's capacity", disk->id,
                    disk->vhost_socket);
        return NULL;
    }
    if (vhost_user_queue_num(vu) && vhost_user_queue_num(vu) < nq) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: the vhost-user back end at '%s' serves %"
                    G_GUINT64_FORMAT " queues, num_queues=%u", disk->id,
                    disk->vhost_socket, vhost_user_queue_num(vu), nq);
        return NULL;
    }
    if (!vhost_user_get_config(vu, 0, b->config, sizeof(b->config), error))
        return NULL;
    if (!vhost_user_blk_check_config(b->config, features, nq, &local)) {
        g_set_error(error, G_IO_ERROR, local->code, "%s: %s (socket '%s')",
                    disk->id, local->message, disk->vhost_socket);
        return NULL;
    }
    vdev->host_features = features;
    return g_steal_pointer(&vdev);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* --generic-vhost-user: a virtio device of any type, served by a vhost-user back end. */
#include <config.h>

#include <string.h>
#include <sys/un.h>
#include <gio/gio.h>
#include <linux/virtio_ids.h>

#include "config/vm-config-kind.h"
#include "config/vm-config-opts.h"
#include "config/vm-config-schema.h"
#include "devices/virtio/vhost-user-dev.h"
#include "devices/virtio/vhost-user-generic.h"
#include "devices/virtio/vhost-user.h"
#include "devices/virtio/virtio-pci.h"

/*
 * CH's `--generic-vhost-user device_type=,socket=,queue_sizes=[..]`: a
 * virtio-pci function of any type the back end implements, nimbus knowing
 * nothing of it beyond its queues.  The features are the back end's, the
 * queues are handed over as for vhost-user-blk (vhost-user-dev.c), and the
 * config space goes through to the back end: a driver's read is a
 * GET_CONFIG, a write a SET_CONFIG.  Types whose work is partly the VMM's
 * (the watchdog resets the VM, the IOMMU translates for other devices)
 * cannot be served this way and are refused, as CH does.
 */

/* §4.1.4.1: a queue index of the vhost-user protocol is 8 bits. */
#define GENERIC_QUEUES_MAX 256
#define GENERIC_QUEUE_SIZE_MAX 32768
/* §4.1.2.1: the PCI device ID 0x1040 + type is 16 bits. */
#define GENERIC_TYPE_MAX (0xffff - 0x1040)

/* ---- Config: CH's GenericVhostUserConfig ---------------------------------- */

typedef struct {
    char *socket;
    uint64_t device_type;         /* virtio device ID */
    GArray *queue_sizes;          /* uint32_t, never NULL */
    char *id;                     /* "_generic_vhost_user0" by default */
    int pci_device_id;            /* -1: allocate */
} GenericVhostUserConfig;

/* The names CH's device_type= takes (virtio 1.2 §5 IDs). */
static const struct {
    const char *name;
    uint32_t id;
} type_names[] = {
    { "net", VIRTIO_ID_NET }, { "block", VIRTIO_ID_BLOCK },
    { "console", VIRTIO_ID_CONSOLE }, { "rng", VIRTIO_ID_RNG },
    { "balloon", VIRTIO_ID_BALLOON }, { "scsi", VIRTIO_ID_SCSI },
    { "9p", VIRTIO_ID_9P }, { "gpu", VIRTIO_ID_GPU },
    { "input", VIRTIO_ID_INPUT }, { "vsock", VIRTIO_ID_VSOCK },
    { "crypto", VIRTIO_ID_CRYPTO }, { "iommu", VIRTIO_ID_IOMMU },
    { "mem", VIRTIO_ID_MEM }, { "sound", VIRTIO_ID_SOUND },
    { "fs", VIRTIO_ID_FS }, { "pmem", VIRTIO_ID_PMEM },
    { "i2c", VIRTIO_ID_I2C_ADAPTER }, { "scmi", VIRTIO_ID_SCMI },
    { "gpio", VIRTIO_ID_GPIO }, { "can", 36 }, { "watchdog", 35 },
};

bool
vhost_user_generic_type_from_name(const char *s, uint32_t *id)
{
    uint64_t v;

    if (vm_opts_str_to_u64(s, &v)) {
        if (v > G_MAXUINT32)
            return false;
        *id = (uint32_t)v;
        return true;
    }
    for (guint i = 0; i < G_N_ELEMENTS(type_names); i++) {
        if (!g_ascii_strcasecmp(type_names[i].name, s)) {
            *id = type_names[i].id;
            return true;
        }
    }
    return false;
}

/* device_type=<name|number>, or CH's older virtio_id= (the same). */
static bool
cli_device_type(const VmOpts *o, const VField *f, void *member,
                GError **error)
{
    g_autofree char *s = NULL;
    const char *key = vm_opts_has(o, "device_type") ? "device_type"
                                                     : "virtio_id";
    uint32_t id;

    if (vm_opts_has(o, "device_type") && vm_opts_has(o, "virtio_id")) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "--generic-vhost-user: device_type and virtio_id are "
                    "the same key: give one");
        return false;
    }
    if (!vm_opts_get_string(o, key, &s, error))
        return false;
    if (!s)
        return true;
    if (!vhost_user_generic_type_from_name(s, &id)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "--generic-vhost-user: %s=%s is neither a virtio device "
                    "name (block, fs, net, ...) nor a number", key, s);
        return false;
    }
    *(uint64_t *)member = id;
    return true;
}

static const char *const device_type_cli_keys[] = {
    "device_type", "virtio_id", NULL
};

/* queue_sizes=[256,256]: one size per queue. */
static bool
cli_queue_sizes(const VmOpts *o, const VField *f, void *member,
                GError **error)
{
    /* Sizes are bounded by validation, which names the queue. */
    return vm_opts_get_u32_list(o, vfield_cli_key(f), G_MAXUINT32,
                                (GArray **)member, error);
}

static void generic_config_free(gpointer p);

static const VField generic_fields[] = {
    /* The back end listens, nimbus connects. */
    V_STR("socket", GenericVhostUserConfig, socket,
          .flags = VF_JSON_REQUIRED | VF_CLI_REQUIRED | VF_PATH_SOCKET,
          .cli_meta = "<socket_path>"),
    V_UINT("device_type", GenericVhostUserConfig, device_type, 0,
           G_MAXUINT32, 0, .flags = VF_JSON_REQUIRED | VF_CLI_REQUIRED,
           .cli_meta = "<name|number>", .cli_parse = cli_device_type,
           .cli_keys = device_type_cli_keys),
    V_U32S("queue_sizes", GenericVhostUserConfig, queue_sizes,
           GENERIC_QUEUE_SIZE_MAX,
           .flags = VF_NEVER_NULL | VF_JSON_REQUIRED | VF_CLI_REQUIRED,
           .what = "queue sizes", .cli_meta = "[<size>,...]",
           .cli_parse = cli_queue_sizes),
    U_INT("pci_segment", 0, .cli_dflt = "0"),
    V_INT_OPT("pci_device_id", GenericVhostUserConfig, pci_device_id, 1, 31),
    V_STR("id", GenericVhostUserConfig, id),
    V_END
};

static const VStruct generic_schema = {
    "GenericVhostUserConfig", sizeof(GenericVhostUserConfig), generic_fields,
    generic_config_free, NULL
};

static void
generic_config_free(gpointer p)
{
    if (p)
        vschema_clear(&generic_schema, p);
    g_free(p);
}

static bool
generic_validate(const VmConfig *config, gconstpointer entry,
                 const VmConfigKindCtx *ctx, GError **error)
{
    const GenericVhostUserConfig *g = entry;
    struct sockaddr_un sa;
    guint n = g->queue_sizes ? g->queue_sizes->len : 0;

    if (!g->socket || !*g->socket ||
        strlen(g->socket) >= sizeof(sa.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: socket '%s' must be a UNIX socket path of 1 to %zu "
                    "bytes", ctx->where, g->socket ? g->socket : "",
                    sizeof(sa.sun_path) - 1);
        return false;
    }
    /* CH refuses these: the VMM has a part in their work (resetting the
     * VM, translating other devices' DMA) that a back end cannot do. */
    if (g->device_type == 35 || g->device_type == VIRTIO_ID_IOMMU) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: device_type=%" G_GUINT64_FORMAT " (%s) cannot be a "
                    "generic vhost-user device", ctx->where, g->device_type,
                    g->device_type == 35 ? "watchdog" : "iommu");
        return false;
    }
    /* The PCI device ID is 0x1040 + the type (§4.1.2.1). */
    if (g->device_type == 0 || g->device_type > GENERIC_TYPE_MAX) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: device_type=%" G_GUINT64_FORMAT " is not a virtio "
                    "device ID (1 to %d)", ctx->where, g->device_type,
                    GENERIC_TYPE_MAX);
        return false;
    }
    if (n == 0 || n > GENERIC_QUEUES_MAX) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: queue_sizes has %u entries: expected 1 to %d (one "
                    "per queue)", ctx->where, n, GENERIC_QUEUES_MAX);
        return false;
    }
    for (guint q = 0; q < n; q++) {
        g_autofree char *key = g_strdup_printf("queue_sizes[%u]", q);

        if (!vm_config_check_queue_size(
                ctx->where, key, g_array_index(g->queue_sizes, uint32_t, q), 1,
                GENERIC_QUEUE_SIZE_MAX, error))
            return false;
    }
    return vm_config_require_shared_memory(config, ctx->where, error);
}

static const VmConfigKind generic_kind = {
    .json_key = "generic_vhost_user",
    .cli_option = "--generic-vhost-user",
    .fields = &generic_schema,
    .id_prefix = "_generic_vhost_user",
    .pci = true,
    .validate = generic_validate,
};

/* ---- The device ---------------------------------------------------------- */

/*
 * Fields: @socket is immutable after vhost_user_generic_new(); @lock
 * serialises every request on the back end's socket (vhost-user.h: they
 * are not reentrant), which config accesses (vCPU threads, outside the
 * transport's lock) and activation, reset, pause and resume (the
 * transport lock or the control thread) all send; @vud under @lock.
 */
typedef struct {
    VirtioDevice vdev;
    VhostUserDev vud;
    char *socket;
    GMutex lock;
} VhostUserGeneric;

static VhostUserGeneric *
generic_from_vdev(VirtioDevice *vdev)
{
    return (VhostUserGeneric *)vdev;
}

uint64_t
vhost_user_generic_features(uint64_t backend)
{
    /* §6: bits 0-23 are the device type's, which nimbus passes on
     * unread; of the rest, only what its rings and transport do. */
    return backend & (VIRTIO_COMMON_FEATURES | ((1ULL << 24) - 1));
}

static bool
generic_activate(VirtioDevice *vdev, GError **error)
{
    VhostUserGeneric *g = generic_from_vdev(vdev);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&g->lock);

    return vhost_user_dev_activate(&g->vud, error);
}

static void
generic_reset(VirtioDevice *vdev)
{
    VhostUserGeneric *g = generic_from_vdev(vdev);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&g->lock);

    vhost_user_dev_reset(&g->vud);
}

static bool
generic_pause(VirtioDevice *vdev, GError **error)
{
    VhostUserGeneric *g = generic_from_vdev(vdev);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&g->lock);

    return vhost_user_dev_pause(&g->vud, error);
}

static bool
generic_resume(VirtioDevice *vdev, GError **error)
{
    VhostUserGeneric *g = generic_from_vdev(vdev);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&g->lock);

    return vhost_user_dev_resume(&g->vud, error);
}

/*
 * The back end's config space, up to the end of what the driver reads:
 * always from offset 0, because libvhost-user back ends (qemu-storage-
 * daemon's) ignore GET_CONFIG's offset and fill from the start, as QEMU's
 * front end asks them to.  Without CONFIG the device has none: zeros.
 */
bool
vhost_user_generic_config_read(VhostUser *vu, uint32_t off, void *data,
                               unsigned len, GError **error)
{
    uint8_t buf[VHOST_USER_MAX_CONFIG];

    memset(data, 0, len);
    if (!(vhost_user_protocol_features(vu) &
          (1ULL << VHOST_USER_PROTOCOL_F_CONFIG)))
        return true;
    if ((uint64_t)off + len > sizeof(buf)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "config space access of %u bytes at %u is past %zu",
                    len, off, sizeof(buf));
        return false;
    }
    if (!vhost_user_get_config(vu, 0, buf, off + len, error))
        return false;
    memcpy(data, buf + off, len);
    return true;
}

/* A back end that fails the request breaks the device (NEEDS_RESET). */
static void
generic_read_config(VirtioDevice *vdev, uint32_t off, void *data,
                    unsigned len)
{
    VhostUserGeneric *g = generic_from_vdev(vdev);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&g->lock);
    g_autoptr(GError) error = NULL;

    if (virtio_device_is_broken(vdev)) {
        memset(data, 0, len);
        return;
    }
    if (!vhost_user_generic_config_read(g->vud.vu, off, data, len, &error))
        virtio_device_set_broken(vdev, "config read at %u: %s", off,
                                 error->message);
}

static void
generic_write_config(VirtioDevice *vdev, uint32_t off, const void *data,
                     unsigned len)
{
    VhostUserGeneric *g = generic_from_vdev(vdev);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&g->lock);
    g_autoptr(GError) error = NULL;

    if ((uint64_t)off + len > VHOST_USER_MAX_CONFIG ||
        virtio_device_is_broken(vdev))
        return;
    if (!(vhost_user_protocol_features(g->vud.vu) &
          (1ULL << VHOST_USER_PROTOCOL_F_CONFIG))) {
        g_debug("%s: config write at %u ignored: the back end has no "
                "config space", vdev->id, off);
        return;
    }
    if (!vhost_user_set_config(g->vud.vu, off, data, len, &error))
        virtio_device_set_broken(vdev, "config write at %u: %s", off,
                                 error->message);
}

static void
generic_free(VirtioDevice *vdev)
{
    VhostUserGeneric *g = generic_from_vdev(vdev);

    vhost_user_dev_cleanup(&g->vud);
    g_mutex_clear(&g->lock);
    g_free(g->socket);
    virtio_device_cleanup(vdev);
    g_free(g);
}

static const VirtioDeviceOps generic_ops = {
    .name = "generic-vhost-user",
    /* None here: vhost_user_generic_new() sets vdev->device_type. */
    .config_size = VHOST_USER_MAX_CONFIG,
    .read_config = generic_read_config,
    .write_config = generic_write_config,
    .activate = generic_activate,
    .reset = generic_reset,
    .pause = generic_pause,
    .resume = generic_resume,
    .free = generic_free,
};

VirtioDevice *
vhost_user_generic_new(DeviceHost *host, gconstpointer entry, GError **error)
{
    const GenericVhostUserConfig *cfg = entry;
    VhostUserGeneric *g = g_new0(VhostUserGeneric, 1);
    g_autoptr(VirtioDevice) vdev = &g->vdev;
    unsigned nq = cfg->queue_sizes->len;
    uint64_t features;
    VhostUser *vu;

    g_mutex_init(&g->lock);
    g->socket = g_strdup(cfg->socket);
    if (!virtio_device_init(vdev, &generic_ops, host, cfg->id, 0, nq,
                            GENERIC_QUEUE_SIZE_MAX, error))
        return NULL;
    /* Each queue its own size (validated: powers of two). */
    for (unsigned q = 0; q < nq; q++)
        virtqueue_init(&vdev->vqs[q], q,
                       (uint16_t)g_array_index(cfg->queue_sizes, uint32_t, q));
    /* Connecting is creating, as in CH: a missing back end is an error
     * of vm.create / vm.add-generic-vhost-user, not a dead device. */
    vu = vhost_user_connect(cfg->socket, cfg->id, error);
    if (!vu || !vhost_user_dev_init(&g->vud, vdev, vu, error))
        return NULL;
    features = vhost_user_generic_features(vhost_user_backend_features(vu));
    if (!(features & (1ULL << VIRTIO_F_VERSION_1))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: the vhost-user back end at '%s' does not offer "
                    "VIRTIO_F_VERSION_1", cfg->id, cfg->socket);
        return NULL;
    }
    if (vhost_user_queue_num(vu) && vhost_user_queue_num(vu) < nq) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: the vhost-user back end at '%s' serves %"
                    G_GUINT64_FORMAT " queues, queue_sizes has %u",
                    cfg->id, cfg->socket, vhost_user_queue_num(vu), nq);
        return NULL;
    }
    vdev->host_features = features;
    vdev->device_type = (uint16_t)cfg->device_type;
    return g_steal_pointer(&vdev);
}

/* ---- Registry descriptor ------------------------------------------------- */

static VmmDevice *
generic_create(DeviceCreateCtx *ctx, gpointer entry, GError **error)
{
    const GenericVhostUserConfig *cfg = entry;

    if (!device_create_pci_bus(ctx, error))
        return NULL;
    return device_create_virtio_pci(ctx,
                                    vhost_user_generic_new(ctx->host, cfg,
                                                           error),
                                    cfg->pci_device_id, error);
}

const DeviceType vhost_user_generic_type = {
    .name = "generic-vhost-user",
    .cli_option = "--generic-vhost-user",
    .json_key = "generic_vhost_user",
    .cli_multi = true,
    .cli_help = "Generic vhost-user device \"device_type=<name|number>,"
                "socket=<socket_path>,queue_sizes=[<size>,...],"
                "id=<device_id>,pci_segment=<segment_id>,"
                "pci_device_id=<slot 1-31>\"",
    /* The state tests run a fake back end at this path. */
    .example = "device_type=block,socket=nimbus-generic-example.sock,"
               "queue_sizes=[128]",
    .hotplug = true,
    .kind = &generic_kind,
    .create = generic_create,
};

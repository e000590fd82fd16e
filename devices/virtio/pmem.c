/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-pmem (virtio 1.2 §5.19): a host file the guest maps as persistent memory (DAX). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pmem.h>

#include "common/fd-util.h"
#include "config/vm-config-kind.h"
#include "config/vm-config-schema.h"
#include "devices/registry.h"
#include "devices/virtio/iov.h"
#include "devices/virtio/pmem.h"
#include "devices/virtio/virtio-pci.h"
#include "devices/virtio/worker.h"

/*
 * The whole device type in one file (docs/adding-a-device.md): CH's
 * PmemConfig, its rules, the device and its registry descriptor.
 *
 * The file is mapped into the VMM and that mapping becomes guest-physical
 * memory of its own (a hypervisor memory slot outside RAM, placed 2 MiB
 * aligned in the 64-bit MMIO window).  The config space tells the driver
 * where (start, size); the guest then reads and writes the file through
 * its page tables with no exit, and the Linux driver exposes it as
 * /dev/pmem<N> (with DAX).  The one queue carries flush requests: the
 * guest asks that what it wrote be durable, which is fdatasync() of the
 * file on the device's worker.  With discard_writes=on the mapping is
 * private (copy on write), the file is opened read-only and never
 * changes, and a flush has nothing to write.
 */

#define PMEM_QUEUE_SIZE 256

/* ---- Config: CH's PmemConfig -------------------------------------------- */

typedef struct {
    char *file;
    uint64_t size;                /* 0: the file's size */
    bool discard_writes;
    bool iommu;                   /* its queue behind the virtio-iommu */
    char *id;                     /* "_pmem0" by default */
    int pci_device_id;            /* -1: allocate */
} PmemConfig;

static void pmem_config_free(gpointer p);

static const VField pmem_fields[] = {
    V_STR("file", PmemConfig, file,
          .flags = VF_JSON_REQUIRED | VF_CLI_REQUIRED | VF_PATH_RW,
          .cli_meta = "<backing_file_path>"),
    /* CH's size is optional (null: the file's); written only when set. */
    V_UINT("size", PmemConfig, size, 0, G_MAXINT64, 0,
           .flags = VF_CLI_SIZE | VF_OMIT_DEFAULT),
    /* As in CH, what is translated is the flush requests' queue (through
     * virtqueue_pop()); the file's region is guest memory the vCPUs
     * reach, not DMA, so no IOMMU stands between the guest and it. */
    V_BOOL("iommu", PmemConfig, iommu, false),
    V_BOOL("discard_writes", PmemConfig, discard_writes, false),
    U_INT("pci_segment", 0, .cli_dflt = "0"),
    V_INT_OPT("pci_device_id", PmemConfig, pci_device_id, 1, 31),
    V_STR("id", PmemConfig, id),
    V_END
};

static const VStruct pmem_schema = {
    "PmemConfig", sizeof(PmemConfig), pmem_fields, pmem_config_free, NULL
};

static void
pmem_config_free(gpointer p)
{
    if (p)
        vschema_clear(&pmem_schema, p);
    g_free(p);
}

/* CH (PmemSizeNotAligned): the region is mapped in 2 MiB pages. */
static bool
pmem_validate(const VmConfig *config, gconstpointer entry,
              const VmConfigKindCtx *ctx, GError **error)
{
    const PmemConfig *p = entry;

    if (!p->file || !*p->file) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: file must not be empty", ctx->where);
        return false;
    }
    if (p->size % VIRTIO_PMEM_ALIGN) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: size=%" G_GUINT64_FORMAT " is not a multiple of "
                    "2 MiB", ctx->where, p->size);
        return false;
    }
    return true;
}

/*
 * What the device will map: the file's size, or size= when given.  As in
 * CH, a directory gets an unnamed temporary file of size= (which must
 * then be given); a regular file or block device is used as it is, never
 * grown: a region running past the end of the file would fault the guest
 * (SIGBUS in the VMM), so it is refused here instead.
 * Fills *@fd (owned by the caller) and *@size.
 */
static bool
pmem_open(const PmemConfig *p, const char *where, int *fd_out,
          uint64_t *size_out, GError **error)
{
    struct stat st;
    off_t end;
    int fd;

    if (stat(p->file, &st) < 0) {
        int err = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "%s: file '%s': %s", where, p->file, g_strerror(err));
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        if (!p->size) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "%s: file '%s' is a directory: size= is required "
                        "for its temporary file", where, p->file);
            return false;
        }
        fd = open(p->file, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0 && ftruncate(fd, (off_t)p->size) < 0) {
            int err = errno;

            close(fd);
            errno = err;
            fd = -1;
        }
    } else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: file '%s' is not a regular file, block device or "
                    "directory", where, p->file);
        return false;
    } else {
        /* Read-only for discard_writes=on: the file is never written. */
        fd = open(p->file, (p->discard_writes ? O_RDONLY : O_RDWR) |
                  O_CLOEXEC);
    }
    if (fd < 0) {
        int err = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "%s: cannot open file '%s': %s", where, p->file,
                    g_strerror(err));
        return false;
    }
    end = lseek(fd, 0, SEEK_END);
    if (end < 0 || (!p->size && (end == 0 || end % VIRTIO_PMEM_ALIGN)) ||
        (uint64_t)end < p->size) {
        int err = errno;

        if (end < 0)
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                        "%s: file '%s': %s", where, p->file, g_strerror(err));
        else if (!p->size)
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "%s: file '%s' is %" G_GINT64_FORMAT " bytes: its "
                        "size must be a non-zero multiple of 2 MiB (or give "
                        "size=)", where, p->file, (gint64)end);
        else
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "%s: file '%s' is %" G_GINT64_FORMAT " bytes, "
                        "smaller than size=%" G_GUINT64_FORMAT, where,
                        p->file, (gint64)end, p->size);
        close(fd);
        return false;
    }
    *fd_out = fd;
    *size_out = p->size ? p->size : (uint64_t)end;
    return true;
}

/* At vm.create (and nimbusd's define): the file opens as the device will
 * open it and is large enough. */
static bool
pmem_check_host(const VmConfig *config, gconstpointer entry,
                const VmConfigKindCtx *ctx, GError **error)
{
    const PmemConfig *p = entry;
    uint64_t size;
    int fd;

    /* A directory would only be checked by making a file in it. */
    if (g_file_test(p->file, G_FILE_TEST_IS_DIR)) {
        if (!p->size) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "%s: file '%s' is a directory: size= is required "
                        "for its temporary file", ctx->where, p->file);
            return false;
        }
        return true;
    }
    if (!pmem_open(p, ctx->where, &fd, &size, error))
        return false;
    close(fd);
    return true;
}

static bool
pmem_iommu(gconstpointer entry)
{
    return ((const PmemConfig *)entry)->iommu;
}

static const VmConfigKind pmem_kind = {
    .json_key = "pmem",
    .cli_option = "--pmem",
    .fields = &pmem_schema,
    .id_prefix = "_pmem",
    .pci = true,
    .iommu = pmem_iommu,
    .validate = pmem_validate,
    .check_host = pmem_check_host,
};

/* ---- The device ---------------------------------------------------------- */

typedef struct {
    VirtioDevice vdev;
    /* Immutable after virtio_pmem_new(). */
    int fd;
    char *file;
    bool discard_writes;
    void *hva;                    /* the file's mapping, @map_size bytes */
    uint64_t map_size;
    /* The guest-physical region and its slot: control thread (creation,
     * restore, free); the config space reads them atomically. */
    guint64 gpa;
    guint64 size;
    uint32_t slot;
    bool mapped;
    VirtioWorker *worker;         /* control/vCPU thread */
    VirtQueueElem *elem;          /* worker thread */
    guint64 flushes;              /* atomic counters */
    guint64 flush_errors;
} VirtioPmem;

static VirtioPmem *
pmem_from_vdev(VirtioDevice *vdev)
{
    return (VirtioPmem *)vdev;
}

/* Makes what the guest wrote durable.  Nothing to do for a private
 * mapping: its pages are the VMM's, the file never sees them. */
static int
pmem_flush(VirtioPmem *p)
{
    __atomic_add_fetch(&p->flushes, 1, __ATOMIC_RELAXED);
    if (p->discard_writes)
        return 0;
    if (fdatasync(p->fd) < 0) {
        int err = errno;

        __atomic_add_fetch(&p->flush_errors, 1, __ATOMIC_RELAXED);
        g_debug("%s: fdatasync '%s': %s", p->vdev.id, p->file,
                g_strerror(err));
        return -err;
    }
    return 0;
}

int
virtio_pmem_handle(VirtioDevice *vdev, VirtQueueElem *e)
{
    VirtioPmem *p = pmem_from_vdev(vdev);
    uint32_t type_le, resp;

    /* §5.19.6: a device-readable request, then a device-writable le32
     * status.  Without room for the status the driver cannot be told. */
    if (e->in_len < sizeof(resp))
        return -EINVAL;
    if (e->out_len < sizeof(type_le)) {
        resp = VIRTIO_PMEM_RESP_EIO;
    } else {
        iov_to_buf(VIRTQUEUE_ELEM_OUT(e), e->out_num, 0, &type_le,
                   sizeof(type_le));
        /* Flush is the only request type the spec defines. */
        if (GUINT32_FROM_LE(type_le) != VIRTIO_PMEM_REQ_TYPE_FLUSH)
            resp = VIRTIO_PMEM_RESP_EIO;
        else
            resp = pmem_flush(p) == 0 ? VIRTIO_PMEM_RESP_OK :
                                        VIRTIO_PMEM_RESP_EIO;
    }
    resp = GUINT32_TO_LE(resp);
    iov_from_buf(VIRTQUEUE_ELEM_IN(e), e->in_num, 0, &resp, sizeof(resp));
    return sizeof(resp);
}

static void
pmem_on_kick(gpointer opaque, int fd, short revents)
{
    VirtioPmem *p = opaque;
    VirtioDevice *vdev = &p->vdev;
    VirtQueue *vq = &vdev->vqs[0];
    int r, n;

    virtio_eventfd_drain(fd);
    if (virtio_device_is_broken(vdev))
        return;
    while ((r = virtqueue_pop(vq, p->elem)) == 0) {
        n = virtio_pmem_handle(vdev, p->elem);
        if (n < 0) {
            virtio_device_set_broken(vdev, "queue 0: request without room "
                                     "for its status");
            return;
        }
        virtqueue_push(vq, p->elem, (uint32_t)n);
    }
    if (r != -ENOENT) {
        virtio_device_set_broken(vdev, "queue 0: %s", vq->error);
        return;
    }
    virtio_notify(vdev, vq);
}

static bool
pmem_activate(VirtioDevice *vdev, GError **error)
{
    VirtioPmem *p = pmem_from_vdev(vdev);

    p->worker = virtio_worker_new(THREAD_ROLE_VIRTIO_PMEM, vdev->id);
    virtio_worker_add_fd(p->worker, vdev->kick_fds[0], POLLIN, pmem_on_kick,
                         p);
    virtio_eventfd_signal(vdev->kick_fds[0]);
    return virtio_worker_start(p->worker, error);
}

static void
pmem_reset(VirtioDevice *vdev)
{
    g_clear_pointer(&pmem_from_vdev(vdev)->worker, virtio_worker_free);
}

static bool
pmem_pause(VirtioDevice *vdev, GError **error)
{
    virtio_worker_stop(pmem_from_vdev(vdev)->worker);
    return true;
}

static bool
pmem_resume(VirtioDevice *vdev, GError **error)
{
    return virtio_worker_start(pmem_from_vdev(vdev)->worker, error);
}

/* struct virtio_pmem_config: le64 start, le64 size; read-only. */
static void
pmem_read_config(VirtioDevice *vdev, uint32_t off, void *data, unsigned len)
{
    VirtioPmem *p = pmem_from_vdev(vdev);
    uint64_t config[2] = {
        GUINT64_TO_LE(__atomic_load_n(&p->gpa, __ATOMIC_RELAXED)),
        GUINT64_TO_LE(__atomic_load_n(&p->size, __ATOMIC_RELAXED)),
    };

    virtio_config_read(config, sizeof(config), off, data, len);
}

/* Hands [@gpa, @gpa + @size) of the mapping to the guest. */
static bool
pmem_map(VirtioPmem *p, uint64_t gpa, uint64_t size, GError **error)
{
    if (!device_host_map_memory(p->vdev.host, gpa, size, p->hva, &p->slot,
                                error))
        return false;
    p->mapped = true;
    __atomic_store_n(&p->gpa, gpa, __ATOMIC_RELAXED);
    __atomic_store_n(&p->size, size, __ATOMIC_RELAXED);
    return true;
}

static void
pmem_unmap(VirtioPmem *p)
{
    if (p->mapped)
        device_host_unmap_memory(p->vdev.host, p->slot);
    p->mapped = false;
}

/*
 * Snapshot state: where the guest was told the region is.  The region's
 * contents are not in the snapshot: on restore the device maps the file
 * again (as CH does), so a shared mapping shows what the guest wrote,
 * and a discard_writes=on one shows the file as it is, without the
 * writes the guest made before the snapshot.  A restored VM creates its
 * devices in config order, which can place a hot-added region elsewhere;
 * it is then moved to the saved address, the one the guest uses.
 */
typedef struct {
    uint64_t start;
    uint64_t size;
    uint64_t max_size;            /* the mapping's size: not saved */
} VirtioPmemState;

static const VmmStateField pmem_state_fields[] = {
    VMM_STATE_UINT_FIELD(VirtioPmemState, start, 0, G_MAXINT64),
    { .name = "size", .type = VMM_STATE_UINT,
      .offset = offsetof(VirtioPmemState, size),
      .size = VMM_STATE_MEMBER_SIZE(VirtioPmemState, size),
      .min = VIRTIO_PMEM_ALIGN, .max = G_MAXINT64,
      .flags = VMM_STATE_F_DYN_MAX,
      .max_off = offsetof(VirtioPmemState, max_size) },
};

static const VmmStateDesc pmem_state_desc = {
    .name = "virtio-pmem",
    .version = 1,
    .size = sizeof(VirtioPmemState),
    .fields = pmem_state_fields,
    .n_fields = G_N_ELEMENTS(pmem_state_fields),
};

static void
pmem_state_get(VirtioDevice *vdev, void *opaque)
{
    VirtioPmem *p = pmem_from_vdev(vdev);
    VirtioPmemState *st = opaque;

    st->start = p->gpa;
    st->size = p->size;
    st->max_size = p->map_size;
}

static void
pmem_state_set(VirtioDevice *vdev, const void *opaque)
{
    VirtioPmem *p = pmem_from_vdev(vdev);
    const VirtioPmemState *st = opaque;
    g_autoptr(GError) error = NULL;
    uint64_t size = st->size - st->size % VIRTIO_PMEM_ALIGN;

    if (st->start == p->gpa && size == p->size)
        return;
    pmem_unmap(p);
    if (st->start % VIRTIO_PMEM_ALIGN || !pmem_map(p, st->start, size,
                                                    &error)) {
        /* The guest would find no memory where it expects its disk. */
        virtio_device_set_broken(vdev, "cannot map the region at 0x%"
                                 G_GINT64_MODIFIER "x: %s", st->start,
                                 error ? error->message : "misaligned");
    }
}

static JsonNode *
pmem_counters(VirtioDevice *vdev)
{
    VirtioPmem *p = pmem_from_vdev(vdev);
    g_autoptr(JsonBuilder) jb = json_builder_new();

    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "flushes");
    json_builder_add_int_value(jb, (gint64)__atomic_load_n(&p->flushes,
                                                           __ATOMIC_RELAXED));
    json_builder_set_member_name(jb, "flush_errors");
    json_builder_add_int_value(jb, (gint64)__atomic_load_n(
        &p->flush_errors, __ATOMIC_RELAXED));
    json_builder_end_object(jb);
    return json_builder_get_root(jb);
}

static void
pmem_free(VirtioDevice *vdev)
{
    VirtioPmem *p = pmem_from_vdev(vdev);

    pmem_reset(vdev);
    /* The guest loses the region before the VMM drops the mapping. */
    pmem_unmap(p);
    if (p->hva)
        munmap(p->hva, p->map_size);
    fd_close(p->fd);
    virtqueue_elem_free(p->elem);
    g_free(p->file);
    virtio_device_cleanup(vdev);
    g_free(p);
}

static const VirtioDeviceOps pmem_ops = {
    .name = "pmem",
    .device_type = VIRTIO_ID_PMEM,
    .config_size = 16,
    .read_config = pmem_read_config,
    .activate = pmem_activate,
    .reset = pmem_reset,
    .pause = pmem_pause,
    .resume = pmem_resume,
    .state_desc = &pmem_state_desc,
    .state_get = pmem_state_get,
    .state_set = pmem_state_set,
    .counters = pmem_counters,
    .free = pmem_free,
};

uint64_t
virtio_pmem_gpa(VirtioDevice *vdev)
{
    return __atomic_load_n(&pmem_from_vdev(vdev)->gpa, __ATOMIC_RELAXED);
}

uint64_t
virtio_pmem_size(VirtioDevice *vdev)
{
    return __atomic_load_n(&pmem_from_vdev(vdev)->size, __ATOMIC_RELAXED);
}

/* The file's mapping in the VMM: shared, or private (copy on write) for
 * discard_writes=on so that the guest's writes never reach the file. */
static bool
pmem_mmap(VirtioPmem *p, GError **error)
{
    void *hva = mmap(NULL, p->map_size, PROT_READ | PROT_WRITE,
                     MAP_NORESERVE | (p->discard_writes ? MAP_PRIVATE :
                                      MAP_SHARED), p->fd, 0);

    if (hva == MAP_FAILED) {
        int err = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "%s: cannot map file '%s': %s", p->vdev.id, p->file,
                    g_strerror(err));
        return false;
    }
    p->hva = hva;
    /* Guest memory has no place in a VMM core dump; nor has a disk. */
    madvise(p->hva, p->map_size, MADV_DONTDUMP);
    return true;
}

VirtioDevice *
virtio_pmem_new(DeviceHost *host, gconstpointer entry, GError **error)
{
    const PmemConfig *cfg = entry;
    VirtioPmem *p = g_new0(VirtioPmem, 1);
    uint64_t gpa;

    p->fd = -1;
    p->file = g_strdup(cfg->file);
    p->discard_writes = cfg->discard_writes;
    p->elem = virtqueue_elem_new(PMEM_QUEUE_SIZE);
    if (!virtio_device_init(&p->vdev, &pmem_ops, host, cfg->id,
                            VIRTIO_COMMON_FEATURES, 1, PMEM_QUEUE_SIZE,
                            error) ||
        !pmem_open(cfg, cfg->id, &p->fd, &p->map_size, error) ||
        !pmem_mmap(p, error) ||
        !device_host_alloc_mmio64(host, p->map_size, VIRTIO_PMEM_ALIGN, &gpa,
                                  error) ||
        !pmem_map(p, gpa, p->map_size, error)) {
        pmem_free(&p->vdev);
        return NULL;
    }
    return &p->vdev;
}

/* ---- Registry descriptor ------------------------------------------------- */

static VmmDevice *
pmem_create(DeviceCreateCtx *ctx, gpointer entry, GError **error)
{
    const PmemConfig *cfg = entry;

    if (!device_create_pci_bus(ctx, error))
        return NULL;
    return device_create_virtio_pci(ctx, virtio_pmem_new(ctx->host, cfg, error),
                                    cfg->pci_device_id, error);
}

const DeviceType virtio_pmem_type = {
    .name = "pmem",
    .cli_option = "--pmem",
    .json_key = "pmem",
    .cli_multi = true,
    .cli_help = "Persistent memory parameters \"file=<backing_file_path>,"
                "size=<persistent_memory_size>,iommu=on|off,"
                "discard_writes=on|off,id=<device_id>,"
                "pci_segment=<segment_id>\"",
    /* A directory gets a temporary file: nothing to create or clean. */
    .example = "file=/tmp,size=2M",
    .hotplug = true,
    .kind = &pmem_kind,
    .create = pmem_create,
    .behind_iommu = pmem_iommu,
};

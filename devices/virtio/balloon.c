/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-balloon (virtio 1.2 §5.5): memory the guest gives back, statistics, free page reports. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/virtio_balloon.h>

#include "common/fd-util.h"
#include "config/vm-config-kind.h"
#include "config/vm-config-numa.h"
#include "config/vm-config-schema.h"
#include "devices/registry.h"
#include "devices/virtio/balloon.h"
#include "devices/virtio/iov.h"
#include "devices/virtio/virtio-pci.h"
#include "devices/virtio/worker.h"

/*
 * The whole device type in one file, as docs/adding-a-device.md describes:
 * its config (CH's BalloonConfig, a field table registered as a config
 * kind), its rules, the device, and its registry descriptor.
 *
 * The host sets a target (num_pages, from --balloon size= and
 * vm.resize desired_balloon); the driver inflates towards it, posting the
 * page frame numbers it gives up on inflateq, and deflates on deflateq.
 * Inflated pages are dropped from the host (MADV_DONTNEED, or a punched
 * hole in a shared memfd) and read back as zeroes; they are marked dirty
 * so that a migration sends the zeroes.  The driver keeps one statistics
 * buffer queued (statsq): the device holds it and gives it back when it
 * wants fresh numbers.  Free page reporting (reporting_vq) hands over
 * ranges of free pages the same way inflation does, returned at once.
 */

#define BALLOON_QUEUE_SIZE 128
/* §5.5.6: pages are 4 KiB whatever the guest's page size. */
#define BALLOON_PAGE_SHIFT VIRTIO_BALLOON_PFN_SHIFT
#define BALLOON_PAGE_SIZE (1u << BALLOON_PAGE_SHIFT)
#define BALLOON_STAT_TAGS 16                  /* tags Linux defines, and room */

/* Queue roles (balloon.h), whose indices depend on the negotiated
 * features. */
#define Q_INFLATE VIRTIO_BALLOON_Q_INFLATE
#define Q_DEFLATE VIRTIO_BALLOON_Q_DEFLATE
#define Q_STATS VIRTIO_BALLOON_Q_STATS
#define Q_REPORT VIRTIO_BALLOON_Q_REPORT
#define Q_ROLES (Q_REPORT + 1)

/* ---- Config: CH's BalloonConfig ------------------------------------------ */

typedef struct {
    uint64_t size;                /* bytes the guest is asked to give back */
    bool deflate_on_oom;
    bool free_page_reporting;
    char *id;                     /* "__balloon" */
    int pci_device_id;            /* -1: allocate */
} BalloonConfig;

static void balloon_config_free(gpointer p);

static const VField balloon_fields[] = {
    V_STR("id", BalloonConfig, id),
    U_INT("pci_segment", 0, .cli_dflt = "0"),
    V_INT_OPT("pci_device_id", BalloonConfig, pci_device_id, 1, 31),
    U_BOOL("iommu", false,
           .refused = "a virtio-balloon cannot be put behind the IOMMU: it "
                      "discards the pages the driver names by guest-physical "
                      "frame number, outside the translated queues"),
    V_UINT("size", BalloonConfig, size, 0, G_MAXINT64, 0,
           .flags = VF_JSON_REQUIRED | VF_CLI_SIZE),
    V_BOOL("deflate_on_oom", BalloonConfig, deflate_on_oom, false),
    V_BOOL("free_page_reporting", BalloonConfig, free_page_reporting, false),
    V_END
};

static const VStruct balloon_schema = {
    "BalloonConfig", sizeof(BalloonConfig), balloon_fields,
    balloon_config_free, NULL
};

static void
balloon_config_free(gpointer p)
{
    if (p)
        vschema_clear(&balloon_schema, p);
    g_free(p);
}

/* CH refuses a balloon as large as the RAM (ValidationError::
 * BalloonLargerThanRam): the guest could not keep running. */
static bool
balloon_validate(const VmConfig *config, gconstpointer entry,
                 const VmConfigKindCtx *ctx, GError **error)
{
    const BalloonConfig *b = entry;
    uint64_t ram = vm_config_ram_size(&config->memory);   /* zones too */

    if (b->size >= ram) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: size=%" G_GUINT64_FORMAT " must be smaller than "
                    "the guest RAM (%" G_GUINT64_FORMAT " bytes)", ctx->where,
                    b->size, ram);
        return false;
    }
    return true;
}

static const VmConfigKind balloon_kind = {
    .json_key = "balloon",
    .cli_option = "--balloon",
    .fields = &balloon_schema,
    .default_id = "__balloon",
    .pci = true,
    .validate = balloon_validate,
};

uint64_t
virtio_balloon_config_size(gconstpointer entry)
{
    return ((const BalloonConfig *)entry)->size;
}

void
virtio_balloon_config_set_size(gpointer entry, uint64_t size)
{
    ((BalloonConfig *)entry)->size = size;
}

/* ---- The device ---------------------------------------------------------- */

typedef struct {
    VirtioDevice vdev;
    /* Immutable. */
    bool deflate_on_oom;
    bool reporting;
    int refresh_fd;               /* eventfd: give the stats buffer back */
    /* Set at activation (features known), read by the worker. */
    int queue[Q_ROLES];           /* vq index of each role, -1: none */
    VirtioWorker *worker;         /* control/vCPU thread */
    VirtQueueElem *elem;          /* worker thread */
    /* The stats buffer the driver left with us (worker thread; the
     * control thread while stopped: snapshots). */
    VirtQueueElem *stats_elem;
    bool stats_held;
    /* Config space: the target (host) and what the driver reports. */
    guint32 num_pages;            /* atomic */
    guint32 actual;               /* atomic */
    GMutex lock;                  /* guards @stats */
    uint64_t stats[BALLOON_STAT_TAGS];
    guint32 stats_valid;          /* bit per tag */
    guint64 inflated_pages;       /* atomic counters */
    guint64 deflated_pages;
    guint64 reported_bytes;
} VirtioBalloon;

static VirtioBalloon *
balloon_from_vdev(VirtioDevice *vdev)
{
    return (VirtioBalloon *)vdev;
}

/* Drops [gpa, gpa + len) from the host; the guest reads zeroes there
 * next.  Advisory: a range outside RAM or a failure leaves it mapped. */
static void
balloon_discard(VirtioBalloon *b, uint64_t gpa, uint64_t len)
{
    const GuestMemory *mem = device_host_memory(b->vdev.host);

    for (unsigned i = 0; mem && i < mem->nregions; i++) {
        const GuestRegion *r = &mem->regions[i];

        if (gpa < r->gpa || gpa - r->gpa >= r->size ||
            len > r->size - (gpa - r->gpa))
            continue;
        if (r->fd >= 0 && r->shared) {
            /* MADV_DONTNEED on a shared mapping keeps the memfd's pages. */
            if (fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                          (off_t)(r->fd_offset + gpa - r->gpa), (off_t)len))
                g_debug("%s: punching a hole: %s", b->vdev.id,
                        g_strerror(errno));
        } else if (madvise(r->hva + (gpa - r->gpa), len, MADV_DONTNEED)) {
            /* hugetlbfs: 4 KiB cannot be dropped out of a huge page. */
            g_debug("%s: madvise: %s", b->vdev.id, g_strerror(errno));
        }
        device_host_mark_dirty(b->vdev.host, gpa, len);
        return;
    }
}

/* inflateq/deflateq: arrays of le32 page frame numbers, coalesced into
 * runs so that one syscall drops many pages. */
static void
balloon_pfns(VirtioBalloon *b, VirtQueueElem *e, bool inflate)
{
    size_t len = e->out_len - e->out_len % 4;
    uint64_t run_start = 0, run_pages = 0, n = 0;

    for (size_t off = 0; off < len; off += 4) {
        uint32_t pfn_le;
        uint64_t pfn;

        iov_to_buf(VIRTQUEUE_ELEM_OUT(e), e->out_num, off, &pfn_le, 4);
        pfn = GUINT32_FROM_LE(pfn_le);
        n++;
        if (!inflate)
            continue;
        if (run_pages && pfn == run_start + run_pages) {
            run_pages++;
            continue;
        }
        if (run_pages)
            balloon_discard(b, run_start << BALLOON_PAGE_SHIFT,
                            run_pages << BALLOON_PAGE_SHIFT);
        run_start = pfn;
        run_pages = 1;
    }
    if (run_pages)
        balloon_discard(b, run_start << BALLOON_PAGE_SHIFT,
                        run_pages << BALLOON_PAGE_SHIFT);
    __atomic_add_fetch(inflate ? &b->inflated_pages : &b->deflated_pages, n,
                       __ATOMIC_RELAXED);
}

/* reporting_vq: each buffer is a run of free pages (Linux posts them
 * device-writable; the device writes nothing into them). */
static void
balloon_report(VirtioBalloon *b, VirtQueueElem *e)
{
    for (unsigned i = 0; i < e->out_num + e->in_num; i++) {
        uint64_t gpa = e->gpa[i], len = e->iov[i].iov_len;

        /* Whole pages only; the driver reports page-aligned runs. */
        if (gpa % BALLOON_PAGE_SIZE || len % BALLOON_PAGE_SIZE)
            continue;
        balloon_discard(b, gpa, len);
        __atomic_add_fetch(&b->reported_bytes, len, __ATOMIC_RELAXED);
    }
}

/* statsq: {le16 tag; le64 val} records (§5.5.6.3), packed. */
static void
balloon_read_stats(VirtioBalloon *b, VirtQueueElem *e)
{
    g_mutex_lock(&b->lock);
    for (size_t off = 0; off + 10 <= e->out_len; off += 10) {
        uint8_t rec[10];
        uint16_t tag;
        uint64_t val;

        iov_to_buf(VIRTQUEUE_ELEM_OUT(e), e->out_num, off, rec, sizeof(rec));
        memcpy(&tag, rec, 2);
        memcpy(&val, rec + 2, 8);
        tag = GUINT16_FROM_LE(tag);
        if (tag >= BALLOON_STAT_TAGS)
            continue;
        b->stats[tag] = GUINT64_FROM_LE(val);
        b->stats_valid |= 1u << tag;
    }
    g_mutex_unlock(&b->lock);
}

int
virtio_balloon_handle(VirtioDevice *vdev, VirtioBalloonQueue role,
                      VirtQueueElem *e)
{
    VirtioBalloon *b = balloon_from_vdev(vdev);

    /* Only reporting_vq carries device-writable buffers (balloon_report). */
    if (role != Q_REPORT && e->in_num > 0)
        return -EINVAL;
    switch (role) {
    case VIRTIO_BALLOON_Q_STATS:
        balloon_read_stats(b, e);
        return 1;
    case VIRTIO_BALLOON_Q_REPORT:
        balloon_report(b, e);
        return 0;
    case VIRTIO_BALLOON_Q_INFLATE:
    case VIRTIO_BALLOON_Q_DEFLATE:
    default:
        balloon_pfns(b, e, role == Q_INFLATE);
        return 0;
    }
}

/* Worker: one queue's kick. */
static void
balloon_serve(VirtioBalloon *b, int role)
{
    VirtioDevice *vdev = &b->vdev;
    VirtQueue *vq = &vdev->vqs[b->queue[role]];
    int r;

    for (;;) {
        VirtQueueElem *e = role == Q_STATS ? b->stats_elem : b->elem;

        if (role == Q_STATS && b->stats_held) {
            r = -ENOENT;    /* one buffer in flight: a second waits */
            break;
        }
        if ((r = virtqueue_pop(vq, e)) != 0)
            break;
        switch (virtio_balloon_handle(vdev, role, e)) {
        case 0:
            virtqueue_push(vq, e, 0);
            break;
        case 1:
            b->stats_held = true;   /* given back on the next refresh */
            break;
        default:
            virtio_device_set_broken(vdev, "queue %u: device-writable "
                                     "buffer in a driver-to-device queue",
                                     vq->index);
            return;
        }
    }
    if (r != -ENOENT) {
        virtio_device_set_broken(vdev, "queue %u: %s", vq->index, vq->error);
        return;
    }
    virtio_notify(vdev, vq);
}

static void
balloon_on_kick(gpointer opaque, int fd, short revents)
{
    VirtioBalloon *b = opaque;

    virtio_eventfd_drain(fd);
    if (virtio_device_is_broken(&b->vdev))
        return;
    for (int role = 0; role < Q_ROLES; role++) {
        if (b->queue[role] >= 0 && b->vdev.kick_fds[b->queue[role]] == fd)
            balloon_serve(b, role);
    }
}

/* The control thread asked for fresh statistics: hand the buffer back,
 * the driver refills and requeues it (§5.5.6.3.1). */
static void
balloon_on_refresh(gpointer opaque, int fd, short revents)
{
    VirtioBalloon *b = opaque;
    VirtQueue *vq;

    virtio_eventfd_drain(fd);
    if (!b->stats_held || b->queue[Q_STATS] < 0 ||
        virtio_device_is_broken(&b->vdev))
        return;
    vq = &b->vdev.vqs[b->queue[Q_STATS]];
    b->stats_held = false;
    virtqueue_push(vq, b->stats_elem, 0);
    virtio_notify(&b->vdev, vq);
}

static bool
balloon_activate(VirtioDevice *vdev, GError **error)
{
    VirtioBalloon *b = balloon_from_vdev(vdev);
    int next = 2;

    /* inflateq and deflateq, then each optional queue that exists. */
    b->queue[Q_INFLATE] = 0;
    b->queue[Q_DEFLATE] = 1;
    b->queue[Q_STATS] = virtio_has_feature(vdev, VIRTIO_BALLOON_F_STATS_VQ) ?
                        next++ : -1;
    b->queue[Q_REPORT] = virtio_has_feature(vdev, VIRTIO_BALLOON_F_REPORTING) ?
                         next++ : -1;
    b->worker = virtio_worker_new(THREAD_ROLE_VIRTIO_BALLOON, vdev->id);
    for (int role = 0; role < Q_ROLES; role++) {
        if (b->queue[role] < 0 || (unsigned)b->queue[role] >= vdev->nvqs)
            continue;
        virtio_worker_add_fd(b->worker, vdev->kick_fds[b->queue[role]],
                             POLLIN, balloon_on_kick, b);
        virtio_eventfd_signal(vdev->kick_fds[b->queue[role]]);
    }
    virtio_worker_add_fd(b->worker, b->refresh_fd, POLLIN, balloon_on_refresh,
                         b);
    return virtio_worker_start(b->worker, error);
}

static void
balloon_reset(VirtioDevice *vdev)
{
    VirtioBalloon *b = balloon_from_vdev(vdev);

    g_clear_pointer(&b->worker, virtio_worker_free);
    /* The driver starts over; its buffers are gone with the queues. */
    b->stats_held = false;
    g_atomic_int_set(&b->actual, 0);
}

static bool
balloon_pause(VirtioDevice *vdev, GError **error)
{
    virtio_worker_stop(balloon_from_vdev(vdev)->worker);
    return true;
}

static bool
balloon_resume(VirtioDevice *vdev, GError **error)
{
    return virtio_worker_start(balloon_from_vdev(vdev)->worker, error);
}

static void
balloon_read_config(VirtioDevice *vdev, uint32_t off, void *data,
                    unsigned len)
{
    VirtioBalloon *b = balloon_from_vdev(vdev);
    uint32_t config[2] = {
        GUINT32_TO_LE((guint32)g_atomic_int_get(&b->num_pages)),
        GUINT32_TO_LE((guint32)g_atomic_int_get(&b->actual)),
    };

    virtio_config_read(config, sizeof(config), off, data, len);
}

/* Only "actual" (offset 4) is the driver's to write (§5.5.4). */
static void
balloon_write_config(VirtioDevice *vdev, uint32_t off, const void *data,
                     unsigned len)
{
    VirtioBalloon *b = balloon_from_vdev(vdev);
    uint32_t v;

    if (off != 4 || len != 4)
        return;
    memcpy(&v, data, 4);
    g_atomic_int_set(&b->actual, GUINT32_FROM_LE(v));
}

/* Snapshot state: the target, what the driver reported, and the stats
 * buffer the device holds (its head, -1: none), which the driver will
 * not post again. */
typedef struct {
    uint32_t num_pages;
    uint32_t actual;
    int32_t stats_head;
} VirtioBalloonState;

static const VmmStateField balloon_state_fields[] = {
    VMM_STATE_UINT_FIELD(VirtioBalloonState, num_pages, 0, G_MAXUINT32),
    VMM_STATE_UINT_FIELD(VirtioBalloonState, actual, 0, G_MAXUINT32),
    VMM_STATE_INT_FIELD(VirtioBalloonState, stats_head, -1,
                        BALLOON_QUEUE_SIZE - 1),
};

static const VmmStateDesc balloon_state_desc = {
    .name = "virtio-balloon",
    .version = 1,
    .size = sizeof(VirtioBalloonState),
    .fields = balloon_state_fields,
    .n_fields = G_N_ELEMENTS(balloon_state_fields),
};

static void
balloon_state_get(VirtioDevice *vdev, void *opaque)
{
    VirtioBalloon *b = balloon_from_vdev(vdev);
    VirtioBalloonState *st = opaque;

    st->num_pages = (uint32_t)g_atomic_int_get(&b->num_pages);
    st->actual = (uint32_t)g_atomic_int_get(&b->actual);
    st->stats_head = b->stats_held ? b->stats_elem->head : -1;
}

static void
balloon_state_set(VirtioDevice *vdev, const void *opaque)
{
    VirtioBalloon *b = balloon_from_vdev(vdev);
    const VirtioBalloonState *st = opaque;

    g_atomic_int_set(&b->num_pages, st->num_pages);
    g_atomic_int_set(&b->actual, st->actual);
    /* Giving it back needs its head only: nothing was written into it. */
    b->stats_held = st->stats_head >= 0;
    b->stats_elem->head = (uint16_t)MAX(st->stats_head, 0);
    b->stats_elem->out_num = b->stats_elem->in_num = 0;
    b->stats_elem->out_len = b->stats_elem->in_len = 0;
}

/* Linux's tags (VIRTIO_BALLOON_S_*), as vm.counters names them. */
static const char *const stat_names[BALLOON_STAT_TAGS] = {
    "swap_in", "swap_out", "major_faults", "minor_faults", "free_memory",
    "total_memory", "available_memory", "disk_caches", "hugetlb_allocations",
    "hugetlb_failures", "oom_kills", "alloc_stalls", "async_scans",
    "direct_scans", "async_reclaims", "direct_reclaims",
};

static JsonNode *
balloon_counters(VirtioDevice *vdev)
{
    VirtioBalloon *b = balloon_from_vdev(vdev);
    g_autoptr(JsonBuilder) jb = json_builder_new();

    /* What the driver last reported; and ask it for fresh numbers. */
    virtio_eventfd_signal(b->refresh_fd);
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "target_bytes");
    json_builder_add_int_value(jb, (gint64)((uint64_t)g_atomic_int_get(
        &b->num_pages) << BALLOON_PAGE_SHIFT));
    json_builder_set_member_name(jb, "actual_bytes");
    json_builder_add_int_value(jb, (gint64)((uint64_t)g_atomic_int_get(
        &b->actual) << BALLOON_PAGE_SHIFT));
    json_builder_set_member_name(jb, "inflated_pages");
    json_builder_add_int_value(jb, (gint64)__atomic_load_n(
        &b->inflated_pages, __ATOMIC_RELAXED));
    json_builder_set_member_name(jb, "deflated_pages");
    json_builder_add_int_value(jb, (gint64)__atomic_load_n(
        &b->deflated_pages, __ATOMIC_RELAXED));
    json_builder_set_member_name(jb, "reported_bytes");
    json_builder_add_int_value(jb, (gint64)__atomic_load_n(
        &b->reported_bytes, __ATOMIC_RELAXED));
    g_mutex_lock(&b->lock);
    for (unsigned t = 0; t < BALLOON_STAT_TAGS; t++) {
        if (!(b->stats_valid & (1u << t)))
            continue;
        json_builder_set_member_name(jb, stat_names[t]);
        json_builder_add_int_value(jb, (gint64)b->stats[t]);
    }
    g_mutex_unlock(&b->lock);
    json_builder_end_object(jb);
    return json_builder_get_root(jb);
}

static void
balloon_free(VirtioDevice *vdev)
{
    VirtioBalloon *b = balloon_from_vdev(vdev);

    balloon_reset(vdev);
    virtqueue_elem_free(b->elem);
    virtqueue_elem_free(b->stats_elem);
    fd_close(b->refresh_fd);
    g_mutex_clear(&b->lock);
    virtio_device_cleanup(vdev);
    g_free(b);
}

static const VirtioDeviceOps balloon_ops = {
    .name = "balloon",
    .device_type = VIRTIO_ID_BALLOON,
    .config_size = 8,
    .read_config = balloon_read_config,
    .write_config = balloon_write_config,
    .activate = balloon_activate,
    .reset = balloon_reset,
    .pause = balloon_pause,
    .resume = balloon_resume,
    .state_desc = &balloon_state_desc,
    .state_get = balloon_state_get,
    .state_set = balloon_state_set,
    .counters = balloon_counters,
    .free = balloon_free,
};

bool
virtio_balloon_is(VirtioDevice *vdev)
{
    return vdev->ops == &balloon_ops;
}

void
virtio_balloon_set_target(VirtioDevice *vdev, uint64_t bytes)
{
    VirtioBalloon *b = balloon_from_vdev(vdev);

    g_atomic_int_set(&b->num_pages, (guint32)(bytes >> BALLOON_PAGE_SHIFT));
    virtio_notify_config(vdev);
}

uint64_t
virtio_balloon_actual(VirtioDevice *vdev)
{
    return (uint64_t)(guint32)g_atomic_int_get(
        &balloon_from_vdev(vdev)->actual) << BALLOON_PAGE_SHIFT;
}

VirtioDevice *
virtio_balloon_new(DeviceHost *host, gconstpointer entry, GError **error)
{
    const BalloonConfig *cfg = entry;
    VirtioBalloon *b = g_new0(VirtioBalloon, 1);
    uint64_t features = VIRTIO_COMMON_FEATURES |
                        (1ULL << VIRTIO_BALLOON_F_STATS_VQ);
    unsigned nvqs = 3;

    if (cfg->deflate_on_oom)
        features |= 1ULL << VIRTIO_BALLOON_F_DEFLATE_ON_OOM;
    if (cfg->free_page_reporting) {
        features |= 1ULL << VIRTIO_BALLOON_F_REPORTING;
        nvqs++;
    }
    g_mutex_init(&b->lock);
    b->num_pages = (guint32)(cfg->size >> BALLOON_PAGE_SHIFT);
    b->elem = virtqueue_elem_new(BALLOON_QUEUE_SIZE);
    b->stats_elem = virtqueue_elem_new(BALLOON_QUEUE_SIZE);
    for (int role = 0; role < Q_ROLES; role++)
        b->queue[role] = -1;
    b->refresh_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (b->refresh_fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "%s: eventfd: %s", cfg->id, g_strerror(errno));
        b->refresh_fd = -1;
    }
    if (b->refresh_fd < 0 ||
        !virtio_device_init(&b->vdev, &balloon_ops, host, cfg->id, features,
                            nvqs, BALLOON_QUEUE_SIZE, error)) {
        balloon_free(&b->vdev);
        return NULL;
    }
    return &b->vdev;
}

/* ---- Registry descriptor ------------------------------------------------- */

static VmmDevice *
balloon_create(DeviceCreateCtx *ctx, gpointer entry, GError **error)
{
    const BalloonConfig *cfg = entry;

    if (!device_create_pci_bus(ctx, error))
        return NULL;
    return device_create_virtio_pci(ctx, virtio_balloon_new(ctx->host, cfg, error),
                                    cfg->pci_device_id, error);
}

const DeviceType virtio_balloon_type = {
    .name = "balloon",
    .cli_option = "--balloon",
    .json_key = "balloon",
    .cli_help = "Memory balloon: size=<balloon_size>,deflate_on_oom=on|off,"
                "free_page_reporting=on|off "
                "[default: size=0,deflate_on_oom=off,"
                "free_page_reporting=off]",
    .example = "size=64M,deflate_on_oom=on,free_page_reporting=on",
    .kind = &balloon_kind,
    .create = balloon_create,
};

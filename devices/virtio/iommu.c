/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-iommu (virtio 1.2 §5.13): domains, endpoints, IOVA mappings and their translation. */
#include <config.h>

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <gio/gio.h>
#include <linux/virtio_iommu.h>

#include "devices/virtio/iommu.h"
#include "devices/virtio/iov.h"
#include "devices/virtio/worker.h"

#define IOMMU_QUEUE_SIZE 256
#define IOMMU_REQUESTQ 0
#define IOMMU_EVENTQ 1
/* 4 KiB pages and every larger power of two. */
#define IOMMU_PAGE_SIZE_MASK (~0xfffULL)
#define IOMMU_PAGE_MASK 0xfffULL
#define IOMMU_DOMAIN_START 0u
#define IOMMU_DOMAIN_END 0xffffu
/* Room for the properties of one PROBE (the driver sizes its buffer by
 * it); ours is one reserved-memory property and the NONE terminator. */
#define IOMMU_PROBE_SIZE 512u

/* CH's set: no legacy F_BYPASS (BYPASS_CONFIG replaces it), no F_MMIO
 * (no MMIO mapping: MAP with that flag is refused). */
#define IOMMU_FEATURES                                                         \
    (VIRTIO_COMMON_FEATURES | (1ULL << VIRTIO_IOMMU_F_INPUT_RANGE) |          \
     (1ULL << VIRTIO_IOMMU_F_DOMAIN_RANGE) |                                   \
     (1ULL << VIRTIO_IOMMU_F_MAP_UNMAP) |                                      \
     (1ULL << VIRTIO_IOMMU_F_BYPASS_CONFIG) | (1ULL << VIRTIO_IOMMU_F_PROBE))

/* Offset of the one writable config byte (struct virtio_iommu_config). */
#define IOMMU_CONFIG_BYPASS offsetof(struct virtio_iommu_config, bypass)

/* One IOVA range [virt_start, virt_end] -> [phys_start, ...]. */
typedef struct {
    uint64_t virt_start;      /* the tree key */
    uint64_t virt_end;
    uint64_t phys_start;
    uint32_t flags;           /* VIRTIO_IOMMU_MAP_F_READ/WRITE */
} IommuMapping;

/* A domain exists while endpoints are attached to it (as in QEMU): the
 * last DETACH frees it with its mappings, so there are never more domains
 * than endpoints. */
typedef struct {
    uint32_t id;
    bool bypass;              /* created by ATTACH with F_BYPASS */
    unsigned n_endpoints;
    GTree *mappings;          /* &virt_start -> IommuMapping, disjoint */
} IommuDomain;

typedef struct {
    uint32_t id;
    IommuDomain *domain;      /* lock; NULL: not attached */
    /* A device's queues translate through it (an IommuDma exists): at
     * most one at a time.  Control thread only. */
    bool claimed;
} IommuEndpoint;

/*
 * Threads: requests run on the device's worker; translations on the
 * workers of the translated devices.  @lock (a GRWLock: translations only
 * read) protects @domains, every endpoint's @domain, the mappings,
 * @n_mappings and @bypass.  @endpoints (the table) is immutable once the
 * device is activated; @input_end is immutable after creation.
 * @event_lock serialises the translating threads that report faults on
 * the eventq, and @events_on says the eventq may be used (set by
 * activate, cleared by reset before the core resets the queues).
 */
typedef struct {
    VirtioDevice vdev;
    uint64_t input_end;
    GHashTable *endpoints;    /* id -> IommuEndpoint */
    GRWLock lock;
    GHashTable *domains;      /* id -> IommuDomain */
    unsigned n_mappings;
    bool bypass;              /* unattached endpoints bypass translation */
    VirtioWorker *worker;     /* control/vCPU thread (activate/reset) */
    VirtQueueElem *elem;      /* worker thread */
    GMutex event_lock;
    bool events_on;           /* event_lock */
    VirtQueueElem *event_elem;        /* event_lock */
    guint64 faults;           /* atomic: blocked accesses */
} VirtioIommu;

static VirtioIommu *
virtio_iommu_from_vdev(VirtioDevice *vdev)
{
    return (VirtioIommu *)vdev;
}

static int
iommu_key_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* The mapping with the largest start <= @iova, or NULL. */
static IommuMapping *
iommu_floor(IommuDomain *d, uint64_t iova)
{
    GTreeNode *n = g_tree_upper_bound(d->mappings, &iova);

    n = n ? g_tree_node_previous(n) : g_tree_node_last(d->mappings);
    return n ? g_tree_node_value(n) : NULL;
}

static void
iommu_domain_free(gpointer p)
{
    IommuDomain *d = p;

    g_tree_unref(d->mappings);
    g_free(d);
}

/* Lock held for writing. */
static void
iommu_detach_locked(VirtioIommu *io, IommuEndpoint *ep)
{
    IommuDomain *d = ep->domain;

    if (!d)
        return;
    ep->domain = NULL;
    if (--d->n_endpoints == 0) {
        io->n_mappings -= g_tree_nnodes(d->mappings);
        g_hash_table_remove(io->domains, GUINT_TO_POINTER(d->id));
    }
}

/* Drops every attachment and domain (a device reset, §5.13.5). */
static void
iommu_clear(VirtioIommu *io)
{
    GHashTableIter it;
    gpointer v;

    g_rw_lock_writer_lock(&io->lock);
    g_hash_table_iter_init(&it, io->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &v))
        ((IommuEndpoint *)v)->domain = NULL;
    g_hash_table_remove_all(io->domains);
    io->n_mappings = 0;
    /* The boot default: endpoints work before a driver takes over. */
    io->bypass = true;
    g_rw_lock_writer_unlock(&io->lock);
}

static bool
iommu_domain_in_range(uint32_t domain)
{
    /* IOMMU_DOMAIN_START is 0: only the end bounds a u32. */
    return domain <= IOMMU_DOMAIN_END;
}

/* ---- Requests (worker thread) -------------------------------------------- */

/* §5.13.6.3 */
static uint8_t
iommu_attach(VirtioIommu *io, const struct virtio_iommu_req_attach *req)
{
    uint32_t domain = le32toh(req->domain), flags = le32toh(req->flags);
    bool bypass = flags & VIRTIO_IOMMU_ATTACH_F_BYPASS;
    IommuEndpoint *ep;
    IommuDomain *d;
    uint8_t status = VIRTIO_IOMMU_S_OK;

    if (flags & ~VIRTIO_IOMMU_ATTACH_F_BYPASS)
        return VIRTIO_IOMMU_S_INVAL;
    if (bypass && !virtio_has_feature(&io->vdev, VIRTIO_IOMMU_F_BYPASS_CONFIG))
        return VIRTIO_IOMMU_S_INVAL;
    if (!iommu_domain_in_range(domain))
        return VIRTIO_IOMMU_S_RANGE;
    ep = g_hash_table_lookup(io->endpoints,
                             GUINT_TO_POINTER(le32toh(req->endpoint)));
    if (!ep)
        return VIRTIO_IOMMU_S_NOENT;
    g_rw_lock_writer_lock(&io->lock);
    d = g_hash_table_lookup(io->domains, GUINT_TO_POINTER(domain));
    if (d && d->bypass != bypass) {
        /* One domain is either identity or translated, never both. */
        status = VIRTIO_IOMMU_S_INVAL;
    } else if (ep->domain != d || !d) {
        /* An endpoint attached elsewhere moves: the spec has the device
         * detach it first. */
        iommu_detach_locked(io, ep);
        if (!d) {
            d = g_new0(IommuDomain, 1);
            d->id = domain;
            d->bypass = bypass;
            d->mappings = g_tree_new_full(iommu_key_cmp, NULL, NULL, g_free);
            g_hash_table_insert(io->domains, GUINT_TO_POINTER(domain), d);
        }
        ep->domain = d;
        d->n_endpoints++;
    }
    g_rw_lock_writer_unlock(&io->lock);
    return status;
}

/* §5.13.6.4 */
static uint8_t
iommu_detach(VirtioIommu *io, const struct virtio_iommu_req_detach *req)
{
    uint32_t domain = le32toh(req->domain);
    IommuEndpoint *ep;
    uint8_t status = VIRTIO_IOMMU_S_OK;

    if (!iommu_domain_in_range(domain))
        return VIRTIO_IOMMU_S_RANGE;
    ep = g_hash_table_lookup(io->endpoints,
                             GUINT_TO_POINTER(le32toh(req->endpoint)));
    if (!ep)
        return VIRTIO_IOMMU_S_NOENT;
    g_rw_lock_writer_lock(&io->lock);
    if (!g_hash_table_contains(io->domains, GUINT_TO_POINTER(domain)))
        status = VIRTIO_IOMMU_S_NOENT;
    else if (!ep->domain || ep->domain->id != domain)
        status = VIRTIO_IOMMU_S_INVAL;
    else
        iommu_detach_locked(io, ep);
    g_rw_lock_writer_unlock(&io->lock);
    return status;
}

/* The domain a MAP/UNMAP names, or a status.  Lock held. */
static uint8_t
iommu_lookup_domain_locked(VirtioIommu *io, uint32_t domain, IommuDomain **d)
{
    if (!iommu_domain_in_range(domain))
        return VIRTIO_IOMMU_S_RANGE;
    *d = g_hash_table_lookup(io->domains, GUINT_TO_POINTER(domain));
    if (!*d)
        return VIRTIO_IOMMU_S_NOENT;
    /* A bypass domain has no mappings to change. */
    if ((*d)->bypass)
        return VIRTIO_IOMMU_S_INVAL;
    return VIRTIO_IOMMU_S_OK;
}

/* §5.13.6.5 */
static uint8_t
iommu_map(VirtioIommu *io, const struct virtio_iommu_req_map *req)
{
    uint64_t vs = le64toh(req->virt_start), ve = le64toh(req->virt_end);
    uint64_t ps = le64toh(req->phys_start);
    uint32_t flags = le32toh(req->flags);
    IommuMapping *m;
    IommuDomain *d = NULL;
    uint8_t status;

    /* F_MMIO is not offered: its flag is as unknown as any other. */
    if (flags & ~(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE))
        return VIRTIO_IOMMU_S_INVAL;
    if (vs > ve)
        return VIRTIO_IOMMU_S_INVAL;
    /* Page granularity, the input range, and a physical end that does
     * not wrap around. */
    if ((vs & IOMMU_PAGE_MASK) || (ps & IOMMU_PAGE_MASK) ||
        ((ve + 1) & IOMMU_PAGE_MASK) || ve > io->input_end ||
        ps + (ve - vs) < ps)
        return VIRTIO_IOMMU_S_RANGE;
    g_rw_lock_writer_lock(&io->lock);
    status = iommu_lookup_domain_locked(io, le32toh(req->domain), &d);
    if (status != VIRTIO_IOMMU_S_OK)
        goto cleanup;
    /* The only mapping that can overlap [vs, ve] without starting inside
     * it is the last one starting at or before ve. */
    m = iommu_floor(d, ve);
    if (m && m->virt_end >= vs) {
        status = VIRTIO_IOMMU_S_INVAL;
        goto cleanup;
    }
    if (io->n_mappings >= VIRTIO_IOMMU_MAX_MAPPINGS) {
        status = VIRTIO_IOMMU_S_NOMEM;
        goto cleanup;
    }
    m = g_new0(IommuMapping, 1);
    m->virt_start = vs;
    m->virt_end = ve;
    m->phys_start = ps;
    m->flags = flags;
    g_tree_insert(d->mappings, &m->virt_start, m);
    io->n_mappings++;
 cleanup:
    g_rw_lock_writer_unlock(&io->lock);
    return status;
}

/*
 * §5.13.6.6.  A mapping that the range covers only in part is not split:
 * the request fails with S_RANGE.  We check every affected mapping before
 * removing any, so a refused UNMAP changes nothing (the spec lets the
 * device choose).  A range that covers no mapping succeeds.
 */
static uint8_t
iommu_unmap(VirtioIommu *io, const struct virtio_iommu_req_unmap *req)
{
    uint64_t vs = le64toh(req->virt_start), ve = le64toh(req->virt_end);
    IommuDomain *d = NULL;
    IommuMapping *m;
    GTreeNode *n;
    uint8_t status;

    if (vs > ve)
        return VIRTIO_IOMMU_S_INVAL;
    g_rw_lock_writer_lock(&io->lock);
    status = iommu_lookup_domain_locked(io, le32toh(req->domain), &d);
    if (status != VIRTIO_IOMMU_S_OK)
        goto cleanup;
    /* Mappings are disjoint and sorted: walking back from the last one
     * starting at or before ve, each ends before the previous starts. */
    n = g_tree_upper_bound(d->mappings, &ve);
    n = n ? g_tree_node_previous(n) : g_tree_node_last(d->mappings);
    for (; n; n = g_tree_node_previous(n)) {
        m = g_tree_node_value(n);
        if (m->virt_end < vs)
            break;
        if (m->virt_start < vs || m->virt_end > ve) {
            status = VIRTIO_IOMMU_S_RANGE;
            goto cleanup;
        }
    }
    while ((m = iommu_floor(d, ve)) && m->virt_end >= vs) {
        g_tree_remove(d->mappings, &m->virt_start);
        io->n_mappings--;
    }
 cleanup:
    g_rw_lock_writer_unlock(&io->lock);
    return status;
}

/* §5.13.6.7: the properties go at the start of the writable part, which
 * must hold probe_size bytes before the tail. */
static uint8_t
iommu_probe(VirtioIommu *io, const struct virtio_iommu_req_probe *req,
            const VirtQueueElem *elem)
{
    struct virtio_iommu_probe_resv_mem msi = {
        .head.type = htole16(VIRTIO_IOMMU_PROBE_T_RESV_MEM),
        .head.length = htole16(sizeof(msi) - sizeof(msi.head)),
        .subtype = VIRTIO_IOMMU_RESV_MEM_T_MSI,
        .start = htole64(VIRTIO_IOMMU_MSI_START),
        .end = htole64(VIRTIO_IOMMU_MSI_END),
    };
    const struct iovec *in = VIRTQUEUE_ELEM_IN(elem);

    if (!g_hash_table_contains(io->endpoints,
                               GUINT_TO_POINTER(le32toh(req->endpoint))))
        return VIRTIO_IOMMU_S_NOENT;
    if (elem->in_len - sizeof(struct virtio_iommu_req_tail) <
        IOMMU_PROBE_SIZE)
        return VIRTIO_IOMMU_S_INVAL;
    /* The rest reads as a NONE property: the end of the list. */
    iov_memset(in, elem->in_num, 0, 0, IOMMU_PROBE_SIZE);
    iov_from_buf(in, elem->in_num, 0, &msi, sizeof(msi));
    return VIRTIO_IOMMU_S_OK;
}

/* The device-readable size each request type needs (§5.13.6.2). */
static size_t
iommu_req_size(uint8_t type)
{
    size_t tail = sizeof(struct virtio_iommu_req_tail);

    switch (type) {
    case VIRTIO_IOMMU_T_ATTACH:
        return sizeof(struct virtio_iommu_req_attach) - tail;
    case VIRTIO_IOMMU_T_DETACH:
        return sizeof(struct virtio_iommu_req_detach) - tail;
    case VIRTIO_IOMMU_T_MAP:
        return sizeof(struct virtio_iommu_req_map) - tail;
    case VIRTIO_IOMMU_T_UNMAP:
        return sizeof(struct virtio_iommu_req_unmap) - tail;
    case VIRTIO_IOMMU_T_PROBE:
        return sizeof(struct virtio_iommu_req_probe);
    default:
        return 0;
    }
}

int
virtio_iommu_handle_request(VirtioDevice *vdev, const VirtQueueElem *elem,
                            uint32_t *used_len)
{
    VirtioIommu *io = virtio_iommu_from_vdev(vdev);
    union {
        struct virtio_iommu_req_head head;
        struct virtio_iommu_req_attach attach;
        struct virtio_iommu_req_detach detach;
        struct virtio_iommu_req_map map;
        struct virtio_iommu_req_unmap unmap;
        struct virtio_iommu_req_probe probe;
        uint8_t raw[sizeof(struct virtio_iommu_req_probe)];
    } req;
    struct virtio_iommu_req_tail tail = { .status = VIRTIO_IOMMU_S_INVAL };
    size_t need;

    /* §5.13.6.2: the tail is the last bytes the device may write; with no
     * room for it there is no way to answer. */
    if (elem->in_len < sizeof(tail))
        return -EINVAL;
    memset(&req, 0, sizeof(req));
    /* One copy: the guest cannot change a request while it is checked. */
    iov_to_buf(VIRTQUEUE_ELEM_OUT(elem), elem->out_num, 0, &req,
               sizeof(req));
    need = elem->out_len >= sizeof(req.head) ? iommu_req_size(req.head.type)
                                             : 0;
    if (elem->out_len < sizeof(req.head)) {
        tail.status = VIRTIO_IOMMU_S_INVAL;
    } else if (need == 0) {
        tail.status = VIRTIO_IOMMU_S_UNSUPP;
    } else if (elem->out_len < need) {
        tail.status = VIRTIO_IOMMU_S_INVAL;
    } else {
        switch (req.head.type) {
        case VIRTIO_IOMMU_T_ATTACH:
            tail.status = iommu_attach(io, &req.attach);
            break;
        case VIRTIO_IOMMU_T_DETACH:
            tail.status = iommu_detach(io, &req.detach);
            break;
        case VIRTIO_IOMMU_T_MAP:
            tail.status = iommu_map(io, &req.map);
            break;
        case VIRTIO_IOMMU_T_UNMAP:
            tail.status = iommu_unmap(io, &req.unmap);
            break;
        case VIRTIO_IOMMU_T_PROBE:
            tail.status = iommu_probe(io, &req.probe, elem);
            break;
        }
    }
    iov_from_buf(VIRTQUEUE_ELEM_IN(elem), elem->in_num,
                 elem->in_len - sizeof(tail), &tail, sizeof(tail));
    *used_len = (uint32_t)elem->in_len;
    return 0;
}

static void
iommu_on_kick(gpointer opaque, int fd, short revents)
{
    VirtioIommu *io = opaque;
    VirtioDevice *vdev = &io->vdev;
    VirtQueue *vq = &vdev->vqs[IOMMU_REQUESTQ];
    uint32_t used;
    int r;

    virtio_eventfd_drain(fd);
    if (virtio_device_is_broken(vdev))
        return;
    while ((r = virtqueue_pop(vq, io->elem)) == 0) {
        if (virtio_iommu_handle_request(vdev, io->elem, &used) < 0) {
            virtio_device_set_broken(vdev, "requestq: request without room "
                                     "for its status");
            return;
        }
        virtqueue_push(vq, io->elem, used);
    }
    if (r != -ENOENT) {
        virtio_device_set_broken(vdev, "requestq: %s", vq->error);
        return;
    }
    virtio_notify(vdev, vq);
}

/* ---- Translation (any thread) -------------------------------------------- */

/*
 * §5.13.6.9: tells the driver about a blocked access with a FAULT event,
 * if it gave the eventq a buffer (none: the fault goes unreported, as the
 * spec allows).  A buffer the device may not write a whole event into is
 * the guest's error.
 */
static void
iommu_report_fault(VirtioIommu *io, uint8_t reason, uint32_t endpoint,
                   uint64_t iova, bool write)
{
    VirtioDevice *vdev = &io->vdev;
    VirtQueue *vq = &vdev->vqs[IOMMU_EVENTQ];
    struct virtio_iommu_fault ev = {
        .reason = reason,
        .flags = htole32((write ? VIRTIO_IOMMU_FAULT_F_WRITE
                                : VIRTIO_IOMMU_FAULT_F_READ) |
                         VIRTIO_IOMMU_FAULT_F_ADDRESS),
        .endpoint = htole32(endpoint),
        .address = htole64(iova),
    };
    int r;

    __atomic_add_fetch(&io->faults, 1, __ATOMIC_RELAXED);
    g_mutex_lock(&io->event_lock);
    if (!io->events_on || virtio_device_is_broken(vdev))
        goto cleanup;
    r = virtqueue_pop(vq, io->event_elem);
    if (r == -ENOENT)
        goto cleanup;
    if (r < 0 || io->event_elem->out_num > 0 ||
        io->event_elem->in_len < sizeof(ev)) {
        virtio_device_set_broken(vdev, "eventq: %s",
                                 r < 0 ? vq->error
                                       : "buffer not a writable 24 bytes");
        goto cleanup;
    }
    iov_from_buf(VIRTQUEUE_ELEM_IN(io->event_elem), io->event_elem->in_num,
                 0, &ev, sizeof(ev));
    virtqueue_push(vq, io->event_elem, sizeof(ev));
    virtio_notify(vdev, vq);
 cleanup:
    g_mutex_unlock(&io->event_lock);
}

int
virtio_iommu_translate(VirtioDevice *vdev, uint32_t endpoint, uint64_t iova,
                       uint64_t len, bool write, uint64_t *gpa,
                       uint64_t *mapped)
{
    VirtioIommu *io = virtio_iommu_from_vdev(vdev);
    uint32_t need = write ? VIRTIO_IOMMU_MAP_F_WRITE : VIRTIO_IOMMU_MAP_F_READ;
    IommuEndpoint *ep;
    IommuMapping *m;
    bool identity;
    uint8_t reason = VIRTIO_IOMMU_FAULT_R_UNKNOWN;
    int r = 0;

    ep = g_hash_table_lookup(io->endpoints, GUINT_TO_POINTER(endpoint));
    if (!ep || len == 0)
        return ep ? -EINVAL : -ENOENT;
    g_rw_lock_reader_lock(&io->lock);
    identity = ep->domain ? ep->domain->bypass : io->bypass;
    if (identity) {
        *gpa = iova;
        *mapped = len;
    } else if (!ep->domain) {
        reason = VIRTIO_IOMMU_FAULT_R_DOMAIN;
        r = -EFAULT;
    } else if (!(m = iommu_floor(ep->domain, iova)) || m->virt_end < iova ||
               !(m->flags & need)) {
        reason = VIRTIO_IOMMU_FAULT_R_MAPPING;
        r = -EFAULT;
    } else {
        uint64_t room = m->virt_end - iova;   /* bytes left, minus one */

        *gpa = m->phys_start + (iova - m->virt_start);
        *mapped = len - 1 <= room ? len : room + 1;
    }
    g_rw_lock_reader_unlock(&io->lock);
    if (r < 0)
        iommu_report_fault(io, reason, endpoint, iova, write);
    return r;
}

bool
virtio_iommu_add_endpoint(VirtioDevice *vdev, uint32_t endpoint,
                          GError **error)
{
    VirtioIommu *io = virtio_iommu_from_vdev(vdev);
    IommuEndpoint *ep;

    if (g_hash_table_contains(io->endpoints, GUINT_TO_POINTER(endpoint))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "%s: endpoint %#x is already translated", vdev->id,
                    endpoint);
        return false;
    }
    ep = g_new0(IommuEndpoint, 1);
    ep->id = endpoint;
    g_hash_table_insert(io->endpoints, GUINT_TO_POINTER(endpoint), ep);
    return true;
}

/* A VirtQueueDma for one endpoint: g_free() releases it (the
 * VirtQueueDma comes first). */
typedef struct {
    VirtQueueDma dma;
    VirtioDevice *iommu;
    uint32_t endpoint;
} IommuDma;
G_STATIC_ASSERT(offsetof(IommuDma, dma) == 0);

static int
iommu_dma_translate(gpointer opaque, uint64_t iova, uint64_t len, bool write,
                    uint64_t *gpa, uint64_t *mapped)
{
    IommuDma *d = opaque;

    return virtio_iommu_translate(d->iommu, d->endpoint, iova, len, write,
                                  gpa, mapped);
}

static VirtQueueDma *
iommu_dma_new(VirtioDevice *vdev, IommuEndpoint *ep)
{
    IommuDma *d = g_new0(IommuDma, 1);

    ep->claimed = true;
    d->dma.translate = iommu_dma_translate;
    d->dma.opaque = d;
    d->iommu = vdev;
    d->endpoint = ep->id;
    return &d->dma;
}

VirtQueueDma *
virtio_iommu_dma_new(VirtioDevice *vdev, uint32_t endpoint, GError **error)
{
    VirtioIommu *io = virtio_iommu_from_vdev(vdev);

    if (!virtio_iommu_add_endpoint(vdev, endpoint, error))
        return NULL;
    return iommu_dma_new(vdev, g_hash_table_lookup(
                                   io->endpoints, GUINT_TO_POINTER(endpoint)));
}

VirtQueueDma *
virtio_iommu_dma_claim(VirtioDevice *vdev, uint32_t endpoint, GError **error)
{
    VirtioIommu *io = virtio_iommu_from_vdev(vdev);
    IommuEndpoint *ep = g_hash_table_lookup(io->endpoints,
                                            GUINT_TO_POINTER(endpoint));

    if (!ep) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "%s: endpoint %#x was not declared at boot", vdev->id,
                    endpoint);
        return NULL;
    }
    if (ep->claimed) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "%s: endpoint %#x is already translated for a device",
                    vdev->id, endpoint);
        return NULL;
    }
    return iommu_dma_new(vdev, ep);
}

void
virtio_iommu_release_endpoint(VirtioDevice *vdev, uint32_t endpoint)
{
    VirtioIommu *io = virtio_iommu_from_vdev(vdev);
    IommuEndpoint *ep = g_hash_table_lookup(io->endpoints,
                                            GUINT_TO_POINTER(endpoint));

    if (!ep)
        return;
    /* The next device in this slot starts unattached, as the guest
     * expects of a function it has not probed yet, and not in the domain
     * (with the mappings) of the one that left. */
    g_rw_lock_writer_lock(&io->lock);
    iommu_detach_locked(io, ep);
    g_rw_lock_writer_unlock(&io->lock);
    ep->claimed = false;
}

/* ---- VirtioDeviceOps ----------------------------------------------------- */

static void
virtio_iommu_read_config(VirtioDevice *vdev, uint32_t off, void *data,
                         unsigned len)
{
    VirtioIommu *io = virtio_iommu_from_vdev(vdev);
    struct virtio_iommu_config cfg = {
        .page_size_mask = htole64(IOMMU_PAGE_SIZE_MASK),
        .input_range.start = 0,
        .input_range.end = htole64(io->input_end),
        .domain_range.start = htole32(IOMMU_DOMAIN_START),
        .domain_range.end = htole32(IOMMU_DOMAIN_END),
        .probe_size = htole32(IOMMU_PROBE_SIZE),
    };

    g_rw_lock_reader_lock(&io->lock);
    cfg.bypass = io->bypass;
    g_rw_lock_reader_unlock(&io->lock);
    virtio_config_read(&cfg, sizeof(cfg), off, data, len);
}

/* §5.13.4: bypass is the only writable field, and only with
 * BYPASS_CONFIG; any other write is ignored. */
static void
virtio_iommu_write_config(VirtioDevice *vdev, uint32_t off, const void *data,
                          unsigned len)
{
    VirtioIommu *io = virtio_iommu_from_vdev(vdev);
    uint8_t v;

    if (off != IOMMU_CONFIG_BYPASS || len != 1 ||
        !virtio_has_feature(vdev, VIRTIO_IOMMU_F_BYPASS_CONFIG)) {
        g_debug("%s: config write of %u bytes at %u ignored", vdev->id, len,
                off);
        return;
    }
    memcpy(&v, data, 1);
    g_rw_lock_writer_lock(&io->lock);
    io->bypass = v != 0;
    g_rw_lock_writer_unlock(&io->lock);
}

static bool
virtio_iommu_activate(VirtioDevice *vdev, GError **error)
{
    VirtioIommu *io = virtio_iommu_from_vdev(vdev);

    /* A driver that did not accept BYPASS_CONFIG cannot turn bypass off:
     * the device must then translate (block) unattached endpoints. */
    if (!virtio_has_feature(vdev, VIRTIO_IOMMU_F_BYPASS_CONFIG)) {
        g_rw_lock_writer_lock(&io->lock);
        io->bypass = false;
        g_rw_lock_writer_unlock(&io->lock);
    }
    g_mutex_lock(&io->event_lock);
    io->events_on = true;
    g_mutex_unlock(&io->event_lock);
    io->worker = virtio_worker_new(THREAD_ROLE_VIRTIO_IOMMU, vdev->id);
    virtio_worker_add_fd(io->worker, vdev->kick_fds[IOMMU_REQUESTQ], POLLIN,
                         iommu_on_kick, io);
    /* Requests queued before DRIVER_OK are served at once. */
    virtio_eventfd_signal(vdev->kick_fds[IOMMU_REQUESTQ]);
    return virtio_worker_start(io->worker, error);
}

static void
virtio_iommu_reset(VirtioDevice *vdev)
{
    VirtioIommu *io = virtio_iommu_from_vdev(vdev);

    g_clear_pointer(&io->worker, virtio_worker_free);
    /* The core resets the queues next: no reporter may be in the eventq
     * then. */
    g_mutex_lock(&io->event_lock);
    io->events_on = false;
    g_mutex_unlock(&io->event_lock);
    iommu_clear(io);
}

static bool
virtio_iommu_pause(VirtioDevice *vdev, GError **error)
{
    virtio_worker_stop(virtio_iommu_from_vdev(vdev)->worker);
    return true;
}

static bool
virtio_iommu_resume(VirtioDevice *vdev, GError **error)
{
    VirtioIommu *io = virtio_iommu_from_vdev(vdev);

    return io->worker ? virtio_worker_start(io->worker, error) : true;
}

static JsonNode *
virtio_iommu_counters(VirtioDevice *vdev)
{
    VirtioIommu *io = virtio_iommu_from_vdev(vdev);
    g_autoptr(JsonBuilder) b = json_builder_new();
    unsigned domains, mappings;
    guint64 faults = __atomic_load_n(&io->faults, __ATOMIC_RELAXED);

    g_rw_lock_reader_lock(&io->lock);
    domains = g_hash_table_size(io->domains);
    mappings = io->n_mappings;
    g_rw_lock_reader_unlock(&io->lock);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "domains");
    json_builder_add_int_value(b, domains);
    json_builder_set_member_name(b, "mappings");
    json_builder_add_int_value(b, mappings);
    json_builder_set_member_name(b, "faults");
    json_builder_add_int_value(b, (gint64)faults);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static void
virtio_iommu_free(VirtioDevice *vdev)
{
    VirtioIommu *io = virtio_iommu_from_vdev(vdev);

    g_clear_pointer(&io->worker, virtio_worker_free);
    virtqueue_elem_free(io->elem);
    virtqueue_elem_free(io->event_elem);
    g_mutex_clear(&io->event_lock);
    g_clear_pointer(&io->domains, g_hash_table_unref);
    g_clear_pointer(&io->endpoints, g_hash_table_unref);
    g_rw_lock_clear(&io->lock);
    virtio_device_cleanup(vdev);
    g_free(io);
}

/* No state_desc: the domains and mappings are variable-length tables the
 * state reader cannot describe yet, so a VM with a virtio-iommu is not
 * snapshotted (docs/devices.md). */
static const VirtioDeviceOps virtio_iommu_ops = {
    .name = "iommu",
    .device_type = VIRTIO_ID_IOMMU,
    .config_size = sizeof(struct virtio_iommu_config),
    .read_config = virtio_iommu_read_config,
    .write_config = virtio_iommu_write_config,
    .activate = virtio_iommu_activate,
    .reset = virtio_iommu_reset,
    .pause = virtio_iommu_pause,
    .resume = virtio_iommu_resume,
    .counters = virtio_iommu_counters,
    .free = virtio_iommu_free,
};

VirtioDevice *
virtio_iommu_new(DeviceHost *host, const char *id,
                 unsigned address_width_bits, GError **error)
{
    VirtioIommu *io;

    if (address_width_bits < 12 || address_width_bits > 64) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: address width %u is not in 12..64", id,
                    address_width_bits);
        return NULL;
    }
    io = g_new0(VirtioIommu, 1);
    io->input_end = address_width_bits == 64
                        ? G_MAXUINT64
                        : (1ULL << address_width_bits) - 1;
    g_rw_lock_init(&io->lock);
    g_mutex_init(&io->event_lock);
    io->endpoints = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                          NULL, g_free);
    io->domains = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                        iommu_domain_free);
    io->bypass = true;
    io->elem = virtqueue_elem_new(64);
    io->event_elem = virtqueue_elem_new(8);
    if (!virtio_device_init(&io->vdev, &virtio_iommu_ops, host, id,
                            IOMMU_FEATURES, 2, IOMMU_QUEUE_SIZE, error)) {
        virtio_iommu_free(&io->vdev);
        return NULL;
    }
    return &io->vdev;
}

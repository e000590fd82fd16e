/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for virtio-iommu: requests as a guest driver sends them, and translation. */
#include <config.h>

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <gio/gio.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_iommu.h>

#include "devices/virtio/iommu.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/worker.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define QSIZE 64
#define EP_A 0x08u          /* 00:01.0 */
#define EP_B 0x10u          /* 00:02.0 */
#define EP_NONE 0x18u
#define EP_RNG 0x20u           /* 00:04.0 */
/* The rng driver uses IOVA = GPA + IOVA_OFF. */
#define IOVA_OFF 0x10000000000ULL
#define RW (VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)
#define TAIL sizeof(struct virtio_iommu_req_tail)

typedef struct {
    GuestMemory *mem;
    FakeHost *host;
    VirtioDevice *vdev;
    TdRing ring;            /* requestq */
    TdRing events;          /* eventq */
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer unused)
{
    g_autoptr(GError) error = NULL;
    TdRing both[2];

    f->mem = td_memory_new();
    f->host = fake_host_new_with_memory(f->mem);
    f->vdev = virtio_iommu_new(fake_host_base(f->host), VIRTIO_IOMMU_ID, 48,
                               &error);
    g_assert_no_error(error);
    g_assert_cmpuint(f->vdev->ops->device_type, ==, VIRTIO_ID_IOMMU);
    g_assert_true(virtio_iommu_add_endpoint(f->vdev, EP_A, &error));
    g_assert_true(virtio_iommu_add_endpoint(f->vdev, EP_B, &error));
    g_assert_false(virtio_iommu_add_endpoint(f->vdev, EP_B, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    td_ring_init(&f->ring, f->mem, 0x10000, 0x100000, QSIZE);
    td_ring_init(&f->events, f->mem, 0x380000, 0x40000, QSIZE);
    both[0] = f->ring;
    both[1] = f->events;
    td_device_start(f->vdev, both, 2);
}

static void
fixture_teardown(Fixture *f, gconstpointer unused)
{
    virtio_device_free(f->vdev);
    fake_host_free(f->host);
    guest_memory_free(f->mem);
}

/*
 * Sends one request as Linux's driver does: @out_len readable bytes of
 * @req, then @in_len writable ones.  Returns the status the device wrote
 * in the last 4 writable bytes; *@in (if not NULL) gets the writable
 * buffer's address.
 */
static uint8_t
send_raw(Fixture *f, const void *req, uint32_t out_len, uint32_t in_len,
         uint64_t *in)
{
    uint64_t a[2];
    uint32_t l[2] = { out_len, in_len }, id, used;
    uint16_t head;

    a[0] = td_alloc(&f->ring, out_len);
    a[1] = td_alloc(&f->ring, in_len);
    memcpy(td_ptr(f->mem, a[0], out_len), req, out_len);
    memset(td_ptr(f->mem, a[1], in_len), 0xee, in_len);
    head = td_add_chain(&f->ring, a, l, 2, 1);
    td_publish(&f->ring, head);
    virtio_eventfd_signal(f->vdev->kick_fds[0]);
    g_assert_true(td_wait_used(&f->ring, 1, 5000));
    g_assert_true(td_get_used(&f->ring, &id, &used));
    g_assert_cmpuint(id, ==, head);
    g_assert_cmpuint(used, ==, in_len);
    if (in)
        *in = a[1];
    return *(uint8_t *)td_ptr(f->mem, a[1] + in_len - TAIL, 1);
}

/* A fixed-size request struct (its tail included) the usual way. */
#define SEND(f, r) send_raw((f), &(r), sizeof(r) - TAIL, TAIL, NULL)

static uint8_t
attach(Fixture *f, uint32_t domain, uint32_t ep, uint32_t flags)
{
    struct virtio_iommu_req_attach r = {
        .head.type = VIRTIO_IOMMU_T_ATTACH, .domain = htole32(domain),
        .endpoint = htole32(ep), .flags = htole32(flags),
    };

    return SEND(f, r);
}

static uint8_t
detach(Fixture *f, uint32_t domain, uint32_t ep)
{
    struct virtio_iommu_req_detach r = {
        .head.type = VIRTIO_IOMMU_T_DETACH, .domain = htole32(domain),
        .endpoint = htole32(ep),
    };

    return SEND(f, r);
}

static uint8_t
map(Fixture *f, uint32_t domain, uint64_t vs, uint64_t ve, uint64_t ps,
    uint32_t flags)
{
    struct virtio_iommu_req_map r = {
        .head.type = VIRTIO_IOMMU_T_MAP, .domain = htole32(domain),
        .virt_start = htole64(vs), .virt_end = htole64(ve),
        .phys_start = htole64(ps), .flags = htole32(flags),
    };

    return SEND(f, r);
}

static uint8_t
unmap(Fixture *f, uint32_t domain, uint64_t vs, uint64_t ve)
{
    struct virtio_iommu_req_unmap r = {
        .head.type = VIRTIO_IOMMU_T_UNMAP, .domain = htole32(domain),
        .virt_start = htole64(vs), .virt_end = htole64(ve),
    };

    return SEND(f, r);
}

/* Translation of @iova by @ep: the GPA, or G_MAXUINT64 when blocked; the
 * contiguous length in *@mapped. */
static uint64_t
xlate(Fixture *f, uint32_t ep, uint64_t iova, uint64_t len, bool write,
      uint64_t *mapped)
{
    uint64_t gpa = 0, m = 0;
    int r = virtio_iommu_translate(f->vdev, ep, iova, len, write, &gpa, &m);

    if (mapped)
        *mapped = m;
    if (r == -EFAULT)
        return G_MAXUINT64;
    g_assert_cmpint(r, ==, 0);
    g_assert_cmpuint(m, >=, 1);
    g_assert_cmpuint(m, <=, len);
    return gpa;
}

static void
test_config_bypass(Fixture *f, gconstpointer unused)
{
    struct virtio_iommu_config cfg;
    uint8_t off = 0;

    f->vdev->ops->read_config(f->vdev, 0, &cfg, sizeof(cfg));
    g_assert_cmphex(le64toh(cfg.page_size_mask), ==, ~0xfffULL);
    g_assert_cmphex(le64toh(cfg.input_range.start), ==, 0);
    g_assert_cmphex(le64toh(cfg.input_range.end), ==, (1ULL << 48) - 1);
    g_assert_cmpuint(le32toh(cfg.domain_range.end), ==, 0xffff);
    g_assert_cmpuint(le32toh(cfg.probe_size), >=, 24);
    /* Boot default: unattached endpoints bypass translation. */
    g_assert_cmpuint(cfg.bypass, ==, 1);
    g_assert_cmphex(xlate(f, EP_A, 0x1234, 16, true, NULL), ==, 0x1234);
    /* The driver turns bypass off: unattached endpoints are blocked. */
    f->vdev->ops->write_config(f->vdev,
                               offsetof(struct virtio_iommu_config, bypass),
                               &off, 1);
    f->vdev->ops->read_config(f->vdev, 0, &cfg, sizeof(cfg));
    g_assert_cmpuint(cfg.bypass, ==, 0);
    g_assert_cmphex(xlate(f, EP_A, 0x1234, 16, true, NULL), ==, G_MAXUINT64);
    /* Writes anywhere else are ignored. */
    f->vdev->ops->write_config(f->vdev, 0, &off, 1);
    f->vdev->ops->read_config(f->vdev, 0, &cfg, sizeof(cfg));
    g_assert_cmphex(le64toh(cfg.page_size_mask), ==, ~0xfffULL);
    /* An endpoint nobody declared is not translated at all. */
    g_assert_cmpint(virtio_iommu_translate(f->vdev, EP_NONE, 0, 1, false,
                                           &(uint64_t){ 0 },
                                           &(uint64_t){ 0 }),
                    ==, -ENOENT);
}

static void
test_map_translate(Fixture *f, gconstpointer unused)
{
    uint64_t mapped;

    g_assert_cmpuint(attach(f, 1, EP_A, 0), ==, VIRTIO_IOMMU_S_OK);
    /* Attached to a translated domain with no mapping: blocked. */
    g_assert_cmphex(xlate(f, EP_A, 0x100000, 8, false, NULL), ==,
                    G_MAXUINT64);
    g_assert_cmpuint(map(f, 1, 0x100000, 0x101fff, 0x200000, RW), ==,
                     VIRTIO_IOMMU_S_OK);
    g_assert_cmphex(xlate(f, EP_A, 0x100800, 0x2000, true, &mapped), ==,
                    0x200800);
    g_assert_cmphex(mapped, ==, 0x1800);     /* up to the mapping's end */
    g_assert_cmphex(xlate(f, EP_A, 0x101fff, 1, false, &mapped), ==,
                    0x201fff);
    g_assert_cmphex(xlate(f, EP_A, 0x102000, 1, false, NULL), ==,
                    G_MAXUINT64);
    g_assert_cmphex(xlate(f, EP_A, 0xfffff, 1, false, NULL), ==,
                    G_MAXUINT64);
    /* Another endpoint is not in the domain: it still bypasses. */
    g_assert_cmphex(xlate(f, EP_B, 0x100800, 8, false, NULL), ==, 0x100800);

    /* Read-only: writes fault, reads go through. */
    g_assert_cmpuint(map(f, 1, 0x300000, 0x300fff, 0x400000,
                         VIRTIO_IOMMU_MAP_F_READ), ==, VIRTIO_IOMMU_S_OK);
    g_assert_cmphex(xlate(f, EP_A, 0x300010, 4, true, NULL), ==, G_MAXUINT64);
    g_assert_cmphex(xlate(f, EP_A, 0x300010, 4, false, NULL), ==, 0x400010);

    /* §5.13.6.5: overlaps, alignment, ranges, flags, unknown domains. */
    g_assert_cmpuint(map(f, 1, 0x101000, 0x101fff, 0, RW), ==,
                     VIRTIO_IOMMU_S_INVAL);
    g_assert_cmpuint(map(f, 1, 0xff000, 0x100fff, 0, RW), ==,
                     VIRTIO_IOMMU_S_INVAL);
    g_assert_cmpuint(map(f, 1, 0x0, 0xffffff, 0, RW), ==,
                     VIRTIO_IOMMU_S_INVAL);
    g_assert_cmpuint(map(f, 1, 0x500800, 0x500fff, 0, RW), ==,
                     VIRTIO_IOMMU_S_RANGE);
    g_assert_cmpuint(map(f, 1, 0x500000, 0x500ffe, 0, RW), ==,
                     VIRTIO_IOMMU_S_RANGE);
    g_assert_cmpuint(map(f, 1, 0x500000, 0x500fff, 0x10, RW), ==,
                     VIRTIO_IOMMU_S_RANGE);
    g_assert_cmpuint(map(f, 1, 1ULL << 48, (1ULL << 48) + 0xfff, 0, RW), ==,
                     VIRTIO_IOMMU_S_RANGE);
    /* Two pages from the last physical page would wrap around. */
    g_assert_cmpuint(map(f, 1, 0x500000, 0x501fff, G_MAXUINT64 & ~0xfffULL,
                         RW), ==, VIRTIO_IOMMU_S_RANGE);
    g_assert_cmpuint(map(f, 1, 0x501000, 0x500fff, 0, RW), ==,
                     VIRTIO_IOMMU_S_INVAL);
    g_assert_cmpuint(map(f, 1, 0x500000, 0x500fff, 0, 0x8), ==,
                     VIRTIO_IOMMU_S_INVAL);
    g_assert_cmpuint(map(f, 1, 0x500000, 0x500fff, 0,
                         VIRTIO_IOMMU_MAP_F_MMIO), ==, VIRTIO_IOMMU_S_INVAL);
    g_assert_cmpuint(map(f, 7, 0x500000, 0x500fff, 0, RW), ==,
                     VIRTIO_IOMMU_S_NOENT);
    g_assert_cmpuint(map(f, 0x10000, 0x500000, 0x500fff, 0, RW), ==,
                     VIRTIO_IOMMU_S_RANGE);
    /* None of the refused ones left a trace. */
    g_assert_cmphex(xlate(f, EP_A, 0x500000, 1, false, NULL), ==,
                    G_MAXUINT64);
}

static void
test_unmap(Fixture *f, gconstpointer unused)
{
    g_assert_cmpuint(attach(f, 1, EP_A, 0), ==, VIRTIO_IOMMU_S_OK);
    g_assert_cmpuint(map(f, 1, 0x0, 0x1fff, 0x10000, RW), ==,
                     VIRTIO_IOMMU_S_OK);
    g_assert_cmpuint(map(f, 1, 0x2000, 0x3fff, 0x20000, RW), ==,
                     VIRTIO_IOMMU_S_OK);
    /* §5.13.6.6: the second mapping would be split: refused, and the
     * first one is not removed either. */
    g_assert_cmpuint(unmap(f, 1, 0x0, 0x2fff), ==, VIRTIO_IOMMU_S_RANGE);
    g_assert_cmphex(xlate(f, EP_A, 0x0, 1, false, NULL), ==, 0x10000);
    g_assert_cmphex(xlate(f, EP_A, 0x2000, 1, false, NULL), ==, 0x20000);
    g_assert_cmpuint(unmap(f, 1, 0x1000, 0x1fff), ==, VIRTIO_IOMMU_S_RANGE);
    /* A range covering no mapping is fine. */
    g_assert_cmpuint(unmap(f, 1, 0x8000, 0x8fff), ==, VIRTIO_IOMMU_S_OK);
    /* Covering both entirely removes both. */
    g_assert_cmpuint(unmap(f, 1, 0x0, G_MAXUINT64), ==, VIRTIO_IOMMU_S_OK);
    g_assert_cmphex(xlate(f, EP_A, 0x0, 1, false, NULL), ==, G_MAXUINT64);
    g_assert_cmphex(xlate(f, EP_A, 0x2000, 1, false, NULL), ==, G_MAXUINT64);
    /* Mapped again in the freed range. */
    g_assert_cmpuint(map(f, 1, 0x0, 0x3fff, 0x30000, RW), ==,
                     VIRTIO_IOMMU_S_OK);
    g_assert_cmphex(xlate(f, EP_A, 0x2000, 1, false, NULL), ==, 0x32000);
    g_assert_cmpuint(unmap(f, 1, 0x1000, 0x0), ==, VIRTIO_IOMMU_S_INVAL);
    g_assert_cmpuint(unmap(f, 9, 0x0, 0x3fff), ==, VIRTIO_IOMMU_S_NOENT);
}

static void
test_attach_detach(Fixture *f, gconstpointer unused)
{
    g_assert_cmpuint(attach(f, 1, EP_NONE, 0), ==, VIRTIO_IOMMU_S_NOENT);
    g_assert_cmpuint(attach(f, 1, EP_A, 0x2), ==, VIRTIO_IOMMU_S_INVAL);
    g_assert_cmpuint(attach(f, 0x10000, EP_A, 0), ==, VIRTIO_IOMMU_S_RANGE);
    /* An identity domain (ATTACH_F_BYPASS, with BYPASS_CONFIG). */
    g_assert_cmpuint(attach(f, 2, EP_B, VIRTIO_IOMMU_ATTACH_F_BYPASS), ==,
                     VIRTIO_IOMMU_S_OK);
    g_assert_cmphex(xlate(f, EP_B, 0x5000, 8, true, NULL), ==, 0x5000);
    g_assert_cmpuint(map(f, 2, 0x0, 0xfff, 0, RW), ==, VIRTIO_IOMMU_S_INVAL);
    /* A domain is one or the other. */
    g_assert_cmpuint(attach(f, 2, EP_A, 0), ==, VIRTIO_IOMMU_S_INVAL);

    g_assert_cmpuint(attach(f, 1, EP_A, 0), ==, VIRTIO_IOMMU_S_OK);
    g_assert_cmpuint(attach(f, 1, EP_A, 0), ==, VIRTIO_IOMMU_S_OK);
    g_assert_cmpuint(map(f, 1, 0x0, 0xfff, 0x7000, RW), ==,
                     VIRTIO_IOMMU_S_OK);
    /* Moving the only endpoint frees domain 1 and its mappings. */
    g_assert_cmpuint(attach(f, 3, EP_A, 0), ==, VIRTIO_IOMMU_S_OK);
    g_assert_cmphex(xlate(f, EP_A, 0x0, 1, false, NULL), ==, G_MAXUINT64);
    g_assert_cmpuint(map(f, 1, 0x0, 0xfff, 0x7000, RW), ==,
                     VIRTIO_IOMMU_S_NOENT);
    g_assert_cmpuint(detach(f, 1, EP_A), ==, VIRTIO_IOMMU_S_NOENT);
    g_assert_cmpuint(detach(f, 3, EP_B), ==, VIRTIO_IOMMU_S_INVAL);
    g_assert_cmpuint(detach(f, 3, EP_NONE), ==, VIRTIO_IOMMU_S_NOENT);
    g_assert_cmpuint(detach(f, 0x10000, EP_A), ==, VIRTIO_IOMMU_S_RANGE);
    g_assert_cmpuint(detach(f, 3, EP_A), ==, VIRTIO_IOMMU_S_OK);
    /* Detached: back to the global bypass setting (on). */
    g_assert_cmphex(xlate(f, EP_A, 0x0, 1, false, NULL), ==, 0x0);
    g_assert_cmpuint(detach(f, 3, EP_A), ==, VIRTIO_IOMMU_S_NOENT);
}

static void
test_probe(Fixture *f, gconstpointer unused)
{
    struct virtio_iommu_req_probe r = {
        .head.type = VIRTIO_IOMMU_T_PROBE, .endpoint = htole32(EP_A),
    };
    struct virtio_iommu_config cfg;
    struct virtio_iommu_probe_resv_mem p;
    uint32_t probe_size;
    uint64_t in;
    const uint8_t *rest;

    f->vdev->ops->read_config(f->vdev, 0, &cfg, sizeof(cfg));
    probe_size = le32toh(cfg.probe_size);
    g_assert_cmpuint(send_raw(f, &r, sizeof(r), probe_size + TAIL, &in), ==,
                     VIRTIO_IOMMU_S_OK);
    memcpy(&p, td_ptr(f->mem, in, sizeof(p)), sizeof(p));
    g_assert_cmpuint(le16toh(p.head.type), ==, VIRTIO_IOMMU_PROBE_T_RESV_MEM);
    g_assert_cmpuint(le16toh(p.head.length), ==, sizeof(p) - sizeof(p.head));
    g_assert_cmpuint(p.subtype, ==, VIRTIO_IOMMU_RESV_MEM_T_MSI);
    g_assert_cmphex(le64toh(p.start), ==, 0xfee00000);
    g_assert_cmphex(le64toh(p.end), ==, 0xfeefffff);
    /* The rest of the buffer is the NONE terminator (zeroes). */
    rest = td_ptr(f->mem, in + sizeof(p), probe_size - sizeof(p));
    for (uint32_t i = 0; i < probe_size - sizeof(p); i++)
        g_assert_cmpuint(rest[i], ==, 0);

    /* Buffer smaller than probe_size, unknown endpoint. */
    g_assert_cmpuint(send_raw(f, &r, sizeof(r), 16 + TAIL, NULL), ==,
                     VIRTIO_IOMMU_S_INVAL);
    r.endpoint = htole32(EP_NONE);
    g_assert_cmpuint(send_raw(f, &r, sizeof(r), probe_size + TAIL, NULL), ==,
                     VIRTIO_IOMMU_S_NOENT);
}

static void
test_malformed(Fixture *f, gconstpointer unused)
{
    struct virtio_iommu_req_map m = {
        .head.type = VIRTIO_IOMMU_T_MAP, .domain = htole32(1),
        .virt_end = htole64(0xfff), .flags = htole32(RW),
    };
    uint8_t unknown[16] = { 0x42 };
    uint8_t one = VIRTIO_IOMMU_T_ATTACH;

    g_assert_cmpuint(send_raw(f, unknown, sizeof(unknown), TAIL, NULL), ==,
                     VIRTIO_IOMMU_S_UNSUPP);
    /* Shorter than the request type needs. */
    g_assert_cmpuint(send_raw(f, &m, 12, TAIL, NULL), ==,
                     VIRTIO_IOMMU_S_INVAL);
    g_assert_cmpuint(send_raw(f, &one, 1, TAIL, NULL), ==,
                     VIRTIO_IOMMU_S_INVAL);
    /* A bigger writable part: the status is its last bytes. */
    g_assert_cmpuint(attach(f, 1, EP_A, 0), ==, VIRTIO_IOMMU_S_OK);
    g_assert_cmpuint(send_raw(f, &m, sizeof(m) - TAIL, 64, NULL), ==,
                     VIRTIO_IOMMU_S_OK);
    g_assert_false(virtio_device_is_broken(f->vdev));
}

static void
wait_broken(VirtioDevice *vdev)
{
    /* NEEDS_RESET is set last, after the flag and the log line. */
    for (int i = 0; i < 5000 && !(virtio_device_get_status(vdev) &
                                  VIRTIO_CONFIG_S_NEEDS_RESET); i++)
        g_usleep(1000);
    g_assert_cmpuint(virtio_device_get_status(vdev) &
                     VIRTIO_CONFIG_S_NEEDS_RESET, !=, 0);
    g_assert_true(virtio_device_is_broken(vdev));
}

/* A chain with no room for the status cannot be answered: NEEDS_RESET,
 * and the VMM goes on. */
static void
test_no_tail(Fixture *f, gconstpointer unused)
{
    struct virtio_iommu_req_attach r = {
        .head.type = VIRTIO_IOMMU_T_ATTACH, .endpoint = htole32(EP_A),
    };
    uint64_t a = td_alloc(&f->ring, sizeof(r));

    memcpy(td_ptr(f->mem, a, sizeof(r)), &r, sizeof(r));
    td_publish(&f->ring, td_add_chain(&f->ring, &a,
                                      &(uint32_t){ sizeof(r) }, 1, 1));
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*requestq: request without room*");
    virtio_eventfd_signal(f->vdev->kick_fds[0]);
    wait_broken(f->vdev);
    g_test_assert_expected_messages();
}

/* A device reset forgets domains and mappings and restores bypass. */
static void
test_reset(Fixture *f, gconstpointer unused)
{
    uint8_t off = 0;

    f->vdev->ops->write_config(f->vdev,
                               offsetof(struct virtio_iommu_config, bypass),
                               &off, 1);
    g_assert_cmpuint(attach(f, 1, EP_A, 0), ==, VIRTIO_IOMMU_S_OK);
    g_assert_cmpuint(map(f, 1, 0x0, 0xfff, 0x9000, RW), ==,
                     VIRTIO_IOMMU_S_OK);
    g_assert_cmphex(xlate(f, EP_A, 0x10, 1, false, NULL), ==, 0x9010);
    g_assert_cmphex(xlate(f, EP_B, 0x10, 1, false, NULL), ==, G_MAXUINT64);
    virtio_device_reset(f->vdev);
    g_assert_cmphex(xlate(f, EP_A, 0x10, 1, false, NULL), ==, 0x10);
    g_assert_cmphex(xlate(f, EP_B, 0x10, 1, false, NULL), ==, 0x10);
}

static void
set_bypass(Fixture *f, uint8_t v)
{
    f->vdev->ops->write_config(f->vdev,
                               offsetof(struct virtio_iommu_config, bypass),
                               &v, 1);
}

/*
 * virtio-rng behind the IOMMU, its driver using I/O virtual addresses for
 * its rings and buffers: what it writes lands where the mapping says, and
 * a buffer the IOMMU does not let it write stops the device (NEEDS_RESET)
 * without touching the memory.
 */
static void
test_translated_rng(Fixture *f, gconstpointer unused)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *src = g_build_filename(test_tmpdir(), "entropy", NULL);
    RngConfig cfg = { .src = src };
    uint8_t st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
    uint8_t pattern[64];
    VirtioDevice *rng;
    VirtQueueDma *dma;
    TdRing rr;
    uint64_t a, iova, ro = 0x300000;
    uint32_t len = sizeof(pattern), id, used;
    VirtQueue *vq;

    for (unsigned i = 0; i < sizeof(pattern); i++)
        pattern[i] = (uint8_t)(i * 7 + 1);
    g_assert_true(g_file_set_contents(src, (char *)pattern, sizeof(pattern),
                                      &error));
    rng = virtio_rng_new(fake_host_base(f->host), &cfg, &error);
    g_assert_no_error(error);
    dma = virtio_iommu_dma_new(f->vdev, EP_RNG, &error);
    g_assert_no_error(error);
    g_assert_null(virtio_iommu_dma_new(f->vdev, EP_RNG, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_clear_error(&error);
    virtio_device_set_dma(rng, dma);
    g_assert_cmphex(rng->host_features & (1ULL << VIRTIO_F_ACCESS_PLATFORM),
                    !=, 0);

    /* A driver that ignores ACCESS_PLATFORM would bypass the IOMMU. */
    virtio_device_set_status(rng, st);
    rng->driver_features = rng->host_features &
                           ~(1ULL << VIRTIO_F_ACCESS_PLATFORM);
    virtio_device_set_status(rng, st | VIRTIO_CONFIG_S_FEATURES_OK);
    g_assert_cmpuint(virtio_device_get_status(rng) &
                     VIRTIO_CONFIG_S_FEATURES_OK, ==, 0);
    virtio_device_set_status(rng, 0);

    /* The IOMMU: strict, the rng in domain 1, its ring and buffer area
     * mapped at +IOVA_OFF, one more page read-only. */
    set_bypass(f, 0);
    td_ring_init(&rr, f->mem, 0x200000, 0x80000, QSIZE);
    g_assert_cmpuint(attach(f, 1, EP_RNG, 0), ==, VIRTIO_IOMMU_S_OK);
    g_assert_cmpuint(map(f, 1, 0x200000 + IOVA_OFF, 0x27ffff + IOVA_OFF,
                         0x200000, RW), ==, VIRTIO_IOMMU_S_OK);
    g_assert_cmpuint(map(f, 1, ro + IOVA_OFF, ro + 0xfff + IOVA_OFF, ro,
                         VIRTIO_IOMMU_MAP_F_READ), ==, VIRTIO_IOMMU_S_OK);

    /* The driver's bring-up, with IOVAs in the queue registers. */
    virtio_device_set_status(rng, st);
    rng->driver_features = rng->host_features;
    virtio_device_set_status(rng, st | VIRTIO_CONFIG_S_FEATURES_OK);
    vq = &rng->vqs[0];
    td_ring_program(&rr, vq);
    vq->desc_addr += IOVA_OFF;
    vq->avail_addr += IOVA_OFF;
    vq->used_addr += IOVA_OFF;
    virtio_device_set_status(rng, st | VIRTIO_CONFIG_S_FEATURES_OK |
                                  VIRTIO_CONFIG_S_DRIVER_OK);
    g_assert_false(virtio_device_is_broken(rng));

    a = td_alloc(&rr, sizeof(pattern));
    iova = a + IOVA_OFF;
    td_publish(&rr, td_add_chain(&rr, &iova, &len, 1, 0));
    virtio_eventfd_signal(rng->kick_fds[0]);
    g_assert_true(td_wait_used(&rr, 1, 5000));
    g_assert_true(td_get_used(&rr, &id, &used));
    g_assert_cmpuint(used, ==, sizeof(pattern));
    g_assert_cmpmem(td_ptr(f->mem, a, sizeof(pattern)), sizeof(pattern),
                    pattern, sizeof(pattern));
    /* The dirty log gets guest-physical addresses, not IOVAs. */
    g_assert_true(fake_host_page_dirty(f->host, a));

    /* Writing into the read-only page is refused. */
    memset(td_ptr(f->mem, ro, 16), 0xee, 16);
    len = 16;
    iova = ro + IOVA_OFF;
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*not mapped in the IOMMU*");
    td_publish(&rr, td_add_chain(&rr, &iova, &len, 1, 0));
    virtio_eventfd_signal(rng->kick_fds[0]);
    wait_broken(rng);
    g_test_assert_expected_messages();
    g_assert_cmphex(*(uint8_t *)td_ptr(f->mem, ro, 1), ==, 0xee);
    virtio_device_free(rng);
}

/* Rings the IOMMU does not map: activation fails, NEEDS_RESET. */
static void
test_unmapped_ring(Fixture *f, gconstpointer unused)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *src = g_build_filename(test_tmpdir(), "entropy2", NULL);
    RngConfig cfg = { .src = src };
    VirtioDevice *rng;
    TdRing rr;

    g_assert_true(g_file_set_contents(src, "x", 1, &error));
    rng = virtio_rng_new(fake_host_base(f->host), &cfg, &error);
    g_assert_no_error(error);
    virtio_device_set_dma(rng, virtio_iommu_dma_new(f->vdev, EP_RNG, &error));
    g_assert_no_error(error);
    set_bypass(f, 0);
    td_ring_init(&rr, f->mem, 0x200000, 0x80000, QSIZE);
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*ring not mapped*");
    td_device_start(rng, &rr, 1);
    wait_broken(rng);
    g_test_assert_expected_messages();
    virtio_device_free(rng);
}

/* Gives the eventq one device-writable buffer of @len bytes. */
static uint64_t
post_event_buffer(Fixture *f, uint32_t len)
{
    uint64_t a = td_alloc(&f->events, len);

    td_publish(&f->events, td_add_chain(&f->events, &a, &len, 1, 0));
    return a;
}

/* The FAULT event of a blocked access, read from the eventq. */
static void
check_fault(Fixture *f, uint64_t buf, uint8_t reason, uint32_t flags,
            uint32_t ep, uint64_t iova)
{
    struct virtio_iommu_fault ev;
    uint32_t id, used;

    g_assert_true(td_get_used(&f->events, &id, &used));
    g_assert_cmpuint(used, ==, sizeof(ev));
    memcpy(&ev, td_ptr(f->mem, buf, sizeof(ev)), sizeof(ev));
    g_assert_cmpuint(ev.reason, ==, reason);
    g_assert_cmphex(le32toh(ev.flags), ==,
                    flags | VIRTIO_IOMMU_FAULT_F_ADDRESS);
    g_assert_cmphex(le32toh(ev.endpoint), ==, ep);
    g_assert_cmphex(le64toh(ev.address), ==, iova);
}

/* §5.13.6.9: blocked accesses become FAULT events while the driver
 * gives buffers; without one they go unreported; a buffer too small
 * for an event breaks the device. */
static void
test_fault_events(Fixture *f, gconstpointer unused)
{
    uint64_t b0, b1;
    uint32_t id, used;

    set_bypass(f, 0);
    g_assert_cmpuint(attach(f, 1, EP_A, 0), ==, VIRTIO_IOMMU_S_OK);
    g_assert_cmpuint(map(f, 1, 0x8000, 0x8fff, 0x8000,
                         VIRTIO_IOMMU_MAP_F_READ), ==, VIRTIO_IOMMU_S_OK);
    b0 = post_event_buffer(f, sizeof(struct virtio_iommu_fault));
    b1 = post_event_buffer(f, 64);
    /* No mapping: a MAPPING fault; not attached: a DOMAIN one. */
    g_assert_cmphex(xlate(f, EP_A, 0x5000, 8, true, NULL), ==, G_MAXUINT64);
    check_fault(f, b0, VIRTIO_IOMMU_FAULT_R_MAPPING,
                VIRTIO_IOMMU_FAULT_F_WRITE, EP_A, 0x5000);
    g_assert_cmphex(xlate(f, EP_B, 0x6000, 8, false, NULL), ==, G_MAXUINT64);
    check_fault(f, b1, VIRTIO_IOMMU_FAULT_R_DOMAIN,
                VIRTIO_IOMMU_FAULT_F_READ, EP_B, 0x6000);
    /* A write to a read-only mapping with no buffer left: unreported,
     * and nothing breaks. */
    g_assert_cmphex(xlate(f, EP_A, 0x8010, 1, true, NULL), ==, G_MAXUINT64);
    g_assert_false(td_get_used(&f->events, &id, &used));
    g_assert_false(virtio_device_is_broken(f->vdev));
    g_assert_cmphex(xlate(f, EP_A, 0x8010, 1, false, NULL), ==, 0x8010);

    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*eventq: buffer not a writable 24 bytes*");
    post_event_buffer(f, 8);
    g_assert_cmphex(xlate(f, EP_A, 0x9000, 1, false, NULL), ==, G_MAXUINT64);
    wait_broken(f->vdev);
    g_test_assert_expected_messages();
}

static void
test_bad_width(void)
{
    g_autoptr(GError) error = NULL;

    g_assert_null(virtio_iommu_new(NULL, VIRTIO_IOMMU_ID, 8, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "address width 8"));
}

#define ADD(path, fn)                                                         \
    g_test_add("/virtio/iommu/" path, Fixture, NULL, fixture_setup, fn,      \
               fixture_teardown)

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("config-bypass", test_config_bypass);
    ADD("map-translate", test_map_translate);
    ADD("unmap", test_unmap);
    ADD("attach-detach", test_attach_detach);
    ADD("probe", test_probe);
    ADD("malformed", test_malformed);
    ADD("no-tail", test_no_tail);
    ADD("reset", test_reset);
    ADD("translated-rng", test_translated_rng);
    ADD("unmapped-ring", test_unmapped_ring);
    ADD("fault-events", test_fault_events);
    g_test_add_func("/virtio/iommu/bad-width", test_bad_width);
    return g_test_run();
}

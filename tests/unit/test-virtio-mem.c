/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for virtio-mem: its --memory keys, requests against the region, resize, state. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mem.h>

#include "daemon/memory.h"
#include "devices/virtio/mem.h"
#include "devices/virtio/worker.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define MiB (1ULL << 20)
#define BLOCK (2 * MiB)
/* Rings in RAM at 0; the hotplug region: 4 blocks at 16 MiB. */
#define RAM_SIZE (4 * MiB)
#define HP_BASE (16 * MiB)
#define HP_SIZE (4 * BLOCK)
#define QSIZE 16

typedef struct {
    GuestMemory *mem;
    FakeHost *host;
    VirtioDevice *vdev;
    VirtQueueElem *elem;
    TdRing ring;
} Fixture;

static void
fixture_init(Fixture *f, uint64_t requested)
{
    static const MemoryConfig mc = { .thp = false };
    const GuestRange ranges[] = {
        { .start = 0, .size = RAM_SIZE },
        { .start = HP_BASE, .size = HP_SIZE, .hotplug = true },
    };
    g_autoptr(GError) error = NULL;

    f->mem = guest_memory_new(&mc, ranges, G_N_ELEMENTS(ranges), &error);
    g_assert_no_error(error);
    f->host = fake_host_new_with_memory(f->mem);
    f->vdev = virtio_mem_new(fake_host_base(f->host), VIRTIO_MEM_DEVICE_ID,
                             requested, &error);
    g_assert_no_error(error);
    g_assert_true(virtio_mem_is(f->vdev));
    f->elem = virtqueue_elem_new(4);
}

static void
fixture_clear(Fixture *f)
{
    virtqueue_elem_free(f->elem);
    virtio_device_free(f->vdev);
    fake_host_free(f->host);
    guest_memory_free(f->mem);
}

/* One request straight through the handler: returns the response type,
 * its state in *@state when not NULL. */
static uint16_t
request(Fixture *f, uint16_t type, uint64_t addr, uint16_t nb,
        uint16_t *state)
{
    struct virtio_mem_req req = {
        .type = GUINT16_TO_LE(type),
        .u.plug = { .addr = GUINT64_TO_LE(addr),
                    .nb_blocks = GUINT16_TO_LE(nb) },
    };
    struct virtio_mem_resp resp;
    VirtQueueElem *e = f->elem;

    memset(&resp, 0xee, sizeof(resp));
    e->iov[0] = (struct iovec){ &req, sizeof(req) };
    e->iov[1] = (struct iovec){ &resp, sizeof(resp) };
    e->out_num = e->in_num = 1;
    e->out_len = sizeof(req);
    e->in_len = sizeof(resp);
    g_assert_cmpint(virtio_mem_handle(f->vdev, e), ==, sizeof(resp));
    if (state)
        *state = GUINT16_FROM_LE(resp.u.state.state);
    return GUINT16_FROM_LE(resp.type);
}

static uint64_t
config64(VirtioDevice *vdev, uint32_t off)
{
    uint64_t v = 0;

    vdev->ops->read_config(vdev, off, &v, 8);
    return GUINT64_FROM_LE(v);
}

static void
test_config_space(void)
{
    Fixture f = { 0 };

    fixture_init(&f, BLOCK);
    g_assert_cmpuint(f.vdev->ops->device_type, ==, VIRTIO_ID_MEM);
    g_assert_cmpuint(config64(f.vdev, 0), ==, BLOCK);
    g_assert_cmpuint(config64(f.vdev, 16), ==, HP_BASE);
    g_assert_cmpuint(config64(f.vdev, 24), ==, HP_SIZE);
    g_assert_cmpuint(config64(f.vdev, 32), ==, HP_SIZE);
    g_assert_cmpuint(config64(f.vdev, 40), ==, 0);        /* plugged */
    g_assert_cmpuint(config64(f.vdev, 48), ==, BLOCK);    /* requested */
    fixture_clear(&f);
}

/* A memory zone's device: the region at the GPA given (of two), its
 * NUMA node offered as VIRTIO_MEM_F_ACPI_PXM with node_id; without a
 * node, neither. */
static void
test_zone_region(void)
{
    static const MemoryConfig mc = { .thp = false };
    const GuestRange ranges[] = {
        { .start = 0, .size = RAM_SIZE },
        { .start = HP_BASE, .size = HP_SIZE, .hotplug = true },
        { .start = 2 * HP_BASE, .size = 2 * HP_SIZE, .hotplug = true },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(GuestMemory) mem = guest_memory_new(&mc, ranges, 3, &error);
    g_autoptr(FakeHost) host = NULL;
    VirtioDevice *a, *b;

    g_assert_no_error(error);
    host = fake_host_new_with_memory(mem);
    a = virtio_mem_new_at(fake_host_base(host), "z0", HP_BASE, -1, 0,
                          &error);
    g_assert_no_error(error);
    b = virtio_mem_new_at(fake_host_base(host), "z1", 2 * HP_BASE, 3, BLOCK,
                          &error);
    g_assert_no_error(error);
    g_assert_cmpuint(config64(a, 16), ==, HP_BASE);
    g_assert_cmpuint(config64(a, 24), ==, HP_SIZE);
    g_assert_false(a->host_features & (1ULL << VIRTIO_MEM_F_ACPI_PXM));
    g_assert_cmpuint(config64(b, 16), ==, 2 * HP_BASE);
    g_assert_cmpuint(config64(b, 24), ==, 2 * HP_SIZE);
    g_assert_cmpuint(config64(b, 48), ==, BLOCK);
    g_assert_true(b->host_features & (1ULL << VIRTIO_MEM_F_ACPI_PXM));
    /* node_id: the __le16 at offset 8 (struct virtio_mem_config). */
    g_assert_cmpuint(config64(b, 8) & 0xffff, ==, 3);
    virtio_device_free(a);
    virtio_device_free(b);
    /* Not the start of a hotplug region (RAM, or inside one). */
    g_assert_null(virtio_mem_new_at(fake_host_base(host), "z", 0, -1, 0,
                                    &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_null(virtio_mem_new_at(fake_host_base(host), "z",
                                    HP_BASE + BLOCK, -1, 0, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* PLUG up to requested_size; beyond it NACK; bad ranges ERROR. */
static void
test_plug(void)
{
    Fixture f = { 0 };
    uint16_t st;

    fixture_init(&f, 2 * BLOCK);
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_PLUG, HP_BASE, 1, NULL), ==,
                     VIRTIO_MEM_RESP_ACK);
    g_assert_cmpuint(virtio_mem_plugged(f.vdev), ==, BLOCK);
    g_assert_cmpuint(config64(f.vdev, 40), ==, BLOCK);
    /* Already plugged. */
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_PLUG, HP_BASE, 1, NULL), ==,
                     VIRTIO_MEM_RESP_ERROR);
    /* Two more would exceed the 2 requested. */
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_PLUG, HP_BASE + BLOCK, 2,
                             NULL), ==, VIRTIO_MEM_RESP_NACK);
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_PLUG, HP_BASE + 3 * BLOCK, 1,
                             NULL), ==, VIRTIO_MEM_RESP_ACK);
    /* Misaligned, empty, before, past and wrapping around the region. */
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_PLUG, HP_BASE + 4096, 1,
                             NULL), ==, VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_PLUG, HP_BASE + BLOCK, 0,
                             NULL), ==, VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_PLUG, HP_BASE - BLOCK, 1,
                             NULL), ==, VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_PLUG, HP_BASE + 3 * BLOCK, 2,
                             NULL), ==, VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_PLUG, HP_BASE + HP_SIZE, 1,
                             NULL), ==, VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_PLUG,
                             G_MAXUINT64 - BLOCK + 1, 0xffff, NULL), ==,
                     VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpuint(request(&f, 77, HP_BASE, 1, NULL), ==,
                     VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpuint(virtio_mem_plugged(f.vdev), ==, 2 * BLOCK);
    /* STATE of plugged, unplugged and mixed ranges. */
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_STATE, HP_BASE, 1, &st), ==,
                     VIRTIO_MEM_RESP_ACK);
    g_assert_cmpuint(st, ==, VIRTIO_MEM_STATE_PLUGGED);
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_STATE, HP_BASE + BLOCK, 2,
                             &st), ==, VIRTIO_MEM_RESP_ACK);
    g_assert_cmpuint(st, ==, VIRTIO_MEM_STATE_UNPLUGGED);
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_STATE, HP_BASE, 4, &st), ==,
                     VIRTIO_MEM_RESP_ACK);
    g_assert_cmpuint(st, ==, VIRTIO_MEM_STATE_MIXED);
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_STATE, HP_BASE, 5, &st), ==,
                     VIRTIO_MEM_RESP_ERROR);
    fixture_clear(&f);
}

/* UNPLUG drops the block's pages (zeroes, marked dirty); UNPLUG_ALL
 * every block. */
static void
test_unplug(void)
{
    Fixture f = { 0 };
    uint8_t *p;

    fixture_init(&f, HP_SIZE);
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_PLUG, HP_BASE, 4, NULL), ==,
                     VIRTIO_MEM_RESP_ACK);
    p = guest_mem_ptr(f.mem, HP_BASE, HP_SIZE);
    g_assert_nonnull(p);
    memset(p, 0x5a, HP_SIZE);
    fake_host_dirty_clear(f.host);
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_UNPLUG, HP_BASE + BLOCK, 1,
                             NULL), ==, VIRTIO_MEM_RESP_ACK);
    g_assert_cmpuint(p[BLOCK], ==, 0);
    g_assert_cmpuint(p[2 * BLOCK - 1], ==, 0);
    g_assert_cmpuint(p[BLOCK - 1], ==, 0x5a);
    g_assert_cmpuint(p[2 * BLOCK], ==, 0x5a);
    g_assert_true(fake_host_page_dirty(f.host, HP_BASE + BLOCK));
    g_assert_false(fake_host_page_dirty(f.host, HP_BASE));
    g_assert_cmpuint(virtio_mem_plugged(f.vdev), ==, 3 * BLOCK);
    /* Not all plugged: refused, nothing dropped. */
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_UNPLUG, HP_BASE, 2, NULL), ==,
                     VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpuint(p[0], ==, 0x5a);
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0, NULL), ==,
                     VIRTIO_MEM_RESP_ACK);
    g_assert_cmpuint(virtio_mem_plugged(f.vdev), ==, 0);
    g_assert_cmpuint(p[0], ==, 0);
    g_assert_cmpuint(p[HP_SIZE - 1], ==, 0);
    fixture_clear(&f);
}

/* The host's target: block-aligned inside the region, else refused and
 * unchanged. */
static void
test_set_requested(void)
{
    Fixture f = { 0 };
    g_autoptr(GError) error = NULL;

    fixture_init(&f, 0);
    g_assert_true(virtio_mem_set_requested(f.vdev, 3 * BLOCK, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(config64(f.vdev, 48), ==, 3 * BLOCK);
    g_assert_false(virtio_mem_set_requested(f.vdev, BLOCK + 4096, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_false(virtio_mem_set_requested(f.vdev, HP_SIZE + BLOCK, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_cmpuint(virtio_mem_requested(f.vdev), ==, 3 * BLOCK);
    fixture_clear(&f);
}

/* No hotplug region, or a request beyond it: no device. */
static void
test_new_refusals(void)
{
    g_autoptr(FakeHost) host = fake_host_new(RAM_SIZE);
    g_autoptr(GError) error = NULL;
    Fixture f = { 0 };

    g_assert_null(virtio_mem_new(fake_host_base(host), "m", 0, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "no usable memory hotplug"));
    g_clear_error(&error);
    fixture_init(&f, 0);
    g_assert_null(virtio_mem_new(fake_host_base(f.host), "m", HP_SIZE + BLOCK,
                                 &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    fixture_clear(&f);
}

/* Through the queue and its worker: an answered request, then a chain
 * with no room for the response breaks the device (never the VMM). */
static void
test_queue(void)
{
    Fixture f = { 0 };
    struct virtio_mem_req req = {
        .type = GUINT16_TO_LE(VIRTIO_MEM_REQ_PLUG),
        .u.plug = { .addr = GUINT64_TO_LE(HP_BASE),
                    .nb_blocks = GUINT16_TO_LE(1) },
    };
    uint64_t a[2];
    uint32_t len[2] = { sizeof(req), VIRTIO_MEM_RESP_SIZE };
    uint32_t id, used;
    struct virtio_mem_resp resp;

    fixture_init(&f, BLOCK);
    td_ring_init(&f.ring, f.mem, 0x10000, 0x40000, QSIZE);
    td_device_start(f.vdev, &f.ring, 1);
    a[0] = td_alloc(&f.ring, len[0]);
    a[1] = td_alloc(&f.ring, len[1]);
    memcpy(td_ptr(f.mem, a[0], len[0]), &req, sizeof(req));
    td_publish(&f.ring, td_add_chain(&f.ring, a, len, 2, 1));
    virtio_eventfd_signal(f.vdev->kick_fds[0]);
    g_assert_true(td_wait_used(&f.ring, 1, 5000));
    g_assert_true(td_get_used(&f.ring, &id, &used));
    g_assert_cmpuint(used, ==, VIRTIO_MEM_RESP_SIZE);
    memcpy(&resp, td_ptr(f.mem, a[1], sizeof(resp)), sizeof(resp));
    g_assert_cmpuint(GUINT16_FROM_LE(resp.type), ==, VIRTIO_MEM_RESP_ACK);
    g_assert_true(fake_host_page_dirty(f.host, a[1]));
    g_assert_cmpuint(virtio_mem_plugged(f.vdev), ==, BLOCK);
    /* The request alone. */
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*request chain of 24+0 bytes*needs reset");
    td_publish(&f.ring, td_add_chain(&f.ring, a, len, 1, 1));
    virtio_eventfd_signal(f.vdev->kick_fds[0]);
    /* NEEDS_RESET is set last, after the flag and the log line. */
    for (int i = 0; i < 5000 && !(virtio_device_get_status(f.vdev) &
                                  VIRTIO_CONFIG_S_NEEDS_RESET); i++)
        g_usleep(1000);
    g_assert_true(virtio_device_is_broken(f.vdev));
    fixture_clear(&f);
    g_test_assert_expected_messages();
}

/* Snapshot state: save → restore into a fresh device gives the same
 * blocks and target; a bitmap with bits past the region is cut. */
static void
test_state(void)
{
    Fixture f = { 0 }, g = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) st = NULL;
    g_autoptr(JsonNode) bad = NULL;
    uint16_t s;

    fixture_init(&f, 3 * BLOCK);
    g_assert_cmpuint(request(&f, VIRTIO_MEM_REQ_PLUG, HP_BASE + BLOCK, 2,
                             NULL), ==, VIRTIO_MEM_RESP_ACK);
    st = virtio_device_save(f.vdev);
    fixture_init(&g, 0);
    g_assert_true(virtio_device_restore(g.vdev, st, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(virtio_mem_plugged(g.vdev), ==, 2 * BLOCK);
    g_assert_cmpuint(virtio_mem_requested(g.vdev), ==, 3 * BLOCK);
    g_assert_cmpuint(request(&g, VIRTIO_MEM_REQ_STATE, HP_BASE + BLOCK, 2,
                             &s), ==, VIRTIO_MEM_RESP_ACK);
    g_assert_cmpuint(s, ==, VIRTIO_MEM_STATE_PLUGGED);
    g_assert_cmpuint(request(&g, VIRTIO_MEM_REQ_STATE, HP_BASE, 1, &s), ==,
                     VIRTIO_MEM_RESP_ACK);
    g_assert_cmpuint(s, ==, VIRTIO_MEM_STATE_UNPLUGGED);
    /* A target beyond the region is refused by the reader. */
    bad = json_node_copy(st);
    json_object_set_int_member(
        json_object_get_object_member(json_node_get_object(bad), "device"),
        "requested_size", (gint64)(HP_SIZE + BLOCK));
    g_assert_false(virtio_device_restore(g.vdev, bad, &error));
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, "requested_size"));
    g_assert_cmpuint(virtio_mem_requested(g.vdev), ==, 3 * BLOCK);
    fixture_clear(&g);
    fixture_clear(&f);
}

/* --memory: the hotplug keys and their rules. */
static void
test_memory_config(void)
{
    static const struct {
        const char *cli;
        const char *message;
    } bad[] = {
        { "size=512M,hotplug_size=1G,hotplugged_size=64M",
          "multiple of the 128 MiB DIMM slot" },
        { "size=512M,hotplug_method=virtio-mem,hotplug_size=100M",
          "must be a multiple of 128 MiB" },
        { "size=512M,hotplug_method=virtio-mem,hotplug_size=2T",
          "must be a multiple of 128 MiB, at most 1 TiB" },
        { "size=512M,hotplug_method=virtio-mem,hotplug_size=1G,"
          "hotplugged_size=3M", "hotplugged_size=3145728 must be a multiple" },
        { "size=512M,hotplug_method=virtio-mem,hotplug_size=1G,"
          "hotplugged_size=2G", "at most hotplug_size" },
        { "size=512M,hotplugged_size=2M", "needs hotplug_size" },
        { "size=512M,hotplug_method=virtio-mem,hotplug_size=1G,"
          "hugepages=on", "hotplug_size with hugepages=" },
        { "size=512M,hotplug_method=dimm", "expected acpi or virtio-mem" },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_new();
    g_autoptr(VmConfig) back = NULL;
    g_autofree char *json = NULL;

    c->payload.kernel = g_strdup("vmlinux");
    g_assert_true(vm_config_parse_memory(&c->memory, "size=512M,"
                                         "hotplug_method=virtio-mem,"
                                         "hotplug_size=1G,"
                                         "hotplugged_size=256M", &error));
    g_assert_no_error(error);
    g_assert_true(vm_config_validate(c, &error));
    g_assert_no_error(error);
    g_assert_cmpint(c->memory.hotplug_method, ==, MEMORY_HOTPLUG_VIRTIO_MEM);
    json = vm_config_to_json(c, false);
    g_assert_nonnull(strstr(json, "\"hotplug_size\":1073741824"));
    g_assert_nonnull(strstr(json, "\"hotplugged_size\":268435456"));
    g_assert_nonnull(strstr(json, "\"hotplug_method\":\"VirtioMem\""));
    back = vm_config_from_json(json, -1, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(back->memory.hotplug_size, ==, 1ULL << 30);
    g_assert_cmpuint(back->memory.hotplugged_size, ==, 256 * MiB);
    g_assert_cmpint(back->memory.hotplug_method, ==,
                    MEMORY_HOTPLUG_VIRTIO_MEM);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(VmConfig) b = vm_config_new();

        b->payload.kernel = g_strdup("vmlinux");
        if (vm_config_parse_memory(&b->memory, bad[i].cli, &error))
            g_assert_false(vm_config_validate(b, &error));
        g_test_message("%s -> %s", bad[i].cli,
                       error ? error->message : "(accepted)");
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error->message, bad[i].message));
        g_clear_error(&error);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-mem/config-space", test_config_space);
    g_test_add_func("/virtio-mem/zone-region", test_zone_region);
    g_test_add_func("/virtio-mem/plug", test_plug);
    g_test_add_func("/virtio-mem/unplug", test_unplug);
    g_test_add_func("/virtio-mem/set-requested", test_set_requested);
    g_test_add_func("/virtio-mem/new-refusals", test_new_refusals);
    g_test_add_func("/virtio-mem/queue", test_queue);
    g_test_add_func("/virtio-mem/state", test_state);
    g_test_add_func("/virtio-mem/memory-config", test_memory_config);
    return g_test_run();
}

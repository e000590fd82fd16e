/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for virtio-balloon: its config kind, inflation, statistics, free page reporting. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>
#include <linux/virtio_balloon.h>

#include "devices/registry.h"
#include "devices/virtio/balloon.h"
#include "devices/virtio/worker.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define QSIZE 16
#define PAGE 4096u

static const VmConfigKind *
kind(void)
{
    return virtio_balloon_type.kind;
}

/* A config with a kernel (validation wants a payload) and @cli as
 * --balloon; NULL with @error set when parsing or validation fails. */
static VmConfig *
config_with(const char *cli, GError **error)
{
    g_autoptr(VmConfig) c = vm_config_new();
    gpointer entry = vm_config_kind_parse_cli(kind(), cli, error);

    if (!entry)
        return NULL;
    c->payload.kernel = g_strdup("vmlinux");
    vm_config_kind_append(c, kind(), entry);
    if (!vm_config_validate(c, error))
        return NULL;
    return g_steal_pointer(&c);
}

/* The config half: CLI, JSON both ways, defaults, rules. */
static void
test_config(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = config_with("size=1M,deflate_on_oom=on", &error);
    g_autoptr(VmConfig) back = NULL;
    g_autofree char *json = NULL;

    g_assert_no_error(error);
    g_assert_cmpuint(vm_config_kind_count(c, kind()), ==, 1);
    g_assert_cmpstr(vm_config_kind_id(kind(), vm_config_kind_entry(c, kind(),
                                                                   0)),
                    ==, "__balloon");
    json = vm_config_to_json(c, false);
    g_assert_nonnull(strstr(json, "\"balloon\":{\"id\":\"__balloon\","));
    g_assert_nonnull(strstr(json, "\"size\":1048576,\"deflate_on_oom\":true,"
                            "\"free_page_reporting\":false}"));
    back = vm_config_from_json(json, -1, &error);
    g_assert_no_error(error);
    g_assert_true(vm_config_validate(back, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(vm_config_kind_count(back, kind()), ==, 1);
    g_clear_pointer(&json, g_free);
    json = vm_config_to_json(back, false);
    g_assert_nonnull(strstr(json, "\"size\":1048576,\"deflate_on_oom\":true"));
}

static void
test_config_refusals(void)
{
    static const struct {
        const char *json;
        const char *message;
    } bad[] = {
        { "{\"payload\":{\"kernel\":\"k\"},\"balloon\":[]}",
          "balloon: expected an object" },
        { "{\"payload\":{\"kernel\":\"k\"},\"balloon\":{}}",
          "balloon.size: required field missing" },
        { "{\"payload\":{\"kernel\":\"k\"},\"balloon\":{\"size\":-1}}",
          "balloon.size: expected an integer" },
        { "{\"payload\":{\"kernel\":\"k\"},\"balloon\":{\"size\":0,"
          "\"iommu\":true}}",
          "balloon.iommu: refused: a virtio-balloon cannot be put behind" },
        { "{\"payload\":{\"kernel\":\"k\"},\"balloon\":{\"size\":0,"
          "\"bogus\":1}}", "balloon.bogus: unknown field" },
        { "{\"payload\":{\"kernel\":\"k\"},\"balloon\":{\"size\":536870912}}",
          "balloon: size=536870912 must be smaller than the guest RAM" },
        { "{\"payload\":{\"kernel\":\"k\"},\"balloon\":{\"size\":0,"
          "\"id\":\"__x\"}}", "balloon: id '__x' is reserved" },
        { "{\"payload\":{\"kernel\":\"k\"},\"balloon\":{\"size\":0,"
          "\"id\":\"d\"},\"disks\":[{\"path\":\"/x\",\"id\":\"d\"}]}",
          "already used by" },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) none = NULL;

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(VmConfig) c = vm_config_from_json(bad[i].json, -1, &error);

        if (c)
            g_assert_false(vm_config_validate(c, &error));
        g_test_message("%s -> %s", bad[i].json,
                       error ? error->message : "(accepted)");
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error->message, bad[i].message));
        g_clear_error(&error);
    }
    /* null: no balloon, as CH writes it. */
    none = vm_config_from_json("{\"payload\":{\"kernel\":\"k\"},"
                               "\"balloon\":null}", -1, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(vm_config_kind_count(none, kind()), ==, 0);
}

typedef struct {
    GuestMemory *mem;
    FakeHost *host;
    VirtioDevice *vdev;
    TdRing rings[4];
} Fixture;

static void
fixture_start(Fixture *f, const char *cli)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = config_with(cli, &error);

    g_assert_no_error(error);
    f->mem = td_memory_new();
    f->host = fake_host_new_with_memory(f->mem);
    f->vdev = virtio_balloon_new(fake_host_base(f->host),
                                 vm_config_kind_entry(c, kind(), 0), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(f->vdev->ops->device_type, ==, VIRTIO_ID_BALLOON);
    for (unsigned q = 0; q < f->vdev->nvqs; q++)
        td_ring_init(&f->rings[q], f->mem, 0x10000 + q * 0x40000, 0x40000,
                     QSIZE);
    td_device_start(f->vdev, f->rings, f->vdev->nvqs);
}

static void
fixture_stop(Fixture *f)
{
    virtio_device_free(f->vdev);
    fake_host_free(f->host);
    guest_memory_free(f->mem);
}

/* Posts @n out buffers of @len bytes (filled from @data) as one chain
 * on queue @q, kicks it and returns the head. */
static uint16_t
post(Fixture *f, unsigned q, const void *data, uint32_t len, bool writable)
{
    uint64_t a = td_alloc(&f->rings[q], len);
    uint16_t head;

    memcpy(td_ptr(f->mem, a, len), data, len);
    head = td_add_chain(&f->rings[q], &a, &len, 1, writable ? 0 : 1);
    td_publish(&f->rings[q], head);
    virtio_eventfd_signal(f->vdev->kick_fds[q]);
    return head;
}

static uint32_t
config32(VirtioDevice *vdev, uint32_t off)
{
    uint32_t v = 0;

    vdev->ops->read_config(vdev, off, &v, 4);
    return GUINT32_FROM_LE(v);
}

static void
test_features_and_config(void)
{
    Fixture f = { 0 };
    uint32_t actual = GUINT32_TO_LE(7);

    fixture_start(&f, "size=1M,deflate_on_oom=on,free_page_reporting=on");
    g_assert_true(virtio_has_feature(f.vdev, VIRTIO_BALLOON_F_STATS_VQ));
    g_assert_true(virtio_has_feature(f.vdev, VIRTIO_BALLOON_F_DEFLATE_ON_OOM));
    g_assert_true(virtio_has_feature(f.vdev, VIRTIO_BALLOON_F_REPORTING));
    g_assert_cmpuint(f.vdev->nvqs, ==, 4);
    g_assert_cmpuint(config32(f.vdev, 0), ==, 256);     /* 1 MiB in pages */
    f.vdev->ops->write_config(f.vdev, 4, &actual, 4);
    g_assert_cmpuint(config32(f.vdev, 4), ==, 7);
    g_assert_cmpuint(virtio_balloon_actual(f.vdev), ==, 7 * PAGE);
    /* num_pages is the host's: a driver write is ignored. */
    f.vdev->ops->write_config(f.vdev, 0, &actual, 4);
    g_assert_cmpuint(config32(f.vdev, 0), ==, 256);
    virtio_balloon_set_target(f.vdev, 8 * PAGE + 100);
    g_assert_cmpuint(config32(f.vdev, 0), ==, 8);
    fixture_stop(&f);

    fixture_start(&f, "size=0");
    g_assert_false(virtio_has_feature(f.vdev, VIRTIO_BALLOON_F_DEFLATE_ON_OOM));
    g_assert_false(virtio_has_feature(f.vdev, VIRTIO_BALLOON_F_REPORTING));
    g_assert_cmpuint(f.vdev->nvqs, ==, 3);
    fixture_stop(&f);
}

/* Inflated pages are dropped (read back as zeroes) and marked dirty; a
 * page outside RAM is skipped; deflation changes nothing. */
static void
test_inflate_deflate(void)
{
    Fixture f = { 0 };
    const uint64_t pages[] = { 0x300000, 0x301000, 0x302000, 0x380000 };
    uint32_t pfns[G_N_ELEMENTS(pages) + 1];
    g_autoptr(JsonNode) counters = NULL;
    uint32_t id, len;

    fixture_start(&f, "size=1M");
    for (guint i = 0; i < G_N_ELEMENTS(pages); i++) {
        memset(td_ptr(f.mem, pages[i], PAGE), 0x5a, PAGE);
        pfns[i] = GUINT32_TO_LE((uint32_t)(pages[i] / PAGE));
    }
    pfns[G_N_ELEMENTS(pages)] = GUINT32_TO_LE(TD_HOLE / PAGE);
    fake_host_dirty_clear(f.host);
    post(&f, 0, pfns, sizeof(pfns), false);
    g_assert_true(td_wait_used(&f.rings[0], 1, 5000));
    g_assert_true(td_get_used(&f.rings[0], &id, &len));
    g_assert_cmpuint(len, ==, 0);
    for (guint i = 0; i < G_N_ELEMENTS(pages); i++) {
        const uint8_t *p = td_ptr(f.mem, pages[i], PAGE);

        g_assert_cmpuint(p[0], ==, 0);
        g_assert_cmpuint(p[PAGE - 1], ==, 0);
        g_assert_true(fake_host_page_dirty(f.host, pages[i]));
    }
    /* The page after the run was left alone. */
    g_assert_cmpuint(*(uint8_t *)td_ptr(f.mem, 0x303000, 1), !=, 0x5a);
    post(&f, 1, pfns, 8, false);
    g_assert_true(td_wait_used(&f.rings[1], 1, 5000));
    counters = f.vdev->ops->counters(f.vdev);
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(counters),
                                               "inflated_pages"), ==, 5);
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(counters),
                                               "deflated_pages"), ==, 2);
    g_assert_false(virtio_device_is_broken(f.vdev));
    fixture_stop(&f);
}

static gboolean
json_has(JsonNode *n, const char *member)
{
    return json_object_has_member(json_node_get_object(n), member);
}

/* The stats buffer is kept until the host wants fresh numbers. */
static void
test_stats(void)
{
    Fixture f = { 0 };
    uint8_t rec[20];
    uint16_t tag;
    uint64_t val;
    uint32_t id, len;
    uint16_t head;
    g_autoptr(JsonNode) first = NULL;
    g_autoptr(JsonNode) second = NULL;

    fixture_start(&f, "size=0");
    tag = GUINT16_TO_LE(VIRTIO_BALLOON_S_MEMFREE);
    val = GUINT64_TO_LE(12345);
    memcpy(rec, &tag, 2);
    memcpy(rec + 2, &val, 8);
    tag = GUINT16_TO_LE(VIRTIO_BALLOON_S_MEMTOT);
    val = GUINT64_TO_LE(99999);
    memcpy(rec + 10, &tag, 2);
    memcpy(rec + 12, &val, 8);
    head = post(&f, 2, rec, sizeof(rec), false);
    /* Held: nothing comes back until the host asks. */
    g_assert_false(td_wait_used(&f.rings[2], 1, 200));
    /* The worker reads it when it gets to it (a slow machine, a
     * sanitizer build); asking before that gives nothing back. */
    for (int i = 0; i < 5000; i++) {
        g_clear_pointer(&first, json_node_unref);
        first = f.vdev->ops->counters(f.vdev);
        if (json_has(first, "free_memory"))
            break;
        g_usleep(1000);
    }
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(first),
                                               "free_memory"), ==, 12345);
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(first),
                                               "total_memory"), ==, 99999);
    g_assert_false(json_has(first, "swap_in"));
    /* Asking for counters handed the buffer back to the driver. */
    g_assert_true(td_wait_used(&f.rings[2], 1, 5000));
    g_assert_true(td_get_used(&f.rings[2], &id, &len));
    g_assert_cmpuint(id, ==, head);
    g_assert_cmpuint(len, ==, 0);
    second = f.vdev->ops->counters(f.vdev);
    g_assert_true(json_has(second, "free_memory"));
    fixture_stop(&f);
}

/* Reported free pages (device-writable buffers, as Linux posts them) are
 * dropped and the buffer returned at once. */
static void
test_free_page_reporting(void)
{
    Fixture f = { 0 };
    uint64_t a;
    uint32_t len = 2 * PAGE, id, used;
    uint16_t head;

    fixture_start(&f, "size=0,free_page_reporting=on");
    a = 0x200000;
    memset(td_ptr(f.mem, a, len), 0x77, len);
    head = td_add_chain(&f.rings[3], &a, &len, 1, 0);
    td_publish(&f.rings[3], head);
    virtio_eventfd_signal(f.vdev->kick_fds[3]);
    g_assert_true(td_wait_used(&f.rings[3], 1, 5000));
    g_assert_true(td_get_used(&f.rings[3], &id, &used));
    g_assert_cmpuint(used, ==, 0);
    g_assert_cmpuint(*(uint8_t *)td_ptr(f.mem, a + PAGE, 1), ==, 0);
    g_assert_true(fake_host_page_dirty(f.host, a + PAGE));
    fixture_stop(&f);
}

/* A device-writable buffer on inflateq breaks the device, not the VMM. */
static void
test_bad_buffer(void)
{
    Fixture f = { 0 };
    uint32_t pfn = 0x300;

    fixture_start(&f, "size=0");
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*queue 0: device-writable buffer*needs reset");
    post(&f, 0, &pfn, 4, true);
    /* NEEDS_RESET is set last, after the flag and the log line. */
    for (int i = 0; i < 5000 && !(virtio_device_get_status(f.vdev) &
                                  VIRTIO_CONFIG_S_NEEDS_RESET); i++)
        g_usleep(1000);
    g_assert_cmpuint(virtio_device_get_status(f.vdev) &
                     VIRTIO_CONFIG_S_NEEDS_RESET, !=, 0);
    g_assert_true(virtio_device_is_broken(f.vdev));
    fixture_stop(&f);
    g_test_assert_expected_messages();
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/virtio-balloon/config", test_config);
    g_test_add_func("/virtio-balloon/config-refusals", test_config_refusals);
    g_test_add_func("/virtio-balloon/features-and-config",
                    test_features_and_config);
    g_test_add_func("/virtio-balloon/inflate-deflate", test_inflate_deflate);
    g_test_add_func("/virtio-balloon/stats", test_stats);
    g_test_add_func("/virtio-balloon/free-page-reporting",
                    test_free_page_reporting);
    g_test_add_func("/virtio-balloon/bad-buffer", test_bad_buffer);
    return g_test_run();
}

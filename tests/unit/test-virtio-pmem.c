/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for virtio-pmem: its config kind, the file mapping, flush requests, bad chains. */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "devices/registry.h"
#include "devices/virtio/pmem.h"
#include "devices/virtio/worker.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define QSIZE 16
#define MIB (1ULL << 20)

static const VmConfigKind *
kind(void)
{
    return virtio_pmem_type.kind;
}

/* A new file of @size bytes in the test directory, filled with @fill;
 * (transfer full) its path. */
static char *
make_file(const char *name, uint64_t size, int fill)
{
    g_autofree char *path = g_build_filename(test_tmpdir(), name, NULL);
    g_autofree char *buf = g_malloc(size);
    int fd;

    memset(buf, fill, size);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, buf, size), ==, (ssize_t)size);
    close(fd);
    return g_steal_pointer(&path);
}

/* A config with a kernel (a file: the host checks open it) and @cli as
 * --pmem, validated (and checked against the host when @host); NULL with
 * @error set on refusal. */
static VmConfig *
config_with(const char *cli, bool host, GError **error)
{
    g_autoptr(VmConfig) c = vm_config_new();
    gpointer entry = vm_config_kind_parse_cli(kind(), cli, error);

    if (!entry)
        return NULL;
    c->payload.kernel = make_file("vmlinux", 4096, 0);
    vm_config_kind_append(c, kind(), entry);
    if (!vm_config_validate(c, error) ||
        (host && !vm_config_check_host(c, VM_CONFIG_NAMES_CLI, error)))
        return NULL;
    return g_steal_pointer(&c);
}

static void
test_config(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *cli = g_strdup_printf("file=%s/p.img,discard_writes=on",
                                           test_tmpdir());
    g_autoptr(VmConfig) c = NULL;
    g_autoptr(VmConfig) back = NULL;
    g_autofree char *json = NULL;
    g_autofree char *path = make_file("p.img", 2 * MIB, 0);

    c = config_with(cli, true, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(vm_config_kind_count(c, kind()), ==, 1);
    g_assert_cmpstr(vm_config_kind_id(kind(), vm_config_kind_entry(c, kind(),
                                                                   0)),
                    ==, "_pmem0");
    json = vm_config_to_json(c, false);
    /* size is written only when given (CH: null). */
    g_assert_nonnull(strstr(json, "\"pmem\":[{\"file\":\""));
    g_assert_null(strstr(json, "\"size\":0"));
    g_assert_nonnull(strstr(json, "\"discard_writes\":true"));
    back = vm_config_from_json(json, -1, &error);
    g_assert_no_error(error);
    g_assert_true(vm_config_validate(back, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(vm_config_kind_count(back, kind()), ==, 1);

    /* size= is kept, in bytes. */
    g_clear_pointer(&c, vm_config_free);
    g_clear_pointer(&json, g_free);
    g_clear_pointer(&cli, g_free);
    cli = g_strdup_printf("file=%s,size=2M,id=pm", path);
    c = config_with(cli, true, &error);
    g_assert_no_error(error);
    json = vm_config_to_json(c, false);
    g_assert_nonnull(strstr(json, "\"size\":2097152"));
    g_assert_nonnull(strstr(json, "\"id\":\"pm\""));
    g_assert_false(c->iommu);

    /* CH's iommu=on: its queue behind the virtio-iommu, which it brings. */
    g_clear_pointer(&c, vm_config_free);
    g_clear_pointer(&json, g_free);
    g_clear_pointer(&cli, g_free);
    cli = g_strdup_printf("file=%s,iommu=on", path);
    c = config_with(cli, true, &error);
    g_assert_no_error(error);
    g_assert_true(c->iommu);
    json = vm_config_to_json(c, false);
    g_assert_nonnull(strstr(json, "\"iommu\":true"));
}

static void
test_config_refusals(void)
{
    g_autofree char *small = make_file("small.img", 2 * MIB, 0);
    g_autofree char *odd = make_file("odd.img", MIB, 0);
    g_autofree char *missing = g_build_filename(test_tmpdir(), "none.img",
                                                NULL);
    const struct {
        const char *cli;
        const char *message;
    } bad[] = {
        { "size=2M", "file=<backing_file_path> is required" },
        { "file=", "file=': expected a non-empty value" },
        { "file=/x,size=3M", "size=3145728 is not a multiple of 2 MiB" },
        { "file=/x,bogus=1", "bogus" },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = NULL;
    g_autofree char *cli = NULL;

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_null(config_with(bad[i].cli, false, &error));
        g_test_message("%s -> %s", bad[i].cli,
                       error ? error->message : "(accepted)");
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error->message, bad[i].message));
        g_clear_error(&error);
    }

    /* JSON can say what the CLI cannot. */
    c = vm_config_from_json("{\"payload\":{\"kernel\":\"k\"},"
                            "\"pmem\":[{\"file\":\"\"}]}", -1, &error);
    g_assert_no_error(error);
    g_assert_false(vm_config_validate(c, &error));
    g_assert_nonnull(strstr(error->message, "pmem[0]: file must not be "
                            "empty"));
    g_clear_error(&error);
    g_clear_pointer(&c, vm_config_free);

    /* The host checks: the file exists, is large enough, is whole 2 MiB
     * pages when its size is the region's. */
    cli = g_strdup_printf("file=%s", missing);
    g_assert_null(config_with(cli, true, &error));
    g_assert_nonnull(strstr(error->message, "none.img"));
    g_clear_error(&error);
    g_clear_pointer(&cli, g_free);
    cli = g_strdup_printf("file=%s,size=4M", small);
    g_assert_null(config_with(cli, true, &error));
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "is 2097152 bytes, smaller than "
                            "size=4194304"));
    g_clear_error(&error);
    g_clear_pointer(&cli, g_free);
    cli = g_strdup_printf("file=%s", odd);
    g_assert_null(config_with(cli, true, &error));
    g_assert_nonnull(strstr(error->message, "non-zero multiple of 2 MiB"));
    g_clear_error(&error);
    /* A directory needs size= for its temporary file. */
    g_clear_pointer(&cli, g_free);
    cli = g_strdup_printf("file=%s", test_tmpdir());
    g_assert_null(config_with(cli, true, &error));
    g_assert_nonnull(strstr(error->message, "size= is required"));
    g_clear_error(&error);
    /* A file larger than size= is fine: the region is its first size=
     * bytes. */
    g_clear_pointer(&cli, g_free);
    cli = g_strdup_printf("file=%s,size=2M", small);
    c = config_with(cli, true, &error);
    g_assert_no_error(error);
}

typedef struct {
    GuestMemory *mem;
    FakeHost *host;
    VirtioDevice *vdev;
    TdRing ring;
    char *path;
} Fixture;

static void
fixture_start(Fixture *f, const char *opts)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *cli = NULL;
    g_autoptr(VmConfig) c = NULL;

    f->path = make_file("dev.img", 4 * MIB, 0x5a);
    cli = g_strdup_printf("file=%s%s", f->path, opts);
    c = config_with(cli, true, &error);
    g_assert_no_error(error);
    f->mem = td_memory_new();
    f->host = fake_host_new_with_memory(f->mem);
    f->vdev = virtio_pmem_new(fake_host_base(f->host),
                              vm_config_kind_entry(c, kind(), 0), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(f->vdev->ops->device_type, ==, VIRTIO_ID_PMEM);
    td_ring_init(&f->ring, f->mem, 0x10000, 0x40000, QSIZE);
    td_device_start(f->vdev, &f->ring, 1);
}

static void
fixture_stop(Fixture *f)
{
    virtio_device_free(f->vdev);
    /* The guest lost the region with the device. */
    g_assert_cmpuint(fake_host_device_memory_count(f->host), ==, 0);
    fake_host_free(f->host);
    guest_memory_free(f->mem);
    unlink(f->path);
    g_free(f->path);
}

static uint64_t
config64(VirtioDevice *vdev, uint32_t off)
{
    uint64_t v = 0;

    vdev->ops->read_config(vdev, off, &v, 8);
    return GUINT64_FROM_LE(v);
}

/* A chain of @out_len readable bytes (@out) and @in_len writable ones;
 * returns the response word (0xffffffff: none within 5 s), the used
 * length in *@used. */
static uint32_t
request(Fixture *f, const void *out, uint32_t out_len, uint32_t in_len,
        uint32_t *used)
{
    uint64_t addr[2];
    uint32_t len[2], id, ulen, resp = 0xffffffff;
    unsigned n = 0, n_out = 0;
    uint16_t head;

    if (out_len) {
        addr[n] = td_alloc(&f->ring, out_len);
        memcpy(td_ptr(f->mem, addr[n], out_len), out, out_len);
        len[n++] = out_len;
        n_out = 1;
    }
    if (in_len) {
        addr[n] = td_alloc(&f->ring, in_len);
        memset(td_ptr(f->mem, addr[n], in_len), 0xee, in_len);
        len[n++] = in_len;
    }
    head = td_add_chain(&f->ring, addr, len, n, n_out);
    td_publish(&f->ring, head);
    virtio_eventfd_signal(f->vdev->kick_fds[0]);
    if (!td_wait_used(&f->ring, 1, 5000) || !td_get_used(&f->ring, &id, &ulen))
        return resp;
    g_assert_cmpuint(id, ==, head);
    *used = ulen;
    if (in_len >= 4)
        memcpy(&resp, td_ptr(f->mem, addr[n - 1], 4), 4);
    return GUINT32_FROM_LE(resp);
}

/* The region: 2 MiB aligned in the 64-bit window, the file's bytes, in
 * the config space; MAP_SHARED: writes reach the file. */
static void
test_shared_mapping(void)
{
    Fixture f = { 0 };
    uint64_t gpa, size = 0;
    uint8_t *hva, byte = 0;
    int fd;

    fixture_start(&f, "");
    gpa = config64(f.vdev, 0);
    g_assert_cmpuint(gpa, ==, virtio_pmem_gpa(f.vdev));
    g_assert_cmpuint(gpa % VIRTIO_PMEM_ALIGN, ==, 0);
    g_assert_cmpuint(gpa, >=, FAKE_HOST_MMIO64_BASE);
    g_assert_cmpuint(config64(f.vdev, 8), ==, 4 * MIB);
    hva = fake_host_device_memory(f.host, gpa, &size);
    g_assert_nonnull(hva);
    g_assert_cmpuint(size, ==, 4 * MIB);
    g_assert_cmpuint(hva[0], ==, 0x5a);
    g_assert_cmpuint(hva[4 * MIB - 1], ==, 0x5a);
    hva[MIB] = 0xa5;                      /* a guest write */
    fd = open(f.path, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(pread(fd, &byte, 1, MIB), ==, 1);
    g_assert_cmpuint(byte, ==, 0xa5);
    close(fd);
    fixture_stop(&f);
}

/* discard_writes=on: the guest sees the file, the file never sees the
 * guest's writes. */
static void
test_discard_writes(void)
{
    Fixture f = { 0 };
    uint64_t size = 0;
    uint8_t *hva, byte = 0;
    uint32_t flush = GUINT32_TO_LE(0), used = 0;
    int fd;

    fixture_start(&f, ",size=2M,discard_writes=on");
    g_assert_cmpuint(config64(f.vdev, 8), ==, 2 * MIB);
    hva = fake_host_device_memory(f.host, config64(f.vdev, 0), &size);
    g_assert_nonnull(hva);
    g_assert_cmpuint(hva[10], ==, 0x5a);
    hva[10] = 0x11;
    g_assert_cmpuint(request(&f, &flush, 4, 4, &used), ==, 0);
    fd = open(f.path, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(pread(fd, &byte, 1, 10), ==, 1);
    g_assert_cmpuint(byte, ==, 0x5a);
    close(fd);
    fixture_stop(&f);
}

/* Flush answers OK; an unknown type or a short request answers EIO; the
 * device keeps serving. */
static void
test_requests(void)
{
    Fixture f = { 0 };
    uint32_t flush = GUINT32_TO_LE(0), other = GUINT32_TO_LE(7), used = 0;
    uint8_t two[2] = { 0 };
    g_autoptr(JsonNode) counters = NULL;

    fixture_start(&f, "");
    g_assert_cmpuint(request(&f, &flush, 4, 4, &used), ==,
                     VIRTIO_PMEM_RESP_OK);
    g_assert_cmpuint(used, ==, 4);
    g_assert_cmpuint(request(&f, &other, 4, 4, &used), ==,
                     VIRTIO_PMEM_RESP_EIO);
    g_assert_cmpuint(request(&f, two, 2, 4, &used), ==,
                     VIRTIO_PMEM_RESP_EIO);
    g_assert_cmpuint(request(&f, NULL, 0, 8, &used), ==,
                     VIRTIO_PMEM_RESP_EIO);
    g_assert_cmpuint(used, ==, 4);
    g_assert_cmpuint(request(&f, &flush, 4, 4, &used), ==,
                     VIRTIO_PMEM_RESP_OK);
    g_assert_false(virtio_device_is_broken(f.vdev));
    counters = f.vdev->ops->counters(f.vdev);
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(counters),
                                               "flushes"), ==, 2);
    fixture_stop(&f);
}

/* No room for the status: the driver cannot be answered, NEEDS_RESET. */
static void
test_no_status(void)
{
    Fixture f = { 0 };
    uint32_t flush = GUINT32_TO_LE(0), used = 0;

    fixture_start(&f, "");
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*queue 0: request without room*needs reset");
    g_assert_cmpuint(request(&f, &flush, 4, 2, &used), ==, 0xffffffff);
    for (int i = 0; i < 5000 && !(virtio_device_get_status(f.vdev) &
                                  VIRTIO_CONFIG_S_NEEDS_RESET); i++)
        g_usleep(1000);
    g_assert_cmpuint(virtio_device_get_status(f.vdev) &
                     VIRTIO_CONFIG_S_NEEDS_RESET, !=, 0);
    g_assert_true(virtio_device_is_broken(f.vdev));
    fixture_stop(&f);
    g_test_assert_expected_messages();
}

/* Allocation or mapping failures leave nothing behind. */
static void
test_map_failure(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = make_file("fail.img", 2 * MIB, 0);
    g_autofree char *cli = g_strdup_printf("file=%s", path);
    g_autoptr(VmConfig) c = config_with(cli, true, &error);
    g_autoptr(FakeHost) host = fake_host_new(0);

    g_assert_no_error(error);
    fake_host_set_alloc_fail(host, true);
    g_assert_null(virtio_pmem_new(fake_host_base(host),
                                  vm_config_kind_entry(c, kind(), 0),
                                  &error));
    g_assert_nonnull(error);
    g_assert_cmpuint(fake_host_device_memory_count(host), ==, 0);
}

/* A directory gets an unnamed file of size=, as in CH. */
static void
test_directory(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *cli = g_strdup_printf("file=%s,size=2M", test_tmpdir());
    g_autoptr(VmConfig) c = config_with(cli, true, &error);
    g_autoptr(FakeHost) host = fake_host_new(0);
    VirtioDevice *vdev;

    g_assert_no_error(error);
    vdev = virtio_pmem_new(fake_host_base(host),
                           vm_config_kind_entry(c, kind(), 0), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(virtio_pmem_size(vdev), ==, 2 * MIB);
    virtio_device_free(vdev);
}

/* A restored state moves the region to where the guest was told it is. */
static void
test_state_moves_region(void)
{
    Fixture f = { 0 };
    const VmmStateDesc *d;
    uint64_t st[3], old, size = 0;

    fixture_start(&f, "");
    d = f.vdev->ops->state_desc;
    g_assert_cmpuint(d->size, ==, sizeof(st));
    f.vdev->ops->state_get(f.vdev, st);
    old = st[0];
    st[0] = old + 64 * MIB;
    st[1] = 2 * MIB;              /* the guest was told less */
    f.vdev->ops->state_set(f.vdev, st);
    g_assert_false(virtio_device_is_broken(f.vdev));
    g_assert_cmpuint(config64(f.vdev, 0), ==, old + 64 * MIB);
    g_assert_cmpuint(config64(f.vdev, 8), ==, 2 * MIB);
    g_assert_null(fake_host_device_memory(f.host, old, &size));
    g_assert_nonnull(fake_host_device_memory(f.host, old + 64 * MIB, &size));
    g_assert_cmpuint(size, ==, 2 * MIB);
    fixture_stop(&f);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/virtio-pmem/config", test_config);
    g_test_add_func("/virtio-pmem/config-refusals", test_config_refusals);
    g_test_add_func("/virtio-pmem/shared-mapping", test_shared_mapping);
    g_test_add_func("/virtio-pmem/discard-writes", test_discard_writes);
    g_test_add_func("/virtio-pmem/requests", test_requests);
    g_test_add_func("/virtio-pmem/no-status", test_no_status);
    g_test_add_func("/virtio-pmem/map-failure", test_map_failure);
    g_test_add_func("/virtio-pmem/directory", test_directory);
    g_test_add_func("/virtio-pmem/state-moves-region",
                    test_state_moves_region);
    return g_test_run();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of core pieces: guest memory, dirty log, device list, CPUID, events. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <gio/gio.h>

#include "arch/x86_64/cpuid.h"
#include "arch/x86_64/topology.h"
#include "daemon/event-monitor.h"
#include "daemon/memory.h"
#include "devices/device.h"

static GuestMemory *
two_region_memory(void)
{
    MemoryConfig cfg = { .thp = true };
    GuestRange ranges[] = {
        { .start = 0, .size = 1 << 20 },
        { .start = 1 << 20, .size = 1 << 20 },   /* adjacent */
        { .start = 1ULL << 32, .size = 1 << 20 },
    };
    g_autoptr(GError) error = NULL;
    GuestMemory *mem = guest_memory_new(&cfg, ranges, 3, &error);

    g_assert_no_error(error);
    return mem;
}

static void
test_memory_bounds(void)
{
    g_autoptr(GuestMemory) mem = two_region_memory();

    g_assert_cmpuint(mem->ram_size, ==, 3 << 20);
    g_assert_nonnull(guest_mem_ptr(mem, 0, 1 << 20));
    g_assert_nonnull(guest_mem_ptr(mem, (1 << 20) - 1, 1));
    /* A pointer never spans two regions, even adjacent ones. */
    g_assert_null(guest_mem_ptr(mem, (1 << 20) - 1, 2));
    g_assert_null(guest_mem_ptr(mem, 2 << 20, 1));
    g_assert_nonnull(guest_mem_ptr(mem, (1ULL << 32) + 5, 100));
    /* Overflowing and huge lengths are refused, not wrapped. */
    g_assert_null(guest_mem_ptr(mem, G_MAXUINT64 - 1, 4));
    g_assert_null(guest_mem_ptr(mem, 16, G_MAXUINT64));
    g_assert_null(guest_mem_ptr(mem, 1ULL << 32, (1 << 20) + 1));
}

static void
test_memory_copy(void)
{
    g_autoptr(GuestMemory) mem = two_region_memory();
    char in[16] = "0123456789abcdef", out[16];

    /* Copies may cross adjacent regions. */
    g_assert_cmpint(guest_mem_write(mem, (1 << 20) - 8, in, 16), ==, 0);
    g_assert_cmpint(guest_mem_read(mem, (1 << 20) - 8, out, 16), ==, 0);
    g_assert_cmpmem(in, 16, out, 16);
    /* Anything touching a hole fails and writes nothing. */
    memset(out, 0, sizeof(out));
    g_assert_cmpint(guest_mem_write(mem, (2 << 20) - 8, in, 16), ==, -EFAULT);
    g_assert_cmpint(guest_mem_read(mem, (2 << 20) - 8, out, 8), ==, 0);
    g_assert_cmpint(out[0], ==, 0);
    g_assert_cmpint(guest_mem_read(mem, G_MAXUINT64 - 4, out, 8), ==, -EFAULT);

    guest_memory_clear(mem);
    g_assert_cmpint(guest_mem_read(mem, (1 << 20) - 8, out, 16), ==, 0);
    for (int i = 0; i < 16; i++)
        g_assert_cmpint(out[i], ==, 0);
}

static void
test_memory_bad_layout(void)
{
    MemoryConfig cfg = { 0 };
    GError *error = NULL;

    g_assert_null(guest_memory_new(&cfg, NULL, 0, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
}

static struct kvm_cpuid_entry2 fake_host[] = {
    { .function = 0, .eax = 0x1f },
    { .function = 1, .eax = 0x806f8, .ebx = 0x00ff0800, .ecx = 0x7ffefbff,
      .edx = 0xbfebfbff },
    { .function = 4, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
      .eax = 0xfc004121 },   /* L1d */
    { .function = 4, .index = 3, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
      .eax = 0xfc03c163 },   /* L3 */
    { .function = 0xb, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
      .eax = 1, .ebx = 2, .ecx = 0x100 },
    { .function = 0x1f, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX },
    { .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b },
    /* PV_TLB_FLUSH, ASYNC_PF_VMEXIT, POLL_CONTROL */
    { .function = 0x40000001, .eax = 0x1600 },
    { .function = 0x80000001, .ecx = 0x00000125 },   /* SVM is bit 2 */
    { .function = 0x80000008, .eax = 0x3030 },
    { .function = 0x8000000a, .eax = 1, .ebx = 0x8000 },
};

static void
test_cpuid_topology(void)
{
    X86CpuidParams p = {
        .topo = { .threads_per_core = 2, .cores_per_die = 2,
                  .dies_per_package = 1, .packages = 2 },
        .max_vcpus = 8, .max_phys_bits = 40, .tsc_khz = 2500000,
    };
    g_autoptr(GArray) t = x86_cpuid_build(fake_host, G_N_ELEMENTS(fake_host),
                                          &p, 5);
    struct kvm_cpuid_entry2 *e;

    /* vCPU 5 = package 1, core 0, thread 1 → APIC ID 0b101. */
    g_assert_cmpuint(x86_apic_id(&p.topo, 5), ==, 5);
    e = x86_cpuid_find(t, 1, 0);
    g_assert_cmpuint(e->ebx >> 24, ==, 5);
    g_assert_cmpuint((e->ebx >> 16) & 0xff, ==, 4);
    g_assert_true(e->ecx & (1u << 31));   /* hypervisor */

    e = x86_cpuid_find(t, 0xb, 0);
    g_assert_cmpuint(e->eax, ==, 1);
    g_assert_cmpuint(e->ebx, ==, 2);
    g_assert_cmpuint(e->ecx, ==, 0x100);
    g_assert_cmpuint(e->edx, ==, 5);
    e = x86_cpuid_find(t, 0xb, 1);
    g_assert_cmpuint(e->eax, ==, 2);
    g_assert_cmpuint(e->ebx, ==, 4);
    g_assert_cmpuint(e->ecx, ==, 0x201);
    e = x86_cpuid_find(t, 0xb, 2);
    g_assert_cmpuint(e->ecx >> 8 & 0xff, ==, 0);
    e = x86_cpuid_find(t, 0x1f, 2);
    g_assert_cmpuint(e->ecx, ==, 0x502);   /* die level */

    e = x86_cpuid_find(t, 4, 0);
    g_assert_cmpuint((e->eax >> 14) & 0xfff, ==, 1);   /* L1: 2 threads */
    g_assert_cmpuint(e->eax >> 26, ==, 1);            /* 2 cores/package */
    e = x86_cpuid_find(t, 4, 3);
    g_assert_cmpuint((e->eax >> 14) & 0xfff, ==, 3);   /* L3: package */

    e = x86_cpuid_find(t, 0x80000008, 0);
    g_assert_cmpuint(e->eax & 0xff, ==, 40);
    e = x86_cpuid_find(t, 0x40000000, 0);
    g_assert_cmpuint(e->eax, ==, 0x40000010);
    e = x86_cpuid_find(t, 0x40000010, 0);
    g_assert_cmpuint(e->eax, ==, 2500000);
    g_assert_cmpuint(e->ebx, ==, 1000000);
}

/* nested=off hides VMX (leaf 1) and SVM (leaf 0x80000001 and its
 * feature leaf); nested=on passes both through from the host. */
static void
test_cpuid_nested(void)
{
    X86CpuidParams p = {
        .topo = { .threads_per_core = 1, .cores_per_die = 1,
                  .dies_per_package = 1, .packages = 1 },
        .max_vcpus = 1, .nested = true,
    };
    g_autoptr(GArray) on = x86_cpuid_build(fake_host, G_N_ELEMENTS(fake_host),
                                           &p, 0);
    g_autoptr(GArray) off = NULL;

    g_assert_true(x86_cpuid_find(on, 1, 0)->ecx & (1u << 5));
    g_assert_true(x86_cpuid_find(on, 0x80000001, 0)->ecx & (1u << 2));
    g_assert_nonnull(x86_cpuid_find(on, 0x8000000a, 0));
    p.nested = false;
    off = x86_cpuid_build(fake_host, G_N_ELEMENTS(fake_host), &p, 0);
    g_assert_cmphex(x86_cpuid_find(off, 1, 0)->ecx, ==,
                    x86_cpuid_find(on, 1, 0)->ecx & ~(1u << 5));
    g_assert_cmphex(x86_cpuid_find(off, 0x80000001, 0)->ecx, ==, 0x121);
    g_assert_null(x86_cpuid_find(off, 0x8000000a, 0));
}

/* KVM's PV features reach the guest as QEMU's -cpu host passes them: all
 * but async PF as a #PF vmexit. */
static void
test_cpuid_kvm_pv(void)
{
    X86CpuidParams p = {
        .topo = { .threads_per_core = 1, .cores_per_die = 1,
                  .dies_per_package = 1, .packages = 1 },
        .max_vcpus = 1, .nested = true,
    };
    g_autoptr(GArray) t = x86_cpuid_build(fake_host, G_N_ELEMENTS(fake_host),
                                          &p, 0);

    g_assert_cmphex(x86_cpuid_find(t, 0x40000001, 0)->eax, ==, 0x1200);
}

static void
test_cpuid_apic_ids(void)
{
    /* 3 cores need 2 bits: the IDs have gaps, as on real hardware. */
    X86Topology t = { .threads_per_core = 1, .cores_per_die = 3,
                      .dies_per_package = 1, .packages = 2 };

    g_assert_cmpuint(x86_topology_field_width(1), ==, 0);
    g_assert_cmpuint(x86_topology_field_width(2), ==, 1);
    g_assert_cmpuint(x86_topology_field_width(3), ==, 2);
    g_assert_cmpuint(x86_topology_field_width(4), ==, 2);
    g_assert_cmpuint(x86_topology_field_width(5), ==, 3);
    g_assert_cmpuint(x86_apic_id(&t, 2), ==, 2);
    g_assert_cmpuint(x86_apic_id(&t, 3), ==, 4);
    g_assert_cmpuint(x86_apic_id(&t, 5), ==, 6);
}

static void
test_event_format(void)
{
    const char *props[] = { "id", "_disk0", "bdf", "0000:00:05.0", NULL };
    g_autofree char *a = event_monitor_format(1, 2345, "vm", "booted", NULL);
    g_autofree char *b = event_monitor_format(0, 7, "virtio-device",
                                              "activated", props);
    g_autoptr(JsonParser) parser = json_parser_new();

    g_assert_cmpstr(a, ==,
                    "{\n  \"timestamp\": {\n    \"secs\": 1,\n    \"nanos\": 2345\n"
                    "  },\n  \"source\": \"vm\",\n  \"event\": \"booted\",\n"
                    "  \"properties\": null\n}");
    g_assert_true(json_parser_load_from_data(parser, b, -1, NULL));
    g_assert_nonnull(strstr(b, "\"properties\": {\n    \"id\": \"_disk0\",\n"
                               "    \"bdf\": \"0000:00:05.0\"\n  }"));
}

/* The VM's dirty-page log: a mark sets exactly the pages of the range that
 * are RAM, in the region they belong to; fetch-and-clear hands them over
 * once. */
static void
test_dirty_log(void)
{
    g_autoptr(GuestMemory) mem = two_region_memory();
    g_autoptr(GuestDirtyLog) log = guest_dirty_log_new(mem);
    uint64_t w[4];

    g_assert_cmpuint(guest_dirty_log_words(log, 0), ==, 4);   /* 256 pages */
    g_assert_cmpuint(guest_dirty_log_words(log, 3), ==, 0);
    guest_dirty_log_mark(log, 3 * 4096 + 10, 4096);       /* pages 3 and 4 */
    guest_dirty_log_mark(log, (1 << 20) - 8, 16);         /* 0:255 and 1:0 */
    guest_dirty_log_mark(log, 2 << 20, 4096);             /* a hole */
    guest_dirty_log_mark(log, G_MAXUINT64 - 4, 100);      /* wraps: no RAM */
    guest_dirty_log_mark(log, (1ULL << 32) + (1 << 20) - 1, 1);
    guest_dirty_log_mark(log, 0, 0);                      /* nothing */

    g_assert_cmpuint(guest_dirty_log_fetch_and_clear(log, 0, w, 4), ==, 4);
    g_assert_cmphex(w[0], ==, (1ULL << 3) | (1ULL << 4));
    g_assert_cmphex(w[1], ==, 0);
    g_assert_cmphex(w[2], ==, 0);
    g_assert_cmphex(w[3], ==, 1ULL << 63);
    g_assert_cmpuint(guest_dirty_log_fetch_and_clear(log, 1, w, 4), ==, 4);
    g_assert_cmphex(w[0], ==, 1);
    g_assert_cmphex(w[1] | w[2] | w[3], ==, 0);
    g_assert_cmpuint(guest_dirty_log_fetch_and_clear(log, 2, w, 4), ==, 4);
    g_assert_cmphex(w[0] | w[1] | w[2], ==, 0);
    g_assert_cmphex(w[3], ==, 1ULL << 63);

    /* Cleared: a second fetch finds nothing until the next mark. */
    g_assert_cmpuint(guest_dirty_log_fetch_and_clear(log, 0, w, 4), ==, 4);
    g_assert_cmphex(w[0] | w[1] | w[2] | w[3], ==, 0);
    guest_dirty_log_mark(log, 5 * 4096, 1);
    g_assert_cmpuint(guest_dirty_log_fetch_and_clear(log, 0, w, 1), ==, 1);
    g_assert_cmphex(w[0], ==, 1ULL << 5);
}

typedef struct {
    VmmDevice dev;
    bool fail_realize;
    unsigned *realized;
    unsigned *freed;
} ListDev;

static bool
list_dev_realize(VmmDevice *dev, GError **error)
{
    ListDev *d = (ListDev *)dev;

    if (d->fail_realize) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no luck");
        return false;
    }
    (*d->realized)++;
    return true;
}

static void
list_dev_free(VmmDevice *dev)
{
    ListDev *d = (ListDev *)dev;

    (*d->freed)++;
    g_free(d);
}

static const VmmDeviceOps list_dev_ops = {
    .name = "list-test",
    .realize = list_dev_realize,
    .free = list_dev_free,
};

static VmmDevice *
list_dev_new(const char *id, bool fail, unsigned *realized, unsigned *freed)
{
    ListDev *d = g_new0(ListDev, 1);

    vmm_device_init(&d->dev, &list_dev_ops, NULL, id);
    d->fail_realize = fail;
    d->realized = realized;
    d->freed = freed;
    return &d->dev;
}

/* What every DeviceHost's add_device decides (the VM's and the unit
 * tests' FakeHost): a second device with a taken id is refused before it
 * is realized, a failed realize names the device; both free it. */
static void
test_device_list(void)
{
    g_autoptr(GPtrArray) list = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    unsigned realized = 0, freed = 0;
    VmmDevice *a = list_dev_new("_a", false, &realized, &freed);

    g_assert_true(vmm_device_list_add(list, a, &error));
    g_assert_no_error(error);
    g_assert_true(vmm_device_list_find(list, "_a") == a);
    g_assert_null(vmm_device_list_find(list, "_b"));

    g_assert_false(vmm_device_list_add(list,
                                       list_dev_new("_a", false, &realized,
                                                    &freed), &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_assert_cmpstr(error->message, ==, "device id '_a' already in use");
    g_clear_error(&error);
    g_assert_cmpuint(realized, ==, 1);
    g_assert_cmpuint(freed, ==, 1);

    g_assert_false(vmm_device_list_add(list,
                                       list_dev_new("_b", true, &realized,
                                                    &freed), &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_FAILED);
    g_assert_cmpstr(error->message, ==, "_b: no luck");
    g_assert_cmpuint(freed, ==, 2);
    g_assert_cmpuint(list->len, ==, 1);
    g_assert_true(vmm_device_list_find(list, "_a") == a);
    vmm_device_free(a);
    g_assert_cmpuint(freed, ==, 3);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/memory/bounds", test_memory_bounds);
    g_test_add_func("/memory/copy", test_memory_copy);
    g_test_add_func("/memory/bad-layout", test_memory_bad_layout);
    g_test_add_func("/memory/dirty-log", test_dirty_log);
    g_test_add_func("/device/list/add", test_device_list);
    g_test_add_func("/cpuid/topology", test_cpuid_topology);
    g_test_add_func("/cpuid/apic-ids", test_cpuid_apic_ids);
    g_test_add_func("/cpuid/nested", test_cpuid_nested);
    g_test_add_func("/cpuid/kvm-pv", test_cpuid_kvm_pv);
    g_test_add_func("/event-monitor/format", test_event_format);
    return g_test_run();
}

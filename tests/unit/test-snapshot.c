/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of snapshot/restore: state round trips, refusals, atomicity. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "daemon/hv/fake.h"
#include "daemon/snapshot-cpu.h"
#include "daemon/snapshot-memory.h"
#include "daemon/snapshot-uffd.h"
#include "daemon/snapshot.h"
#include "tests/testutil.h"

#define NVCPUS 2
/* The fake's MSR that is listed but cannot be read (daemon/hv/fake.c). */
#define FAKE_UNREADABLE_MSR 0x4b564d7f

typedef struct {
    Hv *hv;
    HvVcpu *vcpus[NVCPUS];
} FakeVm;

static FakeVm *
fake_vm_new(void)
{
    FakeVm *f = g_new0(FakeVm, 1);

    f->hv = hv_fake_ops.vm_new(NULL);
    for (unsigned i = 0; i < NVCPUS; i++)
        f->vcpus[i] = hv_fake_ops.vcpu_new(f->hv, i, NULL);
    return f;
}

static void
fake_vm_free(FakeVm *f)
{
    for (unsigned i = 0; i < NVCPUS; i++)
        hv_fake_ops.vcpu_free(f->vcpus[i]);
    hv_fake_ops.vm_free(f->hv);
    g_free(f);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeVm, fake_vm_free)

static void
fill(void *p, size_t n, guint32 seed)
{
    GRand *r = g_rand_new_with_seed(seed);

    for (size_t i = 0; i < n; i++)
        ((uint8_t *)p)[i] = (uint8_t)g_rand_int(r);
    g_rand_free(r);
}

/* Every state piece of every vCPU set to seeded noise. */
static void
fake_vm_scramble(FakeVm *f, guint32 seed)
{
    static const uint32_t msrs[] = { 0x10, 0x1b, 0x174, 0xc0000080,
                                     0x4b564d01 };

    for (unsigned i = 0; i < NVCPUS; i++) {
        HvVcpu *v = f->vcpus[i];
        struct kvm_regs regs;
        struct kvm_sregs sregs;
        g_autofree struct kvm_xsave *xsave = g_new(struct kvm_xsave, 1);
        struct kvm_xcrs xcrs;
        struct kvm_debugregs dregs;
        g_autofree struct kvm_lapic_state *lapic =
            g_new(struct kvm_lapic_state, 1);
        struct kvm_vcpu_events ev;
        struct kvm_msr_entry m[G_N_ELEMENTS(msrs)];
        guint32 s = seed + i * 100;

        fill(&regs, sizeof(regs), s + 1);
        fill(&sregs, sizeof(sregs), s + 2);
        fill(xsave, sizeof(*xsave), s + 3);
        fill(&xcrs, sizeof(xcrs), s + 4);
        fill(&dregs, sizeof(dregs), s + 5);
        fill(lapic, sizeof(*lapic), s + 6);
        fill(&ev, sizeof(ev), s + 7);
        g_assert_cmpint(hv_fake_ops.set_regs(v, &regs), ==, 0);
        g_assert_cmpint(hv_fake_ops.set_sregs(v, &sregs), ==, 0);
        g_assert_cmpint(hv_fake_ops.set_xsave(v, xsave), ==, 0);
        g_assert_cmpint(hv_fake_ops.set_xcrs(v, &xcrs), ==, 0);
        g_assert_cmpint(hv_fake_ops.set_debugregs(v, &dregs), ==, 0);
        g_assert_cmpint(hv_fake_ops.set_lapic(v, lapic), ==, 0);
        g_assert_cmpint(hv_fake_ops.set_vcpu_events(v, &ev), ==, 0);
        g_assert_cmpint(hv_fake_ops.set_mp_state(v, 3 + i), ==, 0);
        g_assert_cmpint(hv_fake_ops.set_tsc_khz(v, 2000000 + s), ==, 0);
        for (unsigned j = 0; j < G_N_ELEMENTS(msrs); j++) {
            m[j].index = msrs[j];
            /* The top bit too: MSR values are full 64-bit. */
            m[j].data = ((uint64_t)g_random_int() << 32 | g_random_int()) |
                        (1ull << 63);
        }
        g_assert_cmpint(hv_fake_ops.set_msrs(v, m, G_N_ELEMENTS(m)), ==,
                        G_N_ELEMENTS(m));
    }
    for (uint32_t c = 0; c < 3; c++) {
        struct kvm_irqchip chip = { .chip_id = c };

        fill(&chip.chip, sizeof(chip.chip), seed + 1000 + c);
        g_assert_cmpint(hv_fake_ops.set_irqchip(f->hv, &chip), ==, 0);
    }
}

#define SAME_PIECE(type, getter, a, b)                                      \
    do {                                                                    \
        g_autofree type *pa = g_new0(type, 1);                              \
        g_autofree type *pb = g_new0(type, 1);                              \
        g_assert_cmpint(hv_fake_ops.getter(a, pa), ==, 0);                  \
        g_assert_cmpint(hv_fake_ops.getter(b, pb), ==, 0);                  \
        g_assert_cmpmem(pa, sizeof(type), pb, sizeof(type));                \
    } while (0)

static void
assert_same_vcpus(FakeVm *a, FakeVm *b)
{
    static const uint32_t msrs[] = { 0x10, 0x1b, 0x174, 0xc0000080,
                                     0x4b564d01 };

    for (unsigned i = 0; i < NVCPUS; i++) {
        HvVcpu *x = a->vcpus[i], *y = b->vcpus[i];
        struct kvm_msr_entry mx[G_N_ELEMENTS(msrs)] = { 0 };
        struct kvm_msr_entry my[G_N_ELEMENTS(msrs)] = { 0 };
        uint32_t sx, sy;

        SAME_PIECE(struct kvm_regs, get_regs, x, y);
        SAME_PIECE(struct kvm_sregs, get_sregs, x, y);
        SAME_PIECE(struct kvm_xsave, get_xsave, x, y);
        SAME_PIECE(struct kvm_xcrs, get_xcrs, x, y);
        SAME_PIECE(struct kvm_debugregs, get_debugregs, x, y);
        SAME_PIECE(struct kvm_lapic_state, get_lapic, x, y);
        SAME_PIECE(struct kvm_vcpu_events, get_vcpu_events, x, y);
        g_assert_cmpint(hv_fake_ops.get_mp_state(x, &sx), ==, 0);
        g_assert_cmpint(hv_fake_ops.get_mp_state(y, &sy), ==, 0);
        g_assert_cmpuint(sx, ==, sy);
        g_assert_cmpuint(hv_fake_ops.tsc_khz(x), ==, hv_fake_ops.tsc_khz(y));
        for (unsigned j = 0; j < G_N_ELEMENTS(msrs); j++)
            mx[j].index = my[j].index = msrs[j];
        g_assert_cmpint(hv_fake_ops.get_msrs(x, mx, G_N_ELEMENTS(mx)), ==,
                        G_N_ELEMENTS(mx));
        g_assert_cmpint(hv_fake_ops.get_msrs(y, my, G_N_ELEMENTS(my)), ==,
                        G_N_ELEMENTS(my));
        g_assert_cmpmem(mx, sizeof(mx), my, sizeof(my));
    }
    for (uint32_t c = 0; c < 3; c++) {
        struct kvm_irqchip cx = { .chip_id = c }, cy = { .chip_id = c };

        g_assert_cmpint(hv_fake_ops.get_irqchip(a->hv, &cx), ==, 0);
        g_assert_cmpint(hv_fake_ops.get_irqchip(b->hv, &cy), ==, 0);
        g_assert_cmpmem(&cx.chip, sizeof(cx.chip), &cy.chip, sizeof(cy.chip));
    }
}

static JsonNode *
save_cpus(FakeVm *f)
{
    g_autoptr(GError) error = NULL;
    JsonNode *n = snapshot_cpus_save(&hv_fake_ops, f->hv, f->vcpus, NVCPUS,
                                     &error);

    g_assert_no_error(error);
    g_assert_nonnull(n);
    return n;
}

/* Every piece of vCPU and VM state survives save -> JSON text -> load ->
 * apply onto another VM, and the JSON carries no unreadable MSR. */
static void
test_cpu_round_trip(void)
{
    g_autoptr(FakeVm) a = fake_vm_new();
    g_autoptr(FakeVm) b = fake_vm_new();
    g_autoptr(JsonNode) cpus = NULL;
    g_autoptr(JsonNode) vm = NULL;
    g_autoptr(JsonNode) cpus2 = NULL;
    g_autoptr(JsonNode) vm2 = NULL;
    g_autoptr(SnapshotCpus) loaded = NULL;
    g_autoptr(SnapshotVmHv) vmhv = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    g_autofree char *unreadable = g_strdup_printf("%u", FAKE_UNREADABLE_MSR);

    fake_vm_scramble(a, 42);
    fake_vm_scramble(b, 4242);
    cpus = save_cpus(a);
    vm = snapshot_vm_hv_save(&hv_fake_ops, a->hv, 123456789, &error);
    g_assert_no_error(error);
    text = json_to_string(cpus, FALSE);
    g_assert_null(strstr(text, unreadable));
    /* Through text, as state.json is. */
    cpus2 = json_from_string(text, &error);
    g_assert_no_error(error);
    g_clear_pointer(&text, g_free);
    text = json_to_string(vm, FALSE);
    vm2 = json_from_string(text, &error);
    g_assert_no_error(error);

    loaded = snapshot_cpus_load(&hv_fake_ops, b->hv, cpus2, NVCPUS, &error);
    g_assert_no_error(error);
    vmhv = snapshot_vm_hv_load(vm2, &error);
    g_assert_no_error(error);
    g_assert_true(snapshot_cpus_apply(loaded, &hv_fake_ops, b->vcpus, &error));
    g_assert_no_error(error);
    g_assert_true(snapshot_vm_hv_apply(vmhv, &hv_fake_ops, b->hv, &error));
    g_assert_no_error(error);
    assert_same_vcpus(a, b);
}

/* The guest clock resumes advanced by the wall time that passed. */
static void
test_vm_clock(void)
{
    g_autoptr(FakeVm) a = fake_vm_new();
    g_autoptr(JsonNode) vm = NULL;
    g_autoptr(SnapshotVmHv) st = NULL;
    g_autoptr(GError) error = NULL;
    int64_t now = g_get_real_time() * 1000;
    uint64_t c;

    vm = snapshot_vm_hv_save(&hv_fake_ops, a->hv, 5000000000ull, &error);
    g_assert_no_error(error);
    st = snapshot_vm_hv_load(vm, &error);
    g_assert_no_error(error);
    /* The save read the wall clock at about "now". */
    c = snapshot_vm_hv_clock(st, now + 7 * G_GINT64_CONSTANT(1000000000));
    g_assert_cmpuint(c, >=, 5000000000ull + 6000000000ull);
    g_assert_cmpuint(c, <=, 5000000000ull + 8000000000ull);
    /* A wall clock that went back does not take the guest's back. */
    g_assert_cmpuint(snapshot_vm_hv_clock(st, 0), ==, 5000000000ull);
}

/* A restore moves the saved TSC on by the time that passed, at each
 * vCPU's own frequency, and nothing else. */
static void
test_cpu_advance_tsc(void)
{
    g_autoptr(FakeVm) a = fake_vm_new();
    g_autoptr(FakeVm) b = fake_vm_new();
    g_autoptr(JsonNode) cpus = NULL;
    g_autoptr(SnapshotCpus) loaded = NULL;
    g_autoptr(GError) error = NULL;

    fake_vm_scramble(a, 9);
    for (unsigned i = 0; i < NVCPUS; i++) {
        struct kvm_msr_entry tsc = { .index = 0x10, .data = 1000 };

        g_assert_cmpint(hv_fake_ops.set_tsc_khz(a->vcpus[i], 2500000), ==, 0);
        g_assert_cmpint(hv_fake_ops.set_msrs(a->vcpus[i], &tsc, 1), ==, 1);
    }
    cpus = save_cpus(a);
    loaded = snapshot_cpus_load(&hv_fake_ops, b->hv, cpus, NVCPUS, &error);
    g_assert_no_error(error);
    /* 3.5 s at 2.5 GHz. */
    snapshot_cpus_advance_tsc(loaded, 3500000000ull);
    g_assert_true(snapshot_cpus_apply(loaded, &hv_fake_ops, b->vcpus, &error));
    for (unsigned i = 0; i < NVCPUS; i++) {
        struct kvm_msr_entry tsc = { .index = 0x10 };
        struct kvm_msr_entry efer = { .index = 0xc0000080 };
        struct kvm_msr_entry efer_a = { .index = 0xc0000080 };

        g_assert_cmpint(hv_fake_ops.get_msrs(b->vcpus[i], &tsc, 1), ==, 1);
        g_assert_cmpuint(tsc.data, ==, 1000 + 8750000000ull);
        g_assert_cmpint(hv_fake_ops.get_msrs(b->vcpus[i], &efer, 1), ==, 1);
        g_assert_cmpint(hv_fake_ops.get_msrs(a->vcpus[i], &efer_a, 1), ==, 1);
        g_assert_cmpuint(efer.data, ==, efer_a.data);
    }
}

/* Loads @json as a cpu-manager section and expects @mentions. */
static void
expect_cpus_refused(FakeVm *f, const char *json, unsigned n,
                    const char *mentions)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = json_from_string(json, &error);
    g_autoptr(SnapshotCpus) cpus = NULL;

    g_assert_no_error(error);
    cpus = snapshot_cpus_load(&hv_fake_ops, f->hv, node, n, &error);
    g_assert_null(cpus);
    g_assert_nonnull(error);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, mentions));
}

/* Edits the saved section's text: replaces the first @from by @to. */
static char *
edited(const char *text, const char *from, const char *to)
{
    const char *p = strstr(text, from);

    g_assert_nonnull(p);
    return g_strdup_printf("%.*s%s%s", (int)(p - text), text, to,
                           p + strlen(from));
}

static void
test_cpu_refusals(void)
{
    g_autoptr(FakeVm) f = fake_vm_new();
    g_autoptr(JsonNode) cpus = NULL;
    g_autofree char *text = NULL;
    g_autofree char *bad = NULL;
    g_autofree char *unreadable = g_strdup_printf("\"index\":%u",
                                                  FAKE_UNREADABLE_MSR);

    fake_vm_scramble(f, 7);
    cpus = save_cpus(f);
    text = json_to_string(cpus, FALSE);

    /* Another vCPU count than the config's. */
    expect_cpus_refused(f, text, NVCPUS + 1,
                        "cpu-manager: field 'vcpus': expected an array of 3");
    /* A newer section. */
    bad = edited(text, "\"version\":1", "\"version\":2");
    expect_cpus_refused(f, bad, NVCPUS, "cpu-manager");
    g_clear_pointer(&bad, g_free);
    /* An MSR this host does not list, named by field. */
    bad = edited(text, "\"index\":16", "\"index\":74565");
    expect_cpus_refused(f, bad, NVCPUS,
                        "field 'vcpus[0].msrs[0].index': MSR 0x12345 "
                        "cannot be restored");
    g_clear_pointer(&bad, g_free);
    /* One it lists but refuses to set: refused when applied, by name. */
    bad = edited(text, "\"index\":16", unreadable);
    {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) node = json_from_string(bad, &error);
        g_autoptr(SnapshotCpus) cpus2 = snapshot_cpus_load(
            &hv_fake_ops, f->hv, node, NVCPUS, &error);

        g_assert_no_error(error);
        g_assert_false(snapshot_cpus_apply(cpus2, &hv_fake_ops, f->vcpus,
                                           &error));
        g_assert_nonnull(strstr(error->message,
                                "vCPU 0: MSR 0x4b564d7f was refused"));
    }
    g_clear_pointer(&bad, g_free);
    /* A missing piece. */
    bad = edited(text, "\"lapic\"", "\"lapix\"");
    expect_cpus_refused(f, bad, NVCPUS, "lapi");
    g_clear_pointer(&bad, g_free);
    /* Bytes of the wrong size. */
    bad = edited(text, "\"xcrs\":\"", "\"xcrs\":\"AAAA");
    expect_cpus_refused(f, bad, NVCPUS, "vcpus[0].xcrs");
    g_clear_pointer(&bad, g_free);
    /* vCPUs out of order. */
    bad = edited(text, "\"id\":0", "\"id\":1");
    expect_cpus_refused(f, bad, NVCPUS, "field 'vcpus[0].id'");
}

/* ---- Memory ------------------------------------------------------------- */

typedef struct {
    GuestMemory mem;
} TestMem;

/* Two regions, as x86 has below and above the 32-bit hole; @pattern:
 * data pages with zero pages in between. */
static void
test_mem_init_sized(TestMem *t, const uint64_t *sizes, unsigned n,
                    bool pattern)
{
    uint64_t gpa = 0;

    memset(t, 0, sizeof(*t));
    for (unsigned i = 0; i < n; i++) {
        GuestRegion *r = &t->mem.regions[i];

        r->gpa = gpa;
        r->size = sizes[i];
        r->hva = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        g_assert_true(r->hva != MAP_FAILED);
        r->fd = -1;
        t->mem.ram_size += r->size;
        gpa = 4ull << 30;
        if (!pattern)
            continue;
        for (uint64_t off = 0; off < r->size; off += 4096) {
            if ((off / 4096) % 3 == 1)
                fill(r->hva + off, 4096, (guint32)(i * 100000 + off));
        }
    }
    t->mem.nregions = n;
}

static void
test_mem_init(TestMem *t, bool pattern)
{
    static const uint64_t sizes[] = { 3 << 20, (1 << 20) + 8192 };

    test_mem_init_sized(t, sizes, G_N_ELEMENTS(sizes), pattern);
}

static void
test_mem_clear(TestMem *t)
{
    for (unsigned i = 0; i < t->mem.nregions; i++)
        munmap(t->mem.regions[i].hva, t->mem.regions[i].size);
}

static void
assert_same_mem(const GuestMemory *a, const GuestMemory *b)
{
    g_assert_cmpuint(a->nregions, ==, b->nregions);
    for (unsigned i = 0; i < a->nregions; i++)
        g_assert_cmpmem(a->regions[i].hva, a->regions[i].size,
                        b->regions[i].hva, b->regions[i].size);
}

/* Through a file (seekable: zero pages become holes) and through a pipe
 * of bytes (what migration would send), RAM comes back the same. */
static void
test_memory_round_trip(void)
{
    TestMem src, dst, dst2;
    g_autofree char *path = g_build_filename(test_tmpdir(), "mem", NULL);
    g_autoptr(GFile) file = g_file_new_for_path(path);
    g_autoptr(GFileOutputStream) out = NULL;
    g_autoptr(GFileInputStream) in = NULL;
    g_autoptr(GOutputStream) mout = NULL;
    g_autoptr(GInputStream) min = NULL;
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(GError) error = NULL;
    struct stat sb;

    test_mem_init(&src, true);
    test_mem_init(&dst, false);
    test_mem_init(&dst2, false);

    out = g_file_replace(file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(snapshot_memory_write(&src.mem, G_OUTPUT_STREAM(out), NULL,
                                        &error));
    g_assert_no_error(error);
    g_assert_true(g_output_stream_close(G_OUTPUT_STREAM(out), NULL, &error));
    g_assert_cmpint(stat(path, &sb), ==, 0);
    g_assert_cmpuint((uint64_t)sb.st_size, ==, src.mem.ram_size);
    in = g_file_read(file, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(snapshot_memory_read(&dst.mem, G_INPUT_STREAM(in), false,
                                       NULL, &error));
    g_assert_no_error(error);
    assert_same_mem(&src.mem, &dst.mem);

    /* A non-seekable stream gets every byte. */
    mout = g_memory_output_stream_new_resizable();
    g_assert_true(snapshot_memory_write(&src.mem, mout, NULL, &error));
    g_assert_true(g_output_stream_close(mout, NULL, &error));
    bytes = g_memory_output_stream_steal_as_bytes(
        G_MEMORY_OUTPUT_STREAM(mout));
    g_assert_cmpuint(g_bytes_get_size(bytes), ==, src.mem.ram_size);
    min = g_memory_input_stream_new_from_bytes(bytes);
    g_assert_true(snapshot_memory_read(&dst2.mem, min, true, NULL, &error));
    g_assert_no_error(error);
    assert_same_mem(&src.mem, &dst2.mem);

    test_mem_clear(&src);
    test_mem_clear(&dst);
    test_mem_clear(&dst2);
}

static void
test_memory_truncated(void)
{
    TestMem dst;
    g_autofree uint8_t *short_data = g_malloc0(5000);
    g_autoptr(GInputStream) in =
        g_memory_input_stream_new_from_data(short_data, 5000, NULL);
    g_autoptr(GError) error = NULL;

    test_mem_init(&dst, false);
    g_assert_false(snapshot_memory_read(&dst.mem, in, false, NULL, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "memory-ranges is truncated: "
                                            "5000 of"));
    test_mem_clear(&dst);
}

static void
test_memory_table(void)
{
    TestMem t;
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(JsonNode) bad = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    g_autofree char *edit = NULL;

    test_mem_init(&t, false);
    node = snapshot_memory_table_save(&t.mem);
    g_assert_true(snapshot_memory_table_check(node, &t.mem, &error));
    g_assert_no_error(error);
    text = json_to_string(node, FALSE);
    edit = edited(text, "\"gpa\":4294967296", "\"gpa\":4294971392");
    bad = json_from_string(edit, &error);
    g_assert_no_error(error);
    g_assert_false(snapshot_memory_table_check(bad, &t.mem, &error));
    g_assert_nonnull(strstr(error->message,
                            "memory-manager: field 'ranges[1].gpa'"));
    g_clear_error(&error);
    /* Another region count than the config gives. */
    t.mem.nregions = 1;
    g_assert_false(snapshot_memory_table_check(node, &t.mem, &error));
    g_assert_nonnull(strstr(error->message, "field 'ranges'"));
    t.mem.nregions = 2;
    test_mem_clear(&t);
}

/* OnDemand: RAM read through userfaultfd faults (this thread's reads)
 * and the background filler comes out as the file has it. */
static void
test_memory_ondemand(void)
{
    TestMem src, dst;
    g_autofree char *path = g_build_filename(test_tmpdir(), "lazy", NULL);
    g_autoptr(GFile) file = g_file_new_for_path(path);
    g_autoptr(GFileOutputStream) out = NULL;
    g_autoptr(SnapshotLazyMem) lm = NULL;
    g_autoptr(GError) error = NULL;

    /* Large enough that the filler is still at the start when this
     * thread touches the end: both paths serve pages. */
    static const uint64_t sizes[] = { 1 << 20, 32 << 20 };

    test_mem_init_sized(&src, sizes, G_N_ELEMENTS(sizes), true);
    test_mem_init_sized(&dst, sizes, G_N_ELEMENTS(sizes), false);
    /* A page the VMM touched before the restore must not keep its old
     * content: the restore drops it. */
    memset(dst.mem.regions[1].hva, 0x5a, 4096);
    out = g_file_replace(file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
    g_assert_true(snapshot_memory_write(&src.mem, G_OUTPUT_STREAM(out), NULL,
                                        &error));
    g_assert_true(g_output_stream_close(G_OUTPUT_STREAM(out), NULL, &error));
    g_assert_no_error(error);

    lm = snapshot_lazy_mem_new(&dst.mem, path, &error);
    if (!lm) {
        /* The host refuses userfaultfd (no /dev/userfaultfd access, no
         * privilege): the restore says so, as here. */
        g_test_skip(error->message);
        test_mem_clear(&src);
        test_mem_clear(&dst);
        return;
    }
    /* From the end first, where the filler arrives last. */
    for (unsigned i = dst.mem.nregions; i > 0; i--) {
        const GuestRegion *a = &src.mem.regions[i - 1];
        const GuestRegion *b = &dst.mem.regions[i - 1];

        for (uint64_t off = a->size; off > 0; off -= 4096)
            g_assert_cmpmem(a->hva + off - 4096, 4096, b->hva + off - 4096,
                            4096);
    }
    g_assert_true(snapshot_lazy_mem_wait(lm, 60000));
    g_test_message("%" G_GUINT64_FORMAT " pages served by faults",
                   snapshot_lazy_mem_faults(lm));
    g_assert_cmpuint(snapshot_lazy_mem_faults(lm), >, 0);
    g_clear_pointer(&lm, snapshot_lazy_mem_free);
    assert_same_mem(&src.mem, &dst.mem);
    test_mem_clear(&src);
    test_mem_clear(&dst);
}

/* ---- state.json --------------------------------------------------------- */

static const struct {
    const char *json;
    const char *mentions;
} bad_states[] = {
    { "", "state.json" },
    { "[1]", "state.json: not a JSON object" },
    { "{\"vm\": {}}", "field 'version'" },
    { "{\"version\": 2, \"vm\": {}, \"cpu-manager\": {}, "
      "\"memory-manager\": {}, \"device-manager\": {}}",
      "version 2 is newer than this nimbus reads (1)" },
    { "{\"version\": 1, \"vm\": {}, \"cpu-manager\": {}, "
      "\"device-manager\": {}}", "section 'memory-manager' is missing" },
    { "{\"version\": 1, \"vm\": 3, \"cpu-manager\": {}, "
      "\"memory-manager\": {}, \"device-manager\": {}}",
      "section 'vm' is not an object" },
    { "{\"version\": 1, \"vm\": {}, \"cpu-manager\": {}, "
      "\"memory-manager\": {}, \"device-manager\": {}, \"x\": 1}",
      "unknown top-level members" },
    { "{\"version\": 1, \"vm\": {}, \"cpu-manager\": {}, "
      "\"memory-manager\": {}, \"device-manager\": {\"version\": 2, "
      "\"devices\": {}}}", "device-manager: field 'version'" },
    { "{\"version\": 1, \"vm\": {}, \"cpu-manager\": {}, "
      "\"memory-manager\": {}, \"device-manager\": {\"version\": 1, "
      "\"devices\": []}}", "device-manager: field 'devices'" },
};

static void
test_state_parse(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) ok = snapshot_state_parse(
        "{\"version\": 1, \"vm\": {}, \"cpu-manager\": {}, "
        "\"memory-manager\": {}, \"device-manager\": {\"version\": 1, "
        "\"devices\": {}}}", -1, &error);

    g_assert_no_error(error);
    g_assert_nonnull(ok);
    for (unsigned i = 0; i < G_N_ELEMENTS(bad_states); i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(JsonNode) n = snapshot_state_parse(bad_states[i].json, -1,
                                                     &e);

        g_assert_null(n);
        g_assert_error(e, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        g_test_message("%s -> %s", bad_states[i].json, e->message);
        g_assert_nonnull(strstr(e->message, bad_states[i].mentions));
    }
}

/* ---- The directory ------------------------------------------------------ */

static unsigned
count_entries(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    unsigned n = 0;

    g_assert_nonnull(d);
    while (g_dir_read_name(d))
        n++;
    return n;
}

static void
test_write_dir(void)
{
    g_autofree char *parent = g_build_filename(test_tmpdir(), "dirs", NULL);
    g_autofree char *dest = g_build_filename(parent, "snap", NULL);
    g_autoptr(JsonNode) cfg = json_from_string("{\"a\": 1}", NULL);
    g_autoptr(JsonNode) st = json_from_string("{\"b\": 2}", NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *reset = g_strdup_printf("rm -r '%s' && mkdir '%s'",
                                             dest, dest);
    struct rlimit saved, small;
    TestMem t;
    bool ok;

    g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
    test_mem_init(&t, true);

    /* An error half-way through memory-ranges (a file size limit: the
     * JSON files fit, the RAM does not) leaves neither the destination
     * nor a temporary directory. */
    g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &saved), ==, 0);
    small = saved;
    small.rlim_cur = 1 << 20;
    signal(SIGXFSZ, SIG_IGN);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);
    ok = snapshot_write_dir(dest, cfg, st, &t.mem, &error);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &saved), ==, 0);
    g_assert_false(ok);
    g_assert_nonnull(error);
    g_test_message("%s", error->message);
    g_clear_error(&error);
    g_assert_false(g_file_test(dest, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(count_entries(parent), ==, 0);

    /* Success: the three files, nothing else left next to them. */
    g_assert_true(snapshot_write_dir(dest, cfg, st, &t.mem, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(count_entries(dest), ==, 3);
    g_assert_cmpuint(count_entries(parent), ==, 1);

    /* A non-empty destination is refused and left as it was. */
    g_assert_false(snapshot_write_dir(dest, cfg, st, &t.mem, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_assert_nonnull(strstr(error->message, "is not empty"));
    g_assert_cmpuint(count_entries(dest), ==, 3);
    g_assert_cmpuint(count_entries(parent), ==, 1);
    g_clear_error(&error);

    /* An empty one is filled. */
    g_assert_cmpint(system(reset), ==, 0);
    g_assert_true(snapshot_write_dir(dest, cfg, st, &t.mem, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(count_entries(dest), ==, 3);
    test_mem_clear(&t);
}

/* ---- RestoreConfig and URLs --------------------------------------------- */

static void
test_restore_config(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) n = json_from_string(
        "{\"source_url\": \"file:///s\", \"prefault\": true, "
        "\"memory_restore_mode\": \"OnDemand\", \"resume\": true, "
        "\"net_fds\": [{\"id\": \"net0\", \"num_fds\": 2}]}", NULL);
    g_autoptr(RestoreConfig) rc = restore_config_from_json(n, &error);
    g_autoptr(RestoreConfig) cli = NULL;
    static const struct {
        const char *json;
        const char *mentions;
    } bad[] = {
        { "{}", "missing field 'source_url'" },
        { "{\"source_url\": 3}", "'source_url' must be a string" },
        { "{\"source_url\": \"file:///s\", \"resume\": 1}",
          "'resume' must be a boolean" },
        { "{\"source_url\": \"file:///s\", \"memory_restore_mode\": \"copy\"}",
          "\"Copy\" or \"OnDemand\"" },
        { "{\"source_url\": \"file:///s\", \"zone_updates\": []}",
          "'zone_updates' is not supported yet" },
        { "{\"source_url\": \"file:///s\", \"x\": 1}", "unknown member 'x'" },
        { "{\"source_url\": \"file:///s\", \"net_fds\": [{\"id\": \"n\"}]}",
          "net_fds[0]" },
        { "{\"source_url\": \"file:///s\", \"net_fds\": [{\"id\": \"n\", "
          "\"num_fds\": 0}]}", "out of range" },
    };

    g_assert_no_error(error);
    g_assert_cmpstr(rc->source_url, ==, "file:///s");
    g_assert_true(rc->prefault);
    g_assert_true(rc->resume);
    g_assert_cmpint(rc->memory_restore_mode, ==, SNAPSHOT_RESTORE_ONDEMAND);
    g_assert_cmpuint(rc->net_fds->len, ==, 1);
    g_assert_cmpstr(g_array_index(rc->net_fds, SnapshotNetFds, 0).id, ==,
                    "net0");
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(JsonNode) b = json_from_string(bad[i].json, NULL);
        g_autoptr(RestoreConfig) r = restore_config_from_json(b, &e);

        g_assert_null(r);
        g_test_message("%s -> %s", bad[i].json, e->message);
        g_assert_nonnull(strstr(e->message, bad[i].mentions));
    }

    cli = restore_config_parse_cli("source_url=file:///d,prefault=on,"
                                   "memory_restore_mode=copy,resume=false",
                                   &error);
    g_assert_no_error(error);
    g_assert_cmpstr(cli->source_url, ==, "file:///d");
    g_assert_true(cli->prefault);
    g_assert_false(cli->resume);
    g_assert_cmpint(cli->memory_restore_mode, ==, SNAPSHOT_RESTORE_COPY);
    g_assert_null(cli->cli_fds);
}

/* --restore net_fds=[id@[fd,...]]: CH's spelling of inherited TAP fds. */
static void
test_restore_cli_net_fds(void)
{
    int p[2];
    g_autofree char *arg = NULL;
    g_autoptr(RestoreConfig) rc = NULL;
    g_autoptr(GError) error = NULL;
    static const struct {
        const char *arg;
        const char *error;
    } bad[] = {
        { "source_url=file:///d,net_fds=[3]",
          "expected a list like [net0@[3,4],net1@[5]]" },
        { "source_url=file:///d,net_fds=[n@[9999]]",
          "--restore: net_fds: fd 9999 of net 'n' is not open" },
        { "source_url=file:///d,net_fds=[n@[0],n@[1]]", "distinct names" },
        { "source_url=file:///d,net_fds=[@[0]]", "expected a list" },
    };

    g_assert_cmpint(pipe(p), ==, 0);
    arg = g_strdup_printf("source_url=file:///d,net_fds=[net0@[%d,%d]]",
                          p[0], p[1]);
    rc = restore_config_parse_cli(arg, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(rc->net_fds->len, ==, 1);
    g_assert_cmpstr(g_array_index(rc->net_fds, SnapshotNetFds, 0).id, ==,
                    "net0");
    g_assert_cmpuint(g_array_index(rc->net_fds, SnapshotNetFds, 0).num_fds,
                     ==, 2);
    g_assert_cmpuint(rc->cli_fds->len, ==, 2);
    g_assert_cmpint(g_array_index(rc->cli_fds, int, 0), ==, p[0]);
    g_assert_cmpint(g_array_index(rc->cli_fds, int, 1), ==, p[1]);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(RestoreConfig) r = restore_config_parse_cli(bad[i].arg, &e);

        g_assert_null(r);
        g_test_message("%s -> %s", bad[i].arg, e->message);
        g_assert_nonnull(strstr(e->message, bad[i].error));
    }
    close(p[0]);
    close(p[1]);
}

static void
test_url(void)
{
    static const struct {
        const char *url;
        const char *path;
    } cases[] = {
        { "file:///tmp/snap", "/tmp/snap" },
        { "file:///tmp/snap/", "/tmp/snap" },
        { "file:///tmp/a%20b", "/tmp/a b" },
        { "/tmp/snap", NULL },
        { "tcp:1.2.3.4:5", NULL },
        { "file://host/tmp", NULL },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) e = NULL;
        g_autofree char *p = snapshot_url_to_path(cases[i].url, &e);

        g_assert_cmpstr(p, ==, cases[i].path);
        if (!cases[i].path)
            g_assert_error(e, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
}

/* ---- Fuzz seeds --------------------------------------------------------- */

static void
write_seed(const char *dir, const char *name, const char *text)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);

    g_assert_true(g_file_set_contents(p, text, -1, NULL));
}

/* A state.json as vm.snapshot writes it (fake vCPUs, the fuzz target's
 * memory layout, no devices), and variants one step from valid. */
static int
write_corpus(const char *dir)
{
    g_autoptr(FakeVm) f = fake_vm_new();
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    JsonObject *o = json_object_new();
    JsonObject *dm = json_object_new();
    g_autofree char *text = NULL;
    g_autofree char *v2 = NULL;
    g_autofree char *msr = NULL;
    TestMem t;

    g_mkdir_with_parents(dir, 0755);
    fake_vm_scramble(f, 1);
    test_mem_init(&t, false);
    json_node_take_object(root, o);
    json_object_set_int_member(o, "version", 1);
    json_object_set_member(o, "vm", snapshot_vm_hv_save(&hv_fake_ops, f->hv,
                                                        1000000000, NULL));
    json_object_set_member(o, "cpu-manager", save_cpus(f));
    json_object_set_member(o, "memory-manager",
                           snapshot_memory_table_save(&t.mem));
    json_object_set_int_member(dm, "version", 1);
    json_object_set_object_member(dm, "devices", json_object_new());
    json_object_set_object_member(o, "device-manager", dm);
    text = json_to_string(root, TRUE);
    write_seed(dir, "valid.json", text);
    v2 = edited(text, "\"version\" : 1", "\"version\" : 2");
    write_seed(dir, "newer.json", v2);
    msr = edited(text, "\"index\" : 16", "\"index\" : 2139127167");
    write_seed(dir, "bad-msr.json", msr);
    write_seed(dir, "truncated.json", "{\"version\": 1, \"vm\": {\"versi");
    test_mem_clear(&t);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && g_str_equal(argv[1], "--write-corpus"))
        return write_corpus(argv[2]);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/snapshot/cpu/round-trip", test_cpu_round_trip);
    g_test_add_func("/snapshot/cpu/refusals", test_cpu_refusals);
    g_test_add_func("/snapshot/cpu/advance-tsc", test_cpu_advance_tsc);
    g_test_add_func("/snapshot/vm/clock", test_vm_clock);
    g_test_add_func("/snapshot/memory/round-trip", test_memory_round_trip);
    g_test_add_func("/snapshot/memory/truncated", test_memory_truncated);
    g_test_add_func("/snapshot/memory/ondemand", test_memory_ondemand);
    g_test_add_func("/snapshot/memory/table", test_memory_table);
    g_test_add_func("/snapshot/state/parse", test_state_parse);
    g_test_add_func("/snapshot/dir/atomic", test_write_dir);
    g_test_add_func("/snapshot/restore-config", test_restore_config);
    g_test_add_func("/snapshot/url", test_url);
    g_test_add_func("/snapshot/restore-cli-net-fds", test_restore_cli_net_fds);
    return g_test_run();
}

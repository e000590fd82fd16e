/* SPDX-License-Identifier: Apache-2.0 */
/* Exit dispatch and the vCPU run loop, driven by the fake backend. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "daemon/hv/fake.h"
#include "daemon/vcpu.h"

typedef struct {
    VmmDevice dev;
    GMutex lock;
    unsigned reads, writes;
    uint64_t last_off, last_val;
} CountDev;

static void
count_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    CountDev *c = (CountDev *)dev;

    g_mutex_lock(&c->lock);
    vmm_le_store(data, len, 0xa0 + c->reads++);
    c->last_off = off;
    g_mutex_unlock(&c->lock);
}

static void
count_write(VmmDevice *dev, uint64_t off, const void *data, unsigned len)
{
    CountDev *c = (CountDev *)dev;

    g_mutex_lock(&c->lock);
    c->writes++;
    c->last_off = off;
    c->last_val = vmm_le_load(data, len);
    g_mutex_unlock(&c->lock);
}

static unsigned
count_writes(CountDev *c)
{
    unsigned n;

    g_mutex_lock(&c->lock);
    n = c->writes;
    g_mutex_unlock(&c->lock);
    return n;
}

static const VmmDeviceOps count_ops = {
    .name = "count", .read = count_read, .write = count_write,
};

typedef struct {
    Bus *pio, *mmio;
    CountDev dev;
    VcpuBuses buses;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer unused)
{
    memset(f, 0, sizeof(*f));
    f->pio = bus_new("pio");
    f->mmio = bus_new("mmio");
    f->dev.dev.ops = &count_ops;
    f->dev.dev.id = (char *)"count";
    g_mutex_init(&f->dev.lock);
    g_assert_true(bus_register(f->pio, 0x3f8, 8, &f->dev.dev, NULL));
    g_assert_true(bus_register(f->mmio, 0xd0000000, 0x1000, &f->dev.dev, NULL));
    f->buses.pio = f->pio;
    f->buses.mmio = f->mmio;
}

static void
fixture_teardown(Fixture *f, gconstpointer unused)
{
    bus_free(f->pio);
    bus_free(f->mmio);
    g_mutex_clear(&f->dev.lock);
}

static void
test_exit_pio_out(Fixture *f, gconstpointer unused)
{
    uint8_t data[8] = { 0x41 };
    HvExit ex = { .reason = HV_EXIT_PIO,
                  .io = { .addr = 0x3f9, .data = data, .len = 1, .count = 1,
                          .is_write = true } };

    g_assert_cmpint(vcpu_handle_exit(&f->buses, &ex), ==, VCPU_CONTINUE);
    g_assert_cmpuint(f->dev.writes, ==, 1);
    g_assert_cmpuint(f->dev.last_off, ==, 1);
    g_assert_cmpuint(f->dev.last_val, ==, 0x41);
}

static void
test_exit_pio_string_in(Fixture *f, gconstpointer unused)
{
    uint8_t data[6];
    HvExit ex = { .reason = HV_EXIT_PIO,
                  .io = { .addr = 0x3f8, .data = data, .len = 2, .count = 3,
                          .is_write = false } };

    memset(data, 0, sizeof(data));
    g_assert_cmpint(vcpu_handle_exit(&f->buses, &ex), ==, VCPU_CONTINUE);
    /* rep insw: three reads, each element at its own offset in the buffer. */
    g_assert_cmpuint(f->dev.reads, ==, 3);
    g_assert_cmpuint(vmm_le_load(data, 2), ==, 0xa0);
    g_assert_cmpuint(vmm_le_load(data + 2, 2), ==, 0xa1);
    g_assert_cmpuint(vmm_le_load(data + 4, 2), ==, 0xa2);
}

static void
test_exit_mmio(Fixture *f, gconstpointer unused)
{
    uint8_t data[8];
    HvExit ex = { .reason = HV_EXIT_MMIO,
                  .io = { .addr = 0xd0000010, .data = data, .len = 4,
                          .count = 1, .is_write = false } };

    g_assert_cmpint(vcpu_handle_exit(&f->buses, &ex), ==, VCPU_CONTINUE);
    g_assert_cmpuint(f->dev.last_off, ==, 0x10);
    /* Nobody there: all-ones, and the guest goes on. */
    ex.io.addr = 0xe0000000;
    g_assert_cmpint(vcpu_handle_exit(&f->buses, &ex), ==, VCPU_CONTINUE);
    g_assert_cmpuint(vmm_le_load(data, 4), ==, 0xffffffff);
    ex.io.is_write = true;
    g_assert_cmpint(vcpu_handle_exit(&f->buses, &ex), ==, VCPU_CONTINUE);
}

static void
test_exit_actions(Fixture *f, gconstpointer unused)
{
    static const struct {
        HvExitReason reason;
        VcpuAction action;
    } table[] = {
        { HV_EXIT_INTR, VCPU_CONTINUE },
        { HV_EXIT_HLT, VCPU_CONTINUE },
        { HV_EXIT_SYSTEM_SHUTDOWN, VCPU_POWEROFF },
        { HV_EXIT_SYSTEM_RESET, VCPU_RESET },
        { HV_EXIT_SHUTDOWN, VCPU_RESET },   /* triple fault: reset, as CH */
        { HV_EXIT_INTERNAL_ERROR, VCPU_CRASH },
        { HV_EXIT_FAIL_ENTRY, VCPU_CRASH },
        { HV_EXIT_UNKNOWN, VCPU_CRASH },
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(table); i++) {
        HvExit ex = { .reason = table[i].reason };
        g_assert_cmpint(vcpu_handle_exit(&f->buses, &ex), ==, table[i].action);
    }
}

typedef struct {
    GMutex lock;
    VcpuAction last;
    unsigned calls;
} StopRecord;

static void
record_stop(Vcpu *vcpu, VcpuAction why, gpointer opaque)
{
    StopRecord *r = opaque;

    g_mutex_lock(&r->lock);
    r->last = why;
    r->calls++;
    g_mutex_unlock(&r->lock);
}

static bool
wait_until(bool (*pred)(gpointer), gpointer data)
{
    for (int i = 0; i < 500; i++) {
        if (pred(data))
            return true;
        g_usleep(10 * 1000);
    }
    return false;
}

static bool
one_write(gpointer data)
{
    return count_writes(data) >= 1;
}

static bool
two_writes(gpointer data)
{
    return count_writes(data) >= 2;
}

static bool
stop_recorded(gpointer data)
{
    StopRecord *r = data;
    bool done;

    g_mutex_lock(&r->lock);
    done = r->calls > 0;
    g_mutex_unlock(&r->lock);
    return done;
}

static void
test_thread_pause_resume_stop(Fixture *f, gconstpointer unused)
{
    g_autoptr(GError) error = NULL;
    Hv *hv = hv_fake_ops.vm_new(NULL);
    VcpuControl ctl;
    StopRecord rec = { 0 };
    Vcpu *vcpu;
    uint8_t byte = 0x55;
    HvExit out = { .reason = HV_EXIT_PIO,
                   .io = { .addr = 0x3f8, .len = 1, .count = 1, .is_write = true } };

    vcpu_control_init(&ctl);
    g_mutex_init(&rec.lock);
    vcpu = vcpu_new(&hv_fake_ops, hv, 0, &ctl, &f->buses, record_stop, &rec,
                    &error);
    g_assert_no_error(error);
    g_assert_true(vcpu_start(vcpu, &error));

    hv_fake_push_exit(vcpu_hv(vcpu), &out, &byte);
    g_assert_true(wait_until(one_write, &f->dev));

    /* Pause returns only once the thread is parked... */
    vcpu_control_request(&ctl, &vcpu, 1, VCPU_REQ_PAUSE);
    g_assert_cmpuint(ctl.parked, ==, 1);
    /* ...and a parked vCPU runs nothing. */
    hv_fake_push_exit(vcpu_hv(vcpu), &out, &byte);
    g_usleep(100 * 1000);
    g_assert_cmpuint(count_writes(&f->dev), ==, 1);

    vcpu_control_request(&ctl, &vcpu, 1, VCPU_REQ_NONE);
    g_assert_true(wait_until(two_writes, &f->dev));

    vcpu_control_request(&ctl, &vcpu, 1, VCPU_REQ_STOP);
    g_assert_cmpuint(ctl.running, ==, 0);
    g_assert_cmpuint(rec.calls, ==, 0);
    vcpu_free(vcpu);
    hv_fake_ops.vm_free(hv);
    vcpu_control_clear(&ctl);
    g_mutex_clear(&rec.lock);
}

static void
test_thread_guest_stop(Fixture *f, gconstpointer unused)
{
    g_autoptr(GError) error = NULL;
    Hv *hv = hv_fake_ops.vm_new(NULL);
    VcpuControl ctl;
    StopRecord rec = { 0 };
    Vcpu *vcpu;
    HvExit off = { .reason = HV_EXIT_SYSTEM_SHUTDOWN };
    unsigned runs;

    vcpu_control_init(&ctl);
    g_mutex_init(&rec.lock);
    vcpu = vcpu_new(&hv_fake_ops, hv, 0, &ctl, &f->buses, record_stop, &rec,
                    &error);
    g_assert_true(vcpu_start(vcpu, &error));
    hv_fake_push_exit(vcpu_hv(vcpu), &off, NULL);
    g_assert_true(wait_until(stop_recorded, &rec));
    g_assert_cmpint(rec.last, ==, VCPU_POWEROFF);

    /* After the guest stopped it, the vCPU never re-enters the guest,
     * even across a pause/resume cycle. */
    runs = hv_fake_run_count(vcpu_hv(vcpu));
    vcpu_control_request(&ctl, &vcpu, 1, VCPU_REQ_PAUSE);
    vcpu_control_request(&ctl, &vcpu, 1, VCPU_REQ_NONE);
    g_usleep(50 * 1000);
    g_assert_cmpuint(hv_fake_run_count(vcpu_hv(vcpu)), ==, runs);

    vcpu_control_request(&ctl, &vcpu, 1, VCPU_REQ_STOP);
    g_assert_cmpuint(rec.calls, ==, 1);
    vcpu_free(vcpu);
    hv_fake_ops.vm_free(hv);
    vcpu_control_clear(&ctl);
    g_mutex_clear(&rec.lock);
}

/* A triple fault resets the VM (as CH does on KVM_EXIT_SHUTDOWN), after
 * the register report whose first line tests/harness/with-kvm looks for.
 * Run in a subprocess to check what goes to stderr. */
static void
test_thread_triple_fault(Fixture *f, gconstpointer unused)
{
    g_autoptr(GError) error = NULL;
    Hv *hv;
    VcpuControl ctl;
    StopRecord rec = { 0 };
    Vcpu *vcpu;
    HvExit tf = { .reason = HV_EXIT_SHUTDOWN };
    /* What KVM on AMD leaves after a shutdown intercept: the reset state. */
    struct kvm_regs regs = { .rip = 0xfff0, .rdx = 0x600 };
    struct kvm_sregs sregs = { .cs = { .selector = 0xf000,
                                       .base = 0xffff0000 } };

    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        g_test_trap_assert_stderr("*vcpu0: shutdown (triple fault): "
                                  "resetting the VM*rip=000000000000fff0*"
                                  "this is the reset state*");
        return;
    }
    hv = hv_fake_ops.vm_new(NULL);
    vcpu_control_init(&ctl);
    g_mutex_init(&rec.lock);
    vcpu = vcpu_new(&hv_fake_ops, hv, 0, &ctl, &f->buses, record_stop, &rec,
                    &error);
    g_assert_no_error(error);
    g_assert_cmpint(hv_fake_ops.set_regs(vcpu_hv(vcpu), &regs), ==, 0);
    g_assert_cmpint(hv_fake_ops.set_sregs(vcpu_hv(vcpu), &sregs), ==, 0);
    g_assert_true(vcpu_start(vcpu, &error));
    hv_fake_push_exit(vcpu_hv(vcpu), &tf, NULL);
    g_assert_true(wait_until(stop_recorded, &rec));
    g_assert_cmpint(rec.last, ==, VCPU_RESET);
    vcpu_control_request(&ctl, &vcpu, 1, VCPU_REQ_STOP);
    g_assert_cmpuint(rec.calls, ==, 1);
    vcpu_free(vcpu);
    hv_fake_ops.vm_free(hv);
    vcpu_control_clear(&ctl);
    g_mutex_clear(&rec.lock);
}

static void
test_thread_many_pauses(Fixture *f, gconstpointer unused)
{
    Hv *hv = hv_fake_ops.vm_new(NULL);
    VcpuControl ctl;
    StopRecord rec = { 0 };
    Vcpu *vcpus[4];

    vcpu_control_init(&ctl);
    g_mutex_init(&rec.lock);
    for (unsigned i = 0; i < G_N_ELEMENTS(vcpus); i++) {
        vcpus[i] = vcpu_new(&hv_fake_ops, hv, i, &ctl, &f->buses, record_stop,
                            &rec, NULL);
        g_assert_true(vcpu_start(vcpus[i], NULL));
    }
    /* Pause must never lose a vCPU, however the requests interleave with
     * the threads' own progress. */
    for (unsigned round = 0; round < 200; round++) {
        vcpu_control_request(&ctl, vcpus, 4, VCPU_REQ_PAUSE);
        g_assert_cmpuint(ctl.parked, ==, 4);
        vcpu_control_request(&ctl, vcpus, 4, VCPU_REQ_NONE);
    }
    vcpu_control_request(&ctl, vcpus, 4, VCPU_REQ_STOP);
    g_assert_cmpuint(ctl.running, ==, 0);
    for (unsigned i = 0; i < G_N_ELEMENTS(vcpus); i++)
        vcpu_free(vcpus[i]);
    hv_fake_ops.vm_free(hv);
    vcpu_control_clear(&ctl);
    g_mutex_clear(&rec.lock);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/vcpu/exit/pio-out", test_exit_pio_out);
    ADD("/vcpu/exit/pio-string-in", test_exit_pio_string_in);
    ADD("/vcpu/exit/mmio", test_exit_mmio);
    ADD("/vcpu/exit/actions", test_exit_actions);
    ADD("/vcpu/thread/pause-resume-stop", test_thread_pause_resume_stop);
    ADD("/vcpu/thread/guest-stop", test_thread_guest_stop);
    ADD("/vcpu/thread/triple-fault", test_thread_triple_fault);
    ADD("/vcpu/thread/many-pauses", test_thread_many_pauses);
    return g_test_run();
}

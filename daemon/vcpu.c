/* SPDX-License-Identifier: Apache-2.0 */
/* vCPU threads: the run loop, exit dispatch, and synchronous pause/stop. */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/thread-role.h"
#include "daemon/vcpu.h"

struct Vcpu {
    uint32_t index;                 /* immutable */
    const HvOps *ops;               /* immutable */
    HvVcpu *hv;                     /* immutable; state calls on own thread */
    VcpuControl *ctl;               /* shared */
    VcpuBuses buses;                /* immutable */
    VcpuGuestStopFunc stop_cb;
    gpointer opaque;
    GThread *thread;                /* control thread only */
    pthread_t tid;                  /* ctl->lock; valid when tid_valid */
    bool tid_valid;                 /* ctl->lock */
    bool thread_alive;              /* ctl->lock */
    pid_t ktid;                     /* ctl->lock; kernel id, 0: no thread */
    bool released;                  /* ctl->lock: may enter the guest */
    int unplug;                     /* atomic reads, writes under ctl->lock */
    cpu_set_t *affinity;            /* control thread; NULL: not pinned */
};

/* The signal that knocks a vCPU thread out of KVM_RUN.  Its handler does
 * nothing: the point is the EINTR. */
#define VCPU_KICK_SIGNAL (SIGRTMIN + 4)

/* Where an x86 vCPU starts after INIT/reset (SDM vol. 3A 9.1.4): CS base
 * 0xffff0000, IP 0xfff0. */
#define X86_RESET_RIP     0xfff0
#define X86_RESET_CS_BASE 0xffff0000

static void
vcpu_kick_handler(int sig)
{
}

static bool vcpu_apply_affinity(Vcpu *vcpu, GError **error);

static gpointer
vcpu_install_kick_handler(gpointer unused)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = vcpu_kick_handler;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: KVM_RUN must return EINTR. */
    sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
    return NULL;
}

/* One element of a (possibly string) port I/O or an MMIO access. */
static void
vcpu_dispatch_io(Bus *bus, HvIo *io)
{
    for (uint32_t i = 0; i < io->count; i++) {
        uint8_t *data = io->data + (size_t)i * io->len;
        bool claimed;

        if (io->is_write)
            claimed = bus_write(bus, io->addr, data, io->len);
        else
            claimed = bus_read(bus, io->addr, data, io->len);
        if (!claimed)
            g_debug("unclaimed %s at 0x%" G_GINT64_MODIFIER "x len %u",
                    io->is_write ? "write" : "read", io->addr, io->len);
    }
}

VcpuAction
vcpu_handle_exit(const VcpuBuses *buses, HvExit *ex)
{
    switch (ex->reason) {
    case HV_EXIT_PIO:
        vcpu_dispatch_io(buses->pio, &ex->io);
        return VCPU_CONTINUE;
    case HV_EXIT_MMIO:
        vcpu_dispatch_io(buses->mmio, &ex->io);
        return VCPU_CONTINUE;
    case HV_EXIT_INTR:
    case HV_EXIT_HLT:
        /* HLT only reaches us without an in-kernel LAPIC; re-entering the
         * guest is the right answer for both. */
        return VCPU_CONTINUE;
    case HV_EXIT_SYSTEM_SHUTDOWN:
        return VCPU_POWEROFF;
    case HV_EXIT_SYSTEM_RESET:
        return VCPU_RESET;
    case HV_EXIT_SHUTDOWN:
        /* A triple fault resets the machine on real hardware; CH (and
         * QEMU without -no-reboot) reset the VM, and so do we.  The run
         * loop logs the registers first. */
        return VCPU_RESET;
    case HV_EXIT_INTERNAL_ERROR:
    case HV_EXIT_FAIL_ENTRY:
    case HV_EXIT_UNKNOWN:
    case HV_EXIT_LAST:
        break;
    }
    return VCPU_CRASH;
}

static const char *
vcpu_exit_name(HvExitReason r)
{
    static const char *const names[] = {
        [HV_EXIT_PIO] = "port I/O",
        [HV_EXIT_MMIO] = "MMIO",
        [HV_EXIT_HLT] = "HLT",
        [HV_EXIT_SHUTDOWN] = "shutdown (triple fault)",
        [HV_EXIT_SYSTEM_RESET] = "system reset",
        [HV_EXIT_SYSTEM_SHUTDOWN] = "system shutdown",
        [HV_EXIT_INTR] = "interrupted",
        [HV_EXIT_INTERNAL_ERROR] = "KVM internal error",
        [HV_EXIT_FAIL_ENTRY] = "VM entry failure",
        [HV_EXIT_UNKNOWN] = "unknown exit",
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == HV_EXIT_LAST);
    return r < HV_EXIT_LAST ? names[r] : "?";
}

Vcpu *
vcpu_new(const HvOps *ops, Hv *hv, uint32_t index, VcpuControl *ctl,
         const VcpuBuses *buses, VcpuGuestStopFunc stop_cb, gpointer opaque,
         GError **error)
{
    static GOnce once = G_ONCE_INIT;
    g_autoptr(Vcpu) vcpu = g_new0(Vcpu, 1);

    g_once(&once, vcpu_install_kick_handler, NULL);
    vcpu->index = index;
    vcpu->ops = ops;
    vcpu->ctl = ctl;
    vcpu->buses = *buses;
    vcpu->stop_cb = stop_cb;
    vcpu->opaque = opaque;
    vcpu->hv = ops->vcpu_new(hv, index, error);
    if (!vcpu->hv)
        return NULL;
    return g_steal_pointer(&vcpu);
}

void
vcpu_free(Vcpu *vcpu)
{
    if (!vcpu)
        return;
    g_assert(!vcpu->thread);
    if (vcpu->hv)
        vcpu->ops->vcpu_free(vcpu->hv);
    g_free(vcpu->affinity);
    g_free(vcpu);
}

uint32_t
vcpu_index(Vcpu *vcpu)
{
    return vcpu->index;
}

HvVcpu *
vcpu_hv(Vcpu *vcpu)
{
    return vcpu->hv;
}

/*
 * Parks the thread while a PAUSE request stands.  Returns true when the
 * thread must exit (STOP).  @guest_stopped: the guest stopped this vCPU
 * (power-off/reset/crash), so it must not re-enter KVM_RUN even when the
 * request goes back to NONE; it waits for the STOP that follows.
 */
static bool
vcpu_park(Vcpu *vcpu, bool guest_stopped)
{
    VcpuControl *ctl = vcpu->ctl;
    bool stop;

    g_mutex_lock(&ctl->lock);
    /* The kick did its job; a later kick re-arms it. */
    vcpu->ops->vcpu_clear_kick(vcpu->hv);
    ctl->parked++;
    g_cond_broadcast(&ctl->cond);
    while (!vcpu->unplug &&
           (ctl->request == VCPU_REQ_PAUSE ||
            (guest_stopped && ctl->request == VCPU_REQ_NONE)))
        g_cond_wait(&ctl->cond, &ctl->lock);
    ctl->parked--;
    stop = ctl->request == VCPU_REQ_STOP || vcpu->unplug;
    g_mutex_unlock(&ctl->lock);
    return stop;
}

void
vcpu_log_registers(Vcpu *vcpu, const char *why)
{
    struct kvm_regs r;
    struct kvm_sregs s;

    if (vcpu->ops->get_regs(vcpu->hv, &r) < 0 ||
        vcpu->ops->get_sregs(vcpu->hv, &s) < 0) {
        g_printerr("vcpu%u: %s (registers unavailable)\n", vcpu->index, why);
        return;
    }
    /* On stderr even at the default log level: this is the crash report. */
    g_printerr("vcpu%u: %s\n"
               "  rip=%016llx rsp=%016llx rflags=%016llx\n"
               "  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
               "  rsi=%016llx rdi=%016llx rbp=%016llx\n"
               "  r8 =%016llx r9 =%016llx r10=%016llx r11=%016llx\n"
               "  r12=%016llx r13=%016llx r14=%016llx r15=%016llx\n"
               "  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx efer=%016llx\n"
               "  cs=%04x base=%016llx ss=%04x ds=%04x gdt=%016llx/%04x idt=%016llx/%04x\n",
               vcpu->index, why, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx,
               r.rdx, r.rsi, r.rdi, r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12,
               r.r13, r.r14, r.r15, s.cr0, s.cr2, s.cr3, s.cr4, s.efer,
               s.cs.selector, s.cs.base, s.ss.selector, s.ds.selector,
               s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
}

/* A triple fault: the registers, then the VM resets (vcpu_handle_exit). */
static void
vcpu_log_triple_fault(Vcpu *vcpu)
{
    struct kvm_regs r;
    struct kvm_sregs s;

    /* The harness's crash detection greps for this line
     * (tests/harness/with-kvm): keep "shutdown (triple fault)". */
    vcpu_log_registers(vcpu, "shutdown (triple fault): resetting the VM");
    /* On AMD, KVM reinitialises the VMCB on a shutdown intercept before
     * it returns KVM_EXIT_SHUTDOWN (svm.c shutdown_interception), so the
     * state at the fault is gone; say so rather than let the reset vector
     * pass for the place the guest died. */
    if (vcpu->ops->get_regs(vcpu->hv, &r) == 0 &&
        vcpu->ops->get_sregs(vcpu->hv, &s) == 0 &&
        r.rip == X86_RESET_RIP && s.cs.base == X86_RESET_CS_BASE)
        g_printerr("  (this is the reset state: KVM on AMD SVM resets the "
                   "vCPU before it reports a shutdown)\n");
}

static gpointer
vcpu_thread(gpointer data)
{
    Vcpu *vcpu = data;
    VcpuControl *ctl = vcpu->ctl;
    sigset_t set;
    bool guest_stopped = false;

    /* Only vCPU threads take the kick signal. */
    sigemptyset(&set);
    sigaddset(&set, VCPU_KICK_SIGNAL);
    g_mutex_lock(&ctl->lock);
    vcpu->tid = pthread_self();
    vcpu->tid_valid = true;
    vcpu->ktid = gettid();
    g_cond_broadcast(&ctl->cond);
    /* vcpu_start() pins the thread before it may run guest code. */
    while (!vcpu->released)
        g_cond_wait(&ctl->cond, &ctl->lock);
    g_mutex_unlock(&ctl->lock);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    for (;;) {
        HvExit ex;
        VcpuAction action;
        int r;

        /* Unplugged (the guest ejected it): the thread ends, the vCPU
         * stays for a later plug (KVM cannot destroy a vCPU). */
        if (g_atomic_int_get(&vcpu->unplug))
            break;
        if (guest_stopped || g_atomic_int_get(&ctl->request) != VCPU_REQ_NONE) {
            if (vcpu_park(vcpu, guest_stopped))
                break;
            continue;
        }
        r = vcpu->ops->vcpu_run(vcpu->hv, &ex);
        if (r < 0) {
            g_autofree char *why = g_strdup_printf("KVM_RUN failed: %s",
                                                   g_strerror(-r));
            vcpu_log_registers(vcpu, why);
            action = VCPU_CRASH;
        } else if (ex.reason == HV_EXIT_INTR) {
            /* Clear before the request is looked at again: a kick that
             * lands after this is still seen at the next KVM_RUN. */
            vcpu->ops->vcpu_clear_kick(vcpu->hv);
            continue;
        } else {
            action = vcpu_handle_exit(&vcpu->buses, &ex);
            if (ex.reason == HV_EXIT_SHUTDOWN)
                vcpu_log_triple_fault(vcpu);
            if (action == VCPU_CRASH) {
                g_autofree char *why =
                    g_strdup_printf("%s (hardware reason 0x%" G_GINT64_MODIFIER
                                    "x, suberror %u)", vcpu_exit_name(ex.reason),
                                    ex.hw_reason, ex.suberror);
                vcpu_log_registers(vcpu, why);
            }
        }
        if (action != VCPU_CONTINUE) {
            guest_stopped = true;
            vcpu->stop_cb(vcpu, action, vcpu->opaque);
        }
    }

    /* Debug aid (docs/testing.md): where was the guest when it stopped? */
    if (g_getenv("NIMBUS_DUMP_REGS"))
        vcpu_log_registers(vcpu, "stopped");
    g_mutex_lock(&ctl->lock);
    vcpu->thread_alive = false;
    vcpu->tid_valid = false;
    vcpu->ktid = 0;
    ctl->running--;
    g_cond_broadcast(&ctl->cond);
    g_mutex_unlock(&ctl->lock);
    return NULL;
}

bool
vcpu_start(Vcpu *vcpu, GError **error)
{
    g_autofree char *name = g_strdup_printf("vcpu%u", vcpu->index);
    VcpuControl *ctl = vcpu->ctl;
    sigset_t set, old;
    bool ok;

    g_assert(!vcpu->thread);
    /* The thread starts with the kick signal blocked and unblocks it
     * itself, so it can never die of a kick before its handler matters. */
    sigemptyset(&set);
    sigaddset(&set, VCPU_KICK_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    g_mutex_lock(&ctl->lock);
    ctl->running++;
    vcpu->thread_alive = true;
    vcpu->released = false;
    g_mutex_unlock(&ctl->lock);
    vcpu->thread = thread_role_new(THREAD_ROLE_VCPU, name, vcpu_thread, vcpu,
                                   error);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!vcpu->thread) {
        g_mutex_lock(&ctl->lock);
        ctl->running--;
        vcpu->thread_alive = false;
        g_mutex_unlock(&ctl->lock);
        return false;
    }
    /* The thread waits for its release once it has published its id. */
    g_mutex_lock(&ctl->lock);
    while (!vcpu->ktid)
        g_cond_wait(&ctl->cond, &ctl->lock);
    g_mutex_unlock(&ctl->lock);
    ok = vcpu_apply_affinity(vcpu, error);
    g_mutex_lock(&ctl->lock);
    if (!ok)
        vcpu->unplug = true;    /* it leaves before entering the guest */
    vcpu->released = true;
    g_cond_broadcast(&ctl->cond);
    g_mutex_unlock(&ctl->lock);
    if (!ok) {
        vcpu_join(vcpu);
        g_mutex_lock(&ctl->lock);
        vcpu->unplug = false;
        g_mutex_unlock(&ctl->lock);
    }
    return ok;
}

/* Control thread: pins the live thread to vcpu->affinity, if any. */
static bool
vcpu_apply_affinity(Vcpu *vcpu, GError **error)
{
    pid_t ktid;

    g_mutex_lock(&vcpu->ctl->lock);
    ktid = vcpu->ktid;
    g_mutex_unlock(&vcpu->ctl->lock);
    if (!vcpu->affinity || !ktid)
        return true;
    if (sched_setaffinity(ktid, sizeof(cpu_set_t), vcpu->affinity) < 0) {
        int e = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot pin vCPU %u (thread %d): %s", vcpu->index,
                    (int)ktid, g_strerror(e));
        return false;
    }
    return true;
}

bool
vcpu_set_affinity(Vcpu *vcpu, const GArray *host_cpus, GError **error)
{
    g_autofree cpu_set_t *set = NULL;

    if (host_cpus) {
        set = g_new0(cpu_set_t, 1);
        for (guint i = 0; i < host_cpus->len; i++) {
            uint32_t c = g_array_index(host_cpus, uint32_t, i);

            if (c >= CPU_SETSIZE) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "vCPU %u: host CPU %u is out of range (0 to %d)",
                            vcpu->index, c, CPU_SETSIZE - 1);
                return false;
            }
            CPU_SET(c, set);
        }
    }
    g_free(vcpu->affinity);
    vcpu->affinity = g_steal_pointer(&set);
    return vcpu_apply_affinity(vcpu, error);
}

void
vcpu_unplug(Vcpu *vcpu)
{
    VcpuControl *ctl = vcpu->ctl;

    if (!vcpu->thread)
        return;
    g_mutex_lock(&ctl->lock);
    g_atomic_int_set(&vcpu->unplug, 1);
    /* A parked thread wakes up to see it. */
    g_cond_broadcast(&ctl->cond);
    g_mutex_unlock(&ctl->lock);
    vcpu_kick(vcpu);
    vcpu_join(vcpu);
    g_mutex_lock(&ctl->lock);
    g_atomic_int_set(&vcpu->unplug, 0);
    g_mutex_unlock(&ctl->lock);
}

void
vcpu_kick(Vcpu *vcpu)
{
    VcpuControl *ctl = vcpu->ctl;

    vcpu->ops->vcpu_kick(vcpu->hv);
    g_mutex_lock(&ctl->lock);
    /* pthread_kill on an exited thread is undefined: only signal live ones. */
    if (vcpu->thread_alive && vcpu->tid_valid)
        pthread_kill(vcpu->tid, VCPU_KICK_SIGNAL);
    g_mutex_unlock(&ctl->lock);
}

void
vcpu_join(Vcpu *vcpu)
{
    if (vcpu->thread)
        g_thread_join(g_steal_pointer(&vcpu->thread));
}

void
vcpu_control_init(VcpuControl *ctl)
{
    memset(ctl, 0, sizeof(*ctl));
    g_mutex_init(&ctl->lock);
    g_cond_init(&ctl->cond);
}

void
vcpu_control_clear(VcpuControl *ctl)
{
    g_mutex_clear(&ctl->lock);
    g_cond_clear(&ctl->cond);
}

void
vcpu_control_request(VcpuControl *ctl, Vcpu **vcpus, unsigned n,
                     VcpuRequest req)
{
    g_mutex_lock(&ctl->lock);
    g_atomic_int_set(&ctl->request, req);
    g_cond_broadcast(&ctl->cond);
    g_mutex_unlock(&ctl->lock);
    if (req == VCPU_REQ_NONE)
        return;
    for (unsigned i = 0; i < n; i++)
        vcpu_kick(vcpus[i]);

    g_mutex_lock(&ctl->lock);
    if (req == VCPU_REQ_PAUSE) {
        while (ctl->parked < ctl->running)
            g_cond_wait(&ctl->cond, &ctl->lock);
    } else {
        while (ctl->running > 0)
            g_cond_wait(&ctl->cond, &ctl->lock);
    }
    g_mutex_unlock(&ctl->lock);
    if (req == VCPU_REQ_STOP) {
        for (unsigned i = 0; i < n; i++)
            vcpu_join(vcpus[i]);
    }
}

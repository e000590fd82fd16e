/* SPDX-License-Identifier: Apache-2.0 */
/* vCPU threads: the run loop, exit dispatch, and synchronous pause/stop. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "daemon/hv/hv.h"
#include "devices/bus.h"

typedef struct Vm Vm;

/* What the run loop does after an exit. */
typedef enum {
    VCPU_CONTINUE,
    VCPU_POWEROFF,     /* guest asked to power off */
    VCPU_RESET,        /* guest asked to reset */
    VCPU_CRASH,        /* triple fault, internal error: log registers, stop */
} VcpuAction;

typedef struct {
    Bus *pio;
    Bus *mmio;
} VcpuBuses;

/**
 * vcpu_handle_exit:
 * Dispatches one exit: port I/O and MMIO go to the buses, power events
 * become actions.  Pure (no ioctl), so unit tests drive it with exits from
 * the fake backend.  Accesses nobody claims are ignored (reads: all-ones).
 */
VcpuAction vcpu_handle_exit(const VcpuBuses *buses, HvExit *ex);

/* Requests the control thread sends to every vCPU thread. */
typedef enum {
    VCPU_REQ_NONE,
    VCPU_REQ_PAUSE,
    VCPU_REQ_STOP,
} VcpuRequest;

/*
 * VcpuControl: shared by the VM's vCPUs.  @request is written under @lock
 * and read lock-free by vCPU threads at the top of each run-loop iteration;
 * the kick (immediate_exit + signal) guarantees a vCPU inside KVM_RUN comes
 * out to look at it.  @parked counts vCPU threads waiting in the park loop.
 */
typedef struct {
    GMutex lock;
    GCond cond;
    int request;          /* VcpuRequest; atomic reads, writes under lock */
    unsigned parked;      /* lock */
    unsigned running;     /* threads alive; lock */
} VcpuControl;

typedef struct Vcpu Vcpu;

/* Called on the vCPU thread when the guest stops itself (power-off, reset,
 * crash); must only record the event and schedule work elsewhere. */
typedef void (*VcpuGuestStopFunc)(Vcpu *vcpu, VcpuAction why, gpointer opaque);

Vcpu *vcpu_new(const HvOps *ops, Hv *hv, uint32_t index, VcpuControl *ctl,
               const VcpuBuses *buses, VcpuGuestStopFunc stop_cb,
               gpointer opaque, GError **error);
void vcpu_free(Vcpu *vcpu);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Vcpu, vcpu_free)

uint32_t vcpu_index(Vcpu *vcpu);
HvVcpu *vcpu_hv(Vcpu *vcpu);

/* Starts the thread ("vcpu<N>"); it runs until VCPU_REQ_STOP. */
bool vcpu_start(Vcpu *vcpu, GError **error);
/**
 * vcpu_set_affinity:
 * Control thread: the host CPUs (uint32_t) the vCPU's thread may run on,
 * NULL for any.  Applied now to a live thread and by every later
 * vcpu_start() before the thread enters the guest; an error if the kernel
 * refuses it (then the next start fails too).
 */
bool vcpu_set_affinity(Vcpu *vcpu, const GArray *host_cpus, GError **error);
/**
 * vcpu_unplug:
 * Control thread: ends this vCPU's thread (running or parked) and joins
 * it, leaving the others alone; the vCPU itself stays and can be started
 * again (a plug after an eject).
 */
void vcpu_unplug(Vcpu *vcpu);
/* Joins a thread that was told to stop. */
void vcpu_join(Vcpu *vcpu);
/* Makes a running vCPU leave KVM_RUN and look at its requests. */
void vcpu_kick(Vcpu *vcpu);
/* Logs the vCPU's registers (crash reports); vCPU thread or stopped vCPU. */
void vcpu_log_registers(Vcpu *vcpu, const char *why);

/* Sets @req for all vCPUs of @ctl and kicks them; for PAUSE waits until
 * every running thread is parked, for STOP until every thread has left. */
void vcpu_control_request(VcpuControl *ctl, Vcpu **vcpus, unsigned n,
                          VcpuRequest req);
void vcpu_control_init(VcpuControl *ctl);
void vcpu_control_clear(VcpuControl *ctl);

/* SPDX-License-Identifier: Apache-2.0 */
/* Thread roles: every nimbus thread is started for a role, which picks its seccomp filter. */
#pragma once

#include <stdbool.h>
#include <glib.h>

/*
 * What a thread does decides which system calls it may make
 * (daemon/seccomp-rules.c has one allow-list per role; docs/seccomp.md).
 * Adding a role is one line here, one in thread_role_names[] and one
 * allow-list in daemon/seccomp-rules.c.
 */
typedef enum {
    THREAD_ROLE_VMM,              /* main thread: control plane */
    THREAD_ROLE_VCPU,             /* KVM_RUN loops, device emulation */
    THREAD_ROLE_HTTP_API,         /* "http-server" */
    THREAD_ROLE_DBUS_API,         /* "dbus-thread" and GDBus's own threads */
    THREAD_ROLE_EVENT_MONITOR,    /* "event-monitor" */
    THREAD_ROLE_VIRTIO_BLK,       /* queue workers; the io_uring submitters */
    THREAD_ROLE_VIRTIO_NET,       /* RX/TX queue-pair workers */
    THREAD_ROLE_VIRTIO_NET_CTL,   /* control-queue worker */
    THREAD_ROLE_VIRTIO_CONSOLE,
    THREAD_ROLE_VIRTIO_RNG,
    THREAD_ROLE_VIRTIO_BALLOON,   /* inflate/deflate/stats/reporting */
    THREAD_ROLE_MIGRATION,        /* live migration's socket and RAM copy */
    THREAD_ROLE_VIRTIO_VSOCK,     /* queues and the host UNIX sockets */
    THREAD_ROLE_VIRTIO_PMEM,      /* flush requests: fdatasync the file */
    THREAD_ROLE_VIRTIO_WATCHDOG,  /* takes the pings off the queue */
    THREAD_ROLE_VIRTIO_VHOST_USER, /* relays a vhost-user back end's calls */
    THREAD_ROLE_VIRTIO_IOMMU,     /* ATTACH/MAP/UNMAP requests */
    THREAD_ROLE_LAST
} ThreadRole;

/* "vmm", "vcpu", "http-api"...: for logs and docs.  (transfer none) */
const char *thread_role_name(ThreadRole role);

/*
 * Runs first on every thread started with thread_role_new(), before the
 * thread's function: installs the role's filter.  False with @error: the
 * thread does not run its function, and thread_role_new() fails.
 */
typedef bool (*ThreadRoleEnterFunc)(ThreadRole role, GError **error);

/**
 * thread_role_set_enter:
 * Installs @enter for every later thread_role_new(), once, before any role
 * thread starts (nimbus's main(), seccomp setup).  With a hook installed,
 * threads are created by a dedicated "spawner" thread started here: a new
 * thread inherits its creator's filter and can only narrow it, so a worker
 * that a vCPU thread starts (virtio activation) must not be created under
 * the vCPU filter.  The spawner keeps the filter of the thread that calls
 * this function.  False with @error if the spawner cannot start.
 */
bool thread_role_set_enter(ThreadRoleEnterFunc enter, GError **error);

/**
 * thread_role_new:
 * Starts a thread named @name that runs @func(@data) under @role's filter;
 * returns when the filter is in place (or the thread failed to start,
 * with @error).  Safe from any thread.  Without a hook (unit tests,
 * --seccomp false) it is g_thread_try_new().  (transfer full)
 */
GThread *thread_role_new(ThreadRole role, const char *name, GThreadFunc func,
                         gpointer data, GError **error);

/**
 * thread_role_run_on_spawner:
 * Runs @func(@data, @error) on the spawner thread and returns its result;
 * without a spawner (no hook installed), on the calling thread.  For the
 * per-thread restrictions every later thread must inherit from its
 * creator (Landlock, daemon/landlock.c).
 */
bool thread_role_run_on_spawner(bool (*func)(gpointer data, GError **error),
                                gpointer data, GError **error);

/* The role of the calling thread, THREAD_ROLE_LAST if it was not started
 * by thread_role_new() (the main thread says so itself). */
ThreadRole thread_role_current(void);
/* Records the calling thread's role (the main thread, the spawner). */
void thread_role_set_current(ThreadRole role);

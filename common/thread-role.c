/* SPDX-License-Identifier: Apache-2.0 */
/* Thread roles: threads started for a role, through a spawner that keeps the widest filter. */
#include <config.h>

#include <pthread.h>
#include <signal.h>
#include <gio/gio.h>

#include "common/thread-role.h"

static const char *const thread_role_names[] = {
    [THREAD_ROLE_VMM] = "vmm",
    [THREAD_ROLE_VCPU] = "vcpu",
    [THREAD_ROLE_HTTP_API] = "http-api",
    [THREAD_ROLE_DBUS_API] = "dbus-api",
    [THREAD_ROLE_EVENT_MONITOR] = "event-monitor",
    [THREAD_ROLE_VIRTIO_BLK] = "virtio-blk",
    [THREAD_ROLE_VIRTIO_NET] = "virtio-net",
    [THREAD_ROLE_VIRTIO_NET_CTL] = "virtio-net-ctl",
    [THREAD_ROLE_VIRTIO_CONSOLE] = "virtio-console",
    [THREAD_ROLE_VIRTIO_RNG] = "virtio-rng",
    [THREAD_ROLE_VIRTIO_BALLOON] = "virtio-balloon",
    [THREAD_ROLE_MIGRATION] = "migration",
    [THREAD_ROLE_VIRTIO_VSOCK] = "virtio-vsock",
    [THREAD_ROLE_VIRTIO_PMEM] = "virtio-pmem",
    [THREAD_ROLE_VIRTIO_WATCHDOG] = "virtio-watchdog",
    [THREAD_ROLE_VIRTIO_VHOST_USER] = "virtio-vhost-user",
    [THREAD_ROLE_VIRTIO_IOMMU] = "virtio-iommu",
};
G_STATIC_ASSERT(G_N_ELEMENTS(thread_role_names) == THREAD_ROLE_LAST);

/* One request to start a thread (or, with @job, to run @job on the
 * spawner); lives on the requester's stack. */
typedef struct {
    bool (*job)(gpointer data, GError **error);
    ThreadRole role;
    const char *name;
    GThreadFunc func;
    gpointer data;
    GMutex lock;
    GCond cond;
    int entered;              /* lock: 0 pending, 1 filter on, -1 failed */
    bool done;                /* lock: the spawner has answered */
    GThread *thread;          /* the result (transfer full) */
    GError *error;
} RoleSpawn;

/* Set once by thread_role_set_enter() before any role thread exists and
 * read-only afterwards, so reading them needs no lock. */
static ThreadRoleEnterFunc role_enter;
static GAsyncQueue *spawn_queue;

/* +1 so that the zero-initialised value means "no role". */
static __thread int role_current_plus_one;

const char *
thread_role_name(ThreadRole role)
{
    return role < THREAD_ROLE_LAST ? thread_role_names[role] : "unknown";
}

ThreadRole
thread_role_current(void)
{
    return role_current_plus_one ? (ThreadRole)(role_current_plus_one - 1)
                                 : THREAD_ROLE_LAST;
}

void
thread_role_set_current(ThreadRole role)
{
    role_current_plus_one = (int)role + 1;
}

static gpointer
role_thread_main(gpointer data)
{
    RoleSpawn *s = data;
    GThreadFunc func = s->func;
    gpointer arg = s->data;
    GError *error = NULL;
    bool ok = true;

    thread_role_set_current(s->role);
    if (role_enter)
        ok = role_enter(s->role, &error);
    /* @s belongs to the creator, which may free it once it sees the
     * answer: nothing of it is touched after the unlock. */
    g_mutex_lock(&s->lock);
    s->entered = ok ? 1 : -1;
    s->error = error;
    g_cond_broadcast(&s->cond);
    g_mutex_unlock(&s->lock);
    /* Never run a role's code without its filter. */
    return ok ? func(arg) : NULL;
}

/* Creates the thread and waits until its filter is in place. */
static void
role_spawn_run(RoleSpawn *s)
{
    GThread *t = g_thread_try_new(s->name, role_thread_main, s, &s->error);

    if (!t)
        return;
    g_mutex_lock(&s->lock);
    while (!s->entered)
        g_cond_wait(&s->cond, &s->lock);
    g_mutex_unlock(&s->lock);
    if (s->entered < 0)
        g_thread_join(t);
    else
        s->thread = t;
}

static gpointer
role_spawner_main(gpointer unused)
{
    static const int sync_signals[] = {
        SIGSYS, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP,
    };
    sigset_t set;

    /* Threads inherit the spawner's signal mask, not their requester's:
     * they start with every asynchronous signal blocked (SIGTERM/SIGINT go
     * to the main thread; a vCPU unblocks its kick signal itself), but not
     * the ones the kernel forces, so that SIGSYS reaches its handler. */
    sigfillset(&set);
    for (guint i = 0; i < G_N_ELEMENTS(sync_signals); i++)
        sigdelset(&set, sync_signals[i]);
    pthread_sigmask(SIG_SETMASK, &set, NULL);
    for (;;) {
        RoleSpawn *s = g_async_queue_pop(spawn_queue);

        if (s->job)
            s->entered = s->job(s->data, &s->error) ? 1 : -1;
        else
            role_spawn_run(s);
        g_mutex_lock(&s->lock);
        s->done = true;
        g_cond_broadcast(&s->cond);
        g_mutex_unlock(&s->lock);
    }
    return NULL;
}

bool
thread_role_set_enter(ThreadRoleEnterFunc enter, GError **error)
{
    GThread *spawner;

    g_return_val_if_fail(!role_enter, false);
    spawn_queue = g_async_queue_new();
    spawner = g_thread_try_new("spawner", role_spawner_main, NULL, error);
    if (!spawner) {
        g_clear_pointer(&spawn_queue, g_async_queue_unref);
        return false;
    }
    /* Lives as long as the process; nothing joins it. */
    g_thread_unref(spawner);
    role_enter = enter;
    return true;
}

/* Hands @s to the spawner and waits for its answer. */
static void
role_spawner_call(RoleSpawn *s)
{
    g_async_queue_push(spawn_queue, s);
    g_mutex_lock(&s->lock);
    while (!s->done)
        g_cond_wait(&s->cond, &s->lock);
    g_mutex_unlock(&s->lock);
}

bool
thread_role_run_on_spawner(bool (*func)(gpointer data, GError **error),
                           gpointer data, GError **error)
{
    RoleSpawn s = { .job = func, .data = data };

    if (!role_enter)
        return func(data, error);
    g_mutex_init(&s.lock);
    g_cond_init(&s.cond);
    role_spawner_call(&s);
    g_mutex_clear(&s.lock);
    g_cond_clear(&s.cond);
    if (s.entered < 0) {
        g_propagate_error(error, s.error);
        return false;
    }
    return true;
}

GThread *
thread_role_new(ThreadRole role, const char *name, GThreadFunc func,
                gpointer data, GError **error)
{
    RoleSpawn s = {
        .role = role, .name = name, .func = func, .data = data,
    };

    g_return_val_if_fail(role < THREAD_ROLE_LAST, NULL);
    g_mutex_init(&s.lock);
    g_cond_init(&s.cond);
    if (!role_enter)
        role_spawn_run(&s);
    else
        role_spawner_call(&s);
    g_mutex_clear(&s.lock);
    g_cond_clear(&s.cond);
    if (!s.thread) {
        g_propagate_prefixed_error(error, s.error, "%s: ", name);
        return NULL;
    }
    return s.thread;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Live migration: vm.send-migration and vm.receive-migration on their own thread. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <gio/gunixfdmessage.h>
#include <gio/gunixsocketaddress.h>

#include "common/thread-role.h"
#include "daemon/event-monitor.h"
#include "daemon/landlock.h"
#include "daemon/migration-dirty.h"
#include "daemon/migration-protocol.h"
#include "daemon/migration-receive.h"
#include "daemon/migration.h"
#include "daemon/snapshot-memory.h"
#include "daemon/snapshot.h"
#include "daemon/vm.h"
#include "devices/registry.h"
#include "devices/virtio/iommu.h"

/* Bytes per write of guest memory: whole pages, large enough that the
 * per-call cost disappears. */
#define MIGRATION_SEND_CHUNK (4u << 20)
/* Pieces per vectored write (Linux's UIO_MAXIOV is 1024). */
#define MIGRATION_SEND_IOV 512

struct Migration {
    Vmm *vmm;                   /* immutable */
    GMainContext *context;      /* the control thread's; immutable */
    bool sending;               /* immutable */
    GThread *thread;            /* control thread */
    GCancellable *cancellable;  /* immutable; cancelled by migration_free */

    GMutex lock;
    GCond cond;
    bool quitting;              /* lock: no more calls to the control thread */
    bool busy;                  /* control thread: until the end step ran */
    /* lock: vm.nimbus-cancel-migration asked to stop (the error says so). */
    bool cancelled;
    /* lock: Complete is on its way; from here the destination may already
     * run the VM, so a cancel could leave it running twice: refused. */
    bool committing;

    /* Sending.  Set at start, then owned by the migration thread, except
     * where noted. */
    MigrationSendConfig *cfg;
    GSocketAddress *addr;
    GSocket *socket;            /* made on the control thread, see below */
    Vm *vm;                     /* the source VM, borrowed */
    MigrationDirty *dirty;      /* control thread starts/stops it */
    bool paused_by_us;          /* control thread */
    bool source_was_paused;     /* immutable */
    gint64 pause_us;            /* control thread, for -v: vm_pause()'s */
    gint64 state_save_us;       /* control thread, for -v: the State's */

    /* Receiving: the listener, then the VM being built (control thread,
     * except rx_mem, immutable once the Config step returned it). */
    GSocket *listener;
    char *unix_path;
    VmConfig *rx_config;
    Vm *rx_vm;
    JsonNode *rx_state;
    int rx_fds[GUEST_MEM_MAX_REGIONS];

    GError *error;              /* the migration's failure, for the end step */
    char *state_text;           /* the State payload, from the control thread */
    gsize state_len;
    char *config_text;          /* the Config payload, made at the start */
    gsize config_len;
};

/* ---- Calls to the control thread ---------------------------------------- */

typedef bool (*MigrationMainFunc)(Migration *m, gpointer arg, GError **error);

typedef struct {
    gint refs;
    Migration *m;
    MigrationMainFunc func;
    gpointer arg;
    bool done;                  /* m->lock */
    /* Atomic: the waiter gave up (only ever while the control thread is
     * in migration_free(), which then frees m). */
    gint abandoned;
    bool ok;
    GError *error;
} MainCall;

static void
main_call_unref(gpointer data)
{
    MainCall *c = data;

    if (!g_atomic_int_dec_and_test(&c->refs))
        return;
    g_clear_error(&c->error);
    g_free(c);
}

static gboolean
main_call_run(gpointer data)
{
    MainCall *c = data;
    Migration *m = c->m;

    /* A waiter that gave up left with the Migration freed: not even its
     * lock may be touched. */
    if (g_atomic_int_get(&c->abandoned))
        return G_SOURCE_REMOVE;
    c->ok = c->func(m, c->arg, &c->error);
    g_mutex_lock(&m->lock);
    c->done = true;
    g_cond_broadcast(&m->cond);
    g_mutex_unlock(&m->lock);
    return G_SOURCE_REMOVE;
}

/* Runs @func on the control thread and waits for it; fails at once when
 * the Vmm is going away (migration_free() waits for this thread). */
static bool
migration_call_main(Migration *m, MigrationMainFunc func, gpointer arg,
                    GError **error)
{
    MainCall *c = g_new0(MainCall, 1);
    bool done, ok;

    c->refs = 2;
    c->m = m;
    c->func = func;
    c->arg = arg;
    g_mutex_lock(&m->lock);
    if (m->quitting) {
        g_mutex_unlock(&m->lock);
        g_free(c);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                    "the VMM is shutting down");
        return false;
    }
    g_mutex_unlock(&m->lock);
    /* A source, not g_main_context_invoke(): that would run @func right
     * here when no thread owns the context at this moment. */
    {
        GSource *src = g_idle_source_new();

        g_source_set_priority(src, G_PRIORITY_DEFAULT);
        g_source_set_callback(src, main_call_run, c, main_call_unref);
        g_source_attach(src, m->context);
        g_source_unref(src);
    }
    g_mutex_lock(&m->lock);
    while (!c->done && !m->quitting)
        g_cond_wait(&m->cond, &m->lock);
    done = c->done;
    if (!done)
        g_atomic_int_set(&c->abandoned, 1);
    g_mutex_unlock(&m->lock);
    if (!done) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                    "the VMM is shutting down");
        ok = false;
    } else {
        ok = c->ok;
        if (!ok)
            g_propagate_error(error, g_steal_pointer(&c->error));
    }
    main_call_unref(c);
    return ok;
}

/* ---- Lifetime ----------------------------------------------------------- */

static Migration *
migration_new(Vmm *vmm, bool sending)
{
    Migration *m = g_new0(Migration, 1);

    m->vmm = vmm;
    m->context = g_main_context_ref(vmm_get_context(vmm));
    m->sending = sending;
    m->cancellable = g_cancellable_new();
    g_mutex_init(&m->lock);
    g_cond_init(&m->cond);
    for (unsigned i = 0; i < GUEST_MEM_MAX_REGIONS; i++)
        m->rx_fds[i] = -1;
    return m;
}

bool
migration_busy(Migration *m)
{
    return m && m->busy;
}

static void
migration_rx_discard(Migration *m)
{
    g_clear_pointer(&m->rx_vm, vm_free);
    g_clear_pointer(&m->rx_config, vm_config_free);
    g_clear_pointer(&m->rx_state, json_node_unref);
    for (unsigned i = 0; i < GUEST_MEM_MAX_REGIONS; i++) {
        if (m->rx_fds[i] >= 0)
            close(m->rx_fds[i]);
        m->rx_fds[i] = -1;
    }
}

void
migration_free(Migration *m)
{
    if (!m)
        return;
    /* The thread may be waiting for this thread, or blocked in I/O. */
    g_mutex_lock(&m->lock);
    m->quitting = true;
    g_cond_broadcast(&m->cond);
    g_mutex_unlock(&m->lock);
    g_cancellable_cancel(m->cancellable);
    if (m->listener)
        g_socket_close(m->listener, NULL);
    if (m->thread)
        g_thread_join(m->thread);
    /* A send cut short: the source VM goes on (the Vmm is ending). */
    g_clear_pointer(&m->dirty, migration_dirty_free);
    migration_rx_discard(m);
    if (m->unix_path && !m->sending)
        unlink(m->unix_path);
    g_clear_object(&m->listener);
    g_clear_object(&m->socket);
    g_clear_object(&m->addr);
    g_clear_object(&m->cancellable);
    g_clear_error(&m->error);
    g_free(m->state_text);
    g_free(m->config_text);
    g_free(m->unix_path);
    migration_send_config_free(m->cfg);
    g_main_context_unref(m->context);
    g_mutex_clear(&m->lock);
    g_cond_clear(&m->cond);
    g_free(m);
}

/* Each step is a request answered before the next one: Nagle's algorithm
 * would hold a request's last partial segment back until the peer's
 * delayed ACK (up to 40 ms), several times inside the downtime.  UNIX
 * sockets have no such delay.  The buffers are left to TCP's autotuning,
 * which a fixed SO_SNDBUF would turn off (and cap at wmem_max). */
static void
migration_socket_tune(GSocket *sock)
{
    g_autoptr(GError) local = NULL;

    if (g_socket_get_family(sock) != G_SOCKET_FAMILY_IPV4 &&
        g_socket_get_family(sock) != G_SOCKET_FAMILY_IPV6)
        return;
    if (!g_socket_set_option(sock, IPPROTO_TCP, TCP_NODELAY, 1, &local))
        g_debug("migration: cannot set TCP_NODELAY: %s", local->message);
}

/* ---- Sending: control-thread steps -------------------------------------- */

static bool
send_step_dirty_start(Migration *m, gpointer arg, GError **error)
{
    m->dirty = migration_dirty_new(vm_hv_ops(m->vm), vm_hv(m->vm),
                                   vm_memory(m->vm), vm_dirty_log(m->vm));
    return migration_dirty_start(m->dirty, error);
}

static bool
send_step_pause(Migration *m, gpointer arg, GError **error)
{
    gint64 t0 = g_get_monotonic_time();

    if (vmm_get_state(m->vmm) == VMM_VM_PAUSED)
        return true;
    if (!vmm_migration_pause(m->vmm, error))
        return false;
    m->paused_by_us = true;
    m->pause_us = g_get_monotonic_time() - t0;
    return true;
}

static bool
send_step_state(Migration *m, gpointer arg, GError **error)
{
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(JsonNode) state = snapshot_state_save(m->vm, error);

    if (!state)
        return false;
    m->state_text = json_to_string(state, FALSE);
    m->state_len = strlen(m->state_text);
    m->state_save_us = g_get_monotonic_time() - t0;
    return true;
}

/* The end, either way.  Success: CH's source VMM exits.  Failure: the VM
 * goes on as it was. */
static bool
send_step_end(Migration *m, gpointer arg, GError **error)
{
    g_autoptr(GError) local = NULL;

    g_clear_pointer(&m->dirty, migration_dirty_free);
    m->busy = false;
    if (!m->error) {
        g_info("migration to '%s' completed", m->cfg->destination_url);
        event_monitor_emit("vm", "migration-finished", NULL);
        event_monitor_emit("vmm", "shutdown", NULL);
        vmm_quit_migrated(m->vmm);
        return true;
    }
    if (m->paused_by_us && !vmm_migration_resume(m->vmm, &local))
        g_warning("migration failed and the VM could not be resumed: %s",
                  local->message);
    m->paused_by_us = false;
    g_warning("migration to '%s' failed: %s", m->cfg->destination_url,
              m->error->message);
    event_monitor_emit("vm", "migration-failed", NULL);
    return true;
}

/* ---- Sending: the migration thread -------------------------------------- */

static bool
send_request_ok(GIOStream *s, MigrationCommand cmd, const void *payload,
                uint64_t len, GCancellable *c, GError **error)
{
    return migration_send_request(g_io_stream_get_output_stream(s), cmd,
                                  payload, len, c, error) &&
           migration_expect_ok(g_io_stream_get_input_stream(s), cmd, c,
                               error);
}

/* Guest bytes queued for one vectored write: the dirty passes are mostly
 * lone 4 KiB pages (docs/migration.md, "Benchmark"), which took a write
 * call each. */
typedef struct {
    GOutputVector vec[MIGRATION_SEND_IOV];
    guint n;
    size_t bytes;
} SendBatch;

static bool
send_batch_flush(Migration *m, GOutputStream *out, SendBatch *b,
                 GError **error)
{
    bool ok = b->n == 0 ||
              g_output_stream_writev_all(out, b->vec, b->n, NULL,
                                         m->cancellable, error);

    b->n = 0;
    b->bytes = 0;
    return ok;
}

/* One Memory request: the table of @ranges, then their bytes. */
static bool
send_memory(Migration *m, GIOStream *s, GArray *ranges, GError **error)
{
    GOutputStream *out = g_io_stream_get_output_stream(s);
    const GuestMemory *mem = vm_memory(m->vm);
    g_autoptr(GByteArray) table = g_byte_array_new();
    g_autofree guint8 *buf = NULL;
    g_autofree SendBatch *batch = g_new0(SendBatch, 1);

    if (ranges->len == 0)
        return true;
    migration_ranges_encode((const MigrationRange *)(void *)ranges->data,
                            ranges->len, table);
    if (!migration_send_request(out, MIGRATION_CMD_MEMORY, table->data,
                                table->len, m->cancellable, error))
        return false;
    for (guint i = 0; i < ranges->len; i++) {
        const MigrationRange *r = &g_array_index(ranges, MigrationRange, i);

        for (uint64_t off = 0; off < r->length; off += MIGRATION_SEND_CHUNK) {
            size_t n = (size_t)MIN((uint64_t)MIGRATION_SEND_CHUNK,
                                   r->length - off);
            const void *p = guest_mem_ptr(mem, r->gpa + off, n);

            /* A range made of adjacent regions goes through a copy,
             * which the queued pointers must not share. */
            if (!p) {
                if (!send_batch_flush(m, out, batch, error))
                    return false;
                if (!buf)
                    buf = g_malloc(MIGRATION_SEND_CHUNK);
                if (guest_mem_read(mem, r->gpa + off, buf, n) < 0) {
                    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                                "range 0x%" PRIx64 " is not guest RAM",
                                r->gpa + off);
                    return false;
                }
                if (!g_output_stream_write_all(out, buf, n, NULL,
                                               m->cancellable, error))
                    return false;
                continue;
            }
            batch->vec[batch->n].buffer = p;
            batch->vec[batch->n].size = n;
            batch->n++;
            batch->bytes += n;
            if ((batch->n == MIGRATION_SEND_IOV ||
                 batch->bytes >= MIGRATION_SEND_CHUNK) &&
                !send_batch_flush(m, out, batch, error))
                return false;
        }
    }
    if (!send_batch_flush(m, out, batch, error))
        return false;
    return migration_expect_ok(g_io_stream_get_input_stream(s),
                               MIGRATION_CMD_MEMORY, m->cancellable, error);
}

/* MemoryFd: each region's memfd with its slot number, one sendmsg. */
static bool
send_memory_fds(Migration *m, GIOStream *s, GSocket *sock, GError **error)
{
    const GuestMemory *mem = vm_memory(m->vm);

    for (unsigned i = 0; i < mem->nregions; i++) {
        guint8 slot[4] = { (guint8)i, (guint8)(i >> 8), (guint8)(i >> 16),
                           (guint8)(i >> 24) };
        GOutputVector vec = { slot, sizeof(slot) };
        g_autoptr(GSocketControlMessage) msg = g_unix_fd_message_new();
        GSocketControlMessage *msgs[1] = { msg };

        if (!g_unix_fd_message_append_fd(G_UNIX_FD_MESSAGE(msg),
                                         mem->regions[i].fd, error) ||
            !migration_send_request(g_io_stream_get_output_stream(s),
                                    MIGRATION_CMD_MEMORY_FD, NULL,
                                    sizeof(slot), m->cancellable, error))
            return false;
        if (g_socket_send_message(sock, NULL, &vec, 1, msgs, 1, 0,
                                  m->cancellable, error) !=
            (gssize)sizeof(slot)) {
            if (error && !*error)
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                            "short write of a MemoryFd slot");
            return false;
        }
        if (!migration_expect_ok(g_io_stream_get_input_stream(s),
                                 MIGRATION_CMD_MEMORY_FD, m->cancellable,
                                 error))
            return false;
    }
    return true;
}

/* Pre-copy: all of RAM (but zero pages), then what changed, until the rest fits in the
 * downtime (estimated from the bandwidth of the last pass), nothing is
 * left, or the timeout strikes.  @pending: (out) the dirty pages still
 * to send once the VM is paused. */
static bool
send_precopy(Migration *m, GIOStream *s, GArray *pending, GError **error)
{
    gint64 start = g_get_monotonic_time();
    gint64 deadline = start + (gint64)m->cfg->timeout_s * G_USEC_PER_SEC;
    g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE,
                                           sizeof(MigrationRange));
    uint64_t bytes = 0, sent;
    double bytes_per_us = 0;
    guint npieces;

    if (!migration_call_main(m, send_step_dirty_start, NULL, error))
        return false;
    migration_nonzero_ranges(vm_memory(m->vm), ranges, &bytes);
    g_info("migration: pass 0 scan: %" PRId64 " ms",
           (g_get_monotonic_time() - start) / 1000);
    for (guint iteration = 0;; iteration++) {
        g_autofree char *id = g_strdup_printf("%u", iteration);
        const char *props[] = { "id", id, NULL };
        gint64 t0 = g_get_monotonic_time(), now;

        event_monitor_emit("vm", "migration-memory-iteration", props);
        /* The page scans do no I/O: a cancel is seen here. */
        if (g_cancellable_set_error_if_cancelled(m->cancellable, error) ||
            !send_memory(m, s, ranges, error))
            return false;
        now = g_get_monotonic_time();
        if (now > t0 && bytes > 0)
            bytes_per_us = (double)bytes / (double)(now - t0);
        sent = bytes;
        npieces = ranges->len;
        g_array_set_size(ranges, 0);
        if (!migration_dirty_collect(m->dirty, ranges, &bytes, error))
            return false;
        /* Where the time goes, for -v (docs/migration.md, "Benchmark"). */
        g_info("migration: pass %u: %" PRIu64 " bytes in %u ranges, %"
               PRId64 " ms; %" PRIu64 " bytes dirty after it", iteration,
               sent, npieces, (now - t0) / 1000, bytes);
        /* bytes / bandwidth: the time the last pass would take paused. */
        if (bytes == 0 ||
            (bytes_per_us > 0 &&
             (double)bytes / bytes_per_us <= (double)m->cfg->downtime_ms *
                                             1000.0))
            break;
        if (now >= deadline) {
            if (m->cfg->timeout_strategy == MIGRATION_TIMEOUT_CANCEL) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                            "not converged after %" PRIu64 " s (%" PRIu64
                            " bytes still dirty); timeout_strategy is "
                            "Cancel", m->cfg->timeout_s, bytes);
                return false;
            }
            g_info("migration: timeout reached, completing with %" PRIu64
                   " dirty bytes (timeout_strategy Ignore)", bytes);
            break;
        }
    }
    g_array_append_vals(pending, ranges->data, ranges->len);
    return true;
}

static bool
migration_send(Migration *m, GError **error)
{
    g_autoptr(GSocket) sock = NULL;
    g_autoptr(GSocketConnection) conn = NULL;
    g_autoptr(GArray) pending = g_array_new(FALSE, FALSE,
                                            sizeof(MigrationRange));
    GIOStream *s;
    uint64_t bytes = 0;
    bool aborted = false;
    GError *local = NULL;

    sock = g_steal_pointer(&m->socket);
    if (!g_socket_connect(sock, m->addr, m->cancellable, error)) {
        g_prefix_error(error, "cannot connect to '%s': ",
                       m->cfg->destination_url);
        return false;
    }
    conn = g_socket_connection_factory_create_connection(sock);
    s = G_IO_STREAM(conn);
    if (!send_request_ok(s, MIGRATION_CMD_START, NULL, 0, m->cancellable,
                         error))
        return false;
    /* Everything past Start: on our own failure, tell the destination
     * to discard what it built (Abandon), best effort. */
    if ((m->cfg->local && !send_memory_fds(m, s, sock, &local)) ||
        !send_request_ok(s, MIGRATION_CMD_CONFIG, m->config_text,
                         m->config_len, m->cancellable, &local) ||
        (!m->cfg->local && !send_precopy(m, s, pending, &local)) ||
        !migration_call_main(m, send_step_pause, NULL, &local)) {
        aborted = true;
    } else if (!m->cfg->local) {
        /* The last delta, with the vCPUs and devices stopped. */
        g_autoptr(GArray) last = g_array_new(FALSE, FALSE,
                                             sizeof(MigrationRange));

        if (!migration_dirty_collect(m->dirty, last, &bytes, &local)) {
            aborted = true;
        } else {
            /* A page left over from pre-copy and written again since
             * travels once (a churning guest rewrites the same pages). */
            GArray *all = migration_ranges_union(pending, last, &bytes);

            g_array_unref(pending);
            pending = all;
        }
    }
    if (!aborted) {
        gint64 t1 = g_get_monotonic_time(), t2, t3;
        bool cancelled;

        aborted = !send_memory(m, s, pending, &local);
        t2 = g_get_monotonic_time();
        aborted = aborted ||
                  !migration_call_main(m, send_step_state, NULL, &local) ||
                  !send_request_ok(s, MIGRATION_CMD_STATE, m->state_text,
                                   m->state_len, m->cancellable, &local);
        t3 = g_get_monotonic_time();
        /* The point of no return: a cancel from here on is refused. */
        g_mutex_lock(&m->lock);
        cancelled = m->cancelled;
        m->committing = !aborted && !cancelled;
        g_mutex_unlock(&m->lock);
        if (!aborted && cancelled) {
            g_set_error(&local, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                        "cancelled");
            aborted = true;
        }
        aborted = aborted ||
                  !send_request_ok(s, m->source_was_paused
                                          ? MIGRATION_CMD_COMPLETE_PAUSED
                                          : MIGRATION_CMD_COMPLETE,
                                   NULL, 0, m->cancellable, &local);
        if (!aborted)
            g_info("migration: paused: pause %" PRId64 " ms, last delta %"
                   PRIu64 " bytes in %u ranges %" PRId64 " ms, state %zu "
                   "bytes %" PRId64 " ms (saving it %" PRId64 " ms), "
                   "complete %" PRId64 " ms", m->pause_us / 1000, bytes,
                   pending->len, (t2 - t1) / 1000, m->state_len,
                   (t3 - t2) / 1000,
                   m->state_save_us / 1000,
                   (g_get_monotonic_time() - t3) / 1000);
    }
    if (aborted) {
        /* A refusal or a broken connection needs no Abandon; our own
         * error does, so that the destination does not wait for more. */
        if (!g_error_matches(local, G_IO_ERROR, G_IO_ERROR_FAILED) &&
            !g_error_matches(local, G_IO_ERROR,
                             G_IO_ERROR_CONNECTION_CLOSED) &&
            !g_error_matches(local, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) &&
            !g_cancellable_is_cancelled(m->cancellable))
            send_request_ok(s, MIGRATION_CMD_ABANDON, NULL, 0, NULL, NULL);
        g_propagate_error(error, local);
        return false;
    }
    return true;
}

static bool migration_launch(Vmm *vmm, Migration *m, GError **error);

bool
migration_send_start(Vmm *vmm, const MigrationSendConfig *cfg, GError **error)
{
    Migration *m;
    Vm *vm = vmm_get_vm(vmm);
    VmmVmState state = vmm_get_state(vmm);
    g_autoptr(GSocketAddress) addr = NULL;
    g_autofree char *path = NULL;
    GError *local = NULL;

    if (!vmm_get_config(vmm)) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_NOT_CREATED,
                    "VM is not created");
        return false;
    }
    if (migration_busy(vmm_get_migration(vmm))) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_CONFLICT,
                    "a migration is already in progress");
        return false;
    }
    if (!vm || (state != VMM_VM_RUNNING && state != VMM_VM_PAUSED)) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_WRONG_STATE,
                    "cannot migrate the VM in state %s",
                    vmm_vm_state_to_string(state));
        return false;
    }
    if (!(addr = migration_url_parse(cfg->destination_url, &path, &local))) {
        g_set_error_literal(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                            local->message);
        g_error_free(local);
        return false;
    }
    /* Local migration hands the memory itself over: it must be memory
     * another process can map, and a socket that carries fds. */
    if (cfg->local && !path) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "local migration needs a 'unix:' destination_url, not "
                    "'%s'", cfg->destination_url);
        return false;
    }
    if (cfg->local && !vm_memory(vm)->regions[0].shared) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "local migration needs guest memory that another "
                    "process can map: create the VM with memory shared=on");
        return false;
    }
    /* A vhost-user back end writes guest memory behind KVM's dirty log
     * (nimbus does not hand it a log, VHOST_USER_PROTOCOL_F_LOG_SHMFD):
     * a copy would miss its writes.  Local migration hands the memory
     * itself over, so nothing is missed. */
    if (!cfg->local &&
        vm_config_kind_count(vmm_get_config(vmm),
                             device_registry_lookup("fs")->kind) > 0) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "cannot migrate a VM with a virtio-fs device (vhost-user "
                    "back ends do not log their writes to guest memory): "
                    "use local migration");
        return false;
    }
    /* Not even locally: the disk's in-flight requests are the back end's,
     * and nimbus has no way to hand them to the destination. */
    if (vm_config_vhost_user_disk(vmm_get_config(vmm))) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "cannot migrate a VM with a vhost-user disk ('%s')",
                    vm_config_vhost_user_disk(vmm_get_config(vmm)));
        return false;
    }
    if (vm_config_vhost_user_net(vmm_get_config(vmm))) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "cannot migrate a VM with a vhost-user net ('%s'): the "
                    "back end's queues cannot be handed over",
                    vm_config_vhost_user_net(vmm_get_config(vmm)));
        return false;
    }
    /* Not even locally: the device state goes over either way, and the
     * IOMMU's domains and mappings have none yet (docs/devices.md). */
    if (vmm_get_config(vmm)->iommu) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "cannot migrate a VM with a virtio-iommu ('%s'): its "
                    "domains and mappings have no saved state yet",
                    VIRTIO_IOMMU_ID);
        return false;
    }
    m = migration_new(vmm, true);
    m->cfg = g_new0(MigrationSendConfig, 1);
    *m->cfg = *cfg;
    m->cfg->destination_url = g_strdup(cfg->destination_url);
    m->addr = g_steal_pointer(&addr);
    m->unix_path = g_steal_pointer(&path);
    /* Made here: GSocket's class setup ignores SIGPIPE (rt_sigaction),
     * which the migration thread's role does not allow. */
    m->socket = g_socket_new(g_socket_address_get_family(m->addr),
                             G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                             &local);
    if (!m->socket) {
        migration_free(m);
        g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL,
                    "cannot create the migration socket: %s",
                    local->message);
        g_error_free(local);
        return false;
    }
    migration_socket_tune(m->socket);
    m->vm = vm;
    /* The config of record may be replaced meanwhile (vm.resize): what
     * is sent is the one the migration started with. */
    m->config_text = migration_config_build(vmm_get_config(vmm),
                                            vm_memory(vm), &m->config_len);
    m->source_was_paused = state == VMM_VM_PAUSED;
    event_monitor_emit("vm", "migration-started", NULL);
    if (!migration_launch(vmm, m, error)) {
        event_monitor_emit("vm", "migration-failed", NULL);
        return false;
    }
    return true;
}

bool
migration_send_cancel(Vmm *vmm, GError **error)
{
    Migration *m = vmm_get_migration(vmm);
    bool committing;

    if (!migration_busy(m) || !m->sending) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_WRONG_STATE,
                    "no outgoing migration is in progress");
        return false;
    }
    g_mutex_lock(&m->lock);
    committing = m->committing;
    if (!committing)
        m->cancelled = true;
    g_mutex_unlock(&m->lock);
    if (committing) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_WRONG_STATE,
                    "the migration is completing: the destination may "
                    "already run the VM, it cannot be cancelled");
        return false;
    }
    /* Wakes the thread from any blocking I/O; it closes the connection
     * (the destination discards what it built), and its end step resumes
     * a VM it paused and emits migration-failed. */
    g_cancellable_cancel(m->cancellable);
    g_info("migration to '%s': cancel requested", m->cfg->destination_url);
    return true;
}

/* ---- Receiving: control-thread steps ------------------------------------ */

/* Handed from the migration thread for one step. */
typedef struct {
    VmConfig *config;
    JsonNode *table;
    bool paused;
    /* For -v: when the control thread started and ended the step. */
    gint64 t_start, t_end;
} RxStep;

static bool
rx_step_config(Migration *m, gpointer arg, GError **error)
{
    RxStep *step = arg;
    g_autoptr(GError) local = NULL;

    if (!vm_config_check_host(step->config, VM_CONFIG_NAMES_JSON, &local)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "migration Config: %s", local->message);
        return false;
    }
    /* Confined as the source's VM was, before its files are opened (the
     * migration thread, which only reads the socket, was started before
     * and is not). */
    if (step->config->landlock_enable &&
        !landlock_confine(step->config, NULL, error))
        return false;
    /* Local migration: the RAM is the source's, so its memfds must cover
     * every region (guest_memory_new_from_fds() checks each). */
    if (m->rx_fds[0] >= 0 && !step->config->memory.shared) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "migration: memory fds were sent for a VM without "
                    "memory shared=on");
        return false;
    }
    m->rx_vm = vmm_new_unrecorded_vm(m->vmm, step->config,
                                     m->rx_fds[0] >= 0 ? m->rx_fds : NULL,
                                     error);
    if (!m->rx_vm)
        return false;
    if (!snapshot_memory_table_check(step->table, vm_memory(m->rx_vm),
                                     error)) {
        g_clear_pointer(&m->rx_vm, vm_free);
        return false;
    }
    m->rx_config = vm_config_copy(step->config);
    return true;
}

static bool
rx_step_complete(Migration *m, gpointer arg, GError **error)
{
    RxStep *step = arg;
    bool ok;

    step->t_start = g_get_monotonic_time();
    if (!snapshot_state_apply(m->rx_vm, m->rx_state, NULL, NULL, error))
        return false;
    vmm_adopt_vm(m->vmm, g_steal_pointer(&m->rx_config),
                 g_steal_pointer(&m->rx_vm));
    ok = step->paused || vmm_migration_resume(m->vmm, error);
    step->t_end = g_get_monotonic_time();
    return ok;
}

static bool
rx_step_end(Migration *m, gpointer arg, GError **error)
{
    m->busy = false;
    if (m->unix_path)
        unlink(m->unix_path);
    g_clear_object(&m->listener);
    /* After a success only the received memfds are left (the VM mapped
     * its own duplicates); after a failure, nothing half-built stays:
     * the Vmm has no VM, as before. */
    migration_rx_discard(m);
    if (!m->error) {
        event_monitor_emit("vm", "migration-receive-finished", NULL);
        return true;
    }
    g_warning("receiving the migration failed: %s", m->error->message);
    event_monitor_emit("vm", "migration-receive-failed", NULL);
    return true;
}

/* ---- Receiving: the migration thread ------------------------------------ */

static const GuestMemory *
rx_op_config(gpointer opaque, VmConfig *config, JsonNode *table,
             GError **error)
{
    Migration *m = opaque;
    RxStep step = { .config = config, .table = table };
    gint64 t0 = g_get_monotonic_time();

    if (m->rx_vm) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "migration: a second Config");
        return NULL;
    }
    if (!migration_call_main(m, rx_step_config, &step, error))
        return NULL;
    g_info("migration: receive: Config: VM built, %" PRId64
           " ms", (g_get_monotonic_time() - t0) / 1000);
    return vm_memory(m->rx_vm);
}

static bool
rx_op_memory_fd(gpointer opaque, uint32_t slot, int fd, GError **error)
{
    Migration *m = opaque;

    if (slot >= GUEST_MEM_MAX_REGIONS || m->rx_fds[slot] >= 0) {
        close(fd);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "migration: MemoryFd slot %u is %s", slot,
                    slot >= GUEST_MEM_MAX_REGIONS ? "out of range"
                                                  : "given twice");
        return false;
    }
    m->rx_fds[slot] = fd;
    return true;
}

static bool
rx_op_state(gpointer opaque, JsonNode *state, GError **error)
{
    Migration *m = opaque;

    /* Checked against the VM and applied at Complete, with the VM's
     * RAM complete. */
    g_clear_pointer(&m->rx_state, json_node_unref);
    m->rx_state = json_node_copy(state);
    return true;
}

static bool
rx_op_complete(gpointer opaque, bool paused, GError **error)
{
    Migration *m = opaque;
    RxStep step = { .paused = paused };
    gint64 t0 = g_get_monotonic_time();

    if (!migration_call_main(m, rx_step_complete, &step, error))
        return false;
    /* The wait for the control thread, the step on it, the way back. */
    g_info("migration: receive: Complete: %" PRId64 " ms (control thread: "
           "waited %" PRId64 " ms, applied and resumed in %" PRId64 " ms)",
           (g_get_monotonic_time() - t0) / 1000, (step.t_start - t0) / 1000,
           (step.t_end - step.t_start) / 1000);
    return true;
}

static const MigrationReceiveOps rx_ops = {
    .config = rx_op_config,
    .memory_fd = rx_op_memory_fd,
    .state = rx_op_state,
    .complete = rx_op_complete,
};

static bool
migration_receive(Migration *m, GError **error)
{
    g_autoptr(GSocket) sock = NULL;
    g_autoptr(GSocketConnection) conn = NULL;

    sock = g_socket_accept(m->listener, m->cancellable, error);
    if (!sock)
        return false;
    /* One migration per listener, as CH: no second source. */
    g_socket_close(m->listener, NULL);
    migration_socket_tune(sock);
    event_monitor_emit("vm", "migration-receive-ready", NULL);
    conn = g_socket_connection_factory_create_connection(sock);
    return migration_receive_run(G_IO_STREAM(conn), sock, &rx_ops, m,
                                 m->cancellable, error);
}

bool
migration_receive_start(Vmm *vmm, const char *url, GError **error)
{
    Migration *m;
    g_autoptr(GSocketAddress) addr = NULL;
    g_autoptr(GSocket) listener = NULL;
    g_autofree char *path = NULL;
    GError *local = NULL;

    if (vmm_get_config(vmm)) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_CONFLICT,
                    "VM is already created");
        return false;
    }
    if (migration_busy(vmm_get_migration(vmm))) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_CONFLICT,
                    "a migration is already in progress");
        return false;
    }
    if (!(addr = migration_url_parse(url, &path, &local))) {
        g_set_error_literal(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                            local->message);
        g_error_free(local);
        return false;
    }
    /* Listening before the answer: once vm.receive-migration returns,
     * the source may connect. */
    if (!(listener = g_socket_new(g_socket_address_get_family(addr),
                                  G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_DEFAULT, &local)) ||
        !g_socket_bind(listener, addr, TRUE, &local) ||
        !g_socket_listen(listener, &local)) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL,
                    "cannot listen on '%s': %s", url, local->message);
        g_error_free(local);
        return false;
    }
    m = migration_new(vmm, false);
    m->listener = g_steal_pointer(&listener);
    m->unix_path = g_steal_pointer(&path);
    event_monitor_emit("vm", "migration-receive-started", NULL);
    return migration_launch(vmm, m, error);
}

/* ---- Both sides --------------------------------------------------------- */

static gpointer
migration_thread(gpointer data)
{
    Migration *m = data;
    bool ok = m->sending ? migration_send(m, &m->error)
                         : migration_receive(m, &m->error);

    if (!ok && !m->error)
        g_set_error(&m->error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "migration failed");
    g_mutex_lock(&m->lock);
    if (!ok && m->cancelled) {
        /* Whatever I/O the cancel cut short, that is the reason. */
        g_clear_error(&m->error);
        g_set_error(&m->error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                    "cancelled by vm.nimbus-cancel-migration");
    }
    g_mutex_unlock(&m->lock);
    /* When the Vmm is going away this fails, and migration_free() tidies
     * up instead. */
    migration_call_main(m, m->sending ? send_step_end : rx_step_end, NULL,
                        NULL);
    return NULL;
}

/* Starts @m's thread and hands @m to the Vmm; frees @m on failure. */
static bool
migration_launch(Vmm *vmm, Migration *m, GError **error)
{
    GError *local = NULL;

    m->busy = true;
    m->thread = thread_role_new(THREAD_ROLE_MIGRATION, "migration",
                                migration_thread, m, &local);
    if (!m->thread) {
        m->busy = false;
        migration_free(m);
        g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL,
                    "cannot start the migration thread: %s", local->message);
        g_error_free(local);
        return false;
    }
    vmm_set_migration(vmm, m);
    return true;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The receiving side of the migration protocol: one connection, command by command. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include <gio/gunixfdmessage.h>

#include "common/json-util.h"
#include "daemon/migration-protocol.h"
#include "daemon/migration-receive.h"
#include "daemon/snapshot-memory.h"
#include "daemon/snapshot.h"

/* Same bound as a snapshot's files: only stops json-glib's recursion. */
#define MIGRATION_JSON_MAX_DEPTH 64
/* Guest bytes are copied through a buffer of this size. */
#define MIGRATION_CHUNK (1u << 20)
/* Pieces at least this large are read straight into guest RAM. */
#define MIGRATION_DIRECT_MIN (64u << 10)
/* Small pieces gathered per read of the stream. */
#define MIGRATION_RX_PIECES 1024

#define CONFIG_KEY_VM "vm_config"
#define CONFIG_KEY_MEMORY "memory_manager_data"

char *
migration_config_build(const VmConfig *config, const GuestMemory *mem,
                       gsize *len)
{
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
    JsonObject *o = json_object_new();
    char *text;

    json_object_set_member(o, CONFIG_KEY_VM, vm_config_to_json_node(config));
    json_object_set_member(o, CONFIG_KEY_MEMORY,
                           snapshot_memory_table_save(mem));
    json_node_take_object(node, o);
    text = json_to_string(node, FALSE);
    *len = strlen(text);
    return text;
}

bool
migration_config_parse(const char *data, gsize len, VmConfig **config,
                       JsonNode **memory_table, GError **error)
{
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(VmConfig) cfg = NULL;
    g_autoptr(GError) local = NULL;
    JsonNode *vmc, *mt;
    JsonObject *o;

    root = json_parse_bounded(data, (gssize)len, MIGRATION_JSON_MAX_DEPTH,
                              &local);
    if (!root) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "migration Config: %s", local->message);
        return false;
    }
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "migration Config: not a JSON object");
        return false;
    }
    o = json_node_get_object(root);
    vmc = json_object_get_member(o, CONFIG_KEY_VM);
    mt = json_object_get_member(o, CONFIG_KEY_MEMORY);
    if (!vmc || !mt) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "migration Config: member '%s' is missing",
                    !vmc ? CONFIG_KEY_VM : CONFIG_KEY_MEMORY);
        return false;
    }
    if (!(cfg = vm_config_from_json_node(vmc, &local)) ||
        !vm_config_validate(cfg, &local)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "migration Config: %s: %s", CONFIG_KEY_VM,
                    local->message);
        return false;
    }
    *config = g_steal_pointer(&cfg);
    *memory_table = json_node_copy(mt);
    return true;
}

/* ---- The loop ----------------------------------------------------------- */

typedef enum {
    RX_WANT_START,
    RX_STARTED,         /* MemoryFd or Config next */
    RX_CONFIGURED,      /* Memory or State */
    RX_HAVE_STATE,      /* Memory (none expected) or Complete */
} RxPhase;

typedef struct {
    GInputStream *in;
    GOutputStream *out;
    GSocket *socket;
    GCancellable *cancellable;
    const MigrationReceiveOps *ops;
    gpointer opaque;
    RxPhase phase;
    const GuestMemory *mem;
    guint8 *buf;
} Rx;

static char *
rx_read_payload(Rx *rx, const MigrationRequest *req, GError **error)
{
    g_autofree char *data = g_malloc((gsize)req->length + 1);

    if (!migration_read_exact(rx->in, data, (size_t)req->length,
                              migration_command_name(req->command),
                              rx->cancellable, error))
        return NULL;
    data[req->length] = '\0';
    return g_steal_pointer(&data);
}

/* Small pieces (a dirty pass is mostly lone 4 KiB pages) gathered into
 * one read of the stream, then copied out, instead of a read call each. */
typedef struct {
    struct {
        uint64_t gpa;
        size_t len;
    } piece[MIGRATION_RX_PIECES];
    guint n;
    size_t fill;
} RxBatch;

static bool
rx_batch_flush(Rx *rx, RxBatch *b, GError **error)
{
    size_t at = 0;

    if (b->n == 0)
        return true;
    if (!migration_read_exact(rx->in, rx->buf, b->fill, "Memory data",
                              rx->cancellable, error))
        return false;
    for (guint i = 0; i < b->n; i++) {
        /* Checked against guest RAM before any byte was read. */
        if (guest_mem_write(rx->mem, b->piece[i].gpa, rx->buf + at,
                            b->piece[i].len) < 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "migration: Memory at 0x%" PRIx64 " left guest RAM",
                        b->piece[i].gpa);
            return false;
        }
        at += b->piece[i].len;
    }
    b->n = 0;
    b->fill = 0;
    return true;
}

/* Memory: a range table, then the bytes of each range, in order.  Every
 * range must lie in guest RAM (it may span adjacent regions). */
static bool
rx_memory(Rx *rx, const MigrationRequest *req, GError **error)
{
    g_autofree guint8 *table = g_malloc(MAX(req->length, 1));
    g_autofree RxBatch *batch = g_new0(RxBatch, 1);
    g_autoptr(GArray) ranges = NULL;

    if (!migration_read_exact(rx->in, table, (size_t)req->length,
                              "the Memory range table", rx->cancellable,
                              error) ||
        !(ranges = migration_ranges_decode(table, (size_t)req->length,
                                           error)))
        return false;
    /* All ranges are checked before any byte is read, so a bad table
     * fails before the stream's framing is lost. */
    for (guint i = 0; i < ranges->len; i++) {
        const MigrationRange *r = &g_array_index(ranges, MigrationRange, i);
        uint64_t end = r->gpa + r->length;
        uint64_t at = r->gpa;

        /* Walk the regions: a range may cross from one into the next
         * only where they are adjacent. */
        while (at < end) {
            const GuestRegion *reg = NULL;

            for (unsigned j = 0; j < rx->mem->nregions; j++) {
                const GuestRegion *g = &rx->mem->regions[j];

                if (at >= g->gpa && at - g->gpa < g->size)
                    reg = g;
            }
            if (!reg) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                            "migration: Memory range %u (0x%" PRIx64 ", %"
                            PRIu64 " bytes) is outside guest RAM at 0x%"
                            PRIx64, i, r->gpa, r->length, at);
                return false;
            }
            at = MIN(end, reg->gpa + reg->size);
        }
    }
    for (guint i = 0; i < ranges->len; i++) {
        const MigrationRange *r = &g_array_index(ranges, MigrationRange, i);

        for (uint64_t off = 0; off < r->length; off += MIGRATION_CHUNK) {
            size_t n = (size_t)MIN((uint64_t)MIGRATION_CHUNK,
                                   r->length - off);
            void *p = n >= MIGRATION_DIRECT_MIN
                          ? guest_mem_ptr(rx->mem, r->gpa + off, n)
                          : NULL;

            /* A large piece inside one region is read in place: no
             * copy through the buffer. */
            if (p) {
                if (!rx_batch_flush(rx, batch, error) ||
                    !migration_read_exact(rx->in, p, n, "Memory data",
                                          rx->cancellable, error))
                    return false;
                continue;
            }
            if ((batch->fill + n > MIGRATION_CHUNK ||
                 batch->n == MIGRATION_RX_PIECES) &&
                !rx_batch_flush(rx, batch, error))
                return false;
            batch->piece[batch->n].gpa = r->gpa + off;
            batch->piece[batch->n].len = n;
            batch->n++;
            batch->fill += n;
        }
    }
    return rx_batch_flush(rx, batch, error);
}

/* MemoryFd: the slot number (u32 LE) with the region's fd attached. */
static bool
rx_memory_fd(Rx *rx, GError **error)
{
    guint8 slot_le[4];
    GInputVector vec = { slot_le, sizeof(slot_le) };
    GSocketControlMessage **msgs = NULL;
    gint nmsgs = 0, flags = 0;
    gssize got;
    int fd = -1;
    uint32_t slot;

    if (!rx->socket) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "migration: MemoryFd needs a UNIX socket connection");
        return false;
    }
    got = g_socket_receive_message(rx->socket, NULL, &vec, 1, &msgs, &nmsgs,
                                   &flags, rx->cancellable, error);
    if (got < 0)
        return false;
    for (gint i = 0; i < nmsgs; i++) {
        if (G_IS_UNIX_FD_MESSAGE(msgs[i])) {
            gint n = 0;
            g_autofree gint *fds = g_unix_fd_message_steal_fds(
                G_UNIX_FD_MESSAGE(msgs[i]), &n);

            for (gint j = 0; j < n; j++) {
                if (fd < 0)
                    fd = fds[j];
                else
                    close(fds[j]);
            }
        }
        g_object_unref(msgs[i]);
    }
    g_free(msgs);
    /* The slot comes in one piece with its fd (one sendmsg). */
    if (got != (gssize)sizeof(slot_le) || fd < 0) {
        if (fd >= 0)
            close(fd);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "migration: MemoryFd came with %s",
                    fd < 0 ? "no file descriptor" : "a truncated slot");
        return false;
    }
    slot = (uint32_t)slot_le[0] | (uint32_t)slot_le[1] << 8 |
           (uint32_t)slot_le[2] << 16 | (uint32_t)slot_le[3] << 24;
    return rx->ops->memory_fd(rx->opaque, slot, fd, error);
}

static bool
rx_out_of_order(const MigrationRequest *req, GError **error)
{
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "migration: unexpected %s at this point of the migration",
                migration_command_name(req->command));
    return false;
}

/* One request.  *@done: Complete was applied. */
static bool
rx_handle(Rx *rx, const MigrationRequest *req, bool *done, GError **error)
{
    g_autofree char *text = NULL;

    if (rx->phase == RX_WANT_START && req->command != MIGRATION_CMD_START)
        return rx_out_of_order(req, error);
    switch (req->command) {
    case MIGRATION_CMD_START:
        if (rx->phase != RX_WANT_START)
            return rx_out_of_order(req, error);
        rx->phase = RX_STARTED;
        return true;
    case MIGRATION_CMD_MEMORY_FD:
        if (rx->phase != RX_STARTED)
            return rx_out_of_order(req, error);
        return rx_memory_fd(rx, error);
    case MIGRATION_CMD_CONFIG: {
        g_autoptr(VmConfig) cfg = NULL;
        g_autoptr(JsonNode) table = NULL;

        if (rx->phase != RX_STARTED)
            return rx_out_of_order(req, error);
        if (!(text = rx_read_payload(rx, req, error)) ||
            !migration_config_parse(text, (gsize)req->length, &cfg, &table,
                                    error) ||
            !(rx->mem = rx->ops->config(rx->opaque, cfg, table, error)))
            return false;
        rx->phase = RX_CONFIGURED;
        return true;
    }
    case MIGRATION_CMD_MEMORY:
        if (rx->phase != RX_CONFIGURED && rx->phase != RX_HAVE_STATE)
            return rx_out_of_order(req, error);
        return rx_memory(rx, req, error);
    case MIGRATION_CMD_STATE: {
        g_autoptr(JsonNode) root = NULL;

        if (rx->phase != RX_CONFIGURED)
            return rx_out_of_order(req, error);
        if (!(text = rx_read_payload(rx, req, error)) ||
            !(root = snapshot_state_parse(text, (gssize)req->length, error)) ||
            !rx->ops->state(rx->opaque, root, error))
            return false;
        rx->phase = RX_HAVE_STATE;
        return true;
    }
    case MIGRATION_CMD_COMPLETE:
    case MIGRATION_CMD_COMPLETE_PAUSED:
        if (rx->phase != RX_HAVE_STATE)
            return rx_out_of_order(req, error);
        if (!rx->ops->complete(rx->opaque,
                               req->command == MIGRATION_CMD_COMPLETE_PAUSED,
                               error))
            return false;
        *done = true;
        return true;
    case MIGRATION_CMD_ABANDON:
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                    "migration: the source abandoned the migration");
        return false;
    case MIGRATION_CMD_PAGE_FAULT:
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "migration: postcopy (PageFault) is not supported yet");
        return false;
    case MIGRATION_CMD_INVALID:
    case MIGRATION_CMD_LAST:
        break;
    }
    return rx_out_of_order(req, error);
}

bool
migration_receive_run(GIOStream *stream, GSocket *socket,
                      const MigrationReceiveOps *ops, gpointer opaque,
                      GCancellable *cancellable, GError **error)
{
    g_autofree guint8 *buf = g_malloc(MIGRATION_CHUNK);
    Rx rx = {
        .in = g_io_stream_get_input_stream(stream),
        .out = g_io_stream_get_output_stream(stream),
        .socket = socket,
        .cancellable = cancellable,
        .ops = ops,
        .opaque = opaque,
        .phase = RX_WANT_START,
        .buf = buf,
    };
    bool done = false;

    while (!done) {
        guint8 hdr[MIGRATION_HEADER_SIZE];
        MigrationRequest req = { 0 };
        GError *local = NULL;

        if (!migration_read_exact(rx.in, hdr, sizeof(hdr),
                                  "a request header", cancellable, error))
            return false;
        /* Abandon is acknowledged (CH does); every other failure is
         * answered Error, best effort: the peer may be gone. */
        if (!migration_request_decode(hdr, &req, &local) ||
            !rx_handle(&rx, &req, &done, &local)) {
            migration_send_response(rx.out,
                                    req.command == MIGRATION_CMD_ABANDON
                                        ? MIGRATION_STATUS_OK
                                        : MIGRATION_STATUS_ERROR,
                                    cancellable, NULL);
            g_propagate_error(error, local);
            return false;
        }
        if (!migration_send_response(rx.out, MIGRATION_STATUS_OK, cancellable,
                                     error))
            return false;
    }
    return true;
}

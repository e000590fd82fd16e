/* SPDX-License-Identifier: Apache-2.0 */
/* Live migration wire protocol: CH's request/response headers and range tables. */
#include <config.h>

#include <inttypes.h>
#include <string.h>

#include "daemon/migration-protocol.h"

/* The wire is little-endian whatever the host (CH's native layout on the
 * hosts it runs on). */
static void
put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void
put_le64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t
get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint64_t
get_le64(const uint8_t *p)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

const char *
migration_command_name(MigrationCommand cmd)
{
    static const char *const names[] = {
        [MIGRATION_CMD_INVALID] = "Invalid",
        [MIGRATION_CMD_START] = "Start",
        [MIGRATION_CMD_CONFIG] = "Config",
        [MIGRATION_CMD_STATE] = "State",
        [MIGRATION_CMD_MEMORY] = "Memory",
        [MIGRATION_CMD_COMPLETE] = "Complete",
        [MIGRATION_CMD_ABANDON] = "Abandon",
        [MIGRATION_CMD_MEMORY_FD] = "MemoryFd",
        [MIGRATION_CMD_COMPLETE_PAUSED] = "CompletePaused",
        [MIGRATION_CMD_PAGE_FAULT] = "PageFault",
    };
    G_STATIC_ASSERT(G_N_ELEMENTS(names) == MIGRATION_CMD_LAST);

    return (unsigned)cmd < MIGRATION_CMD_LAST ? names[cmd] : "Invalid";
}

void
migration_request_encode(const MigrationRequest *req,
                         uint8_t out[MIGRATION_HEADER_SIZE])
{
    put_le16(out, (uint16_t)req->command);
    memcpy(out + 2, req->headers, sizeof(req->headers));
    put_le64(out + 8, req->length);
}

/* The exact payload length a command carries, or -1 for a bounded one. */
static int64_t
request_fixed_length(MigrationCommand cmd)
{
    switch (cmd) {
    case MIGRATION_CMD_START:
    case MIGRATION_CMD_COMPLETE:
    case MIGRATION_CMD_ABANDON:
    case MIGRATION_CMD_COMPLETE_PAUSED:
        return 0;
    case MIGRATION_CMD_MEMORY_FD:
        return 4;                       /* the slot, a u32 */
    case MIGRATION_CMD_PAGE_FAULT:
        return MIGRATION_RANGE_SIZE;    /* one MemoryRange */
    default:
        return -1;
    }
}

bool
migration_request_decode(const uint8_t in[MIGRATION_HEADER_SIZE],
                         MigrationRequest *req, GError **error)
{
    uint16_t cmd = get_le16(in);
    uint64_t max = 0;
    int64_t fixed;

    if (cmd == MIGRATION_CMD_INVALID || cmd >= MIGRATION_CMD_LAST) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "migration: unknown command %u", cmd);
        return false;
    }
    req->command = (MigrationCommand)cmd;
    memcpy(req->headers, in + 2, sizeof(req->headers));
    req->length = get_le64(in + 8);
    fixed = request_fixed_length(req->command);
    if (fixed >= 0 && req->length != (uint64_t)fixed) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "migration: %s carries %" PRId64 " payload bytes, not %"
                    PRIu64, migration_command_name(req->command), fixed,
                    req->length);
        return false;
    }
    switch (req->command) {
    case MIGRATION_CMD_CONFIG:
        max = MIGRATION_MAX_CONFIG_BYTES;
        break;
    case MIGRATION_CMD_STATE:
        max = MIGRATION_MAX_STATE_BYTES;
        break;
    case MIGRATION_CMD_MEMORY:
        max = MIGRATION_MAX_RANGE_TABLE_BYTES;
        if (req->length % MIGRATION_RANGE_SIZE) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "migration: Memory range table of %" PRIu64
                        " bytes is not whole %u-byte ranges", req->length,
                        MIGRATION_RANGE_SIZE);
            return false;
        }
        break;
    default:
        max = (uint64_t)fixed;
        break;
    }
    if (req->length > max) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "migration: %s payload of %" PRIu64 " bytes exceeds the "
                    "limit of %" PRIu64, migration_command_name(req->command),
                    req->length, max);
        return false;
    }
    /* CH accepts its current and its previous version; nimbus has had
     * only one. */
    if (req->command == MIGRATION_CMD_START &&
        get_le16(req->headers) != MIGRATION_PROTOCOL_VERSION) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "migration: protocol version %u is not supported "
                    "(this side speaks %u)", get_le16(req->headers),
                    MIGRATION_PROTOCOL_VERSION);
        return false;
    }
    return true;
}

void
migration_response_encode(const MigrationResponse *resp,
                          uint8_t out[MIGRATION_HEADER_SIZE])
{
    memset(out, 0, MIGRATION_HEADER_SIZE);
    put_le16(out, (uint16_t)resp->status);
    put_le64(out + 8, resp->length);
}

bool
migration_response_decode(const uint8_t in[MIGRATION_HEADER_SIZE],
                          MigrationResponse *resp, GError **error)
{
    uint16_t status = get_le16(in);

    if (status >= MIGRATION_STATUS_LAST) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "migration: unknown response status %u", status);
        return false;
    }
    resp->status = (MigrationStatus)status;
    resp->length = get_le64(in + 8);
    return true;
}

void
migration_ranges_encode(const MigrationRange *ranges, size_t n,
                        GByteArray *out)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b[MIGRATION_RANGE_SIZE];

        put_le64(b, ranges[i].gpa);
        put_le64(b + 8, ranges[i].length);
        g_byte_array_append(out, b, sizeof(b));
    }
}

GArray *
migration_ranges_decode(const uint8_t *data, size_t len, GError **error)
{
    g_autoptr(GArray) ranges = NULL;

    if (len % MIGRATION_RANGE_SIZE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "migration: range table of %zu bytes is not whole "
                    "ranges", len);
        return NULL;
    }
    ranges = g_array_sized_new(FALSE, FALSE, sizeof(MigrationRange),
                               (guint)(len / MIGRATION_RANGE_SIZE));
    for (size_t off = 0; off < len; off += MIGRATION_RANGE_SIZE) {
        MigrationRange r = {
            .gpa = get_le64(data + off),
            .length = get_le64(data + off + 8),
        };

        if (r.length == 0 || r.gpa + r.length < r.gpa) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "migration: range %zu (0x%" PRIx64 ", %" PRIu64
                        " bytes) is %s", off / MIGRATION_RANGE_SIZE, r.gpa,
                        r.length, r.length == 0 ? "empty" : "wrapping");
            return NULL;
        }
        g_array_append_val(ranges, r);
    }
    return g_steal_pointer(&ranges);
}

/* ---- I/O ---------------------------------------------------------------- */

bool
migration_read_exact(GInputStream *in, void *buf, size_t len,
                     const char *what, GCancellable *cancellable,
                     GError **error)
{
    gsize got = 0;

    if (!g_input_stream_read_all(in, buf, len, &got, cancellable, error))
        return false;
    if (got < len) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                    "migration: the connection closed in %s (%zu of %zu "
                    "bytes)", what, (size_t)got, len);
        return false;
    }
    return true;
}

bool
migration_send_request(GOutputStream *out, MigrationCommand cmd,
                       const void *payload, uint64_t length,
                       GCancellable *cancellable, GError **error)
{
    MigrationRequest req = { .command = cmd, .length = length };
    uint8_t hdr[MIGRATION_HEADER_SIZE];

    if (cmd == MIGRATION_CMD_START) {
        uint8_t v[2];

        put_le16(v, MIGRATION_PROTOCOL_VERSION);
        memcpy(req.headers, v, sizeof(v));
    }
    migration_request_encode(&req, hdr);
    if (!g_output_stream_write_all(out, hdr, sizeof(hdr), NULL, cancellable,
                                   error))
        return false;
    return !payload ||
           g_output_stream_write_all(out, payload, (gsize)length, NULL,
                                     cancellable, error);
}

bool
migration_expect_ok(GInputStream *in, MigrationCommand cmd,
                    GCancellable *cancellable, GError **error)
{
    uint8_t hdr[MIGRATION_HEADER_SIZE];
    MigrationResponse resp;
    g_autofree char *what = g_strdup_printf("the answer to %s",
                                            migration_command_name(cmd));

    if (!migration_read_exact(in, hdr, sizeof(hdr), what, cancellable,
                              error) ||
        !migration_response_decode(hdr, &resp, error))
        return false;
    if (resp.status != MIGRATION_STATUS_OK) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "migration: the destination refused %s (see its log)",
                    migration_command_name(cmd));
        return false;
    }
    return true;
}

bool
migration_send_response(GOutputStream *out, MigrationStatus status,
                        GCancellable *cancellable, GError **error)
{
    MigrationResponse resp = { .status = status };
    uint8_t hdr[MIGRATION_HEADER_SIZE];

    migration_response_encode(&resp, hdr);
    return g_output_stream_write_all(out, hdr, sizeof(hdr), NULL, cancellable,
                                     error) &&
           g_output_stream_flush(out, cancellable, error);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Live migration wire protocol: CH's request/response headers and range tables. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

/*
 * Cloud Hypervisor's vm-migration/src/protocol.rs (reference §7): every
 * step is a 16-byte request header, then `length` payload bytes, answered
 * by a 16-byte response header.  Fields are little-endian (CH writes its
 * native x86_64/aarch64 layout).  A Memory request's length covers only
 * its range table; the raw bytes of those ranges follow it.
 */

#define MIGRATION_HEADER_SIZE 16
/* CH's CURRENT_PROTOCOL_VERSION, sent in the first two bytes of Start's
 * command headers. */
#define MIGRATION_PROTOCOL_VERSION 0

/* Payload limits: far above what a VM sends, low enough that a hostile
 * peer cannot make the receiver allocate without bound. */
#define MIGRATION_MAX_CONFIG_BYTES (16u << 20)
#define MIGRATION_MAX_STATE_BYTES (256u << 20)
#define MIGRATION_MAX_RANGE_TABLE_BYTES (64u << 20)

typedef enum {
    MIGRATION_CMD_INVALID = 0,
    MIGRATION_CMD_START = 1,
    MIGRATION_CMD_CONFIG = 2,
    MIGRATION_CMD_STATE = 3,
    MIGRATION_CMD_MEMORY = 4,
    MIGRATION_CMD_COMPLETE = 5,
    MIGRATION_CMD_ABANDON = 6,
    MIGRATION_CMD_MEMORY_FD = 7,
    MIGRATION_CMD_COMPLETE_PAUSED = 8,
    MIGRATION_CMD_PAGE_FAULT = 9,
    MIGRATION_CMD_LAST
} MigrationCommand;

typedef enum {
    MIGRATION_STATUS_INVALID = 0,
    MIGRATION_STATUS_OK = 1,
    MIGRATION_STATUS_ERROR = 2,
    MIGRATION_STATUS_LAST
} MigrationStatus;

typedef struct {
    MigrationCommand command;
    uint8_t headers[6];       /* command-specific; Start: version (u16) */
    uint64_t length;          /* payload bytes after the header */
} MigrationRequest;

typedef struct {
    MigrationStatus status;
    uint64_t length;
} MigrationResponse;

/* CH's MemoryRange: a guest-physical range, 16 bytes on the wire. */
typedef struct {
    uint64_t gpa;
    uint64_t length;
} MigrationRange;

#define MIGRATION_RANGE_SIZE 16

/* "Start", "Config"...; "Invalid" for anything unknown.  (transfer none) */
const char *migration_command_name(MigrationCommand cmd);

void migration_request_encode(const MigrationRequest *req,
                              uint8_t out[MIGRATION_HEADER_SIZE]);
/**
 * migration_request_decode:
 * Parses a request header and checks what needs no context: a known
 * command, a length within that command's limit (Start, Complete, Abandon
 * carry none; MemoryFd carries its 4-byte slot; a range table is whole
 * ranges), and for Start a protocol version this side speaks.  Errors name
 * the command and the problem.
 */
bool migration_request_decode(const uint8_t in[MIGRATION_HEADER_SIZE],
                              MigrationRequest *req, GError **error);

void migration_response_encode(const MigrationResponse *resp,
                               uint8_t out[MIGRATION_HEADER_SIZE]);
/* Parses a response header; an unknown status is an error. */
bool migration_response_decode(const uint8_t in[MIGRATION_HEADER_SIZE],
                               MigrationResponse *resp, GError **error);

/* Appends @n ranges to @out in wire layout. */
void migration_ranges_encode(const MigrationRange *ranges, size_t n,
                             GByteArray *out);
/**
 * migration_ranges_decode:
 * A Memory request's table: @len bytes, whole ranges, none empty or
 * wrapping past 2^64.  Returns (transfer full) a GArray of MigrationRange,
 * or NULL with an error naming the first bad range.
 */
GArray *migration_ranges_decode(const uint8_t *data, size_t len,
                                GError **error);

/* ---- I/O on a connected stream ------------------------------------------ */

/* Reads exactly @len bytes; a short read is G_IO_ERROR_CONNECTION_CLOSED
 * naming @what. */
bool migration_read_exact(GInputStream *in, void *buf, size_t len,
                          const char *what, GCancellable *cancellable,
                          GError **error);
/* Writes a request header for @cmd with @length, then @payload (may be
 * NULL when the caller sends the bytes itself). */
bool migration_send_request(GOutputStream *out, MigrationCommand cmd,
                            const void *payload, uint64_t length,
                            GCancellable *cancellable, GError **error);
/* Reads a response; Error or Invalid is a G_IO_ERROR_FAILED naming @cmd
 * (the peer refused it). */
bool migration_expect_ok(GInputStream *in, MigrationCommand cmd,
                         GCancellable *cancellable, GError **error);
bool migration_send_response(GOutputStream *out, MigrationStatus status,
                             GCancellable *cancellable, GError **error);

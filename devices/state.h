/* SPDX-License-Identifier: Apache-2.0 */
/* Versioned device state: one table per device, one strict JSON reader. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/*
 * A device describes its snapshot state once, as a VmmStateDesc over a
 * plain C struct (the "state struct"): save copies the live registers into
 * such a struct under the device's lock and vmm_state_save() writes it as
 * JSON; restore lets vmm_state_load() fill a local state struct, checks
 * what needs the live device, and only then applies it.  So a blob that is
 * refused (newer version, missing or unknown member, wrong type, value out
 * of bounds, wrong array length) leaves the device untouched, and every
 * refusal reads "<device id>: field '<path>': <why>".
 *
 * The JSON shape is documented in docs/devices.md ("Device state").
 */

typedef struct VmmStateDesc VmmStateDesc;

typedef enum {
    VMM_STATE_UINT,     /* unsigned integer of .size bytes, .min.. .max */
    VMM_STATE_INT,      /* signed integer of .size (4 or 8) bytes */
    VMM_STATE_BOOL,     /* bool */
    VMM_STATE_BYTES,    /* uint8_t[.count], as base64 */
    VMM_STATE_STRUCT,   /* a nested object (.desc), or an array of them */
    VMM_STATE_TYPE_LAST,
} VmmStateType;

typedef enum {
    /* STRUCT: the member at .offset is a pointer to the element(s). */
    VMM_STATE_F_PTR = 1 << 0,
    /* STRUCT: an array whose length is the unsigned at .len_off, set by
     * the caller before a load (the JSON array must match it exactly).
     * BYTES: the unsigned at .len_off receives the length, at most
     * .count; without the flag exactly .count bytes are expected. */
    VMM_STATE_F_LEN = 1 << 1,
    /* UINT: the upper bound is also at most the uint64_t at .max_off (set
     * by the caller before a load: a bound that depends on the device
     * instance, such as a queue's maximum size). */
    VMM_STATE_F_DYN_MAX = 1 << 2,
    /* STRUCT: the description is the const VmmStateDesc * at .desc_off;
     * when it is NULL the member is neither written nor accepted. */
    VMM_STATE_F_DYN_DESC = 1 << 3,
} VmmStateFlags;

/**
 * VmmStateField:
 * @name: the JSON member name
 * @type: what the member holds
 * @offset: where it lives in the state struct
 * @size: UINT/INT: the C member's width in bytes (1, 2, 4, 8)
 * @min: UINT/INT: the smallest accepted value
 * @max: UINT/INT: the largest one (at most G_MAXINT64: JSON integers are
 *       int64 here)
 * @count: BYTES: the buffer's size; STRUCT: > 0 for an inline array of
 *         that many elements
 * @since: the version that added the field; a blob of an older version
 *         must not carry it, and the state struct keeps what the caller
 *         put there (the device's current value, or a default)
 * @desc: STRUCT: the elements' description
 */
typedef struct {
    const char *name;
    VmmStateType type;
    size_t offset;
    unsigned size;
    int64_t min;
    int64_t max;
    unsigned count;
    unsigned flags;
    size_t len_off;
    size_t max_off;
    size_t desc_off;
    unsigned since;
    const VmmStateDesc *desc;
} VmmStateField;

/**
 * VmmStateDesc:
 * @name: what the table describes (for documentation and tests)
 * @version: > 0 for a section that carries its own "version" member, and
 *           is bumped whenever a field is added or its meaning changes;
 *           0 for an element table that shares its parent's version
 * @size: sizeof the state struct (to allocate a dynamic nested one)
 */
struct VmmStateDesc {
    const char *name;
    unsigned version;
    size_t size;
    const VmmStateField *fields;
    unsigned n_fields;
};

#define VMM_STATE_MEMBER_SIZE(T, m) ((unsigned)sizeof(((T *)0)->m))

/* An unsigned integer member T.m in [lo, hi]. */
#define VMM_STATE_UINT_FIELD(T, m, lo, hi)                                  \
    { .name = #m, .type = VMM_STATE_UINT, .offset = offsetof(T, m),         \
      .size = VMM_STATE_MEMBER_SIZE(T, m), .min = (lo), .max = (hi) }
/* A signed integer member T.m in [lo, hi]. */
#define VMM_STATE_INT_FIELD(T, m, lo, hi)                                   \
    { .name = #m, .type = VMM_STATE_INT, .offset = offsetof(T, m),          \
      .size = VMM_STATE_MEMBER_SIZE(T, m), .min = (lo), .max = (hi) }
#define VMM_STATE_BOOL_FIELD(T, m)                                          \
    { .name = #m, .type = VMM_STATE_BOOL, .offset = offsetof(T, m),         \
      .size = VMM_STATE_MEMBER_SIZE(T, m) }
/* Exactly sizeof(T.m) bytes. */
#define VMM_STATE_BYTES_FIELD(T, m)                                         \
    { .name = #m, .type = VMM_STATE_BYTES, .offset = offsetof(T, m),        \
      .count = VMM_STATE_MEMBER_SIZE(T, m) }
/* Up to sizeof(T.m) bytes, the length in T.len. */
#define VMM_STATE_VARBYTES_FIELD(T, m, len)                                 \
    { .name = #m, .type = VMM_STATE_BYTES, .offset = offsetof(T, m),        \
      .count = VMM_STATE_MEMBER_SIZE(T, m), .flags = VMM_STATE_F_LEN,       \
      .len_off = offsetof(T, len) }

/**
 * vmm_state_save:
 * @desc: the table describing @st
 * @st: the state struct
 *
 * Returns: (transfer full): @st as a JSON object, with a "version" member
 * when @desc is a versioned section.
 */
JsonNode *vmm_state_save(const VmmStateDesc *desc, const void *st);

/**
 * vmm_state_load:
 * @desc: the table describing @st
 * @node: the saved state (borrowed)
 * @dev_id: the device id, for error messages
 * @st: the state struct to fill; the caller sets array lengths, dynamic
 *      bounds and descriptions, and the values that fields added by later
 *      versions keep when an older blob lacks them
 * @error: return location for a G_IO_ERROR_INVALID_DATA error
 *
 * Checks the whole of @node against @desc and fills @st.  On failure @st
 * may be partly written: callers load into a local struct and apply it
 * only on success.
 */
bool vmm_state_load(const VmmStateDesc *desc, JsonNode *node,
                    const char *dev_id, void *st, GError **error);

/**
 * vmm_state_error:
 *
 * Sets the error of a check that the table cannot express (one that needs
 * the live device), in the same "<dev>: field '<field>': ..." form.
 */
void vmm_state_error(GError **error, const char *dev_id, const char *field,
                     const char *fmt, ...) G_GNUC_PRINTF(4, 5);

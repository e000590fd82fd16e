/* SPDX-License-Identifier: Apache-2.0 */
/* The table-driven JSON walker under vm-config-json.c (not an interface). */
#pragma once

#include <stddef.h>
#include <json-glib/json-glib.h>

#include "common/error-util.h"
#include "config/vm-config-priv.h"

typedef struct JField JField;
typedef bool (*JParseFn)(JsonNode *node, const char *path, void *target,
                         GError **error);

typedef enum {
    JF_BOOL,              /* bool */
    JF_UINT,              /* unsigned integer of .size bytes in [min, max] */
    JF_INT_OPT,           /* int, -1 when absent, else in [min, max] */
    JF_STRING,            /* char *, NULL when absent */
    JF_CUSTOM,            /* .parse(node, path, target + offset) */
    /* Not implemented yet: accepted only when null or equal to a default. */
    JF_UNSUP_BOOL,        /* == .dflt_bool */
    JF_UNSUP_INT,         /* == .min */
    JF_UNSUP_STR,         /* == .dflt_str (any case) */
    JF_UNSUP_EMPTY,       /* null, "" or [] */
    JF_UNSUP_DEFAULTS,    /* an object whose keys all pass .sub */
} JKind;

struct JField {
    const char *name;
    JKind kind;
    bool required;
    size_t offset;
    size_t size;
    uint64_t min, max;
    bool dflt_bool;
    const char *dflt_str;
    JParseFn parse;
    const JField *sub;
};

#define MEMBER_SIZE(T, m) sizeof(((T *)0)->m)
#define F_BOOL(n, T, m) { .name = n, .kind = JF_BOOL, .offset = offsetof(T, m) }
#define F_UINT(n, T, m, lo, hi)                                                \
    { .name = n, .kind = JF_UINT, .offset = offsetof(T, m),                    \
      .size = MEMBER_SIZE(T, m), .min = lo, .max = hi }
#define F_REQ_UINT(n, T, m, lo, hi)                                            \
    { .name = n, .kind = JF_UINT, .required = true, .offset = offsetof(T, m),  \
      .size = MEMBER_SIZE(T, m), .min = lo, .max = hi }
#define F_INT_OPT(n, T, m, lo, hi)                                             \
    { .name = n, .kind = JF_INT_OPT, .offset = offsetof(T, m), .min = lo,      \
      .max = hi }
#define F_STR(n, T, m)                                                         \
    { .name = n, .kind = JF_STRING, .offset = offsetof(T, m) }
#define F_CUSTOM(n, T, m, fn)                                                  \
    { .name = n, .kind = JF_CUSTOM, .offset = offsetof(T, m), .parse = fn }
#define F_REQ_CUSTOM(n, T, m, fn)                                              \
    { .name = n, .kind = JF_CUSTOM, .required = true, .offset = offsetof(T, m),\
      .parse = fn }
#define U_BOOL(n, d) { .name = n, .kind = JF_UNSUP_BOOL, .dflt_bool = d }
#define U_INT(n, d) { .name = n, .kind = JF_UNSUP_INT, .min = d }
#define U_STR(n, d) { .name = n, .kind = JF_UNSUP_STR, .dflt_str = d }
#define U_EMPTY(n) { .name = n, .kind = JF_UNSUP_EMPTY }
#define U_DEFAULTS(n, s) { .name = n, .kind = JF_UNSUP_DEFAULTS, .sub = s }
#define F_END { .name = NULL }

/* The root's path is "": messages name it "(document)". */
static inline const char *
vm_json_where(const char *path)
{
    return *path ? path : "(document)";
}
/* "path: message" (G_IO_ERROR_INVALID_ARGUMENT); returns false. */
#define vm_json_fail(error, path, ...)                                         \
    nimbus_fail_prefixed(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,       \
                         vm_json_where(path), __VA_ARGS__)
/* "parent.name" / "parent[i]" (transfer full). */
char *vm_json_path_member(const char *parent, const char *name);
char *vm_json_path_index(const char *parent, guint i);
bool vm_json_is_null(JsonNode *node);
bool vm_json_is_int(JsonNode *node);
bool vm_json_is_bool(JsonNode *node);
bool vm_json_is_string(JsonNode *node);
/* An integer in [min, max]; negative and fractional numbers are wrong. */
bool vm_json_get_uint(JsonNode *node, const char *path, uint64_t min,
                      uint64_t max, uint64_t *out, GError **error);
/* Checks every member is in @fields, then parses each field into @target
 * (NULL for tables of unsupported keys only). */
bool vm_json_parse_object(JsonNode *node, const char *path,
                          const JField *fields, void *target, GError **error);
/* Each element through @fn; null is an empty array. */
bool vm_json_parse_array(JsonNode *node, const char *path,
                         bool (*fn)(JsonNode *elem, const char *path, guint i,
                                    void *data, GError **error),
                         void *data, GError **error);

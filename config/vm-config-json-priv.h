/* SPDX-License-Identifier: Apache-2.0 */
/* JSON helpers under the table walkers: paths, types, errors (private). */
#pragma once

#include <stddef.h>
#include <json-glib/json-glib.h>

#include "common/error-util.h"
#include "config/vm-config-schema.h"

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
/* Each element through @fn; null is an empty array. */
bool vm_json_parse_array(JsonNode *node, const char *path,
                         bool (*fn)(JsonNode *elem, const char *path, guint i,
                                    void *data, GError **error),
                         void *data, GError **error);

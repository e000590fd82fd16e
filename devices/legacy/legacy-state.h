/* SPDX-License-Identifier: Apache-2.0 */
/* Strict readers and writers for the legacy devices' JSON snapshot state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/*
 * A snapshot may come from another build or a hand-edited file: restore
 * reads every field through these helpers, which refuse a missing member,
 * a wrong type or an out-of-range value with a G_IO_ERROR_INVALID_DATA
 * naming the device and the field.  Devices parse the whole object into a
 * local copy first and commit it only when everything was valid, so a bad
 * snapshot leaves the device as it was.
 */

/* The state's root object, or NULL with @error set. */
JsonObject *legacy_state_object(JsonNode *state, const char *dev,
                                GError **error);
bool legacy_state_get_uint(JsonObject *o, const char *dev, const char *key,
                           uint64_t max, uint64_t *out, GError **error);
bool legacy_state_get_int(JsonObject *o, const char *dev, const char *key,
                          int64_t *out, GError **error);
bool legacy_state_get_bool(JsonObject *o, const char *dev, const char *key,
                           bool *out, GError **error);
/* Base64 bytes; at most @max bytes; *out_len gets the decoded length. */
bool legacy_state_get_bytes(JsonObject *o, const char *dev, const char *key,
                            uint8_t *buf, size_t max, size_t *out_len,
                            GError **error);

void legacy_state_set_bytes(JsonBuilder *b, const char *key,
                            const uint8_t *buf, size_t len);

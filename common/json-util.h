/* SPDX-License-Identifier: Apache-2.0 */
/* JSON text from untrusted peers: a nesting limit before json-glib sees it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/*
 * json-glib's parser recurses once per nesting level with no limit of its
 * own: 100,000 nested arrays in a 200 KB body overflow the stack (the VMM
 * process is the VM, so that kills the guest).  Every JSON text that comes
 * from outside the process goes through json_parse_bounded(), which scans
 * the nesting depth first, without recursion.
 */

/* True when @s (@len bytes; a NUL ends it early) nests arrays and objects
 * at most @max_depth deep (brackets inside strings do not count). */
bool json_text_depth_ok(const char *s, size_t len, unsigned int max_depth);

/**
 * json_parse_bounded:
 * @len: bytes of @data, or -1 when NUL-terminated
 * Parses @data when it nests at most @max_depth levels.  Errors
 * (G_IO_ERROR_INVALID_ARGUMENT): "nested deeper than N levels", or
 * json-glib's message for invalid JSON.  Returns the root (transfer full),
 * never NULL on success (an empty document is an error).
 */
JsonNode *json_parse_bounded(const char *data, gssize len,
                             unsigned int max_depth, GError **error);

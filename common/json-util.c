/* SPDX-License-Identifier: Apache-2.0 */
/* JSON text from untrusted peers: a nesting limit before json-glib sees it. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "common/json-util.h"

bool
json_text_depth_ok(const char *s, size_t len, unsigned int max_depth)
{
    bool in_str = false;
    unsigned int depth = 0;

    for (size_t i = 0; i < len && s[i]; i++) {
        char ch = s[i];

        if (in_str) {
            if (ch == '\\')
                i++;        /* the escaped character cannot end the string */
            else if (ch == '"')
                in_str = false;
        } else if (ch == '"') {
            in_str = true;
        } else if (ch == '[' || ch == '{') {
            if (++depth > max_depth)
                return false;
        } else if ((ch == ']' || ch == '}') && depth > 0) {
            /* Unbalanced closers are json-glib's to report. */
            depth--;
        }
    }
    return true;
}

JsonNode *
json_parse_bounded(const char *data, gssize len, unsigned int max_depth,
                   GError **error)
{
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(GError) local = NULL;
    JsonNode *root;
    size_t n;

    if (!data) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "empty document");
        return NULL;
    }
    n = len < 0 ? strlen(data) : (size_t)len;
    if (!json_text_depth_ok(data, n, max_depth)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "nested deeper than %u levels", max_depth);
        return NULL;
    }
    parser = json_parser_new_immutable();
    if (!json_parser_load_from_data(parser, data, (gssize)n, &local)) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            local->message);
        return NULL;
    }
    root = json_parser_steal_root(parser);
    if (!root) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "empty document");
        return NULL;
    }
    return root;
}

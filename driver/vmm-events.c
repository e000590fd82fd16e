/* SPDX-License-Identifier: Apache-2.0 */
/* Parser of the nimbus/Cloud Hypervisor event-monitor stream. */
#include <config.h>

#include "driver/util.h"
#include "driver/vmm-events.h"

#define DRV_VMM_EVENT_MAX_DEPTH 16

struct DrvVmmEventParser {
    GString *obj;       /* bytes of the object being collected */
    int depth;          /* brace depth; 0 = between objects */
    bool in_string;
    bool escape;        /* previous char was a backslash inside a string */
};

DrvVmmEventParser *
drv_vmm_event_parser_new(void)
{
    DrvVmmEventParser *parser = g_new0(DrvVmmEventParser, 1);

    parser->obj = g_string_new(NULL);
    return parser;
}

void
drv_vmm_event_parser_free(DrvVmmEventParser *parser)
{
    if (!parser)
        return;
    g_string_free(parser->obj, TRUE);
    g_free(parser);
}

static void
drv_vmm_event_parser_reset(DrvVmmEventParser *parser)
{
    g_string_truncate(parser->obj, 0);
    parser->depth = 0;
    parser->in_string = false;
    parser->escape = false;
}

static void
drv_vmm_event_emit(const GString *text, DrvVmmEventFunc func, gpointer data)
{
    g_autoptr(JsonParser) jp = json_parser_new_immutable();
    g_autoptr(GError) error = NULL;
    JsonNode *root;
    JsonObject *o;
    JsonNode *props;
    const char *source;
    const char *event;

    if (!json_parser_load_from_data(jp, text->str, (gssize)text->len, &error)) {
        g_debug("ignoring malformed VMM event: %s", error->message);
        return;
    }
    root = json_parser_get_root(jp);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return;
    o = json_node_get_object(root);
    source = drv_json_string(o, "source");
    event = drv_json_string(o, "event");
    if (!source || !event) {
        g_debug("ignoring VMM event without source or event");
        return;
    }
    props = json_object_get_member(o, "properties");
    func(source, event,
         props && JSON_NODE_HOLDS_OBJECT(props) ? json_node_get_object(props) : NULL,
         data);
}

/* A small state machine instead of a streaming JSON parser: it only needs
 * to find where each top-level object ends (braces outside strings), then
 * json-glib parses that object alone. */
void
drv_vmm_event_parser_feed(DrvVmmEventParser *parser, const char *data,
                          size_t len, DrvVmmEventFunc func, gpointer user_data)
{
    for (size_t i = 0; i < len; i++) {
        char c = data[i];

        if (parser->depth == 0) {
            /* Between objects only '{' matters; blank lines and anything
             * else are skipped. */
            if (c != '{')
                continue;
            parser->depth = 1;
            g_string_append_c(parser->obj, c);
            continue;
        }
        g_string_append_c(parser->obj, c);
        if (parser->obj->len > DRV_VMM_EVENT_MAX) {
            g_debug("VMM event larger than %u bytes: resynchronising",
                    DRV_VMM_EVENT_MAX);
            drv_vmm_event_parser_reset(parser);
            continue;
        }
        if (parser->in_string) {
            if (parser->escape)
                parser->escape = false;
            else if (c == '\\')
                parser->escape = true;
            else if (c == '"')
                parser->in_string = false;
            continue;
        }
        if (c == '"') {
            parser->in_string = true;
        } else if (c == '{') {
            /* Events nest two levels; deep nesting is junk, and would make
             * json-glib's recursive parser use a lot of stack. */
            if (++parser->depth > DRV_VMM_EVENT_MAX_DEPTH) {
                g_debug("VMM event nested too deeply: resynchronising");
                drv_vmm_event_parser_reset(parser);
            }
        } else if (c == '}' && --parser->depth == 0) {
            drv_vmm_event_emit(parser->obj, func, user_data);
            drv_vmm_event_parser_reset(parser);
        }
    }
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Parser of the nimbus/Cloud Hypervisor event-monitor stream. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/*
 * The stream is a sequence of pretty-printed JSON objects separated by
 * blank lines (cloud-hypervisor-interface.md §4):
 *   { "timestamp": {...}, "source": "vm", "event": "booted",
 *     "properties": null | {"k": "v"} }
 * Objects may arrive split across reads.  The parser never trusts the
 * stream: junk between objects is skipped, an object that is not valid
 * JSON or lacks source/event is dropped, and one larger than
 * DRV_VMM_EVENT_MAX resets the parser.
 */

#define DRV_VMM_EVENT_MAX (64u * 1024)

typedef struct DrvVmmEventParser DrvVmmEventParser;

/* @properties may be NULL. */
typedef void (*DrvVmmEventFunc)(const char *source, const char *event,
                                JsonObject *properties, gpointer data);

DrvVmmEventParser *drv_vmm_event_parser_new(void);
void drv_vmm_event_parser_free(DrvVmmEventParser *parser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DrvVmmEventParser, drv_vmm_event_parser_free)

/* Feeds bytes; calls @func for each complete event, in order. */
void drv_vmm_event_parser_feed(DrvVmmEventParser *parser, const char *data,
                               size_t len, DrvVmmEventFunc func,
                               gpointer user_data);

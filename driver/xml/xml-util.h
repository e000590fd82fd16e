/* SPDX-License-Identifier: Apache-2.0 */
/* libxml2 helpers for the domain XML model: reading nodes, errors, output buffer. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <libxml/tree.h>

#include "driver/drv-error.h"

/* yes/no and on/off attributes: absent is distinct from either value, so
 * that the formatter prints back exactly what was given. */
typedef enum {
    XML_TRISTATE_ABSENT,
    XML_TRISTATE_YES,
    XML_TRISTATE_NO,
    XML_TRISTATE_LAST
} XmlTristate;

/* "yes"/"no" and "on"/"off" spellings (NULL for ABSENT). */
const char *xml_yes_no_to_string(XmlTristate t);
const char *xml_on_off_to_string(XmlTristate t);

/**
 * drv_xml_error:
 * Sets @error in the DRV_ERROR domain with libvirt's message prefix for
 * @code ("XML error: ", "unsupported configuration: ", "invalid argument: "),
 * so that the RPC layer can pass the message through unchanged.
 */
void drv_xml_error(GError **error, DrvErrorCode code, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* Node access.  Strings are copied into g_malloc memory (transfer full). */
char *xml_prop(xmlNodePtr node, const char *name);
char *xml_text(xmlNodePtr node);
/* First element child called @name, or NULL (transfer none). */
xmlNodePtr xml_child(xmlNodePtr node, const char *name);
bool xml_is_element(xmlNodePtr node, const char *name);
/* "/domain/devices/disk[2]/target" (transfer full). */
char *xml_node_path(xmlNodePtr node);

/* Numeric attributes: absent leaves *out untouched and returns true; junk,
 * sign, overflow or a value above @max is an XML_ERROR naming the node path
 * and attribute. */
bool xml_prop_uint(xmlNodePtr node, const char *name, uint64_t max,
                   uint64_t *out, bool *present, GError **error);
bool xml_parse_uint(const char *str, uint64_t max, uint64_t *out);
/* yes/no (or on/off with @on_off) attribute into a tristate. */
bool xml_prop_tristate(xmlNodePtr node, const char *name, bool on_off,
                       XmlTristate *out, GError **error);
/* An attribute that must be one of an ENUM_IMPL table: -1 when absent. */
bool xml_prop_enum(xmlNodePtr node, const char *name,
                   int (*from_string)(const char *), int *out,
                   GError **error);

/**
 * xml_scale_to_kib:
 * libvirt's memory units: b/bytes, KB/MB/GB/TB/PB/EB (powers of 1000),
 * k/KiB, M/MiB, G/GiB, T/TiB, P/PiB, E/EiB (powers of 1024), any case;
 * no unit means KiB.  The byte count is rounded up to whole KiB, as libvirt
 * stores memory.  Fails on overflow beyond @max_kib.
 */
bool xml_scale_to_kib(const char *value, const char *unit, uint64_t max_kib,
                      uint64_t *kib, const char **why);

/* MAC addresses "52:54:00:12:34:56" (also '-' separated, any case). */
bool xml_mac_parse(const char *str, unsigned char mac[6]);
void xml_mac_format(const unsigned char mac[6], char out[18]);

/*
 * Output buffer in libvirt's style: two-space indentation, single-quoted
 * attributes, escaped values.  Build elements with the open/attr/end calls:
 *   xml_buf_open(b, "target"); xml_buf_attr(b, "dev", "vda");
 *   xml_buf_end_empty(b);                        ->  <target dev='vda'/>
 */
typedef struct {
    GString *str;
    int indent;    /* current depth, in levels of two spaces */
} XmlBuf;

void xml_buf_open(XmlBuf *b, const char *element);
/* Skipped when @value is NULL. */
void xml_buf_attr(XmlBuf *b, const char *name, const char *value);
void xml_buf_attr_uint(XmlBuf *b, const char *name, uint64_t value);
void xml_buf_end_empty(XmlBuf *b);      /* "/>" */
void xml_buf_end_open(XmlBuf *b);       /* ">" then children, one level in */
void xml_buf_end_text(XmlBuf *b, const char *element, const char *text);
void xml_buf_close(XmlBuf *b, const char *element);
/* <element>text</element>; skipped when @text is NULL. */
void xml_buf_text_element(XmlBuf *b, const char *element, const char *text);
/* Text that is already XML (a libxml2 dump), placed at the current depth. */
void xml_buf_add_dump(XmlBuf *b, const char *text);
void xml_escape_append(GString *s, const char *text);

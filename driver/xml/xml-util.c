/* SPDX-License-Identifier: Apache-2.0 */
/* libxml2 helpers for the domain XML model: reading nodes, errors, output buffer. */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/error-util.h"
#include "driver/xml/xml-enum.h"
#include "driver/xml/xml-util.h"

const char *
xml_enum_to_string(const char *const *strings, int n, int value)
{
    if (value < 0 || value >= n)
        return NULL;
    return strings[value];
}

int
xml_enum_from_string(const char *const *strings, int n, const char *str)
{
    if (!str)
        return -1;
    for (int i = 0; i < n; i++) {
        if (strings[i] && strcmp(strings[i], str) == 0)
            return i;
    }
    return -1;
}

const char *
xml_yes_no_to_string(XmlTristate t)
{
    return t == XML_TRISTATE_YES ? "yes" : t == XML_TRISTATE_NO ? "no" : NULL;
}

const char *
xml_on_off_to_string(XmlTristate t)
{
    return t == XML_TRISTATE_YES ? "on" : t == XML_TRISTATE_NO ? "off" : NULL;
}

void
drv_xml_error(GError **error, DrvErrorCode code, const char *fmt, ...)
{
    const char *prefix;
    va_list ap;

    /* libvirt's virErrorMsg() templates for these codes: clients print the
     * message as the server sent it. */
    switch (code) {
    case DRV_ERROR_XML_ERROR:
        prefix = "XML error";
        break;
    case DRV_ERROR_CONFIG_UNSUPPORTED:
        prefix = "unsupported configuration";
        break;
    case DRV_ERROR_INVALID_ARG:
        prefix = "invalid argument";
        break;
    case DRV_ERROR_INTERNAL_ERROR:
        prefix = "internal error";
        break;
    default:
        prefix = NULL;
        break;
    }
    va_start(ap, fmt);
    nimbus_fail_prefixedv(error, DRV_ERROR, code, prefix, fmt, ap);
    va_end(ap);
}

char *
xml_prop(xmlNodePtr node, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)name);
    char *ret;

    if (!v)
        return NULL;
    ret = g_strdup((const char *)v);
    xmlFree(v);
    return ret;
}

char *
xml_text(xmlNodePtr node)
{
    xmlChar *v = xmlNodeGetContent(node);
    char *ret;

    if (!v)
        return g_strdup("");
    ret = g_strdup((const char *)v);
    xmlFree(v);
    return ret;
}

bool
xml_is_element(xmlNodePtr node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE &&
           strcmp((const char *)node->name, name) == 0;
}

xmlNodePtr
xml_child(xmlNodePtr node, const char *name)
{
    for (xmlNodePtr c = node ? node->children : NULL; c; c = c->next) {
        if (xml_is_element(c, name))
            return c;
    }
    return NULL;
}

char *
xml_node_path(xmlNodePtr node)
{
    xmlChar *p = xmlGetNodePath(node);
    char *ret = g_strdup(p ? (const char *)p : "?");

    xmlFree(p);
    return ret;
}

bool
xml_parse_uint(const char *str, uint64_t max, uint64_t *out)
{
    g_autofree char *s = NULL;
    char *end = NULL;
    guint64 v;

    if (!str)
        return false;
    /* XML Schema numeric types allow surrounding whitespace; strtoull
     * would also take a sign, which an unsigned value must not have. */
    s = g_strstrip(g_strdup(str));
    if (!g_ascii_isdigit(s[0]))
        return false;
    errno = 0;
    v = g_ascii_strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}

bool
xml_prop_uint(xmlNodePtr node, const char *name, uint64_t max, uint64_t *out,
              bool *present, GError **error)
{
    g_autofree char *v = xml_prop(node, name);

    if (present)
        *present = v != NULL;
    if (!v)
        return true;
    if (!xml_parse_uint(v, max, out)) {
        g_autofree char *path = xml_node_path(node);
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "%s: invalid value '%s' for attribute '%s' (expected an integer from 0 to %" G_GUINT64_FORMAT ")",
                      path, v, name, (guint64)max);
        return false;
    }
    return true;
}

bool
xml_prop_tristate(xmlNodePtr node, const char *name, bool on_off,
                  XmlTristate *out, GError **error)
{
    g_autofree char *v = xml_prop(node, name);
    const char *yes = on_off ? "on" : "yes";
    const char *no = on_off ? "off" : "no";

    if (!v) {
        *out = XML_TRISTATE_ABSENT;
        return true;
    }
    if (strcmp(v, yes) == 0) {
        *out = XML_TRISTATE_YES;
    } else if (strcmp(v, no) == 0) {
        *out = XML_TRISTATE_NO;
    } else {
        g_autofree char *path = xml_node_path(node);
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "%s: invalid value '%s' for attribute '%s' (expected '%s' or '%s')",
                      path, v, name, yes, no);
        return false;
    }
    return true;
}

bool
xml_prop_enum(xmlNodePtr node, const char *name,
              int (*from_string)(const char *), int *out, GError **error)
{
    g_autofree char *v = xml_prop(node, name);
    int val;

    *out = -1;
    if (!v)
        return true;
    if ((val = from_string(v)) < 0) {
        g_autofree char *path = xml_node_path(node);
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "%s: unknown value '%s' for attribute '%s'", path, v,
                      name);
        return false;
    }
    *out = val;
    return true;
}

bool
xml_scale_to_kib(const char *value, const char *unit, uint64_t max_kib,
                 uint64_t *kib, const char **why)
{
    uint64_t n = 0;
    uint64_t scale = 1024;   /* no unit: KiB, as libvirt */
    uint64_t base;
    int power;

    if (!xml_parse_uint(value, G_MAXUINT64, &n)) {
        *why = "not a non-negative integer";
        return false;
    }
    if (unit && *unit) {
        if (g_ascii_strcasecmp(unit, "b") == 0 ||
            g_ascii_strcasecmp(unit, "byte") == 0 ||
            g_ascii_strcasecmp(unit, "bytes") == 0) {
            scale = 1;
        } else {
            /* "k", "KiB": binary; "KB": decimal (libvirt's virScaleInteger). */
            if (unit[1] == '\0' || g_ascii_strcasecmp(unit + 1, "iB") == 0)
                base = 1024;
            else if (g_ascii_tolower(unit[1]) == 'b' && unit[2] == '\0')
                base = 1000;
            else
                goto bad_unit;
            switch (g_ascii_tolower(unit[0])) {
            case 'k': power = 1; break;
            case 'm': power = 2; break;
            case 'g': power = 3; break;
            case 't': power = 4; break;
            case 'p': power = 5; break;
            case 'e': power = 6; break;
            default: goto bad_unit;
            }
            scale = 1;
            while (power--)
                scale *= base;
        }
    }
    if (n > G_MAXUINT64 / scale) {
        *why = "too large";
        return false;
    }
    n *= scale;
    /* Round up to whole KiB like libvirt (VIR_DIV_UP). */
    n = n / 1024 + (n % 1024 != 0);
    if (n > max_kib) {
        *why = "too large";
        return false;
    }
    *kib = n;
    return true;

 bad_unit:
    *why = "unknown unit";
    return false;
}

bool
xml_mac_parse(const char *str, unsigned char mac[6])
{
    size_t i = 0;

    if (!str)
        return false;
    /* Exactly six groups of one or two hex digits: what libvirt's
     * virMacAddrParse accepts; anything else is a typo worth reporting. */
    for (int octet = 0; octet < 6; octet++) {
        int digits = 0;
        unsigned v = 0;

        while (digits < 2 && g_ascii_isxdigit(str[i])) {
            v = v * 16 + g_ascii_xdigit_value(str[i++]);
            digits++;
        }
        if (digits == 0)
            return false;
        mac[octet] = v;
        if (octet < 5) {
            if (str[i] != ':' && str[i] != '-')
                return false;
            i++;
        }
    }
    return str[i] == '\0';
}

void
xml_mac_format(const unsigned char mac[6], char out[18])
{
    g_snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
               mac[2], mac[3], mac[4], mac[5]);
}

void
xml_escape_append(GString *s, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '<': g_string_append(s, "&lt;"); break;
        case '>': g_string_append(s, "&gt;"); break;
        case '&': g_string_append(s, "&amp;"); break;
        case '\'': g_string_append(s, "&apos;"); break;
        case '"': g_string_append(s, "&quot;"); break;
        default:
            /* Control characters cannot appear in XML 1.0; they can only
             * come from a setter, and libvirt drops them too. */
            if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n' &&
                *p != '\r')
                break;
            g_string_append_c(s, *p);
            break;
        }
    }
}

/* libvirt indents by two spaces per level (virBufferAdjustIndent). */
static void
xml_buf_indent(XmlBuf *b)
{
    for (int i = 0; i < b->indent; i++)
        g_string_append(b->str, "  ");
}

void
xml_buf_open(XmlBuf *b, const char *element)
{
    xml_buf_indent(b);
    g_string_append_printf(b->str, "<%s", element);
}

void
xml_buf_attr(XmlBuf *b, const char *name, const char *value)
{
    if (!value)
        return;
    g_string_append_printf(b->str, " %s='", name);
    xml_escape_append(b->str, value);
    g_string_append_c(b->str, '\'');
}

void
xml_buf_attr_uint(XmlBuf *b, const char *name, uint64_t value)
{
    g_string_append_printf(b->str, " %s='%" G_GUINT64_FORMAT "'", name,
                           (guint64)value);
}

void
xml_buf_end_empty(XmlBuf *b)
{
    g_string_append(b->str, "/>\n");
}

void
xml_buf_end_open(XmlBuf *b)
{
    g_string_append(b->str, ">\n");
    b->indent++;
}

void
xml_buf_end_text(XmlBuf *b, const char *element, const char *text)
{
    g_string_append_c(b->str, '>');
    xml_escape_append(b->str, text);
    g_string_append_printf(b->str, "</%s>\n", element);
}

void
xml_buf_close(XmlBuf *b, const char *element)
{
    b->indent--;
    xml_buf_indent(b);
    g_string_append_printf(b->str, "</%s>\n", element);
}

void
xml_buf_text_element(XmlBuf *b, const char *element, const char *text)
{
    if (!text)
        return;
    xml_buf_open(b, element);
    xml_buf_end_text(b, element, text);
}

void
xml_buf_add_dump(XmlBuf *b, const char *text)
{
    xml_buf_indent(b);
    g_string_append(b->str, text);
    g_string_append_c(b->str, '\n');
}

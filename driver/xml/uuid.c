/* SPDX-License-Identifier: Apache-2.0 */
/* Domain UUIDs: parse (libvirt's accepted spellings), format, generate. */
#include <config.h>

#include <string.h>

#include "driver/xml/domain-conf.h"

/**
 * domain_uuid_parse:
 * Accepts 32 hex digits with optional dashes between byte pairs and
 * surrounding whitespace, like libvirt's virUUIDParse(): both
 * "8-4-4-4-12" and the undashed form.  Returns false on anything else.
 */
bool
domain_uuid_parse(const char *str, unsigned char uuid[16])
{
    const char *p = str;

    if (!str)
        return false;
    while (g_ascii_isspace(*p))
        p++;
    for (int i = 0; i < 16; i++) {
        while (*p == '-')
            p++;
        if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1]))
            return false;
        uuid[i] = g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]);
        p += 2;
    }
    while (g_ascii_isspace(*p))
        p++;
    return *p == '\0';
}

void
domain_uuid_format(const unsigned char uuid[16], char out[37])
{
    g_snprintf(out, 37,
               "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
               uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6],
               uuid[7], uuid[8], uuid[9], uuid[10], uuid[11], uuid[12],
               uuid[13], uuid[14], uuid[15]);
}

void
domain_uuid_generate(unsigned char uuid[16])
{
    /* RFC 4122 version 4 from GLib's random source. */
    g_autofree char *s = g_uuid_string_random();
    bool ok = domain_uuid_parse(s, uuid);

    g_assert(ok);
}

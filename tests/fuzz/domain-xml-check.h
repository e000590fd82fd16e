/* SPDX-License-Identifier: Apache-2.0 */
/* The domain XML fuzz targets' one check: parse, then format, convert and copy to the same text. */
#pragma once

#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "driver/xml/domain-conf.h"

/*
 * Shared by fuzz-domain-xml (whole documents) and fuzz-domain-xml-device
 * (device XML in a fixed domain): a parse failure must be a DRV_ERROR with
 * a message, never a crash; what parses must format, convert to VmConfig
 * JSON, and copy (format + parse) to the same text.  Aborts otherwise.
 */
static inline void
domain_xml_fuzz_check(const char *xml, unsigned int parse_flags)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) def = NULL;
    g_autoptr(DomainDef) copy = NULL;
    g_autofree char *out = NULL;
    g_autofree char *again = NULL;
    g_autofree char *json = NULL;

    /* The schema lives in the source tree when fuzzing uninstalled. */
    g_setenv("NIMBUS_SCHEMA_DIR", NIMBUS_SRC_SCHEMA_DIR, FALSE);
    def = domain_def_parse_string(xml, parse_flags, &error);
    if (!def) {
        if (!error || error->domain != DRV_ERROR || !error->message)
            abort();
        return;
    }
    domain_def_set_serial_path(def, "/dev/pts/9");
    out = domain_def_format(def, 1, 0, NULL);
    json = domain_def_to_vmconfig_json(def, NULL);
    /* The round trip is the contract: what we print, we parse back to the
     * same text. */
    copy = domain_def_copy(def);
    if (!out || !copy)
        abort();
    again = domain_def_format(copy, 1, 0, NULL);
    if (!again || strcmp(out, again) != 0)
        abort();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: domain_def_parse_string(), then format, copy and VmConfig JSON. */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "driver/xml/domain-conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = g_strndup((const char *)data, size);
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) def = NULL;
    g_autoptr(DomainDef) copy = NULL;
    g_autofree char *out = NULL;
    g_autofree char *again = NULL;
    g_autofree char *json = NULL;

    /* The schema lives in the source tree when fuzzing uninstalled. */
    g_setenv("NIMBUS_SCHEMA_DIR", NIMBUS_SRC_SCHEMA_DIR, FALSE);

    /* The first byte picks the flags, so both parse modes get coverage. */
    def = domain_def_parse_string(xml, size && (data[0] & 1)
                                           ? 0 : DOMAIN_DEF_PARSE_INACTIVE,
                                  &error);
    if (!def) {
        /* Every failure is a DRV_ERROR with a message, never a crash. */
        if (!error || error->domain != DRV_ERROR || !error->message)
            abort();
        return 0;
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
    return 0;
}

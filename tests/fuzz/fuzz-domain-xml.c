/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: domain_def_parse_string(), then format, copy and VmConfig JSON. */
#include <config.h>

#include <stdint.h>
#include <glib.h>

#include "tests/fuzz/domain-xml-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = g_strndup((const char *)data, size);

    /* The first byte picks the flags, so both parse modes get coverage. */
    domain_xml_fuzz_check(xml, size && (data[0] & 1)
                                   ? 0 : DOMAIN_DEF_PARSE_INACTIVE);
    return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: domain XML device classes, the input as the <devices> content. */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "driver/xml/domain-conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A valid domain but for its devices: fuzz-domain-xml's whole documents
 * spend most inputs on the skeleton; here every byte is device XML, so
 * the per-class parsers (disk, net, controller, serial, console, rng,
 * memballoon), post-parse defaults, validation (addresses, aliases, boot
 * order) and the VmConfig conversion are reached directly. */
static const char skeleton_head[] =
    "<domain type='kvm'>\n"
    "  <name>fuzz</name>\n"
    "  <uuid>7b2e4d6f-8a1c-4e3b-9d5f-1a2b3c4d5e6f</uuid>\n"
    "  <memory unit='MiB'>256</memory>\n"
    "  <vcpu>2</vcpu>\n"
    "  <os>\n"
    "    <type arch='x86_64'>hvm</type>\n"
    "    <kernel>/boot/vmlinux</kernel>\n"
    "    <cmdline>console=ttyS0</cmdline>\n"
    "  </os>\n"
    "  <devices>\n";
static const char skeleton_tail[] =
    "\n  </devices>\n"
    "</domain>\n";

/*
 * Input: one flags byte (bit 0: parse as inactive, else live, where pty
 * paths and aliases are kept), then the <devices> content.  What parses
 * must format, convert to VmConfig JSON and copy (format + parse) to the
 * same text, as fuzz-domain-xml checks for whole documents.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) def = NULL;
    g_autoptr(DomainDef) copy = NULL;
    g_autofree char *out = NULL;
    g_autofree char *again = NULL;
    g_autofree char *json = NULL;
    g_autofree char *devices = NULL;

    if (size < 1)
        return 0;
    /* The schema lives in the source tree when fuzzing uninstalled. */
    g_setenv("NIMBUS_SCHEMA_DIR", NIMBUS_SRC_SCHEMA_DIR, FALSE);
    devices = g_strndup((const char *)data + 1, size - 1);
    xml = g_strconcat(skeleton_head, devices, skeleton_tail, NULL);
    def = domain_def_parse_string(xml, data[0] & 1
                                           ? DOMAIN_DEF_PARSE_INACTIVE : 0,
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
    copy = domain_def_copy(def);
    if (!out || !copy)
        abort();
    again = domain_def_format(copy, 1, 0, NULL);
    if (!again || strcmp(out, again) != 0)
        abort();
    return 0;
}

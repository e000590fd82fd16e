/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: domain XML device classes, the input as the <devices> content. */
#include <config.h>

#include <stdint.h>
#include <glib.h>

#include "tests/fuzz/domain-xml-check.h"

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
    g_autofree char *devices = NULL;
    g_autofree char *xml = NULL;

    if (size < 1)
        return 0;
    devices = g_strndup((const char *)data + 1, size - 1);
    xml = g_strconcat(skeleton_head, devices, skeleton_tail, NULL);
    domain_xml_fuzz_check(xml, data[0] & 1 ? DOMAIN_DEF_PARSE_INACTIVE : 0);
    return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the VmConfig JSON parser, serialiser and validator. */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "config/vm-config.h"
#include "config/vm-config-schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Properties checked beyond "no crash, no leak":
 *  - whatever parses serialises, and the output parses back to the same
 *    output (the golden-file contract, for every input);
 *  - validation never crashes, and on failure leaves the config as it was.
 * Validation opens the files a config names, so every path is pointed at a
 * scratch file first: a fuzzer must not open arbitrary device nodes.
 */

static char *scratch;

static void
remove_scratch(void)
{
    if (scratch)
        unlink(scratch);
}

static const char *
scratch_file(void)
{
    if (!scratch) {
        int fd = g_file_open_tmp("fuzz-vmconfig-XXXXXX", &scratch, NULL);

        if (fd < 0)
            abort();
        close(fd);
        atexit(remove_scratch);
    }
    return scratch;
}

static void
replace(char **s, const char *with)
{
    if (*s) {
        g_free(*s);
        *s = g_strdup(with);
    }
}

static void
check_round_trip(const VmConfig *c)
{
    g_autofree char *json = vm_config_to_json(c, false);
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) again = vm_config_from_json(json, -1, &error);
    g_autofree char *json2 = NULL;

    if (!again) {
        g_printerr("output does not parse back: %s\n%s\n", error->message,
                   json);
        abort();
    }
    json2 = vm_config_to_json(again, false);
    if (strcmp(json, json2) != 0) {
        g_printerr("unstable round trip:\n%s\n%s\n", json, json2);
        abort();
    }
    /* Field by field too: whatever the output leaves out must be a
     * default (vm-config-schema.c). */
    if (!vschema_equal(&vschema_vm, c, again)) {
        g_printerr("round trip changed a field:\n%s\n", json);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    guint i;

    c = vm_config_from_json((const char *)data, (gssize)size, &error);
    if (!c) {
        /* Every failure says why. */
        if (!error || !error->message[0])
            abort();
        return 0;
    }
    check_round_trip(c);

    replace(&c->payload.kernel, scratch_file());
    replace(&c->payload.firmware, scratch_file());
    replace(&c->payload.initramfs, scratch_file());
    replace(&c->rng.src, "/dev/urandom");
    for (i = 0; i < c->disks->len; i++)
        replace(&((DiskConfig *)g_ptr_array_index(c->disks, i))->path,
                scratch_file());
    before = vm_config_to_json(c, false);
    if (!vm_config_validate(c, &error)) {
        after = vm_config_to_json(c, false);
        if (!error || strcmp(before, after) != 0)
            abort();
        return 0;
    }
    check_round_trip(c);
    return 0;
}

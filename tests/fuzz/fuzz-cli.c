/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the CLI option-value parsers and the nimbus argv parser. */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>

#include "daemon/cli.h"
#include "config/vm-config-fwcfg.h"
#include "config/vm-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: one selector byte, then the option value (or, for the argv
 * parser, arguments separated by newlines).  Beyond "no crash, no leak":
 * a failure always has a message, and whatever a CLI parser accepts must
 * survive the JSON round trip (one VmConfig for CLI and API).
 *
 * The argv parser runs without --kernel/--firmware, so it never reaches
 * validation, which opens files: a fuzzer must not open device nodes.
 */

typedef enum {
    SEL_CPUS, SEL_MEMORY, SEL_SERIAL, SEL_CONSOLE, SEL_DEBUG_CONSOLE,
    SEL_DISK, SEL_NET, SEL_RNG, SEL_SIZE, SEL_ARGV, SEL_FW_CFG, SEL_LAST
} Selector;

static void
check_json(VmConfig *c)
{
    g_autofree char *json = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) again = NULL;

    c->payload.kernel = g_strdup("/k");
    json = vm_config_to_json(c, false);
    again = vm_config_from_json(json, -1, &error);
    if (!again) {
        g_printerr("CLI-accepted config is not valid JSON config: %s\n%s\n",
                   error->message, json);
        abort();
    }
}

static void
fuzz_argv(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", 64);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_auto(NimbusCli) cli = { 0 };
    g_autoptr(GError) error = NULL;
    guint i;

    g_ptr_array_add(argv, (char *)"nimbus");
    for (i = 0; lines[i]; i++) {
        if (!g_str_has_prefix(lines[i], "--kernel") &&
            !g_str_has_prefix(lines[i], "--firmware"))
            g_ptr_array_add(argv, lines[i]);
    }
    g_ptr_array_add(argv, NULL);
    if (!nimbus_cli_parse((int)argv->len - 1, (char **)argv->pdata, &cli,
                          &error)) {
        if (!error || !error->message[0] || cli.vm)
            abort();
        return;
    }
    if (cli.vm)
        abort();                 /* no payload: API-only mode */
    g_free(nimbus_cli_help());
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *arg = NULL;
    g_autoptr(VmConfig) c = vm_config_new();
    g_autoptr(GError) error = NULL;
    bool ok = false;
    uint64_t n;

    if (size < 1)
        return 0;
    arg = g_strndup((const char *)data + 1, size - 1);
    switch (data[0] % SEL_LAST) {
    case SEL_CPUS:
        ok = vm_config_parse_cpus(&c->cpus, arg, &error);
        break;
    case SEL_MEMORY:
        ok = vm_config_parse_memory(&c->memory, arg, &error);
        break;
    case SEL_SERIAL:
        ok = vm_config_parse_console(&c->serial, "--serial", arg, &error);
        break;
    case SEL_CONSOLE:
        ok = vm_config_parse_console(&c->console, "--console", arg, &error);
        break;
    case SEL_DEBUG_CONSOLE:
        ok = vm_config_parse_console(&c->debug_console, "--debug-console", arg,
                                     &error);
        break;
    case SEL_DISK: {
        DiskConfig *d = vm_config_parse_disk(arg, &error);

        if ((ok = d != NULL))
            g_ptr_array_add(c->disks, d);
        break;
    }
    case SEL_NET: {
        NetConfig *nc = vm_config_parse_net(arg, &error);

        if ((ok = nc != NULL))
            g_ptr_array_add(c->net, nc);
        break;
    }
    case SEL_RNG:
        ok = vm_config_parse_rng(&c->rng, arg, &error);
        break;
    case SEL_SIZE:
        ok = vm_config_parse_size(arg, &n, &error);
        break;
    case SEL_FW_CFG:
        /* The items' rules too: they run on whatever the parser kept. */
        ok = vm_config_parse_fw_cfg(c, arg, &error);
        if (ok && !vm_config_validate_fw_cfg(&c->payload, VM_CONFIG_NAMES_CLI,
                                             &error)) {
            if (!error || !error->message[0])
                abort();
            return 0;
        }
        break;
    default:
        fuzz_argv(arg);
        return 0;
    }
    if (!ok) {
        if (!error || !error->message[0])
            abort();
        return 0;
    }
    check_json(c);
    return 0;
}

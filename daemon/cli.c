/* SPDX-License-Identifier: Apache-2.0 */
/* The nimbus command line: Cloud Hypervisor's options, into a NimbusCli. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "common/error-util.h"
#include "daemon/cli.h"
#include "daemon/seccomp.h"
#include "daemon/snapshot.h"
#include "config/vm-config-fwcfg.h"
#include "config/vm-config-numa.h"
#include "config/vm-config-opts.h"
#include "config/vm-config-priv.h"
#include "config/vm-config-platform.h"
#include "config/vm-config-ratelimit.h"
#include "devices/registry.h"

/*
 * Hand-written rather than GOptionContext: CH's grammar (clap) takes
 * several values after one "--disk", and every error must name the option
 * and the value.  The option table drives parsing and --help alike.  The
 * device options (--disk, --net, --rng, the consoles, and each device type
 * with a config kind) are not in it: they come from the device registry
 * (devices/registry.c), which names each type's option, help text and
 * parser, so a new device type brings its option with it.
 */

typedef enum {
    OPT_API_SOCKET, OPT_CMDLINE, OPT_CPUS, OPT_DBUS_OBJECT_PATH,
    OPT_DBUS_SERVICE_NAME, OPT_DBUS_SYSTEM_BUS,
    OPT_EVENT_MONITOR, OPT_FIRMWARE, OPT_FW_CFG_CONFIG, OPT_HELP, OPT_INITRAMFS, OPT_KERNEL,
    OPT_LANDLOCK, OPT_LANDLOCK_RULES, OPT_LOG_FILE, OPT_MEMORY,
    OPT_MEMORY_ZONE, OPT_NO_SHUTDOWN, OPT_NUMA, OPT_PLATFORM,
    OPT_RATE_LIMIT_GROUP, OPT_RESTORE, OPT_SECCOMP,
    OPT_VERBOSE, OPT_VERSION, OPT_LAST,
    OPT_DEVICE = OPT_LAST,  /* a registry type's option (CliOption.dev) */
} CliOptId;

typedef enum {
    ARG_NONE,             /* a flag */
    ARG_ONE,              /* exactly one value */
    ARG_MULTI,            /* one or more values; the option may repeat */
} CliArgKind;

typedef struct {
    CliOptId id;
    const char *name;     /* long name without "--"; NULL for -v */
    char short_name;
    CliArgKind arg;
    bool vm;              /* CH's "vm-config" group: needs a payload */
    const char *help;
    const DeviceType *dev;  /* OPT_DEVICE */
} CliOption;

/* In alphabetical order of the long name (-v sorts as "v"), as the merged
 * list (cli_option_list()) is: --help lists them in that order, and a
 * unit test checks it. */
static const CliOption cli_static_options[] = {
    { OPT_API_SOCKET, "api-socket", 0, ARG_ONE, false,
      "HTTP API socket (UNIX domain socket): path=</path/to/a/file> or "
      "fd=<fd>; a bare path also works" },
    { OPT_CMDLINE, "cmdline", 0, ARG_ONE, true,
      "Kernel command line (at most 65535 bytes)" },
    { OPT_CPUS, "cpus", 0, ARG_ONE, true,
      "boot=<boot_vcpus>,max=<max_vcpus>,topology=<threads_per_core>:"
      "<cores_per_die>:<dies_per_package>:<packages>,kvm_hyperv=on|off,"
      "max_phys_bits=<maximum_number_of_physical_bits>,"
      "affinity=<list_of_vcpus_with_their_associated_cpuset>,nested=on|off "
      "[default: boot=1,max_phys_bits=46,nested=on]" },
    { OPT_DBUS_OBJECT_PATH, "dbus-object-path", 0, ARG_ONE, false,
      "Object path to serve the D-Bus API on (with --dbus-service-name)" },
    { OPT_DBUS_SERVICE_NAME, "dbus-service-name", 0, ARG_ONE, false,
      "Well-known name of the D-Bus API service (with --dbus-object-path)" },
    { OPT_DBUS_SYSTEM_BUS, "dbus-system-bus", 0, ARG_NONE, false,
      "Serve the D-Bus API on the system bus instead of the session bus" },
    { OPT_EVENT_MONITOR, "event-monitor", 0, ARG_ONE, false,
      "File to report events on: path=</path/to/a/file> or fd=<fd>" },
    { OPT_FIRMWARE, "firmware", 0, ARG_ONE, true,
      "Path to a firmware loaded like a kernel (PVH ELF)" },
    { OPT_FW_CFG_CONFIG, "fw-cfg-config", 0, ARG_ONE, true,
      "fw_cfg device (QEMU's, port 0x510): e820=on|off,kernel=on|off,"
      "cmdline=on|off,initramfs=on|off,acpi_table=off,"
      "items=[name=opt/<name>,file=<path>:name=opt/<name>,string=<value>]" },
    { OPT_HELP, "help", 'h', ARG_NONE, false, "Print help" },
    { OPT_INITRAMFS, "initramfs", 0, ARG_ONE, true,
      "Path to an initramfs image" },
    { OPT_KERNEL, "kernel", 0, ARG_ONE, true,
      "Path to a kernel: an ELF with a PVH note (vmlinux) or a bzImage" },
    { OPT_LANDLOCK, "landlock", 0, ARG_NONE, true,
      "Confine the VMM with Landlock to the files its config names" },
    { OPT_LANDLOCK_RULES, "landlock-rules", 0, ARG_MULTI, true,
      "More paths Landlock lets the VMM reach (hotplug, snapshots): "
      "path=<path>,access=r|w|rw" },
    { OPT_LOG_FILE, "log-file", 0, ARG_ONE, false,
      "Log file [default: standard error]" },
    { OPT_MEMORY, "memory", 0, ARG_ONE, true,
      "Memory parameters: size=<guest_memory_size>,mergeable=on|off,"
      "shared=on|off,hugepages=on|off,hugepage_size=<hugepage_size>,"
      "hotplug_method=acpi|virtio-mem,"
      "hotplug_size=<hotpluggable_memory_size>,"
      "hotplugged_size=<hotplugged_memory_size>,"
      "prefault=on|off,reserve=on|off,thp=on|off "
      "[default: size=512M,thp=on]" },
    { OPT_MEMORY_ZONE, "memory-zone", 0, ARG_MULTI, true,
      "User defined memory zone parameters: size=<guest_memory_region_size>,"
      "file=<backing_file>,shared=on|off,hugepages=on|off,"
      "hugepage_size=<hugepage_size>,host_numa_node=<node_id>,"
      "id=<zone_identifier>,hotplug_size=<hotpluggable_memory_size>,"
      "hotplugged_size=<hotplugged_memory_size>,mergeable=on|off,"
      "prefault=on|off,reserve=on|off (with zones, --memory size=0)" },
    { OPT_NO_SHUTDOWN, "no-shutdown", 0, ARG_NONE, false,
      "Keep the VMM running after the guest shuts down" },
    { OPT_NUMA, "numa", 0, ARG_MULTI, true,
      "Settings related to a given NUMA node: guest_numa_id=<node_id>,"
      "cpus=<cpus_id>,distances=<list_of_distances_to_destination_nodes>,"
      "memory_zones=<list_of_memory_zones>" },
    { OPT_PLATFORM, "platform", 0, ARG_ONE, true,
      "SMBIOS identity: system_manufacturer=,system_product_name=,"
      "system_version=,system_serial_number=,system_uuid=,system_sku_number=,"
      "system_family=,chassis_asset_tag=,oem_strings=[<s>,...]; "
      "iommu_address_width=<bits, 12-64> (the virtio-iommu's input range) "
      "[default: iommu_address_width=64]" },
    { OPT_RATE_LIMIT_GROUP, "rate-limit-group", 0, ARG_MULTI, true,
      "Rate limit group, shared by the disks naming it: "
      "bw_size=<bytes>,bw_one_time_burst=<bytes>,bw_refill_time=<ms>,"
      "ops_size=<io_ops>,ops_one_time_burst=<io_ops>,ops_refill_time=<ms>,"
      "id=<group_id>" },
    { OPT_RESTORE, "restore", 0, ARG_ONE, false,
      "Restore from a VM snapshot: source_url=<source_url>,prefault=on|off,"
      "memory_restore_mode=copy|ondemand,resume=true|false,"
      "net_fds=<list_of_net_ids_with_their_associated_fds> "
      "[default: prefault=off,memory_restore_mode=copy,resume=false]" },
    { OPT_SECCOMP, "seccomp", 0, ARG_ONE, false,
      "Seccomp filtering: true (a forbidden system call kills the VMM), "
      "false, log (allowed and logged by the kernel), errno (fails with "
      "EPERM) [default: true]" },
    { OPT_VERBOSE, NULL, 'v', ARG_NONE, false,
      "More verbose output: -v info, -vv debug (repeatable)" },
    { OPT_VERSION, "version", 'V', ARG_NONE, false, "Print version" },
};
G_STATIC_ASSERT(G_N_ELEMENTS(cli_static_options) == OPT_LAST);

/* What an option sorts by: its long name, or its letter. */
static const char *
cli_sort_key(const CliOption *o, char buf[2])
{
    if (o->name)
        return o->name;
    buf[0] = o->short_name;
    buf[1] = '\0';
    return buf;
}

static gint
cli_option_cmp(gconstpointer a, gconstpointer b)
{
    char ba[2], bb[2];

    return strcmp(cli_sort_key(a, ba), cli_sort_key(b, bb));
}

/* The static options and one per registry type with an option, sorted;
 * built once, never freed.  Sets *@n. */
static const CliOption *
cli_option_list(guint *n)
{
    static GArray *list;

    if (g_once_init_enter(&list)) {
        GArray *a = g_array_new(FALSE, FALSE, sizeof(CliOption));
        const DeviceType *const *t;

        g_array_append_vals(a, cli_static_options,
                            G_N_ELEMENTS(cli_static_options));
        for (t = device_registry_types(); *t; t++) {
            CliOption o = {
                OPT_DEVICE, (*t)->cli_option + 2, 0,
                (*t)->cli_flag ? ARG_NONE :
                (*t)->cli_multi ? ARG_MULTI : ARG_ONE, true, (*t)->cli_help,
                *t,
            };

            if ((*t)->cli_option)
                g_array_append_val(a, o);
        }
        g_array_sort(a, cli_option_cmp);
        g_once_init_leave(&list, a);
    }
    *n = list->len;
    return (const CliOption *)(void *)list->data;
}

/* CH options nimbus does not implement yet (reference §1): they get "not
 * supported yet" rather than "unknown option".  An option that lands must
 * leave this list (test-cli checks that none of these is in --help). */
static const char *const cli_later[] = {
    "device", "gdb", "host-data",
    "igvm", "log-format", "pci-segment",
    "pvmemcontrol", "rtc", "user-device", "vdpa", NULL
};

const char *const *
nimbus_cli_unimplemented(void)
{
    return cli_later;
}

typedef struct {
    NimbusCli *cli;
    VmConfig *vm;
    bool payload;
    const char *first_vm_option;
    guint *seen;            /* per cli_option_list() entry */
} CliState;

/* The message names its option itself; returns false. */
#define cli_fail(error, ...)                                                   \
    nimbus_fail_prefixed(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, NULL, \
                         __VA_ARGS__)

void
nimbus_cli_free(NimbusCli *cli)
{
    g_clear_pointer(&cli->vm, vm_config_free);
    g_clear_pointer(&cli->api_socket_path, g_free);
    g_clear_pointer(&cli->event_monitor_path, g_free);
    g_clear_pointer(&cli->dbus_service_name, g_free);
    g_clear_pointer(&cli->dbus_object_path, g_free);
    g_clear_pointer(&cli->log_file, g_free);
    g_clear_pointer(&cli->seccomp, g_free);
    g_clear_pointer(&cli->restore, restore_config_free);
    memset(cli, 0, sizeof(*cli));
    cli->api_socket_fd = -1;
    cli->event_monitor_fd = -1;
}

/* "path=<p>" or "fd=<n>" (exactly one); for --api-socket also a bare path. */
static bool
cli_path_or_fd(const char *option, const char *value, bool bare_path,
               char **path, int *fd, GError **error)
{
    static const char *const known[] = { "path", "fd", NULL };
    g_autoptr(VmOpts) o = NULL;
    g_autofree char *p = NULL;
    uint64_t n = G_MAXUINT64;

    if (!strchr(value, '=')) {
        if (!bare_path)
            return cli_fail(error, "%s: expected path=<path> or fd=<fd>, "
                            "not '%s'", option, value);
        if (!*value)
            return cli_fail(error, "%s: empty path", option);
        *path = g_strdup(value);
        return true;
    }
    o = vm_opts_parse(option, value, error);
    if (!o || !vm_opts_check_keys(o, known, NULL, error) ||
        !vm_opts_get_string(o, "path", &p, error) ||
        !vm_opts_get_u64(o, "fd", 0, G_MAXINT, &n, error))
        return false;
    if (p && n != G_MAXUINT64)
        return cli_fail(error, "%s: path= and fd= cannot be used together",
                        option);
    if (!p && n == G_MAXUINT64)
        return cli_fail(error, "%s: expected path=<path> or fd=<fd>", option);
    *path = g_steal_pointer(&p);
    if (n != G_MAXUINT64)
        *fd = (int)n;
    return true;
}

static bool
cli_set_string(const char *option, const char *value, char **out,
               GError **error)
{
    if (!*value)
        return cli_fail(error, "%s: empty value", option);
    g_free(*out);
    *out = g_strdup(value);
    return true;
}

/* Applies one value of option @o (spelled @opt on the command line).
 * VM options write into the VmConfig being built; validation waits until
 * every option is in, since rules like boot <= max span options. */
static bool
cli_apply(CliState *st, const CliOption *o, const char *opt, const char *value,
          GError **error)
{
    NimbusCli *cli = st->cli;
    VmConfig *vm = st->vm;
    SeccompMode mode;

    if (value && !g_utf8_validate(value, -1, NULL)) {
        g_autofree char *shown = g_utf8_make_valid(value, -1);

        /* The config is reported as JSON, which is UTF-8 only. */
        return cli_fail(error, "%s: '%s' is not valid UTF-8", opt, shown);
    }
    switch (o->id) {
    case OPT_API_SOCKET:
        return cli_path_or_fd(opt, value, true, &cli->api_socket_path,
                              &cli->api_socket_fd, error);
    case OPT_EVENT_MONITOR:
        return cli_path_or_fd(opt, value, false, &cli->event_monitor_path,
                              &cli->event_monitor_fd, error);
    case OPT_CMDLINE:
        g_free(vm->payload.cmdline);
        vm->payload.cmdline = g_strdup(value);
        return true;
    case OPT_KERNEL:
        return cli_set_string(opt, value, &vm->payload.kernel, error);
    case OPT_FIRMWARE:
        return cli_set_string(opt, value, &vm->payload.firmware, error);
    case OPT_INITRAMFS:
        return cli_set_string(opt, value, &vm->payload.initramfs, error);
    case OPT_FW_CFG_CONFIG:
        return vm_config_parse_fw_cfg(vm, value, error);
    case OPT_CPUS:
        return vm_config_parse_cpus(&vm->cpus, value, error);
    case OPT_MEMORY:
        return vm_config_parse_memory(&vm->memory, value, error);
    case OPT_DEVICE:
        return device_type_cli_parse(o->dev, vm, value, error);
    case OPT_DBUS_SERVICE_NAME:
        if (!g_dbus_is_name(value) || g_dbus_is_unique_name(value))
            return cli_fail(error, "%s: '%s' is not a well-known D-Bus name",
                            opt, value);
        return cli_set_string(opt, value, &cli->dbus_service_name, error);
    case OPT_DBUS_OBJECT_PATH:
        if (!g_variant_is_object_path(value))
            return cli_fail(error, "%s: '%s' is not a D-Bus object path",
                            opt, value);
        return cli_set_string(opt, value, &cli->dbus_object_path, error);
    case OPT_LOG_FILE:
        return cli_set_string(opt, value, &cli->log_file, error);
    case OPT_SECCOMP:
        if (!seccomp_mode_parse(value, &mode, error))
            return false;
        return cli_set_string(opt, value, &cli->seccomp, error);
    case OPT_DBUS_SYSTEM_BUS:
        cli->dbus_system_bus = true;
        return true;
    case OPT_NO_SHUTDOWN:
        cli->no_shutdown = true;
        return true;
    case OPT_LANDLOCK:
        vm->landlock_enable = true;
        return true;
    case OPT_LANDLOCK_RULES:
        return vm_config_parse_landlock_rule(vm, value, error);
    case OPT_MEMORY_ZONE:
        return vm_config_parse_memory_zone(vm, value, error);
    case OPT_NUMA:
        return vm_config_parse_numa(vm, value, error);
    case OPT_PLATFORM:
        return vm_config_parse_platform(vm, value, error);
    case OPT_RATE_LIMIT_GROUP:
        return vm_config_parse_rate_limit_group(vm, value, error);
    case OPT_RESTORE:
        cli->restore = restore_config_parse_cli(value, error);
        return cli->restore != NULL;
    case OPT_VERBOSE:
        cli->verbosity++;
        return true;
    case OPT_HELP:
        cli->help = true;
        return true;
    case OPT_VERSION:
        cli->version = true;
        return true;
    default:
        break;
    }
    g_assert_not_reached();
}

static const CliOption *
cli_find_long(const char *name, size_t len)
{
    guint i, n;
    const CliOption *opts = cli_option_list(&n);

    for (i = 0; i < n; i++) {
        const char *nm = opts[i].name;

        if (nm && strlen(nm) == len && strncmp(nm, name, len) == 0)
            return &opts[i];
    }
    return NULL;
}

static const CliOption *
cli_find_short(char c)
{
    guint i, n;
    const CliOption *opts = cli_option_list(&n);

    for (i = 0; i < n; i++) {
        if (opts[i].short_name == c)
            return &opts[i];
    }
    return NULL;
}

/* How often the option called @name was given. */
static guint
cli_times_seen(const CliState *st, const char *name)
{
    guint n;
    const CliOption *opts = cli_option_list(&n);
    const CliOption *o = cli_find_long(name, strlen(name));

    return o ? st->seen[o - opts] : 0;
}

/* Book-keeping shared by long and short options; false on a repeat. */
static bool
cli_seen(CliState *st, const CliOption *o, const char *opt, GError **error)
{
    guint n;
    const CliOption *opts = cli_option_list(&n);

    if (st->seen[o - opts]++ && o->arg != ARG_MULTI && o->id != OPT_VERBOSE)
        return cli_fail(error, "%s is given more than once", opt);
    if (o->vm && !st->first_vm_option)
        st->first_vm_option = o->name;
    if (o->id == OPT_KERNEL || o->id == OPT_FIRMWARE)
        st->payload = true;
    return true;
}

/* Whether argv[i] can be a value: clap takes nothing that looks like an
 * option, except for --cmdline, whose value may well start with '-'. */
static bool
cli_is_value(const CliOption *o, const char *arg, bool first)
{
    if (o->id == OPT_CMDLINE && first)
        return strncmp(arg, "--", 2) != 0;
    return arg[0] != '-' || !arg[1];
}

/* One "--name[=value] [values...]"; *i is left on the last argv used. */
static bool
cli_long(CliState *st, int argc, char **argv, int *i, GError **error)
{
    const char *arg = argv[*i] + 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    g_autofree char *opt = g_strdup_printf("--%.*s", (int)len, arg);
    g_autofree char *bare = g_strndup(arg, len);
    const CliOption *o = cli_find_long(arg, len);
    guint n = 0;

    if (!o) {
        if (g_strv_contains(cli_later, bare))
            return cli_fail(error, "%s is not supported yet", opt);
        return cli_fail(error, "unknown option '%s'", opt);
    }
    if (!cli_seen(st, o, opt, error))
        return false;
    if (o->arg == ARG_NONE) {
        if (eq)
            return cli_fail(error, "%s takes no value (got '%s')", opt, eq + 1);
        return cli_apply(st, o, opt, NULL, error);
    }
    if (eq) {
        if (!cli_apply(st, o, opt, eq + 1, error))
            return false;
        n++;
    }
    while ((o->arg == ARG_MULTI || n == 0) && *i + 1 < argc &&
           cli_is_value(o, argv[*i + 1], n == 0)) {
        if (!cli_apply(st, o, opt, argv[++*i], error))
            return false;
        n++;
    }
    if (n == 0)
        return cli_fail(error, "%s needs a value", opt);
    return true;
}

/* "-v", "-vvv", "-V", "-h": short options take no values. */
static bool
cli_short(CliState *st, const char *arg, GError **error)
{
    const char *p;

    for (p = arg + 1; *p; p++) {
        const CliOption *o = cli_find_short(*p);
        char opt[3] = { '-', *p, '\0' };

        if (!o)
            return cli_fail(error, "unknown option '%s'", opt);
        if (!cli_seen(st, o, opt, error) || !cli_apply(st, o, opt, NULL, error))
            return false;
        if (st->cli->help || st->cli->version)
            break;              /* "-hx": help wins, as at the top level */
    }
    return true;
}

static bool
cli_finish(CliState *st, GError **error)
{
    NimbusCli *cli = st->cli;

    if (!!cli->dbus_service_name != !!cli->dbus_object_path)
        return cli_fail(error, "--dbus-service-name and --dbus-object-path "
                        "must be given together");
    if (cli->dbus_system_bus && !cli->dbus_service_name)
        return cli_fail(error, "--dbus-system-bus needs --dbus-service-name "
                        "and --dbus-object-path");
    /* CH: the restored VM's config is the snapshot's config.json. */
    if (cli->restore && st->first_vm_option)
        return cli_fail(error, "--restore cannot be combined with --%s: the "
                        "VM comes from the snapshot", st->first_vm_option);
    if (!st->payload) {
        /* CH: VM options without a payload are an error; no VM options at
         * all means the process only serves the API (vm.create later). */
        if (st->first_vm_option)
            return cli_fail(error, "--%s needs a payload: give --kernel or "
                            "--firmware (or no VM options at all to start "
                            "with only the API)", st->first_vm_option);
        return true;
    }
    /* CH refuses --serial tty with its default --console tty.  nimbus
     * gives the terminal to the serial port when the user asked for that
     * and said nothing about --console, so the documented
     * "nimbus --kernel ... --serial tty" just works; an explicit
     * "--console tty" is still refused below. */
    if (st->vm->serial.mode == CONSOLE_MODE_TTY &&
        !cli_times_seen(st, "console"))
        st->vm->console.mode = CONSOLE_MODE_OFF;
    if (!vm_config_validate_full(st->vm, VM_CONFIG_NAMES_CLI, error) ||
        !vm_config_check_host(st->vm, VM_CONFIG_NAMES_CLI, error))
        return false;
    cli->vm = g_steal_pointer(&st->vm);
    return true;
}

/* The VmConfig is built even for API-only command lines and dropped at
 * the end when no payload was given: the parsers need somewhere to write. */
bool
nimbus_cli_parse(int argc, char **argv, NimbusCli *cli, GError **error)
{
    CliState st = { .cli = cli };
    g_autofree guint *seen = NULL;
    guint n_opts;
    int i;
    bool ok = true;

    cli_option_list(&n_opts);
    st.seen = seen = g_new0(guint, n_opts);

    memset(cli, 0, sizeof(*cli));
    nimbus_cli_free(cli);
    st.vm = vm_config_new();
    for (i = 1; ok && i < argc && !cli->help && !cli->version; i++) {
        const char *arg = argv[i];

        if (!g_utf8_validate(arg, -1, NULL)) {
            g_autofree char *shown = g_utf8_make_valid(arg, -1);

            ok = cli_fail(error, "argument %d is not valid UTF-8: '%s'", i,
                          shown);
        } else if (g_str_has_prefix(arg, "--") && arg[2])
            ok = cli_long(&st, argc, argv, &i, error);
        else if (arg[0] == '-' && arg[1] && arg[1] != '-')
            ok = cli_short(&st, arg, error);
        else
            ok = cli_fail(error, "unexpected argument '%s'", arg);
    }
    /* --help and --version win over whatever follows them, as with clap. */
    if (ok && !cli->help && !cli->version)
        ok = cli_finish(&st, error);
    /* CH's default: filters on. */
    if (ok && !cli->seccomp)
        cli->seccomp = g_strdup("true");
    g_clear_pointer(&st.vm, vm_config_free);
    if (!ok)
        nimbus_cli_free(cli);
    return ok;
}

/* Laid out like clap's --help, which CH users know: the long name, a
 * value placeholder, then the syntax and defaults on an indented line. */
char *
nimbus_cli_help(void)
{
    GString *s = g_string_new(NULL);
    guint i, n;
    const CliOption *opts = cli_option_list(&n);

    g_string_append(s,
        "Usage: nimbus [OPTIONS]\n"
        "\n"
        "Launch a nimbus VMM: a KVM virtual machine monitor with Cloud "
        "Hypervisor's\ncommand line, REST API and D-Bus API.  Without "
        "--kernel or --firmware it only\nserves the API (vm.create, "
        "vm.boot).  Values: key=value lists separated by\ncommas, [a,b] "
        "lists, sizes with K/M/G suffixes, toggles on/off/true/false.\n"
        "\n"
        "Options:\n");
    for (i = 0; i < n; i++) {
        const CliOption *o = &opts[i];

        if (o->short_name && o->name)
            g_string_append_printf(s, "  -%c, --%s", o->short_name, o->name);
        else if (o->short_name)
            g_string_append_printf(s, "  -%c", o->short_name);
        else
            g_string_append_printf(s, "      --%s", o->name);
        if (o->arg != ARG_NONE)
            g_string_append_printf(s, " <%s>%s", o->name,
                                   o->arg == ARG_MULTI ? "..." : "");
        g_string_append_printf(s, "\n          %s\n", o->help);
    }
    return g_string_free(s, FALSE);
}

char *
nimbus_cli_version(void)
{
    return g_strdup("cloud-hypervisor v" NIMBUS_CH_COMPAT_VERSION
                    " (nimbus v" PACKAGE_VERSION ")");
}

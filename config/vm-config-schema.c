/* SPDX-License-Identifier: Apache-2.0 */
/* The field tables: every VmConfig field described once (CH's schema). */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "common/error-util.h"
#include "config/vm-config-schema.h"

/*
 * One table per config struct, one line per field, in the order CH writes
 * the keys (the JSON output's order).  JSON parse, JSON format, CLI parse,
 * defaults, copy, free and comparison all walk these tables
 * (vm-config-schema.h), so adding a field to a config struct means:
 *
 *   1. the struct member (vm-config.h), e.g. "bool discard;" in DiskConfig;
 *   2. one line in its table here, e.g. in disk_fields:
 *        V_BOOL("discard", DiskConfig, discard, false),
 *
 * and nothing else: CLI "--disk discard=on", JSON "discard": true, the
 * default, vm.info's output and copies follow.  Options: .cli = "key"
 * when the CLI spells it differently, .flags (VF_JSON_REQUIRED,
 * VF_NO_CLI, VF_OMIT_DEFAULT, VF_UNSUP_NONDEFAULT...), .cli_parse for a
 * CLI syntax of its own.  A key of CH's schema that nimbus does not
 * implement is a U_* line: accepted while it carries its default, refused
 * as "not supported yet" otherwise.  Rules between fields and the host
 * (boot <= max, files exist) are vm-config-validate.c's, not the tables'.
 */

/* "--option: message"; returns false. */
#define cli_fail(o, error, ...)                                                \
    nimbus_fail_prefixed(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,       \
                         vm_opts_option(o), __VA_ARGS__)

/* ---- enums --------------------------------------------------------------- */

static const char *
image_type_name(int v)
{
    return image_type_to_string(v);
}

static const VEnum image_type_enum = {
    .to_string = image_type_name,
    .from_string = image_type_from_string,
    .json_expected = "one of FixedVhd, Qcow2, Raw, Vhdx or Unknown",
    /* Every type parses: which ones nimbus can open is one rule, in
     * vm_config_validate(). */
};

static const char *
console_mode_name(int v)
{
    return console_mode_to_string(v);
}

static const VEnum console_mode_enum = {
    .to_string = console_mode_name,
    .from_string = console_mode_from_string,
    .json_expected = "one of Off, Pty, Tty, File, Socket or Null",
};

static const char *
hotplug_method_name(int v)
{
    return memory_hotplug_method_to_string(v);
}

static const VEnum hotplug_method_enum = {
    .to_string = hotplug_method_name,
    .from_string = memory_hotplug_method_from_string,
    .json_expected = "one of Acpi or VirtioMem",
};

/* ---- CLI syntaxes of their own ------------------------------------------- */

/* CH's CLI spells the methods "acpi" and "virtio-mem". */
static bool
cli_hotplug_method(const VmOpts *o, const VField *f, void *member,
                   GError **error)
{
    const char *key = vfield_cli_key(f);
    g_autofree char *m = NULL;

    if (!vm_opts_get_string(o, key, &m, error))
        return false;
    if (!m)
        return true;
    if (g_ascii_strcasecmp(m, "acpi") == 0) {
        *(int *)member = MEMORY_HOTPLUG_ACPI;
        return true;
    }
    if (g_ascii_strcasecmp(m, "virtio-mem") == 0) {
        *(int *)member = MEMORY_HOTPLUG_VIRTIO_MEM;
        return true;
    }
    return cli_fail(o, error, "%s=%s: expected acpi or virtio-mem", key, m);
}

/* "T:C:D:P" (CH's CpuTopology::from_str); each part bounded here so that
 * their product, checked against max in validation, cannot overflow. */
static bool
cli_topology(const VmOpts *o, const VField *f, void *member, GError **error)
{
    g_autofree char *v = NULL;
    g_auto(GStrv) parts = NULL;
    CpuTopology *t;
    uint64_t n[4];
    int i;

    if (!vm_opts_get_string(o, vfield_cli_key(f), &v, error))
        return false;
    if (!v)
        return true;
    parts = g_strsplit(v, ":", -1);
    for (i = 0; i < 4; i++) {
        if (!parts[i] || !vm_opts_str_to_u64(parts[i], &n[i]) || n[i] < 1 ||
            n[i] > VM_CONFIG_MAX_VCPUS)
            break;
    }
    if (i < 4 || parts[4])
        return cli_fail(o, error, "invalid value 'topology=%s': expected "
                        "threads_per_core:cores_per_die:dies_per_package:"
                        "packages, each between 1 and %u", v,
                        VM_CONFIG_MAX_VCPUS);
    t = g_new0(CpuTopology, 1);
    t->threads_per_core = (uint32_t)n[0];
    t->cores_per_die = (uint32_t)n[1];
    t->dies_per_package = (uint32_t)n[2];
    t->packages = (uint32_t)n[3];
    g_free(*(CpuTopology **)member);
    *(CpuTopology **)member = t;
    return true;
}

/* "[0@[1,2],1@[3-4]]": vCPU 0 on host CPUs 1 and 2, ... */
static bool
cli_affinity(const VmOpts *o, const VField *f, void *member, GError **error)
{
    g_autoptr(GPtrArray) tuples = NULL;
    GPtrArray *list;
    guint i;

    if (!vm_opts_get_tuple_list(o, vfield_cli_key(f), VM_CONFIG_MAX_VCPUS - 1,
                                VM_CONFIG_HOST_CPU_MAX, &tuples, error))
        return false;
    if (!tuples)
        return true;
    list = g_ptr_array_new_with_free_func(f->sub->free);
    for (i = 0; i < tuples->len; i++) {
        VmOptsTuple *t = g_ptr_array_index(tuples, i);
        CpuAffinity *a = vschema_new(f->sub);

        a->vcpu = t->id;
        g_array_unref(a->host_cpus);
        a->host_cpus = g_array_ref(t->values);
        g_ptr_array_add(list, a);
    }
    g_clear_pointer((GPtrArray **)member, g_ptr_array_unref);
    *(GPtrArray **)member = list;
    return true;
}

/* CH's CLI spellings differ from its JSON ones.  Every type with an
 * ImageType parses; which ones nimbus can open is vm_config_validate()'s
 * rule.  vmdk has no ImageType (CH's JSON cannot say it either). */
static bool
cli_image_type(const VmOpts *o, const VField *f, void *member, GError **error)
{
    static const char *const cli_types[] = {
        [IMAGE_TYPE_RAW] = "raw", [IMAGE_TYPE_QCOW2] = "qcow2",
        [IMAGE_TYPE_FIXED_VHD] = "vhd", [IMAGE_TYPE_VHDX] = "vhdx",
    };
    const char *key = vfield_cli_key(f);
    g_autofree char *type = NULL;

    if (!vm_opts_get_string(o, key, &type, error))
        return false;
    if (!type)
        return true;
    for (guint t = 0; t < G_N_ELEMENTS(cli_types); t++) {
        if (g_ascii_strcasecmp(type, cli_types[t]) == 0) {
            *(int *)member = (int)t;
            return true;
        }
    }
    if (g_ascii_strcasecmp(type, "vmdk") == 0)
        return cli_fail(o, error, "%s=%s is not supported yet", key, type);
    return cli_fail(o, error, "invalid value '%s=%s': expected raw, qcow2, "
                    "vhd, vhdx or vmdk", key, type);
}

/* The console modes CLI keys name: bare "tty", or "file=PATH" whose value
 * the file field reads. */
static const struct {
    const char *key;
    ConsoleMode mode;
    bool takes_path;
} cli_modes[] = {
    { "off", CONSOLE_MODE_OFF, false },
    { "null", CONSOLE_MODE_NULL, false },
    { "pty", CONSOLE_MODE_PTY, false },
    { "tty", CONSOLE_MODE_TTY, false },
    { "file", CONSOLE_MODE_FILE, true },
    { "socket", CONSOLE_MODE_SOCKET, true },
};

/* "off, pty, tty or file=PATH" from the field's mode keys. */
static char *
cli_modes_expected(const char *const *keys)
{
    GString *s = g_string_new(NULL);
    guint i, n = g_strv_length((char **)keys);

    for (i = 0; i < n; i++) {
        if (i)
            g_string_append(s, i + 1 == n ? " or " : ", ");
        g_string_append(s, keys[i]);
        if (!strcmp(keys[i], "file") || !strcmp(keys[i], "socket"))
            g_string_append(s, "=PATH");
    }
    return g_string_free(s, FALSE);
}

static bool
cli_console_mode(const VmOpts *o, const VField *f, void *member,
                 GError **error)
{
    const char *mode_key = NULL;
    ConsoleMode mode = CONSOLE_MODE_OFF;
    g_autofree char *expected = NULL;
    guint i;

    for (i = 0; i < G_N_ELEMENTS(cli_modes); i++) {
        bool present = false;

        if (!g_strv_contains(f->cli_keys, cli_modes[i].key) ||
            !vm_opts_has(o, cli_modes[i].key))
            continue;
        if (mode_key)
            return cli_fail(o, error, "more than one mode ('%s' and '%s')",
                            mode_key, cli_modes[i].key);
        mode_key = cli_modes[i].key;
        mode = cli_modes[i].mode;
        if (!cli_modes[i].takes_path &&
            !vm_opts_get_flag(o, mode_key, &present, error))
            return false;
    }
    if (!mode_key) {
        expected = cli_modes_expected(f->cli_keys);
        return cli_fail(o, error, "no mode in '%s': expected one of %s",
                        vm_opts_arg(o), expected);
    }
    *(int *)member = mode;
    return true;
}

static const char *const cli_console_modes[] = {
    "off", "null", "pty", "tty", "file", "socket", NULL
};
static const char *const cli_debug_console_modes[] = {
    "off", "pty", "tty", "file", NULL
};

/* ---- CpusConfig ---------------------------------------------------------- */

static const VField topology_fields[] = {
#define TOPO(name)                                                             \
    V_UINT(#name, CpuTopology, name, 1, VM_CONFIG_MAX_VCPUS, 1,                \
           .flags = VF_JSON_REQUIRED)
    TOPO(threads_per_core),
    TOPO(cores_per_die),
    TOPO(dies_per_package),
    TOPO(packages),
#undef TOPO
    V_END
};

const VStruct vschema_topology = {
    "CpuTopology", sizeof(CpuTopology), topology_fields, NULL, NULL
};

static void
affinity_free(void *a)
{
    if (!a)
        return;
    vschema_clear(&vschema_affinity, a);
    g_free(a);
}

static const VField affinity_fields[] = {
    V_UINT("vcpu", CpuAffinity, vcpu, 0, VM_CONFIG_MAX_VCPUS - 1, 0,
           .flags = VF_JSON_REQUIRED),
    V_U32S("host_cpus", CpuAffinity, host_cpus, VM_CONFIG_HOST_CPU_MAX,
           .flags = VF_JSON_REQUIRED | VF_NEVER_NULL,
           .what = "host CPU numbers"),
    V_END
};

const VStruct vschema_affinity = {
    "CpuAffinity", sizeof(CpuAffinity), affinity_fields, affinity_free, NULL
};

static const VField cpu_features_fields[] = { U_BOOL("amx", false), V_END };
static const VStruct cpu_features = {
    "CpuFeatures", 0, cpu_features_fields, NULL, NULL
};

/* CH: max defaults to boot (the JSON requires both). */
static void
cpus_fixup(void *obj, const VGiven *given)
{
    CpusConfig *c = obj;

    if (!vgiven_has(given, "max_vcpus"))
        c->max_vcpus = c->boot_vcpus;
}

static const VField cpus_fields[] = {
    V_UINT("boot_vcpus", CpusConfig, boot_vcpus, 1, VM_CONFIG_MAX_VCPUS, 1,
           .cli = "boot", .flags = VF_JSON_REQUIRED),
    V_UINT("max_vcpus", CpusConfig, max_vcpus, 1, VM_CONFIG_MAX_VCPUS, 1,
           .cli = "max", .flags = VF_JSON_REQUIRED),
    V_PTR("topology", CpusConfig, topology, &vschema_topology,
          .cli_parse = cli_topology),
    V_BOOL("kvm_hyperv", CpusConfig, kvm_hyperv, false,
           .flags = VF_UNSUP_NONDEFAULT),
    V_UINT("max_phys_bits", CpusConfig, max_phys_bits, 1, 64,
           VM_CONFIG_DEFAULT_PHYS_BITS),
    V_LIST("affinity", CpusConfig, affinity, &vschema_affinity,
           .cli_parse = cli_affinity),
    V_BOOL("nested", CpusConfig, nested, true),
    U_DEFAULTS("features", &cpu_features, .cli_dflt = "[]"),
    U_STR("core_scheduling", "Vm"),
    U_EMPTY("profile", .flags = VF_NO_JSON),
    V_END
};

const VStruct vschema_cpus = {
    "CpusConfig", sizeof(CpusConfig), cpus_fields, NULL, cpus_fixup
};

/* ---- MemoryConfig -------------------------------------------------------- */

static const VField memory_fields[] = {
    V_UINT("size", MemoryConfig, size, 0, G_MAXINT64, VM_CONFIG_DEFAULT_MEMORY,
           .flags = VF_JSON_REQUIRED | VF_CLI_SIZE),
    V_UINT("hotplug_size", MemoryConfig, hotplug_size, 0, G_MAXINT64, 0,
           .flags = VF_OMIT_DEFAULT | VF_CLI_SIZE),
    V_UINT("hotplugged_size", MemoryConfig, hotplugged_size, 0, G_MAXINT64, 0,
           .flags = VF_OMIT_DEFAULT | VF_CLI_SIZE),
    V_BOOL("mergeable", MemoryConfig, mergeable, false),
    V_ENUM("hotplug_method", MemoryConfig, hotplug_method,
           &hotplug_method_enum, MEMORY_HOTPLUG_ACPI,
           .flags = VF_OMIT_DEFAULT, .cli_parse = cli_hotplug_method),
    V_BOOL("shared", MemoryConfig, shared, false),
    V_BOOL("hugepages", MemoryConfig, hugepages, false),
    V_UINT("hugepage_size", MemoryConfig, hugepage_size, 0, G_MAXINT64, 0,
           .flags = VF_OMIT_DEFAULT | VF_CLI_SIZE),
    V_BOOL("prefault", MemoryConfig, prefault, false),
    V_BOOL("reserve", MemoryConfig, reserve, false),
    V_BOOL("thp", MemoryConfig, thp, true),
    /* --memory-zone fills them (vm-config-numa.c). */
    V_LIST("zones", MemoryConfig, zones, &vschema_memory_zone,
           .flags = VF_NO_CLI | VF_NEVER_NULL | VF_OMIT_DEFAULT),
    /* CH accepts "file=" at the top level of --memory and ignores it
     * (zones use it); so do we, so that CH command lines keep working. */
    U_IGNORED("file"),
    V_END
};

const VStruct vschema_memory = {
    "MemoryConfig", sizeof(MemoryConfig), memory_fields, NULL, NULL
};

/* ---- PayloadConfig ------------------------------------------------------- */

static const VField payload_fields[] = {
    V_STR("firmware", PayloadConfig, firmware, .flags = VF_PATH_R),
    V_STR("kernel", PayloadConfig, kernel, .flags = VF_PATH_R),
    V_STR("cmdline", PayloadConfig, cmdline),
    V_STR("initramfs", PayloadConfig, initramfs, .flags = VF_PATH_R),
    U_EMPTY("igvm"),
    U_EMPTY("host_data"),
    V_PTR("fw_cfg_config", PayloadConfig, fw_cfg_config, &vschema_fw_cfg,
          .flags = VF_NO_CLI),
    V_END
};

const VStruct vschema_payload = {
    "PayloadConfig", sizeof(PayloadConfig), payload_fields, NULL, NULL
};

/* ---- DiskConfig ---------------------------------------------------------- */

static const VField disk_fields[] = {
    /* Required unless vhost_user=on (vm_config_parse_disk()). */
    V_STR("path", DiskConfig, path, .flags = VF_PATH_RW),
    V_BOOL("readonly", DiskConfig, readonly, false),
    V_BOOL("direct", DiskConfig, direct, false),
    V_BOOL("iommu", DiskConfig, iommu, false),
    V_UINT("num_queues", DiskConfig, num_queues, 1, VM_CONFIG_DISK_QUEUES_MAX,
           VM_CONFIG_DISK_QUEUES),
    V_UINT("queue_size", DiskConfig, queue_size, 1, VM_CONFIG_QUEUE_SIZE_MAX,
           VM_CONFIG_DISK_QUEUE_SIZE),
    V_BOOL("vhost_user", DiskConfig, vhost_user, false,
           .flags = VF_OMIT_DEFAULT),
    V_STR("vhost_socket", DiskConfig, vhost_socket, .cli = "socket",
          .flags = VF_PATH_SOCKET),
    V_PTR("rate_limiter_config", DiskConfig, rate_limiter_config,
          &vschema_rate_limiter, .cli_parse = vm_config_cli_rate_limiter,
          .cli_keys = vm_config_rate_limit_cli_keys),
    V_UINT("pci_segment", DiskConfig, pci_segment, 0, G_MAXUINT16, 0),
    V_INT_OPT("pci_device_id", DiskConfig, pci_device_id, 0, G_MAXUINT8),
    V_STR("id", DiskConfig, id),
    V_STR("serial", DiskConfig, serial),
    V_STR("rate_limit_group", DiskConfig, rate_limit_group),
    U_EMPTY("queue_affinity"),
    V_BOOL("backing_files", DiskConfig, backing_files, false,
           .flags = VF_OMIT_DEFAULT),
    U_BOOL("sparse", true),
    V_ENUM("image_type", DiskConfig, image_type, &image_type_enum,
           IMAGE_TYPE_UNKNOWN, .cli_parse = cli_image_type),
    U_STR("lock_granularity", "ByteRange", .cli_dflt = "byte-range"),
    /* Written by CH itself (testing knobs), not in the OpenAPI file. */
    U_BOOL("disable_io_uring", false, .cli = "_disable_io_uring"),
    U_BOOL("disable_aio", false, .cli = "_disable_aio"),
    V_END
};

const VStruct vschema_disk = {
    "DiskConfig", sizeof(DiskConfig), disk_fields,
    (GDestroyNotify)disk_config_free, NULL
};

/* ---- NetConfig ----------------------------------------------------------- */

/* One fd per RX/TX pair: without num_queues, the fds decide it. */
static void
net_fixup(void *obj, const VGiven *given)
{
    NetConfig *n = obj;

    if (n->fds && !vgiven_has(given, "num_queues"))
        n->num_queues = 2 * n->fds->len;
    /* CH's CLI says client|server, its JSON Client|Server: one spelling
     * from here on, and the default (client) is NULL, so that a config
     * reads back as it was (anything else is vm_config_validate()'s to
     * refuse). */
    if (n->vhost_mode && !g_ascii_strcasecmp(n->vhost_mode, "client")) {
        g_clear_pointer(&n->vhost_mode, g_free);
    } else if (n->vhost_mode &&
               !g_ascii_strcasecmp(n->vhost_mode, "server")) {
        g_free(n->vhost_mode);
        n->vhost_mode = g_strdup("Server");
    }
}

static const VField net_fields[] = {
    V_STR("tap", NetConfig, tap),
    V_STR("ip", NetConfig, ip),
    V_STR("mask", NetConfig, mask),
    V_STR("mac", NetConfig, mac),
    V_STR("host_mac", NetConfig, host_mac),
    V_UINT("mtu", NetConfig, mtu, VM_CONFIG_MTU_MIN, VM_CONFIG_MTU_MAX, 0,
           .flags = VF_OMIT_DEFAULT),
    V_BOOL("iommu", NetConfig, iommu, false),
    V_UINT("num_queues", NetConfig, num_queues, 1, VM_CONFIG_NET_QUEUES_MAX,
           VM_CONFIG_NET_QUEUES),
    V_UINT("queue_size", NetConfig, queue_size, 1, VM_CONFIG_QUEUE_SIZE_MAX,
           VM_CONFIG_NET_QUEUE_SIZE),
    V_BOOL("vhost_user", NetConfig, vhost_user, false,
           .flags = VF_OMIT_DEFAULT),
    V_STR("vhost_socket", NetConfig, vhost_socket, .cli = "socket",
          .flags = VF_PATH_SOCKET),
    /* NULL (not given) means CH's default, Client. */
    V_STR("vhost_mode", NetConfig, vhost_mode),
    V_STR("id", NetConfig, id),
    V_FDS("fds", NetConfig, fds, .cli = "fd"),
    V_PTR("rate_limiter_config", NetConfig, rate_limiter_config,
          &vschema_rate_limiter, .cli_parse = vm_config_cli_rate_limiter,
          .cli_keys = vm_config_rate_limit_cli_keys),
    V_UINT("pci_segment", NetConfig, pci_segment, 0, G_MAXUINT16, 0),
    V_INT_OPT("pci_device_id", NetConfig, pci_device_id, 0, G_MAXUINT8),
    V_BOOL("offload_tso", NetConfig, offload_tso, true),
    V_BOOL("offload_ufo", NetConfig, offload_ufo, true),
    V_BOOL("offload_csum", NetConfig, offload_csum, true),
    V_END
};

const VStruct vschema_net = {
    "NetConfig", sizeof(NetConfig), net_fields,
    (GDestroyNotify)net_config_free, net_fixup
};

/* ---- RngConfig, consoles ------------------------------------------------- */

static const VField rng_fields[] = {
    V_STR("src", RngConfig, src, .dflt_s = VM_CONFIG_DEFAULT_RNG,
          .flags = VF_JSON_REQUIRED | VF_PATH_R),
    V_BOOL("iommu", RngConfig, iommu, false),
    V_STR("id", RngConfig, id, .flags = VF_NO_CLI),
    U_INT("pci_segment", 0, .cli_dflt = "0"),
    U_EMPTY("pci_device_id"),
    V_END
};

const VStruct vschema_rng = {
    "RngConfig", sizeof(RngConfig), rng_fields, NULL, NULL
};

/* The three console objects differ in the schema: the serial port has no
 * id (and CH writes an iommu nimbus does not), the debug console has
 * iobase and no socket.  Members a table does not name are STORE_ONLY so
 * that copies and frees still cover them. */
static const VField serial_fields[] = {
    V_STR("file", ConsoleConfig, file, .flags = VF_PATH_CREATE),
    V_STR("socket", ConsoleConfig, socket, .flags = VF_PATH_SOCKET),
    V_ENUM("mode", ConsoleConfig, mode, &console_mode_enum, CONSOLE_MODE_NULL,
           .flags = VF_JSON_REQUIRED, .cli_parse = cli_console_mode,
           .cli_keys = cli_console_modes),
    V_BOOL("iommu", ConsoleConfig, iommu, false,
           .flags = VF_UNSUP_NONDEFAULT | VF_NO_CLI | VF_NO_FORMAT,
           .refused = "the serial port is a legacy 8250 UART, not a PCI "
                      "device: there is nothing to translate"),
    V_STR("id", ConsoleConfig, id, .flags = VF_STORE_ONLY),
    V_END
};

const VStruct vschema_serial = {
    "ConsoleConfig (serial)", sizeof(ConsoleConfig), serial_fields, NULL, NULL
};

static const VField console_fields[] = {
    V_STR("file", ConsoleConfig, file, .flags = VF_PATH_CREATE),
    V_STR("socket", ConsoleConfig, socket, .flags = VF_PATH_SOCKET),
    V_ENUM("mode", ConsoleConfig, mode, &console_mode_enum, CONSOLE_MODE_TTY,
           .flags = VF_JSON_REQUIRED, .cli_parse = cli_console_mode,
           .cli_keys = cli_console_modes),
    V_BOOL("iommu", ConsoleConfig, iommu, false),
    V_STR("id", ConsoleConfig, id),
    U_INT("pci_segment", 0, .cli_dflt = "0"),
    U_EMPTY("pci_device_id"),
    V_END
};

const VStruct vschema_console = {
    "ConsoleConfig", sizeof(ConsoleConfig), console_fields, NULL, NULL
};

static const VField debug_console_fields[] = {
    V_STR("file", ConsoleConfig, file, .flags = VF_PATH_CREATE),
    V_STR("socket", ConsoleConfig, socket, .flags = VF_STORE_ONLY),
    V_ENUM("mode", ConsoleConfig, mode, &console_mode_enum, CONSOLE_MODE_OFF,
           .flags = VF_JSON_REQUIRED, .cli_parse = cli_console_mode,
           .cli_keys = cli_debug_console_modes),
    V_UINT("iobase", ConsoleConfig, iobase, 0, 0xffff,
           VM_CONFIG_DEFAULT_DEBUG_IOBASE),
    V_STR("id", ConsoleConfig, id, .flags = VF_STORE_ONLY),
    V_END
};

const VStruct vschema_debug_console = {
    "ConsoleConfig (debug)", sizeof(ConsoleConfig), debug_console_fields,
    NULL, NULL
};

/* ---- VmConfig ------------------------------------------------------------ */

/* ---- LandlockConfig ------------------------------------------------------ */

/* CH's LandlockConfig: extra paths for files the VMM opens after vm.create
 * (hotplug, snapshots).  The path is not a VF_PATH_* field: its access
 * is given by the rule itself (daemon/landlock.c). */
static const VField landlock_fields[] = {
    V_STR("path", LandlockConfig, path, .flags = VF_CLI_REQUIRED,
          .cli_meta = "<path>"),
    V_STR("access", LandlockConfig, access, .flags = VF_CLI_REQUIRED,
          .cli_meta = "r|w|rw"),
    V_END
};

const VStruct vschema_landlock = {
    "LandlockConfig", sizeof(LandlockConfig), landlock_fields,
    (GDestroyNotify)landlock_config_free, NULL
};

/* The top level has no CLI form of its own: each option fills one of its
 * structs (daemon/cli.c).  V_DEVICE lines are the device keys of CH's
 * schema whose config a device describes in its own file
 * (vm-config-kind.h); each has a slot of its own in VmConfig.devices. */
static const VField vm_fields[] = {
    V_STRUCT("cpus", VmConfig, cpus, &vschema_cpus),
    V_STRUCT("memory", VmConfig, memory, &vschema_memory),
    V_STRUCT("payload", VmConfig, payload, &vschema_payload,
             .flags = VF_JSON_REQUIRED),
    V_LIST("rate_limit_groups", VmConfig, rate_limit_groups,
           &vschema_rate_limit_group),
    V_LIST("disks", VmConfig, disks, &vschema_disk,
           .flags = VF_NEVER_NULL | VF_OMIT_DEFAULT),
    V_LIST("net", VmConfig, net, &vschema_net,
           .flags = VF_NEVER_NULL | VF_OMIT_DEFAULT),
    V_STRUCT("rng", VmConfig, rng, &vschema_rng),
    V_DEVICE("balloon", 0, .flags = VF_SINGLE),
    V_DEVICE("fs", 1),
    V_DEVICE("generic_vhost_user", 2),
    V_DEVICE("pmem", 3),
    V_STRUCT("serial", VmConfig, serial, &vschema_serial),
    V_STRUCT("console", VmConfig, console, &vschema_console),
    V_STRUCT("debug_console", VmConfig, debug_console, &vschema_debug_console),
    V_DEVICE("devices", 4),
    V_DEVICE("user_devices", 5),
    V_DEVICE("vdpa", 6),
    V_DEVICE("vsock", 7, .flags = VF_SINGLE),
    V_LIST("numa", VmConfig, numa, &vschema_numa,
           .flags = VF_NEVER_NULL | VF_OMIT_DEFAULT),
    V_BOOL("iommu", VmConfig, iommu, false),
    V_BOOL("watchdog", VmConfig, watchdog, false),
    U_EMPTY("rtc"),
    V_BOOL("pvpanic", VmConfig, pvpanic, false),
    U_EMPTY("pci_segments"),
    V_PTR("platform", VmConfig, platform, &vschema_platform),
    V_DEVICE("tpm", 8, .flags = VF_SINGLE),
    V_BOOL("landlock_enable", VmConfig, landlock_enable, false),
    V_LIST("landlock_rules", VmConfig, landlock_rules, &vschema_landlock,
           .flags = VF_NEVER_NULL | VF_OMIT_DEFAULT),
    V_DEVICE("ivshmem", 14, .flags = VF_SINGLE),
    /* nimbus extensions, under keys CH will not use (docs/api.md). */
    V_DEVICE("nimbus_watchdog", 15, .flags = VF_SINGLE),
    V_END
};

const VStruct vschema_vm = {
    "VmConfig", sizeof(VmConfig), vm_fields, (GDestroyNotify)vm_config_free,
    NULL
};

const VStruct *const vschema_all[] = {
    &vschema_topology, &vschema_affinity, &vschema_cpus, &vschema_memory,
    &vschema_payload, &vschema_disk, &vschema_net, &vschema_rng,
    &vschema_serial, &vschema_console, &vschema_debug_console,
    &vschema_landlock, &vschema_platform, &vschema_vm, &vschema_token_bucket,
    &vschema_rate_limiter, &vschema_rate_limit_group, &vschema_memory_zone,
    &vschema_numa_distance, &vschema_numa, &vschema_fw_cfg,
    &vschema_fw_cfg_item_list, &vschema_fw_cfg_item, NULL
};

/* SPDX-License-Identifier: Apache-2.0 */
/* VmConfig from Cloud Hypervisor's VmConfig JSON (vm.create, snapshots). */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "common/json-util.h"
#include "config/vm-config-json-priv.h"

/*
 * Table-driven: each JSON object of the schema has a table listing every
 * key CH's schema defines (cloud-hypervisor-openapi.yaml, plus the few
 * keys CH itself writes beyond it, such as DiskConfig.disable_io_uring), so
 * an unknown key is an error and an unimplemented one gets a clear "not
 * supported yet" unless it carries its default.  null means "absent" for
 * every key, as serde's Option does.  Errors name the JSON path:
 * "disks[1].queue_size: expected an integer between 1 and 32768".
 *
 * json-glib keeps the last of duplicated keys; the document's nesting depth
 * is bounded before json-glib sees it (its parser recurses).
 */

/* A VmConfig is 5 levels deep; anything much deeper is not one. */
#define VM_CONFIG_JSON_MAX_DEPTH 32

/* ---- CpusConfig ---------------------------------------------------------- */

static const JField topology_fields[] = {
#define TOPO(name) F_REQ_UINT(#name, CpuTopology, name, 1, VM_CONFIG_MAX_VCPUS)
    TOPO(threads_per_core),
    TOPO(cores_per_die),
    TOPO(dies_per_package),
    TOPO(packages),
#undef TOPO
    F_END
};

static bool
j_topology(JsonNode *node, const char *path, void *target, GError **error)
{
    CpuTopology **out = target;
    g_autofree CpuTopology *t = g_new0(CpuTopology, 1);

    if (vm_json_is_null(node)) {
        g_clear_pointer(out, g_free);
        return true;
    }
    if (!vm_json_parse_object(node, path, topology_fields, t, error))
        return false;
    g_free(*out);
    *out = g_steal_pointer(&t);
    return true;
}

static bool
j_host_cpu(JsonNode *elem, const char *path, guint i, void *data,
           GError **error)
{
    uint64_t v = 0;
    uint32_t u;

    if (!vm_json_get_uint(elem, path, 0, VM_CONFIG_HOST_CPU_MAX, &v, error))
        return false;
    u = (uint32_t)v;
    g_array_append_val(data, u);
    return true;
}

static bool
j_host_cpus(JsonNode *node, const char *path, void *target, GError **error)
{
    GArray **out = target;
    g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(uint32_t));

    if (!JSON_NODE_HOLDS_ARRAY(node))
        return vm_json_fail(error, path,
                            "expected an array of host CPU numbers");
    if (!vm_json_parse_array(node, path, j_host_cpu, a, error))
        return false;
    if (*out)
        g_array_unref(*out);
    *out = g_steal_pointer(&a);
    return true;
}

static const JField affinity_fields[] = {
    F_REQ_UINT("vcpu", CpuAffinity, vcpu, 0, VM_CONFIG_MAX_VCPUS - 1),
    F_REQ_CUSTOM("host_cpus", CpuAffinity, host_cpus, j_host_cpus),
    F_END
};

static bool
j_affinity_one(JsonNode *elem, const char *path, guint i, void *data,
               GError **error)
{
    CpuAffinity *a = g_new0(CpuAffinity, 1);

    /* Owned by the list from here on, even if parsing fails. */
    g_ptr_array_add(data, a);
    return vm_json_parse_object(elem, path, affinity_fields, a, error);
}

static bool
j_affinity(JsonNode *node, const char *path, void *target, GError **error)
{
    GPtrArray **out = target;
    g_autoptr(GPtrArray) list = vm_config_affinity_new();

    if (!vm_json_parse_array(node, path, j_affinity_one, list, error))
        return false;
    g_clear_pointer(out, g_ptr_array_unref);
    if (!vm_json_is_null(node))
        *out = g_steal_pointer(&list);
    return true;
}

static const JField cpu_features_fields[] = { U_BOOL("amx", false), F_END };

static const JField cpus_fields[] = {
    F_REQ_UINT("boot_vcpus", CpusConfig, boot_vcpus, 1, VM_CONFIG_MAX_VCPUS),
    F_REQ_UINT("max_vcpus", CpusConfig, max_vcpus, 1, VM_CONFIG_MAX_VCPUS),
    F_CUSTOM("topology", CpusConfig, topology, j_topology),
    U_BOOL("kvm_hyperv", false),
    F_UINT("max_phys_bits", CpusConfig, max_phys_bits, 1, 64),
    F_BOOL("nested", CpusConfig, nested),
    F_CUSTOM("affinity", CpusConfig, affinity, j_affinity),
    U_DEFAULTS("features", cpu_features_fields),
    U_STR("core_scheduling", "Vm"),
    F_END
};

/* ---- MemoryConfig -------------------------------------------------------- */

static const JField memory_fields[] = {
    F_REQ_UINT("size", MemoryConfig, size, 0, G_MAXINT64),
    U_INT("hotplug_size", 0),
    U_INT("hotplugged_size", 0),
    F_BOOL("mergeable", MemoryConfig, mergeable),
    U_STR("hotplug_method", "Acpi"),
    F_BOOL("shared", MemoryConfig, shared),
    F_BOOL("hugepages", MemoryConfig, hugepages),
    F_UINT("hugepage_size", MemoryConfig, hugepage_size, 0, G_MAXINT64),
    F_BOOL("prefault", MemoryConfig, prefault),
    F_BOOL("reserve", MemoryConfig, reserve),
    F_BOOL("thp", MemoryConfig, thp),
    U_EMPTY("zones"),
    F_END
};

/* ---- PayloadConfig ------------------------------------------------------- */

static const JField payload_fields[] = {
    F_STR("firmware", PayloadConfig, firmware),
    F_STR("kernel", PayloadConfig, kernel),
    F_STR("cmdline", PayloadConfig, cmdline),
    F_STR("initramfs", PayloadConfig, initramfs),
    U_EMPTY("igvm"),
    U_EMPTY("host_data"),
    F_END
};

/* ---- DiskConfig ---------------------------------------------------------- */

static bool
j_image_type(JsonNode *node, const char *path, void *target, GError **error)
{
    ImageType *out = target;
    int t;

    if (vm_json_is_null(node)) {
        *out = IMAGE_TYPE_UNKNOWN;
        return true;
    }
    if (!vm_json_is_string(node) ||
        (t = image_type_from_string(json_node_get_string(node))) < 0)
        return vm_json_fail(error, path, "expected one of FixedVhd, Qcow2, "
                            "Raw, Vhdx or Unknown");
    if (t != IMAGE_TYPE_RAW && t != IMAGE_TYPE_UNKNOWN)
        return vm_json_fail(error, path, "%s is not supported yet",
                            image_type_to_string(t));
    *out = t;
    return true;
}

static const JField disk_fields[] = {
    F_STR("path", DiskConfig, path),
    F_BOOL("readonly", DiskConfig, readonly),
    F_BOOL("direct", DiskConfig, direct),
    F_BOOL("iommu", DiskConfig, iommu),
    F_UINT("num_queues", DiskConfig, num_queues, 1, VM_CONFIG_DISK_QUEUES_MAX),
    F_UINT("queue_size", DiskConfig, queue_size, 1, VM_CONFIG_QUEUE_SIZE_MAX),
    U_BOOL("vhost_user", false),
    U_EMPTY("vhost_socket"),
    U_EMPTY("rate_limiter_config"),
    F_UINT("pci_segment", DiskConfig, pci_segment, 0, G_MAXUINT16),
    F_INT_OPT("pci_device_id", DiskConfig, pci_device_id, 0, G_MAXUINT8),
    F_STR("id", DiskConfig, id),
    F_STR("serial", DiskConfig, serial),
    U_EMPTY("rate_limit_group"),
    U_EMPTY("queue_affinity"),
    U_BOOL("backing_files", false),
    U_BOOL("sparse", true),
    F_CUSTOM("image_type", DiskConfig, image_type, j_image_type),
    U_STR("lock_granularity", "ByteRange"),
    /* Written by CH itself (testing knobs), not in the OpenAPI file. */
    U_BOOL("disable_io_uring", false),
    U_BOOL("disable_aio", false),
    F_END
};

DiskConfig *
disk_config_from_json_node(JsonNode *node, GError **error)
{
    g_autoptr(DiskConfig) d = disk_config_new();

    if (!vm_json_parse_object(node, "", disk_fields, d, error))
        return NULL;
    return g_steal_pointer(&d);
}

static bool
j_disk_one(JsonNode *elem, const char *path, guint i, void *data,
           GError **error)
{
    g_autoptr(DiskConfig) d = disk_config_new();

    if (!vm_json_parse_object(elem, path, disk_fields, d, error))
        return false;
    g_ptr_array_add(data, g_steal_pointer(&d));
    return true;
}

static bool
j_disks(JsonNode *node, const char *path, void *target, GError **error)
{
    return vm_json_parse_array(node, path, j_disk_one, *(GPtrArray **)target,
                               error);
}

/* ---- NetConfig ----------------------------------------------------------- */

static bool
j_fd_placeholder(JsonNode *elem, const char *path, guint i, void *data,
                 GError **error)
{
    int placeholder = -1;

    /* The number itself means nothing here: see vm-config.h. */
    if (!vm_json_is_int(elem))
        return vm_json_fail(error, path,
                            "expected an integer (an fd placeholder)");
    g_array_append_val(data, placeholder);
    return true;
}

static bool
j_fds(JsonNode *node, const char *path, void *target, GError **error)
{
    GArray **out = target;
    g_autoptr(GArray) fds = g_array_new(FALSE, FALSE, sizeof(int));

    if (!vm_json_parse_array(node, path, j_fd_placeholder, fds, error))
        return false;
    if (fds->len > VM_CONFIG_NET_QUEUES_MAX / 2)
        return vm_json_fail(error, path, "at most %u fds (one per queue pair)",
                            VM_CONFIG_NET_QUEUES_MAX / 2);
    g_clear_pointer(out, g_array_unref);
    if (fds->len)
        *out = g_steal_pointer(&fds);
    return true;
}

static const JField net_fields[] = {
    F_STR("tap", NetConfig, tap),
    F_STR("ip", NetConfig, ip),
    F_STR("mask", NetConfig, mask),
    F_STR("mac", NetConfig, mac),
    F_STR("host_mac", NetConfig, host_mac),
    F_UINT("mtu", NetConfig, mtu, VM_CONFIG_MTU_MIN, VM_CONFIG_MTU_MAX),
    F_BOOL("iommu", NetConfig, iommu),
    F_UINT("num_queues", NetConfig, num_queues, 1, VM_CONFIG_NET_QUEUES_MAX),
    F_UINT("queue_size", NetConfig, queue_size, 1, VM_CONFIG_QUEUE_SIZE_MAX),
    U_BOOL("vhost_user", false),
    U_EMPTY("vhost_socket"),
    U_STR("vhost_mode", "Client"),
    F_STR("id", NetConfig, id),
    F_CUSTOM("fds", NetConfig, fds, j_fds),
    U_EMPTY("rate_limiter_config"),
    F_UINT("pci_segment", NetConfig, pci_segment, 0, G_MAXUINT16),
    F_INT_OPT("pci_device_id", NetConfig, pci_device_id, 0, G_MAXUINT8),
    F_BOOL("offload_tso", NetConfig, offload_tso),
    F_BOOL("offload_ufo", NetConfig, offload_ufo),
    F_BOOL("offload_csum", NetConfig, offload_csum),
    F_END
};

/* As the CLI does: fds without num_queues set the number of queues. */
static void
net_fixup(JsonNode *node, NetConfig *n)
{
    JsonObject *obj = json_node_get_object(node);
    JsonNode *q = json_object_get_member(obj, "num_queues");

    if (n->fds && (!q || vm_json_is_null(q)))
        n->num_queues = 2 * n->fds->len;
}

NetConfig *
net_config_from_json_node(JsonNode *node, GError **error)
{
    g_autoptr(NetConfig) n = net_config_new();

    if (!vm_json_parse_object(node, "", net_fields, n, error))
        return NULL;
    net_fixup(node, n);
    return g_steal_pointer(&n);
}

static bool
j_net_one(JsonNode *elem, const char *path, guint i, void *data,
          GError **error)
{
    g_autoptr(NetConfig) n = net_config_new();

    if (!vm_json_parse_object(elem, path, net_fields, n, error))
        return false;
    net_fixup(elem, n);
    g_ptr_array_add(data, g_steal_pointer(&n));
    return true;
}

static bool
j_nets(JsonNode *node, const char *path, void *target, GError **error)
{
    return vm_json_parse_array(node, path, j_net_one, *(GPtrArray **)target,
                               error);
}

/* ---- Rng, consoles ------------------------------------------------------- */

static const JField rng_fields[] = {
    F_STR("id", RngConfig, id),
    U_INT("pci_segment", 0),
    U_EMPTY("pci_device_id"),
    F_BOOL("iommu", RngConfig, iommu),
    { .name = "src", .kind = JF_STRING, .required = true,
      .offset = offsetof(RngConfig, src) },
    F_END
};

static bool
j_console_mode(JsonNode *node, const char *path, void *target, GError **error)
{
    int m;

    if (!vm_json_is_string(node) ||
        (m = console_mode_from_string(json_node_get_string(node))) < 0)
        return vm_json_fail(error, path, "expected one of Off, Pty, Tty, "
                            "File, Socket or Null");
    *(ConsoleMode *)target = m;
    return true;
}

static const JField console_fields[] = {
    F_STR("file", ConsoleConfig, file),
    F_STR("socket", ConsoleConfig, socket),
    F_REQ_CUSTOM("mode", ConsoleConfig, mode, j_console_mode),
    F_BOOL("iommu", ConsoleConfig, iommu),
    F_STR("id", ConsoleConfig, id),
    U_INT("pci_segment", 0),
    U_EMPTY("pci_device_id"),
    F_END
};

/* CH writes the serial port with its ConsoleConfig struct, iommu included. */
static const JField serial_fields[] = {
    F_STR("file", ConsoleConfig, file),
    F_STR("socket", ConsoleConfig, socket),
    F_REQ_CUSTOM("mode", ConsoleConfig, mode, j_console_mode),
    U_BOOL("iommu", false),
    F_END
};

static const JField debug_console_fields[] = {
    F_STR("file", ConsoleConfig, file),
    F_REQ_CUSTOM("mode", ConsoleConfig, mode, j_console_mode),
    F_UINT("iobase", ConsoleConfig, iobase, 0, 0xffff),
    F_END
};

/* A console object replaces the default entirely (CH: no merging). */
static bool
j_console_common(JsonNode *node, const char *path, ConsoleConfig *out,
                 const JField *fields, GError **error)
{
    ConsoleConfig c;

    if (vm_json_is_null(node))
        return true;
    console_config_init(&c, CONSOLE_MODE_OFF);
    if (fields == debug_console_fields)
        c.iobase = VM_CONFIG_DEFAULT_DEBUG_IOBASE;
    if (!vm_json_parse_object(node, path, fields, &c, error)) {
        console_config_clear(&c);
        return false;
    }
    console_config_clear(out);
    *out = c;
    return true;
}

static bool
j_serial(JsonNode *node, const char *path, void *target, GError **error)
{
    return j_console_common(node, path, target, serial_fields, error);
}

static bool
j_console(JsonNode *node, const char *path, void *target, GError **error)
{
    return j_console_common(node, path, target, console_fields, error);
}

static bool
j_debug_console(JsonNode *node, const char *path, void *target, GError **error)
{
    return j_console_common(node, path, target, debug_console_fields, error);
}

/* ---- VmConfig ------------------------------------------------------------ */

static bool
j_cpus(JsonNode *node, const char *path, void *target, GError **error)
{
    return vm_json_is_null(node) ||
           vm_json_parse_object(node, path, cpus_fields, target, error);
}

static bool
j_memory(JsonNode *node, const char *path, void *target, GError **error)
{
    return vm_json_is_null(node) ||
           vm_json_parse_object(node, path, memory_fields, target, error);
}

static bool
j_payload(JsonNode *node, const char *path, void *target, GError **error)
{
    return vm_json_parse_object(node, path, payload_fields, target, error);
}

static bool
j_rng(JsonNode *node, const char *path, void *target, GError **error)
{
    return vm_json_is_null(node) ||
           vm_json_parse_object(node, path, rng_fields, target, error);
}

/* PlatformConfig with every key at its default is what CH writes for a VM
 * started without --platform; anything else is not implemented. */
static const JField platform_fields[] = {
    U_INT("num_pci_segments", 1),
    U_EMPTY("iommu_segments"),
    U_INT("iommu_address_width_bits", 64),
    U_EMPTY("system_serial_number"),
    U_EMPTY("serial_number"),
    U_EMPTY("system_uuid"),
    U_EMPTY("uuid"),
    U_EMPTY("oem_strings"),
    U_EMPTY("system_manufacturer"),
    U_EMPTY("system_product_name"),
    U_EMPTY("system_version"),
    U_EMPTY("system_family"),
    U_EMPTY("system_sku_number"),
    U_EMPTY("chassis_asset_tag"),
    U_BOOL("tdx", false),
    U_BOOL("sev_snp", false),
    U_BOOL("iommufd", false),
    U_BOOL("vfio_p2p_dma", true),
    F_END
};

static const JField vm_fields[] = {
    F_CUSTOM("cpus", VmConfig, cpus, j_cpus),
    F_CUSTOM("memory", VmConfig, memory, j_memory),
    F_REQ_CUSTOM("payload", VmConfig, payload, j_payload),
    U_EMPTY("rate_limit_groups"),
    F_CUSTOM("disks", VmConfig, disks, j_disks),
    F_CUSTOM("net", VmConfig, net, j_nets),
    F_CUSTOM("rng", VmConfig, rng, j_rng),
    U_EMPTY("balloon"),
    U_EMPTY("fs"),
    U_EMPTY("generic_vhost_user"),
    U_EMPTY("pmem"),
    F_CUSTOM("serial", VmConfig, serial, j_serial),
    F_CUSTOM("console", VmConfig, console, j_console),
    F_CUSTOM("debug_console", VmConfig, debug_console, j_debug_console),
    U_EMPTY("devices"),
    U_EMPTY("user_devices"),
    U_EMPTY("vdpa"),
    U_EMPTY("vsock"),
    U_EMPTY("numa"),
    F_BOOL("iommu", VmConfig, iommu),
    F_BOOL("watchdog", VmConfig, watchdog),
    U_EMPTY("rtc"),
    F_BOOL("pvpanic", VmConfig, pvpanic),
    U_EMPTY("pci_segments"),
    U_DEFAULTS("platform", platform_fields),
    U_EMPTY("tpm"),
    F_BOOL("landlock_enable", VmConfig, landlock_enable),
    U_EMPTY("landlock_rules"),
    F_END
};

VmConfig *
vm_config_from_json_node(JsonNode *node, GError **error)
{
    g_autoptr(VmConfig) c = vm_config_new();

    if (!node) {
        vm_json_fail(error, "", "empty document");
        return NULL;
    }
    if (!vm_json_parse_object(node, "", vm_fields, c, error))
        return NULL;
    return g_steal_pointer(&c);
}

VmConfig *
vm_config_from_json(const char *json, gssize len, GError **error)
{
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(GError) err = NULL;
    size_t n;

    if (!json) {
        vm_json_fail(error, "", "empty document");
        return NULL;
    }
    n = len < 0 ? strlen(json) : (size_t)len;
    /* Bounded first: json-glib recurses once per nesting level. */
    if (!json_text_depth_ok(json, n, VM_CONFIG_JSON_MAX_DEPTH)) {
        vm_json_fail(error, "", "nested deeper than %d levels",
                     VM_CONFIG_JSON_MAX_DEPTH);
        return NULL;
    }
    parser = json_parser_new_immutable();
    if (!json_parser_load_from_data(parser, json, (gssize)n, &err)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "invalid JSON: %s", err->message);
        return NULL;
    }
    return vm_config_from_json_node(json_parser_get_root(parser), error);
}

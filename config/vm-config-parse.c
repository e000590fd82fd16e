/* SPDX-License-Identifier: Apache-2.0 */
/* VmConfig from Cloud Hypervisor's CLI option values (--cpus, --disk...). */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "common/error-util.h"
#include "config/vm-config-opts.h"
#include "config/vm-config-priv.h"

/*
 * One parser per option.  Each parses into fresh values and only touches
 * the caller's struct once everything parsed, so a bad value leaves the
 * config as it was.  Syntax and type ranges are checked here; rules that
 * involve several fields or the host (boot <= max, files exist) are
 * vm_config_validate()'s, so that JSON configs get them too.
 */

/* Keys CH has for rate limiting, which nimbus does not implement yet. */
#define VM_OPT_RATE_LIMIT_KEYS                                                 \
    { "bw_size", VM_OPT_UNSUP_ALWAYS, NULL },                                  \
    { "bw_one_time_burst", VM_OPT_UNSUP_ALWAYS, NULL },                        \
    { "bw_refill_time", VM_OPT_UNSUP_ALWAYS, NULL },                           \
    { "ops_size", VM_OPT_UNSUP_ALWAYS, NULL },                                 \
    { "ops_one_time_burst", VM_OPT_UNSUP_ALWAYS, NULL },                       \
    { "ops_refill_time", VM_OPT_UNSUP_ALWAYS, NULL }

/* "--option: message"; returns false. */
#define parse_fail(error, option, ...)                                         \
    nimbus_fail_prefixed(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,       \
                         option, __VA_ARGS__)

bool
vm_config_parse_size(const char *s, uint64_t *out, GError **error)
{
    if (!vm_opts_str_to_size(s, out)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "invalid size '%s': expected bytes with an optional K, M, "
                    "G or T suffix, below 8 EiB", s ? s : "");
        return false;
    }
    return true;
}

/* "T:C:D:P" (CH's CpuTopology::from_str); each part bounded here so that
 * their product, checked against max in validation, cannot overflow. */
static bool
parse_topology(const VmOpts *o, CpuTopology **out, GError **error)
{
    g_autofree char *v = NULL;
    g_auto(GStrv) parts = NULL;
    uint64_t n[4];
    int i;

    if (!vm_opts_get_string(o, "topology", &v, error))
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
        return parse_fail(error, vm_opts_option(o),
                          "invalid value 'topology=%s': expected "
                          "threads_per_core:cores_per_die:dies_per_package:"
                          "packages, each between 1 and %u", v,
                          VM_CONFIG_MAX_VCPUS);
    *out = g_new0(CpuTopology, 1);
    (*out)->threads_per_core = (uint32_t)n[0];
    (*out)->cores_per_die = (uint32_t)n[1];
    (*out)->dies_per_package = (uint32_t)n[2];
    (*out)->packages = (uint32_t)n[3];
    return true;
}

bool
vm_config_parse_cpus(CpusConfig *cpus, const char *arg, GError **error)
{
    /* kvm_hyperv is listed as unsupported: only "off" gets through. */
    static const char *const known[] = {
        "boot", "max", "topology", "max_phys_bits", "affinity", "nested", NULL
    };
    static const VmOptUnsupported unsupported[] = {
        { "kvm_hyperv", VM_OPT_UNSUP_UNLESS_OFF, NULL },
        { "features", VM_OPT_UNSUP_UNLESS_STR, "[]" },
        { "core_scheduling", VM_OPT_UNSUP_UNLESS_STR, "vm" },
        { "profile", VM_OPT_UNSUP_ALWAYS, NULL },
        { NULL, 0, NULL }
    };
    g_autoptr(VmOpts) o = vm_opts_parse("--cpus", arg, error);
    g_autofree CpuTopology *topology = NULL;
    g_autoptr(GPtrArray) tuples = NULL;
    g_autoptr(GPtrArray) affinity = NULL;
    uint32_t boot = 1, max, phys = VM_CONFIG_DEFAULT_PHYS_BITS;
    bool nested = true;
    guint i;

    if (!o || !vm_opts_check_keys(o, known, unsupported, error) ||
        !vm_opts_get_u32(o, "boot", 1, VM_CONFIG_MAX_VCPUS, &boot, error))
        return false;
    max = boot;                 /* CH: max defaults to boot */
    if (!vm_opts_get_u32(o, "max", 1, VM_CONFIG_MAX_VCPUS, &max, error) ||
        !parse_topology(o, &topology, error) ||
        !vm_opts_get_u32(o, "max_phys_bits", 1, 64, &phys, error) ||
        !vm_opts_get_toggle(o, "nested", &nested, error) ||
        !vm_opts_get_tuple_list(o, "affinity", VM_CONFIG_MAX_VCPUS - 1,
                                VM_CONFIG_HOST_CPU_MAX, &tuples, error))
        return false;
    if (tuples) {
        affinity = vm_config_affinity_new();
        for (i = 0; i < tuples->len; i++) {
            VmOptsTuple *t = g_ptr_array_index(tuples, i);
            CpuAffinity *a = g_new0(CpuAffinity, 1);

            a->vcpu = t->id;
            a->host_cpus = g_array_ref(t->values);
            g_ptr_array_add(affinity, a);
        }
    }
    cpus_config_clear(cpus);
    cpus->boot_vcpus = boot;
    cpus->max_vcpus = max;
    cpus->topology = g_steal_pointer(&topology);
    cpus->kvm_hyperv = false;
    cpus->max_phys_bits = (uint8_t)phys;
    cpus->nested = nested;
    cpus->affinity = g_steal_pointer(&affinity);
    return true;
}

bool
vm_config_parse_memory(MemoryConfig *mem, const char *arg, GError **error)
{
    static const char *const known[] = {
        "size", "mergeable", "shared", "hugepages", "hugepage_size",
        "prefault", "reserve", "thp", "file", NULL
    };
    static const VmOptUnsupported unsupported[] = {
        { "hotplug_method", VM_OPT_UNSUP_UNLESS_STR, "acpi" },
        { "hotplug_size", VM_OPT_UNSUP_ALWAYS, NULL },
        { "hotplugged_size", VM_OPT_UNSUP_ALWAYS, NULL },
        { NULL, 0, NULL }
    };
    g_autoptr(VmOpts) o = vm_opts_parse("--memory", arg, error);
    g_autofree char *file = NULL;
    MemoryConfig m = {
        .size = VM_CONFIG_DEFAULT_MEMORY,
        .thp = true,
    };

    /* CH accepts "file=" at the top level and ignores it (zones use it);
     * so do we, so that CH command lines keep working. */
    if (!o || !vm_opts_check_keys(o, known, unsupported, error) ||
        !vm_opts_get_size(o, "size", &m.size, error) ||
        !vm_opts_get_toggle(o, "mergeable", &m.mergeable, error) ||
        !vm_opts_get_toggle(o, "shared", &m.shared, error) ||
        !vm_opts_get_toggle(o, "hugepages", &m.hugepages, error) ||
        !vm_opts_get_size(o, "hugepage_size", &m.hugepage_size, error) ||
        !vm_opts_get_toggle(o, "prefault", &m.prefault, error) ||
        !vm_opts_get_toggle(o, "reserve", &m.reserve, error) ||
        !vm_opts_get_toggle(o, "thp", &m.thp, error) ||
        !vm_opts_get_string(o, "file", &file, error))
        return false;
    *mem = m;
    return true;
}

/* The keys each console-like option takes, after CH's parsers. */
static bool
console_keys(const char *option, const char *const **known,
             const VmOptUnsupported **unsupported)
{
    static const char *const serial_keys[] = {
        "off", "null", "pty", "tty", "file", "socket", NULL
    };
    static const char *const console_keys_[] = {
        "off", "null", "pty", "tty", "file", "socket", "iommu", "id", NULL
    };
    static const char *const debug_keys[] = {
        "off", "pty", "tty", "file", "iobase", NULL
    };
    static const VmOptUnsupported console_unsup[] = {
        { "pci_segment", VM_OPT_UNSUP_UNLESS_STR, "0" },
        { "pci_device_id", VM_OPT_UNSUP_ALWAYS, NULL },
        { NULL, 0, NULL }
    };

    *unsupported = NULL;
    if (strcmp(option, "--serial") == 0) {
        *known = serial_keys;
    } else if (strcmp(option, "--console") == 0) {
        *known = console_keys_;
        *unsupported = console_unsup;
    } else if (strcmp(option, "--debug-console") == 0) {
        *known = debug_keys;
    } else {
        return false;
    }
    return true;
}

bool
vm_config_parse_console(ConsoleConfig *con, const char *option,
                        const char *arg, GError **error)
{
    static const struct {
        const char *key;
        ConsoleMode mode;
    } modes[] = {
        { "off", CONSOLE_MODE_OFF }, { "null", CONSOLE_MODE_NULL },
        { "pty", CONSOLE_MODE_PTY }, { "tty", CONSOLE_MODE_TTY },
        { "file", CONSOLE_MODE_FILE }, { "socket", CONSOLE_MODE_SOCKET },
    };
    const char *const *known;
    const VmOptUnsupported *unsupported;
    g_autoptr(VmOpts) o = NULL;
    const char *mode_key = NULL;
    ConsoleConfig c;
    uint64_t iobase = VM_CONFIG_DEFAULT_DEBUG_IOBASE;
    guint i;

    if (!console_keys(option, &known, &unsupported)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: not a console option", option);
        return false;
    }
    o = vm_opts_parse(option, arg, error);
    if (!o || !vm_opts_check_keys(o, known, unsupported, error))
        return false;
    console_config_init(&c, CONSOLE_MODE_OFF);
    for (i = 0; i < G_N_ELEMENTS(modes); i++) {
        bool present = false;

        if (!g_strv_contains(known, modes[i].key) ||
            !vm_opts_has(o, modes[i].key))
            continue;
        if (mode_key)
            return parse_fail(error, option,
                              "more than one mode ('%s' and '%s')", mode_key,
                              modes[i].key);
        mode_key = modes[i].key;
        c.mode = modes[i].mode;
        if (c.mode == CONSOLE_MODE_FILE || c.mode == CONSOLE_MODE_SOCKET)
            continue;
        if (!vm_opts_get_flag(o, mode_key, &present, error))
            return false;
    }
    if (!mode_key)
        return parse_fail(error, option, "no mode in '%s': expected one of %s",
                          arg, strcmp(option, "--debug-console") == 0 ?
                          "off, pty, tty or file=PATH" :
                          "off, null, pty, tty, file=PATH or socket=PATH");
    if (!vm_opts_get_string(o, "file", &c.file, error) ||
        !vm_opts_get_string(o, "socket", &c.socket, error) ||
        !vm_opts_get_toggle(o, "iommu", &c.iommu, error) ||
        !vm_opts_get_string(o, "id", &c.id, error) ||
        !vm_opts_get_u64(o, "iobase", 0, 0xffff, &iobase, error)) {
        console_config_clear(&c);
        return false;
    }
    if (strcmp(option, "--debug-console") == 0)
        c.iobase = iobase;
    console_config_clear(con);
    *con = c;
    return true;
}

/* Type ranges only; which segment and slot exist is validation's call. */
static bool
parse_pci(const VmOpts *o, uint16_t *segment, int *device_id, GError **error)
{
    uint64_t seg = *segment, dev = G_MAXUINT64;

    if (!vm_opts_get_u64(o, "pci_segment", 0, G_MAXUINT16, &seg, error) ||
        !vm_opts_get_u64(o, "pci_device_id", 0, G_MAXUINT8, &dev, error))
        return false;
    *segment = (uint16_t)seg;
    if (dev != G_MAXUINT64)
        *device_id = (int)dev;
    return true;
}

DiskConfig *
vm_config_parse_disk(const char *arg, GError **error)
{
    static const char *const known[] = {
        "path", "readonly", "direct", "iommu", "num_queues", "queue_size",
        "id", "serial", "image_type", "pci_segment", "pci_device_id", NULL
    };
    static const VmOptUnsupported unsupported[] = {
        { "vhost_user", VM_OPT_UNSUP_UNLESS_OFF, NULL },
        { "socket", VM_OPT_UNSUP_ALWAYS, NULL },
        VM_OPT_RATE_LIMIT_KEYS,
        { "rate_limit_group", VM_OPT_UNSUP_ALWAYS, NULL },
        { "queue_affinity", VM_OPT_UNSUP_ALWAYS, NULL },
        { "backing_files", VM_OPT_UNSUP_UNLESS_OFF, NULL },
        { "sparse", VM_OPT_UNSUP_UNLESS_ON, NULL },
        { "lock_granularity", VM_OPT_UNSUP_UNLESS_STR, "byte-range" },
        { "_disable_io_uring", VM_OPT_UNSUP_UNLESS_OFF, NULL },
        { "_disable_aio", VM_OPT_UNSUP_UNLESS_OFF, NULL },
        { NULL, 0, NULL }
    };
    /* CH's CLI spellings of image_type, in ImageType order; which of them
     * nimbus can open is vm_config_validate()'s rule.  vmdk has no
     * ImageType (CH's JSON cannot say it either). */
    static const char *const cli_types[] = {
        [IMAGE_TYPE_RAW] = "raw", [IMAGE_TYPE_QCOW2] = "qcow2",
        [IMAGE_TYPE_FIXED_VHD] = "vhd", [IMAGE_TYPE_VHDX] = "vhdx",
    };
    guint t;
    g_autoptr(VmOpts) o = vm_opts_parse("--disk", arg, error);
    g_autoptr(DiskConfig) d = disk_config_new();
    g_autofree char *type = NULL;

    if (!o || !vm_opts_check_keys(o, known, unsupported, error) ||
        !vm_opts_get_string(o, "path", &d->path, error) ||
        !vm_opts_get_toggle(o, "readonly", &d->readonly, error) ||
        !vm_opts_get_toggle(o, "direct", &d->direct, error) ||
        !vm_opts_get_toggle(o, "iommu", &d->iommu, error) ||
        !vm_opts_get_u32(o, "num_queues", 1, VM_CONFIG_DISK_QUEUES_MAX,
                         &d->num_queues, error) ||
        !vm_opts_get_u32(o, "queue_size", 1, VM_CONFIG_QUEUE_SIZE_MAX,
                         &d->queue_size, error) ||
        !vm_opts_get_string(o, "id", &d->id, error) ||
        !vm_opts_get_string(o, "serial", &d->serial, error) ||
        !vm_opts_get_string(o, "image_type", &type, error) ||
        !parse_pci(o, &d->pci_segment, &d->pci_device_id, error))
        return NULL;
    if (type) {
        for (t = 0; t < G_N_ELEMENTS(cli_types); t++) {
            if (g_ascii_strcasecmp(type, cli_types[t]) == 0)
                break;
        }
        if (t < G_N_ELEMENTS(cli_types)) {
            d->image_type = (ImageType)t;
        } else if (g_ascii_strcasecmp(type, "vmdk") == 0) {
            parse_fail(error, "--disk", "image_type=%s is not supported yet",
                       type);
            return NULL;
        } else {
            parse_fail(error, "--disk", "invalid value 'image_type=%s': "
                       "expected raw, qcow2, vhd, vhdx or vmdk", type);
            return NULL;
        }
    }
    if (!d->path) {
        parse_fail(error, "--disk", "path=<image> is required in '%s'", arg);
        return NULL;
    }
    return g_steal_pointer(&d);
}

NetConfig *
vm_config_parse_net(const char *arg, GError **error)
{
    static const char *const known[] = {
        "tap", "ip", "mask", "mac", "host_mac", "mtu", "fd", "iommu",
        "num_queues", "queue_size", "id", "pci_segment", "pci_device_id",
        "offload_tso", "offload_ufo", "offload_csum", NULL
    };
    static const VmOptUnsupported unsupported[] = {
        { "vhost_user", VM_OPT_UNSUP_UNLESS_OFF, NULL },
        { "socket", VM_OPT_UNSUP_ALWAYS, NULL },
        { "vhost_mode", VM_OPT_UNSUP_UNLESS_STR, "client" },
        VM_OPT_RATE_LIMIT_KEYS,
        { NULL, 0, NULL }
    };
    g_autoptr(VmOpts) o = vm_opts_parse("--net", arg, error);
    g_autoptr(NetConfig) n = net_config_new();
    g_autoptr(GArray) fds = NULL;

    if (!o || !vm_opts_check_keys(o, known, unsupported, error) ||
        !vm_opts_get_string(o, "tap", &n->tap, error) ||
        !vm_opts_get_string(o, "ip", &n->ip, error) ||
        !vm_opts_get_string(o, "mask", &n->mask, error) ||
        !vm_opts_get_string(o, "mac", &n->mac, error) ||
        !vm_opts_get_string(o, "host_mac", &n->host_mac, error) ||
        !vm_opts_get_u32(o, "mtu", VM_CONFIG_MTU_MIN, VM_CONFIG_MTU_MAX,
                         &n->mtu, error) ||
        !vm_opts_get_u32_list(o, "fd", G_MAXINT, &fds, error) ||
        !vm_opts_get_toggle(o, "iommu", &n->iommu, error) ||
        !vm_opts_get_u32(o, "num_queues", 1, VM_CONFIG_NET_QUEUES_MAX,
                         &n->num_queues, error) ||
        !vm_opts_get_u32(o, "queue_size", 1, VM_CONFIG_QUEUE_SIZE_MAX,
                         &n->queue_size, error) ||
        !vm_opts_get_string(o, "id", &n->id, error) ||
        !parse_pci(o, &n->pci_segment, &n->pci_device_id, error) ||
        !vm_opts_get_toggle(o, "offload_tso", &n->offload_tso, error) ||
        !vm_opts_get_toggle(o, "offload_ufo", &n->offload_ufo, error) ||
        !vm_opts_get_toggle(o, "offload_csum", &n->offload_csum, error))
        return NULL;
    if (fds && fds->len > VM_CONFIG_NET_QUEUES_MAX / 2) {
        parse_fail(error, "--net", "fd=[...] lists %u fds; at most %u (one "
                   "per queue pair)", fds->len, VM_CONFIG_NET_QUEUES_MAX / 2);
        return NULL;
    }
    if (fds && fds->len) {
        /* uint32_t and int have the same size; the values are <= INT_MAX. */
        n->fds = g_steal_pointer(&fds);
        /* One fd per RX/TX pair: without num_queues, the fds decide it. */
        if (!vm_opts_has(o, "num_queues"))
            n->num_queues = 2 * n->fds->len;
    }
    return g_steal_pointer(&n);
}

bool
vm_config_parse_rng(RngConfig *rng, const char *arg, GError **error)
{
    static const char *const known[] = { "src", "iommu", NULL };
    static const VmOptUnsupported unsupported[] = {
        { "pci_segment", VM_OPT_UNSUP_UNLESS_STR, "0" },
        { "pci_device_id", VM_OPT_UNSUP_ALWAYS, NULL },
        { NULL, 0, NULL }
    };
    g_autoptr(VmOpts) o = vm_opts_parse("--rng", arg, error);
    g_autofree char *src = g_strdup(VM_CONFIG_DEFAULT_RNG);
    bool iommu = false;

    if (!o || !vm_opts_check_keys(o, known, unsupported, error) ||
        !vm_opts_get_string(o, "src", &src, error) ||
        !vm_opts_get_toggle(o, "iommu", &iommu, error))
        return false;
    g_free(rng->src);
    rng->src = g_steal_pointer(&src);
    rng->iommu = iommu;
    return true;
}

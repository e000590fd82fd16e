/* SPDX-License-Identifier: Apache-2.0 */
/* Validate: semantic checks on a post-parsed DomainDef. */
#include <config.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>

#include "driver/xml/domain-priv.h"
#include "driver/xml/iommu.h"
#include "driver/xml/memory-backing.h"
#include "driver/xml/numa.h"

/*
 * Errors: DRV_ERROR_INVALID_ARG for values that are wrong whatever the
 * hypervisor (duplicate targets, relative paths, counts out of range),
 * DRV_ERROR_CONFIG_UNSUPPORTED for valid libvirt configurations nimbus
 * cannot run (a SATA disk, a qcow2 image).  Each message names the element
 * and the value.
 */

static bool
check_abs_path(const char *what, const char *path, GError **error)
{
    if (path && path[0] == '/')
        return true;
    drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                  "%s '%s' must be an absolute path", what, path ? path : "");
    return false;
}

/* Characters that reorder the text around them (Unicode bidi controls:
 * ALM, LRM, RLM, LRE..RLO, LRI..PDI). */
static bool
is_bidi_control(gunichar c)
{
    return c == 0x061c || c == 0x200e || c == 0x200f ||
           (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

bool
domain_name_check(const char *name, GError **error)
{
    g_autofree char *shown = NULL;
    const char *p;
    size_t len;

    if (!name || !*name) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "domain name must not be empty");
        return false;
    }
    /* Escaped in messages: the name may hold what we refuse to show. */
    shown = g_strescape(name, NULL);
    len = strlen(name);
    if (len > DOMAIN_NAME_MAX) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "domain name is %zu bytes long; at most %d are allowed",
                      len, DOMAIN_NAME_MAX);
        return false;
    }
    if (!g_utf8_validate(name, (gssize)len, NULL)) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "domain name '%s' is not valid UTF-8", shown);
        return false;
    }
    /* The name becomes a file name under the config and state dirs. */
    if (strchr(name, '/')) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "domain name '%s' must not contain '/'", shown);
        return false;
    }
    if (name[0] == '.') {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "domain name '%s' must not start with '.'", shown);
        return false;
    }
    for (p = name; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (g_unichar_type(c) == G_UNICODE_CONTROL || is_bidi_control(c)) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "domain name '%s' contains the %s character U+%04X",
                          shown, is_bidi_control(c) ? "bidirectional formatting"
                                                    : "control", c);
            return false;
        }
    }
    if (g_unichar_isspace(g_utf8_get_char(name)) ||
        g_unichar_isspace(g_utf8_get_char(g_utf8_prev_char(name + len)))) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "domain name '%s' must not start or end with white space",
                      shown);
        return false;
    }
    return true;
}

static bool
validate_general(const DomainDef *def, GError **error)
{
    if (!domain_name_check(def->name, error))
        return false;
    if (def->title && strchr(def->title, '\n')) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "title must not contain newlines");
        return false;
    }
    if (def->max_memory_kib == 0) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "memory size must be greater than 0");
        return false;
    }
    if (def->current_memory_kib > def->max_memory_kib) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "currentMemory (%" G_GUINT64_FORMAT " KiB) must not exceed memory (%" G_GUINT64_FORMAT " KiB)",
                      (guint64)def->current_memory_kib,
                      (guint64)def->max_memory_kib);
        return false;
    }
    if (def->max_vcpus == 0 || def->max_vcpus > DOMAIN_MAX_VCPUS) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "vcpu count %u is out of range (1 to %d)",
                      def->max_vcpus, DOMAIN_MAX_VCPUS);
        return false;
    }
    if (def->vcpus == 0 || def->vcpus > def->max_vcpus) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "current vcpu count %u must be between 1 and the maximum %u",
                      def->vcpus, def->max_vcpus);
        return false;
    }
    return true;
}

static bool
validate_cpu(const DomainDef *def, GError **error)
{
    const DomainCpuDef *cpu = &domain_def_priv(def)->cpu;
    uint64_t product;

    if (!cpu->has_topology)
        return true;
    product = (uint64_t)cpu->sockets * cpu->dies * cpu->cores * cpu->threads;
    /* libvirt requires the topology to describe exactly the maximum
     * vCPU count; CH checks the same for cpus.topology. */
    if (product != def->max_vcpus) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "CPU topology (sockets=%u dies=%u cores=%u threads=%u: %" G_GUINT64_FORMAT " vCPUs) doesn't match maximum vcpu count %u",
                      cpu->sockets, cpu->dies, cpu->cores, cpu->threads,
                      (guint64)product, def->max_vcpus);
        return false;
    }
    return true;
}

static bool
validate_os(const DomainDef *def, GError **error)
{
    const DomainOsDef *os = &domain_def_priv(def)->os;

    if (!domain_os_machine_canonical(os->machine)) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "machine type '%s' is not supported by nimbus (use 'nimbus', or its aliases 'q35' and 'pc')",
                      os->machine);
        return false;
    }
    if (os->loader_type == DOMAIN_LOADER_TYPE_PFLASH) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "os loader type 'pflash' is not supported by nimbus (use a PVH firmware with type='rom')");
        return false;
    }
    if (os->loader && os->kernel) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "os <loader> and <kernel> together are not supported by nimbus (boot either a kernel or a PVH firmware)");
        return false;
    }
    if (!os->loader && !os->kernel) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "nimbus needs os <kernel> (direct kernel boot) or <loader> (PVH firmware such as hypervisor-fw)");
        return false;
    }
    if ((os->initrd || os->cmdline) && !os->kernel) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "os <initrd> and <cmdline> need a <kernel>");
        return false;
    }
    if ((os->loader && !check_abs_path("os loader", os->loader, error)) ||
        (os->kernel && !check_abs_path("os kernel", os->kernel, error)) ||
        (os->initrd && !check_abs_path("os initrd", os->initrd, error)))
        return false;
    if (os->cmdline && strlen(os->cmdline) >= DOMAIN_CMDLINE_MAX) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "os cmdline is too long (%zu bytes, limit %d)",
                      strlen(os->cmdline), DOMAIN_CMDLINE_MAX - 1);
        return false;
    }
    return true;
}

static bool
validate_lifecycle(const DomainDef *def, GError **error)
{
    const struct {
        const char *element;
        DomainLifecycleAction action;
        bool preserve;
    } events[] = {
        { "on_poweroff", def->on_poweroff, false },
        { "on_reboot", def->on_reboot, false },
        /* A panicked guest can be kept, paused, for inspection. */
        { "on_crash", def->on_crash, true },
    };

    /* nimbusd either stops the VMM or lets the guest reboot in place; it
     * takes no core dumps. */
    for (guint i = 0; i < G_N_ELEMENTS(events); i++) {
        if (events[i].action == DOMAIN_LIFECYCLE_DESTROY ||
            events[i].action == DOMAIN_LIFECYCLE_RESTART ||
            (events[i].preserve &&
             events[i].action == DOMAIN_LIFECYCLE_PRESERVE))
            continue;
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "%s action '%s' is not supported by nimbus (use 'destroy', 'restart'%s)",
                      events[i].element,
                      domain_lifecycle_to_string(events[i].action),
                      events[i].preserve ? " or 'preserve'" : "");
        return false;
    }
    return true;
}

/* libvirt's virDiskNameParse without partitions: prefix + letters. */
static bool
disk_target_valid(const char *dst)
{
    static const char *const prefixes[] = { "vd", "sd", "hd", "xvd", "ubd",
                                            "fd" };

    for (guint i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        const char *p = dst + strlen(prefixes[i]);

        if (!g_str_has_prefix(dst, prefixes[i]) || !*p)
            continue;
        for (; *p; p++) {
            if (!g_ascii_islower(*p))
                return false;
        }
        return true;
    }
    return false;
}

/* What a message calls a disk's source: its file, volume or socket. */
static const char *
disk_source_name(const DomainDiskDef *disk)
{
    return disk->src ? disk->src :
           disk->src_volume ? disk->src_volume : disk->vhost_path;
}

/* The rules of a disk whose image nimbus opens (type file or volume). */
static bool
validate_disk_image(const DomainDiskDef *disk, GError **error)
{
    /* 'vpc' is libvirt's (and QEMU's) name for VHD. */
    if (strcmp(disk->driver_type, "raw") != 0 &&
        strcmp(disk->driver_type, "qcow2") != 0 &&
        strcmp(disk->driver_type, "vpc") != 0 &&
        strcmp(disk->driver_type, "vhdx") != 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "disk format '%s' is not supported by nimbus "
                      "(target '%s'; only 'raw', 'qcow2', 'vpc' and "
                      "'vhdx')",
                      disk->driver_type, disk->dst);
        return false;
    }
    /* A volume's path is libvirtd's, resolved at define and start. */
    if (!disk->src && !disk->src_volume) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "disk '%s' has no <source file=...>", disk->dst);
        return false;
    }
    if (disk->src && !check_abs_path("disk source", disk->src, error))
        return false;
    return domain_disk_iotune_validate(&disk->iotune, disk->dst, error);
}

static bool
validate_disks(const DomainDef *def, GError **error)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_DISK);

    for (guint i = 0; i < n; i++) {
        const DomainDiskDef *disk = domain_def_device(def, DOMAIN_DEVICE_DISK, i);

        if (!disk_target_valid(disk->dst)) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "disk target '%s' is not a disk name (e.g. 'vda')",
                          disk->dst);
            return false;
        }
        if (disk->bus != DOMAIN_DISK_BUS_VIRTIO) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "disk bus '%s' is not supported by nimbus (target '%s'; only 'virtio')",
                          domain_disk_bus_to_string(disk->bus), disk->dst);
            return false;
        }
        /* The back end owns the image: no file rule applies. */
        if (disk->vhost_path) {
            if (!domain_disk_vhostuser_validate(def, disk, error))
                return false;
        } else if (!validate_disk_image(disk, error)) {
            return false;
        }
        for (guint j = 0; j < i; j++) {
            const DomainDiskDef *o = domain_def_device(def, DOMAIN_DEVICE_DISK, j);

            if (strcmp(o->dst, disk->dst) == 0) {
                drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                              "target '%s' duplicated for disk sources '%s' and '%s'",
                              disk->dst, disk_source_name(o),
                              disk_source_name(disk));
                return false;
            }
            /* One back end socket serves one front end: two would be
             * two writers of one image. */
            if (disk->vhost_path &&
                g_strcmp0(o->vhost_path, disk->vhost_path) == 0) {
                drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                              "disks '%s' and '%s' use the same vhostuser "
                              "source path '%s'",
                              o->dst, disk->dst, disk->vhost_path);
                return false;
            }
        }
    }
    return domain_disk_iotune_validate_groups(def, error);
}

static bool
validate_net(const DomainDef *def, const DomainNetDef *net, guint i,
             GError **error)
{
    char mac[18];

    xml_mac_format(net->mac, mac);
    if (strcmp(net->model, "virtio") != 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "interface model '%s' is not supported by nimbus (only 'virtio')",
                      net->model);
        return false;
    }
    /* Bit 0 of the first octet marks group addresses (IEEE 802). */
    if (net->mac[0] & 1) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "expected unicast mac address, found multicast '%s'",
                      mac);
        return false;
    }
    if (net->ifname) {
        if (!*net->ifname || strlen(net->ifname) >= IFNAMSIZ ||
            strpbrk(net->ifname, "/ \t\n:") ||
            strcmp(net->ifname, ".") == 0 || strcmp(net->ifname, "..") == 0) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "interface target dev '%s' is not a valid network interface name (at most %d characters, no '/', ':' or spaces)",
                          net->ifname, IFNAMSIZ - 1);
            return false;
        }
    }
    if (net->ip_address) {
        struct in_addr addr;

        if (inet_pton(AF_INET, net->ip_address, &addr) != 1 ||
            net->ip_prefix > 32) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "interface ip '%s' (prefix %d) is not an IPv4 address and prefix",
                          net->ip_address, net->ip_prefix);
            return false;
        }
    }
    if (net->rx_queue_size != net->tx_queue_size) {
        /* virtio-net in CH has one queue_size for both directions. */
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "interface '%s': rx_queue_size and tx_queue_size must be equal",
                      mac);
        return false;
    }
    if (!domain_net_bandwidth_validate(&net->bandwidth, mac, error))
        return false;
    if (net->type == DOMAIN_NET_TYPE_VHOSTUSER &&
        !domain_net_vhostuser_validate(def, net, error))
        return false;
    for (guint j = 0; j < i; j++) {
        const DomainNetDef *o = domain_def_device(def, DOMAIN_DEVICE_NET, j);

        if (net->ifname && o->ifname && strcmp(net->ifname, o->ifname) == 0) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "interface target dev '%s' is used twice",
                          net->ifname);
            return false;
        }
        if (memcmp(net->mac, o->mac, 6) == 0) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "mac address '%s' is used by two interfaces", mac);
            return false;
        }
    }
    return true;
}

static bool
validate_chr_source(const char *element, const DomainChrDef *chr,
                    GError **error)
{
    if (chr->log_file) {
        g_autofree char *what = g_strdup_printf("%s log file", element);

        /* nimbusd copies a pty's output; a file already keeps it. */
        if (chr->type != DOMAIN_CHR_PTY) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "%s <log> is supported by nimbus only on type 'pty' (a type 'file' %s keeps its output in its file)",
                          element, element);
            return false;
        }
        if (!check_abs_path(what, chr->log_file, error))
            return false;
    }
    if (chr->type == DOMAIN_CHR_FILE) {
        g_autofree char *what = g_strdup_printf("%s source path", element);
        return check_abs_path(what, chr->path, error);
    }
    return true;
}

/* nimbus has one 16550 (COM1) and one virtio-console, like CH. */
static bool
validate_chrs(const DomainDef *def, GError **error)
{
    guint nserial = domain_def_ndevices(def, DOMAIN_DEVICE_SERIAL);
    guint nconsole = domain_def_ndevices(def, DOMAIN_DEVICE_CONSOLE);
    guint nvirtio = 0;

    if (nserial > 1) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "nimbus supports one serial device, got %u", nserial);
        return false;
    }
    if (nserial) {
        const DomainChrDef *s = domain_def_device(def, DOMAIN_DEVICE_SERIAL, 0);

        if (s->target_type != DOMAIN_SERIAL_TARGET_NONE &&
            s->target_type != DOMAIN_SERIAL_TARGET_ISA) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "serial target type '%s' is not supported by nimbus (only 'isa-serial')",
                          domain_serial_target_to_string(s->target_type));
            return false;
        }
        if (s->target_model && strcmp(s->target_model, "isa-serial") != 0) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "serial model '%s' is not supported by nimbus (only 'isa-serial')",
                          s->target_model);
            return false;
        }
        /* One 16550 at COM1 (0x3f8). */
        if (s->target_port != 0) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "serial port %d is not supported by nimbus (only port 0)",
                          s->target_port);
            return false;
        }
        if (!validate_chr_source("serial", s, error))
            return false;
    }
    for (guint i = 0; i < nconsole; i++) {
        const DomainChrDef *c = domain_def_device(def, DOMAIN_DEVICE_CONSOLE, i);

        if (c->target_type == DOMAIN_CONSOLE_TARGET_SERIAL && i > 0) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "only the first console can be a serial port");
            return false;
        }
        if (c->target_type == DOMAIN_CONSOLE_TARGET_VIRTIO) {
            nvirtio++;
        } else if (c->target_type != DOMAIN_CONSOLE_TARGET_SERIAL) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "console target type '%s' is not supported by nimbus (use 'serial' or 'virtio')",
                          domain_console_target_to_string(c->target_type));
            return false;
        }
        if (!validate_chr_source("console", c, error))
            return false;
    }
    if (nvirtio > 1) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "nimbus supports one virtio console, got %u", nvirtio);
        return false;
    }
    return true;
}

static bool
validate_misc_devices(const DomainDef *def, GError **error)
{
    guint nrng = domain_def_ndevices(def, DOMAIN_DEVICE_RNG);
    guint nballoon = domain_def_ndevices(def, DOMAIN_DEVICE_MEMBALLOON);
    guint nctrl = domain_def_ndevices(def, DOMAIN_DEVICE_CONTROLLER);

    if (nrng > 1) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "nimbus supports one rng device, got %u", nrng);
        return false;
    }
    /* CH has one "vsock" and one "pvpanic" (vmconfig.c maps them). */
    if (domain_def_ndevices(def, DOMAIN_DEVICE_VSOCK) > 1) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "only one <vsock> device is supported");
        return false;
    }
    if (domain_def_ndevices(def, DOMAIN_DEVICE_TPM) > 1) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "only one <tpm> device is supported");
        return false;
    }
    if (domain_def_ndevices(def, DOMAIN_DEVICE_PANIC) > 1) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "only one <panic> device is supported");
        return false;
    }
    /* CH has one ivshmem (shmem.c maps it). */
    if (domain_def_ndevices(def, DOMAIN_DEVICE_SHMEM) > 1) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "only one <shmem> device is supported");
        return false;
    }
    /* nimbus_watchdog is one device (watchdog.c maps it). */
    if (domain_def_ndevices(def, DOMAIN_DEVICE_WATCHDOG) > 1) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "only one <watchdog> device is supported");
        return false;
    }
    if (nrng) {
        const DomainRngDef *rng = domain_def_device(def, DOMAIN_DEVICE_RNG, 0);

        if (!rng->model || strcmp(rng->model, "virtio") != 0) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "rng model '%s' is not supported by nimbus (only 'virtio')",
                          rng->model ? rng->model : "");
            return false;
        }
        if (!check_abs_path("rng backend", rng->backend_path, error))
            return false;
    }
    if (nballoon > 1) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "nimbus supports one memballoon, got %u", nballoon);
        return false;
    }
    if (nballoon) {
        const DomainMemballoonDef *b =
            domain_def_device(def, DOMAIN_DEVICE_MEMBALLOON, 0);

        if (!b->model || (strcmp(b->model, "virtio") != 0 &&
                          strcmp(b->model, "none") != 0)) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "memballoon model '%s' is not supported by nimbus (use 'virtio' or 'none')",
                          b->model ? b->model : "");
            return false;
        }
    }
    for (guint i = 0; i < nctrl; i++) {
        const DomainControllerDef *c =
            domain_def_device(def, DOMAIN_DEVICE_CONTROLLER, i);

        for (guint j = 0; j < i; j++) {
            const DomainControllerDef *o =
                domain_def_device(def, DOMAIN_DEVICE_CONTROLLER, j);

            /* USB companions share their master's index. */
            if (o->type == c->type && o->index == c->index &&
                c->master_startport < 0 && o->master_startport < 0) {
                drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                              "multiple '%s' controllers with index '%" G_GINT64_FORMAT "'",
                              domain_controller_type_to_string(c->type),
                              (gint64)c->index);
                return false;
            }
        }
    }
    return true;
}

/* Aliases and boot orders are unique across all devices. */
/* libvirt's rules: aliases name devices in the monitor (here: VmConfig
 * ids), boot orders must be a strict order, and per-device boot orders
 * replace <os><boot>. */
static bool
validate_device_infos(const DomainDef *def, GError **error)
{
    g_autoptr(GHashTable) aliases = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) orders = g_hash_table_new(NULL, NULL);
    bool os_boot = false;

    for (int t = 0; t < DOMAIN_DEVICE_LAST; t++) {
        const DomainDeviceClass *cls = domain_device_classes[t];

        for (guint i = 0; i < domain_def_ndevices(def, t); i++) {
            const DomainDeviceInfo *info =
                cls->info(domain_def_device(def, t, i));

            /* A console alias of the serial shares nothing but its
             * source, so its own alias is checked like any other. */
            if (info->alias && !g_hash_table_add(aliases, info->alias)) {
                drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                              "non unique alias detected: %s", info->alias);
                return false;
            }
            if (info->boot_order &&
                !g_hash_table_add(orders,
                                  GUINT_TO_POINTER(info->boot_order))) {
                drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                              "boot order '%u' used for more than one device",
                              info->boot_order);
                return false;
            }
        }
    }
    os_boot = domain_def_priv(def)->os.boot_devs->len > 0;
    if (os_boot && g_hash_table_size(orders) > 0) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "per-device boot elements cannot be used together with os/boot elements");
        return false;
    }
    return true;
}

bool
domain_def_validate(const DomainDef *def, GError **error)
{
    guint nnet = domain_def_ndevices(def, DOMAIN_DEVICE_NET);

    if (!validate_general(def, error) || !validate_cpu(def, error) ||
        !domain_cputune_validate(def, error) ||
        !domain_sysinfo_validate(def, error) ||
        !validate_os(def, error) || !validate_lifecycle(def, error) ||
        !validate_disks(def, error))
        return false;
    for (guint i = 0; i < nnet; i++) {
        if (!validate_net(def, domain_def_device(def, DOMAIN_DEVICE_NET, i), i,
                          error))
            return false;
    }
    return validate_chrs(def, error) && validate_misc_devices(def, error) &&
           domain_memory_validate(def, error) &&
           domain_numa_validate(def, error) &&
           domain_memory_backing_validate(def, error) &&
           domain_fs_validate(def, error) &&
           domain_iommu_validate(def, error) &&
           validate_device_infos(def, error);
}

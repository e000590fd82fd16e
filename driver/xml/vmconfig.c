/* SPDX-License-Identifier: Apache-2.0 */
/* domain_def_to_vmconfig_json(): a DomainDef as the VmConfig body of vm.create. */
#include <config.h>

#include <json-glib/json-glib.h>

#include "driver/xml/domain-priv.h"

/*
 * Mapping (docs/xml-format.md has the full table):
 *   <vcpu current=C>M</vcpu>     cpus.boot_vcpus=C, max_vcpus=M
 *   <cpu><topology>              cpus.topology (packages=sockets, ...)
 *   <currentMemory>              memory.size in bytes.  nimbus has no
 *                                balloon, so the guest boots with what
 *                                libvirt reports as its current memory
 *                                (libvirt's CH driver does the same).
 *   <os><kernel|initrd|cmdline>  payload.kernel/initramfs/cmdline
 *   <os><loader>                 payload.firmware (PVH, e.g. hypervisor-fw)
 *   <disk>                       disks[]: path, readonly, direct (cache
 *                                none/directsync), serial, image_type Raw,
 *                                id = user alias or target dev
 *   <interface type=ethernet>    net[]: tap = target dev, mac, ip/mask, mtu,
 *                                num_queues = 2 x driver queues, queue_size
 *   <rng>                        rng.src
 *   <serial>                     serial: Pty | File; none -> Null
 *   <console target=virtio>      console: Pty | File; none -> Off
 * Everything else (features, clock, pm, controllers, memballoon, emulator,
 * boot order, addresses) is kept in the definition and needs no VMM setting.
 */

static void
add_str(JsonBuilder *b, const char *key, const char *value)
{
    if (!value)
        return;
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, value);
}

static void
add_int(JsonBuilder *b, const char *key, gint64 value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, value);
}

static void
add_bool(JsonBuilder *b, const char *key, bool value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_boolean_value(b, value);
}

static void
build_cpus(JsonBuilder *b, const DomainDef *def)
{
    const DomainCpuDef *cpu = &domain_def_priv(def)->cpu;

    json_builder_set_member_name(b, "cpus");
    json_builder_begin_object(b);
    add_int(b, "boot_vcpus", def->vcpus);
    add_int(b, "max_vcpus", def->max_vcpus);
    if (cpu->has_topology) {
        json_builder_set_member_name(b, "topology");
        json_builder_begin_object(b);
        add_int(b, "threads_per_core", cpu->threads);
        add_int(b, "cores_per_die", cpu->cores);
        add_int(b, "dies_per_package", cpu->dies);
        add_int(b, "packages", cpu->sockets);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
}

static void
build_payload(JsonBuilder *b, const DomainOsDef *os)
{
    json_builder_set_member_name(b, "payload");
    json_builder_begin_object(b);
    add_str(b, "firmware", os->loader);
    add_str(b, "kernel", os->kernel);
    add_str(b, "cmdline", os->cmdline);
    add_str(b, "initramfs", os->initrd);
    json_builder_end_object(b);
}

static void
build_disks(JsonBuilder *b, const DomainDef *def)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_DISK);

    if (!n)
        return;
    json_builder_set_member_name(b, "disks");
    json_builder_begin_array(b);
    for (guint i = 0; i < n; i++) {
        const DomainDiskDef *d = domain_def_device(def, DOMAIN_DEVICE_DISK, i);

        json_builder_begin_object(b);
        add_str(b, "path", d->src);
        add_bool(b, "readonly", d->readonly);
        /* cache='none' and 'directsync' bypass the host page cache. */
        add_bool(b, "direct", d->cache == DOMAIN_DISK_CACHE_NONE ||
                                  d->cache == DOMAIN_DISK_CACHE_DIRECTSYNC);
        add_str(b, "id", d->info.alias ? d->info.alias : d->dst);
        add_str(b, "serial", d->serial);
        /* Never autodetect: validate() allows raw only. */
        add_str(b, "image_type", "Raw");
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static char *
prefix_to_netmask(int prefix)
{
    guint32 mask = prefix <= 0 ? 0 : 0xffffffffu << (32 - prefix);

    return g_strdup_printf("%u.%u.%u.%u", mask >> 24, (mask >> 16) & 0xff,
                           (mask >> 8) & 0xff, mask & 0xff);
}

static void
build_nets(JsonBuilder *b, const DomainDef *def)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_NET);

    if (!n)
        return;
    json_builder_set_member_name(b, "net");
    json_builder_begin_array(b);
    for (guint i = 0; i < n; i++) {
        const DomainNetDef *net = domain_def_device(def, DOMAIN_DEVICE_NET, i);
        g_autofree char *id = net->info.alias ? g_strdup(net->info.alias)
                                              : g_strdup_printf("net%u", i);
        char mac[18];

        xml_mac_format(net->mac, mac);
        json_builder_begin_object(b);
        add_str(b, "tap", net->ifname);
        add_str(b, "mac", mac);
        if (net->ip_address) {
            g_autofree char *mask =
                prefix_to_netmask(net->ip_prefix >= 0 ? net->ip_prefix : 24);

            add_str(b, "ip", net->ip_address);
            add_str(b, "mask", mask);
        }
        if (net->mtu)
            add_int(b, "mtu", net->mtu);
        /* One RX and one TX virtqueue per queue pair. */
        if (net->queues)
            add_int(b, "num_queues", 2 * (gint64)net->queues);
        if (net->rx_queue_size)
            add_int(b, "queue_size", net->rx_queue_size);
        add_str(b, "id", id);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void
build_console(JsonBuilder *b, const char *key, DomainChrType type,
              const char *path, const char *none_mode)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_object(b);
    switch (type) {
    case DOMAIN_CHR_PTY:
        /* nimbus opens the pty; nimbusd reads its path back from vm.info. */
        add_str(b, "mode", "Pty");
        break;
    case DOMAIN_CHR_FILE:
        add_str(b, "mode", "File");
        add_str(b, "file", path);
        break;
    case DOMAIN_CHR_NONE:
    case DOMAIN_CHR_LAST:
    default:
        add_str(b, "mode", none_mode);
        break;
    }
    json_builder_end_object(b);
}

/**
 * domain_def_to_vmconfig_json:
 * Returns: (transfer full) pretty-printed JSON with a fixed key order.
 */
char *
domain_def_to_vmconfig_json(const DomainDef *def, GError **error)
{
    const DomainDefPriv *priv = def->priv;
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    if (def->current_memory_kib > G_MAXINT64 / 1024) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "memory size %" G_GUINT64_FORMAT " KiB is too large",
                      (guint64)def->current_memory_kib);
        return NULL;
    }
    json_builder_begin_object(b);
    build_cpus(b, def);
    json_builder_set_member_name(b, "memory");
    json_builder_begin_object(b);
    add_int(b, "size", (gint64)def->current_memory_kib * 1024);
    json_builder_end_object(b);
    build_payload(b, &priv->os);
    build_disks(b, def);
    build_nets(b, def);
    if (domain_def_ndevices(def, DOMAIN_DEVICE_RNG)) {
        const DomainRngDef *rng = domain_def_device(def, DOMAIN_DEVICE_RNG, 0);

        json_builder_set_member_name(b, "rng");
        json_builder_begin_object(b);
        add_str(b, "src", rng->backend_path);
        add_str(b, "id", rng->info.alias);
        json_builder_end_object(b);
    }
    /* Without a <serial> the UART still exists (Linux probes it) but its
     * output goes nowhere; without a virtio <console> there is none. */
    build_console(b, "serial", def->serial_type, def->serial_path, "Null");
    build_console(b, "console", def->console_type, def->console_path, "Off");
    json_builder_end_object(b);

    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    return json_generator_to_data(gen, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* domain_def_to_vmconfig_json(): a DomainDef as the VmConfig body of vm.create. */
#include <config.h>

#include <string.h>

#include "config/vm-config.h"
#include "config/vm-config-kind.h"
#include "config/vm-config-ratelimit.h"
#include "driver/xml/domain-priv.h"
#include "driver/xml/filesystem.h"
#include "driver/xml/iommu.h"
#include "driver/xml/memory-backing.h"
#include "driver/xml/numa.h"

/*
 * Mapping (docs/xml-format.md has the full table):
 *   <vcpu current=C>M</vcpu>     cpus.boot_vcpus=C, max_vcpus=M
 *   <cpu><topology>              cpus.topology (packages=sockets, ...)
 *   <cputune><vcpupin>           cpus.affinity (vcpu, host_cpus); nimbus
 *                                pins each vCPU thread, hot-plugged ones
 *                                included.  <emulatorpin> is nimbusd's to
 *                                apply after the start (vcpu-pin.c).
 *   <memory>, <currentMemory>    with <memballoon model='virtio'>:
 *                                memory.size = <memory> and a balloon
 *                                (balloon.size = memory - currentMemory,
 *                                deflate_on_oom = autodeflate,
 *                                free_page_reporting), as libvirt's QEMU
 *                                driver boots such a guest; without one,
 *                                memory.size = <currentMemory> (libvirt's
 *                                CH driver does the same).
 *   <os><kernel|initrd|cmdline>  payload.kernel/initramfs/cmdline
 *   <os><loader>                 payload.firmware (PVH, e.g. hypervisor-fw)
 *   <disk>                       disks[]: path, readonly, direct (cache
 *                                none/directsync), serial, image_type Raw
 *                                or Qcow2 (with backing_files),
 *                                num_queues/queue_size = driver queues/
 *                                queue_size, id = user alias or target dev;
 *                                type='vhostuser': vhost_user, vhost_socket
 *                                = source path (disk-vhostuser.c);
 *                                <iotune> total_* -> rate_limiter_config,
 *                                group_name -> rate_limit_groups[] and
 *                                rate_limit_group (disk-iotune.c)
 *   <interface type=ethernet>    net[]: tap = target dev, mac, ip/mask, mtu,
 *                                num_queues = 2 x driver queues, queue_size,
 *                                <bandwidth> -> rate_limiter_config
 *                                (net-bandwidth.c)
 *   <rng>                        rng.src
 *   <serial>                     serial: Pty | File; none -> Null
 *   <console target=virtio>      console: Pty | File; none -> Off
 *   <panic model=pvpanic>        pvpanic = true
 *   <watchdog model=i6300esb>    nimbus_watchdog: model, action (reset,
 *                                poweroff, none; none for pause and
 *                                shutdown, which nimbusd does: watchdog.c)
 *   <tpm model=tpm-crb>          tpm: socket (swtpm's, set at start)
 *   <shmem>                      ivshmem: path /dev/shm/NAME, size (shmem.c)
 *   <uuid>, <sysinfo type=smbios> platform: system_uuid (always), the
 *                                <system> entries, chassis asset tag and
 *                                oem_strings (sysinfo.c)
 *   <sysinfo type=fwcfg>         payload.fw_cfg_config items
 *                                (sysinfo-fwcfg.c)
 *   <vsock model=virtio>         vsock: cid (<cid address>, or the one
 *                                nimbusd picks at start for auto='yes'),
 *                                socket in nimbusd's state directory
 *   <memoryBacking>              memory.shared, hugepages, hugepage_size,
 *                                prefault (memory-backing.c)
 *   <cpu><numa>, <numatune>      memory.zones[] (one per cell) and numa[],
 *                                host_numa_node; the backing above moves
 *                                into each zone (numa.c)
 *   <filesystem> (virtiofs)      fs[]: tag, socket (the virtiofsd nimbusd
 *                                starts), queue_size (filesystem.c)
 *   <maxMemory>, <memory model=> memory.hotplug_method/_size/hotplugged_size
 *                                and pmem[] (fill_memory_hotplug(), rules
 *                                in memory.c)
 *   <iommu model=virtio>         iommu = true, <driver aw_bits> ->
 *                                platform.iommu_address_width_bits;
 *                                <driver iommu='on'> on a disk, interface,
 *                                rng or vsock: its iommu = true (iommu.c)
 * Everything else (features, clock, pm, controllers, memballoon stats, emulator,
 * boot order, addresses) is kept in the definition and needs no VMM setting.
 *
 * The translation fills a VmConfig (vm_config_new()'s defaults for what the
 * XML does not say) and nimbus's own serialiser writes it, so the schema
 * has one owner.  domain_def_check_vmconfig() runs nimbus's own
 * vm_config_validate() on it at define time, so that `virsh define`
 * refuses what vm.create would, in the same words; the host checks (files
 * exist) stay the VMM's, at vm.create.
 */

static void
affinity_free(gpointer p)
{
    CpuAffinity *a = p;

    g_clear_pointer(&a->host_cpus, g_array_unref);
    g_free(a);
}

static void
fill_affinity(CpusConfig *cpus, const DomainCputuneDef *tune)
{
    if (!tune->vcpupins || !tune->vcpupins->len)
        return;
    cpus->affinity = g_ptr_array_new_with_free_func(affinity_free);
    for (guint i = 0; i < tune->vcpupins->len; i++) {
        const DomainVcpuPinDef *pin = g_ptr_array_index(tune->vcpupins, i);
        CpuAffinity *a = g_new0(CpuAffinity, 1);

        a->vcpu = pin->vcpu;
        a->host_cpus = g_array_copy(pin->cpus);
        g_ptr_array_add(cpus->affinity, a);
    }
}

static void
fill_cpus(CpusConfig *cpus, const DomainDef *def)
{
    const DomainCpuDef *cpu = &domain_def_priv(def)->cpu;

    cpus->boot_vcpus = def->vcpus;
    cpus->max_vcpus = def->max_vcpus;
    if (cpu->has_topology) {
        cpus->topology = g_new0(CpuTopology, 1);
        cpus->topology->threads_per_core = cpu->threads;
        cpus->topology->cores_per_die = cpu->cores;
        cpus->topology->dies_per_package = cpu->dies;
        cpus->topology->packages = cpu->sockets;
    }
    fill_affinity(cpus, &domain_def_priv(def)->cputune);
}

static void
fill_payload(PayloadConfig *payload, const DomainOsDef *os)
{
    payload->firmware = g_strdup(os->loader);
    payload->kernel = g_strdup(os->kernel);
    payload->cmdline = g_strdup(os->cmdline);
    payload->initramfs = g_strdup(os->initrd);
}

/* The VMM device ids: vm.counters reports under them (domain_def_*_refs). */
static char *
disk_vmm_id(const DomainDiskDef *d)
{
    return g_strdup(d->info.alias ? d->info.alias : d->dst);
}

static char *
net_vmm_id(const DomainNetDef *def, guint index)
{
    return def->info.alias ? g_strdup(def->info.alias)
                           : g_strdup_printf("net%u", index);
}

static DiskConfig *
disk_config_from_def(const DomainDiskDef *d)
{
    DiskConfig *disk = disk_config_new();

    disk->id = disk_vmm_id(d);
    if (d->queues)
        disk->num_queues = d->queues;
    if (d->queue_size)
        disk->queue_size = d->queue_size;
    /* Passed for vhost-user disks too, where the VMM's rule refuses it
     * (the back end reads guest memory itself). */
    disk->iommu = d->iommu == XML_TRISTATE_YES;
    /* The image options below are refused on a vhost-user disk
     * (disk-vhostuser.c): the back end owns the image. */
    if (d->vhost_path) {
        domain_disk_vhostuser_to_config(d, disk);
        return disk;
    }
    disk->path = g_strdup(d->src);
    disk->readonly = d->readonly;
    /* cache='none' and 'directsync' bypass the host page cache. */
    disk->direct = d->cache == DOMAIN_DISK_CACHE_NONE ||
                   d->cache == DOMAIN_DISK_CACHE_DIRECTSYNC;
    disk->serial = g_strdup(d->serial);
    /* Never autodetect: the format is the XML's (validate() allows raw,
     * qcow2, vpc (fixed VHD) and vhdx).  A qcow2 image's backing chain is opened as libvirt
     * follows it: the header naming it is the host's, never guest data,
     * so the escape that probing a raw image allows does not apply. */
    if (!strcmp(d->driver_type, "qcow2")) {
        disk->image_type = IMAGE_TYPE_QCOW2;
        disk->backing_files = true;
    } else if (!strcmp(d->driver_type, "vpc")) {
        disk->image_type = IMAGE_TYPE_FIXED_VHD;
    } else if (!strcmp(d->driver_type, "vhdx")) {
        disk->image_type = IMAGE_TYPE_VHDX;
    } else {
        disk->image_type = IMAGE_TYPE_RAW;
    }
    /* <iotune>: the disk's own limiter, or its group's (added to the
     * config by add_rate_limit_group()). */
    if (d->iotune.group_name)
        disk->rate_limit_group = g_strdup(d->iotune.group_name);
    else
        disk->rate_limiter_config = domain_disk_iotune_to_rate_limiter(
            &d->iotune);
    return disk;
}

/* libvirt's iotune group_name: one CH rate limit group, with the limits
 * every disk of the group has (validate() checked they agree). */
static void
add_rate_limit_group(VmConfig *config, const DomainDiskDef *d)
{
    RateLimitGroupConfig *g;

    if (!d->iotune.group_name ||
        vm_config_find_rate_limit_group(config, d->iotune.group_name))
        return;
    g = g_new0(RateLimitGroupConfig, 1);
    g->id = g_strdup(d->iotune.group_name);
    g->rate_limiter_config = domain_disk_iotune_to_rate_limiter(&d->iotune);
    if (!config->rate_limit_groups)
        config->rate_limit_groups = g_ptr_array_new_with_free_func(
            (GDestroyNotify)rate_limit_group_config_free);
    g_ptr_array_add(config->rate_limit_groups, g);
}

static char *
prefix_to_netmask(int prefix)
{
    guint32 mask = prefix <= 0 ? 0 : 0xffffffffu << (32 - prefix);

    return g_strdup_printf("%u.%u.%u.%u", mask >> 24, (mask >> 16) & 0xff,
                           (mask >> 8) & 0xff, mask & 0xff);
}

static NetConfig *
net_config_from_def(const DomainNetDef *def, guint index)
{
    NetConfig *net = net_config_new();
    char mac[18];

    xml_mac_format(def->mac, mac);
    net->tap = g_strdup(def->ifname);
    net->mac = g_strdup(mac);
    if (def->ip_address) {
        net->ip = g_strdup(def->ip_address);
        /* An IPv4 netmask from the prefix; an IPv6 address gets none
         * (vm_config_validate() refuses IPv6 host addresses). */
        if (!strchr(def->ip_address, ':'))
            net->mask = prefix_to_netmask(def->ip_prefix >= 0 ?
                                          MIN(def->ip_prefix, 32) : 24);
    }
    net->mtu = def->mtu;
    /* One RX and one TX virtqueue per queue pair. */
    if (def->queues)
        net->num_queues = 2 * def->queues;
    if (def->rx_queue_size)
        net->queue_size = def->rx_queue_size;
    net->id = net_vmm_id(def, index);
    net->iommu = def->iommu == XML_TRISTATE_YES;
    net->rate_limiter_config =
        domain_net_bandwidth_to_rate_limiter(&def->bandwidth);
    if (def->type == DOMAIN_NET_TYPE_VHOSTUSER)
        domain_net_vhostuser_to_config(def, net);
    return net;
}

static void
fill_console(ConsoleConfig *con, DomainChrType type, const char *path,
             ConsoleMode none_mode)
{
    switch (type) {
    case DOMAIN_CHR_PTY:
        /* nimbus opens the pty; nimbusd reads its path back from vm.info. */
        con->mode = CONSOLE_MODE_PTY;
        break;
    case DOMAIN_CHR_FILE:
        con->mode = CONSOLE_MODE_FILE;
        g_free(con->file);
        con->file = g_strdup(path);
        break;
    case DOMAIN_CHR_NONE:
    case DOMAIN_CHR_LAST:
    default:
        con->mode = none_mode;
        break;
    }
}

bool
domain_def_has_balloon(const DomainDef *def)
{
    const DomainMemballoonDef *b =
        domain_def_ndevices(def, DOMAIN_DEVICE_MEMBALLOON) ?
        domain_def_device(def, DOMAIN_DEVICE_MEMBALLOON, 0) : NULL;

    return b && g_strcmp0(b->model, "virtio") == 0;
}

/* The memory the guest boots with, and its balloon (see the mapping
 * above).  The balloon's config struct is its device's own
 * (devices/virtio/balloon.c): it is built from CH's JSON through the
 * registered config kind. */
static bool
fill_memory(VmConfig *config, const DomainDef *def, GError **error)
{
    const DomainMemballoonDef *b =
        domain_def_ndevices(def, DOMAIN_DEVICE_MEMBALLOON) ?
        domain_def_device(def, DOMAIN_DEVICE_MEMBALLOON, 0) : NULL;
    const VmConfigKind *kind;
    g_autoptr(JsonBuilder) jb = NULL;
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(GError) local = NULL;
    gpointer entry;
    uint64_t ram_kib = def->max_memory_kib;
    uint64_t plugged_kib = def->max_memory_kib;

    /* With memory devices the RAM at boot is memory.c's (the devices'
     * sizes are not boot RAM, the DIMMs' are), and a balloon takes what
     * is above <currentMemory> of what the guest boots with (virtio-mem's
     * requested part included, as libvirt counts it). */
    if (domain_def_has_memory_hotplug(def)) {
        const DomainMemoryDef *vmem = domain_def_virtio_mem(def);

        ram_kib = plugged_kib = domain_def_memory_boot_kib(def);
        if (vmem)
            plugged_kib += vmem->requested_kib;
        if (!domain_def_has_balloon(def)) {
            config->memory.size = ram_kib * 1024;
            return true;
        }
    } else if (!domain_def_has_balloon(def)) {
        config->memory.size = def->current_memory_kib * 1024;
        return true;
    }
    if (!(kind = vm_config_kind_lookup("balloon"))) {
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR,
                      "the balloon device type is not registered");
        return false;
    }
    config->memory.size = ram_kib * 1024;
    jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "size");
    json_builder_add_int_value(jb, (gint64)((plugged_kib -
                                             MIN(def->current_memory_kib,
                                                 plugged_kib)) * 1024));
    json_builder_set_member_name(jb, "deflate_on_oom");
    json_builder_add_boolean_value(jb, b->autodeflate == XML_TRISTATE_YES);
    json_builder_set_member_name(jb, "free_page_reporting");
    json_builder_add_boolean_value(jb,
                                   b->free_page_reporting == XML_TRISTATE_YES);
    json_builder_end_object(jb);
    node = json_builder_get_root(jb);
    if (!(entry = vm_config_kind_from_json(kind, node, &local))) {
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR, "memballoon: %s",
                      local->message);
        return false;
    }
    vm_config_kind_append(config, kind, entry);
    return true;
}

/* The hotplug region (memory.c has the rules): the virtio-mem device's
 * <size>, of which <requested> is plugged at boot; otherwise, with
 * <maxMemory>, ACPI memory hotplug of what <maxMemory> leaves above
 * <memory>, in whole 128 MiB blocks, for DIMMs attached later. */
static void
fill_memory_hotplug(MemoryConfig *mem, const DomainDef *def)
{
    const DomainMemoryDef *vmem = domain_def_virtio_mem(def);
    uint64_t maxmem_kib = domain_def_priv(def)->maxmem_kib;
    uint64_t room;

    if (vmem) {
        mem->hotplug_method = MEMORY_HOTPLUG_VIRTIO_MEM;
        mem->hotplug_size = vmem->size_kib * 1024;
        mem->hotplugged_size = vmem->requested_kib * 1024;
        return;
    }
    if (maxmem_kib <= def->max_memory_kib)
        return;
    room = (maxmem_kib - def->max_memory_kib) * 1024;
    room -= room % VM_CONFIG_HOTPLUG_ALIGN;
    if (room) {
        mem->hotplug_method = MEMORY_HOTPLUG_ACPI;
        mem->hotplug_size = room;
    }
}

/* The VMM id of the virtio-pmem device at @index among the memory
 * devices: its alias, or libvirt's "virtiopmemN" by position among the
 * virtio-pmem devices. */
char *
domain_memory_vmm_id(const DomainDef *def, guint index)
{
    const DomainMemoryDef *m =
        domain_def_device(def, DOMAIN_DEVICE_MEMORY, index);
    guint n = 0;

    if (m->info.alias)
        return g_strdup(m->info.alias);
    for (guint i = 0; i < index; i++) {
        const DomainMemoryDef *o =
            domain_def_device(def, DOMAIN_DEVICE_MEMORY, i);

        n += o->model == DOMAIN_MEMORY_MODEL_VIRTIO_PMEM;
    }
    return g_strdup_printf("virtiopmem%u", n);
}

/* One <memory model='virtio-pmem'> as CH's PmemConfig, through the pmem
 * device type's config kind.  access='shared' writes reach the file;
 * 'private', and libvirt's default (QEMU maps the file private), keep
 * them in the guest: discard_writes. */
gpointer
domain_memory_pmem_entry(const DomainDef *def, guint index, GError **error)
{
    const DomainMemoryDef *m =
        domain_def_device(def, DOMAIN_DEVICE_MEMORY, index);
    const VmConfigKind *kind = vm_config_kind_lookup("pmem");
    g_autoptr(JsonBuilder) jb = NULL;
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *id = domain_memory_vmm_id(def, index);
    gpointer entry;

    if (!kind) {
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR,
                      "the pmem device type is not registered");
        return NULL;
    }
    jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "file");
    json_builder_add_string_value(jb, m->source_path);
    json_builder_set_member_name(jb, "size");
    json_builder_add_int_value(jb, (gint64)(m->size_kib * 1024));
    json_builder_set_member_name(jb, "discard_writes");
    json_builder_add_boolean_value(jb,
                                   m->access != DOMAIN_MEMORY_ACCESS_SHARED);
    json_builder_set_member_name(jb, "id");
    json_builder_add_string_value(jb, id);
    json_builder_end_object(jb);
    node = json_builder_get_root(jb);
    if (!(entry = vm_config_kind_from_json(kind, node, &local))) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "memory device 'virtio-pmem': %s", local->message);
        return NULL;
    }
    return entry;
}

static bool
fill_pmem(VmConfig *config, const DomainDef *def, GError **error)
{
    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_MEMORY); i++) {
        const DomainMemoryDef *m =
            domain_def_device(def, DOMAIN_DEVICE_MEMORY, i);
        gpointer entry;

        if (m->model != DOMAIN_MEMORY_MODEL_VIRTIO_PMEM)
            continue;
        if (!(entry = domain_memory_pmem_entry(def, i, error)))
            return false;
        vm_config_kind_append(config, vm_config_kind_lookup("pmem"), entry);
    }
    return true;
}

/* <vsock> as CH's VsockConfig ("vsock": one device at most), through the
 * vsock device type's registered config kind.  The CID and socket are a
 * run's (domain_def_vsock_set() at start): a definition that has none
 * yet (auto CID, not started) is checked without it. */
static bool
fill_vsock(VmConfig *config, const DomainDef *def, GError **error)
{
    const DomainVsockDef *v;
    const VmConfigKind *kind;
    g_autoptr(JsonBuilder) jb = NULL;
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(GError) local = NULL;
    gpointer entry;

    /* validate.c allows one. */
    if (domain_def_ndevices(def, DOMAIN_DEVICE_VSOCK) == 0)
        return true;
    v = domain_def_device(def, DOMAIN_DEVICE_VSOCK, 0);
    if (!v->cid || !v->socket)
        return true;
    if (!(kind = vm_config_kind_lookup("vsock"))) {
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR,
                      "the vsock device type is not registered");
        return false;
    }
    jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "cid");
    json_builder_add_int_value(jb, v->cid);
    json_builder_set_member_name(jb, "socket");
    json_builder_add_string_value(jb, v->socket);
    if (v->info.alias) {
        json_builder_set_member_name(jb, "id");
        json_builder_add_string_value(jb, v->info.alias);
    }
    if (v->iommu == XML_TRISTATE_YES) {
        json_builder_set_member_name(jb, "iommu");
        json_builder_add_boolean_value(jb, true);
    }
    json_builder_end_object(jb);
    node = json_builder_get_root(jb);
    if (!(entry = vm_config_kind_from_json(kind, node, &local))) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED, "vsock: %s",
                      local->message);
        return false;
    }
    vm_config_kind_append(config, kind, entry);
    return true;
}

/* <tpm> as CH's TpmConfig ("tpm": one at most), through the tpm device
 * type's config kind: the control socket of the swtpm nimbusd started
 * for the run (domain_def_tpm_set_socket()); a definition that is not
 * running has none and is checked without it. */
static bool
fill_tpm(VmConfig *config, const DomainDef *def, GError **error)
{
    const DomainTpmDef *t;
    const VmConfigKind *kind;
    g_autoptr(JsonBuilder) jb = NULL;
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(GError) local = NULL;
    gpointer entry;

    /* validate.c allows one. */
    if (!domain_def_has_tpm(def))
        return true;
    t = domain_def_device(def, DOMAIN_DEVICE_TPM, 0);
    if (!t->socket)
        return true;
    if (!(kind = vm_config_kind_lookup("tpm"))) {
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR,
                      "the tpm device type is not registered");
        return false;
    }
    jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "socket");
    json_builder_add_string_value(jb, t->socket);
    json_builder_end_object(jb);
    node = json_builder_get_root(jb);
    if (!(entry = vm_config_kind_from_json(kind, node, &local))) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED, "tpm: %s",
                      local->message);
        return false;
    }
    vm_config_kind_append(config, kind, entry);
    return true;
}

/* @def as a VmConfig, not yet validated.  (transfer full) */
static VmConfig *
domain_def_to_vmconfig(const DomainDef *def, GError **error)
{
    const DomainDefPriv *priv = def->priv;
    g_autoptr(VmConfig) config = NULL;
    guint i, n;

    /* validate.c keeps currentMemory within memory. */
    if (MAX(def->max_memory_kib, def->current_memory_kib) > G_MAXINT64 / 1024) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "memory size %" G_GUINT64_FORMAT " KiB is too large",
                      (guint64)MAX(def->max_memory_kib,
                                   def->current_memory_kib));
        return NULL;
    }
    config = vm_config_new();
    fill_cpus(&config->cpus, def);
    if (!fill_memory(config, def, error))
        return NULL;
    fill_memory_hotplug(&config->memory, def);
    domain_memory_backing_fill_vmconfig(&config->memory, def);
    if (!domain_numa_fill_vmconfig(config, def, error))
        return NULL;
    if (!fill_pmem(config, def, error))
        return NULL;
    fill_payload(&config->payload, &priv->os);
    n = domain_def_ndevices(def, DOMAIN_DEVICE_DISK);
    for (i = 0; i < n; i++) {
        const DomainDiskDef *d = domain_def_device(def, DOMAIN_DEVICE_DISK, i);

        add_rate_limit_group(config, d);
        g_ptr_array_add(config->disks, disk_config_from_def(d));
    }
    n = domain_def_ndevices(def, DOMAIN_DEVICE_NET);
    for (i = 0; i < n; i++)
        g_ptr_array_add(config->net, net_config_from_def(
            domain_def_device(def, DOMAIN_DEVICE_NET, i), i));
    if (domain_def_ndevices(def, DOMAIN_DEVICE_RNG)) {
        const DomainRngDef *rng = domain_def_device(def, DOMAIN_DEVICE_RNG, 0);

        /* Without a backend path the VMM's default source stays. */
        if (rng->backend_path) {
            g_free(config->rng.src);
            config->rng.src = g_strdup(rng->backend_path);
        }
        config->rng.id = g_strdup(rng->info.alias);
        config->rng.iommu = rng->iommu == XML_TRISTATE_YES;
    }
    /* unsupported.c let only model='pvpanic' through, validate.c one. */
    config->pvpanic = domain_def_ndevices(def, DOMAIN_DEVICE_PANIC) > 0;
    config->platform = domain_sysinfo_to_platform(def);
    config->payload.fw_cfg_config = domain_sysinfo_fwcfg_to_config(def);
    domain_iommu_fill_vmconfig(config, def);
    if (!fill_vsock(config, def, error) || !fill_tpm(config, def, error) ||
        !domain_watchdog_fill_vmconfig(config, def, error) ||
        !domain_shmem_fill_vmconfig(config, def, error) ||
        !domain_fs_fill_vmconfig(config, def, error))
        return NULL;
    /* Without a <serial> the UART still exists (Linux probes it) but its
     * output goes nowhere; without a virtio <console> there is none. */
    fill_console(&config->serial, def->serial_type, def->serial_path,
                 CONSOLE_MODE_NULL);
    fill_console(&config->console, def->console_type, def->console_path,
                 CONSOLE_MODE_OFF);
    return g_steal_pointer(&config);
}

/**
 * domain_def_to_vmconfig_json:
 * Returns: (transfer full) pretty-printed JSON in vm_config_to_json()'s
 * fixed key order, every field present.
 */
char *
domain_def_to_vmconfig_json(const DomainDef *def, GError **error)
{
    g_autoptr(VmConfig) config = domain_def_to_vmconfig(def, error);

    return config ? vm_config_to_json(config, true) : NULL;
}

bool
domain_def_check_vmconfig(const DomainDef *def, GError **error)
{
    g_autoptr(VmConfig) built = domain_def_to_vmconfig(def, error);
    g_autoptr(VmConfig) config = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *json = NULL;

    if (!built)
        return false;
    /* What vm.create runs on the body nimbusd sends: the JSON parser,
     * whose field tables hold the bounds (an IOMMU address width of 12
     * to 64 bits...), then vm_config_validate(). */
    json = vm_config_to_json(built, false);
    if (!(config = vm_config_from_json(json, -1, &local)) ||
        !vm_config_validate(config, &local)) {
        /* nimbus's vm.create answers "invalid VM configuration: ..." */
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "invalid VM configuration: %s", local->message);
        return false;
    }
    return true;
}

static void
domain_dev_ref_free(DomainDevRef *ref)
{
    g_free(ref->id);
    g_free(ref->name);
    g_free(ref->path);
    g_free(ref->socket);
    g_free(ref);
}

GPtrArray *
domain_def_disk_refs(const DomainDef *def)
{
    GPtrArray *refs = g_ptr_array_new_with_free_func((GDestroyNotify)domain_dev_ref_free);

    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_DISK); i++) {
        const DomainDiskDef *d = domain_def_device(def, DOMAIN_DEVICE_DISK, i);
        DomainDevRef *ref = g_new0(DomainDevRef, 1);

        ref->id = disk_vmm_id(d);
        ref->name = g_strdup(d->dst);
        ref->path = g_strdup(d->src);
        ref->socket = g_strdup(d->vhost_path);
        g_ptr_array_add(refs, ref);
    }
    return refs;
}

GPtrArray *
domain_def_net_refs(const DomainDef *def)
{
    GPtrArray *refs = g_ptr_array_new_with_free_func((GDestroyNotify)domain_dev_ref_free);

    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_NET); i++) {
        const DomainNetDef *n = domain_def_device(def, DOMAIN_DEVICE_NET, i);
        DomainDevRef *ref = g_new0(DomainDevRef, 1);

        ref->id = net_vmm_id(n, i);
        ref->name = g_strdup(n->ifname);
        xml_mac_format(n->mac, ref->mac);
        g_ptr_array_add(refs, ref);
    }
    return refs;
}

char *
domain_device_vmm_id(const DomainDef *def, DomainDeviceType type, guint index)
{
    if (type == DOMAIN_DEVICE_DISK)
        return disk_vmm_id(domain_def_device(def, type, index));
    if (type == DOMAIN_DEVICE_MEMORY) {
        const DomainMemoryDef *m = domain_def_device(def, type, index);

        /* Only a virtio-pmem is a device of its own in nimbus. */
        return m->model == DOMAIN_MEMORY_MODEL_VIRTIO_PMEM ?
               domain_memory_vmm_id(def, index) : g_strdup(m->info.alias);
    }
    if (type == DOMAIN_DEVICE_FILESYSTEM)
        return domain_def_fs_vmm_id(def, index);
    return net_vmm_id(domain_def_device(def, type, index), index);
}

char *
domain_device_vmconfig_json(const DomainDef *def, DomainDeviceType type,
                            guint index)
{
    g_autoptr(VmConfig) config = vm_config_new();
    g_autoptr(JsonNode) root = NULL;
    const char *key = type == DOMAIN_DEVICE_DISK ? "disks" : "net";
    JsonArray *arr;

    /* Through a VmConfig, so that nimbus's serialiser writes the entry
     * exactly as it does in vm.create. */
    if (type == DOMAIN_DEVICE_DISK)
        g_ptr_array_add(config->disks, disk_config_from_def(
            domain_def_device(def, type, index)));
    else
        g_ptr_array_add(config->net, net_config_from_def(
            domain_def_device(def, type, index), index));
    root = vm_config_to_json_node(config);
    arr = json_object_get_array_member(json_node_get_object(root), key);
    return json_to_string(json_array_get_element(arr, 0), FALSE);
}

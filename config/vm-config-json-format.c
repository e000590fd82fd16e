/* SPDX-License-Identifier: Apache-2.0 */
/* VmConfig to Cloud Hypervisor's VmConfig JSON (vm.info, snapshots). */
#include <config.h>

#include <string.h>

#include "config/vm-config-priv.h"

/*
 * Every field nimbus implements is written, defaults included, with CH's
 * key names and enum spellings, in CH's struct order.  Optional values that
 * are unset (CH's None) are left out rather than written as null: the
 * OpenAPI schema does not allow null for them, and CH's parser treats an
 * absent key and null alike.  Keys of features nimbus does not implement
 * are not written (their defaults are what "absent" means to CH).  Net fds
 * are written as -1 placeholders (see vm-config.h).
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
add_int(JsonBuilder *b, const char *key, int64_t value)
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
add_cpus(JsonBuilder *b, const CpusConfig *c)
{
    guint i, j;

    json_builder_set_member_name(b, "cpus");
    json_builder_begin_object(b);
    add_int(b, "boot_vcpus", c->boot_vcpus);
    add_int(b, "max_vcpus", c->max_vcpus);
    if (c->topology) {
        json_builder_set_member_name(b, "topology");
        json_builder_begin_object(b);
        add_int(b, "threads_per_core", c->topology->threads_per_core);
        add_int(b, "cores_per_die", c->topology->cores_per_die);
        add_int(b, "dies_per_package", c->topology->dies_per_package);
        add_int(b, "packages", c->topology->packages);
        json_builder_end_object(b);
    }
    add_bool(b, "kvm_hyperv", c->kvm_hyperv);
    add_int(b, "max_phys_bits", c->max_phys_bits);
    if (c->affinity) {
        json_builder_set_member_name(b, "affinity");
        json_builder_begin_array(b);
        for (i = 0; i < c->affinity->len; i++) {
            const CpuAffinity *a = g_ptr_array_index(c->affinity, i);

            json_builder_begin_object(b);
            add_int(b, "vcpu", a->vcpu);
            json_builder_set_member_name(b, "host_cpus");
            json_builder_begin_array(b);
            for (j = 0; a->host_cpus && j < a->host_cpus->len; j++)
                json_builder_add_int_value(b, g_array_index(a->host_cpus,
                                                            uint32_t, j));
            json_builder_end_array(b);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
    }
    add_bool(b, "nested", c->nested);
    json_builder_end_object(b);
}

static void
add_memory(JsonBuilder *b, const MemoryConfig *m)
{
    json_builder_set_member_name(b, "memory");
    json_builder_begin_object(b);
    add_int(b, "size", (int64_t)m->size);
    add_bool(b, "mergeable", m->mergeable);
    add_bool(b, "shared", m->shared);
    add_bool(b, "hugepages", m->hugepages);
    if (m->hugepage_size)
        add_int(b, "hugepage_size", (int64_t)m->hugepage_size);
    add_bool(b, "prefault", m->prefault);
    add_bool(b, "reserve", m->reserve);
    add_bool(b, "thp", m->thp);
    json_builder_end_object(b);
}

static void
add_payload(JsonBuilder *b, const PayloadConfig *p)
{
    json_builder_set_member_name(b, "payload");
    json_builder_begin_object(b);
    add_str(b, "firmware", p->firmware);
    add_str(b, "kernel", p->kernel);
    add_str(b, "cmdline", p->cmdline);
    add_str(b, "initramfs", p->initramfs);
    json_builder_end_object(b);
}

static void
add_disk(JsonBuilder *b, const DiskConfig *d)
{
    json_builder_begin_object(b);
    add_str(b, "path", d->path);
    add_bool(b, "readonly", d->readonly);
    add_bool(b, "direct", d->direct);
    add_bool(b, "iommu", d->iommu);
    add_int(b, "num_queues", d->num_queues);
    add_int(b, "queue_size", d->queue_size);
    add_int(b, "pci_segment", d->pci_segment);
    if (d->pci_device_id >= 0)
        add_int(b, "pci_device_id", d->pci_device_id);
    add_str(b, "id", d->id);
    add_str(b, "serial", d->serial);
    add_str(b, "image_type", image_type_to_string(d->image_type));
    json_builder_end_object(b);
}

static void
add_net(JsonBuilder *b, const NetConfig *n)
{
    guint i;

    json_builder_begin_object(b);
    add_str(b, "tap", n->tap);
    add_str(b, "ip", n->ip);
    add_str(b, "mask", n->mask);
    add_str(b, "mac", n->mac);
    add_str(b, "host_mac", n->host_mac);
    if (n->mtu)
        add_int(b, "mtu", n->mtu);
    add_bool(b, "iommu", n->iommu);
    add_int(b, "num_queues", n->num_queues);
    add_int(b, "queue_size", n->queue_size);
    add_str(b, "id", n->id);
    if (n->fds) {
        json_builder_set_member_name(b, "fds");
        json_builder_begin_array(b);
        for (i = 0; i < n->fds->len; i++)
            json_builder_add_int_value(b, -1);
        json_builder_end_array(b);
    }
    add_int(b, "pci_segment", n->pci_segment);
    if (n->pci_device_id >= 0)
        add_int(b, "pci_device_id", n->pci_device_id);
    add_bool(b, "offload_tso", n->offload_tso);
    add_bool(b, "offload_ufo", n->offload_ufo);
    add_bool(b, "offload_csum", n->offload_csum);
    json_builder_end_object(b);
}

typedef enum {
    CON_SERIAL,
    CON_CONSOLE,
    CON_DEBUG,
} ConKind;

/* The three console objects differ in the schema: SerialConfig has no
 * iommu/id, DebugConsoleConfig has iobase and no socket. */
static void
add_console(JsonBuilder *b, const char *key, const ConsoleConfig *c, ConKind k)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_object(b);
    add_str(b, "file", c->file);
    if (k != CON_DEBUG)
        add_str(b, "socket", c->socket);
    add_str(b, "mode", console_mode_to_string(c->mode));
    if (k == CON_CONSOLE) {
        add_bool(b, "iommu", c->iommu);
        add_str(b, "id", c->id);
    }
    if (k == CON_DEBUG)
        add_int(b, "iobase", (int64_t)c->iobase);
    json_builder_end_object(b);
}

static void
add_array(JsonBuilder *b, const char *key, const GPtrArray *a,
          void (*add_one)(JsonBuilder *b, const void *item))
{
    guint i;

    if (!a || !a->len)
        return;
    json_builder_set_member_name(b, key);
    json_builder_begin_array(b);
    for (i = 0; i < a->len; i++)
        add_one(b, g_ptr_array_index((GPtrArray *)a, i));
    json_builder_end_array(b);
}

static void
add_disk_cb(JsonBuilder *b, const void *item)
{
    add_disk(b, item);
}

static void
add_net_cb(JsonBuilder *b, const void *item)
{
    add_net(b, item);
}

JsonNode *
vm_config_to_json_node(const VmConfig *c)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    add_cpus(b, &c->cpus);
    add_memory(b, &c->memory);
    add_payload(b, &c->payload);
    add_array(b, "disks", c->disks, add_disk_cb);
    add_array(b, "net", c->net, add_net_cb);
    json_builder_set_member_name(b, "rng");
    json_builder_begin_object(b);
    add_str(b, "src", c->rng.src);
    add_bool(b, "iommu", c->rng.iommu);
    add_str(b, "id", c->rng.id);
    json_builder_end_object(b);
    add_console(b, "serial", &c->serial, CON_SERIAL);
    add_console(b, "console", &c->console, CON_CONSOLE);
    add_console(b, "debug_console", &c->debug_console, CON_DEBUG);
    add_bool(b, "iommu", c->iommu);
    add_bool(b, "watchdog", c->watchdog);
    add_bool(b, "pvpanic", c->pvpanic);
    add_bool(b, "landlock_enable", c->landlock_enable);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

char *
vm_config_to_json(const VmConfig *config, bool pretty)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = vm_config_to_json_node(config);

    json_generator_set_pretty(gen, pretty);
    json_generator_set_indent(gen, 2);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

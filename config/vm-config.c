/* SPDX-License-Identifier: Apache-2.0 */
/* VmConfig: constructors, copies, enums, ids, fds and MAC addresses. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "config/vm-config-schema.h"

/* Spelled as the JSON schema's ConsoleMode enum. */
static const char *const console_mode_names[] = {
    [CONSOLE_MODE_OFF] = "Off",
    [CONSOLE_MODE_PTY] = "Pty",
    [CONSOLE_MODE_TTY] = "Tty",
    [CONSOLE_MODE_FILE] = "File",
    [CONSOLE_MODE_SOCKET] = "Socket",
    [CONSOLE_MODE_NULL] = "Null",
};
G_STATIC_ASSERT(G_N_ELEMENTS(console_mode_names) == CONSOLE_MODE_LAST);

/* Spelled as the JSON schema's ImageType enum. */
static const char *const image_type_names[] = {
    [IMAGE_TYPE_RAW] = "Raw",
    [IMAGE_TYPE_QCOW2] = "Qcow2",
    [IMAGE_TYPE_FIXED_VHD] = "FixedVhd",
    [IMAGE_TYPE_VHDX] = "Vhdx",
    [IMAGE_TYPE_UNKNOWN] = "Unknown",
};
G_STATIC_ASSERT(G_N_ELEMENTS(image_type_names) == IMAGE_TYPE_LAST);

/* Spelled as the JSON schema's HotplugMethod enum. */
static const char *const hotplug_method_names[] = {
    [MEMORY_HOTPLUG_ACPI] = "Acpi",
    [MEMORY_HOTPLUG_VIRTIO_MEM] = "VirtioMem",
};
G_STATIC_ASSERT(G_N_ELEMENTS(hotplug_method_names) == MEMORY_HOTPLUG_LAST);

const char *
memory_hotplug_method_to_string(MemoryHotplugMethod method)
{
    if ((unsigned)method >= MEMORY_HOTPLUG_LAST)
        return NULL;
    return hotplug_method_names[method];
}

int
memory_hotplug_method_from_string(const char *name)
{
    for (int i = 0; name && i < MEMORY_HOTPLUG_LAST; i++) {
        if (g_ascii_strcasecmp(name, hotplug_method_names[i]) == 0)
            return i;
    }
    return -1;
}

const char *
console_mode_to_string(ConsoleMode mode)
{
    if ((unsigned)mode >= CONSOLE_MODE_LAST)
        return NULL;
    return console_mode_names[mode];
}

int
console_mode_from_string(const char *name)
{
    int i;

    for (i = 0; name && i < CONSOLE_MODE_LAST; i++) {
        if (g_ascii_strcasecmp(name, console_mode_names[i]) == 0)
            return i;
    }
    return -1;
}

const char *
image_type_to_string(ImageType type)
{
    if ((unsigned)type >= IMAGE_TYPE_LAST)
        return NULL;
    return image_type_names[type];
}

int
image_type_from_string(const char *name)
{
    int i;

    for (i = 0; name && i < IMAGE_TYPE_LAST; i++) {
        if (g_ascii_strcasecmp(name, image_type_names[i]) == 0)
            return i;
    }
    return -1;
}

/* Constructors, copies and frees walk the field tables
 * (vm-config-schema.c), which hold CH's defaults (vmm/src/vm_config.rs);
 * the reference's §9 checklist is tested field by field in test-vm-config. */
VmConfig *
vm_config_new(void)
{
    return vschema_new(&vschema_vm);
}

void
vm_config_free(VmConfig *c)
{
    if (!c)
        return;
    vschema_clear(&vschema_vm, c);
    g_free(c);
}

VmConfig *
vm_config_copy(const VmConfig *src)
{
    VmConfig *c = g_new0(VmConfig, 1);

    vschema_copy(&vschema_vm, c, src);
    return c;
}

DiskConfig *
disk_config_new(void)
{
    return vschema_new(&vschema_disk);
}

void
disk_config_free(DiskConfig *d)
{
    if (!d)
        return;
    vschema_clear(&vschema_disk, d);
    g_free(d);
}

void
landlock_config_free(LandlockConfig *rule)
{
    if (!rule)
        return;
    vschema_clear(&vschema_landlock, rule);
    g_free(rule);
}

DiskConfig *
disk_config_copy(const DiskConfig *src)
{
    DiskConfig *d = g_new0(DiskConfig, 1);

    vschema_copy(&vschema_disk, d, src);
    return d;
}

bool
vm_config_wants_iommu(const VmConfig *config)
{
    guint i;

    /* CH: iommu_segments, even an empty list, makes the IOMMU. */
    if (config->iommu || config->rng.iommu ||
        (config->console.iommu && config->console.mode != CONSOLE_MODE_OFF) ||
        (config->platform && config->platform->iommu_segments))
        return true;
    for (i = 0; i < config->disks->len; i++) {
        if (((const DiskConfig *)g_ptr_array_index(config->disks, i))->iommu)
            return true;
    }
    for (i = 0; i < config->net->len; i++) {
        if (((const NetConfig *)g_ptr_array_index(config->net, i))->iommu)
            return true;
    }
    for (const VmConfigKind *const *k = vm_config_kinds(); *k; k++) {
        for (i = 0; (*k)->iommu && i < vm_config_kind_count(config, *k); i++) {
            if ((*k)->iommu(vm_config_kind_entry(config, *k, i)))
                return true;
        }
    }
    return false;
}

const char *
vm_config_vhost_user_disk(const VmConfig *config)
{
    for (guint i = 0; i < config->disks->len; i++) {
        const DiskConfig *d = g_ptr_array_index(config->disks, i);

        if (d->vhost_user)
            return d->id ? d->id : "disk";
    }
    return NULL;
}

const char *
vm_config_vhost_user_net(const VmConfig *config)
{
    for (guint i = 0; i < config->net->len; i++) {
        const NetConfig *n = g_ptr_array_index(config->net, i);

        if (n->vhost_user)
            return n->id ? n->id : "net";
    }
    return NULL;
}

NetConfig *
net_config_new(void)
{
    return vschema_new(&vschema_net);
}

void
net_config_free(NetConfig *n)
{
    if (!n)
        return;
    vschema_clear(&vschema_net, n);
    g_free(n);
}

NetConfig *
net_config_copy(const NetConfig *src)
{
    NetConfig *n = g_new0(NetConfig, 1);

    vschema_copy(&vschema_net, n, src);
    return n;
}

void
vm_config_cpu_topology(const CpusConfig *cpus, CpuTopology *out)
{
    if (cpus->topology) {
        *out = *cpus->topology;
        return;
    }
    /* CH's default: every vCPU is a core of one die of one package. */
    out->threads_per_core = 1;
    out->cores_per_die = cpus->max_vcpus;
    out->dies_per_package = 1;
    out->packages = 1;
}

/* Whether a device of @c already goes by @id; NULL ids (not assigned yet)
 * never match. */
static bool
vm_config_id_used(const VmConfig *c, const char *id)
{
    guint i;

    for (i = 0; i < c->disks->len; i++) {
        const DiskConfig *d = g_ptr_array_index(c->disks, i);

        if (g_strcmp0(d->id, id) == 0)
            return true;
    }
    for (i = 0; i < c->net->len; i++) {
        const NetConfig *n = g_ptr_array_index(c->net, i);

        if (g_strcmp0(n->id, id) == 0)
            return true;
    }
    return g_strcmp0(c->rng.id, id) == 0 ||
           g_strcmp0(c->console.id, id) == 0 || vm_config_kinds_id_used(c, id);
}

char *
vm_config_next_device_id(const VmConfig *config, const char *prefix)
{
    guint n;

    /* Terminates: at most disks + nets + 2 names are taken. */
    for (n = 0;; n++) {
        g_autofree char *id = g_strdup_printf("%s%u", prefix, n);

        if (!vm_config_id_used(config, id))
            return g_steal_pointer(&id);
    }
}

/* Only -1 entries are placeholders: a config from the CLI already holds
 * real fds, which attaching must not overwrite. */
static guint
net_config_placeholders(const NetConfig *net)
{
    guint i, n = 0;

    for (i = 0; net->fds && i < net->fds->len; i++) {
        if (g_array_index(net->fds, int, i) == -1)
            n++;
    }
    return n;
}

static void
net_config_fill_fds(NetConfig *net, const int *fds, guint *used)
{
    guint i;

    for (i = 0; net->fds && i < net->fds->len; i++) {
        if (g_array_index(net->fds, int, i) == -1)
            g_array_index(net->fds, int, i) = fds[(*used)++];
    }
}

bool
net_config_attach_fds(NetConfig *net, const int *fds, guint n_fds,
                      GError **error)
{
    guint want = net_config_placeholders(net), used = 0;

    if (want != n_fds) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "fds: the config names %u fd(s) but %u were received "
                    "with the request", want, n_fds);
        return false;
    }
    net_config_fill_fds(net, fds, &used);
    return true;
}

bool
vm_config_attach_net_fds(VmConfig *config, const int *fds, guint n_fds,
                         GError **error)
{
    guint i, want = 0, used = 0;

    /* Count first, so that a mismatch leaves the config untouched. */
    for (i = 0; i < config->net->len; i++)
        want += net_config_placeholders(g_ptr_array_index(config->net, i));
    if (want != n_fds) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "net: the config names %u fd(s) but %u were received "
                    "with the request", want, n_fds);
        return false;
    }
    for (i = 0; i < config->net->len; i++)
        net_config_fill_fds(g_ptr_array_index(config->net, i), fds, &used);
    return true;
}

/* Exactly "xx:xx:xx:xx:xx:xx": CH's MacAddr::parse_str takes no other
 * separator and no shortened bytes. */
bool
vm_config_mac_parse(const char *s, uint8_t mac[6])
{
    int i;

    if (!s || strlen(s) != 17)
        return false;
    for (i = 0; i < 6; i++) {
        const char *p = s + 3 * i;

        if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1]) ||
            (i < 5 && p[2] != ':'))
            return false;
        mac[i] = (uint8_t)(g_ascii_xdigit_value(p[0]) << 4 |
                           g_ascii_xdigit_value(p[1]));
    }
    return true;
}

char *
vm_config_mac_random_string(void)
{
    uint8_t b[6];

    vm_config_mac_random(b);
    return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2],
                           b[3], b[4], b[5]);
}

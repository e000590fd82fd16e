/* SPDX-License-Identifier: Apache-2.0 */
/* VmConfig: constructors with Cloud Hypervisor's defaults, copies, enums. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "config/vm-config-priv.h"

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

void
console_config_init(ConsoleConfig *con, ConsoleMode mode)
{
    memset(con, 0, sizeof(*con));
    con->mode = mode;
}

void
console_config_clear(ConsoleConfig *con)
{
    g_clear_pointer(&con->file, g_free);
    g_clear_pointer(&con->socket, g_free);
    g_clear_pointer(&con->id, g_free);
}

void
console_config_copy_into(ConsoleConfig *dst, const ConsoleConfig *src)
{
    *dst = *src;
    dst->file = g_strdup(src->file);
    dst->socket = g_strdup(src->socket);
    dst->id = g_strdup(src->id);
}

static void
cpu_affinity_free(CpuAffinity *a)
{
    if (!a)
        return;
    g_clear_pointer(&a->host_cpus, g_array_unref);
    g_free(a);
}

void
cpus_config_clear(CpusConfig *cpus)
{
    g_clear_pointer(&cpus->topology, g_free);
    g_clear_pointer(&cpus->affinity, g_ptr_array_unref);
}

void
rng_config_clear(RngConfig *rng)
{
    g_clear_pointer(&rng->src, g_free);
    g_clear_pointer(&rng->id, g_free);
}

/* CH's Default impls (vmm/src/vm_config.rs); the reference's §9 checklist
 * is tested field by field in test-vm-config. */
VmConfig *
vm_config_new(void)
{
    VmConfig *c = g_new0(VmConfig, 1);

    c->cpus.boot_vcpus = 1;
    c->cpus.max_vcpus = 1;
    c->cpus.max_phys_bits = VM_CONFIG_DEFAULT_PHYS_BITS;
    c->cpus.nested = true;
    c->memory.size = VM_CONFIG_DEFAULT_MEMORY;
    c->memory.thp = true;
    c->disks = g_ptr_array_new_with_free_func((GDestroyNotify)disk_config_free);
    c->net = g_ptr_array_new_with_free_func((GDestroyNotify)net_config_free);
    c->rng.src = g_strdup(VM_CONFIG_DEFAULT_RNG);
    console_config_init(&c->serial, CONSOLE_MODE_NULL);
    console_config_init(&c->console, CONSOLE_MODE_TTY);
    console_config_init(&c->debug_console, CONSOLE_MODE_OFF);
    c->debug_console.iobase = VM_CONFIG_DEFAULT_DEBUG_IOBASE;
    return c;
}

void
vm_config_free(VmConfig *c)
{
    if (!c)
        return;
    cpus_config_clear(&c->cpus);
    g_free(c->payload.firmware);
    g_free(c->payload.kernel);
    g_free(c->payload.cmdline);
    g_free(c->payload.initramfs);
    g_clear_pointer(&c->disks, g_ptr_array_unref);
    g_clear_pointer(&c->net, g_ptr_array_unref);
    rng_config_clear(&c->rng);
    console_config_clear(&c->serial);
    console_config_clear(&c->console);
    console_config_clear(&c->debug_console);
    g_free(c);
}

/* GArray has no deep copy of its own; the element size is kept, so the
 * same helper copies host CPU lists (uint32_t) and fd lists (int). */
static GArray *
array_copy(const GArray *a)
{
    GArray *r;

    if (!a)
        return NULL;
    r = g_array_sized_new(FALSE, FALSE, g_array_get_element_size((GArray *)a),
                          a->len);
    g_array_append_vals(r, a->data, a->len);
    return r;
}

/* Struct copy first for the scalars, then every owned pointer is
 * replaced by a copy of its own, so the two configs share nothing. */
VmConfig *
vm_config_copy(const VmConfig *src)
{
    VmConfig *c = g_new0(VmConfig, 1);
    guint i;

    *c = *src;
    if (src->cpus.topology)
        c->cpus.topology = g_memdup2(src->cpus.topology, sizeof(CpuTopology));
    if (src->cpus.affinity) {
        c->cpus.affinity = g_ptr_array_new_with_free_func(
            (GDestroyNotify)cpu_affinity_free);
        for (i = 0; i < src->cpus.affinity->len; i++) {
            const CpuAffinity *a = g_ptr_array_index(src->cpus.affinity, i);
            CpuAffinity *n = g_new0(CpuAffinity, 1);

            n->vcpu = a->vcpu;
            n->host_cpus = array_copy(a->host_cpus);
            g_ptr_array_add(c->cpus.affinity, n);
        }
    }
    c->payload.firmware = g_strdup(src->payload.firmware);
    c->payload.kernel = g_strdup(src->payload.kernel);
    c->payload.cmdline = g_strdup(src->payload.cmdline);
    c->payload.initramfs = g_strdup(src->payload.initramfs);
    c->disks = g_ptr_array_new_with_free_func((GDestroyNotify)disk_config_free);
    for (i = 0; i < src->disks->len; i++)
        g_ptr_array_add(c->disks,
                        disk_config_copy(g_ptr_array_index(src->disks, i)));
    c->net = g_ptr_array_new_with_free_func((GDestroyNotify)net_config_free);
    for (i = 0; i < src->net->len; i++)
        g_ptr_array_add(c->net,
                        net_config_copy(g_ptr_array_index(src->net, i)));
    c->rng.src = g_strdup(src->rng.src);
    c->rng.id = g_strdup(src->rng.id);
    console_config_copy_into(&c->serial, &src->serial);
    console_config_copy_into(&c->console, &src->console);
    console_config_copy_into(&c->debug_console, &src->debug_console);
    return c;
}

GPtrArray *
vm_config_affinity_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)cpu_affinity_free);
}

DiskConfig *
disk_config_new(void)
{
    DiskConfig *d = g_new0(DiskConfig, 1);

    d->num_queues = VM_CONFIG_DISK_QUEUES;
    d->queue_size = VM_CONFIG_DISK_QUEUE_SIZE;
    d->image_type = IMAGE_TYPE_UNKNOWN;
    d->pci_device_id = -1;
    return d;
}

void
disk_config_free(DiskConfig *d)
{
    if (!d)
        return;
    g_free(d->path);
    g_free(d->id);
    g_free(d->serial);
    g_free(d);
}

DiskConfig *
disk_config_copy(const DiskConfig *src)
{
    DiskConfig *d = g_memdup2(src, sizeof(*src));

    d->path = g_strdup(src->path);
    d->id = g_strdup(src->id);
    d->serial = g_strdup(src->serial);
    return d;
}

NetConfig *
net_config_new(void)
{
    NetConfig *n = g_new0(NetConfig, 1);

    n->num_queues = VM_CONFIG_NET_QUEUES;
    n->queue_size = VM_CONFIG_NET_QUEUE_SIZE;
    n->pci_device_id = -1;
    n->offload_tso = true;
    n->offload_ufo = true;
    n->offload_csum = true;
    return n;
}

void
net_config_free(NetConfig *n)
{
    if (!n)
        return;
    g_free(n->tap);
    g_free(n->ip);
    g_free(n->mask);
    g_free(n->mac);
    g_free(n->host_mac);
    g_clear_pointer(&n->fds, g_array_unref);
    g_free(n->id);
    g_free(n);
}

NetConfig *
net_config_copy(const NetConfig *src)
{
    NetConfig *n = g_memdup2(src, sizeof(*src));

    n->tap = g_strdup(src->tap);
    n->ip = g_strdup(src->ip);
    n->mask = g_strdup(src->mask);
    n->mac = g_strdup(src->mac);
    n->host_mac = g_strdup(src->host_mac);
    n->fds = array_copy(src->fds);   /* numbers only: never dup'ed */
    n->id = g_strdup(src->id);
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
    return g_strcmp0(c->rng.id, id) == 0 || g_strcmp0(c->console.id, id) == 0;
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

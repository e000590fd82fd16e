/* SPDX-License-Identifier: Apache-2.0 */
/* VmConfig validation: cross-field rules, host files, ids and defaults. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/error-util.h"
#include "config/vm-config-fwcfg.h"
#include "config/vm-config-numa.h"
#include "config/vm-config-priv.h"
#include "config/vm-config-platform.h"
#include "config/vm-config-ratelimit.h"

/*
 * Two kinds of checks.  The rules (vm_config_validate_full()) need nothing
 * but the config: nimbusd runs them at define time and the VMM at
 * vm.create, so both refuse the same things with the same words; devices
 * trust a config that passed them and do not check again.  The host checks
 * (vm_config_check_host(): files exist and open, fds are open) run once,
 * at vm.create; what passes both can fail at boot only for a host reason.
 *
 * The rules run in two phases: every check runs first and changes nothing,
 * then the defaults (ids, netmasks) are filled in, which cannot fail.  So
 * a config that fails validation is left exactly as it was.
 *
 * The rules follow CH's VmConfig::validate() (vmm/src/config.rs) where CH
 * has one (boot <= max, topology product, TooManyQueues, net queue pairs
 * and fds, hugepage size, both consoles on the tty, "__" ids); the others
 * (files readable, queue sizes, PCI slots, socket path length) catch at
 * config time what would otherwise fail half-way through building the VM.
 */

typedef struct {
    VmConfigNames names;
    GError **error;
    bool landlock;        /* host checks: the VMM is (to be) confined */
} VCtx;

/* The CLI or the JSON spelling of a name. */
#define NM(v, cli, json) ((v)->names == VM_CONFIG_NAMES_CLI ? (cli) : (json))

/* "where: message"; returns false. */
#define vfail_code(v, code, where, ...)                                        \
    nimbus_fail_prefixed((v)->error, G_IO_ERROR, code, where, __VA_ARGS__)

#define vfail(v, where, ...) \
    vfail_code(v, G_IO_ERROR_INVALID_ARGUMENT, where, __VA_ARGS__)

/* "--disk" for the CLI, "disks[2]" for JSON. */
static char *
item_where(VCtx *v, const char *option, const char *array, guint i)
{
    if (v->names == VM_CONFIG_NAMES_CLI)
        return g_strdup(option);
    return g_strdup_printf("%s[%u]", array, i);
}

typedef enum {
    FILE_REGULAR,         /* kernel, initramfs, firmware */
    FILE_DISK,            /* regular file or block device */
    FILE_RNG,             /* regular file or character device */
} FileKind;

/* Opens @path as the device will, so that "exists and is readable" is a
 * fact rather than a guess from the mode bits.  O_NONBLOCK: never wait on
 * a FIFO or a tty; the type check runs first anyway. */
static bool
check_file(VCtx *v, const char *where, const char *path, FileKind kind,
           bool writable, struct stat *st_out)
{
    struct stat st;
    bool ok;
    int fd;

    if (!*path)
        return vfail(v, where, "the path is empty");
    if (stat(path, &st) < 0)
        return vfail(v, where, "%s: %s", path, g_strerror(errno));
    if (S_ISDIR(st.st_mode))
        return vfail(v, where, "%s: %s", path, g_strerror(EISDIR));
    switch (kind) {
    case FILE_DISK:
        ok = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
        break;
    case FILE_RNG:
        ok = S_ISREG(st.st_mode) || S_ISCHR(st.st_mode);
        break;
    case FILE_REGULAR:
    default:
        ok = S_ISREG(st.st_mode);
        break;
    }
    if (!ok)
        return vfail(v, where, "%s: not a regular file%s", path,
                     kind == FILE_DISK ? " or block device" :
                     kind == FILE_RNG ? " or character device" : "");
    fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY |
              O_NONBLOCK);
    if (fd < 0) {
        int e = errno;

        /* Under Landlock, EACCES is most likely the ruleset's answer. */
        return vfail(v, where, "%s: %s%s", path, g_strerror(e),
                     e == EACCES && v->landlock ?
                     " (not among the paths Landlock lets this VMM reach; "
                     "see landlock_rules)" :
                     writable && (e == EACCES || e == EROFS) ?
                     " (a read-only image needs readonly=on)" : "");
    }
    close(fd);
    if (st_out)
        *st_out = st;
    return true;
}

/* A path given as "" names nothing: a rule, so it is caught at define
 * time as well. */
static bool
check_nonempty(VCtx *v, const char *where, const char *path)
{
    if (path && !*path)
        return vfail(v, where, "the path is empty");
    return true;
}

/* Which devices may sit behind the virtio-iommu (iommu=on): those whose
 * every guest-memory access goes through virtqueue_pop(), where
 * devices/virtio/queue.c translates it (virtio-blk, -net, -rng and
 * -console).  A vhost-user back end maps guest RAM and reads it itself,
 * with guest-physical addresses; it would need vhost-user IOTLB messages,
 * which nimbus does not send.  The kinds described in their own files
 * say so in their field tables (U_BOOL("iommu", ..., .refused)). */
static bool
validate_iommu(VCtx *v, const char *w, bool iommu, bool vhost_user)
{
    if (iommu && vhost_user)
        return vfail(v, w, "%s is refused with vhost_user: the vhost-user "
                     "back end reads guest memory itself, outside the "
                     "queues the IOMMU translates (it would need IOTLB "
                     "messages, which nimbus does not send)",
                     NM(v, "iommu=on", "iommu=true"));
    return true;
}

static bool
is_pow2(uint64_t x)
{
    return x && !(x & (x - 1));
}

static bool
validate_cpus(VCtx *v, const CpusConfig *c)
{
    const char *w = NM(v, "--cpus", "cpus");
    const char *boot = NM(v, "boot", "boot_vcpus");
    const char *max = NM(v, "max", "max_vcpus");
    guint i, j;

    if (c->boot_vcpus < 1 || c->boot_vcpus > VM_CONFIG_MAX_VCPUS)
        return vfail(v, w, "%s=%u is out of range: expected 1 to %u", boot,
                     c->boot_vcpus, VM_CONFIG_MAX_VCPUS);
    if (c->max_vcpus < 1 || c->max_vcpus > VM_CONFIG_MAX_VCPUS)
        return vfail(v, w, "%s=%u is out of range: expected 1 to %u", max,
                     c->max_vcpus, VM_CONFIG_MAX_VCPUS);
    if (c->boot_vcpus > c->max_vcpus)
        return vfail(v, w, "%s=%u is greater than %s=%u", boot, c->boot_vcpus,
                     max, c->max_vcpus);
    if (c->kvm_hyperv)
        return vfail(v, w, "kvm_hyperv=%s is not supported yet",
                     NM(v, "on", "true"));
    if (c->max_phys_bits < 1 || c->max_phys_bits > 64)
        return vfail(v, w, "max_phys_bits=%u is out of range: expected 1 to 64",
                     c->max_phys_bits);
    if (c->topology) {
        const CpuTopology *t = c->topology;
        uint64_t n = (uint64_t)t->threads_per_core * t->cores_per_die *
                     t->dies_per_package * t->packages;

        if (!t->threads_per_core || !t->cores_per_die ||
            !t->dies_per_package || !t->packages)
            return vfail(v, w, "topology=%u:%u:%u:%u: no part can be zero",
                         t->threads_per_core, t->cores_per_die,
                         t->dies_per_package, t->packages);
        if (n != c->max_vcpus)
            return vfail(v, w, "topology=%u:%u:%u:%u makes %" G_GUINT64_FORMAT
                         " vCPUs, not %s=%u", t->threads_per_core,
                         t->cores_per_die, t->dies_per_package, t->packages,
                         n, max, c->max_vcpus);
    }
    for (i = 0; c->affinity && i < c->affinity->len; i++) {
        const CpuAffinity *a = g_ptr_array_index(c->affinity, i);

        if (a->vcpu >= c->max_vcpus)
            return vfail(v, w, "affinity: vCPU %u does not exist (%s=%u)",
                         a->vcpu, max, c->max_vcpus);
        if (!a->host_cpus || !a->host_cpus->len)
            return vfail(v, w, "affinity: vCPU %u has no host CPU", a->vcpu);
        for (j = 0; j < a->host_cpus->len; j++) {
            uint32_t h = g_array_index(a->host_cpus, uint32_t, j);

            if (h > VM_CONFIG_HOST_CPU_MAX)
                return vfail(v, w, "affinity: host CPU %u is out of range "
                             "(0 to %u)", h, VM_CONFIG_HOST_CPU_MAX);
        }
        for (j = 0; j < i; j++) {
            const CpuAffinity *b = g_ptr_array_index(c->affinity, j);

            if (b->vcpu == a->vcpu)
                return vfail(v, w, "affinity: vCPU %u is listed twice",
                             a->vcpu);
        }
    }
    return true;
}

/* hotplug_method=acpi: the region is whole DIMM slots, and what is
 * plugged at boot is whole slots too (the first ones). */
static bool
validate_memory_acpi_slots(VCtx *v, const MemoryConfig *m)
{
    const char *w = NM(v, "--memory", "memory");
    uint64_t slot = vm_config_acpi_slot_size(m->hotplug_size);

    if (m->hotplug_size % slot)
        return vfail(v, w, "hotplug_size=%" G_GUINT64_FORMAT " with %s must "
                     "be a multiple of its %" G_GUINT64_FORMAT " MiB DIMM "
                     "slot (at most %u slots)", m->hotplug_size,
                     NM(v, "hotplug_method=acpi", "hotplug_method=Acpi"),
                     slot >> 20, VM_CONFIG_ACPI_DIMM_SLOTS_MAX);
    if (m->hotplugged_size % slot)
        return vfail(v, w, "hotplugged_size=%" G_GUINT64_FORMAT " with %s "
                     "must be a multiple of the %" G_GUINT64_FORMAT " MiB "
                     "DIMM slot", m->hotplugged_size,
                     NM(v, "hotplug_method=acpi", "hotplug_method=Acpi"),
                     slot >> 20);
    return true;
}

/* The hotplug region follows RAM in the guest physical map (daemon/vm.c
 * places it): virtio-mem plugs it in 2 MiB blocks, ACPI in DIMM slots of
 * 128 MiB or more, and Linux adds memory in 128 MiB blocks, hence the
 * alignments. */
static bool
validate_memory_hotplug(VCtx *v, const MemoryConfig *m, uint64_t limit)
{
    const char *w = NM(v, "--memory", "memory");

    if (m->hotplug_size == 0) {
        if (m->hotplugged_size)
            return vfail(v, w, "hotplugged_size=%" G_GUINT64_FORMAT " needs "
                         "hotplug_size", m->hotplugged_size);
        return true;
    }
    if (m->hotplug_size % VM_CONFIG_HOTPLUG_ALIGN ||
        m->hotplug_size > VM_CONFIG_HOTPLUG_MAX)
        return vfail(v, w, "hotplug_size=%" G_GUINT64_FORMAT " must be a "
                     "multiple of 128 MiB, at most 1 TiB", m->hotplug_size);
    if (m->hotplug_size > limit - MIN(limit, m->size))
        return vfail(v, w, "size + hotplug_size does not fit in the guest's "
                     "physical address space (max_phys_bits)");
    if (m->hotplug_method == MEMORY_HOTPLUG_ACPI &&
        !validate_memory_acpi_slots(v, m))
        return false;
    if (m->hotplugged_size > m->hotplug_size ||
        m->hotplugged_size % VM_CONFIG_VIRTIO_MEM_BLOCK)
        return vfail(v, w, "hotplugged_size=%" G_GUINT64_FORMAT " must be a "
                     "multiple of 2 MiB, at most hotplug_size=%"
                     G_GUINT64_FORMAT, m->hotplugged_size, m->hotplug_size);
    /* The region is mapped without reservation, which hugetlbfs turns
     * into SIGBUS when the pool runs dry on a plug. */
    if (m->hugepages)
        return vfail(v, w, "hotplug_size with %s is not supported yet",
                     NM(v, "hugepages=on", "hugepages=true"));
    return true;
}

static bool
validate_memory(VCtx *v, const MemoryConfig *m, uint8_t phys_bits)
{
    const char *w = NM(v, "--memory", "memory");
    uint64_t limit = phys_bits >= 63 ? (uint64_t)G_MAXINT64 : 1ULL << phys_bits;

    if (m->size < VM_CONFIG_MEMORY_MIN)
        return vfail(v, w, "size=%" G_GUINT64_FORMAT " is below the 1 MiB "
                     "minimum (the boot structures live below 1 MiB)", m->size);
    if (m->size % 4096)
        return vfail(v, w, "size=%" G_GUINT64_FORMAT " is not a multiple of "
                     "the 4 KiB page size", m->size);
    if (m->size > limit)
        return vfail(v, w, "size=%" G_GUINT64_FORMAT " does not fit in the "
                     "guest's %u-bit physical address space (max_phys_bits)",
                     m->size, phys_bits);
    if (m->hugepage_size && !m->hugepages)
        return vfail(v, w, "hugepage_size=%" G_GUINT64_FORMAT " needs %s",
                     m->hugepage_size, NM(v, "hugepages=on", "hugepages=true"));
    if (m->hugepage_size && (!is_pow2(m->hugepage_size) ||
                             m->hugepage_size < 4096))
        return vfail(v, w, "hugepage_size=%" G_GUINT64_FORMAT " is not a "
                     "power of two of at least 4096", m->hugepage_size);
    if (m->hugepage_size && m->size % m->hugepage_size)
        return vfail(v, w, "size=%" G_GUINT64_FORMAT " is not a multiple of "
                     "hugepage_size=%" G_GUINT64_FORMAT, m->size,
                     m->hugepage_size);
    return validate_memory_hotplug(v, m, limit);
}

/* With zones (vm-config-numa.c) RAM is theirs and --memory's size is 0. */
static bool
validate_ram(VCtx *v, const VmConfig *c)
{
    uint8_t phys_bits = c->cpus.max_phys_bits;
    uint64_t limit = phys_bits >= 63 ? (uint64_t)G_MAXINT64 : 1ULL << phys_bits;

    if (c->memory.zones && c->memory.zones->len)
        return vm_config_validate_zones(c, v->names, limit, v->error);
    return validate_memory(v, &c->memory, phys_bits);
}

static bool
validate_payload(VCtx *v, const PayloadConfig *p)
{
    bool cli = v->names == VM_CONFIG_NAMES_CLI;

    if (!p->kernel && !p->firmware) {
        g_set_error_literal(v->error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            cli ? "no payload: give --kernel or --firmware" :
                            "payload: one of kernel or firmware is required");
        return false;
    }
    if (p->kernel && p->firmware) {
        g_set_error_literal(v->error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            cli ? "--kernel and --firmware cannot be used "
                                  "together" :
                            "payload: kernel and firmware cannot be used "
                            "together");
        return false;
    }
    if (p->initramfs && !p->kernel)
        return vfail(v, NM(v, "--initramfs", "payload.initramfs"),
                     "an initramfs needs a kernel");
    if (p->cmdline && strlen(p->cmdline) >= VM_CONFIG_CMDLINE_MAX)
        return vfail(v, NM(v, "--cmdline", "payload.cmdline"),
                     "the command line is %zu bytes long; the maximum is %u",
                     strlen(p->cmdline), VM_CONFIG_CMDLINE_MAX - 1);
    return check_nonempty(v, NM(v, "--kernel", "payload.kernel"), p->kernel) &&
           check_nonempty(v, NM(v, "--firmware", "payload.firmware"),
                          p->firmware) &&
           check_nonempty(v, NM(v, "--initramfs", "payload.initramfs"),
                          p->initramfs);
}

/* The payload files exist and are readable regular files. */
static bool
check_host_payload(VCtx *v, const PayloadConfig *p)
{
    return (!p->kernel ||
            check_file(v, NM(v, "--kernel", "payload.kernel"), p->kernel,
                       FILE_REGULAR, false, NULL)) &&
           (!p->firmware ||
            check_file(v, NM(v, "--firmware", "payload.firmware"), p->firmware,
                       FILE_REGULAR, false, NULL)) &&
           (!p->initramfs ||
            check_file(v, NM(v, "--initramfs", "payload.initramfs"),
                       p->initramfs, FILE_REGULAR, false, NULL));
}

static bool
validate_queues(VCtx *v, const char *w, uint32_t queue_size, uint32_t min)
{
    return vm_config_check_queue_size(w, "queue_size", queue_size, min,
                                      VM_CONFIG_QUEUE_SIZE_MAX, v->error);
}

static bool
validate_pci(VCtx *v, const char *w, uint16_t segment, int device_id)
{
    if (segment != 0)
        return vfail(v, w, "pci_segment=%u is out of range: only PCI segment 0 "
                     "exists for now", segment);
    if (device_id != -1 &&
        (device_id < 1 || device_id > VM_CONFIG_PCI_DEVICE_MAX))
        return vfail(v, w, "pci_device_id=%d is out of range: expected 1 to "
                     "%u (0 is the host bridge)", device_id,
                     VM_CONFIG_PCI_DEVICE_MAX);
    return true;
}

/* The images exist, open as the device will open them, and no image is
 * used twice (two writers on one image). */
static bool
check_host_disks(VCtx *v, const VmConfig *c)
{
    g_autofree struct stat *st = g_new0(struct stat, c->disks->len + 1);
    guint i, j;

    for (i = 0; i < c->disks->len; i++) {
        const DiskConfig *d = g_ptr_array_index(c->disks, i);
        g_autofree char *w = item_where(v, "--disk", "disks", i);
        g_autofree char *wp = v->names == VM_CONFIG_NAMES_CLI ? g_strdup(w) :
                              g_strdup_printf("%s.path", w);

        if (!d->path)
            continue;   /* a rule: vm_config_validate() refuses it */
        if (!check_file(v, wp, d->path, FILE_DISK, !d->readonly, &st[i]))
            return false;
        for (j = 0; j < i; j++) {
            const DiskConfig *o = g_ptr_array_index(c->disks, j);

            if (o->path && st[j].st_dev == st[i].st_dev &&
                st[j].st_ino == st[i].st_ino) {
                g_autofree char *other = item_where(v, "--disk", "disks", j);

                return vfail_code(v, G_IO_ERROR_EXISTS, wp,
                                  "%s is already used by %s%s", d->path, other,
                                  v->names == VM_CONFIG_NAMES_CLI ?
                                  " (the same image twice)" : "");
            }
        }
    }
    return true;
}

/* The CLI's spelling of an image type ("qcow2") or the JSON's ("Qcow2"). */
static const char *
image_type_name(VCtx *v, ImageType type)
{
    static const char *const cli[] = {
        [IMAGE_TYPE_RAW] = "raw", [IMAGE_TYPE_QCOW2] = "qcow2",
        [IMAGE_TYPE_FIXED_VHD] = "vhd", [IMAGE_TYPE_VHDX] = "vhdx",
    };
    const char *json = image_type_to_string(type);

    if (v->names == VM_CONFIG_NAMES_CLI && (guint)type < G_N_ELEMENTS(cli))
        return cli[type];
    return json ? json : "?";
}

/*
 * A vhost-user disk (CH's vhost_user=on,socket=): the back end owns the
 * image, so the options that describe one are refused rather than
 * ignored, and the back end maps guest RAM from its fds, which only a
 * shared mapping makes see the guest's writes (CH's
 * VhostUserRequiresSharedMemory).
 */
static bool
validate_vhost_user_disk(VCtx *v, const VmConfig *c, const DiskConfig *d,
                         const char *w)
{
    const size_t sun_max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
    const char *image_opt = d->readonly ? NM(v, "readonly=on", "readonly") :
                            d->direct ? NM(v, "direct=on", "direct") :
                            d->serial ? "serial" :
                            d->backing_files ?
                            NM(v, "backing_files=on", "backing_files") :
                            d->image_type != IMAGE_TYPE_UNKNOWN ?
                            "image_type" :
                            d->rate_limiter_config ?
                            NM(v, "bw_*/ops_*", "rate_limiter_config") :
                            d->rate_limit_group ? "rate_limit_group" : NULL;

    if (d->path)
        return vfail(v, w, "path=%s and vhost_user are mutually exclusive "
                     "(the vhost-user back end opens the image)", d->path);
    if (!d->vhost_socket || !*d->vhost_socket)
        return vfail(v, w, "vhost_user needs the back end's %s",
                     NM(v, "socket=<path>", "vhost_socket"));
    if (strlen(d->vhost_socket) > sun_max)
        return vfail(v, w, "socket=%s is longer than the %zu bytes a UNIX "
                     "socket path may have", d->vhost_socket, sun_max);
    if (image_opt)
        return vfail(v, w, "%s does not apply to a vhost-user disk (the "
                     "back end decides how it serves the image)", image_opt);
    return vm_config_require_shared_memory(c, w, v->error);
}

static bool
validate_disks(VCtx *v, const VmConfig *c)
{
    guint i;

    for (i = 0; i < c->disks->len; i++) {
        const DiskConfig *d = g_ptr_array_index(c->disks, i);
        g_autofree char *w = item_where(v, "--disk", "disks", i);
        g_autofree char *wp = v->names == VM_CONFIG_NAMES_CLI ? g_strdup(w) :
                              g_strdup_printf("%s.path", w);

        if (d->vhost_user && !validate_vhost_user_disk(v, c, d, w))
            return false;
        /* "" is how CH's own vm.info spells "no socket". */
        if (!d->vhost_user && d->vhost_socket && *d->vhost_socket)
            return vfail(v, w, "socket=%s needs vhost_user=on",
                         d->vhost_socket);
        if (!d->vhost_user && !d->path)
            return vfail(v, w, "a path is required (or vhost_user=on with "
                         "a socket)");
        if (!check_nonempty(v, wp, d->path))
            return false;
        if (d->num_queues < 1 || d->num_queues > VM_CONFIG_DISK_QUEUES_MAX)
            return vfail(v, w, "num_queues=%u is out of range: expected 1 "
                         "to %u", d->num_queues, VM_CONFIG_DISK_QUEUES_MAX);
        if (d->num_queues > c->cpus.boot_vcpus)
            return vfail(v, w, "num_queues=%u is more than the %u boot vCPUs "
                         "(one queue per vCPU at most)", d->num_queues,
                         c->cpus.boot_vcpus);
        /* A request is a header, data and a status descriptor: with fewer
         * than 4 entries no request could carry data (seg_max would be
         * queue_size - 2). */
        if (!validate_queues(v, w, d->queue_size, 4) ||
            !validate_pci(v, w, d->pci_segment, d->pci_device_id) ||
            !validate_iommu(v, w, d->iommu, d->vhost_user))
            return false;
        /* The one place that says which image types nimbus opens (an
         * autodetected image's header is read when the device opens
         * it, as CH does: by its magic, raw when none matches). */
        if (d->image_type != IMAGE_TYPE_RAW &&
            d->image_type != IMAGE_TYPE_QCOW2 &&
            d->image_type != IMAGE_TYPE_FIXED_VHD &&
            d->image_type != IMAGE_TYPE_VHDX &&
            d->image_type != IMAGE_TYPE_UNKNOWN)
            return vfail(v, w, "image_type=%s is not supported yet",
                         image_type_name(v, d->image_type));
        if (d->serial && strlen(d->serial) > VM_CONFIG_DISK_SERIAL_MAX)
            return vfail(v, w, "serial=%s is longer than the %u bytes "
                         "virtio-blk can report", d->serial,
                         VM_CONFIG_DISK_SERIAL_MAX);
    }
    return true;
}

/* Linux's dev_valid_name(): what the tap's name may be. */
static bool
tap_name_valid(const char *s)
{
    if (!*s || strlen(s) > VM_CONFIG_TAP_NAME_MAX || !strcmp(s, ".") ||
        !strcmp(s, ".."))
        return false;
    for (; *s; s++) {
        if (*s == '/' || *s == ':' || g_ascii_isspace(*s))
            return false;
    }
    return true;
}

/* A netmask is a run of ones then zeros. */
static bool
mask_contiguous(GInetAddress *mask)
{
    const guint8 *b = g_inet_address_to_bytes(mask);
    gsize n = g_inet_address_get_native_size(mask), i;
    bool zero = false;
    int bit;

    for (i = 0; i < n; i++) {
        for (bit = 7; bit >= 0; bit--) {
            bool one = b[i] >> bit & 1;

            if (one && zero)
                return false;
            zero = !one;
        }
    }
    return true;
}

static bool
validate_net_addr(VCtx *v, const char *w, const NetConfig *n)
{
    g_autoptr(GInetAddress) ip = NULL;
    g_autoptr(GInetAddress) mask = NULL;
    uint8_t mac[6];

    if (n->mac && !vm_config_mac_parse(n->mac, mac))
        return vfail(v, w, "mac=%s: expected six hex bytes like "
                     "52:54:00:12:34:56", n->mac);
    if (n->mac && (mac[0] & 1))
        return vfail(v, w, "mac=%s is a multicast address", n->mac);
    if (n->host_mac && !vm_config_mac_parse(n->host_mac, mac))
        return vfail(v, w, "host_mac=%s: expected six hex bytes like "
                     "52:54:00:12:34:56", n->host_mac);
    if (n->ip && !(ip = g_inet_address_new_from_string(n->ip)))
        return vfail(v, w, "ip=%s is not an IPv4 or IPv6 address", n->ip);
    /* The TAP gets its address with SIOCSIFADDR, which is IPv4 only. */
    if (ip && g_inet_address_get_family(ip) != G_SOCKET_FAMILY_IPV4)
        return vfail(v, w, "ip=%s: IPv6 host addresses are not supported yet",
                     n->ip);
    if (n->mask && !n->ip)
        return vfail(v, w, "mask=%s needs ip=", n->mask);
    if (n->mask && !(mask = g_inet_address_new_from_string(n->mask)))
        return vfail(v, w, "mask=%s is not an IPv4 or IPv6 netmask", n->mask);
    if (mask &&
        g_inet_address_get_family(mask) != g_inet_address_get_family(ip))
        return vfail(v, w, "mask=%s and ip=%s are not of the same family",
                     n->mask, n->ip);
    if (mask && !mask_contiguous(mask))
        return vfail(v, w, "mask=%s is not a netmask (its one bits must come "
                     "first)", n->mask);
    return true;
}

static bool
validate_net_fds(VCtx *v, const char *w, const NetConfig *n)
{
    const char *key = NM(v, "fd", "fds");
    guint i;

    if (!n->fds)
        return true;
    if (n->tap)
        return vfail(v, w, "tap=%s and %s cannot be used together", n->tap,
                     key);
    if (n->fds->len * 2 != n->num_queues)
        return vfail(v, w, "%u tap fds need num_queues=%u (one fd per RX/TX "
                     "queue pair), not %u", n->fds->len, n->fds->len * 2,
                     n->num_queues);
    for (i = 0; i < n->fds->len; i++) {
        int fd = g_array_index(n->fds, int, i);

        if (fd == -1)
            return vfail(v, w, "%s: no fd was received for placeholder %u "
                         "(send the tap fds with the request, as SCM_RIGHTS)",
                         key, i);
        if (fd >= 0 && fd <= 2)
            return vfail(v, w, "%s: fd %d is reserved (stdin, stdout or "
                         "stderr)", key, fd);
        if (fd < 0)
            return vfail(v, w, "%s: %d is not an open file descriptor", key,
                         fd);
    }
    return true;
}

/* The tap fds are open in this process. */
static bool
check_host_net_fds(VCtx *v, const VmConfig *c)
{
    const char *key = NM(v, "fd", "fds");
    guint i, j;

    for (i = 0; i < c->net->len; i++) {
        const NetConfig *n = g_ptr_array_index(c->net, i);
        g_autofree char *w = item_where(v, "--net", "net", i);

        for (j = 0; n->fds && j < n->fds->len; j++) {
            int fd = g_array_index(n->fds, int, j);

            if (fd > 2 && fcntl(fd, F_GETFD) < 0)
                return vfail(v, w, "%s: %d is not an open file descriptor",
                             key, fd);
        }
    }
    return true;
}

/*
 * A vhost-user net (CH's vhost_user=on,socket=,vhost_mode=): the back end
 * owns the host side, so what describes a TAP is refused rather than
 * ignored; rate limits are the back end's too, and it maps guest RAM from
 * its fds, which only a shared mapping keeps in step with the guest.
 */
static bool
validate_vhost_user_net(VCtx *v, const VmConfig *c, const NetConfig *n,
                        const char *w)
{
    const size_t sun_max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
    const char *tap_opt = n->tap ? "tap" : n->ip ? "ip" :
                          n->mask ? "mask" : n->host_mac ? "host_mac" :
                          n->fds ? NM(v, "fd", "fds") : NULL;

    if (!n->vhost_socket || !*n->vhost_socket)
        return vfail(v, w, "vhost_user needs the back end's %s",
                     NM(v, "socket=<path>", "vhost_socket"));
    if (strlen(n->vhost_socket) > sun_max)
        return vfail(v, w, "socket=%s is longer than the %zu bytes a UNIX "
                     "socket path may have", n->vhost_socket, sun_max);
    if (tap_opt)
        return vfail(v, w, "%s does not apply to a vhost-user net (the back "
                     "end owns the host side)", tap_opt);
    if (n->rate_limiter_config)
        return vfail(v, w, "%s does not apply to a vhost-user net (the back "
                     "end moves the packets)",
                     NM(v, "bw_*/ops_*", "rate_limiter_config"));
    return vm_config_require_shared_memory(c, w, v->error);
}

static bool
validate_nets(VCtx *v, const VmConfig *c)
{
    guint i;

    for (i = 0; i < c->net->len; i++) {
        const NetConfig *n = g_ptr_array_index(c->net, i);
        g_autofree char *w = item_where(v, "--net", "net", i);

        if (n->vhost_mode && g_strcmp0(n->vhost_mode, "Server"))
            return vfail(v, w, "vhost_mode=%s: expected %s", n->vhost_mode,
                         NM(v, "client or server", "Client or Server"));
        if (n->vhost_user && !validate_vhost_user_net(v, c, n, w))
            return false;
        /* "" is how CH's own vm.info spells "no socket". */
        if (!n->vhost_user && n->vhost_socket && *n->vhost_socket)
            return vfail(v, w, "socket=%s needs vhost_user=on",
                         n->vhost_socket);
        if (n->num_queues < 2 || n->num_queues % 2 ||
            n->num_queues > VM_CONFIG_NET_QUEUES_MAX)
            return vfail(v, w, "num_queues=%u: expected an even number between "
                         "2 and %u (RX/TX queue pairs)", n->num_queues,
                         VM_CONFIG_NET_QUEUES_MAX);
        if (n->num_queues / 2 > c->cpus.boot_vcpus)
            return vfail(v, w, "num_queues=%u makes %u queue pairs, more than "
                         "the %u boot vCPUs", n->num_queues, n->num_queues / 2,
                         c->cpus.boot_vcpus);
        if (!validate_queues(v, w, n->queue_size, 2) ||
            !validate_pci(v, w, n->pci_segment, n->pci_device_id) ||
            !validate_iommu(v, w, n->iommu, n->vhost_user) ||
            !validate_net_addr(v, w, n) || !validate_net_fds(v, w, n))
            return false;
        if (n->tap && !tap_name_valid(n->tap))
            return vfail(v, w, "tap=%s is not a valid interface name (at most "
                         "%u characters, no '/', ':' or blanks)", n->tap,
                         VM_CONFIG_TAP_NAME_MAX);
        if (n->mtu &&
            (n->mtu < VM_CONFIG_MTU_MIN || n->mtu > VM_CONFIG_MTU_MAX))
            return vfail(v, w, "mtu=%u is out of range: expected %u to %u",
                         n->mtu, VM_CONFIG_MTU_MIN, VM_CONFIG_MTU_MAX);
    }
    return true;
}

static bool
validate_console(VCtx *v, const ConsoleConfig *con, const char *cli,
                 const char *json, bool debug)
{
    const char *w = NM(v, cli, json);

    if ((unsigned)con->mode >= CONSOLE_MODE_LAST)
        return vfail(v, w, "invalid mode %d", (int)con->mode);
    if (debug && (con->mode == CONSOLE_MODE_SOCKET ||
                  con->mode == CONSOLE_MODE_NULL))
        return vfail(v, w, "mode %s is not supported for the debug console "
                     "(off, pty, tty or file)",
                     console_mode_to_string(con->mode));
    if (con->mode == CONSOLE_MODE_FILE && (!con->file || !*con->file))
        return vfail(v, w, "mode %s needs a file path", NM(v, "file", "File"));
    if (con->mode == CONSOLE_MODE_SOCKET && (!con->socket || !*con->socket))
        return vfail(v, w, "mode %s needs a socket path",
                     NM(v, "socket", "Socket"));
    /* bind() takes at most sizeof(sun_path) - 1 bytes of path. */
    if (con->mode == CONSOLE_MODE_SOCKET &&
        strlen(con->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return vfail(v, w, "socket=%s is longer than the %zu bytes a UNIX "
                     "socket path may have", con->socket,
                     sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
    if (debug && con->iobase > 0xffff)
        return vfail(v, w, "iobase=0x%" G_GINT64_MODIFIER "x is not an I/O "
                     "port (0 to 0xffff)", con->iobase);
    return true;
}

static bool
validate_consoles(VCtx *v, const VmConfig *c)
{
    if (!validate_console(v, &c->serial, "--serial", "serial", false) ||
        !validate_console(v, &c->console, "--console", "console", false) ||
        !validate_console(v, &c->debug_console, "--debug-console",
                          "debug_console", true))
        return false;
    /* CH's DoubleTtyMode: only one of them can own the terminal's input. */
    if (c->serial.mode == CONSOLE_MODE_TTY &&
        c->console.mode == CONSOLE_MODE_TTY) {
        g_set_error_literal(v->error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            v->names == VM_CONFIG_NAMES_CLI ?
                            "--serial tty and --console tty cannot be used "
                            "together: only one of them can own the "
                            "terminal" :
                            "serial.mode and console.mode cannot both be Tty");
        return false;
    }
    return true;
}

typedef struct {
    const char *id;
    char *owner;
} IdEntry;

static void
id_entry_clear(IdEntry *e)
{
    g_free(e->owner);
}

/* Adds @id (owned by @owner, which is consumed) to @ids; duplicates are
 * G_IO_ERROR_EXISTS (the REST layer's 409). */
static bool
id_add(VCtx *v, GArray *ids, const char *id, char *owner, const char *dflt)
{
    IdEntry e = { id, owner };
    guint i;

    if (!*id) {
        vfail(v, owner, "id is empty");
        g_free(owner);
        return false;
    }
    /* CH reserves ids starting with "__" for its own devices. */
    if (g_str_has_prefix(id, "__") && g_strcmp0(id, dflt) != 0) {
        vfail(v, owner, "id '%s' is reserved (ids starting with '__' are "
              "the VMM's)", id);
        g_free(owner);
        return false;
    }
    for (i = 0; i < ids->len; i++) {
        const IdEntry *o = &g_array_index(ids, IdEntry, i);

        if (strcmp(o->id, id) == 0) {
            vfail_code(v, G_IO_ERROR_EXISTS, owner, "id '%s' is already used "
                       "by %s", id, o->owner);
            g_free(owner);
            return false;
        }
    }
    g_array_append_val(ids, e);
    return true;
}

static bool
validate_ids(VCtx *v, const VmConfig *c)
{
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(IdEntry));
    guint i;

    g_array_set_clear_func(ids, (GDestroyNotify)id_entry_clear);
    if (!id_add(v, ids, c->rng.id ? c->rng.id : "__rng",
                g_strdup(NM(v, "--rng", "rng")), "__rng"))
        return false;
    if (c->console.mode != CONSOLE_MODE_OFF &&
        !id_add(v, ids, c->console.id ? c->console.id : "__console",
                g_strdup(NM(v, "--console", "console")), "__console"))
        return false;
    for (i = 0; i < c->disks->len; i++) {
        const DiskConfig *d = g_ptr_array_index(c->disks, i);

        if (d->id && !id_add(v, ids, d->id, item_where(v, "--disk", "disks", i),
                             NULL))
            return false;
    }
    for (i = 0; i < c->net->len; i++) {
        const NetConfig *n = g_ptr_array_index(c->net, i);

        if (n->id && !id_add(v, ids, n->id, item_where(v, "--net", "net", i),
                             NULL))
            return false;
    }
    for (const VmConfigKind *const *k = vm_config_kinds(); *k; k++) {
        for (i = 0; i < vm_config_kind_count(c, *k); i++) {
            const char *id = vm_config_kind_id(
                *k, vm_config_kind_entry(c, *k, i));

            /* Not assigned yet: the single device's own id. */
            if (!id)
                id = (*k)->default_id;

            if (id && !id_add(v, ids, id,
                              vm_config_kind_where(*k, v->names, i),
                              (*k)->default_id))
                return false;
        }
    }
    /* A zone with hotplug_size names its virtio-mem device (CH). */
    for (i = 0; c->memory.zones && i < c->memory.zones->len; i++) {
        const MemoryZoneConfig *z = g_ptr_array_index(c->memory.zones, i);

        if (z->hotplug_size && z->id &&
            !id_add(v, ids, z->id,
                    item_where(v, "--memory-zone", "memory.zones", i), NULL))
            return false;
    }
    return true;
}

/* Whether a PCI function is translated by the virtio-iommu. */
typedef enum {
    XLATE_OFF,          /* iommu=off */
    XLATE_ON,           /* iommu=on, or the IOMMU itself */
    XLATE_CANNOT,       /* a kind nimbus never translates */
} Xlate;

/*
 * CH's OnIommuSegment and IommuNotSupportedOnSegment rules: on a segment
 * that --platform iommu_segments lists, every function is translated (the
 * VIOT names the whole segment, hot-added functions included), so a
 * device there without iommu=on would be one the guest believes
 * translated, and is not.  Unlike CH, the rng and console are held to it
 * too: nimbus puts them on segment 0 as CH does, and would otherwise hand
 * the guest an rng or console reading IOVAs as guest-physical addresses.
 */
static bool
check_iommu_segment(VCtx *v, const VmConfig *c, const char *owner, Xlate x)
{
    const char *seg = NM(v, "--platform iommu_segments",
                         "platform.iommu_segments");

    if (x == XLATE_ON || !platform_config_iommu_segment(c->platform, 0))
        return true;
    if (x == XLATE_OFF)
        return vfail(v, owner, "PCI segment 0 is behind the virtio-iommu "
                     "(%s), so each device on it needs %s", seg,
                     NM(v, "iommu=on", "iommu=true"));
    return vfail(v, owner, "PCI segment 0 is behind the virtio-iommu (%s), "
                 "and this device cannot be: only virtio-blk, -net, -rng, "
                 "-console, -vsock and -pmem without vhost-user are "
                 "translated", seg);
}

/* Takes a PCI slot for @owner (consumed): @want, or the lowest free one
 * when @want is -1, as pci_bus_add_device() will; the function's
 * translation @x must suit its segment (check_iommu_segment()). */
static bool
take_slot(VCtx *v, const VmConfig *c, char **owners, int want, char *owner,
          Xlate x)
{
    g_autofree char *o = owner;
    int slot = want;

    if (!check_iommu_segment(v, c, o, x))
        return false;
    if (slot < 0) {
        for (slot = 1; slot <= VM_CONFIG_PCI_DEVICE_MAX && owners[slot];
             slot++)
            ;
        if (slot > VM_CONFIG_PCI_DEVICE_MAX)
            return vfail(v, o, "no free PCI slot is left on segment 0 (%u "
                         "devices at most)", VM_CONFIG_PCI_DEVICE_MAX);
    } else if (owners[slot]) {
        return vfail(v, o, "pci_device_id=%d is already used by %s", slot,
                     owners[slot]);
    }
    owners[slot] = g_steal_pointer(&o);
    return true;
}

/*
 * The PCI slots as the devices will take them: in creation order
 * (devices/registry.c: console, disks, nets, rng, pvpanic, watchdog, the
 * kinds, the virtio-iommu; then daemon/device-manager.c's virtio-mems), a
 * device with a pci_device_id takes that slot, which must still be free,
 * and the others the lowest free one.  Checked here so that two devices
 * on one slot, or more devices than slots, are refused at vm.create and
 * not at boot.
 */
static bool
validate_pci_slots(VCtx *v, const VmConfig *c)
{
    char *owners[VM_CONFIG_PCI_DEVICE_MAX + 1] = { NULL };
    bool ok = true;
    guint i;

    owners[0] = g_strdup("the host bridge");
    if (c->console.mode != CONSOLE_MODE_OFF)
        ok = take_slot(v, c, owners, -1,
                       g_strdup(NM(v, "--console", "console")),
                       c->console.iommu ? XLATE_ON : XLATE_OFF);
    for (i = 0; ok && i < c->disks->len; i++) {
        const DiskConfig *d = g_ptr_array_index(c->disks, i);

        ok = take_slot(v, c, owners, d->pci_device_id,
                       item_where(v, "--disk", "disks", i),
                       d->vhost_user ? XLATE_CANNOT
                                     : d->iommu ? XLATE_ON : XLATE_OFF);
    }
    for (i = 0; ok && i < c->net->len; i++) {
        const NetConfig *n = g_ptr_array_index(c->net, i);

        ok = take_slot(v, c, owners, n->pci_device_id,
                       item_where(v, "--net", "net", i),
                       n->vhost_user ? XLATE_CANNOT
                                     : n->iommu ? XLATE_ON : XLATE_OFF);
    }
    if (ok)
        ok = take_slot(v, c, owners, -1, g_strdup(NM(v, "--rng", "rng")),
                       c->rng.iommu ? XLATE_ON : XLATE_OFF);
    /* The pvpanic function comes next (devices/registry.c). */
    if (ok && c->pvpanic)
        ok = take_slot(v, c, owners, -1,
                       g_strdup(NM(v, "--pvpanic", "pvpanic")),
                       XLATE_CANNOT);
    /* And the virtio-watchdog's (devices/virtio/watchdog.c). */
    if (ok && c->watchdog)
        ok = take_slot(v, c, owners, -1,
                       g_strdup(NM(v, "--watchdog", "watchdog")),
                       XLATE_CANNOT);
    /* Then the devices described in their own files, in table order (the
     * registry creates them in that order too); those without an iommu
     * hook cannot be translated (their tables refuse iommu=on). */
    for (const VmConfigKind *const *k = vm_config_kinds(); ok && *k; k++) {
        for (i = 0; ok && (*k)->pci && i < vm_config_kind_count(c, *k); i++) {
            gconstpointer e = vm_config_kind_entry(c, *k, i);

            ok = take_slot(v, c, owners, vm_config_kind_pci_device_id(*k, e),
                           vm_config_kind_where(*k, v->names, i),
                           !(*k)->iommu ? XLATE_CANNOT
                           : (*k)->iommu(e) ? XLATE_ON : XLATE_OFF);
        }
    }
    /* The virtio-iommu comes last (devices/registry.c), once the functions
     * it translates have their slots. */
    if (ok && vm_config_wants_iommu(c))
        ok = take_slot(v, c, owners, -1, g_strdup("the virtio-iommu"),
                       XLATE_ON);
    /* The virtio-mem functions come after it (daemon/device-manager.c):
     * --memory's, then one per zone with a hotplug region. */
    if (ok && c->memory.hotplug_size &&
        c->memory.hotplug_method == MEMORY_HOTPLUG_VIRTIO_MEM)
        ok = take_slot(v, c, owners, -1,
                       g_strdup(NM(v, "--memory", "memory")), XLATE_CANNOT);
    for (i = 0; ok && c->memory.zones && i < c->memory.zones->len; i++) {
        const MemoryZoneConfig *z = g_ptr_array_index(c->memory.zones, i);

        if (z->hotplug_size)
            ok = take_slot(v, c, owners, -1,
                           item_where(v, "--memory-zone", "memory.zones", i),
                           XLATE_CANNOT);
    }
    for (i = 0; i < G_N_ELEMENTS(owners); i++)
        g_free(owners[i]);
    return ok;
}

/* CH's LandlockConfig rules: the path is absolute (the VMM's working
 * directory is nobody's business), the access one of CH's spellings.
 * Whether the path exists is the host's question, asked when the ruleset
 * is built (daemon/landlock.c). */
static bool
validate_landlock(VCtx *v, const VmConfig *c)
{
    const char *where = NM(v, "--landlock-rules", "landlock_rules");

    for (guint i = 0; c->landlock_rules && i < c->landlock_rules->len; i++) {
        const LandlockConfig *r = g_ptr_array_index(c->landlock_rules, i);

        /* Both are required (the JSON walker's defaults are NULL). */
        if (!r->path || !r->access)
            return vfail(v, where, "rule %u: %s is required", i,
                         r->path ? "access" : "path");
        if (!g_path_is_absolute(r->path))
            return vfail(v, where, "path '%s' is not absolute", r->path);
        if (strcmp(r->access, "r") != 0 && strcmp(r->access, "w") != 0 &&
            strcmp(r->access, "rw") != 0)
            return vfail(v, where, "access '%s' of '%s' is not r, w or rw",
                         r->access, r->path);
    }
    if (c->landlock_rules && c->landlock_rules->len && !c->landlock_enable)
        return vfail(v, where, "rules are given but Landlock is not enabled "
                     "(%s)", NM(v, "--landlock", "landlock_enable"));
    return true;
}

/* Phase two: cannot fail. */
static void
fill_defaults(VmConfig *c)
{
    guint i;

    if (!c->rng.id)
        c->rng.id = g_strdup("__rng");
    if (!c->console.id && c->console.mode != CONSOLE_MODE_OFF)
        c->console.id = g_strdup("__console");
    for (i = 0; i < c->disks->len; i++) {
        DiskConfig *d = g_ptr_array_index(c->disks, i);

        if (!d->id)
            d->id = vm_config_next_device_id(c, "_disk");
    }
    for (i = 0; i < c->net->len; i++) {
        NetConfig *n = g_ptr_array_index(c->net, i);

        if (!n->id)
            n->id = vm_config_next_device_id(c, "_net");
        /* No MAC is made up here: a generated MAC is a runtime fact of the
         * net device (vm.info reports it), so that the config stays what
         * the user asked for.  ip= is IPv4 (validate_net_addr()). */
        if (n->ip && !n->mask)
            n->mask = g_strdup("255.255.255.0");   /* CH's IPv4 default */
    }
    vm_config_kinds_fill_ids(c);
    /* CH's VmConfig::validate(): the top-level iommu says whether the VM
     * gets a virtio-iommu, and any device behind it turns it on. */
    c->iommu = vm_config_wants_iommu(c);
}

bool
vm_config_validate_full(VmConfig *config, VmConfigNames names, GError **error)
{
    VCtx v = { names, error };

    if (!validate_payload(&v, &config->payload) ||
        !vm_config_validate_fw_cfg(&config->payload, names, error) ||
        !validate_cpus(&v, &config->cpus) ||
        !validate_ram(&v, config) ||
        !vm_config_validate_numa(config, names, error) ||
        !validate_disks(&v, config) || !validate_nets(&v, config) ||
        !vm_config_validate_rate_limits(config, names, error) ||
        !vm_config_validate_platform(config->platform, names, error) ||
        !(config->rng.src ||
          vfail(&v, NM(&v, "--rng", "rng.src"), "a source path is required")) ||
        !check_nonempty(&v, NM(&v, "--rng", "rng.src"), config->rng.src) ||
        !validate_consoles(&v, config) ||
        !vm_config_kinds_validate(config, names, error) ||
        !validate_ids(&v, config) ||
        !validate_pci_slots(&v, config) || !validate_landlock(&v, config))
        return false;
    fill_defaults(config);
    return true;
}

bool
vm_config_check_host(const VmConfig *config, VmConfigNames names,
                     GError **error)
{
    VCtx v = { names, error, config->landlock_enable };

    return check_host_payload(&v, &config->payload) &&
           vm_config_check_host_fw_cfg(&config->payload, names, error) &&
           check_host_disks(&v, config) &&
           (!config->rng.src ||
            check_file(&v, NM(&v, "--rng", "rng.src"), config->rng.src,
                       FILE_RNG, false, NULL)) &&
           check_host_net_fds(&v, config) &&
           vm_config_check_host_zones(config, names, error) &&
           vm_config_kinds_check_host(config, names, error);
}

bool
vm_config_validate(VmConfig *config, GError **error)
{
    return vm_config_validate_full(config, VM_CONFIG_NAMES_JSON, error);
}

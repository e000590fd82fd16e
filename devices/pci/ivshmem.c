/* SPDX-License-Identifier: Apache-2.0 */
/* ivshmem-plain (QEMU's docs/specs/ivshmem-spec.rst, CH's --ivshmem): a host file as a PCI BAR. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "config/vm-config-kind.h"
#include "config/vm-config-schema.h"
#include "devices/legacy/ratelimit.h"
#include "devices/pci/ivshmem.h"
#include "devices/pci/pci-bus.h"
#include "devices/pci/pci.h"
#include "devices/registry.h"
#include "devices/state.h"

/*
 * The whole device type in one file (docs/adding-a-device.md): CH's
 * IvshmemConfig, its rules, the device and its registry descriptor.
 *
 * The function is QEMU's ivshmem-plain, revision 1, as CH has it: BAR0
 * holds the four registers, BAR2 (64-bit, prefetchable) is the shared
 * memory, there is no BAR1 (MSI-X: ivshmem-doorbell only) and no
 * interrupt.  The memory is the first size= bytes of a host file mapped
 * MAP_SHARED: the host (or another VM mapping the same file) sees every
 * guest write at once, and the guest sees the host's.  It reaches the
 * guest as a hypervisor memory slot placed wherever BAR2 decodes: the
 * slot follows the guest's BAR writes and goes away while the BAR does
 * not decode (memory space off, or an address the PCI layer refused), so
 * guest accesses to BAR2 never exit to the VMM.
 *
 * Registers (the spec's table): IntrMask and IntrStatus are read/write
 * and reset to 0 (a read of IntrStatus clears it, as in QEMU); nothing
 * ever sets a status bit since plain has no peers.  IVPosition reads 0
 * ("not configured for interrupts").  Doorbell writes are ignored.  Only
 * aligned 32-bit accesses reach them; anything else reads 0 and is
 * ignored (the spec defines no other width).
 *
 * Threads: vCPUs access BAR0 (registers are atomics) and move BAR2 (the
 * bar_mapped hook runs with the bus's config lock held, which protects
 * @slot/@mapped); the control thread realizes, resets and restores.
 */

#define IVSHMEM_CLASS 0x050000           /* memory controller, RAM */
#define IVSHMEM_REVISION 1
#define IVSHMEM_MIN_SIZE 4096ULL         /* a hypervisor slot is pages */

/* ---- Config: CH's IvshmemConfig ------------------------------------------ */

typedef struct {
    char *path;
    uint64_t size;
    char *id;                     /* "__ivshmem" */
    int pci_device_id;            /* -1: allocate */
} IvshmemConfig;

static void ivshmem_config_free(gpointer p);

/* CH's JSON has path and size (no default there: required); its CLI
 * defaults size to 128 MiB. */
static const VField ivshmem_fields[] = {
    V_STR("id", IvshmemConfig, id),
    U_INT("pci_segment", 0, .cli_dflt = "0"),
    V_INT_OPT("pci_device_id", IvshmemConfig, pci_device_id, 1, 31),
    V_STR("path", IvshmemConfig, path,
          .flags = VF_JSON_REQUIRED | VF_CLI_REQUIRED | VF_PATH_RW,
          .cli_meta = "</path/to/a/file>"),
    V_UINT("size", IvshmemConfig, size, 0, G_MAXINT64, IVSHMEM_DEFAULT_SIZE,
           .flags = VF_JSON_REQUIRED | VF_CLI_SIZE),
    V_END
};

static const VStruct ivshmem_schema = {
    "IvshmemConfig", sizeof(IvshmemConfig), ivshmem_fields,
    ivshmem_config_free, NULL
};

static void
ivshmem_config_free(gpointer p)
{
    if (p)
        vschema_clear(&ivshmem_schema, p);
    g_free(p);
}

/* CH: size is a power of two (a BAR's size is); nimbus also needs whole
 * pages, since the memory reaches the guest as a hypervisor slot. */
static bool
ivshmem_validate(const VmConfig *config, gconstpointer entry,
                 const VmConfigKindCtx *ctx, GError **error)
{
    const IvshmemConfig *c = entry;

    if (!c->path || !*c->path) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: path must not be empty", ctx->where);
        return false;
    }
    if (c->size < IVSHMEM_MIN_SIZE || (c->size & (c->size - 1)) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: size=%" G_GUINT64_FORMAT " is not a power of two "
                    "of at least 4 KiB", ctx->where, c->size);
        return false;
    }
    return true;
}

/*
 * Opens @path as the device uses it: read-write, a regular file (a
 * /dev/shm object is one), at least @size bytes long.  As in CH the file
 * is neither created nor grown: a mapping past its end would fault the
 * guest's accesses (SIGBUS in the VMM), so a short file is refused here.
 * Returns the fd, or -1 with @error set.
 */
static int
ivshmem_open(const char *path, uint64_t size, const char *where,
             GError **error)
{
    struct stat st;
    int fd = open(path, O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        int err = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "%s: cannot open path '%s': %s", where, path,
                    g_strerror(err));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: path '%s' is not a regular file", where, path);
        close(fd);
        return -1;
    }
    if ((uint64_t)st.st_size < size) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: file '%s' is %" G_GINT64_FORMAT " bytes, smaller "
                    "than size=%" G_GUINT64_FORMAT, where, path,
                    (gint64)st.st_size, size);
        close(fd);
        return -1;
    }
    return fd;
}

/* At vm.create: the file opens as the device will open it. */
static bool
ivshmem_check_host(const VmConfig *config, gconstpointer entry,
                   const VmConfigKindCtx *ctx, GError **error)
{
    const IvshmemConfig *c = entry;
    int fd = ivshmem_open(c->path, c->size, ctx->where, error);

    if (fd < 0)
        return false;
    close(fd);
    return true;
}

static const VmConfigKind ivshmem_kind = {
    .json_key = "ivshmem",
    .cli_option = "--ivshmem",
    .fields = &ivshmem_schema,
    .default_id = IVSHMEM_ID,
    .pci = true,
    .validate = ivshmem_validate,
    .check_host = ivshmem_check_host,
};

/* ---- The device ---------------------------------------------------------- */

typedef struct {
    VmmDevice dev;
    PciDevice pci;
    PciBus *bus;                  /* immutable */
    int slot;                     /* immutable; -1: allocated */
    /* Immutable after ivshmem_new(): the file's shared mapping. */
    char *path;
    void *hva;
    uint64_t size;
    /* BAR2's memory slot: the bus's config lock (bar_mapped, reset,
     * restore and unrealize all run under it or alone). */
    uint32_t mem_slot;
    bool mem_mapped;
    RateLimit map_log;            /* config lock */
    /* Registers: atomics (vCPU threads). */
    guint32 intr_mask;
    guint32 intr_status;
    RateLimit access_log;         /* vCPU threads (racy counts are fine) */
} Ivshmem;

static Ivshmem *
ivshmem_from_dev(VmmDevice *dev)
{
    return (Ivshmem *)dev;
}

static void
ivshmem_reg_read(Ivshmem *s, uint64_t off, void *data, unsigned len)
{
    uint32_t v = 0;

    memset(data, 0, len);
    if (len != 4 || off % 4) {
        legacy_debug_ratelimited(&s->access_log, "%s: ignoring %u-byte read "
                                 "at BAR0 offset %" G_GUINT64_FORMAT,
                                 s->dev.id, len, off);
        return;
    }
    switch (off) {
    case IVSHMEM_REG_INTR_MASK:
        v = __atomic_load_n(&s->intr_mask, __ATOMIC_RELAXED);
        break;
    case IVSHMEM_REG_INTR_STATUS:
        /* The spec (revision 0): reading the status clears it. */
        v = __atomic_exchange_n(&s->intr_status, 0, __ATOMIC_RELAXED);
        break;
    default:
        /* IVPosition: 0, no interrupts; Doorbell (write-only) and the
         * reserved bytes: 0. */
        break;
    }
    vmm_le_store(data, 4, v);
}

static void
ivshmem_reg_write(Ivshmem *s, uint64_t off, const void *data, unsigned len)
{
    uint32_t v;

    if (len != 4 || off % 4) {
        legacy_debug_ratelimited(&s->access_log, "%s: ignoring %u-byte "
                                 "write at BAR0 offset %" G_GUINT64_FORMAT,
                                 s->dev.id, len, off);
        return;
    }
    v = (uint32_t)vmm_le_load(data, 4);
    switch (off) {
    case IVSHMEM_REG_INTR_MASK:
        __atomic_store_n(&s->intr_mask, v, __ATOMIC_RELAXED);
        break;
    case IVSHMEM_REG_INTR_STATUS:
        __atomic_store_n(&s->intr_status, v, __ATOMIC_RELAXED);
        break;
    default:
        /* The doorbell has no peer to ring without a server; IVPosition
         * is read-only; the rest is reserved. */
        legacy_debug_ratelimited(&s->access_log, "%s: ignoring write of "
                                 "0x%x at BAR0 offset %" G_GUINT64_FORMAT,
                                 s->dev.id, v, off);
        break;
    }
}

static void
ivshmem_bar_read(PciDevice *pdev, unsigned bar, uint64_t off, void *data,
                 unsigned len)
{
    Ivshmem *s = ivshmem_from_dev(pdev->owner);

    if (bar == IVSHMEM_REG_BAR) {
        ivshmem_reg_read(s, off, data, len);
        return;
    }
    /* BAR2 decodes but its slot could not be added (logged then): the
     * guest reads what an unclaimed address gives. */
    vmm_device_read_ones(data, len);
}

static void
ivshmem_bar_write(PciDevice *pdev, unsigned bar, uint64_t off,
                  const void *data, unsigned len)
{
    Ivshmem *s = ivshmem_from_dev(pdev->owner);

    if (bar == IVSHMEM_REG_BAR)
        ivshmem_reg_write(s, off, data, len);
}

/* BAR2 starts or stops decoding at @addr (config lock held): the memory
 * slot follows it.  A slot the hypervisor refuses (the guest put the BAR
 * over other device memory) leaves the BAR without memory until the
 * guest moves it again: the VMM goes on. */
static void
ivshmem_bar_mapped(PciDevice *pdev, unsigned bar, uint64_t addr, bool mapped)
{
    Ivshmem *s = ivshmem_from_dev(pdev->owner);
    g_autoptr(GError) error = NULL;

    if (bar != IVSHMEM_MEM_BAR)
        return;
    if (s->mem_mapped) {
        device_host_unmap_memory(s->dev.host, s->mem_slot);
        s->mem_mapped = false;
    }
    if (!mapped)
        return;
    if (!device_host_map_memory(s->dev.host, addr, s->size, s->hva,
                                &s->mem_slot, &error)) {
        unsigned supp;

        if (ratelimit_allow(&s->map_log, RATELIMIT_BURST,
                            RATELIMIT_INTERVAL_US, &supp))
            g_warning("%s: shared memory not mapped at BAR2 0x%"
                      G_GINT64_MODIFIER "x: %s", s->dev.id, addr,
                      error->message);
        return;
    }
    s->mem_mapped = true;
}

static const PciDeviceOps ivshmem_pci_ops = {
    .bar_read = ivshmem_bar_read,
    .bar_write = ivshmem_bar_write,
    .bar_mapped = ivshmem_bar_mapped,
};

static bool
ivshmem_realize(VmmDevice *dev, GError **error)
{
    Ivshmem *s = ivshmem_from_dev(dev);

    pci_device_init(&s->pci, &ivshmem_pci_ops, dev, dev->host,
                    IVSHMEM_VENDOR, IVSHMEM_DEVICE, IVSHMEM_CLASS,
                    IVSHMEM_REVISION, IVSHMEM_VENDOR, IVSHMEM_DEVICE);
    if (!pci_device_add_bar(&s->pci, IVSHMEM_REG_BAR, PCI_BAR_MEM32,
                            IVSHMEM_REG_BAR_SIZE, false, error) ||
        !pci_device_add_bar(&s->pci, IVSHMEM_MEM_BAR, PCI_BAR_MEM64,
                            s->size, true, error))
        return false;
    pci_device_finish_init(&s->pci);
    return pci_bus_add_device(s->bus, &s->pci, s->slot, error);
}

static void
ivshmem_unrealize(VmmDevice *dev)
{
    Ivshmem *s = ivshmem_from_dev(dev);

    if (s->pci.bus) {
        pci_bus_lock(s->bus);
        pci_device_unmap_bars(&s->pci);
        pci_bus_unlock(s->bus);
        pci_bus_remove_device(s->bus, &s->pci);
    }
}

static void
ivshmem_reset(VmmDevice *dev)
{
    Ivshmem *s = ivshmem_from_dev(dev);

    __atomic_store_n(&s->intr_mask, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&s->intr_status, 0, __ATOMIC_RELAXED);
    pci_device_reset(&s->pci);
}

/*
 * Snapshot state, as CH's IvshmemDeviceState: the registers and the
 * function's config space (where the guest put the BARs).  The shared
 * memory is not in it: it lives in the file, which the restored device
 * maps again at the saved BAR2 address (as CH does).
 */
typedef struct {
    PciDeviceState pci;
    uint32_t intr_mask;
    uint32_t intr_status;
} IvshmemState;

static const VmmStateField ivshmem_state_fields[] = {
    { .name = "pci", .type = VMM_STATE_STRUCT,
      .offset = offsetof(IvshmemState, pci), .desc = &pci_device_state_desc },
    VMM_STATE_UINT_FIELD(IvshmemState, intr_mask, 0, G_MAXUINT32),
    VMM_STATE_UINT_FIELD(IvshmemState, intr_status, 0, G_MAXUINT32),
};

static const VmmStateDesc ivshmem_state_desc = {
    .name = "ivshmem",
    .version = 1,
    .size = sizeof(IvshmemState),
    .fields = ivshmem_state_fields,
    .n_fields = G_N_ELEMENTS(ivshmem_state_fields),
};

static void
ivshmem_get_state(Ivshmem *s, IvshmemState *st)
{
    pci_device_get_state(&s->pci, &st->pci);
    st->intr_mask = __atomic_load_n(&s->intr_mask, __ATOMIC_RELAXED);
    st->intr_status = __atomic_load_n(&s->intr_status, __ATOMIC_RELAXED);
}

static JsonNode *
ivshmem_save(VmmDevice *dev, GError **error)
{
    g_autofree IvshmemState *st = g_new0(IvshmemState, 1);

    ivshmem_get_state(ivshmem_from_dev(dev), st);
    return vmm_state_save(&ivshmem_state_desc, st);
}

static bool
ivshmem_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    Ivshmem *s = ivshmem_from_dev(dev);
    g_autofree IvshmemState *st = g_new0(IvshmemState, 1);

    ivshmem_get_state(s, st);
    if (!vmm_state_load(&ivshmem_state_desc, state, dev->id, st, error))
        return false;
    __atomic_store_n(&s->intr_mask, st->intr_mask, __ATOMIC_RELAXED);
    __atomic_store_n(&s->intr_status, st->intr_status, __ATOMIC_RELAXED);
    pci_device_set_state(&s->pci, &st->pci);
    return true;
}

static char *
ivshmem_bdf(VmmDevice *dev)
{
    return pci_device_bdf(&ivshmem_from_dev(dev)->pci);
}

static void
ivshmem_free(VmmDevice *dev)
{
    Ivshmem *s = ivshmem_from_dev(dev);

    if (s->hva)
        munmap(s->hva, s->size);
    g_free(s->path);
    g_free(s);
}

static const VmmDeviceOps ivshmem_ops = {
    .name = "ivshmem",
    .pci_bdf = ivshmem_bdf,
    .realize = ivshmem_realize,
    .unrealize = ivshmem_unrealize,
    .reset = ivshmem_reset,
    .save = ivshmem_save,
    .restore = ivshmem_restore,
    .free = ivshmem_free,
};

VmmDevice *
ivshmem_new(DeviceHost *host, const char *id, PciBus *bus, int slot,
            const char *path, uint64_t size, GError **error)
{
    g_autoptr(VmmDevice) dev = NULL;
    Ivshmem *s;
    int fd;

    g_return_val_if_fail(size >= IVSHMEM_MIN_SIZE && !(size & (size - 1)),
                         NULL);
    if ((fd = ivshmem_open(path, size, "--ivshmem", error)) < 0)
        return NULL;
    s = g_new0(Ivshmem, 1);
    vmm_device_init(&s->dev, &ivshmem_ops, host, id ? id : IVSHMEM_ID);
    dev = &s->dev;
    s->bus = bus;
    s->slot = slot;
    s->path = g_strdup(path);
    s->size = size;
    s->hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (s->hva == MAP_FAILED) {
        int err = errno;

        s->hva = NULL;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "--ivshmem: cannot map '%s': %s", path, g_strerror(err));
        return NULL;
    }
    return g_steal_pointer(&dev);
}

PciDevice *
ivshmem_get_pci(VmmDevice *dev)
{
    return &ivshmem_from_dev(dev)->pci;
}

/* ---- Registry descriptor ------------------------------------------------- */

static VmmDevice *
ivshmem_create(DeviceCreateCtx *ctx, gpointer entry, GError **error)
{
    const IvshmemConfig *c = entry;
    VmmDevice *dev;

    if (!device_create_pci_bus(ctx, error))
        return NULL;
    dev = ivshmem_new(ctx->host, c->id, ctx->bus, c->pci_device_id, c->path,
                      c->size, error);
    return dev ? device_create_add(ctx, dev, error) : NULL;
}

/* No hotplug: CH has no vm.add-ivshmem (its device cannot free its BARs). */
const DeviceType ivshmem_type = {
    .name = "ivshmem",
    .cli_option = "--ivshmem",
    .json_key = "ivshmem",
    .cli_help = "Inter-VM shared memory (ivshmem-plain): "
                "path=</path/to/a/file>,size=<file_size, a power of 2>,"
                "id=<device_id>,pci_segment=<segment_id>,"
                "pci_device_id=<slot> [default: size=128M]",
    .example = "path=nimbus-ivshmem-example.shm,size=64K",
    .kind = &ivshmem_kind,
    .create = ivshmem_create,
};

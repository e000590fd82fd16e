/* SPDX-License-Identifier: Apache-2.0 */
/* QEMU's fw_cfg device (docs/specs/fw_cfg.rst): selector/data ports, file directory, DMA. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "config/vm-config-fwcfg.h"
#include "devices/device-host.h"
#include "devices/legacy/fw-cfg.h"
#include "devices/legacy/ratelimit.h"
#include "devices/state.h"

/*
 * The guest selects an item by writing its key to the selector, then reads
 * it byte by byte from the data port, or describes a transfer in a
 * FWCfgDmaAccess structure in its memory and writes that structure's
 * address to the DMA register.  Every item is read-only: a guest write
 * (through the data port or a DMA WRITE) is refused as QEMU refuses it
 * for items no device made writable.
 *
 * Everything the guest controls is checked here: a selector naming no
 * item reads as zeros, reads past an item's end read zeros, a DMA
 * structure or buffer outside guest RAM sets the structure's ERROR bit
 * (or, when the structure itself cannot be read, is dropped), and nothing
 * the guest does allocates, blocks on the control plane or aborts.
 */

/* The Linux boot protocol's setup header (Documentation/arch/x86/
 * boot.rst): where a bzImage says how long its real-mode part is. */
#define BZ_SETUP_SECTS 0x1f1
#define BZ_HEADER_MAGIC 0x202        /* "HdrS" */
#define BZ_TYPE_OF_LOADER 0x210
#define BZ_HEADER_END 0x268          /* enough for the fields above */
#define BZ_SETUP_SECTS_DEFAULT 4     /* 0 means 4 (boot.rst) */
#define BZ_SETUP_MAX ((255 + 1) * 512)

#define FW_CFG_FIXED_KEYS FW_CFG_KEY_FILE_FIRST
/* The selector space above the fixed keys. */
#define FW_CFG_MAX_FILES (FW_CFG_KEY_MASK + 1 - FW_CFG_KEY_FILE_FIRST)
#define FW_CFG_BOUNCE 4096

/* An item's contents: bytes held in memory, or a window of an open file
 * (the kernel and the initramfs, which are read where they lie). */
typedef struct {
    GBytes *bytes;                /* NULL when fd-backed or absent */
    int fd;                       /* -1 unless fd-backed */
    uint64_t fd_off;
    uint32_t size;
} FwCfgEntry;

typedef struct {
    char name[FW_CFG_FILE_NAME_SIZE];
    FwCfgEntry e;
} FwCfgFile;

typedef struct {
    VmmDevice dev;
    /* Immutable after realize: the items. */
    FwCfgEntry fixed[FW_CFG_FIXED_KEYS];
    GPtrArray *files;             /* FwCfgFile*, key FILE_FIRST + index */
    GMutex lock;
    /* lock: what the guest set. */
    uint16_t selector;
    uint32_t offset;
    uint32_t dma_hi;
    uint8_t bounce[FW_CFG_BOUNCE];
    RateLimit rl;                 /* lock */
} FwCfg;

static FwCfg *
fw_cfg_from_dev(VmmDevice *dev)
{
    return (FwCfg *)dev;
}

static void
fw_cfg_entry_clear(FwCfgEntry *e)
{
    g_clear_pointer(&e->bytes, g_bytes_unref);
    if (e->fd >= 0)
        close(e->fd);
    e->fd = -1;
    e->size = 0;
}

static void
fw_cfg_entry_set_bytes(FwCfgEntry *e, GBytes *data)
{
    fw_cfg_entry_clear(e);
    e->bytes = g_bytes_ref(data);
    e->size = (uint32_t)g_bytes_get_size(data);
}

static void
fw_cfg_set_u32(FwCfg *f, uint16_t key, uint32_t v)
{
    uint32_t le = GUINT32_TO_LE(v);
    g_autoptr(GBytes) b = g_bytes_new(&le, sizeof(le));

    fw_cfg_entry_set_bytes(&f->fixed[key], b);
}

static void
fw_cfg_file_free(FwCfgFile *file)
{
    fw_cfg_entry_clear(&file->e);
    g_free(file);
}

/* The entry @key selects; NULL when none (reads then return zeros). */
static const FwCfgEntry *
fw_cfg_entry_get(FwCfg *f, uint16_t key)
{
    const FwCfgFile *file;

    if (key & (FW_CFG_KEY_WRITE | FW_CFG_KEY_ARCH_LOCAL))
        return NULL;
    if (key < FW_CFG_FIXED_KEYS)
        return f->fixed[key].size ? &f->fixed[key] : NULL;
    if ((guint)(key - FW_CFG_KEY_FILE_FIRST) >= f->files->len)
        return NULL;
    file = g_ptr_array_index(f->files, key - FW_CFG_KEY_FILE_FIRST);
    return &file->e;
}

/* @len bytes of @e from @off (within its size) into @buf; 0 or -errno. */
static int
fw_cfg_entry_read(const FwCfgEntry *e, uint32_t off, void *buf, size_t len)
{
    size_t done = 0;

    if (e->bytes) {
        memcpy(buf, (const uint8_t *)g_bytes_get_data(e->bytes, NULL) + off,
               len);
        return 0;
    }
    while (done < len) {
        ssize_t n = pread(e->fd, (uint8_t *)buf + done, len - done,
                          (off_t)(e->fd_off + off + done));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;          /* the file shrank under us */
        done += (size_t)n;
    }
    return 0;
}

static void
fw_cfg_select_locked(FwCfg *f, uint16_t key)
{
    f->selector = key;
    f->offset = 0;
}

/* The data port: the selected item's next byte, or 0 past its end. */
static uint8_t
fw_cfg_data_byte_locked(FwCfg *f)
{
    const FwCfgEntry *e = fw_cfg_entry_get(f, f->selector);
    uint8_t v = 0;

    if (!e || f->offset >= e->size)
        return 0;
    if (fw_cfg_entry_read(e, f->offset, &v, 1) < 0)
        v = 0;
    f->offset++;
    return v;
}

/* Zeros into guest memory (a read past an item's end). */
static int
fw_cfg_dma_zero_locked(FwCfg *f, uint64_t gpa, uint32_t len)
{
    memset(f->bounce, 0, sizeof(f->bounce));
    while (len) {
        uint32_t n = MIN(len, (uint32_t)sizeof(f->bounce));
        int r = device_host_write(f->dev.host, gpa, f->bounce, n);

        if (r < 0)
            return r;
        gpa += n;
        len -= n;
    }
    return 0;
}

/* @len bytes of @e from @off into guest memory at @gpa. */
static int
fw_cfg_dma_copy_locked(FwCfg *f, const FwCfgEntry *e, uint32_t off,
                       uint64_t gpa, uint32_t len)
{
    while (len) {
        uint32_t n = MIN(len, (uint32_t)sizeof(f->bounce));
        int r = fw_cfg_entry_read(e, off, f->bounce, n);

        if (r == 0)
            r = device_host_write(f->dev.host, gpa, f->bounce, n);
        if (r < 0)
            return r;
        off += n;
        gpa += n;
        len -= n;
    }
    return 0;
}

/* Big-endian fields of guest bytes, read bytewise: the buffer has no
 * alignment to lean on. */
static uint32_t
fw_cfg_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

/* One FWCfgDmaAccess at @desc, as QEMU's fw_cfg_dma_transfer() runs it:
 * select, then read, write or skip "length" bytes; the control word is
 * written back as 0, or with ERROR set. */
static void
fw_cfg_dma_locked(FwCfg *f, uint64_t desc)
{
    uint8_t raw[FW_CFG_DMA_ACCESS_SIZE];
    uint32_t control, length, status = 0, be;
    uint64_t addr;
    bool read, write;

    if (desc > G_MAXUINT64 - FW_CFG_DMA_ACCESS_SIZE ||
        device_host_read(f->dev.host, desc, raw, sizeof(raw)) < 0) {
        /* No structure to report the error in. */
        legacy_debug_ratelimited(&f->rl, "%s: DMA structure at 0x%" G_GINT64_MODIFIER
                                 "x is outside guest RAM", f->dev.id, desc);
        return;
    }
    control = fw_cfg_be32(raw);
    length = fw_cfg_be32(raw + 4);
    addr = (uint64_t)fw_cfg_be32(raw + 8) << 32 | fw_cfg_be32(raw + 12);

    if (control & FW_CFG_DMA_CTL_SELECT)
        fw_cfg_select_locked(f, (uint16_t)(control >> 16));
    read = control & FW_CFG_DMA_CTL_READ;
    write = !read && (control & FW_CFG_DMA_CTL_WRITE);
    if (!read && !write && !(control & FW_CFG_DMA_CTL_SKIP))
        length = 0;
    if (length && addr > G_MAXUINT64 - length)
        status |= FW_CFG_DMA_CTL_ERROR;     /* the buffer wraps around */
    while (length && !status) {
        const FwCfgEntry *e = fw_cfg_entry_get(f, f->selector);
        uint32_t n;

        if (!e || f->offset >= e->size) {
            /* Past the end: a read gets zeros, a write fails. */
            n = length;
            if (write || (read && fw_cfg_dma_zero_locked(f, addr, n) < 0))
                status |= FW_CFG_DMA_CTL_ERROR;
        } else {
            n = MIN(length, e->size - f->offset);
            /* Every item is read-only. */
            if (write || (read && fw_cfg_dma_copy_locked(f, e, f->offset,
                                                         addr, n) < 0))
                status |= FW_CFG_DMA_CTL_ERROR;
            else
                f->offset += n;
        }
        addr += n;
        length -= n;
    }
    be = GUINT32_TO_BE(status);
    if (device_host_write(f->dev.host, desc, &be, sizeof(be)) < 0)
        legacy_debug_ratelimited(&f->rl, "%s: cannot write the DMA status",
                                 f->dev.id);
}

/* vCPU thread. */
static void
fw_cfg_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    FwCfg *f = fw_cfg_from_dev(dev);
    uint8_t *out = data;
    static const char sig[] = FW_CFG_DMA_SIGNATURE;

    memset(data, 0, len);
    g_mutex_lock(&f->lock);
    if (off == 1) {
        /* The data port: successive bytes of the item. */
        for (unsigned i = 0; i < len; i++)
            out[i] = fw_cfg_data_byte_locked(f);
    } else if (off >= 4 && off + len <= FW_CFG_PIO_SIZE) {
        /* The DMA register reads as its signature, big endian. */
        memcpy(out, sig + (off - 4), len);
    }
    /* The selector is write-only: it reads 0. */
    g_mutex_unlock(&f->lock);
}

/* vCPU thread. */
static void
fw_cfg_write(VmmDevice *dev, uint64_t off, const void *data, unsigned len)
{
    FwCfg *f = fw_cfg_from_dev(dev);
    const uint8_t *in = data;

    g_mutex_lock(&f->lock);
    if (off == 0 && (len == 1 || len == 2)) {
        fw_cfg_select_locked(f, len == 2 ? (uint16_t)(in[0] | in[1] << 8)
                                         : in[0]);
    } else if (off == 4 && len == 4) {
        f->dma_hi = fw_cfg_be32(in);
    } else if (off == 8 && len == 4) {
        uint64_t desc = ((uint64_t)f->dma_hi << 32) | fw_cfg_be32(in);

        f->dma_hi = 0;
        fw_cfg_dma_locked(f, desc);
    } else {
        /* The data port is read-only, as QEMU's is for a guest. */
        legacy_debug_ratelimited(&f->rl, "%s: ignoring a %u-byte write at "
                                 "offset %" G_GUINT64_FORMAT, dev->id, len,
                                 off);
    }
    g_mutex_unlock(&f->lock);
}

/* The file directory (key 0x19): a be32 count, then one entry per file. */
static void
fw_cfg_build_dir(FwCfg *f)
{
    gsize size = 4 + (gsize)f->files->len * FW_CFG_FILE_ENTRY_SIZE;
    uint8_t *dir = g_malloc0(size);
    g_autoptr(GBytes) b = NULL;
    uint32_t count = GUINT32_TO_BE(f->files->len);

    memcpy(dir, &count, 4);
    for (guint i = 0; i < f->files->len; i++) {
        const FwCfgFile *file = g_ptr_array_index(f->files, i);
        uint8_t *ent = dir + 4 + (gsize)i * FW_CFG_FILE_ENTRY_SIZE;
        uint32_t sz = GUINT32_TO_BE(file->e.size);
        uint16_t sel = GUINT16_TO_BE(FW_CFG_KEY_FILE_FIRST + i);

        memcpy(ent, &sz, 4);
        memcpy(ent + 4, &sel, 2);
        memcpy(ent + 8, file->name, FW_CFG_FILE_NAME_SIZE);
    }
    b = g_bytes_new_take(dir, size);
    fw_cfg_entry_set_bytes(&f->fixed[FW_CFG_KEY_FILE_DIR], b);
}

static bool
fw_cfg_realize(VmmDevice *dev, GError **error)
{
    FwCfg *f = fw_cfg_from_dev(dev);
    static const uint8_t sig[] = { 'Q', 'E', 'M', 'U' };
    g_autoptr(GBytes) s = g_bytes_new_static(sig, sizeof(sig));

    fw_cfg_entry_set_bytes(&f->fixed[FW_CFG_KEY_SIGNATURE], s);
    fw_cfg_set_u32(f, FW_CFG_KEY_ID,
                   FW_CFG_FEATURE_TRADITIONAL | FW_CFG_FEATURE_DMA);
    fw_cfg_build_dir(f);
    return device_host_register_pio(dev->host, FW_CFG_PIO_BASE,
                                    FW_CFG_PIO_SIZE, dev, error);
}

static void
fw_cfg_unrealize(VmmDevice *dev)
{
    device_host_unregister_device(dev->host, dev);
}

static void
fw_cfg_reset(VmmDevice *dev)
{
    FwCfg *f = fw_cfg_from_dev(dev);

    g_mutex_lock(&f->lock);
    fw_cfg_select_locked(f, 0);
    f->dma_hi = 0;
    g_mutex_unlock(&f->lock);
}

/* The guest's position in the items; the items come from the config,
 * which the snapshot carries. */
typedef struct {
    uint16_t selector;
    uint32_t offset;
    uint32_t dma_hi;
} FwCfgState;

static const VmmStateField fw_cfg_state_fields[] = {
    VMM_STATE_UINT_FIELD(FwCfgState, selector, 0, G_MAXUINT16),
    VMM_STATE_UINT_FIELD(FwCfgState, offset, 0, G_MAXUINT32),
    VMM_STATE_UINT_FIELD(FwCfgState, dma_hi, 0, G_MAXUINT32),
};

static const VmmStateDesc fw_cfg_state_desc = {
    .name = "fw_cfg",
    .version = 1,
    .size = sizeof(FwCfgState),
    .fields = fw_cfg_state_fields,
    .n_fields = G_N_ELEMENTS(fw_cfg_state_fields),
};

static JsonNode *
fw_cfg_save(VmmDevice *dev, GError **error)
{
    FwCfg *f = fw_cfg_from_dev(dev);
    FwCfgState st;

    g_mutex_lock(&f->lock);
    st = (FwCfgState){ f->selector, f->offset, f->dma_hi };
    g_mutex_unlock(&f->lock);
    return vmm_state_save(&fw_cfg_state_desc, &st);
}

static bool
fw_cfg_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    FwCfg *f = fw_cfg_from_dev(dev);
    FwCfgState st = { 0 };

    if (!vmm_state_load(&fw_cfg_state_desc, state, dev->id, &st, error))
        return false;
    g_mutex_lock(&f->lock);
    f->selector = st.selector;
    f->offset = st.offset;
    f->dma_hi = st.dma_hi;
    g_mutex_unlock(&f->lock);
    return true;
}

static void
fw_cfg_free(VmmDevice *dev)
{
    FwCfg *f = fw_cfg_from_dev(dev);

    for (guint i = 0; i < FW_CFG_FIXED_KEYS; i++)
        fw_cfg_entry_clear(&f->fixed[i]);
    g_ptr_array_unref(f->files);
    g_mutex_clear(&f->lock);
    g_free(f);
}

static const VmmDeviceOps fw_cfg_ops = {
    .name = "fw_cfg",
    .realize = fw_cfg_realize,
    .unrealize = fw_cfg_unrealize,
    .reset = fw_cfg_reset,
    .read = fw_cfg_read,
    .write = fw_cfg_write,
    .save = fw_cfg_save,
    .restore = fw_cfg_restore,
    .free = fw_cfg_free,
};

VmmDevice *
fw_cfg_new(DeviceHost *host, const char *id)
{
    FwCfg *f = g_new0(FwCfg, 1);

    vmm_device_init(&f->dev, &fw_cfg_ops, host, id);
    for (guint i = 0; i < FW_CFG_FIXED_KEYS; i++)
        f->fixed[i].fd = -1;
    f->files = g_ptr_array_new_with_free_func((GDestroyNotify)fw_cfg_file_free);
    g_mutex_init(&f->lock);
    return &f->dev;
}

bool
fw_cfg_add_file(VmmDevice *dev, const char *name, GBytes *data,
                GError **error)
{
    FwCfg *f = fw_cfg_from_dev(dev);
    FwCfgFile *file;

    if (strlen(name) >= FW_CFG_FILE_NAME_SIZE || !*name) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "fw_cfg: '%s' is not a valid file name", name);
        return false;
    }
    if (g_bytes_get_size(data) > G_MAXUINT32) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "fw_cfg: '%s' is larger than 4 GiB", name);
        return false;
    }
    for (guint i = 0; i < f->files->len; i++) {
        file = g_ptr_array_index(f->files, i);
        if (!strcmp(file->name, name)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                        "fw_cfg: the file '%s' exists already", name);
            return false;
        }
    }
    if (f->files->len >= FW_CFG_MAX_FILES) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "fw_cfg: no selector left for '%s'", name);
        return false;
    }
    file = g_new0(FwCfgFile, 1);
    file->e.fd = -1;
    g_strlcpy(file->name, name, sizeof(file->name));
    fw_cfg_entry_set_bytes(&file->e, data);
    g_ptr_array_add(f->files, file);
    return true;
}

/* @path opened for the device's keys: its fd and size. */
static int
fw_cfg_open(const char *what, const char *path, uint64_t *size,
            GError **error)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;

        if (fd >= 0)
            close(fd);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "fw_cfg %s '%s': %s", what, path, g_strerror(e));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > G_MAXUINT32) {
        close(fd);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "fw_cfg %s '%s': not a regular file of at most 4 GiB",
                    what, path);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

/* The kernel keys: a bzImage split as QEMU splits it (its real-mode setup
 * at SETUP_*, the rest at KERNEL_*); any other kernel (an ELF) whole at
 * KERNEL_*, with no setup. */
static bool
fw_cfg_load_kernel(FwCfg *f, const char *path, GError **error)
{
    uint8_t hdr[BZ_HEADER_END] = { 0 };
    uint64_t size, setup = 0;
    int fd = fw_cfg_open("kernel", path, &size, error);
    FwCfgEntry *k = &f->fixed[FW_CFG_KEY_KERNEL_DATA];

    if (fd < 0)
        return false;
    if (size >= sizeof(hdr) &&
        pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
        !memcmp(hdr + BZ_HEADER_MAGIC, "HdrS", 4)) {
        uint8_t sects = hdr[BZ_SETUP_SECTS] ? hdr[BZ_SETUP_SECTS]
                                            : BZ_SETUP_SECTS_DEFAULT;
        g_autofree uint8_t *buf = NULL;
        g_autoptr(GBytes) b = NULL;

        setup = (uint64_t)(sects + 1) * 512;
        if (setup > size ||
            !(buf = g_malloc(setup)) ||
            pread(fd, buf, setup, 0) != (ssize_t)setup) {
            close(fd);
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "fw_cfg kernel '%s': the bzImage is shorter than its "
                        "setup", path);
            return false;
        }
        /* As a boot loader would (boot.rst): the sector count it used,
         * and "undefined" as the loader type. */
        buf[BZ_SETUP_SECTS] = sects;
        buf[BZ_TYPE_OF_LOADER] = 0xff;
        b = g_bytes_new_take(g_steal_pointer(&buf), setup);
        fw_cfg_entry_set_bytes(&f->fixed[FW_CFG_KEY_SETUP_DATA], b);
        fw_cfg_set_u32(f, FW_CFG_KEY_SETUP_SIZE, (uint32_t)setup);
    }
    fw_cfg_entry_clear(k);
    k->fd = fd;
    k->fd_off = setup;
    k->size = (uint32_t)(size - setup);
    fw_cfg_set_u32(f, FW_CFG_KEY_KERNEL_SIZE, k->size);
    return true;
}

static bool
fw_cfg_load_initrd(FwCfg *f, const char *path, GError **error)
{
    uint64_t size;
    int fd = fw_cfg_open("initramfs", path, &size, error);
    FwCfgEntry *e = &f->fixed[FW_CFG_KEY_INITRD_DATA];

    if (fd < 0)
        return false;
    fw_cfg_entry_clear(e);
    e->fd = fd;
    e->size = (uint32_t)size;
    fw_cfg_set_u32(f, FW_CFG_KEY_INITRD_SIZE, e->size);
    return true;
}

/* One user item: its bytes, read now (so the guest sees the file as it
 * was when the VM was created). */
static bool
fw_cfg_load_item(FwCfg *f, const FwCfgItemConfig *it, GError **error)
{
    g_autoptr(GBytes) b = NULL;

    if (it->string) {
        b = g_bytes_new(it->string, strlen(it->string));
    } else {
        g_autoptr(GError) local = NULL;
        g_autoptr(GMappedFile) m = g_mapped_file_new(it->file, FALSE, &local);

        if (!m) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                        "fw_cfg item '%s': %s", it->name, local->message);
            return false;
        }
        if (g_mapped_file_get_length(m) > VM_CONFIG_FW_CFG_ITEM_SIZE_MAX) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "fw_cfg item '%s': %s is larger than %u bytes",
                        it->name, it->file, VM_CONFIG_FW_CFG_ITEM_SIZE_MAX);
            return false;
        }
        /* A copy: the mapping would follow later changes to the file. */
        b = g_bytes_new(g_mapped_file_get_contents(m),
                        g_mapped_file_get_length(m));
    }
    return fw_cfg_add_file(&f->dev, it->name, b, error);
}

bool
fw_cfg_load_payload(VmmDevice *dev, const PayloadConfig *p, GError **error)
{
    FwCfg *f = fw_cfg_from_dev(dev);
    const FwCfgConfig *c = p->fw_cfg_config;

    if (!c)
        return true;
    if (c->kernel && p->kernel && !fw_cfg_load_kernel(f, p->kernel, error))
        return false;
    if (c->initramfs && p->initramfs &&
        !fw_cfg_load_initrd(f, p->initramfs, error))
        return false;
    if (c->cmdline && p->cmdline) {
        /* With its NUL, as QEMU passes it. */
        g_autoptr(GBytes) b = g_bytes_new(p->cmdline, strlen(p->cmdline) + 1);

        fw_cfg_entry_set_bytes(&f->fixed[FW_CFG_KEY_CMDLINE_DATA], b);
        fw_cfg_set_u32(f, FW_CFG_KEY_CMDLINE_SIZE, (uint32_t)g_bytes_get_size(b));
    }
    if (c->items && c->items->item_list) {
        for (guint i = 0; i < c->items->item_list->len; i++) {
            if (!fw_cfg_load_item(f, g_ptr_array_index(c->items->item_list, i),
                                  error))
                return false;
        }
    }
    return true;
}

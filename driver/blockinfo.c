/* SPDX-License-Identifier: Apache-2.0 */
/* virDomainGetBlockInfo (virsh domblkinfo): a disk's sizes on the host. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/block/qcow2.h"
#include "devices/block/vhd.h"
#include "devices/block/vhdx.h"
#include "driver/blockinfo.h"
#include "driver/driver.h"
#include "driver/xml/disk-source.h"

/*
 * libvirt's meaning of the three numbers (virDomainBlockInfo): capacity
 * is what the guest sees, allocation what the image takes on the host
 * (st_blocks, as 'du'), physical the container's size (as 'ls').  The
 * virtual size comes from the header through the VMM's pure parsers, the
 * ones nimbus opens the image with, so both agree on what the image is;
 * nimbusd only reads (the running nimbus holds the image's lock).
 */

/* Reads exactly @len bytes of @fd at @off: 0, -EIO past the end of the
 * file, or -errno.  VhdxReadFn's contract. */
static int
image_read(void *opaque, void *buf, uint64_t len, uint64_t off)
{
    int fd = GPOINTER_TO_INT(opaque);
    uint64_t done = 0;

    while (done < len) {
        ssize_t n = pread(fd, (uint8_t *)buf + done, len - done,
                          (off_t)(off + done));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        done += (uint64_t)n;
    }
    return 0;
}

static bool
image_read_failed(const char *path, int r, GError **error)
{
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                "cannot read disk image '%s': %s", path, g_strerror(-r));
    return false;
}

/* The virtual size a qcow2 header gives; its first cluster at most. */
static bool
qcow2_capacity(int fd, const char *path, uint64_t size, uint64_t *cap,
               GError **error)
{
    size_t len = (size_t)MIN(size, 1ull << QCOW2_MAX_CLUSTER_BITS);
    g_autofree uint8_t *buf = g_malloc(MAX(len, 1));
    Qcow2Header h = { 0 };
    int r = image_read(GINT_TO_POINTER(fd), buf, len, 0);

    if (r < 0)
        return image_read_failed(path, r, error);
    if (!qcow2_header_parse(buf, len, size, path, &h, error))
        return false;
    *cap = h.size;
    qcow2_header_clear(&h);
    return true;
}

/* The current size a VHD footer (the file's last sector) gives. */
static bool
vhd_capacity(int fd, const char *path, uint64_t size, uint64_t *cap,
             GError **error)
{
    uint8_t footer[VHD_FOOTER_SIZE];
    VhdFooter f;
    int r;

    if (size < VHD_FOOTER_SIZE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHD image '%s' is shorter than its footer", path);
        return false;
    }
    r = image_read(GINT_TO_POINTER(fd), footer, sizeof(footer),
                   size - VHD_FOOTER_SIZE);
    if (r < 0)
        return image_read_failed(path, r, error);
    if (!vhd_footer_parse(footer, size, path, &f, error))
        return false;
    *cap = f.current_size;
    return true;
}

/* The virtual disk size in a VHDX image's metadata. */
static bool
vhdx_capacity(int fd, const char *path, uint64_t size, uint64_t *cap,
              GError **error)
{
    VhdxMeta m;

    if (!vhdx_meta_parse(image_read, GINT_TO_POINTER(fd), size, path, &m,
                         error))
        return false;
    *cap = m.size;
    return true;
}

bool
drv_image_block_info(const char *path, const char *format,
                     DrvBlockInfo *info, GError **error)
{
    struct stat st;
    uint64_t size;
    bool ok = false;
    int fd;

    /* O_NONBLOCK: a path naming a FIFO must not hang the daemon. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot open disk image '%s': %s", path, g_strerror(e));
        goto cleanup;
    }
    if (S_ISBLK(st.st_mode)) {
        /* A block device has no st_size or st_blocks: its end is its
         * size, and all of it is allocated (libvirt says the same). */
        off_t end = lseek(fd, 0, SEEK_END);

        if (end < 0) {
            int e = errno;

            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "cannot find the size of disk '%s': %s", path,
                        g_strerror(e));
            goto cleanup;
        }
        size = (uint64_t)end;
        info->allocation = size;
    } else if (S_ISREG(st.st_mode)) {
        size = (uint64_t)st.st_size;
        info->allocation = (uint64_t)st.st_blocks * 512;
    } else {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                    "disk image '%s' is neither a regular file nor a "
                    "block device", path);
        goto cleanup;
    }
    info->physical = size;
    if (!strcmp(format, "raw")) {
        info->capacity = size;
        ok = true;
    } else if (!strcmp(format, "qcow2")) {
        ok = qcow2_capacity(fd, path, size, &info->capacity, error);
    } else if (!strcmp(format, "vpc")) {
        ok = vhd_capacity(fd, path, size, &info->capacity, error);
    } else if (!strcmp(format, "vhdx")) {
        ok = vhdx_capacity(fd, path, size, &info->capacity, error);
    } else {
        /* validate.c admits only the four above. */
        g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                    "disk image '%s' has format '%s', which nimbusd cannot "
                    "read", path, format);
    }
 cleanup:
    if (fd >= 0)
        close(fd);
    return ok;
}

bool
drv_domain_get_block_info(DrvDomainObj *obj, const char *disk,
                          unsigned int flags, DrvBlockInfo *info,
                          GError **error)
{
    g_autofree char *path = NULL;
    g_autofree char *format = NULL;
    const DomainDef *def;
    bool found;

    if (!drv_check_flags(flags, 0, "virDomainGetBlockInfo", error))
        return false;
    drv_domain_obj_lock(obj);
    def = drv_domain_obj_current_def_checked(obj, error);
    found = def && domain_def_disk_image(def, disk, &path, &format, error);
    drv_domain_obj_unlock(obj);
    /* The image is read unlocked: a slow disk holds up no other call. */
    return found && drv_image_block_info(path, format, info, error);
}

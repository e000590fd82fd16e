/* SPDX-License-Identifier: Apache-2.0 */
/* A disk image backing chain, from the image headers (live <backingStore>). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/block/format.h"
#include "devices/block/qcow2.h"
#include "driver/image-chain.h"
#include "driver/xml/domain-conf.h"

/*
 * nimbusd reads the headers with the VMM's own pure parser
 * (qcow2_header_parse(), no I/O of its own) and never opens the images
 * as block devices: the running nimbus holds their locks.  Only headers
 * are read, each at most one cluster.
 */

/* Reads up to @len bytes of @fd at @off into @buf: the count, or -errno. */
static ssize_t
read_at(int fd, uint8_t *buf, size_t len, off_t off)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, off + (off_t)done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

static bool
open_image(const char *path, int *fd, uint64_t *size, GError **error)
{
    struct stat st;

    /* O_NONBLOCK: a backing name may point at a FIFO, which must not
     * hang the daemon; regular files and block devices ignore it. */
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (*fd < 0 || fstat(*fd, &st) < 0) {
        int e = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot read disk image '%s': %s", path, g_strerror(e));
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return false;
    }
    *size = (uint64_t)st.st_size;
    /* A block device (a qcow2 on LVM) has no st_size: its end says it. */
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(*fd, 0, SEEK_END);

        *size = end > 0 ? (uint64_t)end : 0;
    }
    return true;
}

static bool
image_readable(const char *path, GError **error)
{
    uint64_t size;
    int fd;

    if (!open_image(path, &fd, &size, error))
        return false;
    close(fd);
    return true;
}

static bool
read_failed(const char *path, ssize_t r, GError **error)
{
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno((int)-r),
                "cannot read disk image '%s': %s", path,
                g_strerror((int)-r));
    return false;
}

/* The format nimbus's probe finds for @path (block_format_probe(): header
 * magics first, then footers), in libvirt's words. */
static bool
probe_format(const char *path, const char **format, GError **error)
{
    static const BlockFormatOps *const formats[] = {
        &block_format_qcow2, &block_format_vhdx, &block_format_vhd,
    };
    uint8_t head[BLOCK_FORMAT_PROBE_SIZE];
    uint8_t tail[BLOCK_FORMAT_PROBE_SIZE];
    const BlockFormatOps *found = NULL;
    ssize_t hn, tn = 0;
    uint64_t size;
    int fd;

    if (!open_image(path, &fd, &size, error))
        return false;
    hn = read_at(fd, head, sizeof(head), 0);
    if (hn >= 0 && size >= sizeof(tail))
        tn = read_at(fd, tail, sizeof(tail), (off_t)(size - sizeof(tail)));
    close(fd);
    if (hn < 0 || tn < 0)
        return read_failed(path, hn < 0 ? hn : tn, error);
    for (guint i = 0; i < G_N_ELEMENTS(formats) && !found; i++) {
        if (formats[i]->probe && formats[i]->probe(head, (size_t)hn))
            found = formats[i];
    }
    for (guint i = 0; i < G_N_ELEMENTS(formats) && !found; i++) {
        if (formats[i]->probe_tail &&
            formats[i]->probe_tail(tail, (size_t)tn))
            found = formats[i];
    }
    if (!found)
        *format = "raw";
    else if (found == &block_format_vhd)
        *format = "vpc";        /* libvirt's name for VHD */
    else
        *format = found->name;
    return true;
}

/* The backing file name and format (each NULL: none given) that the
 * header of qcow2 image @path names; its first cluster at most is read. */
static bool
read_backing(const char *path, char **backing, char **backing_format,
             GError **error)
{
    g_autofree uint8_t *buf = NULL;
    Qcow2Header h = { 0 };
    uint64_t size;
    size_t len;
    ssize_t n;
    int fd;

    if (!open_image(path, &fd, &size, error))
        return false;
    len = (size_t)MIN(size, 1ull << QCOW2_MAX_CLUSTER_BITS);
    buf = g_malloc(MAX(len, 1));
    n = read_at(fd, buf, len, 0);
    close(fd);
    if (n < 0)
        return read_failed(path, n, error);
    if (!qcow2_header_parse(buf, (size_t)n, size, path, &h, error))
        return false;
    *backing = g_steal_pointer(&h.backing_file);
    *backing_format = g_steal_pointer(&h.backing_format);
    qcow2_header_clear(&h);
    return true;
}

GPtrArray *
drv_image_chain_read(const char *path, const char *format,
                     gpointer data G_GNUC_UNUSED, GError **error)
{
    g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func(
        (GDestroyNotify)domain_disk_backing_free);
    g_autofree char *cur = g_strdup(path);
    const char *fmt = format;

    /* Only qcow2 names a backing file among the formats nimbus opens. */
    while (g_strcmp0(fmt, "qcow2") == 0) {
        g_autofree char *backing = NULL;
        g_autofree char *backing_format = NULL;
        g_autofree char *dir = NULL;
        g_autofree char *next = NULL;

        if (!read_backing(cur, &backing, &backing_format, error))
            return NULL;
        if (!backing)
            break;
        /* The same limit and words as qcow2_open_backing(). */
        if (chain->len + 1 >= BLOCK_FORMAT_MAX_CHAIN) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "qcow2 image '%s': the backing chain is longer "
                        "than %u images (a loop?)", cur,
                        BLOCK_FORMAT_MAX_CHAIN);
            return NULL;
        }
        dir = g_path_get_dirname(cur);
        next = g_path_is_absolute(backing) ?
               g_strdup(backing) : g_build_filename(dir, backing, NULL);
        if (!backing_format) {
            if (!probe_format(next, &fmt, error))
                return NULL;
        } else if (!strcmp(backing_format, "raw") ||
                   !strcmp(backing_format, "qcow2")) {
            fmt = !strcmp(backing_format, "raw") ? "raw" : "qcow2";
        } else {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        "qcow2 image '%s': backing file format '%s' is not "
                        "supported (raw and qcow2 are)", cur,
                        backing_format);
            return NULL;
        }
        /* A raw end of the chain is not read, but nimbus opens it: one
         * that is missing fails the start here, by its name. */
        if (strcmp(fmt, "qcow2") != 0 && !image_readable(next, error))
            return NULL;
        g_ptr_array_add(chain, domain_disk_backing_new(next, fmt));
        g_free(cur);
        cur = g_steal_pointer(&next);
    }
    return g_steal_pointer(&chain);
}

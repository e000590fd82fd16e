/* SPDX-License-Identifier: Apache-2.0 */
/* The host side of a disk: open, OFD lock, sizes and synchronous I/O on the image file. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/block/file.h"
#include "devices/virtio/iov.h"

#define BLOCK_ZERO_BUF_SIZE (64 * 1024)

/* Immutable after block_file_open(): shared read-only by the workers. */
struct BlockFile {
    char *path;
    int fd;
    bool readonly;
    bool direct;
    bool is_blockdev;
    uint64_t size;
    uint32_t lbs;            /* logical block size */
    uint32_t pbs;            /* physical block size */
    uint32_t mem_align;      /* O_DIRECT buffer alignment */
    struct stat st;
    void *zeroes;            /* BLOCK_ZERO_BUF_SIZE, aligned, for WRITE_ZEROES */
};

const char *
block_file_path(const BlockFile *file)
{
    return file->path;
}

int
block_file_fd(const BlockFile *file)
{
    return file->fd;
}

uint64_t
block_file_size(const BlockFile *file)
{
    return file->size;
}

bool
block_file_readonly(const BlockFile *file)
{
    return file->readonly;
}

bool
block_file_direct(const BlockFile *file)
{
    return file->direct;
}

uint32_t
block_file_logical_block_size(const BlockFile *file)
{
    return file->lbs;
}

uint32_t
block_file_physical_block_size(const BlockFile *file)
{
    return file->pbs;
}

uint32_t
block_file_mem_align(const BlockFile *file)
{
    return file->mem_align;
}

char *
block_file_default_serial(const BlockFile *file)
{
    char *s = g_strdup_printf("%" G_GUINT64_FORMAT "%" G_GUINT64_FORMAT
                              "%" G_GUINT64_FORMAT, (guint64)file->st.st_dev,
                              (guint64)file->st.st_rdev,
                              (guint64)file->st.st_ino);

    if (strlen(s) > 20)
        s[20] = '\0';
    return s;
}

static bool
block_file_lock(BlockFile *file, GError **error)
{
    struct flock fl = {
        .l_type = file->readonly ? F_RDLCK : F_WRLCK,
        .l_whence = SEEK_SET,
        .l_start = 0,
        .l_len = 0,          /* the whole file */
    };

    /* OFD locks belong to this open file description: they conflict with
     * other nimbus (or CH, or QEMU) processes and are released on close,
     * not by an unrelated close() of the same file elsewhere. */
    if (fcntl(file->fd, F_OFD_SETLK, &fl) == 0)
        return true;
    if (errno == EAGAIN || errno == EACCES) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                    "disk image '%s' is locked by another process (%s "
                    "access refused: is another VM using it?)", file->path,
                    file->readonly ? "read" : "write");
    } else {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot lock disk image '%s': %s", file->path,
                    g_strerror(errno));
    }
    return false;
}

static bool
block_file_probe_sizes(BlockFile *file, GError **error)
{
    file->lbs = 512;
    file->pbs = 512;
    file->mem_align = 512;
    if (file->is_blockdev) {
        int lbs = 0;
        unsigned pbs = 0;

        if (ioctl(file->fd, BLKGETSIZE64, &file->size) < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        "cannot read the size of '%s': %s", file->path,
                        g_strerror(errno));
            return false;
        }
        if (ioctl(file->fd, BLKSSZGET, &lbs) == 0 && lbs >= 512 &&
            lbs <= 65536)
            file->lbs = lbs;
        if (ioctl(file->fd, BLKPBSZGET, &pbs) == 0 && pbs >= file->lbs &&
            pbs <= 65536)
            file->pbs = pbs;
    } else {
        file->size = (uint64_t)file->st.st_size;
        if (file->st.st_blksize >= 512 && file->st.st_blksize <= 65536 &&
            (file->st.st_blksize & (file->st.st_blksize - 1)) == 0)
            file->pbs = (uint32_t)file->st.st_blksize;
    }
    if (file->direct) {
        struct statx stx;

        /* STATX_DIOALIGN (Linux 6.1) says what O_DIRECT needs; older
         * kernels: the logical block size is the safe guess. */
        if (statx(file->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
            (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
            file->lbs = MAX(file->lbs, stx.stx_dio_offset_align);
            file->mem_align = MAX(512u, stx.stx_dio_mem_align);
        }
        file->mem_align = MAX(file->mem_align, file->lbs);
        file->pbs = MAX(file->pbs, file->lbs);
    }
    return true;
}

BlockFile *
block_file_open(const char *path, bool readonly, bool direct, GError **error)
{
    g_autoptr(BlockFile) file = g_new0(BlockFile, 1);
    int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC |
                (direct ? O_DIRECT : 0);

    file->fd = -1;
    file->path = g_strdup(path);
    file->readonly = readonly;
    file->direct = direct;
    file->fd = open(path, flags);
    if (file->fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot open disk image '%s'%s: %s", path,
                    direct ? " with O_DIRECT" : "", g_strerror(errno));
        return NULL;
    }
    if (fstat(file->fd, &file->st) < 0 ||
        (!S_ISREG(file->st.st_mode) && !S_ISBLK(file->st.st_mode))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "disk image '%s' is neither a regular file nor a block "
                    "device", path);
        return NULL;
    }
    file->is_blockdev = S_ISBLK(file->st.st_mode);
    if (!block_file_lock(file, error) ||
        !block_file_probe_sizes(file, error))
        return NULL;
    if (posix_memalign(&file->zeroes, MAX(4096u, file->mem_align),
                       BLOCK_ZERO_BUF_SIZE) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory");
        return NULL;
    }
    memset(file->zeroes, 0, BLOCK_ZERO_BUF_SIZE);
    return g_steal_pointer(&file);
}

void
block_file_free(BlockFile *file)
{
    if (!file)
        return;
    fd_close(file->fd);
    free(file->zeroes);
    g_free(file->path);
    g_free(file);
}

ssize_t
block_file_read_head(const BlockFile *file, void *buf, size_t len)
{
    /* O_DIRECT reads need an aligned buffer, offset and length. */
    size_t alen = (len + file->mem_align - 1) & ~((size_t)file->mem_align - 1);
    void *p = NULL;
    ssize_t r;

    if (posix_memalign(&p, MAX(4096u, file->mem_align), alen) != 0)
        return -ENOMEM;
    do {
        r = pread(file->fd, p, alen, 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        r = -errno;
    } else {
        r = MIN(r, (ssize_t)len);
        memcpy(buf, p, (size_t)r);
    }
    free(p);
    return r;
}

/* ---- Synchronous I/O ------------------------------------------------------ */

int64_t
block_file_rw(const BlockFile *file, bool write, const struct iovec *iov,
              unsigned iovcnt, uint64_t skip, uint64_t len, uint64_t offset)
{
    struct iovec part[IOV_MAX];
    uint64_t done = 0;

    while (done < len) {
        uint64_t at = skip + done;
        int n = iov_slice(iov, iovcnt, at, MIN(len - done, (uint64_t)SSIZE_MAX),
                          part, IOV_MAX);
        ssize_t r;

        if (n == -E2BIG) {
            /* More pieces than one syscall takes: just the current one. */
            uint64_t pos = 0;

            for (unsigned i = 0; i < iovcnt; i++) {
                if (at < pos + iov[i].iov_len) {
                    n = iov_slice(iov, iovcnt, at,
                                  MIN(pos + iov[i].iov_len, skip + len) - at,
                                  part, 1);
                    break;
                }
                pos += iov[i].iov_len;
            }
        }
        if (n < 0)
            return -EINVAL;
        r = write ? pwritev(file->fd, part, n, (off_t)(offset + done))
                  : preadv(file->fd, part, n, (off_t)(offset + done));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            return -EIO;
        done += (uint64_t)r;
    }
    return (int64_t)len;
}

int
block_file_flush(const BlockFile *file)
{
    return fdatasync(file->fd) < 0 ? -errno : 0;
}

int
block_file_fallocate(const BlockFile *file, int mode, uint64_t offset,
                     uint64_t len)
{
    return fallocate(file->fd, mode, (off_t)offset, (off_t)len) < 0 ? -errno
                                                                     : 0;
}

int64_t
block_file_write_zeroes(const BlockFile *file, uint64_t offset, uint64_t len)
{
    uint64_t done = 0;

    while (done < len) {
        uint64_t n = MIN(len - done, (uint64_t)BLOCK_ZERO_BUF_SIZE);
        ssize_t r = pwrite(file->fd, file->zeroes, n, (off_t)(offset + done));

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -errno : -EIO;
        done += (uint64_t)r;
    }
    return (int64_t)len;
}

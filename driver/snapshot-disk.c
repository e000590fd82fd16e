/* SPDX-License-Identifier: Apache-2.0 */
/* Whole-file copies of disk images for domain snapshots. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "common/fd-util.h"
#include "driver/snapshot-disk.h"

#define COPY_CHUNK (8u << 20)

static bool
drv_snapshot_io_error(GError **error, int err, const char *what,
                      const char *path)
{
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                "cannot %s '%s': %s", what, path, g_strerror(err));
    return false;
}

/* read/write from offset @off to the end: the fallback. */
static int
drv_snapshot_copy_rw(int in, int out, off_t off, off_t size)
{
    g_autofree char *buf = g_malloc(COPY_CHUNK);

    while (off < size) {
        ssize_t n = pread(in, buf, COPY_CHUNK, off);
        int r;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;    /* the file shrank under us */
        /* fd_write_all() writes at the current offset, which follows
         * @off because every byte before it was written in order. */
        if ((r = fd_write_all(out, buf, (size_t)n)) < 0)
            return r;
        off += n;
    }
    return 0;
}

static int
drv_snapshot_copy_fd(int in, int out, off_t size)
{
    off_t done = 0;

    while (done < size) {
        size_t want = (size_t)MIN(size - done, (off_t)1 << 30);
        ssize_t n = copy_file_range(in, NULL, out, NULL, want, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EXDEV || errno == ENOSYS ||
                      errno == EOPNOTSUPP || errno == EINVAL)) {
            /* Not between these files: carry on by hand from here. */
            if (lseek(in, done, SEEK_SET) < 0 || lseek(out, done, SEEK_SET) < 0)
                return -errno;
            return drv_snapshot_copy_rw(in, out, done, size);
        }
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        done += n;
    }
    return 0;
}

bool
drv_snapshot_copy_file(const char *src, const char *dst, GError **error)
{
    g_autofd_t in = open(src, O_RDONLY | O_CLOEXEC);
    g_autofd_t out = -1;
    struct stat st;
    int r;

    if (in < 0)
        return drv_snapshot_io_error(error, errno, "open", src);
    if (fstat(in, &st) < 0)
        return drv_snapshot_io_error(error, errno, "stat", src);
    if (!S_ISREG(st.st_mode)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                    "disk image '%s' is not a regular file", src);
        return false;
    }
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
               st.st_mode & 07777);
    if (out < 0)
        return drv_snapshot_io_error(error, errno, "create", dst);
    r = drv_snapshot_copy_fd(in, out, st.st_size);
    if (r == 0 && fsync(out) < 0)
        r = -errno;
    if (r < 0) {
        g_unlink(dst);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "cannot copy '%s' to '%s': %s", src, dst, g_strerror(-r));
        return false;
    }
    return true;
}

bool
drv_snapshot_sync_dir(const char *dir, GError **error)
{
    g_autofd_t fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || fsync(fd) < 0)
        return drv_snapshot_io_error(error, errno, "sync", dir);
    return true;
}

bool
drv_snapshot_replace_file(const char *src, const char *dst, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(dst);
    g_autofree char *base = g_path_get_basename(dst);
    g_autofree char *tmp = NULL;
    g_autofd_t fd = -1;

    /* A unique name in @dst's directory (rename does not cross file
     * systems); mkstemp makes it, the copy wants it absent. */
    tmp = g_strdup_printf("%s/.%s.revert-XXXXXX", dir, base);
    fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return drv_snapshot_io_error(error, errno, "create a file in", dir);
    g_unlink(tmp);
    if (!drv_snapshot_copy_file(src, tmp, error))
        return false;
    if (rename(tmp, dst) < 0) {
        int err = errno;

        g_unlink(tmp);
        return drv_snapshot_io_error(error, err, "replace", dst);
    }
    return drv_snapshot_sync_dir(dir, error);
}

void
drv_snapshot_remove_tree(const char *path)
{
    g_autoptr(GFile) file = g_file_new_for_path(path);
    g_autoptr(GFileEnumerator) en = NULL;
    GFileInfo *info;
    GFile *child;

    en = g_file_enumerate_children(file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                   G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL,
                                   NULL);
    while (en && g_file_enumerator_iterate(en, &info, &child, NULL, NULL) &&
           info) {
        g_autofree char *p = g_file_get_path(child);

        drv_snapshot_remove_tree(p);
    }
    if (g_remove(path) < 0 && errno != ENOENT)
        g_warning("cannot remove '%s': %s", path, g_strerror(errno));
}

/* SPDX-License-Identifier: Apache-2.0 */
/* nimbusd's save-image file: write, check and unpack (docs/save-image.md). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "driver/drv-error.h"
#include "driver/save-image.h"

/* Copy buffer: large enough that guest RAM streams at disk speed. */
#define DRV_SAVE_CHUNK (1u << 20)

void
drv_save_header_free(DrvSaveHeader *hdr)
{
    if (!hdr)
        return;
    g_free(hdr->xml);
    g_free(hdr);
}

static uint32_t
get_be32(const guint8 *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t
get_be64(const guint8 *p)
{
    return ((uint64_t)get_be32(p) << 32) | get_be32(p + 4);
}

static void
put_be32(guint8 *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static void
put_be64(guint8 *p, uint64_t v)
{
    put_be32(p, v >> 32);
    put_be32(p + 4, (uint32_t)v);
}

static void
sha256(const guint8 *data, gsize len, guint8 out[DRV_SAVE_DIGEST_LEN])
{
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    gsize n = DRV_SAVE_DIGEST_LEN;

    g_checksum_update(ck, data, len);
    g_checksum_get_digest(ck, out, &n);
}

static bool
save_invalid(GError **error, const char *what)
{
    g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                "invalid save image: %s", what);
    return false;
}

/* The fixed part: how many bytes the whole header takes (0 on error). */
static gsize
drv_save_header_size(const guint8 *data, gsize len, GError **error)
{
    uint32_t version, flags, xml_len;

    if (len < DRV_SAVE_HEADER_FIXED) {
        save_invalid(error, "the file is shorter than the header");
        return 0;
    }
    if (memcmp(data, DRV_SAVE_MAGIC, DRV_SAVE_MAGIC_LEN) != 0) {
        save_invalid(error, "not a nimbus save image (wrong magic)");
        return 0;
    }
    version = get_be32(data + 16);
    flags = get_be32(data + 20);
    xml_len = get_be32(data + 24);
    if (version == 0 || version > DRV_SAVE_VERSION) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "save image version %u is not supported (this nimbusd reads version %u)",
                    version, DRV_SAVE_VERSION);
        return 0;
    }
    if (flags & ~DRV_SAVE_IMAGE_KNOWN_FLAGS) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "invalid save image: unknown flags 0x%x",
                    flags & ~DRV_SAVE_IMAGE_KNOWN_FLAGS);
        return 0;
    }
    if (get_be32(data + 28) != 0) {
        save_invalid(error, "reserved header field is not 0");
        return 0;
    }
    if (xml_len == 0 || xml_len > DRV_SAVE_XML_MAX) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "invalid save image: domain XML length %u is out of range (1..%u)",
                    xml_len, DRV_SAVE_XML_MAX);
        return 0;
    }
    return DRV_SAVE_HEADER_FIXED + xml_len + DRV_SAVE_DIGEST_LEN;
}

DrvSaveHeader *
drv_save_header_parse(const guint8 *data, gsize len, GError **error)
{
    g_autoptr(DrvSaveHeader) hdr = NULL;
    guint8 digest[DRV_SAVE_DIGEST_LEN];
    gsize total = drv_save_header_size(data, len, error);
    gsize xml_len;

    if (total == 0)
        return NULL;
    if (len < total) {
        save_invalid(error, "the file ends inside the domain XML");
        return NULL;
    }
    xml_len = total - DRV_SAVE_HEADER_FIXED - DRV_SAVE_DIGEST_LEN;
    /* The digest covers the fixed part too: a flipped flag is caught. */
    sha256(data, DRV_SAVE_HEADER_FIXED + xml_len, digest);
    if (memcmp(digest, data + DRV_SAVE_HEADER_FIXED + xml_len,
               DRV_SAVE_DIGEST_LEN) != 0) {
        save_invalid(error, "header checksum mismatch (the file is corrupted)");
        return NULL;
    }
    if (memchr(data + DRV_SAVE_HEADER_FIXED, '\0', xml_len)) {
        save_invalid(error, "the domain XML contains a NUL byte");
        return NULL;
    }
    hdr = g_new0(DrvSaveHeader, 1);
    hdr->version = get_be32(data + 16);
    hdr->flags = get_be32(data + 20);
    hdr->xml = g_strndup((const char *)data + DRV_SAVE_HEADER_FIXED, xml_len);
    hdr->data_offset = total;
    return g_steal_pointer(&hdr);
}

/* Reads exactly @len bytes; a short read is the truncation error. */
static bool
read_exact(int fd, void *buf, gsize len, const char *path, GError **error)
{
    ssize_t n = fd_read_full(fd, buf, len);

    if (n < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno((int)-n),
                    "cannot read '%s': %s", path, g_strerror((int)-n));
        return false;
    }
    if ((gsize)n < len) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "invalid save image: '%s' is truncated", path);
        return false;
    }
    return true;
}

static bool
write_exact(int fd, const void *buf, gsize len, const char *path,
            GError **error)
{
    int r = fd_write_all(fd, buf, len);

    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "cannot write '%s': %s", path, g_strerror(-r));
        return false;
    }
    return true;
}

static int
open_image(const char *path, GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot open save image '%s': %s", path,
                    g_strerror(errno));
    return fd;
}

/* Reads the header from @fd, leaving the offset at the first entry. */
static DrvSaveHeader *
read_header_fd(int fd, const char *path, GError **error)
{
    guint8 fixed[DRV_SAVE_HEADER_FIXED];
    g_autofree guint8 *buf = NULL;
    g_autoptr(GError) local = NULL;
    ssize_t n = fd_read_full(fd, fixed, sizeof(fixed));
    gsize total;

    if (n < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno((int)-n),
                    "cannot read '%s': %s", path, g_strerror((int)-n));
        return NULL;
    }
    total = drv_save_header_size(fixed, (gsize)n, error);
    if (total == 0)
        return NULL;
    buf = g_malloc(total);
    memcpy(buf, fixed, sizeof(fixed));
    if (!read_exact(fd, buf + sizeof(fixed), total - sizeof(fixed), path,
                    error))
        return NULL;
    return drv_save_header_parse(buf, total, error);
}

DrvSaveHeader *
drv_save_image_read_header(const char *path, GError **error)
{
    g_autofd_t fd = open_image(path, error);

    if (fd < 0)
        return NULL;
    return read_header_fd(fd, path, error);
}

/* A snapshot file name: one path component of safe characters. */
static bool
drv_save_name_ok(const char *name, gsize len)
{
    if (len == 0 || len > DRV_SAVE_NAME_MAX || name[0] == '.')
        return false;
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isalnum(name[i]) && !strchr("._-", name[i]))
            return false;
    }
    return true;
}

/* Appends one file entry: name, size, data, digest. */
static bool
write_entry(int out, const char *out_path, const char *dir, const char *name,
            guint8 *buf, GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 digest[DRV_SAVE_DIGEST_LEN];
    gsize dlen = sizeof(digest);
    guint8 head[4 + DRV_SAVE_NAME_MAX + 8];
    gsize name_len = strlen(name);
    g_autofd_t in = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    uint64_t left;

    if (in < 0 || fstat(in, &sb) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot read snapshot file '%s': %s", path,
                    g_strerror(errno));
        return false;
    }
    put_be32(head, (uint32_t)name_len);
    memcpy(head + 4, name, name_len);
    put_be64(head + 4 + name_len, (uint64_t)sb.st_size);
    if (!write_exact(out, head, 4 + name_len + 8, out_path, error))
        return false;
    for (left = (uint64_t)sb.st_size; left > 0;) {
        gsize want = (gsize)MIN(left, DRV_SAVE_CHUNK);

        if (!read_exact(in, buf, want, path, error) ||
            !write_exact(out, buf, want, out_path, error))
            return false;
        g_checksum_update(ck, buf, want);
        left -= want;
    }
    g_checksum_get_digest(ck, digest, &dlen);
    return write_exact(out, digest, sizeof(digest), out_path, error);
}

static gint
cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
write_header(int out, const char *out_path, const char *xml, uint32_t flags,
             GError **error)
{
    gsize xml_len = strlen(xml);
    g_autofree guint8 *hdr = NULL;

    if (xml_len == 0 || xml_len > DRV_SAVE_XML_MAX) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                    "domain XML of %zu bytes does not fit a save image",
                    xml_len);
        return false;
    }
    hdr = g_malloc(DRV_SAVE_HEADER_FIXED + xml_len + DRV_SAVE_DIGEST_LEN);
    memcpy(hdr, DRV_SAVE_MAGIC, DRV_SAVE_MAGIC_LEN);
    put_be32(hdr + 16, DRV_SAVE_VERSION);
    put_be32(hdr + 20, flags);
    put_be32(hdr + 24, (uint32_t)xml_len);
    put_be32(hdr + 28, 0);
    memcpy(hdr + DRV_SAVE_HEADER_FIXED, xml, xml_len);
    sha256(hdr, DRV_SAVE_HEADER_FIXED + xml_len,
           hdr + DRV_SAVE_HEADER_FIXED + xml_len);
    return write_exact(out, hdr,
                       DRV_SAVE_HEADER_FIXED + xml_len + DRV_SAVE_DIGEST_LEN,
                       out_path, error);
}

static bool
write_body(int out, const char *out_path, const char *xml, uint32_t flags,
           const char *snapshot_dir, GError **error)
{
    g_autofree guint8 *buf = g_malloc(DRV_SAVE_CHUNK);
    g_autoptr(GDir) d = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    guint8 end[4] = { 0 };

    if (!write_header(out, out_path, xml, flags, error))
        return false;
    d = g_dir_open(snapshot_dir, 0, error);
    if (!d)
        return false;
    while ((name = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(name));
    /* Sorted: the same snapshot always gives the same bytes. */
    g_ptr_array_sort(names, cmp_names);
    if (names->len > DRV_SAVE_MAX_ENTRIES) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                    "snapshot '%s' has %u files, more than a save image holds",
                    snapshot_dir, names->len);
        return false;
    }
    for (guint i = 0; i < names->len; i++) {
        const char *n = g_ptr_array_index(names, i);

        if (!drv_save_name_ok(n, strlen(n))) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                        "snapshot file name '%s' cannot go in a save image", n);
            return false;
        }
        if (!write_entry(out, out_path, snapshot_dir, n, buf, error))
            return false;
    }
    return write_exact(out, end, sizeof(end), out_path, error);
}

static bool
sync_parent_dir(const char *path, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofd_t fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || fsync(fd) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot sync directory '%s': %s", dir, g_strerror(errno));
        return false;
    }
    return true;
}

typedef bool (*SaveBodyFunc)(int fd, const char *tmp, gpointer data,
                             GError **error);

/* Writes @path through a temporary file next to it: fsync, rename, fsync
 * of the directory, so that @path is the old file or the whole new one. */
static bool
write_atomic(const char *path, bool drop_cache, SaveBodyFunc body,
             gpointer data, GError **error)
{
    g_autofree char *tmp = g_strconcat(path, ".tmp-XXXXXX", NULL);
    g_autofd_t fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
    bool ok = false;

    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create a file next to '%s': %s", path,
                    g_strerror(errno));
        return false;
    }
    if (!body(fd, tmp, data, error))
        goto cleanup;
    if (fsync(fd) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot sync '%s': %s", tmp, g_strerror(errno));
        goto cleanup;
    }
    /* Synced pages are clean: dropping them keeps a guest's RAM image
     * from evicting the host's page cache. */
    if (drop_cache)
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (rename(tmp, path) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot rename '%s' to '%s': %s", tmp, path,
                    g_strerror(errno));
        goto cleanup;
    }
    ok = true;

 cleanup:
    if (!ok)
        unlink(tmp);
    return ok && sync_parent_dir(path, error);
}

typedef struct {
    const char *xml;
    uint32_t flags;
    const char *snapshot_dir;   /* write */
    int src_fd;                 /* rewrite: positioned at the first entry */
    const char *src_path;
} SaveBody;

static bool
write_new_body(int fd, const char *tmp, gpointer data, GError **error)
{
    SaveBody *b = data;

    return write_body(fd, tmp, b->xml, b->flags, b->snapshot_dir, error);
}

bool
drv_save_image_write(const char *path, const char *xml, uint32_t flags,
                     const char *snapshot_dir, bool drop_cache,
                     GError **error)
{
    SaveBody b = { .xml = xml, .flags = flags, .snapshot_dir = snapshot_dir };

    return write_atomic(path, drop_cache, write_new_body, &b, error);
}

/* The new header, then the old image's entries byte for byte (their
 * digests travel with them and are checked at restore). */
static bool
write_rewritten_body(int fd, const char *tmp, gpointer data, GError **error)
{
    SaveBody *b = data;
    g_autofree guint8 *buf = g_malloc(DRV_SAVE_CHUNK);
    ssize_t n;

    if (!write_header(fd, tmp, b->xml, b->flags, error))
        return false;
    while ((n = fd_read_full(b->src_fd, buf, DRV_SAVE_CHUNK)) > 0) {
        if (!write_exact(fd, buf, (gsize)n, tmp, error))
            return false;
    }
    if (n < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno((int)-n),
                    "cannot read '%s': %s", b->src_path, g_strerror((int)-n));
        return false;
    }
    return true;
}

bool
drv_save_image_rewrite(const char *path, const char *xml, uint32_t flags,
                       GError **error)
{
    g_autofd_t fd = open_image(path, error);
    g_autoptr(DrvSaveHeader) hdr = NULL;
    SaveBody b = { .xml = xml, .flags = flags, .src_path = path };

    if (fd < 0 || !(hdr = read_header_fd(fd, path, error)))
        return false;
    b.src_fd = fd;
    return write_atomic(path, false, write_rewritten_body, &b, error);
}

/* Extracts one entry whose name and size were read already. */
static bool
unpack_entry(int in, const char *path, const char *dir, const char *name,
             uint64_t size, guint8 *buf, GError **error)
{
    g_autofree char *out_path = g_build_filename(dir, name, NULL);
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 digest[DRV_SAVE_DIGEST_LEN];
    guint8 want_digest[DRV_SAVE_DIGEST_LEN];
    gsize dlen = sizeof(digest);
    g_autofd_t out = open(out_path,
                          O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    uint64_t left;

    if (out < 0) {
        /* EEXIST: the image names the same file twice. */
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "cannot extract '%s' from save image '%s': %s", name,
                    path, g_strerror(errno));
        return false;
    }
    for (left = size; left > 0;) {
        gsize want = (gsize)MIN(left, DRV_SAVE_CHUNK);

        if (!read_exact(in, buf, want, path, error) ||
            !write_exact(out, buf, want, out_path, error))
            return false;
        g_checksum_update(ck, buf, want);
        left -= want;
    }
    g_checksum_get_digest(ck, digest, &dlen);
    if (!read_exact(in, want_digest, sizeof(want_digest), path, error))
        return false;
    if (memcmp(digest, want_digest, sizeof(digest)) != 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "invalid save image: checksum mismatch in '%s' (the file is corrupted)",
                    name);
        return false;
    }
    return true;
}

DrvSaveHeader *
drv_save_image_unpack(const char *path, const char *dir, GError **error)
{
    g_autofd_t fd = open_image(path, error);
    g_autoptr(DrvSaveHeader) hdr = NULL;
    g_autofree guint8 *buf = NULL;
    guint8 tail;
    guint entries = 0;

    if (fd < 0 || !(hdr = read_header_fd(fd, path, error)))
        return NULL;
    buf = g_malloc(DRV_SAVE_CHUNK);
    for (;;) {
        guint8 head[4];
        char name[DRV_SAVE_NAME_MAX + 1];
        guint8 size[8];
        uint32_t name_len;

        if (!read_exact(fd, head, sizeof(head), path, error))
            return NULL;
        name_len = get_be32(head);
        if (name_len == 0)
            break;
        if (++entries > DRV_SAVE_MAX_ENTRIES || name_len > DRV_SAVE_NAME_MAX) {
            save_invalid(error, entries > DRV_SAVE_MAX_ENTRIES
                                ? "too many snapshot files"
                                : "snapshot file name too long");
            return NULL;
        }
        if (!read_exact(fd, name, name_len, path, error))
            return NULL;
        name[name_len] = '\0';
        if (!drv_save_name_ok(name, name_len) || strlen(name) != name_len) {
            save_invalid(error, "a snapshot file name is not a plain file name");
            return NULL;
        }
        if (!read_exact(fd, size, sizeof(size), path, error) ||
            !unpack_entry(fd, path, dir, name, get_be64(size), buf, error))
            return NULL;
    }
    /* Trailing bytes mean the image is not what its writer made. */
    if (fd_read_full(fd, &tail, 1) != 0) {
        save_invalid(error, "data after the end of the image");
        return NULL;
    }
    return g_steal_pointer(&hdr);
}

void
drv_save_remove_dir(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    if (d) {
        while ((name = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(dir, name, NULL);

            if (unlink(p) < 0)
                g_warning("cannot remove '%s': %s", p, g_strerror(errno));
        }
    }
    if (rmdir(dir) < 0 && errno != ENOENT)
        g_warning("cannot remove directory '%s': %s", dir, g_strerror(errno));
}

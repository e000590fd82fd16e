/* SPDX-License-Identifier: Apache-2.0 */
/* x86_64 payload loading: format detection, kernel file, initramfs. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/loader-priv.h"
#include "common/error-util.h"
#include "common/fd-util.h"

#define PAGE_SIZE 4096ULL

bool
x86_loader_fail(GError **error, const char *format, const char *name,
                const char *fmt, ...)
{
    g_autofree char *prefix = g_strdup_printf("%s '%s'", format, name);
    va_list ap;

    va_start(ap, fmt);
    nimbus_fail_prefixedv(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, prefix,
                          fmt, ap);
    va_end(ap);
    return false;
}

bool
x86_load_kernel_data(GuestMemory *mem, const uint8_t *data, size_t len,
                     const char *name, X86Kernel *kernel, GError **error)
{
    /* Cloud Hypervisor's order: ELF first (which must carry the PVH
     * note), then bzImage. */
    if (len >= 4 && memcmp(data, "\177ELF", 4) == 0)
        return x86_load_elf_pvh(mem, data, len, name, kernel, error);
    if (len >= 0x206 && x86_ld_le(data + BZ_HEADER, 4) == BZ_HDRS_MAGIC)
        return x86_load_bzimage(mem, data, len, name, kernel, error);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "'%s' is neither a PVH ELF kernel/firmware nor a bzImage",
                name);
    return false;
}

/* Reads all of @fd (a regular file of @size bytes) into @buf. */
static bool
read_all(int fd, uint8_t *buf, uint64_t size, const char *path,
         GError **error)
{
    uint64_t done = 0;

    while (done < size) {
        ssize_t n = pread(fd, buf + done, (size_t)(size - done), (off_t)done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;

            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "Cannot read '%s': %s", path,
                        n < 0 ? g_strerror(e) : "file shrank while reading");
            return false;
        }
        done += (uint64_t)n;
    }
    return true;
}

/* Opens @path as a non-empty regular file; sets *@size. */
static int
open_regular(const char *path, const char *what, uint64_t *size,
             GError **error)
{
    g_autofd_t fd = -1;
    struct stat st;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
        int e = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "Cannot read %s '%s': %s", what, path, g_strerror(e));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s '%s' is %s", what, path,
                    S_ISREG(st.st_mode) ? "empty" : "not a regular file");
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return g_steal_fd(&fd);
}

bool
x86_load_kernel(GuestMemory *mem, const char *path, X86Kernel *kernel,
                GError **error)
{
    g_autofd_t fd = -1;
    g_autofree uint8_t *data = NULL;
    uint64_t size;

    if ((fd = open_regular(path, "kernel", &size, error)) < 0)
        return false;
    /* Read, not mapped: a file truncated under a mapping would kill the
     * VMM with SIGBUS.  Nothing larger than RAM can load anyway. */
    if (size > mem->ram_size) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "kernel '%s' (%" G_GUINT64_FORMAT " bytes) is larger "
                    "than guest RAM", path, size);
        return false;
    }
    data = g_malloc(size);
    if (!read_all(fd, data, size, path, error))
        return false;
    return x86_load_kernel_data(mem, data, size, path, kernel, error);
}

bool
x86_initramfs_place(const GuestMemory *mem, const X86Kernel *kernel,
                    uint64_t size, uint64_t *addr, GError **error)
{
    const GuestRegion *low = NULL;
    uint64_t top, a;

    for (unsigned i = 0; i < mem->nregions; i++) {
        if (mem->regions[i].gpa == 0)
            low = &mem->regions[i];
    }
    if (!low) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "no RAM region at address 0 for the initramfs");
        return false;
    }
    /* CH puts it at the end of the first region; the kernel's
     * initrd_addr_max is the last byte it may use. */
    top = MIN(low->size, kernel->initrd_max + 1);
    top = MIN(top, 1ULL << 32);
    if (size == 0 || size > top) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "initramfs of %" G_GUINT64_FORMAT " bytes does not fit "
                    "below 0x%" G_GINT64_MODIFIER "x", size, top);
        return false;
    }
    a = (top - size) & ~(PAGE_SIZE - 1);
    if (a < kernel->reserved_end) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "initramfs of %" G_GUINT64_FORMAT " MiB does not fit in "
                    "guest RAM between the kernel (ending at 0x%"
                    G_GINT64_MODIFIER "x) and 0x%" G_GINT64_MODIFIER "x",
                    (size + (1 << 20) - 1) >> 20, kernel->reserved_end, top);
        return false;
    }
    *addr = a;
    return true;
}

bool
x86_load_initramfs(GuestMemory *mem, const char *path,
                   const X86Kernel *kernel, uint64_t *addr, uint64_t *size,
                   GError **error)
{
    g_autofd_t fd = -1;
    uint64_t a, len;
    uint8_t *dst;

    if ((fd = open_regular(path, "initramfs", &len, error)) < 0)
        return false;
    if (!x86_initramfs_place(mem, kernel, len, &a, error)) {
        g_prefix_error(error, "initramfs '%s': ", path);
        return false;
    }
    dst = guest_mem_ptr(mem, a, len);
    g_assert(dst);      /* placed inside the region at 0 */
    /* Straight into guest RAM: no bounce buffer for a 100 MiB initrd. */
    if (!read_all(fd, dst, len, path, error)) {
        memset(dst, 0, (size_t)len);
        return false;
    }
    *addr = a;
    *size = len;
    return true;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* bzImage loader: Linux x86 boot protocol, 32-bit entry at code32_start. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/loader-priv.h"

/*
 * Documentation/arch/x86/boot.rst: the first (setup_sects + 1) sectors are
 * the real-mode setup, which a 32-bit entry skips; the protected-mode
 * payload after them is loaded at code32_start (1 MiB), and its 32-bit
 * entry decompresses the kernel to pref_address (or, when relocatable, the
 * load address rounded up to kernel_alignment if that is higher), needing
 * init_size bytes there.
 */

#define bz_fail(error, name, ...) \
    x86_loader_fail(error, "bzImage", name, __VA_ARGS__)

bool
x86_load_bzimage(GuestMemory *mem, const uint8_t *d, size_t len,
                 const char *name, X86Kernel *kernel, GError **error)
{
    uint32_t setup_sects, version, code32, align, hdr_end;
    uint64_t setup_size, payload, end, reserved_end, base;
    uint8_t loadflags;
    uint8_t *dst;

    /* A setup area is at least 5 sectors; check the header exists before
     * reading any field. */
    if (len < 5 * 512)
        return bz_fail(error, name, "file too short (%zu bytes)", len);
    if (x86_ld_le(d + BZ_BOOT_FLAG, 2) != BZ_BOOT_FLAG_MAGIC ||
        x86_ld_le(d + BZ_HEADER, 4) != BZ_HDRS_MAGIC)
        return bz_fail(error, name, "no boot sector / \"HdrS\" setup header");
    version = (uint32_t)x86_ld_le(d + BZ_VERSION, 2);
    if (version < BZ_MIN_VERSION) {
        return bz_fail(error, name, "boot protocol %u.%02u is older than "
                       "2.06", version >> 8, version & 0xff);
    }
    loadflags = d[BZ_LOADFLAGS];
    if (!(loadflags & BZ_LOADED_HIGH))
        return bz_fail(error, name, "not a bzImage (zImage loads low)");

    setup_sects = d[BZ_SETUP_SECTS];
    if (setup_sects == 0)
        setup_sects = 4;        /* boot.rst: 0 means 4 */
    setup_size = ((uint64_t)setup_sects + 1) * 512;
    if (setup_size >= len) {
        return bz_fail(error, name, "setup area (%" G_GUINT64_FORMAT
                       " bytes) leaves no kernel", setup_size);
    }
    payload = len - setup_size;

    code32 = (uint32_t)x86_ld_le(d + BZ_CODE32_START, 4);
    if (code32 < X86_HIGH_RAM_START) {
        return bz_fail(error, name, "code32_start 0x%x is below 1 MiB",
                       code32);
    }
    end = (uint64_t)code32 + payload;

    /* Where the decompressor works: boot protocol 2.10 added init_size
     * and pref_address; before that only the image itself is known. */
    reserved_end = end;
    if (version >= 0x020a) {
        uint64_t pref = x86_ld_le(d + BZ_PREF_ADDRESS, 8);
        uint32_t init_size = (uint32_t)x86_ld_le(d + BZ_INIT_SIZE, 4);

        base = pref;
        if (d[BZ_RELOCATABLE_KERNEL]) {
            align = (uint32_t)x86_ld_le(d + BZ_KERNEL_ALIGNMENT, 4);
            if (align == 0 || (align & (align - 1)) != 0) {
                return bz_fail(error, name, "kernel_alignment 0x%x is not a "
                               "power of two", align);
            }
            base = MAX(pref, ((uint64_t)code32 + align - 1) &
                             ~((uint64_t)align - 1));
        }
        if (base > UINT64_MAX - init_size)
            return bz_fail(error, name, "pref_address overflows");
        reserved_end = MAX(end, base + init_size);
    }
    if (!guest_mem_ptr(mem, code32, reserved_end - code32)) {
        return bz_fail(error, name, "needs guest RAM from 0x%x to 0x%"
                       G_GINT64_MODIFIER "x (%" G_GUINT64_FORMAT " MiB) in "
                       "one region below 3 GiB", code32, reserved_end - 1,
                       (reserved_end + (1 << 20) - 1) >> 20);
    }

    /* The setup header ends at 0x202 + the jump's offset byte (boot.rst);
     * clip to the fields this loader knows. */
    hdr_end = MIN(0x202u + d[BZ_JUMP + 1],
                  (uint32_t)(X86_SETUP_HEADER_OFFSET + X86_SETUP_HEADER_MAX));

    dst = guest_mem_ptr(mem, code32, payload);
    memcpy(dst, d + setup_size, payload);

    memset(kernel, 0, sizeof(*kernel));
    kernel->protocol = X86_BOOT_LINUX;
    kernel->entry = code32;
    kernel->kernel_end = end;
    kernel->reserved_end = reserved_end;
    /* initrd_addr_max exists since 2.03; the ramdisk fields are 32-bit. */
    kernel->initrd_max = (uint32_t)x86_ld_le(d + BZ_INITRD_ADDR_MAX, 4);
    kernel->cmdline_max = (uint32_t)MIN(x86_ld_le(d + BZ_CMDLINE_SIZE, 4),
                                        X86_CMDLINE_MAX - 1);
    kernel->setup_header_len = hdr_end - X86_SETUP_HEADER_OFFSET;
    memcpy(kernel->setup_header, d + X86_SETUP_HEADER_OFFSET,
           kernel->setup_header_len);
    return true;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* x86_64 loader internals: in-memory parsers shared with tests and fuzzers. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/boot.h"

/* Little-endian reads from a buffer already bounds-checked by the caller. */
static inline uint64_t
x86_ld_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Setup header fields (offsets in the image and in boot_params), from
 * Documentation/arch/x86/boot.rst. */
#define BZ_SETUP_SECTS          0x1f1
#define BZ_BOOT_FLAG            0x1fe   /* 0xaa55 */
#define BZ_JUMP                 0x200
#define BZ_HEADER               0x202   /* "HdrS" */
#define BZ_VERSION              0x206
#define BZ_TYPE_OF_LOADER       0x210
#define BZ_LOADFLAGS            0x211
#define BZ_CODE32_START         0x214
#define BZ_RAMDISK_IMAGE        0x218
#define BZ_RAMDISK_SIZE         0x21c
#define BZ_CMD_LINE_PTR         0x228
#define BZ_INITRD_ADDR_MAX      0x22c
#define BZ_KERNEL_ALIGNMENT     0x230
#define BZ_RELOCATABLE_KERNEL   0x234
#define BZ_CMDLINE_SIZE         0x238
#define BZ_PREF_ADDRESS         0x258
#define BZ_INIT_SIZE            0x260

#define BZ_HDRS_MAGIC           0x53726448u     /* "HdrS" */
#define BZ_BOOT_FLAG_MAGIC      0xaa55
#define BZ_LOADED_HIGH          0x01
#define BZ_MIN_VERSION          0x0206          /* cmdline_size */

/* boot_params ("zero page") fields. */
#define BP_SIZE                 4096
#define BP_ACPI_RSDP_ADDR       0x070
#define BP_E820_ENTRIES         0x1e8
#define BP_E820_TABLE           0x2d0
#define BP_E820_MAX             128
#define BP_E820_ENTRY_SIZE      20

/* PVH (xen/include/public/arch-x86/hvm/start_info.h). */
#define PVH_START_MAGIC         0x336ec578u
#define PVH_START_INFO_SIZE     56
#define PVH_MODLIST_ENTRY_SIZE  32
#define PVH_MEMMAP_ENTRY_SIZE   24
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/*
 * The format-specific loaders, on an image already in memory.  @name is the
 * file name used in messages.  They validate everything before writing.
 */
bool x86_load_elf_pvh(GuestMemory *mem, const uint8_t *data, size_t len,
                      const char *name, X86Kernel *kernel, GError **error);
bool x86_load_bzimage(GuestMemory *mem, const uint8_t *data, size_t len,
                      const char *name, X86Kernel *kernel, GError **error);
/* "<format> '<name>': <message>" (G_IO_ERROR_INVALID_DATA); returns false.
 * @format is "bzImage" or "ELF image". */
bool x86_loader_fail(GError **error, const char *format, const char *name,
                     const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* What x86_load_kernel() does after reading the file. */
bool x86_load_kernel_data(GuestMemory *mem, const uint8_t *data, size_t len,
                          const char *name, X86Kernel *kernel, GError **error);
/* Where x86_load_initramfs() puts @size bytes. */
bool x86_initramfs_place(const GuestMemory *mem, const X86Kernel *kernel,
                         uint64_t size, uint64_t *addr, GError **error);

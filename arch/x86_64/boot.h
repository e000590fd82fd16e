/* SPDX-License-Identifier: Apache-2.0 */
/* x86_64 kernel/firmware loading (PVH ELF, bzImage) and boot-info setup. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "devices/guest-memory.h"

/*
 * Both boot protocols enter in 32-bit protected mode without paging, with
 * the flat GDT below loaded (CH's contract, docs §6):
 *   PVH:     eip = kernel.entry, ebx = X86_PVH_INFO_START
 *   bzImage: eip = kernel.entry, esi = X86_ZERO_PAGE_START,
 *            esp = X86_BOOT_STACK_POINTER; ebp = edi = ebx = 0
 * with rflags = 0x2, CS = X86_BOOT_CODE_SELECTOR and the data segments =
 * X86_BOOT_DATA_SELECTOR.
 */
typedef enum {
    X86_BOOT_PVH,
    X86_BOOT_LINUX,
} X86BootProtocol;

/* The bzImage setup header: boot_params offset 0x1f1 up to the end of
 * kernel_info_offset (boot protocol 2.15). */
#define X86_SETUP_HEADER_OFFSET 0x1f1
#define X86_SETUP_HEADER_MAX    (0x26c - X86_SETUP_HEADER_OFFSET)

typedef struct {
    X86BootProtocol protocol;
    /* PVH: XEN_ELFNOTE_PHYS32_ENTRY; bzImage: code32_start */
    uint64_t entry;
    uint64_t kernel_end;      /* first GPA after the loaded image */
    /* First GPA the kernel does not need while it boots (>= kernel_end):
     * for a bzImage, the end of the area it decompresses into.  The
     * initramfs goes above it. */
    uint64_t reserved_end;
    uint64_t initrd_max;      /* last GPA an initramfs may occupy */
    uint32_t cmdline_max;     /* longest command line, NUL excluded */
    /* bzImage: the setup header as read from the image, copied into the
     * zero page by x86_setup_boot(). */
    uint8_t setup_header[X86_SETUP_HEADER_MAX];
    uint32_t setup_header_len;
} X86Kernel;

/**
 * x86_load_kernel:
 * Loads @path into guest RAM, picking the format by content: an ELF (32 or
 * 64-bit) with a Xen PVH entry note, else a bzImage (boot protocol >= 2.06,
 * LOADED_HIGH, loaded at code32_start).  An ELF without the PVH note, or
 * anything else, is refused with an error naming the file.  Also used for
 * --firmware (a PVH ELF).  Everything is validated before the first byte is
 * written to guest memory.
 */
bool x86_load_kernel(GuestMemory *mem, const char *path, X86Kernel *kernel,
                     GError **error);

/**
 * x86_load_initramfs:
 * Reads @path to the top of the first RAM region (below 4 GiB), page
 * aligned, and below the kernel's initrd_addr_max; fails if it would not
 * fit above @kernel's reserved_end.  Sets *@addr and *@size.
 */
bool x86_load_initramfs(GuestMemory *mem, const char *path,
                        const X86Kernel *kernel, uint64_t *addr,
                        uint64_t *size, GError **error);

/**
 * x86_setup_boot:
 * Writes what the kernel reads at entry: the EBDA pointer, the boot GDT
 * and IDT, @cmdline (NULL = empty) at X86_CMDLINE_START, and either the PVH
 * hvm_start_info + modlist + memmap or the bzImage zero page (setup header,
 * E820, cmd_line_ptr, ramdisk, type_of_loader 0xff, acpi_rsdp_addr).
 * @initramfs_size 0 means no initramfs; @rsdp_addr 0 means no ACPI.
 * Fails without writing if the command line is too long for the kernel.
 */
bool x86_setup_boot(GuestMemory *mem, const X86Kernel *kernel,
                    const char *cmdline, uint64_t initramfs_addr,
                    uint64_t initramfs_size, uint64_t rsdp_addr,
                    GError **error);

/* Boot GDT selectors. */
#define X86_BOOT_CODE_SELECTOR  0x08
#define X86_BOOT_DATA_SELECTOR  0x10
#define X86_BOOT_TSS_SELECTOR   0x18

/* The GDT written at X86_BOOT_GDT_START: null, flat 32-bit code (access
 * 0x9b, flags 0xc), flat data (0x93), TSS (0x8b); base 0, limit 4 GiB. */
extern const uint64_t x86_boot_gdt[4];

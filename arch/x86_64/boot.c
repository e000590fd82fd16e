/* SPDX-License-Identifier: Apache-2.0 */
/* x86_64 boot info: GDT/IDT, command line, PVH start info or zero page. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "arch/x86_64/e820.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/loader-priv.h"

/* A segment descriptor from CH-style flags (access byte in bits 0-7, the
 * G/DB/L/AVL nibble in bits 12-15), base and 20-bit limit (Intel SDM vol. 3
 * §3.4.5). */
#define GDT_ENTRY(flags, base, limit)                          \
    ((((uint64_t)(base) & 0xff000000ULL) << 32) |              \
     (((uint64_t)(flags) & 0xf0ffULL) << 40) |                 \
     (((uint64_t)(limit) & 0xf0000ULL) << 32) |                \
     (((uint64_t)(base) & 0xffffffULL) << 16) |                \
     ((uint64_t)(limit) & 0xffffULL))

const uint64_t x86_boot_gdt[4] = {
    GDT_ENTRY(0, 0, 0),             /* null */
    GDT_ENTRY(0xc09b, 0, 0xfffff),  /* code: 4 KiB granular, 32-bit, RX */
    GDT_ENTRY(0xc093, 0, 0xfffff),  /* data: RW */
    GDT_ENTRY(0x008b, 0, 0xfffff),  /* TSS: busy 32-bit TSS */
};

static void
st_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int
write_common(GuestMemory *mem, const char *cmdline, size_t cmdline_len)
{
    uint8_t gdt[sizeof(x86_boot_gdt)];
    uint8_t ebda[2];
    uint64_t idt = 0;
    int r = 0;

    for (unsigned i = 0; i < G_N_ELEMENTS(x86_boot_gdt); i++)
        st_le(gdt + 8 * i, x86_boot_gdt[i], 8);
    /* BDA word 0x40e: EBDA segment, where ACPI's RSDP scan starts. */
    st_le(ebda, X86_EBDA_START >> 4, 2);
    r |= guest_mem_write(mem, X86_EBDA_POINTER, ebda, sizeof(ebda));
    r |= guest_mem_write(mem, X86_BOOT_GDT_START, gdt, sizeof(gdt));
    /* An empty IDT: any exception before the kernel sets its own is a
     * triple fault, which the VMM reports. */
    r |= guest_mem_write(mem, X86_BOOT_IDT_START, &idt, sizeof(idt));
    r |= guest_mem_write(mem, X86_CMDLINE_START, cmdline, cmdline_len + 1);
    return r;
}

static int
write_pvh(GuestMemory *mem, const X86E820Entry *e820, unsigned n,
          uint64_t initramfs_addr, uint64_t initramfs_size,
          uint64_t rsdp_addr)
{
    uint8_t info[PVH_START_INFO_SIZE] = { 0 };
    uint8_t map[X86_E820_MAX_ENTRIES * PVH_MEMMAP_ENTRY_SIZE] = { 0 };
    int r = 0;

    for (unsigned i = 0; i < n; i++) {
        uint8_t *m = map + i * PVH_MEMMAP_ENTRY_SIZE;

        st_le(m, e820[i].addr, 8);
        st_le(m + 8, e820[i].size, 8);
        st_le(m + 16, e820[i].type, 4);
    }
    r |= guest_mem_write(mem, X86_MEMMAP_START, map,
                         n * PVH_MEMMAP_ENTRY_SIZE);

    /* struct hvm_start_info, version 1 (memmap fields present). */
    st_le(info + 0, PVH_START_MAGIC, 4);
    st_le(info + 4, 1, 4);
    if (initramfs_size > 0) {
        uint8_t mod[PVH_MODLIST_ENTRY_SIZE] = { 0 };

        st_le(mod, initramfs_addr, 8);
        st_le(mod + 8, initramfs_size, 8);
        r |= guest_mem_write(mem, X86_MODLIST_START, mod, sizeof(mod));
        st_le(info + 12, 1, 4);                   /* nr_modules */
        st_le(info + 16, X86_MODLIST_START, 8);
    }
    st_le(info + 24, X86_CMDLINE_START, 8);
    st_le(info + 32, rsdp_addr, 8);
    st_le(info + 40, X86_MEMMAP_START, 8);
    st_le(info + 48, n, 4);
    r |= guest_mem_write(mem, X86_PVH_INFO_START, info, sizeof(info));
    return r;
}

static int
write_zero_page(GuestMemory *mem, const X86Kernel *kernel,
                const X86E820Entry *e820, unsigned n,
                uint64_t initramfs_addr, uint64_t initramfs_size,
                uint64_t rsdp_addr)
{
    g_autofree uint8_t *bp = g_malloc0(BP_SIZE);

    /* boot.rst: start from zeros plus the image's setup header (not the
     * byte before it, the sentinel), then fill in the loader's fields. */
    memcpy(bp + X86_SETUP_HEADER_OFFSET, kernel->setup_header,
           kernel->setup_header_len);
    bp[BZ_TYPE_OF_LOADER] = 0xff;               /* "other" loader */
    st_le(bp + BZ_CMD_LINE_PTR, X86_CMDLINE_START, 4);
    st_le(bp + BZ_RAMDISK_IMAGE, initramfs_size ? initramfs_addr : 0, 4);
    st_le(bp + BZ_RAMDISK_SIZE, initramfs_size, 4);
    bp[BP_E820_ENTRIES] = (uint8_t)n;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *e = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;

        st_le(e, e820[i].addr, 8);
        st_le(e + 8, e820[i].size, 8);
        st_le(e + 16, e820[i].type, 4);
    }
    /* Read by kernels with boot protocol 2.14+; older ones scan the EBDA. */
    st_le(bp + BP_ACPI_RSDP_ADDR, rsdp_addr, 8);
    return guest_mem_write(mem, X86_ZERO_PAGE_START, bp, BP_SIZE);
}

bool
x86_setup_boot(GuestMemory *mem, const X86Kernel *kernel,
               const char *cmdline, uint64_t initramfs_addr,
               uint64_t initramfs_size, uint64_t rsdp_addr, GError **error)
{
    X86E820Entry e820[X86_E820_MAX_ENTRIES];
    size_t len;
    unsigned n;
    int r;

    if (!cmdline)
        cmdline = "";
    len = strlen(cmdline);
    if (len > kernel->cmdline_max) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "kernel command line is %zu bytes long; the kernel "
                    "accepts at most %u", len, kernel->cmdline_max);
        return false;
    }
    /* Everything below is written to fixed low addresses: check once that
     * RAM covers them, so a failure cannot leave a half-written setup. */
    if (!guest_mem_ptr(mem, 0, X86_CMDLINE_START + X86_CMDLINE_MAX)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "guest RAM does not cover the boot area 0-0x%llx",
                    X86_CMDLINE_START + X86_CMDLINE_MAX - 1);
        return false;
    }
    if (initramfs_size > 0 &&
        (!guest_mem_ptr(mem, initramfs_addr, initramfs_size) ||
         initramfs_addr + initramfs_size > (1ULL << 32))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "initramfs at 0x%" G_GINT64_MODIFIER "x+0x%"
                    G_GINT64_MODIFIER "x is not in guest RAM below 4 GiB",
                    initramfs_addr, initramfs_size);
        return false;
    }
    n = x86_e820_build(mem, e820, G_N_ELEMENTS(e820));

    r = write_common(mem, cmdline, len);
    if (kernel->protocol == X86_BOOT_PVH) {
        r |= write_pvh(mem, e820, n, initramfs_addr, initramfs_size,
                       rsdp_addr);
    } else {
        r |= write_zero_page(mem, kernel, e820, n, initramfs_addr,
                             initramfs_size, rsdp_addr);
    }
    /* Cannot fail after the range check above; keep the check honest. */
    if (r != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "writing the boot information to guest RAM failed");
        return false;
    }
    return true;
}

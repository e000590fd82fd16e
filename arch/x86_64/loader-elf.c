/* SPDX-License-Identifier: Apache-2.0 */
/* PVH loader: ELF32/ELF64 images with a XEN_ELFNOTE_PHYS32_ENTRY note. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/loader-priv.h"

/*
 * The x86/HVM direct boot ABI (xen/include/public/elfnote.h, Linux
 * arch/x86/platform/pvh): the kernel's PT_NOTE segments carry a "Xen" note
 * of type 18 whose descriptor is the 32-bit physical entry point.  Segments
 * load at their physical address (p_paddr), as Cloud Hypervisor's loader
 * does, never below 1 MiB.
 */

#define EI_CLASS        4
#define EI_DATA         5
#define EI_VERSION      6
#define ELFCLASS32      1
#define ELFCLASS64      2
#define ELFDATA2LSB     1
#define EM_386          3
#define EM_X86_64       62
#define PT_LOAD         1
#define PT_NOTE         4
#define PN_XNUM         0xffff

typedef struct {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz, align;
} ElfPhdr;

typedef struct {
    bool is64;
    uint64_t phoff;
    uint32_t phentsize, phnum;
} ElfHeader;

#define elf_fail(error, name, ...) \
    x86_loader_fail(error, "ELF image", name, __VA_ARGS__)

static bool
elf_header(const uint8_t *d, size_t len, const char *name, ElfHeader *h,
           GError **error)
{
    uint16_t machine;

    if (len < 52)
        return elf_fail(error, name, "truncated header");
    if (d[EI_CLASS] != ELFCLASS32 && d[EI_CLASS] != ELFCLASS64)
        return elf_fail(error, name, "unknown ELF class %u", d[EI_CLASS]);
    if (d[EI_DATA] != ELFDATA2LSB || d[EI_VERSION] != 1)
        return elf_fail(error, name, "not a little-endian ELF version 1");
    h->is64 = d[EI_CLASS] == ELFCLASS64;
    if (h->is64 && len < 64)
        return elf_fail(error, name, "truncated header");
    machine = (uint16_t)x86_ld_le(d + 18, 2);
    if (machine != EM_386 && machine != EM_X86_64)
        return elf_fail(error, name, "machine %u is not x86", machine);
    if (h->is64) {
        h->phoff = x86_ld_le(d + 32, 8);
        h->phentsize = (uint32_t)x86_ld_le(d + 54, 2);
        h->phnum = (uint32_t)x86_ld_le(d + 56, 2);
    } else {
        h->phoff = x86_ld_le(d + 28, 4);
        h->phentsize = (uint32_t)x86_ld_le(d + 42, 2);
        h->phnum = (uint32_t)x86_ld_le(d + 44, 2);
    }
    if (h->phnum == 0 || h->phnum == PN_XNUM)
        return elf_fail(error, name, "no usable program headers");
    if (h->phentsize < (h->is64 ? 56u : 32u))
        return elf_fail(error, name, "program header size %u too small",
                        h->phentsize);
    /* phnum and phentsize are 16-bit, so the product cannot overflow. */
    if (h->phoff > len || (uint64_t)h->phnum * h->phentsize > len - h->phoff)
        return elf_fail(error, name, "program headers outside the file");
    return true;
}

static void
elf_phdr(const uint8_t *d, const ElfHeader *h, uint32_t i, ElfPhdr *p)
{
    const uint8_t *e = d + h->phoff + (uint64_t)i * h->phentsize;

    p->type = (uint32_t)x86_ld_le(e, 4);
    if (h->is64) {
        p->offset = x86_ld_le(e + 8, 8);
        p->paddr = x86_ld_le(e + 24, 8);
        p->filesz = x86_ld_le(e + 32, 8);
        p->memsz = x86_ld_le(e + 40, 8);
        p->align = x86_ld_le(e + 48, 8);
    } else {
        p->offset = x86_ld_le(e + 4, 4);
        p->paddr = x86_ld_le(e + 12, 4);
        p->filesz = x86_ld_le(e + 16, 4);
        p->memsz = x86_ld_le(e + 20, 4);
        p->align = x86_ld_le(e + 28, 4);
    }
}

static uint64_t
align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* Looks for the PVH entry note in one PT_NOTE segment.  Returns true and
 * sets *entry if found; malformed notes end the walk (not an error: other
 * notes may follow in other segments). */
static bool
find_pvh_note(const uint8_t *d, const ElfPhdr *p, uint64_t *entry)
{
    /* Notes are 4-byte aligned on x86 (Linux uses 4 even in ELF64); honour
     * an 8-byte aligned segment too. */
    uint64_t a = p->align == 8 ? 8 : 4;
    uint64_t off = 0;

    while (p->filesz - off >= 12) {
        const uint8_t *n = d + p->offset + off;
        uint64_t namesz = x86_ld_le(n, 4);
        uint64_t descsz = x86_ld_le(n + 4, 4);
        uint32_t type = (uint32_t)x86_ld_le(n + 8, 4);
        uint64_t name_off = off + 12;
        uint64_t desc_off = name_off + align_up(namesz, a);
        uint64_t next = desc_off + align_up(descsz, a);

        if (desc_off > p->filesz || next > p->filesz)
            return false;
        if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
            memcmp(d + p->offset + name_off, "Xen", 4) == 0) {
            const uint8_t *desc = d + p->offset + desc_off;

            /* 4 bytes on 32-bit builds, 8 (.quad) on 64-bit Linux; the
             * entry is 32-bit code, so the upper half must be zero. */
            if (descsz == 4) {
                *entry = x86_ld_le(desc, 4);
                return true;
            }
            if (descsz == 8) {
                *entry = x86_ld_le(desc, 8);
                return true;
            }
            return false;
        }
        off = next;
    }
    return false;
}

bool
x86_load_elf_pvh(GuestMemory *mem, const uint8_t *d, size_t len,
                 const char *name, X86Kernel *kernel, GError **error)
{
    ElfHeader h = { 0 };
    ElfPhdr p;
    uint64_t entry = 0, end = 0;
    bool have_entry = false, entry_loaded = false;
    unsigned nload = 0;

    if (!elf_header(d, len, name, &h, error))
        return false;

    /* Pass 1: validate every header and find the note; write nothing. */
    for (uint32_t i = 0; i < h.phnum; i++) {
        elf_phdr(d, &h, i, &p);
        if (p.type != PT_LOAD && p.type != PT_NOTE)
            continue;
        if (p.offset > len || p.filesz > len - p.offset) {
            return elf_fail(error, name, "segment %u lies outside the file",
                            i);
        }
        if (p.type == PT_NOTE) {
            if (!have_entry)
                have_entry = find_pvh_note(d, &p, &entry);
            continue;
        }
        if (p.memsz == 0)
            continue;
        if (p.filesz > p.memsz)
            return elf_fail(error, name, "segment %u file size exceeds its "
                            "memory size", i);
        if (p.paddr < X86_HIGH_RAM_START || p.paddr + p.memsz < p.paddr) {
            return elf_fail(error, name, "segment %u at 0x%" G_GINT64_MODIFIER
                            "x is below 1 MiB or wraps", i, p.paddr);
        }
        if (!guest_mem_ptr(mem, p.paddr, p.memsz)) {
            return elf_fail(error, name, "segment %u (0x%" G_GINT64_MODIFIER
                            "x-0x%" G_GINT64_MODIFIER "x) does not fit in "
                            "guest RAM", i, p.paddr, p.paddr + p.memsz - 1);
        }
        nload++;
        end = MAX(end, p.paddr + p.memsz);
    }
    if (!have_entry) {
        return elf_fail(error, name, "no PVH entry point note "
                        "(XEN_ELFNOTE_PHYS32_ENTRY): only PVH ELF kernels and "
                        "firmware can boot");
    }
    if (nload == 0)
        return elf_fail(error, name, "no loadable segment");
    if (entry >= (1ULL << 32)) {
        return elf_fail(error, name, "PVH entry 0x%" G_GINT64_MODIFIER "x is "
                        "above 4 GiB", entry);
    }
    for (uint32_t i = 0; i < h.phnum && !entry_loaded; i++) {
        elf_phdr(d, &h, i, &p);
        entry_loaded = p.type == PT_LOAD && entry >= p.paddr &&
                       entry - p.paddr < p.memsz;
    }
    if (!entry_loaded) {
        return elf_fail(error, name, "PVH entry 0x%" G_GINT64_MODIFIER "x is "
                        "not in a loaded segment", entry);
    }

    /* Pass 2: copy; every range was checked above. */
    for (uint32_t i = 0; i < h.phnum; i++) {
        uint8_t *dst;

        elf_phdr(d, &h, i, &p);
        if (p.type != PT_LOAD || p.memsz == 0)
            continue;
        dst = guest_mem_ptr(mem, p.paddr, p.memsz);
        memcpy(dst, d + p.offset, p.filesz);
        memset(dst + p.filesz, 0, p.memsz - p.filesz);
    }

    memset(kernel, 0, sizeof(*kernel));
    kernel->protocol = X86_BOOT_PVH;
    kernel->entry = entry;
    kernel->kernel_end = end;
    kernel->reserved_end = end;
    /* PVH passes 64-bit module addresses; keep the initramfs below 4 GiB
     * all the same, where every RAM layout has it. */
    kernel->initrd_max = (1ULL << 32) - 1;
    kernel->cmdline_max = X86_CMDLINE_MAX - 1;
    return true;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: PVH/bzImage loaders, initramfs placement, boot info setup. */
#include <config.h>

#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "arch/x86_64/e820.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/loader-priv.h"
#include "tests/unit/test-arch-util.h"

#define MiB (1ULL << 20)
#define RAM (512 * MiB)

/* ---- Synthetic images ---- */

typedef struct {
    bool is64;
    bool note;          /* carry the Xen PVH note */
    unsigned descsz;    /* 4 or 8 */
    uint64_t entry;
    uint64_t paddr, filesz, memsz;
} ElfSpec;

#define ELF_NOTE_OFF 0x100
#define ELF_DATA_OFF 0x200

static ElfSpec
elf_spec(bool is64)
{
    return (ElfSpec){ .is64 = is64, .note = true, .descsz = is64 ? 8 : 4,
                      .entry = 0x100010, .paddr = 0x100000,
                      .filesz = 0x200, .memsz = 0x1000 };
}

/* ELF header, a PT_LOAD and a PT_NOTE (a GNU note, then the Xen one),
 * the loadable bytes at ELF_DATA_OFF (0x00, 0x01, ... pattern). */
static GByteArray *
build_elf(const ElfSpec *s)
{
    GByteArray *b = g_byte_array_new();
    uint8_t *d;
    unsigned phoff = s->is64 ? 64 : 52, phsz = s->is64 ? 56 : 32;
    unsigned notes = 0;
    uint8_t *n;

    g_byte_array_set_size(b, ELF_DATA_OFF + s->filesz);
    d = b->data;
    memset(d, 0, b->len);
    memcpy(d, "\177ELF", 4);
    d[4] = s->is64 ? 2 : 1;
    d[5] = 1;
    d[6] = 1;
    test_st_le(d + 16, 2, 2);                   /* ET_EXEC */
    test_st_le(d + 18, s->is64 ? 62 : 3, 2);
    test_st_le(d + 20, 1, 4);
    if (s->is64) {
        test_st_le(d + 24, 0xffffffff81000000ULL, 8);  /* e_entry: virtual */
        test_st_le(d + 32, phoff, 8);
        test_st_le(d + 52, 64, 2);
        test_st_le(d + 54, phsz, 2);
        test_st_le(d + 56, 2, 2);
    } else {
        test_st_le(d + 28, phoff, 4);
        test_st_le(d + 40, 52, 2);
        test_st_le(d + 42, phsz, 2);
        test_st_le(d + 44, 2, 2);
    }

    n = d + ELF_NOTE_OFF;
    test_st_le(n, 4, 4);                        /* GNU build-id-like */
    test_st_le(n + 4, 4, 4);
    test_st_le(n + 8, 3, 4);
    memcpy(n + 12, "GNU", 4);
    test_st_le(n + 16, 0xdeadbeef, 4);
    notes = 20;
    if (s->note) {
        test_st_le(n + notes, 4, 4);
        test_st_le(n + notes + 4, s->descsz, 4);
        test_st_le(n + notes + 8, 18, 4);       /* XEN_ELFNOTE_PHYS32_ENTRY */
        memcpy(n + notes + 12, "Xen", 4);
        test_st_le(n + notes + 16, s->entry, s->descsz);
        notes += 16 + s->descsz;
    }

    for (unsigned i = 0; i < 2; i++) {
        uint8_t *p = d + phoff + i * phsz;
        uint64_t type = i == 0 ? 1 : 4;
        uint64_t off = i == 0 ? ELF_DATA_OFF : ELF_NOTE_OFF;
        uint64_t addr = i == 0 ? s->paddr : 0;
        uint64_t fsz = i == 0 ? s->filesz : notes;
        uint64_t msz = i == 0 ? s->memsz : notes;

        test_st_le(p, type, 4);
        if (s->is64) {
            test_st_le(p + 8, off, 8);
            test_st_le(p + 16, addr | 0xffffffff80000000ULL, 8);
            test_st_le(p + 24, addr, 8);
            test_st_le(p + 32, fsz, 8);
            test_st_le(p + 40, msz, 8);
            test_st_le(p + 48, 4, 8);
        } else {
            test_st_le(p + 4, off, 4);
            test_st_le(p + 8, addr, 4);
            test_st_le(p + 12, addr, 4);
            test_st_le(p + 16, fsz, 4);
            test_st_le(p + 20, msz, 4);
            test_st_le(p + 28, 4, 4);
        }
    }
    for (uint64_t i = 0; i < s->filesz; i++)
        d[ELF_DATA_OFF + i] = (uint8_t)i;
    return b;
}

typedef struct {
    uint16_t version;
    uint8_t setup_sects;
    uint8_t loadflags;
    uint32_t code32;
    uint32_t payload;
    uint32_t init_size;
    uint64_t pref;
    uint8_t relocatable;
    uint32_t align;
    uint32_t cmdline_size;
    uint32_t initrd_max;
} BzSpec;

static BzSpec
bz_spec(void)
{
    return (BzSpec){ .version = 0x020f, .setup_sects = 4, .loadflags = 1,
                     .code32 = 0x100000, .payload = 0x3000,
                     .init_size = 0x800000, .pref = 0x1000000,
                     .relocatable = 1, .align = 0x200000,
                     .cmdline_size = 2047, .initrd_max = 0x7fffffff };
}

static GByteArray *
build_bzimage(const BzSpec *s)
{
    GByteArray *b = g_byte_array_new();
    unsigned setup = (s->setup_sects ? s->setup_sects : 4) + 1;
    uint8_t *d;

    g_byte_array_set_size(b, setup * 512 + s->payload);
    d = b->data;
    memset(d, 0, b->len);
    d[BZ_SETUP_SECTS] = s->setup_sects;
    test_st_le(d + BZ_BOOT_FLAG, 0xaa55, 2);
    d[BZ_JUMP] = 0xeb;                          /* jmp over the header */
    d[BZ_JUMP + 1] = 0x6a;                      /* -> header ends at 0x26c */
    memcpy(d + BZ_HEADER, "HdrS", 4);
    test_st_le(d + BZ_VERSION, s->version, 2);
    d[BZ_LOADFLAGS] = s->loadflags;
    test_st_le(d + BZ_CODE32_START, s->code32, 4);
    test_st_le(d + BZ_INITRD_ADDR_MAX, s->initrd_max, 4);
    test_st_le(d + BZ_KERNEL_ALIGNMENT, s->align, 4);
    d[BZ_RELOCATABLE_KERNEL] = s->relocatable;
    test_st_le(d + BZ_CMDLINE_SIZE, s->cmdline_size, 4);
    test_st_le(d + BZ_PREF_ADDRESS, s->pref, 8);
    test_st_le(d + BZ_INIT_SIZE, s->init_size, 4);
    d[0x26c] = 0x77;                            /* code after the header */
    for (uint32_t i = 0; i < s->payload; i++)
        d[setup * 512 + i] = (uint8_t)(i * 7);
    return b;
}

/* ---- Helpers ---- */

static TestGuestMemory *
poisoned_ram(void)
{
    TestGuestMemory *mem = test_guest_memory_new(RAM);

    /* Poison the first MiBs so "nothing written" is checkable. */
    memset(mem->regions[0].hva, 0xaa, 32 * MiB);
    return mem;
}

static void
assert_untouched(TestGuestMemory *mem)
{
    const uint8_t *p = mem->regions[0].hva;

    for (uint64_t i = 0; i < 32 * MiB; i += 64)
        g_assert_cmphex(p[i], ==, 0xaa);
}

static void
assert_refused(GByteArray *img, const char *pattern)
{
    g_autoptr(TestGuestMemory) mem = poisoned_ram();
    g_autoptr(GError) error = NULL;
    X86Kernel k;

    g_assert_false(x86_load_kernel_data(mem, img->data, img->len, "img",
                                        &k, &error));
    g_assert_nonnull(error);
    if (!g_pattern_match_simple(pattern, error->message))
        g_error("unexpected message: %s", error->message);
    g_assert_nonnull(strstr(error->message, "'img'"));
    assert_untouched(mem);
    g_byte_array_unref(img);
}

static char *
write_temp(const void *data, size_t len)
{
    char *path = g_build_filename(g_get_tmp_dir(), "nimbus-loader-XXXXXX",
                                  NULL);
    int fd = g_mkstemp(path);

    g_assert_cmpint(fd, >=, 0);
    g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
    close(fd);
    return path;
}

/* ---- PVH ---- */

static void
check_pvh(bool is64)
{
    g_autoptr(TestGuestMemory) mem = poisoned_ram();
    ElfSpec s = elf_spec(is64);
    g_autoptr(GByteArray) img = build_elf(&s);
    g_autoptr(GError) error = NULL;
    X86Kernel k;
    const uint8_t *p;

    g_assert_true(x86_load_kernel_data(mem, img->data, img->len, "img", &k,
                                       &error));
    g_assert_no_error(error);
    g_assert_cmpint(k.protocol, ==, X86_BOOT_PVH);
    g_assert_cmphex(k.entry, ==, 0x100010);
    g_assert_cmphex(k.kernel_end, ==, 0x101000);
    g_assert_cmphex(k.reserved_end, ==, 0x101000);
    g_assert_cmpuint(k.cmdline_max, ==, 0xffff);
    p = guest_mem_ptr(mem, 0x100000, 0x1000);
    for (unsigned i = 0; i < 0x200; i++)
        g_assert_cmpuint(p[i], ==, (uint8_t)i);
    for (unsigned i = 0x200; i < 0x1000; i++)
        g_assert_cmpuint(p[i], ==, 0);          /* bss zeroed */
    g_assert_cmpuint(p[0x1000], ==, 0xaa);      /* nothing beyond */
}

static void
test_pvh_elf64(void)
{
    check_pvh(true);
}

static void
test_pvh_elf32(void)
{
    check_pvh(false);
}

static void
test_pvh_refused(void)
{
    ElfSpec s;
    GByteArray *img;

    s = elf_spec(true);
    s.note = false;
    assert_refused(build_elf(&s), "*no PVH entry point note*");
    s = elf_spec(false);
    s.note = false;
    assert_refused(build_elf(&s), "*no PVH entry point note*");

    /* Truncated header / program headers. */
    img = build_elf(&(ElfSpec){ 0 });
    g_byte_array_set_size(img, 40);
    assert_refused(img, "*truncated header*");
    s = elf_spec(true);
    img = build_elf(&s);
    g_byte_array_set_size(img, 100);
    assert_refused(img, "*program headers outside the file*");
    /* Bad identification. */
    s = elf_spec(true);
    img = build_elf(&s);
    img->data[4] = 3;
    assert_refused(img, "*unknown ELF class 3*");
    img = build_elf(&s);
    img->data[5] = 2;
    assert_refused(img, "*little-endian*");
    img = build_elf(&s);
    test_st_le(img->data + 18, 40, 2);          /* EM_ARM */
    assert_refused(img, "*machine 40 is not x86*");
    img = build_elf(&s);
    test_st_le(img->data + 56, 0, 2);
    assert_refused(img, "*no usable program headers*");
    img = build_elf(&s);
    test_st_le(img->data + 54, 16, 2);
    assert_refused(img, "*program header size 16*");
    img = build_elf(&s);
    test_st_le(img->data + 32, 0xfffffffffffffff0ULL, 8);  /* phoff */
    assert_refused(img, "*program headers outside the file*");
    /* Segment offsets and sizes. */
    img = build_elf(&s);
    test_st_le(img->data + 64 + 8, 0xffffffffffffff00ULL, 8);  /* p_offset */
    assert_refused(img, "*segment 0 lies outside the file*");
    img = build_elf(&s);
    test_st_le(img->data + 64 + 32, 0x10000, 8);        /* p_filesz */
    assert_refused(img, "*segment 0 lies outside the file*");
    s = elf_spec(true);
    s.memsz = 0x100;
    assert_refused(build_elf(&s), "*file size exceeds its memory size*");
    s = elf_spec(true);
    s.paddr = 0x9000;
    s.entry = 0x9000;
    assert_refused(build_elf(&s), "*below 1 MiB*");
    s = elf_spec(true);
    s.memsz = 0xfffffffffff00000ULL;
    assert_refused(build_elf(&s), "*wraps*");
    s = elf_spec(true);
    s.memsz = RAM;                              /* runs off the end of RAM */
    assert_refused(build_elf(&s), "*does not fit in guest RAM*");
    s = elf_spec(true);
    s.paddr = 0x1f000000;
    s.memsz = 0x2000000;
    s.entry = 0x1f000000;
    assert_refused(build_elf(&s), "*does not fit in guest RAM*");
    /* Entry point checks. */
    s = elf_spec(true);
    s.entry = 0x200000;
    assert_refused(build_elf(&s), "*not in a loaded segment*");
    s = elf_spec(true);
    s.entry = 0x100000010ULL;
    assert_refused(build_elf(&s), "*above 4 GiB*");
    s = elf_spec(true);
    s.descsz = 2;
    assert_refused(build_elf(&s), "*no PVH entry point note*");
    /* A note whose name size runs past the segment ends the walk. */
    s = elf_spec(true);
    img = build_elf(&s);
    test_st_le(img->data + ELF_NOTE_OFF, 0xfffffff0, 4);
    assert_refused(img, "*no PVH entry point note*");
}

/* ---- bzImage ---- */

static void
test_bzimage(void)
{
    g_autoptr(TestGuestMemory) mem = poisoned_ram();
    BzSpec s = bz_spec();
    g_autoptr(GByteArray) img = build_bzimage(&s);
    g_autoptr(GError) error = NULL;
    X86Kernel k;
    const uint8_t *p;

    g_assert_true(x86_load_kernel_data(mem, img->data, img->len, "img", &k,
                                       &error));
    g_assert_no_error(error);
    g_assert_cmpint(k.protocol, ==, X86_BOOT_LINUX);
    g_assert_cmphex(k.entry, ==, 0x100000);
    g_assert_cmphex(k.kernel_end, ==, 0x103000);
    /* Decompression at pref_address (16 MiB) for init_size bytes. */
    g_assert_cmphex(k.reserved_end, ==, 0x1800000);
    g_assert_cmpuint(k.cmdline_max, ==, 2047);
    g_assert_cmphex(k.initrd_max, ==, 0x7fffffff);
    g_assert_cmpuint(k.setup_header_len, ==, 0x26c - 0x1f1);
    g_assert_cmpmem(k.setup_header, k.setup_header_len,
                    img->data + 0x1f1, 0x26c - 0x1f1);
    p = guest_mem_ptr(mem, 0x100000, 0x3000);
    for (uint32_t i = 0; i < 0x3000; i++)
        g_assert_cmpuint(p[i], ==, (uint8_t)(i * 7));
}

static void
test_bzimage_relocatable_above_pref(void)
{
    g_autoptr(TestGuestMemory) mem = poisoned_ram();
    BzSpec s = bz_spec();
    g_autoptr(GByteArray) img = NULL;
    X86Kernel k;

    /* Loaded at 17 MiB with 2 MiB alignment: decompresses at 18 MiB. */
    s.code32 = 0x1100000;
    img = build_bzimage(&s);
    g_assert_true(x86_load_kernel_data(mem, img->data, img->len, "img", &k,
                                       NULL));
    g_assert_cmphex(k.reserved_end, ==, 0x1200000 + 0x800000);
    /* An old (2.06) kernel: only the image itself is known. */
    s = bz_spec();
    s.version = 0x0206;
    g_byte_array_unref(img);
    img = build_bzimage(&s);
    g_assert_true(x86_load_kernel_data(mem, img->data, img->len, "img", &k,
                                       NULL));
    g_assert_cmphex(k.reserved_end, ==, 0x103000);
}

static void
test_bzimage_refused(void)
{
    BzSpec s;
    GByteArray *img;

    s = bz_spec();
    img = build_bzimage(&s);
    memcpy(img->data + BZ_HEADER, "HdrX", 4);
    assert_refused(img, "*neither a PVH ELF kernel/firmware nor a bzImage*");
    img = build_bzimage(&s);
    test_st_le(img->data + BZ_BOOT_FLAG, 0, 2);
    assert_refused(img, "*HdrS*");
    s = bz_spec();
    s.version = 0x0205;
    assert_refused(build_bzimage(&s),
                   "*boot protocol 2.05 is older than 2.06*");
    s = bz_spec();
    s.loadflags = 0;
    assert_refused(build_bzimage(&s), "*zImage*");
    s = bz_spec();
    s.code32 = 0x10000;
    assert_refused(build_bzimage(&s), "*code32_start 0x10000 is below 1 MiB*");
    s = bz_spec();
    s.align = 0x300000;
    assert_refused(build_bzimage(&s), "*kernel_alignment 0x300000*");
    s = bz_spec();
    s.align = 0;
    assert_refused(build_bzimage(&s), "*kernel_alignment 0x0*");
    s = bz_spec();
    s.init_size = 0xf0000000;                   /* more than the 512 MiB */
    assert_refused(build_bzimage(&s), "*needs guest RAM from 0x100000*");
    s = bz_spec();
    s.pref = 0xfffffffffffff000ULL;
    assert_refused(build_bzimage(&s), "*overflows*");
    s = bz_spec();
    s.code32 = 0xfffff000;                      /* above RAM */
    assert_refused(build_bzimage(&s), "*needs guest RAM*");
    /* setup_sects says the setup is longer than the file. */
    s = bz_spec();
    img = build_bzimage(&s);
    img->data[BZ_SETUP_SECTS] = 200;
    assert_refused(img, "*leaves no kernel*");
    img = build_bzimage(&s);
    g_byte_array_set_size(img, 0x300);
    assert_refused(img, "*file too short*");
    /* Garbage, and tiny files. */
    img = g_byte_array_new();
    g_byte_array_append(img, (const guint8 *)"#!/bin/sh\necho hi\n", 18);
    assert_refused(img, "*neither*");
    img = g_byte_array_new();
    g_byte_array_append(img, (const guint8 *)"\177EL", 3);
    assert_refused(img, "*neither*");
}

static void
test_load_kernel_file(void)
{
    g_autoptr(TestGuestMemory) mem = test_guest_memory_new(RAM);
    ElfSpec s = elf_spec(true);
    g_autoptr(GByteArray) img = build_elf(&s);
    g_autofree char *path = write_temp(img->data, img->len);
    g_autofree char *empty = write_temp("", 0);
    g_autoptr(GError) error = NULL;
    X86Kernel k;

    g_assert_true(x86_load_kernel(mem, path, &k, &error));
    g_assert_no_error(error);
    g_assert_cmphex(k.entry, ==, 0x100010);

    g_assert_false(x86_load_kernel(mem, "/nonexistent/vmlinux", &k, &error));
    g_assert_nonnull(strstr(error->message, "/nonexistent/vmlinux"));
    g_clear_error(&error);
    g_assert_false(x86_load_kernel(mem, empty, &k, &error));
    g_assert_nonnull(strstr(error->message, "is empty"));
    g_clear_error(&error);
    g_assert_false(x86_load_kernel(mem, g_get_tmp_dir(), &k, &error));
    g_assert_nonnull(strstr(error->message, g_get_tmp_dir()));
    g_assert_nonnull(strstr(error->message, "not a regular file"));
    g_clear_error(&error);
    {
        /* Larger than RAM: refused before reading. */
        g_autoptr(TestGuestMemory) small = test_guest_memory_new(0x200);

        g_assert_false(x86_load_kernel(small, path, &k, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
    }
    g_unlink(path);
    g_unlink(empty);
}

/* ---- initramfs ---- */

static void
test_initramfs_place(void)
{
    g_autoptr(TestGuestMemory) mem = test_guest_memory_new(RAM);
    X86Kernel k = { .protocol = X86_BOOT_PVH, .reserved_end = 0x2000000,
                    .initrd_max = 0xffffffff };
    g_autoptr(GError) error = NULL;
    uint64_t a;

    g_assert_true(x86_initramfs_place(mem, &k, 0x12345, &a, NULL));
    g_assert_cmphex(a, ==, (RAM - 0x12345) & ~0xfffULL);
    /* initrd_addr_max is the last usable byte. */
    k.initrd_max = 0x0fffffff;
    g_assert_true(x86_initramfs_place(mem, &k, 0x1000, &a, NULL));
    g_assert_cmphex(a, ==, 0x0ffff000);
    /* Too big for the room above the kernel. */
    g_assert_false(x86_initramfs_place(mem, &k, 0x0e000001, &a, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
    g_assert_nonnull(strstr(error->message, "does not fit"));
    g_clear_error(&error);
    g_assert_false(x86_initramfs_place(mem, &k, 0x20000000, &a, &error));
    g_clear_error(&error);
    g_assert_false(x86_initramfs_place(mem, &k, 0, &a, &error));
}

static void
test_initramfs_place_5g(void)
{
    /* With RAM above 4 GiB the initramfs still ends at 3 GiB. */
    g_autoptr(TestGuestMemory) mem = test_guest_memory_new(5ULL << 30);
    X86Kernel k = { .reserved_end = 0x2000000, .initrd_max = 0xffffffff };
    uint64_t a;

    g_assert_true(x86_initramfs_place(mem, &k, 0x100000, &a, NULL));
    g_assert_cmphex(a, ==, 0xc0000000 - 0x100000);
}

static void
test_initramfs_load(void)
{
    g_autoptr(TestGuestMemory) mem = test_guest_memory_new(RAM);
    X86Kernel k = { .reserved_end = 0x2000000, .initrd_max = 0xffffffff };
    g_autofree uint8_t *data = g_malloc(300000);
    g_autofree char *path = NULL;
    g_autofree char *empty = write_temp("", 0);
    g_autoptr(GError) error = NULL;
    uint64_t a = 0, sz = 0;

    for (unsigned i = 0; i < 300000; i++)
        data[i] = (uint8_t)(i * 13 + 1);
    path = write_temp(data, 300000);
    g_assert_true(x86_load_initramfs(mem, path, &k, &a, &sz, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(sz, ==, 300000);
    g_assert_cmphex(a % 4096, ==, 0);
    g_assert_cmpmem(guest_mem_ptr(mem, a, sz), sz, data, 300000);

    g_assert_false(x86_load_initramfs(mem, empty, &k, &a, &sz, &error));
    g_assert_nonnull(strstr(error->message, "is empty"));
    g_clear_error(&error);
    g_assert_false(x86_load_initramfs(mem, "/nonexistent/initrd", &k, &a,
                                      &sz, &error));
    g_assert_nonnull(strstr(error->message, "/nonexistent/initrd"));
    g_clear_error(&error);
    g_assert_false(x86_load_initramfs(mem, g_get_tmp_dir(), &k, &a, &sz,
                                      &error));
    g_assert_nonnull(strstr(error->message, "not a regular file"));
    g_clear_error(&error);
    k.reserved_end = RAM - 0x1000;
    g_assert_false(x86_load_initramfs(mem, path, &k, &a, &sz, &error));
    g_assert_nonnull(strstr(error->message, path));
    g_unlink(path);
    g_unlink(empty);
}

/* ---- boot info ---- */

static void
check_common(TestGuestMemory *mem, const char *cmdline)
{
    const uint8_t *p = guest_mem_ptr(mem, 0, 0x30000);

    g_assert_cmphex(test_le(p + 0x40e, 2), ==, 0xa000);
    for (unsigned i = 0; i < 4; i++)
        g_assert_cmphex(test_le(p + 0x500 + 8 * i, 8), ==, x86_boot_gdt[i]);
    g_assert_cmphex(test_le(p + 0x520, 8), ==, 0);
    g_assert_cmpstr((const char *)p + 0x20000, ==, cmdline);
}

static void
test_setup_pvh(void)
{
    g_autoptr(TestGuestMemory) mem = poisoned_ram();
    X86Kernel k = { .protocol = X86_BOOT_PVH, .entry = 0x1000000,
                    .cmdline_max = 0xffff };
    g_autoptr(GError) error = NULL;
    X86E820Entry e820[X86_E820_MAX_ENTRIES];
    unsigned n = x86_e820_build(mem, e820, G_N_ELEMENTS(e820));
    const uint8_t *si = guest_mem_ptr(mem, 0x6000, 56);
    const uint8_t *mod = guest_mem_ptr(mem, 0x6040, 32);
    const uint8_t *map = guest_mem_ptr(mem, 0x7000, 24 * n);

    g_assert_true(x86_setup_boot(mem, &k, "console=ttyS0", 0x1f000000,
                                 0x123456, 0xa0000, &error));
    g_assert_no_error(error);
    check_common(mem, "console=ttyS0");
    g_assert_cmphex(test_le(si, 4), ==, 0x336ec578);
    g_assert_cmpuint(test_le(si + 4, 4), ==, 1);        /* version */
    g_assert_cmpuint(test_le(si + 8, 4), ==, 0);        /* flags */
    g_assert_cmpuint(test_le(si + 12, 4), ==, 1);       /* nr_modules */
    g_assert_cmphex(test_le(si + 16, 8), ==, 0x6040);
    g_assert_cmphex(test_le(si + 24, 8), ==, 0x20000);
    g_assert_cmphex(test_le(si + 32, 8), ==, 0xa0000);
    g_assert_cmphex(test_le(si + 40, 8), ==, 0x7000);
    g_assert_cmpuint(test_le(si + 48, 4), ==, n);
    g_assert_cmpuint(test_le(si + 52, 4), ==, 0);
    g_assert_cmphex(test_le(mod, 8), ==, 0x1f000000);
    g_assert_cmphex(test_le(mod + 8, 8), ==, 0x123456);
    g_assert_cmphex(test_le(mod + 16, 8), ==, 0);       /* no module cmdline */
    g_assert_cmpuint(n, ==, 3);
    for (unsigned i = 0; i < n; i++) {
        g_assert_cmphex(test_le(map + 24 * i, 8), ==, e820[i].addr);
        g_assert_cmphex(test_le(map + 24 * i + 8, 8), ==, e820[i].size);
        g_assert_cmpuint(test_le(map + 24 * i + 16, 4), ==, e820[i].type);
        g_assert_cmpuint(test_le(map + 24 * i + 20, 4), ==, 0);
    }
}

static void
test_setup_pvh_no_initramfs(void)
{
    g_autoptr(TestGuestMemory) mem = poisoned_ram();
    X86Kernel k = { .protocol = X86_BOOT_PVH, .cmdline_max = 0xffff };
    const uint8_t *si = guest_mem_ptr(mem, 0x6000, 56);

    g_assert_true(x86_setup_boot(mem, &k, NULL, 0, 0, 0, NULL));
    check_common(mem, "");
    g_assert_cmpuint(test_le(si + 12, 4), ==, 0);
    g_assert_cmphex(test_le(si + 16, 8), ==, 0);
    g_assert_cmphex(test_le(si + 32, 8), ==, 0);
}

static void
test_setup_bzimage(void)
{
    g_autoptr(TestGuestMemory) mem = poisoned_ram();
    BzSpec s = bz_spec();
    g_autoptr(GByteArray) img = build_bzimage(&s);
    g_autoptr(GError) error = NULL;
    X86Kernel k;
    const uint8_t *bp = guest_mem_ptr(mem, 0x7000, 4096);
    X86E820Entry e820[X86_E820_MAX_ENTRIES];
    unsigned n = x86_e820_build(mem, e820, G_N_ELEMENTS(e820));

    g_assert_true(x86_load_kernel_data(mem, img->data, img->len, "img", &k,
                                       NULL));
    g_assert_true(x86_setup_boot(mem, &k, "root=/dev/vda", 0x1e000000,
                                 0x4000, 0xa0000, &error));
    g_assert_no_error(error);
    check_common(mem, "root=/dev/vda");
    /* Setup header copied, the loader's fields filled in. */
    g_assert_cmphex(test_le(bp + BZ_HEADER, 4), ==, 0x53726448);
    g_assert_cmphex(test_le(bp + BZ_VERSION, 2), ==, 0x020f);
    g_assert_cmphex(test_le(bp + BZ_CODE32_START, 4), ==, 0x100000);
    g_assert_cmphex(bp[BZ_LOADFLAGS], ==, 1);
    g_assert_cmphex(bp[BZ_TYPE_OF_LOADER], ==, 0xff);
    g_assert_cmphex(test_le(bp + BZ_CMD_LINE_PTR, 4), ==, 0x20000);
    g_assert_cmphex(test_le(bp + BZ_RAMDISK_IMAGE, 4), ==, 0x1e000000);
    g_assert_cmphex(test_le(bp + BZ_RAMDISK_SIZE, 4), ==, 0x4000);
    g_assert_cmphex(test_le(bp + BZ_INIT_SIZE, 4), ==, 0x800000);
    g_assert_cmphex(test_le(bp + BP_ACPI_RSDP_ADDR, 8), ==, 0xa0000);
    /* Zero outside the header: the sentinel, and the code after it. */
    g_assert_cmphex(bp[0x1ef], ==, 0);
    g_assert_cmphex(bp[0x26c], ==, 0);
    g_assert_cmphex(bp[0], ==, 0);
    g_assert_cmpuint(bp[BP_E820_ENTRIES], ==, n);
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *e = bp + BP_E820_TABLE + 20 * i;

        g_assert_cmphex(test_le(e, 8), ==, e820[i].addr);
        g_assert_cmphex(test_le(e + 8, 8), ==, e820[i].size);
        g_assert_cmpuint(test_le(e + 16, 4), ==, e820[i].type);
    }
}

static void
test_setup_cmdline_limits(void)
{
    g_autoptr(TestGuestMemory) mem = poisoned_ram();
    X86Kernel bz = { .protocol = X86_BOOT_LINUX, .cmdline_max = 255 };
    X86Kernel pvh = { .protocol = X86_BOOT_PVH, .cmdline_max = 0xffff };
    g_autofree char *c255 = g_strnfill(255, 'x');
    g_autofree char *c256 = g_strnfill(256, 'x');
    g_autofree char *cmax = g_strnfill(0xffff, 'y');
    g_autofree char *cover = g_strnfill(0x10000, 'y');
    g_autoptr(GError) error = NULL;

    g_assert_false(x86_setup_boot(mem, &bz, c256, 0, 0, 0, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "at most 255"));
    g_clear_error(&error);
    g_assert_false(x86_setup_boot(mem, &pvh, cover, 0, 0, 0, &error));
    g_clear_error(&error);
    /* Refusals wrote nothing. */
    assert_untouched(mem);
    /* An initramfs outside RAM is refused too. */
    g_assert_false(x86_setup_boot(mem, &pvh, "", 0x3f000000, 0x2000000, 0,
                                  &error));
    g_clear_error(&error);
    assert_untouched(mem);

    g_assert_true(x86_setup_boot(mem, &bz, c255, 0, 0, 0, NULL));
    check_common(mem, c255);
    g_assert_true(x86_setup_boot(mem, &pvh, cmax, 0, 0, 0, NULL));
    check_common(mem, cmax);
}

static void
test_setup_no_low_ram(void)
{
    GuestMemory mem = { .regions = { { .gpa = 0x100000, .size = MiB } },
                        .nregions = 1 };
    X86Kernel k = { .protocol = X86_BOOT_PVH, .cmdline_max = 0xffff };
    g_autoptr(GError) error = NULL;

    g_assert_false(x86_setup_boot(&mem, &k, "", 0, 0, 0, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
}

/* ---- Real Debian kernels (optional here; integration tests boot them) ---- */

static void
check_real(gconstpointer data)
{
    const char *name = data;
    const char *dir = g_getenv("NIMBUS_ASSETS_DIR");
    g_autofree char *path = NULL;
    g_autoptr(TestGuestMemory) mem = NULL;
    g_autoptr(GError) error = NULL;
    X86Kernel k;

    if (!dir || !g_file_test((path = g_build_filename(dir, name, NULL)),
                             G_FILE_TEST_IS_REGULAR)) {
        g_test_skip("no $NIMBUS_ASSETS_DIR/vmlinux{,z}");
        return;
    }
    mem = test_guest_memory_new(RAM);
    g_assert_true(x86_load_kernel(mem, path, &k, &error));
    g_assert_no_error(error);
    g_assert_cmpint(k.protocol, ==,
                    g_str_equal(name, "vmlinux") ? X86_BOOT_PVH
                                                 : X86_BOOT_LINUX);
    /* Debian's LOAD_PHYSICAL_ADDR is 16 MiB; bzImages load at 1 MiB. */
    g_assert_cmphex(k.entry, >=, 0x100000);
    g_assert_cmphex(k.entry, <, k.kernel_end);
    g_assert_cmphex(k.reserved_end, <, RAM);
    g_assert_cmpuint(k.cmdline_max, >=, 2047);
    g_assert_true(x86_setup_boot(mem, &k, "console=ttyS0", 0, 0, 0xa0000,
                                 &error));
    g_assert_no_error(error);
}

/* Writes the fuzz seed corpus (tests/fuzz/corpus/linux-loader). */
static int
write_corpus(const char *dir)
{
    struct {
        const char *name;
        GByteArray *img;
    } seeds[6];
    ElfSpec e64 = elf_spec(true), e32 = elf_spec(false), nonote;
    BzSpec bz = bz_spec(), old = bz_spec();

    nonote = elf_spec(true);
    nonote.note = false;
    old.version = 0x0206;
    old.payload = 0x200;
    bz.payload = 0x400;
    seeds[0].name = "pvh-elf64";
    seeds[0].img = build_elf(&e64);
    seeds[1].name = "pvh-elf32";
    seeds[1].img = build_elf(&e32);
    seeds[2].name = "elf-no-note";
    seeds[2].img = build_elf(&nonote);
    seeds[3].name = "bzimage-2.15";
    seeds[3].img = build_bzimage(&bz);
    seeds[4].name = "bzimage-2.06";
    seeds[4].img = build_bzimage(&old);
    seeds[5].name = "garbage";
    seeds[5].img = g_byte_array_new();
    g_byte_array_append(seeds[5].img, (const guint8 *)"not a kernel\n", 13);
    for (unsigned i = 0; i < G_N_ELEMENTS(seeds); i++) {
        g_autofree char *p = g_build_filename(dir, seeds[i].name, NULL);

        if (!g_file_set_contents(p, (const char *)seeds[i].img->data,
                                 seeds[i].img->len, NULL))
            return 1;
        g_byte_array_unref(seeds[i].img);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && g_str_equal(argv[1], "--write-corpus"))
        return write_corpus(argv[2]);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/x86/loader/pvh-elf64", test_pvh_elf64);
    g_test_add_func("/x86/loader/pvh-elf32", test_pvh_elf32);
    g_test_add_func("/x86/loader/pvh-refused", test_pvh_refused);
    g_test_add_func("/x86/loader/bzimage", test_bzimage);
    g_test_add_func("/x86/loader/bzimage-relocatable",
                    test_bzimage_relocatable_above_pref);
    g_test_add_func("/x86/loader/bzimage-refused", test_bzimage_refused);
    g_test_add_func("/x86/loader/kernel-file", test_load_kernel_file);
    g_test_add_func("/x86/loader/initramfs-place", test_initramfs_place);
    g_test_add_func("/x86/loader/initramfs-place-5g", test_initramfs_place_5g);
    g_test_add_func("/x86/loader/initramfs-load", test_initramfs_load);
    g_test_add_func("/x86/boot/setup-pvh", test_setup_pvh);
    g_test_add_func("/x86/boot/setup-pvh-no-initramfs",
                    test_setup_pvh_no_initramfs);
    g_test_add_func("/x86/boot/setup-bzimage", test_setup_bzimage);
    g_test_add_func("/x86/boot/setup-cmdline-limits",
                    test_setup_cmdline_limits);
    g_test_add_func("/x86/boot/setup-no-low-ram", test_setup_no_low_ram);
    g_test_add_data_func("/x86/loader/debian-vmlinux", "vmlinux", check_real);
    g_test_add_data_func("/x86/loader/debian-vmlinuz", "vmlinuz", check_real);
    return g_test_run();
}

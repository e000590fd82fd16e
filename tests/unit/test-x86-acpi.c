/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: x86_64 ACPI tables in guest memory (checksums, MADT, FADT...). */
#include <config.h>

#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "arch/x86_64/acpi-priv.h"
#include "arch/x86_64/layout.h"
#include "tests/unit/test-arch-util.h"

#define MiB (1ULL << 20)


static X86AcpiConfig
default_config(void)
{
    return (X86AcpiConfig){
        .boot_vcpus = 2, .max_vcpus = 4,
        .serial = true,
        .ged_base = 0xfe000000, .ged_irq = 5,
        .pci_ecam_base = X86_PCI_MMCONFIG_START,
        .pci_ecam_size = X86_PCI_MMCONFIG_SIZE,
        .pci_mmio32_base = X86_MEM_32BIT_DEVICES_START,
        .pci_mmio32_size = 512 * MiB,
        .pci_mmio64_base = 0x100000000ULL,
        .pci_mmio64_size = 0x1000000000ULL,
    };
}

static const uint8_t *
gpa(TestGuestMemory *mem, uint64_t addr, uint64_t len)
{
    const uint8_t *p = guest_mem_ptr(mem, addr, len);

    g_assert_nonnull(p);
    return p;
}

static uint8_t
sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;

    for (size_t i = 0; i < len; i++)
        s += p[i];
    return s;
}

/* Checks a table header and checksum; returns the table. */
static const uint8_t *
table_at(TestGuestMemory *mem, uint64_t addr, const char *sig,
         uint8_t revision)
{
    const uint8_t *t = gpa(mem, addr, ACPI_SDT_HEADER_LEN);
    uint32_t len = (uint32_t)test_le(t + 4, 4);

    g_assert_cmpmem(t, 4, sig, 4);
    g_assert_cmpuint(len, >=, ACPI_SDT_HEADER_LEN);
    t = gpa(mem, addr, len);
    g_assert_cmpuint(sum(t, len), ==, 0);
    g_assert_cmpuint(t[8], ==, revision);
    g_assert_cmpmem(t + 10, 6, "CLOUDH", 6);
    /* Every table lies in the EBDA area, below SMBIOS. */
    g_assert_cmphex(addr, >=, X86_RSDP_START);
    g_assert_cmphex(addr + len, <=, X86_SMBIOS_START);
    return t;
}

/* Finds the table with signature @sig through RSDP -> XSDT. */
static const uint8_t *
find_table(TestGuestMemory *mem, uint64_t rsdp_addr, const char *sig,
           uint8_t revision)
{
    const uint8_t *rsdp = gpa(mem, rsdp_addr, ACPI_RSDP_LEN);
    const uint8_t *xsdt = table_at(mem, test_le(rsdp + 24, 8), "XSDT", 1);
    uint32_t n = ((uint32_t)test_le(xsdt + 4, 4) - ACPI_SDT_HEADER_LEN) / 8;

    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = test_le(xsdt + ACPI_SDT_HEADER_LEN + 8 * i, 8);

        if (memcmp(gpa(mem, a, 4), sig, 4) == 0)
            return table_at(mem, a, sig, revision);
    }
    return NULL;
}

static const uint8_t *
dsdt_of(TestGuestMemory *mem, uint64_t rsdp, size_t *len)
{
    const uint8_t *fadt = find_table(mem, rsdp, "FACP", 6);
    const uint8_t *dsdt;

    g_assert_nonnull(fadt);
    dsdt = table_at(mem, test_le(fadt + 140, 8), "DSDT", 6);
    *len = (size_t)test_le(dsdt + 4, 4);
    return dsdt;
}

static unsigned
count(const uint8_t *hay, size_t len, const void *needle, size_t nlen)
{
    unsigned n = 0;

    for (const uint8_t *p = hay; p + nlen <= hay + len; p++) {
        p = memmem(p, (size_t)(hay + len - p), needle, nlen);
        if (!p)
            break;
        n++;
    }
    return n;
}

static TestGuestMemory *
build_ok(const X86AcpiConfig *cfg, uint64_t *rsdp)
{
    TestGuestMemory *mem = test_guest_memory_new(512 * MiB);
    g_autoptr(GError) error = NULL;

    g_assert_true(x86_acpi_build(mem, cfg, rsdp, &error));
    g_assert_no_error(error);
    g_assert_cmphex(*rsdp, ==, 0xa0000);
    return mem;
}

static void
test_rsdp_xsdt(void)
{
    X86AcpiConfig cfg = default_config();
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) mem = build_ok(&cfg, &rsdp);
    const uint8_t *r = gpa(mem, rsdp, ACPI_RSDP_LEN);
    const uint8_t *xsdt;

    g_assert_cmpmem(r, 8, "RSD PTR ", 8);
    g_assert_cmpuint(sum(r, 20), ==, 0);        /* ACPI 1.0 checksum */
    g_assert_cmpuint(sum(r, 36), ==, 0);        /* extended checksum */
    g_assert_cmpmem(r + 9, 6, "CLOUDH", 6);
    g_assert_cmpuint(r[15], ==, 2);
    g_assert_cmphex(test_le(r + 16, 4), ==, 0); /* no RSDT */
    g_assert_cmpuint(test_le(r + 20, 4), ==, 36);

    xsdt = table_at(mem, test_le(r + 24, 8), "XSDT", 1);
    /* FACP, APIC, MCFG; the XSDT is the last table, right after MCFG. */
    g_assert_cmpuint(test_le(xsdt + 4, 4), ==, 36 + 3 * 8);
    g_assert_cmpmem(gpa(mem, test_le(xsdt + 36, 8), 4), 4, "FACP", 4);
    g_assert_cmpmem(gpa(mem, test_le(xsdt + 44, 8), 4), 4, "APIC", 4);
    g_assert_cmpmem(gpa(mem, test_le(xsdt + 52, 8), 4), 4, "MCFG", 4);
    g_assert_cmphex(test_le(r + 24, 8), >, test_le(xsdt + 52, 8));
    /* The DSDT follows the RSDP directly. */
    g_assert_cmpmem(gpa(mem, rsdp + 36, 4), 4, "DSDT", 4);
}

static void
test_fadt(void)
{
    X86AcpiConfig cfg = default_config();
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) mem = build_ok(&cfg, &rsdp);
    const uint8_t *f = find_table(mem, rsdp, "FACP", 6);
    const uint8_t byte_io_600[] = { 1, 8, 0, 1, 0x00, 0x06, 0, 0, 0, 0, 0, 0 };
    const uint8_t dword_io_608[] = { 1, 32, 0, 3, 0x08, 0x06,
                                     0, 0, 0, 0, 0, 0 };
    size_t dlen;

    g_assert_nonnull(f);
    g_assert_cmpuint(test_le(f + 4, 4), ==, 276);
    g_assert_cmphex(test_le(f + 112, 4), ==,
                    (1u << 20) | (1u << 10) | (1u << 8));
    g_assert_cmpmem(f + 116, 12, byte_io_600, 12);      /* RESET_REG */
    g_assert_cmpuint(f[128], ==, 1);                    /* RESET_VALUE */
    g_assert_cmpuint(f[131], ==, 3);                    /* minor version */
    g_assert_cmphex(test_le(f + 40, 4), ==, 0);         /* no 32-bit DSDT */
    g_assert_cmpmem(f + 208, 12, dword_io_608, 12);     /* X_PM_TMR_BLK */
    g_assert_cmpmem(f + 244, 12, byte_io_600, 12);      /* SLEEP_CONTROL */
    g_assert_cmpmem(f + 256, 12, byte_io_600, 12);      /* SLEEP_STATUS */
    g_assert_cmpmem(f + 268, 8, "CLOUDHYP", 8);
    g_assert_cmphex(test_le(f + 36, 4), ==, 0);         /* no FACS */
    g_assert_nonnull(dsdt_of(mem, rsdp, &dlen));
}

static void
test_madt(void)
{
    X86AcpiConfig cfg = default_config();
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) mem = build_ok(&cfg, &rsdp);
    const uint8_t *m = find_table(mem, rsdp, "APIC", 5);
    const uint8_t *e;

    g_assert_nonnull(m);
    /* header + LAPIC address + flags, 4 x2APIC, IOAPIC, ISO */
    g_assert_cmpuint(test_le(m + 4, 4), ==, 44 + 4 * 16 + 12 + 10);
    g_assert_cmphex(test_le(m + 36, 4), ==, 0xfee00000);
    g_assert_cmphex(test_le(m + 40, 4), ==, 0);
    for (uint32_t i = 0; i < 4; i++) {
        e = m + 44 + 16 * i;
        g_assert_cmpuint(e[0], ==, 9);
        g_assert_cmpuint(e[1], ==, 16);
        g_assert_cmpuint(test_le(e + 4, 4), ==, i);     /* x2APIC ID */
        /* Boot vCPUs enabled; the others online-capable. */
        g_assert_cmphex(test_le(e + 8, 4), ==, i < 2 ? 1 : 2);
        g_assert_cmpuint(test_le(e + 12, 4), ==, i);    /* UID */
    }
    e = m + 44 + 64;
    g_assert_cmpuint(e[0], ==, 1);
    g_assert_cmpuint(e[1], ==, 12);
    g_assert_cmpuint(e[2], ==, 0);                      /* IOAPIC id */
    g_assert_cmphex(test_le(e + 4, 4), ==, 0xfec00000);
    g_assert_cmphex(test_le(e + 8, 4), ==, 0);          /* GSI base */
    e += 12;
    g_assert_cmpuint(e[0], ==, 2);
    g_assert_cmpuint(e[1], ==, 10);
    g_assert_cmpuint(e[2], ==, 0);                      /* ISA */
    g_assert_cmpuint(e[3], ==, 4);
    g_assert_cmpuint(test_le(e + 4, 4), ==, 4);
    g_assert_cmpuint(test_le(e + 8, 2), ==, 0);
}

static void
test_madt_no_serial_one_cpu(void)
{
    X86AcpiConfig cfg = default_config();
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) mem = NULL;
    const uint8_t *m;
    const uint8_t *d;
    size_t dlen;

    cfg.boot_vcpus = cfg.max_vcpus = 1;
    cfg.serial = false;
    mem = build_ok(&cfg, &rsdp);
    m = find_table(mem, rsdp, "APIC", 5);
    g_assert_cmpuint(test_le(m + 4, 4), ==, 44 + 16 + 12);
    g_assert_cmphex(test_le(m + 44 + 8, 4), ==, 1);
    d = dsdt_of(mem, rsdp, &dlen);
    g_assert_cmpuint(count(d, dlen, "COM1", 4), ==, 0);
    g_assert_cmpuint(count(d, dlen, "C000", 4), ==, 1);
    g_assert_cmpuint(count(d, dlen, "C001", 4), ==, 0);
}

static void
test_madt_topology(void)
{
    X86AcpiConfig cfg = default_config();
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) mem = NULL;
    const uint8_t *m;
    const uint8_t *d;
    size_t dlen;
    uint8_t mat[16];

    /* 2 threads x 3 cores x 1 die x 2 packages: package 1 starts at
     * APIC ID 8, so vCPU 6 is ID 8 in the MADT and in its _MAT. */
    cfg.boot_vcpus = cfg.max_vcpus = 12;
    cfg.threads_per_core = 2;
    cfg.cores_per_die = 3;
    cfg.dies_per_package = 1;
    cfg.packages = 2;
    mem = build_ok(&cfg, &rsdp);
    m = find_table(mem, rsdp, "APIC", 5);
    g_assert_cmpuint(test_le(m + 44 + 16 * 5 + 4, 4), ==, 5);
    g_assert_cmpuint(test_le(m + 44 + 16 * 6 + 4, 4), ==, 8);
    g_assert_cmpuint(test_le(m + 44 + 16 * 11 + 4, 4), ==, 13);
    g_assert_cmpuint(test_le(m + 44 + 16 * 11 + 12, 4), ==, 11);

    x86_acpi_x2apic_entry(&cfg, 6, ACPI_MADT_ENABLED, mat);
    g_assert_cmpuint(test_le(mat + 4, 4), ==, 8);
    d = dsdt_of(mem, rsdp, &dlen);
    /* Name (_MAT, Buffer (0x10) { <entry> }) */
    g_assert_cmpuint(count(d, dlen, mat, sizeof(mat)), ==, 1);
}

static void
test_mcfg(void)
{
    X86AcpiConfig cfg = default_config();
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) mem = build_ok(&cfg, &rsdp);
    const uint8_t *m = find_table(mem, rsdp, "MCFG", 1);

    g_assert_nonnull(m);
    g_assert_cmpuint(test_le(m + 4, 4), ==, 36 + 8 + 16);
    g_assert_cmphex(test_le(m + 44, 8), ==, 0xe8000000);
    g_assert_cmpuint(test_le(m + 52, 2), ==, 0);        /* segment */
    g_assert_cmpuint(m[54], ==, 0);                     /* start bus */
    g_assert_cmpuint(m[55], ==, 255);                   /* end bus */
}

static void
test_dsdt_content(void)
{
    X86AcpiConfig cfg = default_config();
    const X86AcpiPciSlot slots[] = { { 3 }, { 31 } };
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) mem = NULL;
    const uint8_t *d;
    size_t dlen;
    /* Method (_STA) { Return (0x0F) } and { Return (Zero) } */
    const uint8_t sta_on[] = { 0x14, 0x09, '_', 'S', 'T', 'A', 0x00,
                               0xa4, 0x0a, 0x0f };
    const uint8_t sta_off[] = { 0x14, 0x08, '_', 'S', 'T', 'A', 0x00,
                                0xa4, 0x00 };
    const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x07, 0x04,
                           0x0a, 0x05, 0x00, 0x00, 0x00 };
    /* OperationRegion (GDST, SystemMemory, 0xfe000000, 1) */
    const uint8_t gdst[] = { 0x5b, 0x80, 'G', 'D', 'S', 'T', 0x00,
                             0x0c, 0x00, 0x00, 0x00, 0xfe, 0x01 };
    /* Notify (\_SB.PWRB, 0x80) */
    const uint8_t notify[] = { 0x86, '\\', 0x2e, '_', 'S', 'B', '_',
                               'P', 'W', 'R', 'B', 0x0a, 0x80 };
    /* Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) {5} */
    const uint8_t ged_irq[] = { 0x89, 0x06, 0x00, 0x03, 0x01, 5, 0, 0, 0 };
    const uint8_t com1_io[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03,
                                0x00, 0x08 };
    const uint8_t cf8_io[] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };
    /* EisaId ("PNP0A08"), EisaId ("PNP0C02") */
    const uint8_t pnp0a08[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x08 };
    const uint8_t pnp0c02[] = { 0x0c, 0x41, 0xd0, 0x0c, 0x02 };

    cfg.pci_slots = slots;
    cfg.n_pci_slots = G_N_ELEMENTS(slots);
    mem = build_ok(&cfg, &rsdp);
    d = dsdt_of(mem, rsdp, &dlen);

    g_assert_cmpuint(count(d, dlen, "PCI0", 4), ==, 1);
    g_assert_cmpuint(count(d, dlen, pnp0a08, sizeof(pnp0a08)), ==, 1);
    g_assert_cmpuint(count(d, dlen, pnp0c02, sizeof(pnp0c02)), ==, 1);
    g_assert_cmpuint(count(d, dlen, cf8_io, sizeof(cf8_io)), ==, 1);
    g_assert_cmpuint(count(d, dlen, "S003", 4), ==, 1);
    g_assert_cmpuint(count(d, dlen, "S031", 4), ==, 1);
    g_assert_cmpuint(count(d, dlen, "MBRD", 4), ==, 1);
    g_assert_cmpuint(count(d, dlen, "COM1", 4), ==, 2);   /* name + _DDN */
    g_assert_cmpuint(count(d, dlen, com1_io, sizeof(com1_io)), ==, 1);
    g_assert_cmpuint(count(d, dlen, s5, sizeof(s5)), ==, 1);
    g_assert_cmpuint(count(d, dlen, "ACPI0013", 8), ==, 1);
    g_assert_cmpuint(count(d, dlen, gdst, sizeof(gdst)), ==, 1);
    g_assert_cmpuint(count(d, dlen, notify, sizeof(notify)), ==, 1);
    g_assert_cmpuint(count(d, dlen, ged_irq, sizeof(ged_irq)), ==, 1);
    g_assert_cmpuint(count(d, dlen, "ACPI0010", 8), ==, 1);
    g_assert_cmpuint(count(d, dlen, "ACPI0007", 8), ==, 4);
    g_assert_cmpuint(count(d, dlen, sta_on, sizeof(sta_on)), ==, 2);
    g_assert_cmpuint(count(d, dlen, sta_off, sizeof(sta_off)), ==, 2);
    g_assert_cmpuint(count(d, dlen, "C003", 4), ==, 1);
    g_assert_cmpuint(count(d, dlen, "C004", 4), ==, 0);
    /* No hotplug controllers exist yet, so nothing may refer to them. */
    g_assert_cmpuint(count(d, dlen, "CSCN", 4), ==, 0);
    g_assert_cmpuint(count(d, dlen, "PSCN", 4), ==, 0);
    g_assert_cmpuint(count(d, dlen, "MSCN", 4), ==, 0);
}

/* The TPM2 table and \_SB_.TPM2 exist only with the TPM, and point at
 * the CRB (TCG ACPI Specification 1.3 §8.3). */
static void
test_tpm(void)
{
    X86AcpiConfig cfg = default_config();
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) without = build_ok(&cfg, &rsdp);
    g_autoptr(TestGuestMemory) with = NULL;
    const uint8_t *t, *d;
    size_t dlen;
    /* Memory32Fixed (ReadWrite, 0xfed40000, 0x1000) */
    const uint8_t crs[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xd4, 0xfe,
                            0x00, 0x10, 0x00, 0x00 };

    g_assert_null(find_table(without, rsdp, "TPM2", 4));
    d = dsdt_of(without, rsdp, &dlen);
    g_assert_cmpuint(count(d, dlen, "MSFT0101", 8), ==, 0);

    cfg.tpm = true;
    with = build_ok(&cfg, &rsdp);
    t = find_table(with, rsdp, "TPM2", 4);
    g_assert_nonnull(t);
    g_assert_cmpuint(test_le(t + 4, 4), ==, 64);
    g_assert_cmpuint(test_le(t + 36, 2), ==, 0);            /* client */
    g_assert_cmphex(test_le(t + 40, 8), ==, 0xfed40040);    /* control */
    g_assert_cmpuint(test_le(t + 48, 4), ==, 7);            /* CRB */
    d = dsdt_of(with, rsdp, &dlen);
    g_assert_cmpuint(count(d, dlen, "MSFT0101", 8), ==, 1);
    g_assert_cmpuint(count(d, dlen, "TPM2", 4), ==, 1);
    g_assert_cmpuint(count(d, dlen, crs, sizeof(crs)), ==, 1);
}

/* \_SB_.FWCF exists only with the fw_cfg device: QEMU0002 (what Linux's
 * qemu_fw_cfg binds to) over its 12 ports at 0x510. */
static void
test_fw_cfg(void)
{
    X86AcpiConfig cfg = default_config();
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) without = build_ok(&cfg, &rsdp);
    g_autoptr(TestGuestMemory) with = NULL;
    const uint8_t *d;
    size_t dlen;
    /* IO (Decode16, 0x510, 0x510, 1, 0x0c) */
    const uint8_t crs[] = { 0x47, 0x01, 0x10, 0x05, 0x10, 0x05, 0x01, 0x0c };

    d = dsdt_of(without, rsdp, &dlen);
    g_assert_cmpuint(count(d, dlen, "QEMU0002", 8), ==, 0);
    g_assert_cmpuint(count(d, dlen, "FWCF", 4), ==, 0);
    cfg.fw_cfg = true;
    with = build_ok(&cfg, &rsdp);
    d = dsdt_of(with, rsdp, &dlen);
    g_assert_cmpuint(count(d, dlen, "QEMU0002", 8), ==, 1);
    g_assert_cmpuint(count(d, dlen, "FWCF", 4), ==, 1);
    g_assert_cmpuint(count(d, dlen, crs, sizeof(crs)), ==, 1);
}

static void
test_dsdt_minimal(void)
{
    X86AcpiConfig cfg = { .boot_vcpus = 1, .max_vcpus = 1 };
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) mem = build_ok(&cfg, &rsdp);
    const uint8_t *d;
    size_t dlen;

    /* No PCI segment: no MCFG, no PCI0/MBRD; no GED. */
    g_assert_null(find_table(mem, rsdp, "MCFG", 1));
    d = dsdt_of(mem, rsdp, &dlen);
    g_assert_cmpuint(count(d, dlen, "PCI0", 4), ==, 0);
    g_assert_cmpuint(count(d, dlen, "MBRD", 4), ==, 0);
    g_assert_cmpuint(count(d, dlen, "GED_", 4), ==, 0);
    g_assert_cmpuint(count(d, dlen, "PWRB", 4), ==, 1);
    g_assert_cmpuint(count(d, dlen, "_S5_", 4), ==, 1);
}

static void
check_refused(const X86AcpiConfig *cfg, gint code, const char *pattern)
{
    g_autoptr(TestGuestMemory) mem = test_guest_memory_new(512 * MiB);
    g_autoptr(GError) error = NULL;
    uint64_t rsdp = 0x1234;
    const uint8_t *area = gpa(mem, X86_RSDP_START,
                              X86_SMBIOS_START - X86_RSDP_START);

    g_assert_false(x86_acpi_build(mem, cfg, &rsdp, &error));
    g_assert_error(error, G_IO_ERROR, code);
    if (!g_pattern_match_simple(pattern, error->message))
        g_error("unexpected message: %s", error->message);
    g_assert_cmphex(rsdp, ==, 0x1234);
    /* Nothing written. */
    for (size_t i = 0; i < X86_SMBIOS_START - X86_RSDP_START; i++)
        g_assert_cmpuint(area[i], ==, 0);
}

/* VIOT only with a virtio-iommu: its PCI node, then one PCI range per
 * translated function, each pointing at it with endpoint id = BDF. */
static void
test_viot(void)
{
    X86AcpiConfig cfg = default_config();
    const uint16_t eps[] = { 0x10, 0x20 };
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) without = build_ok(&cfg, &rsdp);
    g_autoptr(TestGuestMemory) with = NULL;
    const uint8_t *t, *r;

    g_assert_null(find_table(without, rsdp, "VIOT", 0));
    cfg.viommu = true;
    cfg.viommu_bdf = 0x18;
    cfg.viommu_endpoints = eps;
    cfg.n_viommu_endpoints = G_N_ELEMENTS(eps);
    with = build_ok(&cfg, &rsdp);
    t = find_table(with, rsdp, "VIOT", 0);
    g_assert_nonnull(t);
    g_assert_cmpuint(test_le(t + 4, 4), ==, 36 + 12 + 16 + 2 * 24);
    g_assert_cmpuint(test_le(t + 36, 2), ==, 3);            /* nodes */
    g_assert_cmpuint(test_le(t + 38, 2), ==, 48);           /* first */
    g_assert_cmpuint(t[48], ==, 3);                 /* virtio-iommu PCI */
    g_assert_cmpuint(test_le(t + 50, 2), ==, 16);
    g_assert_cmpuint(test_le(t + 52, 2), ==, 0);            /* segment */
    g_assert_cmphex(test_le(t + 54, 2), ==, 0x18);
    for (unsigned i = 0; i < G_N_ELEMENTS(eps); i++) {
        r = t + 64 + 24 * i;
        g_assert_cmpuint(r[0], ==, 1);              /* PCI range */
        g_assert_cmpuint(test_le(r + 2, 2), ==, 24);
        g_assert_cmphex(test_le(r + 4, 4), ==, eps[i]);     /* endpoint */
        g_assert_cmpuint(test_le(r + 8, 4), ==, 0);         /* segments */
        g_assert_cmphex(test_le(r + 12, 2), ==, eps[i]);
        g_assert_cmphex(test_le(r + 14, 2), ==, eps[i]);
        g_assert_cmpuint(test_le(r + 16, 2), ==, 48);       /* output */
    }
    /* The IOMMU cannot be its own endpoint. */
    cfg.viommu_bdf = 0x20;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT, "*translate itself*");
}

static void
test_refused(void)
{
    X86AcpiConfig cfg;
    const X86AcpiPciSlot bad_slot[] = { { 32 } };
    const X86AcpiPciSlot dup_slots[] = { { 1 }, { 1 } };

    cfg = default_config();
    cfg.boot_vcpus = 0;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT, "*boot vCPUs (0)*");
    cfg = default_config();
    cfg.boot_vcpus = 5;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT, "*boot vCPUs (5)*");
    cfg = default_config();
    cfg.max_vcpus = 4097;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT, "*at most 4096*");
    /* 4096 CPU objects do not fit below SMBIOS. */
    cfg = default_config();
    cfg.max_vcpus = 4096;
    check_refused(&cfg, G_IO_ERROR_NO_SPACE, "*4096 vCPUs*SMBIOS*");
    cfg = default_config();
    cfg.pci_ecam_base += 4096;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT, "*ECAM*");
    cfg = default_config();
    cfg.pci_ecam_size = 512 * MiB;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT, "*ECAM*");
    cfg = default_config();
    cfg.pci_mmio32_base = 0xf0000000;
    cfg.pci_mmio32_size = 512 * MiB;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT, "*32-bit PCI window*");
    cfg = default_config();
    cfg.pci_mmio64_base = UINT64_MAX - 10;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT, "*64-bit PCI window*");
    cfg = default_config();
    cfg.ged_irq = 24;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT, "*GED*");
    cfg = default_config();
    cfg.pci_slots = bad_slot;
    cfg.n_pci_slots = 1;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT, "*slot 32*");
    cfg = default_config();
    cfg.pci_slots = dup_slots;
    cfg.n_pci_slots = 2;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT, "*slot 1 listed twice*");
}

/* PCI hotplug: every slot described and ejectable, PHPR, the GED's scan. */
static void
test_dsdt_pci_hotplug(void)
{
    X86AcpiConfig cfg = default_config();
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) mem = NULL;
    const uint8_t *d;
    size_t dlen;
    /* OperationRegion (PCST, SystemMemory, 0xfe001000, 0x10) */
    const uint8_t pcst[] = { 0x5b, 0x80, 'P', 'C', 'S', 'T', 0x00,
                             0x0c, 0x00, 0x10, 0x00, 0xfe, 0x0a, 0x10 };
    /* Mutex (BLCK, 0) */
    const uint8_t blck[] = { 0x5b, 0x01, 'B', 'L', 'C', 'K', 0x00 };
    /* Name (_SUN, 0x1F) */
    const uint8_t sun31[] = { 0x08, '_', 'S', 'U', 'N', 0x0a, 0x1f };

    cfg.pci_hotplug_base = 0xfe001000;
    mem = build_ok(&cfg, &rsdp);
    d = dsdt_of(mem, rsdp, &dlen);
    g_assert_cmpuint(count(d, dlen, "PHPR", 4), >=, 1);
    g_assert_cmpuint(count(d, dlen, pcst, sizeof(pcst)), ==, 1);
    g_assert_cmpuint(count(d, dlen, blck, sizeof(blck)), ==, 1);
    g_assert_cmpuint(count(d, dlen, sun31, sizeof(sun31)), ==, 1);
    /* Slot 0 (the host bridge) is not a slot; 1-31 are: each is a device
     * and twice a Notify target in PCNT. */
    g_assert_cmpuint(count(d, dlen, "S000", 4), ==, 0);
    g_assert_cmpuint(count(d, dlen, "S001", 4), ==, 3);
    g_assert_cmpuint(count(d, dlen, "S031", 4), ==, 3);
    g_assert_cmpuint(count(d, dlen, "_EJ0", 4), ==, 31);
    /* PSCN: defined once, called from the GED's ESCN. */
    g_assert_cmpuint(count(d, dlen, "PSCN", 4), ==, 2);
    g_assert_cmpuint(count(d, dlen, "PCNT", 4), ==, 2);
}

static void
test_pci_hotplug_refused(void)
{
    X86AcpiConfig cfg = default_config();

    cfg.pci_hotplug_base = 0xfe001000;
    cfg.ged_base = 0;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT,
                  "*PCI hotplug controller*GED*");
    cfg = default_config();
    cfg.pci_hotplug_base = 0xfe001000;
    cfg.pci_ecam_size = 0;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT,
                  "*PCI hotplug controller*");
    cfg = default_config();
    cfg.pci_hotplug_base = 0xfffffff8;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT,
                  "*PCI hotplug controller*4 GiB*");
}

static void
test_no_low_ram(void)
{
    /* A region that does not start at 0: the tables have nowhere to go. */
    X86AcpiConfig cfg = default_config();
    GuestMemory mem = { .regions = { { .gpa = 0x100000, .size = MiB } },
                        .nregions = 1 };
    g_autoptr(GError) error = NULL;
    uint64_t rsdp;

    g_assert_false(x86_acpi_build(&mem, &cfg, &rsdp, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
}

static void
test_large_vm(void)
{
    /* The largest common shapes still fit: 1024 boot / 2048 max vCPUs. */
    X86AcpiConfig cfg = default_config();
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) mem = NULL;
    const uint8_t *m;

    cfg.boot_vcpus = 1024;
    cfg.max_vcpus = 2048;
    mem = build_ok(&cfg, &rsdp);
    m = find_table(mem, rsdp, "APIC", 5);
    g_assert_cmphex(test_le(m + 44 + 16 * 1023 + 8, 4), ==, 1);
    g_assert_cmphex(test_le(m + 44 + 16 * 1024 + 8, 4), ==, 2);
}

/* Runs ACPICA's own interpreter (acpiexec, from acpica-tools) over the DSDT:
 * it must load without an error and evaluate to what the guest relies on. */
static void
test_acpiexec(void)
{
    X86AcpiConfig cfg = default_config();
    g_autofree char *acpiexec = g_find_program_in_path("acpiexec");
    g_autoptr(GByteArray) blob = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *path = NULL;
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    const char *cmds = "evaluate \\_S5_; evaluate \\_SB_.CPUS.C001._STA; "
                       "evaluate \\_SB_.CPUS.C002._STA; "
                       "evaluate \\_SB_.CPUS.C002._MAT; "
                       "evaluate \\_SB_.GED_._EVT 5";
    g_autofree char *cmdline = NULL;
    int status;
    size_t dsdt_len;

    if (!acpiexec) {
        g_test_skip("acpiexec (acpica-tools) not installed");
        return;
    }
    blob = x86_acpi_build_blob(&cfg, X86_RSDP_START, &error);
    g_assert_no_error(error);
    /* The DSDT follows the 36-byte RSDP. */
    dsdt_len = (size_t)test_le(blob->data + 36 + 4, 4);
    dir = g_dir_make_tmp("nimbus-acpi-XXXXXX", &error);
    g_assert_no_error(error);
    path = g_build_filename(dir, "dsdt.dat", NULL);
    g_assert_true(g_file_set_contents(path, (const char *)blob->data + 36,
                                      (gssize)dsdt_len, NULL));
    cmdline = g_strdup_printf("%s -b \"%s\" %s", acpiexec, cmds, path);
    g_assert_true(g_spawn_command_line_sync(cmdline, &out, NULL, &status,
                                            &error));
    g_assert_no_error(error);
    g_unlink(path);
    g_rmdir(dir);
    g_test_message("%s", out);
    g_assert_null(strstr(out, "Error"));
    g_assert_null(strstr(out, "Exception"));
    g_assert_nonnull(strstr(out, "successfully acquired and loaded"));
    g_assert_nonnull(strstr(out, "[Integer] = 0000000000000005"));
    g_assert_nonnull(strstr(out, "[Integer] = 000000000000000F"));
    g_assert_nonnull(strstr(out, "[Integer] = 0000000000000000"));
    /* C002's _MAT: x2APIC ID 2, enabled, UID 2. */
    g_assert_nonnull(strstr(out, "09 10 00 00 02 00 00 00 01 00 00 00 "
                                 "02 00 00 00"));
}

/* ACPICA runs the hotplug AML: the GED's scan reaches PCNT, a slot's _EJ0
 * writes B0EJ through PCEJ, with no error. */
static void
test_acpiexec_pci_hotplug(void)
{
    X86AcpiConfig cfg = default_config();
    g_autofree char *acpiexec = g_find_program_in_path("acpiexec");
    g_autoptr(GByteArray) blob = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *path = NULL;
    g_autofree char *out = NULL;
    g_autofree char *cmdline = NULL;
    g_autoptr(GError) error = NULL;
    const char *cmds = "evaluate \\_SB_.GED_._EVT 5; "
                       "evaluate \\_SB_.PHPR.PSCN; "
                       "evaluate \\_SB_.PCI0.S007._EJ0 1; "
                       "evaluate \\_SB_.PCI0.S007._SUN; "
                       "evaluate \\_SB_.PCI0.S007._ADR";
    int status;
    size_t dsdt_len;

    if (!acpiexec) {
        g_test_skip("acpiexec (acpica-tools) not installed");
        return;
    }
    cfg.pci_hotplug_base = 0xfe001000;
    blob = x86_acpi_build_blob(&cfg, X86_RSDP_START, &error);
    g_assert_no_error(error);
    dsdt_len = (size_t)test_le(blob->data + 36 + 4, 4);
    dir = g_dir_make_tmp("nimbus-acpi-XXXXXX", &error);
    g_assert_no_error(error);
    path = g_build_filename(dir, "dsdt.dat", NULL);
    g_assert_true(g_file_set_contents(path, (const char *)blob->data + 36,
                                      (gssize)dsdt_len, NULL));
    cmdline = g_strdup_printf("%s -b \"%s\" %s", acpiexec, cmds, path);
    g_assert_true(g_spawn_command_line_sync(cmdline, &out, NULL, &status,
                                            &error));
    g_assert_no_error(error);
    g_unlink(path);
    g_rmdir(dir);
    g_test_message("%s", out);
    g_assert_null(strstr(out, "Error"));
    g_assert_null(strstr(out, "Exception"));
    g_assert_nonnull(strstr(out, "successfully acquired and loaded"));
    g_assert_nonnull(strstr(out, "[Integer] = 0000000000000007"));
    g_assert_nonnull(strstr(out, "[Integer] = 0000000000070000"));
}

/* CPU hotplug: PRES, each processor's _STA/_EJ0 through it, the GED's
 * scan; refused without a GED or above 4 GiB. */
static void
test_dsdt_cpu_hotplug(void)
{
    X86AcpiConfig cfg = default_config();
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) mem = NULL;
    const uint8_t *d;
    size_t dlen;
    /* OperationRegion (PRST, SystemMemory, 0xfe002000, 0x0c) */
    const uint8_t prst[] = { 0x5b, 0x80, 'P', 'R', 'S', 'T', 0x00,
                             0x0c, 0x00, 0x20, 0x00, 0xfe, 0x0a, 0x0c };

    cfg.cpu_hotplug_base = 0xfe002000;
    mem = build_ok(&cfg, &rsdp);
    d = dsdt_of(mem, rsdp, &dlen);
    g_assert_cmpuint(count(d, dlen, prst, sizeof(prst)), ==, 1);
    /* CSCN: defined once, called from the GED's ESCN. */
    g_assert_cmpuint(count(d, dlen, "CSCN", 4), ==, 2);
    /* CSTA/CEJM: defined once, called by each of the 4 processors. */
    g_assert_cmpuint(count(d, dlen, "CSTA", 4), ==, 5);
    g_assert_cmpuint(count(d, dlen, "CEJM", 4), ==, 5);
    g_assert_cmpuint(count(d, dlen, "_EJ0", 4), ==, 4);
    /* Each processor: its device name and two Notify targets in CSCN. */
    g_assert_cmpuint(count(d, dlen, "C003", 4), ==, 3);

    cfg.ged_base = 0;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT,
                  "*CPU hotplug controller*GED*");
    cfg = default_config();
    cfg.cpu_hotplug_base = 0xfffffff8;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT,
                  "*CPU hotplug controller*4 GiB*");
}

/* ACPICA runs the CPU hotplug AML: the GED's scan, a processor's _STA
 * and _EJ0 through the controller, with no error (its memory reads 0). */
static void
test_acpiexec_cpu_hotplug(void)
{
    X86AcpiConfig cfg = default_config();
    g_autofree char *acpiexec = g_find_program_in_path("acpiexec");
    g_autoptr(GByteArray) blob = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *path = NULL;
    g_autofree char *out = NULL;
    g_autofree char *cmdline = NULL;
    g_autoptr(GError) error = NULL;
    const char *cmds = "evaluate \\_SB_.GED_._EVT 5; "
                       "evaluate \\_SB_.PRES.CSCN; "
                       "evaluate \\_SB_.CPUS.C003._EJ0 1; "
                       "evaluate \\_SB_.CPUS.C003._STA";
    int status;
    size_t dsdt_len;

    if (!acpiexec) {
        g_test_skip("acpiexec (acpica-tools) not installed");
        return;
    }
    cfg.cpu_hotplug_base = 0xfe002000;
    blob = x86_acpi_build_blob(&cfg, X86_RSDP_START, &error);
    g_assert_no_error(error);
    dsdt_len = (size_t)test_le(blob->data + 36 + 4, 4);
    dir = g_dir_make_tmp("nimbus-acpi-XXXXXX", &error);
    g_assert_no_error(error);
    path = g_build_filename(dir, "dsdt.dat", NULL);
    g_assert_true(g_file_set_contents(path, (const char *)blob->data + 36,
                                      (gssize)dsdt_len, NULL));
    cmdline = g_strdup_printf("%s -b \"%s\" %s", acpiexec, cmds, path);
    g_assert_true(g_spawn_command_line_sync(cmdline, &out, NULL, &status,
                                            &error));
    g_assert_no_error(error);
    g_unlink(path);
    g_rmdir(dir);
    g_test_message("%s", out);
    g_assert_null(strstr(out, "Error"));
    g_assert_null(strstr(out, "Exception"));
    g_assert_nonnull(strstr(out, "successfully acquired and loaded"));
    /* CPEN reads 0 in acpiexec's memory: _STA says absent. */
    g_assert_nonnull(strstr(out, "[Integer] = 0000000000000000"));
}

/* Memory hotplug: MHPC, 4 DIMM slots of 128 MiB at 5 GiB. */
static X86AcpiConfig
memory_hotplug_config(void)
{
    X86AcpiConfig cfg = default_config();

    cfg.mem_hotplug_base = 0xfe003000;
    cfg.mem_hotplug_region_gpa = 5ULL << 30;
    cfg.mem_hotplug_slot_size = 128ULL << 20;
    cfg.mem_hotplug_nslots = 4;
    return cfg;
}

/* The MHPC device, its slots and the GED's scan; refused without a GED,
 * above 4 GiB or with a slot layout that is not one. */
static void
test_dsdt_memory_hotplug(void)
{
    X86AcpiConfig cfg = memory_hotplug_config();
    uint64_t rsdp;
    g_autoptr(TestGuestMemory) mem = NULL;
    const uint8_t *d;
    size_t dlen;
    /* OperationRegion (MHPR, SystemMemory, 0xfe003000, 0x18) */
    const uint8_t mhpr[] = { 0x5b, 0x80, 'M', 'H', 'P', 'R', 0x00,
                             0x0c, 0x00, 0x30, 0x00, 0xfe, 0x0a, 0x18 };
    /* Slot 3's QWordMemory minimum, 5 GiB + 384 MiB, little endian. */
    const uint8_t min3[] = { 0x00, 0x00, 0x00, 0x58, 0x01, 0x00, 0x00, 0x00 };
    /* EisaId ("PNP0C80") */
    const uint8_t pnp0c80[] = { 0x0c, 0x41, 0xd0, 0x0c, 0x80 };

    mem = build_ok(&cfg, &rsdp);
    d = dsdt_of(mem, rsdp, &dlen);
    g_assert_cmpuint(count(d, dlen, mhpr, sizeof(mhpr)), ==, 1);
    /* MSCN: defined once, called from the GED's ESCN. */
    g_assert_cmpuint(count(d, dlen, "MSCN", 4), ==, 2);
    /* MSTA: defined once, called by each slot's _STA. */
    g_assert_cmpuint(count(d, dlen, "MSTA", 4), ==, 5);
    g_assert_cmpuint(count(d, dlen, pnp0c80, sizeof(pnp0c80)), ==, 4);
    g_assert_cmpuint(count(d, dlen, min3, sizeof(min3)), ==, 1);
    /* Each slot: its device name and the Notify target in MSCN. */
    g_assert_cmpuint(count(d, dlen, "M003", 4), ==, 2);
    g_assert_cmpuint(count(d, dlen, "M004", 4), ==, 0);
    /* No eject: nimbus does not unplug DIMMs. */
    g_assert_cmpuint(count(d, dlen, "_EJ0", 4), ==, 0);

    cfg.ged_base = 0;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT,
                  "*memory hotplug controller*GED*");
    cfg = memory_hotplug_config();
    cfg.mem_hotplug_base = 0xfffffff0;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT,
                  "*memory hotplug controller*4 GiB*");
    cfg = memory_hotplug_config();
    cfg.mem_hotplug_nslots = 257;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT, "*257 DIMM slots*");
    cfg.mem_hotplug_nslots = 0;
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT, "*0 DIMM slots*");
    cfg = memory_hotplug_config();
    cfg.mem_hotplug_region_gpa = G_MAXUINT64 - (256ULL << 20);
    check_refused(&cfg, G_IO_ERROR_INVALID_ARGUMENT, "*DIMM slots*");
}

/* ACPICA runs the memory hotplug AML: the GED's scan, a slot's _STA
 * (MEN_ reads 0 in acpiexec's memory) and _CRS (the slot's range). */
static void
test_acpiexec_memory_hotplug(void)
{
    X86AcpiConfig cfg = memory_hotplug_config();
    g_autofree char *acpiexec = g_find_program_in_path("acpiexec");
    g_autoptr(GByteArray) blob = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *path = NULL;
    g_autofree char *out = NULL;
    g_autofree char *cmdline = NULL;
    g_autoptr(GError) error = NULL;
    const char *cmds = "evaluate \\_SB_.GED_._EVT 5; "
                       "evaluate \\_SB_.MHPC.MSCN; "
                       "evaluate \\_SB_.MHPC.M002._STA; "
                       "evaluate \\_SB_.MHPC.M003._CRS";
    int status;
    size_t dsdt_len;

    if (!acpiexec) {
        g_test_skip("acpiexec (acpica-tools) not installed");
        return;
    }
    blob = x86_acpi_build_blob(&cfg, X86_RSDP_START, &error);
    g_assert_no_error(error);
    dsdt_len = (size_t)test_le(blob->data + 36 + 4, 4);
    dir = g_dir_make_tmp("nimbus-acpi-XXXXXX", &error);
    g_assert_no_error(error);
    path = g_build_filename(dir, "dsdt.dat", NULL);
    g_assert_true(g_file_set_contents(path, (const char *)blob->data + 36,
                                      (gssize)dsdt_len, NULL));
    cmdline = g_strdup_printf("%s -b \"%s\" %s", acpiexec, cmds, path);
    g_assert_true(g_spawn_command_line_sync(cmdline, &out, NULL, &status,
                                            &error));
    g_assert_no_error(error);
    g_unlink(path);
    g_rmdir(dir);
    g_test_message("%s", out);
    g_assert_null(strstr(out, "Error"));
    g_assert_null(strstr(out, "Exception"));
    g_assert_nonnull(strstr(out, "successfully acquired and loaded"));
    g_assert_nonnull(strstr(out, "[Integer] = 0000000000000000"));
    /* M003's QWordMemory (acpiexec prints 16 bytes a line): minimum
     * 0x158000000 and maximum 0x15fffffff at 0x0e, length 128 MiB at
     * 0x26, then the end tag. */
    g_assert_nonnull(strstr(out, "0010: 00 58 01 00 00 00 FF FF FF 5F 01 00 "
                                 "00 00"));
    g_assert_nonnull(strstr(out, "00 00 00 08 00 00 00 00 79 00"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/x86/acpi/rsdp-xsdt", test_rsdp_xsdt);
    g_test_add_func("/x86/acpi/fadt", test_fadt);
    g_test_add_func("/x86/acpi/madt", test_madt);
    g_test_add_func("/x86/acpi/madt-no-serial-one-cpu",
                    test_madt_no_serial_one_cpu);
    g_test_add_func("/x86/acpi/madt-topology", test_madt_topology);
    g_test_add_func("/x86/acpi/mcfg", test_mcfg);
    g_test_add_func("/x86/acpi/dsdt-content", test_dsdt_content);
    g_test_add_func("/x86/acpi/dsdt-minimal", test_dsdt_minimal);
    g_test_add_func("/x86/acpi/tpm", test_tpm);
    g_test_add_func("/x86/acpi/fw-cfg", test_fw_cfg);
    g_test_add_func("/x86/acpi/viot", test_viot);
    g_test_add_func("/x86/acpi/refused", test_refused);
    g_test_add_func("/x86/acpi/no-low-ram", test_no_low_ram);
    g_test_add_func("/x86/acpi/large-vm", test_large_vm);
    g_test_add_func("/x86/acpi/acpiexec", test_acpiexec);
    g_test_add_func("/x86/acpi/dsdt-pci-hotplug", test_dsdt_pci_hotplug);
    g_test_add_func("/x86/acpi/dsdt-cpu-hotplug", test_dsdt_cpu_hotplug);
    g_test_add_func("/x86/acpi/acpiexec-cpu-hotplug",
                    test_acpiexec_cpu_hotplug);
    g_test_add_func("/x86/acpi/pci-hotplug-refused",
                    test_pci_hotplug_refused);
    g_test_add_func("/x86/acpi/acpiexec-pci-hotplug",
                    test_acpiexec_pci_hotplug);
    g_test_add_func("/x86/acpi/dsdt-memory-hotplug",
                    test_dsdt_memory_hotplug);
    g_test_add_func("/x86/acpi/acpiexec-memory-hotplug",
                    test_acpiexec_memory_hotplug);
    return g_test_run();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* x86_64 ACPI tables (RSDP, XSDT, FADT, MADT, MCFG, DSDT) in guest memory. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "arch/x86_64/acpi-priv.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/topology.h"

/*
 * Cloud Hypervisor's hardware-reduced ACPI (vmm/src/acpi.rs): no FACS, no
 * SCI, no PM1 blocks; sleep and reset go through the FADT's sleep
 * control/status and reset registers, all at port 0x600.
 */

#define ACPI_CREATOR_ID         "NMBS"
#define ACPI_CREATOR_REVISION   1
#define ACPI_OEM_REVISION       1

/* FADT (ACPI 6.5 §5.2.9, table 5.9) field offsets. */
#define FADT_PM_TMR_BLK         76
#define FADT_PM_TMR_LEN         91
#define FADT_FLAGS              112
#define FADT_RESET_REG          116
#define FADT_RESET_VALUE        128
#define FADT_MINOR_VERSION      131
#define FADT_X_DSDT             140
#define FADT_X_PM_TMR_BLK       208
#define FADT_SLEEP_CONTROL_REG  244
#define FADT_SLEEP_STATUS_REG   256
#define FADT_HYPERVISOR_ID      268
#define FADT_F_TMR_VAL_EXT      (1u << 8)   /* 32-bit PM timer */
#define FADT_F_RESET_REG_SUP    (1u << 10)
#define FADT_F_HW_REDUCED_ACPI  (1u << 20)

/* MADT structure types (§5.2.12). */
#define MADT_IO_APIC            1
#define MADT_INT_SRC_OVERRIDE   2
#define MADT_LOCAL_X2APIC       9

/* Generic Address Structure (§5.2.3.2). */
#define GAS_SPACE_IO            1
#define GAS_ACCESS_BYTE         1
#define GAS_ACCESS_DWORD        3

/* The IOAPIC's input pins (GSI 0..23). */
#define X86_IOAPIC_PINS         24

static void
put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void
append_le(GByteArray *b, uint64_t v, unsigned n)
{
    uint8_t tmp[8];

    put_le(tmp, v, n);
    g_byte_array_append(b, tmp, n);
}

static uint8_t
checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum += p[i];
    return (uint8_t)(0x100 - sum);
}

/* Appends a table header (length and checksum filled by sdt_end()). */
static size_t
sdt_begin(GByteArray *b, const char *sig, uint8_t revision,
          const char *table_id)
{
    size_t off = b->len;
    uint8_t hdr[ACPI_SDT_HEADER_LEN] = { 0 };

    memcpy(hdr, sig, 4);
    hdr[8] = revision;
    memcpy(hdr + 10, ACPI_OEM_ID, 6);
    memcpy(hdr + 16, table_id, 8);
    put_le(hdr + 24, ACPI_OEM_REVISION, 4);
    memcpy(hdr + 28, ACPI_CREATOR_ID, 4);
    put_le(hdr + 32, ACPI_CREATOR_REVISION, 4);
    g_byte_array_append(b, hdr, sizeof(hdr));
    return off;
}

static void
sdt_end(GByteArray *b, size_t off)
{
    uint8_t *t = b->data + off;
    size_t len = b->len - off;

    put_le(t + 4, len, 4);
    t[9] = 0;
    t[9] = checksum(t, len);
}

static void
put_gas_io(uint8_t *p, uint16_t port, unsigned bytes)
{
    p[0] = GAS_SPACE_IO;
    p[1] = (uint8_t)(8 * bytes);                /* register bit width */
    p[2] = 0;                                   /* bit offset */
    p[3] = bytes == 4 ? GAS_ACCESS_DWORD : GAS_ACCESS_BYTE;
    put_le(p + 4, port, 8);
}

void
x86_acpi_topology(const X86AcpiConfig *cfg, uint32_t *threads,
                  uint32_t *cores, uint32_t *dies)
{
    *threads = cfg->threads_per_core ? cfg->threads_per_core : 1;
    *cores = cfg->cores_per_die ? cfg->cores_per_die : cfg->max_vcpus;
    *dies = cfg->dies_per_package ? cfg->dies_per_package : 1;
}

void
x86_acpi_x2apic_entry(const X86AcpiConfig *cfg, uint32_t cpu, uint32_t flags,
                      uint8_t out[ACPI_MADT_X2APIC_LEN])
{
    uint32_t threads, cores, dies;

    x86_acpi_topology(cfg, &threads, &cores, &dies);
    out[0] = MADT_LOCAL_X2APIC;
    out[1] = ACPI_MADT_X2APIC_LEN;
    put_le(out + 2, 0, 2);                      /* reserved */
    put_le(out + 4, x86_topology_apic_id(cpu, threads, cores, dies), 4);
    put_le(out + 8, flags, 4);
    put_le(out + 12, cpu, 4);                   /* ACPI processor UID */
}

static size_t
build_dsdt(GByteArray *b, const X86AcpiConfig *cfg, GError **error)
{
    g_autoptr(AmlWriter) w = aml_writer_new();
    g_autoptr(GBytes) aml = NULL;
    size_t off;

    x86_acpi_dsdt_body(w, cfg);
    if (!(aml = aml_writer_finish(w, error)))
        return 0;
    off = sdt_begin(b, "DSDT", 6, "CHDSDT  ");
    g_byte_array_append(b, g_bytes_get_data(aml, NULL), g_bytes_get_size(aml));
    sdt_end(b, off);
    return off;
}

static size_t
build_fadt(GByteArray *b, uint64_t dsdt_addr)
{
    size_t off = sdt_begin(b, "FACP", 6, "CHFACP  ");
    uint8_t *t;

    g_byte_array_set_size(b, off + ACPI_FADT_LEN);
    t = b->data + off;
    memset(t + ACPI_SDT_HEADER_LEN, 0, ACPI_FADT_LEN - ACPI_SDT_HEADER_LEN);
    put_le(t + FADT_FLAGS, FADT_F_HW_REDUCED_ACPI | FADT_F_RESET_REG_SUP |
           FADT_F_TMR_VAL_EXT, 4);
    put_gas_io(t + FADT_RESET_REG, X86_ACPI_SLEEP_PORT, 1);
    t[FADT_RESET_VALUE] = X86_ACPI_RESET_VALUE;
    t[FADT_MINOR_VERSION] = 3;
    /* DSDT (32-bit) stays 0: X_DSDT is set, and the spec wants only one. */
    put_le(t + FADT_X_DSDT, dsdt_addr, 8);
    /* Both PM timer forms: the legacy one for tools that read only it. */
    put_le(t + FADT_PM_TMR_BLK, X86_ACPI_PM_TIMER_PORT, 4);
    t[FADT_PM_TMR_LEN] = X86_ACPI_PM_TIMER_PORT_SIZE;
    put_gas_io(t + FADT_X_PM_TMR_BLK, X86_ACPI_PM_TIMER_PORT, 4);
    put_gas_io(t + FADT_SLEEP_CONTROL_REG, X86_ACPI_SLEEP_PORT, 1);
    put_gas_io(t + FADT_SLEEP_STATUS_REG, X86_ACPI_SLEEP_PORT, 1);
    memcpy(t + FADT_HYPERVISOR_ID, "CLOUDHYP", 8);
    sdt_end(b, off);
    return off;
}

static size_t
build_madt(GByteArray *b, const X86AcpiConfig *cfg)
{
    size_t off = sdt_begin(b, "APIC", 5, "CHMADT  ");

    append_le(b, X86_LAPIC_START, 4);           /* local APIC address */
    append_le(b, 0, 4);                         /* flags: no 8259 PICs */
    for (uint32_t cpu = 0; cpu < cfg->max_vcpus; cpu++) {
        uint8_t e[ACPI_MADT_X2APIC_LEN];

        /* MADT rev 5: a CPU that may be hotplugged later is disabled but
         * online-capable; the bit is reserved on enabled CPUs. */
        x86_acpi_x2apic_entry(cfg, cpu, cpu < cfg->boot_vcpus ?
                              ACPI_MADT_ENABLED : ACPI_MADT_ONLINE_CAPABLE, e);
        g_byte_array_append(b, e, sizeof(e));
    }
    /* I/O APIC: type, length, id 0, reserved, address, GSI base 0. */
    append_le(b, MADT_IO_APIC, 1);
    append_le(b, 12, 1);
    append_le(b, 0, 1);
    append_le(b, 0, 1);
    append_le(b, X86_IOAPIC_START, 4);
    append_le(b, 0, 4);
    if (cfg->serial) {
        /* ISA IRQ 4 -> GSI 4, flags 0: ISA's edge/active-high. */
        append_le(b, MADT_INT_SRC_OVERRIDE, 1);
        append_le(b, 10, 1);
        append_le(b, 0, 1);                     /* bus: ISA */
        append_le(b, X86_COM1_IRQ, 1);
        append_le(b, X86_COM1_IRQ, 4);
        append_le(b, 0, 2);
    }
    sdt_end(b, off);
    return off;
}

static size_t
build_mcfg(GByteArray *b, const X86AcpiConfig *cfg)
{
    size_t off = sdt_begin(b, "MCFG", 1, "CHMCFG  ");

    append_le(b, 0, 8);                         /* reserved */
    /* One allocation per segment: base, segment, start bus, end bus. */
    append_le(b, cfg->pci_ecam_base, 8);
    append_le(b, 0, 2);
    append_le(b, 0, 1);
    append_le(b, cfg->pci_ecam_size / (1 << 20) - 1, 1);
    append_le(b, 0, 4);
    sdt_end(b, off);
    return off;
}

static bool
validate(const X86AcpiConfig *cfg, GError **error)
{
    if (cfg->boot_vcpus == 0 || cfg->boot_vcpus > cfg->max_vcpus ||
        cfg->max_vcpus > X86_ACPI_MAX_CPUS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "ACPI: boot vCPUs (%u) must be between 1 and max vCPUs "
                    "(%u), at most %u", cfg->boot_vcpus, cfg->max_vcpus,
                    X86_ACPI_MAX_CPUS);
        return false;
    }
    if (cfg->ged_base != 0 &&
        (cfg->ged_irq >= X86_IOAPIC_PINS ||
         cfg->ged_base > UINT64_MAX - X86_GED_SIZE)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "ACPI: GED at 0x%" G_GINT64_MODIFIER "x IRQ %u is "
                    "invalid (IRQs go up to %u)", cfg->ged_base, cfg->ged_irq,
                    X86_IOAPIC_PINS - 1);
        return false;
    }
    /* The controller is described with a Memory32Fixed, notified through
     * the GED and scans PCI0: it needs all three. */
    if (cfg->pci_hotplug_base != 0 &&
        (cfg->ged_base == 0 || cfg->pci_ecam_size == 0 ||
         cfg->pci_hotplug_base > (1ULL << 32) - X86_PCI_HOTPLUG_SIZE)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "ACPI: the PCI hotplug controller at 0x%"
                    G_GINT64_MODIFIER "x needs a GED, a PCI segment and a "
                    "window below 4 GiB", cfg->pci_hotplug_base);
        return false;
    }
    if (!x86_acpi_check_memory_hotplug(cfg, error) ||
        !x86_acpi_check_numa(cfg, error) || !x86_acpi_check_viot(cfg, error))
        return false;
    /* The CPU controller is a Memory32Fixed notified through the GED. */
    if (cfg->cpu_hotplug_base != 0 &&
        (cfg->ged_base == 0 ||
         cfg->cpu_hotplug_base > (1ULL << 32) - X86_CPU_HOTPLUG_SIZE)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "ACPI: the CPU hotplug controller at 0x%"
                    G_GINT64_MODIFIER "x needs a GED and a window below "
                    "4 GiB", cfg->cpu_hotplug_base);
        return false;
    }
    if (cfg->pci_ecam_size == 0) {
        if (cfg->n_pci_slots > 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "ACPI: PCI slots without a PCI segment");
            return false;
        }
        return true;
    }
    /* ECAM: 1 MiB per bus, 1..256 buses, 1 MiB aligned, below 4 GiB
     * (MBRD reserves it with a Memory32Fixed). */
    if (cfg->pci_ecam_size % (1 << 20) != 0 ||
        cfg->pci_ecam_size > (256ULL << 20) ||
        cfg->pci_ecam_base % (1 << 20) != 0 ||
        cfg->pci_ecam_base + cfg->pci_ecam_size > (1ULL << 32)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "ACPI: PCI ECAM window 0x%" G_GINT64_MODIFIER "x+0x%"
                    G_GINT64_MODIFIER "x is not 1 MiB aligned, at most "
                    "256 MiB and below 4 GiB", cfg->pci_ecam_base,
                    cfg->pci_ecam_size);
        return false;
    }
    if (cfg->pci_mmio32_size > 0 &&
        (cfg->pci_mmio32_base >= (1ULL << 32) ||
         cfg->pci_mmio32_size > (1ULL << 32) - cfg->pci_mmio32_base)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "ACPI: 32-bit PCI window 0x%" G_GINT64_MODIFIER "x+0x%"
                    G_GINT64_MODIFIER "x does not end below 4 GiB",
                    cfg->pci_mmio32_base, cfg->pci_mmio32_size);
        return false;
    }
    if (cfg->pci_mmio64_size > 0 &&
        cfg->pci_mmio64_size - 1 > UINT64_MAX - cfg->pci_mmio64_base) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "ACPI: 64-bit PCI window 0x%" G_GINT64_MODIFIER "x+0x%"
                    G_GINT64_MODIFIER "x overflows", cfg->pci_mmio64_base,
                    cfg->pci_mmio64_size);
        return false;
    }
    for (unsigned i = 0; i < cfg->n_pci_slots; i++) {
        uint8_t dev = cfg->pci_slots[i].device;

        if (dev >= 32) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "ACPI: PCI slot %u does not exist (0-31)", dev);
            return false;
        }
        for (unsigned j = 0; j < i; j++) {
            if (cfg->pci_slots[j].device == dev) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "ACPI: PCI slot %u listed twice", dev);
                return false;
            }
        }
    }
    return true;
}

GByteArray *
x86_acpi_build_blob(const X86AcpiConfig *cfg, uint64_t base, GError **error)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    size_t dsdt, fadt, madt, mcfg = 0, tpm2 = 0, srat = 0, slit = 0, xsdt;
    size_t viot = 0;
    uint8_t *r;

    if (!validate(cfg, error))
        return NULL;

    /* The RSDP comes first (at the EBDA start, where the OS looks), then
     * each table right after the previous one, as CH lays them out. */
    g_byte_array_set_size(b, ACPI_RSDP_LEN);
    memset(b->data, 0, ACPI_RSDP_LEN);
    if (!(dsdt = build_dsdt(b, cfg, error)))
        return NULL;
    fadt = build_fadt(b, base + dsdt);
    madt = build_madt(b, cfg);
    if (cfg->pci_ecam_size > 0)
        mcfg = build_mcfg(b, cfg);
    if (cfg->tpm) {
        /* TCG ACPI Specification 1.3 §8.3, revision 4. */
        tpm2 = sdt_begin(b, "TPM2", 4, "CHTPM2  ");
        x86_acpi_tpm2_body(b);
        sdt_end(b, tpm2);
    }
    if (cfg->numa) {
        /* ACPI 6.5 §5.2.16 (SRAT, revision 3) and §5.2.17 (SLIT). */
        srat = sdt_begin(b, "SRAT", 3, "CHSRAT  ");
        x86_acpi_srat_body(b, cfg);
        sdt_end(b, srat);
        slit = sdt_begin(b, "SLIT", 1, "CHSLIT  ");
        x86_acpi_slit_body(b, cfg);
        sdt_end(b, slit);
    }
    if (cfg->viommu) {
        /* VIOT, ACPI 6.5 §5.2.32, revision 0. */
        viot = sdt_begin(b, "VIOT", 0, "CHVIOT  ");
        x86_acpi_viot_body(b, cfg);
        sdt_end(b, viot);
    }
    xsdt = sdt_begin(b, "XSDT", 1, "CHXSDT  ");
    append_le(b, base + fadt, 8);
    append_le(b, base + madt, 8);
    if (mcfg)
        append_le(b, base + mcfg, 8);
    if (tpm2)
        append_le(b, base + tpm2, 8);
    if (srat) {
        append_le(b, base + srat, 8);
        append_le(b, base + slit, 8);
    }
    if (viot)
        append_le(b, base + viot, 8);
    sdt_end(b, xsdt);

    /* RSDP (§5.2.5.3), revision 2: no RSDT, only the XSDT. */
    r = b->data;
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, ACPI_OEM_ID, 6);
    r[15] = 2;
    put_le(r + 20, ACPI_RSDP_LEN, 4);
    put_le(r + 24, base + xsdt, 8);
    r[8] = checksum(r, 20);                     /* ACPI 1.0 part */
    r[32] = checksum(r, ACPI_RSDP_LEN);         /* whole structure */
    return g_steal_pointer(&b);
}

bool
x86_acpi_build(GuestMemory *mem, const X86AcpiConfig *cfg,
               uint64_t *rsdp_addr, GError **error)
{
    g_autoptr(GByteArray) b = NULL;

    if (!(b = x86_acpi_build_blob(cfg, X86_RSDP_START, error)))
        return false;
    if (b->len > X86_SMBIOS_START - X86_RSDP_START) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "ACPI tables for %u vCPUs take %u bytes, more than the "
                    "%llu below the SMBIOS area", cfg->max_vcpus, b->len,
                    X86_SMBIOS_START - X86_RSDP_START);
        return false;
    }
    if (guest_mem_write(mem, X86_RSDP_START, b->data, b->len) < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "ACPI tables at 0x%llx: guest RAM does not cover "
                    "0x%llx-0x%llx", X86_RSDP_START, X86_RSDP_START,
                    X86_RSDP_START + b->len - 1);
        return false;
    }
    *rsdp_addr = X86_RSDP_START;
    return true;
}

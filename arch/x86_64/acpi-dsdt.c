/* SPDX-License-Identifier: Apache-2.0 */
/* The x86_64 DSDT: PCI host bridge, COM1, power button, GED, CPUs, _S5_. */
#include <config.h>

#include "arch/x86_64/acpi-priv.h"
#include "arch/x86_64/layout.h"
#include "devices/legacy/fw-cfg.h"

/*
 * The namespace follows Cloud Hypervisor's (vmm/src/{device_manager,
 * cpu,pci_segment}.rs) so that guests see the same devices; objects of
 * features nimbus does not have yet (CPU/memory hotplug controllers,
 * fw_cfg) are left out rather than stubbed, and nothing calls them.  PCI
 * hotplug's objects are in acpi-pci-hotplug.c.
 */

/* ACPI 6.5 §4.8.3.1.1.2: notification 0x80 on a power button device
 * means "pressed". */
#define NOTIFY_POWER_BUTTON_PRESSED 0x80

static void
dsdt_pci_slot(AmlWriter *w, const X86AcpiPciSlot *slot)
{
    char name[5];

    /* CH's S000..S031 (decimal device number); _ADR is device << 16 with
     * function 0, _SUN the slot number the guest shows. */
    g_snprintf(name, sizeof(name), "S%03u", slot->device);
    aml_device_begin(w, name);
    aml_name_integer(w, "_ADR", (uint64_t)slot->device << 16);
    aml_name_integer(w, "_SUN", slot->device);
    aml_end(w);
}

static void
dsdt_pci0(AmlWriter *w, const X86AcpiConfig *cfg)
{
    uint64_t last_bus = cfg->pci_ecam_size / (1 << 20) - 1;

    aml_device_begin(w, "_SB_.PCI0");
    aml_name_eisaid(w, "_HID", "PNP0A08");     /* PCI Express root */
    aml_name_eisaid(w, "_CID", "PNP0A03");     /* PCI root, for old OSes */
    aml_name_integer(w, "_ADR", 0);
    aml_name_integer(w, "_SEG", 0);
    aml_name_integer(w, "_UID", 0);
    aml_name_integer(w, "_BBN", 0);
    /* No _PRT: devices use MSI-X, never INTx. */
    aml_name(w, "_CRS");
    aml_resource_template_begin(w);
    aml_rd_word_bus_number(w, 0, (uint16_t)last_bus);
    aml_rd_io(w, 0xcf8, 0xcf8, 1, 8);          /* legacy config mechanism */
    aml_rd_word_io(w, 0x0000, 0x0cf7);
    aml_rd_word_io(w, 0x0d00, 0xffff);
    if (cfg->pci_mmio32_size > 0) {
        aml_rd_dword_memory(w, false, true, (uint32_t)cfg->pci_mmio32_base,
                            (uint32_t)(cfg->pci_mmio32_base +
                                       cfg->pci_mmio32_size - 1));
    }
    if (cfg->pci_mmio64_size > 0) {
        aml_rd_qword_memory(w, false, true, cfg->pci_mmio64_base,
                            cfg->pci_mmio64_base + cfg->pci_mmio64_size - 1);
    }
    aml_end(w);
    if (cfg->pci_hotplug_base != 0) {
        x86_acpi_dsdt_pci_hotplug_slots(w, cfg);
    } else {
        for (unsigned i = 0; i < cfg->n_pci_slots; i++)
            dsdt_pci_slot(w, &cfg->pci_slots[i]);
    }
    aml_end(w);

    /* Motherboard resources: Linux only trusts MCFG's ECAM window if
     * firmware also reserves it (PCI Firmware Spec 3.2 §4.1.2). */
    aml_device_begin(w, "_SB_.MBRD");
    aml_name_eisaid(w, "_HID", "PNP0C02");
    aml_name_integer(w, "_UID", 0);
    aml_name(w, "_CRS");
    aml_resource_template_begin(w);
    aml_rd_memory32_fixed(w, true, (uint32_t)cfg->pci_ecam_base,
                          (uint32_t)cfg->pci_ecam_size);
    aml_end(w);
    aml_end(w);
}

static void
dsdt_com1(AmlWriter *w)
{
    aml_device_begin(w, "_SB_.COM1");
    aml_name_eisaid(w, "_HID", "PNP0501");     /* 16550A-compatible */
    aml_name_integer(w, "_UID", 0);
    aml_name_string(w, "_DDN", "COM1");
    aml_name(w, "_CRS");
    aml_resource_template_begin(w);
    aml_rd_interrupt(w, true, true, false, false, X86_COM1_IRQ);
    aml_rd_io(w, X86_COM1_PORT, X86_COM1_PORT, 0, 8);
    aml_end(w);
    aml_end(w);
}

static void
dsdt_ged(AmlWriter *w, const X86AcpiConfig *cfg)
{
    /* GEC_ owns the event register... */
    aml_device_begin(w, "_SB_.GEC_");
    aml_name_eisaid(w, "_HID", "PNP0A06");
    aml_name_string(w, "_UID", "Generic Event Controller");
    aml_name(w, "_CRS");
    aml_resource_template_begin(w);
    if (cfg->ged_base + X86_GED_SIZE <= G_MAXUINT32 + 1ULL) {
        aml_rd_memory32_fixed(w, true, (uint32_t)cfg->ged_base, X86_GED_SIZE);
    } else {
        aml_rd_qword_memory(w, false, true, cfg->ged_base,
                            cfg->ged_base + X86_GED_SIZE - 1);
    }
    aml_end(w);
    aml_operation_region(w, "GDST", AML_SPACE_SYSTEM_MEMORY, cfg->ged_base,
                         X86_GED_SIZE);
    aml_field_begin(w, "GDST", AML_FIELD_ACCESS_BYTE, false,
                    AML_FIELD_UPDATE_WRITE_AS_ZEROS);
    aml_field_entry(w, "GDAT", 8);
    aml_end(w);
    /* One read fetches and clears every pending bit, so read once into
     * Local0 and test each bit there. */
    aml_method_begin(w, "ESCN", 0, true);
    aml_store(w);
    aml_namestring(w, "GDAT");
    aml_local(w, 0);
    aml_and(w);
    aml_local(w, 0);
    aml_integer(w, X86_GED_POWER_BUTTON);
    aml_local(w, 1);
    aml_if_begin(w);
    aml_lequal(w);
    aml_local(w, 1);
    aml_integer(w, X86_GED_POWER_BUTTON);
    aml_notify(w);
    aml_namestring(w, "\\_SB_.PWRB");
    aml_integer(w, NOTIFY_POWER_BUTTON_PRESSED);
    aml_end(w);
    if (cfg->pci_hotplug_base != 0) {
        /* If (And (Local0, PCI, Local1)) { \_SB_.PHPR.PSCN () } */
        aml_if_begin(w);
        aml_and(w);
        aml_local(w, 0);
        aml_integer(w, X86_GED_PCI_HOTPLUG);
        aml_local(w, 1);
        aml_namestring(w, "\\_SB_.PHPR.PSCN");
        aml_end(w);
    }
    if (cfg->cpu_hotplug_base != 0) {
        /* If (And (Local0, CPU, Local1)) { \_SB_.PRES.CSCN () } */
        aml_if_begin(w);
        aml_and(w);
        aml_local(w, 0);
        aml_integer(w, X86_GED_CPU_HOTPLUG);
        aml_local(w, 1);
        aml_namestring(w, "\\_SB_.PRES.CSCN");
        aml_end(w);
    }
    if (cfg->mem_hotplug_base != 0) {
        /* If (And (Local0, MEMORY, Local1)) { \_SB_.MHPC.MSCN () } */
        aml_if_begin(w);
        aml_and(w);
        aml_local(w, 0);
        aml_integer(w, X86_GED_MEMORY_HOTPLUG);
        aml_local(w, 1);
        aml_namestring(w, "\\_SB_.MHPC.MSCN");
        aml_end(w);
    }
    aml_end(w);
    aml_end(w);

    /* ... and GED_ is the ACPI0013 device the OS binds, whose interrupt
     * runs _EVT. */
    aml_device_begin(w, "_SB_.GED_");
    aml_name_string(w, "_HID", "ACPI0013");
    aml_name_integer(w, "_UID", 0);
    aml_name(w, "_CRS");
    aml_resource_template_begin(w);
    aml_rd_interrupt(w, true, true, false, false, cfg->ged_irq);
    aml_end(w);
    aml_method_begin(w, "_EVT", 1, true);
    aml_namestring(w, "\\_SB_.GEC_.ESCN");     /* method call, no args */
    aml_end(w);
    aml_end(w);
}

/* The fw_cfg device, as QEMU describes it: Linux's qemu_fw_cfg binds to
 * QEMU0002 and takes its ports (selector, data, DMA) from _CRS. */
static void
dsdt_fw_cfg(AmlWriter *w)
{
    aml_device_begin(w, "_SB_.FWCF");
    aml_name_string(w, "_HID", FW_CFG_ACPI_HID);
    aml_name_integer(w, "_STA", 0x0b);         /* present, enabled, works */
    aml_name(w, "_CRS");
    aml_resource_template_begin(w);
    aml_rd_io(w, FW_CFG_PIO_BASE, FW_CFG_PIO_BASE, 1, FW_CFG_PIO_SIZE);
    aml_end(w);
    aml_end(w);
}

static void
dsdt_cpus(AmlWriter *w, const X86AcpiConfig *cfg)
{
    aml_device_begin(w, "_SB_.CPUS");
    aml_name_string(w, "_HID", "ACPI0010");    /* processor container */
    aml_name_eisaid(w, "_CID", "PNP0A05");
    for (uint32_t cpu = 0; cpu < cfg->max_vcpus; cpu++) {
        char name[5];
        uint8_t mat[ACPI_MADT_X2APIC_LEN];

        g_snprintf(name, sizeof(name), "C%03X", cpu);
        aml_device_begin(w, name);
        aml_name_string(w, "_HID", "ACPI0007");
        aml_name_integer(w, "_UID", cpu);      /* = MADT processor UID */
        if (cfg->cpu_hotplug_base != 0) {
            /* The controller knows which vCPUs are plugged now. */
            x86_acpi_dsdt_cpu_hotplug_cpu(w, cfg, cpu);
        } else {
            /* Present, enabled, shown, functioning for the boot vCPUs;
             * absent for the others. */
            aml_method_begin(w, "_STA", 0, false);
            aml_return(w);
            aml_integer(w, cpu < cfg->boot_vcpus ? 0x0f : 0x00);
            aml_end(w);
        }
        /* Linux wants every CPU's _MAT enabled, even one the MADT lists as
         * disabled: it is what a hotplugged CPU will look like. */
        x86_acpi_x2apic_entry(cfg, cpu, ACPI_MADT_ENABLED, mat);
        aml_name(w, "_MAT");
        aml_buffer(w, mat, sizeof(mat));
        aml_end(w);
    }
    aml_end(w);
}

void
x86_acpi_dsdt_body(AmlWriter *w, const X86AcpiConfig *cfg)
{
    if (cfg->pci_ecam_size > 0)
        dsdt_pci0(w, cfg);
    if (cfg->serial)
        dsdt_com1(w);

    /* \_S5_: SLP_TYPa = 5 is what the guest writes to the sleep control
     * register (bits 2-4) to power off. */
    aml_name(w, "\\_S5_");
    aml_package_begin(w, 4);
    aml_integer(w, X86_ACPI_SLEEP_TYPE_S5);
    aml_integer(w, 0);
    aml_integer(w, 0);
    aml_integer(w, 0);
    aml_end(w);

    aml_device_begin(w, "_SB_.PWRB");
    aml_name_eisaid(w, "_HID", "PNP0C0C");
    aml_name_integer(w, "_UID", 0);
    aml_end(w);

    if (cfg->ged_base != 0)
        dsdt_ged(w, cfg);
    if (cfg->pci_hotplug_base != 0)
        x86_acpi_dsdt_pci_hotplug(w, cfg);
    if (cfg->cpu_hotplug_base != 0)
        x86_acpi_dsdt_cpu_hotplug(w, cfg);
    if (cfg->mem_hotplug_base != 0)
        x86_acpi_dsdt_memory_hotplug(w, cfg);
    if (cfg->tpm)
        x86_acpi_dsdt_tpm(w);
    if (cfg->fw_cfg)
        dsdt_fw_cfg(w);
    dsdt_cpus(w, cfg);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* DSDT objects of ACPI PCI hotplug: the PHPR controller, PCNT and ejectable slots. */
#include <config.h>

#include "arch/x86_64/acpi-priv.h"

/*
 * Cloud Hypervisor's scheme (vmm/src/{device_manager,pci_segment}.rs),
 * which Linux's acpiphp drives:
 *   - the VMM sets a slot's bit in PCIU (device added) or PCID (please
 *     eject) and raises the GED's PCI bit;
 *   - GED _EVT calls \_SB_.PHPR.PSCN, which selects each segment with
 *     PSEG and calls its host bridge's PCNT;
 *   - PCNT reads PCIU and PCID once (they clear on read) and notifies each
 *     slot device: 1 (Device Check: scan it) or 3 (Eject Request);
 *   - the OS stops the device's driver and calls the slot's _EJ0, which
 *     writes the slot's bit to B0EJ: the VMM removes the device then.
 * BLCK serialises PSEG with the register accesses that depend on it.
 */

/* ACPI 6.5 §5.6.6: Notify values for device objects. */
#define NOTIFY_DEVICE_CHECK 1
#define NOTIFY_EJECT_REQUEST 3

#define PHPR_PATH "\\_SB_.PHPR"
#define PHPR_MUTEX PHPR_PATH ".BLCK"

/* Slot 0 is the host bridge: never hotplugged, never described. */
#define FIRST_HOTPLUG_SLOT 1
#define N_SLOTS 32

/* If (And (Local@reg, 1 << @slot, Local2)) { Notify (Snnn, @value) } */
static void
pcnt_notify_if(AmlWriter *w, unsigned reg, unsigned slot, unsigned value)
{
    char name[5];

    g_snprintf(name, sizeof(name), "S%03u", slot);
    aml_if_begin(w);
    aml_and(w);
    aml_local(w, reg);
    aml_integer(w, 1ULL << slot);
    aml_local(w, 2);
    aml_notify(w);
    aml_namestring(w, name);
    aml_integer(w, value);
    aml_end(w);
}

void
x86_acpi_dsdt_pci_hotplug_slots(AmlWriter *w, const X86AcpiConfig *cfg)
{
    /* Inside PCI0.  PCNT runs under PSCN's BLCK, with PSEG selected. */
    aml_method_begin(w, "PCNT", 0, false);
    aml_store(w);
    aml_namestring(w, PHPR_PATH ".PCIU");
    aml_local(w, 0);
    aml_store(w);
    aml_namestring(w, PHPR_PATH ".PCID");
    aml_local(w, 1);
    for (unsigned slot = FIRST_HOTPLUG_SLOT; slot < N_SLOTS; slot++) {
        pcnt_notify_if(w, 0, slot, NOTIFY_DEVICE_CHECK);
        pcnt_notify_if(w, 1, slot, NOTIFY_EJECT_REQUEST);
    }
    aml_end(w);

    /* Every slot is described, empty or not: a device can arrive in any
     * of them.  _ADR is device << 16 (function 0), _SUN the slot number
     * the guest shows (/sys/bus/pci/slots/N), _EJ0 makes it ejectable. */
    for (unsigned slot = FIRST_HOTPLUG_SLOT; slot < N_SLOTS; slot++) {
        char name[5];

        g_snprintf(name, sizeof(name), "S%03u", slot);
        aml_device_begin(w, name);
        aml_name_integer(w, "_ADR", (uint64_t)slot << 16);
        aml_name_integer(w, "_SUN", slot);
        aml_method_begin(w, "_EJ0", 1, false);
        aml_namestring(w, PHPR_PATH ".PCEJ");    /* PCEJ (slot, segment) */
        aml_integer(w, slot);
        aml_integer(w, 0);
        aml_end(w);
        aml_end(w);
    }
}

void
x86_acpi_dsdt_pci_hotplug(AmlWriter *w, const X86AcpiConfig *cfg)
{
    uint64_t base = cfg->pci_hotplug_base;

    aml_device_begin(w, "_SB_.PHPR");
    aml_name_eisaid(w, "_HID", "PNP0A06");
    aml_name_string(w, "_UID", "PCI Hotplug Controller");
    aml_mutex(w, "BLCK", 0);
    aml_name(w, "_CRS");
    aml_resource_template_begin(w);
    aml_rd_memory32_fixed(w, true, (uint32_t)base, X86_PCI_HOTPLUG_SIZE);
    aml_end(w);
    aml_operation_region(w, "PCST", AML_SPACE_SYSTEM_MEMORY, base,
                         X86_PCI_HOTPLUG_SIZE);
    aml_field_begin(w, "PCST", AML_FIELD_ACCESS_DWORD, false,
                    AML_FIELD_UPDATE_WRITE_AS_ZEROS);
    aml_field_entry(w, "PCIU", 32);
    aml_field_entry(w, "PCID", 32);
    aml_field_entry(w, "B0EJ", 32);
    aml_field_entry(w, "PSEG", 32);
    aml_end(w);

    /* PCEJ (slot, segment): the guest lets go of a slot's device. */
    aml_method_begin(w, "PCEJ", 2, false);
    aml_acquire(w, "BLCK", 0xffff);
    aml_store(w);
    aml_arg(w, 1);
    aml_namestring(w, "PSEG");
    aml_shift_left(w);
    aml_integer(w, 1);
    aml_arg(w, 0);
    aml_local(w, 0);
    aml_store(w);
    aml_local(w, 0);
    aml_namestring(w, "B0EJ");
    aml_release(w, "BLCK");
    aml_return(w);
    aml_integer(w, 0);
    aml_end(w);

    /* PSCN: what changed, segment by segment (nimbus has segment 0). */
    aml_method_begin(w, "PSCN", 0, false);
    aml_acquire(w, "BLCK", 0xffff);
    aml_store(w);
    aml_integer(w, 0);
    aml_namestring(w, "PSEG");
    aml_namestring(w, "\\_SB_.PCI0.PCNT");
    aml_release(w, "BLCK");
    aml_end(w);
    aml_end(w);
}

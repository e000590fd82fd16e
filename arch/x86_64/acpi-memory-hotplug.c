/* SPDX-License-Identifier: Apache-2.0 */
/* DSDT objects of ACPI memory hotplug: the MHPC controller and its PNP0C80 DIMM slots. */
#include <config.h>

#include <gio/gio.h>

#include "arch/x86_64/acpi-priv.h"
#include "config/vm-config.h"

/*
 * Cloud Hypervisor's scheme (vmm/src/memory_manager.rs), which Linux's
 * ACPI memory hotplug driver (CONFIG_ACPI_HOTPLUG_MEMORY, acpi_memhotplug)
 * drives:
 *   - the VMM sets a slot's MEN_ and MINS bits and raises the GED's memory
 *     bit;
 *   - GED _EVT calls \_SB_.MHPC.MSCN, which selects each slot with MSEL
 *     and notifies its memory device 1 (Device Check) when MINS is set,
 *     clearing it;
 *   - a memory device's _STA reads MEN_ through MSTA, and its _CRS is the
 *     slot's range: the slots are fixed when the VM is created (one size,
 *     back to back from the region's start), so the range is a constant
 *     here rather than read back from MHBL..MHLH as CH does;
 *   - the OS adds the range as memory blocks, which it onlines by itself
 *     with memhp_default_state=online (or a udev rule).
 * There is no _EJ0: nimbus does not unplug DIMMs (vm.resize refuses to
 * shrink ACPI-hotplugged memory, as CH does).  MLCK serialises MSEL with
 * the status accesses that depend on it.
 */

/* ACPI 6.5 §5.6.6: Notify values for device objects. */
#define NOTIFY_DEVICE_CHECK 1

#define MHPC_PATH "\\_SB_.MHPC"

bool
x86_acpi_check_memory_hotplug(const X86AcpiConfig *cfg, GError **error)
{
    uint64_t end;

    if (cfg->mem_hotplug_base == 0)
        return true;
    /* The controller is a Memory32Fixed notified through the GED, and
     * its slots are PNP0C80 devices named M000..M0FF. */
    if (cfg->ged_base == 0 ||
        cfg->mem_hotplug_base > (1ULL << 32) - X86_MEM_HOTPLUG_SIZE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "ACPI: the memory hotplug controller at 0x%"
                    G_GINT64_MODIFIER "x needs a GED and a window below "
                    "4 GiB", cfg->mem_hotplug_base);
        return false;
    }
    if (cfg->mem_hotplug_nslots == 0 ||
        cfg->mem_hotplug_nslots > VM_CONFIG_ACPI_DIMM_SLOTS_MAX ||
        cfg->mem_hotplug_slot_size == 0 ||
        cfg->mem_hotplug_slot_size > G_MAXUINT64 / cfg->mem_hotplug_nslots ||
        !g_uint64_checked_add(&end, cfg->mem_hotplug_region_gpa,
                              cfg->mem_hotplug_slot_size *
                                  cfg->mem_hotplug_nslots)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "ACPI: %u DIMM slots of %" G_GUINT64_FORMAT " bytes at "
                    "0x%" G_GINT64_MODIFIER "x do not describe a memory "
                    "hotplug region (1 to %u slots)",
                    cfg->mem_hotplug_nslots, cfg->mem_hotplug_slot_size,
                    cfg->mem_hotplug_region_gpa,
                    VM_CONFIG_ACPI_DIMM_SLOTS_MAX);
        return false;
    }
    return true;
}

/* MSTA (slot): a memory device's _STA, 0xF when the slot holds a DIMM,
 * else 0. */
static void
mhpc_msta(AmlWriter *w)
{
    aml_method_begin(w, "MSTA", 1, false);
    aml_acquire(w, "MLCK", 0xffff);
    aml_store(w);
    aml_arg(w, 0);
    aml_namestring(w, "MSEL");
    aml_store(w);
    aml_integer(w, 0);
    aml_local(w, 0);
    aml_if_begin(w);
    aml_lequal(w);
    aml_namestring(w, "MEN_");
    aml_integer(w, 1);
    aml_store(w);
    aml_integer(w, 0x0f);
    aml_local(w, 0);
    aml_end(w);
    aml_release(w, "MLCK");
    aml_return(w);
    aml_local(w, 0);
    aml_end(w);
}

/* MSCN: what was plugged, slot by slot (unrolled: the AML writer has no
 * While, and each slot needs its own Notify target anyway). */
static void
mhpc_mscn(AmlWriter *w, const X86AcpiConfig *cfg)
{
    aml_method_begin(w, "MSCN", 0, true);
    aml_acquire(w, "MLCK", 0xffff);
    for (uint32_t slot = 0; slot < cfg->mem_hotplug_nslots; slot++) {
        char path[24];

        g_snprintf(path, sizeof(path), MHPC_PATH ".M%03X", slot);
        aml_store(w);
        aml_integer(w, slot);
        aml_namestring(w, "MSEL");
        /* If (LEqual (MINS, 1)) { Notify (Mnnn, 1); Store (1, MINS) }:
         * MINS is write-1-to-clear. */
        aml_if_begin(w);
        aml_lequal(w);
        aml_namestring(w, "MINS");
        aml_integer(w, 1);
        aml_notify(w);
        aml_namestring(w, path);
        aml_integer(w, NOTIFY_DEVICE_CHECK);
        aml_store(w);
        aml_integer(w, 1);
        aml_namestring(w, "MINS");
        aml_end(w);
    }
    aml_release(w, "MLCK");
    aml_end(w);
}

/* Mnnn: one DIMM slot, its range fixed at VM creation. */
static void
mhpc_slot(AmlWriter *w, const X86AcpiConfig *cfg, uint32_t slot)
{
    uint64_t base = cfg->mem_hotplug_region_gpa +
                    (uint64_t)slot * cfg->mem_hotplug_slot_size;
    char name[5];

    g_snprintf(name, sizeof(name), "M%03X", slot);
    aml_device_begin(w, name);
    aml_name_eisaid(w, "_HID", "PNP0C80");
    aml_name_integer(w, "_UID", slot);
    aml_method_begin(w, "_STA", 0, false);
    aml_return(w);
    aml_namestring(w, MHPC_PATH ".MSTA");
    aml_integer(w, slot);
    aml_end(w);
    aml_name(w, "_CRS");
    aml_resource_template_begin(w);
    aml_rd_qword_memory(w, true, true, base,
                        base + cfg->mem_hotplug_slot_size - 1);
    aml_end(w);
    aml_end(w);
}

void
x86_acpi_dsdt_memory_hotplug(AmlWriter *w, const X86AcpiConfig *cfg)
{
    uint64_t base = cfg->mem_hotplug_base;

    aml_device_begin(w, "_SB_.MHPC");
    aml_name_eisaid(w, "_HID", "PNP0A06");
    aml_name_string(w, "_UID", "Memory Hotplug Controller");
    aml_mutex(w, "MLCK", 0);
    aml_name(w, "_CRS");
    aml_resource_template_begin(w);
    aml_rd_memory32_fixed(w, true, (uint32_t)base, X86_MEM_HOTPLUG_SIZE);
    aml_end(w);
    aml_operation_region(w, "MHPR", AML_SPACE_SYSTEM_MEMORY, base,
                         X86_MEM_HOTPLUG_SIZE);
    /* MSEL overlays MHBL (offset 0): writes select, reads give the base. */
    aml_field_begin(w, "MHPR", AML_FIELD_ACCESS_DWORD, false,
                    AML_FIELD_UPDATE_WRITE_AS_ZEROS);
    aml_field_entry(w, "MSEL", 32);
    aml_end(w);
    /* ByteAcc with WriteAsZeros: a 1-bit store writes only the status
     * byte, its other bits zero, so clearing MINS never sets MEJ0. */
    aml_field_begin(w, "MHPR", AML_FIELD_ACCESS_BYTE, false,
                    AML_FIELD_UPDATE_WRITE_AS_ZEROS);
    aml_field_skip(w, 8 * 0x14);
    aml_field_entry(w, "MEN_", 1);
    aml_field_entry(w, "MINS", 1);
    aml_field_skip(w, 6);
    aml_end(w);
    mhpc_msta(w);
    mhpc_mscn(w, cfg);
    for (uint32_t slot = 0; slot < cfg->mem_hotplug_nslots; slot++)
        mhpc_slot(w, cfg, slot);
    aml_end(w);
}

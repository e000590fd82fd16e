/* SPDX-License-Identifier: Apache-2.0 */
/* DSDT objects of ACPI CPU hotplug: the PRES controller and the CPUs' _STA/_EJ0. */
#include <config.h>

#include "arch/x86_64/acpi-priv.h"

/*
 * Cloud Hypervisor's scheme (vmm/src/cpu.rs), which Linux's ACPI
 * processor driver (CONFIG_ACPI_HOTPLUG_CPU) drives:
 *   - the VMM sets a vCPU's CINS (plugged) or CRMV (please eject) bit and
 *     raises the GED's CPU bit;
 *   - GED _EVT calls \_SB_.PRES.CSCN, which selects each vCPU with CSEL
 *     and notifies its processor object: 1 (Device Check: add it) or 3
 *     (Eject Request), clearing the bit it acted on;
 *   - a processor's _STA reads CPEN through CSTA, so the guest sees a
 *     vCPU come and go;
 *   - the OS offlines the CPU and calls its _EJ0, which sets CEJ0 through
 *     CEJM: the VMM stops the vCPU's thread then.
 * CPLK serialises CSEL with the status accesses that depend on it.
 */

/* ACPI 6.5 §5.6.6: Notify values for device objects. */
#define NOTIFY_DEVICE_CHECK 1
#define NOTIFY_EJECT_REQUEST 3

#define PRES_PATH "\\_SB_.PRES"

/* If (LEqual (@flag, 1)) { Notify (\_SB_.CPUS.Cnnn, @value); Store (1,
 * @flag) }: CINS and CRMV are write-1-to-clear. */
static void
cscn_notify_if(AmlWriter *w, const char *flag, const char *cpu_path,
               unsigned value)
{
    aml_if_begin(w);
    aml_lequal(w);
    aml_namestring(w, flag);
    aml_integer(w, 1);
    aml_notify(w);
    aml_namestring(w, cpu_path);
    aml_integer(w, value);
    aml_store(w);
    aml_integer(w, 1);
    aml_namestring(w, flag);
    aml_end(w);
}

void
x86_acpi_dsdt_cpu_hotplug(AmlWriter *w, const X86AcpiConfig *cfg)
{
    uint64_t base = cfg->cpu_hotplug_base;

    aml_device_begin(w, "_SB_.PRES");
    aml_name_eisaid(w, "_HID", "PNP0A06");
    aml_name_string(w, "_UID", "CPU Hotplug Controller");
    aml_mutex(w, "CPLK", 0);
    aml_name(w, "_CRS");
    aml_resource_template_begin(w);
    aml_rd_memory32_fixed(w, true, (uint32_t)base, X86_CPU_HOTPLUG_SIZE);
    aml_end(w);
    aml_operation_region(w, "PRST", AML_SPACE_SYSTEM_MEMORY, base,
                         X86_CPU_HOTPLUG_SIZE);
    /* ByteAcc with WriteAsZeros: a 1-bit store writes only the status
     * byte, its other bits zero, so clearing CINS never sets CEJ0. */
    aml_field_begin(w, "PRST", AML_FIELD_ACCESS_BYTE, false,
                    AML_FIELD_UPDATE_WRITE_AS_ZEROS);
    aml_field_entry(w, "CSEL", 32);
    aml_field_entry(w, "CPEN", 1);
    aml_field_entry(w, "CINS", 1);
    aml_field_entry(w, "CRMV", 1);
    aml_field_entry(w, "CEJ0", 1);
    aml_field_skip(w, 4);
    aml_end(w);

    /* CSTA (cpu): the processor's _STA, 0xF when present, else 0. */
    aml_method_begin(w, "CSTA", 1, false);
    aml_acquire(w, "CPLK", 0xffff);
    aml_store(w);
    aml_arg(w, 0);
    aml_namestring(w, "CSEL");
    aml_store(w);
    aml_integer(w, 0);
    aml_local(w, 0);
    aml_if_begin(w);
    aml_lequal(w);
    aml_namestring(w, "CPEN");
    aml_integer(w, 1);
    aml_store(w);
    aml_integer(w, 0x0f);
    aml_local(w, 0);
    aml_end(w);
    aml_release(w, "CPLK");
    aml_return(w);
    aml_local(w, 0);
    aml_end(w);

    /* CEJM (cpu): the processor's _EJ0. */
    aml_method_begin(w, "CEJM", 1, false);
    aml_acquire(w, "CPLK", 0xffff);
    aml_store(w);
    aml_arg(w, 0);
    aml_namestring(w, "CSEL");
    aml_store(w);
    aml_integer(w, 1);
    aml_namestring(w, "CEJ0");
    aml_release(w, "CPLK");
    aml_end(w);

    /* CSCN: what changed, vCPU by vCPU (unrolled: the AML writer has no
     * While, and each vCPU needs its own Notify target anyway). */
    aml_method_begin(w, "CSCN", 0, true);
    aml_acquire(w, "CPLK", 0xffff);
    for (uint32_t cpu = 0; cpu < cfg->max_vcpus; cpu++) {
        char path[24];

        g_snprintf(path, sizeof(path), "\\_SB_.CPUS.C%03X", cpu);
        aml_store(w);
        aml_integer(w, cpu);
        aml_namestring(w, "CSEL");
        cscn_notify_if(w, "CINS", path, NOTIFY_DEVICE_CHECK);
        cscn_notify_if(w, "CRMV", path, NOTIFY_EJECT_REQUEST);
    }
    aml_release(w, "CPLK");
    aml_end(w);
    aml_end(w);
}

void
x86_acpi_dsdt_cpu_hotplug_cpu(AmlWriter *w, const X86AcpiConfig *cfg,
                              uint32_t cpu)
{
    /* Inside the processor object Cnnn. */
    aml_method_begin(w, "_STA", 0, false);
    aml_return(w);
    aml_namestring(w, PRES_PATH ".CSTA");
    aml_integer(w, cpu);
    aml_end(w);
    aml_method_begin(w, "_EJ0", 1, false);
    aml_namestring(w, PRES_PATH ".CEJM");
    aml_integer(w, cpu);
    aml_end(w);
}

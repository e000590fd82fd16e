/* SPDX-License-Identifier: Apache-2.0 */
/* x86_64 implementation of the arch hooks: irqchip and vCPU state, payload loading. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "arch/arch.h"
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/boot.h"
#include "arch/x86_64/cpuid.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/regs.h"
#include "arch/x86_64/smbios.h"
#include "devices/tpm/tpm-crb.h"

/* The power-on state of the in-kernel PIC pair and IOAPIC. */
typedef struct {
    struct kvm_irqchip chips[3];
    struct kvm_cpuid_entry2 *supported;   /* host CPUID, read once */
    unsigned nsupported;
} X86Vm;

void
arch_mmio_windows(uint64_t ram_end, uint8_t phys_bits, uint64_t *mmio32_base,
                  uint64_t *mmio32_size, uint64_t *mmio64_base,
                  uint64_t *mmio64_size)
{
    uint64_t start64 = MAX(ram_end, X86_RAM_64BIT_START);
    uint64_t top;

    /* 32-bit BARs and platform MMIO live below the ECAM window. */
    *mmio32_base = X86_MEM_32BIT_DEVICES_START;
    *mmio32_size = X86_PCI_MMCONFIG_START - X86_MEM_32BIT_DEVICES_START;
    /* 64-bit BARs: from the first 1 GiB boundary after RAM to the top of
     * the guest physical address space. */
    start64 = (start64 + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
    if (phys_bits < 36 || phys_bits > 52)
        phys_bits = 40;
    top = 1ULL << phys_bits;
    *mmio64_base = start64;
    *mmio64_size = top > start64 ? top - start64 : 0;
}

gpointer
arch_vm_init(const HvOps *ops, Hv *hv, GError **error)
{
    g_autofree X86Vm *x = g_new0(X86Vm, 1);
    int r;

    for (unsigned i = 0; i < G_N_ELEMENTS(x->chips); i++) {
        x->chips[i].chip_id = i;   /* PIC master, PIC slave, IOAPIC */
        r = ops->get_irqchip(hv, &x->chips[i]);
        if (r < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                        "KVM_GET_IRQCHIP failed: %s", g_strerror(-r));
            return NULL;
        }
    }
    r = ops->supported_cpuid(hv, &x->supported, &x->nsupported);
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "KVM_GET_SUPPORTED_CPUID failed: %s", g_strerror(-r));
        return NULL;
    }
    return g_steal_pointer(&x);
}

bool
arch_vm_reset(const HvOps *ops, Hv *hv, gpointer arch_vm, GError **error)
{
    X86Vm *x = arch_vm;

    for (unsigned i = 0; i < G_N_ELEMENTS(x->chips); i++) {
        int r = ops->set_irqchip(hv, &x->chips[i]);

        if (r < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                        "KVM_SET_IRQCHIP failed: %s", g_strerror(-r));
            return false;
        }
    }
    return true;
}

void
arch_vm_free(gpointer arch_vm)
{
    X86Vm *x = arch_vm;

    if (!x)
        return;
    g_free(x->supported);
    g_free(x);
}

/* The topology the guest sees: the configured one, or CH's default of one
 * package with one core per vCPU. */
static void
x86_vm_topology(const VmConfig *cfg, X86Topology *t)
{
    if (cfg->cpus.topology) {
        t->threads_per_core = cfg->cpus.topology->threads_per_core;
        t->cores_per_die = cfg->cpus.topology->cores_per_die;
        t->dies_per_package = cfg->cpus.topology->dies_per_package;
        t->packages = cfg->cpus.topology->packages;
    } else {
        t->threads_per_core = 1;
        t->cores_per_die = cfg->cpus.max_vcpus;
        t->dies_per_package = 1;
        t->packages = 1;
    }
}

gpointer
arch_vcpu_init(const VmConfig *cfg, gpointer arch_vm, const HvOps *ops, Hv *hv,
               HvVcpu *vcpu, uint32_t index, GError **error)
{
    X86Vm *x = arch_vm;
    g_autofree X86VcpuState *st = g_new0(X86VcpuState, 1);
    X86CpuidParams p = {
        .max_vcpus = cfg->cpus.max_vcpus,
        .max_phys_bits = cfg->cpus.max_phys_bits,
        .nested = cfg->cpus.nested,
    };

    x86_vm_topology(cfg, &p.topo);
    if (!x86_vcpu_init(ops, hv, vcpu, index, &p, x->supported, x->nsupported,
                       st, error))
        return NULL;
    return g_steal_pointer(&st);
}

bool
arch_vcpu_reset(const HvOps *ops, HvVcpu *vcpu, gpointer arch_vcpu,
                GError **error)
{
    return x86_vcpu_reset(ops, vcpu, arch_vcpu, error);
}

/*
 * The reset vector (f000:fff0, physical 0xffff0): real hardware has the
 * BIOS there, which resets the machine when jumped to.  A firmware-less
 * boot has nothing, yet Linux ends up there: on hardware-reduced ACPI it
 * picks the EFI reboot method, which without EFI falls through to "BIOS"
 * (machine_real_restart: real mode, far jump to the reset vector).  So the
 * vector holds a tiny 16-bit stub that writes the FADT reset value to the
 * ACPI reset register: "mov dx, 0x600; mov al, 1; out dx, al; hlt; jmp $-1".
 * 0xf0000-0xfffff is outside the E820 RAM map, so the guest never
 * allocates it.
 */
#define X86_RESET_VECTOR 0xffff0ULL

static bool
x86_write_reset_stub(GuestMemory *mem, GError **error)
{
    static const uint8_t stub[] = {
        0xba, X86_ACPI_SLEEP_PORT & 0xff, X86_ACPI_SLEEP_PORT >> 8, /* mov dx */
        0xb0, X86_ACPI_RESET_VALUE,                                 /* mov al */
        0xee,                                                       /* out dx, al */
        0xf4,                                                       /* hlt */
        0xeb, 0xfd,                                                 /* jmp hlt */
    };
    G_STATIC_ASSERT(sizeof(stub) <= 16);

    if (guest_mem_write(mem, X86_RESET_VECTOR, stub, sizeof(stub)) < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "guest memory does not cover the reset vector");
        return false;
    }
    return true;
}

bool
arch_vm_load_payload(const VmConfig *cfg, GuestMemory *mem,
                     const ArchPlatformInfo *plat, const HvOps *ops,
                     HvVcpu *bsp, GError **error)
{
    const char *image = cfg->payload.kernel ? cfg->payload.kernel
                                            : cfg->payload.firmware;
    X86Kernel kernel;
    X86AcpiConfig acpi = { 0 };
    g_autoptr(X86AcpiNuma) numa = x86_acpi_numa_new(cfg);
    X86Topology topo;
    uint64_t initrd_addr = 0, initrd_size = 0, rsdp = 0;

    if (!image) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "no payload: give --kernel or --firmware");
        return false;
    }
    if (!x86_write_reset_stub(mem, error) ||
        !x86_load_kernel(mem, image, &kernel, error))
        return false;
    if (cfg->payload.initramfs &&
        !x86_load_initramfs(mem, cfg->payload.initramfs, &kernel, &initrd_addr,
                            &initrd_size, error))
        return false;

    x86_vm_topology(cfg, &topo);
    acpi.boot_vcpus = cfg->cpus.boot_vcpus;
    acpi.max_vcpus = cfg->cpus.max_vcpus;
    acpi.threads_per_core = topo.threads_per_core;
    acpi.cores_per_die = topo.cores_per_die;
    acpi.dies_per_package = topo.dies_per_package;
    acpi.packages = topo.packages;
    acpi.serial = plat->serial;
    acpi.ged_base = plat->ged_base;
    acpi.ged_irq = plat->ged_irq;
    acpi.pci_hotplug_base = plat->pci_hotplug_base;
    acpi.cpu_hotplug_base = plat->cpu_hotplug_base;
    acpi.mem_hotplug_base = plat->mem_hotplug_base;
    acpi.mem_hotplug_region_gpa = plat->mem_hotplug_region_gpa;
    acpi.mem_hotplug_slot_size = plat->mem_hotplug_slot_size;
    acpi.mem_hotplug_nslots = plat->mem_hotplug_nslots;
    acpi.pci_ecam_base = plat->pci_ecam_base;
    acpi.pci_ecam_size = plat->pci_ecam_size;
    acpi.pci_mmio32_base = plat->mmio32_base;
    acpi.pci_mmio32_size = plat->mmio32_size;
    acpi.pci_mmio64_base = plat->mmio64_base;
    acpi.pci_mmio64_size = plat->mmio64_size;
    acpi.tpm = tpm_configured(cfg);
    acpi.fw_cfg = plat->fw_cfg;
    acpi.numa = numa;
    acpi.viommu = plat->viommu;
    acpi.viommu_bdf = plat->viommu_bdf;
    acpi.viommu_endpoints = plat->viommu_endpoints;
    acpi.n_viommu_endpoints = plat->n_viommu_endpoints;
    if (!x86_acpi_build(mem, &acpi, &rsdp, error) ||
        !x86_smbios_setup(mem, cfg->platform, error))
        return false;
    if (!x86_setup_boot(mem, &kernel, cfg->payload.cmdline, initrd_addr,
                        initrd_size, rsdp, error))
        return false;
    /* The origin of boot-time measurements: the debug port logs the
     * guest's progress codes relative to this moment. */
    g_info("%s: kernel entry 0x%" G_GINT64_MODIFIER "x (%s), initramfs %"
           G_GUINT64_FORMAT " bytes at 0x%" G_GINT64_MODIFIER "x", image,
           kernel.entry, kernel.protocol == X86_BOOT_PVH ? "PVH"
                                                         : "Linux boot protocol",
           initrd_size, initrd_addr);
    return x86_vcpu_set_boot_regs(ops, bsp, kernel.entry,
                                  kernel.protocol == X86_BOOT_PVH, error);
}

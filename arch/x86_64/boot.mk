# SPDX-License-Identifier: Apache-2.0
# x86_64: memory layout, E820, kernel loaders (PVH, bzImage), ACPI, AML, SMBIOS.
arch_libarch_a_SOURCES += \
	arch/x86_64/layout.h \
	arch/x86_64/ram.c \
	arch/x86_64/topology.c arch/x86_64/topology.h \
	arch/x86_64/e820.c arch/x86_64/e820.h \
	arch/x86_64/smbios.c arch/x86_64/smbios.h \
	arch/x86_64/boot.c arch/x86_64/boot.h \
	arch/x86_64/loader.c arch/x86_64/loader-priv.h \
	arch/x86_64/loader-elf.c \
	arch/x86_64/loader-bzimage.c \
	arch/x86_64/aml.c arch/x86_64/aml.h \
	arch/x86_64/acpi.c arch/x86_64/acpi.h arch/x86_64/acpi-priv.h \
	arch/x86_64/acpi-dsdt.c \
	arch/x86_64/acpi-pci-hotplug.c \
	arch/x86_64/acpi-cpu-hotplug.c \
	arch/x86_64/acpi-memory-hotplug.c \
	arch/x86_64/acpi-tpm.c \
	arch/x86_64/acpi-srat.c \
	arch/x86_64/acpi-viot.c \
	arch/x86_64/numa.c

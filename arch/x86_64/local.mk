# SPDX-License-Identifier: Apache-2.0
# x86_64: CPUID, MSRs, vCPU registers.
arch_libarch_a_SOURCES += \
	arch/x86_64/cpuid.c arch/x86_64/cpuid.h \
	arch/x86_64/regs.c arch/x86_64/regs.h \
	arch/x86_64/platform.c \
	arch/x86_64/vm.c

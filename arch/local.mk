# SPDX-License-Identifier: Apache-2.0
# arch/: exactly one architecture is built (configure picks it).
noinst_LIBRARIES += arch/libarch.a
arch_libarch_a_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"nimbus-arch\"
arch_libarch_a_SOURCES = arch/arch.h
if ARCH_X86_64
include arch/x86_64/local.mk
include arch/x86_64/boot.mk
endif

# SPDX-License-Identifier: Apache-2.0
# daemon/: the nimbus VMM process (one per VM).
noinst_LIBRARIES += daemon/libvmm.a
daemon_libvmm_a_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"nimbus\"
daemon_libvmm_a_SOURCES = \
	daemon/api.h \
	daemon/device-manager.c daemon/device-manager.h \
	daemon/event-monitor.c daemon/event-monitor.h \
	daemon/hv/hv.h \
	daemon/hv/kvm.c \
	daemon/log.c daemon/log.h \
	daemon/memory.c daemon/memory.h \
	daemon/vcpu.c daemon/vcpu.h \
	daemon/vm.c daemon/vm.h \
	daemon/vmm.c daemon/vmm.h \
	daemon/vmm-hotplug.c daemon/vmm-hotplug.h \
	daemon/vmm-zone.c daemon/vmm-zone.h

# Parts owned by separate work streams append to daemon_libvmm_a_SOURCES.
include daemon/config.mk
include daemon/api.mk
include daemon/snapshot.mk
include daemon/migration.mk
include daemon/seccomp.mk

bin_PROGRAMS += nimbus
nimbus_SOURCES = daemon/main.c
nimbus_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"nimbus\"
nimbus_LDADD = $(VMM_LIBS)
nimbus_DEPENDENCIES = $(VMM_LIB_DEPS)

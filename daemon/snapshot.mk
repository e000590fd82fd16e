# SPDX-License-Identifier: Apache-2.0
# Snapshot and restore (vm.snapshot, vm.restore, --restore).
daemon_libvmm_a_SOURCES += \
	daemon/snapshot.c daemon/snapshot.h \
	daemon/snapshot-config.c \
	daemon/snapshot-cpu.c daemon/snapshot-cpu.h \
	daemon/snapshot-memory.c daemon/snapshot-memory.h \
	daemon/snapshot-uffd.c daemon/snapshot-uffd.h

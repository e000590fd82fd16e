# SPDX-License-Identifier: Apache-2.0
# Live migration (vm.send-migration, vm.receive-migration): CH's protocol.
daemon_libvmm_a_SOURCES += \
	daemon/migration.c daemon/migration.h \
	daemon/migration-config.c \
	daemon/migration-dirty.c daemon/migration-dirty.h \
	daemon/migration-protocol.c daemon/migration-protocol.h \
	daemon/migration-receive.c daemon/migration-receive.h

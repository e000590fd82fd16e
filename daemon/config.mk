# SPDX-License-Identifier: Apache-2.0
# nimbus's command line (daemon/cli.c); the VmConfig it fills is config/.
daemon_libvmm_a_SOURCES += \
	daemon/cli.c \
	daemon/cli.h

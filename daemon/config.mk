# SPDX-License-Identifier: Apache-2.0
# VmConfig: JSON schema and CLI parsers (daemon/vm-config*.c), nimbus's
# command line (daemon/cli.c).  No reference to the VM core: the unit tests
# link only what they use out of libvmm.a.
daemon_libvmm_a_SOURCES += \
	daemon/vm-config.c \
	daemon/vm-config-priv.h \
	daemon/vm-config-opts.c \
	daemon/vm-config-opts.h \
	daemon/vm-config-parse.c \
	daemon/vm-config-validate.c \
	daemon/vm-config-json.c \
	daemon/vm-config-json-priv.h \
	daemon/vm-config-json-walk.c \
	daemon/vm-config-json-format.c \
	daemon/cli.c \
	daemon/cli.h

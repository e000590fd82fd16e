# SPDX-License-Identifier: Apache-2.0
# VmConfig: JSON schema and CLI parsers (daemon/vm-config*.c), and nimbus's
# command line (daemon/cli.c).
#
# The VmConfig code is its own small library because two programs own a
# side of the same schema: nimbus parses and validates it, nimbusd
# (driver/xml/vmconfig.c) builds one from a domain and serialises it for
# vm.create.  It references nothing of the VM core (only GLib, json-glib
# and common/), so nimbusd links it without pulling in the VMM.
noinst_LIBRARIES += daemon/libvmconfig.a
daemon_libvmconfig_a_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"nimbus\"
daemon_libvmconfig_a_SOURCES = \
	daemon/vm-config.c \
	daemon/vm-config-priv.h \
	daemon/vm-config-opts.c \
	daemon/vm-config-opts.h \
	daemon/vm-config-parse.c \
	daemon/vm-config-validate.c \
	daemon/vm-config-json.c \
	daemon/vm-config-json-priv.h \
	daemon/vm-config-json-walk.c \
	daemon/vm-config-json-format.c

daemon_libvmm_a_SOURCES += \
	daemon/cli.c \
	daemon/cli.h

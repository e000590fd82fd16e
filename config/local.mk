# SPDX-License-Identifier: Apache-2.0
# config/: VmConfig, Cloud Hypervisor's VM description: its JSON schema, the
# CLI option parsers and validation.
#
# Its own small library because three parts of the tree use the same
# schema: nimbus parses and validates it, devices read their own config
# structs from it, and nimbusd (driver/xml/vmconfig.c) builds one from a
# domain and serialises it for vm.create.  It references nothing of the VM
# core or the devices (only GLib, json-glib and common/): config/ sits below
# devices/ and daemon/ in the include graph.
noinst_LIBRARIES += config/libvmconfig.a
config_libvmconfig_a_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"nimbus-config\"
config_libvmconfig_a_SOURCES = \
	config/vm-config.c \
	config/vm-config.h \
	config/vm-config-priv.h \
	config/vm-config-opts.c \
	config/vm-config-opts.h \
	config/vm-config-parse.c \
	config/vm-config-fwcfg.c \
	config/vm-config-fwcfg.h \
	config/vm-config-numa.c \
	config/vm-config-numa.h \
	config/vm-config-platform.c \
	config/vm-config-platform.h \
	config/vm-config-ratelimit.c \
	config/vm-config-ratelimit.h \
	config/vm-config-validate.c \
	config/vm-config-json.c \
	config/vm-config-json-priv.h \
	config/vm-config-kind.c \
	config/vm-config-kind.h \
	config/vm-config-json-walk.c \
	config/vm-config-json-format.c \
	config/vm-config-schema.c \
	config/vm-config-schema.h \
	config/vm-config-walk.c

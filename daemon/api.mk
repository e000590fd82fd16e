# SPDX-License-Identifier: Apache-2.0
# Control plane: REST API, D-Bus API, nimbus-remote.
daemon_libvmm_a_SOURCES += \
	daemon/api-actions.c daemon/api-actions.h \
	daemon/api-backend.c daemon/api-backend.h \
	daemon/api-exec.c daemon/api-exec.h \
	daemon/api-http.c daemon/api-http-conn.c daemon/api-http-priv.h \
	daemon/api-request.c daemon/api-request.h \
	daemon/api-response.c daemon/api-response.h \
	daemon/api-router.c daemon/api-router.h
daemon_libvmm_a_SOURCES += daemon/api-dbus.c
nodist_daemon_libvmm_a_SOURCES = daemon/dbus-api-gen.c daemon/dbus-api-gen.h
BUILT_SOURCES += daemon/dbus-api-gen.c daemon/dbus-api-gen.h
CLEANFILES += daemon/dbus-api-gen.c daemon/dbus-api-gen.h
EXTRA_DIST += daemon/dbus-api.xml

# org.cloudhypervisor.DBusApi1's introspection data (and unused proxy and
# skeleton classes) from the XML, which is also installed and documented.
DBUS_API_CODEGEN = $(GDBUS_CODEGEN) --interface-prefix org.cloudhypervisor. \
	--c-namespace Nimbus
daemon/dbus-api-gen.h: daemon/dbus-api.xml
	$(AM_V_GEN)$(MKDIR_P) daemon && \
	$(DBUS_API_CODEGEN) --header --output $@ $(srcdir)/daemon/dbus-api.xml
daemon/dbus-api-gen.c: daemon/dbus-api.xml
	$(AM_V_GEN)$(MKDIR_P) daemon && \
	$(DBUS_API_CODEGEN) --body --output $@ $(srcdir)/daemon/dbus-api.xml
# The first build has no dependency information yet.
daemon/libvmm_a-api-dbus.$(OBJEXT): daemon/dbus-api-gen.h

# nimbus-remote: ch-remote's CLI over the REST socket or D-Bus.
bin_PROGRAMS += nimbus-remote
nimbus_remote_SOURCES = \
	daemon/remote/remote.h \
	daemon/remote/remote-commands.c \
	daemon/remote/remote-dbus.c \
	daemon/remote/remote-http.c \
	daemon/remote/remote-main.c
nimbus_remote_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"nimbus-remote\"
nimbus_remote_LDADD = $(VMM_LIBS)
nimbus_remote_DEPENDENCIES = $(VMM_LIB_DEPS)

# D-Bus data: the system-bus policy, and the introspection XML under its
# interface name (a copy of daemon/dbus-api.xml, also kept as
# docs/dbus-api.xml; test-api-dbus checks that the copies agree).
dbuspolicydir = $(datadir)/dbus-1/system.d
dist_dbuspolicy_DATA = data/dbus/org.cloudhypervisor.DBusApi.conf
dbusinterfacedir = $(datadir)/dbus-1/interfaces
nodist_dbusinterface_DATA = data/dbus/org.cloudhypervisor.DBusApi1.xml
CLEANFILES += data/dbus/org.cloudhypervisor.DBusApi1.xml
EXTRA_DIST += docs/dbus-api.xml docs/api.md
data/dbus/org.cloudhypervisor.DBusApi1.xml: daemon/dbus-api.xml
	$(AM_V_GEN)$(MKDIR_P) data/dbus && cp $(srcdir)/daemon/dbus-api.xml $@

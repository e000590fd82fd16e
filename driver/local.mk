# SPDX-License-Identifier: Apache-2.0
# driver/: nimbusd, the libvirt-compatible daemon.
include driver/xml/local.mk

# ---- XDR code generated from remote.x with rpcgen ---------------------------
# rpcgen names its include after the input file; the sed points it at the
# generated header.  Both files are rebuilt together from the one .x.
DRIVER_XDR_GEN = driver/rpc/remote-gen.h driver/rpc/remote-gen.c
BUILT_SOURCES += $(DRIVER_XDR_GEN)
CLEANFILES += $(DRIVER_XDR_GEN)
EXTRA_DIST += driver/rpc/remote.x

driver/rpc/remote-gen.h: driver/rpc/remote.x
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -h remote.x) > $@-t && mv $@-t $@
driver/rpc/remote-gen.c: driver/rpc/remote.x driver/rpc/remote-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -c remote.x) | \
	$(SED) 's|^#include "remote.h"|#include "driver/rpc/remote-gen.h"|' > $@-t && \
	mv $@-t $@

# The procedures forwarded to libvirtd (driver/forward.c) have their own .x,
# built the same way; its header includes remote-gen.h for the shared types.
DRIVER_FORWARD_XDR_GEN = driver/rpc/forward-gen.h driver/rpc/forward-gen.c
BUILT_SOURCES += $(DRIVER_FORWARD_XDR_GEN)
CLEANFILES += $(DRIVER_FORWARD_XDR_GEN)
EXTRA_DIST += driver/rpc/forward.x

driver/rpc/forward-gen.h: driver/rpc/forward.x driver/rpc/remote-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -h forward.x) > $@-t && mv $@-t $@
driver/rpc/forward-gen.c: driver/rpc/forward.x driver/rpc/forward-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -c forward.x) | \
	$(SED) 's|^#include "forward.h"|#include "driver/rpc/forward-gen.h"|' \
	> $@-t && mv $@-t $@

# rpcgen's output declares variables it does not always use.
noinst_LIBRARIES += driver/rpc/libremotexdr.a
driver_rpc_libremotexdr_a_CPPFLAGS = $(AM_CPPFLAGS) $(LIBTIRPC_CFLAGS)
driver_rpc_libremotexdr_a_CFLAGS = $(AM_CFLAGS) -Wno-unused-variable \
	-Wno-missing-prototypes -Wno-strict-prototypes
nodist_driver_rpc_libremotexdr_a_SOURCES = $(DRIVER_XDR_GEN) $(DRIVER_FORWARD_XDR_GEN)

# ---- the RPC server (no driver knowledge) -----------------------------------
noinst_LIBRARIES += driver/rpc/librpc.a
driver_rpc_librpc_a_CPPFLAGS = $(AM_CPPFLAGS) $(LIBTIRPC_CFLAGS) \
	-DG_LOG_DOMAIN=\"nimbusd-rpc\"
driver_rpc_librpc_a_SOURCES = \
	driver/rpc/client.c driver/rpc/client.h \
	driver/rpc/dispatch.c \
	driver/rpc/packet.c driver/rpc/packet.h \
	driver/rpc/program.h \
	driver/rpc/rpc-error.c driver/rpc/rpc-error.h \
	driver/rpc/rpc-priv.h \
	driver/rpc/server.c driver/rpc/server.h \
	driver/rpc/stream.c driver/rpc/stream.h
# devices/libdevices.a: nimbusd validates configs with the config kinds
# the device registry registers (devices/registry.h), so that define
# refuses what start would; the device code it pulls in is never run.
RPC_LIBS = driver/rpc/librpc.a driver/rpc/libremotexdr.a \
	driver/xml/libdomainxml.a devices/libdevices.a config/libvmconfig.a \
	common/libcommon.a $(GIO_UNIX_LIBS) $(GIO_LIBS) $(GLIB_LIBS) \
	$(LIBTIRPC_LIBS) $(DEVICES_DEP_LIBS)

# ---- the driver: domains, processes, the REMOTE program ---------------------
noinst_LIBRARIES += driver/libnimbusd.a
driver_libnimbusd_a_CPPFLAGS = $(AM_CPPFLAGS) $(LIBTIRPC_CFLAGS) $(LIBXML_CFLAGS) \
	$(LIBVIRT_CFLAGS) \
	-DG_LOG_DOMAIN=\"nimbusd\" \
	-DNIMBUS_DBUS_INTERFACES_DIR=\"$(dbusinterfacesdir)\" \
	-DNIMBUS_ABS_TOP_SRCDIR=\"$(abs_top_srcdir)\" \
	-DNIMBUS_ABS_TOP_BUILDDIR=\"$(abs_top_builddir)\"
driver_libnimbusd_a_SOURCES = \
	driver/caps.c driver/caps.h \
	driver/conf.c driver/conf.h \
	driver/conf-file.c \
	driver/compat.c driver/compat.h \
	driver/dbus/dbus.h driver/dbus/dbus-priv.h \
	driver/dbus/dbus-connect.c \
	driver/dbus/dbus-connect-more.c \
	driver/dbus/dbus-network.c \
	driver/dbus/dbus-storage.c \
	driver/dbus/dbus-nodedev.c \
	driver/dbus/dbus-fwd-object.c driver/dbus/dbus-fwd-object.h \
	driver/dbus/dbus-fwd-events.c \
	driver/dbus/dbus-domain.c \
	driver/dbus/dbus-domain-ops.c \
	driver/dbus/dbus-snapshot.c \
	driver/dbus/dbus-service.c \
	driver/dbus/dbus-util.c \
	driver/dbus/dbus-listeners.c \
	driver/domain.c driver/domain.h \
	driver/domain-list.c driver/domain-list.h \
	driver/domain-stats.c driver/domain-stats.h \
	driver/forward.c driver/forward.h \
	driver/driver.c driver/driver.h \
	driver/rename.c driver/rename.h \
	driver/hostcpu.c driver/hostcpu.h \
	driver/hotplug.c driver/hotplug.h \
	driver/update-device.c driver/update-device.h \
	driver/memory-device.c driver/memory-device.h \
	driver/lifecycle.c \
	driver/monitor.c driver/monitor.h \
	driver/net-tap.c driver/net-tap.h \
	driver/nodeinfo.c driver/nodeinfo.h \
	driver/nodestats.c driver/nodestats.h \
	driver/process.c driver/process.h \
	driver/console-log.c driver/console-log.h \
	driver/process-reconnect.c \
	driver/process-watch.c \
	driver/util.c driver/util.h \
	driver/vcpu.c driver/vcpu.h \
	driver/vcpu-pin.c driver/vcpu-pin.h \
	driver/vmm-events.c driver/vmm-events.h \
	driver/vsock.c driver/vsock.h driver/tpm.c driver/tpm.h \
	driver/helper-proc.c driver/helper-proc.h \
	driver/virtiofsd.c driver/virtiofsd.h \
	driver/fs-device.c driver/fs-device.h \
	driver/watchdog.c driver/watchdog.h \
	driver/remote/remote.h \
	driver/remote/remote-connect.c \
	driver/remote/remote-console.c \
	driver/remote/remote-domain.c \
	driver/remote/remote-event.c \
	driver/remote/remote-forward.c driver/remote/remote-forward.h \
	driver/remote/remote-host.c \
	driver/remote/remote-hotplug.c \
	driver/remote/remote-update-device.c \
	driver/remote/remote-update-device.h \
	driver/remote/remote-lifecycle.c \
	driver/remote/remote-names.c \
	driver/remote/remote-network.c \
	driver/remote/remote-stats.c \
	driver/remote/remote-storage-pool.c \
	driver/remote/remote-storage-vol.c \
	driver/remote/remote-vcpu.c \
	driver/remote/remote-vcpu-pin.c \
	driver/remote/remote-program.c

# Everything a nimbusd binary or test links, in dependency order.
NIMBUSD_LIBS = driver/libnimbusd.a $(RPC_LIBS) $(LIBXML_LIBS) $(JSON_GLIB_LIBS) \
	$(HTTP_PARSER_LIBS) $(LIBVIRT_LIBS)
NIMBUSD_LIB_DEPS = driver/libnimbusd.a driver/rpc/librpc.a \
	driver/rpc/libremotexdr.a driver/xml/libdomainxml.a devices/libdevices.a \
	config/libvmconfig.a common/libcommon.a

sbin_PROGRAMS += nimbusd
nimbusd_SOURCES = driver/nimbusd.c
nimbusd_CPPFLAGS = $(AM_CPPFLAGS) $(LIBTIRPC_CFLAGS) $(LIBVIRT_CFLAGS) \
	-DG_LOG_DOMAIN=\"nimbusd\"
nimbusd_LDADD = $(NIMBUSD_LIBS)
nimbusd_DEPENDENCIES = $(NIMBUSD_LIB_DEPS)

# libvirt clients spawn and look for "virtchd" (reference §3): the same
# binary under that name.
install-exec-hook: install-exec-hook-virtchd
install-exec-hook-virtchd:
	cd $(DESTDIR)$(sbindir) && rm -f virtchd$(EXEEXT) && \
	ln -s nimbusd$(EXEEXT) virtchd$(EXEEXT)
uninstall-hook: uninstall-hook-virtchd
uninstall-hook-virtchd:
	rm -f $(DESTDIR)$(sbindir)/virtchd$(EXEEXT)
.PHONY: install-exec-hook-virtchd uninstall-hook-virtchd

# org.libvirt on D-Bus (driver/dbus/): libvirt-dbus's interface XML, read
# at run time as libvirt-dbus does, in our own directory so that both
# packages can be installed; the system-bus policy beside the VMM's.
dbusinterfacesdir = $(pkgdatadir)/dbus-interfaces
dist_dbusinterfaces_DATA = data/dbus/interfaces/org.libvirt.Connect.xml \
	data/dbus/interfaces/org.libvirt.Domain.xml \
	data/dbus/interfaces/org.libvirt.DomainSnapshot.xml \
	data/dbus/interfaces/org.libvirt.Interface.xml \
	data/dbus/interfaces/org.libvirt.Network.xml \
	data/dbus/interfaces/org.libvirt.NodeDevice.xml \
	data/dbus/interfaces/org.libvirt.StoragePool.xml \
	data/dbus/interfaces/org.libvirt.StorageVol.xml
dist_dbuspolicy_DATA += data/dbus/org.libvirt.CH.conf

# systemd unit (KillMode=process: VMs outlive daemon restarts).
systemdsystemunitdir = $(prefix)/lib/systemd/system
systemdsystemunit_DATA = data/nimbusd.service
CLEANFILES += data/nimbusd.service
EXTRA_DIST += data/nimbusd.service.in
data/nimbusd.service: data/nimbusd.service.in
	$(AM_V_GEN)$(MKDIR_P) data && \
	$(SED) -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@docdir[@]|$(docdir)|g' \
		$(srcdir)/data/nimbusd.service.in > $@-t && mv $@-t $@

dist_doc_DATA += docs/nimbusd.md

# Save images, managed save and snapshots (issue 12): their own fragment.
include driver/save.mk
include driver/snapshot.mk
# Live migration between nimbusd daemons (issue 12).
include driver/migrate.mk
# virsh blkdeviotune (issue 15).
include driver/blkiotune.mk
# virsh domiftune (issue 15).
include driver/iftune.mk
# <backingStore> in the live XML (issue 15).
include driver/backing.mk
# domblkinfo, blkiotune, guest-agent calls, send-key, screenshot (issue 11).
include driver/domain-extra.mk
# Node devices, secrets, nwfilters, interfaces, DHCP leases, their events,
# domifaddr; libvirtd started where nothing has (issue 11).
include driver/secondary.mk

# SPDX-License-Identifier: Apache-2.0
# libvirt's secondary drivers beside networks and storage (issue 11): node
# devices, secrets, nwfilters, host interfaces, DHCP leases and their
# events, forwarded to libvirtd like forward.x's; domifaddr; starting
# libvirtd where nothing has.
driver_libnimbusd_a_SOURCES += \
	driver/libvirtd-start.c driver/libvirtd-start.h \
	driver/ifaddr.c driver/ifaddr.h \
	driver/remote/remote-secondary.h \
	driver/remote/remote-secret.c \
	driver/remote/remote-nodedev.c \
	driver/remote/remote-nwfilter.c \
	driver/remote/remote-iface.c \
	driver/remote/remote-fwd-event.c \
	driver/remote/remote-ifaddr.c

# Their XDR, built as forward.x is (driver/local.mk).
DRIVER_SECONDARY_XDR_GEN = driver/rpc/secondary-gen.h driver/rpc/secondary-gen.c
BUILT_SOURCES += $(DRIVER_SECONDARY_XDR_GEN)
CLEANFILES += $(DRIVER_SECONDARY_XDR_GEN)
EXTRA_DIST += driver/rpc/secondary.x
nodist_driver_rpc_libremotexdr_a_SOURCES += $(DRIVER_SECONDARY_XDR_GEN)

driver/rpc/secondary-gen.h: driver/rpc/secondary.x driver/rpc/forward-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -h secondary.x) > $@-t && mv $@-t $@
driver/rpc/secondary-gen.c: driver/rpc/secondary.x driver/rpc/secondary-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -c secondary.x) | \
	$(SED) 's|^#include "secondary.h"|#include "driver/rpc/secondary-gen.h"|' \
	> $@-t && mv $@-t $@

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

# rpcgen's output declares variables it does not always use.
noinst_LIBRARIES += driver/rpc/libremotexdr.a
driver_rpc_libremotexdr_a_CPPFLAGS = $(AM_CPPFLAGS) $(LIBTIRPC_CFLAGS)
driver_rpc_libremotexdr_a_CFLAGS = $(AM_CFLAGS) -Wno-unused-variable \
	-Wno-missing-prototypes -Wno-strict-prototypes
nodist_driver_rpc_libremotexdr_a_SOURCES = $(DRIVER_XDR_GEN)

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
RPC_LIBS = driver/rpc/librpc.a driver/rpc/libremotexdr.a \
	driver/xml/libdomainxml.a common/libcommon.a \
	$(GIO_UNIX_LIBS) $(GIO_LIBS) $(GLIB_LIBS) $(LIBTIRPC_LIBS)


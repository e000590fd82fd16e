# SPDX-License-Identifier: Apache-2.0
# nimbusd's virsh domiftune (SET/GET_INTERFACE_PARAMETERS, issue 15).
driver_libnimbusd_a_SOURCES += \
	driver/iftune.c driver/iftune.h \
	driver/remote/remote-iftune.c driver/remote/remote-iftune.h

# Their XDR, built as save.x is (driver/save.mk).
DRIVER_IFTUNE_XDR_GEN = driver/rpc/iftune-gen.h driver/rpc/iftune-gen.c
BUILT_SOURCES += $(DRIVER_IFTUNE_XDR_GEN)
CLEANFILES += $(DRIVER_IFTUNE_XDR_GEN)
EXTRA_DIST += driver/rpc/iftune.x
nodist_driver_rpc_libremotexdr_a_SOURCES += $(DRIVER_IFTUNE_XDR_GEN)

driver/rpc/iftune-gen.h: driver/rpc/iftune.x driver/rpc/remote-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -h iftune.x) > $@-t && mv $@-t $@
driver/rpc/iftune-gen.c: driver/rpc/iftune.x driver/rpc/iftune-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -c iftune.x) | \
	$(SED) 's|^#include "iftune.h"|#include "driver/rpc/iftune-gen.h"|' \
	> $@-t && mv $@-t $@

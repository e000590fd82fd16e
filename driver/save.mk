# SPDX-License-Identifier: Apache-2.0
# nimbusd's save/restore, managed save and domain snapshots (issue 12).
driver_libnimbusd_a_SOURCES += \
	driver/save-image.c driver/save-image.h \
	driver/save.c driver/save.h

# Their XDR, built as forward.x is (driver/local.mk).
DRIVER_SAVE_XDR_GEN = driver/rpc/save-gen.h driver/rpc/save-gen.c
BUILT_SOURCES += $(DRIVER_SAVE_XDR_GEN)
CLEANFILES += $(DRIVER_SAVE_XDR_GEN)
EXTRA_DIST += driver/rpc/save.x
nodist_driver_rpc_libremotexdr_a_SOURCES += $(DRIVER_SAVE_XDR_GEN)

driver/rpc/save-gen.h: driver/rpc/save.x driver/rpc/remote-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -h save.x) > $@-t && mv $@-t $@
driver/rpc/save-gen.c: driver/rpc/save.x driver/rpc/save-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -c save.x) | \
	$(SED) 's|^#include "save.h"|#include "driver/rpc/save-gen.h"|' \
	> $@-t && mv $@-t $@

driver_libnimbusd_a_SOURCES += \
	driver/remote/remote-save.c driver/remote/remote-save.h

# SPDX-License-Identifier: Apache-2.0
# nimbusd's domain snapshots (issue 12): metadata, create, revert, delete.
driver_libnimbusd_a_SOURCES += \
	driver/snapshot-def.c driver/snapshot-def.h \
	driver/snapshot-disk.c driver/snapshot-disk.h \
	driver/snapshot.c driver/snapshot.h driver/snapshot-priv.h \
	driver/snapshot-revert.c \
	driver/remote/remote-snapshot.c driver/remote/remote-snapshot.h

# Their XDR, built as save.x is (driver/save.mk).
DRIVER_SNAPSHOT_XDR_GEN = driver/rpc/snapshot-gen.h driver/rpc/snapshot-gen.c
BUILT_SOURCES += $(DRIVER_SNAPSHOT_XDR_GEN)
CLEANFILES += $(DRIVER_SNAPSHOT_XDR_GEN)
EXTRA_DIST += driver/rpc/snapshot.x
nodist_driver_rpc_libremotexdr_a_SOURCES += $(DRIVER_SNAPSHOT_XDR_GEN)

driver/rpc/snapshot-gen.h: driver/rpc/snapshot.x driver/rpc/remote-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -h snapshot.x) > $@-t && mv $@-t $@
driver/rpc/snapshot-gen.c: driver/rpc/snapshot.x driver/rpc/snapshot-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -c snapshot.x) | \
	$(SED) 's|^#include "snapshot.h"|#include "driver/rpc/snapshot-gen.h"|' \
	> $@-t && mv $@-t $@

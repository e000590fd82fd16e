# SPDX-License-Identifier: Apache-2.0
# nimbusd's live migration between daemons (issue 12): v3 params
# sequence, peer-to-peer client, job queries.
driver_libnimbusd_a_SOURCES += \
	driver/migrate-params.c driver/migrate-params.h \
	driver/migrate-peer.c driver/migrate-peer.h \
	driver/migrate.c driver/migrate.h driver/migrate-priv.h \
	driver/migrate-dest.c \
	driver/remote/remote-migrate.c driver/remote/remote-migrate.h

# Their XDR, built as save.x is (driver/save.mk).
DRIVER_MIGRATE_XDR_GEN = driver/rpc/migrate-gen.h driver/rpc/migrate-gen.c
BUILT_SOURCES += $(DRIVER_MIGRATE_XDR_GEN)
CLEANFILES += $(DRIVER_MIGRATE_XDR_GEN)
EXTRA_DIST += driver/rpc/migrate.x
nodist_driver_rpc_libremotexdr_a_SOURCES += $(DRIVER_MIGRATE_XDR_GEN)

driver/rpc/migrate-gen.h: driver/rpc/migrate.x driver/rpc/remote-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -h migrate.x) > $@-t && mv $@-t $@
driver/rpc/migrate-gen.c: driver/rpc/migrate.x driver/rpc/migrate-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -c migrate.x) | \
	$(SED) 's|^#include "migrate.h"|#include "driver/rpc/migrate-gen.h"|' \
	> $@-t && mv $@-t $@

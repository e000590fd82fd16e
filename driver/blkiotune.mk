# SPDX-License-Identifier: Apache-2.0
# nimbusd's virsh blkdeviotune (SET/GET_BLOCK_IO_TUNE, issue 15).
# devtune.{c,h}: the set/get both it and domiftune (iftune.mk) use.
driver_libnimbusd_a_SOURCES += \
	driver/blkiotune.c driver/blkiotune.h \
	driver/devtune.c driver/devtune.h \
	driver/remote/remote-blkiotune.c driver/remote/remote-blkiotune.h

# Their XDR, built as save.x is (driver/save.mk).
DRIVER_BLKIOTUNE_XDR_GEN = driver/rpc/blkiotune-gen.h driver/rpc/blkiotune-gen.c
BUILT_SOURCES += $(DRIVER_BLKIOTUNE_XDR_GEN)
CLEANFILES += $(DRIVER_BLKIOTUNE_XDR_GEN)
EXTRA_DIST += driver/rpc/blkiotune.x
nodist_driver_rpc_libremotexdr_a_SOURCES += $(DRIVER_BLKIOTUNE_XDR_GEN)

driver/rpc/blkiotune-gen.h: driver/rpc/blkiotune.x driver/rpc/remote-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -h blkiotune.x) > $@-t && mv $@-t $@
driver/rpc/blkiotune-gen.c: driver/rpc/blkiotune.x driver/rpc/blkiotune-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -c blkiotune.x) | \
	$(SED) 's|^#include "blkiotune.h"|#include "driver/rpc/blkiotune-gen.h"|' \
	> $@-t && mv $@-t $@

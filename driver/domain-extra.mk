# SPDX-License-Identifier: Apache-2.0
# virsh domblkinfo, blkiotune, domtime and the other guest-agent calls,
# send-key and screenshot (issue 11): working or refused with the reason.
driver_libnimbusd_a_SOURCES += \
	driver/blockinfo.c driver/blockinfo.h \
	driver/refused.c driver/refused.h \
	driver/remote/remote-domain-extra.c driver/remote/remote-domain-extra.h

# Their XDR, built as save.x is (driver/save.mk); no hyphen in
# the .x name: rpcgen makes its include guard from it.
DRIVER_DOMAIN_EXTRA_XDR_GEN = driver/rpc/domainextra-gen.h \
	driver/rpc/domainextra-gen.c
BUILT_SOURCES += $(DRIVER_DOMAIN_EXTRA_XDR_GEN)
CLEANFILES += $(DRIVER_DOMAIN_EXTRA_XDR_GEN)
EXTRA_DIST += driver/rpc/domainextra.x
nodist_driver_rpc_libremotexdr_a_SOURCES += $(DRIVER_DOMAIN_EXTRA_XDR_GEN)

driver/rpc/domainextra-gen.h: driver/rpc/domainextra.x driver/rpc/remote-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -h domainextra.x) > $@-t && \
	mv $@-t $@
driver/rpc/domainextra-gen.c: driver/rpc/domainextra.x \
		driver/rpc/domainextra-gen.h
	$(AM_V_GEN)$(MKDIR_P) driver/rpc && \
	(cd $(srcdir)/driver/rpc && $(RPCGEN) -c domainextra.x) | \
	$(SED) 's|^#include "domainextra.h"|#include "driver/rpc/domainextra-gen.h"|' \
	> $@-t && mv $@-t $@

# SPDX-License-Identifier: Apache-2.0
# nimbusd's live <backingStore>: the chain read from the image headers (issue 15).
driver_libnimbusd_a_SOURCES += driver/image-chain.c driver/image-chain.h

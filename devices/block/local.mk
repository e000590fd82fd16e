# SPDX-License-Identifier: Apache-2.0
# Block backends: raw images, io_uring and synchronous engines.
devices_libdevices_a_SOURCES += \
	devices/block/block.c devices/block/block.h \
	devices/block/engine-sync.c \
	devices/block/engine-uring.c

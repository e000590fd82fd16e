# SPDX-License-Identifier: Apache-2.0
# Block backends: image files, formats (raw, qcow2, vhd, vhdx), io_uring and synchronous engines.
devices_libdevices_a_SOURCES += \
	devices/block/block.c devices/block/block.h \
	devices/block/file.c devices/block/file.h \
	devices/block/format.c devices/block/format.h \
	devices/block/format-priv.h devices/block/format-raw.c \
	devices/block/qcow2.c devices/block/qcow2.h devices/block/qcow2-priv.h \
	devices/block/qcow2-header.c devices/block/qcow2-refcount.c \
	devices/block/qcow2-compress.c \
	devices/block/format-vhd.c devices/block/vhd.h \
	devices/block/vhdx.c devices/block/vhdx.h devices/block/vhdx-meta.c \
	devices/block/vhdx-crc32c.c \
	devices/block/engine-sync.c \
	devices/block/engine-uring.c

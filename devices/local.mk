# SPDX-License-Identifier: Apache-2.0
# devices/: buses and emulated devices, one file per device.
noinst_LIBRARIES += devices/libdevices.a
devices_libdevices_a_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"nimbus-devices\"
devices_libdevices_a_SOURCES = \
	devices/bus.c devices/bus.h \
	devices/device.c devices/device.h devices/device-host.h \
	devices/guest-memory.c devices/guest-memory.h \
	devices/state.c devices/state.h \
	devices/registry.c devices/registry-iommu.c devices/registry.h

include devices/char/local.mk
include devices/legacy/local.mk
include devices/virtio/local.mk
include devices/tpm/local.mk

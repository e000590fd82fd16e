# SPDX-License-Identifier: Apache-2.0
# Network backends: TAP.
devices_libdevices_a_SOURCES += \
	devices/net/net-backend.h \
	devices/net/tap.c

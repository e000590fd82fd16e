# SPDX-License-Identifier: Apache-2.0
# libvirt's secondary drivers beside networks and storage (issue 11): node
# devices, secrets, nwfilters, host interfaces, DHCP leases and their
# events, forwarded to libvirtd like forward.x's; domifaddr; starting
# libvirtd where nothing has.
driver_libnimbusd_a_SOURCES += \
	driver/libvirtd-start.c driver/libvirtd-start.h

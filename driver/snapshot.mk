# SPDX-License-Identifier: Apache-2.0
# nimbusd's domain snapshots (issue 12): metadata, create, revert, delete.
driver_libnimbusd_a_SOURCES += \
	driver/snapshot-def.c driver/snapshot-def.h

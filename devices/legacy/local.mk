# SPDX-License-Identifier: Apache-2.0
# Legacy platform devices (UART, i8042, CMOS, ACPI PM, GED, debug ports).
devices_libdevices_a_SOURCES += \
	devices/legacy/legacy.h \
	devices/legacy/ratelimit.c devices/legacy/ratelimit.h \
	devices/legacy/serial-8250.c devices/legacy/serial-8250-priv.h \
	devices/legacy/i8042.c \
	devices/legacy/rtc-cmos.c devices/legacy/rtc-cmos-priv.h \
	devices/legacy/acpi-pm.c \
	devices/legacy/ged.c \
	devices/legacy/cpu-hotplug.c devices/legacy/cpu-hotplug.h \
	devices/legacy/memory-hotplug.c devices/legacy/memory-hotplug.h \
	devices/legacy/debug-port.c \
	devices/legacy/debug-console.c \
	devices/legacy/fw-cfg.c devices/legacy/fw-cfg.h

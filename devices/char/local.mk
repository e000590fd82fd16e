# SPDX-License-Identifier: Apache-2.0
# Character backends (null, tty, pty, file, socket) for serial and consoles.
devices_libdevices_a_SOURCES += \
	devices/char/chardev.c devices/char/chardev.h \
	devices/char/chardev-open.c devices/char/chardev-priv.h

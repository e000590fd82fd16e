# SPDX-License-Identifier: Apache-2.0
# PCI segment 0: host bridge, config space, BARs, MSI-X.
devices_libdevices_a_SOURCES += \
	devices/pci/msix.c devices/pci/msix.h \
	devices/pci/pci-bus.c devices/pci/pci-bus.h \
	devices/pci/pci-device.c devices/pci/pci.h \
	devices/pci/pci-hotplug.c devices/pci/pci-hotplug.h

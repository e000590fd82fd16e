# SPDX-License-Identifier: Apache-2.0
# fuzz targets: FUZZ_TARGETS += tests/fuzz/fuzz-foo

# Every device type's restore on one JSON input (tests/unit/state.mk
# defines the device table's library).
FUZZ_TARGETS += tests/fuzz/fuzz-device-state
tests_fuzz_fuzz_device_state_LDADD = $(FUZZ_MAIN_LIB) $(DEVICE_STATE_LIBS)
tests_fuzz_fuzz_device_state_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_device_state_DEPENDENCIES = $(FUZZ_MAIN_LIB) \
	$(DEVICE_STATE_DEPS)
EXTRA_DIST += tests/fuzz/corpus/device-state

# Register interfaces of the legacy devices, driven by access records
# (access-records.h) on a FakeHost as their unit tests build them.
noinst_HEADERS += tests/fuzz/access-records.h
FUZZ_TARGETS += tests/fuzz/fuzz-i8042 tests/fuzz/fuzz-acpi-pm \
	tests/fuzz/fuzz-ged tests/fuzz/fuzz-debug-port \
	tests/fuzz/fuzz-debug-console tests/fuzz/fuzz-fw-cfg
tests_fuzz_fuzz_i8042_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_i8042_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_i8042_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(FAKE_VM_DEPS)
tests_fuzz_fuzz_acpi_pm_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_acpi_pm_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_acpi_pm_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(FAKE_VM_DEPS)
tests_fuzz_fuzz_ged_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_ged_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_ged_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(FAKE_VM_DEPS)
tests_fuzz_fuzz_debug_port_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_debug_port_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_debug_port_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(FAKE_VM_DEPS)
tests_fuzz_fuzz_debug_console_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_debug_console_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_debug_console_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(FAKE_VM_DEPS)
tests_fuzz_fuzz_fw_cfg_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_fw_cfg_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_fw_cfg_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(FAKE_VM_DEPS)
EXTRA_DIST += tests/fuzz/corpus/i8042 tests/fuzz/corpus/acpi-pm \
	tests/fuzz/corpus/ged tests/fuzz/corpus/debug-port \
	tests/fuzz/corpus/debug-console tests/fuzz/corpus/fw-cfg

# PCI config space and BARs, MSI-X and the virtio-pci transport: virtio-pci
# functions on a PCI bus on a FakeHost (virtio-pci-fixture.h), as
# tests/unit/test-virtio-pci.c builds them.
noinst_HEADERS += tests/fuzz/virtio-pci-fixture.h
FUZZ_TARGETS += tests/fuzz/fuzz-pci-config tests/fuzz/fuzz-msix \
	tests/fuzz/fuzz-virtio-pci-common
tests_fuzz_fuzz_pci_config_LDADD = $(FUZZ_MAIN_LIB) $(VIRTIO_FAKE_VM_LIBS)
tests_fuzz_fuzz_pci_config_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_pci_config_DEPENDENCIES = $(FUZZ_MAIN_LIB) \
	$(VIRTIO_FAKE_VM_DEPS)
tests_fuzz_fuzz_msix_LDADD = $(FUZZ_MAIN_LIB) $(VIRTIO_FAKE_VM_LIBS)
tests_fuzz_fuzz_msix_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_msix_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(VIRTIO_FAKE_VM_DEPS)
tests_fuzz_fuzz_virtio_pci_common_LDADD = $(FUZZ_MAIN_LIB) \
	$(VIRTIO_FAKE_VM_LIBS)
tests_fuzz_fuzz_virtio_pci_common_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_virtio_pci_common_DEPENDENCIES = $(FUZZ_MAIN_LIB) \
	$(VIRTIO_FAKE_VM_DEPS)
EXTRA_DIST += tests/fuzz/corpus/pci-config tests/fuzz/corpus/msix \
	tests/fuzz/corpus/virtio-pci-common

# The REST API past the router: requests executed on a Vmm (no VM booted).
FUZZ_TARGETS += tests/fuzz/fuzz-api-request
tests_fuzz_fuzz_api_request_LDADD = $(FUZZ_MAIN_LIB) $(VMM_LIBS)
tests_fuzz_fuzz_api_request_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/api-request

# Domain XML per device class: a fixed skeleton around the input.
# Both domain XML targets share their check (domain-xml-check.h).
noinst_HEADERS += tests/fuzz/domain-xml-check.h
FUZZ_TARGETS += tests/fuzz/fuzz-domain-xml-device
tests_fuzz_fuzz_domain_xml_device_CPPFLAGS = $(AM_CPPFLAGS) $(LIBXML_CFLAGS) \
	-DNIMBUS_SRC_SCHEMA_DIR=\"$(abs_top_srcdir)/xml-schemas\"
tests_fuzz_fuzz_domain_xml_device_LDADD = $(FUZZ_MAIN_LIB) $(DOMAINXML_LIBS)
tests_fuzz_fuzz_domain_xml_device_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/domain-xml-device

# Writes the record-driven targets' seed corpora (documents their layout).
EXTRA_DIST += tests/fuzz/make-seeds.py

# qcow2 image metadata (header, extensions, L1/L2, refcounts, compressed
# clusters) on hostile image files.  Seeds: small images from qemu-img
# (v2, v3, 512 B and 4 KiB clusters, zlib and zstd compressed, with data).
FUZZ_TARGETS += tests/fuzz/fuzz-qcow2
tests_fuzz_fuzz_qcow2_LDADD = $(FUZZ_MAIN_LIB) $(VMM_LIBS)
tests_fuzz_fuzz_qcow2_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/qcow2

# VHD footers and the fixed VHD format on hostile image files.  Seeds:
# fixed VHDs from qemu-img (exact size, CHS-rounded) and a dynamic one.
FUZZ_TARGETS += tests/fuzz/fuzz-vhd
tests_fuzz_fuzz_vhd_LDADD = $(FUZZ_MAIN_LIB) $(VMM_LIBS)
tests_fuzz_fuzz_vhd_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/vhd

# VHDX headers, region table, metadata and BAT, then open/map on the
# image.  Seeds: qemu-img images in the target's sparse encoding, written
# by make-vhdx-seeds.py.
FUZZ_TARGETS += tests/fuzz/fuzz-vhdx
tests_fuzz_fuzz_vhdx_LDADD = $(FUZZ_MAIN_LIB) $(VMM_LIBS)
tests_fuzz_fuzz_vhdx_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/vhdx tests/fuzz/make-vhdx-seeds.py

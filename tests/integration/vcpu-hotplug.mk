# SPDX-License-Identifier: Apache-2.0
# Integration test: vCPU hotplug and unplug (vm.resize), vCPU pinning.
check_PROGRAMS += tests/integration/test-vcpu-hotplug
TESTS += tests/integration/test-vcpu-hotplug
tests_integration_test_vcpu_hotplug_SOURCES = \
	tests/integration/test-vcpu-hotplug.c \
	tests/integration/test-virtio-guest.c \
	tests/integration/test-virtio-guest.h
tests_integration_test_vcpu_hotplug_LDADD = tests/libtestutil.a $(GIO_LIBS) \
	$(GLIB_LIBS)

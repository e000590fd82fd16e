# SPDX-License-Identifier: Apache-2.0
# vCPU hotplug: the ACPI CPU controller's registers, resize bounds, affinity.
check_PROGRAMS += tests/unit/test-cpu-hotplug
TESTS += tests/unit/test-cpu-hotplug
tests_unit_test_cpu_hotplug_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_cpu_hotplug_DEPENDENCIES = $(FAKE_VM_DEPS)

# Fuzz target: access records against the controller's window.
FUZZ_TARGETS += tests/fuzz/fuzz-cpu-hotplug
tests_fuzz_fuzz_cpu_hotplug_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_cpu_hotplug_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_cpu_hotplug_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(FAKE_VM_DEPS)
EXTRA_DIST += tests/fuzz/corpus/cpu-hotplug

# nimbusd: setvcpus / vcpucount with stock virsh against the fake VMM.
dist_check_SCRIPTS += tests/unit/test-rpc-vcpu.py
TESTS += tests/unit/test-rpc-vcpu.py

# nimbusd: vcpuinfo / vcpupin / emulatorpin against the fake VMM's
# real vCPU threads.
dist_check_SCRIPTS += tests/unit/test-rpc-vcpupin.py
TESTS += tests/unit/test-rpc-vcpupin.py

# SPDX-License-Identifier: Apache-2.0
# Integration test (issue 17): nimbusd's org.libvirt D-Bus service with the
# real nimbus and one real guest (KVM, through tests/harness/with-kvm) on a
# private dbus-daemon: define, start, suspend/resume, ACPI shutdown and
# undefine over D-Bus, every DomainEvent in order, the same answers over
# RPC.  One guest boot.
dist_check_SCRIPTS += tests/integration/test-nimbusd-dbus.py
TESTS += tests/integration/test-nimbusd-dbus.py

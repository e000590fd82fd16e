# SPDX-License-Identifier: Apache-2.0
# Tests: GTest programs driven by automake's TAP driver.
#
#   tests/unit/         no KVM needed; run directly
#   tests/integration/  real guests on real KVM; build-aux/gtest-run.sh runs
#                       them through tests/harness/with-kvm (native /dev/kvm,
#                       or a nested VM under QEMU when there is none)
#   tests/fuzz/         libFuzzer targets; "make check" replays their corpus
#   tests/xml2xml/      golden files for the domain XML model
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_COMPILER = $(top_srcdir)/build-aux/gtest-run.sh
# NIMBUS_HARNESS_TIMEOUT: how long one integration program may take (a hung
# nested VM costs no more than that); each test also bounds its own guests.
# NIMBUS_HARNESS_RETRIES: how often with-kvm reruns a program whose nested VM
# died under it (the emulated L1 kernel crashing; docs/testing.md, "Known
# problems"); NIMBUS_HARNESS_CRASH_RETRIES: how often it reruns one that
# failed after a test guest crashed in the nested VM (TCG's nested SVM
# crashes guests too).  Other failures are never rerun.  The crash rerun
# stays (docs/testing.md, "The crash rate"): in the same L1s QEMU's guests
# crash as well (2026-12-05/06: nimbus 2 of 35 runs, QEMU 3 of 29, p = 0.65),
# and the crash shapes seen (events taken with IF clear) are the emulator's.
AM_TESTS_ENVIRONMENT = \
	G_TEST_SRCDIR="$(abs_top_srcdir)" \
	G_TEST_BUILDDIR="$(abs_top_builddir)" \
	NIMBUS_TOP_SRCDIR="$(abs_top_srcdir)" \
	NIMBUS_TOP_BUILDDIR="$(abs_top_builddir)" \
	NIMBUS_SCHEMA_DIR="$(abs_top_srcdir)/xml-schemas" \
	G_DEBUG=fatal-criticals \
	NIMBUS_HARNESS_TIMEOUT="$${NIMBUS_HARNESS_TIMEOUT:-900}" \
	NIMBUS_HARNESS_RETRIES="$${NIMBUS_HARNESS_RETRIES:-2}" \
	NIMBUS_HARNESS_CRASH_RETRIES="$${NIMBUS_HARNESS_CRASH_RETRIES:-1}" \
	MALLOC_PERTURB_=165 \
	; export G_TEST_SRCDIR G_TEST_BUILDDIR NIMBUS_TOP_SRCDIR NIMBUS_TOP_BUILDDIR NIMBUS_SCHEMA_DIR G_DEBUG MALLOC_PERTURB_ NIMBUS_HARNESS_TIMEOUT NIMBUS_HARNESS_RETRIES NIMBUS_HARNESS_CRASH_RETRIES;

# Test helpers shared by unit and integration tests.
noinst_LIBRARIES += tests/libtestutil.a
tests_libtestutil_a_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"nimbus-test\"
tests_libtestutil_a_SOURCES = tests/testutil.c tests/testutil.h \
	tests/seccomp-threads.c tests/seccomp-threads.h
TEST_LIBS = tests/libtestutil.a $(VMM_LIBS)

# Fuzz targets: built with libFuzzer's main under --enable-fuzzing, else with
# replay-main.c, which runs every file of tests/fuzz/corpus/<target>/ once.
if ENABLE_FUZZING
FUZZ_MAIN_LIB =
FUZZ_LINK_FLAGS = $(FUZZ_LDFLAGS)
else
noinst_LIBRARIES += tests/fuzz/libreplaymain.a
tests_fuzz_libreplaymain_a_SOURCES = tests/fuzz/replay-main.c
FUZZ_MAIN_LIB = tests/fuzz/libreplaymain.a
FUZZ_LINK_FLAGS =
endif

# "make syntax-check" as one more test, and the test that it fails on
# planted violations.
TESTS += build-aux/syntax-check.sh tests/unit/test-syntax-check.sh
EXTRA_DIST += build-aux/syntax-check.sh build-aux/syntax-check-allow \
	tests/unit/test-syntax-check.sh

include tests/unit/local.mk
include tests/harness/local.mk
include tests/integration/local.mk
include tests/fuzz/local.mk
# Fragments of separate work streams:
include tests/unit/arch.mk
include tests/unit/legacy.mk
include tests/unit/config.mk
include tests/unit/api.mk
include tests/unit/virtio.mk
include tests/unit/state.mk
include tests/unit/driver.mk
include tests/unit/nimbusd-secondary.mk
include tests/unit/nimbusd-save.mk
include tests/unit/nimbusd-snapshot.mk
include tests/unit/nimbusd-migrate.mk
include tests/unit/snapshot.mk
include tests/unit/migration.mk
include tests/unit/hotplug.mk
include tests/unit/cpu-hotplug.mk
include tests/unit/memory-hotplug.mk
include tests/xml2xml/local.mk

check_PROGRAMS += $(FUZZ_TARGETS)
if !ENABLE_FUZZING
TESTS += $(FUZZ_TARGETS)
endif

# "make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS=tests/fuzz/fuzz-x]": every fuzz
# target under libFuzzer for N seconds each (scripts/fuzz says where the
# findings go).  Only a libFuzzer build has them.
FUZZ_SECONDS = 60
if ENABLE_FUZZING
fuzz: $(FUZZ_TARGETS)
	@NIMBUS_TOP_SRCDIR=$(abs_top_srcdir) $(SHELL) \
		$(top_srcdir)/scripts/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)
else
fuzz:
	@echo "make fuzz needs a libFuzzer build:" \
		"./configure CC=clang --enable-fuzzing" >&2; exit 1
endif
.PHONY: fuzz

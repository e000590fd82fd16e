# SPDX-License-Identifier: Apache-2.0
# REST/D-Bus unit tests (no KVM: the VM is created, never booted).
check_PROGRAMS += tests/unit/test-http-request
TESTS += tests/unit/test-http-request
tests_unit_test_http_request_LDADD = $(TEST_LIBS)

# Fuzz target of the HTTP request parser and router (tests/local.mk adds it to
# check_PROGRAMS; without --enable-fuzzing, make check replays its corpus).
FUZZ_TARGETS += tests/fuzz/fuzz-http
tests_fuzz_fuzz_http_LDADD = $(FUZZ_MAIN_LIB) $(VMM_LIBS)
tests_fuzz_fuzz_http_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/http

# The response schemas (CH's OpenAPI file) and their validator, run by
# test-api-http with Debian's python3-jsonschema.
EXTRA_DIST += tests/unit/test-api-schema.py \
	tests/data/api/cloud-hypervisor-openapi.yaml

# ---- Tests that link the whole VMM (a Vmm is created, never booted) ----
check_PROGRAMS += tests/unit/test-api-backend tests/unit/test-api-http \
	tests/unit/test-api-http-load \
	tests/unit/test-api-dbus tests/unit/test-api-remote
TESTS += tests/unit/test-api-backend tests/unit/test-api-http \
	tests/unit/test-api-http-load \
	tests/unit/test-api-dbus tests/unit/test-api-remote
tests_unit_test_api_backend_LDADD = $(TEST_LIBS)
TEST_API_UTIL = tests/unit/test-api-util.c tests/unit/test-api-util.h
tests_unit_test_api_http_SOURCES = tests/unit/test-api-http.c $(TEST_API_UTIL)
tests_unit_test_api_http_LDADD = $(TEST_LIBS)
tests_unit_test_api_http_load_SOURCES = tests/unit/test-api-http-load.c \
	$(TEST_API_UTIL)
tests_unit_test_api_http_load_LDADD = $(TEST_LIBS)
tests_unit_test_api_dbus_SOURCES = tests/unit/test-api-dbus.c $(TEST_API_UTIL)
tests_unit_test_api_dbus_LDADD = $(TEST_LIBS)
# The argument conversion is tested directly, the binary as a whole.
tests_unit_test_api_remote_SOURCES = tests/unit/test-api-remote.c \
	daemon/remote/remote-commands.c $(TEST_API_UTIL)
tests_unit_test_api_remote_LDADD = $(TEST_LIBS)

# SPDX-License-Identifier: Apache-2.0
# Integration tests: api.  A real guest driven through the REST API (curl),
# nimbus-remote and D-Bus; run through tests/harness/with-kvm.
check_PROGRAMS += tests/integration/test-api-flow
TESTS += tests/integration/test-api-flow
tests_integration_test_api_flow_LDADD = $(TEST_LIBS)

# SPDX-License-Identifier: Apache-2.0
# Domain XML model tests: xml2xml and xml2cfg golden files (regenerate with
# VMM_TEST_REGENERATE=1), bad-input table, API.  No KVM needed.
noinst_LIBRARIES += tests/xml2xml/libgolden.a
tests_xml2xml_libgolden_a_SOURCES = tests/xml2xml/golden.c tests/xml2xml/golden.h
XML_TEST_LIBS = tests/xml2xml/libgolden.a tests/libtestutil.a $(DOMAINXML_LIBS) \
	$(GIO_LIBS) $(GLIB_LIBS)
XML_TEST_CPPFLAGS = $(AM_CPPFLAGS) $(LIBXML_CFLAGS) \
	-DG_LOG_DOMAIN=\"nimbus-test\"

check_PROGRAMS += tests/xml2xml/test-xml2xml tests/xml2xml/test-xml2cfg \
	tests/xml2xml/test-domain-xml
TESTS += tests/xml2xml/test-xml2xml tests/xml2xml/test-xml2cfg \
	tests/xml2xml/test-domain-xml
tests_xml2xml_test_xml2xml_CPPFLAGS = $(XML_TEST_CPPFLAGS)
tests_xml2xml_test_xml2xml_LDADD = $(XML_TEST_LIBS)
tests_xml2xml_test_xml2cfg_CPPFLAGS = $(XML_TEST_CPPFLAGS)
# Also links nimbus's VmConfig parser, to load every translated config.
tests_xml2xml_test_xml2cfg_LDADD = $(XML_TEST_LIBS) $(VMM_LIBS)
tests_xml2xml_test_domain_xml_CPPFLAGS = $(XML_TEST_CPPFLAGS)
tests_xml2xml_test_domain_xml_LDADD = $(XML_TEST_LIBS)

check_PROGRAMS += tests/xml2xml/test-cputune
TESTS += tests/xml2xml/test-cputune
tests_xml2xml_test_cputune_CPPFLAGS = $(XML_TEST_CPPFLAGS)
tests_xml2xml_test_cputune_LDADD = $(XML_TEST_LIBS)
check_PROGRAMS += tests/xml2xml/test-device-update
TESTS += tests/xml2xml/test-device-update
tests_xml2xml_test_device_update_CPPFLAGS = $(XML_TEST_CPPFLAGS)
tests_xml2xml_test_device_update_LDADD = $(XML_TEST_LIBS)

EXTRA_DIST += tests/xml2xml/in tests/xml2xml/out tests/xml2cfg/in \
	tests/xml2cfg/out

# Fuzz target over domain_def_parse_string() and domain_def_format().
FUZZ_TARGETS += tests/fuzz/fuzz-domain-xml
tests_fuzz_fuzz_domain_xml_CPPFLAGS = $(AM_CPPFLAGS) $(LIBXML_CFLAGS) \
	-DNIMBUS_SRC_SCHEMA_DIR=\"$(abs_top_srcdir)/xml-schemas\"
tests_fuzz_fuzz_domain_xml_LDADD = $(FUZZ_MAIN_LIB) $(DOMAINXML_LIBS)
tests_fuzz_fuzz_domain_xml_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/domain-xml tests/fuzz/domain-xml.dict

# <cpu><numa>, <numatune>, <memoryBacking> per NUMA cell (driver/xml/numa.c).
check_PROGRAMS += tests/xml2xml/test-numa-xml
TESTS += tests/xml2xml/test-numa-xml
tests_xml2xml_test_numa_xml_CPPFLAGS = $(XML_TEST_CPPFLAGS)
tests_xml2xml_test_numa_xml_LDADD = $(XML_TEST_LIBS) $(VMM_LIBS)

# <iommu model='virtio'> and <driver iommu='on'> (driver/xml/iommu.c).
check_PROGRAMS += tests/xml2xml/test-iommu-xml
TESTS += tests/xml2xml/test-iommu-xml
tests_xml2xml_test_iommu_xml_CPPFLAGS = $(XML_TEST_CPPFLAGS)
tests_xml2xml_test_iommu_xml_LDADD = $(XML_TEST_LIBS) $(VMM_LIBS)

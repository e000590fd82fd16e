# SPDX-License-Identifier: Apache-2.0
# driver/xml/: the libvirt domain XML model (parse, post-parse, validate,
# format, translation to VmConfig JSON).  Linked by nimbusd and its tests.
noinst_LIBRARIES += driver/xml/libdomainxml.a
driver_xml_libdomainxml_a_CPPFLAGS = $(AM_CPPFLAGS) $(LIBXML_CFLAGS) \
	-DG_LOG_DOMAIN=\"nimbusd-xml\" \
	-DNIMBUS_SCHEMA_DIR=\"$(pkgdatadir)/schemas\"
driver_xml_libdomainxml_a_SOURCES = \
	driver/drv-error.c driver/drv-error.h \
	driver/xml/domain-conf.h

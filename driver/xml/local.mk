# SPDX-License-Identifier: Apache-2.0
# driver/xml/: the libvirt domain XML model (parse, post-parse, validate,
# format, translation to VmConfig JSON).  Linked by nimbusd and its tests.
# The translation fills nimbus's VmConfig and serialises it with
# config/libvmconfig.a, hence that library in DOMAINXML_LIBS.
# Users link it with $(DOMAINXML_LIBS).
noinst_LIBRARIES += driver/xml/libdomainxml.a
driver_xml_libdomainxml_a_CPPFLAGS = $(AM_CPPFLAGS) $(LIBXML_CFLAGS) \
	-DG_LOG_DOMAIN=\"nimbusd-xml\" \
	-DNIMBUS_SCHEMA_DIR=\"$(pkgdatadir)/schemas\" \
	-DNIMBUS_ABS_TOP_SRCDIR=\"$(abs_top_srcdir)\" \
	-DNIMBUS_ABS_TOP_BUILDDIR=\"$(abs_top_builddir)\"
driver_xml_libdomainxml_a_SOURCES = \
	driver/drv-error.c driver/drv-error.h \
	driver/xml/domain-conf.h \
	driver/xml/domain-priv.h \
	driver/xml/xml-enum.h \
	driver/xml/xml-util.c driver/xml/xml-util.h \
	driver/xml/uuid.c \
	driver/xml/schema.c \
	driver/xml/unsupported.c \
	driver/xml/domain.c \
	driver/xml/device-info.c \
	driver/xml/os.c \
	driver/xml/cpu.c \
	driver/xml/cputune.c driver/xml/cputune.h \
	driver/xml/sysinfo.c \
	driver/xml/sysinfo-fwcfg.c \
	driver/xml/disk.c driver/xml/disk-volume.c driver/xml/disk-vhostuser.c \
	driver/xml/vhostuser.c \
	driver/xml/disk-iotune.c \
	driver/xml/disk-backing.c \
	driver/xml/disk-iotune-params.c driver/xml/disk-iotune-params.h \
	driver/xml/disk-source.c driver/xml/disk-source.h \
	driver/xml/net.c driver/xml/net-source.c driver/xml/net-vhostuser.c \
	driver/xml/net-bandwidth.c \
	driver/xml/net-bandwidth-params.c driver/xml/net-bandwidth-params.h \
	driver/xml/net-bandwidth-update.c \
	driver/xml/chr.c \
	driver/xml/rng.c \
	driver/xml/panic.c \
	driver/xml/shmem.c \
	driver/xml/watchdog.c \
	driver/xml/vsock.c \
	driver/xml/tpm.c \
	driver/xml/filesystem.c driver/xml/filesystem.h \
	driver/xml/iommu.c driver/xml/iommu.h \
	driver/xml/memory-backing.c driver/xml/memory-backing.h \
	driver/xml/memory.c driver/xml/memory-xml.h \
	driver/xml/numa.c driver/xml/numa.h \
	driver/xml/controller.c \
	driver/xml/memballoon.c \
	driver/xml/metadata.c \
	driver/xml/postparse.c \
	driver/xml/validate.c \
	driver/xml/format.c \
	driver/xml/vmconfig.c \
	driver/xml/device-xml.c driver/xml/device-xml.h \
	driver/xml/device-update.c driver/xml/device-update.h
# devices/libdevices.a: for device_registry_init(), which registers the
# config kinds (the balloon) that the VmConfig mapping builds through.
DOMAINXML_LIBS = driver/xml/libdomainxml.a devices/libdevices.a \
	config/libvmconfig.a common/libcommon.a $(LIBXML_LIBS) \
	$(JSON_GLIB_LIBS) $(GIO_LIBS) $(GLIB_LIBS) $(DEVICES_DEP_LIBS)

dist_doc_DATA += docs/xml-format.md

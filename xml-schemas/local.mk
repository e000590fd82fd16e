# SPDX-License-Identifier: Apache-2.0
# RelaxNG schemas for the domain XML nimbusd accepts.  Installed into
# $(pkgdatadir)/schemas, where driver/xml/schema.c looks for them unless
# NIMBUS_SCHEMA_DIR points elsewhere (the tests point it at this directory).
schemasdir = $(pkgdatadir)/schemas
dist_schemas_DATA = \
	xml-schemas/domain.rng \
	xml-schemas/basictypes.rng \
	xml-schemas/cputune.rng \
	xml-schemas/numa.rng \
	xml-schemas/sysinfo.rng \
	xml-schemas/memorybacking.rng
schemadevicesdir = $(pkgdatadir)/schemas/devices
dist_schemadevices_DATA = \
	xml-schemas/devices/common.rng \
	xml-schemas/devices/disk.rng \
	xml-schemas/devices/interface.rng \
	xml-schemas/devices/chr.rng \
	xml-schemas/devices/rng.rng \
	xml-schemas/devices/controller.rng \
	xml-schemas/devices/memballoon.rng \
	xml-schemas/devices/vsock.rng \
	xml-schemas/devices/panic.rng \
	xml-schemas/devices/shmem.rng \
	xml-schemas/devices/watchdog.rng \
	xml-schemas/devices/tpm.rng \
	xml-schemas/devices/memory.rng \
	xml-schemas/devices/filesystem.rng \
	xml-schemas/devices/iommu.rng

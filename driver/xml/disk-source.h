/* SPDX-License-Identifier: Apache-2.0 */
/* A disk's image file and format, found by target dev or source path. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/xml/domain-conf.h"

/**
 * domain_def_disk_image:
 * The image behind @def's disk @disk, named by its target dev ("vda") or
 * its source path, as libvirt's virDomainDiskByName matches it: the path
 * nimbus opens (a volume's resolved path) in @path and the format in
 * libvirt's words ("raw", "qcow2", "vpc", "vhdx") in @format, both
 * (transfer full).  Errors are libvirt's: INVALID_ARG for a disk @def
 * does not have, OPERATION_INVALID for one without a source,
 * OPERATION_UNSUPPORTED for a vhost-user disk (also found by its socket
 * path), whose image only its back end knows.
 */
bool domain_def_disk_image(const DomainDef *def, const char *disk,
                           char **path, char **format, GError **error);

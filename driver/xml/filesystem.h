/* SPDX-License-Identifier: Apache-2.0 */
/* <filesystem> (virtio-fs on a virtiofsd nimbusd starts): the calls outside driver/xml/. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/xml/domain-conf.h"

/* The <filesystem> devices of @def (each one virtiofsd and one "fs"
 * entry of nimbus's VmConfig). */
guint domain_def_fs_count(const DomainDef *def);

/* What nimbusd needs to start the virtiofsd of filesystem @i of @def:
 * its shared directory, its tag, and the virtiofsd binary the XML names
 * (<binary path>, or NULL: the host's).  (transfer none) */
const char *domain_def_fs_source(const DomainDef *def, guint i);
const char *domain_def_fs_tag(const DomainDef *def, guint i);
const char *domain_def_fs_binary(const DomainDef *def, guint i);

/* Sets virtiofsd's vhost-user socket of filesystem @i for a run (start,
 * attach-device): nimbus's --fs socket=. */
void domain_def_fs_set_socket(DomainDef *def, guint i, const char *socket);

/* The id nimbus knows filesystem @i by, and which names its virtiofsd's
 * files: its alias, else "fsN" by position (as libvirt names them).
 * (transfer full) */
char *domain_def_fs_vmm_id(const DomainDef *def, guint i);

/**
 * domain_def_fs_hotplug_body:
 * The body of vm.add-fs (CH's FsConfig) for filesystem @i of a running
 * definition, whose socket is set: written by nimbus's own serialiser,
 * as in vm.create.  (transfer full)
 */
char *domain_def_fs_hotplug_body(const DomainDef *def, guint i,
                                 GError **error);

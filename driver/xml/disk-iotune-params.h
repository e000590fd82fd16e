/* SPDX-License-Identifier: Apache-2.0 */
/* A disk's <iotune> as virDomain{Get,Set}BlockIoTune's typed parameters. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "driver/xml/domain-conf.h"

/* One parameter: a number (libvirt's ULLONG) or group_name's string. */
typedef struct {
    char *field;
    bool is_string;
    uint64_t ul;
    char *s;                    /* is_string only; NULL: unset */
} DomainIotuneParam;

void domain_iotune_param_free(DomainIotuneParam *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainIotuneParam, domain_iotune_param_free)

/* How many parameters domain_def_disk_iotune_get() returns. */
guint domain_iotune_nparams(void);

/**
 * domain_def_disk_iotune_get:
 * Every <iotune> parameter of @def's disk @disk (its target dev or its
 * source path), in libvirt's order, unset ones as 0 or "".
 * Returns: (transfer full) a GPtrArray of DomainIotuneParam, NULL with
 * @error set when @def has no such disk.
 */
GPtrArray *domain_def_disk_iotune_get(const DomainDef *def, const char *disk,
                                      GError **error);

/**
 * domain_def_with_disk_iotune:
 * A copy of @def whose disk @disk has the @n parameters @params set (the
 * others keep their values; the other disks of its group follow, as
 * libvirt keeps a group's limits equal), checked as define checks it:
 * unknown names, wrong types and limits nimbus cannot honour are refused
 * by name.
 * Returns: (transfer full) the new definition, NULL with @error set.
 */
DomainDef *domain_def_with_disk_iotune(const DomainDef *def, const char *disk,
                                       const DomainIotuneParam *params,
                                       guint n, GError **error);

/**
 * domain_def_disk_iotune_set:
 * Sets the @n parameters @params of @def's disk @disk in place, and the
 * same limits on the other disks of its group.  Nothing changes when it
 * fails, but a success is not checked against the whole definition: use
 * it on a definition for which domain_def_with_disk_iotune() succeeded.
 */
bool domain_def_disk_iotune_set(DomainDef *def, const char *disk,
                                const DomainIotuneParam *params, guint n,
                                GError **error);

/**
 * domain_def_disk_iotune_live_body:
 * The body of nimbus's PUT vm.nimbus-update-rate-limiter that gives a
 * running domain defined by @old the limits of disk @disk in @new: the
 * disk's own limiter, or its group's.  A change of group cannot be made
 * to a running disk (nimbus ties a disk to its group at creation) and is
 * refused.
 * Returns: (transfer full) a JSON object, NULL with @error set.
 */
char *domain_def_disk_iotune_live_body(const DomainDef *old,
                                       const DomainDef *new,
                                       const char *disk, GError **error);

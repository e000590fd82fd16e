/* SPDX-License-Identifier: Apache-2.0 */
/* DrvDomainList: the domains, by name and uuid (self-locking). */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/domain.h"

typedef struct DrvDomainList DrvDomainList;

DrvDomainList *drv_domain_list_new(void);
void drv_domain_list_free(DrvDomainList *list);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DrvDomainList, drv_domain_list_free)

/* Lookups return a reference (transfer full), or NULL. */
DrvDomainObj *drv_domain_list_find_by_uuid(DrvDomainList *list,
                                           const unsigned char uuid[16]);
DrvDomainObj *drv_domain_list_find_by_name(DrvDomainList *list, const char *name);
/* Only running domains have an id. */
DrvDomainObj *drv_domain_list_find_by_id(DrvDomainList *list, int id);

/**
 * drv_domain_list_claim:
 * Finds the domain @def describes (same uuid and name), or adds a new,
 * empty one for it (@created set).  A domain with the same uuid and another
 * name, or the same name and another uuid, is an OPERATION_FAILED error, as
 * in libvirt.  The object comes back locked (transfer full), so that a new
 * one is never seen before its caller filled it.
 */
DrvDomainObj *drv_domain_list_claim(DrvDomainList *list, const DomainDef *def,
                                    bool *created, GError **error);

/* Called by drv_domain_list_rename() with the list lock and the object's
 * lock held: the fallible part of a rename.  false (with @error): the
 * domain keeps its name. */
typedef bool (*DrvDomainListRenameFunc)(DrvDomainObj *obj, gpointer data,
                                        GError **error);

/**
 * drv_domain_list_rename:
 * Gives @obj (unlocked; the caller holds its job) the name @new_name,
 * after @commit succeeded: OPERATION_INVALID when another domain has that
 * name, and then @commit is not called.
 */
bool drv_domain_list_rename(DrvDomainList *list, DrvDomainObj *obj,
                            const char *new_name, DrvDomainListRenameFunc commit,
                            gpointer data, GError **error);
/* Removes @obj (locked by the caller) and marks it removed. */
void drv_domain_list_remove_locked(DrvDomainList *list, DrvDomainObj *obj);

/* A snapshot of every domain (references), sorted by name. */
GPtrArray *drv_domain_list_collect(DrvDomainList *list);

/* SPDX-License-Identifier: Apache-2.0 */
/* DrvDomainList: the domains, by name and uuid (self-locking). */
#include <config.h>

#include <string.h>

#include "driver/domain-list.h"

struct DrvDomainList {
    GMutex lock;
    GHashTable *by_uuid;    /* 16-byte key (the obj's own uuid) -> obj (ref) */
    GHashTable *by_name;    /* obj->name -> obj (borrowed from by_uuid) */
};

static guint
uuid_hash(gconstpointer key)
{
    guint h;

    /* A uuid is random already: its first bytes are a good hash. */
    memcpy(&h, key, sizeof(h));
    return h;
}

static gboolean
uuid_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, 16) == 0;
}

DrvDomainList *
drv_domain_list_new(void)
{
    DrvDomainList *list = g_new0(DrvDomainList, 1);

    g_mutex_init(&list->lock);
    list->by_uuid = g_hash_table_new_full(uuid_hash, uuid_equal, NULL,
                                          (GDestroyNotify)drv_domain_obj_unref);
    list->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    return list;
}

void
drv_domain_list_free(DrvDomainList *list)
{
    if (!list)
        return;
    g_hash_table_unref(list->by_name);
    g_hash_table_unref(list->by_uuid);
    g_mutex_clear(&list->lock);
    g_free(list);
}

static DrvDomainObj *
drv_domain_list_ref_or_null(DrvDomainObj *obj)
{
    return obj ? drv_domain_obj_ref(obj) : NULL;
}

DrvDomainObj *
drv_domain_list_find_by_uuid(DrvDomainList *list, const unsigned char uuid[16])
{
    DrvDomainObj *obj;

    g_mutex_lock(&list->lock);
    obj = drv_domain_list_ref_or_null(g_hash_table_lookup(list->by_uuid, uuid));
    g_mutex_unlock(&list->lock);
    return obj;
}

DrvDomainObj *
drv_domain_list_find_by_name(DrvDomainList *list, const char *name)
{
    DrvDomainObj *obj;

    g_mutex_lock(&list->lock);
    obj = drv_domain_list_ref_or_null(g_hash_table_lookup(list->by_name, name));
    g_mutex_unlock(&list->lock);
    return obj;
}

DrvDomainObj *
drv_domain_list_find_by_id(DrvDomainList *list, int id)
{
    GHashTableIter it;
    gpointer value;
    DrvDomainObj *found = NULL;

    if (id < 0)
        return NULL;
    g_mutex_lock(&list->lock);
    g_hash_table_iter_init(&it, list->by_uuid);
    while (!found && g_hash_table_iter_next(&it, NULL, &value)) {
        DrvDomainObj *obj = value;

        drv_domain_obj_lock(obj);
        if (obj->id == id)
            found = drv_domain_obj_ref(obj);
        drv_domain_obj_unlock(obj);
    }
    g_mutex_unlock(&list->lock);
    return found;
}

DrvDomainObj *
drv_domain_list_claim(DrvDomainList *list, const DomainDef *def, bool *created,
                      GError **error)
{
    DrvDomainObj *obj;
    char uuidstr[37];

    g_mutex_lock(&list->lock);
    obj = g_hash_table_lookup(list->by_uuid, def->uuid);
    if (obj && strcmp(obj->name, def->name) != 0) {
        domain_uuid_format(obj->uuid, uuidstr);
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "domain '%s' is already defined with uuid %s",
                    obj->name, uuidstr);
        g_mutex_unlock(&list->lock);
        return NULL;
    }
    if (!obj) {
        DrvDomainObj *other = g_hash_table_lookup(list->by_name, def->name);

        if (other) {
            domain_uuid_format(other->uuid, uuidstr);
            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                        "domain '%s' already exists with uuid %s",
                        def->name, uuidstr);
            g_mutex_unlock(&list->lock);
            return NULL;
        }
        obj = drv_domain_obj_new(def);
        g_hash_table_insert(list->by_uuid, obj->uuid, obj);
        g_hash_table_insert(list->by_name, obj->name, obj);
        *created = true;
    } else {
        *created = false;
    }
    drv_domain_obj_ref(obj);
    drv_domain_obj_lock(obj);
    g_mutex_unlock(&list->lock);
    return obj;
}

void
drv_domain_list_remove_locked(DrvDomainList *list, DrvDomainObj *obj)
{
    /* Lock order is list -> object (find_by_id and claim lock objects
     * under the list lock): drop the object lock while taking the list
     * lock.  `removed` is set first, so a job that starts in between
     * fails with NO_DOMAIN. */
    obj->removed = true;
    drv_domain_obj_ref(obj);
    drv_domain_obj_unlock(obj);
    g_mutex_lock(&list->lock);
    if (g_hash_table_lookup(list->by_uuid, obj->uuid) == obj) {
        g_hash_table_remove(list->by_name, obj->name);
        g_hash_table_remove(list->by_uuid, obj->uuid);
    }
    g_mutex_unlock(&list->lock);
    drv_domain_obj_lock(obj);
    drv_domain_obj_unref(obj);
}

bool
drv_domain_list_rename(DrvDomainList *list, DrvDomainObj *obj,
                       const char *new_name, DrvDomainListRenameFunc commit,
                       gpointer data, GError **error)
{
    bool ok = false;

    g_mutex_lock(&list->lock);
    if (g_hash_table_contains(list->by_name, new_name)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "domain with name '%s' already exists", new_name);
        g_mutex_unlock(&list->lock);
        return false;
    }
    drv_domain_obj_lock(obj);
    if (obj->removed) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN,
                    "no domain with matching name '%s'", obj->name);
    } else if (commit(obj, data, error)) {
        g_hash_table_remove(list->by_name, obj->name);
        obj->old_names = g_slist_prepend(obj->old_names, obj->name);
        obj->name = g_strdup(new_name);
        g_hash_table_insert(list->by_name, obj->name, obj);
        ok = true;
    }
    drv_domain_obj_unlock(obj);
    g_mutex_unlock(&list->lock);
    return ok;
}

static gint
compare_by_name(gconstpointer a, gconstpointer b)
{
    const DrvDomainObj *x = *(DrvDomainObj *const *)a;
    const DrvDomainObj *y = *(DrvDomainObj *const *)b;

    return strcmp(x->name, y->name);
}

GPtrArray *
drv_domain_list_collect(DrvDomainList *list)
{
    GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)drv_domain_obj_unref);
    GHashTableIter it;
    gpointer value;

    g_mutex_lock(&list->lock);
    g_hash_table_iter_init(&it, list->by_uuid);
    while (g_hash_table_iter_next(&it, NULL, &value))
        g_ptr_array_add(all, drv_domain_obj_ref(value));
    g_mutex_unlock(&list->lock);
    g_ptr_array_sort(all, compare_by_name);
    return all;
}

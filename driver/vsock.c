/* SPDX-License-Identifier: Apache-2.0 */
/* Guest CIDs and host sockets of running domains' <vsock> devices. */
#include <config.h>

#include "driver/conf.h"
#include "driver/vsock.h"

/*
 * With CH's hybrid vsock the host side is a UNIX socket, so CIDs never
 * meet in the host kernel; they are kept unique anyway, as libvirt does,
 * because guests and tools use them to name a VM.  The table lives in
 * the driver (driver->vsock_cids, under driver->lock): a start would
 * otherwise have to lock every other domain to read its live XML.
 */

static GHashTable *
vsock_table_locked(DrvDriver *driver)
{
    if (!driver->vsock_cids)
        driver->vsock_cids = g_hash_table_new_full(g_direct_hash,
                                                   g_direct_equal, NULL,
                                                   g_free);
    return driver->vsock_cids;
}

/* Whether @cid is free for @name. */
static bool
vsock_cid_free_locked(GHashTable *t, uint32_t cid, const char *name,
                      const char **owner)
{
    *owner = g_hash_table_lookup(t, GUINT_TO_POINTER(cid));
    return !*owner || g_str_equal(*owner, name);
}

bool
drv_vsock_prepare(DrvDriver *driver, const char *name, DomainDef *def,
                  GError **error)
{
    g_autofree char *socket = NULL;
    const char *owner = NULL;
    uint32_t cid = 0;
    bool cid_auto = false;
    GHashTable *t;

    if (!domain_def_vsock_get(def, &cid, &cid_auto))
        return true;
    g_mutex_lock(&driver->lock);
    t = vsock_table_locked(driver);
    if (!cid || !vsock_cid_free_locked(t, cid, name, &owner)) {
        if (!cid_auto) {
            g_mutex_unlock(&driver->lock);
            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                        "vsock: guest CID %u is already used by domain '%s'",
                        cid, owner);
            return false;
        }
        for (cid = DOMAIN_VSOCK_MIN_CID; cid < DOMAIN_VSOCK_MAX_CID &&
             !vsock_cid_free_locked(t, cid, name, &owner); cid++)
            ;
        if (!vsock_cid_free_locked(t, cid, name, &owner)) {
            g_mutex_unlock(&driver->lock);
            g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                                "vsock: no free guest CID left");
            return false;
        }
    }
    g_hash_table_insert(t, GUINT_TO_POINTER(cid), g_strdup(name));
    g_mutex_unlock(&driver->lock);
    socket = drv_config_state_path(driver->config, name, ".vsock");
    domain_def_vsock_set(def, cid, socket);
    return true;
}

static gboolean
vsock_owned_by(gpointer key, gpointer value, gpointer name)
{
    return g_str_equal(value, name);
}

void
drv_vsock_release(DrvDriver *driver, const char *name)
{
    g_mutex_lock(&driver->lock);
    if (driver->vsock_cids)
        g_hash_table_foreach_remove(driver->vsock_cids, vsock_owned_by,
                                    (gpointer)name);
    g_mutex_unlock(&driver->lock);
}

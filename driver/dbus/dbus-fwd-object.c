/* SPDX-License-Identifier: Apache-2.0 */
/* libvirtd's objects on D-Bus: one accessor per kind (network, pool, ...). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "driver/dbus/dbus-fwd-object.h"

gpointer
dbus_fwd_object_from_path(DbusService *svc, const DbusFwdKind *kind,
                          const char *path, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, kind->fwd_kind, error);
    size_t len = strlen(kind->prefix);
    unsigned char uuid[16];
    g_autofree char *str = NULL;
    bool named;
    gpointer obj;

    if (!conn)
        return NULL;
    /* The node follows the prefix and one '/'. */
    named = g_str_has_prefix(path, kind->prefix) && path[len] == '/';
    if (named && kind->lookup_uuid)
        named = dbus_domain_node_parse(path + len + 1, uuid);
    else if (named)
        named = (str = dbus_decode_str(path + len + 1)) && *str;
    if (!named) {
        g_set_error_literal(error, DRV_RELAYED_ERROR,
                            DRV_RELAYED_CODE(kind->err_domain,
                                             kind->err_code),
                            kind->not_found);
        return NULL;
    }
    obj = kind->lookup_uuid ? kind->lookup_uuid(conn, uuid)
                            : kind->lookup_str(conn, str);
    if (!obj)
        drv_forward_set_error(error);
    return obj;
}

GVariant *
dbus_fwd_unit(int rc, GError **error)
{
    if (rc < 0) {
        drv_forward_set_error(error);
        return NULL;
    }
    return g_variant_new("()");
}

GVariant *
dbus_fwd_string(char *s, GError **error)
{
    GVariant *reply;

    if (!s) {
        drv_forward_set_error(error);
        return NULL;
    }
    reply = g_variant_new("(s)", s);
    free(s);        /* libvirt's allocation */
    return reply;
}

GVariant *
dbus_fwd_bool(int v, GError **error)
{
    if (v < 0) {
        drv_forward_set_error(error);
        return NULL;
    }
    return g_variant_new_boolean(v != 0);
}

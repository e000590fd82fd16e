/* SPDX-License-Identifier: Apache-2.0 */
/* Object paths of domains, and libvirt's errors as org.libvirt.Error. */
#include <config.h>

#include <string.h>

#include "driver/dbus/dbus-priv.h"
#include "driver/rpc/rpc-error.h"
#include "driver/snapshot.h"

/* libvirt-dbus registers this one name for every libvirt failure; clients
 * read the message only (cockpit-machines: startsWith("Domain not found")). */
#define DBUS_ERROR_NAME "org.libvirt.Error"

void
dbus_domain_node(const unsigned char uuid[16], char out[DBUS_UUID_NODE_LEN + 1])
{
    /* A D-Bus path element allows [A-Za-z0-9_] only: libvirt-dbus writes
     * "_" and the UUID string with its dashes turned into "_". */
    out[0] = '_';
    domain_uuid_format(uuid, out + 1);
    for (char *p = out + 1; *p; p++) {
        if (*p == '-')
            *p = '_';
    }
}

char *
dbus_domain_path(const unsigned char uuid[16])
{
    char node[DBUS_UUID_NODE_LEN + 1];

    dbus_domain_node(uuid, node);
    return g_strconcat(DBUS_DOMAIN_PATH "/", node, NULL);
}

/* The reverse of dbus_domain_node(); also the node of networks and
 * pools. */
bool
dbus_domain_node_parse(const char *node, unsigned char uuid[16])
{
    char str[DBUS_UUID_NODE_LEN];

    if (strlen(node) != DBUS_UUID_NODE_LEN || node[0] != '_')
        return false;
    memcpy(str, node + 1, DBUS_UUID_NODE_LEN - 1);
    str[DBUS_UUID_NODE_LEN - 1] = '\0';
    for (char *p = str; *p; p++) {
        if (*p == '_')
            *p = '-';
    }
    return domain_uuid_parse(str, uuid);
}

DrvDomainObj *
dbus_domain_from_path(DbusService *svc, const char *path, GError **error)
{
    const char *prefix = DBUS_DOMAIN_PATH "/";
    unsigned char uuid[16];
    DrvDomainObj *obj = NULL;

    if (g_str_has_prefix(path, prefix) &&
        dbus_domain_node_parse(path + strlen(prefix), uuid))
        obj = drv_domain_list_find_by_uuid(svc->driver->domains, uuid);
    if (!obj) {
        /* The path is the caller's: it is not repeated (it may be huge,
         * and libvirt-dbus's message carries no name either). */
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN,
                            "no domain with matching object path");
    }
    return obj;
}

char *
dbus_encode_str(const char *s)
{
    static const char hex[] = "0123456789abcdef";
    GString *out = g_string_sized_new(strlen(s) * 3 + 1);

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (g_ascii_isalnum(*p)) {
            g_string_append_c(out, (char)*p);
        } else {
            g_string_append_c(out, '_');
            g_string_append_c(out, hex[*p >> 4]);
            g_string_append_c(out, hex[*p & 0xf]);
        }
    }
    return g_string_free(out, FALSE);
}

char *
dbus_decode_str(const char *s)
{
    g_autoptr(GString) out = g_string_sized_new(strlen(s) + 1);

    /* Stricter than libvirt-dbus's decoder (which passes a stray "_"
     * through): a path element is the caller's, and only our own
     * encoding can name an existing object. */
    for (const char *p = s; *p; p++) {
        int hi, lo;

        if (*p != '_') {
            if (!g_ascii_isalnum(*p))
                return NULL;
            g_string_append_c(out, *p);
            continue;
        }
        hi = g_ascii_xdigit_value(p[1]);
        lo = hi < 0 ? -1 : g_ascii_xdigit_value(p[2]);
        if (lo < 0 || (hi | lo) == 0 || g_ascii_isupper(p[1]) ||
            g_ascii_isupper(p[2]))
            return NULL;
        g_string_append_c(out, (char)(hi << 4 | lo));
        p += 2;
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

char *
dbus_snapshot_path(const unsigned char uuid[16], const char *name)
{
    char node[DBUS_UUID_NODE_LEN + 1];
    g_autofree char *enc = dbus_encode_str(name);

    /* libvirt-dbus: "<domainsnapshot>/<domain node>_<encoded name>". */
    dbus_domain_node(uuid, node);
    return g_strconcat(DBUS_SNAPSHOT_PATH "/", node, "_", enc, NULL);
}

DrvDomainObj *
dbus_snapshot_from_path(DbusService *svc, const char *path, char **name,
                        GError **error)
{
    const char *prefix = DBUS_SNAPSHOT_PATH "/";
    const char *leaf = g_str_has_prefix(path, prefix) ?
                       path + strlen(prefix) : "";
    char node[DBUS_UUID_NODE_LEN + 1];
    unsigned char uuid[16];
    g_autoptr(DrvDomainObj) obj = NULL;
    g_autofree char *decoded = NULL;

    if (strlen(leaf) > DBUS_UUID_NODE_LEN + 1 &&
        leaf[DBUS_UUID_NODE_LEN] == '_') {
        memcpy(node, leaf, DBUS_UUID_NODE_LEN);
        node[DBUS_UUID_NODE_LEN] = '\0';
        if (dbus_domain_node_parse(node, uuid))
            obj = drv_domain_list_find_by_uuid(svc->driver->domains, uuid);
    }
    if (!obj) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN,
                            "no domain with matching object path");
        return NULL;
    }
    decoded = dbus_decode_str(leaf + DBUS_UUID_NODE_LEN + 1);
    if (!decoded) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN_SNAPSHOT,
                            "no domain snapshot with matching object path");
        return NULL;
    }
    if (!drv_snapshot_lookup(svc->driver, obj, decoded, error))
        return NULL;
    *name = g_steal_pointer(&decoded);
    return g_steal_pointer(&obj);
}

void
dbus_set_error_no_support(GDBusInterfaceInfo *iface, const char *member,
                          GError **error)
{
    GDBusMethodInfo *m = g_dbus_interface_info_lookup_method(iface, member);
    GDBusPropertyInfo *p = g_dbus_interface_info_lookup_property(iface, member);
    GDBusAnnotationInfo **ann = m ? m->annotations : p ? p->annotations : NULL;
    const char *doc = g_dbus_annotation_info_lookup(ann, "org.gtk.GDBus.DocString");
    const char *api = doc ? strchr(doc, '#') : NULL;
    g_autofree char *name = NULL;

    /* DocStrings read "See https://libvirt.org/html/...#virDomainFoo": the
     * fragment is the libvirt API the member wraps. */
    if (api) {
        api++;
        name = g_strndup(api, strspn(api, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "abcdefghijklmnopqrstuvwxyz0123456789"));
    }
    g_set_error(error, DRV_ERROR, DRV_ERROR_NO_SUPPORT, "%s",
                name && *name ? name : member);
}

void
dbus_return_error(GDBusMethodInvocation *inv, const GError *err)
{
    g_autofree char *message = NULL;
    int code;
    int domain;

    /* The same text the RPC layer sends (prefix by code), so that a
     * failure reads the same through ch:/// and through D-Bus. */
    rpc_error_fields(err, &code, &domain, &message);
    g_dbus_method_invocation_return_dbus_error(inv, DBUS_ERROR_NAME, message);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The org.libvirt service: interface XML, bus, name, call dispatch, events. */
#include <config.h>

#include <string.h>

#include "common/build-tree.h"
#include "driver/compat.h"
#include "driver/dbus/dbus-priv.h"

#ifndef NIMBUS_DBUS_INTERFACES_DIR
#error "NIMBUS_DBUS_INTERFACES_DIR must name the installed interface directory"
#endif

/* libvirt-dbus answers with 4 worker threads (its -t default): calls that
 * start or stop a domain wait for the VMM, and must not hold up the main
 * loop, which also serves the RPC sockets and the VMM event streams. */
#define DBUS_WORKERS 4

/* One call, handed from the main loop to a worker. */
typedef struct {
    const DbusInterfaceImpl *impl;
    GDBusInterfaceInfo *iface;
    GDBusMethodInvocation *inv;     /* owned until the reply */
} DbusCall;

/* ---- interface XML ------------------------------------------------------- */

/*
 * libvirt-dbus reads its introspection data at run time from the installed
 * XML, so the XML is exactly what is served and GDBus checks every incoming
 * signature against it.  We do the same with our copy of that XML.
 */
static GDBusNodeInfo *
dbus_load_interface(const char *name, GError **error)
{
    const char *env = g_getenv("NIMBUS_DBUS_INTERFACES_DIR");
    const char *dir = env && *env ? env :
                      build_tree_running_uninstalled(NIMBUS_ABS_TOP_BUILDDIR) ?
                      NIMBUS_ABS_TOP_SRCDIR "/data/dbus/interfaces" :
                      NIMBUS_DBUS_INTERFACES_DIR;
    g_autofree char *file = g_strconcat(name, ".xml", NULL);
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autofree char *xml = NULL;
    GDBusNodeInfo *node;

    if (!g_file_get_contents(path, &xml, NULL, error))
        return NULL;
    node = g_dbus_node_info_new_for_xml(xml, error);
    if (!node)
        return NULL;
    if (!g_dbus_node_info_lookup_interface(node, name)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "'%s' does not describe interface '%s'", path, name);
        g_dbus_node_info_unref(node);
        return NULL;
    }
    return node;
}

/* ---- dispatch (worker threads) ------------------------------------------- */

static const DbusMethod *
dbus_find_method(const DbusInterfaceImpl *impl, const char *name)
{
    for (gsize i = 0; i < impl->n_methods; i++) {
        if (g_str_equal(impl->methods[i].name, name))
            return &impl->methods[i];
    }
    for (const DbusMethod *m = impl->more_methods; m && m->name; m++) {
        if (g_str_equal(m->name, name))
            return m;
    }
    return NULL;
}

static const DbusProperty *
dbus_find_property(const DbusInterfaceImpl *impl, const char *name)
{
    for (gsize i = 0; i < impl->n_props; i++) {
        if (g_str_equal(impl->props[i].name, name))
            return &impl->props[i];
    }
    return NULL;
}

static GVariant *
dbus_get_property(DbusService *svc, const DbusCall *c, const char *path,
                  const char *name, GError **error)
{
    const DbusProperty *p = dbus_find_property(c->impl, name);

    if (!p || !p->get) {
        dbus_set_error_no_support(c->iface, name, error);
        return NULL;
    }
    return p->get(svc, path, error);
}

/*
 * GetAll as libvirt-dbus answers it: each value wrapped in a second
 * variant (<<true>>, which cockpit-machines reads as .v.v), and a property
 * whose getter fails left out rather than failing the call.
 */
static GVariant *
dbus_get_all(DbusService *svc, const DbusCall *c, const char *path)
{
    GVariantBuilder b;

    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    for (GDBusPropertyInfo **p = c->iface->properties; p && *p; p++) {
        g_autoptr(GError) error = NULL;
        GVariant *v = dbus_get_property(svc, c, path, (*p)->name, &error);

        if (v)
            g_variant_builder_add(&b, "{sv}", (*p)->name, g_variant_new_variant(v));
    }
    return g_variant_new("(a{sv})", &b);
}

static GVariant *
dbus_properties_call(DbusService *svc, const DbusCall *c, const char *path,
                     const char *method, GVariant *args, GError **error)
{
    const char *name;
    g_autoptr(GVariant) value = NULL;
    const DbusProperty *p;
    GVariant *v;

    if (g_str_equal(method, "GetAll"))
        return dbus_get_all(svc, c, path);
    if (g_str_equal(method, "Get")) {
        g_variant_get(args, "(&s&s)", NULL, &name);
        /* Get answers a plain (v), as libvirt-dbus's. */
        v = dbus_get_property(svc, c, path, name, error);
        return v ? g_variant_new("(v)", v) : NULL;
    }
    /* Set: GDBus checked that the property exists, is writable and that
     * the value has the XML's type. */
    g_variant_get(args, "(&s&sv)", NULL, &name, &value);
    p = dbus_find_property(c->impl, name);
    if (!p || !p->set) {
        dbus_set_error_no_support(c->iface, name, error);
        return NULL;
    }
    return p->set(svc, path, value, error) ? g_variant_new("()") : NULL;
}

static void
dbus_call_worker(gpointer data, gpointer user_data)
{
    DbusCall *c = data;
    DbusService *svc = user_data;
    GDBusMethodInvocation *inv = c->inv;
    const char *path = g_dbus_method_invocation_get_object_path(inv);
    const char *method = g_dbus_method_invocation_get_method_name(inv);
    GVariant *args = g_dbus_method_invocation_get_parameters(inv);
    g_autoptr(GError) error = NULL;
    GVariant *reply;

    if (g_str_equal(g_dbus_method_invocation_get_interface_name(inv),
                    "org.freedesktop.DBus.Properties")) {
        reply = dbus_properties_call(svc, c, path, method, args, &error);
    } else {
        const DbusMethod *m = dbus_find_method(c->impl, method);

        if (m) {
            reply = m->call(svc, path, args, &error);
        } else {
            /* Declared by libvirt-dbus, not (yet) done by nimbusd: the
             * error libvirt gives for a driver without the API. */
            dbus_set_error_no_support(c->iface, method, &error);
            reply = NULL;
        }
    }
    /* Either reply consumes the invocation. */
    if (reply)
        g_dbus_method_invocation_return_value(inv, reply);
    else
        dbus_return_error(inv, error);
    g_free(c);
}

/* ---- GDBus callbacks (main thread) --------------------------------------- */

static const DbusInterfaceImpl *
dbus_impl_for(DbusService *svc, const char *name, GDBusInterfaceInfo **iface)
{
    if (g_str_equal(name, dbus_connect_impl.name)) {
        *iface = g_dbus_node_info_lookup_interface(svc->connect_node, name);
        return &dbus_connect_impl;
    }
    if (g_str_equal(name, dbus_domain_impl.name)) {
        *iface = g_dbus_node_info_lookup_interface(svc->domain_node, name);
        return &dbus_domain_impl;
    }
    if (g_str_equal(name, dbus_snapshot_impl.name)) {
        *iface = g_dbus_node_info_lookup_interface(svc->snapshot_node, name);
        return &dbus_snapshot_impl;
    }
    if (g_str_equal(name, dbus_network_impl.name)) {
        *iface = g_dbus_node_info_lookup_interface(svc->network_node, name);
        return &dbus_network_impl;
    }
    if (g_str_equal(name, dbus_pool_impl.name)) {
        *iface = g_dbus_node_info_lookup_interface(svc->pool_node, name);
        return &dbus_pool_impl;
    }
    if (g_str_equal(name, dbus_vol_impl.name)) {
        *iface = g_dbus_node_info_lookup_interface(svc->vol_node, name);
        return &dbus_vol_impl;
    }
    if (g_str_equal(name, dbus_iface_impl.name)) {
        *iface = g_dbus_node_info_lookup_interface(svc->iface_node, name);
        return &dbus_iface_impl;
    }
    if (g_str_equal(name, dbus_nodedev_impl.name)) {
        *iface = g_dbus_node_info_lookup_interface(svc->nodedev_node, name);
        return &dbus_nodedev_impl;
    }
    return NULL;
}

static void
dbus_method_call(GDBusConnection *conn, const char *sender, const char *path,
                 const char *iface_name, const char *method, GVariant *args,
                 GDBusMethodInvocation *inv, gpointer data)
{
    DbusService *svc = data;
    g_autoptr(GError) error = NULL;
    const char *target = iface_name;
    DbusCall *c = g_new0(DbusCall, 1);

    /* With no get/set_property in the vtable, GDBus hands Properties calls
     * here (it checked the property exists): their first argument names
     * the interface. */
    if (g_str_equal(iface_name, "org.freedesktop.DBus.Properties"))
        g_variant_get_child(args, 0, "&s", &target);
    dbus_listeners_note_call(svc, sender, path);
    c->impl = dbus_impl_for(svc, target, &c->iface);
    c->inv = inv;
    if (!c->impl) {
        g_dbus_method_invocation_return_error(inv, G_DBUS_ERROR,
                                              G_DBUS_ERROR_UNKNOWN_INTERFACE,
                                              "No such interface '%s'", target);
        g_free(c);
        return;
    }
    if (!g_thread_pool_push(svc->pool, c, &error)) {
        dbus_return_error(inv, error);
        g_free(c);
    }
}

static const GDBusInterfaceVTable dbus_vtable = {
    .method_call = dbus_method_call,
};

/* Children of /org/libvirt/CH/domain: one node per domain. */
static char **
dbus_domain_enumerate(GDBusConnection *conn, const char *sender,
                      const char *path, gpointer data)
{
    DbusService *svc = data;
    g_autoptr(GPtrArray) list = drv_domain_list_collect(svc->driver->domains);
    GPtrArray *names = g_ptr_array_new();

    for (guint i = 0; i < list->len; i++) {
        char *node = g_new0(char, DBUS_UUID_NODE_LEN + 1);

        dbus_domain_node(((DrvDomainObj *)g_ptr_array_index(list, i))->uuid, node);
        g_ptr_array_add(names, node);
    }
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}

static GDBusInterfaceInfo **
dbus_domain_introspect(GDBusConnection *conn, const char *sender,
                       const char *path, const char *node, gpointer data)
{
    DbusService *svc = data;
    GDBusInterfaceInfo **ifaces;

    /* The subtree root itself is only a parent. */
    if (!node)
        return NULL;
    ifaces = g_new0(GDBusInterfaceInfo *, 2);
    ifaces[0] = g_dbus_interface_info_ref(
        g_dbus_node_info_lookup_interface(svc->domain_node, dbus_domain_impl.name));
    return ifaces;
}

static const GDBusInterfaceVTable *
dbus_domain_dispatch(GDBusConnection *conn, const char *sender,
                     const char *path, const char *iface, const char *node,
                     gpointer *out_data, gpointer data)
{
    /* Every node, known or not (DISPATCH_TO_UNENUMERATED_NODES): a path
     * that names no domain is answered "Domain not found" by the call. */
    *out_data = data;
    return node ? &dbus_vtable : NULL;
}

static const GDBusSubtreeVTable dbus_domain_subtree = {
    .enumerate = dbus_domain_enumerate,
    .introspect = dbus_domain_introspect,
    .dispatch = dbus_domain_dispatch,
};

/* Children of /org/libvirt/CH/domainsnapshot: one node per snapshot of
 * each domain, named as libvirt-dbus names them. */
static char **
dbus_snapshot_subtree_enumerate(GDBusConnection *conn, const char *sender,
                                const char *path, gpointer data)
{
    return dbus_snapshot_enumerate(data);
}

static GDBusInterfaceInfo **
dbus_snapshot_introspect(GDBusConnection *conn, const char *sender,
                         const char *path, const char *node, gpointer data)
{
    DbusService *svc = data;
    GDBusInterfaceInfo **ifaces;

    if (!node)
        return NULL;
    ifaces = g_new0(GDBusInterfaceInfo *, 2);
    ifaces[0] = g_dbus_interface_info_ref(
        g_dbus_node_info_lookup_interface(svc->snapshot_node,
                                          dbus_snapshot_impl.name));
    return ifaces;
}

static const GDBusSubtreeVTable dbus_snapshot_subtree = {
    .enumerate = dbus_snapshot_subtree_enumerate,
    .introspect = dbus_snapshot_introspect,
    /* As domains: an unknown node answers "not found" from the call. */
    .dispatch = dbus_domain_dispatch,
};

/*
 * Children of network/, storagepool/, storagevol/, interface/ and
 * nodedev/: libvirtd's objects.
 * Listing them takes a round trip to libvirtd, which must not run on the
 * main loop (it serves the RPC sockets and the VMMs' events), so the
 * subtrees enumerate nothing; every node is dispatched, and a call on one
 * that libvirtd does not know answers its "not found" error.
 */
static char **
dbus_fwd_enumerate(GDBusConnection *conn, const char *sender,
                   const char *path, gpointer data)
{
    return g_new0(char *, 1);
}

static GDBusInterfaceInfo **
dbus_fwd_introspect(GDBusConnection *conn, const char *sender,
                    const char *path, const char *node, gpointer data)
{
    DbusService *svc = data;
    /* GDBus passes the subtree's path when introspecting, the called
     * object's when dispatching: compare prefixes. */
    GDBusNodeInfo *info = g_str_has_prefix(path, DBUS_NETWORK_PATH) ?
                          svc->network_node :
                          g_str_has_prefix(path, DBUS_POOL_PATH) ?
                          svc->pool_node :
                          g_str_has_prefix(path, DBUS_IFACE_PATH) ?
                          svc->iface_node :
                          g_str_has_prefix(path, DBUS_NODEDEV_PATH) ?
                          svc->nodedev_node : svc->vol_node;
    GDBusInterfaceInfo **ifaces;

    if (!node)
        return NULL;
    ifaces = g_new0(GDBusInterfaceInfo *, 2);
    ifaces[0] = g_dbus_interface_info_ref(info->interfaces[0]);
    return ifaces;
}

static const GDBusSubtreeVTable dbus_fwd_subtree = {
    .enumerate = dbus_fwd_enumerate,
    .introspect = dbus_fwd_introspect,
    .dispatch = dbus_domain_dispatch,
};

static void
dbus_unregister(DbusService *svc)
{
    g_atomic_int_set(&svc->serving, 0);
    if (svc->connect_reg)
        g_dbus_connection_unregister_object(svc->conn, svc->connect_reg);
    if (svc->compat_reg)
        g_dbus_connection_unregister_object(svc->conn, svc->compat_reg);
    svc->compat_reg = 0;
    if (svc->domain_reg)
        g_dbus_connection_unregister_subtree(svc->conn, svc->domain_reg);
    if (svc->snapshot_reg)
        g_dbus_connection_unregister_subtree(svc->conn, svc->snapshot_reg);
    if (svc->network_reg)
        g_dbus_connection_unregister_subtree(svc->conn, svc->network_reg);
    if (svc->pool_reg)
        g_dbus_connection_unregister_subtree(svc->conn, svc->pool_reg);
    if (svc->vol_reg)
        g_dbus_connection_unregister_subtree(svc->conn, svc->vol_reg);
    if (svc->iface_reg)
        g_dbus_connection_unregister_subtree(svc->conn, svc->iface_reg);
    if (svc->nodedev_reg)
        g_dbus_connection_unregister_subtree(svc->conn, svc->nodedev_reg);
    svc->connect_reg = svc->domain_reg = svc->snapshot_reg = 0;
    svc->network_reg = svc->pool_reg = svc->vol_reg = 0;
    svc->iface_reg = svc->nodedev_reg = 0;
}

static void
dbus_name_acquired(GDBusConnection *conn, const char *name, gpointer data)
{
    DbusService *svc = data;

    g_message("D-Bus: serving %s %s on the %s bus", name, DBUS_SERVICE_PATH,
              svc->bus_type == G_BUS_TYPE_SYSTEM ? "system" : "session");
}

static void
dbus_name_lost(GDBusConnection *conn, const char *name, gpointer data)
{
    DbusService *svc = data;

    if (!g_atomic_int_get(&svc->serving))
        return;
    /* Another owner (a real libvirt-dbus) keeps its name: we do not queue
     * for it nor replace it.  The RPC sockets are not affected. */
    g_warning("D-Bus: the name %s is owned by another process (libvirt-dbus?) "
              "or the bus went away: nimbusd serves no D-Bus objects; "
              "ch:/// clients are not affected", name);
    dbus_unregister(svc);
}

/* ---- the service --------------------------------------------------------- */

DbusService *
dbus_service_new(DrvDriver *driver, uint64_t hv_version, GBusType bus_type,
                 GError **error)
{
    g_autoptr(DbusService) svc = g_new0(DbusService, 1);

    svc->driver = driver;
    svc->hv_version = hv_version;
    svc->bus_type = bus_type;
    if (!(svc->connect_node = dbus_load_interface(dbus_connect_impl.name, error)) ||
        !(svc->domain_node = dbus_load_interface(dbus_domain_impl.name, error)) ||
        !(svc->snapshot_node = dbus_load_interface(dbus_snapshot_impl.name,
                                                   error)) ||
        !(svc->network_node = dbus_load_interface(dbus_network_impl.name,
                                                  error)) ||
        !(svc->pool_node = dbus_load_interface(dbus_pool_impl.name, error)) ||
        !(svc->vol_node = dbus_load_interface(dbus_vol_impl.name, error)) ||
        !(svc->iface_node = dbus_load_interface(dbus_iface_impl.name,
                                                error)) ||
        !(svc->nodedev_node = dbus_load_interface(dbus_nodedev_impl.name,
                                                  error)) ||
        !(svc->pool = g_thread_pool_new(dbus_call_worker, svc, DBUS_WORKERS, FALSE,
                                        error)) ||
        !(svc->conn = g_bus_get_sync(bus_type, NULL, error)))
        return NULL;
    /* The bus going away must not end nimbusd (GDBus's default for shared
     * bus connections): the RPC sockets keep serving. */
    g_dbus_connection_set_exit_on_close(svc->conn, FALSE);
    dbus_listeners_init(svc);
    svc->connect_reg = g_dbus_connection_register_object(
        svc->conn, DBUS_SERVICE_PATH,
        g_dbus_node_info_lookup_interface(svc->connect_node, dbus_connect_impl.name),
        &dbus_vtable, svc, NULL, error);
    if (!svc->connect_reg)
        return NULL;
    /* qemu_compat: the same Connect object also where QEMU-only clients
     * look for it (cockpit-machines hard-codes /org/libvirt/QEMU).  The
     * objects it names keep their one path under /org/libvirt/CH, so that
     * a domain has the same path whichever Connect answered, and in the
     * DomainEvent signals. */
    if (driver->config->qemu_compat &&
        !(svc->compat_reg = g_dbus_connection_register_object(
              svc->conn, DRV_COMPAT_DBUS_PATH,
              g_dbus_node_info_lookup_interface(svc->connect_node,
                                                dbus_connect_impl.name),
              &dbus_vtable, svc, NULL, error)))
        return NULL;
    svc->domain_reg = g_dbus_connection_register_subtree(
        svc->conn, DBUS_DOMAIN_PATH, &dbus_domain_subtree,
        G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES, svc, NULL, error);
    if (!svc->domain_reg)
        return NULL;
    svc->snapshot_reg = g_dbus_connection_register_subtree(
        svc->conn, DBUS_SNAPSHOT_PATH, &dbus_snapshot_subtree,
        G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES, svc, NULL, error);
    if (!svc->snapshot_reg)
        return NULL;
    if (!(svc->network_reg = g_dbus_connection_register_subtree(
              svc->conn, DBUS_NETWORK_PATH, &dbus_fwd_subtree,
              G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES, svc, NULL,
              error)) ||
        !(svc->pool_reg = g_dbus_connection_register_subtree(
              svc->conn, DBUS_POOL_PATH, &dbus_fwd_subtree,
              G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES, svc, NULL,
              error)) ||
        !(svc->vol_reg = g_dbus_connection_register_subtree(
              svc->conn, DBUS_VOL_PATH, &dbus_fwd_subtree,
              G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES, svc, NULL,
              error)) ||
        !(svc->iface_reg = g_dbus_connection_register_subtree(
              svc->conn, DBUS_IFACE_PATH, &dbus_fwd_subtree,
              G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES, svc, NULL,
              error)) ||
        !(svc->nodedev_reg = g_dbus_connection_register_subtree(
              svc->conn, DBUS_NODEDEV_PATH, &dbus_fwd_subtree,
              G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES, svc, NULL,
              error)))
        return NULL;
    g_atomic_int_set(&svc->serving, 1);
    dbus_fwd_events_start(svc);
    /* Objects first, then the name: a client that sees the name appear
     * finds them.  DO_NOT_QUEUE: if libvirt-dbus owns org.libvirt, it
     * keeps it and dbus_name_lost() says so. */
    svc->owner_id = g_bus_own_name_on_connection(svc->conn, DBUS_SERVICE_NAME,
                                                 G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                 dbus_name_acquired, dbus_name_lost,
                                                 svc, NULL);
    return g_steal_pointer(&svc);
}

void
dbus_service_free(DbusService *svc)
{
    if (!svc)
        return;
    if (svc->owner_id)
        g_bus_unown_name(svc->owner_id);
    /* libvirtd's events (dbus-fwd-events.c) are not withdrawn here:
     * nimbusd frees the driver, and with it the libvirtd connection and
     * its callbacks, before the service (which must outlive the driver's
     * background tasks, as they emit DomainEvent). */
    if (svc->conn) {
        dbus_unregister(svc);
        dbus_listeners_clear(svc);
    }
    /* Calls already queued still answer (the connection outlives them). */
    if (svc->pool)
        g_thread_pool_free(svc->pool, FALSE, TRUE);
    if (svc->conn)
        g_dbus_connection_flush_sync(svc->conn, NULL, NULL);
    g_clear_object(&svc->conn);
    g_clear_pointer(&svc->connect_node, g_dbus_node_info_unref);
    g_clear_pointer(&svc->domain_node, g_dbus_node_info_unref);
    g_clear_pointer(&svc->snapshot_node, g_dbus_node_info_unref);
    g_clear_pointer(&svc->network_node, g_dbus_node_info_unref);
    g_clear_pointer(&svc->pool_node, g_dbus_node_info_unref);
    g_clear_pointer(&svc->vol_node, g_dbus_node_info_unref);
    g_clear_pointer(&svc->iface_node, g_dbus_node_info_unref);
    g_clear_pointer(&svc->nodedev_node, g_dbus_node_info_unref);
    g_free(svc);
}

void
dbus_service_emit_event(const DrvDomainEvent *event, gpointer data)
{
    DbusService *svc = data;
    g_autofree char *path = NULL;

    if (!g_atomic_int_get(&svc->serving))
        return;
    /* libvirt-dbus broadcasts lifecycle events on the Connect object, not
     * on the domain's path; the ints are virDomainEventType and detail. */
    path = dbus_domain_path(event->uuid);
    dbus_listeners_emit(svc, "DomainEvent",
                        g_variant_new("(oii)", path, event->event,
                                      event->detail));
}

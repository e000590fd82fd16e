/* SPDX-License-Identifier: Apache-2.0 */
/* Connect signals in qemu_compat mode: one copy per listener, not per path. */
#include <config.h>

#include "driver/compat.h"
#include "driver/dbus/dbus-priv.h"

/*
 * Without qemu_compat there is one Connect object and each event is one
 * broadcast on /org/libvirt/CH, as libvirt-dbus sends it.
 *
 * With qemu_compat the same Connect is also /org/libvirt/QEMU.  One
 * broadcast per path would reach a listener that matches on the interface
 * and member only twice: cockpit-machines subscribes that way (no path)
 * and re-reads the VM for each copy.  A broadcast cannot be kept from a
 * listener, so each event is broadcast once, on /org/libvirt/QEMU, the
 * path the QEMU-only tools it was made for use; clients that call the
 * Connect object at /org/libvirt/CH and never at /org/libvirt/QEMU (a
 * libvirt-dbus client of ch:///) get a copy from /org/libvirt/CH sent to
 * them alone, so a subscription on that path still sees every event.
 *
 * Known limits (docs/nimbusd.md): such a /org/libvirt/CH client that also
 * matches without a path gets both copies; a client that only listens
 * and has never called /org/libvirt/CH gets the /org/libvirt/QEMU copy.
 */

/* What a client has called; the table's values. */
enum {
    DBUS_LISTENER_CH = 1 << 0,
    DBUS_LISTENER_QEMU = 1 << 1,
};

static void
dbus_listeners_owner_changed(GDBusConnection *conn, const char *sender,
                             const char *path, const char *iface,
                             const char *signal, GVariant *args, gpointer data)
{
    DbusService *svc = data;
    const char *name;
    const char *new_owner;

    if (!g_variant_is_of_type(args, G_VARIANT_TYPE("(sss)")))
        return;
    g_variant_get(args, "(&s&s&s)", &name, NULL, &new_owner);
    /* A unique name never comes back once its connection closed. */
    if (name[0] == ':' && !new_owner[0])
        g_hash_table_remove(svc->listeners, name);
}

void
dbus_listeners_init(DbusService *svc)
{
    svc->listeners = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           NULL);
    if (!svc->driver->config->qemu_compat)
        return;
    svc->owner_sub = g_dbus_connection_signal_subscribe(
        svc->conn, "org.freedesktop.DBus", "org.freedesktop.DBus",
        "NameOwnerChanged", "/org/freedesktop/DBus", NULL,
        G_DBUS_SIGNAL_FLAGS_NONE, dbus_listeners_owner_changed, svc, NULL);
}

void
dbus_listeners_clear(DbusService *svc)
{
    if (svc->owner_sub)
        g_dbus_connection_signal_unsubscribe(svc->conn, svc->owner_sub);
    svc->owner_sub = 0;
    g_clear_pointer(&svc->listeners, g_hash_table_unref);
}

void
dbus_listeners_note_call(DbusService *svc, const char *sender,
                         const char *path)
{
    guint bit;

    /* Only the two Connect paths tell the clients apart: every client
     * reaches the same domain objects under /org/libvirt/CH. */
    if (!svc->driver->config->qemu_compat || !sender)
        return;
    if (g_str_equal(path, DBUS_SERVICE_PATH))
        bit = DBUS_LISTENER_CH;
    else if (g_str_equal(path, DRV_COMPAT_DBUS_PATH))
        bit = DBUS_LISTENER_QEMU;
    else
        return;
    g_hash_table_insert(svc->listeners, g_strdup(sender),
                        GUINT_TO_POINTER(bit | GPOINTER_TO_UINT(
                            g_hash_table_lookup(svc->listeners, sender))));
}

void
dbus_listeners_emit(DbusService *svc, const char *signal, GVariant *args)
{
    GHashTableIter it;
    gpointer key;
    gpointer value;

    g_variant_ref_sink(args);
    if (!svc->driver->config->qemu_compat) {
        g_dbus_connection_emit_signal(svc->conn, NULL, DBUS_SERVICE_PATH,
                                      dbus_connect_impl.name, signal, args,
                                      NULL);
        g_variant_unref(args);
        return;
    }
    g_dbus_connection_emit_signal(svc->conn, NULL, DRV_COMPAT_DBUS_PATH,
                                  dbus_connect_impl.name, signal, args, NULL);
    g_hash_table_iter_init(&it, svc->listeners);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        if (GPOINTER_TO_UINT(value) != DBUS_LISTENER_CH)
            continue;
        /* Unicast: the bus delivers it to that client only, whatever
         * its match rules (a client that went away is skipped by the
         * bus; NameOwnerChanged drops it from the table). */
        g_dbus_connection_emit_signal(svc->conn, key, DBUS_SERVICE_PATH,
                                      dbus_connect_impl.name, signal, args,
                                      NULL);
    }
    g_variant_unref(args);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* nimbus-remote's D-Bus transport: org.cloudhypervisor.DBusApi1 method calls. */
#include <config.h>

#include <gio/gio.h>

#include "daemon/remote/remote.h"

#define DBUS_API_INTERFACE "org.cloudhypervisor.DBusApi1"

typedef struct {
    RemoteTransport base;
    GDBusConnection *conn;
    char *service_name;
    char *object_path;
} RemoteDbus;

/*
 * The method, argument and result of each action come from the shared
 * action table (api-actions.c), so nimbus-remote calls exactly what the
 * VMM exports.  A reply is waited for without a timeout (G_MAXINT), as over
 * REST: a pause or a boot takes the time it takes.
 */
static bool
remote_dbus_call(RemoteTransport *t, ApiAction action, const char *body,
                 const int *fds, guint n_fds, char **response, GError **error)
{
    RemoteDbus *d = (RemoteDbus *)t;
    const ApiActionInfo *info = api_action_info(action);
    g_autoptr(GVariant) ret = NULL;
    GError *local = NULL;

    if (!info->dbus_method) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s is not available over D-Bus (as with Cloud "
                    "Hypervisor): use --api-socket", info->endpoint);
        return false;
    }
    if (n_fds > 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s: D-Bus cannot carry file descriptors: use "
                    "--api-socket", info->endpoint);
        return false;
    }
    ret = g_dbus_connection_call_sync(
        d->conn, d->service_name, d->object_path, DBUS_API_INTERFACE,
        info->dbus_method,
        info->dbus_arg ? g_variant_new("(s)", body ? body : "") : NULL,
        info->dbus_out ? G_VARIANT_TYPE("(s)") : G_VARIANT_TYPE_UNIT,
        G_DBUS_CALL_FLAGS_NONE, G_MAXINT, NULL, &local);
    if (!ret) {
        g_autofree char *remote_name = g_dbus_error_get_remote_error(local);

        g_dbus_error_strip_remote_error(local);
        g_set_error(error, local->domain, local->code, "%s failed (%s)\n%s",
                    info->dbus_method,
                    remote_name ? remote_name : "no reply", local->message);
        g_error_free(local);
        return false;
    }
    if (info->dbus_out) {
        const char *s = NULL;

        g_variant_get(ret, "(&s)", &s);
        /* CH: an empty string means "no answer". */
        if (s[0])
            *response = g_strdup(s);
    }
    return true;
}

static void
remote_dbus_free(RemoteTransport *t)
{
    RemoteDbus *d = (RemoteDbus *)t;

    g_clear_object(&d->conn);
    g_free(d->service_name);
    g_free(d->object_path);
    g_free(d);
}

static const RemoteTransportOps remote_dbus_ops = {
    .call = remote_dbus_call,
    .free = remote_dbus_free,
};

RemoteTransport *
remote_dbus_new(const char *service_name, const char *object_path,
                bool system_bus, GError **error)
{
    g_autoptr(GDBusConnection) conn = NULL;
    RemoteDbus *d;

    if (!service_name || !object_path) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "--dbus-service-name and --dbus-object-path go "
                            "together");
        return NULL;
    }
    if (!g_variant_is_object_path(object_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "--dbus-object-path: '%s' is not a D-Bus object path",
                    object_path);
        return NULL;
    }
    /* The shared bus connection is fine for a one-shot CLI. */
    conn = g_bus_get_sync(system_bus ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION,
                          NULL, error);
    if (!conn) {
        g_prefix_error(error, "cannot connect to the D-Bus %s bus\n",
                       system_bus ? "system" : "session");
        return NULL;
    }
    d = g_new0(RemoteDbus, 1);
    d->base.ops = &remote_dbus_ops;
    d->conn = g_steal_pointer(&conn);
    d->service_name = g_strdup(service_name);
    d->object_path = g_strdup(object_path);
    return &d->base;
}

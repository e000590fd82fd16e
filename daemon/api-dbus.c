/* SPDX-License-Identifier: Apache-2.0 */
/* The D-Bus API: org.cloudhypervisor.DBusApi1 on its own "dbus-thread", plus the Event signal. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "common/thread-role.h"
#include "daemon/api.h"
#include "daemon/api-exec.h"
#include "daemon/dbus-api-gen.h"
#include "daemon/event-monitor.h"
#include "daemon/landlock.h"

#define DBUS_API_INTERFACE "org.cloudhypervisor.DBusApi1"
/* How long a stopping thread waits for queued replies (VmmShutdown's) to
 * leave: CH's graceful shutdown does the same. */
#define FLUSH_TIMEOUT_MS 1000

struct ApiDbus {
    Vmm *vmm;                    /* immutable */
    ApiExecutor *exec;           /* immutable; submit is thread-safe */
    char *service_name;          /* immutable */
    char *object_path;           /* immutable */
    bool system_bus;             /* immutable */
    GThread *thread;             /* "dbus-thread" */
    GMainContext *context;       /* the dbus-thread's */
    GMainLoop *loop;
    /* Set by the thread before it reports ready; then immutable until the
     * thread ends.  emit_signal is thread-safe. */
    GDBusConnection *conn;
    guint registration;
    guint event_subscription;    /* VMM thread (api_dbus_new/free) */
    /* Start-up handshake with api_dbus_new(). */
    GMutex lock;
    GCond cond;
    bool started;
    GError *start_error;
};

/* A method call in flight.  The invocation must be answered exactly once:
 * with the result, or, if the call is dropped at shutdown, with an error. */
typedef struct {
    GDBusMethodInvocation *invocation;
    ApiAction action;
} DbusCall;

static void
dbus_call_free(gpointer data)
{
    DbusCall *call = data;

    if (call->invocation)
        g_dbus_method_invocation_return_dbus_error(
            call->invocation, "org.freedesktop.DBus.Error.Failed",
            "the VMM is shutting down");
    g_free(call);
}

/* On the dbus-thread, with the VMM's answer. */
static void
dbus_on_result(const ApiResult *result, gpointer data)
{
    DbusCall *call = data;
    GDBusMethodInvocation *inv = g_steal_pointer(&call->invocation);
    const ApiActionInfo *info = api_action_info(call->action);

    if (result->errors) {
        g_autofree char *msg = api_result_error_message(result);

        g_dbus_method_invocation_return_dbus_error(
            inv, "org.freedesktop.DBus.Error.Failed", msg);
    } else if (info->dbus_out) {
        /* CH sends an optional string as "s", empty meaning none. */
        g_dbus_method_invocation_return_value(
            inv, g_variant_new("(s)", result->body ? result->body : ""));
    } else {
        g_dbus_method_invocation_return_value(inv, NULL);
    }
}

static void
dbus_method_call(GDBusConnection *conn, const char *sender, const char *path,
                 const char *iface, const char *method, GVariant *params,
                 GDBusMethodInvocation *inv, gpointer data)
{
    ApiDbus *api = data;
    int action = api_action_from_dbus_method(method);
    const ApiActionInfo *info;
    GBytes *body = NULL;
    DbusCall *call;

    /* GDBus has checked the method and the signature against the
     * introspection data, so this is a known method. */
    if (action < 0) {
        g_dbus_method_invocation_return_dbus_error(
            inv, "org.freedesktop.DBus.Error.UnknownMethod", method);
        return;
    }
    info = api_action_info(action);
    if (info->dbus_arg) {
        const char *json = NULL;

        g_variant_get(params, "(&s)", &json);
        body = g_bytes_new(json, strlen(json));
    }
    call = g_new0(DbusCall, 1);
    call->invocation = inv;         /* ours until answered */
    call->action = action;
    /* D-Bus carries no descriptors: nets with "fds" are refused. */
    api_executor_submit(api->exec, action, body, NULL, api->context,
                        dbus_on_result, call, dbus_call_free);
}

static const GDBusInterfaceVTable dbus_vtable = {
    .method_call = dbus_method_call,
};

/* On the event-monitor thread (with its lock held: nothing here may emit
 * events).  Sending only queues the message on the connection. */
static void
dbus_on_event(const char *json, gpointer data)
{
    ApiDbus *api = data;

    g_dbus_connection_emit_signal(api->conn, NULL, api->object_path,
                                  DBUS_API_INTERFACE, "Event",
                                  g_variant_new("(s)", json), NULL);
}

/* RequestName without queueing: a taken name is a start-up error. */
static bool
dbus_own_name(ApiDbus *api, GError **error)
{
    g_autoptr(GVariant) ret = NULL;
    guint32 reply = 0;

    ret = g_dbus_connection_call_sync(
        api->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
        "org.freedesktop.DBus", "RequestName",
        g_variant_new("(su)", api->service_name,
                      (guint32)0x4 /* DBUS_NAME_FLAG_DO_NOT_QUEUE */),
        G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
    if (!ret) {
        g_prefix_error(error, "--dbus-service-name: cannot own '%s': ",
                       api->service_name);
        return false;
    }
    g_variant_get(ret, "(u)", &reply);
    if (reply != 1 /* PRIMARY_OWNER */ && reply != 4 /* ALREADY_OWNER */) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "--dbus-service-name: '%s' is already owned on the %s bus",
                    api->service_name, api->system_bus ? "system" : "session");
        return false;
    }
    return true;
}

static bool
dbus_start(ApiDbus *api, GError **error)
{
    g_autofree char *address = NULL;

    address = g_dbus_address_get_for_bus_sync(
        api->system_bus ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION, NULL, error);
    if (!address)
        return false;
    /* A private connection: closed with the API, and its callbacks come to
     * this thread's context (the thread-default one at registration). */
    api->conn = g_dbus_connection_new_for_address_sync(
        address,
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, error);
    if (!api->conn) {
        g_prefix_error(error, "cannot connect to the D-Bus %s bus: ",
                       api->system_bus ? "system" : "session");
        return false;
    }
    g_dbus_connection_set_exit_on_close(api->conn, FALSE);
    api->registration = g_dbus_connection_register_object(
        api->conn, api->object_path, nimbus_dbus_api1_interface_info(),
        &dbus_vtable, api, NULL, error);
    if (!api->registration) {
        g_prefix_error(error, "--dbus-object-path: ");
        return false;
    }
    return dbus_own_name(api, error);
}

/* Runs last on a stopping thread: replies already queued are sent. */
static gboolean
dbus_on_stop(gpointer data)
{
    ApiDbus *api = data;

    g_main_loop_quit(api->loop);
    return G_SOURCE_REMOVE;
}

static gpointer
dbus_thread(gpointer data)
{
    ApiDbus *api = data;
    GError *error = NULL;
    bool ok;

    g_main_context_push_thread_default(api->context);
    ok = dbus_start(api, &error);
    g_mutex_lock(&api->lock);
    api->start_error = error;
    api->started = true;
    g_cond_signal(&api->cond);
    g_mutex_unlock(&api->lock);
    if (ok)
        g_main_loop_run(api->loop);
    if (api->conn) {
        if (api->registration)
            g_dbus_connection_unregister_object(api->conn, api->registration);
        g_dbus_connection_flush_sync(api->conn, NULL, NULL);
        g_dbus_connection_close_sync(api->conn, NULL, NULL);
    }
    /* Calls answered after this fail on the closed connection, harmlessly;
     * bounded in case a source stays ready. */
    for (int i = 0; i < 1000 && g_main_context_iteration(api->context, FALSE);
         i++)
        ;
    g_main_context_pop_thread_default(api->context);
    return NULL;
}

ApiDbus *
api_dbus_new(Vmm *vmm, GMainContext *context, const char *service_name,
             const char *object_path, bool system_bus, GError **error)
{
    g_autoptr(ApiDbus) api = g_new0(ApiDbus, 1);

    /* CH requires both; its documented defaults would hide a typo. */
    if (!service_name || !g_dbus_is_name(service_name) ||
        g_dbus_is_unique_name(service_name)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "--dbus-service-name: '%s' is not a valid well-known bus "
                    "name", service_name ? service_name : "");
        return NULL;
    }
    if (!object_path || !g_variant_is_object_path(object_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "--dbus-object-path: '%s' is not a valid object path",
                    object_path ? object_path : "");
        return NULL;
    }
    api->vmm = vmm;
    api->service_name = g_strdup(service_name);
    api->object_path = g_strdup(object_path);
    api->system_bus = system_bus;
    api->exec = api_executor_new(vmm, context);
    api->context = g_main_context_new();
    api->loop = g_main_loop_new(api->context, FALSE);
    g_mutex_init(&api->lock);
    g_cond_init(&api->cond);
    /* Confined with the VMM thread when a config asks for Landlock (GDBus's
     * own worker thread, which only moves messages, is not). */
    landlock_watch_context(api->context);
    /* libvirt classifies the VMM's threads by these names. */
    api->thread = thread_role_new(THREAD_ROLE_DBUS_API, "dbus-thread",
                                  dbus_thread, api, error);
    if (!api->thread)
        return NULL;
    g_mutex_lock(&api->lock);
    while (!api->started)
        g_cond_wait(&api->cond, &api->lock);
    g_mutex_unlock(&api->lock);
    if (api->start_error) {
        g_propagate_error(error, g_steal_pointer(&api->start_error));
        return NULL;
    }
    api->event_subscription = event_monitor_subscribe(dbus_on_event, api);
    return g_steal_pointer(&api);
}

void
api_dbus_free(ApiDbus *api)
{
    if (!api)
        return;
    /* After this returns no event callback runs or will run. */
    if (api->event_subscription)
        event_monitor_unsubscribe(api->event_subscription);
    if (api->thread) {
        GSource *stop = g_idle_source_new();

        g_source_set_priority(stop, G_PRIORITY_LOW);
        g_source_set_callback(stop, dbus_on_stop, api, NULL);
        g_source_attach(stop, api->context);
        g_source_unref(stop);
        g_thread_join(g_steal_pointer(&api->thread));
    }
    /* Calls the VMM never ran are answered with an error (on a closed
     * connection: the peer sees the disconnect). */
    g_clear_pointer(&api->exec, api_executor_free);
    g_clear_object(&api->conn);
    g_clear_pointer(&api->loop, g_main_loop_unref);
    g_clear_pointer(&api->context, g_main_context_unref);
    g_clear_error(&api->start_error);
    g_mutex_clear(&api->lock);
    g_cond_clear(&api->cond);
    g_free(api->service_name);
    g_free(api->object_path);
    g_free(api);
}

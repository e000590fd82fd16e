/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of the D-Bus API against a private dbus-daemon: gdbus call, errors, the Event signal. */
#include <config.h>

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "daemon/api.h"
#include "daemon/event-monitor.h"
#include "tests/testutil.h"
#include "tests/unit/test-api-util.h"

#define NAME "org.cloudhypervisor.Test"
#define OBJECT_PATH "/org/cloudhypervisor/Test"
#define IFACE "org.cloudhypervisor.DBusApi1"

static char *bus_address;
static TestProc *bus;

static Server *
dbus_server_start(void)
{
    return server_start_apis(NULL, -1, NAME, OBJECT_PATH);
}

/* gdbus call METHOD [ARG]; returns its exit status, output in *out. */
static int
gdbus_call(const char *method, const char *arg, char **out)
{
    g_autofree char *full = g_strdup_printf("%s.%s", IFACE, method);
    const char *argv[] = { "gdbus", "call", "--address", bus_address,
                           "--dest", NAME, "--object-path", OBJECT_PATH,
                           "--method", full, arg, NULL };

    return test_run(argv, out, 20000);
}

static void
test_flow(void)
{
    Server *s = dbus_server_start();
    g_autofree char *config = g_strdup_printf(
        "{\"payload\": {\"kernel\": \"%s\"}}", s->kernel);
    g_autofree char *out = NULL;

    g_assert_cmpint(gdbus_call("VmmPing", NULL, &out), ==, 0);
    g_assert_nonnull(strstr(out, "\"version\""));
    g_clear_pointer(&out, g_free);

    /* Errors: org.freedesktop.DBus.Error.Failed with the error chain. */
    g_assert_cmpint(gdbus_call("VmInfo", NULL, &out), !=, 0);
    g_assert_nonnull(strstr(out, "org.freedesktop.DBus.Error.Failed"));
    g_assert_nonnull(strstr(out, "not created"));
    g_clear_pointer(&out, g_free);

    g_assert_cmpint(gdbus_call("VmCreate", config, &out), ==, 0);
    g_assert_cmpstr(g_strstrip(out), ==, "()");
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(gdbus_call("VmInfo", NULL, &out), ==, 0);
    g_assert_nonnull(strstr(out, "\"state\":\"Created\""));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(gdbus_call("VmPause", NULL, &out), !=, 0);
    g_assert_nonnull(strstr(out, "cannot pause the VM in state Created"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(gdbus_call("VmCreate", "{\"payload\": 3}", &out), !=, 0);
    g_assert_nonnull(strstr(out, "Failed to deserialize JSON"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(gdbus_call("VmAddVdpa", "{\"path\": \"/x\"}", &out), !=, 0);
    g_assert_nonnull(strstr(out, "vm.add-vdpa is not supported yet"));
    g_clear_pointer(&out, g_free);
    /* Hotplug on the created VM: its config alone changes. */
    g_assert_cmpint(gdbus_call("VmAddNet", "{\"id\": \"n1\", "
                               "\"tap\": \"hp0\"}", &out), ==, 0);
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(gdbus_call("VmRemoveDevice", "{\"id\": \"n1\"}", &out),
                    ==, 0);
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(gdbus_call("VmRemoveDevice", "{\"id\": \"n1\"}", &out),
                    !=, 0);
    g_assert_nonnull(strstr(out, "no device with id 'n1'"));
    g_clear_pointer(&out, g_free);
    /* Snapshot and restore reach the same actions as REST. */
    g_assert_cmpint(gdbus_call("VmSnapshot",
                               "{\"destination_url\": \"file:///tmp/x\"}",
                               &out), !=, 0);
    g_assert_nonnull(strstr(out, "cannot snapshot the VM in state Created"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(gdbus_call("VmRestore",
                               "{\"source_url\": \"file:///tmp/x\"}",
                               &out), !=, 0);
    g_assert_nonnull(strstr(out, "VM is already created"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(gdbus_call("VmCounters", NULL, &out), ==, 0);
    g_clear_pointer(&out, g_free);
    /* CH has no VmNmi over D-Bus. */
    g_assert_cmpint(gdbus_call("VmNmi", NULL, &out), !=, 0);
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(gdbus_call("VmDelete", NULL, &out), ==, 0);
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(server_stop(s), ==, 0);
}

static void
test_introspect(void)
{
    Server *s = dbus_server_start();
    const char *argv[] = { "gdbus", "introspect", "--address", bus_address,
                           "--dest", NAME, "--object-path", OBJECT_PATH, NULL };
    g_autofree char *out = NULL;

    g_assert_cmpint(test_run(argv, &out, 20000), ==, 0);
    g_assert_nonnull(strstr(out, "interface " IFACE));
    g_assert_nonnull(strstr(out, "VmCreate(in  s vm_config)"));
    g_assert_nonnull(strstr(out, "Event(s event);"));
    server_stop(s);
}

typedef struct {
    GMutex lock;
    GPtrArray *events;
} Events;

static void
on_event(GDBusConnection *conn, const char *sender, const char *path,
         const char *iface, const char *signal, GVariant *params,
         gpointer data)
{
    Events *ev = data;
    const char *json;

    g_variant_get(params, "(&s)", &json);
    g_mutex_lock(&ev->lock);
    g_ptr_array_add(ev->events, g_strdup(json));
    g_mutex_unlock(&ev->lock);
}

static bool
events_contain(Events *ev, const char *needle)
{
    bool found = false;

    g_mutex_lock(&ev->lock);
    for (guint i = 0; i < ev->events->len && !found; i++)
        found = strstr(g_ptr_array_index(ev->events, i), needle) != NULL;
    g_mutex_unlock(&ev->lock);
    return found;
}

/* Each event-monitor event comes out as an Event signal with its JSON. */
static void
test_event_signal(void)
{
    Server *s = dbus_server_start();
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) conn = NULL;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autofree char *config = g_strdup_printf(
        "{\"payload\": {\"kernel\": \"%s\"}}", s->kernel);
    g_autofree char *out = NULL;
    g_autoptr(GVariant) id = NULL;
    Events ev = { .events = g_ptr_array_new_with_free_func(g_free) };
    guint sub;
    gint64 deadline;

    g_main_context_push_thread_default(ctx);
    conn = g_dbus_connection_new_for_address_sync(
        bus_address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                         G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, &error);
    g_assert_no_error(error);
    sub = g_dbus_connection_signal_subscribe(conn, NAME, IFACE, "Event",
                                             OBJECT_PATH, NULL,
                                             G_DBUS_SIGNAL_FLAGS_NONE,
                                             on_event, &ev, NULL);
    /* The match rule is in place once a round trip has completed. */
    id = g_dbus_connection_call_sync(conn, "org.freedesktop.DBus",
                                "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                "GetId", NULL, NULL, G_DBUS_CALL_FLAGS_NONE,
                                -1, NULL, &error);
    g_assert_no_error(error);

    g_assert_cmpint(gdbus_call("VmCreate", config, &out), ==, 0);
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(gdbus_call("VmDelete", NULL, &out), ==, 0);
    deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (!events_contain(&ev, "\"deleted\"") &&
           g_get_monotonic_time() < deadline)
        g_main_context_iteration(ctx, TRUE);
    g_assert_true(events_contain(&ev, "\"source\": \"vm\""));
    g_assert_true(events_contain(&ev, "\"event\": \"deleted\""));
    g_assert_true(events_contain(&ev, "\"timestamp\""));

    g_dbus_connection_signal_unsubscribe(conn, sub);
    g_main_context_pop_thread_default(ctx);
    g_ptr_array_unref(ev.events);
    server_stop(s);
}

static void
test_bad_options(void)
{
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autoptr(GError) error = NULL;
    Server *s;

    g_assert_null(api_dbus_new(vmm, NULL, "not a name", OBJECT_PATH, false,
                               &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "--dbus-service-name"));
    g_clear_error(&error);
    g_assert_null(api_dbus_new(vmm, NULL, NAME, "no/slash", false, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "--dbus-object-path"));
    g_clear_error(&error);

    /* A name another process owns is a clear start-up error. */
    s = dbus_server_start();
    g_assert_null(api_dbus_new(vmm, NULL, NAME, OBJECT_PATH, false, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_assert_nonnull(strstr(error->message, "already owned"));
    server_stop(s);
}

/* docs/dbus-api.xml documents the interface: it must be the source. */
static void
test_docs_copy(void)
{
    g_autofree char *src = test_src_path("daemon/dbus-api.xml");
    g_autofree char *doc = test_src_path("docs/dbus-api.xml");
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;

    g_assert_true(g_file_get_contents(src, &a, NULL, NULL));
    g_assert_true(g_file_get_contents(doc, &b, NULL, NULL));
    if (!g_str_equal(a, b))
        g_test_fail_printf("docs/dbus-api.xml differs from daemon/dbus-api.xml: "
                           "cp daemon/dbus-api.xml docs/");
}

/*
 * The installed system-bus policy, in a dbus-daemon with the system bus's
 * default rules: root may own org.cloudhypervisor.* and be called; anyone
 * else is refused at start-up with the bus's AccessDenied.
 */
static void
test_system_policy(void)
{
    g_autofree char *rel = test_src_path(
        "data/dbus/org.cloudhypervisor.DBusApi.conf");
    /* dbus-daemon resolves <include> against its config file's folder. */
    g_autofree char *policy = g_canonicalize_filename(rel, NULL);
    g_autofree char *conf_path = g_build_filename(test_tmpdir(), "system.conf",
                                                  NULL);
    g_autofree char *conf = g_strdup_printf(
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus "
        "Configuration 1.0//EN\" \"http://www.freedesktop.org/standards/"
        "dbus/1.0/busconfig.dtd\">\n<busconfig><type>system</type>"
        "<listen>unix:dir=%s</listen>"
        "<policy context=\"default\"><allow user=\"*\"/><deny own=\"*\"/>"
        "<deny send_type=\"method_call\"/><allow send_type=\"signal\"/>"
        "<allow send_requested_reply=\"true\" send_type=\"method_return\"/>"
        "<allow send_requested_reply=\"true\" send_type=\"error\"/>"
        "<allow receive_type=\"method_call\"/>"
        "<allow receive_type=\"method_return\"/>"
        "<allow receive_type=\"error\"/><allow receive_type=\"signal\"/>"
        "<allow send_destination=\"org.freedesktop.DBus\" "
        "send_interface=\"org.freedesktop.DBus\"/></policy>"
        "<include>%s</include></busconfig>\n", test_tmpdir(), policy);
    g_autofree char *cfg_arg = g_strdup_printf("--config-file=%s", conf_path);
    g_autoptr(TestProc) sys = NULL;
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autoptr(ApiDbus) api = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *address = NULL;

    g_assert_true(g_file_set_contents(conf_path, conf, -1, NULL));
    sys = test_dbus_daemon_spawn(cfg_arg, &address);
    g_setenv("DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);
    api = api_dbus_new(vmm, NULL, "org.cloudhypervisor.SystemTest",
                       OBJECT_PATH, true, &error);
    if (getuid() == 0) {
        g_assert_no_error(error);
        g_assert_nonnull(api);
    } else {
        g_assert_null(api);
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error->message, "AccessDenied"));
    }
    g_unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

/* VmmShutdown is answered before the VMM stops. */
static void
test_vmm_shutdown(void)
{
    Server *s = dbus_server_start();
    g_autofree char *out = NULL;

    g_assert_cmpint(gdbus_call("VmmShutdown", NULL, &out), ==, 0);
    g_assert_cmpstr(g_strstrip(out), ==, "()");
    g_assert_cmpint(server_stop(s), ==, 0);
}

int
main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    /* A private session bus for the whole program. */
    bus = test_dbus_daemon_spawn("--session", &bus_address);
    g_setenv("DBUS_SESSION_BUS_ADDRESS", bus_address, TRUE);
    g_test_add_func("/api/dbus/flow", test_flow);
    g_test_add_func("/api/dbus/introspect", test_introspect);
    g_test_add_func("/api/dbus/event-signal", test_event_signal);
    g_test_add_func("/api/dbus/bad-options", test_bad_options);
    g_test_add_func("/api/dbus/vmm-shutdown", test_vmm_shutdown);
    g_test_add_func("/api/dbus/docs-copy", test_docs_copy);
    g_test_add_func("/api/dbus/system-policy", test_system_policy);
    ret = g_test_run();
    event_monitor_close();
    test_proc_free(bus);
    g_free(bus_address);
    return ret;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Integration: a real guest driven through the REST API (curl), nimbus-remote and D-Bus. */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tests/testutil.h"

/*
 * The flow of issue 4, three times, once per control transport:
 *   nimbus --api-socket (no --kernel): vm.create with a CH VmConfig (the
 *   Debian kernel, the test initramfs), vm.boot, vm.info Running, vm.pause
 *   (Paused, and the guest's clock stands still), vm.resume, vm.power-button
 *   (busybox acpid powers the guest off: Shutdown, --no-shutdown keeps the
 *   VMM), vmm.shutdown (exit 0), and the event-monitor file in order.
 * The guest prints its uptime every 100 ms on the serial console.
 */
#define DBUS_NAME "org.cloudhypervisor.FlowTest"
#define DBUS_PATH "/org/cloudhypervisor/FlowTest"
/* Generous: under the nested-QEMU harness a boot takes minutes. */
#define BOOT_TIMEOUT_MS (300 * 1000)
#define PAUSE_S 5

typedef enum { VIA_CURL, VIA_REMOTE, VIA_DBUS } Via;

typedef struct {
    Via via;
    char *dir;
    char *socket;
    char *events;
    char *config;        /* VmConfig JSON file */
    char *bus_address;
    TestProc *bus;
    TestProc *vmm;
    /* Each "tick" seen so far: the guest's uptime, and our monotonic
     * time (s) when we first saw it. */
    GArray *guest_s;
    GArray *host_s;
} Flow;

static const char guest_script[] =
    "while :; do echo \"tick $(cut -d' ' -f1 /proc/uptime)\"; sleep 0.1; done\n";

static char *
make_config(Flow *f)
{
    g_autofree char *kernel = test_asset("vmlinux");
    g_autofree char *initrd = test_asset("guest-initramfs.cpio");
    g_autofree char *cmd = g_base64_encode((const guchar *)guest_script,
                                           strlen(guest_script));
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *cmdline = g_strdup_printf(
        "console=ttyS0 quiet no_timer_check cryptomgr.notests panic=-1 "
        "nimbus.acpid=1 nimbus.cmd=%s", cmd);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "cpus");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "boot_vcpus");
    json_builder_add_int_value(b, 2);
    json_builder_set_member_name(b, "max_vcpus");
    json_builder_add_int_value(b, 2);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "memory");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "size");
    json_builder_add_int_value(b, 512 * 1024 * 1024);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "payload");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "kernel");
    json_builder_add_string_value(b, kernel);
    json_builder_set_member_name(b, "initramfs");
    json_builder_add_string_value(b, initrd);
    json_builder_set_member_name(b, "cmdline");
    json_builder_add_string_value(b, cmdline);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "serial");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "mode");
    json_builder_add_string_value(b, "Tty");
    json_builder_end_object(b);
    json_builder_set_member_name(b, "console");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "mode");
    json_builder_add_string_value(b, "Off");
    json_builder_end_object(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    return json_to_string(root, FALSE);
}

static void
bus_start(Flow *f)
{
    f->bus = test_dbus_daemon_spawn("--session", &f->bus_address);
    g_setenv("DBUS_SESSION_BUS_ADDRESS", f->bus_address, TRUE);
}

static bool
socket_answers(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok;

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

static Flow *
flow_start(Via via)
{
    Flow *f = g_new0(Flow, 1);
    g_autofree char *nimbus = test_build_path("nimbus");
    g_autofree char *em = NULL;
    g_autofree char *json = NULL;
    g_autoptr(GPtrArray) argv = g_ptr_array_new();

    f->via = via;
    f->guest_s = g_array_new(FALSE, FALSE, sizeof(double));
    f->host_s = g_array_new(FALSE, FALSE, sizeof(double));
    f->dir = g_strdup_printf("%s/flow-%d", test_tmpdir(), via);
    g_assert_cmpint(g_mkdir_with_parents(f->dir, 0700), ==, 0);
    f->socket = g_build_filename(f->dir, "api.sock", NULL);
    f->events = g_build_filename(f->dir, "events", NULL);
    f->config = g_build_filename(f->dir, "vm.json", NULL);
    json = make_config(f);
    g_assert_true(g_file_set_contents(f->config, json, -1, NULL));
    em = g_strdup_printf("path=%s", f->events);

    g_ptr_array_add(argv, nimbus);
    g_ptr_array_add(argv, (char *)"--no-shutdown");
    g_ptr_array_add(argv, (char *)"--event-monitor");
    g_ptr_array_add(argv, em);
    if (via == VIA_DBUS) {
        bus_start(f);
        g_ptr_array_add(argv, (char *)"--dbus-service-name");
        g_ptr_array_add(argv, (char *)DBUS_NAME);
        g_ptr_array_add(argv, (char *)"--dbus-object-path");
        g_ptr_array_add(argv, (char *)DBUS_PATH);
    } else {
        g_ptr_array_add(argv, (char *)"--api-socket");
        g_ptr_array_add(argv, f->socket);
    }
    g_ptr_array_add(argv, NULL);
    f->vmm = test_proc_spawn((const char *const *)argv->pdata);
    if (via != VIA_DBUS) {
        for (int i = 0; i < 500 && !socket_answers(f->socket); i++)
            g_usleep(10000);
        g_assert_true(socket_answers(f->socket));
    }
    return f;
}

static void
flow_free(Flow *f)
{
    g_autofree char *log = g_build_filename(f->dir, "vmm.log", NULL);
    g_autofree char *out = test_proc_output(f->vmm);

    /* Keep the guest console for a failure's post-mortem. */
    g_file_set_contents(log, out, -1, NULL);
    test_proc_free(f->vmm);
    if (f->bus)
        test_proc_free(f->bus);
    g_free(f->bus_address);
    g_array_unref(f->guest_s);
    g_array_unref(f->host_s);
    g_free(f->dir);
    g_free(f->socket);
    g_free(f->events);
    g_free(f->config);
    g_free(f);
}

/*
 * One API action through the flow's transport.  Returns true on success;
 * *out gets what it printed (the JSON answer, or the error).
 */
static bool
call(Flow *f, const char *endpoint, const char *remote_cmd,
     const char *dbus_method, bool with_config, char **out)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *raw = NULL;
    int rc;

    switch (f->via) {
    case VIA_CURL: {
        bool get = g_str_equal(endpoint, "vm.info");

        g_ptr_array_add(argv, g_strdup("curl"));
        g_ptr_array_add(argv, g_strdup("-sS"));
        g_ptr_array_add(argv, g_strdup("--unix-socket"));
        g_ptr_array_add(argv, g_strdup(f->socket));
        g_ptr_array_add(argv, g_strdup("-w"));
        g_ptr_array_add(argv, g_strdup("\n%{http_code}"));
        if (!get) {
            g_ptr_array_add(argv, g_strdup("-X"));
            g_ptr_array_add(argv, g_strdup("PUT"));
        }
        if (with_config) {
            g_ptr_array_add(argv, g_strdup("-H"));
            g_ptr_array_add(argv, g_strdup("Content-Type: application/json"));
            g_ptr_array_add(argv, g_strdup("-d"));
            g_ptr_array_add(argv, g_strdup_printf("@%s", f->config));
        }
        g_ptr_array_add(argv, g_strdup_printf("http://localhost/api/v1/%s",
                                              endpoint));
        break;
    }
    case VIA_REMOTE:
        g_ptr_array_add(argv, test_build_path("nimbus-remote"));
        g_ptr_array_add(argv, g_strdup("--api-socket"));
        g_ptr_array_add(argv, g_strdup(f->socket));
        g_ptr_array_add(argv, g_strdup(remote_cmd));
        if (with_config)
            g_ptr_array_add(argv, g_strdup(f->config));
        break;
    case VIA_DBUS: {
        g_autofree char *json = NULL;

        g_ptr_array_add(argv, g_strdup("gdbus"));
        g_ptr_array_add(argv, g_strdup("call"));
        /* gdbus gives up after 25 s by default; a boot under the nested
         * harness on a loaded machine takes longer. */
        g_ptr_array_add(argv, g_strdup("--timeout=300"));
        g_ptr_array_add(argv, g_strdup("--address"));
        g_ptr_array_add(argv, g_strdup(f->bus_address));
        g_ptr_array_add(argv, g_strdup("--dest"));
        g_ptr_array_add(argv, g_strdup(DBUS_NAME));
        g_ptr_array_add(argv, g_strdup("--object-path"));
        g_ptr_array_add(argv, g_strdup(DBUS_PATH));
        g_ptr_array_add(argv, g_strdup("--method"));
        g_ptr_array_add(argv, g_strdup_printf("org.cloudhypervisor.DBusApi1.%s",
                                              dbus_method));
        if (with_config) {
            g_assert_true(g_file_get_contents(f->config, &json, NULL, NULL));
            g_ptr_array_add(argv, g_steal_pointer(&json));
        }
        break;
    }
    }
    g_ptr_array_add(argv, NULL);
    rc = test_run((const char *const *)argv->pdata, &raw, 300000);
    if (f->via == VIA_CURL) {
        char *nl = strrchr(raw, '\n');
        guint status = nl ? (guint)atoi(nl + 1) : 0;

        if (nl)
            *nl = '\0';
        *out = g_steal_pointer(&raw);
        return rc == 0 && status >= 200 && status < 300;
    }
    *out = g_steal_pointer(&raw);
    return rc == 0;
}

static void
must(Flow *f, const char *endpoint, const char *remote_cmd,
     const char *dbus_method, bool with_config)
{
    g_autofree char *out = NULL;

    if (!call(f, endpoint, remote_cmd, dbus_method, with_config, &out)) {
        g_test_message("%s failed: %s", endpoint, out);
        g_assert_not_reached();
    }
}

static char *
vm_state(Flow *f)
{
    g_autofree char *out = NULL;
    g_autofree char *json = NULL;
    g_autoptr(JsonParser) p = json_parser_new();

    if (!call(f, "vm.info", "info", "VmInfo", false, &out)) {
        g_test_message("vm.info failed: %s", out);
        g_assert_not_reached();
    }
    if (f->via == VIA_DBUS) {
        /* gdbus prints the reply as GVariant text: ('<json>',) */
        g_autoptr(GVariant) v = g_variant_parse(G_VARIANT_TYPE("(s)"), out,
                                                NULL, NULL, NULL);

        g_assert_nonnull(v);
        g_variant_get(v, "(s)", &json);
    } else {
        json = g_steal_pointer(&out);
    }
    g_assert_true(json_parser_load_from_data(p, json, -1, NULL));
    return g_strdup(json_object_get_string_member(
        json_node_get_object(json_parser_get_root(p)), "state"));
}

/* Records the ticks printed since the last call ("tick <uptime>" lines;
 * the last piece of output may be a line still being written). */
static guint
observe_text(Flow *f, const char *out)
{
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    double now = g_get_monotonic_time() / (double)G_USEC_PER_SEC;
    guint n = 0;

    for (guint i = 0; lines[i] && lines[i + 1]; i++) {
        const char *s = strstr(lines[i], "tick ");
        char *end = NULL;
        double v;

        if (!s)
            continue;
        v = g_ascii_strtod(s + 5, &end);
        if (end == s + 5)
            continue;
        if (++n > f->guest_s->len) {
            g_array_append_val(f->guest_s, v);
            g_array_append_val(f->host_s, now);
        }
    }
    return f->guest_s->len;
}

static guint
observe(Flow *f)
{
    g_autofree char *out = test_proc_output(f->vmm);

    return observe_text(f, out);
}

static guint
wait_ticks(Flow *f, guint n, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        g_autofree char *out = test_proc_output(f->vmm);

        /* A VMM that exited or a guest that panicked ticks no more. */
        if (observe_text(f, out) >= n || g_get_monotonic_time() >= deadline ||
            test_proc_exited(f->vmm) || strstr(out, GUEST_PANIC))
            break;
        g_usleep(20 * 1000);
    }
    if (f->guest_s->len < n) {
        g_autofree char *out = test_proc_output(f->vmm);

        g_test_message("%u of %u ticks; the VMM's output:\n%s",
                       f->guest_s->len, n, out);
    }
    return f->guest_s->len;
}

/*
 * How far the guest's clock is behind ours, over ticks [from, to): host
 * time seen minus guest uptime.  Output reaches us late, never early, so
 * the smallest difference is the best estimate.
 */
static double
clock_offset(Flow *f, guint from, guint to)
{
    double best = G_MAXDOUBLE;

    for (guint i = from; i < to; i++)
        best = MIN(best, g_array_index(f->host_s, double, i) -
                             g_array_index(f->guest_s, double, i));
    return best;
}

static void
wait_state(Flow *f, const char *state, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        g_autofree char *s = vm_state(f);

        if (g_str_equal(s, state))
            return;
        if (g_get_monotonic_time() > deadline) {
            g_test_message("vm.info: state %s, expected %s", s, state);
            g_assert_not_reached();
        }
        g_usleep(200 * 1000);
    }
}

/* The event-monitor stream holds @expected (source/event pairs) in order. */
static void
check_events(Flow *f, const char *const *expected)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) records = NULL;
    guint want = 0;

    g_assert_true(g_file_get_contents(f->events, &text, NULL, NULL));
    records = g_strsplit(text, "\n\n", -1);
    for (guint i = 0; records[i] && expected[want]; i++) {
        g_autoptr(JsonParser) p = json_parser_new();
        JsonObject *o;
        g_autofree char *ev = NULL;

        if (!records[i][0])
            continue;
        g_assert_true(json_parser_load_from_data(p, records[i], -1, NULL));
        o = json_node_get_object(json_parser_get_root(p));
        g_assert_true(json_object_has_member(o, "timestamp"));
        ev = g_strdup_printf("%s/%s", json_object_get_string_member(o, "source"),
                             json_object_get_string_member(o, "event"));
        if (g_str_equal(ev, expected[want]))
            want++;
    }
    if (expected[want]) {
        g_test_message("event %s missing (or out of order) in:\n%s",
                       expected[want], text);
        g_assert_not_reached();
    }
}

static void
run_flow(gconstpointer data)
{
    Via via = GPOINTER_TO_INT(data);
    Flow *f = flow_start(via);
    g_autofree char *state = NULL;
    static const char *const events[] = {
        "vmm/starting", "vm/booting", "vm/booted", "vm/pausing", "vm/paused",
        "vm/resuming", "vm/resumed", "vm/shutdown", "vmm/shutdown", NULL };
    double offset_before, offset_after, paused_s;
    guint running, paused;
    gint64 paused_at;
    int status;

    if (via == VIA_DBUS) {
        /* The name appears once nimbus is serving. */
        g_autofree char *out = NULL;

        for (int i = 0; i < 500; i++) {
            g_clear_pointer(&out, g_free);
            if (call(f, "vmm.ping", "ping", "VmmPing", false, &out))
                break;
            g_usleep(20000);
        }
    }
    must(f, "vm.create", "create", "VmCreate", true);
    state = vm_state(f);
    g_assert_cmpstr(state, ==, "Created");
    g_clear_pointer(&state, g_free);
    must(f, "vm.boot", "boot", "VmBoot", false);
    state = vm_state(f);
    g_assert_cmpstr(state, ==, "Running");
    g_clear_pointer(&state, g_free);
    g_assert_cmpuint(wait_ticks(f, 5, BOOT_TIMEOUT_MS), >=, 5);

    /* Paused: no output, and the guest's clock stands still.  Watch the
     * running guest for a second first, to know its clock offset. */
    wait_ticks(f, f->guest_s->len + 10, 30000);
    must(f, "vm.pause", "pause", "VmPause", false);
    paused_at = g_get_monotonic_time();
    running = observe(f);
    offset_before = clock_offset(f, 5, running);
    state = vm_state(f);
    g_assert_cmpstr(state, ==, "Paused");
    g_clear_pointer(&state, g_free);
    g_usleep(PAUSE_S * G_USEC_PER_SEC);
    /* A line already on its way through the serial port may land. */
    paused = observe(f);
    g_assert_cmpuint(paused, <=, running + 1);
    must(f, "vm.resume", "resume", "VmResume", false);
    paused_s = (g_get_monotonic_time() - paused_at) / (double)G_USEC_PER_SEC;
    g_assert_cmpuint(wait_ticks(f, paused + 10, 60000), >=, paused + 10);
    offset_after = clock_offset(f, paused, f->guest_s->len);
    g_test_message("guest clock %.2f s behind after a %.2f s pause",
                   offset_after - offset_before, paused_s);
    state = vm_state(f);
    g_assert_cmpstr(state, ==, "Running");
    g_clear_pointer(&state, g_free);

    /* The power button reaches busybox acpid, which powers off. */
    must(f, "vm.power-button", "power-button", "VmPowerButton", false);
    wait_state(f, "Shutdown", 120000);

    must(f, "vmm.shutdown", "shutdown-vmm", "VmmShutdown", false);
    status = test_proc_wait_exit(f->vmm, 30000);
    g_assert_cmpint(status, ==, 0);
    check_events(f, events);
    /* Checked last, so that the rest of the flow is checked either way: a
     * stopped clock falls behind ours by the pause, a running one not. */
    if (offset_after - offset_before <= paused_s / 2)
        g_test_fail_printf("the guest clock ran while the VM was paused: it is "
                           "%.2f s behind ours after a %.2f s pause",
                           offset_after - offset_before, paused_s);
    flow_free(f);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/api/flow/curl", GINT_TO_POINTER(VIA_CURL), run_flow);
    g_test_add_data_func("/api/flow/nimbus-remote",
                         GINT_TO_POINTER(VIA_REMOTE), run_flow);
    g_test_add_data_func("/api/flow/dbus", GINT_TO_POINTER(VIA_DBUS), run_flow);
    return g_test_run();
}

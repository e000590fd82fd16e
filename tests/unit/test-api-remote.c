/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of nimbus-remote: argument conversion, and the binary against a real API (REST and D-Bus). */
#include <config.h>

#include <string.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "daemon/api.h"
#include "daemon/event-monitor.h"
#include "daemon/remote/remote.h"
#include "tests/testutil.h"
#include "tests/unit/test-api-util.h"

#define DBUS_NAME "org.cloudhypervisor.RemoteTest"
#define DBUS_PATH "/org/cloudhypervisor/RemoteTest"

/* CLI-syntax arguments become the endpoint's JSON body, key by key. */
static void
test_convert(void)
{
    static const struct {
        const char *cmd;
        const char *arg;
        const char *json;
        guint n_fds;
    } cases[] = {
        { "add-disk", "path=/img.qcow2,readonly=on,image_type=qcow2,"
          "bw_size=1000,bw_refill_time=10,ops_size=5,ops_refill_time=1,"
          "queue_affinity=[0@[1,2],1@[3]],id=d1,pci_segment=1",
          "{\"path\":\"/img.qcow2\",\"readonly\":true,\"image_type\":\"Qcow2\","
          "\"rate_limiter_config\":{\"bandwidth\":{\"size\":1000,"
          "\"refill_time\":10},\"ops\":{\"size\":5,\"refill_time\":1}},"
          "\"queue_affinity\":[{\"queue_index\":0,\"host_cpus\":[1,2]},"
          "{\"queue_index\":1,\"host_cpus\":[3]}],\"id\":\"d1\","
          "\"pci_segment\":1}", 0 },
        { "add-net", "tap=tap0,mac=12:34:56:78:9a:bc,num_queues=4,"
          "offload_tso=off,vhost_mode=server",
          "{\"tap\":\"tap0\",\"mac\":\"12:34:56:78:9a:bc\",\"num_queues\":4,"
          "\"offload_tso\":false,\"vhost_mode\":\"Server\"}", 0 },
        { "add-net", "fd=[7,8],num_queues=4",
          "{\"fds\":[-1,-1],\"num_queues\":4}", 2 },
        { "add-pmem", "file=/pmem,size=2M,discard_writes=on",
          "{\"file\":\"/pmem\",\"size\":2097152,\"discard_writes\":true}", 0 },
        { "add-fs", "tag=myfs,socket=/tmp/fs.sock,num_queues=1,queue_size=512",
          "{\"tag\":\"myfs\",\"socket\":\"/tmp/fs.sock\",\"num_queues\":1,"
          "\"queue_size\":512}", 0 },
        { "add-vsock", "cid=3,socket=/tmp/vsock",
          "{\"cid\":3,\"socket\":\"/tmp/vsock\"}", 0 },
        { "add-generic-vhost-user", "socket=/s,queue_sizes=[256,256],"
          "device_type=fs", "{\"socket\":\"/s\",\"queue_sizes\":[256,256],"
          "\"device_type\":26}", 0 },
        { "add-device", "path=/sys/bus/pci/devices/0000:01:00.0/,iommu=on",
          "{\"path\":\"/sys/bus/pci/devices/0000:01:00.0/\",\"iommu\":true}", 0 },
        { "remove-device", "_disk0", "{\"id\":\"_disk0\"}", 0 },
        { "snapshot", "file:///tmp/snap", "{\"destination_url\":\"file:///tmp/snap\"}", 0 },
        { "restore", "source_url=file:///tmp/snap,prefault=on,"
          "memory_restore_mode=ondemand", "{\"source_url\":\"file:///tmp/snap\","
          "\"prefault\":true,\"memory_restore_mode\":\"OnDemand\"}", 0 },
        { "send-migration", "unix:/tmp/mig.sock",
          "{\"destination_url\":\"unix:/tmp/mig.sock\"}", 0 },
        { "send-migration", "destination_url=tcp:1.2.3.4:6000,downtime_ms=100,"
          "timeout_strategy=ignore,connections=4",
          "{\"destination_url\":\"tcp:1.2.3.4:6000\",\"downtime_ms\":100,"
          "\"timeout_strategy\":\"Ignore\",\"connections\":4}", 0 },
        { "receive-migration", "receiver_url=unix:/tmp/r,memory_mode=postcopy",
          "{\"receiver_url\":\"unix:/tmp/r\",\"memory_mode\":\"Postcopy\"}", 0 },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        const RemoteCommand *cmd = remote_command_find(cases[i].cmd);
        char *argv[] = { (char *)cases[i].arg, NULL };
        RemoteRequest req = { 0 };
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) got = NULL;
        g_autoptr(JsonNode) want = NULL;

        g_test_message("%s %s", cases[i].cmd, cases[i].arg);
        g_assert_nonnull(cmd);
        g_assert_true(remote_command_build(cmd, 1, argv, &req, &error));
        g_assert_no_error(error);
        g_test_message("-> %s", req.body);
        got = parse_json(req.body);
        want = parse_json(cases[i].json);
        g_assert_true(json_node_equal(got, want));
        g_assert_cmpuint(req.fds ? req.fds->len : 0, ==, cases[i].n_fds);
        remote_request_clear(&req);
    }
}

static void
test_convert_resize(void)
{
    static const struct {
        const char *cmd;
        const char *args[5];
        const char *json;    /* NULL: an error */
    } cases[] = {
        { "resize", { "--cpus", "4", "--memory=2G", NULL },
          "{\"desired_vcpus\":4,\"desired_ram\":2147483648}" },
        { "resize", { "--balloon", "512M", NULL },
          "{\"desired_balloon\":536870912}" },
        { "resize", { NULL }, NULL },
        { "resize", { "--cpus", "x", NULL }, NULL },
        { "resize", { "--cpus", NULL }, NULL },
        { "resize", { "--disk", "a", NULL }, NULL },
        { "resize-disk", { "--disk", "_disk0", "--size", "10G", NULL },
          "{\"id\":\"_disk0\",\"desired_size\":10737418240}" },
        { "resize-disk", { "--disk", "_disk0", NULL }, NULL },
        { "resize-zone", { "--id", "mem0", "--size", "1G", NULL },
          "{\"id\":\"mem0\",\"desired_ram\":1073741824}" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        const RemoteCommand *cmd = remote_command_find(cases[i].cmd);
        RemoteRequest req = { 0 };
        g_autoptr(GError) error = NULL;
        int argc = 0;

        while (cases[i].args[argc])
            argc++;
        g_test_message("case %u", i);
        if (!cases[i].json) {
            g_assert_false(remote_command_build(cmd, argc,
                                                (char **)cases[i].args, &req,
                                                &error));
            g_assert_nonnull(error);
            g_test_message("error: %s", error->message);
        } else {
            g_autoptr(JsonNode) got = NULL;
            g_autoptr(JsonNode) want = parse_json(cases[i].json);

            g_assert_true(remote_command_build(cmd, argc,
                                               (char **)cases[i].args, &req,
                                               &error));
            got = parse_json(req.body);
            g_assert_true(json_node_equal(got, want));
        }
        remote_request_clear(&req);
    }
}

static void
test_convert_errors(void)
{
    static const struct {
        const char *cmd;
        const char *arg;
        const char *needle;
    } cases[] = {
        { "add-disk", "path=/x,bogus=1", "unknown key 'bogus'" },
        { "add-disk", "path=/x,readonly=maybe", "readonly" },
        { "add-disk", "path=/x,image_type=floppy", "image_type=floppy" },
        { "add-pmem", "file=/x,size=lots", "size" },
        { "add-generic-vhost-user", "socket=/s,device_type=toaster",
          "device_type=toaster" },
        { "restore", "prefault=on", "source_url is required" },
        { "add-net", "fd=[3,4", "" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        const RemoteCommand *cmd = remote_command_find(cases[i].cmd);
        char *argv[] = { (char *)cases[i].arg, NULL };
        RemoteRequest req = { 0 };
        g_autoptr(GError) error = NULL;

        g_assert_false(remote_command_build(cmd, 1, argv, &req, &error));
        g_test_message("%s: %s", cases[i].arg, error->message);
        g_assert_nonnull(strstr(error->message, cases[i].needle));
        remote_request_clear(&req);
    }
    /* Argument counts. */
    {
        RemoteRequest req = { 0 };
        g_autoptr(GError) error = NULL;
        char *argv[] = { (char *)"extra", NULL };

        g_assert_false(remote_command_build(remote_command_find("boot"), 1,
                                            argv, &req, &error));
        g_assert_nonnull(strstr(error->message, "no argument"));
    }
    g_assert_null(remote_command_find("frobnicate"));
}

/* ---- The binary against a live API ----------------------------------- */

static char *bus_address;
static TestProc *bus;
static char *config;        /* a VmConfig JSON file naming the kernel */

/* REST on a socket and D-Bus, both served, as nimbus with both options. */
static Server *
remote_server_start(void)
{
    g_autofree char *path = g_build_filename(test_tmpdir(), "remote.sock",
                                             NULL);
    Server *s = server_start_apis(path, -1, DBUS_NAME, DBUS_PATH);
    g_autofree char *json = g_strdup_printf(
        "{\"payload\": {\"kernel\": \"%s\"}}", s->kernel);

    if (!config)
        config = g_build_filename(test_tmpdir(), "vm.json", NULL);
    g_assert_true(g_file_set_contents(config, json, -1, NULL));
    return s;
}

/* nimbus-remote with the transport options of @dbus, then @args. */
static int
remote(Server *s, bool dbus, const char *const *args, char **out)
{
    g_autofree char *bin = test_build_path("nimbus-remote");
    g_autoptr(GPtrArray) argv = g_ptr_array_new();

    g_ptr_array_add(argv, bin);
    if (dbus) {
        g_ptr_array_add(argv, (char *)"--dbus-service-name");
        g_ptr_array_add(argv, (char *)DBUS_NAME);
        g_ptr_array_add(argv, (char *)"--dbus-object-path=" DBUS_PATH);
    } else {
        g_ptr_array_add(argv, (char *)"--api-socket");
        g_ptr_array_add(argv, s->path);
    }
    for (guint i = 0; args[i]; i++)
        g_ptr_array_add(argv, (char *)args[i]);
    g_ptr_array_add(argv, NULL);
    return test_run((const char *const *)argv->pdata, out, 20000);
}

#define RUN(dbus, expect_rc, needle, ...)                                 \
    do {                                                                   \
        const char *args_[] = { __VA_ARGS__, NULL };                       \
        const char *needle_ = (needle);                                    \
        g_autofree char *out_ = NULL;                                      \
        int rc_ = remote(s, dbus, args_, &out_);                           \
        g_test_message("%s: rc %d: %s", args_[0], rc_, out_);               \
        g_assert_cmpint(rc_, ==, expect_rc);                               \
        if (needle_)                                                       \
            g_assert_nonnull(strstr(out_, needle_));                       \
    } while (0)

static void
flow(Server *s, bool dbus)
{
    RUN(dbus, 0, "\"version\"", "ping");
    RUN(dbus, 1, dbus ? "Error: VmInfo failed" : "Error: vm.info: the VMM answered 404",
        "info");
    RUN(dbus, 1, "caused by: ", "info");
    RUN(dbus, 0, NULL, "create", config);
    RUN(dbus, 0, "\"state\":\"Created\"", "info");
    RUN(dbus, 1, "cannot pause the VM in state Created", "pause");
    RUN(dbus, 1, "vm.add-vdpa is not supported yet", "add-vdpa", "path=/x");
    /* Hotplug on the created VM: its config alone changes. */
    RUN(dbus, 0, NULL, "add-net", "id=n1,tap=hp0");
    RUN(dbus, 0, "\"n1\"", "info");
    RUN(dbus, 0, NULL, "remove-device", "n1");
    RUN(dbus, 1, "no device with id 'n1'", "remove-device", "n1");
    RUN(dbus, 1, "desired_vcpus: 2 is out of range", "resize", "--cpus",
        "2");
    RUN(dbus, 1, "the VM has no balloon device", "resize", "--balloon", "1M");
    /* vm.resize-zone reaches the VMM over both transports. */
    RUN(dbus, 1, "no memory zone with id 'z'", "resize-zone", "--id", "z",
        "--size", "1G");
    RUN(dbus, 0, NULL, "counters");
    RUN(dbus, 0, NULL, "delete");
}

static void
test_binary_http(void)
{
    Server *s = remote_server_start();
    g_autofree char *cmd = NULL;
    g_autofree char *out = NULL;
    g_autofree char *bin = test_build_path("nimbus-remote");

    flow(s, false);
    /* create - reads the config from stdin. */
    cmd = g_strdup_printf("'%s' --api-socket '%s' create - < '%s'", bin,
                          s->path, config);
    {
        const char *argv[] = { "sh", "-c", cmd, NULL };

        g_assert_cmpint(test_run(argv, &out, 20000), ==, 0);
    }
    RUN(false, 0, "\"state\":\"Created\"", "info");
    /* fd=[..] descriptors really travel: a bad one fails to send. */
    RUN(false, 1, "Bad file descriptor", "add-net", "fd=[999],num_queues=2");
    RUN(false, 1, "Error from API", "nmi");
    RUN(false, 0, NULL, "shutdown-vmm");
    g_assert_cmpint(server_wait(s), ==, 0);
}

static void
test_binary_dbus(void)
{
    Server *s = remote_server_start();

    flow(s, true);
    RUN(true, 1, "not available over D-Bus", "nmi");
    RUN(true, 1, "D-Bus cannot carry file descriptors", "add-net",
        "fd=[0],num_queues=2");
    RUN(true, 0, NULL, "shutdown-vmm");
    g_assert_cmpint(server_wait(s), ==, 0);
}

static void
test_binary_cli(void)
{
    g_autofree char *bin = test_build_path("nimbus-remote");
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;
    const char *help[] = { bin, "--help", NULL };
    const char *version[] = { bin, "-V", NULL };
    const char *none[] = { bin, "ping", NULL };
    const char *both[] = { bin, "--api-socket", "/x", "--dbus-system-bus",
                           "ping", NULL };
    const char *unknown[] = { bin, "--api-socket", "/x", "frob", NULL };
    const char *badopt[] = { bin, "--frob", NULL };
    const char *nosock[] = { bin, "--api-socket", "/nonexistent/s", "ping",
                             NULL };
    char *prev = g_strdup("");
    bool in_commands = false;

    g_assert_cmpint(test_run(help, &out, 10000), ==, 0);
    /* Commands are listed in alphabetical order. */
    lines = g_strsplit(out, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) words = NULL;

        if (g_str_equal(lines[i], "Commands:")) {
            in_commands = true;
            continue;
        }
        if (!in_commands || !g_str_has_prefix(lines[i], "  ") ||
            lines[i][2] == ' ')
            continue;
        words = g_strsplit(lines[i] + 2, " ", 2);
        g_assert_cmpint(strcmp(prev, words[0]), <, 0);
        g_free(prev);
        prev = g_strdup(words[0]);
    }
    g_assert_true(in_commands);
    g_assert_cmpstr(prev, ==, "snapshot");
    g_free(prev);
    g_assert_nonnull(strstr(out, "shutdown-vmm"));
    g_clear_pointer(&out, g_free);

    g_assert_cmpint(test_run(version, &out, 10000), ==, 0);
    g_assert_true(g_str_has_prefix(out, "nimbus-remote "));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(test_run(none, &out, 10000), ==, 1);
    g_assert_nonnull(strstr(out, "--api-socket"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(test_run(both, &out, 10000), ==, 1);
    g_assert_nonnull(strstr(out, "cannot be used together"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(test_run(unknown, &out, 10000), ==, 1);
    g_assert_nonnull(strstr(out, "unknown command 'frob'"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(test_run(badopt, &out, 10000), ==, 1);
    g_assert_nonnull(strstr(out, "unknown option '--frob'"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(test_run(nosock, &out, 10000), ==, 1);
    g_assert_nonnull(strstr(out, "Error: vmm.ping: cannot talk to the VMM"));
    g_assert_nonnull(strstr(out, "  caused by: "));
}

int
main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    /* nimbus-remote inherits the bus address and uses the session bus. */
    bus = test_dbus_daemon_spawn("--session", &bus_address);
    g_setenv("DBUS_SESSION_BUS_ADDRESS", bus_address, TRUE);
    g_test_add_func("/api/remote/convert", test_convert);
    g_test_add_func("/api/remote/convert-resize", test_convert_resize);
    g_test_add_func("/api/remote/convert-errors", test_convert_errors);
    g_test_add_func("/api/remote/binary-cli", test_binary_cli);
    g_test_add_func("/api/remote/binary-http", test_binary_http);
    g_test_add_func("/api/remote/binary-dbus", test_binary_dbus);
    ret = g_test_run();
    event_monitor_close();
    test_proc_free(bus);
    g_free(bus_address);
    g_free(config);
    return ret;
}

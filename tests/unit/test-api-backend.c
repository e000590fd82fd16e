/* SPDX-License-Identifier: Apache-2.0 */
/* Table-driven tests of the API's status codes against a real Vmm (no guest booted). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <seccomp.h>

#include "daemon/api-backend.h"
#include "devices/block/block.h"
#include "tests/testutil.h"

static char *kernel_path;

/* vm_config_validate() wants a readable payload: any file does until boot. */
static const char *
kernel(void)
{
    if (!kernel_path) {
        kernel_path = g_build_filename(test_tmpdir(), "vmlinux", NULL);
        g_assert_true(g_file_set_contents(kernel_path, "not a kernel", -1, NULL));
    }
    return kernel_path;
}

static char *
config_json(const char *extra)
{
    return g_strdup_printf("{\"payload\": {\"kernel\": \"%s\"}%s%s}", kernel(),
                           extra ? ", " : "", extra ? extra : "");
}

/* @fds: transfer full, as api_backend_execute(). */
static void
run(Vmm *vmm, ApiAction action, const char *body, GArray *fds, ApiResult *r)
{
    g_autoptr(GBytes) b = body ? g_bytes_new(body, strlen(body)) : NULL;

    api_backend_execute(vmm, action, b, fds, r);
    if (r->errors) {
        g_autofree char *msg = api_result_error_message(r);

        g_test_message("%s: %u %s", api_action_info(action)->endpoint,
                       r->status, msg);
    }
}

static guint
run_status(Vmm *vmm, ApiAction action, const char *body)
{
    ApiResult r = { 0 };
    guint status;

    run(vmm, action, body, NULL, &r);
    status = r.status;
    api_result_clear(&r);
    return status;
}

/* A step: "create" (a valid config) or an action with an optional body. */
typedef struct {
    ApiAction action;
    const char *body;        /* "@config": a valid config */
} Step;

typedef struct {
    const char *name;
    Step setup[3];           /* run first, each must succeed */
    Step step;
    guint status;
    const char *first_error; /* outermost link, NULL: success */
    const char *mentions;    /* some link contains it */
} StatusCase;

#define NONE { API_ACTION_LAST, NULL }
#define CREATE { API_ACTION_VM_CREATE, "@config" }

static const StatusCase status_cases[] = {
    /* Before vm.create: 404, as CH's VmNotCreated. */
    { "info-before-create", { NONE }, { API_ACTION_VM_INFO, NULL }, 404,
      "Error from API", "not created" },
    { "boot-before-create", { NONE }, { API_ACTION_VM_BOOT, NULL }, 404,
      "Error from API", "The VM could not boot" },
    { "pause-before-create", { NONE }, { API_ACTION_VM_PAUSE, NULL }, 404,
      "Error from API", NULL },
    { "resume-before-create", { NONE }, { API_ACTION_VM_RESUME, NULL }, 404,
      "Error from API", NULL },
    { "shutdown-before-create", { NONE }, { API_ACTION_VM_SHUTDOWN, NULL },
      404, "Error from API", NULL },
    { "reboot-before-create", { NONE }, { API_ACTION_VM_REBOOT, NULL }, 404,
      "Error from API", NULL },
    { "power-button-before-create", { NONE },
      { API_ACTION_VM_POWER_BUTTON, NULL }, 404, "Error from API", NULL },
    { "nmi-before-create", { NONE }, { API_ACTION_VM_NMI, NULL }, 404,
      "Error from API", NULL },
    { "counters-before-create", { NONE }, { API_ACTION_VM_COUNTERS, NULL },
      404, "Error from API", NULL },
    /* CH: deleting nothing succeeds. */
    { "delete-before-create", { NONE }, { API_ACTION_VM_DELETE, NULL }, 204,
      NULL, NULL },
    { "ping", { NONE }, { API_ACTION_VMM_PING, NULL }, 200, NULL, NULL },
    { "resize-before-create", { NONE },
      { API_ACTION_VM_RESIZE, "{\"desired_balloon\": 0}" }, 404,
      "Error from API", "The VM could not be resized" },

    /* Bad bodies: 400 naming the problem. */
    { "create-no-body", { NONE }, { API_ACTION_VM_CREATE, NULL }, 400,
      "Bad Request", "needs a JSON request body" },
    { "create-bad-json", { NONE }, { API_ACTION_VM_CREATE, "{\"payload\": " },
      400, "Failed to deserialize JSON", NULL },
    { "create-not-object", { NONE }, { API_ACTION_VM_CREATE, "[1, 2]" }, 400,
      "Failed to deserialize JSON", "JSON object" },
    { "create-wrong-type", { NONE },
      { API_ACTION_VM_CREATE, "{\"payload\": {\"kernel\": \"/k\"}, "
                              "\"cpus\": {\"boot_vcpus\": \"two\"}}" },
      400, "Failed to deserialize JSON", "boot_vcpus" },
    { "create-unknown-field", { NONE },
      { API_ACTION_VM_CREATE, "{\"payload\": {\"kernel\": \"/k\"}, "
                              "\"no_such_field\": 1}" },
      400, "Failed to deserialize JSON", "no_such_field" },
    { "create-missing-kernel-file", { NONE },
      { API_ACTION_VM_CREATE,
        "{\"payload\": {\"kernel\": \"/nonexistent/vmlinux\"}}" },
      400, "Error from API", "/nonexistent/vmlinux" },
    { "create-net-fds-without-fds", { NONE },
      { API_ACTION_VM_CREATE, "@config:\"net\": [{\"fds\": [3, 4], "
                              "\"num_queues\": 4}]" },
      400, "Error from API", "names 2 fd(s)" },
    /* Rules the devices used to check only at vm.boot (with the CLI's
     * "--disk:" words): refused here, naming the JSON field. */
    { "create-disk-queue-size-2", { NONE },
      { API_ACTION_VM_CREATE, "@config:\"disks\": [{\"path\": \"/d\", "
                              "\"queue_size\": 2}]" },
      400, "Error from API", "disks[0]: queue_size=2: expected a power of two "
      "between 4 and" },
    /* Only what reads guest memory through the translated queues can be
     * behind the virtio-iommu. */
    { "create-balloon-iommu", { NONE },
      { API_ACTION_VM_CREATE, "@config:\"balloon\": {\"size\": 0, "
                              "\"iommu\": true}" },
      400, "Failed to deserialize JSON",
      "balloon.iommu: refused: a virtio-balloon cannot be put behind the "
      "IOMMU" },
    { "create-iommu-segments", { NONE },
      { API_ACTION_VM_CREATE, "@config:\"platform\": {\"iommu_segments\": "
                              "[2]}" },
      400, "Error from API",
      "platform: iommu_segments: PCI segment 2 does not exist" },
    { "create-iommu-width", { NONE },
      { API_ACTION_VM_CREATE, "@config:\"platform\": "
                              "{\"iommu_address_width_bits\": 11}" },
      400, "Failed to deserialize JSON", "platform.iommu_address_width_bits: "
      "expected an integer between 12 and 64" },
    { "create-net-ipv6", { NONE },
      { API_ACTION_VM_CREATE, "@config:\"net\": [{\"ip\": \"fd00::1\"}]" },
      400, "Error from API", "net[0]: ip=fd00::1: IPv6 host addresses are not "
      "supported yet" },
    { "create-pci-slot-twice", { NONE },
      { API_ACTION_VM_CREATE, "@config:\"disks\": [{\"path\": \"/d\", "
                              "\"pci_device_id\": 3}], \"net\": "
                              "[{\"pci_device_id\": 3}]" },
      400, "Error from API", "net[0]: pci_device_id=3 is already used by "
      "disks[0]" },
    { "boot-with-body", { CREATE }, { API_ACTION_VM_BOOT, "{}" }, 400,
      "Bad Request", "takes no request body" },

    /* After vm.create: the VM is Created. */
    { "create", { NONE }, CREATE, 204, NULL, NULL },
    { "create-twice", { CREATE }, CREATE, 409, "Error from API",
      "already created" },
    { "info-created", { CREATE }, { API_ACTION_VM_INFO, NULL }, 200, NULL,
      NULL },
    { "counters-created", { CREATE }, { API_ACTION_VM_COUNTERS, NULL }, 200,
      NULL, NULL },
    { "pause-created", { CREATE }, { API_ACTION_VM_PAUSE, NULL }, 405,
      "Error from API", "Created" },
    { "resume-created", { CREATE }, { API_ACTION_VM_RESUME, NULL }, 405,
      "Error from API", "Created" },
    { "shutdown-created", { CREATE }, { API_ACTION_VM_SHUTDOWN, NULL }, 405,
      "Error from API", NULL },
    { "reboot-created", { CREATE }, { API_ACTION_VM_REBOOT, NULL }, 405,
      "Error from API", NULL },
    { "power-button-created", { CREATE },
      { API_ACTION_VM_POWER_BUTTON, NULL }, 405, "Error from API", NULL },
    { "delete-created", { CREATE }, { API_ACTION_VM_DELETE, NULL }, 204, NULL,
      NULL },
    { "info-after-delete", { CREATE, { API_ACTION_VM_DELETE, NULL } },
      { API_ACTION_VM_INFO, NULL }, 404, "Error from API", NULL },
    { "create-after-delete", { CREATE, { API_ACTION_VM_DELETE, NULL } },
      CREATE, 204, NULL, NULL },

    /* Hotplug: body checks first, then the VM's state and the config's
     * rules (the hotplug-config test below has the successes). */
    { "add-disk-no-body", { CREATE }, { API_ACTION_VM_ADD_DISK, NULL }, 400,
      "Bad Request", NULL },
    { "add-disk-bad-field", { CREATE },
      { API_ACTION_VM_ADD_DISK, "{\"path\": \"/x\", \"readonly\": \"yes\"}" },
      400, "Failed to deserialize JSON", "readonly" },
    { "add-disk-not-created", { NONE },
      { API_ACTION_VM_ADD_DISK, "{\"path\": \"/x\"}" }, 404,
      "Error from API", "not created" },
    { "add-disk-missing-file", { CREATE },
      { API_ACTION_VM_ADD_DISK, "{\"path\": \"/nonexistent/x\"}" }, 400,
      "Error from API", "/nonexistent/x" },
    { "add-net-fds-missing", { CREATE },
      { API_ACTION_VM_ADD_NET, "{\"fds\": [-1], \"num_queues\": 2}" }, 400,
      "Error from API", "names 1 fd(s) but 0 were received" },
    { "remove-device-not-created", { NONE },
      { API_ACTION_VM_REMOVE_DEVICE, "{\"id\": \"_disk0\"}" }, 404,
      "Error from API", "not created" },
    { "remove-device-unknown", { CREATE },
      { API_ACTION_VM_REMOVE_DEVICE, "{\"id\": \"nope\"}" }, 404,
      "Error from API", "'nope'" },
    { "remove-device-no-id", { CREATE },
      { API_ACTION_VM_REMOVE_DEVICE, "{}" }, 400,
      "Failed to deserialize JSON", "id" },
    { "remove-device-extra-field", { CREATE },
      { API_ACTION_VM_REMOVE_DEVICE, "{\"id\": \"a\", \"x\": 1}" }, 400,
      "Failed to deserialize JSON", "id" },
    /* Snapshot and restore (daemon/snapshot.c): the state rules first. */
    { "snapshot", { CREATE },
      { API_ACTION_VM_SNAPSHOT, "{\"destination_url\": \"file:///tmp/s\"}" },
      405, "Error from API", "cannot snapshot the VM in state Created" },
    { "snapshot-extra-member", { CREATE },
      { API_ACTION_VM_SNAPSHOT,
        "{\"destination_url\": \"file:///tmp/s\", \"x\": 1}" },
      400, "Failed to deserialize JSON", "destination_url" },
    { "snapshot-before-create", { NONE },
      { API_ACTION_VM_SNAPSHOT, "{\"destination_url\": \"file:///tmp/s\"}" },
      404, "Error from API", "VM is not created" },
    { "restore-when-created", { CREATE },
      { API_ACTION_VM_RESTORE, "{\"source_url\": \"file:///tmp/s\"}" },
      409, "Error from API", "VM is already created" },
    { "restore-bad-field", { NONE },
      { API_ACTION_VM_RESTORE, "{\"source_url\": \"file:///s\", "
        "\"prefault\": \"yes\"}" },
      400, "Failed to deserialize JSON", "'prefault' must be a boolean" },
    { "restore-no-url", { NONE }, { API_ACTION_VM_RESTORE, "{}" },
      400, "Failed to deserialize JSON", "missing field 'source_url'" },
    /* OnDemand fills every page anyway: prefault is Copy's. */
    { "restore-ondemand-prefault", { NONE },
      { API_ACTION_VM_RESTORE, "{\"source_url\": \"file:///nonexistent\", "
        "\"memory_restore_mode\": \"OnDemand\", \"prefault\": true}" },
      500, "Error from API",
      "prefault applies to memory_restore_mode 'Copy' only" },
    { "restore-missing-dir", { NONE },
      { API_ACTION_VM_RESTORE, "{\"source_url\": \"file:///nonexistent\"}" },
      500, "Error from API", "config.json" },
    { "snapshot-bad-json", { CREATE }, { API_ACTION_VM_SNAPSHOT, "{" }, 400,
      "Failed to deserialize JSON", NULL },
    /* Nothing to cancel: 405, not a fake success. */
    { "cancel-migration-before-create", { NONE },
      { API_ACTION_VM_NIMBUS_CANCEL_MIGRATION, NULL }, 405,
      "Error from API", "no outgoing migration" },
    { "cancel-migration-none", { CREATE },
      { API_ACTION_VM_NIMBUS_CANCEL_MIGRATION, NULL }, 405,
      "Error from API", "no outgoing migration" },
    { "cancel-migration-body", { NONE },
      { API_ACTION_VM_NIMBUS_CANCEL_MIGRATION, "{}" }, 400, "Bad Request",
      "takes no request body" },
};

static void
test_status(gconstpointer data)
{
    const StatusCase *c = data;
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autofree char *config = config_json(NULL);
    ApiResult r = { 0 };
    Step step = c->step;
    g_autofree char *body = NULL;

    for (guint i = 0; i < G_N_ELEMENTS(c->setup); i++) {
        const Step *s = &c->setup[i];

        if (s->action == API_ACTION_LAST)
            break;
        g_assert_cmpuint(run_status(vmm, s->action,
                                    s->body ? config : NULL), <, 300);
    }
    if (step.body && g_str_has_prefix(step.body, "@config:"))
        body = config_json(step.body + strlen("@config:"));
    else if (step.body && g_str_equal(step.body, "@config"))
        body = g_strdup(config);
    else
        body = g_strdup(step.body);
    run(vmm, step.action, body, NULL, &r);
    g_assert_cmpuint(r.status, ==, c->status);
    if (!c->first_error) {
        g_assert_null(r.errors);
        g_assert_true((r.status == 200) == (r.body != NULL));
    } else {
        g_autofree char *msg = api_result_error_message(&r);

        g_assert_nonnull(r.errors);
        g_assert_null(r.body);
        g_assert_cmpstr(g_ptr_array_index(r.errors, 0), ==, c->first_error);
        if (c->mentions)
            g_assert_nonnull(strstr(msg, c->mentions));
    }
    api_result_clear(&r);
}

/* Hot-add and remove on a created VM (not booted): only the config of
 * record changes, checked by vm.create's rules, and vm.info shows it. */
static void
test_hotplug_config(void)
{
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autofree char *config = config_json(NULL);
    g_autofree char *disk = g_strdup_printf("{\"path\": \"%s\", "
                                            "\"id\": \"d1\"}", kernel());
    ApiResult r = { 0 };

    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_CREATE, config), ==, 204);
    /* No guest yet: no PCI address to report, CH answers 204. */
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_ADD_NET,
                                "{\"id\": \"n1\", \"tap\": \"hp0\"}"), ==,
                     204);
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_ADD_DISK, disk), ==, 204);
    /* A taken id is refused, the config unchanged. */
    run(vmm, API_ACTION_VM_ADD_NET, "{\"id\": \"d1\", \"tap\": \"hp1\"}",
        NULL, &r);
    g_assert_cmpuint(r.status, >=, 400);
    g_assert_cmpuint(r.status, <, 500);
    api_result_clear(&r);
    run(vmm, API_ACTION_VM_INFO, NULL, NULL, &r);
    g_assert_nonnull(strstr(r.body, "\"n1\""));
    g_assert_nonnull(strstr(r.body, "\"d1\""));
    g_assert_null(strstr(r.body, "hp1"));
    api_result_clear(&r);

    /* The platform's and non-hotplug devices cannot be removed. */
    run(vmm, API_ACTION_VM_REMOVE_DEVICE, "{\"id\": \"__rng\"}", NULL, &r);
    g_assert_cmpuint(r.status, ==, 400);
    api_result_clear(&r);
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_REMOVE_DEVICE,
                                "{\"id\": \"d1\"}"), ==, 204);
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_REMOVE_DEVICE,
                                "{\"id\": \"d1\"}"), ==, 404);
    run(vmm, API_ACTION_VM_INFO, NULL, NULL, &r);
    g_assert_null(strstr(r.body, "\"d1\""));
    g_assert_nonnull(strstr(r.body, "\"n1\""));
    api_result_clear(&r);
}

/* vm.resize-disk's API half: CH's VmResizeDisk body, and a disk that is
 * not there or not running yet is refused (test-virtio-blk.c has the
 * device half). */
static void
test_resize_disk_refusals(void)
{
    static const struct {
        const char *body;
        guint status;
        const char *mentions;
    } bad[] = {
        { "{}", 400, "'id'" },
        { "{\"id\": \"_disk0\"}", 400, "'desired_size'" },
        { "{\"id\": 1, \"desired_size\": 1048576}", 400, "'id'" },
        { "{\"id\": \"_disk0\", \"desired_size\": -1}", 400,
          "'desired_size'" },
        { "{\"id\": \"_disk0\", \"desired_size\": 1048576, \"x\": 1}",
          400, "only fields" },
        { "{\"id\": \"nope\", \"desired_size\": 1048576}", 404,
          "no disk with id 'nope'" },
        /* Created, not booted: there is no device to grow yet. */
        { "{\"id\": \"_disk0\", \"desired_size\": 1048576}", 405,
          "state Created" },
    };
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autofree char *img = g_build_filename(test_tmpdir(), "resize.img", NULL);
    g_autofree char *disks = NULL;
    g_autofree char *config = NULL;

    g_assert_true(g_file_set_contents(img, "", 0, NULL));
    disks = g_strdup_printf("\"disks\": [{\"path\": \"%s\", "
                            "\"id\": \"_disk0\"}]", img);
    config = config_json(disks);

    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_RESIZE_DISK,
                                "{\"id\": \"_disk0\", \"desired_size\": 0}"),
                     ==, 404);
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_CREATE, config), ==, 204);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        ApiResult r = { 0 };
        g_autofree char *msg = NULL;

        run(vmm, API_ACTION_VM_RESIZE_DISK, bad[i].body, NULL, &r);
        msg = api_result_error_message(&r);
        g_assert_cmpuint(r.status, ==, bad[i].status);
        g_assert_nonnull(strstr(msg, bad[i].mentions));
        api_result_clear(&r);
    }
}

/* Every action CH has that nimbus lacks answers 500 "not supported yet"
 * to a well-formed request, and never a fake success. */
static void
test_unsupported_all(void)
{
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autofree char *config = config_json(NULL);

    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_CREATE, config), ==, 204);
    for (ApiAction a = 0; a < API_ACTION_LAST; a++) {
        const ApiActionInfo *info = api_action_info(a);
        const char *body = a == API_ACTION_VM_ADD_DISK ? "{\"path\": \"/x\"}"
                                                       : "{}";
        ApiResult r = { 0 };
        g_autofree char *msg = NULL;

        if (info->supported)
            continue;
        g_assert_true(info->body);
        run(vmm, a, body, NULL, &r);
        msg = api_result_error_message(&r);
        g_assert_cmpuint(r.status, ==, 500);
        g_assert_nonnull(strstr(msg, "not supported yet"));
        g_assert_nonnull(strstr(msg, info->endpoint));
        api_result_clear(&r);
    }
}

static JsonNode *
parse(const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();

    g_assert_true(json_parser_load_from_data(p, json, -1, NULL));
    return json_parser_steal_root(p);
}

static void
test_info_content(void)
{
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autofree char *config = config_json("\"cpus\": {\"boot_vcpus\": 2, \"max_vcpus\": 2}");
    g_autoptr(JsonNode) info = NULL;
    g_autoptr(JsonNode) ping = NULL;
    JsonObject *o;
    ApiResult r = { 0 };

    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_CREATE, config), ==, 204);
    run(vmm, API_ACTION_VM_INFO, NULL, NULL, &r);
    g_assert_cmpuint(r.status, ==, 200);
    info = parse(r.body);
    o = json_node_get_object(info);
    g_assert_cmpstr(json_object_get_string_member(o, "state"), ==, "Created");
    g_assert_cmpint(json_object_get_int_member(
                        json_object_get_object_member(
                            json_object_get_object_member(o, "config"), "cpus"),
                        "boot_vcpus"), ==, 2);
    g_assert_true(json_object_has_member(o, "memory_actual_size"));
    /* Runtime facts (pty paths, MACs...) are the devices': none before
     * boot, and never in the config. */
    g_assert_cmpuint(json_object_get_size(
                         json_object_get_object_member(o, "runtime")), ==, 0);
    api_result_clear(&r);

    run(vmm, API_ACTION_VMM_PING, NULL, NULL, &r);
    ping = parse(r.body);
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(ping), "pid"),
                    ==, getpid());
    api_result_clear(&r);
}

static int
open_null(void)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

    g_assert_cmpint(fd, >, 2);
    return fd;
}

static bool
fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

/* vm.create's net "fds" take the descriptors received with the request, in
 * order; the VM keeps them until vm.delete.  Any failure closes them. */
static void
test_create_net_fds(void)
{
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autofree char *config = config_json(
        "\"cpus\": {\"boot_vcpus\": 2, \"max_vcpus\": 2}, "
        "\"net\": [{\"fds\": [-1], \"num_queues\": 2}, "
        "{\"fds\": [-1, -1], \"num_queues\": 4}]");
    g_autoptr(GArray) fds = g_array_new(FALSE, FALSE, sizeof(int));
    g_autoptr(GArray) few = g_array_new(FALSE, FALSE, sizeof(int));
    g_autoptr(JsonNode) info = NULL;
    JsonArray *nets;
    ApiResult r = { 0 };
    int kept[3], lost[2];

    /* Two fds for three placeholders: refused, and closed. */
    for (guint i = 0; i < 2; i++) {
        lost[i] = open_null();
        g_array_append_val(few, lost[i]);
    }
    run(vmm, API_ACTION_VM_CREATE, config, g_steal_pointer(&few), &r);
    g_assert_cmpuint(r.status, ==, 400);
    api_result_clear(&r);
    for (guint i = 0; i < 2; i++)
        g_assert_false(fd_is_open(lost[i]));

    for (guint i = 0; i < 3; i++) {
        kept[i] = open_null();
        g_array_append_val(fds, kept[i]);
    }
    run(vmm, API_ACTION_VM_CREATE, config, g_steal_pointer(&fds), &r);
    g_assert_cmpuint(r.status, ==, 204);
    api_result_clear(&r);
    for (guint i = 0; i < 3; i++)
        g_assert_true(fd_is_open(kept[i]));

    /* The config serialises placeholders, not our descriptor numbers. */
    run(vmm, API_ACTION_VM_INFO, NULL, NULL, &r);
    info = parse(r.body);
    nets = json_object_get_array_member(
        json_object_get_object_member(json_node_get_object(info), "config"),
        "net");
    g_assert_cmpuint(json_array_get_length(nets), ==, 2);
    api_result_clear(&r);

    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_DELETE, NULL), ==, 204);
    for (guint i = 0; i < 3; i++)
        g_assert_false(fd_is_open(kept[i]));
}

/* vm.add-net's TAP fds on a VM not booted yet: kept while its config
 * names them (until vm.delete); a disk takes none. */
static void
test_add_net_fds(void)
{
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autofree char *config = config_json(NULL);
    g_autofree char *disk = g_strdup_printf("{\"path\": \"%s\"}", kernel());
    g_autoptr(GArray) fds = g_array_new(FALSE, FALSE, sizeof(int));
    g_autoptr(GArray) stray = g_array_new(FALSE, FALSE, sizeof(int));
    ApiResult r = { 0 };
    int kept = open_null(), lost = open_null();

    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_CREATE, config), ==, 204);
    g_array_append_val(stray, lost);
    run(vmm, API_ACTION_VM_ADD_DISK, disk, g_steal_pointer(&stray), &r);
    g_assert_cmpuint(r.status, ==, 400);
    api_result_clear(&r);
    g_assert_false(fd_is_open(lost));

    g_array_append_val(fds, kept);
    run(vmm, API_ACTION_VM_ADD_NET, "{\"id\": \"n1\", \"fds\": [-1], "
        "\"num_queues\": 2}", g_steal_pointer(&fds), &r);
    g_assert_cmpuint(r.status, ==, 204);
    api_result_clear(&r);
    g_assert_true(fd_is_open(kept));
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_DELETE, NULL), ==, 204);
    g_assert_false(fd_is_open(kept));
}

/* Descriptors sent to an action that takes none are closed. */
static void
test_stray_fds_closed(void)
{
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autoptr(GArray) fds = g_array_new(FALSE, FALSE, sizeof(int));
    ApiResult r = { 0 };
    int fd = open_null();

    g_array_append_val(fds, fd);
    run(vmm, API_ACTION_VMM_PING, NULL, g_steal_pointer(&fds), &r);
    g_assert_cmpuint(r.status, ==, 200);
    g_assert_false(fd_is_open(fd));
    api_result_clear(&r);
}

/* 100,000 nested arrays (200 KB) used to overflow the stack inside
 * json-glib: every body with a JSON argument gets a 400, and the VMM goes
 * on answering. */
static void
test_deep_json(void)
{
    static const ApiAction actions[] = {
        API_ACTION_VM_CREATE, API_ACTION_VM_ADD_DISK, API_ACTION_VM_RESIZE,
        API_ACTION_VM_SNAPSHOT,
    };
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autoptr(GString) deep = g_string_new("{\"cpus\": ");
    ApiResult r = { 0 };

    for (guint i = 0; i < 100000; i++)
        g_string_append_c(deep, '[');
    for (guint i = 0; i < 100000; i++)
        g_string_append_c(deep, ']');
    g_string_append_c(deep, '}');
    for (guint i = 0; i < G_N_ELEMENTS(actions); i++) {
        g_autofree char *msg = NULL;

        run(vmm, actions[i], deep->str, NULL, &r);
        g_assert_cmpuint(r.status, ==, 400);
        msg = api_result_error_message(&r);
        g_assert_nonnull(strstr(msg, "nested deeper than"));
        api_result_clear(&r);
    }
    /* Brackets inside strings are not nesting. */
    {
        g_autoptr(GString) str = g_string_new("{\"payload\": {\"cmdline\": \"");
        g_autofree char *msg = NULL;

        for (guint i = 0; i < 100; i++)
            g_string_append(str, "[{");
        g_string_append(str, "\"}}");
        run(vmm, API_ACTION_VM_CREATE, str->str, NULL, &r);
        msg = r.errors ? api_result_error_message(&r) : g_strdup("");
        g_assert_null(strstr(msg, "nested"));
        api_result_clear(&r);
    }
    g_assert_cmpuint(run_status(vmm, API_ACTION_VMM_PING, NULL), ==, 200);
}

static bool
ping_lists(Vmm *vmm, const char *feature)
{
    g_autoptr(JsonNode) ping = vmm_ping(vmm);
    JsonArray *f = json_object_get_array_member(json_node_get_object(ping),
                                                "features");

    for (guint i = 0; i < json_array_get_length(f); i++) {
        if (g_str_equal(json_array_get_string_element(f, i), feature))
            return true;
    }
    return false;
}

/* vmm.ping lists io_uring only where the process can set one up: with
 * io_uring_setup() refused (as a seccomp filter or io_uring_disabled
 * would), every queue falls back to synchronous I/O and it is not
 * listed.  In a subprocess: the probe is made once per process. */
static void
test_ping_io_uring(void)
{
    if (g_test_subprocess()) {
        g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

        g_assert_nonnull(ctx);
        g_assert_cmpint(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
                                         SCMP_SYS(io_uring_setup), 0), ==, 0);
        g_assert_cmpint(seccomp_load(ctx), ==, 0);
        seccomp_release(ctx);
        g_assert_false(ping_lists(vmm, "io_uring"));
        g_assert_true(ping_lists(vmm, "kvm"));
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    {
        g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);

        g_assert_true(ping_lists(vmm, "io_uring") ==
                      block_engine_uring_available());
    }
}

static gint64
info_balloon_size(Vmm *vmm)
{
    ApiResult r = { 0 };
    g_autoptr(JsonNode) info = NULL;
    JsonObject *config;
    gint64 size;

    run(vmm, API_ACTION_VM_INFO, NULL, NULL, &r);
    g_assert_cmpuint(r.status, ==, 200);
    info = parse(r.body);
    config = json_object_get_object_member(json_node_get_object(info),
                                           "config");
    size = json_object_get_int_member(
        json_object_get_object_member(config, "balloon"), "size");
    api_result_clear(&r);
    return size;
}

/* vm.resize desired_balloon changes the config of record through the
 * config's rules; what it cannot do is refused and changes nothing. */
static void
test_resize_balloon(void)
{
    static const struct {
        const char *body;
        guint status;
        const char *mentions;
    } bad[] = {
        { "{\"desired_balloon\": 536870912}", 400, "smaller than the guest RAM" },
        { "{\"desired_balloon\": -1}", 400, "desired_balloon" },
        { "{\"desired_balloon\": \"1G\"}", 400, "desired_balloon" },
        { "{\"desired_ballon\": 1}", 400, "desired_ballon: unknown field" },
        { "{}", 400, "nothing to resize" },
        { "{\"desired_vcpus\": 2, \"desired_balloon\": 0}", 400,
          "desired_vcpus: 2 is out of range" },
        { "{\"desired_ram\": 1073741824, \"desired_balloon\": 0}", 400,
          "desired_ram: the VM has no memory to plug" },
        { "[1]", 400, "JSON object" },
    };
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autoptr(Vmm) plain = vmm_new(NULL, NULL);
    g_autofree char *config = config_json("\"balloon\": {\"size\": 1048576}");
    g_autofree char *no_balloon = config_json(NULL);

    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_CREATE, config), ==, 204);
    g_assert_cmpint(info_balloon_size(vmm), ==, 1048576);
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_RESIZE,
                                "{\"desired_balloon\": 67108864}"), ==, 204);
    g_assert_cmpint(info_balloon_size(vmm), ==, 67108864);
    /* The vCPUs and RAM it already has: nothing to do, and fine. */
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_RESIZE,
                                "{\"desired_vcpus\": 1, "
                                "\"desired_ram\": 536870912}"), ==, 204);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        ApiResult r = { 0 };
        g_autofree char *msg = NULL;

        run(vmm, API_ACTION_VM_RESIZE, bad[i].body, NULL, &r);
        msg = api_result_error_message(&r);
        g_assert_cmpuint(r.status, ==, bad[i].status);
        g_assert_nonnull(strstr(msg, bad[i].mentions));
        api_result_clear(&r);
        g_assert_cmpint(info_balloon_size(vmm), ==, 67108864);
    }
    g_assert_cmpuint(run_status(plain, API_ACTION_VM_CREATE, no_balloon), ==,
                     204);
    g_assert_cmpuint(run_status(plain, API_ACTION_VM_RESIZE,
                                "{\"desired_balloon\": 0}"), ==, 400);
}

/* memory.hotplugged_size as vm.info reports it (0 when absent). */
static gint64
info_hotplugged(Vmm *vmm)
{
    ApiResult r = { 0 };
    g_autoptr(JsonNode) info = NULL;
    JsonObject *mem;
    gint64 n;

    run(vmm, API_ACTION_VM_INFO, NULL, NULL, &r);
    g_assert_cmpuint(r.status, ==, 200);
    info = parse(r.body);
    mem = json_object_get_object_member(
        json_object_get_object_member(json_node_get_object(info), "config"),
        "memory");
    n = json_object_get_int_member_with_default(mem, "hotplugged_size", 0);
    api_result_clear(&r);
    return n;
}

/* desired_ram on a created VM with a virtio-mem region: the config of
 * record (what the boot plugs) follows; out of range or off the block
 * is refused and changes nothing. */
static void
test_resize_ram(void)
{
    static const struct {
        const char *body;
        const char *mentions;
    } bad[] = {
        { "{\"desired_ram\": 268435456}", "is outside" },
        { "{\"desired_ram\": 2147483648}", "is outside" },
        { "{\"desired_ram\": 1073745920}", "multiple of the 2 MiB" },
        { "{\"desired_ram\": 1610612736, \"desired_vcpus\": 9}",
          "desired_vcpus" },
    };
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autofree char *config = config_json(
        "\"memory\": {\"size\": 536870912, \"hotplug_size\": 1073741824, "
        "\"hotplug_method\": \"VirtioMem\"}");

    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_CREATE, config), ==, 204);
    g_assert_cmpint(info_hotplugged(vmm), ==, 0);
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_RESIZE,
                                "{\"desired_ram\": 1073741824}"), ==, 204);
    g_assert_cmpint(info_hotplugged(vmm), ==, 536870912);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        ApiResult r = { 0 };
        g_autofree char *msg = NULL;

        run(vmm, API_ACTION_VM_RESIZE, bad[i].body, NULL, &r);
        msg = api_result_error_message(&r);
        g_assert_cmpuint(r.status, ==, 400);
        g_assert_nonnull(strstr(msg, bad[i].mentions));
        api_result_clear(&r);
        g_assert_cmpint(info_hotplugged(vmm), ==, 536870912);
    }
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_RESIZE,
                                "{\"desired_ram\": 536870912}"), ==, 204);
    g_assert_cmpint(info_hotplugged(vmm), ==, 0);
}

/* desired_ram with hotplug_method=acpi on a created VM: whole 128 MiB
 * DIMM slots inside the region; the config of record follows. */
static void
test_resize_ram_acpi(void)
{
    static const struct {
        const char *body;
        const char *mentions;
    } bad[] = {
        { "{\"desired_ram\": 872415232}", "128 MiB DIMM slot" },
        { "{\"desired_ram\": 2147483648}", "is outside" },
        { "{\"desired_ram\": 268435456}", "is outside" },
    };
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autofree char *config = config_json(
        "\"memory\": {\"size\": 536870912, \"hotplug_size\": 1073741824, "
        "\"hotplug_method\": \"Acpi\"}");

    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_CREATE, config), ==, 204);
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_RESIZE,
                                "{\"desired_ram\": 805306368}"), ==, 204);
    g_assert_cmpint(info_hotplugged(vmm), ==, 268435456);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        ApiResult r = { 0 };
        g_autofree char *msg = NULL;

        run(vmm, API_ACTION_VM_RESIZE, bad[i].body, NULL, &r);
        msg = api_result_error_message(&r);
        g_assert_cmpuint(r.status, ==, 400);
        g_assert_nonnull(strstr(msg, bad[i].mentions));
        api_result_clear(&r);
        g_assert_cmpint(info_hotplugged(vmm), ==, 268435456);
    }
}

/* hotplugged_size of memory zone @i as vm.info reports it (0: absent). */
static gint64
info_zone_hotplugged(Vmm *vmm, guint i)
{
    ApiResult r = { 0 };
    g_autoptr(JsonNode) info = NULL;
    JsonObject *zone;
    gint64 n;

    run(vmm, API_ACTION_VM_INFO, NULL, NULL, &r);
    g_assert_cmpuint(r.status, ==, 200);
    info = parse(r.body);
    zone = json_array_get_object_element(
        json_object_get_array_member(
            json_object_get_object_member(
                json_object_get_object_member(json_node_get_object(info),
                                              "config"), "memory"), "zones"),
        i);
    n = json_object_has_member(zone, "hotplugged_size")
        ? json_object_get_int_member(zone, "hotplugged_size") : 0;
    api_result_clear(&r);
    return n;
}

/* vm.resize-zone on a created VM: the zone's hotplugged_size in the config
 * of record (what the boot plugs) follows; a bad body, an unknown zone, a
 * zone without hotplug_size, out of range or off the block is refused and
 * changes nothing; vm.resize desired_ram is refused with zones (CH). */
static void
test_resize_zone(void)
{
    static const struct {
        const char *body;
        guint status;
        const char *mentions;
    } bad[] = {
        { "{\"id\": \"b\"}", 400, "'desired_ram' (bytes" },
        { "{\"desired_ram\": 1}", 400, "'id' (a string) is required" },
        { "{\"id\": \"b\", \"desired_ram\": -1}", 400, "desired_ram" },
        { "{\"id\": \"b\", \"desired_ram\": 1, \"x\": 1}", 400,
          "only fields" },
        { "{\"id\": \"nope\", \"desired_ram\": 134217728}", 404,
          "no memory zone with id 'nope'" },
        { "{\"id\": \"a\", \"desired_ram\": 268435456}", 400,
          "memory zone 'a' has no memory to plug" },
        { "{\"id\": \"b\", \"desired_ram\": 67108864}", 400, "is outside" },
        { "{\"id\": \"b\", \"desired_ram\": 805306369}", 400, "is outside" },
        { "{\"id\": \"b\", \"desired_ram\": 135266304}", 400,
          "multiple of the 2 MiB" },
    };
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autofree char *config = config_json(
        "\"memory\": {\"size\": 0, \"hotplug_method\": \"VirtioMem\", "
        "\"zones\": [{\"id\": \"a\", \"size\": 134217728}, "
        "{\"id\": \"b\", \"size\": 134217728, "
        "\"hotplug_size\": 671088640}]}");
    ApiResult r = { 0 };
    g_autofree char *msg = NULL;

    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_CREATE, config), ==, 204);
    g_assert_cmpint(info_zone_hotplugged(vmm, 1), ==, 0);
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_RESIZE_ZONE,
                                "{\"id\": \"b\", \"desired_ram\": "
                                "402653184}"), ==, 204);
    g_assert_cmpint(info_zone_hotplugged(vmm, 1), ==, 268435456);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        run(vmm, API_ACTION_VM_RESIZE_ZONE, bad[i].body, NULL, &r);
        msg = api_result_error_message(&r);
        g_assert_cmpuint(r.status, ==, bad[i].status);
        g_assert_nonnull(strstr(msg, bad[i].mentions));
        api_result_clear(&r);
        g_clear_pointer(&msg, g_free);
        g_assert_cmpint(info_zone_hotplugged(vmm, 1), ==, 268435456);
    }
    run(vmm, API_ACTION_VM_RESIZE, "{\"desired_ram\": 268435456}", NULL, &r);
    msg = api_result_error_message(&r);
    g_assert_cmpuint(r.status, ==, 400);
    g_assert_nonnull(strstr(msg, "resize each with vm.resize-zone"));
    api_result_clear(&r);
    /* Back to the zone's boot size: nothing to plug. */
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_RESIZE_ZONE,
                                "{\"id\": \"b\", \"desired_ram\": "
                                "134217728}"), ==, 204);
    g_assert_cmpint(info_zone_hotplugged(vmm, 1), ==, 0);
}

/* boot_vcpus as vm.info reports it. */
static gint64
info_boot_vcpus(Vmm *vmm)
{
    ApiResult r = { 0 };
    g_autoptr(JsonNode) info = NULL;
    JsonObject *cpus;
    gint64 n;

    run(vmm, API_ACTION_VM_INFO, NULL, NULL, &r);
    g_assert_cmpuint(r.status, ==, 200);
    info = parse(r.body);
    cpus = json_object_get_object_member(
        json_object_get_object_member(json_node_get_object(info), "config"),
        "cpus");
    n = json_object_get_int_member(cpus, "boot_vcpus");
    api_result_clear(&r);
    return n;
}

/* vm.resize desired_vcpus on a VM not booted yet: the config of record
 * changes within 1 to max_vcpus; out of range is refused, nothing
 * changes. */
static void
test_resize_vcpus(void)
{
    static const struct {
        const char *body;
        const char *mentions;
    } bad[] = {
        { "{\"desired_vcpus\": 0}", "desired_vcpus: 0 is out of range" },
        { "{\"desired_vcpus\": 5}", "1 to 4 vCPUs" },
        { "{\"desired_vcpus\": -1}", "desired_vcpus" },
    };
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autofree char *config =
        config_json("\"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 4}");

    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_CREATE, config), ==, 204);
    g_assert_cmpint(info_boot_vcpus(vmm), ==, 1);
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_RESIZE,
                                "{\"desired_vcpus\": 3}"), ==, 204);
    g_assert_cmpint(info_boot_vcpus(vmm), ==, 3);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        ApiResult r = { 0 };
        g_autofree char *msg = NULL;

        run(vmm, API_ACTION_VM_RESIZE, bad[i].body, NULL, &r);
        msg = api_result_error_message(&r);
        g_assert_cmpuint(r.status, ==, 400);
        g_assert_nonnull(strstr(msg, bad[i].mentions));
        api_result_clear(&r);
        g_assert_cmpint(info_boot_vcpus(vmm), ==, 3);
    }
    g_assert_cmpuint(run_status(vmm, API_ACTION_VM_RESIZE,
                                "{\"desired_vcpus\": 4}"), ==, 204);
    g_assert_cmpint(info_boot_vcpus(vmm), ==, 4);
}

int
main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(status_cases); i++) {
        g_autofree char *path = g_strdup_printf("/api/backend/status/%s",
                                                status_cases[i].name);

        g_test_add_data_func(path, &status_cases[i], test_status);
    }
    g_test_add_func("/api/backend/unsupported-all", test_unsupported_all);
    g_test_add_func("/api/backend/resize-disk-refusals",
                    test_resize_disk_refusals);
    g_test_add_func("/api/backend/info-content", test_info_content);
    g_test_add_func("/api/backend/hotplug-config", test_hotplug_config);
    g_test_add_func("/api/backend/create-net-fds", test_create_net_fds);
    g_test_add_func("/api/backend/add-net-fds", test_add_net_fds);
    g_test_add_func("/api/backend/stray-fds-closed", test_stray_fds_closed);
    g_test_add_func("/api/backend/deep-json", test_deep_json);
    g_test_add_func("/api/backend/ping-io-uring", test_ping_io_uring);
    g_test_add_func("/api/backend/resize-balloon", test_resize_balloon);
    g_test_add_func("/api/backend/resize-vcpus", test_resize_vcpus);
    g_test_add_func("/api/backend/resize-ram", test_resize_ram);
    g_test_add_func("/api/backend/resize-ram-acpi", test_resize_ram_acpi);
    g_test_add_func("/api/backend/resize-zone", test_resize_zone);
    ret = g_test_run();
    g_free(kernel_path);
    return ret;
}

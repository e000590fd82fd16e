/* SPDX-License-Identifier: Apache-2.0 */
/* The API's actions (CH's endpoints) executed on the VMM: shared by REST and D-Bus. */
#include <config.h>

#include <stdarg.h>
#include <unistd.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "common/json-util.h"
#include "daemon/api-backend.h"
#include "config/vm-config.h"
#include "config/vm-config-ratelimit.h"
#include "daemon/migration.h"
#include "daemon/snapshot.h"
#include "devices/registry.h"

/* Errors about the request body itself: CH's HttpError::SerdeJsonDeserialize
 * ("Failed to deserialize JSON", 400). */
#define API_BODY_ERROR (api_body_error_quark())
static G_DEFINE_QUARK(nimbus-api-body-error-quark, api_body_error)

/* @fds: what arrived with the request; a run function that keeps them
 * empties the array.  @out: the 200 body, left NULL for a 204. */
typedef bool (*ApiRunFunc)(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
                           GError **error);

/* A call in progress (api_backend_execute_async()). */
typedef struct ApiPending ApiPending;

/* An action that ends later (vm.remove-device waits for the guest): it
 * ends @p exactly once with api_pending_finish(), on the VMM thread,
 * maybe before it returns.  Fds it keeps are taken out of @fds before it
 * returns. */
typedef void (*ApiRunAsyncFunc)(Vmm *vmm, JsonNode *body, GArray *fds,
                                ApiPending *p);
static void api_pending_finish(ApiPending *p, const GError *error,
                               const char *out);

typedef struct {
    /* CH's ApiError text: the second link of the error chain. */
    const char *failure;
    /* NULL: not supported yet (answered 500 after the body checks). */
    ApiRunFunc run;
    /* Optional check of the body of an action not supported yet. */
    bool (*check)(JsonNode *body, GError **error);
    /* Instead of @run, for actions that wait. */
    ApiRunAsyncFunc run_async;
} ApiActionDef;

/*
 * Descriptors that the created VM's config refers to (net "fds"), per Vmm.
 * VmConfig never closes them (vm-config.h), so the API, which received
 * them, closes them when the VM is deleted.  Only touched on VMM threads;
 * the lock covers tests that run several Vmm objects.
 */
static GMutex held_lock;
static GHashTable *held_fds;    /* Vmm* -> GArray* of int */

static void
fds_close_all(GArray *fds)
{
    if (!fds)
        return;
    for (guint i = 0; i < fds->len; i++)
        close(g_array_index(fds, int, i));
    g_array_set_size(fds, 0);
}

static void
held_fds_free(gpointer p)
{
    fds_close_all(p);
    g_array_unref(p);
}

/* Takes the contents of @fds; replaces (closes) what an earlier VM of the
 * same Vmm left behind. */
static void
held_fds_set(Vmm *vmm, GArray *fds)
{
    GArray *keep = g_array_new(FALSE, FALSE, sizeof(int));

    g_array_append_vals(keep, fds->data, fds->len);
    g_array_set_size(fds, 0);
    g_mutex_lock(&held_lock);
    if (!held_fds)
        held_fds = g_hash_table_new_full(NULL, NULL, NULL, held_fds_free);
    g_hash_table_replace(held_fds, vmm, keep);
    g_mutex_unlock(&held_lock);
}

/* Takes the contents of @fds too, next to what the VM holds already. */
static void
held_fds_add(Vmm *vmm, GArray *fds)
{
    GArray *keep;

    g_mutex_lock(&held_lock);
    if (!held_fds)
        held_fds = g_hash_table_new_full(NULL, NULL, NULL, held_fds_free);
    keep = g_hash_table_lookup(held_fds, vmm);
    if (!keep) {
        keep = g_array_new(FALSE, FALSE, sizeof(int));
        g_hash_table_insert(held_fds, vmm, keep);
    }
    g_array_append_vals(keep, fds->data, fds->len);
    g_array_set_size(fds, 0);
    g_mutex_unlock(&held_lock);
}

static void
held_fds_drop(Vmm *vmm)
{
    g_mutex_lock(&held_lock);
    if (held_fds)
        g_hash_table_remove(held_fds, vmm);
    g_mutex_unlock(&held_lock);
}

static char *
node_to_string(JsonNode *node)
{
    return json_to_string(node, FALSE);
}

/* ---- Actions ---------------------------------------------------------- */

static bool
run_vmm_ping(Vmm *vmm, JsonNode *body, GArray *fds, char **out, GError **error)
{
    g_autoptr(JsonNode) node = vmm_ping(vmm);

    *out = node_to_string(node);
    return true;
}

static bool
run_vmm_shutdown(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
                 GError **error)
{
    vmm_shutdown(vmm);
    return true;
}

static bool
run_vm_create(Vmm *vmm, JsonNode *body, GArray *fds, char **out, GError **error)
{
    g_autoptr(VmConfig) config = NULL;
    GError *local = NULL;

    config = vm_config_from_json_node(body, &local);
    if (!config) {
        g_set_error_literal(error, API_BODY_ERROR, 0, local->message);
        g_error_free(local);
        return false;
    }
    /* Net "fds" in the body only say how many descriptors each net takes;
     * the ones received with the request fill them in order (vm-config.h). */
    if (!vm_config_attach_net_fds(config, (const int *)(void *)fds->data,
                                  fds->len, &local)) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST, "%s",
                    local->message);
        g_error_free(local);
        return false;
    }
    /* On failure the fds go back to the caller, which closes them. */
    if (!vmm_vm_create(vmm, g_steal_pointer(&config), error))
        return false;
    if (fds->len > 0)
        held_fds_set(vmm, fds);
    return true;
}

static bool
run_vm_delete(Vmm *vmm, JsonNode *body, GArray *fds, char **out, GError **error)
{
    if (!vmm_vm_delete(vmm, error))
        return false;
    held_fds_drop(vmm);
    return true;
}

#define RUN_SIMPLE(name, call)                                             \
    static bool                                                            \
    name(Vmm *vmm, JsonNode *body, GArray *fds, char **out, GError **error) \
    {                                                                      \
        return call(vmm, error);                                           \
    }

RUN_SIMPLE(run_vm_boot, vmm_vm_boot)
RUN_SIMPLE(run_vm_shutdown, vmm_vm_shutdown)
RUN_SIMPLE(run_vm_reboot, vmm_vm_reboot)
RUN_SIMPLE(run_vm_power_button, vmm_vm_power_button)
RUN_SIMPLE(run_vm_pause, vmm_vm_pause)
RUN_SIMPLE(run_vm_resume, vmm_vm_resume)
RUN_SIMPLE(run_vm_nmi, vmm_vm_nmi)
RUN_SIMPLE(run_vm_cancel_migration, migration_send_cancel)

static bool
run_vm_info(Vmm *vmm, JsonNode *body, GArray *fds, char **out, GError **error)
{
    g_autoptr(JsonNode) node = vmm_vm_info(vmm, error);

    if (!node)
        return false;
    *out = node_to_string(node);
    return true;
}

static bool
run_vm_counters(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
                GError **error)
{
    g_autoptr(JsonNode) node = vmm_vm_counters(vmm, error);

    if (!node)
        return false;
    *out = node_to_string(node);
    return true;
}

/* CH's VmResize: optional desired_vcpus (u8 in CH's schema, bounded by
 * nimbus's vCPU limit here), desired_ram and desired_balloon (bytes). */
static bool
run_vm_resize(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
              GError **error)
{
    static const struct {
        const char *name;
        uint64_t max;
    } members[] = {
        { "desired_vcpus", VM_CONFIG_MAX_VCPUS },
        { "desired_ram", G_MAXINT64 },
        { "desired_balloon", G_MAXINT64 },
    };
    VmmResize r = { 0 };
    uint64_t v[G_N_ELEMENTS(members)] = { 0 };
    bool given[G_N_ELEMENTS(members)] = { false };
    JsonObjectIter iter;
    const char *name;
    JsonNode *member;

    if (!body || !JSON_NODE_HOLDS_OBJECT(body)) {
        g_set_error_literal(error, API_BODY_ERROR, 0, "expected an object");
        return false;
    }
    json_object_iter_init(&iter, json_node_get_object(body));
    while (json_object_iter_next(&iter, &name, &member)) {
        guint i;

        for (i = 0; i < G_N_ELEMENTS(members); i++) {
            if (strcmp(name, members[i].name) == 0)
                break;
        }
        if (i == G_N_ELEMENTS(members)) {
            g_set_error(error, API_BODY_ERROR, 0, "%s: unknown field", name);
            return false;
        }
        if (JSON_NODE_HOLDS_NULL(member))
            continue;
        if (json_node_get_value_type(member) != G_TYPE_INT64 ||
            json_node_get_int(member) < 0 ||
            (uint64_t)json_node_get_int(member) > members[i].max) {
            g_set_error(error, API_BODY_ERROR, 0, "%s: expected an integer "
                        "between 0 and %" G_GUINT64_FORMAT, name,
                        members[i].max);
            return false;
        }
        v[i] = (uint64_t)json_node_get_int(member);
        given[i] = true;
    }
    r.has_vcpus = given[0];
    r.desired_vcpus = (uint32_t)v[0];
    r.has_ram = given[1];
    r.desired_ram = v[1];
    r.has_balloon = given[2];
    r.desired_balloon = v[2];
    return vmm_vm_resize(vmm, &r, error);
}

/* CH's VmResizeDisk {"id", "desired_size"} and VmResizeZone {"id",
 * "desired_ram"}: a string id and a byte count, both required (CH's schema
 * lists them without a "required", but a resize without either means
 * nothing), and nothing else. */
static bool
parse_id_and_size(JsonNode *body, const char *what, const char *size_name,
                  const char **id_out, uint64_t *size_out, GError **error)
{
    JsonObject *o;
    JsonNode *id;
    JsonNode *size;

    if (!body || !JSON_NODE_HOLDS_OBJECT(body)) {
        g_set_error_literal(error, API_BODY_ERROR, 0, "expected an object");
        return false;
    }
    o = json_node_get_object(body);
    id = json_object_get_member(o, "id");
    size = json_object_get_member(o, size_name);
    if (!id || !JSON_NODE_HOLDS_VALUE(id) ||
        json_node_get_value_type(id) != G_TYPE_STRING) {
        g_set_error(error, API_BODY_ERROR, 0,
                    "%s: 'id' (a string) is required", what);
        return false;
    }
    if (!size || !JSON_NODE_HOLDS_VALUE(size) ||
        json_node_get_value_type(size) != G_TYPE_INT64 ||
        json_node_get_int(size) < 0) {
        g_set_error(error, API_BODY_ERROR, 0,
                    "%s: '%s' (bytes, a non-negative integer) is required",
                    what, size_name);
        return false;
    }
    if (json_object_get_size(o) != 2) {
        g_set_error(error, API_BODY_ERROR, 0,
                    "%s: 'id' and '%s' are its only fields", what, size_name);
        return false;
    }
    *id_out = json_node_get_string(id);
    *size_out = (uint64_t)json_node_get_int(size);
    return true;
}

static bool
run_vm_resize_disk(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
                   GError **error)
{
    const char *id;
    uint64_t size;

    return parse_id_and_size(body, "VmResizeDisk", "desired_size", &id, &size,
                             error) &&
           vmm_vm_resize_disk(vmm, id, size, error);
}

static bool
run_vm_resize_zone(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
                   GError **error)
{
    const char *id;
    uint64_t size;

    return parse_id_and_size(body, "VmResizeZone", "desired_ram", &id, &size,
                             error) &&
           vmm_vm_resize_zone(vmm, id, size, error);
}

/* nimbus's {"id": string, "rate_limiter_config": RateLimiterConfig}; a
 * missing or null rate_limiter_config lifts the limits. */
static bool
run_vm_update_rate_limiter(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
                           GError **error)
{
    g_autoptr(RateLimiterConfig) cfg = NULL;
    GError *local = NULL;
    JsonObject *o;
    JsonNode *id;
    JsonNode *rl;

    if (!body || !JSON_NODE_HOLDS_OBJECT(body)) {
        g_set_error_literal(error, API_BODY_ERROR, 0, "expected an object");
        return false;
    }
    o = json_node_get_object(body);
    id = json_object_get_member(o, "id");
    rl = json_object_get_member(o, "rate_limiter_config");
    if (!id || !JSON_NODE_HOLDS_VALUE(id) ||
        json_node_get_value_type(id) != G_TYPE_STRING) {
        g_set_error_literal(error, API_BODY_ERROR, 0,
                            "'id' (a string) is required");
        return false;
    }
    if (json_object_get_size(o) != (rl ? 2u : 1u)) {
        g_set_error_literal(error, API_BODY_ERROR, 0,
                            "'id' and 'rate_limiter_config' are its only "
                            "fields");
        return false;
    }
    if (rl && !JSON_NODE_HOLDS_NULL(rl) &&
        !(cfg = rate_limiter_config_from_json_node(rl, &local))) {
        g_set_error_literal(error, API_BODY_ERROR, 0, local->message);
        g_error_free(local);
        return false;
    }
    return vmm_vm_update_rate_limiter(vmm, json_node_get_string(id), cfg,
                                      error);
}

/* VmSnapshotConfig: {"destination_url": "file:///DIR"}, nothing else. */
static bool
run_vm_snapshot(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
                GError **error)
{
    JsonObject *o = json_node_get_object(body);
    JsonNode *url = json_object_get_member(o, "destination_url");

    if (!url || json_node_get_value_type(url) != G_TYPE_STRING ||
        json_object_get_size(o) != 1) {
        g_set_error_literal(error, API_BODY_ERROR, 0,
                            "VmSnapshotConfig: expected exactly "
                            "{\"destination_url\": string}");
        return false;
    }
    return vmm_vm_snapshot(vmm, json_node_get_string(url), error);
}

static bool
run_vm_restore(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
               GError **error)
{
    g_autoptr(RestoreConfig) rc = NULL;
    GError *local = NULL;

    rc = restore_config_from_json(body, &local);
    if (!rc) {
        g_set_error_literal(error, API_BODY_ERROR, 0, local->message);
        g_error_free(local);
        return false;
    }
    /* On failure the fds go back to the caller, which closes them. */
    if (!vmm_vm_restore(vmm, rc, fds, error))
        return false;
    /* The restored nets use them: closed when the VM is deleted. */
    if (fds->len > 0)
        held_fds_set(vmm, fds);
    return true;
}

/* A migration body's error (transfer full): "not supported yet" keeps its
 * 500, anything else is a bad body (400). */
static bool
migration_body_error(GError *local, GError **error)
{
    if (local->domain == VMM_ERROR) {
        g_propagate_error(error, local);
        return false;
    }
    g_set_error_literal(error, API_BODY_ERROR, 0, local->message);
    g_error_free(local);
    return false;
}

/* SendMigrationData; returns at once, the migration goes on in the
 * background (CH since v53). */
static bool
run_vm_send_migration(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
                      GError **error)
{
    g_autoptr(MigrationSendConfig) cfg = NULL;
    GError *local = NULL;

    cfg = migration_send_config_from_json(body, &local);
    if (!cfg)
        return migration_body_error(local, error);
    return migration_send_start(vmm, cfg, error);
}

/* ReceiveMigrationData; returns once the receiver listens. */
static bool
run_vm_receive_migration(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
                         GError **error)
{
    g_autofree char *url = NULL;
    GError *local = NULL;

    url = migration_receive_url_from_json(body, &local);
    if (!url)
        return migration_body_error(local, error);
    return migration_receive_start(vmm, url, error);
}

/* Body checks first: a body that does not parse is CH's "Failed to
 * deserialize JSON" (400), before anything else is looked at. */
static bool
check_disk_body(JsonNode *body, GError **error)
{
    g_autoptr(DiskConfig) disk = NULL;
    GError *local = NULL;

    disk = disk_config_from_json_node(body, &local);
    if (disk)
        return true;
    g_set_error_literal(error, API_BODY_ERROR, 0, local->message);
    g_error_free(local);
    return false;
}

static bool
check_net_body(JsonNode *body, GError **error)
{
    g_autoptr(NetConfig) net = NULL;
    GError *local = NULL;

    net = net_config_from_json_node(body, &local);
    if (net)
        return true;
    g_set_error_literal(error, API_BODY_ERROR, 0, local->message);
    g_error_free(local);
    return false;
}

/* vm.add-disk / vm.add-net: CH's PciDeviceInfo, or 204 when the VM is
 * not booted and only its config changed. */
static bool
run_add(Vmm *vmm, const char *type, JsonNode *body, GArray *fds, char **out,
        GError **error)
{
    g_autoptr(JsonNode) info = NULL;

    if (!vmm_vm_add_device(vmm, type, body, (const int *)(void *)fds->data,
                           fds->len, &info, error))
        return false;
    if (info) {
        *out = node_to_string(info);
    } else if (fds->len > 0) {
        /* Not booted: the config names them until the device is built at
         * boot (which works on duplicates), so they live as vm.create's
         * do, until vm.delete. */
        held_fds_add(vmm, fds);
    }
    return true;
}

static bool
run_vm_add_disk(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
                GError **error)
{
    return check_disk_body(body, error) &&
           run_add(vmm, "disk", body, fds, out, error);
}

/* A net's TAP fds ride along (SCM_RIGHTS) in the order of its "fds"
 * placeholders, as with vm.create. */
static bool
run_vm_add_net(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
               GError **error)
{
    return check_net_body(body, error) &&
           run_add(vmm, "net", body, fds, out, error);
}

/* A body that is no VsockConfig is the client's error (400), as a bad
 * DiskConfig is. */
static bool
check_vsock_body(JsonNode *body, GError **error)
{
    const VmConfigKind *kind = device_registry_lookup("vsock")->kind;
    GError *local = NULL;
    gpointer entry = vm_config_kind_from_json(kind, body, &local);

    if (entry) {
        vm_config_kind_entry_free(kind, entry);
        return true;
    }
    g_set_error_literal(error, API_BODY_ERROR, 0, local->message);
    g_error_free(local);
    return false;
}

static bool
run_vm_add_vsock(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
                 GError **error)
{
    return check_vsock_body(body, error) &&
           run_add(vmm, "vsock", body, fds, out, error);
}

/* vm.add-pmem: the same for a PmemConfig (its host checks, such as a
 * file smaller than size=, run in device_registry_add()). */
static bool
check_pmem_body(JsonNode *body, GError **error)
{
    const VmConfigKind *kind = device_registry_lookup("pmem")->kind;
    GError *local = NULL;
    gpointer entry = vm_config_kind_from_json(kind, body, &local);

    if (entry) {
        vm_config_kind_entry_free(kind, entry);
        return true;
    }
    g_set_error_literal(error, API_BODY_ERROR, 0, local->message);
    g_error_free(local);
    return false;
}

static bool
run_vm_add_pmem(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
                GError **error)
{
    return check_pmem_body(body, error) &&
           run_add(vmm, "pmem", body, fds, out, error);
}

/* vm.add-fs: the same for an FsConfig (connecting to the back end is
 * part of creating the device, in device_registry_add()). */
static bool
check_fs_body(JsonNode *body, GError **error)
{
    const VmConfigKind *kind = device_registry_lookup("fs")->kind;
    GError *local = NULL;
    gpointer entry = vm_config_kind_from_json(kind, body, &local);

    if (entry) {
        vm_config_kind_entry_free(kind, entry);
        return true;
    }
    g_set_error_literal(error, API_BODY_ERROR, 0, local->message);
    g_error_free(local);
    return false;
}

static bool
run_vm_add_fs(Vmm *vmm, JsonNode *body, GArray *fds, char **out,
              GError **error)
{
    return check_fs_body(body, error) &&
           run_add(vmm, "fs", body, fds, out, error);
}

/* vm.add-generic-vhost-user: a GenericVhostUserConfig, as vm.add-fs. */
static bool
run_vm_add_generic_vhost_user(Vmm *vmm, JsonNode *body, GArray *fds,
                              char **out, GError **error)
{
    const VmConfigKind *kind =
        device_registry_lookup("generic-vhost-user")->kind;
    GError *local = NULL;
    gpointer entry = vm_config_kind_from_json(kind, body, &local);

    if (!entry) {
        g_set_error_literal(error, API_BODY_ERROR, 0, local->message);
        g_error_free(local);
        return false;
    }
    vm_config_kind_entry_free(kind, entry);
    return run_add(vmm, "generic-vhost-user", body, fds, out, error);
}

static void
remove_device_done(const GError *error, gpointer data)
{
    api_pending_finish(data, error, NULL);     /* 204 on success */
}

/* vm.remove-device: VmRemoveDevice {"id"}. */
static void
run_vm_remove_device(Vmm *vmm, JsonNode *body, GArray *fds, ApiPending *p)
{
    JsonObject *o = json_node_get_object(body);
    JsonNode *id = json_object_get_member(o, "id");
    g_autoptr(GError) error = NULL;

    if (!id || !JSON_NODE_HOLDS_VALUE(id) ||
        json_node_get_value_type(id) != G_TYPE_STRING) {
        g_set_error_literal(&error, API_BODY_ERROR, 0,
                            "VmRemoveDevice: 'id' (a string) is required");
        api_pending_finish(p, error, NULL);
        return;
    }
    if (json_object_get_size(o) != 1) {
        g_set_error_literal(&error, API_BODY_ERROR, 0,
                            "VmRemoveDevice: 'id' is its only field");
        api_pending_finish(p, error, NULL);
        return;
    }
    vmm_vm_remove_device(vmm, json_node_get_string(id), remove_device_done,
                         p);
}

/* CH's ApiError texts (vmm/src/api/mod.rs) and our implementations. */
static const ApiActionDef api_runs[API_ACTION_LAST] = {
    [API_ACTION_VMM_PING] = { "The VMM could not be pinged", run_vmm_ping },
    [API_ACTION_VMM_SHUTDOWN] = {
        "The VMM could not shutdown",
        run_vmm_shutdown },
    [API_ACTION_VM_CREATE] = { "The VM could not be created", run_vm_create },
    [API_ACTION_VM_DELETE] = { "The VM could not be deleted", run_vm_delete },
    [API_ACTION_VM_BOOT] = { "The VM could not boot", run_vm_boot },
    [API_ACTION_VM_SHUTDOWN] = { "The VM could not shutdown", run_vm_shutdown },
    [API_ACTION_VM_REBOOT] = { "The VM could not reboot", run_vm_reboot },
    [API_ACTION_VM_POWER_BUTTON] = {
        "Error triggering power button",
        run_vm_power_button },
    [API_ACTION_VM_PAUSE] = { "The VM could not be paused", run_vm_pause },
    [API_ACTION_VM_RESUME] = { "The VM could not resume", run_vm_resume },
    [API_ACTION_VM_INFO] = { "The VM info is not available", run_vm_info },
    [API_ACTION_VM_COUNTERS] = {
        "The VM counters are not available",
        run_vm_counters },
    [API_ACTION_VM_RESIZE] = { "The VM could not be resized", run_vm_resize },
    [API_ACTION_VM_RESIZE_ZONE] = {
        "The memory zone could not be resized",
        run_vm_resize_zone },
    [API_ACTION_VM_RESIZE_DISK] = {
        "The disk could not be resized",
        run_vm_resize_disk },
    [API_ACTION_VM_ADD_DEVICE] = {
        "The device could not be added to the VM",
        NULL },
    [API_ACTION_VM_ADD_DISK] = {
        "The disk could not be added to the VM",
        run_vm_add_disk },
    [API_ACTION_VM_ADD_FS] = {
        "The fs could not be added to the VM",
        run_vm_add_fs },
    [API_ACTION_VM_ADD_GENERIC_VHOST_USER] = {
        "The generic vhost-user device could not be added to the VM",
        run_vm_add_generic_vhost_user },
    [API_ACTION_VM_ADD_NET] = {
        "The network device could not be added to the VM",
        run_vm_add_net },
    [API_ACTION_VM_ADD_PMEM] = {
        "The pmem device could not be added to the VM",
        run_vm_add_pmem },
    [API_ACTION_VM_ADD_VSOCK] = {
        "The vsock device could not be added to the VM",
        run_vm_add_vsock },
    [API_ACTION_VM_ADD_VDPA] = {
        "The vDPA device could not be added to the VM",
        NULL },
    [API_ACTION_VM_ADD_USER_DEVICE] = {
        "The user device could not be added to the VM",
        NULL },
    [API_ACTION_VM_REMOVE_DEVICE] = {
        "The device could not be removed from the VM",
        NULL, NULL, run_vm_remove_device },
    [API_ACTION_VM_SNAPSHOT] = {
        "The VM could not be snapshotted",
        run_vm_snapshot },
    [API_ACTION_VM_COREDUMP] = { "The VM could not be coredumped", NULL },
    [API_ACTION_VM_RESTORE] = {
        "The VM could not be restored",
        run_vm_restore },
    [API_ACTION_VM_NMI] = { "Error triggering NMI", run_vm_nmi },
    [API_ACTION_VM_SEND_MIGRATION] = {
        "Error starting migration sender",
        run_vm_send_migration },
    [API_ACTION_VM_RECEIVE_MIGRATION] = {
        "Error starting migration receiver",
        run_vm_receive_migration },
    [API_ACTION_VM_NIMBUS_UPDATE_RATE_LIMITER] = {
        "The rate limiter could not be updated",
        run_vm_update_rate_limiter },
    [API_ACTION_VM_NIMBUS_CANCEL_MIGRATION] = {
        "The migration could not be cancelled",
        run_vm_cancel_migration },
};

/* ---- Execution -------------------------------------------------------- */

/* No request body of the API nests deeper than a VmConfig (about 5
 * levels); the limit only has to stop json-glib's unbounded recursion. */
#define API_BODY_MAX_DEPTH 32

static JsonNode *
parse_body(GBytes *body, GError **error)
{
    g_autoptr(JsonNode) root = NULL;
    gsize len = 0;
    const char *data = g_bytes_get_data(body, &len);
    GError *local = NULL;

    /* Bounded before json-glib sees it: it recurses once per level. */
    root = json_parse_bounded(data ? data : "", (gssize)len,
                              API_BODY_MAX_DEPTH, &local);
    if (!root) {
        g_set_error_literal(error, API_BODY_ERROR, 0, local->message);
        g_error_free(local);
        return NULL;
    }
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error_literal(error, API_BODY_ERROR, 0,
                            "the request body must be a JSON object");
        return NULL;
    }
    return g_steal_pointer(&root);
}

/* VMM_ERROR codes are HTTP statuses (vmm.h); anything else is internal. */
static guint
error_status(const GError *error)
{
    if (error->domain == VMM_ERROR && error->code >= 400 && error->code <= 599)
        return (guint)error->code;
    return 500;
}

struct ApiPending {
    const ApiActionDef *def;
    ApiResult *result;
    ApiBackendDoneFunc done;
    gpointer opaque;
    /* Inside api_backend_execute_async(): an outcome reached there is
     * reported only after the fds the action did not keep are closed, so
     * that a client that reads the answer finds them closed. */
    bool starting;
    bool finished;
};

/* The one place an outcome becomes a result: errors about the body are
 * CH's "Failed to deserialize JSON" (400), the others carry the action's
 * failure text and their own status. */
static void
api_pending_finish(ApiPending *p, const GError *error, const char *out)
{
    if (error && error->domain == API_BODY_ERROR) {
        api_result_set_error(p->result, 400, "Failed to deserialize JSON",
                             error->message, NULL);
    } else if (error) {
        api_result_set_error(p->result, error_status(error), "Error from API",
                             p->def->failure, error->message, NULL);
    } else {
        p->result->status = out ? 200 : 204;
        p->result->body = g_strdup(out);
    }
    if (p->starting) {
        p->finished = true;
        return;
    }
    p->done(p->opaque);
    g_free(p);
}

/* Bodies of actions not implemented yet are still checked where we can, so
 * that a client learns about a bad field before it learns that the
 * operation is missing; then the answer is an honest 500. */
static void
run_action(Vmm *vmm, const ApiActionInfo *info, JsonNode *body, GArray *fds,
           ApiPending *p)
{
    const ApiActionDef *def = p->def;
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;

    if (def->run_async) {
        def->run_async(vmm, body, fds, p);
        return;
    }
    if (def->run) {
        /* A run that failed says why; one that did not, has no error. */
        if (!def->run(vmm, body, fds, &out, &error) && !error)
            g_set_error(&error, VMM_ERROR, VMM_ERROR_INTERNAL,
                        "%s failed", info->endpoint);
        if (error)
            g_clear_pointer(&out, g_free);
    } else if (!def->check || def->check(body, &error)) {
        g_set_error(&error, VMM_ERROR, VMM_ERROR_INTERNAL,
                    "%s is not supported yet by nimbus", info->endpoint);
    }
    api_pending_finish(p, error, out);
}

void
api_backend_execute_async(Vmm *vmm, ApiAction action, GBytes *body,
                          GArray *fds, ApiResult *result,
                          ApiBackendDoneFunc done, gpointer opaque)
{
    const ApiActionInfo *info;
    g_autoptr(GArray) my_fds = fds ? fds
                                   : g_array_new(FALSE, FALSE, sizeof(int));
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(GError) error = NULL;
    ApiPending *p;

    api_result_clear(result);
    if (action >= API_ACTION_LAST) {
        /* A programmer error, but @done must still run: a caller waits. */
        g_critical("api_backend_execute_async: action %d out of range",
                   (int)action);
        api_result_set_error(result, 500, "Internal Server Error", NULL);
        done(opaque);
        fds_close_all(my_fds);
        return;
    }
    p = g_new0(ApiPending, 1);
    p->def = &api_runs[action];
    p->result = result;
    p->done = done;
    p->opaque = opaque;
    p->starting = true;
    info = api_action_info(action);
    if (body && g_bytes_get_size(body) == 0)
        body = NULL;

    if (info->body && !body) {
        g_autofree char *msg = g_strdup_printf("%s needs a JSON request body",
                                               info->endpoint);
        api_result_set_error(result, 400, "Bad Request", msg, NULL);
        p->finished = true;
    } else if (!info->body && !info->get && body) {
        /* CH refuses a body on its body-less PUT actions. */
        g_autofree char *msg = g_strdup_printf("%s takes no request body",
                                               info->endpoint);
        api_result_set_error(result, 400, "Bad Request", msg, NULL);
        p->finished = true;
    } else if (info->body && !(node = parse_body(body, &error))) {
        api_pending_finish(p, error, NULL);
    } else {
        run_action(vmm, info, node, my_fds, p);
    }
    /* Whatever the action did not keep is closed (CH drops the files),
     * before the answer can reach the client. */
    fds_close_all(my_fds);
    p->starting = false;
    if (p->finished) {
        done(opaque);
        g_free(p);
    }
}

static void
set_finished(gpointer opaque)
{
    *(bool *)opaque = true;
}

void
api_backend_execute(Vmm *vmm, ApiAction action, GBytes *body, GArray *fds,
                    ApiResult *result)
{
    bool finished = false;

    api_backend_execute_async(vmm, action, body, fds, result, set_finished,
                              &finished);
    /* An action that waits (for the guest) ends on the VMM's context. */
    while (!finished)
        g_main_context_iteration(vmm_get_context(vmm), TRUE);
}

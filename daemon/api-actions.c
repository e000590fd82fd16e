/* SPDX-License-Identifier: Apache-2.0 */
/* The API's actions: CH's REST endpoints and D-Bus methods, as one table. */
#include <config.h>

#include <stdarg.h>

#include "daemon/api-actions.h"

/*
 * One row per CH endpoint: the REST router, the D-Bus dispatcher and
 * nimbus-remote all read this table, so the three can never disagree on a
 * name, a method or whether a body is expected.  Columns: endpoint, GET,
 * body, D-Bus method and argument, D-Bus out, supported.  The D-Bus method
 * and argument names are CH's (vmm/src/api/dbus/mod.rs); the argument names
 * show in introspection (docs/dbus-api.xml).
 */
static const ApiActionInfo api_actions[API_ACTION_LAST] = {
    [API_ACTION_VMM_PING] = {
        "vmm.ping", true, false, "VmmPing", NULL, true, true },
    [API_ACTION_VMM_SHUTDOWN] = {
        "vmm.shutdown", false, false, "VmmShutdown", NULL, false, true },
    [API_ACTION_VM_CREATE] = {
        "vm.create", false, true, "VmCreate", "vm_config", false, true },
    [API_ACTION_VM_DELETE] = {
        "vm.delete", false, false, "VmDelete", NULL, false, true },
    [API_ACTION_VM_BOOT] = {
        "vm.boot", false, false, "VmBoot", NULL, false, true },
    [API_ACTION_VM_SHUTDOWN] = {
        "vm.shutdown", false, false, "VmShutdown", NULL, false, true },
    [API_ACTION_VM_REBOOT] = {
        "vm.reboot", false, false, "VmReboot", NULL, false, true },
    [API_ACTION_VM_POWER_BUTTON] = {
        "vm.power-button", false, false, "VmPowerButton", NULL, false, true },
    [API_ACTION_VM_PAUSE] = {
        "vm.pause", false, false, "VmPause", NULL, false, true },
    [API_ACTION_VM_RESUME] = {
        "vm.resume", false, false, "VmResume", NULL, false, true },
    [API_ACTION_VM_INFO] = {
        "vm.info", true, false, "VmInfo", NULL, true, true },
    [API_ACTION_VM_COUNTERS] = {
        "vm.counters", true, false, "VmCounters", NULL, true, true },
    [API_ACTION_VM_RESIZE] = {
        "vm.resize", false, true, "VmResize", "vm_resize", false, true },
    [API_ACTION_VM_RESIZE_ZONE] = {
        "vm.resize-zone", false, true, "VmResizeZone", "vm_resize_zone",
        false, true },
    [API_ACTION_VM_RESIZE_DISK] = {
        "vm.resize-disk", false, true, NULL, NULL, false, true },
    [API_ACTION_VM_ADD_DEVICE] = {
        "vm.add-device", false, true, "VmAddDevice", "device_config", true,
        false },
    [API_ACTION_VM_ADD_DISK] = {
        "vm.add-disk", false, true, "VmAddDisk", "disk_config", true, true },
    [API_ACTION_VM_ADD_FS] = {
        "vm.add-fs", false, true, "VmAddFs", "fs_config", true, true },
    [API_ACTION_VM_ADD_GENERIC_VHOST_USER] = {
        "vm.add-generic-vhost-user", false, true, "VmAddGenericVhostUser",
        "generic_vhost_user_config", true, true },
    [API_ACTION_VM_ADD_NET] = {
        "vm.add-net", false, true, "VmAddNet", "net_config", true, true },
    [API_ACTION_VM_ADD_PMEM] = {
        "vm.add-pmem", false, true, "VmAddPmem", "pmem_config", true, true },
    [API_ACTION_VM_ADD_VSOCK] = {
        "vm.add-vsock", false, true, "VmAddVsock", "vsock_config", true, true },
    [API_ACTION_VM_ADD_VDPA] = {
        "vm.add-vdpa", false, true, "VmAddVdpa", "vdpa_config", true, false },
    [API_ACTION_VM_ADD_USER_DEVICE] = {
        "vm.add-user-device", false, true, "VmAddUserDevice",
        "vm_add_user_device", true, false },
    [API_ACTION_VM_REMOVE_DEVICE] = {
        "vm.remove-device", false, true, "VmRemoveDevice", "vm_remove_device",
        false, true },
    [API_ACTION_VM_SNAPSHOT] = {
        "vm.snapshot", false, true, "VmSnapshot", "vm_snapshot_config", false,
        true },
    [API_ACTION_VM_COREDUMP] = {
        "vm.coredump", false, true, "VmCoredump", "vm_coredump_data", false,
        false },
    [API_ACTION_VM_RESTORE] = {
        "vm.restore", false, true, "VmRestore", "restore_config", false, true
        },
    [API_ACTION_VM_NMI] = { "vm.nmi", false, false, NULL, NULL, false, true },
    [API_ACTION_VM_SEND_MIGRATION] = {
        "vm.send-migration", false, true, "VmSendMigration",
        "send_migration_data", false, true },
    [API_ACTION_VM_RECEIVE_MIGRATION] = {
        "vm.receive-migration", false, true, "VmReceiveMigration",
        "receive_migration_data", false, true },
    /* A nimbus extension, named so that it cannot clash with a future CH
     * endpoint; not on D-Bus (CH's interface has no such method). */
    [API_ACTION_VM_NIMBUS_UPDATE_RATE_LIMITER] = {
        "vm.nimbus-update-rate-limiter", false, true, NULL, NULL, false,
        true },
    /* CH's API has no way to stop a send (docs/migration.md). */
    [API_ACTION_VM_NIMBUS_CANCEL_MIGRATION] = {
        "vm.nimbus-cancel-migration", false, false, NULL, NULL, false, true },
};

const ApiActionInfo *
api_action_info(ApiAction action)
{
    g_return_val_if_fail(action < API_ACTION_LAST, NULL);
    return &api_actions[action];
}

/* Linear scans: 31 rows, looked up once per request. */
int
api_action_from_endpoint(const char *endpoint)
{
    for (int i = 0; i < API_ACTION_LAST; i++) {
        if (g_strcmp0(api_actions[i].endpoint, endpoint) == 0)
            return i;
    }
    return -1;
}

int
api_action_from_dbus_method(const char *method)
{
    for (int i = 0; i < API_ACTION_LAST; i++) {
        if (api_actions[i].dbus_method &&
            g_strcmp0(api_actions[i].dbus_method, method) == 0)
            return i;
    }
    return -1;
}

/* ---- Results ---------------------------------------------------------- */

void
api_result_clear(ApiResult *result)
{
    g_clear_pointer(&result->body, g_free);
    g_clear_pointer(&result->errors, g_ptr_array_unref);
    result->status = 0;
}

char *
api_result_error_message(const ApiResult *result)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; result->errors && i < result->errors->len; i++) {
        if (i)
            g_string_append(s, ": ");
        g_string_append(s, g_ptr_array_index(result->errors, i));
    }
    return g_string_free(s, FALSE);
}

/* The chain is kept as separate links (not one string) because REST sends
 * it as a JSON array while D-Bus joins it into one error message. */
void
api_result_set_error(ApiResult *result, guint status, const char *first, ...)
{
    va_list ap;

    api_result_clear(result);
    result->status = status;
    result->errors = g_ptr_array_new_with_free_func(g_free);
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *))
        g_ptr_array_add(result->errors, g_strdup(s));
    va_end(ap);
}

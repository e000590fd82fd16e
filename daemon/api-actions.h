/* SPDX-License-Identifier: Apache-2.0 */
/* The API's actions: CH's REST endpoints and D-Bus methods, as one table. */
#pragma once

#include <stdbool.h>
#include <glib.h>

/* CH's endpoints, in the order of the reference table. */
typedef enum {
    API_ACTION_VMM_PING,
    API_ACTION_VMM_SHUTDOWN,
    API_ACTION_VM_CREATE,
    API_ACTION_VM_DELETE,
    API_ACTION_VM_BOOT,
    API_ACTION_VM_SHUTDOWN,
    API_ACTION_VM_REBOOT,
    API_ACTION_VM_POWER_BUTTON,
    API_ACTION_VM_PAUSE,
    API_ACTION_VM_RESUME,
    API_ACTION_VM_INFO,
    API_ACTION_VM_COUNTERS,
    API_ACTION_VM_RESIZE,
    API_ACTION_VM_RESIZE_ZONE,
    API_ACTION_VM_RESIZE_DISK,
    API_ACTION_VM_ADD_DEVICE,
    API_ACTION_VM_ADD_DISK,
    API_ACTION_VM_ADD_FS,
    API_ACTION_VM_ADD_GENERIC_VHOST_USER,
    API_ACTION_VM_ADD_NET,
    API_ACTION_VM_ADD_PMEM,
    API_ACTION_VM_ADD_VSOCK,
    API_ACTION_VM_ADD_VDPA,
    API_ACTION_VM_ADD_USER_DEVICE,
    API_ACTION_VM_REMOVE_DEVICE,
    API_ACTION_VM_SNAPSHOT,
    API_ACTION_VM_COREDUMP,
    API_ACTION_VM_RESTORE,
    API_ACTION_VM_NMI,
    API_ACTION_VM_SEND_MIGRATION,
    API_ACTION_VM_RECEIVE_MIGRATION,
    /* nimbus's own (docs/api-extensions.md); after CH's. */
    API_ACTION_VM_NIMBUS_UPDATE_RATE_LIMITER,
    API_ACTION_VM_NIMBUS_CANCEL_MIGRATION,
    API_ACTION_LAST
} ApiAction;

/**
 * ApiActionInfo:
 * @endpoint: the REST verb, "/api/v1/<endpoint>".
 * @get: the REST method is GET (else PUT).
 * @body: a JSON object body is required (else a body is refused, as CH).
 * @dbus_method: the org.cloudhypervisor.DBusApi1 method, NULL when CH does
 *   not expose the action over D-Bus (vm.resize-disk, vm.nmi).
 * @dbus_arg: name of the JSON string in-argument, NULL when none.
 * @dbus_out: the D-Bus method returns a JSON string ("" = none).
 * @supported: nimbus implements it; the others answer 500 "not supported yet".
 */
typedef struct {
    const char *endpoint;
    bool get;
    bool body;
    const char *dbus_method;
    const char *dbus_arg;
    bool dbus_out;
    bool supported;
} ApiActionInfo;

const ApiActionInfo *api_action_info(ApiAction action);
/* The action of a REST verb or D-Bus method name; -1 when unknown. */
int api_action_from_endpoint(const char *endpoint);
int api_action_from_dbus_method(const char *method);

/**
 * ApiResult:
 * @status: 200 (with @body), 204, or the error's HTTP status.
 * @body: the JSON answer of a 200 (transfer full).
 * @errors: the error chain, outermost first (CH's error body), NULL on
 *   success.
 */
typedef struct {
    guint status;
    char *body;
    GPtrArray *errors;
} ApiResult;

void api_result_clear(ApiResult *result);
/* The chain as one line, "a: b: c" (D-Bus error message). */
char *api_result_error_message(const ApiResult *result);
/* Sets @result to an error with the given chain (NULL-terminated). */
void api_result_set_error(ApiResult *result, guint status,
                          const char *first, ...) G_GNUC_NULL_TERMINATED;

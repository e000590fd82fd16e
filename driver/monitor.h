/* SPDX-License-Identifier: Apache-2.0 */
/* The nimbus REST API as nimbusd uses it (Cloud Hypervisor's /api/v1). */
#pragma once

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/*
 * Blocking calls: run them on worker threads only, never on the main loop.
 * A non-2xx answer becomes DRV_ERROR_OPERATION_FAILED naming the endpoint
 * and carrying the VMM's error chain (a JSON array of strings, §2);
 * a VMM that does not answer is DRV_ERROR_OPERATION_FAILED too, with the
 * socket error.
 */

/* Every call but vm.boot: long enough for vm.pause waiting for vCPUs to
 * leave the guest; short enough that a hung VMM frees the job. */
#define DRV_MONITOR_TIMEOUT_MS 30000
/* vm.boot alone: seen taking 36 s for a 256 MiB guest under the emulated
 * test harness on a loaded host (virt-manager's wizard then reported a
 * failed install of a guest that was booting fine). */
#define DRV_MONITOR_BOOT_TIMEOUT_MS 120000

/* PUT /api/v1/<endpoint> with an optional JSON body. */
bool drv_monitor_put(const char *socket, const char *endpoint,
                     const char *json_body, GError **error);
/* GET /api/v1/<endpoint>: the parsed JSON body (transfer full). */
JsonNode *drv_monitor_get(const char *socket, const char *endpoint,
                          GError **error);

/* PUT with an answer (vm.add-disk's PciDeviceInfo): the parsed JSON body,
 * a JSON null node when it has none (transfer full). */
JsonNode *drv_monitor_put_answer(const char *socket, const char *endpoint,
                                 const char *json_body, GError **error);

/**
 * drv_monitor_wait_ready:
 * Polls vmm.ping until it answers, @timeout_ms passes, or @alive returns
 * false (the process died: no point in waiting).
 */
bool drv_monitor_wait_ready(const char *socket, int timeout_ms,
                            bool (*alive)(gpointer data), gpointer data,
                            GError **error);

/* From a vm.info answer: the pty path of @device ("serial" or "console")
 * in its runtime record (runtime.<id>.pty); NULL when it has none
 * (transfer full). */
char *drv_monitor_info_pty(JsonNode *info, const char *device);
/* vm.info's "state": "Running", "Paused"... (transfer none) or NULL. */
const char *drv_monitor_info_state(JsonNode *info);

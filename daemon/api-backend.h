/* SPDX-License-Identifier: Apache-2.0 */
/* The API's actions (CH's endpoints) executed on the VMM: shared by REST and D-Bus. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "daemon/api-actions.h"
#include "daemon/vmm.h"

/**
 * api_backend_execute:
 * Runs @action on @vmm.  VMM thread only.  @body is the request body (REST)
 * or JSON string argument (D-Bus), NULL when there is none.  @fds are the
 * descriptors received with the request (transfer full; may be NULL): an
 * action that keeps them (vm.create with net "fds") owns them from then on,
 * every other outcome closes them.
 */
void api_backend_execute(Vmm *vmm, ApiAction action, GBytes *body, GArray *fds,
                         ApiResult *result);

typedef void (*ApiBackendDoneFunc)(gpointer opaque);

/**
 * api_backend_execute_async:
 * The same, for the VMM thread's main loop: an action that waits for the
 * guest (vm.remove-device) does not block it.  @result is final when
 * @done runs (once, on the VMM thread, maybe before this returns); it
 * must stay valid until then.  api_backend_execute() runs the VMM's
 * context until then (tests, fuzzing).
 */
void api_backend_execute_async(Vmm *vmm, ApiAction action, GBytes *body,
                               GArray *fds, ApiResult *result,
                               ApiBackendDoneFunc done, gpointer opaque);

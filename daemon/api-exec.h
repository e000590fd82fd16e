/* SPDX-License-Identifier: Apache-2.0 */
/* Hands API calls from the transport threads to the VMM thread and the results back. */
#pragma once

#include <glib.h>

#include "daemon/api-backend.h"

/*
 * The transports (http-server, dbus-thread) never run VM code: each call is
 * queued as a source on the VMM thread's GMainContext, executed there with
 * api_backend_execute_async(), and its result is queued back as a source on
 * the caller's context when the action is over.  Nobody waits: a slow
 * action (pause waits for every vCPU) holds up neither the transport thread
 * nor its other clients, and one that waits for the guest (vm.remove-device)
 * does not even hold up the VMM thread.
 */
typedef struct ApiExecutor ApiExecutor;

/* Called on the submitter's context with the result (borrowed). */
typedef void (*ApiDoneFunc)(const ApiResult *result, gpointer opaque);

ApiExecutor *api_executor_new(Vmm *vmm, GMainContext *vmm_context);

/**
 * api_executor_submit:
 * Any thread.  @body and @fds: transfer full (either may be NULL).  @done
 * runs on @reply_context; @opaque_free (may be NULL) runs once the call is
 * over, whether @done ran or the call was dropped by api_executor_free().
 */
void api_executor_submit(ApiExecutor *ex, ApiAction action, GBytes *body,
                         GArray *fds, GMainContext *reply_context,
                         ApiDoneFunc done, gpointer opaque,
                         GDestroyNotify opaque_free);

/* VMM thread, once no thread submits any more: calls not yet executed are
 * dropped (their fds closed). */
void api_executor_free(ApiExecutor *ex);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiExecutor, api_executor_free)

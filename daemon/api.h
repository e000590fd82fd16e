/* SPDX-License-Identifier: Apache-2.0 */
/* Control transports of nimbus: the CH-compatible REST API and D-Bus API. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "daemon/vmm.h"

/*
 * Both transports run in their own threads ("http-server", "dbus-thread")
 * and hand each request to the VMM thread (the owner of @context), where
 * the vmm_* functions run; they never block on a vCPU themselves.
 */
typedef struct ApiHttp ApiHttp;

/* Serves /api/v1 on the UNIX socket @path (with the "<path>.lock" lock
 * file; a stale socket is replaced, a live one refused) or on the listening
 * socket @fd when @path is NULL. */
ApiHttp *api_http_new(Vmm *vmm, GMainContext *context, const char *path,
                      int fd, GError **error);
void api_http_free(ApiHttp *api);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiHttp, api_http_free)

/* A request must arrive whole within API_HTTP_REQUEST_TIMEOUT_MS of its
 * first byte, and a connection with no request in progress and nothing
 * on the VMM is closed after API_HTTP_IDLE_TIMEOUT_MS: half-sent requests
 * would otherwise hold connection slots for ever (1024 of them lock every
 * client out).  A call the VMM is executing (vm.boot, a snapshot) has no
 * limit here. */
#define API_HTTP_REQUEST_TIMEOUT_MS 30000
#define API_HTTP_IDLE_TIMEOUT_MS 120000

/* Changes both limits (any thread; applies from the next event of each
 * connection).  For tests and embedders. */
void api_http_set_timeouts(ApiHttp *api, guint request_ms, guint idle_ms);

typedef struct ApiDbus ApiDbus;

/* Owns @service_name on the session (or system) bus and exports
 * org.cloudhypervisor.DBusApi1 at @object_path. */
ApiDbus *api_dbus_new(Vmm *vmm, GMainContext *context, const char *service_name,
                      const char *object_path, bool system_bus, GError **error);
void api_dbus_free(ApiDbus *api);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiDbus, api_dbus_free)

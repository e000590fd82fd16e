/* SPDX-License-Identifier: Apache-2.0 */
/* REST routing: /api/v1/<endpoint> and method checks, results to HTTP responses. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "daemon/api-actions.h"
#include "daemon/api-request.h"

#define API_ROUTER_ROOT "/api/v1/"

/**
 * api_router_route:
 * The action @req asks for (true), or the error CH answers without asking
 * the VMM (false, @result set): 404 for an unknown path, 400 for a method
 * other than GET/PUT or the wrong one of the two.
 */
bool api_router_route(const ApiRequest *req, ApiAction *action,
                      ApiResult *result);

/* The HTTP response for @result (transfer full); see api_response_format(). */
GBytes *api_router_response(const ApiResult *result, bool close, bool head);

/* The 400 answer to a stream that could not be parsed (@error's message). */
GBytes *api_router_bad_stream_response(const GError *error);

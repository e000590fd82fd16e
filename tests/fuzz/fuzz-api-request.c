/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: REST requests parsed, routed and executed on a Vmm with no VM booted. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "daemon/api-backend.h"
#include "daemon/api-request.h"
#include "daemon/api-router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Past fuzz-http's router: the first byte picks how the stream is cut into
 * reads, the rest is the stream; every complete request is routed and, if
 * it names an action, executed by api_backend_execute() on one Vmm for the
 * whole stream, as the server does.  So bodies reach the bounded JSON
 * parser, vm_config_from_json() (vm.create), vm_config_validate() and the
 * host checks, and every action's body checks, in any order (vm.create
 * then vm.info, vm.delete, a second vm.create...).
 *
 * vm.boot is routed but not executed: it would run KVM and open the
 * files, sockets and taps that the fuzzed config names; its refusals
 * without a created VM are test-api-backend's.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ApiRequestParser) p = NULL;
    g_autoptr(Vmm) vmm = NULL;
    size_t chunk, off = 1;

    if (size < 1)
        return 0;
    chunk = data[0] ? data[0] : size;
    vmm = vmm_new(NULL, NULL);
    p = api_request_parser_new(API_REQUEST_MAX_BODY);
    while (off < size) {
        size_t n = MIN(chunk, size - off);
        g_autoptr(GError) error = NULL;
        ApiRequest *req;

        if (!api_request_parser_feed(p, (const char *)data + off, n, &error))
            break;
        off += n;
        while ((req = api_request_parser_pop(p))) {
            ApiResult result = { 0 };
            ApiAction action;
            g_autoptr(GBytes) resp = NULL;

            if (api_router_route(req, &action, &result) &&
                action != API_ACTION_VM_BOOT) {
                api_backend_execute(vmm, action, req->body,
                                    api_request_steal_fds(req), &result);
                /* Every answer is a success or a CH error body. */
                g_assert(result.status == 200 || result.status == 204 ||
                         (result.status >= 400 && result.errors));
                g_assert(result.status != 200 || result.body);
            }
            resp = api_router_response(&result, !req->keep_alive, false);
            g_assert(g_bytes_get_size(resp) > 0);
            api_result_clear(&result);
            api_request_free(req);
        }
        api_request_parser_take_continue(p);
        if (api_request_parser_done(p))
            break;
    }
    return 0;
}

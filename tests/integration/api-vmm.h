/* SPDX-License-Identifier: Apache-2.0 */
/* Integration helpers: a nimbus on its API socket, driven with curl; its guest console lines. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "tests/testutil.h"

/* One nimbus process serving its REST API (test-snapshot, test-migration). */
typedef struct {
    char *dir;            /* its scratch directory under the test's tmpdir */
    char *socket;         /* its API socket */
    TestProc *vmm;
} ApiVmm;

char *api_vmm_guest_config(const char *script, guint vcpus, guint64 mem_bytes,
                           bool shared);
/* Started with --api-socket and @extra; returns once the socket answers. */
ApiVmm *api_vmm_start(const char *name, const char *const *extra);
void api_vmm_free(ApiVmm *v);
/* curl on the API socket; returns the HTTP status, the body in *out. */
guint api_vmm_call(ApiVmm *v, const char *method, const char *endpoint,
                   const char *body, char **out);
/* The same, asserting a 2xx answer. */
void api_vmm_call_ok(ApiVmm *v, const char *method, const char *endpoint,
                     const char *body);
/* The rest of the last console line starting with @prefix (transfer
 * full), or NULL. */
char *api_vmm_last_line(ApiVmm *v, const char *prefix);
/* api_vmm_last_line(), waited for; fails the test after @timeout_ms or
 * when the VMM exits. */
char *api_vmm_wait_line(ApiVmm *v, const char *prefix, guint timeout_ms);
/* The guest uptime of the newest "tick <uptime>" line. */
double api_vmm_tick_uptime(ApiVmm *v);
/* A tick newer than @after, waited for. */
double api_vmm_next_tick(ApiVmm *v, double after, guint timeout_ms);

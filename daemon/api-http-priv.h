/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the REST server's listener (api-http.c) and connections (api-http-conn.c). */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "daemon/api.h"
#include "daemon/api-exec.h"

/* Connections served at once; more are answered 503 and closed, as CH's
 * micro_http does when it is full (its limit is 10: libvirt and
 * nimbus-remote open one at a time, but tests and scripts run many). */
#define API_HTTP_MAX_CONNECTIONS 1024

struct ApiHttp {
    Vmm *vmm;                  /* immutable */
    ApiExecutor *exec;         /* immutable; submit is thread-safe */
    char *path;                /* socket we bound (unlinked at free); NULL for fd= */
    int listen_fd;
    int lock_fd;               /* holds "<path>.lock" (flock) while we live */
    GThread *thread;           /* "http-server" */
    GMainContext *context;     /* the http-server thread's */
    GMainLoop *loop;
    /* Below: http-server thread only (and api_http_free after the join). */
    GSource *listen_source;
    GSource *accept_retry;     /* pause after EMFILE */
    GHashTable *conns;         /* HttpConn* (owns a reference) */
    char *rbuf;                /* read buffer shared by the connections */
    gsize rbuf_size;
    /* Atomic (api_http_set_timeouts() may run on any thread). */
    guint request_timeout_ms;
    guint idle_timeout_ms;
};

typedef struct HttpConn HttpConn;

/* Takes @fd (connected, non-blocking) and starts serving it. */
void api_http_conn_new(ApiHttp *api, int fd);
/* Closes the socket and forgets the connection; a call in flight still
 * completes on the VMM and its answer is dropped. */
void api_http_conn_close(HttpConn *c);
/* Writes what is queued, waiting up to @deadline (monotonic µs). */
void api_http_conn_flush_until(HttpConn *c, gint64 deadline);

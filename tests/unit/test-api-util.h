/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the REST and D-Bus API tests: a Vmm with its APIs on a "vmm" thread, a raw HTTP client. */
#pragma once

#include <stdbool.h>
#include <glib.h>
#include <http_parser.h>
#include <json-glib/json-glib.h>

#include "daemon/api.h"

/* A Vmm served on its own "vmm" thread, as in nimbus. */
typedef struct {
    GMainContext *context;
    Vmm *vmm;
    ApiHttp *api;       /* NULL when no REST socket is served */
    ApiDbus *dbus;      /* NULL when no D-Bus name is served */
    GThread *thread;
    char *path;
    char *kernel;
    int status;
} Server;

typedef struct {
    guint status;
    GString *body;
    GString *field;
    GHashTable *headers;   /* lower-case name -> value */
    bool in_value;
    bool complete;
} Response;

/*
 * Reads one response; a connection carries several, so the parser and
 * leftover bytes live in a per-connection Client.
 */
typedef struct {
    int fd;
    http_parser parser;
    GByteArray *pending;
} Client;

/* A Vmm, api_http_new() on @path or the listening @fd (neither: no REST
 * API), api_dbus_new() as @dbus_name at @dbus_path on the session bus
 * (NULL: no D-Bus API), and the VMM loop on its own thread.  s->kernel is
 * a file to name as the payload (vm.create checks only that it exists). */
Server *server_start_apis(const char *path, int fd, const char *dbus_name,
                          const char *dbus_path);
/* REST only; server_start() picks a fresh socket in /tmp. */
Server *server_start_full(const char *path, int fd);
Server *server_start(void);
/* Ends the loop (unless vmm.shutdown did), frees as main.c does; returns
 * vmm_run()'s status. */
int server_stop(Server *s);
/* The same without ending the loop: waits until vmm.shutdown has. */
int server_wait(Server *s);

/* One sendmsg(), with @fds as SCM_RIGHTS. */
void client_send(int fd, const char *data, gsize len, const int *fds,
                 guint n_fds);
void client_send_str(int fd, const char *text);
Client *client_new(const char *path);
void client_free(Client *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Client, client_free)
/* The next response on @c, or NULL when the server closed first. */
Response *client_read(Client *c);
void response_free(Response *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Response, response_free)
/* One request on a fresh connection. */
Response *request(const char *path, const char *method, const char *endpoint,
                  const char *body);

JsonNode *parse_json(const char *text);
/* @r's body is CH's error chain (a JSON array of strings) mentioning
 * @needle (if not NULL). */
void assert_error_body(const Response *r, const char *needle);

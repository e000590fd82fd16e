/* SPDX-License-Identifier: Apache-2.0 */
/* nimbus-remote: transports (REST socket, D-Bus) and the subcommand table. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "daemon/api-actions.h"

/*
 * Errors of nimbus-remote carry a chain, one link per line, outermost
 * first: the VMM's JSON error chain, or a transport failure.  main prints
 * "Error: <first>" and "  caused by: <next>" for the others.
 */
typedef struct RemoteTransport RemoteTransport;

typedef struct {
    /* Runs @action with @body (JSON or NULL) and @fds (sent as SCM_RIGHTS
     * where the transport can); *response: the JSON answer, NULL if none. */
    bool (*call)(RemoteTransport *t, ApiAction action, const char *body,
                 const int *fds, guint n_fds, char **response, GError **error);
    void (*free)(RemoteTransport *t);
} RemoteTransportOps;

struct RemoteTransport {
    const RemoteTransportOps *ops;
};

/* HTTP/1.1 on the VMM's --api-socket. */
RemoteTransport *remote_http_new(const char *socket_path);
/* org.cloudhypervisor.DBusApi1 at @object_path of @service_name. */
RemoteTransport *remote_dbus_new(const char *service_name,
                                 const char *object_path, bool system_bus,
                                 GError **error);
void remote_transport_free(RemoteTransport *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RemoteTransport, remote_transport_free)

/* A request ready to send (transfer: owned by the struct). */
typedef struct {
    ApiAction action;
    char *body;
    GArray *fds;              /* int; not owned by us: the caller's fds */
} RemoteRequest;

void remote_request_clear(RemoteRequest *req);

typedef struct RemoteCommand RemoteCommand;

/* The subcommand called @name, or NULL. */
const RemoteCommand *remote_command_find(const char *name);
/* Builds the request of @cmd from its arguments (argv after the name). */
bool remote_command_build(const RemoteCommand *cmd, int argc, char **argv,
                          RemoteRequest *req, GError **error);
/* The --help text's command list, sorted by name (transfer full). */
char *remote_commands_help(void);

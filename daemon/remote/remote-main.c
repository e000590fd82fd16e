/* SPDX-License-Identifier: Apache-2.0 */
/* nimbus-remote: controls a running nimbus like ch-remote (REST socket or D-Bus). */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "daemon/remote/remote.h"

typedef struct {
    char *api_socket;
    char *dbus_service_name;
    char *dbus_object_path;
    bool dbus_system_bus;
    bool help;
    bool version;
} RemoteOptions;

/* Sorted by long name, as --help shows them. */
static const struct {
    const char *name;
    const char *value;     /* NULL: a flag */
    const char *help;
} options[] = {
    { "--api-socket", "<path>", "The VMM's REST API socket (UNIX domain)" },
    { "--dbus-object-path", "<path>", "Object path of the VMM's D-Bus API" },
    { "--dbus-service-name", "<name>", "Bus name of the VMM's D-Bus API" },
    { "--dbus-system-bus", NULL, "Use the system bus (default: session)" },
    { "--help", NULL, "Print this help (also -h)" },
    { "--version", NULL, "Print the version (also -V)" },
};

static void
print_help(void)
{
    g_autofree char *cmds = remote_commands_help();

    printf("Usage: nimbus-remote [OPTIONS] <COMMAND> [ARGS]\n\n"
           "Controls a running nimbus VMM (compatible with Cloud Hypervisor's "
           "ch-remote).\nConfig arguments use the nimbus CLI syntax, e.g. "
           "add-disk path=/img.raw,readonly=on.\n\nOptions:\n");
    for (guint i = 0; i < G_N_ELEMENTS(options); i++) {
        g_autofree char *head = g_strdup_printf("%s %s", options[i].name,
                                                options[i].value ? options[i].value
                                                                 : "");

        printf("  %-36s %s\n", g_strstrip(head), options[i].help);
    }
    printf("\nCommands:\n%s", cmds);
}

/* Prints an error chain: "Error: first" then "  caused by: ..." lines. */
static void
print_error(const GError *error)
{
    g_auto(GStrv) lines = g_strsplit(error->message, "\n", -1);

    for (guint i = 0; lines[i]; i++) {
        if (!lines[i][0])
            continue;
        if (i == 0)
            fprintf(stderr, "Error: %s\n", lines[i]);
        else
            fprintf(stderr, "  caused by: %s\n", lines[i]);
    }
}

/*
 * Global options come before the command, as with ch-remote (clap); both
 * "--opt value" and "--opt=value" are accepted.  Parsing stops at the first
 * word that is not an option: the command and its own arguments follow.
 * GOptionContext is not used because it would also take the command's
 * arguments (resize --cpus) as its own.
 */
static bool
parse_global(int argc, char **argv, RemoteOptions *o, int *next, GError **error)
{
    int i;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        const char *eq = strchr(a, '=');
        g_autofree char *name = eq ? g_strndup(a, (gsize)(eq - a)) : g_strdup(a);
        char **slot = NULL;

        if (g_str_equal(a, "-h") || g_str_equal(a, "--help")) {
            o->help = true;
            continue;
        }
        if (g_str_equal(a, "-V") || g_str_equal(a, "--version")) {
            o->version = true;
            continue;
        }
        if (g_str_equal(a, "--dbus-system-bus")) {
            o->dbus_system_bus = true;
            continue;
        }
        if (g_str_equal(name, "--api-socket"))
            slot = &o->api_socket;
        else if (g_str_equal(name, "--dbus-service-name"))
            slot = &o->dbus_service_name;
        else if (g_str_equal(name, "--dbus-object-path"))
            slot = &o->dbus_object_path;
        if (!slot) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                        "unknown option '%s' (see nimbus-remote --help)", a);
            return false;
        }
        g_free(*slot);
        if (eq) {
            *slot = g_strdup(eq + 1);
        } else if (i + 1 < argc) {
            *slot = g_strdup(argv[++i]);
        } else {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "%s needs a value", name);
            return false;
        }
    }
    *next = i;
    return true;
}

static RemoteTransport *
open_transport(const RemoteOptions *o, GError **error)
{
    bool dbus = o->dbus_service_name || o->dbus_object_path ||
                o->dbus_system_bus;

    /* ch-remote: the two kinds of transport are exclusive. */
    if (o->api_socket && dbus) {
        g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                            "--api-socket and the --dbus-* options cannot be "
                            "used together");
        return NULL;
    }
    if (o->api_socket)
        return remote_http_new(o->api_socket);
    if (dbus)
        return remote_dbus_new(o->dbus_service_name, o->dbus_object_path,
                               o->dbus_system_bus, error);
    g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "say how to reach the VMM: --api-socket <path>, or "
                        "--dbus-service-name and --dbus-object-path");
    return NULL;
}

static void
options_clear(RemoteOptions *o)
{
    g_free(o->api_socket);
    g_free(o->dbus_service_name);
    g_free(o->dbus_object_path);
}

int
main(int argc, char **argv)
{
    RemoteOptions o = { 0 };
    RemoteRequest req = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(RemoteTransport) t = NULL;
    g_autofree char *response = NULL;
    const RemoteCommand *cmd;
    int next = argc;
    int status = 1;

    if (!parse_global(argc, argv, &o, &next, &error))
        goto cleanup;
    if (o.help) {
        print_help();
        status = 0;
        goto cleanup;
    }
    if (o.version) {
        printf("nimbus-remote %s\n", PACKAGE_VERSION);
        status = 0;
        goto cleanup;
    }
    if (next >= argc) {
        g_set_error_literal(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                            "no command given (see nimbus-remote --help)");
        goto cleanup;
    }
    cmd = remote_command_find(argv[next]);
    if (!cmd) {
        g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "unknown command '%s' (see nimbus-remote --help)",
                    argv[next]);
        goto cleanup;
    }
    if (!remote_command_build(cmd, argc - next - 1, argv + next + 1, &req,
                              &error) ||
        !(t = open_transport(&o, &error)) ||
        !t->ops->call(t, req.action, req.body,
                      req.fds ? (const int *)(void *)req.fds->data : NULL,
                      req.fds ? req.fds->len : 0, &response, &error))
        goto cleanup;
    if (response)
        printf("%s\n", response);
    status = 0;

 cleanup:
    if (error)
        print_error(error);
    remote_request_clear(&req);
    options_clear(&o);
    return status;
}

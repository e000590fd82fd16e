/* SPDX-License-Identifier: Apache-2.0 */
/* The nimbus command line: Cloud Hypervisor's options, into a NimbusCli. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "config/vm-config.h"

typedef struct RestoreConfig RestoreConfig;

/*
 * The Cloud Hypervisor release whose interface nimbus implements
 * (reference: "Baseline: Cloud Hypervisor v53.0").  --version reports it
 * first because libvirt's ch driver runs "<binary> --version" and requires
 * the output to start with "cloud-hypervisor v<major>.<minor>" (at least
 * v15.0, src/ch/ch_conf.c chExtractVersion()), and it gates features on
 * that number.
 */
#define NIMBUS_CH_COMPAT_VERSION "53.0.0"

typedef struct {
    VmConfig *vm;               /* NULL: no payload option, API-only mode */
    char *api_socket_path;
    int api_socket_fd;          /* -1 when not given */
    char *event_monitor_path;
    int event_monitor_fd;       /* -1 when not given */
    char *dbus_service_name;
    char *dbus_object_path;
    bool dbus_system_bus;
    char *log_file;
    int verbosity;              /* number of -v */
    bool version;               /* -V/--version: print nimbus_cli_version() */
    bool help;                  /* -h/--help: print nimbus_cli_help() */
    char *seccomp;              /* "true" (default), "false", "log", "errno" */
    bool no_shutdown;
    RestoreConfig *restore;     /* --restore (daemon/snapshot.h); NULL if
                                 * not given */
} NimbusCli;

/**
 * nimbus_cli_parse:
 * Parses @argv (argv[0] is the program) with CH's grammar: "--opt value"
 * or "--opt=value", several values after one --disk/--net, -v repeatable.
 * -h/--help and -V/--version stop parsing and return true with the flag
 * set.  The VmConfig is validated (CLI names in the errors) before this
 * returns true.  On error (G_IO_ERROR_INVALID_ARGUMENT, or
 * G_IO_ERROR_EXISTS for a duplicate id), @cli is left cleared.
 * Release what @cli holds with nimbus_cli_free().
 */
bool nimbus_cli_parse(int argc, char **argv, NimbusCli *cli, GError **error);
/* Frees what @cli's members own and resets them; @cli itself is the
 * caller's (a stack variable: g_auto(NimbusCli)). */
void nimbus_cli_free(NimbusCli *cli);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NimbusCli, nimbus_cli_free)

/* --help text: the options in alphabetical order with their sub-parameter
 * syntax and defaults.  (transfer full) */
char *nimbus_cli_help(void);
/* "cloud-hypervisor v53.0.0 (nimbus v<VERSION>)" without a newline.
 * (transfer full) */
char *nimbus_cli_version(void);
/* CH's options nimbus refuses as "not supported yet", NULL-terminated. */
const char *const *nimbus_cli_unimplemented(void);

/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by unit and integration tests. */
#pragma once

#include <stdbool.h>
#include <glib.h>

/* Source and build trees (from the test environment; "." otherwise). */
const char *test_top_srcdir(void);
const char *test_top_builddir(void);
/* $top_builddir/<rel> and $top_srcdir/<rel> (transfer full). */
char *test_build_path(const char *rel);
char *test_src_path(const char *rel);

/* A fresh directory under /tmp, removed recursively at process exit.
 * Sockets must live there: the harness shares the build tree over 9p,
 * where bind() of a UNIX socket fails. */
const char *test_tmpdir(void);

/**
 * test_asset:
 * Path of a guest asset built by tests/harness/assets (vmlinux, vmlinuz,
 * initramfs images...), from $NIMBUS_ASSETS_DIR.  A missing asset fails the
 * test: integration tests never skip.
 */
char *test_asset(const char *name);

/* A child process with stdout+stderr captured into a log file. */
typedef struct TestProc TestProc;

/* Spawns @argv (argv[0] is looked up in PATH); stdin is a pipe. */
TestProc *test_proc_spawn(const char *const *argv);
/* Same, with extra fds kept open in the child (e.g. tap fds). */
TestProc *test_proc_spawn_full(const char *const *argv, const int *keep_fds,
                               unsigned n_keep_fds);
/* What a Linux guest prints when it panics. */
#define GUEST_PANIC "Kernel panic - not syncing"
/* Waits until the output contains @needle; false on timeout, exit, or a
 * guest kernel panic (GUEST_PANIC in the output, unless @needle has it). */
bool test_proc_wait_output(TestProc *p, const char *needle, guint timeout_ms);
/* True once the process has exited (reaps it; never blocks). */
bool test_proc_exited(TestProc *p);
/* Waits for exit; returns the exit status, 128+signal, or -1 on timeout
 * (the process is then killed). */
int test_proc_wait_exit(TestProc *p, guint timeout_ms);
/* Writes to the child's stdin. */
void test_proc_write(TestProc *p, const char *text);
/* The output so far (transfer full). */
char *test_proc_output(TestProc *p);
GPid test_proc_pid(TestProc *p);
/* Kills (SIGKILL) if still running, prints the log if the test failed. */
void test_proc_free(TestProc *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestProc, test_proc_free)

/* Runs a command to completion; returns its exit status; output in *out. */
int test_run(const char *const *argv, char **out, guint timeout_ms);

/* A connected SOCK_STREAM UNIX socket to @path; asserts that it connects. */
int test_unix_connect(const char *path);

/**
 * test_dbus_daemon_spawn:
 * Starts a private "dbus-daemon @bus_arg --nofork --print-address=1"
 * (@bus_arg: "--session", or "--config-file=PATH") and waits until it has
 * printed its whole address line.
 * Returns: (transfer full) the process; *@address (transfer full) is the
 * bus address, for DBUS_SESSION_BUS_ADDRESS or gdbus --address.
 */
TestProc *test_dbus_daemon_spawn(const char *bus_arg, char **address);

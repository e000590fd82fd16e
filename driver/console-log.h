/* SPDX-License-Identifier: Apache-2.0 */
/* <serial>/<console> <log file>: nimbusd copies a pty's output to a file. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

/*
 * While a domain runs, nimbusd is the only reader of a logged pty: it
 * appends everything the guest writes to the log file and hands a copy to
 * the console stream attached at the moment (virsh console), as libvirt's
 * virtlogd does for QEMU.  Keystrokes still go to the pty directly.
 *
 * Reading and the sink run on the main context; start and stop may be
 * called from any thread.
 */
typedef struct DrvConsoleLog DrvConsoleLog;

/* Guest output (@len > 0), or the end of the pty (@data NULL, @len 0,
 * after which the sink is detached). */
typedef void (*DrvConsoleLogSink)(const void *data, size_t len,
                                  gpointer opaque);

/* Opens @file (created 0600; truncated unless @append) and starts reading
 * the pty @pty_path.  (transfer full) */
DrvConsoleLog *drv_console_log_start(const char *pty_path, const char *file,
                                     bool append, GError **error);
/* Stops reading (the attached sink gets its end on the main context) and
 * drops the caller's reference. */
void drv_console_log_stop(DrvConsoleLog *log);
DrvConsoleLog *drv_console_log_ref(DrvConsoleLog *log);
void drv_console_log_unref(DrvConsoleLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DrvConsoleLog, drv_console_log_unref)

/* Main context only.  One sink at a time: attaching replaces the previous
 * one (it gets no more data).  False when the pty has ended already. */
bool drv_console_log_attach(DrvConsoleLog *log, DrvConsoleLogSink sink,
                            gpointer opaque);
/* Detaches @opaque's sink if it is the attached one. */
void drv_console_log_detach(DrvConsoleLog *log, gpointer opaque);

/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers of nimbusd: untrusted-JSON accessors, /proc readers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/*
 * json-glib's typed getters emit g_critical on a type mismatch; JSON from
 * the VMM or from state files is not trusted, so these check first.
 */
/* The string member @name, or NULL (transfer none). */
const char *drv_json_string(JsonObject *o, const char *name);
/* The integer member @name into @out; false if absent or not an integer. */
bool drv_json_int(JsonObject *o, const char *name, gint64 *out);
/* The object member @name, or NULL (transfer none). */
JsonObject *drv_json_object(JsonObject *o, const char *name);
bool drv_json_bool(JsonObject *o, const char *name, bool dflt);

/**
 * drv_proc_stat:
 * Reads /proc/<pid>/stat: @start_ticks is the process start time (field
 * 22, clock ticks since boot: with the pid it identifies a process across
 * pid reuse), @cpu_ns is user+system time of all its threads.  Either may
 * be NULL.  False when the process does not exist.
 */
bool drv_proc_stat(pid_t pid, uint64_t *start_ticks, uint64_t *cpu_ns);

/* User and system CPU time of all threads of @pid, in ns; false when the
 * process does not exist. */
bool drv_proc_cpu_times(pid_t pid, uint64_t *user_ns, uint64_t *system_ns);
/* Resident set size of @pid in KiB (/proc/<pid>/statm). */
bool drv_proc_rss_kib(pid_t pid, uint64_t *kib);

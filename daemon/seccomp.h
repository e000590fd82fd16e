/* SPDX-License-Identifier: Apache-2.0 */
/* seccomp: a libseccomp filter per thread role, installed as each thread starts. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "common/thread-role.h"

/* --seccomp (CH's values): what a system call outside the role's list
 * gets. */
typedef enum {
    SECCOMP_MODE_TRUE,       /* the VMM dies of SIGSYS, the call logged */
    SECCOMP_MODE_FALSE,      /* no filter at all */
    SECCOMP_MODE_LOG,        /* allowed, and logged by the kernel (audit) */
    SECCOMP_MODE_ERRNO,      /* fails with EPERM (CH) */
    SECCOMP_MODE_LAST
} SeccompMode;

/* Parses "true", "false", "log" or "errno"; the error names the option
 * and lists the values. */
bool seccomp_mode_parse(const char *value, SeccompMode *mode, GError **error);
const char *seccomp_mode_name(SeccompMode mode);

/**
 * seccomp_setup:
 * Called once by main() on the main thread before any other nimbus thread
 * starts: installs the process-wide baseline (the union of every role's
 * list) on every thread that exists already (GLib's), makes
 * thread_role_new() install each role's filter, then narrows the calling
 * thread to the "vmm" role.  SECCOMP_MODE_FALSE does nothing.  In a
 * sanitizer build, SECCOMP_MODE_TRUE is turned into SECCOMP_MODE_LOG (with
 * a warning): the sanitizer runtimes make calls no role allows (ptrace and
 * a non-thread clone for LeakSanitizer at exit).
 */
bool seccomp_setup(SeccompMode mode, GError **error);

/**
 * seccomp_install_role:
 * Installs @role's filter with @mode on the calling thread only (filters
 * stack: it can only narrow what the thread may do).  Also installs the
 * SIGSYS handler that names the call for SECCOMP_MODE_TRUE.
 */
bool seccomp_install_role(ThreadRole role, SeccompMode mode, GError **error);

/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: every thread of a running nimbus is under a seccomp filter. */
#pragma once

#include <glib.h>

/**
 * test_assert_threads_seccomp:
 * Fails the test (g_test_fail(), with a message per thread) unless every
 * thread of process @pid shows "Seccomp: 2" (filter mode) in
 * /proc/@pid/task/<tid>/status and a thread named each of @names
 * (NULL-terminated, /proc's comm) exists.  Logs every thread's name.
 */
void test_assert_threads_seccomp(GPid pid, const char *const *names);

/* SPDX-License-Identifier: Apache-2.0 */
/* seccomp internals shared with the unit tests: the allow-lists and the filter builder. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <seccomp.h>
#include <glib.h>

#include "common/thread-role.h"
#include "daemon/seccomp.h"

/* One allowed system call, with at most one argument condition. */
typedef struct {
    const char *name;          /* as libseccomp spells it */
    int arg;                   /* argument index; -1: any arguments */
    enum scmp_compare op;
    uint64_t a, b;             /* SCMP_CMP's datum a (value or mask), b */
} SeccompRule;

/* A named group of rules that several roles share. */
typedef struct {
    const char *what;
    const SeccompRule *rules;
    size_t n_rules;
} SeccompRuleSet;

/* The sets that make up @role's list, NULL-terminated. */
const SeccompRuleSet *const *seccomp_role_sets(ThreadRole role);
/* What the spawner and the process-wide baseline may also do. */
extern const SeccompRuleSet seccomp_set_baseline_only;

/**
 * seccomp_filter_new:
 * A libseccomp context for @role (THREAD_ROLE_LAST: the baseline, every
 * role's list together) whose mismatch action is @mode's.  NULL with
 * @error naming the rule libseccomp refused.  (transfer full)
 */
scmp_filter_ctx seccomp_filter_new(ThreadRole role, SeccompMode mode,
                                   GError **error);
/* True if @role's list allows system call @nr with any arguments or
 * under a condition (the tests pick calls a role must refuse). */
bool seccomp_role_mentions(ThreadRole role, int nr);

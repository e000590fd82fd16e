/* SPDX-License-Identifier: Apache-2.0 */
/* Landlock: confining the VMM to the files its config names (--landlock). */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "config/vm-config.h"

/* The Landlock ABI version the kernel offers; 0 when it has none
 * (not built, not in the "lsm=" list, or no system call). */
int landlock_abi(void);

/**
 * landlock_confine:
 * Builds the ruleset for @config (every path its fields name, with the
 * access its VF_PATH_* line gives, plus its landlock_rules and the device
 * nodes the VMM opens: /dev/kvm, /dev/net/tun, the pty devices...) and
 * restricts the calling thread (the VMM thread), the thread spawner (so
 * that every thread started afterwards, vCPUs and device workers, is
 * confined too), and the threads that run a context given to
 * landlock_watch_context() (the API servers, at their next iteration).
 * @extra_read: one more path readable (a restore's snapshot directory),
 * or NULL.  Landlock only ever narrows: a second call (vm.delete, then
 * vm.create) adds a layer, so paths neither config names stay out of
 * reach.  False with @error, naming the path or the kernel's lack, when
 * nothing was restricted.
 */
bool landlock_confine(const VmConfig *config, const char *extra_read,
                      GError **error);

/* @context is run by a thread started before any confinement (the HTTP
 * and D-Bus API servers): landlock_confine() has it restrict itself too.
 * (The ref is kept for the process's life.) */
void landlock_watch_context(GMainContext *context);

/* SPDX-License-Identifier: Apache-2.0 */
/* An interface's <bandwidth> as virDomain{Get,Set}InterfaceParameters' typed parameters. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "driver/xml/domain-conf.h"

/* One parameter: libvirt's name ("inbound.average") and its UINT value. */
typedef struct {
    char *field;
    uint64_t ui;
} DomainIfParam;

void domain_if_param_free(DomainIfParam *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainIfParam, domain_if_param_free)

/* How many parameters domain_def_net_bandwidth_get() returns. */
guint domain_net_bandwidth_nparams(void);

/**
 * domain_def_net_bandwidth_get:
 * Every bandwidth parameter of @def's interface @device (its MAC address or
 * its target dev), in libvirt's order, unset ones as 0.
 * Returns: (transfer full) a GPtrArray of DomainIfParam, NULL with @error
 * set when @def has no such interface.
 */
GPtrArray *domain_def_net_bandwidth_get(const DomainDef *def,
                                        const char *device, GError **error);

/**
 * domain_def_with_net_bandwidth:
 * A copy of @def whose interface @device has the @n parameters @params set
 * (the others keep their values; a direction whose average drops to 0 is
 * removed, as libvirt does), checked as define checks it: unknown names
 * and limits nimbus cannot honour are refused by name.
 * Returns: (transfer full) the new definition, NULL with @error set.
 */
DomainDef *domain_def_with_net_bandwidth(const DomainDef *def,
                                         const char *device,
                                         const DomainIfParam *params, guint n,
                                         GError **error);

/**
 * domain_def_net_bandwidth_set:
 * Sets the @n parameters @params of @def's interface @device in place.
 * Nothing changes when it fails, but a success is not checked against the
 * whole definition: use it on a definition for which
 * domain_def_with_net_bandwidth() succeeded.
 */
bool domain_def_net_bandwidth_set(DomainDef *def, const char *device,
                                  const DomainIfParam *params, guint n,
                                  GError **error);

/**
 * domain_def_net_bandwidth_live_body:
 * The body of nimbus's PUT vm.nimbus-update-rate-limiter that gives the
 * running interface @device the limits it has in @def.
 * Returns: (transfer full) a JSON object, NULL with @error set.
 */
char *domain_def_net_bandwidth_live_body(const DomainDef *def,
                                         const char *device, GError **error);

/**
 * domain_def_net_bandwidth_update_body:
 * For a live update-device: when @new differs from @old (the running
 * definition) in nothing but the <bandwidth> of interface @index, sets
 * *@body to the PUT vm.nimbus-update-rate-limiter body that applies it
 * (transfer full), once @new passed define's checks; otherwise *@body is
 * NULL.  False with @error set only when a check or the body fails.
 */
bool domain_def_net_bandwidth_update_body(const DomainDef *old,
                                          const DomainDef *new, guint index,
                                          char **body, GError **error);

/* Gives interface @index of @def the <bandwidth> it has in @from (a
 * definition that differs in nothing else): the record once nimbus
 * applied it.  Nothing when either has no such interface. */
void domain_def_net_bandwidth_take(DomainDef *def, const DomainDef *from,
                                   guint index);

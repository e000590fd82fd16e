/* SPDX-License-Identifier: Apache-2.0 */
/* Rate limiter configs: CH's RateLimiterConfig and rate limit groups. */
#pragma once

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "config/vm-config.h"

void rate_limiter_config_free(RateLimiterConfig *rl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RateLimiterConfig, rate_limiter_config_free)
/* Deep copy; NULL for NULL.  (transfer full) */
RateLimiterConfig *rate_limiter_config_copy(const RateLimiterConfig *rl);
/* CH's RateLimiterConfig JSON object, strictly; errors name
 * "rate_limiter_config.<key>".  (transfer full) */
RateLimiterConfig *rate_limiter_config_from_json_node(JsonNode *node,
                                                      GError **error);
void rate_limit_group_config_free(RateLimitGroupConfig *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RateLimitGroupConfig,
                              rate_limit_group_config_free)

/* One "--rate-limit-group id=<id>,bw_size=...", appended to @config's
 * groups. */
bool vm_config_parse_rate_limit_group(VmConfig *config, const char *arg,
                                      GError **error);

/* (transfer none) the group called @id, or NULL. */
const RateLimitGroupConfig *
vm_config_find_rate_limit_group(const VmConfig *config, const char *id);

/* The rules of one limiter (a bucket needs both a size and a refill time),
 * errors prefixed with @where: for configs changed at run time. */
bool vm_config_validate_rate_limiter(const RateLimiterConfig *rl,
                                     VmConfigNames names, const char *where,
                                     GError **error);
/* Every limiter of @c, group ids, and the disks' group references (CH: a
 * disk has its own limiter or a group, not both; the group must exist).
 * Part of vm_config_validate_full(). */
bool vm_config_validate_rate_limits(const VmConfig *c, VmConfigNames names,
                                    GError **error);

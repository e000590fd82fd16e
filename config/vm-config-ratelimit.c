/* SPDX-License-Identifier: Apache-2.0 */
/* Rate limiter configs: CH's TokenBucket, RateLimiterConfig and groups (tables, CLI, rules). */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "common/error-util.h"
#include "config/vm-config-ratelimit.h"
#include "config/vm-config-schema.h"

/*
 * The JSON spells a limiter as CH's nested rate_limiter_config; the CLI
 * (--disk, --net, --rate-limit-group) as six flat keys, bw_* for the
 * bandwidth bucket and ops_* for the operations one.  Both land in the
 * same RateLimiterConfig, and one set of rules (vm_config_validate_
 * rate_limits()) checks it whichever way it came.
 */

/* ---- Tables -------------------------------------------------------------- */

static const VField token_bucket_fields[] = {
    V_UINT("size", TokenBucketConfig, size, 0, G_MAXINT64, 0,
           .flags = VF_JSON_REQUIRED),
    V_UINT("one_time_burst", TokenBucketConfig, one_time_burst, 0,
           G_MAXINT64, 0),
    V_UINT("refill_time", TokenBucketConfig, refill_time, 0, G_MAXINT64, 0,
           .flags = VF_JSON_REQUIRED),
    V_END
};

const VStruct vschema_token_bucket = {
    "TokenBucketConfig", sizeof(TokenBucketConfig), token_bucket_fields,
    NULL, NULL
};

static const VField rate_limiter_fields[] = {
    V_PTR("bandwidth", RateLimiterConfig, bandwidth, &vschema_token_bucket,
          .flags = VF_NO_CLI),
    V_PTR("ops", RateLimiterConfig, ops, &vschema_token_bucket,
          .flags = VF_NO_CLI),
    V_END
};

const VStruct vschema_rate_limiter = {
    "RateLimiterConfig", sizeof(RateLimiterConfig), rate_limiter_fields,
    NULL, NULL
};

const char *const vm_config_rate_limit_cli_keys[] = {
    "bw_size", "bw_one_time_burst", "bw_refill_time",
    "ops_size", "ops_one_time_burst", "ops_refill_time", NULL
};

/* One bucket from "<prefix>_size", "_one_time_burst", "_refill_time";
 * NULL in *@out when none of them is given. */
static bool
cli_bucket(const VmOpts *o, const char *prefix, TokenBucketConfig **out,
           GError **error)
{
    g_autofree char *k_size = g_strdup_printf("%s_size", prefix);
    g_autofree char *k_burst = g_strdup_printf("%s_one_time_burst", prefix);
    g_autofree char *k_refill = g_strdup_printf("%s_refill_time", prefix);
    TokenBucketConfig b = { 0 };

    *out = NULL;
    if (!vm_opts_has(o, k_size) && !vm_opts_has(o, k_burst) &&
        !vm_opts_has(o, k_refill))
        return true;
    if (!vm_opts_get_u64(o, k_size, 0, G_MAXINT64, &b.size, error) ||
        !vm_opts_get_u64(o, k_burst, 0, G_MAXINT64, &b.one_time_burst,
                         error) ||
        !vm_opts_get_u64(o, k_refill, 0, G_MAXINT64, &b.refill_time, error))
        return false;
    *out = g_memdup2(&b, sizeof(b));
    return true;
}

bool
vm_config_cli_rate_limiter(const VmOpts *o, const VField *f, void *member,
                           GError **error)
{
    g_autofree TokenBucketConfig *bw = NULL;
    g_autofree TokenBucketConfig *ops = NULL;
    RateLimiterConfig *rl;

    if (!cli_bucket(o, "bw", &bw, error) || !cli_bucket(o, "ops", &ops, error))
        return false;
    if (!bw && !ops)
        return true;
    rl = g_new0(RateLimiterConfig, 1);
    rl->bandwidth = g_steal_pointer(&bw);
    rl->ops = g_steal_pointer(&ops);
    g_clear_pointer((RateLimiterConfig **)member, rate_limiter_config_free);
    *(RateLimiterConfig **)member = rl;
    return true;
}

void
rate_limiter_config_free(RateLimiterConfig *rl)
{
    if (!rl)
        return;
    vschema_clear(&vschema_rate_limiter, rl);
    g_free(rl);
}

RateLimiterConfig *
rate_limiter_config_copy(const RateLimiterConfig *rl)
{
    RateLimiterConfig *c;

    if (!rl)
        return NULL;
    c = g_new0(RateLimiterConfig, 1);
    vschema_copy(&vschema_rate_limiter, c, rl);
    return c;
}

RateLimiterConfig *
rate_limiter_config_from_json_node(JsonNode *node, GError **error)
{
    g_autoptr(RateLimiterConfig) rl = g_new0(RateLimiterConfig, 1);

    if (!vschema_json_parse(&vschema_rate_limiter, node,
                            "rate_limiter_config", rl, error))
        return NULL;
    return g_steal_pointer(&rl);
}

/* Both members are required (CH's schema): vm_config_validate_rate_limits()
 * says so, as validation does for landlock rules, so that the table's
 * defaults still round-trip. */
static const VField rate_limit_group_fields[] = {
    V_STR("id", RateLimitGroupConfig, id, .flags = VF_CLI_REQUIRED,
          .cli_meta = "<group_id>"),
    V_PTR("rate_limiter_config", RateLimitGroupConfig, rate_limiter_config,
          &vschema_rate_limiter, .cli_parse = vm_config_cli_rate_limiter,
          .cli_keys = vm_config_rate_limit_cli_keys),
    V_END
};

void
rate_limit_group_config_free(RateLimitGroupConfig *g)
{
    if (!g)
        return;
    vschema_clear(&vschema_rate_limit_group, g);
    g_free(g);
}

const VStruct vschema_rate_limit_group = {
    "RateLimitGroupConfig", sizeof(RateLimitGroupConfig),
    rate_limit_group_fields, (GDestroyNotify)rate_limit_group_config_free,
    NULL
};

bool
vm_config_parse_rate_limit_group(VmConfig *config, const char *arg,
                                 GError **error)
{
    RateLimitGroupConfig *g = vschema_new(&vschema_rate_limit_group);

    if (!vschema_cli_parse(&vschema_rate_limit_group, "--rate-limit-group",
                           arg, g, error)) {
        rate_limit_group_config_free(g);
        return false;
    }
    if (!config->rate_limit_groups)
        config->rate_limit_groups = g_ptr_array_new_with_free_func(
            vschema_rate_limit_group.free);
    g_ptr_array_add(config->rate_limit_groups, g);
    return true;
}

const RateLimitGroupConfig *
vm_config_find_rate_limit_group(const VmConfig *config, const char *id)
{
    for (guint i = 0; config->rate_limit_groups &&
                      i < config->rate_limit_groups->len; i++) {
        const RateLimitGroupConfig *g =
            g_ptr_array_index(config->rate_limit_groups, i);

        if (g->id && strcmp(g->id, id) == 0)
            return g;
    }
    return NULL;
}

/* ---- Rules --------------------------------------------------------------- */

/* "where: message"; returns false. */
#define rl_fail(error, where, ...)                                             \
    nimbus_fail_prefixed(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,       \
                         where, __VA_ARGS__)

/* A bucket limits something only with both a size and a refill time; CH
 * silently builds no bucket otherwise, which would be a limit accepted
 * and ignored: refused here.  All zero is an explicit "no limit". */
static bool
check_bucket(const TokenBucketConfig *b, VmConfigNames names,
             const char *where, const char *cli_prefix, const char *json,
             GError **error)
{
    bool cli = names == VM_CONFIG_NAMES_CLI;

    if (!b || (b->size == 0 && b->refill_time == 0 && b->one_time_burst == 0))
        return true;
    if (b->size == 0 || b->refill_time == 0)
        return rl_fail(error, where, "%s%s=%" G_GUINT64_FORMAT " with %s%s="
                       "%" G_GUINT64_FORMAT " limits nothing: both must be "
                       "above 0", cli ? cli_prefix : json,
                       cli ? "_size" : ".size", b->size,
                       cli ? cli_prefix : json,
                       cli ? "_refill_time" : ".refill_time", b->refill_time);
    return true;
}

bool
vm_config_validate_rate_limiter(const RateLimiterConfig *rl,
                                VmConfigNames names, const char *where,
                                GError **error)
{
    if (!rl)
        return true;
    return check_bucket(rl->bandwidth, names, where, "bw",
                        "rate_limiter_config.bandwidth", error) &&
           check_bucket(rl->ops, names, where, "ops",
                        "rate_limiter_config.ops", error);
}

bool
vm_config_validate_rate_limits(const VmConfig *c, VmConfigNames names,
                               GError **error)
{
    bool cli = names == VM_CONFIG_NAMES_CLI;
    guint i, j;

    for (i = 0; c->rate_limit_groups && i < c->rate_limit_groups->len; i++) {
        const RateLimitGroupConfig *g =
            g_ptr_array_index(c->rate_limit_groups, i);
        g_autofree char *w = cli ? g_strdup("--rate-limit-group")
                                 : g_strdup_printf("rate_limit_groups[%u]", i);

        if (!g->id || !*g->id)
            return rl_fail(error, w, "an id is required");
        if (!g->rate_limiter_config)
            return rl_fail(error, w, "'%s' has no limits (%s)", g->id,
                           cli ? "bw_* or ops_* keys" : "rate_limiter_config");
        if (!vm_config_validate_rate_limiter(g->rate_limiter_config, names, w,
                                             error))
            return false;
        for (j = 0; j < i; j++) {
            const RateLimitGroupConfig *o =
                g_ptr_array_index(c->rate_limit_groups, j);

            if (o->id && strcmp(o->id, g->id) == 0)
                return rl_fail(error, w, "id '%s' is used by another group",
                               g->id);
        }
    }
    for (i = 0; i < c->disks->len; i++) {
        const DiskConfig *d = g_ptr_array_index(c->disks, i);
        g_autofree char *w = cli ? g_strdup("--disk")
                                 : g_strdup_printf("disks[%u]", i);

        if (!vm_config_validate_rate_limiter(d->rate_limiter_config, names, w,
                                             error))
            return false;
        if (!d->rate_limit_group)
            continue;
        /* CH: a disk has its own limiter or is in a group, not both. */
        if (d->rate_limiter_config)
            return rl_fail(error, w, "rate_limit_group=%s and %s are "
                           "mutually exclusive", d->rate_limit_group,
                           cli ? "bw_*/ops_* keys" : "rate_limiter_config");
        if (!vm_config_find_rate_limit_group(c, d->rate_limit_group))
            return rl_fail(error, w, "rate_limit_group '%s' is not defined "
                           "(%s)", d->rate_limit_group,
                           cli ? "--rate-limit-group id=..."
                               : "rate_limit_groups");
    }
    for (i = 0; i < c->net->len; i++) {
        const NetConfig *n = g_ptr_array_index(c->net, i);
        g_autofree char *w = cli ? g_strdup("--net")
                                 : g_strdup_printf("net[%u]", i);

        if (!vm_config_validate_rate_limiter(n->rate_limiter_config, names, w,
                                             error))
            return false;
    }
    return true;
}

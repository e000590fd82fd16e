/* SPDX-License-Identifier: Apache-2.0 */
/* A disk's <iotune> as virDomain{Get,Set}BlockIoTune's typed parameters. */
#include <config.h>

#include <string.h>
#include <json-glib/json-glib.h>

#include "config/vm-config-ratelimit.h"
#include "driver/xml/disk-iotune-params.h"
#include "driver/xml/domain-priv.h"

/*
 * The parameters are the <iotune> children under the same names (libvirt's
 * VIR_DOMAIN_BLOCK_IOTUNE_* macros spell them so), numbers as ULLONG and
 * group_name as a string, listed in the order libvirt's QEMU driver
 * returns them: the numbers of DomainIotuneField with group_name between
 * size_iops_sec and the *_max_length ones.  What nimbus cannot honour
 * (the read_* and write_* limits, size_iops_sec) is refused by the same
 * domain_disk_iotune_validate() that define runs, which names it.
 */

#define IOTUNE_GROUP_NAME "group_name"

void
domain_iotune_param_free(DomainIotuneParam *p)
{
    if (!p)
        return;
    g_free(p->field);
    g_free(p->s);
    g_free(p);
}

guint
domain_iotune_nparams(void)
{
    return DOMAIN_IOTUNE_LAST + 1;
}

/* The disk whose target dev or source path is @name, or NULL. */
static DomainDiskDef *
iotune_find_disk(const DomainDef *def, const char *name, GError **error)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_DISK);

    for (guint i = 0; name && i < n; i++) {
        DomainDiskDef *d = domain_def_device(def, DOMAIN_DEVICE_DISK, i);

        if (g_strcmp0(d->dst, name) == 0 || g_strcmp0(d->src, name) == 0 ||
            g_strcmp0(d->vhost_path, name) == 0)
            return d;
    }
    /* libvirt's words (virDomainDiskByName failing in qemuDomain*). */
    drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                  "disk '%s' was not found in the domain config",
                  name ? name : "");
    return NULL;
}

static DomainIotuneParam *
iotune_param_new(const char *field, bool is_string, uint64_t ul,
                 const char *s)
{
    DomainIotuneParam *p = g_new0(DomainIotuneParam, 1);

    p->field = g_strdup(field);
    p->is_string = is_string;
    p->ul = ul;
    p->s = g_strdup(s);
    return p;
}

GPtrArray *
domain_def_disk_iotune_get(const DomainDef *def, const char *disk,
                           GError **error)
{
    const DomainDiskDef *d = iotune_find_disk(def, disk, error);
    g_autoptr(GPtrArray) out = NULL;

    if (!d)
        return NULL;
    out = g_ptr_array_new_with_free_func(
        (GDestroyNotify)domain_iotune_param_free);
    for (int f = 0; f < DOMAIN_IOTUNE_LAST; f++) {
        if (f == DOMAIN_IOTUNE_TOTAL_BYTES_SEC_MAX_LENGTH) {
            /* libvirt reports an unset group as the empty string. */
            g_ptr_array_add(out, iotune_param_new(
                IOTUNE_GROUP_NAME, true, 0,
                d->iotune.group_name ? d->iotune.group_name : ""));
        }
        g_ptr_array_add(out, iotune_param_new(
            domain_iotune_field_to_string(f), false, d->iotune.v[f], NULL));
    }
    return g_steal_pointer(&out);
}

/* Sets one parameter into @t; false with @error naming it. */
static bool
iotune_apply(DomainDiskIotune *t, const DomainIotuneParam *p, GError **error)
{
    int f;

    if (g_strcmp0(p->field, IOTUNE_GROUP_NAME) == 0) {
        if (!p->is_string) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "invalid type for parameter '%s', expected "
                          "'string'", p->field);
            return false;
        }
        g_clear_pointer(&t->group_name, g_free);
        /* libvirt: an empty group_name takes the disk out of its group. */
        if (p->s && *p->s)
            t->group_name = g_strdup(p->s);
        return true;
    }
    f = domain_iotune_field_from_string(p->field);
    if (f < 0) {
        drv_xml_error(error, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                      "argument unsupported: parameter '%s' not supported",
                      p->field ? p->field : "");
        return false;
    }
    if (p->is_string) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "invalid type for parameter '%s', expected "
                      "'ullong'", p->field);
        return false;
    }
    t->v[f] = p->ul;
    return true;
}

static void
iotune_copy(DomainDiskIotune *dst, const DomainDiskIotune *src)
{
    memcpy(dst->v, src->v, sizeof(dst->v));
    g_free(dst->group_name);
    dst->group_name = g_strdup(src->group_name);
}

/* Applies @params to @t, then checks @t as define would. */
static bool
iotune_apply_all(DomainDiskIotune *t, const char *dst,
                 const DomainIotuneParam *params, guint n, GError **error)
{
    for (guint i = 0; i < n; i++) {
        if (!iotune_apply(t, &params[i], error))
            return false;
    }
    return domain_disk_iotune_validate(t, dst, error);
}

bool
domain_def_disk_iotune_set(DomainDef *def, const char *disk,
                           const DomainIotuneParam *params, guint n,
                           GError **error)
{
    DomainDiskDef *d = iotune_find_disk(def, disk, error);
    DomainDiskIotune t = { { 0 }, NULL };
    guint ndisks = domain_def_ndevices(def, DOMAIN_DEVICE_DISK);
    bool ok;

    if (!d)
        return false;
    /* On a scratch copy first: a refused parameter changes nothing. */
    iotune_copy(&t, &d->iotune);
    ok = iotune_apply_all(&t, d->dst, params, n, error);
    if (ok)
        iotune_copy(&d->iotune, &t);
    /* The group's other disks take the new limits (libvirt's
     * qemuDomainSetGroupBlockIoTune): a group has one set of limits. */
    for (guint i = 0; ok && t.group_name && i < ndisks; i++) {
        DomainDiskDef *o = domain_def_device(def, DOMAIN_DEVICE_DISK, i);

        if (o != d && g_strcmp0(o->iotune.group_name, t.group_name) == 0)
            iotune_copy(&o->iotune, &t);
    }
    g_free(t.group_name);
    return ok;
}

DomainDef *
domain_def_with_disk_iotune(const DomainDef *def, const char *disk,
                            const DomainIotuneParam *params, guint n,
                            GError **error)
{
    g_autoptr(DomainDef) copy = NULL;
    const DomainDiskDef *d;

    if (!iotune_find_disk(def, disk, error))
        return NULL;
    copy = domain_def_copy(def);
    if (!domain_def_disk_iotune_set(copy, disk, params, n, error))
        return NULL;
    /* A vhost-user back end limits its own I/O: its rules refuse the
     * limits, naming <iotune>. */
    d = iotune_find_disk(copy, disk, error);
    if ((d->vhost_path && !domain_disk_vhostuser_validate(copy, d, error)) ||
        !domain_disk_iotune_validate_groups(copy, error) ||
        !domain_def_check_vmconfig(copy, error))
        return NULL;
    return g_steal_pointer(&copy);
}

static void
iotune_bucket_json(JsonBuilder *b, const char *name,
                   const TokenBucketConfig *tb)
{
    if (!tb)
        return;
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "size");
    json_builder_add_int_value(b, (gint64)tb->size);
    json_builder_set_member_name(b, "one_time_burst");
    json_builder_add_int_value(b, (gint64)tb->one_time_burst);
    json_builder_set_member_name(b, "refill_time");
    json_builder_add_int_value(b, (gint64)tb->refill_time);
    json_builder_end_object(b);
}

char *
domain_def_disk_iotune_live_body(const DomainDef *old, const DomainDef *new,
                                 const char *disk, GError **error)
{
    const DomainDiskDef *o = iotune_find_disk(old, disk, error);
    const DomainDiskDef *d = o ? iotune_find_disk(new, disk, error) : NULL;
    g_autoptr(RateLimiterConfig) rl = NULL;
    g_autoptr(JsonBuilder) b = NULL;
    g_autoptr(JsonGenerator) gen = NULL;
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *id = NULL;

    if (!d)
        return NULL;
    if (g_strcmp0(o->iotune.group_name, d->iotune.group_name) != 0) {
        drv_xml_error(error, DRV_ERROR_OPERATION_UNSUPPORTED,
                      "Operation not supported: disk '%s': changing the "
                      "iotune group_name of a running disk (from '%s' to "
                      "'%s') is not supported by nimbus, which ties a "
                      "disk to its group when it creates it (use "
                      "--config)", d->dst,
                      o->iotune.group_name ? o->iotune.group_name : "",
                      d->iotune.group_name ? d->iotune.group_name : "");
        return NULL;
    }
    /* vmconfig.c names a group after group_name and a disk after its
     * alias, else its target. */
    if (d->iotune.group_name)
        id = g_strdup(d->iotune.group_name);
    else
        id = g_strdup(d->info.alias ? d->info.alias : d->dst);
    rl = domain_disk_iotune_to_rate_limiter(&d->iotune);
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, id);
    json_builder_set_member_name(b, "rate_limiter_config");
    if (rl) {
        json_builder_begin_object(b);
        iotune_bucket_json(b, "bandwidth", rl->bandwidth);
        iotune_bucket_json(b, "ops", rl->ops);
        json_builder_end_object(b);
    } else {
        /* No limit left: nimbus's "null: unlimited". */
        json_builder_add_null_value(b);
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    gen = json_generator_new();
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

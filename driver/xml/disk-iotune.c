/* SPDX-License-Identifier: Apache-2.0 */
/* <disk><iotune>: libvirt's I/O limits, and their translation to CH's rate limiter. */
#include <config.h>

#include <string.h>

#include "config/vm-config-ratelimit.h"
#include "driver/xml/domain-priv.h"

/*
 * libvirt's <iotune> has separate read, write and total limits; CH's rate
 * limiter has one bandwidth bucket and one operations bucket for all
 * requests.  So total_* map exactly and read_*, write_* and size_iops_sec
 * are refused by name rather than approximated.
 *
 * A limit R per second is a bucket of R tokens refilled in 1000 ms.  With
 * a burst (R_max for R_max_length seconds, libvirt's default length 1) the
 * bucket holds R_max * length tokens and refills at R per second, i.e. in
 * R_max * length * 1000 / R ms: refused when that is not a whole number of
 * milliseconds, as the rate would not be R.
 */

ENUM_IMPL(domain_iotune_field, DOMAIN_IOTUNE_LAST,
          "total_bytes_sec", "read_bytes_sec", "write_bytes_sec",
          "total_iops_sec", "read_iops_sec", "write_iops_sec",
          "total_bytes_sec_max", "read_bytes_sec_max", "write_bytes_sec_max",
          "total_iops_sec_max", "read_iops_sec_max", "write_iops_sec_max",
          "size_iops_sec",
          "total_bytes_sec_max_length", "read_bytes_sec_max_length",
          "write_bytes_sec_max_length", "total_iops_sec_max_length",
          "read_iops_sec_max_length", "write_iops_sec_max_length");

/* libvirt's bound on each value (1e15: a million GB/s). */
#define IOTUNE_MAX 1000000000000000ULL

bool
domain_disk_iotune_parse(xmlNodePtr node, DomainDiskIotune *t, GError **error)
{
    xmlNodePtr it = xml_child(node, "iotune");

    if (!it)
        return true;
    for (int f = 0; f < DOMAIN_IOTUNE_LAST; f++) {
        xmlNodePtr n = xml_child(it, domain_iotune_field_to_string(f));
        g_autofree char *text = NULL;

        if (!n)
            continue;
        text = xml_text(n);
        if (!xml_parse_uint(text, IOTUNE_MAX, &t->v[f])) {
            g_autofree char *path = xml_node_path(n);

            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "%s: '%s' is not a number of at most %llu", path,
                          text ? text : "", IOTUNE_MAX);
            return false;
        }
    }
    if (xml_child(it, "group_name"))
        t->group_name = xml_text(xml_child(it, "group_name"));
    return true;
}

bool
domain_disk_iotune_is_set(const DomainDiskIotune *t)
{
    for (int f = 0; f < DOMAIN_IOTUNE_LAST; f++) {
        if (t->v[f])
            return true;
    }
    return t->group_name != NULL;
}

void
domain_disk_iotune_format(XmlBuf *buf, const DomainDiskIotune *t)
{
    if (!domain_disk_iotune_is_set(t))
        return;
    xml_buf_open(buf, "iotune");
    xml_buf_end_open(buf);
    for (int f = 0; f < DOMAIN_IOTUNE_LAST; f++) {
        g_autofree char *v = NULL;

        /* libvirt prints group_name after size_iops_sec. */
        if (f == DOMAIN_IOTUNE_TOTAL_BYTES_SEC_MAX_LENGTH)
            xml_buf_text_element(buf, "group_name", t->group_name);
        if (!t->v[f])
            continue;
        v = g_strdup_printf("%" G_GUINT64_FORMAT, t->v[f]);
        xml_buf_text_element(buf, domain_iotune_field_to_string(f), v);
    }
    xml_buf_close(buf, "iotune");
}

/* One bucket from a limit, its burst and the burst's length; false with
 * @error when the three cannot be one exact token bucket. */
static bool
iotune_bucket(const DomainDiskIotune *t, DomainIotuneField rate_f,
              DomainIotuneField max_f, DomainIotuneField len_f,
              const char *dst, TokenBucketConfig **out, GError **error)
{
    uint64_t rate = t->v[rate_f], max = t->v[max_f], len = t->v[len_f];
    const char *rate_n = domain_iotune_field_to_string(rate_f);
    const char *max_n = domain_iotune_field_to_string(max_f);
    TokenBucketConfig b = { rate, 0, 1000 };

    *out = NULL;
    if (!rate && (max || len)) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "disk '%s': %s needs %s", dst, max ? max_n :
                      domain_iotune_field_to_string(len_f), rate_n);
        return false;
    }
    if (len && !max) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "disk '%s': %s needs %s", dst,
                      domain_iotune_field_to_string(len_f), max_n);
        return false;
    }
    if (!rate)
        return true;
    if (max) {
        if (max < rate) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "disk '%s': %s=%" G_GUINT64_FORMAT " is below "
                          "%s=%" G_GUINT64_FORMAT, dst, max_n, max, rate_n,
                          rate);
            return false;
        }
        b.size = max * (len ? len : 1);    /* both <= 1e15: no overflow */
        if ((unsigned __int128)b.size * 1000 % rate) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "disk '%s': a burst of %" G_GUINT64_FORMAT " (%s "
                          "times its length) refilled at %s=%" G_GUINT64_FORMAT
                          " is not a whole number of milliseconds, which "
                          "nimbus's token bucket needs to keep that rate",
                          dst, b.size, max_n, rate_n, rate);
            return false;
        }
        b.refill_time = (uint64_t)((unsigned __int128)b.size * 1000 / rate);
    }
    *out = g_memdup2(&b, sizeof(b));
    return true;
}

bool
domain_disk_iotune_validate(const DomainDiskIotune *t, const char *dst,
                            GError **error)
{
    static const DomainIotuneField split[] = {
        DOMAIN_IOTUNE_READ_BYTES_SEC, DOMAIN_IOTUNE_WRITE_BYTES_SEC,
        DOMAIN_IOTUNE_READ_IOPS_SEC, DOMAIN_IOTUNE_WRITE_IOPS_SEC,
        DOMAIN_IOTUNE_READ_BYTES_SEC_MAX, DOMAIN_IOTUNE_WRITE_BYTES_SEC_MAX,
        DOMAIN_IOTUNE_READ_IOPS_SEC_MAX, DOMAIN_IOTUNE_WRITE_IOPS_SEC_MAX,
        DOMAIN_IOTUNE_READ_BYTES_SEC_MAX_LENGTH,
        DOMAIN_IOTUNE_WRITE_BYTES_SEC_MAX_LENGTH,
        DOMAIN_IOTUNE_READ_IOPS_SEC_MAX_LENGTH,
        DOMAIN_IOTUNE_WRITE_IOPS_SEC_MAX_LENGTH,
    };
    g_autoptr(RateLimiterConfig) rl = g_new0(RateLimiterConfig, 1);

    for (guint i = 0; i < G_N_ELEMENTS(split); i++) {
        if (t->v[split[i]]) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "disk '%s': iotune %s is not supported by nimbus "
                          "(one limit for reads and writes together: use "
                          "the total_* limits)", dst,
                          domain_iotune_field_to_string(split[i]));
            return false;
        }
    }
    if (t->v[DOMAIN_IOTUNE_SIZE_IOPS_SEC]) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "disk '%s': iotune size_iops_sec is not supported by "
                      "nimbus (an operation is one token whatever its size)",
                      dst);
        return false;
    }
    if (!iotune_bucket(t, DOMAIN_IOTUNE_TOTAL_BYTES_SEC,
                       DOMAIN_IOTUNE_TOTAL_BYTES_SEC_MAX,
                       DOMAIN_IOTUNE_TOTAL_BYTES_SEC_MAX_LENGTH, dst,
                       &rl->bandwidth, error) ||
        !iotune_bucket(t, DOMAIN_IOTUNE_TOTAL_IOPS_SEC,
                       DOMAIN_IOTUNE_TOTAL_IOPS_SEC_MAX,
                       DOMAIN_IOTUNE_TOTAL_IOPS_SEC_MAX_LENGTH, dst, &rl->ops,
                       error))
        return false;
    if (t->group_name && !rl->bandwidth && !rl->ops) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "disk '%s': iotune group_name '%s' without a limit",
                      dst, t->group_name);
        return false;
    }
    if (t->group_name && !*t->group_name) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "disk '%s': iotune group_name is empty", dst);
        return false;
    }
    return true;
}

RateLimiterConfig *
domain_disk_iotune_to_rate_limiter(const DomainDiskIotune *t)
{
    g_autoptr(RateLimiterConfig) rl = g_new0(RateLimiterConfig, 1);

    /* Validated: cannot fail. */
    if (!iotune_bucket(t, DOMAIN_IOTUNE_TOTAL_BYTES_SEC,
                       DOMAIN_IOTUNE_TOTAL_BYTES_SEC_MAX,
                       DOMAIN_IOTUNE_TOTAL_BYTES_SEC_MAX_LENGTH, "",
                       &rl->bandwidth, NULL) ||
        !iotune_bucket(t, DOMAIN_IOTUNE_TOTAL_IOPS_SEC,
                       DOMAIN_IOTUNE_TOTAL_IOPS_SEC_MAX,
                       DOMAIN_IOTUNE_TOTAL_IOPS_SEC_MAX_LENGTH, "", &rl->ops,
                       NULL) ||
        (!rl->bandwidth && !rl->ops))
        return NULL;
    return g_steal_pointer(&rl);
}

bool
domain_disk_iotune_validate_groups(const DomainDef *def, GError **error)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_DISK);

    for (guint i = 0; i < n; i++) {
        const DomainDiskDef *a = domain_def_device(def, DOMAIN_DEVICE_DISK, i);

        for (guint j = 0; a->iotune.group_name && j < i; j++) {
            const DomainDiskDef *b = domain_def_device(def, DOMAIN_DEVICE_DISK,
                                                       j);

            if (g_strcmp0(a->iotune.group_name, b->iotune.group_name) != 0)
                continue;
            if (memcmp(a->iotune.v, b->iotune.v, sizeof(a->iotune.v)) != 0) {
                drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                              "disks '%s' and '%s' are in iotune group '%s' "
                              "with different limits", b->dst, a->dst,
                              a->iotune.group_name);
                return false;
            }
            break;
        }
    }
    return true;
}

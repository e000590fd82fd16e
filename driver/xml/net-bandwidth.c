/* SPDX-License-Identifier: Apache-2.0 */
/* <interface><bandwidth>: libvirt's NIC limits, and their translation to CH's net rate limiter. */
#include <config.h>

#include <string.h>

#include "config/vm-config-ratelimit.h"
#include "driver/xml/domain-priv.h"

/*
 * libvirt's <bandwidth> has an <inbound> (toward the guest) and an
 * <outbound> (from the guest) rate, each an average and a peak in KiB/s
 * and a burst in KiB, plus an inbound floor.  nimbus, like CH, has one
 * rate_limiter_config per NIC, which it gives to an RX limiter and a TX
 * limiter alike (docs/rate-limiter.md): both directions are limited, with
 * the same numbers.  So what maps exactly is inbound == outbound, and a
 * definition that limits one direction only, or the two differently, is
 * refused rather than approximated.
 *
 * One direction is one token bucket of bytes: an average A alone is
 * A KiB refilled in 1000 ms; with a burst B the bucket holds B KiB and
 * refills at A KiB/s, i.e. in B * 1000 / A ms, refused when that is not a
 * whole number of milliseconds, as the rate would not be A.  A full
 * bucket is sent at line rate: nimbus has no second bucket to cap a burst
 * at a peak, so peak is refused by name, and so is floor (a guaranteed
 * minimum is a libvirt network's QoS, not a limit).
 */

ENUM_IMPL(domain_bandwidth_field, DOMAIN_BANDWIDTH_LAST,
          "average", "peak", "floor", "burst");

/* The typed parameters are UINTs (virDomainSetInterfaceParameters). */
#define BANDWIDTH_MAX G_MAXUINT32

static bool
bandwidth_rate_is_set(const DomainBandwidthRate *r)
{
    for (int f = 0; f < DOMAIN_BANDWIDTH_LAST; f++) {
        if (r->v[f])
            return true;
    }
    return false;
}

static bool
bandwidth_rate_parse(xmlNodePtr parent, const char *element,
                     DomainBandwidthRate *r, GError **error)
{
    xmlNodePtr n = xml_child(parent, element);

    if (!n)
        return true;
    for (int f = 0; f < DOMAIN_BANDWIDTH_LAST; f++) {
        if (!xml_prop_uint(n, domain_bandwidth_field_to_string(f),
                           BANDWIDTH_MAX, &r->v[f], NULL, error))
            return false;
    }
    return true;
}

bool
domain_net_bandwidth_parse(xmlNodePtr node, DomainNetBandwidth *b,
                           GError **error)
{
    xmlNodePtr bw = xml_child(node, "bandwidth");

    if (!bw)
        return true;
    return bandwidth_rate_parse(bw, "inbound", &b->in, error) &&
           bandwidth_rate_parse(bw, "outbound", &b->out, error);
}

static void
bandwidth_rate_format(XmlBuf *buf, const char *element,
                      const DomainBandwidthRate *r)
{
    if (!bandwidth_rate_is_set(r))
        return;
    xml_buf_open(buf, element);
    /* libvirt's attribute order: average, peak, floor, burst. */
    for (int f = 0; f < DOMAIN_BANDWIDTH_LAST; f++) {
        if (r->v[f])
            xml_buf_attr_uint(buf, domain_bandwidth_field_to_string(f),
                              r->v[f]);
    }
    xml_buf_end_empty(buf);
}

void
domain_net_bandwidth_format(XmlBuf *buf, const DomainNetBandwidth *b)
{
    if (!bandwidth_rate_is_set(&b->in) && !bandwidth_rate_is_set(&b->out))
        return;
    xml_buf_open(buf, "bandwidth");
    xml_buf_end_open(buf);
    bandwidth_rate_format(buf, "inbound", &b->in);
    bandwidth_rate_format(buf, "outbound", &b->out);
    xml_buf_close(buf, "bandwidth");
}

/* One direction's own rules; @dir is "inbound" or "outbound". */
static bool
bandwidth_rate_validate(const DomainBandwidthRate *r, const char *dir,
                        const char *name, GError **error)
{
    uint64_t avg = r->v[DOMAIN_BANDWIDTH_AVERAGE];
    uint64_t burst = r->v[DOMAIN_BANDWIDTH_BURST];

    if (r->v[DOMAIN_BANDWIDTH_FLOOR]) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "interface '%s': bandwidth %s floor is not supported "
                      "by nimbus (a guaranteed minimum is a libvirt "
                      "network's QoS; nimbus only limits)", name, dir);
        return false;
    }
    if (r->v[DOMAIN_BANDWIDTH_PEAK]) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "interface '%s': bandwidth %s peak is not supported "
                      "by nimbus (its token bucket sends a burst at line "
                      "rate: use average and burst)", name, dir);
        return false;
    }
    if (burst && !avg) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "interface '%s': bandwidth %s burst needs %s average",
                      name, dir, dir);
        return false;
    }
    /* Both < 2^32: the product cannot overflow. */
    if (burst && burst * 1000 % avg) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "interface '%s': bandwidth %s burst=%" G_GUINT64_FORMAT
                      " KiB refilled at average=%" G_GUINT64_FORMAT " KiB/s "
                      "is not a whole number of milliseconds, which nimbus's "
                      "token bucket needs to keep that rate", name, dir,
                      burst, avg);
        return false;
    }
    return true;
}

bool
domain_net_bandwidth_validate(const DomainNetBandwidth *b, const char *name,
                              GError **error)
{
    if (!bandwidth_rate_validate(&b->in, "inbound", name, error) ||
        !bandwidth_rate_validate(&b->out, "outbound", name, error))
        return false;
    if (memcmp(&b->in, &b->out, sizeof(b->in)) != 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "interface '%s': bandwidth inbound and outbound must "
                      "be equal: nimbus limits both directions of a NIC "
                      "with one rate limiter config (inbound average=%"
                      G_GUINT64_FORMAT " burst=%" G_GUINT64_FORMAT
                      ", outbound average=%" G_GUINT64_FORMAT " burst=%"
                      G_GUINT64_FORMAT ")", name,
                      b->in.v[DOMAIN_BANDWIDTH_AVERAGE],
                      b->in.v[DOMAIN_BANDWIDTH_BURST],
                      b->out.v[DOMAIN_BANDWIDTH_AVERAGE],
                      b->out.v[DOMAIN_BANDWIDTH_BURST]);
        return false;
    }
    return true;
}

RateLimiterConfig *
domain_net_bandwidth_to_rate_limiter(const DomainNetBandwidth *b)
{
    /* Validated: in == out, no peak or floor, a whole-ms refill. */
    uint64_t avg = b->in.v[DOMAIN_BANDWIDTH_AVERAGE];
    uint64_t burst = b->in.v[DOMAIN_BANDWIDTH_BURST];
    RateLimiterConfig *rl;

    if (!avg)
        return NULL;
    rl = g_new0(RateLimiterConfig, 1);
    rl->bandwidth = g_new0(TokenBucketConfig, 1);
    rl->bandwidth->size = (burst ? burst : avg) * 1024;
    rl->bandwidth->refill_time = burst ? burst * 1000 / avg : 1000;
    return rl;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* An interface's <bandwidth> as virDomain{Get,Set}InterfaceParameters' typed parameters. */
#include <config.h>

#include <string.h>
#include <json-glib/json-glib.h>

#include "config/vm-config-ratelimit.h"
#include "config/vm-config-schema.h"
#include "driver/xml/domain-priv.h"
#include "driver/xml/net-bandwidth-params.h"

/*
 * The parameters are libvirt's VIR_DOMAIN_BANDWIDTH_* names,
 * "<direction>.<attribute>", all UINTs, in the order libvirt's QEMU driver
 * returns them: inbound average, peak, burst, floor, then outbound
 * average, peak, burst (libvirt has no outbound floor).  What nimbus
 * cannot honour (peak, floor, one direction alone) is refused by the same
 * domain_net_bandwidth_validate() that define runs, which names it.
 */

typedef struct {
    const char *name;
    bool inbound;
    DomainBandwidthField field;
} IfParamDesc;

static const IfParamDesc if_params[] = {
    { "inbound.average", true, DOMAIN_BANDWIDTH_AVERAGE },
    { "inbound.peak", true, DOMAIN_BANDWIDTH_PEAK },
    { "inbound.burst", true, DOMAIN_BANDWIDTH_BURST },
    { "inbound.floor", true, DOMAIN_BANDWIDTH_FLOOR },
    { "outbound.average", false, DOMAIN_BANDWIDTH_AVERAGE },
    { "outbound.peak", false, DOMAIN_BANDWIDTH_PEAK },
    { "outbound.burst", false, DOMAIN_BANDWIDTH_BURST },
};

void
domain_if_param_free(DomainIfParam *p)
{
    if (!p)
        return;
    g_free(p->field);
    g_free(p);
}

guint
domain_net_bandwidth_nparams(void)
{
    return G_N_ELEMENTS(if_params);
}

/* The interface whose MAC address or target dev is @device (libvirt's
 * virDomainNetFind), with its index, or NULL. */
static DomainNetDef *
if_find(const DomainDef *def, const char *device, guint *index,
        GError **error)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_NET);
    unsigned char mac[6];
    bool by_mac = device && xml_mac_parse(device, mac);

    for (guint i = 0; device && i < n; i++) {
        DomainNetDef *net = domain_def_device(def, DOMAIN_DEVICE_NET, i);

        if (by_mac ? memcmp(net->mac, mac, 6) == 0
                   : g_strcmp0(net->ifname, device) == 0) {
            if (index)
                *index = i;
            return net;
        }
    }
    /* libvirt's words (virDomainNetFind). */
    drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                  "invalid argument: '%s' is not a known interface",
                  device ? device : "");
    return NULL;
}

static uint64_t *
if_param_slot(DomainNetBandwidth *b, const IfParamDesc *d)
{
    return &(d->inbound ? &b->in : &b->out)->v[d->field];
}

GPtrArray *
domain_def_net_bandwidth_get(const DomainDef *def, const char *device,
                             GError **error)
{
    DomainNetDef *net = if_find(def, device, NULL, error);
    GPtrArray *out;

    if (!net)
        return NULL;
    out = g_ptr_array_new_with_free_func((GDestroyNotify)domain_if_param_free);
    for (guint i = 0; i < G_N_ELEMENTS(if_params); i++) {
        DomainIfParam *p = g_new0(DomainIfParam, 1);

        p->field = g_strdup(if_params[i].name);
        p->ui = *if_param_slot(&net->bandwidth, &if_params[i]);
        g_ptr_array_add(out, p);
    }
    return out;
}

/* Applies @params to @b; false with @error naming a bad one. */
static bool
if_apply_all(DomainNetBandwidth *b, const DomainIfParam *params, guint n,
             GError **error)
{
    bool cleared[2] = { false, false };

    for (guint i = 0; i < n; i++) {
        const IfParamDesc *d = NULL;

        for (guint j = 0; j < G_N_ELEMENTS(if_params) && !d; j++) {
            if (g_strcmp0(if_params[j].name, params[i].field) == 0)
                d = &if_params[j];
        }
        if (!d) {
            drv_xml_error(error, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                          "argument unsupported: parameter '%s' not "
                          "supported", params[i].field ? params[i].field
                                                       : "");
            return false;
        }
        if (params[i].ui > G_MAXUINT32) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "invalid argument: parameter '%s' value %"
                          G_GUINT64_FORMAT " is above %u", d->name,
                          params[i].ui, G_MAXUINT32);
            return false;
        }
        *if_param_slot(b, d) = params[i].ui;
        if (d->field == DOMAIN_BANDWIDTH_AVERAGE && !params[i].ui)
            cleared[d->inbound ? 0 : 1] = true;
    }
    /* libvirt (qemuDomainSetInterfaceParameters): an average set to 0
     * removes the direction's limit, burst included (virsh domiftune
     * --inbound 0).  A burst alone on a direction with no average is not
     * such a removal: validation names it. */
    if (cleared[0] && !b->in.v[DOMAIN_BANDWIDTH_FLOOR])
        memset(&b->in, 0, sizeof(b->in));
    if (cleared[1])
        memset(&b->out, 0, sizeof(b->out));
    return true;
}

bool
domain_def_net_bandwidth_set(DomainDef *def, const char *device,
                             const DomainIfParam *params, guint n,
                             GError **error)
{
    DomainNetDef *net = if_find(def, device, NULL, error);
    DomainNetBandwidth b;
    char mac[18];

    if (!net)
        return false;
    /* On a scratch copy first: a refused parameter changes nothing. */
    b = net->bandwidth;
    xml_mac_format(net->mac, mac);
    if (!if_apply_all(&b, params, n, error) ||
        !domain_net_bandwidth_validate(&b, mac, error))
        return false;
    net->bandwidth = b;
    return true;
}

DomainDef *
domain_def_with_net_bandwidth(const DomainDef *def, const char *device,
                              const DomainIfParam *params, guint n,
                              GError **error)
{
    g_autoptr(DomainDef) copy = NULL;

    if (!if_find(def, device, NULL, error))
        return NULL;
    copy = domain_def_copy(def);
    if (!domain_def_net_bandwidth_set(copy, device, params, n, error) ||
        !domain_def_check_vmconfig(copy, error))
        return NULL;
    return g_steal_pointer(&copy);
}

char *
domain_def_net_bandwidth_live_body(const DomainDef *def, const char *device,
                                   GError **error)
{
    guint index = 0;
    const DomainNetDef *net = if_find(def, device, &index, error);
    g_autoptr(RateLimiterConfig) rl = NULL;
    g_autoptr(JsonBuilder) b = NULL;
    g_autoptr(JsonGenerator) gen = NULL;
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *id = NULL;

    if (!net)
        return NULL;
    /* The id vm.create gave it (vmconfig.c). */
    id = domain_device_vmm_id(def, DOMAIN_DEVICE_NET, index);
    rl = domain_net_bandwidth_to_rate_limiter(&net->bandwidth);
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, id);
    json_builder_set_member_name(b, "rate_limiter_config");
    if (rl) {
        /* nimbus's own serialiser: the JSON vm.create has for it. */
        json_builder_begin_object(b);
        vschema_json_format(&vschema_rate_limiter, b, rl);
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

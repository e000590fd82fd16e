/* SPDX-License-Identifier: Apache-2.0 */
/* update-device of a running <interface>: a change of its <bandwidth> alone. */
#include <config.h>

#include <string.h>

#include "driver/xml/domain-priv.h"
#include "driver/xml/net-bandwidth-params.h"

/*
 * libvirt's QEMU driver changes a running interface's bandwidth through
 * update-device; nimbus can (vm.nimbus-update-rate-limiter, as domiftune
 * does it), and nothing else of a NIC.  So the new definition is
 * compared with the old one after giving it the old bandwidth back:
 * equal means the bandwidth is the only change.
 */

bool
domain_def_net_bandwidth_update_body(const DomainDef *old,
                                     const DomainDef *new, guint index,
                                     char **body, GError **error)
{
    g_autoptr(DomainDef) probe = NULL;
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;
    DomainNetDef *pn;
    const DomainNetDef *on;
    char mac[18];

    *body = NULL;
    if (index >= domain_def_ndevices(old, DOMAIN_DEVICE_NET) ||
        index >= domain_def_ndevices(new, DOMAIN_DEVICE_NET))
        return true;
    on = domain_def_device(old, DOMAIN_DEVICE_NET, index);
    probe = domain_def_copy(new);
    pn = domain_def_device(probe, DOMAIN_DEVICE_NET, index);
    pn->bandwidth = on->bandwidth;
    if (!(a = domain_def_format(old, -1, DOMAIN_DEF_FORMAT_SECURE, error)) ||
        !(b = domain_def_format(probe, -1, DOMAIN_DEF_FORMAT_SECURE, error)))
        return false;
    if (strcmp(a, b) != 0)
        return true;
    /* What define would refuse (a limit nimbus cannot honour) is refused
     * here too, before nimbus is asked. */
    if (!domain_def_check_vmconfig(new, error))
        return false;
    xml_mac_format(on->mac, mac);
    *body = domain_def_net_bandwidth_live_body(new, mac, error);
    return *body != NULL;
}

void
domain_def_net_bandwidth_take(DomainDef *def, const DomainDef *from,
                              guint index)
{
    DomainNetDef *to;

    if (index >= domain_def_ndevices(def, DOMAIN_DEVICE_NET) ||
        index >= domain_def_ndevices(from, DOMAIN_DEVICE_NET))
        return;
    to = domain_def_device(def, DOMAIN_DEVICE_NET, index);
    to->bandwidth = ((const DomainNetDef *)domain_def_device(
        from, DOMAIN_DEVICE_NET, index))->bandwidth;
}

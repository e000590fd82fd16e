/* SPDX-License-Identifier: Apache-2.0 */
/* virsh domifaddr: a running domain's addresses from DHCP leases or ARP. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/forward.h"

/* One address of an interface (virDomainIPAddress). */
typedef struct {
    int type;                   /* VIR_IP_ADDR_TYPE_IPV4 / _IPV6 */
    char *addr;
    unsigned int prefix;        /* 0 where the source does not say (ARP) */
} DrvIfaddrAddr;

/* One interface of the domain and what the source knows of it. */
typedef struct {
    char *name;                 /* <target dev>: the host side, as libvirt */
    char *mac;                  /* <mac address>, lowercase */
    char *network;              /* <source network>, or NULL */
    GArray *addrs;              /* DrvIfaddrAddr */
} DrvIfaddrIface;

void drv_ifaddr_iface_free(DrvIfaddrIface *iface);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DrvIfaddrIface, drv_ifaddr_iface_free)

/**
 * drv_ifaddr_ifaces_from_xml:
 * The interfaces of the live domain XML @xml that have a MAC address.
 * Returns: (transfer full) a GPtrArray of DrvIfaddrIface with no
 * addresses yet, or NULL with @error when @xml does not parse.
 */
GPtrArray *drv_ifaddr_ifaces_from_xml(const char *xml, GError **error);

/**
 * drv_ifaddr_add_arp:
 * Adds to each of @ifaces the IPv4 addresses the neighbour table @arp
 * (the text of /proc/net/arp) maps its MAC to: complete entries only
 * (flag ATF_COM), as libvirt's ARP source.
 */
void drv_ifaddr_add_arp(GPtrArray *ifaces, const char *arp);

/**
 * drv_ifaddr_add_leases:
 * Adds to each of @ifaces on a libvirt network the addresses of the
 * network's DHCP leases for its MAC, asked of libvirtd through @fwd.
 * Returns: false with @error (libvirtd's, or unreachable).
 */
bool drv_ifaddr_add_leases(GPtrArray *ifaces, DrvForward *fwd,
                           GError **error);

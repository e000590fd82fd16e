/* SPDX-License-Identifier: Apache-2.0 */
/* virsh domifaddr's inputs: interfaces from the live XML, the ARP table. */
#include <config.h>

#include <glib.h>
#include <libvirt/libvirt.h>

#include "driver/ifaddr.h"

static const char *const DOMAIN_XML =
    "<domain type='kvm'><name>d</name><devices>"
    "<disk type='file'><source file='/x'/></disk>"
    "<interface type='network'><mac address='52:54:00:AA:bb:01'/>"
    "<source network='default' bridge='virbr0'/><target dev='vnet0'/>"
    "</interface>"
    "<interface type='ethernet'><mac address='52:54:00:aa:bb:02'/>"
    "<target dev='tap7'/></interface>"
    "<interface type='bridge'><mac address='52:54:00:aa:bb:03'/>"
    "<source bridge='br0'/></interface>"
    "<interface type='ethernet'><target dev='nomac'/></interface>"
    "</devices></domain>";

/* /proc/net/arp: a complete entry per guest MAC, one incomplete (flags
 * 0x0), one for another host, and a malformed line. */
static const char *const ARP =
    "IP address      HW type  Flags  HW address         Mask  Device\n"
    "192.168.122.50  0x1      0x2    52:54:00:aa:bb:01  *     virbr0\n"
    "10.0.0.7        0x1      0x2    52:54:00:AA:BB:02  *     tap7\n"
    "10.0.0.8        0x1      0x0    52:54:00:aa:bb:02  *     tap7\n"
    "10.0.0.9        0x1      0x2    02:00:00:00:00:09  *     eth0\n"
    "garbage\n";

static GPtrArray *
parse(void)
{
    g_autoptr(GError) error = NULL;
    GPtrArray *ifaces = drv_ifaddr_ifaces_from_xml(DOMAIN_XML, &error);

    g_assert_no_error(error);
    g_assert_nonnull(ifaces);
    return ifaces;
}

static const DrvIfaddrIface *
nth(GPtrArray *ifaces, guint i)
{
    return g_ptr_array_index(ifaces, i);
}

static void
test_ifaces_from_xml(void)
{
    g_autoptr(GPtrArray) ifaces = parse();

    /* The interface without a MAC is left out: nothing can match it. */
    g_assert_cmpuint(ifaces->len, ==, 3);
    g_assert_cmpstr(nth(ifaces, 0)->name, ==, "vnet0");
    g_assert_cmpstr(nth(ifaces, 0)->mac, ==, "52:54:00:aa:bb:01");
    g_assert_cmpstr(nth(ifaces, 0)->network, ==, "default");
    g_assert_cmpstr(nth(ifaces, 1)->name, ==, "tap7");
    g_assert_null(nth(ifaces, 1)->network);
    /* No <target dev>: named by its MAC. */
    g_assert_cmpstr(nth(ifaces, 2)->name, ==, "52:54:00:aa:bb:03");
    g_assert_null(nth(ifaces, 2)->network);
}

static void
test_ifaces_bad_xml(void)
{
    g_autoptr(GError) error = NULL;

    g_assert_null(drv_ifaddr_ifaces_from_xml("<domain><devices>", &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR);
}

static void
test_arp(void)
{
    g_autoptr(GPtrArray) ifaces = parse();
    const DrvIfaddrAddr *a;

    drv_ifaddr_add_arp(ifaces, ARP);
    g_assert_cmpuint(nth(ifaces, 0)->addrs->len, ==, 1);
    a = &g_array_index(nth(ifaces, 0)->addrs, DrvIfaddrAddr, 0);
    g_assert_cmpstr(a->addr, ==, "192.168.122.50");
    g_assert_cmpint(a->type, ==, VIR_IP_ADDR_TYPE_IPV4);
    g_assert_cmpuint(a->prefix, ==, 0);
    /* Upper-case MAC in the table matches; the incomplete entry does not. */
    g_assert_cmpuint(nth(ifaces, 1)->addrs->len, ==, 1);
    a = &g_array_index(nth(ifaces, 1)->addrs, DrvIfaddrAddr, 0);
    g_assert_cmpstr(a->addr, ==, "10.0.0.7");
    g_assert_cmpuint(nth(ifaces, 2)->addrs->len, ==, 0);
}

static void
test_arp_empty(void)
{
    g_autoptr(GPtrArray) ifaces = parse();

    drv_ifaddr_add_arp(ifaces, "");
    drv_ifaddr_add_arp(ifaces,
                       "IP address HW type Flags HW address Mask Device\n");
    for (guint i = 0; i < ifaces->len; i++)
        g_assert_cmpuint(nth(ifaces, i)->addrs->len, ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/nimbusd/ifaddr/ifaces-from-xml", test_ifaces_from_xml);
    g_test_add_func("/nimbusd/ifaddr/ifaces-bad-xml", test_ifaces_bad_xml);
    g_test_add_func("/nimbusd/ifaddr/arp", test_arp);
    g_test_add_func("/nimbusd/ifaddr/arp-empty", test_arp_empty);
    return g_test_run();
}

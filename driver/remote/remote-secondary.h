/* SPDX-License-Identifier: Apache-2.0 */
/* Node device, secret, nwfilter, interface and lease procedures, forwarded. */
#pragma once

#include "driver/remote/remote-forward.h"
#include "driver/rpc/secondary-gen.h"

/*
 * libvirtd's secondary drivers (driver/forward.h), their events, and
 * domifaddr.  As remote-forward.h's: each handler finds the objects its
 * arguments name in libvirtd (node devices, interfaces and nwfilters by
 * name, secrets by UUID), makes the same libvirt call and copies the
 * answer; libvirtd's errors reach the client unchanged.
 */

/* ---- remote-nodedev.c ---------------------------------------------------- */
REMOTE_HANDLER(remote_sec_node_num_of_devices);
REMOTE_HANDLER(remote_sec_node_list_devices);
REMOTE_HANDLER(remote_sec_connect_list_all_node_devices);
REMOTE_HANDLER(remote_sec_node_device_lookup_by_name);
REMOTE_HANDLER(remote_sec_node_device_get_xml_desc);
REMOTE_HANDLER(remote_sec_node_device_get_parent);
REMOTE_HANDLER(remote_sec_node_device_num_of_caps);
REMOTE_HANDLER(remote_sec_node_device_list_caps);
REMOTE_HANDLER(remote_sec_node_device_create_xml);
REMOTE_HANDLER(remote_sec_node_device_destroy);

/* ---- remote-secret.c ----------------------------------------------------- */
REMOTE_HANDLER(remote_sec_connect_num_of_secrets);
REMOTE_HANDLER(remote_sec_connect_list_secrets);
REMOTE_HANDLER(remote_sec_connect_list_all_secrets);
REMOTE_HANDLER(remote_sec_secret_lookup_by_uuid);
REMOTE_HANDLER(remote_sec_secret_lookup_by_usage);
REMOTE_HANDLER(remote_sec_secret_define_xml);
REMOTE_HANDLER(remote_sec_secret_get_xml_desc);
REMOTE_HANDLER(remote_sec_secret_set_value);
REMOTE_HANDLER(remote_sec_secret_get_value);
REMOTE_HANDLER(remote_sec_secret_undefine);

/* ---- remote-nwfilter.c --------------------------------------------------- */
REMOTE_HANDLER(remote_sec_connect_num_of_nwfilters);
REMOTE_HANDLER(remote_sec_connect_list_nwfilters);
REMOTE_HANDLER(remote_sec_connect_list_all_nwfilters);
REMOTE_HANDLER(remote_sec_nwfilter_lookup_by_name);
REMOTE_HANDLER(remote_sec_nwfilter_lookup_by_uuid);
REMOTE_HANDLER(remote_sec_nwfilter_define_xml);
REMOTE_HANDLER(remote_sec_nwfilter_define_xml_flags);
REMOTE_HANDLER(remote_sec_nwfilter_undefine);
REMOTE_HANDLER(remote_sec_nwfilter_get_xml_desc);

/* ---- remote-iface.c: host interfaces and DHCP leases --------------------- */
REMOTE_HANDLER(remote_sec_connect_num_of_interfaces);
REMOTE_HANDLER(remote_sec_connect_list_interfaces);
REMOTE_HANDLER(remote_sec_connect_num_of_defined_interfaces);
REMOTE_HANDLER(remote_sec_connect_list_defined_interfaces);
REMOTE_HANDLER(remote_sec_connect_list_all_interfaces);
REMOTE_HANDLER(remote_sec_interface_lookup_by_name);
REMOTE_HANDLER(remote_sec_interface_lookup_by_mac_string);
REMOTE_HANDLER(remote_sec_interface_get_xml_desc);
REMOTE_HANDLER(remote_sec_interface_is_active);
REMOTE_HANDLER(remote_sec_network_get_dhcp_leases);

/* ---- remote-fwd-event.c -------------------------------------------------- */
REMOTE_HANDLER(remote_sec_connect_network_event_register_any);
REMOTE_HANDLER(remote_sec_connect_network_event_deregister_any);
REMOTE_HANDLER(remote_sec_connect_storage_pool_event_register_any);
REMOTE_HANDLER(remote_sec_connect_storage_pool_event_deregister_any);
REMOTE_HANDLER(remote_sec_connect_node_device_event_register_any);
REMOTE_HANDLER(remote_sec_connect_node_device_event_deregister_any);

/* ---- remote-ifaddr.c ----------------------------------------------------- */
REMOTE_HANDLER(remote_sec_domain_interface_addresses);

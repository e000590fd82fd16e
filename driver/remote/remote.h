/* SPDX-License-Identifier: Apache-2.0 */
/* The REMOTE program: libvirt's procedures mapped onto the nimbusd driver. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "driver/driver.h"
#include "driver/rpc/program.h"
#include "driver/rpc/server.h"

/*
 * GET_LIB_VERSION reports 9.0.0: the libvirt release whose protocol and
 * client behaviour nimbusd implements and was verified against (Debian 12's
 * virsh and python3-libvirt 9.0).  Tools compare it with minimums (nova
 * requires >= 8.0.0).
 */
#define REMOTE_LIB_VERSION 9000000ull

typedef struct {
    DrvDriver *driver;          /* immutable */
    RpcServer *server;          /* set once before serving */
    uint64_t hv_version;        /* nimbus version, libvirt encoding; immutable */
    GHashTable *consoles;       /* domain uuid -> RemoteConsole*; main thread */
} RemoteDaemon;

/* The REMOTE program table (sorted, static). */
const RpcProgram *remote_program(void);

RemoteDaemon *remote_daemon_new(DrvDriver *driver);
void remote_daemon_free(RemoteDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RemoteDaemon, remote_daemon_free)

/* "X.Y.Z" anywhere in @text -> X*1000000 + Y*1000 + Z; 0 if none. */
uint64_t remote_parse_version(const char *text);

/* ---- shared by the handler files ----------------------------------------- */

static inline RemoteDaemon *
remote_daemon_of(RpcCall *call)
{
    return rpc_call_get_program_data(call);
}

/* Per-client state (rpc_client_get_data). */
typedef struct {
    GMutex lock;
    GArray *callbacks;          /* RemoteEventCallback; lock */
    int next_callback_id;       /* lock */
} RemoteConn;

typedef struct {
    int id;
    int event_id;
    bool has_dom;
    unsigned char uuid[16];
} RemoteEventCallback;

gpointer remote_conn_new(RpcClient *client, gpointer daemon);
void remote_conn_free(gpointer conn);

/* The domain a call names (by uuid, as libvirt does), or NO_DOMAIN. */
DrvDomainObj *remote_get_domain(RemoteDaemon *daemon,
                                const remote_nonnull_domain *dom, GError **error);
/* Fills @out from @obj (name/uuid immutable, id read under its lock). */
void remote_make_domain(DrvDomainObj *obj, remote_nonnull_domain *out);

/* The driver's event sink: sends lifecycle events to registered clients. */
void remote_event_emit(const DrvDomainEvent *event, gpointer daemon);

/* Handlers, by file. */
#define REMOTE_HANDLER(fn) \
    bool fn(RpcCall *call, void *args, void *ret, GError **error)

/* remote-connect.c */
REMOTE_HANDLER(remote_auth_list);
REMOTE_HANDLER(remote_connect_open);
REMOTE_HANDLER(remote_connect_close);
REMOTE_HANDLER(remote_connect_supports_feature);
REMOTE_HANDLER(remote_connect_get_type);
REMOTE_HANDLER(remote_connect_get_version);
REMOTE_HANDLER(remote_connect_get_lib_version);
REMOTE_HANDLER(remote_connect_get_hostname);
REMOTE_HANDLER(remote_connect_get_uri);
REMOTE_HANDLER(remote_connect_get_max_vcpus);
REMOTE_HANDLER(remote_connect_is_secure);
REMOTE_HANDLER(remote_connect_get_capabilities);
REMOTE_HANDLER(remote_connect_get_domain_capabilities);
REMOTE_HANDLER(remote_node_get_info);
REMOTE_HANDLER(remote_node_get_free_memory);
REMOTE_HANDLER(remote_node_get_security_model);
REMOTE_HANDLER(remote_connect_close_callback);

/* remote-domain.c */
REMOTE_HANDLER(remote_connect_list_all_domains);
REMOTE_HANDLER(remote_connect_num_of_domains);
REMOTE_HANDLER(remote_connect_list_domains);
REMOTE_HANDLER(remote_connect_num_of_defined_domains);
REMOTE_HANDLER(remote_connect_list_defined_domains);
REMOTE_HANDLER(remote_domain_lookup_by_id);
REMOTE_HANDLER(remote_domain_lookup_by_name);
REMOTE_HANDLER(remote_domain_lookup_by_uuid);
REMOTE_HANDLER(remote_domain_define_xml);
REMOTE_HANDLER(remote_domain_define_xml_flags);
REMOTE_HANDLER(remote_domain_undefine);
REMOTE_HANDLER(remote_domain_undefine_flags);
REMOTE_HANDLER(remote_domain_rename);
REMOTE_HANDLER(remote_domain_get_xml_desc);
REMOTE_HANDLER(remote_domain_get_state);
REMOTE_HANDLER(remote_domain_get_info);
REMOTE_HANDLER(remote_domain_get_os_type);
REMOTE_HANDLER(remote_domain_get_max_memory);
REMOTE_HANDLER(remote_domain_get_max_vcpus);
REMOTE_HANDLER(remote_domain_get_vcpus_flags);
REMOTE_HANDLER(remote_domain_is_active);
REMOTE_HANDLER(remote_domain_is_persistent);
REMOTE_HANDLER(remote_domain_get_autostart);
REMOTE_HANDLER(remote_domain_set_autostart);
REMOTE_HANDLER(remote_domain_has_managed_save_image);
REMOTE_HANDLER(remote_domain_set_metadata);
REMOTE_HANDLER(remote_domain_set_memory);
REMOTE_HANDLER(remote_domain_set_max_memory);
REMOTE_HANDLER(remote_domain_set_memory_flags);
/* remote-vcpu.c */
REMOTE_HANDLER(remote_domain_set_vcpus);
REMOTE_HANDLER(remote_domain_set_vcpus_flags);
/* remote-vcpu-pin.c */
REMOTE_HANDLER(remote_domain_get_vcpus);
REMOTE_HANDLER(remote_domain_get_vcpu_pin_info);
REMOTE_HANDLER(remote_domain_pin_vcpu);
REMOTE_HANDLER(remote_domain_pin_vcpu_flags);
REMOTE_HANDLER(remote_domain_pin_emulator);
REMOTE_HANDLER(remote_domain_get_emulator_pin_info);
REMOTE_HANDLER(remote_domain_get_metadata);

/* remote-lifecycle.c */
REMOTE_HANDLER(remote_domain_create);
REMOTE_HANDLER(remote_domain_create_with_flags);
REMOTE_HANDLER(remote_domain_create_xml);
REMOTE_HANDLER(remote_domain_shutdown);
REMOTE_HANDLER(remote_domain_shutdown_flags);
REMOTE_HANDLER(remote_domain_reboot);
REMOTE_HANDLER(remote_domain_destroy);
REMOTE_HANDLER(remote_domain_destroy_flags);
REMOTE_HANDLER(remote_domain_suspend);
REMOTE_HANDLER(remote_domain_resume);

/* remote-event.c */
REMOTE_HANDLER(remote_connect_domain_event_callback_register_any);
REMOTE_HANDLER(remote_connect_domain_event_callback_deregister_any);

/* remote-console.c */
REMOTE_HANDLER(remote_domain_open_console);
/* The uuid -> console table of RemoteDaemon.consoles. */
GHashTable *remote_console_table_new(void);

/* remote-host.c */
REMOTE_HANDLER(remote_node_get_cpu_map);
REMOTE_HANDLER(remote_node_cpu_stats);
REMOTE_HANDLER(remote_node_memory_stats);
REMOTE_HANDLER(remote_connect_get_sysinfo);
REMOTE_HANDLER(remote_connect_get_cpu_model_names);
REMOTE_HANDLER(remote_connect_compare_cpu);
REMOTE_HANDLER(remote_connect_compare_hypervisor_cpu);
REMOTE_HANDLER(remote_connect_baseline_cpu);
REMOTE_HANDLER(remote_connect_baseline_hypervisor_cpu);
REMOTE_HANDLER(remote_domain_set_time);

/* remote-stats.c */
REMOTE_HANDLER(remote_domain_block_stats);
REMOTE_HANDLER(remote_domain_interface_stats);
REMOTE_HANDLER(remote_domain_memory_stats);
REMOTE_HANDLER(remote_domain_get_cpu_stats);
REMOTE_HANDLER(remote_connect_get_all_domain_stats);

/* remote-hotplug.c */
REMOTE_HANDLER(remote_domain_attach_device);
REMOTE_HANDLER(remote_domain_attach_device_flags);
REMOTE_HANDLER(remote_domain_detach_device);
REMOTE_HANDLER(remote_domain_detach_device_flags);
REMOTE_HANDLER(remote_domain_detach_device_alias);
REMOTE_HANDLER(remote_domain_block_resize);

/* remote-names.c: "virXxx" of procedures we do not implement. */
const char *remote_unsupported_name(int32_t proc);

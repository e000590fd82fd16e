/* SPDX-License-Identifier: Apache-2.0 */
/* The REMOTE program's procedure table and the daemon state handlers share. */
#include <config.h>

#include <string.h>

#include "driver/remote/remote.h"
#include "driver/remote/remote-blkiotune.h"
#include "driver/remote/remote-forward.h"
#include "driver/remote/remote-iftune.h"
#include "driver/remote/remote-migrate.h"
#include "driver/remote/remote-save.h"
#include "driver/remote/remote-snapshot.h"
#include "driver/remote/remote-update-device.h"
#include "driver/rpc/client.h"

/* A table row.  WRITE procedures are refused on read-only connections. */
#define P(num, api, argt, rett, fn, fl) \
    { REMOTE_PROC_##num, api, (xdrproc_t)xdr_##argt, sizeof(argt), \
      (xdrproc_t)xdr_##rett, sizeof(rett), fn, fl }
/* No arguments. */
#define P_NA(num, api, rett, fn, fl) \
    { REMOTE_PROC_##num, api, NULL, 0, (xdrproc_t)xdr_##rett, sizeof(rett), fn, fl }
/* Void reply. */
#define P_NR(num, api, argt, fn, fl) \
    { REMOTE_PROC_##num, api, (xdrproc_t)xdr_##argt, sizeof(argt), NULL, 0, fn, fl }
/* Neither. */
#define P_NN(num, api, fn, fl) \
    { REMOTE_PROC_##num, api, NULL, 0, NULL, 0, fn, fl }

#define W RPC_PROC_WRITE
#define B RPC_PROC_BEFORE_OPEN

/* Sorted by procedure number (rpc_server_new checks). */
static const RpcProcedure remote_procedures[] = {
    P_NR(CONNECT_OPEN, "virConnectOpen", remote_connect_open_args,
         remote_connect_open, B),
    P_NN(CONNECT_CLOSE, "virConnectClose", remote_connect_close, B),
    P_NA(CONNECT_GET_TYPE, "virConnectGetType", remote_connect_get_type_ret,
         remote_connect_get_type, 0),
    P_NA(CONNECT_GET_VERSION, "virConnectGetVersion", remote_connect_get_version_ret,
         remote_connect_get_version, 0),
    P(CONNECT_GET_MAX_VCPUS, "virConnectGetMaxVcpus", remote_connect_get_max_vcpus_args,
      remote_connect_get_max_vcpus_ret, remote_connect_get_max_vcpus, 0),
    P_NA(NODE_GET_INFO, "virNodeGetInfo", remote_node_get_info_ret,
         remote_node_get_info, 0),
    P_NA(CONNECT_GET_CAPABILITIES, "virConnectGetCapabilities",
         remote_connect_get_capabilities_ret, remote_connect_get_capabilities, 0),
    P_NR(DOMAIN_ATTACH_DEVICE, "virDomainAttachDevice",
         remote_domain_attach_device_args, remote_domain_attach_device, W),
    P_NR(DOMAIN_CREATE, "virDomainCreate", remote_domain_args,
         remote_domain_create, W),
    P(DOMAIN_CREATE_XML, "virDomainCreateXML", remote_domain_create_xml_args,
      remote_domain_ret, remote_domain_create_xml, W),
    P(DOMAIN_DEFINE_XML, "virDomainDefineXML", remote_domain_define_xml_args,
      remote_domain_ret, remote_domain_define_xml, W),
    P_NR(DOMAIN_DESTROY, "virDomainDestroy", remote_domain_args,
         remote_domain_destroy, W),
    P_NR(DOMAIN_DETACH_DEVICE, "virDomainDetachDevice",
         remote_domain_detach_device_args, remote_domain_detach_device, W),
    P(DOMAIN_GET_XML_DESC, "virDomainGetXMLDesc", remote_domain_flags_args,
      remote_domain_get_xml_desc_ret, remote_domain_get_xml_desc, 0),
    P(DOMAIN_GET_AUTOSTART, "virDomainGetAutostart", remote_domain_args,
      remote_domain_int_ret, remote_domain_get_autostart, 0),
    P(DOMAIN_GET_INFO, "virDomainGetInfo", remote_domain_args,
      remote_domain_get_info_ret, remote_domain_get_info, 0),
    P(DOMAIN_GET_MAX_MEMORY, "virDomainGetMaxMemory", remote_domain_args,
      remote_domain_get_max_memory_ret, remote_domain_get_max_memory, 0),
    P(DOMAIN_GET_MAX_VCPUS, "virDomainGetMaxVcpus", remote_domain_args,
      remote_domain_int_ret, remote_domain_get_max_vcpus, 0),
    P(DOMAIN_GET_OS_TYPE, "virDomainGetOSType", remote_domain_args,
      remote_domain_get_os_type_ret, remote_domain_get_os_type, 0),
    P(DOMAIN_GET_VCPUS, "virDomainGetVcpus", remote_domain_get_vcpus_args,
      remote_domain_get_vcpus_ret, remote_domain_get_vcpus, 0),
    P(CONNECT_LIST_DEFINED_DOMAINS, "virConnectListDefinedDomains",
      remote_connect_list_defined_domains_args, remote_connect_list_defined_domains_ret,
      remote_connect_list_defined_domains, 0),
    P(DOMAIN_LOOKUP_BY_ID, "virDomainLookupByID", remote_domain_lookup_by_id_args,
      remote_domain_ret, remote_domain_lookup_by_id, 0),
    P(DOMAIN_LOOKUP_BY_NAME, "virDomainLookupByName", remote_domain_lookup_by_name_args,
      remote_domain_ret, remote_domain_lookup_by_name, 0),
    P(DOMAIN_LOOKUP_BY_UUID, "virDomainLookupByUUID", remote_domain_lookup_by_uuid_args,
      remote_domain_ret, remote_domain_lookup_by_uuid, 0),
    P_NA(CONNECT_NUM_OF_DEFINED_DOMAINS, "virConnectNumOfDefinedDomains",
         remote_connect_num_of_defined_domains_ret,
         remote_connect_num_of_defined_domains, 0),
    P_NR(DOMAIN_PIN_VCPU, "virDomainPinVcpu", remote_domain_pin_vcpu_args,
         remote_domain_pin_vcpu, W),
    P_NR(DOMAIN_REBOOT, "virDomainReboot", remote_domain_flags_args,
         remote_domain_reboot, W),
    P_NR(DOMAIN_RESUME, "virDomainResume", remote_domain_args,
         remote_domain_resume, W),
    P_NR(DOMAIN_SET_AUTOSTART, "virDomainSetAutostart", remote_domain_set_autostart_args,
         remote_domain_set_autostart, W),
    P_NR(DOMAIN_SET_MAX_MEMORY, "virDomainSetMaxMemory", remote_domain_set_memory_args,
         remote_domain_set_max_memory, W),
    P_NR(DOMAIN_SET_MEMORY, "virDomainSetMemory", remote_domain_set_memory_args,
         remote_domain_set_memory, W),
    P_NR(DOMAIN_SET_VCPUS, "virDomainSetVcpus", remote_domain_set_vcpus_args,
         remote_domain_set_vcpus, W),
    P_NR(DOMAIN_SHUTDOWN, "virDomainShutdown", remote_domain_args,
         remote_domain_shutdown, W),
    P_NR(DOMAIN_SUSPEND, "virDomainSuspend", remote_domain_args,
         remote_domain_suspend, W),
    P_NR(DOMAIN_UNDEFINE, "virDomainUndefine", remote_domain_args,
         remote_domain_undefine, W),
    P(CONNECT_LIST_DEFINED_NETWORKS, "virConnectListDefinedNetworks",
      remote_fwd_maxnames_args, remote_fwd_names_ret,
      remote_fwd_connect_list_defined_networks, 0),
    P(CONNECT_LIST_DOMAINS, "virConnectListDomains", remote_connect_list_domains_args,
      remote_connect_list_domains_ret, remote_connect_list_domains, 0),
    P(CONNECT_LIST_NETWORKS, "virConnectListNetworks", remote_fwd_maxnames_args,
      remote_fwd_names_ret, remote_fwd_connect_list_networks, 0),
    P_NR(NETWORK_CREATE, "virNetworkCreate", remote_fwd_network_args,
         remote_fwd_network_create, W),
    P(NETWORK_CREATE_XML, "virNetworkCreateXML", remote_fwd_xml_args,
      remote_fwd_network_ret, remote_fwd_network_create_xml, W),
    P(NETWORK_DEFINE_XML, "virNetworkDefineXML", remote_fwd_xml_args,
      remote_fwd_network_ret, remote_fwd_network_define_xml, W),
    P_NR(NETWORK_DESTROY, "virNetworkDestroy", remote_fwd_network_args,
         remote_fwd_network_destroy, W),
    P(NETWORK_GET_XML_DESC, "virNetworkGetXMLDesc",
      remote_fwd_network_flags_args, remote_fwd_string_ret,
      remote_fwd_network_get_xml_desc, 0),
    P(NETWORK_GET_AUTOSTART, "virNetworkGetAutostart", remote_fwd_network_args,
      remote_fwd_num_ret, remote_fwd_network_get_autostart, 0),
    P(NETWORK_GET_BRIDGE_NAME, "virNetworkGetBridgeName",
      remote_fwd_network_args, remote_fwd_string_ret,
      remote_fwd_network_get_bridge_name, 0),
    P(NETWORK_LOOKUP_BY_NAME, "virNetworkLookupByName", remote_fwd_name_args,
      remote_fwd_network_ret, remote_fwd_network_lookup_by_name, 0),
    P(NETWORK_LOOKUP_BY_UUID, "virNetworkLookupByUUID", remote_fwd_uuid_args,
      remote_fwd_network_ret, remote_fwd_network_lookup_by_uuid, 0),
    P_NR(NETWORK_SET_AUTOSTART, "virNetworkSetAutostart",
         remote_fwd_network_set_autostart_args,
         remote_fwd_network_set_autostart, W),
    P_NR(NETWORK_UNDEFINE, "virNetworkUndefine", remote_fwd_network_args,
         remote_fwd_network_undefine, W),
    P_NA(CONNECT_NUM_OF_DEFINED_NETWORKS, "virConnectNumOfDefinedNetworks",
         remote_fwd_num_ret, remote_fwd_connect_num_of_defined_networks, 0),
    P_NA(CONNECT_NUM_OF_DOMAINS, "virConnectNumOfDomains",
         remote_connect_num_of_domains_ret, remote_connect_num_of_domains, 0),
    P_NA(CONNECT_NUM_OF_NETWORKS, "virConnectNumOfNetworks", remote_fwd_num_ret,
         remote_fwd_connect_num_of_networks, 0),
    P_NR(DOMAIN_RESTORE, "virDomainRestore", remote_domain_restore_args,
         remote_domain_restore, W),
    P_NR(DOMAIN_SAVE, "virDomainSave", remote_domain_save_args,
         remote_domain_save, W),
    P_NA(CONNECT_GET_HOSTNAME, "virConnectGetHostname",
         remote_connect_get_hostname_ret, remote_connect_get_hostname, 0),
    P(CONNECT_SUPPORTS_FEATURE, "virConnectSupportsFeature",
      remote_connect_supports_feature_args, remote_connect_supports_feature_ret,
      remote_connect_supports_feature, B),
    P(DOMAIN_BLOCK_STATS, "virDomainBlockStats", remote_domain_block_stats_args,
      remote_domain_block_stats_ret, remote_domain_block_stats, 0),
    P(DOMAIN_INTERFACE_STATS, "virDomainInterfaceStats",
      remote_domain_interface_stats_args, remote_domain_interface_stats_ret,
      remote_domain_interface_stats, 0),
    P_NA(AUTH_LIST, "virConnectAuthList", remote_auth_list_ret, remote_auth_list, B),
    P_NA(CONNECT_NUM_OF_STORAGE_POOLS, "virConnectNumOfStoragePools",
         remote_fwd_num_ret, remote_fwd_connect_num_of_storage_pools, 0),
    P(CONNECT_LIST_STORAGE_POOLS, "virConnectListStoragePools",
      remote_fwd_maxnames_args, remote_fwd_names_ret,
      remote_fwd_connect_list_storage_pools, 0),
    P_NA(CONNECT_NUM_OF_DEFINED_STORAGE_POOLS,
         "virConnectNumOfDefinedStoragePools", remote_fwd_num_ret,
         remote_fwd_connect_num_of_defined_storage_pools, 0),
    P(CONNECT_LIST_DEFINED_STORAGE_POOLS, "virConnectListDefinedStoragePools",
      remote_fwd_maxnames_args, remote_fwd_names_ret,
      remote_fwd_connect_list_defined_storage_pools, 0),
    P(CONNECT_FIND_STORAGE_POOL_SOURCES, "virConnectFindStoragePoolSources",
      remote_fwd_find_pool_sources_args, remote_fwd_string_ret,
      remote_fwd_connect_find_storage_pool_sources, 0),
    P(STORAGE_POOL_CREATE_XML, "virStoragePoolCreateXML",
      remote_fwd_xml_flags_args, remote_fwd_pool_ret,
      remote_fwd_storage_pool_create_xml, W),
    P(STORAGE_POOL_DEFINE_XML, "virStoragePoolDefineXML",
      remote_fwd_xml_flags_args, remote_fwd_pool_ret,
      remote_fwd_storage_pool_define_xml, W),
    P_NR(STORAGE_POOL_CREATE, "virStoragePoolCreate",
         remote_fwd_pool_flags_args, remote_fwd_storage_pool_create, W),
    P_NR(STORAGE_POOL_BUILD, "virStoragePoolBuild", remote_fwd_pool_flags_args,
         remote_fwd_storage_pool_build, W),
    P_NR(STORAGE_POOL_DESTROY, "virStoragePoolDestroy", remote_fwd_pool_args,
         remote_fwd_storage_pool_destroy, W),
    P_NR(STORAGE_POOL_DELETE, "virStoragePoolDelete",
         remote_fwd_pool_flags_args, remote_fwd_storage_pool_delete, W),
    P_NR(STORAGE_POOL_UNDEFINE, "virStoragePoolUndefine", remote_fwd_pool_args,
         remote_fwd_storage_pool_undefine, W),
    P_NR(STORAGE_POOL_REFRESH, "virStoragePoolRefresh",
         remote_fwd_pool_flags_args, remote_fwd_storage_pool_refresh, W),
    P(STORAGE_POOL_LOOKUP_BY_NAME, "virStoragePoolLookupByName",
      remote_fwd_name_args, remote_fwd_pool_ret,
      remote_fwd_storage_pool_lookup_by_name, 0),
    P(STORAGE_POOL_LOOKUP_BY_UUID, "virStoragePoolLookupByUUID",
      remote_fwd_uuid_args, remote_fwd_pool_ret,
      remote_fwd_storage_pool_lookup_by_uuid, 0),
    P(STORAGE_POOL_LOOKUP_BY_VOLUME, "virStoragePoolLookupByVolume",
      remote_fwd_vol_args, remote_fwd_pool_ret,
      remote_fwd_storage_pool_lookup_by_volume, 0),
    P(STORAGE_POOL_GET_INFO, "virStoragePoolGetInfo", remote_fwd_pool_args,
      remote_fwd_pool_get_info_ret, remote_fwd_storage_pool_get_info, 0),
    P(STORAGE_POOL_GET_XML_DESC, "virStoragePoolGetXMLDesc",
      remote_fwd_pool_flags_args, remote_fwd_string_ret,
      remote_fwd_storage_pool_get_xml_desc, 0),
    P(STORAGE_POOL_GET_AUTOSTART, "virStoragePoolGetAutostart",
      remote_fwd_pool_args, remote_fwd_num_ret,
      remote_fwd_storage_pool_get_autostart, 0),
    P_NR(STORAGE_POOL_SET_AUTOSTART, "virStoragePoolSetAutostart",
         remote_fwd_pool_set_autostart_args,
         remote_fwd_storage_pool_set_autostart, W),
    P(STORAGE_POOL_NUM_OF_VOLUMES, "virStoragePoolNumOfVolumes",
      remote_fwd_pool_args, remote_fwd_num_ret,
      remote_fwd_storage_pool_num_of_volumes, 0),
    P(STORAGE_POOL_LIST_VOLUMES, "virStoragePoolListVolumes",
      remote_fwd_pool_list_volumes_args, remote_fwd_names_ret,
      remote_fwd_storage_pool_list_volumes, 0),
    P(STORAGE_VOL_CREATE_XML, "virStorageVolCreateXML",
      remote_fwd_vol_create_xml_args, remote_fwd_vol_ret,
      remote_fwd_storage_vol_create_xml, W),
    P_NR(STORAGE_VOL_DELETE, "virStorageVolDelete", remote_fwd_vol_flags_args,
         remote_fwd_storage_vol_delete, W),
    P(STORAGE_VOL_LOOKUP_BY_NAME, "virStorageVolLookupByName",
      remote_fwd_vol_lookup_by_name_args, remote_fwd_vol_ret,
      remote_fwd_storage_vol_lookup_by_name, 0),
    P(STORAGE_VOL_LOOKUP_BY_KEY, "virStorageVolLookupByKey",
      remote_fwd_name_args, remote_fwd_vol_ret,
      remote_fwd_storage_vol_lookup_by_key, 0),
    P(STORAGE_VOL_LOOKUP_BY_PATH, "virStorageVolLookupByPath",
      remote_fwd_name_args, remote_fwd_vol_ret,
      remote_fwd_storage_vol_lookup_by_path, 0),
    P(STORAGE_VOL_GET_INFO, "virStorageVolGetInfo", remote_fwd_vol_args,
      remote_fwd_vol_get_info_ret, remote_fwd_storage_vol_get_info, 0),
    P(STORAGE_VOL_GET_XML_DESC, "virStorageVolGetXMLDesc",
      remote_fwd_vol_flags_args, remote_fwd_string_ret,
      remote_fwd_storage_vol_get_xml_desc, 0),
    P(STORAGE_VOL_GET_PATH, "virStorageVolGetPath", remote_fwd_vol_args,
      remote_fwd_string_ret, remote_fwd_storage_vol_get_path, 0),
    P_NA(NODE_GET_FREE_MEMORY, "virNodeGetFreeMemory", remote_node_get_free_memory_ret,
         remote_node_get_free_memory, 0),
    P_NA(CONNECT_GET_URI, "virConnectGetURI", remote_connect_get_uri_ret,
         remote_connect_get_uri, 0),
    P_NA(NODE_GET_SECURITY_MODEL, "virNodeGetSecurityModel",
         remote_node_get_security_model_ret, remote_node_get_security_model, 0),
    /* Lookups only ever fail: the reply type is never encoded. */
    P(STORAGE_VOL_CREATE_XML_FROM, "virStorageVolCreateXMLFrom",
      remote_fwd_vol_create_xml_from_args, remote_fwd_vol_ret,
      remote_fwd_storage_vol_create_xml_from, W),
    P(SECRET_LOOKUP_BY_UUID, "virSecretLookupByUUID", remote_secret_lookup_by_uuid_args,
      remote_secret_ret, remote_secret_lookup_by_uuid, 0),
    P(SECRET_LOOKUP_BY_USAGE, "virSecretLookupByUsage", remote_secret_lookup_by_usage_args,
      remote_secret_ret, remote_secret_lookup_by_usage, 0),
    P_NA(CONNECT_IS_SECURE, "virConnectIsSecure", remote_connect_is_secure_ret,
         remote_connect_is_secure, 0),
    P(DOMAIN_IS_ACTIVE, "virDomainIsActive", remote_domain_args,
      remote_domain_int_ret, remote_domain_is_active, 0),
    P(DOMAIN_IS_PERSISTENT, "virDomainIsPersistent", remote_domain_args,
      remote_domain_int_ret, remote_domain_is_persistent, 0),
    P(NETWORK_IS_ACTIVE, "virNetworkIsActive", remote_fwd_network_args,
      remote_fwd_num_ret, remote_fwd_network_is_active, 0),
    P(NETWORK_IS_PERSISTENT, "virNetworkIsPersistent", remote_fwd_network_args,
      remote_fwd_num_ret, remote_fwd_network_is_persistent, 0),
    P(STORAGE_POOL_IS_ACTIVE, "virStoragePoolIsActive", remote_fwd_pool_args,
      remote_fwd_num_ret, remote_fwd_storage_pool_is_active, 0),
    P(STORAGE_POOL_IS_PERSISTENT, "virStoragePoolIsPersistent",
      remote_fwd_pool_args, remote_fwd_num_ret,
      remote_fwd_storage_pool_is_persistent, 0),
    P_NA(CONNECT_GET_LIB_VERSION, "virConnectGetLibVersion",
         remote_connect_get_lib_version_ret, remote_connect_get_lib_version, 0),
    P(CONNECT_COMPARE_CPU, "virConnectCompareCPU", remote_connect_compare_cpu_args,
      remote_connect_compare_cpu_ret, remote_connect_compare_cpu, 0),
    P(DOMAIN_MEMORY_STATS, "virDomainMemoryStats", remote_domain_memory_stats_args,
      remote_domain_memory_stats_ret, remote_domain_memory_stats, 0),
    P_NR(DOMAIN_ATTACH_DEVICE_FLAGS, "virDomainAttachDeviceFlags",
         remote_domain_attach_device_flags_args,
         remote_domain_attach_device_flags, W),
    P_NR(DOMAIN_DETACH_DEVICE_FLAGS, "virDomainDetachDeviceFlags",
         remote_domain_detach_device_flags_args,
         remote_domain_detach_device_flags, W),
    P(CONNECT_BASELINE_CPU, "virConnectBaselineCPU", remote_connect_baseline_cpu_args,
      remote_connect_baseline_cpu_ret, remote_connect_baseline_cpu, 0),
    P(DOMAIN_GET_JOB_INFO, "virDomainGetJobInfo", remote_domain_get_job_info_args,
      remote_domain_get_job_info_ret, remote_domain_get_job_info, 0),
    P_NR(DOMAIN_ABORT_JOB, "virDomainAbortJob", remote_domain_abort_job_args,
         remote_domain_abort_job, W),
    P_NR(STORAGE_VOL_WIPE, "virStorageVolWipe", remote_fwd_vol_flags_args,
         remote_fwd_storage_vol_wipe, W),
    P_NR(DOMAIN_MIGRATE_SET_MAX_DOWNTIME, "virDomainMigrateSetMaxDowntime",
         remote_domain_migrate_set_max_downtime_args,
         remote_domain_migrate_set_max_downtime, W),
    P_NR(DOMAIN_UPDATE_DEVICE_FLAGS, "virDomainUpdateDeviceFlags",
         remote_domain_attach_device_flags_args,
         remote_domain_update_device_flags, W),
    P_NR(DOMAIN_MANAGED_SAVE, "virDomainManagedSave",
         remote_domain_managed_save_args, remote_domain_managed_save, W),
    P(DOMAIN_HAS_MANAGED_SAVE_IMAGE, "virDomainHasManagedSaveImage",
      remote_domain_flags_args, remote_domain_int_ret,
      remote_domain_has_managed_save_image, 0),
    P_NR(DOMAIN_MANAGED_SAVE_REMOVE, "virDomainManagedSaveRemove",
         remote_domain_managed_save_args, remote_domain_managed_save_remove, W),
    P(DOMAIN_SNAPSHOT_CREATE_XML, "virDomainSnapshotCreateXML",
      remote_domain_snapshot_create_xml_args, remote_domain_snapshot_ret,
      remote_domain_snapshot_create_xml, W),
    P(DOMAIN_SNAPSHOT_GET_XML_DESC, "virDomainSnapshotGetXMLDesc",
      remote_domain_snapshot_snap_args, remote_domain_snapshot_get_xml_desc_ret,
      remote_domain_snapshot_get_xml_desc, 0),
    P(DOMAIN_SNAPSHOT_NUM, "virDomainSnapshotNum",
      remote_domain_snapshot_dom_args, remote_domain_snapshot_int_ret,
      remote_domain_snapshot_num, 0),
    P(DOMAIN_SNAPSHOT_LIST_NAMES, "virDomainSnapshotListNames",
      remote_domain_snapshot_list_names_args,
      remote_domain_snapshot_list_names_ret,
      remote_domain_snapshot_list_names, 0),
    P(DOMAIN_SNAPSHOT_LOOKUP_BY_NAME, "virDomainSnapshotLookupByName",
      remote_domain_snapshot_lookup_by_name_args, remote_domain_snapshot_ret,
      remote_domain_snapshot_lookup_by_name, 0),
    P(DOMAIN_HAS_CURRENT_SNAPSHOT, "virDomainHasCurrentSnapshot",
      remote_domain_snapshot_dom_args, remote_domain_snapshot_int_ret,
      remote_domain_has_current_snapshot, 0),
    P(DOMAIN_SNAPSHOT_CURRENT, "virDomainSnapshotCurrent",
      remote_domain_snapshot_dom_args, remote_domain_snapshot_ret,
      remote_domain_snapshot_current, 0),
    P_NR(DOMAIN_REVERT_TO_SNAPSHOT, "virDomainRevertToSnapshot",
         remote_domain_snapshot_snap_args, remote_domain_revert_to_snapshot, W),
    P_NR(DOMAIN_SNAPSHOT_DELETE, "virDomainSnapshotDelete",
         remote_domain_snapshot_snap_args, remote_domain_snapshot_delete, W),
    P(DOMAIN_CREATE_WITH_FLAGS, "virDomainCreateWithFlags", remote_domain_flags_args,
      remote_domain_ret, remote_domain_create_with_flags, W),
    P_NR(DOMAIN_SET_VCPUS_FLAGS, "virDomainSetVcpusFlags",
         remote_domain_set_vcpus_flags_args, remote_domain_set_vcpus_flags, W),
    P(DOMAIN_GET_VCPUS_FLAGS, "virDomainGetVcpusFlags", remote_domain_flags_args,
      remote_domain_int_ret, remote_domain_get_vcpus_flags, 0),
    /* Main thread: the stream must be registered before its first data. */
    P_NR(DOMAIN_OPEN_CONSOLE, "virDomainOpenConsole", remote_domain_open_console_args,
         remote_domain_open_console, W | RPC_PROC_MAIN_THREAD),
    P(CONNECT_GET_SYSINFO, "virConnectGetSysinfo", remote_connect_get_sysinfo_args,
      remote_connect_get_sysinfo_ret, remote_connect_get_sysinfo, 0),
    P_NR(DOMAIN_SET_MEMORY_FLAGS, "virDomainSetMemoryFlags",
         remote_domain_set_memory_flags_args, remote_domain_set_memory_flags, W),
    P(DOMAIN_GET_STATE, "virDomainGetState", remote_domain_flags_args,
      remote_domain_get_state_ret, remote_domain_get_state, 0),
    P_NR(DOMAIN_PIN_VCPU_FLAGS, "virDomainPinVcpuFlags",
         remote_domain_pin_vcpu_flags_args, remote_domain_pin_vcpu_flags, W),
    P(NODE_GET_CPU_STATS, "virNodeGetCPUStats", remote_node_get_cpu_stats_args,
      remote_node_get_cpu_stats_ret, remote_node_cpu_stats, 0),
    P(NODE_GET_MEMORY_STATS, "virNodeGetMemoryStats", remote_node_get_memory_stats_args,
      remote_node_get_memory_stats_ret, remote_node_memory_stats, 0),
    P(DOMAIN_GET_VCPU_PIN_INFO, "virDomainGetVcpuPinInfo",
      remote_domain_get_vcpu_pin_info_args, remote_domain_get_vcpu_pin_info_ret,
      remote_domain_get_vcpu_pin_info, 0),
    P_NR(DOMAIN_UNDEFINE_FLAGS, "virDomainUndefineFlags", remote_domain_flags_args,
         remote_domain_undefine_flags, W),
    P_NR(DOMAIN_SAVE_FLAGS, "virDomainSaveFlags", remote_domain_save_flags_args,
         remote_domain_save_flags, W),
    P_NR(DOMAIN_RESTORE_FLAGS, "virDomainRestoreFlags",
         remote_domain_restore_flags_args, remote_domain_restore_flags, W),
    P_NR(DOMAIN_DESTROY_FLAGS, "virDomainDestroyFlags", remote_domain_flags_args,
         remote_domain_destroy_flags, W),
    /* Read-write only: it reads any file the daemon can. */
    P(DOMAIN_SAVE_IMAGE_GET_XML_DESC, "virDomainSaveImageGetXMLDesc",
      remote_domain_save_image_get_xml_desc_args,
      remote_domain_save_image_get_xml_desc_ret,
      remote_domain_save_image_get_xml_desc, W),
    P_NR(DOMAIN_SAVE_IMAGE_DEFINE_XML, "virDomainSaveImageDefineXML",
         remote_domain_save_image_define_xml_args,
         remote_domain_save_image_define_xml, W),
    P(DOMAIN_SNAPSHOT_GET_PARENT, "virDomainSnapshotGetParent",
      remote_domain_snapshot_snap_args, remote_domain_snapshot_ret,
      remote_domain_snapshot_get_parent, 0),
    P(DOMAIN_SNAPSHOT_NUM_CHILDREN, "virDomainSnapshotNumChildren",
      remote_domain_snapshot_snap_args, remote_domain_snapshot_int_ret,
      remote_domain_snapshot_num_children, 0),
    P(DOMAIN_SNAPSHOT_LIST_CHILDREN_NAMES, "virDomainSnapshotListChildrenNames",
      remote_domain_snapshot_list_children_names_args,
      remote_domain_snapshot_list_names_ret,
      remote_domain_snapshot_list_children_names, 0),
    P_NR(DOMAIN_BLOCK_RESIZE, "virDomainBlockResize",
         remote_domain_block_resize_args, remote_domain_block_resize, W),
    P_NR(DOMAIN_SET_BLOCK_IO_TUNE, "virDomainSetBlockIoTune",
         remote_domain_set_block_io_tune_args, remote_domain_set_block_io_tune,
         W),
    P(DOMAIN_GET_BLOCK_IO_TUNE, "virDomainGetBlockIoTune",
      remote_domain_get_block_io_tune_args,
      remote_domain_get_block_io_tune_ret, remote_domain_get_block_io_tune, 0),
    P_NR(DOMAIN_SET_INTERFACE_PARAMETERS, "virDomainSetInterfaceParameters",
         remote_domain_set_interface_parameters_args,
         remote_domain_set_interface_parameters, W),
    P(DOMAIN_GET_INTERFACE_PARAMETERS, "virDomainGetInterfaceParameters",
      remote_domain_get_interface_parameters_args,
      remote_domain_get_interface_parameters_ret,
      remote_domain_get_interface_parameters, 0),
    P_NR(DOMAIN_SHUTDOWN_FLAGS, "virDomainShutdownFlags", remote_domain_flags_args,
         remote_domain_shutdown_flags, W),
    P_NR(STORAGE_VOL_RESIZE, "virStorageVolResize", remote_fwd_vol_resize_args,
         remote_fwd_storage_vol_resize, W),
    P(DOMAIN_GET_CPU_STATS, "virDomainGetCPUStats", remote_domain_get_cpu_stats_args,
      remote_domain_get_cpu_stats_ret, remote_domain_get_cpu_stats, 0),
    P_NR(DOMAIN_SET_METADATA, "virDomainSetMetadata", remote_domain_set_metadata_args,
         remote_domain_set_metadata, W),
    P(DOMAIN_GET_METADATA, "virDomainGetMetadata", remote_domain_get_metadata_args,
      remote_domain_get_metadata_ret, remote_domain_get_metadata, 0),
    P(DOMAIN_SNAPSHOT_IS_CURRENT, "virDomainSnapshotIsCurrent",
      remote_domain_snapshot_snap_args, remote_domain_snapshot_int_ret,
      remote_domain_snapshot_is_current, 0),
    P(DOMAIN_SNAPSHOT_HAS_METADATA, "virDomainSnapshotHasMetadata",
      remote_domain_snapshot_snap_args, remote_domain_snapshot_int_ret,
      remote_domain_snapshot_has_metadata, 0),
    P(CONNECT_LIST_ALL_DOMAINS, "virConnectListAllDomains",
      remote_connect_list_all_domains_args, remote_connect_list_all_domains_ret,
      remote_connect_list_all_domains, 0),
    P(DOMAIN_LIST_ALL_SNAPSHOTS, "virDomainListAllSnapshots",
      remote_domain_list_all_snapshots_args, remote_domain_list_all_snapshots_ret,
      remote_domain_list_all_snapshots, 0),
    P(DOMAIN_SNAPSHOT_LIST_ALL_CHILDREN, "virDomainSnapshotListAllChildren",
      remote_domain_snapshot_list_all_children_args,
      remote_domain_list_all_snapshots_ret,
      remote_domain_snapshot_list_all_children, 0),
    P_NR(DOMAIN_PIN_EMULATOR, "virDomainPinEmulator",
         remote_domain_pin_emulator_args, remote_domain_pin_emulator, W),
    P(DOMAIN_GET_EMULATOR_PIN_INFO, "virDomainGetEmulatorPinInfo",
      remote_domain_get_emulator_pin_info_args,
      remote_domain_get_emulator_pin_info_ret,
      remote_domain_get_emulator_pin_info, 0),
    P(CONNECT_LIST_ALL_STORAGE_POOLS, "virConnectListAllStoragePools",
      remote_fwd_list_all_args, remote_fwd_list_all_pools_ret,
      remote_fwd_connect_list_all_storage_pools, 0),
    P(STORAGE_POOL_LIST_ALL_VOLUMES, "virStoragePoolListAllVolumes",
      remote_fwd_pool_list_all_volumes_args, remote_fwd_list_all_vols_ret,
      remote_fwd_storage_pool_list_all_volumes, 0),
    P(CONNECT_LIST_ALL_NETWORKS, "virConnectListAllNetworks",
      remote_fwd_list_all_args, remote_fwd_list_all_networks_ret,
      remote_fwd_connect_list_all_networks, 0),
    P(NODE_GET_CPU_MAP, "virNodeGetCPUMap", remote_node_get_cpu_map_args,
      remote_node_get_cpu_map_ret, remote_node_get_cpu_map, 0),
    P(DOMAIN_GET_JOB_STATS, "virDomainGetJobStats", remote_domain_get_job_stats_args,
      remote_domain_get_job_stats_ret, remote_domain_get_job_stats, 0),
    P(DOMAIN_MIGRATE_BEGIN3_PARAMS, "virDomainMigrateBegin3Params",
      remote_domain_migrate_begin3_params_args,
      remote_domain_migrate_begin3_params_ret,
      remote_domain_migrate_begin3_params, W),
    P(DOMAIN_MIGRATE_PREPARE3_PARAMS, "virDomainMigratePrepare3Params",
      remote_domain_migrate_prepare3_params_args,
      remote_domain_migrate_prepare3_params_ret,
      remote_domain_migrate_prepare3_params, W),
    P(DOMAIN_MIGRATE_PERFORM3_PARAMS, "virDomainMigratePerform3Params",
      remote_domain_migrate_perform3_params_args,
      remote_domain_migrate_perform3_params_ret,
      remote_domain_migrate_perform3_params, W),
    P(DOMAIN_MIGRATE_FINISH3_PARAMS, "virDomainMigrateFinish3Params",
      remote_domain_migrate_finish3_params_args,
      remote_domain_migrate_finish3_params_ret,
      remote_domain_migrate_finish3_params, W),
    P_NR(DOMAIN_MIGRATE_CONFIRM3_PARAMS, "virDomainMigrateConfirm3Params",
         remote_domain_migrate_confirm3_params_args,
         remote_domain_migrate_confirm3_params, W),
    P(CONNECT_GET_CPU_MODEL_NAMES, "virConnectGetCPUModelNames",
      remote_connect_get_cpu_model_names_args, remote_connect_get_cpu_model_names_ret,
      remote_connect_get_cpu_model_names, 0),
    P(CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, "virConnectDomainEventRegisterAny",
      remote_connect_domain_event_callback_register_any_args,
      remote_connect_domain_event_callback_register_any_ret,
      remote_connect_domain_event_callback_register_any, 0),
    P_NR(CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, "virConnectDomainEventDeregisterAny",
         remote_connect_domain_event_callback_deregister_any_args,
         remote_connect_domain_event_callback_deregister_any, 0),
    P_NR(DOMAIN_SET_TIME, "virDomainSetTime", remote_domain_set_time_args,
         remote_domain_set_time, W),
    P(CONNECT_GET_DOMAIN_CAPABILITIES, "virConnectGetDomainCapabilities",
      remote_connect_get_domain_capabilities_args,
      remote_connect_get_domain_capabilities_ret,
      remote_connect_get_domain_capabilities, 0),
    P(CONNECT_GET_ALL_DOMAIN_STATS, "virConnectGetAllDomainStats",
      remote_connect_get_all_domain_stats_args, remote_connect_get_all_domain_stats_ret,
      remote_connect_get_all_domain_stats, 0),
    P(DOMAIN_DEFINE_XML_FLAGS, "virDomainDefineXMLFlags",
      remote_domain_define_xml_flags_args, remote_domain_ret,
      remote_domain_define_xml_flags, W),
    P(DOMAIN_RENAME, "virDomainRename", remote_domain_rename_args,
      remote_domain_rename_ret, remote_domain_rename, W),
    P_NN(CONNECT_REGISTER_CLOSE_CALLBACK, "virConnectRegisterCloseCallback",
         remote_connect_close_callback, 0),
    P_NN(CONNECT_UNREGISTER_CLOSE_CALLBACK, "virConnectUnregisterCloseCallback",
         remote_connect_close_callback, 0),
    P(DOMAIN_MIGRATE_GET_MAX_DOWNTIME, "virDomainMigrateGetMaxDowntime",
      remote_domain_migrate_get_max_downtime_args,
      remote_domain_migrate_get_max_downtime_ret,
      remote_domain_migrate_get_max_downtime, 0),
    P(DOMAIN_MANAGED_SAVE_GET_XML_DESC, "virDomainManagedSaveGetXMLDesc",
      remote_domain_managed_save_args,
      remote_domain_managed_save_get_xml_desc_ret,
      remote_domain_managed_save_get_xml_desc, W),
    P_NR(DOMAIN_MANAGED_SAVE_DEFINE_XML, "virDomainManagedSaveDefineXML",
         remote_domain_managed_save_define_xml_args,
         remote_domain_managed_save_define_xml, W),
    P_NR(DOMAIN_DETACH_DEVICE_ALIAS, "virDomainDetachDeviceAlias",
         remote_domain_detach_device_alias_args,
         remote_domain_detach_device_alias, W),
    P(CONNECT_COMPARE_HYPERVISOR_CPU, "virConnectCompareHypervisorCPU",
      remote_connect_compare_hypervisor_cpu_args, remote_connect_compare_cpu_ret,
      remote_connect_compare_hypervisor_cpu, 0),
    P(CONNECT_BASELINE_HYPERVISOR_CPU, "virConnectBaselineHypervisorCPU",
      remote_connect_baseline_hypervisor_cpu_args, remote_connect_baseline_cpu_ret,
      remote_connect_baseline_hypervisor_cpu, 0),
};

#undef W
#undef B

static void
remote_client_closed(RpcClient *client, gpointer daemon)
{
    RemoteConn *conn = rpc_client_get_data(client);

    /* No more events for a client that is gone. */
    g_mutex_lock(&conn->lock);
    g_array_set_size(conn->callbacks, 0);
    g_mutex_unlock(&conn->lock);
}

static const RpcProgram remote_program_def = {
    .prog = REMOTE_PROGRAM,
    .vers = REMOTE_PROTOCOL_VERSION,
    .procs = remote_procedures,
    .n_procs = G_N_ELEMENTS(remote_procedures),
    .unsupported_name = remote_unsupported_name,
    .client_data_new = remote_conn_new,
    .client_data_free = remote_conn_free,
    .client_closed = remote_client_closed,
};

const RpcProgram *
remote_program(void)
{
    return &remote_program_def;
}

uint64_t
remote_parse_version(const char *text)
{
    for (const char *p = text; p && *p; p++) {
        unsigned int major, minor, micro = 0;
        int n = 0;

        if (!g_ascii_isdigit(*p) || (p > text && g_ascii_isdigit(p[-1])))
            continue;
        if (sscanf(p, "%u.%u%n", &major, &minor, &n) == 2 && n > 0) {
            /* "v40.0" or "0.1.0": the micro part is optional. */
            if (p[n] == '.')
                sscanf(p + n + 1, "%u", &micro);
            if (minor < 1000 && micro < 1000)
                return (uint64_t)major * 1000000 + minor * 1000 + micro;
        }
    }
    return 0;
}

/* GET_VERSION reports nimbus's version like libvirt's CH driver reports
 * `cloud-hypervisor --version`; nimbus is built from this tree, so our own
 * version stands in when the binary cannot say. */
static uint64_t
remote_nimbus_version(const DrvConfig *cfg)
{
    const char *argv[] = { cfg->nimbus_binary, "--version", NULL };
    g_autofree char *out = NULL;
    uint64_t v = 0;
    int status = 0;

    if (cfg->nimbus_binary &&
        g_spawn_sync(NULL, (char **)argv, NULL,
                     G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_STDIN_FROM_DEV_NULL,
                     NULL, NULL, &out, NULL, &status, NULL) &&
        g_spawn_check_wait_status(status, NULL))
        v = remote_parse_version(out);
    return v ? v : remote_parse_version(PACKAGE_VERSION);
}

RemoteDaemon *
remote_daemon_new(DrvDriver *driver)
{
    RemoteDaemon *daemon = g_new0(RemoteDaemon, 1);

    daemon->driver = driver;
    daemon->hv_version = remote_nimbus_version(driver->config);
    daemon->consoles = remote_console_table_new();
    return daemon;
}

void
remote_daemon_free(RemoteDaemon *daemon)
{
    if (!daemon)
        return;
    /* Consoles belong to streams, which went with their clients. */
    g_hash_table_unref(daemon->consoles);
    g_free(daemon);
}

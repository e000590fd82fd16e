/* SPDX-License-Identifier: Apache-2.0 */
/* The private part of DomainDef and the interfaces between driver/xml/ files. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <libxml/tree.h>

#include "config/vm-config.h"
#include "driver/xml/domain-conf.h"
#include "driver/xml/xml-enum.h"
#include "driver/xml/xml-util.h"

/*
 * Pipeline (domain.c): libxml2 parse -> domain_xml_check_unsupported()
 * (unsupported.c: libvirt XML nimbus recognises but cannot run) -> RelaxNG
 * (schema.c) -> parse into the model (domain.c, os.c, cpu.c and one file per
 * device class) -> domain_def_postparse() (defaults) -> domain_def_validate()
 * (semantic checks).  format.c prints the model back in libvirt's style.
 */

/* Limits.  CH's KVM x86_64 maximum (VM_CONFIG_MAX_VCPUS in daemon/). */
#define DOMAIN_MAX_VCPUS 8192
/* libvirt caps memory at LLONG_MAX bytes (virMemoryMaxValue). */
#define DOMAIN_MAX_MEMORY_KIB ((uint64_t)G_MAXINT64 / 1024)
/* The payload cmdline area in nimbus (VM_CONFIG_CMDLINE_MAX). */
#define DOMAIN_CMDLINE_MAX 0x10000

/* Parse flags private to this module (above the public ones). */
#define DOMAIN_DEF_PARSE_SKIP_SCHEMA (1u << 30)  /* domain_def_copy(): input is our own output */

typedef enum {
    DOMAIN_VIRT_KVM,
    DOMAIN_VIRT_CH,
    DOMAIN_VIRT_LAST
} DomainVirtType;
ENUM_DECL(domain_virt);
ENUM_DECL(domain_lifecycle);

typedef enum {
    DOMAIN_BOOT_FLOPPY,
    DOMAIN_BOOT_CDROM,
    DOMAIN_BOOT_DISK,
    DOMAIN_BOOT_NET,
    DOMAIN_BOOT_LAST
} DomainBootDev;
ENUM_DECL(domain_boot_dev);

typedef enum {
    DOMAIN_LOADER_TYPE_ROM,
    DOMAIN_LOADER_TYPE_PFLASH,
    DOMAIN_LOADER_TYPE_LAST
} DomainLoaderType;
ENUM_DECL(domain_loader_type);

typedef struct {
    char *type;                 /* "hvm" */
    char *arch;                 /* "x86_64" after post-parse */
    char *machine;              /* 'nimbus' or an alias (validate.c) */
    char *loader;               /* PVH firmware (payload.firmware) */
    XmlTristate loader_readonly;
    int loader_type;            /* DomainLoaderType or -1 */
    XmlTristate loader_secure;
    char *kernel;
    char *initrd;
    char *cmdline;
    GArray *boot_devs;          /* int DomainBootDev, in order; kept */
    int smbios_mode;            /* <smbios mode>: DomainSmbiosMode or -1 */
} DomainOsDef;

typedef enum {
    DOMAIN_FEATURE_ACPI,
    DOMAIN_FEATURE_APIC,
    DOMAIN_FEATURE_PAE,
    DOMAIN_FEATURE_VMCOREINFO,  /* accepted, always runs state='off' */
    DOMAIN_FEATURE_LAST
} DomainFeature;
ENUM_DECL(domain_feature);

typedef enum {
    DOMAIN_CPU_MODE_CUSTOM,
    DOMAIN_CPU_MODE_HOST_MODEL,
    DOMAIN_CPU_MODE_HOST_PASSTHROUGH,
    DOMAIN_CPU_MODE_MAXIMUM,
    DOMAIN_CPU_MODE_LAST
} DomainCpuMode;
ENUM_DECL(domain_cpu_mode);

typedef enum {
    DOMAIN_CPU_CHECK_NONE,
    DOMAIN_CPU_CHECK_PARTIAL,
    DOMAIN_CPU_CHECK_FULL,
    DOMAIN_CPU_CHECK_LAST
} DomainCpuCheck;
ENUM_DECL(domain_cpu_check);

typedef enum {
    DOMAIN_CPU_MATCH_MINIMUM,
    DOMAIN_CPU_MATCH_EXACT,
    DOMAIN_CPU_MATCH_STRICT,
    DOMAIN_CPU_MATCH_LAST
} DomainCpuMatch;
ENUM_DECL(domain_cpu_match);

typedef struct {
    bool present;               /* a <cpu> element was given */
    int mode;                   /* DomainCpuMode */
    int check;                  /* DomainCpuCheck or -1 */
    int match;                  /* DomainCpuMatch or -1 */
    XmlTristate migratable;
    bool has_topology;
    uint32_t sockets, dies, cores, threads;
} DomainCpuDef;

typedef enum {
    DOMAIN_CLOCK_UTC,
    DOMAIN_CLOCK_LOCALTIME,
    DOMAIN_CLOCK_LAST
} DomainClockOffset;
ENUM_DECL(domain_clock_offset);

typedef enum {
    DOMAIN_TIMER_PLATFORM,
    DOMAIN_TIMER_PIT,
    DOMAIN_TIMER_RTC,
    DOMAIN_TIMER_HPET,
    DOMAIN_TIMER_TSC,
    DOMAIN_TIMER_KVMCLOCK,
    DOMAIN_TIMER_HYPERVCLOCK,
    DOMAIN_TIMER_ARMVTIMER,
    DOMAIN_TIMER_LAST
} DomainTimerName;
ENUM_DECL(domain_timer_name);
ENUM_DECL(domain_timer_tickpolicy);   /* delay, catchup, merge, discard */
ENUM_DECL(domain_timer_track);        /* boot, guest, wall, realtime */
ENUM_DECL(domain_timer_mode);         /* auto, native, emulate, paravirt, smpsafe */

/* Timers are kept for the round trip; nimbus's clock needs no tuning. */
typedef struct {
    int name;                   /* DomainTimerName */
    XmlTristate present;
    int tickpolicy;             /* -1: absent */
    int track;
    int mode;
    uint64_t frequency;         /* 0: absent */
} DomainTimerDef;

typedef struct {
    int offset;                 /* DomainClockOffset */
    GPtrArray *timers;          /* DomainTimerDef* */
} DomainClockDef;

/* sysinfo.c: <sysinfo type='smbios'> (the blocks nimbus's --platform
 * carries) and <os><smbios mode>. */
typedef enum {
    DOMAIN_SMBIOS_EMULATE,
    DOMAIN_SMBIOS_SYSINFO,
    DOMAIN_SMBIOS_LAST
} DomainSmbiosMode;
ENUM_DECL(domain_smbios_mode);

typedef enum {
    DOMAIN_SYSINFO_SYSTEM_MANUFACTURER,
    DOMAIN_SYSINFO_SYSTEM_PRODUCT,
    DOMAIN_SYSINFO_SYSTEM_VERSION,
    DOMAIN_SYSINFO_SYSTEM_SERIAL,
    DOMAIN_SYSINFO_SYSTEM_UUID,
    DOMAIN_SYSINFO_SYSTEM_SKU,
    DOMAIN_SYSINFO_SYSTEM_FAMILY,
    DOMAIN_SYSINFO_SYSTEM_LAST
} DomainSysinfoSystemEntry;

/* sysinfo-fwcfg.c: one <entry> of <sysinfo type='fwcfg'>. */
typedef struct {
    char *name;
    char *value;                /* the text; NULL with @file */
    char *file;                 /* NULL with @value */
} DomainFwCfgEntry;

typedef struct {
    bool present;               /* <sysinfo type='smbios'> */
    char *system[DOMAIN_SYSINFO_SYSTEM_LAST];   /* NULL when not given */
    char *chassis_asset;
    GPtrArray *oem_strings;     /* char *, NULL when none */
    GPtrArray *fwcfg;           /* DomainFwCfgEntry*; NULL: no fwcfg */
} DomainSysinfoDef;

bool domain_sysinfo_check_unsupported(xmlNodePtr node, GError **error);
bool domain_sysinfo_parse(xmlNodePtr node, DomainSysinfoDef *si,
                          GError **error);
void domain_sysinfo_format(XmlBuf *buf, const DomainSysinfoDef *si);
void domain_sysinfo_clear(DomainSysinfoDef *si);
bool domain_sysinfo_validate(const DomainDef *def, GError **error);
/* --platform for @def: its UUID, and what <sysinfo> gives. */
PlatformConfig *domain_sysinfo_to_platform(const DomainDef *def);
/* sysinfo-fwcfg.c: <sysinfo type='fwcfg'>, kept in DomainSysinfoDef.fwcfg;
 * to_config gives payload.fw_cfg_config (NULL without one). */
bool domain_sysinfo_fwcfg_parse(xmlNodePtr node, DomainSysinfoDef *si,
                                GError **error);
void domain_sysinfo_fwcfg_format(XmlBuf *buf, const DomainSysinfoDef *si);
bool domain_sysinfo_fwcfg_validate(const DomainSysinfoDef *si,
                                   GError **error);
FwCfgConfig *domain_sysinfo_fwcfg_to_config(const DomainDef *def);

/* cputune.c: <cputune>'s thread placement (its other children are
 * refused by domain_cputune_check_unsupported()). */
typedef struct {
    uint32_t vcpu;
    GArray *cpus;               /* uint32_t host CPUs, ascending */
} DomainVcpuPinDef;

typedef struct {
    GPtrArray *vcpupins;        /* DomainVcpuPinDef*, by vcpu; NULL: none */
    GArray *emulatorpin;        /* uint32_t host CPUs; NULL: absent */
} DomainCputuneDef;

bool domain_cputune_parse(xmlNodePtr node, DomainCputuneDef *tune,
                          GError **error);
void domain_cputune_format(XmlBuf *buf, const DomainCputuneDef *tune);
bool domain_cputune_validate(const DomainDef *def, GError **error);
bool domain_cputune_check_unsupported(xmlNodePtr node, GError **error);
void domain_cputune_clear(DomainCputuneDef *tune);
/* Sets (@cpus copied) or, @cpus NULL, removes the pin of @vcpu. */
void domain_def_cputune_set(DomainCputuneDef *tune, uint32_t vcpu,
                            const GArray *cpus);

/* <alias>, <address>, <boot order>: common to most devices. */
typedef struct {
    char *name;
    char *value;
} XmlAttr;

typedef struct {
    char *alias;                /* user aliases ("ua-...") survive INACTIVE */
    GPtrArray *address;         /* XmlAttr*, input order; NULL: none */
    unsigned boot_order;        /* 0: none */
} DomainDeviceInfo;

typedef enum {
    DOMAIN_DISK_BUS_IDE,
    DOMAIN_DISK_BUS_FDC,
    DOMAIN_DISK_BUS_SCSI,
    DOMAIN_DISK_BUS_VIRTIO,
    DOMAIN_DISK_BUS_XEN,
    DOMAIN_DISK_BUS_USB,
    DOMAIN_DISK_BUS_UML,
    DOMAIN_DISK_BUS_SATA,
    DOMAIN_DISK_BUS_SD,
    DOMAIN_DISK_BUS_LAST
} DomainDiskBus;
ENUM_DECL(domain_disk_bus);

typedef enum {
    DOMAIN_DISK_CACHE_DEFAULT,
    DOMAIN_DISK_CACHE_NONE,
    DOMAIN_DISK_CACHE_WRITETHROUGH,
    DOMAIN_DISK_CACHE_WRITEBACK,
    DOMAIN_DISK_CACHE_DIRECTSYNC,
    DOMAIN_DISK_CACHE_UNSAFE,
    DOMAIN_DISK_CACHE_LAST
} DomainDiskCache;
ENUM_DECL(domain_disk_cache);
ENUM_DECL(domain_disk_io);            /* default, native, threads, io_uring */
ENUM_DECL(domain_disk_discard);       /* default, unmap, ignore */

/* <iotune> children holding a number, in libvirt's output order (with
 * group_name, a string, between SIZE_IOPS_SEC and the *_MAX_LENGTHs). */
typedef enum {
    DOMAIN_IOTUNE_TOTAL_BYTES_SEC,
    DOMAIN_IOTUNE_READ_BYTES_SEC,
    DOMAIN_IOTUNE_WRITE_BYTES_SEC,
    DOMAIN_IOTUNE_TOTAL_IOPS_SEC,
    DOMAIN_IOTUNE_READ_IOPS_SEC,
    DOMAIN_IOTUNE_WRITE_IOPS_SEC,
    DOMAIN_IOTUNE_TOTAL_BYTES_SEC_MAX,
    DOMAIN_IOTUNE_READ_BYTES_SEC_MAX,
    DOMAIN_IOTUNE_WRITE_BYTES_SEC_MAX,
    DOMAIN_IOTUNE_TOTAL_IOPS_SEC_MAX,
    DOMAIN_IOTUNE_READ_IOPS_SEC_MAX,
    DOMAIN_IOTUNE_WRITE_IOPS_SEC_MAX,
    DOMAIN_IOTUNE_SIZE_IOPS_SEC,
    DOMAIN_IOTUNE_TOTAL_BYTES_SEC_MAX_LENGTH,
    DOMAIN_IOTUNE_READ_BYTES_SEC_MAX_LENGTH,
    DOMAIN_IOTUNE_WRITE_BYTES_SEC_MAX_LENGTH,
    DOMAIN_IOTUNE_TOTAL_IOPS_SEC_MAX_LENGTH,
    DOMAIN_IOTUNE_READ_IOPS_SEC_MAX_LENGTH,
    DOMAIN_IOTUNE_WRITE_IOPS_SEC_MAX_LENGTH,
    DOMAIN_IOTUNE_LAST
} DomainIotuneField;
ENUM_DECL(domain_iotune_field);

/* <disk><iotune> (disk-iotune.c); 0 is "absent", as in libvirt. */
typedef struct {
    uint64_t v[DOMAIN_IOTUNE_LAST];
    char *group_name;
} DomainDiskIotune;

/* <disk type='file'|'volume'|'vhostuser' device='disk'>: what nimbus
 * accepts. */
typedef struct {
    DomainDeviceInfo info;
    char *driver_name;          /* kept ("qemu" from virt-install) */
    char *driver_type;          /* image format; "raw" after post-parse */
    int cache;                  /* DomainDiskCache or -1 */
    int io;                     /* -1: absent */
    int discard;                /* -1: absent */
    char *src;                  /* <source file>, or a volume's path */
    /* type='volume': <source pool volume>; src is libvirtd's path of it,
     * set by domain_def_resolve_volumes() at define and at start. */
    char *src_pool;
    char *src_volume;
    /* type='vhostuser' (disk-vhostuser.c): the back end's UNIX socket;
     * src, src_pool and src_volume are then NULL. */
    char *vhost_path;
    unsigned int queues;        /* <driver queues>; 0: absent */
    unsigned int queue_size;    /* <driver queue_size>; 0: absent */
    char *dst;                  /* <target dev> */
    int bus;                    /* DomainDiskBus; -1 until post-parse */
    XmlTristate iommu;          /* <driver iommu> (iommu.c) */
    bool readonly;
    bool shareable;
    char *serial;
    DomainDiskIotune iotune;
    /* Live only: the detected backing chain, a GPtrArray of
     * DomainDiskBacking (empty: self-contained); NULL when not read. */
    GPtrArray *backing;
} DomainDiskDef;

/* disk-iotune.c: <iotune>, and its translation to CH's rate limiter
 * (only the total_* limits: CH has one bucket for reads and writes). */
bool domain_disk_iotune_parse(xmlNodePtr node, DomainDiskIotune *t,
                              GError **error);
void domain_disk_iotune_format(XmlBuf *buf, const DomainDiskIotune *t);
bool domain_disk_iotune_is_set(const DomainDiskIotune *t);
bool domain_disk_iotune_validate(const DomainDiskIotune *t, const char *dst,
                                 GError **error);
/* (transfer full) NULL when no limit is set. */
RateLimiterConfig *domain_disk_iotune_to_rate_limiter(
    const DomainDiskIotune *t);
/* Disks with one group_name have the same limits (libvirt's rule). */
bool domain_disk_iotune_validate_groups(const DomainDef *def, GError **error);

/* disk-volume.c: <disk type='volume'><source pool= volume=/> */
bool domain_disk_volume_parse(xmlNodePtr node, DomainDiskDef *disk,
                              GError **error);
void domain_disk_volume_format(XmlBuf *buf, const DomainDiskDef *disk);

/* vhostuser.c: the <source type='unix' path=> and the rules (absolute,
 * short enough, shared memory) of vhost-user disks and interfaces. */
bool domain_vhostuser_source_parse(xmlNodePtr node, const char *kind,
                                   const char *device, xmlNodePtr *src_out,
                                   char **path_out, GError **error);
bool domain_vhostuser_validate(const DomainDef *def, const char *who,
                               const char *socket_path, GError **error);

/* disk-vhostuser.c: <disk type='vhostuser'><source type='unix' path=/> */
bool domain_disk_vhostuser_parse(xmlNodePtr node, DomainDiskDef *disk,
                                 GError **error);
void domain_disk_vhostuser_format(XmlBuf *buf, const DomainDiskDef *disk);
/* The rules of a vhost-user disk in @def (shared memory, the options
 * that describe an image the back end owns); also run on a disk whose
 * <iotune> changes (blkdeviotune). */
bool domain_disk_vhostuser_validate(const DomainDef *def,
                                    const DomainDiskDef *disk,
                                    GError **error);
void domain_disk_vhostuser_to_config(const DomainDiskDef *def,
                                     DiskConfig *disk);

typedef enum {
    DOMAIN_NET_TYPE_ETHERNET,   /* a TAP nimbus opens (or makes) by name */
    DOMAIN_NET_TYPE_BRIDGE,     /* a TAP nimbusd makes on <source bridge> */
    DOMAIN_NET_TYPE_NETWORK,    /* ... on a libvirt network's bridge */
    DOMAIN_NET_TYPE_VHOSTUSER,  /* a vhost-user back end's (net-vhostuser.c) */
    DOMAIN_NET_TYPE_LAST
} DomainNetType;
ENUM_DECL(domain_net_type);

/* <source mode> of type='vhostuser': the hypervisor's side. */
typedef enum {
    DOMAIN_NET_VHOST_MODE_CLIENT,
    DOMAIN_NET_VHOST_MODE_SERVER,
    DOMAIN_NET_VHOST_MODE_LAST
} DomainNetVhostMode;
ENUM_DECL(domain_net_vhost_mode);

/* One direction of <bandwidth> (net-bandwidth.c): libvirt's attributes,
 * average/peak in KiB/s, burst in KiB; 0 is "absent", as in libvirt. */
typedef enum {
    DOMAIN_BANDWIDTH_AVERAGE,
    DOMAIN_BANDWIDTH_PEAK,
    DOMAIN_BANDWIDTH_FLOOR,
    DOMAIN_BANDWIDTH_BURST,
    DOMAIN_BANDWIDTH_LAST
} DomainBandwidthField;
ENUM_DECL(domain_bandwidth_field);

typedef struct {
    uint64_t v[DOMAIN_BANDWIDTH_LAST];
} DomainBandwidthRate;

/* <interface><bandwidth>: inbound is toward the guest, outbound from it. */
typedef struct {
    DomainBandwidthRate in;
    DomainBandwidthRate out;
} DomainNetBandwidth;

/* <interface type='ethernet'|'bridge'|'network'>: virtio-net on a TAP. */
typedef struct {
    DomainDeviceInfo info;
    int type;                   /* DomainNetType */
    /* type='network': <source network>; its bridge once started. */
    char *source_network;
    char *source_bridge;        /* type='bridge' (and 'network' live) */
    unsigned char mac[6];
    bool mac_set;               /* always true after post-parse */
    char *ifname;               /* <target dev>; NULL: nimbus creates one */
    XmlTristate managed;        /* <target managed> */
    char *model;                /* "virtio" after post-parse */
    uint32_t mtu;               /* 0: absent */
    char *ip_address;           /* host side of the TAP (CH net.ip) */
    int ip_prefix;              /* -1: absent */
    uint32_t queues;            /* <driver queues>; 0: absent */
    uint32_t rx_queue_size;
    uint32_t tx_queue_size;
    XmlTristate iommu;          /* <driver iommu> (iommu.c) */
    DomainNetBandwidth bandwidth;
    char *vhost_path;           /* type='vhostuser': <source path> */
    int vhost_mode;             /* DomainNetVhostMode */
} DomainNetDef;

/* net-bandwidth.c: <bandwidth>, and its translation to CH's net rate
 * limiter (one config for both directions: inbound must equal outbound). */
bool domain_net_bandwidth_parse(xmlNodePtr node, DomainNetBandwidth *b,
                                GError **error);
void domain_net_bandwidth_format(XmlBuf *buf, const DomainNetBandwidth *b);
bool domain_net_bandwidth_validate(const DomainNetBandwidth *b,
                                   const char *name, GError **error);
/* (transfer full) NULL when no limit is set. */
RateLimiterConfig *domain_net_bandwidth_to_rate_limiter(
    const DomainNetBandwidth *b);

/* net-vhostuser.c: <interface type='vhostuser'>'s <source>, its rules
 * (shared memory) and its part of a NetConfig. */
bool domain_net_vhostuser_parse(xmlNodePtr node, DomainNetDef *net,
                                GError **error);
void domain_net_vhostuser_format(XmlBuf *buf, const DomainNetDef *net);
bool domain_net_vhostuser_validate(const DomainDef *def,
                                   const DomainNetDef *net, GError **error);
void domain_net_vhostuser_to_config(const DomainNetDef *def, NetConfig *net);

/* net-source.c: the type and <source> of bridged interfaces. */
bool domain_net_source_parse(xmlNodePtr node, DomainNetDef *net,
                             GError **error);
void domain_net_source_format(XmlBuf *buf, const DomainNetDef *net);
/* domain_def_attach_nets() for one interface (nothing for 'ethernet'). */
bool domain_net_attach_one(DomainNetDef *net, DomainNetAttachFunc attach,
                           gpointer data, GPtrArray *created, GError **error);

ENUM_DECL(domain_chr_type);            /* "", "pty", "file" (DomainChrType) */

typedef enum {
    DOMAIN_SERIAL_TARGET_NONE,
    DOMAIN_SERIAL_TARGET_ISA,
    DOMAIN_SERIAL_TARGET_USB,
    DOMAIN_SERIAL_TARGET_PCI,
    DOMAIN_SERIAL_TARGET_SPAPR_VIO,
    DOMAIN_SERIAL_TARGET_SYSTEM,
    DOMAIN_SERIAL_TARGET_SCLP,
    DOMAIN_SERIAL_TARGET_ISA_DEBUG,
    DOMAIN_SERIAL_TARGET_LAST
} DomainSerialTarget;
ENUM_DECL(domain_serial_target);

typedef enum {
    DOMAIN_CONSOLE_TARGET_NONE,
    DOMAIN_CONSOLE_TARGET_SERIAL,
    DOMAIN_CONSOLE_TARGET_XEN,
    DOMAIN_CONSOLE_TARGET_UML,
    DOMAIN_CONSOLE_TARGET_VIRTIO,
    DOMAIN_CONSOLE_TARGET_LXC,
    DOMAIN_CONSOLE_TARGET_OPENVZ,
    DOMAIN_CONSOLE_TARGET_SCLP,
    DOMAIN_CONSOLE_TARGET_SCLPLM,
    DOMAIN_CONSOLE_TARGET_LAST
} DomainConsoleTarget;
ENUM_DECL(domain_console_target);

/* <serial> and <console>.  A console whose target type is 'serial' is an
 * alias of serial port 0 (libvirt's compat rule for hvm guests): it copies
 * that serial's source and is not a separate device. */
typedef struct {
    DomainDeviceInfo info;      /* alias only */
    DomainChrType type;
    char *path;                 /* file: path; pty: live /dev/pts/N or NULL */
    XmlTristate append;         /* <source append> (file) */
    char *log_file;             /* <log file>: pty output copied there */
    XmlTristate log_append;     /* <log append> */
    int target_type;            /* DomainSerialTarget / DomainConsoleTarget */
    int target_port;            /* -1 until post-parse */
    char *target_model;         /* serial <target><model name> */
} DomainChrDef;

typedef struct {
    DomainDeviceInfo info;
    char *model;                /* "virtio" */
    char *backend_path;         /* <backend model='random'>; default /dev/urandom */
    XmlTristate iommu;          /* <driver iommu> (iommu.c) */
} DomainRngDef;

typedef enum {
    DOMAIN_CONTROLLER_USB,
    DOMAIN_CONTROLLER_PCI,
    DOMAIN_CONTROLLER_LAST
} DomainControllerType;
ENUM_DECL(domain_controller_type);

/* Controllers are accepted and kept; nimbus has no USB and one PCI root. */
typedef struct {
    DomainDeviceInfo info;
    int type;                   /* DomainControllerType */
    int64_t index;              /* -1 until post-parse */
    char *model;
    int64_t ports;              /* usb; -1: absent */
    int64_t master_startport;   /* usb companion; -1: absent */
    GPtrArray *target;          /* pci <target> XmlAttr*; NULL: absent */
    char *model_name;           /* pci <model name> */
} DomainControllerDef;

typedef struct {
    DomainDeviceInfo info;
    char *model;                /* "virtio" or "none" */
    XmlTristate autodeflate;
    XmlTristate free_page_reporting;
    int64_t stats_period;       /* -1: absent */
} DomainMemballoonDef;

typedef struct {
    DomainDeviceInfo info;
    char *model;                /* "virtio" or absent */
    XmlTristate cid_auto;       /* <cid auto> */
    uint32_t cid;               /* <cid address>; 0: not chosen yet */
    XmlTristate iommu;          /* <driver iommu> */
    char *socket;               /* nimbus's host socket: set at start, no XML */
} DomainVsockDef;

typedef struct {
    DomainDeviceInfo info;
    char *model;                /* "pvpanic" */
} DomainPanicDef;

ENUM_DECL(domain_watchdog_action);

typedef struct {
    DomainDeviceInfo info;
    char *model;                /* "i6300esb" */
    int action;                 /* DomainWatchdogAction */
} DomainWatchdogDef;

/* shmem.c: <shmem>, always ivshmem-plain. */
typedef struct {
    DomainDeviceInfo info;
    char *name;                 /* the file /dev/shm/NAME */
    uint64_t size;              /* bytes, whole MiB */
} DomainShmemDef;

typedef struct {
    DomainDeviceInfo info;
    char *model;                /* "tpm-crb" */
    char *version;              /* <backend version>: "2.0" or absent */
    char *socket;               /* swtpm's control socket: set at start */
} DomainTpmDef;

/* memory.c: <memory model=...> devices (libvirt's "Memory devices"). */
typedef enum {
    DOMAIN_MEMORY_MODEL_DIMM,         /* ACPI memory hotplug (DIMM slots) */
    DOMAIN_MEMORY_MODEL_VIRTIO_MEM,   /* nimbus's one virtio-mem device */
    DOMAIN_MEMORY_MODEL_VIRTIO_PMEM,  /* a file-backed virtio-pmem */
    DOMAIN_MEMORY_MODEL_LAST
} DomainMemoryModel;
ENUM_DECL(domain_memory_model);

typedef enum {
    DOMAIN_MEMORY_ACCESS_SHARED,
    DOMAIN_MEMORY_ACCESS_PRIVATE,
    DOMAIN_MEMORY_ACCESS_LAST
} DomainMemoryAccess;
ENUM_DECL(domain_memory_access);

/* Sizes in KiB, as libvirt stores them. */
typedef struct {
    DomainDeviceInfo info;
    int model;                  /* DomainMemoryModel */
    int access;                 /* DomainMemoryAccess or -1: absent */
    char *source_path;          /* virtio-pmem <source><path> */
    uint64_t size_kib;          /* <target><size> */
    int64_t node;               /* <target><node>; -1: absent */
    uint64_t block_kib;         /* virtio-mem <block>; 0: absent */
    uint64_t requested_kib;     /* virtio-mem <requested> */
    /* virtio-mem: what the guest has plugged (live XML only, read from
     * vm.info at each dumpxml; never parsed). */
    uint64_t current_kib;
    bool has_current;
} DomainMemoryDef;

/* Device classes, in libvirt's output order inside <devices>. */
typedef enum {
    DOMAIN_DEVICE_DISK,
    DOMAIN_DEVICE_CONTROLLER,
    DOMAIN_DEVICE_FILESYSTEM,
    DOMAIN_DEVICE_NET,
    DOMAIN_DEVICE_SERIAL,
    DOMAIN_DEVICE_CONSOLE,
    DOMAIN_DEVICE_TPM,
    DOMAIN_DEVICE_WATCHDOG,
    DOMAIN_DEVICE_MEMBALLOON,
    DOMAIN_DEVICE_RNG,
    DOMAIN_DEVICE_PANIC,
    DOMAIN_DEVICE_SHMEM,
    DOMAIN_DEVICE_MEMORY,
    DOMAIN_DEVICE_IOMMU,
    DOMAIN_DEVICE_VSOCK,
    DOMAIN_DEVICE_LAST
} DomainDeviceType;

typedef struct {
    unsigned int flags;         /* DOMAIN_DEF_PARSE_* */
} DomainParseCtx;

typedef struct {
    unsigned int flags;         /* DOMAIN_DEF_FORMAT_* */
    bool live;                  /* !(flags & INACTIVE) */
    bool running;               /* live, and the domain runs (an id) */
} DomainFormatCtx;

/* disk-backing.c: <backingStore>, the live XML's backing chain; read only
 * from a live definition (ignored on define, as libvirt's drivers without
 * backing-chain input do). */
void domain_disk_backing_parse(xmlNodePtr node, DomainDiskDef *disk,
                               const DomainParseCtx *ctx);
void domain_disk_backing_format(XmlBuf *buf, const DomainDiskDef *disk,
                                const DomainFormatCtx *ctx);
/* Gives @to the chain nimbusd read for @from when both name the same
 * image (a given chain is input only), else none. */
void domain_disk_backing_keep(DomainDiskDef *to, const DomainDiskDef *from);

/* One device class: how its element is read, printed and freed. */
typedef struct {
    const char *element;        /* "disk" */
    gpointer (*parse)(xmlNodePtr node, const DomainParseCtx *ctx,
                      GError **error);
    void (*format)(XmlBuf *buf, gconstpointer dev, const DomainFormatCtx *ctx);
    void (*free)(gpointer dev);
    /* The common part, for alias and boot-order checks. */
    DomainDeviceInfo *(*info)(gpointer dev);
} DomainDeviceClass;

extern const DomainDeviceClass domain_disk_class;
extern const DomainDeviceClass domain_controller_class;
extern const DomainDeviceClass domain_net_class;
extern const DomainDeviceClass domain_serial_class;
extern const DomainDeviceClass domain_console_class;
extern const DomainDeviceClass domain_memballoon_class;
extern const DomainDeviceClass domain_rng_class;
extern const DomainDeviceClass domain_panic_class;
extern const DomainDeviceClass domain_vsock_class;
extern const DomainDeviceClass domain_tpm_class;
extern const DomainDeviceClass domain_memory_class;
extern const DomainDeviceClass domain_watchdog_class;
extern const DomainDeviceClass domain_shmem_class;          /* shmem.c */
extern const DomainDeviceClass domain_filesystem_class;   /* filesystem.c */
extern const DomainDeviceClass domain_iommu_class;        /* iommu.c */

void domain_disk_def_free(DomainDiskDef *disk);
void domain_net_def_free(DomainNetDef *net);
void domain_chr_def_free(DomainChrDef *chr);
void domain_rng_def_free(DomainRngDef *rng);
void domain_controller_def_free(DomainControllerDef *ctrl);
void domain_memballoon_def_free(DomainMemballoonDef *balloon);
void domain_panic_def_free(DomainPanicDef *panic);
void domain_vsock_def_free(DomainVsockDef *vsock);
void domain_tpm_def_free(DomainTpmDef *tpm);
void domain_memory_def_free(DomainMemoryDef *mem);
void domain_watchdog_def_free(DomainWatchdogDef *wd);
void domain_shmem_def_free(DomainShmemDef *shmem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainDiskDef, domain_disk_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainNetDef, domain_net_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainChrDef, domain_chr_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainRngDef, domain_rng_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainControllerDef, domain_controller_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainMemballoonDef, domain_memballoon_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainPanicDef, domain_panic_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainVsockDef, domain_vsock_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainTpmDef, domain_tpm_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainMemoryDef, domain_memory_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainWatchdogDef, domain_watchdog_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainShmemDef, domain_shmem_def_free)

/* <watchdog> as "nimbus_watchdog" in @config (watchdog.c). */
bool domain_watchdog_fill_vmconfig(VmConfig *config, const DomainDef *def,
                                   GError **error);
/* <shmem> as "ivshmem" in @config (shmem.c). */
bool domain_shmem_fill_vmconfig(VmConfig *config, const DomainDef *def,
                                GError **error);
/* Creates @path (0600) if missing and grows it to @size bytes if it is
 * smaller, as QEMU's memory-backend-file does (shmem.c; tests). */
bool domain_shmem_prepare_file(const char *path, uint64_t size,
                               GError **error);

/* Indexed by DomainDeviceType. */
extern const DomainDeviceClass *const domain_device_classes[DOMAIN_DEVICE_LAST];

/* <memoryBacking> (memory-backing.c, memory-backing.h). */
typedef struct DomainMemoryBackingDef DomainMemoryBackingDef;
/* <cpu><numa> and <numatune> (numa.c, numa.h). */
typedef struct DomainNumaDef DomainNumaDef;

typedef struct {
    DomainVirtType virt_type;
    bool has_uuid;              /* given or generated (always after post-parse) */
    xmlDocPtr metadata;         /* root: a copy of <metadata>; NULL if absent */
    XmlTristate mem_dump_core;  /* <memory dumpCore> */
    uint64_t maxmem_kib;        /* <maxMemory>; 0: absent */
    uint32_t maxmem_slots;      /* <maxMemory slots>; 0: absent */
    DomainMemoryBackingDef *mem_backing;    /* NULL: absent */
    DomainNumaDef *numa;        /* NULL: no <cpu><numa> nor <numatune> */
    DomainOsDef os;
    bool features[DOMAIN_FEATURE_LAST];
    XmlTristate apic_eoi;       /* <apic eoi> */
    DomainCpuDef cpu;
    DomainCputuneDef cputune;
    DomainSysinfoDef sysinfo;
    DomainClockDef clock;
    XmlTristate pm_suspend_to_mem;
    XmlTristate pm_suspend_to_disk;
    char *emulator;             /* kept, ignored: nimbusd runs nimbus */
    GPtrArray *devices[DOMAIN_DEVICE_LAST];
} DomainDefPriv;

static inline DomainDefPriv *
domain_def_priv(const DomainDef *def)
{
    return def->priv;
}

static inline guint
domain_def_ndevices(const DomainDef *def, DomainDeviceType t)
{
    return domain_def_priv(def)->devices[t]->len;
}

static inline gpointer
domain_def_device(const DomainDef *def, DomainDeviceType t, guint i)
{
    return g_ptr_array_index(domain_def_priv(def)->devices[t], i);
}

/* device-info.c */
bool domain_device_info_parse(xmlNodePtr node, DomainDeviceInfo *info,
                              bool allow_boot, const DomainParseCtx *ctx,
                              GError **error);
void domain_device_info_format(XmlBuf *buf, const DomainDeviceInfo *info);
void domain_device_info_clear(DomainDeviceInfo *info);
GPtrArray *xml_attrs_collect(xmlNodePtr node, const char *skip);
void xml_attrs_format(XmlBuf *buf, const GPtrArray *attrs);

/* os.c */
bool domain_os_parse(xmlNodePtr node, DomainOsDef *os, GError **error);
void domain_os_format(XmlBuf *buf, const DomainOsDef *os);
void domain_os_clear(DomainOsDef *os);

/* cpu.c: <cpu> and <clock> */
bool domain_cpu_parse(xmlNodePtr node, DomainCpuDef *cpu, GError **error);
/* @numa: its cells go inside <cpu> (NULL: none). */
void domain_cpu_format(XmlBuf *buf, const DomainCpuDef *cpu,
                       const DomainNumaDef *numa);
bool domain_clock_parse(xmlNodePtr node, DomainClockDef *clock,
                        GError **error);
void domain_clock_format(XmlBuf *buf, const DomainClockDef *clock);
void domain_clock_init(DomainClockDef *clock);
void domain_clock_clear(DomainClockDef *clock);

/* memory.c: <maxMemory> and the rules across memory devices. */
bool domain_maxmem_parse(xmlNodePtr node, DomainDefPriv *priv,
                         GError **error);
void domain_maxmem_format(XmlBuf *buf, const DomainDefPriv *priv);
bool domain_memory_validate(const DomainDef *def, GError **error);
/* A copy of @def whose <memory> has room for the memory device @node
 * (libvirt's attach accounting), or NULL with @error.  (transfer full) */
DomainDef *domain_memory_def_grown(const DomainDef *def, xmlNodePtr node,
                                   GError **error);
/* (transfer none) @def's virtio-mem device, or NULL. */
DomainMemoryDef *domain_def_virtio_mem(const DomainDef *def);
/* The RAM of @def's VmConfig memory.size, KiB: <memory> less every
 * memory device's size, plus the DIMMs (which boot as RAM). */
uint64_t domain_def_memory_boot_kib(const DomainDef *def);
/* Whether @def has memory devices or <maxMemory>: its memory is then
 * mapped by memory.c's rules rather than the plain ones. */
bool domain_def_has_memory_hotplug(const DomainDef *def);

/* unsupported.c */
bool domain_xml_check_unsupported(xmlNodePtr root, GError **error);

/* schema.c */
bool domain_xml_schema_validate(xmlDocPtr doc, GError **error);
/* Directory holding domain.rng: $NIMBUS_SCHEMA_DIR or the installed one. */
const char *domain_xml_schema_dir(void);

/* postparse.c, validate.c, format.c */
bool domain_def_postparse(DomainDef *def, GError **error);
bool domain_def_validate(const DomainDef *def, GError **error);
/* Generates a MAC in 52:54:00:xx:xx:xx, libvirt's (and QEMU's) range. */
void domain_mac_generate(unsigned char mac[6]);

/* vmconfig.c: one disk or interface as nimbus knows it (hotplug). */
char *domain_device_vmm_id(const DomainDef *def, DomainDeviceType type,
                           guint index);
char *domain_device_vmconfig_json(const DomainDef *def, DomainDeviceType type,
                                  guint index);

/* vmconfig.c: one virtio-pmem (memory device @index) as nimbus knows it. */
char *domain_memory_vmm_id(const DomainDef *def, guint index);
/* (transfer full) a PmemConfig entry of the "pmem" config kind. */
gpointer domain_memory_pmem_entry(const DomainDef *def, guint index,
                                  GError **error);

/* domain.c: the DomainDef allocation helpers. */
DomainDef *domain_def_new_empty(void);

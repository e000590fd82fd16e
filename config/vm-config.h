/* SPDX-License-Identifier: Apache-2.0 */
/* VmConfig: the one VM description shared by the CLI, REST, D-Bus and snapshots. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

/*
 * The structs mirror Cloud Hypervisor's VmConfig JSON schema
 * (../shared/reference/cloud-hypervisor-openapi.yaml): field names are the
 * JSON keys.  Fields nimbus does not implement yet are not represented: the
 * JSON parser refuses them with a "not supported yet" error when they carry
 * a non-default value, and accepts them when absent, null or default, so
 * that configs produced by CH tooling still load.
 *
 * Strings are owned (g_free).  Arrays are GPtrArray with the element's
 * free function set.  After vm_config_validate() the config is complete:
 * every default is filled in and every id is assigned.
 *
 * Each struct is described once, by its field table in vm-config-schema.c
 * (JSON key, CLI key, kind, bounds, default, flags); JSON parse and
 * format, the CLI parsers, defaults, copy and free are all derived from
 * it.  A new member needs exactly one line there (see the comment above
 * the tables); rules between fields stay in vm-config-validate.c.
 */

#define VM_CONFIG_CMDLINE_MAX 0x10000   /* CH: cmdline at 0x20000, 64 KiB */
#define VM_CONFIG_MAX_VCPUS 8192        /* CH's KVM x86_64 limit */
#define VM_CONFIG_DEVICE_SLOTS 16       /* VmConfig.devices */

typedef enum {
    CONSOLE_MODE_OFF,
    CONSOLE_MODE_PTY,
    CONSOLE_MODE_TTY,
    CONSOLE_MODE_FILE,
    CONSOLE_MODE_SOCKET,
    CONSOLE_MODE_NULL,
    CONSOLE_MODE_LAST
} ConsoleMode;

/* "Off", "Pty", ... as in the JSON schema; NULL for an out-of-range value. */
const char *console_mode_to_string(ConsoleMode mode);
/* Case-insensitive; returns -1 for an unknown name. */
int console_mode_from_string(const char *name);

/* Serial (16550), virtio-console and the 0xe9 debug console. */
typedef struct {
    ConsoleMode mode;
    char *file;       /* mode File: output path (a Pty's path is a runtime fact) */
    char *socket;     /* mode Socket: UNIX socket path the VMM listens on */
    bool iommu;       /* console only: behind the virtio-iommu */
    char *id;         /* console only */
    uint64_t iobase;  /* debug console only: 0xe9 by default */
} ConsoleConfig;

typedef struct {
    uint32_t threads_per_core;
    uint32_t cores_per_die;
    uint32_t dies_per_package;
    uint32_t packages;
} CpuTopology;

typedef struct {
    uint32_t vcpu;
    GArray *host_cpus;  /* uint32_t */
} CpuAffinity;

typedef struct {
    uint32_t boot_vcpus;          /* default 1 */
    uint32_t max_vcpus;           /* default boot_vcpus */
    CpuTopology *topology;        /* NULL: derived (1 thread, max cores, 1 die, 1 package) */
    bool kvm_hyperv;              /* must be false for now */
    uint8_t max_phys_bits;        /* default 46 */
    bool nested;                  /* default true */
    GPtrArray *affinity;          /* CpuAffinity* */
} CpusConfig;

/* How RAM beyond the boot size reaches the guest (CH's HotplugMethod). */
typedef enum {
    MEMORY_HOTPLUG_ACPI,          /* DIMM slots, ACPI memory devices */
    MEMORY_HOTPLUG_VIRTIO_MEM,    /* one virtio-mem device (virtio 24) */
    MEMORY_HOTPLUG_LAST
} MemoryHotplugMethod;

/* CH's MemoryZoneConfig (--memory-zone): a part of guest RAM with its
 * own backing, which a NUMA node (NumaConfig) may claim.  With zones,
 * MemoryConfig.size is 0 and RAM is the zones, laid out in order. */
typedef struct {
    char *id;                     /* required, unique among zones */
    uint64_t size;                /* bytes, required */
    char *file;                   /* backing file; NULL: anonymous/memfd */
    bool mergeable;               /* KSM (MADV_MERGEABLE) */
    bool shared;                  /* memfd (or file) MAP_SHARED */
    bool hugepages;
    uint64_t hugepage_size;       /* 0: the system default */
    int host_numa_node;           /* -1: none; else mbind(MPOL_BIND) */
    uint64_t hotplug_size;        /* 0: none; else its own virtio-mem
                                   * device (id: the zone's) and region */
    uint64_t hotplugged_size;     /* of hotplug_size, plugged (requested) */
    bool prefault;                /* MAP_POPULATE */
    bool reserve;                 /* false: MAP_NORESERVE */
} MemoryZoneConfig;

/* CH's NumaDistance: the SLIT distance from a node to @destination. */
typedef struct {
    uint32_t destination;         /* a guest_numa_id */
    uint32_t distance;            /* 10 (local) .. 254; 255: unreachable */
} NumaDistance;

/* CH's NumaConfig (--numa): a guest NUMA node, described by SRAT/SLIT. */
typedef struct {
    uint32_t guest_numa_id;       /* unique */
    GArray *cpus;                 /* uint32_t vCPU indexes, never NULL */
    GPtrArray *distances;         /* NumaDistance*; NULL if none */
    char **memory_zones;          /* MemoryZoneConfig ids; NULL if none */
} NumaConfig;

typedef struct {
    uint64_t size;                /* bytes, default 512 MiB; 0 with zones */
    uint64_t hotplug_size;        /* 0: no hotplug region */
    uint64_t hotplugged_size;     /* of hotplug_size, plugged (requested) */
    MemoryHotplugMethod hotplug_method;   /* default Acpi */
    bool mergeable;               /* KSM (MADV_MERGEABLE) */
    bool shared;                  /* memfd MAP_SHARED */
    bool hugepages;
    uint64_t hugepage_size;       /* 0: the system default */
    bool prefault;                /* MAP_POPULATE */
    bool reserve;                 /* false: MAP_NORESERVE */
    bool thp;                     /* default true: MADV_HUGEPAGE */
    GPtrArray *zones;             /* MemoryZoneConfig*, never NULL */
} MemoryConfig;

/* CH's FwCfgItem: one fw_cfg file, @name (under "opt/") with the
 * contents of the host file @file or the bytes of @string (exactly one of
 * them; config/vm-config-fwcfg.c has the rules). */
typedef struct {
    char *name;
    char *file;
    char *string;
} FwCfgItemConfig;

/* CH's FwCfgItemList: JSON {"item_list": [...]}. */
typedef struct {
    GPtrArray *item_list;         /* FwCfgItemConfig*, NULL when unset */
} FwCfgItemListConfig;

/* CH's FwCfgConfig (--fw-cfg-config, payload.fw_cfg_config): which
 * payload parts and files the fw_cfg device (devices/legacy/fw-cfg.c)
 * exposes.  acpi_tables accepts only false (not supported yet). */
typedef struct {
    bool e820;                    /* etc/e820 */
    bool kernel;                  /* the kernel's setup and body keys */
    bool cmdline;                 /* the command line keys */
    bool initramfs;               /* the initrd keys */
    bool acpi_tables;
    FwCfgItemListConfig *items;   /* NULL when none */
} FwCfgConfig;

typedef struct {
    char *firmware;
    char *kernel;
    char *cmdline;
    char *initramfs;
    FwCfgConfig *fw_cfg_config;   /* NULL: no fw_cfg device */
} PayloadConfig;

/* CH's TokenBucket: @size tokens refilled in @refill_time ms, plus a
 * @one_time_burst spent first (devices/virtio/rate-limiter.h). */
typedef struct {
    uint64_t size;
    uint64_t one_time_burst;      /* 0: none */
    uint64_t refill_time;         /* ms */
} TokenBucketConfig;

/* CH's RateLimiterConfig: either bucket may be absent (NULL). */
typedef struct {
    TokenBucketConfig *bandwidth; /* bytes */
    TokenBucketConfig *ops;       /* requests */
} RateLimiterConfig;

/* CH's RateLimitGroupConfig (--rate-limit-group): a limiter that the
 * disks naming @id share. */
typedef struct {
    char *id;
    RateLimiterConfig *rate_limiter_config;
} RateLimitGroupConfig;

typedef enum {
    IMAGE_TYPE_RAW,
    IMAGE_TYPE_QCOW2,
    IMAGE_TYPE_FIXED_VHD,
    IMAGE_TYPE_VHDX,
    IMAGE_TYPE_UNKNOWN,   /* autodetect */
    IMAGE_TYPE_LAST
} ImageType;

typedef struct {
    char *path;
    bool readonly;
    bool direct;
    bool iommu;
    uint32_t num_queues;          /* default 1 */
    uint32_t queue_size;          /* default 128, power of two */
    RateLimiterConfig *rate_limiter_config;  /* NULL: not limited */
    char *id;                     /* default "_disk<N>" */
    char *serial;
    char *rate_limit_group;       /* a rate_limit_groups id, or NULL */
    ImageType image_type;         /* default UNKNOWN (autodetect) */
    bool backing_files;           /* may open the image's backing files */
    uint16_t pci_segment;
    int pci_device_id;            /* -1: allocate */
    /* A vhost-user-blk front end: the back end on @vhost_socket serves
     * the disk, and @path stays NULL (vm-config-validate.c). */
    bool vhost_user;
    char *vhost_socket;
} DiskConfig;

/*
 * Net "fds" (pre-opened TAP fds, CH's NetConfig.fds) travel as follows.
 * CLI: "--net fd=[3,4]" names fds nimbus inherited; they are real numbers.
 * JSON (vm.create, vm.add-net): a number cannot name an fd across a socket,
 * so, as CH does, the JSON array only says how many fds a net takes: its
 * values are ignored and parsed as -1 placeholders, and the real fds ride
 * along as SCM_RIGHTS ancillary data.  The REST layer hands them, in the
 * order received, to vm_config_attach_net_fds() (or net_config_attach_fds()),
 * which fills the placeholders net by net, in array order, before
 * vm_config_validate().  Serialising writes -1 placeholders again (the
 * numbers mean nothing outside this process).  D-Bus carries no fds: nets
 * with fds are refused there.  The config never owns (closes) these fds.
 */
typedef struct {
    char *tap;                    /* NULL: auto "vmtap%d" */
    char *ip;                     /* host side address, optional */
    char *mask;
    char *mac;                    /* guest MAC "xx:..."; NULL: random local */
    char *host_mac;
    uint32_t mtu;                 /* 0: unset */
    GArray *fds;                  /* int, pre-opened TAP fds; NULL if none */
    /* NULL: not limited; else one limiter for RX and one for TX (CH). */
    RateLimiterConfig *rate_limiter_config;
    bool iommu;
    uint32_t num_queues;          /* default 2 (one RX/TX pair) */
    uint32_t queue_size;          /* default 256 */
    char *id;                     /* default "_net<N>" */
    uint16_t pci_segment;
    int pci_device_id;            /* -1: allocate */
    bool offload_tso;             /* default true */
    bool offload_ufo;             /* default true */
    bool offload_csum;            /* default true */
    /* A vhost-user-net front end: the back end on @vhost_socket serves
     * the queues; @vhost_mode NULL (CH's "Client": nimbus connects) or
     * "Server" (nimbus listens and waits for the back end). */
    bool vhost_user;
    char *vhost_socket;
    char *vhost_mode;
} NetConfig;

typedef struct {
    char *src;                    /* default /dev/urandom */
    bool iommu;
    char *id;                     /* default "__rng" */
} RngConfig;

/* CH's PlatformConfig: the SMBIOS identity the guest reads (--platform).
 * Unset strings are NULL; the SMBIOS builder (arch/) picks the defaults. */
typedef struct {
    char *system_serial_number;
    char *serial_number;          /* CH's older name: used when the above
                                   * is unset */
    char *system_uuid;            /* validated: a UUID */
    char *uuid;                   /* CH's older name, likewise */
    char **oem_strings;           /* NULL when none */
    char *system_manufacturer;
    char *system_product_name;
    char *system_version;
    char *system_family;
    char *system_sku_number;
    char *chassis_asset_tag;
    /* The virtio-iommu's input range is [0, 2^bits - 1] (CH's
     * iommu_address_width_bits; CLI iommu_address_width). */
    uint32_t iommu_address_width_bits;
    /* CH's iommu_segments: the PCI segments whose every function the
     * virtio-iommu translates (uint32_t; NULL: none).  nimbus has segment
     * 0 only. */
    GArray *iommu_segments;
} PlatformConfig;

/* CH's LandlockConfig (--landlock-rules path=,access=). */
typedef struct {
    char *path;
    char *access;                 /* "r", "w" or "rw" (vm_config_validate) */
} LandlockConfig;

typedef struct {
    CpusConfig cpus;
    MemoryConfig memory;
    PayloadConfig payload;
    GPtrArray *rate_limit_groups; /* RateLimitGroupConfig*, NULL if none */
    GPtrArray *disks;             /* DiskConfig*, never NULL */
    GPtrArray *net;               /* NetConfig*, never NULL */
    RngConfig rng;
    ConsoleConfig serial;         /* default Null */
    ConsoleConfig console;        /* default Tty */
    ConsoleConfig debug_console;  /* default Off, iobase 0xe9 */
    GPtrArray *numa;              /* NumaConfig*, never NULL */
    bool iommu;                   /* the VM has a virtio-iommu; validation
                                   * sets it when a device has iommu=on */
    bool watchdog;
    bool pvpanic;
    PlatformConfig *platform;     /* NULL when not given */
    bool landlock_enable;
    GPtrArray *landlock_rules;    /* LandlockConfig*, never NULL */
    /* The devices of kinds described in their own files (V_DEVICE lines
     * of the table, vm-config-kind.h): one list of entries per slot, NULL
     * when there are none.  Reach them through vm_config_kind_*(). */
    GPtrArray *devices[VM_CONFIG_DEVICE_SLOTS];
} VmConfig;

/* A config with CH's defaults (what an empty CLI or "{}" plus payload gives). */
VmConfig *vm_config_new(void);
void vm_config_free(VmConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmConfig, vm_config_free)
/* Deep copy; fds are copied as numbers (not dup'ed). */
VmConfig *vm_config_copy(const VmConfig *config);

void disk_config_free(DiskConfig *disk);
void landlock_config_free(LandlockConfig *rule);
void net_config_free(NetConfig *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DiskConfig, disk_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NetConfig, net_config_free)

/**
 * vm_config_from_json:
 * Parses a VmConfig JSON document (vm.create body, D-Bus VmCreate argument,
 * snapshot config.json).  Strict: wrong types, out-of-range numbers, unknown
 * keys and unsupported features are errors (G_IO_ERROR_INVALID_ARGUMENT)
 * whose message names the field by its JSON path ("cpus.boot_vcpus").
 * Defaults are filled in; the result is not yet validated.
 */
VmConfig *vm_config_from_json(const char *json, gssize len, GError **error);
VmConfig *vm_config_from_json_node(JsonNode *node, GError **error);
/* Serialises with every field present (defaults included), as CH does. */
JsonNode *vm_config_to_json_node(const VmConfig *config);
char *vm_config_to_json(const VmConfig *config, bool pretty);

/* Disk/net configs alone (vm.add-disk / vm.add-net bodies). */
DiskConfig *disk_config_from_json_node(JsonNode *node, GError **error);
NetConfig *net_config_from_json_node(JsonNode *node, GError **error);

/**
 * vm_config_validate:
 * Checks every rule that needs no host (boot <= max, topology product ==
 * max, queue sizes, cmdline length, duplicate ids, console/serial both on
 * the same tty, features not supported yet such as non-raw
 * images...) and assigns default device ids.  It opens nothing, so nimbusd
 * runs it at define time too; vm_config_check_host() does the rest at
 * vm.create.  Devices trust a config that passed both.  Errors are
 * G_IO_ERROR_INVALID_ARGUMENT, one line naming the option and value.
 */
bool vm_config_validate(VmConfig *config, GError **error);

/*
 * Additions for the implementation (vm-config*.c).
 */
#define VM_CONFIG_QUEUE_SIZE_MAX 32768  /* virtio 1.2 §2.7: split ring */
/* The boot structures (zero page, cmdline, page tables) live below 1 MiB. */
#define VM_CONFIG_MEMORY_MIN (1ULL << 20)

DiskConfig *disk_config_new(void);            /* CH's defaults */
NetConfig *net_config_new(void);
DiskConfig *disk_config_copy(const DiskConfig *disk);
NetConfig *net_config_copy(const NetConfig *net);
/* Whether the VM gets a virtio-iommu: the top-level iommu, a device
 * behind it (a disk, net, the rng or the virtio console with iommu=on), or
 * --platform iommu_segments (even empty, as in CH). */
bool vm_config_wants_iommu(const VmConfig *config);
/* The id of @config's first vhost_user disk, NULL when it has none
 * (transfer none): snapshots and migration refuse such a VM. */
const char *vm_config_vhost_user_disk(const VmConfig *config);
/* The id of @config's first vhost_user net, NULL when it has none. */
const char *vm_config_vhost_user_net(const VmConfig *config);

/* virtio-mem's granularity: what desired_ram and hotplugged_size are
 * multiples of (Linux needs at least 2 MiB, a huge page). */
#define VM_CONFIG_VIRTIO_MEM_BLOCK (2ULL << 20)
/* hotplug_size: a multiple of the 128 MiB memory block Linux adds memory
 * in, and at most 1 TiB (the bound of the plugged-block bitmap a snapshot
 * carries). */
#define VM_CONFIG_HOTPLUG_ALIGN (128ULL << 20)
#define VM_CONFIG_HOTPLUG_MAX (1ULL << 40)
/* hotplug_method=acpi cuts the region into at most this many DIMM slots
 * (QEMU's ACPI limit too), each described by its own DSDT device. */
#define VM_CONFIG_ACPI_DIMM_SLOTS_MAX 256u

/* The DIMM slot of an ACPI hotplug region of @hotplug_size bytes: the
 * 128 MiB memory block, doubled until the region needs at most
 * VM_CONFIG_ACPI_DIMM_SLOTS_MAX slots.  vm.resize adds whole slots. */
static inline uint64_t
vm_config_acpi_slot_size(uint64_t hotplug_size)
{
    uint64_t slot = VM_CONFIG_HOTPLUG_ALIGN;

    while (hotplug_size / slot > VM_CONFIG_ACPI_DIMM_SLOTS_MAX)
        slot <<= 1;
    return slot;
}

/* "Acpi", "VirtioMem" as in the JSON schema; NULL when out of range. */
const char *memory_hotplug_method_to_string(MemoryHotplugMethod method);
/* JSON spelling, case-insensitive; -1 when unknown. */
int memory_hotplug_method_from_string(const char *name);

/* "Raw", "Qcow2", ... as in the JSON schema; NULL when out of range. */
const char *image_type_to_string(ImageType type);
/* JSON spelling, case-insensitive; -1 when unknown. */
int image_type_from_string(const char *name);

/* The topology the guest sees: cpus->topology, or the derived default. */
void vm_config_cpu_topology(const CpusConfig *cpus, CpuTopology *out);

/* A free default id "<prefix><N>" (N smallest unused), e.g. for hotplug:
 * vm_config_next_device_id(config, "_disk").  (transfer full) */
char *vm_config_next_device_id(const VmConfig *config, const char *prefix);

/* A random locally administered unicast MAC, as CH's
 * MacAddr::local_random() picks one for a net given none: the one
 * generator, for validation's defaults and devices alike.  Inline so that
 * devices/ need not link libvmconfig.a for it. */
static inline void
vm_config_mac_random(uint8_t mac[6])
{
    int i;

    for (i = 0; i < 6; i++)
        mac[i] = (uint8_t)g_random_int_range(0, 256);
    /* IEEE 802: bit 0 clear = unicast, bit 1 set = locally administered. */
    mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
}
/* The same, spelled "xx:xx:xx:xx:xx:xx" (transfer full). */
char *vm_config_mac_random_string(void);

/* See the comment above NetConfig: fills the -1 placeholders of every
 * net's fds, in order, from @fds; the counts must match exactly. */
bool vm_config_attach_net_fds(VmConfig *config, const int *fds, guint n_fds,
                              GError **error);
bool net_config_attach_fds(NetConfig *net, const int *fds, guint n_fds,
                           GError **error);

/* How the VMM uses a host path its config names (Landlock's ruleset is
 * built from these, daemon/landlock.c). */
typedef enum {
    VM_PATH_READ,         /* payload files, the rng source */
    VM_PATH_READ_WRITE,   /* disk images */
    VM_PATH_CREATE,       /* console/serial output files (may not exist) */
    VM_PATH_SOCKET,       /* UNIX sockets the VMM binds */
} VmPathAccess;

/* @field: the JSON key ("disks.path") naming @path. */
typedef void (*VmConfigPathFunc)(const char *path, VmPathAccess access,
                                 const char *field, gpointer data);

/* Every host path @config names, with how it is used; the table lines
 * say which fields are paths (vm-config-schema.c, VF_PATH_*).  The
 * landlock_rules themselves are not reported. */
void vm_config_foreach_path(const VmConfig *config, VmConfigPathFunc func,
                            gpointer data);

/* How validation errors name things: by JSON path ("cpus: boot_vcpus=4 is
 * greater than max_vcpus=2") or by CLI option ("--cpus: boot=4 is greater
 * than max=2").  vm_config_validate() uses the JSON names. */
typedef enum {
    VM_CONFIG_NAMES_JSON,
    VM_CONFIG_NAMES_CLI,
} VmConfigNames;

/* vm_config_validate() with a choice of names.  On error @config is left
 * exactly as it was (no id or default half-assigned). */
bool vm_config_validate_full(VmConfig *config, VmConfigNames names,
                             GError **error);
/**
 * vm_config_check_host:
 * The checks that need the host, run once at vm.create after
 * vm_config_validate(): the payload, disk and rng files exist and open as
 * the devices will open them (a writable image for a read-write disk), no
 * image is used twice (G_IO_ERROR_EXISTS), the net fds are open.  Errors
 * name the field as vm_config_validate_full() does.
 */
bool vm_config_check_host(const VmConfig *config, VmConfigNames names,
                          GError **error);

/*
 * CH CLI grammar: "key=value,key=value", lists "[a,b]", sizes with K/M/G,
 * toggles on/off/true/false.  Each parser fills in a config for one option
 * and reports errors as "--cpus: unknown key 'foo'" (G_IO_ERROR_INVALID_ARGUMENT).
 */
bool vm_config_parse_cpus(CpusConfig *cpus, const char *arg, GError **error);
bool vm_config_parse_memory(MemoryConfig *mem, const char *arg, GError **error);
bool vm_config_parse_console(ConsoleConfig *con, const char *option,
                             const char *arg, GError **error);
DiskConfig *vm_config_parse_disk(const char *arg, GError **error);
NetConfig *vm_config_parse_net(const char *arg, GError **error);
bool vm_config_parse_rng(RngConfig *rng, const char *arg, GError **error);
/* One "--landlock-rules path=<path>,access=r|w|rw", appended to
 * @config's rules. */
bool vm_config_parse_landlock_rule(VmConfig *config, const char *arg,
                                   GError **error);
/* "512M", "1G", "4096": bytes; overflow and junk are errors. */
bool vm_config_parse_size(const char *s, uint64_t *out, GError **error);

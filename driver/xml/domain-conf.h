/* SPDX-License-Identifier: Apache-2.0 */
/* DomainDef: libvirt domain XML parsed into a model (parse → postparse → validate → format). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "driver/drv-error.h"

/*
 * Contract between the XML model (driver/xml/, xml-schemas/) and the rest of
 * nimbusd.  The XML side may add fields and functions; the ones below keep
 * their meaning.  Errors use DRV_ERROR with libvirt's codes:
 * DRV_ERROR_XML_ERROR (malformed XML or schema violation),
 * DRV_ERROR_CONFIG_UNSUPPORTED (valid libvirt XML nimbus cannot run; the
 * message names the element), DRV_ERROR_INVALID_ARG (bad values).
 */

typedef enum {
    DOMAIN_LIFECYCLE_DESTROY,
    DOMAIN_LIFECYCLE_RESTART,
    DOMAIN_LIFECYCLE_PRESERVE,
    DOMAIN_LIFECYCLE_RENAME_RESTART,
    DOMAIN_LIFECYCLE_COREDUMP_DESTROY,
    DOMAIN_LIFECYCLE_COREDUMP_RESTART,
    DOMAIN_LIFECYCLE_LAST
} DomainLifecycleAction;

typedef enum {
    DOMAIN_CHR_NONE,      /* not configured */
    DOMAIN_CHR_PTY,
    DOMAIN_CHR_FILE,
    DOMAIN_CHR_LAST
} DomainChrType;

typedef struct DomainDef DomainDef;

/* Flags for domain_def_parse_string(). */
#define DOMAIN_DEF_PARSE_VALIDATE (1u << 0)  /* VIR_DOMAIN_DEFINE_VALIDATE: schema errors fatal */
#define DOMAIN_DEF_PARSE_INACTIVE (1u << 1)  /* ignore live-only data (ids, pty paths) */

/* Flags for domain_def_format(): libvirt's VIR_DOMAIN_XML_* values. */
#define DOMAIN_DEF_FORMAT_SECURE   (1u << 0)
#define DOMAIN_DEF_FORMAT_INACTIVE (1u << 1)
#define DOMAIN_DEF_FORMAT_MIGRATABLE (1u << 3)

/**
 * DomainDef:
 * The fields nimbusd's lifecycle code reads.  Owned strings; uuid is raw.
 */
struct DomainDef {
    char *name;
    unsigned char uuid[16];
    char *title;
    char *description;
    uint64_t max_memory_kib;       /* <memory> */
    uint64_t current_memory_kib;   /* <currentMemory>, defaults to memory */
    uint32_t vcpus;                /* <vcpu current=...> or <vcpu> */
    uint32_t max_vcpus;            /* <vcpu> */
    DomainLifecycleAction on_poweroff;
    DomainLifecycleAction on_reboot;
    DomainLifecycleAction on_crash;
    /* The console the client gets with DOMAIN_OPEN_CONSOLE: serial first. */
    DomainChrType serial_type;
    char *serial_path;             /* pty: live /dev/pts/N (NULL when inactive); file: path */
    DomainChrType console_type;    /* a <console> that is not an alias of the serial */
    char *console_path;
    /* <log file=... append=...> of those ptys: nimbusd copies the guest's
     * output there while the domain runs (driver/console-log.c). */
    char *serial_log;
    bool serial_log_append;
    char *console_log;
    bool console_log_append;
    /* Everything else (devices, os, cpu, metadata...) lives in the XML
     * module's private part. */
    gpointer priv;
};

DomainDef *domain_def_parse_string(const char *xml, unsigned int flags,
                                   GError **error);
/* @id: the running id, or -1 when inactive (no id attribute). */
char *domain_def_format(const DomainDef *def, int id, unsigned int flags,
                        GError **error);
DomainDef *domain_def_copy(const DomainDef *def);

/*
 * Domain names become file names under the config and state directories
 * ("<name>.xml", "<name>.sock.lock"; written through a ".XXXXXX" temp
 * file) and are shown by every tool: at most DOMAIN_NAME_MAX bytes so that
 * the longest of those stays within NAME_MAX (255).
 */
#define DOMAIN_NAME_MAX (255 - 10 /* ".sock.lock" */ - 7 /* ".XXXXXX" */)

/**
 * domain_name_check:
 * The one rule for domain names, for every path that takes one (define,
 * createXML, rename): not empty, at most DOMAIN_NAME_MAX bytes, no '/',
 * not starting with '.' (hidden files, "." and ".."), no control
 * characters (C0, DEL, C1), no bidirectional formatting characters (a
 * U+202E makes `virsh list` lie), no leading or trailing white space.
 * Errors are DRV_ERROR_INVALID_ARG and name the problem.
 */
bool domain_name_check(const char *name, GError **error);
void domain_def_free(DomainDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainDef, domain_def_free)

/**
 * domain_def_to_vmconfig_json:
 * Translates @def into the nimbus VmConfig JSON body of vm.create (Cloud
 * Hypervisor's schema).  Interfaces become "net" entries naming their
 * TAP device (tap=<target dev>), which nimbus opens itself.
 */
char *domain_def_to_vmconfig_json(const DomainDef *def, GError **error);
/**
 * domain_def_check_vmconfig:
 * Runs nimbus's vm_config_validate() on @def's VmConfig: every rule that
 * needs no host (queue sizes, features not supported yet, an IPv6 host
 * address...), so that define refuses what vm.create would, with
 * vm.create's message (DRV_ERROR_CONFIG_UNSUPPORTED).
 */
bool domain_def_check_vmconfig(const DomainDef *def, GError **error);

/* Sets the live pty path of the serial (or console) after start. */
void domain_def_set_serial_path(DomainDef *def, const char *path);
void domain_def_set_console_path(DomainDef *def, const char *path);

/* What a running domain's XML calls @alias ("serial0", "console1"...):
 * DOMAIN_CHR_ALIAS_SERIAL for the serial port (and the console that
 * mirrors it), _CONSOLE for the virtio console, _NONE for no device. */
typedef enum {
    DOMAIN_CHR_ALIAS_NONE,
    DOMAIN_CHR_ALIAS_SERIAL,
    DOMAIN_CHR_ALIAS_CONSOLE,
} DomainChrAlias;
DomainChrAlias domain_def_chr_alias_find(const DomainDef *def,
                                         const char *alias);

/* A disk or interface as the VMM knows it: vm.counters reports under
 * @id, the id domain_def_to_vmconfig_json() gives the device. */
typedef struct {
    char *id;
    char *name;                 /* <target dev>; may be NULL for a NIC */
    char *path;                 /* disk: <source file>; NIC: NULL */
    /* disk type='vhostuser': the back end's socket (path is NULL: the
     * image is the back end's, no file nimbusd may open). */
    char *socket;
    char mac[18];               /* NIC: "52:54:00:..."; disk: "" */
} DomainDevRef;

/* (transfer full) DomainDevRef* of @def's disks / interfaces, in order. */
GPtrArray *domain_def_disk_refs(const DomainDef *def);
GPtrArray *domain_def_net_refs(const DomainDef *def);
/**
 * domain_def_check_no_vhost_user_disk:
 * Refuses (DRV_ERROR_OPERATION_UNSUPPORTED, naming the disk) to @action
 * ("save", "snapshot", "migrate") domain @def when it has a
 * <disk type='vhostuser'>: the image and the requests in flight are the
 * back end's, which nimbus can neither save nor hand over (the VMM
 * refuses vm.snapshot and migration the same way).
 */
bool domain_def_check_no_vhost_user_disk(const DomainDef *def,
                                         const char *action, GError **error);

/* Whether @def has a virtio <memballoon>: the VMM then has a balloon
 * (id "__balloon") with <memory> - <currentMemory> in it. */
bool domain_def_has_balloon(const DomainDef *def);

#define DOMAIN_VSOCK_MIN_CID 3u             /* 0-2: reserved (virtio §5.10.4) */
#define DOMAIN_VSOCK_MAX_CID 0xfffffffeu    /* -1: VMADDR_CID_ANY */

/* Whether @def has a <vsock>, and its CID (0: not chosen yet) and
 * whether nimbusd picks it (auto='yes'). */
bool domain_def_vsock_get(const DomainDef *def, uint32_t *cid,
                          bool *cid_auto);
/* Sets the <vsock>'s CID and nimbus's host socket for a run (start). */
void domain_def_vsock_set(DomainDef *def, uint32_t cid, const char *socket);

/* Whether @def has a <tpm> (nimbusd starts a swtpm for it). */
bool domain_def_has_tpm(const DomainDef *def);
/* libvirt's <watchdog action>, in virDomainWatchdogAction's order. */
typedef enum {
    DOMAIN_WATCHDOG_ACTION_RESET,
    DOMAIN_WATCHDOG_ACTION_SHUTDOWN,
    DOMAIN_WATCHDOG_ACTION_POWEROFF,
    DOMAIN_WATCHDOG_ACTION_PAUSE,
    DOMAIN_WATCHDOG_ACTION_NONE,
    DOMAIN_WATCHDOG_ACTION_DUMP,
    DOMAIN_WATCHDOG_ACTION_INJECT_NMI,
    DOMAIN_WATCHDOG_ACTION_LAST
} DomainWatchdogAction;
/* Its XML spelling ("reset"), NULL when out of range. */
const char *domain_watchdog_action_to_string(int value);
/* The <watchdog action> of @def, or -1 without a watchdog. */
int domain_def_watchdog_action(const DomainDef *def);
/* At each start: every <shmem>'s /dev/shm/NAME exists and holds its size
 * (created or grown as QEMU would; shmem.c). */
bool domain_def_shmem_prepare(const DomainDef *def, GError **error);
/* Sets the <tpm>'s swtpm control socket for a run (start). */
void domain_def_tpm_set_socket(DomainDef *def, const char *socket);

/* The path of volume @volume of storage pool @pool (transfer full), or
 * NULL with @error. */
typedef char *(*DomainVolumeResolver)(const char *pool, const char *volume,
                                      gpointer data, GError **error);

/**
 * domain_def_resolve_volumes:
 * Sets the path of each <disk type='volume'> of @def from @resolve; the
 * formatted XML keeps pool and volume.  Stops at the first failure.
 */
bool domain_def_resolve_volumes(DomainDef *def, DomainVolumeResolver resolve,
                                gpointer data, GError **error);

/* One image below a disk's source in its backing chain (live XML). */
typedef struct {
    char *path;     /* as nimbus opens it: a relative name is joined to the
                     * directory of the image naming it */
    char *format;   /* libvirt's name: "qcow2", "raw", "vpc", "vhdx" */
} DomainDiskBacking;

DomainDiskBacking *domain_disk_backing_new(const char *path,
                                           const char *format);
void domain_disk_backing_free(DomainDiskBacking *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainDiskBacking, domain_disk_backing_free)

/* The backing chain below image @path of format @format: (transfer full)
 * a GPtrArray of DomainDiskBacking, the image's own backing file first,
 * empty when it is self-contained; NULL with @error. */
typedef GPtrArray *(*DomainBackingReader)(const char *path,
                                          const char *format, gpointer data,
                                          GError **error);

/**
 * domain_def_read_backing_chains:
 * Reads with @read the backing chain of each qcow2 disk of @def, the
 * definition a domain starts with, for its live XML's <backingStore>
 * (libvirt's detected chain; never in the inactive XML).  All or nothing:
 * on failure no disk of @def changes.
 */
bool domain_def_read_backing_chains(DomainDef *def, DomainBackingReader read,
                                    gpointer data, GError **error);

/* One <interface type='bridge'|'network'> to put on its bridge. */
typedef struct {
    const char *network;        /* type='network': the libvirt network */
    const char *bridge;         /* type='bridge': the host bridge */
    const char *ifname;         /* <target dev>, or NULL: any free name */
    bool multi_queue;           /* the TAP needs IFF_MULTI_QUEUE */
} DomainNetAttach;

/* Creates the TAP for @attach on its bridge; returns its name and the
 * bridge's (both transfer full), or false with @error, leaving no TAP. */
typedef bool (*DomainNetAttachFunc)(const DomainNetAttach *attach, char **tap,
                                    char **bridge, gpointer data,
                                    GError **error);

/**
 * domain_def_attach_nets:
 * Calls @attach for each bridged interface of @def (a live definition),
 * records the TAP and bridge it reports in the interface and adds the TAP
 * to @created (char*, owned), so that a caller can remove exactly those
 * after a failure.  Stops at the first failure.
 */
bool domain_def_attach_nets(DomainDef *def, DomainNetAttachFunc attach,
                            gpointer data, GPtrArray *created,
                            GError **error);

/* The TAPs of @def's bridged interfaces (transfer full, NULL-terminated):
 * in a started live definition, those domain_def_attach_nets() made. */
char **domain_def_bridged_taps(const DomainDef *def);

/* virDomainMetadataType */
typedef enum {
    DOMAIN_METADATA_DESCRIPTION = 0,
    DOMAIN_METADATA_TITLE = 1,
    DOMAIN_METADATA_ELEMENT = 2,
} DomainMetadataType;

/**
 * domain_def_set_metadata:
 * Sets (or, @metadata NULL or empty, removes) the title, the description
 * or the <metadata> child in namespace @uri, which is put under prefix
 * @key, as virDomainSetMetadata does.
 */
bool domain_def_set_metadata(DomainDef *def, int type, const char *metadata,
                             const char *key, const char *uri, GError **error);
/* (transfer full) what virDomainGetMetadata answers, or NULL with
 * DRV_ERROR_NO_DOMAIN_METADATA when it is absent. */
char *domain_def_get_metadata(const DomainDef *def, int type, const char *uri,
                              GError **error);

/* nimbus's one machine type, and the names accepted as its aliases. */
#define DOMAIN_MACHINE_CANONICAL "nimbus"
/* DOMAIN_MACHINE_CANONICAL if @name (NULL: the default) names nimbus's
 * machine, else NULL. */
const char *domain_os_machine_canonical(const char *name);
/* NULL-terminated, static. */
const char *const *domain_os_machine_aliases(void);

/* uuid helpers: canonical "8-4-4-4-12" form. */
bool domain_uuid_parse(const char *str, unsigned char uuid[16]);
void domain_uuid_format(const unsigned char uuid[16], char out[37]);
void domain_uuid_generate(unsigned char uuid[16]);

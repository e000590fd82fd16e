/* SPDX-License-Identifier: Apache-2.0 */
/* nimbus-remote's subcommands: ch-remote's names and arguments, turned into API requests. */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "daemon/remote/remote.h"
#include "config/vm-config-opts.h"

/*
 * Hotplug and migration arguments use the CLI grammar of nimbus (CH's
 * "key=value,..." with lists and sizes, parsed by vm-config-opts) and are
 * turned into the JSON body of the endpoint, following the OpenAPI schema
 * key by key.  The VMM validates the result as it validates any client's.
 */
typedef enum {
    K_STR,          /* string */
    K_BOOL,         /* on/off/true/false */
    K_UINT,         /* integer */
    K_SIZE,         /* bytes, K/M/G/T suffixes */
    K_UINT_LIST,    /* [1,2,5-7] */
    K_ENUM,         /* lower-case CLI spelling -> schema enum */
    K_AFFINITY,     /* [q@[cpus],...] -> [{queue_index, host_cpus}] */
    K_FDS,          /* [fds] sent as SCM_RIGHTS; -1 placeholders in JSON */
    K_VIRTIO_TYPE,  /* a virtio device name or number */
} KeyType;

typedef struct {
    const char *cli;
    const char *json;       /* "a.b.c": nested objects */
    KeyType type;
    const char *const *values;  /* K_ENUM: cli, json, cli, json..., NULL */
} RemoteKey;

typedef enum {
    ARG_NONE,       /* no argument */
    ARG_CONFIG,     /* one "key=value,..." string, converted with @keys */
    ARG_FILE,       /* create: a JSON file, "-" for stdin */
    ARG_ID,         /* remove-device <id> */
    ARG_URL,        /* snapshot/coredump <destination_url> */
    ARG_RESIZE,     /* --cpus/--memory/--balloon */
    ARG_RESIZE_DISK,/* --disk/--size */
    ARG_RESIZE_ZONE,/* --id/--size */
} ArgKind;

struct RemoteCommand {
    const char *name;
    ApiAction action;
    ArgKind arg;
    const RemoteKey *keys;
    const char *url_key;     /* ARG_CONFIG: a bare value is this key */
    const char *usage;       /* after the name */
    const char *help;
};

static const char *const image_types[] = {
    "raw", "Raw", "qcow2", "Qcow2", "vhd", "FixedVhd", "vhdx", "Vhdx",
    "unknown", "Unknown", NULL };
static const char *const lock_granularities[] = {
    "byte-range", "ByteRange", "full", "Full", NULL };
static const char *const vhost_modes[] = {
    "client", "Client", "server", "Server", NULL };
static const char *const restore_modes[] = {
    "copy", "Copy", "ondemand", "OnDemand", NULL };
static const char *const timeout_strategies[] = {
    "cancel", "Cancel", "ignore", "Ignore", NULL };
static const char *const migration_modes[] = {
    "precopy", "Precopy", "postcopy", "Postcopy", NULL };

#define PCI_KEYS                                                          \
    { "id", "id", K_STR, NULL },                                          \
    { "pci_segment", "pci_segment", K_UINT, NULL },                       \
    { "pci_device_id", "pci_device_id", K_UINT, NULL }
#define RATE_LIMIT_KEYS                                                    \
    { "bw_size", "rate_limiter_config.bandwidth.size", K_UINT, NULL },     \
    { "bw_one_time_burst", "rate_limiter_config.bandwidth.one_time_burst", \
      K_UINT, NULL },                                                      \
    { "bw_refill_time", "rate_limiter_config.bandwidth.refill_time",       \
      K_UINT, NULL },                                                      \
    { "ops_size", "rate_limiter_config.ops.size", K_UINT, NULL },          \
    { "ops_one_time_burst", "rate_limiter_config.ops.one_time_burst",      \
      K_UINT, NULL },                                                      \
    { "ops_refill_time", "rate_limiter_config.ops.refill_time", K_UINT,    \
      NULL }

static const RemoteKey disk_keys[] = {
    { "path", "path", K_STR, NULL },
    { "readonly", "readonly", K_BOOL, NULL },
    { "direct", "direct", K_BOOL, NULL },
    { "iommu", "iommu", K_BOOL, NULL },
    { "num_queues", "num_queues", K_UINT, NULL },
    { "queue_size", "queue_size", K_UINT, NULL },
    { "vhost_user", "vhost_user", K_BOOL, NULL },
    { "socket", "vhost_socket", K_STR, NULL },
    { "serial", "serial", K_STR, NULL },
    { "rate_limit_group", "rate_limit_group", K_STR, NULL },
    { "queue_affinity", "queue_affinity", K_AFFINITY, NULL },
    { "backing_files", "backing_files", K_BOOL, NULL },
    { "sparse", "sparse", K_BOOL, NULL },
    { "image_type", "image_type", K_ENUM, image_types },
    { "lock_granularity", "lock_granularity", K_ENUM, lock_granularities },
    RATE_LIMIT_KEYS,
    PCI_KEYS,
    { NULL },
};

static const RemoteKey net_keys[] = {
    { "tap", "tap", K_STR, NULL },
    { "ip", "ip", K_STR, NULL },
    { "mask", "mask", K_STR, NULL },
    { "mac", "mac", K_STR, NULL },
    { "host_mac", "host_mac", K_STR, NULL },
    { "mtu", "mtu", K_UINT, NULL },
    { "fd", "fds", K_FDS, NULL },
    { "iommu", "iommu", K_BOOL, NULL },
    { "num_queues", "num_queues", K_UINT, NULL },
    { "queue_size", "queue_size", K_UINT, NULL },
    { "vhost_user", "vhost_user", K_BOOL, NULL },
    { "socket", "vhost_socket", K_STR, NULL },
    { "vhost_mode", "vhost_mode", K_ENUM, vhost_modes },
    { "offload_tso", "offload_tso", K_BOOL, NULL },
    { "offload_ufo", "offload_ufo", K_BOOL, NULL },
    { "offload_csum", "offload_csum", K_BOOL, NULL },
    RATE_LIMIT_KEYS,
    PCI_KEYS,
    { NULL },
};

/* nimbus-update-rate-limiter: the id, and the limits as --disk has them
 * (none: no limit). */
static const RemoteKey rate_limiter_keys[] = {
    { "id", "id", K_STR, NULL },
    RATE_LIMIT_KEYS,
    { NULL },
};

static const RemoteKey fs_keys[] = {
    { "tag", "tag", K_STR, NULL },
    { "socket", "socket", K_STR, NULL },
    { "num_queues", "num_queues", K_UINT, NULL },
    { "queue_size", "queue_size", K_UINT, NULL },
    PCI_KEYS,
    { NULL },
};

static const RemoteKey generic_vhost_user_keys[] = {
    { "socket", "socket", K_STR, NULL },
    { "queue_sizes", "queue_sizes", K_UINT_LIST, NULL },
    { "device_type", "device_type", K_VIRTIO_TYPE, NULL },
    { "virtio_id", "device_type", K_VIRTIO_TYPE, NULL },
    PCI_KEYS,
    { NULL },
};

static const RemoteKey pmem_keys[] = {
    { "file", "file", K_STR, NULL },
    { "size", "size", K_SIZE, NULL },
    { "iommu", "iommu", K_BOOL, NULL },
    { "discard_writes", "discard_writes", K_BOOL, NULL },
    PCI_KEYS,
    { NULL },
};

static const RemoteKey device_keys[] = {
    { "path", "path", K_STR, NULL },
    { "iommu", "iommu", K_BOOL, NULL },
    { "x_nv_gpudirect_clique", "x_nv_gpudirect_clique", K_UINT, NULL },
    { "x_exclude_mmap_bars", "x_exclude_mmap_bars", K_UINT_LIST, NULL },
    PCI_KEYS,
    { NULL },
};

static const RemoteKey user_device_keys[] = {
    { "socket", "socket", K_STR, NULL },
    PCI_KEYS,
    { NULL },
};

static const RemoteKey vdpa_keys[] = {
    { "path", "path", K_STR, NULL },
    { "num_queues", "num_queues", K_UINT, NULL },
    { "iommu", "iommu", K_BOOL, NULL },
    PCI_KEYS,
    { NULL },
};

static const RemoteKey vsock_keys[] = {
    { "cid", "cid", K_UINT, NULL },
    { "socket", "socket", K_STR, NULL },
    { "iommu", "iommu", K_BOOL, NULL },
    PCI_KEYS,
    { NULL },
};

static const RemoteKey restore_keys[] = {
    { "source_url", "source_url", K_STR, NULL },
    { "prefault", "prefault", K_BOOL, NULL },
    { "memory_restore_mode", "memory_restore_mode", K_ENUM, restore_modes },
    { "resume", "resume", K_BOOL, NULL },
    { NULL },
};

static const RemoteKey send_migration_keys[] = {
    { "destination_url", "destination_url", K_STR, NULL },
    { "local", "local", K_BOOL, NULL },
    { "downtime_ms", "downtime_ms", K_UINT, NULL },
    { "timeout_s", "timeout_s", K_UINT, NULL },
    { "timeout_strategy", "timeout_strategy", K_ENUM, timeout_strategies },
    { "connections", "connections", K_UINT, NULL },
    { "tls_dir", "tls_dir", K_STR, NULL },
    { "memory_mode", "memory_mode", K_ENUM, migration_modes },
    { NULL },
};

static const RemoteKey receive_migration_keys[] = {
    { "receiver_url", "receiver_url", K_STR, NULL },
    { "tls_dir", "tls_dir", K_STR, NULL },
    { "memory_mode", "memory_mode", K_ENUM, migration_modes },
    { NULL },
};

/* Sorted by name: --help lists them in this order (test-api-remote checks
 * it).  The usage strings are ch-remote's argument names. */
static const RemoteCommand commands[] = {
    { "add-device", API_ACTION_VM_ADD_DEVICE, ARG_CONFIG, device_keys, NULL,
      "<device_config>", "Add a VFIO device" },
    { "add-disk", API_ACTION_VM_ADD_DISK, ARG_CONFIG, disk_keys, NULL,
      "<disk_config>", "Add a block device" },
    { "add-fs", API_ACTION_VM_ADD_FS, ARG_CONFIG, fs_keys, NULL,
      "<fs_config>", "Add a virtio-fs device" },
    { "add-generic-vhost-user", API_ACTION_VM_ADD_GENERIC_VHOST_USER,
      ARG_CONFIG, generic_vhost_user_keys, NULL,
      "<generic_vhost_user_config>", "Add a generic vhost-user device" },
    { "add-net", API_ACTION_VM_ADD_NET, ARG_CONFIG, net_keys, NULL,
      "<net_config>", "Add a network device (fd=[..] are sent along)" },
    { "add-pmem", API_ACTION_VM_ADD_PMEM, ARG_CONFIG, pmem_keys, NULL,
      "<pmem_config>", "Add a persistent memory device" },
    { "add-user-device", API_ACTION_VM_ADD_USER_DEVICE, ARG_CONFIG,
      user_device_keys, NULL, "<user_device_config>",
      "Add a userspace (vfio-user) device" },
    { "add-vdpa", API_ACTION_VM_ADD_VDPA, ARG_CONFIG, vdpa_keys, NULL,
      "<vdpa_config>", "Add a vDPA device" },
    { "add-vsock", API_ACTION_VM_ADD_VSOCK, ARG_CONFIG, vsock_keys, NULL,
      "<vsock_config>", "Add a vsock device" },
    { "boot", API_ACTION_VM_BOOT, ARG_NONE, NULL, NULL, "",
      "Boot the created VM" },
    { "coredump", API_ACTION_VM_COREDUMP, ARG_URL, NULL, NULL,
      "<destination_url>", "Write a guest core dump" },
    { "counters", API_ACTION_VM_COUNTERS, ARG_NONE, NULL, NULL, "",
      "Print the device counters" },
    { "create", API_ACTION_VM_CREATE, ARG_FILE, NULL, NULL,
      "<vm_config.json|->", "Create a VM from a VmConfig JSON file" },
    { "delete", API_ACTION_VM_DELETE, ARG_NONE, NULL, NULL, "",
      "Delete the VM" },
    { "info", API_ACTION_VM_INFO, ARG_NONE, NULL, NULL, "",
      "Print the VM information (VmInfo JSON)" },
    { "nimbus-cancel-migration", API_ACTION_VM_NIMBUS_CANCEL_MIGRATION,
      ARG_NONE, NULL, NULL, "",
      "Cancel the VM's outgoing migration; the VM goes on (nimbus only)" },
    { "nimbus-update-rate-limiter", API_ACTION_VM_NIMBUS_UPDATE_RATE_LIMITER,
      ARG_CONFIG, rate_limiter_keys, NULL,
      "id=<group, disk, net>[,bw_size=..,bw_refill_time=..,ops_size=..,...]",
      "Change the limits of a rate limit group, disk or net (nimbus only)" },
    { "nmi", API_ACTION_VM_NMI, ARG_NONE, NULL, NULL, "",
      "Inject an NMI" },
    { "pause", API_ACTION_VM_PAUSE, ARG_NONE, NULL, NULL, "",
      "Pause the VM" },
    { "ping", API_ACTION_VMM_PING, ARG_NONE, NULL, NULL, "",
      "Ping the VMM (VmmPingResponse JSON)" },
    { "power-button", API_ACTION_VM_POWER_BUTTON, ARG_NONE, NULL, NULL, "",
      "Press the ACPI power button" },
    { "reboot", API_ACTION_VM_REBOOT, ARG_NONE, NULL, NULL, "",
      "Reboot the VM" },
    { "receive-migration", API_ACTION_VM_RECEIVE_MIGRATION, ARG_CONFIG,
      receive_migration_keys, "receiver_url", "<receive_migration_config>",
      "Receive a VM migration" },
    { "remove-device", API_ACTION_VM_REMOVE_DEVICE, ARG_ID, NULL, NULL,
      "<id>", "Remove a device" },
    { "resize", API_ACTION_VM_RESIZE, ARG_RESIZE, NULL, NULL,
      "[--cpus <n>] [--memory <size>] [--balloon <size>]",
      "Resize the VM" },
    { "resize-disk", API_ACTION_VM_RESIZE_DISK, ARG_RESIZE_DISK, NULL, NULL,
      "--disk <id> --size <size>", "Resize a disk" },
    { "resize-zone", API_ACTION_VM_RESIZE_ZONE, ARG_RESIZE_ZONE, NULL, NULL,
      "--id <id> --size <size>", "Resize a memory zone" },
    { "restore", API_ACTION_VM_RESTORE, ARG_CONFIG, restore_keys,
      "source_url", "<restore_config>", "Restore a VM from a snapshot" },
    { "resume", API_ACTION_VM_RESUME, ARG_NONE, NULL, NULL, "",
      "Resume the paused VM" },
    { "send-migration", API_ACTION_VM_SEND_MIGRATION, ARG_CONFIG,
      send_migration_keys, "destination_url", "<send_migration_config>",
      "Send a VM migration" },
    { "shutdown", API_ACTION_VM_SHUTDOWN, ARG_NONE, NULL, NULL, "",
      "Shut the VM down" },
    { "shutdown-vmm", API_ACTION_VMM_SHUTDOWN, ARG_NONE, NULL, NULL, "",
      "Shut the VMM down" },
    { "snapshot", API_ACTION_VM_SNAPSHOT, ARG_URL, NULL, NULL,
      "<destination_url>", "Snapshot the VM" },
};

void
remote_request_clear(RemoteRequest *req)
{
    g_clear_pointer(&req->body, g_free);
    g_clear_pointer(&req->fds, g_array_unref);
}

const RemoteCommand *
remote_command_find(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (g_str_equal(commands[i].name, name))
            return &commands[i];
    }
    return NULL;
}

char *
remote_commands_help(void)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
        g_autofree char *head = g_strdup_printf("%s %s", commands[i].name,
                                                commands[i].usage);

        g_strstrip(head);
        /* clap's layout: a long usage gets the help on the next line. */
        if (strlen(head) > 36)
            g_string_append_printf(s, "  %s\n  %-36s %s\n", head, "",
                                   commands[i].help);
        else
            g_string_append_printf(s, "  %-36s %s\n", head, commands[i].help);
    }
    return g_string_free(s, FALSE);
}

/* The object at "a.b" under @root, created as needed; *leaf gets "c". */
static JsonObject *
json_path_parent(JsonObject *root, const char *path, const char **leaf)
{
    g_auto(GStrv) parts = g_strsplit(path, ".", -1);
    guint n = g_strv_length(parts);
    JsonObject *o = root;

    for (guint i = 0; i + 1 < n; i++) {
        if (!json_object_has_member(o, parts[i]))
            json_object_set_object_member(o, parts[i], json_object_new());
        o = json_object_get_object_member(o, parts[i]);
    }
    *leaf = path + strlen(path) - strlen(parts[n - 1]);
    return o;
}

/* The virtio device IDs of the virtio 1.2 spec §5, by the names CH's
 * generic vhost-user option takes; a number is taken as it is. */
static bool
virtio_type(const char *s, guint64 *out)
{
    static const struct {
        const char *name;
        guint id;
    } types[] = {
        { "net", 1 }, { "block", 2 }, { "console", 3 }, { "rng", 4 },
        { "balloon", 5 }, { "scsi", 8 }, { "9p", 9 }, { "gpu", 16 },
        { "input", 18 }, { "vsock", 19 }, { "crypto", 20 }, { "sound", 25 },
        { "fs", 26 }, { "pmem", 27 }, { "mem", 24 }, { "i2c", 34 },
        { "scmi", 32 }, { "gpio", 41 }, { "can", 36 },
    };

    if (vm_opts_str_to_u64(s, out))
        return *out <= G_MAXUINT32;
    for (guint i = 0; i < G_N_ELEMENTS(types); i++) {
        if (g_ascii_strcasecmp(types[i].name, s) == 0) {
            *out = types[i].id;
            return true;
        }
    }
    return false;
}

/*
 * Converts one CLI key into its JSON member.  Values are parsed here (not
 * passed as strings) so that a typo is reported by nimbus-remote with the
 * option's name, and the VMM gets the types the schema asks for.  Validation
 * of the values themselves (ranges, files) is the VMM's.
 */
static bool
convert_key(const VmOpts *o, const RemoteKey *k, JsonObject *root,
            RemoteRequest *req, GError **error)
{
    const char *opt = vm_opts_option(o);
    const char *leaf = NULL;
    JsonObject *parent = json_path_parent(root, k->json, &leaf);
    g_autofree char *s = NULL;
    g_autoptr(GArray) list = NULL;
    g_autoptr(GPtrArray) tuples = NULL;
    guint64 u = 0;
    bool b = false;

    switch (k->type) {
    case K_STR:
        if (!vm_opts_get_string(o, k->cli, &s, error))
            return false;
        json_object_set_string_member(parent, leaf, s);
        return true;
    case K_BOOL:
        if (!vm_opts_get_toggle(o, k->cli, &b, error))
            return false;
        json_object_set_boolean_member(parent, leaf, b);
        return true;
    case K_UINT:
        if (!vm_opts_get_u64(o, k->cli, 0, G_MAXINT64, &u, error))
            return false;
        json_object_set_int_member(parent, leaf, (gint64)u);
        return true;
    case K_SIZE:
        if (!vm_opts_get_size(o, k->cli, &u, error))
            return false;
        json_object_set_int_member(parent, leaf, (gint64)u);
        return true;
    case K_UINT_LIST:
    case K_FDS: {
        JsonArray *a = json_array_new();

        if (!vm_opts_get_u32_list(o, k->cli, G_MAXINT32, &list, error)) {
            json_array_unref(a);
            return false;
        }
        for (guint i = 0; list && i < list->len; i++) {
            int v = (int)g_array_index(list, guint32, i);

            /* The numbers name our descriptors; they travel as SCM_RIGHTS
             * and the body only says how many (vm-config.h). */
            if (k->type == K_FDS) {
                if (!req->fds)
                    req->fds = g_array_new(FALSE, FALSE, sizeof(int));
                g_array_append_val(req->fds, v);
                v = -1;
            }
            json_array_add_int_element(a, v);
        }
        json_object_set_array_member(parent, leaf, a);
        return true;
    }
    case K_ENUM:
        if (!vm_opts_get_string(o, k->cli, &s, error))
            return false;
        for (guint i = 0; k->values[i]; i += 2) {
            if (g_ascii_strcasecmp(k->values[i], s) == 0) {
                json_object_set_string_member(parent, leaf, k->values[i + 1]);
                return true;
            }
        }
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: %s=%s is not one of the accepted values", opt, k->cli,
                    s);
        return false;
    case K_VIRTIO_TYPE:
        if (!vm_opts_get_string(o, k->cli, &s, error))
            return false;
        if (!virtio_type(s, &u)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "%s: %s=%s is neither a virtio device name nor a "
                        "number", opt, k->cli, s);
            return false;
        }
        json_object_set_int_member(parent, leaf, (gint64)u);
        return true;
    case K_AFFINITY: {
        JsonArray *a;

        if (!vm_opts_get_tuple_list(o, k->cli, G_MAXUINT16, G_MAXINT32,
                                    &tuples, error))
            return false;
        a = json_array_new();
        for (guint i = 0; i < tuples->len; i++) {
            VmOptsTuple *t = g_ptr_array_index(tuples, i);
            JsonObject *qa = json_object_new();
            JsonArray *cpus = json_array_new();

            for (guint j = 0; j < t->values->len; j++)
                json_array_add_int_element(cpus,
                                           g_array_index(t->values, guint32, j));
            json_object_set_int_member(qa, "queue_index", t->id);
            json_object_set_array_member(qa, "host_cpus", cpus);
            json_array_add_object_element(a, qa);
        }
        json_object_set_array_member(parent, leaf, a);
        return true;
    }
    }
    g_assert_not_reached();
}

static char *
object_to_json(JsonObject *o)
{
    g_autoptr(JsonNode) n = json_node_new(JSON_NODE_OBJECT);

    json_node_set_object(n, o);
    return json_to_string(n, FALSE);
}

/* "key=value,..." for one command: unknown keys are refused up front
 * (vm_opts_check_keys), then every key given is converted. */
static bool
build_config(const RemoteCommand *cmd, const char *arg, RemoteRequest *req,
             GError **error)
{
    g_autofree char *option = g_strdup_printf("%s", cmd->name);
    g_autofree char *with_key = NULL;
    g_autofree const char **known = NULL;
    g_autoptr(VmOpts) o = NULL;
    g_autoptr(JsonObject) root = json_object_new();
    guint n = 0;

    /* ch-remote takes a bare URL for the migration and restore commands. */
    if (cmd->url_key && !strchr(arg, '='))
        arg = with_key = g_strdup_printf("%s=%s", cmd->url_key, arg);
    o = vm_opts_parse(option, arg, error);
    if (!o)
        return false;
    while (cmd->keys[n].cli)
        n++;
    known = g_new0(const char *, n + 1);
    for (guint i = 0; i < n; i++)
        known[i] = cmd->keys[i].cli;
    if (!vm_opts_check_keys(o, known, NULL, error))
        return false;
    for (guint i = 0; i < n; i++) {
        if (vm_opts_has(o, cmd->keys[i].cli) &&
            !convert_key(o, &cmd->keys[i], root, req, error))
            return false;
    }
    if (cmd->url_key && !vm_opts_has(o, cmd->url_key)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: %s is required", cmd->name, cmd->url_key);
        return false;
    }
    req->body = object_to_json(root);
    return true;
}

/* create sends the file as it is, like ch-remote: the VMM parses and
 * validates it, and reports the field at fault. */
static bool
read_config_file(const char *path, RemoteRequest *req, GError **error)
{
    g_autoptr(GError) local = NULL;
    gsize len = 0;

    if (g_str_equal(path, "-")) {
        g_autoptr(GString) s = g_string_new(NULL);
        char buf[4096];
        size_t n;

        while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
            g_string_append_len(s, buf, (gssize)n);
        if (ferror(stdin)) {
            g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                                "create: cannot read the config from stdin");
            return false;
        }
        req->body = g_string_free(g_steal_pointer(&s), FALSE);
        return true;
    }
    if (!g_file_get_contents(path, &req->body, &len, &local)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "create: cannot read the config\n%s", local->message);
        return false;
    }
    return true;
}

/* "--name value" or "--name=value" options of the resize commands. */
static bool
parse_flags(const RemoteCommand *cmd, int argc, char **argv,
            const char *const *names, char **values, GError **error)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strchr(a, '=');
        gsize nlen = eq ? (gsize)(eq - a) : strlen(a);
        bool found = false;

        for (guint k = 0; names[k]; k++) {
            if (strncmp(a, names[k], nlen) != 0 || names[k][nlen] != '\0')
                continue;
            found = true;
            g_free(values[k]);
            if (eq) {
                values[k] = g_strdup(eq + 1);
            } else if (i + 1 < argc) {
                values[k] = g_strdup(argv[++i]);
            } else {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "%s: %s needs a value", cmd->name, names[k]);
                return false;
            }
        }
        if (!found) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "%s: unexpected argument '%s' (usage: %s %s)",
                        cmd->name, a, cmd->name, cmd->usage);
            return false;
        }
    }
    return true;
}

static bool
set_size(JsonObject *o, const char *member, const char *cmd, const char *flag,
         const char *value, bool size, GError **error)
{
    guint64 v = 0;

    if (!(size ? vm_opts_str_to_size(value, &v) : vm_opts_str_to_u64(value, &v)) ||
        v > G_MAXINT64) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: %s '%s' is not a valid %s", cmd, flag, value,
                    size ? "size (bytes, K/M/G suffixes)" : "number");
        return false;
    }
    json_object_set_int_member(o, member, (gint64)v);
    return true;
}

static bool
build_resize(const RemoteCommand *cmd, int argc, char **argv,
             RemoteRequest *req, GError **error)
{
    static const char *const resize[] = { "--cpus", "--memory", "--balloon",
                                          NULL };
    static const char *const disk[] = { "--disk", "--size", NULL };
    static const char *const zone[] = { "--id", "--size", NULL };
    const char *const *names = cmd->arg == ARG_RESIZE ? resize
                             : cmd->arg == ARG_RESIZE_DISK ? disk : zone;
    char *values[4] = { NULL };
    g_autoptr(JsonObject) o = json_object_new();
    bool ok = false;

    if (!parse_flags(cmd, argc, argv, names, values, error))
        goto cleanup;
    if (cmd->arg == ARG_RESIZE) {
        if (!values[0] && !values[1] && !values[2]) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "resize: give at least one of --cpus, --memory and "
                        "--balloon");
            goto cleanup;
        }
        if ((values[0] && !set_size(o, "desired_vcpus", cmd->name, "--cpus",
                                    values[0], false, error)) ||
            (values[1] && !set_size(o, "desired_ram", cmd->name, "--memory",
                                    values[1], true, error)) ||
            (values[2] && !set_size(o, "desired_balloon", cmd->name,
                                    "--balloon", values[2], true, error)))
            goto cleanup;
    } else {
        if (!values[0] || !values[1]) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "%s: both %s and --size are required", cmd->name,
                        names[0]);
            goto cleanup;
        }
        json_object_set_string_member(o, "id", values[0]);
        if (!set_size(o, cmd->arg == ARG_RESIZE_DISK ? "desired_size"
                                                     : "desired_ram",
                      cmd->name, "--size", values[1], true, error))
            goto cleanup;
    }
    req->body = object_to_json(o);
    ok = true;
 cleanup:
    for (guint i = 0; i < G_N_ELEMENTS(values); i++)
        g_free(values[i]);
    return ok;
}

bool
remote_command_build(const RemoteCommand *cmd, int argc, char **argv,
                     RemoteRequest *req, GError **error)
{
    g_autoptr(JsonObject) o = NULL;
    int want = cmd->arg == ARG_NONE ? 0 : 1;

    req->action = cmd->action;
    if (cmd->arg == ARG_RESIZE || cmd->arg == ARG_RESIZE_DISK ||
        cmd->arg == ARG_RESIZE_ZONE)
        return build_resize(cmd, argc, argv, req, error);
    if (argc != want) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: expected %s (usage: %s %s)", cmd->name,
                    want ? "one argument" : "no argument", cmd->name,
                    cmd->usage);
        return false;
    }
    switch (cmd->arg) {
    case ARG_NONE:
        return true;
    case ARG_FILE:
        return read_config_file(argv[0], req, error);
    case ARG_CONFIG:
        return build_config(cmd, argv[0], req, error);
    case ARG_ID:
    case ARG_URL:
        o = json_object_new();
        json_object_set_string_member(o, cmd->arg == ARG_ID ? "id"
                                                             : "destination_url",
                                      argv[0]);
        req->body = object_to_json(o);
        return true;
    default:
        g_assert_not_reached();
    }
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Snapshot and restore in CH's layout: config, state.json, memory-ranges. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>
#include <gio/gfiledescriptorbased.h>

#include "common/json-util.h"
#include "daemon/snapshot-cpu.h"
#include "daemon/snapshot-memory.h"
#include "daemon/snapshot.h"

/* state.json's own format version: bumped when a section is added or
 * the layout of the tree changes (each section has its own version). */
#define SNAPSHOT_STATE_VERSION 1
#define SNAPSHOT_DEVICES_VERSION 1
/* Deep enough for any device's state (virtio: about 6 levels); the limit
 * only stops json-glib's unbounded recursion on a hostile file. */
#define SNAPSHOT_STATE_MAX_DEPTH 64
/* A VM with hundreds of vCPUs and devices stays far below this. */
#define SNAPSHOT_STATE_MAX_BYTES (256u << 20)
#define SNAPSHOT_CONFIG_MAX_BYTES (16u << 20)

#define SECTION_VM "vm"
#define SECTION_CPUS "cpu-manager"
#define SECTION_MEMORY "memory-manager"
#define SECTION_DEVICES "device-manager"

char *
snapshot_url_to_path(const char *url, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *path = NULL;
    g_autofree char *host = NULL;

    if (!url || !g_str_has_prefix(url, "file://")) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "'%s' is not a file:// URL (the only kind supported)",
                    url ? url : "");
        return NULL;
    }
    path = g_filename_from_uri(url, &host, &local);
    /* A snapshot is written by this host: "file://otherhost/..." would
     * silently mean a local path. */
    if (!path || !g_path_is_absolute(path) ||
        (host && g_ascii_strcasecmp(host, "localhost") != 0)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "'%s' is not a valid file:// URL%s%s", url,
                    local ? ": " : "", local ? local->message : "");
        return NULL;
    }
    /* "file:///dir/" and "file:///dir" name the same directory. */
    while (strlen(path) > 1 && g_str_has_suffix(path, "/"))
        path[strlen(path) - 1] = '\0';
    return g_steal_pointer(&path);
}

/* ---- state.json --------------------------------------------------------- */

JsonNode *
snapshot_state_save(Vm *vm, GError **error)
{
    const HvOps *ops = vm_hv_ops(vm);
    uint32_t n = vm_nvcpus(vm);
    g_autofree HvVcpu **vcpus = g_new0(HvVcpu *, MAX(n, 1));
    g_autoptr(JsonNode) vmnode = NULL;
    g_autoptr(JsonNode) cpus = NULL;
    GPtrArray *devs = vm_devices(vm);
    JsonObject *root = json_object_new();
    JsonObject *dm = json_object_new();
    JsonObject *devices = json_object_new();
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);
    uint64_t clock = 0;

    json_node_take_object(node, root);
    json_object_set_int_member(dm, "version", SNAPSHOT_DEVICES_VERSION);
    json_object_set_object_member(dm, "devices", devices);
    /* The clock as it stood when the VM was paused: the time the VM
     * spends paused before the snapshot is hidden from the guest, like
     * any pause. */
    if (!vm_paused_clock(vm, &clock) && ops->get_clock &&
        ops->get_clock(vm_hv(vm), &clock) < 0)
        clock = 0;
    for (uint32_t i = 0; i < n; i++)
        vcpus[i] = vm_hv_vcpu(vm, i);
    if (!(vmnode = snapshot_vm_hv_save(ops, vm_hv(vm), clock, error)) ||
        !(cpus = snapshot_cpus_save(ops, vm_hv(vm), vcpus, n, error))) {
        json_object_unref(dm);
        json_node_unref(node);
        return NULL;
    }
    json_object_set_int_member(root, "version", SNAPSHOT_STATE_VERSION);
    json_object_set_member(root, SECTION_VM, g_steal_pointer(&vmnode));
    json_object_set_member(root, SECTION_CPUS, g_steal_pointer(&cpus));
    json_object_set_member(root, SECTION_MEMORY,
                           snapshot_memory_table_save(vm_memory(vm)));
    json_object_set_object_member(root, SECTION_DEVICES, dm);
    for (guint i = 0; i < devs->len; i++) {
        VmmDevice *dev = g_ptr_array_index(devs, i);
        JsonNode *st = dev->ops->save(dev, error);

        if (!st) {
            g_prefix_error(error, "%s: ", dev->id);
            json_node_unref(node);
            return NULL;
        }
        json_object_set_member(devices, dev->id, st);
    }
    return node;
}

static JsonObject *
state_section(JsonObject *root, const char *name, GError **error)
{
    JsonNode *m = json_object_get_member(root, name);

    if (!m || !JSON_NODE_HOLDS_OBJECT(m)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "state.json: section '%s' is %s", name,
                    m ? "not an object" : "missing");
        return NULL;
    }
    return json_node_get_object(m);
}

JsonNode *
snapshot_state_parse(const char *data, gssize len, GError **error)
{
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GError) local = NULL;
    static const char *const sections[] = {
        SECTION_VM, SECTION_CPUS, SECTION_MEMORY, SECTION_DEVICES,
    };
    JsonObject *o, *dm;
    JsonNode *v, *devices;

    root = json_parse_bounded(data, len, SNAPSHOT_STATE_MAX_DEPTH, &local);
    if (!root) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "state.json: %s", local->message);
        return NULL;
    }
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "state.json: not a JSON object");
        return NULL;
    }
    o = json_node_get_object(root);
    v = json_object_get_member(o, "version");
    if (!v || json_node_get_value_type(v) != G_TYPE_INT64 ||
        json_node_get_int(v) < 1) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "state.json: field 'version': missing or not a positive "
                    "integer");
        return NULL;
    }
    if (json_node_get_int(v) > SNAPSHOT_STATE_VERSION) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "state.json: field 'version': version %" G_GINT64_FORMAT
                    " is newer than this nimbus reads (%d)",
                    json_node_get_int(v), SNAPSHOT_STATE_VERSION);
        return NULL;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(sections); i++) {
        if (!state_section(o, sections[i], error))
            return NULL;
    }
    if (json_object_get_size(o) != G_N_ELEMENTS(sections) + 1) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "state.json: unknown top-level members");
        return NULL;
    }
    dm = state_section(o, SECTION_DEVICES, error);
    v = json_object_get_member(dm, "version");
    if (!v || json_node_get_value_type(v) != G_TYPE_INT64 ||
        json_node_get_int(v) < 1 ||
        json_node_get_int(v) > SNAPSHOT_DEVICES_VERSION) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: field 'version': missing, invalid or newer than %d",
                    SECTION_DEVICES, SNAPSHOT_DEVICES_VERSION);
        return NULL;
    }
    devices = json_object_get_member(dm, "devices");
    if (!devices || !JSON_NODE_HOLDS_OBJECT(devices) ||
        json_object_get_size(dm) != 2) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: field 'devices': missing or not an object",
                    SECTION_DEVICES);
        return NULL;
    }
    return g_steal_pointer(&root);
}

/* ---- Writing a snapshot ------------------------------------------------- */

/* Removes what a failed snapshot wrote into its temporary directory. */
static void
snapshot_remove_tmp(const char *tmp)
{
    static const char *const files[] = {
        SNAPSHOT_CONFIG_FILE, SNAPSHOT_STATE_FILE, SNAPSHOT_MEMORY_FILE,
    };

    for (unsigned i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *p = g_build_filename(tmp, files[i], NULL);

        unlink(p);
    }
    if (rmdir(tmp) < 0 && errno != ENOENT)
        g_warning("cannot remove the partial snapshot '%s': %s", tmp,
                  g_strerror(errno));
}

static bool
snapshot_write_json(const char *dir, const char *name, JsonNode *node,
                    GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *text = json_to_string(node, TRUE);

    /* DURABLE: fsync'd before the directory is renamed into place. */
    return g_file_set_contents_full(path, text, -1,
                                    G_FILE_SET_CONTENTS_CONSISTENT |
                                    G_FILE_SET_CONTENTS_DURABLE, 0600, error);
}

static bool
snapshot_write_memory(const char *dir, const GuestMemory *mem, GError **error)
{
    g_autofree char *path = g_build_filename(dir, SNAPSHOT_MEMORY_FILE, NULL);
    g_autoptr(GFile) file = g_file_new_for_path(path);
    g_autoptr(GFileOutputStream) out = NULL;
    int fd;

    out = g_file_create(file, G_FILE_CREATE_PRIVATE, NULL, error);
    if (!out || !snapshot_memory_write(mem, G_OUTPUT_STREAM(out), NULL, error))
        return false;
    fd = g_file_descriptor_based_get_fd(G_FILE_DESCRIPTOR_BASED(out));
    if (fsync(fd) < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot sync '%s': %s", path, g_strerror(e));
        return false;
    }
    return g_output_stream_close(G_OUTPUT_STREAM(out), NULL, error);
}

/* A destination that exists must be an empty directory (rename(2) then
 * replaces it); anything else is refused, never overwritten. */
static bool
snapshot_check_destination(const char *dir, GError **error)
{
    g_autoptr(GDir) d = NULL;
    struct stat sb;

    if (stat(dir, &sb) < 0) {
        if (errno == ENOENT)
            return true;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot use '%s': %s", dir, g_strerror(errno));
        return false;
    }
    if (!S_ISDIR(sb.st_mode)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "'%s' exists and is not a directory", dir);
        return false;
    }
    d = g_dir_open(dir, 0, error);
    if (!d)
        return false;
    if (g_dir_read_name(d)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "'%s' is not empty: a snapshot never overwrites one", dir);
        return false;
    }
    return true;
}

static bool
snapshot_sync_dir(const char *dir, GError **error)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r;

    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot open '%s': %s", dir, g_strerror(errno));
        return false;
    }
    r = fsync(fd);
    close(fd);
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot sync '%s': %s", dir, g_strerror(errno));
        return false;
    }
    return true;
}

bool
snapshot_write_dir(const char *dir, JsonNode *config, JsonNode *state,
                   const GuestMemory *mem, GError **error)
{
    g_autofree char *parent = NULL;
    g_autofree char *base = NULL;
    g_autofree char *tmp = NULL;

    if (!snapshot_check_destination(dir, error))
        return false;
    parent = g_path_get_dirname(dir);
    base = g_path_get_basename(dir);
    /* Next to the destination, so that the rename stays in one file
     * system and is atomic. */
    tmp = g_strdup_printf("%s/.%s.tmp-XXXXXX", parent, base);
    if (!g_mkdtemp_full(tmp, 0700)) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot create a directory next to '%s': %s", dir,
                    g_strerror(e));
        return false;
    }
    if (!snapshot_write_json(tmp, SNAPSHOT_CONFIG_FILE, config, error) ||
        !snapshot_write_json(tmp, SNAPSHOT_STATE_FILE, state, error) ||
        !snapshot_write_memory(tmp, mem, error))
        goto cleanup;
    if (rename(tmp, dir) < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR,
                    e == ENOTEMPTY || e == EEXIST ? G_IO_ERROR_EXISTS
                                                  : g_io_error_from_errno(e),
                    "cannot move the snapshot into '%s': %s", dir,
                    g_strerror(e));
        goto cleanup;
    }
    /* The rename is durable once the parent directory is. */
    return snapshot_sync_dir(parent, error);

 cleanup:
    snapshot_remove_tmp(tmp);
    return false;
}

bool
snapshot_save(Vm *vm, const VmConfig *config, const char *url, GError **error)
{
    g_autofree char *dir = snapshot_url_to_path(url, error);
    g_autoptr(JsonNode) state = NULL;
    g_autoptr(JsonNode) cfg = NULL;

    /* The destination is checked before the state is read, and the
     * whole state is read before anything is written. */
    if (!dir || !snapshot_check_destination(dir, error) ||
        !(state = snapshot_state_save(vm, error)))
        return false;
    cfg = vm_config_to_json_node(config);
    return snapshot_write_dir(dir, cfg, state, vm_memory(vm), error);
}

/* ---- Restoring ---------------------------------------------------------- */

static char *
snapshot_read_file(const char *dir, const char *name, gsize max, gsize *len,
                   GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *data = NULL;
    struct stat sb;

    if (stat(path, &sb) == 0 && (gsize)sb.st_size > max) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: larger than %" G_GSIZE_FORMAT " bytes", name, max);
        return NULL;
    }
    if (!g_file_get_contents(path, &data, len, error))
        return NULL;
    return g_steal_pointer(&data);
}

/* Fills the config's net fd placeholders with the received @fds, after
 * checking them against what net_fds says each net takes. */
static bool
snapshot_attach_net_fds(VmConfig *cfg, const RestoreConfig *rc, GArray *fds,
                        GError **error)
{
    guint want = 0;

    for (guint i = 0; rc->net_fds && i < rc->net_fds->len; i++) {
        const SnapshotNetFds *nf = &g_array_index(rc->net_fds,
                                                  SnapshotNetFds, i);
        const NetConfig *net = NULL;

        for (guint j = 0; cfg->net && j < cfg->net->len; j++) {
            const NetConfig *n = g_ptr_array_index(cfg->net, j);

            if (g_strcmp0(n->id, nf->id) == 0)
                net = n;
        }
        if (!net) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "net_fds: the snapshot has no net '%s'", nf->id);
            return false;
        }
        if (!net->fds || net->fds->len != nf->num_fds) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "net_fds: net '%s' takes %u fds, not %u", nf->id,
                        net->fds ? net->fds->len : 0, nf->num_fds);
            return false;
        }
        want += nf->num_fds;
    }
    if (fds && fds->len != want) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "net_fds: %u fds were sent, net_fds names %u", fds->len,
                    want);
        return false;
    }
    return vm_config_attach_net_fds(cfg, fds ? (const int *)(void *)fds->data
                                             : NULL,
                                    fds ? fds->len : 0, error);
}

VmConfig *
snapshot_read_config(const RestoreConfig *rc, GArray *fds, GError **error)
{
    g_autofree char *dir = NULL;
    g_autofree char *text = NULL;
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(VmConfig) cfg = NULL;
    g_autoptr(GError) local = NULL;
    gsize len = 0;

    /* CH: prefault is what Copy does with the pages it reads; OnDemand
     * fills them in the background anyway. */
    if (rc->memory_restore_mode == SNAPSHOT_RESTORE_ONDEMAND && rc->prefault) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "prefault applies to memory_restore_mode 'Copy' only");
        return NULL;
    }
    dir = snapshot_url_to_path(rc->source_url, error);
    if (!dir)
        return NULL;
    text = snapshot_read_file(dir, SNAPSHOT_CONFIG_FILE,
                              SNAPSHOT_CONFIG_MAX_BYTES, &len, error);
    if (!text)
        return NULL;
    node = json_parse_bounded(text, (gssize)len, SNAPSHOT_STATE_MAX_DEPTH,
                              &local);
    if (!node || !(cfg = vm_config_from_json_node(node, &local))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "config.json: %s", local->message);
        return NULL;
    }
    /* Hugepage regions would need faults served a whole hugepage at a
     * time; not done yet, so refused rather than copied quietly. */
    if (rc->memory_restore_mode == SNAPSHOT_RESTORE_ONDEMAND &&
        cfg->memory.hugepages) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "memory_restore_mode 'OnDemand' is not supported yet "
                    "with hugepages=on; use 'Copy'");
        return NULL;
    }
    if (!snapshot_attach_net_fds(cfg, rc, fds, error))
        return NULL;
    if (!vm_config_validate(cfg, &local) ||
        !vm_config_check_host(cfg, VM_CONFIG_NAMES_JSON, &local)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "config.json: %s", local->message);
        return NULL;
    }
    return g_steal_pointer(&cfg);
}

/* Every device the VM has must have state, and every state a device. */
static bool
snapshot_check_devices(Vm *vm, JsonObject *devices, GError **error)
{
    GPtrArray *devs = vm_devices(vm);
    g_autoptr(GList) ids = json_object_get_members(devices);

    for (GList *l = ids; l; l = l->next) {
        if (!vm_find_device(vm, l->data)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "state.json names device '%s', which the "
                        "configuration lacks", (const char *)l->data);
            return false;
        }
    }
    for (guint i = 0; i < devs->len; i++) {
        VmmDevice *dev = g_ptr_array_index(devs, i);

        if (!json_object_has_member(devices, dev->id)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "state.json has no state for device '%s'", dev->id);
            return false;
        }
    }
    return true;
}

/* Copy: reads memory-ranges now.  OnDemand: serves it as the guest
 * touches it, and fills the rest in the background (*lazy). */
static bool
snapshot_read_memory(const char *dir, Vm *vm, const RestoreConfig *rc,
                     SnapshotLazyMem **lazy, GError **error)
{
    g_autofree char *path = g_build_filename(dir, SNAPSHOT_MEMORY_FILE, NULL);
    g_autoptr(GFile) file = g_file_new_for_path(path);
    g_autoptr(GFileInputStream) in = NULL;
    const GuestMemory *mem = vm_memory(vm);
    struct stat sb;

    if (stat(path, &sb) < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "%s: %s", SNAPSHOT_MEMORY_FILE, g_strerror(e));
        return false;
    }
    if ((uint64_t)sb.st_size != mem->ram_size) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s is %s: %" PRIu64 " bytes, the memory table needs %"
                    PRIu64, SNAPSHOT_MEMORY_FILE,
                    (uint64_t)sb.st_size < mem->ram_size ? "truncated"
                                                         : "too long",
                    (uint64_t)sb.st_size, mem->ram_size);
        return false;
    }
    if (rc->memory_restore_mode == SNAPSHOT_RESTORE_ONDEMAND) {
        *lazy = snapshot_lazy_mem_new(mem, path, error);
        return *lazy != NULL;
    }
    in = g_file_read(file, NULL, error);
    return in && snapshot_memory_read(mem, G_INPUT_STREAM(in), rc->prefault,
                                      NULL, error);
}

bool
snapshot_state_apply(Vm *vm, JsonNode *root, SnapshotFillMemoryFunc fill,
                     gpointer opaque, GError **error)
{
    const HvOps *ops = vm_hv_ops(vm);
    uint32_t n = vm_nvcpus(vm);
    g_autofree HvVcpu **vcpus = g_new0(HvVcpu *, MAX(n, 1));
    g_autoptr(SnapshotCpus) cpus = NULL;
    g_autoptr(SnapshotVmHv) vmhv = NULL;
    GPtrArray *devs = vm_devices(vm);
    JsonObject *o = json_node_get_object(root);
    JsonObject *devices;
    int64_t now;
    /* Where a restore's (and a migration's downtime's) time goes, for -v:
     * checks, RAM, devices, vCPUs and irqchip, starting the threads. */
    gint64 t[5];

    t[0] = g_get_monotonic_time();
    devices = json_object_get_object_member(
        json_object_get_object_member(o, SECTION_DEVICES), "devices");
    for (uint32_t i = 0; i < n; i++)
        vcpus[i] = vm_hv_vcpu(vm, i);
    /* Every section is checked before the VM changes. */
    if (!(vmhv = snapshot_vm_hv_load(json_object_get_member(o, SECTION_VM),
                                     error)) ||
        !(cpus = snapshot_cpus_load(ops, vm_hv(vm),
                                    json_object_get_member(o, SECTION_CPUS),
                                    n, error)) ||
        !snapshot_memory_table_check(json_object_get_member(o,
                                                            SECTION_MEMORY),
                                     vm_memory(vm), error) ||
        !snapshot_check_devices(vm, devices, error))
        return false;
    t[1] = g_get_monotonic_time();
    if (fill && !fill(vm, opaque, error))
        return false;
    t[2] = g_get_monotonic_time();
    /* Devices after RAM: a virtio device that comes back DRIVER_OK
     * reads its rings. */
    for (guint i = 0; i < devs->len; i++) {
        VmmDevice *dev = g_ptr_array_index(devs, i);

        if (!dev->ops->restore(dev, json_object_get_member(devices, dev->id),
                               error))
            return false;
    }
    t[3] = g_get_monotonic_time();
    /* The guest's time moves on by the time the state was away (on disk,
     * or on the wire), in both clocks a guest may use: kvmclock and the
     * TSC. */
    now = g_get_real_time() * 1000;
    snapshot_cpus_advance_tsc(cpus, snapshot_vm_hv_elapsed(vmhv, now));
    if (!snapshot_vm_hv_apply(vmhv, ops, vm_hv(vm), error) ||
        !snapshot_cpus_apply(cpus, ops, vcpus, error))
        return false;
    t[4] = g_get_monotonic_time();
    if (!vm_start_restored(vm, snapshot_vm_hv_clock(vmhv, now), error))
        return false;
    g_info("restore: state applied: checks %" PRId64 " ms, memory %" PRId64
           " ms, %u devices %" PRId64 " ms, vCPUs and irqchip %" PRId64
           " ms, start %" PRId64 " ms", (t[1] - t[0]) / 1000,
           (t[2] - t[1]) / 1000, devs->len, (t[3] - t[2]) / 1000,
           (t[4] - t[3]) / 1000, (g_get_monotonic_time() - t[4]) / 1000);
    return true;
}

typedef struct {
    const char *dir;
    const RestoreConfig *rc;
    SnapshotLazyMem **lazy;
} SnapshotFillFromDir;

static bool
snapshot_fill_from_dir(Vm *vm, gpointer opaque, GError **error)
{
    SnapshotFillFromDir *f = opaque;

    return snapshot_read_memory(f->dir, vm, f->rc, f->lazy, error);
}

bool
snapshot_restore_into(Vm *vm, const RestoreConfig *rc, SnapshotLazyMem **lazy,
                      GError **error)
{
    g_autofree char *dir = snapshot_url_to_path(rc->source_url, error);
    g_autofree char *text = NULL;
    g_autoptr(JsonNode) root = NULL;
    SnapshotFillFromDir fill = { .rc = rc, .lazy = lazy };
    gsize len = 0;

    if (!dir)
        return false;
    text = snapshot_read_file(dir, SNAPSHOT_STATE_FILE,
                              SNAPSHOT_STATE_MAX_BYTES, &len, error);
    if (!text || !(root = snapshot_state_parse(text, (gssize)len, error)))
        return false;
    fill.dir = dir;
    return snapshot_state_apply(vm, root, snapshot_fill_from_dir, &fill,
                                error);
}

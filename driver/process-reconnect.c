/* SPDX-License-Identifier: Apache-2.0 */
/* Adopting the nimbus processes a previous nimbusd left running. */
#include <config.h>

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "driver/monitor.h"
#include "driver/process.h"
#include "driver/vsock.h"
#include "driver/util.h"

/* What a state file records (drv_process_save_state). */
typedef struct {
    gint64 pid;
    gint64 start_ticks;
    gint64 id;
    gint64 state;
    gint64 reason;
    bool shutdown_requested;
    const char *xml;        /* borrowed from the parser */
} DrvStateFile;

static bool
drv_state_file_parse(JsonParser *jp, const char *path, DrvStateFile *sf,
                     GError **error)
{
    JsonNode *root;
    JsonObject *o;

    if (!json_parser_load_from_mapped_file(jp, path, error))
        return false;
    root = json_parser_get_root(jp);
    o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    if (!o || !drv_json_int(o, "pid", &sf->pid) || sf->pid <= 0 ||
        !drv_json_int(o, "start_ticks", &sf->start_ticks) ||
        !drv_json_int(o, "id", &sf->id) || sf->id <= 0 || sf->id > G_MAXINT ||
        !drv_json_int(o, "state", &sf->state) ||
        !drv_json_int(o, "reason", &sf->reason) ||
        !(sf->xml = drv_json_string(o, "xml"))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "'%s' is not a nimbusd state file", path);
        return false;
    }
    sf->shutdown_requested = drv_json_bool(o, "shutdown_requested", false);
    return true;
}

/* Removes the runtime files of a run that is over. */
static void
drv_state_files_remove(DrvDriver *driver, const char *name)
{
    static const char *const suffixes[] = {
        ".json", ".sock", ".sock.lock", ".events",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(suffixes); i++) {
        g_autofree char *p = drv_config_state_path(driver->config, name, suffixes[i]);

        unlink(p);
    }
}

/* Resynchronises the pause state with the VMM (nimbus-remote may have
 * paused or resumed it while no daemon watched). */
static void
drv_process_sync_state(DrvDomainObj *obj)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) info = drv_monitor_get(obj->proc->api_socket, "vm.info",
                                               &error);
    const char *state;

    if (!info) {
        g_warning("domain '%s': %s", obj->name, error->message);
        return;
    }
    state = drv_monitor_info_state(info);
    if (g_strcmp0(state, "Paused") == 0 && obj->state != DRV_STATE_PAUSED)
        drv_domain_obj_set_state(obj, DRV_STATE_PAUSED, DRV_PAUSED_UNKNOWN);
    else if (g_strcmp0(state, "Running") == 0 && obj->state != DRV_STATE_RUNNING)
        drv_domain_obj_set_state(obj, DRV_STATE_RUNNING, DRV_RUNNING_UNKNOWN);
}

static void
drv_process_reconnect_one(DrvDriver *driver, const char *name)
{
    g_autofree char *path = drv_config_state_path(driver->config, name, ".json");
    g_autoptr(JsonParser) jp = json_parser_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) def = NULL;
    DrvStateFile sf = { 0 };
    uint64_t ticks = 0;
    DrvDomainObj *obj;
    DrvProcess *proc;
    bool created = false;
    struct stat st;

    if (!drv_state_file_parse(jp, path, &sf, &error)) {
        g_warning("%s: removing it", error->message);
        drv_state_files_remove(driver, name);
        return;
    }
    /* Same pid and same start time: the very process we spawned, not a
     * newcomer that reuses its pid. */
    if (!drv_proc_stat((pid_t)sf.pid, &ticks, NULL) ||
        ticks != (uint64_t)sf.start_ticks) {
        g_message("domain '%s': nimbus pid %d is gone; the domain is shut off",
                  name, (int)sf.pid);
        drv_state_files_remove(driver, name);
        return;
    }
    def = domain_def_parse_string(sf.xml, 0, &error);
    if (!def || strcmp(def->name, name) != 0) {
        g_warning("domain '%s': cannot read the live definition in '%s': %s; leaving nimbus pid %d alone",
                  name, path, def ? "another domain's name" : error->message,
                  (int)sf.pid);
        return;
    }
    obj = drv_domain_list_claim(driver->domains, def, &created, &error);
    if (!obj) {
        g_warning("domain '%s': %s; leaving nimbus pid %d alone", name,
                  error->message, (int)sf.pid);
        return;
    }
    proc = g_new0(DrvProcess, 1);
    proc->generation = ++obj->generation;
    proc->pid = (pid_t)sf.pid;
    proc->start_ticks = ticks;
    proc->is_child = false;
    proc->pidfd = -1;
    proc->shutdown_requested = sf.shutdown_requested;
    proc->api_socket = drv_config_state_path(driver->config, name, ".sock");
    proc->events_path = drv_config_state_path(driver->config, name, ".events");
    proc->state_path = g_strdup(path);
    proc->log_path = drv_config_state_path(driver->config, name, ".log");
    obj->proc = proc;
    /* Its vsock keeps the CID it runs with (the live XML's address). */
    if (!drv_vsock_prepare(driver, name, def, &error)) {
        g_warning("domain '%s': %s", name, error->message);
        g_clear_error(&error);
    }
    obj->live = g_steal_pointer(&def);
    /* What the guest wrote while no daemon read its pty is kept only as
     * far as the pty buffered it; what was logged before stays (append). */
    if (!drv_process_console_logs_start(proc, obj->live, true, &error)) {
        g_warning("domain '%s': %s", name, error->message);
        g_clear_error(&error);
    }
    obj->id = (int)sf.id;
    drv_domain_obj_set_state(obj, (DrvDomainState)sf.state, (int)sf.reason);
    /* Events written while no daemon listened are lost; the state they
     * describe is read back from vm.info below instead. */
    if (!drv_process_watch_exit(driver, obj, &error) ||
        !drv_process_watch_events(driver, obj,
                                  stat(proc->events_path, &st) == 0 ? st.st_size : 0,
                                  &error))
        g_warning("domain '%s': %s", name, error->message);
    drv_process_sync_state(obj);
    g_mutex_lock(&driver->lock);
    driver->next_id = MAX(driver->next_id, obj->id + 1);
    g_mutex_unlock(&driver->lock);
    g_message("domain '%s': reconnected to nimbus pid %d (id %d)", name,
              (int)proc->pid, obj->id);
    drv_process_save_state(driver, obj);
    drv_domain_obj_unlock(obj);
    drv_domain_obj_unref(obj);
}

void
drv_process_reconnect_all(DrvDriver *driver)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) dir = g_dir_open(driver->config->state_dir, 0, &error);
    const char *file;

    if (!dir) {
        g_warning("%s", error->message);
        return;
    }
    while ((file = g_dir_read_name(dir))) {
        g_autofree char *name = NULL;

        if (!g_str_has_suffix(file, ".json") || strlen(file) <= strlen(".json"))
            continue;
        name = g_strndup(file, strlen(file) - strlen(".json"));
        drv_process_reconnect_one(driver, name);
    }
}

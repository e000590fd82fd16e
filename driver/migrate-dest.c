/* SPDX-License-Identifier: Apache-2.0 */
/* Live migration, destination side: PREPARE (a nimbus that listens) and FINISH. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "driver/domain-list.h"
#include "driver/migrate.h"
#include "driver/migrate-priv.h"
#include "driver/monitor.h"
#include "driver/process.h"

/* FINISH waits this long for nimbus's verdict: the source's PERFORM has
 * already seen the migration complete, so only the last step is left. */
#define DRV_MIGRATE_FINISH_WAIT_S 60

/* A free TCP port on @addr ("[v6]" or v4) for nimbus to listen on.  Another
 * process may take it before nimbus binds: PREPARE then fails cleanly. */
static int
drv_migrate_free_port(const char *addr, GError **error)
{
    g_autofree char *host = g_strdup(addr[0] == '[' ? addr + 1 : addr);
    g_autoptr(GInetAddress) inet = NULL;
    g_autoptr(GSocketAddress) sa = NULL;
    g_autoptr(GSocketAddress) bound = NULL;
    g_autoptr(GSocket) sock = NULL;

    if (addr[0] == '[')
        host[strlen(host) - 1] = '\0';
    inet = g_inet_address_new_from_string(host);
    if (!inet) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "invalid migration address '%s'", addr);
        return -1;
    }
    sa = g_inet_socket_address_new(inet, 0);
    sock = g_socket_new(g_inet_address_get_family(inet),
                        G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
    if (!sock || !g_socket_bind(sock, sa, FALSE, error) ||
        !(bound = g_socket_get_local_address(sock, error)))
        return -1;
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

/* The definition an incoming migration runs (transfer full). */
static DomainDef *
drv_migrate_incoming_def(const DrvMigrateParams *params,
                         const DrvMigrateCookie *cookie, GError **error)
{
    g_autoptr(DomainDef) def = NULL;

    if (!params->dest_xml) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "incoming migration needs the domain XML (destination_xml)");
        return NULL;
    }
    def = domain_def_parse_string(params->dest_xml, DOMAIN_DEF_PARSE_INACTIVE,
                                  error);
    if (!def)
        return NULL;
    if (cookie->name && memcmp(cookie->uuid, def->uuid, sizeof(def->uuid))) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "destination XML describes domain '%s', but '%s' migrates",
                    def->name, cookie->name);
        return NULL;
    }
    if (params->dest_name) {
        if (!domain_name_check(params->dest_name, error))
            return NULL;
        g_free(def->name);
        def->name = g_strdup(params->dest_name);
    }
    if (!drv_migrate_check_def(def, error) ||
        !domain_def_check_vmconfig(def, error))
        return NULL;
    return g_steal_pointer(&def);
}

char *
drv_migrate_prepare(DrvDriver *driver, const DrvMigrateParams *params,
                    unsigned int flags, DrvMigrateCookieIO *cookie,
                    GError **error)
{
    DrvMigrateCookie in = { 0 };
    g_autoptr(DomainDef) def = NULL;
    g_autofree char *url = NULL;
    DrvDomainObj *obj;
    bool created = false;
    bool ok = false;

    if (!drv_migrate_check_flags(flags, "virDomainMigratePrepare3Params",
                                 error) ||
        !drv_migrate_cookie_parse(cookie->in, cookie->in_len, &in, error))
        return NULL;
    def = drv_migrate_incoming_def(params, &in, error);
    if (def)
        url = drv_migrate_listen_url(params->migrate_uri,
                                     drv_migrate_free_port, error);
    if (!def || !url) {
        drv_migrate_cookie_clear(&in);
        return NULL;
    }
    /* Same name and uuid as a defined domain, or a new transient one. */
    obj = drv_domain_list_claim(driver->domains, def, &created, error);
    if (obj && drv_domain_job_begin(obj, "incoming migration", error)) {
        if (drv_domain_obj_is_active(obj)) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                        "domain '%s' is already active", obj->name);
        } else {
            obj->migrate.phase = DRV_MIGRATE_RUNNING;
            obj->migrate.incoming = true;
            obj->migrate.started = g_get_monotonic_time();
            obj->migrate.ended = 0;
            obj->migrate.iterations = 0;
            ok = drv_process_start_incoming(driver, obj,
                                            g_steal_pointer(&def), url,
                                            error);
            if (!ok)
                obj->migrate.phase = DRV_MIGRATE_NONE;
        }
        if (!ok && created)
            drv_domain_list_remove_locked(driver->domains, obj);
        drv_domain_job_end(obj);
    } else if (obj && created) {
        drv_domain_list_remove_locked(driver->domains, obj);
    }
    if (obj) {
        drv_domain_obj_unlock(obj);
        drv_domain_obj_unref(obj);
    }
    if (ok)
        drv_migrate_cookie_out(&in, cookie);
    drv_migrate_cookie_clear(&in);
    return ok ? g_steal_pointer(&url) : NULL;
}

/* Drops an incoming domain that will not run (obj locked, job held). */
static void
drv_migrate_discard_locked(DrvDriver *driver, DrvDomainObj *obj)
{
    g_autoptr(GError) local = NULL;

    obj->migrate.phase = DRV_MIGRATE_NONE;
    if (!obj->proc)
        return;
    if (!drv_process_kill(driver, obj, false, &local))
        g_warning("domain '%s': %s", obj->name, local->message);
    if (obj->proc && obj->proc->exited)
        drv_process_stop(driver, obj, DRV_SHUTOFF_FAILED);
}

/* The received VM: running (or paused with DRV_MIGRATE_PAUSED) and its
 * ptys known (obj locked, job held, the migration DONE). */
static bool
drv_migrate_finish_run_locked(DrvDriver *driver, DrvDomainObj *obj,
                              unsigned int flags, GError **error)
{
    g_autofree char *sock = g_strdup(obj->proc->api_socket);
    g_autoptr(JsonNode) info = NULL;
    g_autofree char *serial = NULL;
    g_autofree char *console = NULL;
    g_autoptr(GError) local = NULL;
    const char *state;
    bool want_paused = flags & DRV_MIGRATE_PAUSED;
    bool ok;

    drv_domain_obj_unlock(obj);
    info = drv_monitor_get(sock, "vm.info", error);
    state = info ? drv_monitor_info_state(info) : NULL;
    ok = info != NULL;
    /* A source that was paused sends CompletePaused. */
    if (ok && !want_paused && g_strcmp0(state, "Paused") == 0)
        ok = drv_monitor_put(sock, "vm.resume", NULL, error);
    else if (ok && want_paused && g_strcmp0(state, "Running") == 0)
        ok = drv_monitor_put(sock, "vm.pause", NULL, error);
    drv_domain_obj_lock(obj);
    if (!ok)
        return false;
    serial = drv_monitor_info_pty(info, "serial");
    console = drv_monitor_info_pty(info, "console");
    if (obj->live->serial_type == DOMAIN_CHR_PTY && serial)
        domain_def_set_serial_path(obj->live, serial);
    if (obj->live->console_type == DOMAIN_CHR_PTY && console)
        domain_def_set_console_path(obj->live, console);
    /* The VM runs here now: a log it cannot write is only a warning.  The
     * source's log had the output before the move: append. */
    if (obj->proc && !drv_process_console_logs_start(obj->proc, obj->live,
                                                     true, &local))
        g_warning("domain '%s': %s", obj->name, local->message);
    if (want_paused) {
        drv_domain_obj_set_state(obj, DRV_STATE_PAUSED, DRV_PAUSED_USER);
        drv_domain_event_emit(driver, obj, DRV_EVENT_SUSPENDED,
                              DRV_EVENT_SUSPENDED_PAUSED);
    } else {
        drv_domain_obj_set_state(obj, DRV_STATE_RUNNING, DRV_RUNNING_MIGRATED);
        drv_domain_event_emit(driver, obj, DRV_EVENT_RESUMED,
                              DRV_EVENT_RESUMED_MIGRATED);
    }
    return true;
}

/* PERSIST_DEST: the incoming domain becomes persistent (obj locked). */
static bool
drv_migrate_persist_locked(DrvDriver *driver, DrvDomainObj *obj,
                           const char *persist_xml, GError **error)
{
    g_autoptr(DomainDef) def = NULL;
    bool added = obj->def == NULL;

    if (persist_xml) {
        def = domain_def_parse_string(persist_xml, DOMAIN_DEF_PARSE_INACTIVE,
                                      error);
        if (!def)
            return false;
        if (strcmp(def->name, obj->name) != 0 ||
            memcmp(def->uuid, obj->uuid, sizeof(def->uuid)) != 0) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                        "persistent XML for '%s' given for '%s': name and uuid must match",
                        def->name, obj->name);
            return false;
        }
    } else {
        def = domain_def_copy(obj->live);
    }
    if (!drv_domain_save_config(driver, def, error))
        return false;
    g_clear_pointer(&obj->def, domain_def_free);
    obj->def = g_steal_pointer(&def);
    drv_domain_event_emit(driver, obj, DRV_EVENT_DEFINED,
                          added ? DRV_EVENT_DEFINED_ADDED
                                : DRV_EVENT_DEFINED_UPDATED);
    return true;
}

/* The incoming domain FINISH is about (transfer full, unlocked). */
static DrvDomainObj *
drv_migrate_finish_lookup(DrvDriver *driver, const DrvMigrateParams *params,
                          const DrvMigrateCookie *cookie, GError **error)
{
    if (cookie->name)
        return drv_domain_lookup_by_uuid(driver, cookie->uuid, error);
    if (params->dest_name)
        return drv_domain_lookup_by_name(driver, params->dest_name, error);
    g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                        "finishing a migration needs its cookie or destination_name");
    return NULL;
}

DrvDomainObj *
drv_migrate_finish(DrvDriver *driver, const DrvMigrateParams *params,
                   unsigned int flags, bool cancelled,
                   DrvMigrateCookieIO *cookie, GError **error)
{
    DrvMigrateCookie in = { 0 };
    g_autoptr(DrvDomainObj) obj = NULL;
    g_autofree char *log = NULL;
    bool ok = false;

    if (!drv_migrate_check_flags(flags, "virDomainMigrateFinish3Params",
                                 error) ||
        !drv_migrate_cookie_parse(cookie->in, cookie->in_len, &in, error))
        return NULL;
    obj = drv_migrate_finish_lookup(driver, params, &in, error);
    if (!obj) {
        drv_migrate_cookie_clear(&in);
        return NULL;
    }
    drv_domain_obj_lock(obj);
    if (!drv_domain_job_begin(obj, "incoming migration", error)) {
        drv_domain_obj_unlock(obj);
        drv_migrate_cookie_clear(&in);
        return NULL;
    }
    if (!obj->proc || !obj->migrate.incoming ||
        obj->migrate.phase == DRV_MIGRATE_NONE) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "domain '%s' has no incoming migration", obj->name);
    } else if (cancelled) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "migration of domain '%s' was cancelled by the source",
                    obj->name);
        drv_migrate_discard_locked(driver, obj);
    } else {
        log = g_strdup(obj->proc->log_path);
        drv_migrate_wait_locked(driver, obj, g_get_monotonic_time() +
                                DRV_MIGRATE_FINISH_WAIT_S * G_TIME_SPAN_SECOND);
        if (obj->migrate.phase != DRV_MIGRATE_DONE)
            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                        "domain '%s' was not received (log: %s)", obj->name,
                        log);
        else
            ok = drv_migrate_finish_run_locked(driver, obj, flags, error) &&
                 (!(flags & DRV_MIGRATE_PERSIST_DEST) ||
                  drv_migrate_persist_locked(driver, obj, params->persist_xml,
                                             error));
        if (!ok)
            drv_migrate_discard_locked(driver, obj);
        obj->migrate.phase = DRV_MIGRATE_NONE;
        if (ok)
            drv_process_save_state(driver, obj);
    }
    drv_domain_job_end(obj);
    drv_domain_obj_unlock(obj);
    if (ok)
        drv_migrate_cookie_out(&in, cookie);
    drv_migrate_cookie_clear(&in);
    return ok ? g_steal_pointer(&obj) : NULL;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Live migration between nimbusd daemons: source side, job queries, VMM events. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "driver/domain-list.h"
#include "driver/migrate.h"
#include "driver/migrate-priv.h"
#include "driver/migrate-peer.h"
#include "driver/monitor.h"
#include "driver/process.h"

/* ---- checks shared by both sides ----------------------------------------- */

/* What a migration cannot carry yet: host resources made per run on this
 * host (TAPs, vsock CIDs) that the VMM configuration names. */
bool
drv_migrate_check_def(const DomainDef *def, GError **error)
{
    g_autoptr(GPtrArray) nets = domain_def_net_refs(def);
    uint32_t cid = 0;
    bool cid_auto = false;

    if (nets->len > 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_UNSUPPORTED,
                    "cannot migrate domain '%s': network interfaces are not migratable yet",
                    def->name);
        return false;
    }
    if (!domain_def_check_no_vhost_user_disk(def, "migrate", error))
        return false;
    if (domain_def_vsock_get(def, &cid, &cid_auto)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_UNSUPPORTED,
                    "cannot migrate domain '%s': a vsock device is not migratable yet",
                    def->name);
        return false;
    }
    return true;
}

/* The SHA-256 of the definition, for CHANGE_PROTECTION (transfer full). */
static char *
drv_migrate_digest(const DomainDef *def, GError **error)
{
    g_autofree char *xml = domain_def_format(def, -1,
                                             DOMAIN_DEF_FORMAT_SECURE |
                                             DOMAIN_DEF_FORMAT_MIGRATABLE,
                                             error);

    return xml ? g_compute_checksum_for_string(G_CHECKSUM_SHA256, xml, -1)
               : NULL;
}

void
drv_migrate_cookie_out(const DrvMigrateCookie *cookie, DrvMigrateCookieIO *io)
{
    io->out = drv_migrate_cookie_format(cookie, &io->out_len);
}

/* ---- source ------------------------------------------------------------- */

/* The XML for the destination (obj locked): the live definition, or
 * @dest_xml when it describes the same VM (same name, uuid and VMM
 * configuration: nimbus sends that configuration itself). */
static char *
drv_migrate_xml_locked(DrvDomainObj *obj, const char *dest_xml, GError **error)
{
    const unsigned int fmt = DOMAIN_DEF_FORMAT_SECURE |
                             DOMAIN_DEF_FORMAT_MIGRATABLE;
    g_autoptr(DomainDef) repl = NULL;
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;

    if (!drv_migrate_check_def(obj->live, error))
        return NULL;
    if (!dest_xml)
        return domain_def_format(obj->live, -1, fmt, error);
    repl = domain_def_parse_string(dest_xml, DOMAIN_DEF_PARSE_INACTIVE, error);
    if (!repl)
        return NULL;
    if (strcmp(repl->name, obj->live->name) != 0 ||
        memcmp(repl->uuid, obj->live->uuid, sizeof(repl->uuid)) != 0) {
        /* A rename goes through destination_name. */
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "destination XML for '%s' given for '%s': name and uuid must match",
                    repl->name, obj->name);
        return NULL;
    }
    if (!(a = domain_def_to_vmconfig_json(obj->live, error)) ||
        !(b = domain_def_to_vmconfig_json(repl, error)))
        return NULL;
    if (strcmp(a, b) != 0) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                            "the destination XML changes the virtual machine that migrates");
        return NULL;
    }
    return domain_def_format(repl, -1, fmt, error);
}

/* An active domain that no migration holds (obj locked). */
static bool
drv_migrate_check_source(DrvDomainObj *obj, GError **error)
{
    if (!drv_domain_obj_is_active(obj) || !obj->proc || !obj->live) {
        drv_domain_set_error_not_running(error);
        return false;
    }
    if (obj->migrate.phase == DRV_MIGRATE_RUNNING ||
        drv_migrate_awaits_confirm(obj)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "domain '%s' is already migrating", obj->name);
        return false;
    }
    return true;
}

char *
drv_migrate_begin(DrvDriver *driver, DrvDomainObj *obj,
                  const DrvMigrateParams *params, unsigned int flags,
                  DrvMigrateCookieIO *cookie, GError **error)
{
    DrvMigrateCookie out = { 0 };
    char *xml = NULL;

    if (!drv_migrate_check_flags(flags, "virDomainMigrateBegin3Params", error))
        return NULL;
    drv_domain_obj_lock(obj);
    if (drv_migrate_check_source(obj, error) &&
        (xml = drv_migrate_xml_locked(obj, params->dest_xml, error))) {
        out.name = g_strdup(obj->name);
        memcpy(out.uuid, obj->uuid, sizeof(out.uuid));
        /* PERFORM compares: a definition changed in between is refused. */
        if ((flags & DRV_MIGRATE_CHANGE_PROTECTION) &&
            !(out.digest = drv_migrate_digest(obj->live, error)))
            g_clear_pointer(&xml, g_free);
    }
    drv_domain_obj_unlock(obj);
    if (xml)
        drv_migrate_cookie_out(&out, cookie);
    drv_migrate_cookie_clear(&out);
    return xml;
}

/* vm.send-migration's body. */
static char *
drv_migrate_send_body(const char *url, uint64_t downtime_ms)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "destination_url");
    json_builder_add_string_value(b, url);
    if (downtime_ms) {
        json_builder_set_member_name(b, "downtime_ms");
        json_builder_add_int_value(b, (gint64)downtime_ms);
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

/* Waits (obj locked) until nimbus reported the end of the migration or
 * exited; then the phase is DONE or FAILED. */
void
drv_migrate_wait_locked(DrvDriver *driver, DrvDomainObj *obj,
                        gint64 deadline)
{
    while (obj->migrate.phase == DRV_MIGRATE_RUNNING && obj->proc &&
           !obj->proc->exited) {
        if (deadline) {
            if (!g_cond_wait_until(&obj->cond, &obj->lock, deadline))
                break;
        } else {
            g_cond_wait(&obj->cond, &obj->lock);
        }
    }
    /* The exit may be seen before the last events were read. */
    if (obj->migrate.phase == DRV_MIGRATE_RUNNING && obj->proc)
        drv_process_drain_events(driver, obj);
    if (obj->migrate.phase == DRV_MIGRATE_RUNNING)
        obj->migrate.phase = DRV_MIGRATE_FAILED;
    obj->migrate.ended = g_get_monotonic_time();
}

/* The error of a send nimbus reported failed: its log's last line says
 * why (nimbus logs one error per failed migration). */
static void
drv_migrate_set_vmm_error(GError **error, const char *name, const char *url,
                          const char *log)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    const char *last = "";
    g_auto(GStrv) lines = NULL;

    if (g_file_get_contents(log, &text, &len, NULL)) {
        /* The tail is enough: a log grows with every run. */
        lines = g_strsplit(len > 4096 ? text + len - 4096 : text, "\n", -1);
        for (guint i = 0; lines[i]; i++) {
            if (*g_strstrip(lines[i]))
                last = lines[i];
        }
    }
    g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                "migrating domain '%s' to '%s' failed: %s (log: %s)", name,
                url, *last ? last : "nimbus gave no reason", log);
}

/* Resumes a source this migration paused, after a failure (obj locked,
 * job held). */
static void
drv_migrate_source_resume(DrvDriver *driver, DrvDomainObj *obj)
{
    g_autofree char *sock = g_strdup(obj->proc->api_socket);
    g_autoptr(GError) local = NULL;
    bool ok;

    drv_domain_obj_unlock(obj);
    ok = drv_monitor_put(sock, "vm.resume", NULL, &local);
    drv_domain_obj_lock(obj);
    if (!ok) {
        g_warning("domain '%s': cannot resume after a failed migration: %s",
                  obj->name, local->message);
        return;
    }
    drv_domain_obj_set_state(obj, DRV_STATE_RUNNING, DRV_RUNNING_MIGRATED);
    drv_domain_event_emit(driver, obj, DRV_EVENT_RESUMED,
                          DRV_EVENT_RESUMED_MIGRATED);
}

/*
 * Sends @obj's VM to the nimbus listening at @url (obj locked, job held,
 * active).  Without LIVE the guest is paused first, as libvirt does.  On
 * success the source VMM has handed the VM over (it exits by itself) and
 * the domain is PAUSED/MIGRATION; on failure it runs on as before.
 */
static bool
drv_migrate_send_locked(DrvDriver *driver, DrvDomainObj *obj, const char *url,
                        unsigned int flags, GError **error)
{
    g_autofree char *sock = g_strdup(obj->proc->api_socket);
    g_autofree char *log = g_strdup(obj->proc->log_path);
    g_autofree char *body = drv_migrate_send_body(url,
                                                  obj->migrate.max_downtime_ms);
    g_autoptr(GError) local = NULL;
    bool paused_here = false;
    bool ok = true;

    if (!(flags & DRV_MIGRATE_LIVE) && obj->state == DRV_STATE_RUNNING) {
        drv_domain_obj_unlock(obj);
        ok = drv_monitor_put(sock, "vm.pause", NULL, &local);
        drv_domain_obj_lock(obj);
        if (ok) {
            paused_here = true;
            drv_domain_obj_set_state(obj, DRV_STATE_PAUSED,
                                     DRV_PAUSED_MIGRATION);
            drv_domain_event_emit(driver, obj, DRV_EVENT_SUSPENDED,
                                  DRV_EVENT_SUSPENDED_MIGRATED);
        }
    }
    if (ok) {
        obj->migrate.phase = DRV_MIGRATE_RUNNING;
        obj->migrate.incoming = false;
        obj->migrate.started = g_get_monotonic_time();
        obj->migrate.ended = 0;
        obj->migrate.iterations = 0;
        obj->migrate.abort_requested = false;
        drv_domain_obj_unlock(obj);
        ok = drv_monitor_put(sock, "vm.send-migration", body, &local);
        drv_domain_obj_lock(obj);
        if (!ok) {
            obj->migrate.phase = DRV_MIGRATE_FAILED;
            obj->migrate.ended = g_get_monotonic_time();
        } else {
            drv_migrate_wait_locked(driver, obj, 0);
            ok = obj->migrate.phase == DRV_MIGRATE_DONE;
        }
    }
    if (!ok) {
        if (local)
            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                        "cannot migrate domain '%s': %s", obj->name,
                        local->message);
        else if (obj->migrate.abort_requested)
            /* libvirt's words for a job the client aborted. */
            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_ABORTED,
                        "operation aborted: migration out job: canceled by "
                        "client (domain '%s')", obj->name);
        else
            drv_migrate_set_vmm_error(error, obj->name, url, log);
        if (paused_here && obj->proc && !obj->proc->exited)
            drv_migrate_source_resume(driver, obj);
        obj->migrate.phase = DRV_MIGRATE_NONE;
        drv_process_save_state(driver, obj);
        return false;
    }
    if (obj->state == DRV_STATE_RUNNING) {
        drv_domain_obj_set_state(obj, DRV_STATE_PAUSED, DRV_PAUSED_MIGRATION);
        drv_domain_event_emit(driver, obj, DRV_EVENT_SUSPENDED,
                              DRV_EVENT_SUSPENDED_MIGRATED);
    }
    return true;
}

/* The VM lives on at the destination: the source domain stops (obj
 * locked, job held), STOPPED MIGRATED, or FAILED when the destination
 * could not take it. */
static void
drv_migrate_source_stop(DrvDriver *driver, DrvDomainObj *obj, bool migrated)
{
    g_autoptr(GError) local = NULL;

    obj->migrate.phase = DRV_MIGRATE_NONE;
    if (!obj->proc)
        return;
    /* It exits by itself after the hand-over; SIGTERM if it lingers. */
    if (!drv_process_kill(driver, obj, false, &local))
        g_warning("domain '%s': %s", obj->name, local->message);
    if (obj->proc && obj->proc->exited)
        drv_process_stop(driver, obj,
                         migrated ? DRV_SHUTOFF_MIGRATED : DRV_SHUTOFF_FAILED);
}

/* Typed string parameters for the peer (borrowed strings). */
static void
drv_migrate_param_add(GArray *params, const char *field, const char *value)
{
    remote_typed_param p;

    if (!value)
        return;
    memset(&p, 0, sizeof(p));
    p.field = (char *)field;
    p.value.type = 7;   /* VIR_TYPED_PARAM_STRING */
    p.value.remote_typed_param_value_u.s = (char *)value;
    g_array_append_val(params, p);
}

/*
 * Peer-to-peer (obj locked, job held for the whole migration, which is
 * what CHANGE_PROTECTION asks): PREPARE on the destination daemon, the
 * send, FINISH there, and CONFIRM here.
 */
static bool
drv_migrate_p2p_locked(DrvDriver *driver, DrvDomainObj *obj,
                       const char *dconnuri, const DrvMigrateParams *params,
                       unsigned int flags, GError **error)
{
    g_autoptr(DrvMigratePeer) peer = NULL;
    g_autoptr(GArray) plist = g_array_new(FALSE, TRUE,
                                          sizeof(remote_typed_param));
    g_autofree char *xml = NULL;
    g_autofree char *url = NULL;
    g_autoptr(GError) finish_err = NULL;
    DrvMigrateCookie cookie = { 0 };
    remote_domain_migrate_prepare3_params_args pargs;
    remote_domain_migrate_prepare3_params_ret pret;
    remote_domain_migrate_finish3_params_args fargs;
    remote_domain_migrate_finish3_params_ret fret;
    size_t cookie_len = 0;
    g_autofree char *cookie_text = NULL;
    bool sent;
    bool ok;

    if (!dconnuri) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "peer-to-peer migration needs the destination URI");
        return false;
    }
    if (!(xml = drv_migrate_xml_locked(obj, params->dest_xml, error)))
        return false;
    cookie.name = obj->name;
    memcpy(cookie.uuid, obj->uuid, sizeof(cookie.uuid));
    cookie_text = drv_migrate_cookie_format(&cookie, &cookie_len);
    drv_migrate_param_add(plist, DRV_MIGRATE_PARAM_DEST_XML, xml);
    drv_migrate_param_add(plist, DRV_MIGRATE_PARAM_DEST_NAME,
                          params->dest_name);
    drv_migrate_param_add(plist, DRV_MIGRATE_PARAM_URI, params->migrate_uri);
    drv_migrate_param_add(plist, DRV_MIGRATE_PARAM_PERSIST_XML,
                          params->persist_xml);

    memset(&pargs, 0, sizeof(pargs));
    memset(&pret, 0, sizeof(pret));
    pargs.params.remote_migrate_param_list_len = plist->len;
    pargs.params.remote_migrate_param_list_val =
        (remote_typed_param *)(void *)plist->data;
    pargs.cookie_in.remote_migrate_cookie_len = (u_int)cookie_len;
    pargs.cookie_in.remote_migrate_cookie_val = cookie_text;
    pargs.flags = flags & ~DRV_MIGRATE_PEER2PEER;
    /* The peer is slow (it starts a nimbus): the job keeps the domain
     * ours while the lock is dropped. */
    drv_domain_obj_unlock(obj);
    peer = drv_migrate_peer_open(dconnuri, error);
    ok = peer && drv_migrate_peer_call(
        peer, REMOTE_PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS,
        (xdrproc_t)xdr_remote_domain_migrate_prepare3_params_args, &pargs,
        (xdrproc_t)xdr_remote_domain_migrate_prepare3_params_ret, &pret,
        error);
    drv_domain_obj_lock(obj);
    if (!ok)
        return false;
    url = pret.uri_out && *pret.uri_out ? g_strdup(*pret.uri_out) : NULL;
    xdr_free((xdrproc_t)xdr_remote_domain_migrate_prepare3_params_ret,
             (char *)&pret);
    if (!url) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                    "destination '%s' gave no migration URI", dconnuri);
        return false;
    }
    if (!obj->proc || obj->proc->exited) {
        /* Gone while the destination prepared: it discards its side. */
        drv_domain_set_error_not_running(error);
        sent = false;
    } else {
        sent = drv_migrate_send_locked(driver, obj, url, flags, error);
    }

    memset(&fargs, 0, sizeof(fargs));
    memset(&fret, 0, sizeof(fret));
    fargs.params = pargs.params;
    fargs.cookie_in = pargs.cookie_in;
    fargs.flags = pargs.flags;
    fargs.cancelled = !sent;
    drv_domain_obj_unlock(obj);
    ok = drv_migrate_peer_call(
        peer, REMOTE_PROC_DOMAIN_MIGRATE_FINISH3_PARAMS,
        (xdrproc_t)xdr_remote_domain_migrate_finish3_params_args, &fargs,
        (xdrproc_t)xdr_remote_domain_migrate_finish3_params_ret, &fret,
        &finish_err);
    drv_domain_obj_lock(obj);
    if (ok)
        xdr_free((xdrproc_t)xdr_remote_domain_migrate_finish3_params_ret,
                 (char *)&fret);
    if (!sent)
        return false;   /* FINISH only discarded the destination's side */
    if (!ok) {
        /* nimbus handed the VM over, but the destination could not run
         * it: there is nothing left here to resume. */
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "domain '%s' was sent but the destination failed to finish: %s",
                    obj->name, finish_err->message);
        drv_migrate_source_stop(driver, obj, false);
        return false;
    }
    drv_migrate_source_stop(driver, obj, true);
    return true;
}

/* Managed PERFORM (obj locked, job held): the send to the URL PREPARE
 * gave (the migrate_uri parameter), after CHANGE_PROTECTION's check. */
static bool
drv_migrate_perform_managed_locked(DrvDriver *driver, DrvDomainObj *obj,
                                   const DrvMigrateParams *params,
                                   unsigned int flags,
                                   const DrvMigrateCookie *cookie,
                                   GError **error)
{
    g_autofree char *digest = NULL;

    if (!params->migrate_uri) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "migration needs the destination's migrate_uri");
        return false;
    }
    if (cookie->name && memcmp(cookie->uuid, obj->uuid, sizeof(obj->uuid))) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "migration cookie is for domain '%s', not '%s'",
                    cookie->name, obj->name);
        return false;
    }
    if (flags & DRV_MIGRATE_CHANGE_PROTECTION) {
        if (!(digest = drv_migrate_digest(obj->live, error)))
            return false;
        if (!cookie->digest || strcmp(digest, cookie->digest) != 0) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                        "domain '%s' changed since its migration began",
                        obj->name);
            return false;
        }
    }
    return drv_migrate_send_locked(driver, obj, params->migrate_uri, flags,
                                   error);
}

bool
drv_migrate_perform(DrvDriver *driver, DrvDomainObj *obj, const char *dconnuri,
                    const DrvMigrateParams *params, unsigned int flags,
                    DrvMigrateCookieIO *cookie, GError **error)
{
    DrvMigrateCookie in = { 0 };
    DrvMigrateCookie out = { 0 };
    bool p2p = flags & DRV_MIGRATE_PEER2PEER;
    bool persistent;
    bool ok = false;

    if (!drv_migrate_check_flags(flags, "virDomainMigratePerform3Params",
                                 error) ||
        !drv_migrate_cookie_parse(cookie->in, cookie->in_len, &in, error))
        return false;
    drv_domain_obj_lock(obj);
    if (!drv_domain_job_begin(obj, "migration", error)) {
        drv_domain_obj_unlock(obj);
        drv_migrate_cookie_clear(&in);
        return false;
    }
    if (drv_migrate_check_source(obj, error))
        ok = p2p ? drv_migrate_p2p_locked(driver, obj, dconnuri, params,
                                          flags, error)
                 : drv_migrate_perform_managed_locked(driver, obj, params,
                                                      flags, &in, error);
    /* Peer-to-peer callers pass no cookie buffer: the client library
     * refuses a reply that carries one. */
    if (ok && !p2p) {
        out.name = g_strdup(obj->name);
        memcpy(out.uuid, obj->uuid, sizeof(out.uuid));
        drv_migrate_cookie_out(&out, cookie);
    }
    persistent = drv_domain_obj_is_persistent(obj);
    drv_domain_job_end(obj);
    drv_domain_obj_unlock(obj);
    drv_migrate_cookie_clear(&in);
    drv_migrate_cookie_clear(&out);
    /* Peer-to-peer did CONFIRM itself. */
    if (ok && p2p && persistent && (flags & DRV_MIGRATE_UNDEFINE_SOURCE))
        return drv_domain_undefine(driver, obj, 0, error);
    return ok;
}

bool
drv_migrate_confirm(DrvDriver *driver, DrvDomainObj *obj, unsigned int flags,
                    bool cancelled, DrvMigrateCookieIO *cookie, GError **error)
{
    bool persistent;

    if (!drv_migrate_check_flags(flags, "virDomainMigrateConfirm3Params",
                                 error))
        return false;
    drv_domain_obj_lock(obj);
    if (!drv_domain_job_begin(obj, "migration confirm", error)) {
        drv_domain_obj_unlock(obj);
        return false;
    }
    if (!cancelled && !drv_migrate_awaits_confirm(obj)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "domain '%s' has no completed outgoing migration",
                    obj->name);
        drv_domain_job_end(obj);
        drv_domain_obj_unlock(obj);
        return false;
    }
    /* Cancelled after the hand-over: the VMM is gone, nothing resumes;
     * cancelled before: PERFORM already left the source running. */
    if (drv_migrate_awaits_confirm(obj))
        drv_migrate_source_stop(driver, obj, !cancelled);
    persistent = drv_domain_obj_is_persistent(obj);
    drv_domain_job_end(obj);
    drv_domain_obj_unlock(obj);
    if (!cancelled && persistent && (flags & DRV_MIGRATE_UNDEFINE_SOURCE))
        return drv_domain_undefine(driver, obj, 0, error);
    return true;
}

/* ---- job queries and VMM events ------------------------------------------ */

bool
drv_migrate_get_job_info(DrvDriver *driver, DrvDomainObj *obj,
                         unsigned int flags, DrvMigrateJobInfo *info,
                         GError **error)
{
    const DomainDef *def;
    gint64 end;

    if (!drv_check_flags(flags, DRV_JOB_STATS_COMPLETED |
                         DRV_JOB_STATS_KEEP_COMPLETED,
                         "virDomainGetJobStats", error))
        return false;
    memset(info, 0, sizeof(*info));
    drv_domain_obj_lock(obj);
    def = drv_domain_obj_current_def(obj);
    if ((flags & DRV_JOB_STATS_COMPLETED) ?
        obj->migrate.phase != DRV_MIGRATE_RUNNING && obj->migrate.ended :
        obj->migrate.phase == DRV_MIGRATE_RUNNING) {
        end = obj->migrate.ended ? obj->migrate.ended : g_get_monotonic_time();
        info->type = (flags & DRV_JOB_STATS_COMPLETED) ? DRV_JOB_COMPLETED
                                                       : DRV_JOB_UNBOUNDED;
        info->elapsed_ms = (uint64_t)(end - obj->migrate.started) / 1000;
        info->memory_total = def ? def->max_memory_kib * 1024 : 0;
        info->iterations = obj->migrate.iterations;
        info->outgoing = !obj->migrate.incoming;
    }
    drv_domain_obj_unlock(obj);
    return true;
}

bool
drv_migrate_set_max_downtime(DrvDriver *driver, DrvDomainObj *obj,
                             uint64_t ms, unsigned int flags, GError **error)
{
    if (!drv_check_flags(flags, 0, "virDomainMigrateSetMaxDowntime", error))
        return false;
    if (ms == 0) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "maximum downtime must be at least 1 ms");
        return false;
    }
    drv_domain_obj_lock(obj);
    if (!drv_domain_obj_is_active(obj)) {
        drv_domain_set_error_not_running(error);
        drv_domain_obj_unlock(obj);
        return false;
    }
    /* nimbus reads downtime_ms when the send starts: a migration already
     * running keeps the value it started with. */
    obj->migrate.max_downtime_ms = ms;
    drv_domain_obj_unlock(obj);
    return true;
}

bool
drv_migrate_get_max_downtime(DrvDriver *driver, DrvDomainObj *obj,
                             unsigned int flags, uint64_t *ms, GError **error)
{
    if (!drv_check_flags(flags, 0, "virDomainMigrateGetMaxDowntime", error))
        return false;
    drv_domain_obj_lock(obj);
    /* As setting it: a property of the running domain. */
    if (!drv_domain_obj_is_active(obj)) {
        drv_domain_set_error_not_running(error);
        drv_domain_obj_unlock(obj);
        return false;
    }
    *ms = obj->migrate.max_downtime_ms ? obj->migrate.max_downtime_ms
                                       : DRV_MIGRATE_DEFAULT_DOWNTIME_MS;
    drv_domain_obj_unlock(obj);
    return true;
}

bool
drv_migrate_abort_job(DrvDriver *driver, DrvDomainObj *obj,
                      unsigned int flags, GError **error)
{
    g_autofree char *sock = NULL;
    g_autoptr(GError) local = NULL;
    bool ok;

    if (!drv_check_flags(flags, 0, "virDomainAbortJob", error))
        return false;
    drv_domain_obj_lock(obj);
    if (!drv_domain_obj_is_active(obj) || !obj->proc) {
        drv_domain_set_error_not_running(error);
        drv_domain_obj_unlock(obj);
        return false;
    }
    /* The only job nimbus can stop is a send; PERFORM holds the domain's
     * job meanwhile, so this does not take it (as libvirt's abort). */
    if (obj->migrate.phase != DRV_MIGRATE_RUNNING || obj->migrate.incoming) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    obj->migrate.phase == DRV_MIGRATE_RUNNING
                        ? "cannot abort incoming migration of domain '%s'; "
                          "destroy it on this side, or abort the job on "
                          "the source"
                        : "no job is active on domain '%s'",
                    obj->name);
        drv_domain_obj_unlock(obj);
        return false;
    }
    sock = g_strdup(obj->proc->api_socket);
    obj->migrate.abort_requested = true;
    drv_domain_obj_unlock(obj);
    ok = drv_monitor_put(sock, "vm.nimbus-cancel-migration", NULL, &local);
    if (ok)
        return true;
    drv_domain_obj_lock(obj);
    obj->migrate.abort_requested = false;
    drv_domain_obj_unlock(obj);
    /* Typically: the hand-over has begun, or it just ended. */
    g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                "cannot abort the migration of domain '%s': %s", obj->name,
                local->message);
    return false;
}

void
drv_migrate_vmm_event(DrvDomainObj *obj, const char *event)
{
    DrvMigrateInfo *m = &obj->migrate;

    if (m->phase != DRV_MIGRATE_RUNNING)
        return;
    if (g_str_equal(event, "migration-memory-iteration") && !m->incoming) {
        m->iterations++;
    } else if (g_str_equal(event, m->incoming ? "migration-receive-finished"
                                              : "migration-finished")) {
        m->phase = DRV_MIGRATE_DONE;
    } else if (g_str_equal(event, m->incoming ? "migration-receive-failed"
                                              : "migration-failed")) {
        m->phase = DRV_MIGRATE_FAILED;
    } else {
        return;
    }
    /* Wakes PERFORM or FINISH waiting in drv_migrate_wait_locked(). */
    g_cond_broadcast(&obj->cond);
}

bool
drv_migrate_awaits_confirm(const DrvDomainObj *obj)
{
    return obj->proc && !obj->migrate.incoming &&
           obj->migrate.phase == DRV_MIGRATE_DONE;
}

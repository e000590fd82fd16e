/* SPDX-License-Identifier: Apache-2.0 */
/* RestoreConfig: vm.restore's JSON body and --restore's sub-options. */
#include <config.h>

#include <fcntl.h>
#include <gio/gio.h>

#include "config/vm-config-opts.h"
#include "daemon/snapshot.h"

/* CH's MemoryRestoreMode enum, JSON spelling then CLI spelling. */
static const char *const restore_mode_json[SNAPSHOT_RESTORE_LAST] = {
    [SNAPSHOT_RESTORE_COPY] = "Copy",
    [SNAPSHOT_RESTORE_ONDEMAND] = "OnDemand",
};
static const char *const restore_mode_cli[SNAPSHOT_RESTORE_LAST] = {
    [SNAPSHOT_RESTORE_COPY] = "copy",
    [SNAPSHOT_RESTORE_ONDEMAND] = "ondemand",
};

void
restore_config_free(RestoreConfig *rc)
{
    if (!rc)
        return;
    g_free(rc->source_url);
    if (rc->net_fds) {
        for (guint i = 0; i < rc->net_fds->len; i++)
            g_free(g_array_index(rc->net_fds, SnapshotNetFds, i).id);
        g_array_unref(rc->net_fds);
    }
    g_clear_pointer(&rc->cli_fds, g_array_unref);
    g_free(rc);
}

static bool
rc_fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool
rc_fail(GError **error, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, msg);
    return false;
}

static bool
rc_json_bool(JsonNode *m, const char *name, bool *out, GError **error)
{
    if (json_node_get_value_type(m) != G_TYPE_BOOLEAN)
        return rc_fail(error, "RestoreConfig: '%s' must be a boolean", name);
    *out = json_node_get_boolean(m);
    return true;
}

/* [{"id": "net0", "num_fds": 2}, ...]: CH's RestoredNetConfig (its "fds"
 * member, numbers of the sender's process, is not accepted: the fds ride
 * with the request). */
static bool
rc_json_net_fds(JsonNode *m, RestoreConfig *rc, GError **error)
{
    JsonArray *arr;

    if (!JSON_NODE_HOLDS_ARRAY(m))
        return rc_fail(error, "RestoreConfig: 'net_fds' must be an array");
    arr = json_node_get_array(m);
    rc->net_fds = g_array_new(FALSE, TRUE, sizeof(SnapshotNetFds));
    for (guint i = 0; i < json_array_get_length(arr); i++) {
        JsonNode *e = json_array_get_element(arr, i);
        JsonObject *o = JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e)
                                                  : NULL;
        JsonNode *id = o ? json_object_get_member(o, "id") : NULL;
        JsonNode *num = o ? json_object_get_member(o, "num_fds") : NULL;
        SnapshotNetFds nf = { 0 };
        gint64 n;

        if (!id || json_node_get_value_type(id) != G_TYPE_STRING || !num ||
            json_node_get_value_type(num) != G_TYPE_INT64 ||
            json_object_get_size(o) != 2)
            return rc_fail(error, "RestoreConfig: net_fds[%u] must be "
                           "{\"id\": string, \"num_fds\": integer}", i);
        n = json_node_get_int(num);
        if (n < 1 || n > 64)
            return rc_fail(error, "RestoreConfig: net_fds[%u].num_fds=%"
                           G_GINT64_FORMAT " is out of range (1..64)", i, n);
        nf.id = g_strdup(json_node_get_string(id));
        nf.num_fds = (unsigned)n;
        g_array_append_val(rc->net_fds, nf);
    }
    return true;
}

RestoreConfig *
restore_config_from_json(JsonNode *node, GError **error)
{
    g_autoptr(RestoreConfig) rc = g_new0(RestoreConfig, 1);
    JsonObject *o;
    g_autoptr(GList) members = NULL;

    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        rc_fail(error, "RestoreConfig must be a JSON object");
        return NULL;
    }
    o = json_node_get_object(node);
    members = json_object_get_members(o);
    for (GList *l = members; l; l = l->next) {
        const char *name = l->data;
        JsonNode *m = json_object_get_member(o, name);
        bool ok = true;

        if (g_str_equal(name, "source_url")) {
            if (json_node_get_value_type(m) != G_TYPE_STRING) {
                rc_fail(error, "RestoreConfig: 'source_url' must be a string");
                return NULL;
            }
            rc->source_url = g_strdup(json_node_get_string(m));
        } else if (g_str_equal(name, "prefault")) {
            ok = rc_json_bool(m, name, &rc->prefault, error);
        } else if (g_str_equal(name, "resume")) {
            ok = rc_json_bool(m, name, &rc->resume, error);
        } else if (g_str_equal(name, "memory_restore_mode")) {
            const char *s = json_node_get_value_type(m) == G_TYPE_STRING
                                ? json_node_get_string(m) : "";
            int mode = -1;

            for (int i = 0; i < SNAPSHOT_RESTORE_LAST; i++) {
                if (g_str_equal(s, restore_mode_json[i]))
                    mode = i;
            }
            if (mode < 0) {
                rc_fail(error, "RestoreConfig: 'memory_restore_mode' must be "
                        "\"Copy\" or \"OnDemand\"");
                return NULL;
            }
            rc->memory_restore_mode = (SnapshotRestoreMode)mode;
        } else if (g_str_equal(name, "net_fds")) {
            ok = rc_json_net_fds(m, rc, error);
        } else if (g_str_equal(name, "zone_updates") ||
                   g_str_equal(name, "vfio_fds") ||
                   g_str_equal(name, "iommufd_fd")) {
            rc_fail(error, "RestoreConfig: '%s' is not supported yet", name);
            return NULL;
        } else {
            rc_fail(error, "RestoreConfig: unknown member '%s'", name);
            return NULL;
        }
        if (!ok)
            return NULL;
    }
    if (!rc->source_url) {
        rc_fail(error, "RestoreConfig: missing field 'source_url'");
        return NULL;
    }
    return g_steal_pointer(&rc);
}

/* CH's "net_fds=[net1@[23,24],...]": descriptors this process inherited,
 * by net id; each must be open now (a typo would otherwise reach the
 * device as somebody else's fd number later). */
static bool
rc_cli_net_fds(RestoreConfig *rc, GPtrArray *tuples, GError **error)
{
    rc->net_fds = g_array_new(FALSE, TRUE, sizeof(SnapshotNetFds));
    rc->cli_fds = g_array_new(FALSE, FALSE, sizeof(int));
    for (guint i = 0; i < tuples->len; i++) {
        const VmOptsTuple *t = g_ptr_array_index(tuples, i);
        SnapshotNetFds nf = { g_strdup(t->name), t->values->len };

        g_array_append_val(rc->net_fds, nf);
        if (!t->values->len)
            return rc_fail(error, "--restore: net_fds: net '%s' has no fds",
                           t->name);
        for (guint j = 0; j < t->values->len; j++) {
            int fd = (int)g_array_index(t->values, uint32_t, j);

            if (fcntl(fd, F_GETFD) < 0)
                return rc_fail(error, "--restore: net_fds: fd %d of net '%s' "
                               "is not open", fd, t->name);
            g_array_append_val(rc->cli_fds, fd);
        }
    }
    return true;
}

RestoreConfig *
restore_config_parse_cli(const char *arg, GError **error)
{
    static const char *const known[] = {
        "source_url", "prefault", "memory_restore_mode", "resume", "net_fds",
        NULL
    };
    static const VmOptUnsupported unsupported[] = {
        { "vfio_fds", VM_OPT_UNSUP_ALWAYS, NULL },
        { "iommufd_fd", VM_OPT_UNSUP_ALWAYS, NULL },
        { "zone_updates", VM_OPT_UNSUP_ALWAYS, NULL },
        { NULL, 0, NULL },
    };
    g_autoptr(RestoreConfig) rc = g_new0(RestoreConfig, 1);
    g_autoptr(VmOpts) opts = vm_opts_parse("--restore", arg, error);
    g_autoptr(GPtrArray) net_fds = NULL;
    g_autofree char *mode = NULL;

    if (!opts || !vm_opts_check_keys(opts, known, unsupported, error) ||
        !vm_opts_get_string(opts, "source_url", &rc->source_url, error) ||
        !vm_opts_get_toggle(opts, "prefault", &rc->prefault, error) ||
        !vm_opts_get_toggle(opts, "resume", &rc->resume, error) ||
        !vm_opts_get_string(opts, "memory_restore_mode", &mode, error) ||
        !vm_opts_get_named_tuple_list(opts, "net_fds", G_MAXINT, &net_fds,
                                      error) ||
        (net_fds && !rc_cli_net_fds(rc, net_fds, error)))
        return NULL;
    if (!rc->source_url) {
        rc_fail(error, "--restore: source_url is required");
        return NULL;
    }
    if (mode) {
        int found = -1;

        for (int i = 0; i < SNAPSHOT_RESTORE_LAST; i++) {
            if (g_ascii_strcasecmp(mode, restore_mode_cli[i]) == 0)
                found = i;
        }
        if (found < 0) {
            rc_fail(error, "--restore: memory_restore_mode='%s' is not "
                    "'copy' or 'ondemand'", mode);
            return NULL;
        }
        rc->memory_restore_mode = (SnapshotRestoreMode)found;
    }
    return g_steal_pointer(&rc);
}

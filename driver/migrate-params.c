/* SPDX-License-Identifier: Apache-2.0 */
/* Migration flags, typed parameters, cookies and URIs: pure parsing. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "driver/drv-error.h"
#include "driver/migrate-params.h"
#include "driver/xml/domain-conf.h"

/* virTypedParameterType's string (remote.x). */
#define DRV_TYPED_PARAM_STRING 7

/* Cookie key file: one group, versioned so that a newer peer's cookie is
 * refused rather than half understood. */
#define DRV_COOKIE_GROUP "nimbus-migration"
#define DRV_COOKIE_VERSION 1

void
drv_migrate_params_clear(DrvMigrateParams *params)
{
    g_clear_pointer(&params->migrate_uri, g_free);
    g_clear_pointer(&params->dest_name, g_free);
    g_clear_pointer(&params->dest_xml, g_free);
    g_clear_pointer(&params->persist_xml, g_free);
}

/* The member of @out that parameter @field fills, or NULL if unknown. */
static char **
drv_migrate_param_slot(DrvMigrateParams *out, const char *field)
{
    if (g_str_equal(field, DRV_MIGRATE_PARAM_URI))
        return &out->migrate_uri;
    if (g_str_equal(field, DRV_MIGRATE_PARAM_DEST_NAME))
        return &out->dest_name;
    if (g_str_equal(field, DRV_MIGRATE_PARAM_DEST_XML))
        return &out->dest_xml;
    if (g_str_equal(field, DRV_MIGRATE_PARAM_PERSIST_XML))
        return &out->persist_xml;
    return NULL;
}

bool
drv_migrate_params_parse(const remote_typed_param *params, unsigned int n,
                         DrvMigrateParams *out, GError **error)
{
    memset(out, 0, sizeof(*out));
    for (unsigned int i = 0; i < n; i++) {
        const remote_typed_param *p = &params[i];
        char **slot = p->field ? drv_migrate_param_slot(out, p->field) : NULL;

        if (!slot) {
            /* bandwidth, graphics_uri, listen_address, migrate_disks,
             * compression, parallel connections...: nothing nimbus
             * could honour, so nothing is accepted. */
            g_set_error(error, DRV_ERROR, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                        "migration parameter '%s' is not supported",
                        p->field ? p->field : "");
            drv_migrate_params_clear(out);
            return false;
        }
        if (p->value.type != DRV_TYPED_PARAM_STRING) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                        "migration parameter '%s' must be a string",
                        p->field);
            drv_migrate_params_clear(out);
            return false;
        }
        if (*slot) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                        "migration parameter '%s' is given twice", p->field);
            drv_migrate_params_clear(out);
            return false;
        }
        *slot = g_strdup(p->value.remote_typed_param_value_u.s);
    }
    return true;
}

bool
drv_migrate_check_flags(unsigned int flags, const char *api, GError **error)
{
    unsigned int bad = flags & ~DRV_MIGRATE_SUPPORTED;

    if (!bad)
        return true;
    if (bad & DRV_MIGRATE_TUNNELLED)
        g_set_error(error, DRV_ERROR, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                    "%s: tunnelled migration is not supported", api);
    else
        g_set_error(error, DRV_ERROR, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                    "%s: unsupported flags (0x%x)", api, bad);
    return false;
}

void
drv_migrate_cookie_clear(DrvMigrateCookie *cookie)
{
    g_clear_pointer(&cookie->name, g_free);
    g_clear_pointer(&cookie->digest, g_free);
    memset(cookie->uuid, 0, sizeof(cookie->uuid));
}

char *
drv_migrate_cookie_format(const DrvMigrateCookie *cookie, size_t *len)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    char uuid[37];
    gsize n = 0;
    char *text;

    domain_uuid_format(cookie->uuid, uuid);
    g_key_file_set_integer(kf, DRV_COOKIE_GROUP, "version", DRV_COOKIE_VERSION);
    g_key_file_set_string(kf, DRV_COOKIE_GROUP, "name", cookie->name);
    g_key_file_set_string(kf, DRV_COOKIE_GROUP, "uuid", uuid);
    if (cookie->digest)
        g_key_file_set_string(kf, DRV_COOKIE_GROUP, "digest", cookie->digest);
    text = g_key_file_to_data(kf, &n, NULL);
    *len = n;
    return text;
}

/* A SHA-256 digest in hex, as drv_migrate.c writes it. */
static bool
drv_migrate_digest_valid(const char *digest)
{
    if (strlen(digest) != 64)
        return false;
    for (const char *p = digest; *p; p++) {
        if (!g_ascii_isxdigit(*p))
            return false;
    }
    return true;
}

bool
drv_migrate_cookie_parse(const void *data, size_t len, DrvMigrateCookie *out,
                         GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;
    g_autofree char *text = NULL;
    g_autofree char *uuid = NULL;
    gint64 version;

    memset(out, 0, sizeof(*out));
    if (len == 0)
        return true;
    /* Text with no NUL inside: a GKeyFile would stop at one. */
    if (memchr(data, '\0', len)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "invalid migration cookie: it contains a NUL byte");
        return false;
    }
    text = g_strndup(data, len);
    if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &local)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "invalid migration cookie: %s", local->message);
        return false;
    }
    version = g_key_file_get_int64(kf, DRV_COOKIE_GROUP, "version", &local);
    if (local || version != DRV_COOKIE_VERSION) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "invalid migration cookie: version %s is not %d",
                    local ? "missing" : "unknown", DRV_COOKIE_VERSION);
        return false;
    }
    out->name = g_key_file_get_string(kf, DRV_COOKIE_GROUP, "name", NULL);
    uuid = g_key_file_get_string(kf, DRV_COOKIE_GROUP, "uuid", NULL);
    if (!out->name || !uuid || !domain_uuid_parse(uuid, out->uuid) ||
        !domain_name_check(out->name, NULL)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "invalid migration cookie: no valid domain name and uuid");
        drv_migrate_cookie_clear(out);
        return false;
    }
    out->digest = g_key_file_get_string(kf, DRV_COOKIE_GROUP, "digest", NULL);
    if (out->digest && !drv_migrate_digest_valid(out->digest)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "invalid migration cookie: bad definition digest");
        drv_migrate_cookie_clear(out);
        return false;
    }
    return true;
}

/* ADDR of "tcp:ADDR[:PORT]": an IP literal (IPv6 in brackets); *@port is
 * 0 when none is given.  nimbus does no name lookup, so neither do we.
 * False when @rest is not of that form. */
static bool
drv_migrate_split_tcp_valid(const char *rest, char **addr, unsigned int *port)
{
    g_autofree char *host = NULL;
    g_autoptr(GInetAddress) inet = NULL;
    const char *port_str = NULL;
    guint64 value = 0;

    if (rest[0] == '[') {
        const char *end = strchr(rest, ']');

        if (!end || (end[1] != ':' && end[1] != '\0'))
            return false;
        host = g_strndup(rest + 1, (gsize)(end - rest - 1));
        port_str = end[1] == ':' ? end + 2 : NULL;
    } else {
        const char *colon = strchr(rest, ':');

        host = colon ? g_strndup(rest, (gsize)(colon - rest)) : g_strdup(rest);
        port_str = colon ? colon + 1 : NULL;
    }
    inet = g_inet_address_new_from_string(host);
    if (!inet ||
        (port_str &&
         !g_ascii_string_to_unsigned(port_str, 10, 1, 65535, &value, NULL)))
        return false;
    *port = (unsigned int)value;
    *addr = g_inet_address_get_family(inet) == G_SOCKET_FAMILY_IPV6 ?
            g_strdup_printf("[%s]", host) : g_steal_pointer(&host);
    return true;
}

static bool
drv_migrate_split_tcp(const char *rest, char **addr, unsigned int *port,
                      GError **error)
{
    if (drv_migrate_split_tcp_valid(rest, addr, port))
        return true;
    g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                "invalid migration URI 'tcp:%s': expected tcp:ADDRESS[:PORT] with an IP address",
                rest);
    return false;
}

char *
drv_migrate_listen_url(const char *migrate_uri, DrvMigratePortFunc port_func,
                       GError **error)
{
    g_autofree char *addr = NULL;
    unsigned int port = 0;

    if (!migrate_uri) {
        addr = g_strdup("127.0.0.1");
    } else if (g_str_has_prefix(migrate_uri, "tcp://")) {
        if (!drv_migrate_split_tcp(migrate_uri + 6, &addr, &port, error))
            return NULL;
    } else if (g_str_has_prefix(migrate_uri, "tcp:")) {
        if (!drv_migrate_split_tcp(migrate_uri + 4, &addr, &port, error))
            return NULL;
    } else {
        g_set_error(error, DRV_ERROR, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                    "migration URI '%s' is not supported: use tcp:ADDRESS[:PORT]",
                    migrate_uri);
        return NULL;
    }
    if (port == 0) {
        int p = port_func(addr, error);

        if (p <= 0)
            return NULL;
        port = (unsigned int)p;
    }
    return g_strdup_printf("tcp:%s:%u", addr, port);
}

bool
drv_migrate_peer_socket(const char *uri, char **socket_path, char **open_name,
                        GError **error)
{
    g_autoptr(GUri) parsed = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *scheme = NULL;
    const char *query;
    const char *path;
    const char *plus;

    parsed = g_uri_parse(uri, G_URI_FLAGS_NONE, &local);
    if (!parsed) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "invalid destination URI '%s': %s", uri, local->message);
        return false;
    }
    scheme = g_strdup(g_uri_get_scheme(parsed));
    plus = strchr(scheme, '+');
    /* The driver name is the server's to judge; the transport is ours. */
    if (plus && !g_str_equal(plus, "+unix")) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                    "destination URI '%s': transport '%s' is not supported (only unix)",
                    uri, plus + 1);
        return false;
    }
    if (plus)
        scheme[plus - scheme] = '\0';
    if (g_uri_get_host(parsed) && *g_uri_get_host(parsed)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                    "destination URI '%s': remote hosts are not supported, only local UNIX sockets",
                    uri);
        return false;
    }
    path = g_uri_get_path(parsed);
    if (!g_str_equal(path, "/system") && !g_str_equal(path, "/session")) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "destination URI '%s': the path must be /system or /session",
                    uri);
        return false;
    }
    query = g_uri_get_query(parsed);
    if (query) {
        g_autoptr(GHashTable) q = g_uri_parse_params(query, -1, "&",
                                                     G_URI_PARAMS_NONE, &local);
        GHashTableIter it;
        gpointer key, value;

        if (!q) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                        "destination URI '%s': %s", uri, local->message);
            return false;
        }
        g_hash_table_iter_init(&it, q);
        while (g_hash_table_iter_next(&it, &key, &value)) {
            if (!g_str_equal(key, "socket")) {
                g_set_error(error, DRV_ERROR, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                            "destination URI '%s': parameter '%s' is not supported",
                            uri, (const char *)key);
                return false;
            }
            g_free(sock);
            sock = g_strdup(value);
        }
    }
    if (!sock && g_str_equal(path, "/system")) {
        sock = g_strdup("/run/libvirt/virtchd-sock");
    } else if (!sock) {
        const char *dir = g_getenv("XDG_RUNTIME_DIR");

        if (!dir) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "destination URI '%s': XDG_RUNTIME_DIR is not set: give ?socket=",
                        uri);
            return false;
        }
        sock = g_build_filename(dir, "libvirt", "virtchd-sock", NULL);
    }
    *open_name = g_strdup_printf("%s://%s", scheme, path);
    *socket_path = g_steal_pointer(&sock);
    return true;
}

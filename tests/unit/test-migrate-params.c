/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of nimbusd's migration parameters, cookies and URIs (driver/migrate-params.c). */
#include <config.h>

#include <string.h>
#include <glib.h>

#include "driver/drv-error.h"
#include "driver/migrate-params.h"
#include "driver/xml/domain-conf.h"

#define UUID "6a0c2f3e-5d1b-4c8e-9f00-0000000000c3"
#define DIGEST "0123456789abcdef0123456789abcdef" \
               "0123456789abcdef0123456789abcdef"

static remote_typed_param
param_string(const char *field, const char *value)
{
    remote_typed_param p;

    memset(&p, 0, sizeof(p));
    p.field = (char *)field;
    p.value.type = 7;
    p.value.remote_typed_param_value_u.s = (char *)value;
    return p;
}

/* The call fails with @code and a message naming @text. */
static void
assert_error(GError *error, int code, const char *text)
{
    g_assert_nonnull(error);
    g_assert_cmpint(error->code, ==, code);
    g_assert_nonnull(strstr(error->message, text));
}

static void
test_params(void)
{
    remote_typed_param ok[] = {
        param_string("migrate_uri", "tcp:127.0.0.1:4444"),
        param_string("destination_name", "renamed"),
        param_string("destination_xml", "<domain/>"),
        param_string("persistent_xml", "<domain/>"),
    };
    remote_typed_param twice[] = {
        param_string("destination_name", "a"),
        param_string("destination_name", "b"),
    };
    remote_typed_param unknown[] = { param_string("bandwidth", "1") };
    remote_typed_param number[] = { param_string("migrate_uri", NULL) };
    DrvMigrateParams p;
    GError *error = NULL;

    g_assert_true(drv_migrate_params_parse(ok, G_N_ELEMENTS(ok), &p, &error));
    g_assert_cmpstr(p.migrate_uri, ==, "tcp:127.0.0.1:4444");
    g_assert_cmpstr(p.dest_name, ==, "renamed");
    g_assert_cmpstr(p.dest_xml, ==, "<domain/>");
    g_assert_cmpstr(p.persist_xml, ==, "<domain/>");
    drv_migrate_params_clear(&p);
    g_assert_null(p.dest_xml);

    g_assert_true(drv_migrate_params_parse(NULL, 0, &p, &error));
    g_assert_null(p.migrate_uri);

    g_assert_false(drv_migrate_params_parse(twice, 2, &p, &error));
    assert_error(error, DRV_ERROR_INVALID_ARG, "given twice");
    g_assert_null(p.dest_name);
    g_clear_error(&error);
    g_assert_false(drv_migrate_params_parse(unknown, 1, &p, &error));
    assert_error(error, DRV_ERROR_ARGUMENT_UNSUPPORTED, "'bandwidth'");
    g_clear_error(&error);
    number[0].value.type = 4;       /* ullong */
    number[0].value.remote_typed_param_value_u.ul = 5;
    g_assert_false(drv_migrate_params_parse(number, 1, &p, &error));
    assert_error(error, DRV_ERROR_INVALID_ARG, "must be a string");
    g_clear_error(&error);
}

static void
test_flags(void)
{
    GError *error = NULL;

    g_assert_true(drv_migrate_check_flags(DRV_MIGRATE_SUPPORTED, "api",
                                          &error));
    g_assert_false(drv_migrate_check_flags(DRV_MIGRATE_TUNNELLED |
                                           DRV_MIGRATE_PEER2PEER, "api",
                                           &error));
    assert_error(error, DRV_ERROR_ARGUMENT_UNSUPPORTED, "tunnelled");
    g_clear_error(&error);
    g_assert_false(drv_migrate_check_flags(1u << 6, "virX", &error));
    assert_error(error, DRV_ERROR_ARGUMENT_UNSUPPORTED, "virX: unsupported flags (0x40)");
    g_clear_error(&error);
}

static void
test_cookie_round_trip(void)
{
    DrvMigrateCookie in = { .name = (char *)"vm-1", .digest = (char *)DIGEST };
    DrvMigrateCookie out;
    g_autofree char *text = NULL;
    GError *error = NULL;
    size_t len = 0;

    g_assert_true(domain_uuid_parse(UUID, in.uuid));
    text = drv_migrate_cookie_format(&in, &len);
    g_assert_cmpuint(len, ==, strlen(text));
    g_assert_true(drv_migrate_cookie_parse(text, len, &out, &error));
    g_assert_cmpstr(out.name, ==, "vm-1");
    g_assert_cmpmem(out.uuid, 16, in.uuid, 16);
    g_assert_cmpstr(out.digest, ==, DIGEST);
    drv_migrate_cookie_clear(&out);

    in.digest = NULL;
    g_clear_pointer(&text, g_free);
    text = drv_migrate_cookie_format(&in, &len);
    g_assert_true(drv_migrate_cookie_parse(text, len, &out, &error));
    g_assert_null(out.digest);
    drv_migrate_cookie_clear(&out);

    /* No cookie at all: valid, and empty. */
    g_assert_true(drv_migrate_cookie_parse("", 0, &out, &error));
    g_assert_null(out.name);
}

static void
test_cookie_refusals(void)
{
    static const struct {
        const char *text;
        const char *error;
    } bad[] = {
        { "garbage", "invalid migration cookie" },
        { "[nimbus-migration]\nname=a\nuuid=" UUID "\n", "version missing" },
        { "[nimbus-migration]\nversion=2\nname=a\nuuid=" UUID "\n",
          "version unknown" },
        { "[nimbus-migration]\nversion=1\nname=a\n", "name and uuid" },
        { "[nimbus-migration]\nversion=1\nname=a\nuuid=nope\n",
          "name and uuid" },
        { "[nimbus-migration]\nversion=1\nname=a/b\nuuid=" UUID "\n",
          "name and uuid" },
        { "[nimbus-migration]\nversion=1\nname=a\nuuid=" UUID "\ndigest=xyz\n",
          "digest" },
    };
    const char nul[] = "[nimbus-migration]\0version=1";
    DrvMigrateCookie out;
    GError *error = NULL;

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(drv_migrate_cookie_parse(bad[i].text,
                                                strlen(bad[i].text), &out,
                                                &error));
        assert_error(error, DRV_ERROR_INVALID_ARG, bad[i].error);
        g_assert_null(out.name);
        g_clear_error(&error);
    }
    g_assert_false(drv_migrate_cookie_parse(nul, sizeof(nul), &out, &error));
    assert_error(error, DRV_ERROR_INVALID_ARG, "NUL");
    g_clear_error(&error);
}

static int
fixed_port(const char *addr, GError **error)
{
    /* Called only when the URI has no port; sees the bracketed form. */
    return g_str_has_prefix(addr, "[") ? 6000 : 5000;
}

static void
test_listen_url(void)
{
    static const struct {
        const char *uri;
        const char *url;
    } good[] = {
        { NULL, "tcp:127.0.0.1:5000" },
        { "tcp:10.0.0.2", "tcp:10.0.0.2:5000" },
        { "tcp:10.0.0.2:49152", "tcp:10.0.0.2:49152" },
        { "tcp://10.0.0.2:49153", "tcp:10.0.0.2:49153" },
        { "tcp:[::1]:7", "tcp:[::1]:7" },
        { "tcp:[::1]", "tcp:[::1]:6000" },
    };
    static const char *const bad[] = {
        "tcp:host.example:1", "tcp:10.0.0.2:0", "tcp:10.0.0.2:70000",
        "tcp:[::1", "tcp:[::1]x", "tcp:10.0.0.2:x",
    };
    GError *error = NULL;

    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autofree char *url = drv_migrate_listen_url(good[i].uri, fixed_port,
                                                      &error);

        g_assert_no_error(error);
        g_assert_cmpstr(url, ==, good[i].url);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_null(drv_migrate_listen_url(bad[i], fixed_port, &error));
        assert_error(error, DRV_ERROR_INVALID_ARG, "expected tcp:ADDRESS");
        g_clear_error(&error);
    }
    g_assert_null(drv_migrate_listen_url("unix:/run/x", fixed_port, &error));
    assert_error(error, DRV_ERROR_ARGUMENT_UNSUPPORTED, "'unix:/run/x'");
    g_clear_error(&error);
}

static void
test_peer_socket(void)
{
    static const struct {
        const char *uri;
        const char *error;
    } bad[] = {
        { "ch+ssh://host/system", "transport 'ssh'" },
        { "ch+tcp:///system", "transport 'tcp'" },
        { "ch://host/system", "remote hosts" },
        { "ch:///other", "/system or /session" },
        { "ch+unix:///system?socket=/s&mode=direct", "'mode'" },
        { "not a uri", "invalid destination URI" },
    };
    GError *error = NULL;
    char *sock = NULL;
    char *name = NULL;

    g_assert_true(drv_migrate_peer_socket("ch+unix:///system?socket=/t/sock",
                                          &sock, &name, &error));
    g_assert_cmpstr(sock, ==, "/t/sock");
    g_assert_cmpstr(name, ==, "ch:///system");
    g_clear_pointer(&sock, g_free);
    g_clear_pointer(&name, g_free);
    g_assert_true(drv_migrate_peer_socket("ch:///system", &sock, &name,
                                          &error));
    g_assert_cmpstr(sock, ==, "/run/libvirt/virtchd-sock");
    g_clear_pointer(&sock, g_free);
    g_clear_pointer(&name, g_free);
    g_setenv("XDG_RUNTIME_DIR", "/run/user/7", TRUE);
    g_assert_true(drv_migrate_peer_socket("ch:///session", &sock, &name,
                                          &error));
    g_assert_cmpstr(sock, ==, "/run/user/7/libvirt/virtchd-sock");
    g_assert_cmpstr(name, ==, "ch:///session");
    g_clear_pointer(&sock, g_free);
    g_clear_pointer(&name, g_free);
    g_unsetenv("XDG_RUNTIME_DIR");
    g_assert_false(drv_migrate_peer_socket("ch:///session", &sock, &name,
                                           &error));
    assert_error(error, DRV_ERROR_INVALID_ARG, "XDG_RUNTIME_DIR");
    g_clear_error(&error);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(drv_migrate_peer_socket(bad[i].uri, &sock, &name,
                                               &error));
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error->message, bad[i].error));
        g_assert_null(sock);
        g_clear_error(&error);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/driver/migrate/params", test_params);
    g_test_add_func("/driver/migrate/flags", test_flags);
    g_test_add_func("/driver/migrate/cookie-round-trip",
                    test_cookie_round_trip);
    g_test_add_func("/driver/migrate/cookie-refusals", test_cookie_refusals);
    g_test_add_func("/driver/migrate/listen-url", test_listen_url);
    g_test_add_func("/driver/migrate/peer-socket", test_peer_socket);
    return g_test_run();
}

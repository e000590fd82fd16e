/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for nimbusd's <vsock> CIDs and sockets, and the VmConfig they give. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "devices/registry.h"
#include "driver/conf.h"
#include "driver/vsock.h"
#include "tests/testutil.h"

#define XML(name, cid)                                                       \
    "<domain type='kvm'><name>" name "</name><memory unit='MiB'>256</memory>" \
    "<os><type>hvm</type><kernel>/boot/vmlinux</kernel></os><devices>"       \
    "<panic model='pvpanic'/><vsock model='virtio'>" cid "</vsock>"          \
    "</devices></domain>"

static DomainDef *
parse(const char *xml)
{
    g_autoptr(GError) error = NULL;
    DomainDef *def = domain_def_parse_string(xml, DOMAIN_DEF_PARSE_INACTIVE,
                                             &error);

    g_assert_no_error(error);
    return def;
}

static uint32_t
cid_of(const DomainDef *def)
{
    uint32_t cid = 0;
    bool cid_auto;

    g_assert_true(domain_def_vsock_get(def, &cid, &cid_auto));
    return cid;
}

static void
test_cids(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvConfig) cfg = drv_config_new(test_tmpdir(), test_tmpdir(),
                                              &error);
    DrvDriver driver = { .config = cfg };
    g_autoptr(DomainDef) a = parse(XML("a", "<cid auto='yes'/>"));
    g_autoptr(DomainDef) b = parse(XML("b", "<cid auto='yes'/>"));
    g_autoptr(DomainDef) c = parse(XML("c", "<cid address='3'/>"));
    g_autoptr(DomainDef) d = parse(XML("d", "<cid auto='yes' address='3'/>"));
    g_autoptr(DomainDef) none = parse(
        "<domain type='kvm'><name>n</name><memory>1024</memory><os>"
        "<type>hvm</type><kernel>/k</kernel></os></domain>");
    g_autofree char *json = NULL;
    g_autofree char *live = NULL;
    g_autofree char *inactive = NULL;
    g_autofree char *sock = g_build_filename(test_tmpdir(), "a.vsock", NULL);

    g_assert_no_error(error);
    g_mutex_init(&driver.lock);
    g_assert_true(drv_vsock_prepare(&driver, "n", none, &error));
    g_assert_true(drv_vsock_prepare(&driver, "a", a, &error));
    g_assert_cmpuint(cid_of(a), ==, 3);
    g_assert_true(drv_vsock_prepare(&driver, "b", b, &error));
    g_assert_cmpuint(cid_of(b), ==, 4);
    /* A fixed CID in use is refused; an auto one moves on. */
    g_assert_false(drv_vsock_prepare(&driver, "c", c, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED);
    g_assert_nonnull(strstr(error->message,
                            "guest CID 3 is already used by domain 'a'"));
    g_clear_error(&error);
    g_assert_true(drv_vsock_prepare(&driver, "d", d, &error));
    g_assert_cmpuint(cid_of(d), ==, 5);
    /* a stops: its CID is free again. */
    drv_vsock_release(&driver, "a");
    g_assert_true(drv_vsock_prepare(&driver, "c", c, &error));
    g_assert_cmpuint(cid_of(c), ==, 3);

    /* The run's config: CH's vsock with the socket in the state dir. */
    json = domain_def_to_vmconfig_json(a, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(json, "\"pvpanic\" : true"));
    g_assert_nonnull(strstr(json, "\"cid\" : 3"));
    g_assert_nonnull(strstr(json, sock));
    /* The live XML shows the address; the inactive one asks again. */
    live = domain_def_format(a, 1, 0, &error);
    g_assert_nonnull(strstr(live, "<cid auto='yes' address='3'/>"));
    inactive = domain_def_format(a, -1, DOMAIN_DEF_FORMAT_INACTIVE, &error);
    g_assert_nonnull(strstr(inactive, "<cid auto='yes'/>"));
    g_clear_pointer(&driver.vsock_cids, g_hash_table_unref);
    g_mutex_clear(&driver.lock);
}

/* Not started: no CID or socket yet, so no vsock in the checked config;
 * a fixed CID alone does not make one either. */
static void
test_unstarted_config(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) a = parse(XML("a", "<cid address='9'/>"));
    g_autofree char *json = domain_def_to_vmconfig_json(a, &error);

    g_assert_no_error(error);
    g_assert_null(strstr(json, "\"vsock\" : {"));
    g_assert_true(domain_def_check_vmconfig(a, &error));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/driver/vsock/cids", test_cids);
    g_test_add_func("/driver/vsock/unstarted-config", test_unstarted_config);
    return g_test_run();
}

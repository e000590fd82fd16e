/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for nimbusd's <tpm>: the swtpm it runs per domain, its state, the VmConfig. */
#include <config.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/registry.h"
#include "devices/tpm/swtpm.h"
#include "driver/conf.h"
#include "driver/tpm.h"
#include "tests/testutil.h"

#define XML(name)                                                            \
    "<domain type='kvm'><name>" name "</name><memory unit='MiB'>256</memory>" \
    "<os><type>hvm</type><kernel>/boot/vmlinux</kernel></os><devices>"       \
    "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"    \
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

static GPid
pid_of(const char *pidfile)
{
    g_autofree char *text = NULL;

    g_assert_true(g_file_get_contents(pidfile, &text, NULL, NULL));
    return (GPid)atoi(text);
}

/* A start runs swtpm on the domain's state directory and hands nimbus its
 * socket; a stop ends it; the next start finds the state swtpm wrote. */
static void
test_swtpm_lifecycle(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvConfig) cfg = drv_config_new(test_tmpdir(), test_tmpdir(),
                                              &error);
    DrvDriver driver = { .config = cfg };
    g_autoptr(DomainDef) def = parse(XML("t"));
    g_autofree char *state = drv_tpm_state_dir(&driver, "t");
    g_autofree char *sock = drv_config_state_path(cfg, "t", ".swtpm.sock");
    g_autofree char *pidfile = drv_config_state_path(cfg, "t", ".swtpm.pid");
    g_autofree char *permall = g_build_filename(state, "tpm2-00.permall",
                                                NULL);
    g_autofree char *json = NULL;
    g_autoptr(SwtpmClient) c = NULL;
    GPid pid;

    g_assert_no_error(error);
    /* Not running: checked without a socket, and no tpm for nimbus. */
    json = domain_def_to_vmconfig_json(def, &error);
    g_assert_no_error(error);
    g_assert_null(strstr(json, "\"tpm\": {"));
    g_clear_pointer(&json, g_free);

    g_assert_true(drv_tpm_prepare(&driver, "t", def, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_test(state, G_FILE_TEST_IS_DIR));
    pid = pid_of(pidfile);
    g_assert_cmpint(kill(pid, 0), ==, 0);
    json = domain_def_to_vmconfig_json(def, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(json, sock));
    /* It is a swtpm, as nimbus will find it; powering it on makes it
     * write its permanent state. */
    c = swtpm_client_connect(sock, 3968, 10000, &error);
    g_assert_no_error(error);
    g_assert_nonnull(c);
    g_clear_pointer(&c, swtpm_client_free);

    drv_tpm_release(&driver, "t");
    g_assert_cmpint(kill(pid, 0), ==, -1);
    g_assert_false(g_file_test(sock, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(permall, G_FILE_TEST_EXISTS));

    /* The state outlives the run. */
    g_assert_true(drv_tpm_prepare(&driver, "t", def, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_test(permall, G_FILE_TEST_EXISTS));
    drv_tpm_release(&driver, "t");
    /* Releasing twice, or a domain without swtpm, is harmless. */
    drv_tpm_release(&driver, "t");
    drv_tpm_release(&driver, "never-started");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/driver/tpm/swtpm-lifecycle", test_swtpm_lifecycle);
    return g_test_run();
}

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

/*
 * What a guest does to keep something in its TPM (TPM 2.0 Part 3): an
 * ordinary NV index of 8 bytes, owner-authorised with the empty password
 * (a TPM_RS_PW session), NO_DA so that a power cut never counts as a
 * dictionary attack, and not ORDERLY: a write reaches swtpm's permanent
 * state at once, with no TPM2_Shutdown (a destroyed domain sends none).
 */
#define NV_INDEX 0x01, 0x50, 0x00, 0x42
#define OWNER_PW_SESSION                                                     \
    0x40, 0x00, 0x00, 0x01,                   /* auth: TPM_RH_OWNER */       \
    NV_INDEX, 0x00, 0x00, 0x00, 0x09,         /* authorizationSize */        \
    0x40, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00  /* TPM_RS_PW */
#define NV_DATA_LEN 8
#define NV_WRITE_DATA_OFF 33                  /* NV_Write's data bytes */
#define NV_READ_DATA_OFF 16                   /* NV_Read's answer's */

static const uint8_t tpm2_startup_clear[] = {
    0x80, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x01, 0x44, 0x00, 0x00,
};
static const uint8_t tpm2_nv_define[] = {
    0x80, 0x02, 0x00, 0x00, 0x00, 0x2d, 0x00, 0x00, 0x01, 0x2a,
    0x40, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09,
    0x40, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00,                               /* auth: empty */
    0x00, 0x0e, NV_INDEX, 0x00, 0x0b,         /* TPMS_NV_PUBLIC, SHA256 */
    0x02, 0x02, 0x00, 0x02,                   /* NO_DA|OWNERREAD|OWNERWRITE */
    0x00, 0x00, 0x00, NV_DATA_LEN,            /* no policy, dataSize */
};
static const uint8_t tpm2_nv_read[] = {
    0x80, 0x02, 0x00, 0x00, 0x00, 0x23, 0x00, 0x00, 0x01, 0x4e,
    OWNER_PW_SESSION, 0x00, NV_DATA_LEN, 0x00, 0x00,   /* size, offset */
};

/* Sends @cmd to the TPM behind @c; its response code (0: success).  The
 * response goes to @rsp when given (at least 64 bytes). */
static uint32_t
tpm_run(SwtpmClient *c, const uint8_t *cmd, size_t len, uint8_t *rsp)
{
    uint8_t buf[64];
    ssize_t n = swtpm_client_execute(c, cmd, len, rsp ? rsp : buf,
                                     sizeof(buf));

    g_assert_cmpint(n, >=, TPM2_HEADER_SIZE);
    rsp = rsp ? rsp : buf;
    return (uint32_t)rsp[6] << 24 | (uint32_t)rsp[7] << 16 |
           (uint32_t)rsp[8] << 8 | rsp[9];
}

static GPid
pid_of(const char *pidfile)
{
    g_autofree char *text = NULL;

    g_assert_true(g_file_get_contents(pidfile, &text, NULL, NULL));
    return (GPid)atoi(text);
}

/* The TPM of a domain that stopped and started again (swtpm stopped by
 * nimbusd, a new one on the same state) still has the NV index its guest
 * wrote, with the bytes written; a fresh domain's does not. */
static void
test_swtpm_nv_survives_restart(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvConfig) cfg = drv_config_new(test_tmpdir(), test_tmpdir(),
                                              &error);
    DrvDriver driver = { .config = cfg };
    g_autoptr(DomainDef) def = parse(XML("nv"));
    g_autofree char *sock = drv_config_state_path(cfg, "nv", ".swtpm.sock");
    g_autoptr(DomainDef) other = parse(XML("nv-other"));
    g_autofree char *other_sock = drv_config_state_path(cfg, "nv-other",
                                                        ".swtpm.sock");
    g_autoptr(SwtpmClient) c = NULL;
    uint8_t write[] = {
        0x80, 0x02, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x01, 0x37,
        OWNER_PW_SESSION, 0x00, NV_DATA_LEN,
        0, 0, 0, 0, 0, 0, 0, 0,               /* the data: random */
        0x00, 0x00,                           /* offset */
    };
    uint8_t rsp[64];

    g_assert_no_error(error);
    for (guint i = 0; i < NV_DATA_LEN; i++)
        write[NV_WRITE_DATA_OFF + i] = (uint8_t)g_random_int();

    g_assert_true(drv_tpm_prepare(&driver, "nv", def, &error));
    g_assert_no_error(error);
    c = swtpm_client_connect(sock, 3968, 10000, &error);
    g_assert_no_error(error);
    g_assert_cmphex(tpm_run(c, tpm2_startup_clear,
                            sizeof(tpm2_startup_clear), NULL), ==, 0);
    g_assert_cmphex(tpm_run(c, tpm2_nv_define, sizeof(tpm2_nv_define),
                            NULL), ==, 0);
    g_assert_cmphex(tpm_run(c, write, sizeof(write), NULL), ==, 0);
    /* The domain stops: nimbus goes first, then nimbusd stops swtpm. */
    g_clear_pointer(&c, swtpm_client_free);
    drv_tpm_release(&driver, "nv");

    g_assert_true(drv_tpm_prepare(&driver, "nv", def, &error));
    g_assert_no_error(error);
    c = swtpm_client_connect(sock, 3968, 10000, &error);
    g_assert_no_error(error);
    g_assert_cmphex(tpm_run(c, tpm2_startup_clear,
                            sizeof(tpm2_startup_clear), NULL), ==, 0);
    g_assert_cmphex(tpm_run(c, tpm2_nv_read, sizeof(tpm2_nv_read), rsp), ==,
                    0);
    g_assert_cmpmem(rsp + NV_READ_DATA_OFF, NV_DATA_LEN,
                    write + NV_WRITE_DATA_OFF, NV_DATA_LEN);
    /* Defining it again is refused: it exists (TPM_RC_NV_DEFINED). */
    g_assert_cmphex(tpm_run(c, tpm2_nv_define, sizeof(tpm2_nv_define),
                            NULL), ==, 0x14c);
    g_clear_pointer(&c, swtpm_client_free);
    drv_tpm_release(&driver, "nv");

    /* Another domain's TPM (another state directory) has no such index:
     * what was read back came from this domain's state. */
    g_assert_true(drv_tpm_prepare(&driver, "nv-other", other, &error));
    g_assert_no_error(error);
    c = swtpm_client_connect(other_sock, 3968, 10000, &error);
    g_assert_no_error(error);
    g_assert_cmphex(tpm_run(c, tpm2_startup_clear,
                            sizeof(tpm2_startup_clear), NULL), ==, 0);
    g_assert_cmphex(tpm_run(c, tpm2_nv_read, sizeof(tpm2_nv_read), NULL),
                    !=, 0);
    g_clear_pointer(&c, swtpm_client_free);
    drv_tpm_release(&driver, "nv-other");
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
    g_test_add_func("/driver/tpm/nv-survives-restart",
                    test_swtpm_nv_survives_restart);
    return g_test_run();
}

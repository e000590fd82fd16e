/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test: a guest finds the TPM 2.0 CRB (swtpm) through ACPI and sends it a command. */
#include <config.h>

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * One guest boot: swtpm runs beside nimbus (started here, as nimbusd
 * starts it), Linux's tpm_crb binds to MSFT0101 from the DSDT and the
 * TPM2 table, starts the TPM, and the guest script sends TPM2_GetRandom
 * (8 bytes) as raw bytes to /dev/tpm0 and checks the response header:
 * success, 20 bytes, 8 random bytes.  Before it, nimbus refuses a --tpm
 * whose socket is missing, naming it, without booting anything.
 */

/* TPM2_GetRandom(8): tag NO_SESSIONS, size 12, code 0x17b, 8 bytes. */
#define GET_RANDOM "\\200\\001\\000\\000\\000\\014\\000\\000\\001\\173\\000\\010"
/* hexdump -C of its response's first 12 bytes: TPM_RC_SUCCESS, 8 bytes. */
#define GET_RANDOM_OK "80 01 00 00 00 14 00 00  00 00 00 08"

static TestProc *
swtpm_spawn(const char *state, const char *sock)
{
    g_autofree char *state_arg = g_strdup_printf("dir=%s", state);
    g_autofree char *ctrl_arg = g_strdup_printf("type=unixio,path=%s", sock);
    const char *argv[] = { "swtpm", "socket", "--tpm2", "--tpmstate",
                           state_arg, "--ctrl", ctrl_arg, NULL };
    TestProc *p;
    gint64 deadline = g_get_monotonic_time() + 60 * G_TIME_SPAN_SECOND;

    g_assert_cmpint(g_mkdir_with_parents(state, 0700), ==, 0);
    p = test_proc_spawn(argv);
    while (!g_file_test(sock, G_FILE_TEST_EXISTS) &&
           g_get_monotonic_time() < deadline && !test_proc_exited(p))
        g_usleep(50 * 1000);
    g_assert_true(g_file_test(sock, G_FILE_TEST_EXISTS));
    return p;
}

static void
test_missing_socket(void)
{
    g_autofree char *nimbus = test_build_path("nimbus");
    g_autofree char *kernel = test_asset("vmlinux");
    g_autofree char *missing = path_in_tmp("no-swtpm.sock");
    g_autofree char *tpm_arg = g_strdup_printf("socket=%s", missing);
    g_autofree char *out = NULL;
    const char *argv[] = { nimbus, "--kernel", kernel, "--memory",
                           "size=128M", "--tpm", tpm_arg, NULL };

    g_assert_cmpint(test_run(argv, &out, 120 * 1000), !=, 0);
    assert_contains(out, "cannot connect to the swtpm control socket");
    assert_contains(out, missing);
}

static void
test_guest_get_random(void)
{
    g_autofree char *state = path_in_tmp("tpm-state");
    g_autofree char *sock = path_in_tmp("swtpm.sock");
    g_autofree char *tpm_arg = g_strdup_printf("socket=%s", sock);
    g_autofree char *out = NULL;
    g_autoptr(TestProc) swtpm = swtpm_spawn(state, sock);
    const char *args[] = { "--tpm", tpm_arg, NULL };
    GuestSpec g = {
        .script = "test -e /sys/firmware/acpi/tables/TPM2 || exit 1\n"
                  "test -c /dev/tpm0 || exit 2\n"
                  "test -c /dev/tpmrm0 || exit 3\n"
                  "exec 3<>/dev/tpm0\n"
                  "printf '" GET_RANDOM "' >&3\n"
                  "hexdump -C <&3 >/tmp/rsp\n"
                  "cat /tmp/rsp\n"
                  "grep -q '" GET_RANDOM_OK "' /tmp/rsp || exit 4\n"
                  "echo tpm-get-random-ok\n",
        .args = args,
    };

    out = guest_run(&g);
    assert_contains(out, "tpm-get-random-ok");
    /* swtpm kept its state where it was told to. */
    g_assert_true(g_file_test(state, G_FILE_TEST_IS_DIR));
    g_assert_false(test_proc_exited(swtpm));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tpm/missing-socket", test_missing_socket);
    g_test_add_func("/tpm/guest-get-random", test_guest_get_random);
    return g_test_run();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Integration: live migration between nimbus processes over unix, tcp and memfd. */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <unistd.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tests/integration/api-vmm.h"
#include "tests/testutil.h"

/*
 * One guest boot (boots take minutes under the harness's nested
 * emulation), migrated from process to process.  The guest keeps an 8 MiB
 * random blob in a tmpfs (RAM) with its sha256, rewrites another 1 MiB of
 * RAM on every tick, and prints "tick <uptime>" every 200 ms and "sum
 * <sha256 of the blob>" every tenth tick.  Its memory is shared=on, so
 * that the same guest also migrates locally.
 *
 *   1. a receiver fed garbage refuses it and stays usable (vm.info 404);
 *   2. A -> B over unix: A exits with status 0, B runs the guest, the
 *      blob's checksum matches (B's own output);
 *   3. B -> C over tcp (loopback), through nimbus-remote: the same;
 *   4. C -> D local (memfd over SCM_RIGHTS): the same;
 *   5. D -> E, E killed mid-migration: D still answers vm.info, Running,
 *      and the guest ticks on;
 *   6. D -> F cancelled (vm.nimbus-cancel-migration): the same on D, and F
 *      discards and shuts down cleanly.
 */
#define BOOT_TIMEOUT_MS (300 * 1000)
#define MIGRATE_TIMEOUT_MS (120 * 1000)

/* -v: each side logs where a migration's time goes (the per-pass and
 * per-step lines), which the test prints after each migration. */
static const char *const verbose[] = { "-v", NULL };

/* Prints @v's log lines about the migration's timing. */
static void
show_timing(ApiVmm *v)
{
    g_autofree char *log = test_proc_output(v->vmm);
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);

    for (guint i = 0; lines[i]; i++) {
        if (strstr(lines[i], "migration: pa") ||
            strstr(lines[i], "migration: receive") ||
            strstr(lines[i], "restore: state applied"))
            g_test_message("%s", lines[i]);
    }
}

static const char guest_script[] =
    "dd if=/dev/urandom of=/tmp/blob bs=1M count=8 2>/dev/null\n"
    "echo \"blob $(sha256sum /tmp/blob | cut -c1-64)\"\n"
    "i=0\n"
    "while :; do\n"
    "  echo \"tick $(cut -d' ' -f1 /proc/uptime)\"\n"
    "  head -c 1048576 /dev/urandom > /tmp/churn\n"
    "  i=$((i + 1))\n"
    "  [ $((i % 10)) = 0 ] &&\n"
    "    echo \"sum $(sha256sum /tmp/blob | cut -c1-64)\"\n"
    "  sleep 0.2\n"
    "done\n";

/* A loopback TCP port nobody listens on now. */
static guint
free_port(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    guint port;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
    port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static void
expect_state(ApiVmm *v, const char *state)
{
    g_autofree char *out = NULL;
    g_autofree char *want = g_strdup_printf("\"state\":\"%s\"", state);

    g_assert_cmpuint(api_vmm_call(v, "GET", "vm.info", NULL, &out), ==, 200);
    if (!strstr(out, want))
        g_test_message("vm.info: %s", out);
    g_assert_nonnull(strstr(out, want));
}

/* Waits until @v has a VM in state Running (the receiver adopts it at
 * Complete), or fails with its output. */
static void
wait_running(ApiVmm *v, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (g_get_monotonic_time() < deadline) {
        g_autofree char *out = NULL;

        if (api_vmm_call(v, "GET", "vm.info", NULL, &out) == 200 &&
            strstr(out, "\"state\":\"Running\""))
            return;
        g_usleep(100 * 1000);
    }
    {
        g_autofree char *log = test_proc_output(v->vmm);
        g_test_message("the destination never ran the VM:\n%s", log);
    }
    g_assert_not_reached();
}

/*
 * Migrates the guest from @from to a new nimbus @name: vm.receive-migration
 * on @rx_url, vm.send-migration with @send_body (or nimbus-remote with
 * @remote_arg); the source must exit with status 0 and the destination
 * run the guest with the blob intact.  Returns the destination.
 */
static ApiVmm *
migrate(ApiVmm *from, const char *name, const char *rx_url,
        const char *send_body, const char *remote_arg, const char *blob)
{
    g_autofree char *rx_body = g_strdup_printf("{\"receiver_url\": \"%s\"}",
                                               rx_url);
    g_autofree char *sum = NULL;
    ApiVmm *to = api_vmm_start(name, verbose);
    gint64 t0;
    int status;

    api_vmm_call_ok(to, "PUT", "vm.receive-migration", rx_body);
    /* Nothing exists on the destination until the migration completes. */
    g_assert_cmpuint(api_vmm_call(to, "GET", "vm.info", NULL, NULL), ==, 404);
    t0 = g_get_monotonic_time();
    if (send_body) {
        api_vmm_call_ok(from, "PUT", "vm.send-migration", send_body);
    } else {
        g_autofree char *remote = test_build_path("nimbus-remote");
        g_autofree char *out = NULL;
        const char *argv[] = { remote, "--api-socket", from->socket,
                               "send-migration", remote_arg, NULL };
        int rc = test_run(argv, &out, 60000);

        g_test_message("nimbus-remote send-migration: %d %s", rc, out);
        g_assert_cmpint(rc, ==, 0);
    }
    status = test_proc_wait_exit(from->vmm, MIGRATE_TIMEOUT_MS);
    if (status != 0) {
        g_autofree char *log = test_proc_output(from->vmm);
        g_autofree char *dst = test_proc_output(to->vmm);

        g_test_message("the source ended with %d:\n%s", status, log);
        g_test_message("the destination's output:\n%s", dst);
    }
    g_assert_cmpint(status, ==, 0);
    wait_running(to, 30000);
    g_test_message("%s: migrated in %.2f s", name,
                   (g_get_monotonic_time() - t0) / (double)G_USEC_PER_SEC);
    show_timing(from);
    show_timing(to);
    /* The destination's own output: the guest runs there, blob intact. */
    api_vmm_next_tick(to, -1, 60000);
    sum = api_vmm_wait_line(to, "sum ", 60000);
    g_assert_cmpstr(sum, ==, blob);
    api_vmm_free(from);
    return to;
}

/* Garbage on the migration socket: one clear error, the VMM stays
 * usable and has no VM. */
static void
check_garbage(void)
{
    ApiVmm *v = api_vmm_start("garbage", NULL);
    g_autofree char *path = g_build_filename(v->dir, "mig.sock", NULL);
    g_autofree char *body = g_strdup_printf(
        "{\"receiver_url\": \"unix:%s\"}", path);
    g_autofree char *log = NULL;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    static const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    char answer[16];
    int fd;

    api_vmm_call_ok(v, "PUT", "vm.receive-migration", body);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(write(fd, junk, strlen(junk)), ==, (int)strlen(junk));
    /* The receiver answers Error (status 2) and hangs up. */
    g_assert_cmpint(read(fd, answer, sizeof(answer)), ==, sizeof(answer));
    g_assert_cmpint(answer[0], ==, 2);
    close(fd);
    g_assert_cmpuint(api_vmm_call(v, "GET", "vm.info", NULL, NULL), ==, 404);
    /* ... and it can receive again. */
    api_vmm_call_ok(v, "PUT", "vm.receive-migration", body);
    log = test_proc_output(v->vmm);
    g_assert_nonnull(strstr(log, "unknown command"));
    api_vmm_free(v);
}

/* 6. vm.nimbus-cancel-migration while the send waits on a stopped
 * destination: the source runs on and the guest ticks; the destination,
 * once it runs again, discards what it got, has no VM and shuts down
 * cleanly. */
static void
check_cancel(ApiVmm *v)
{
    g_autofree char *url = g_strdup_printf("unix:%s/f.mig", test_tmpdir());
    g_autofree char *rx = g_strdup_printf("{\"receiver_url\": \"%s\"}",
                                          url);
    g_autofree char *tx = g_strdup_printf(
        "{\"destination_url\": \"%s\", \"timeout_s\": 600}", url);
    g_autofree char *out = NULL;
    g_autofree char *log = NULL;
    ApiVmm *dst = api_vmm_start("f", NULL);
    gint64 deadline;
    double t;

    api_vmm_call_ok(dst, "PUT", "vm.receive-migration", rx);
    kill(test_proc_pid(dst->vmm), SIGSTOP);
    api_vmm_call_ok(v, "PUT", "vm.send-migration", tx);
    api_vmm_call_ok(v, "PUT", "vm.nimbus-cancel-migration", NULL);
    kill(test_proc_pid(dst->vmm), SIGCONT);
    /* The source ends the send by itself: Running, no migration. */
    deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    while (api_vmm_call(v, "PUT", "vm.pause", NULL, NULL) != 204) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(100 * 1000);
    }
    api_vmm_call_ok(v, "PUT", "vm.resume", NULL);
    t = api_vmm_tick_uptime(v);
    g_assert_cmpfloat(api_vmm_next_tick(v, t, 60000), >, t);
    log = test_proc_output(v->vmm);
    g_assert_nonnull(strstr(log, "cancelled by vm.nimbus-cancel-migration"));
    /* Nothing left to cancel. */
    g_assert_cmpuint(api_vmm_call(v, "PUT", "vm.nimbus-cancel-migration",
                                  NULL, &out), ==, 405);
    g_assert_nonnull(strstr(out, "no outgoing migration"));
    /* The destination saw the connection close mid-migration. */
    deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    for (;;) {
        g_clear_pointer(&log, g_free);
        log = test_proc_output(dst->vmm);
        if (strstr(log, "receiving the migration failed"))
            break;
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(100 * 1000);
    }
    g_assert_cmpuint(api_vmm_call(dst, "GET", "vm.info", NULL, NULL), ==,
                     404);
    api_vmm_call_ok(dst, "PUT", "vmm.shutdown", NULL);
    g_assert_cmpint(test_proc_wait_exit(dst->vmm, 30000), ==, 0);
    api_vmm_free(dst);
}

static void
test_migration(void)
{
    g_autofree char *config = api_vmm_guest_config(guest_script, 1,
                                                   134217728, true);
    g_autofree char *blob = NULL;
    g_autofree char *url = NULL;
    g_autofree char *body = NULL;
    g_autofree char *remote_arg = NULL;
    g_autofree char *out = NULL;
    ApiVmm *v, *dead;
    double t;

    check_garbage();

    v = api_vmm_start("a", verbose);
    api_vmm_call_ok(v, "PUT", "vm.create", config);
    api_vmm_call_ok(v, "PUT", "vm.boot", NULL);
    blob = api_vmm_wait_line(v, "blob ", BOOT_TIMEOUT_MS);
    api_vmm_next_tick(v, api_vmm_tick_uptime(v), 60000);

    /* 2. unix */
    url = g_strdup_printf("unix:%s/b.mig", test_tmpdir());
    body = g_strdup_printf("{\"destination_url\": \"%s\", \"downtime_ms\": "
                           "1000, \"timeout_s\": 10, \"timeout_strategy\": "
                           "\"Ignore\"}", url);
    v = migrate(v, "b", url, body, NULL, blob);
    g_clear_pointer(&url, g_free);
    g_clear_pointer(&body, g_free);

    /* 3. tcp, through nimbus-remote.  The harness's VM may leave the
     * loopback interface down. */
    {
        const char *up[] = { "ip", "link", "set", "lo", "up", NULL };
        g_autofree char *ipout = NULL;

        if (test_run(up, &ipout, 10000) != 0)
            g_test_message("ip link set lo up: %s", ipout);
    }
    url = g_strdup_printf("tcp:127.0.0.1:%u", free_port());
    remote_arg = g_strdup_printf("destination_url=%s,downtime_ms=1000,"
                                 "timeout_s=10,timeout_strategy=ignore", url);
    v = migrate(v, "c", url, NULL, remote_arg, blob);
    g_clear_pointer(&url, g_free);

    /* 4. local: the memfds change hands, no memory is copied */
    url = g_strdup_printf("unix:%s/d.mig", test_tmpdir());
    body = g_strdup_printf("{\"destination_url\": \"%s\", \"local\": "
                           "true}", url);
    v = migrate(v, "d", url, body, NULL, blob);
    g_clear_pointer(&url, g_free);
    g_clear_pointer(&body, g_free);

    /* 5. The destination dies mid-migration: the source goes on.  It is
     * stopped first, so that the source is surely waiting on it (the
     * kernel accepts the connection for it) when it is killed. */
    url = g_strdup_printf("unix:%s/e.mig", test_tmpdir());
    dead = api_vmm_start("e", NULL);
    body = g_strdup_printf("{\"receiver_url\": \"%s\"}", url);
    api_vmm_call_ok(dead, "PUT", "vm.receive-migration", body);
    g_clear_pointer(&body, g_free);
    kill(test_proc_pid(dead->vmm), SIGSTOP);
    body = g_strdup_printf("{\"destination_url\": \"%s\"}", url);
    api_vmm_call_ok(v, "PUT", "vm.send-migration", body);
    /* In progress: what would change the VM is refused meanwhile. */
    g_assert_cmpuint(api_vmm_call(v, "PUT", "vm.pause", NULL, &out), ==, 405);
    g_assert_nonnull(strstr(out, "migration is in progress"));
    kill(test_proc_pid(dead->vmm), SIGKILL);
    api_vmm_free(dead);
    /* The source answers throughout, and ends up Running again. */
    for (int i = 0; i < 300; i++) {
        g_clear_pointer(&out, g_free);
        g_assert_cmpuint(api_vmm_call(v, "GET", "vm.info", NULL, &out),
                         ==, 200);
        if (strstr(out, "\"state\":\"Running\"") &&
            api_vmm_call(v, "PUT", "vm.pause", NULL, NULL) == 204)
            break;
        g_usleep(100 * 1000);
    }
    expect_state(v, "Paused");
    api_vmm_call_ok(v, "PUT", "vm.resume", NULL);
    t = api_vmm_tick_uptime(v);
    g_assert_cmpfloat(api_vmm_next_tick(v, t, 60000), >, t);
    g_assert_false(test_proc_exited(v->vmm));
    g_clear_pointer(&url, g_free);
    g_clear_pointer(&body, g_free);

    check_cancel(v);
    api_vmm_free(v);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/migration/unix-tcp-local-kill-cancel", test_migration);
    return g_test_run();
}

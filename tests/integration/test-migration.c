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
 *      and the guest ticks on.
 */
#define BOOT_TIMEOUT_MS (300 * 1000)
#define MIGRATE_TIMEOUT_MS (120 * 1000)

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

static char *
make_config(void)
{
    g_autofree char *kernel = test_asset("vmlinux");
    g_autofree char *initrd = test_asset("guest-initramfs.cpio");
    g_autofree char *cmd = g_base64_encode((const guchar *)guest_script,
                                           strlen(guest_script));

    return g_strdup_printf(
        "{\"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 1},"
        " \"memory\": {\"size\": 134217728, \"shared\": true},"
        " \"payload\": {\"kernel\": \"%s\", \"initramfs\": \"%s\","
        " \"cmdline\": \"console=ttyS0 quiet no_timer_check "
        "cryptomgr.notests panic=-1 nimbus.cmd=%s\"},"
        " \"serial\": {\"mode\": \"Tty\"}, \"console\": {\"mode\": \"Off\"}}",
        kernel, initrd, cmd);
}

static bool
socket_answers(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok;

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

typedef struct {
    char *dir;
    char *socket;
    TestProc *vmm;
} Vmm;

/* A nimbus serving its API on a socket, with @extra arguments. */
static Vmm *
vmm_start(const char *name, const char *const *extra)
{
    Vmm *v = g_new0(Vmm, 1);
    g_autofree char *nimbus = test_build_path("nimbus");
    g_autoptr(GPtrArray) argv = g_ptr_array_new();

    v->dir = g_build_filename(test_tmpdir(), name, NULL);
    g_assert_cmpint(g_mkdir_with_parents(v->dir, 0700), ==, 0);
    v->socket = g_build_filename(v->dir, "api.sock", NULL);
    g_ptr_array_add(argv, nimbus);
    g_ptr_array_add(argv, (char *)"--api-socket");
    g_ptr_array_add(argv, v->socket);
    for (guint i = 0; extra && extra[i]; i++)
        g_ptr_array_add(argv, (char *)extra[i]);
    g_ptr_array_add(argv, NULL);
    v->vmm = test_proc_spawn((const char *const *)argv->pdata);
    for (int i = 0; i < 3000 && !socket_answers(v->socket); i++) {
        if (test_proc_exited(v->vmm))
            break;
        g_usleep(10000);
    }
    if (!socket_answers(v->socket)) {
        g_autofree char *out = test_proc_output(v->vmm);
        g_test_message("nimbus did not start:\n%s", out);
        g_assert_not_reached();
    }
    return v;
}

static void
vmm_free(Vmm *v)
{
    test_proc_free(v->vmm);
    g_free(v->dir);
    g_free(v->socket);
    g_free(v);
}

/* curl on the API socket; returns the HTTP status, the body in *out. */
static guint
api(Vmm *v, const char *method, const char *endpoint, const char *body,
    char **out)
{
    g_autofree char *url = g_strdup_printf("http://localhost/api/v1/%s",
                                           endpoint);
    const char *argv[] = {
        "curl", "-sS", "--unix-socket", v->socket, "-w", "\n%{http_code}",
        "-X", method, "-H", "Content-Type: application/json",
        body ? "-d" : url, body ? body : NULL, body ? url : NULL, NULL
    };
    g_autofree char *raw = NULL;
    char *nl;
    guint status;

    g_assert_cmpint(test_run(argv, &raw, 300000), ==, 0);
    nl = strrchr(raw, '\n');
    g_assert_nonnull(nl);
    status = (guint)atoi(nl + 1);
    *nl = '\0';
    if (out)
        *out = g_steal_pointer(&raw);
    return status;
}

static void
api_ok(Vmm *v, const char *method, const char *endpoint, const char *body)
{
    g_autofree char *out = NULL;
    guint status = api(v, method, endpoint, body, &out);

    if (status >= 300)
        g_test_message("%s: %u %s", endpoint, status, out);
    g_assert_cmpuint(status, <, 300);
}

/* The last "<prefix> ..." line of the console (transfer full), or NULL. */
static char *
last_line(Vmm *v, const char *prefix)
{
    g_autofree char *out = test_proc_output(v->vmm);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    char *found = NULL;

    for (guint i = 0; lines[i] && lines[i + 1]; i++) {
        const char *s = strstr(lines[i], prefix);

        if (s && s == lines[i] + strspn(lines[i], "\r")) {
            g_free(found);
            found = g_strdup(s + strlen(prefix));
            g_strchomp(found);
        }
    }
    return found;
}

static char *
wait_line(Vmm *v, const char *prefix, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    char *s;

    while (!(s = last_line(v, prefix))) {
        g_autofree char *out = NULL;

        if (g_get_monotonic_time() < deadline && !test_proc_exited(v->vmm)) {
            g_usleep(50 * 1000);
            continue;
        }
        out = test_proc_output(v->vmm);
        g_test_message("no '%s' line; the VMM's output:\n%s", prefix, out);
        g_assert_not_reached();
    }
    return s;
}

/* The guest uptime of the newest tick line. */
static double
tick_uptime(Vmm *v)
{
    g_autofree char *t = wait_line(v, "tick ", 60000);

    return g_ascii_strtod(t, NULL);
}

/* A new tick, different from @after. */
static double
next_tick(Vmm *v, double after, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    double u;

    while ((u = tick_uptime(v)) == after &&
           g_get_monotonic_time() < deadline)
        g_usleep(50 * 1000);
    g_assert_cmpfloat(u, !=, after);
    return u;
}

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
expect_state(Vmm *v, const char *state)
{
    g_autofree char *out = NULL;
    g_autofree char *want = g_strdup_printf("\"state\":\"%s\"", state);

    g_assert_cmpuint(api(v, "GET", "vm.info", NULL, &out), ==, 200);
    if (!strstr(out, want))
        g_test_message("vm.info: %s", out);
    g_assert_nonnull(strstr(out, want));
}

/* Waits until @v has a VM in state Running (the receiver adopts it at
 * Complete), or fails with its output. */
static void
wait_running(Vmm *v, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (g_get_monotonic_time() < deadline) {
        g_autofree char *out = NULL;

        if (api(v, "GET", "vm.info", NULL, &out) == 200 &&
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
static Vmm *
migrate(Vmm *from, const char *name, const char *rx_url,
        const char *send_body, const char *remote_arg, const char *blob)
{
    g_autofree char *rx_body = g_strdup_printf("{\"receiver_url\": \"%s\"}",
                                               rx_url);
    g_autofree char *sum = NULL;
    Vmm *to = vmm_start(name, NULL);
    gint64 t0;
    int status;

    api_ok(to, "PUT", "vm.receive-migration", rx_body);
    /* Nothing exists on the destination until the migration completes. */
    g_assert_cmpuint(api(to, "GET", "vm.info", NULL, NULL), ==, 404);
    t0 = g_get_monotonic_time();
    if (send_body) {
        api_ok(from, "PUT", "vm.send-migration", send_body);
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
    /* The destination's own output: the guest runs there, blob intact. */
    next_tick(to, -1, 60000);
    sum = wait_line(to, "sum ", 60000);
    g_assert_cmpstr(sum, ==, blob);
    vmm_free(from);
    return to;
}

/* Garbage on the migration socket: one clear error, the VMM stays
 * usable and has no VM. */
static void
check_garbage(void)
{
    Vmm *v = vmm_start("garbage", NULL);
    g_autofree char *path = g_build_filename(v->dir, "mig.sock", NULL);
    g_autofree char *body = g_strdup_printf(
        "{\"receiver_url\": \"unix:%s\"}", path);
    g_autofree char *log = NULL;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    static const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    char answer[16];
    int fd;

    api_ok(v, "PUT", "vm.receive-migration", body);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(write(fd, junk, strlen(junk)), ==, (int)strlen(junk));
    /* The receiver answers Error (status 2) and hangs up. */
    g_assert_cmpint(read(fd, answer, sizeof(answer)), ==, sizeof(answer));
    g_assert_cmpint(answer[0], ==, 2);
    close(fd);
    g_assert_cmpuint(api(v, "GET", "vm.info", NULL, NULL), ==, 404);
    /* ... and it can receive again. */
    api_ok(v, "PUT", "vm.receive-migration", body);
    log = test_proc_output(v->vmm);
    g_assert_nonnull(strstr(log, "unknown command"));
    vmm_free(v);
}

static void
test_migration(void)
{
    g_autofree char *config = make_config();
    g_autofree char *blob = NULL;
    g_autofree char *url = NULL;
    g_autofree char *body = NULL;
    g_autofree char *remote_arg = NULL;
    g_autofree char *out = NULL;
    Vmm *v, *dead;
    double t;

    check_garbage();

    v = vmm_start("a", NULL);
    api_ok(v, "PUT", "vm.create", config);
    api_ok(v, "PUT", "vm.boot", NULL);
    blob = wait_line(v, "blob ", BOOT_TIMEOUT_MS);
    next_tick(v, tick_uptime(v), 60000);

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
    dead = vmm_start("e", NULL);
    body = g_strdup_printf("{\"receiver_url\": \"%s\"}", url);
    api_ok(dead, "PUT", "vm.receive-migration", body);
    g_clear_pointer(&body, g_free);
    kill(test_proc_pid(dead->vmm), SIGSTOP);
    body = g_strdup_printf("{\"destination_url\": \"%s\"}", url);
    api_ok(v, "PUT", "vm.send-migration", body);
    /* In progress: what would change the VM is refused meanwhile. */
    g_assert_cmpuint(api(v, "PUT", "vm.pause", NULL, &out), ==, 405);
    g_assert_nonnull(strstr(out, "migration is in progress"));
    kill(test_proc_pid(dead->vmm), SIGKILL);
    vmm_free(dead);
    /* The source answers throughout, and ends up Running again. */
    for (int i = 0; i < 300; i++) {
        g_clear_pointer(&out, g_free);
        g_assert_cmpuint(api(v, "GET", "vm.info", NULL, &out), ==, 200);
        if (strstr(out, "\"state\":\"Running\"") &&
            api(v, "PUT", "vm.pause", NULL, NULL) == 204)
            break;
        g_usleep(100 * 1000);
    }
    expect_state(v, "Paused");
    api_ok(v, "PUT", "vm.resume", NULL);
    t = tick_uptime(v);
    g_assert_cmpfloat(next_tick(v, t, 60000), >, t);
    g_assert_false(test_proc_exited(v->vmm));
    vmm_free(v);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/migration/unix-tcp-local-kill", test_migration);
    return g_test_run();
}

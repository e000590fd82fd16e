/* SPDX-License-Identifier: Apache-2.0 */
/* Integration helpers: a nimbus on its API socket, driven with curl; its guest console lines. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/integration/api-vmm.h"

/* A vm.create body: the harness's kernel and initramfs, the guest running
 * @script (the initramfs's nimbus.cmd), its console on the serial port. */
char *
api_vmm_guest_config(const char *script, guint vcpus, guint64 mem_bytes,
                     bool shared)
{
    g_autofree char *kernel = test_asset("vmlinux");
    g_autofree char *initrd = test_asset("guest-initramfs.cpio");
    g_autofree char *cmd = g_base64_encode((const guchar *)script,
                                           strlen(script));

    return g_strdup_printf(
        "{\"cpus\": {\"boot_vcpus\": %u, \"max_vcpus\": %u},"
        " \"memory\": {\"size\": %" G_GUINT64_FORMAT ", \"shared\": %s},"
        " \"payload\": {\"kernel\": \"%s\", \"initramfs\": \"%s\","
        " \"cmdline\": \"console=ttyS0 quiet no_timer_check "
        "cryptomgr.notests panic=-1 nimbus.cmd=%s\"},"
        " \"serial\": {\"mode\": \"Tty\"}, \"console\": {\"mode\": \"Off\"}}",
        vcpus, vcpus, mem_bytes, shared ? "true" : "false", kernel, initrd,
        cmd);
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

/* A nimbus serving its API on a socket, with @extra arguments. */
ApiVmm *
api_vmm_start(const char *name, const char *const *extra)
{
    ApiVmm *v = g_new0(ApiVmm, 1);
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

void
api_vmm_free(ApiVmm *v)
{
    test_proc_free(v->vmm);
    g_free(v->dir);
    g_free(v->socket);
    g_free(v);
}

/* curl on the API socket; returns the HTTP status, the body in *out. */
guint
api_vmm_call(ApiVmm *v, const char *method, const char *endpoint,
             const char *body, char **out)
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

void
api_vmm_call_ok(ApiVmm *v, const char *method, const char *endpoint,
                const char *body)
{
    g_autofree char *out = NULL;
    guint status = api_vmm_call(v, method, endpoint, body, &out);

    if (status >= 300)
        g_test_message("%s: %u %s", endpoint, status, out);
    g_assert_cmpuint(status, <, 300);
}

/* The last "<prefix> ..." line of the console (transfer full), or NULL. */
char *
api_vmm_last_line(ApiVmm *v, const char *prefix)
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

char *
api_vmm_wait_line(ApiVmm *v, const char *prefix, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    char *s;

    while (!(s = api_vmm_last_line(v, prefix))) {
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
double
api_vmm_tick_uptime(ApiVmm *v)
{
    g_autofree char *t = api_vmm_wait_line(v, "tick ", 60000);

    return g_ascii_strtod(t, NULL);
}

/* A new tick, different from @after. */
double
api_vmm_next_tick(ApiVmm *v, double after, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    double u;

    while ((u = api_vmm_tick_uptime(v)) == after &&
           g_get_monotonic_time() < deadline)
        g_usleep(50 * 1000);
    g_assert_cmpfloat(u, !=, after);
    return u;
}

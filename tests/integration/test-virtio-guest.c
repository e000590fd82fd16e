/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the virtio integration tests: boot a test guest on nimbus with a script. */
#include <config.h>

#include <signal.h>
#include <string.h>
#include <gio/gio.h>

#include "tests/testutil.h"
#include "tests/integration/test-virtio-guest.h"

char *
path_in_tmp(const char *name)
{
    return g_build_filename(test_tmpdir(), name, NULL);
}

/* Runs @cmd with sh -c; asserts it succeeds; returns its output. */
char *
sh(const char *cmd)
{
    const char *argv[] = { "sh", "-c", cmd, NULL };
    char *out = NULL;
    int st = test_run(argv, &out, 120 * 1000);

    if (st != 0)
        g_test_message("'%s' failed (%d):\n%s", cmd, st, out);
    g_assert_cmpint(st, ==, 0);
    return out;
}

/* The guest initramfs plus @dir's files (a second cpio, which the kernel
 * unpacks over the first). */
char *
initrd_with(const char *name, const char *dir)
{
    g_autofree char *base = test_asset("guest-initramfs.cpio");
    char *out = path_in_tmp(name);
    g_autofree char *cmd = g_strdup_printf(
        "cd '%s' && { cat '%s'; find . | cpio -o -H newc -R 0:0 --quiet; } > '%s'",
        dir, base, out);
    g_autofree char *o = sh(cmd);

    return out;
}

TestProc *
guest_spawn(const GuestSpec *g)
{
    g_autofree char *nimbus = test_build_path("nimbus");
    g_autofree char *kernel = test_asset("vmlinux");
    g_autofree char *initrd = g->initrd ? g_strdup(g->initrd)
                                        : test_asset("guest-initramfs.cpio");
    g_autofree char *b64 = g_base64_encode((const guchar *)g->script,
                                           strlen(g->script));
    g_autofree char *cmdline = g_strdup_printf("console=ttyS0 quiet no_timer_check "
                                               "cryptomgr.notests panic=-1 %s "
                                               "nimbus.cmd=%s",
                                               g->cmdline ? g->cmdline : "", b64);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();

    /* The guest kernel keeps COMMAND_LINE_SIZE - 1 bytes (x86: 2047) and
     * silently cuts the rest, script included: the guest then hangs
     * without a word. */
    if (strlen(cmdline) > 2047)
        g_test_message("the guest command line is %zu bytes, over Linux's "
                       "2047: move part of the script into the initramfs",
                       strlen(cmdline));
    g_assert_cmpuint(strlen(cmdline), <=, 2047);
    g_ptr_array_add(argv, nimbus);
    g_ptr_array_add(argv, (char *)"--kernel");
    g_ptr_array_add(argv, kernel);
    g_ptr_array_add(argv, (char *)"--initramfs");
    g_ptr_array_add(argv, initrd);
    g_ptr_array_add(argv, (char *)"--cmdline");
    g_ptr_array_add(argv, cmdline);
    g_ptr_array_add(argv, (char *)"--memory");
    g_ptr_array_add(argv, (char *)(g->memory ? g->memory : "size=512M"));
    g_ptr_array_add(argv, (char *)"--cpus");
    g_ptr_array_add(argv, (char *)(g->cpus ? g->cpus : "boot=1"));
    g_ptr_array_add(argv, (char *)"--serial");
    g_ptr_array_add(argv, (char *)"tty");
    g_ptr_array_add(argv, (char *)"--console");
    g_ptr_array_add(argv, (char *)(g->console ? g->console : "off"));
    for (unsigned i = 0; g->args && g->args[i]; i++)
        g_ptr_array_add(argv, (char *)g->args[i]);
    g_ptr_array_add(argv, NULL);
    return test_proc_spawn((const char *const *)argv->pdata);
}

/* Boots, waits for the script's clean exit and the VMM's; returns the
 * whole output (serial console and VMM log). */
char *
guest_run(const GuestSpec *g)
{
    g_autoptr(TestProc) p = guest_spawn(g);

    g_assert_true(test_proc_wait_output(p, GUEST_OK, BOOT_TIMEOUT_MS));
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
    return test_proc_output(p);
}

void
assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        g_test_message("'%s' not found in:\n%s", needle, haystack);
    g_assert_nonnull(strstr(haystack, needle));
}

int
remote(const char *socket, char **out, const char *const *args)
{
    g_autofree char *bin = test_build_path("nimbus-remote");
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    int st;

    g_ptr_array_add(argv, bin);
    g_ptr_array_add(argv, (char *)"--api-socket");
    g_ptr_array_add(argv, (char *)socket);
    for (unsigned i = 0; args[i]; i++)
        g_ptr_array_add(argv, (char *)args[i]);
    g_ptr_array_add(argv, NULL);
    st = test_run((const char *const *)argv->pdata, out, REMOTE_TIMEOUT_MS);
    g_test_message("nimbus-remote %s: %d: %s", args[0], st, *out);
    return st;
}

void
wait_api(const char *socket)
{
    for (int i = 0; i < 600; i++) {
        g_autofree char *out = NULL;
        const char *args[] = { "ping", NULL };

        if (remote(socket, &out, args) == 0)
            return;
        g_usleep(100 * 1000);
    }
    g_assert_not_reached();
}

void
wait_info(const char *socket, const char *needle)
{
    for (int i = 0; i < 1200; i++) {
        g_autofree char *out = NULL;
        const char *args[] = { "info", NULL };

        if (remote(socket, &out, args) == 0 && strstr(out, needle))
            return;
        g_usleep(100 * 1000);
    }
    g_test_message("vm.info never said '%s'", needle);
    g_assert_not_reached();
}

void
snapshot_restore(TestProc **p, char **sock, const char *name)
{
    g_autofree char *dir = path_in_tmp(name);
    g_autofree char *url = g_strdup_printf("file://%s", dir);
    g_autofree char *restore = g_strdup_printf("source_url=%s,resume=true",
                                               url);
    g_autofree char *new_sock = g_strdup_printf("%s.sock", dir);
    g_autofree char *api = g_strdup_printf("path=%s", new_sock);
    g_autofree char *nimbus = test_build_path("nimbus");
    const char *argv[] = { nimbus, "--api-socket", api, "--restore",
                           restore, NULL };

    REMOTE(*sock, 0, NULL, "pause");
    REMOTE(*sock, 0, NULL, "snapshot", url);
    kill(test_proc_pid(*p), SIGKILL);
    test_proc_wait_exit(*p, 60 * 1000);
    g_clear_pointer(p, test_proc_free);
    *p = test_proc_spawn(argv);
    wait_api(new_sock);
    REMOTE(new_sock, 0, "\"state\":\"Running\"", "info");
    g_free(*sock);
    *sock = g_steal_pointer(&new_sock);
}

void
migrate_to(TestProc **p, char **sock, const char *name)
{
    g_autofree char *base = path_in_tmp(name);
    g_autofree char *url = g_strdup_printf("unix:%s.mig", base);
    g_autofree char *new_sock = g_strdup_printf("%s.sock", base);
    g_autofree char *api = g_strdup_printf("path=%s", new_sock);
    g_autofree char *nimbus = test_build_path("nimbus");
    const char *argv[] = { nimbus, "--api-socket", api, NULL };
    TestProc *dst = test_proc_spawn(argv);
    gint64 t0;
    int status;

    wait_api(new_sock);
    REMOTE(new_sock, 0, NULL, "receive-migration", url);
    t0 = g_get_monotonic_time();
    REMOTE(*sock, 0, NULL, "send-migration", url);
    status = test_proc_wait_exit(*p, REMOTE_TIMEOUT_MS);
    g_test_message("%s: the source exited after %.1f s", name,
                   (g_get_monotonic_time() - t0) / (double)G_USEC_PER_SEC);
    if (status != 0) {
        g_autofree char *src_out = test_proc_output(*p);
        g_autofree char *dst_out = test_proc_output(dst);

        g_test_message("the source ended with %d:\n%s\ndestination:\n%s",
                       status, src_out, dst_out);
    }
    g_assert_cmpint(status, ==, 0);
    g_clear_pointer(p, test_proc_free);
    *p = dst;
    wait_info(new_sock, "\"state\":\"Running\"");
    g_free(*sock);
    *sock = g_steal_pointer(&new_sock);
}

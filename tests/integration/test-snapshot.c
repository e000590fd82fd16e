/* SPDX-License-Identifier: Apache-2.0 */
/* Integration: snapshot a running guest, restore it in a new process. */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tests/integration/api-vmm.h"
#include "tests/testutil.h"

/*
 * One guest boot (the harness runs guests under nested emulation: boots
 * take minutes).  The guest keeps an 8 MiB random blob in a tmpfs (RAM)
 * with its sha256, and prints "tick <uptime> <epoch>" every 200 ms and
 * "sum <sha256 of the blob>" every tenth tick.
 *
 *   1. boot (vm.create + vm.boot), wait for the blob; vm.snapshot while
 *      running is refused (405); pause; nimbus-remote snapshot; a second
 *      snapshot into the now non-empty directory is refused; the VMM is
 *      killed (SIGKILL).
 *   2. Broken copies of the snapshot are refused by vm.restore in a fresh
 *      nimbus, with one clear error and no VM left behind (vm.info 404):
 *      truncated memory-ranges, corrupted state.json, a newer state.json
 *      version, a device the config lacks.
 *   3. nimbus --restore source_url=...,resume=true: the guest runs on, the
 *      blob's checksum still matches, and its clock moved on across the
 *      time the VMM was gone.
 *   4. vm.restore of the same snapshot with memory_restore_mode=OnDemand
 *      (userfaultfd) and no resume: Paused, no output, until vm.resume;
 *      then the same checks.
 */
#define BOOT_TIMEOUT_MS (300 * 1000)
#define GONE_S 6

static const char guest_script[] =
    "echo \"clocksource $(cat /sys/devices/system/clocksource/"
    "clocksource0/current_clocksource)\"\n"
    "dd if=/dev/urandom of=/tmp/blob bs=1M count=8 2>/dev/null\n"
    "echo \"blob $(sha256sum /tmp/blob | cut -c1-64)\"\n"
    "i=0\n"
    "while :; do\n"
    "  echo \"tick $(cut -d' ' -f1 /proc/uptime) $(date +%s)\"\n"
    "  i=$((i + 1))\n"
    "  [ $((i % 10)) = 0 ] &&\n"
    "    echo \"sum $(sha256sum /tmp/blob | cut -c1-64)\"\n"
    "  sleep 0.2\n"
    "done\n";

static void
copy_dir(const char *from, const char *to)
{
    const char *argv[] = { "cp", "-a", "--sparse=always", from, to, NULL };
    g_autofree char *out = NULL;

    g_assert_cmpint(test_run(argv, &out, 120000), ==, 0);
}

/* vm.restore of a broken copy: refused with @mentions, no VM left. */
static void
check_refused(const char *name, const char *snap,
              void (*breakit)(const char *dir), const char *mentions)
{
    g_autofree char *copy = g_build_filename(test_tmpdir(), name, NULL);
    g_autofree char *body = g_strdup_printf("{\"source_url\": \"file://%s\"}",
                                            copy);
    g_autofree char *out = NULL;
    g_autofree char *info = NULL;
    ApiVmm *v;
    guint status;

    copy_dir(snap, copy);
    breakit(copy);
    v = api_vmm_start(name, NULL);
    status = api_vmm_call(v, "PUT", "vm.restore", body, &out);
    g_test_message("%s: %u %s", name, status, out);
    g_assert_cmpuint(status, >=, 400);
    if (!strstr(out, mentions)) {
        g_test_message("expected the error to mention '%s'", mentions);
        g_test_fail();
    }
    /* Nothing half-restored: no VM, and the VMM still answers. */
    g_assert_cmpuint(api_vmm_call(v, "GET", "vm.info", NULL, &info), ==, 404);
    api_vmm_free(v);
}

static void
set_file(const char *dir, const char *name, const char *text)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);

    g_assert_true(g_file_set_contents(p, text, -1, NULL));
}

static void
break_truncate(const char *dir)
{
    g_autofree char *p = g_build_filename(dir, "memory-ranges", NULL);

    g_assert_cmpint(truncate(p, 4096 * 100), ==, 0);
}

static void
break_json(const char *dir)
{
    set_file(dir, "state.json", "{\"version\": 1, \"vm\": ");
}

/* Edits state.json in place through json-glib. */
static void
edit_state(const char *dir, void (*edit)(JsonObject *root))
{
    g_autofree char *p = g_build_filename(dir, "state.json", NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autofree char *text = NULL;

    g_assert_true(json_parser_load_from_file(parser, p, NULL));
    edit(json_node_get_object(json_parser_get_root(parser)));
    text = json_to_string(json_parser_get_root(parser), FALSE);
    g_assert_true(g_file_set_contents(p, text, -1, NULL));
}

static void
edit_newer(JsonObject *root)
{
    json_object_set_int_member(json_object_get_object_member(root, "vm"),
                               "version", 99);
}

static void
break_newer(const char *dir)
{
    edit_state(dir, edit_newer);
}

static void
edit_extra_device(JsonObject *root)
{
    JsonObject *devs = json_object_get_object_member(
        json_object_get_object_member(root, "device-manager"), "devices");

    json_object_set_object_member(devs, "_disk7", json_object_new());
}

static void
break_device(const char *dir)
{
    edit_state(dir, edit_extra_device);
}

static void
test_snapshot_restore(void)
{
    g_autofree char *config = api_vmm_guest_config(guest_script, 2,
                                                   268435456, false);
    g_autofree char *snap = g_build_filename(test_tmpdir(), "snap", NULL);
    g_autofree char *snap_body = g_strdup_printf(
        "{\"destination_url\": \"file://%s\"}", snap);
    g_autofree char *url = g_strdup_printf("file://%s", snap);
    g_autofree char *restore_arg = NULL;
    g_autofree char *ondemand_body = NULL;
    g_autofree char *blob = NULL;
    g_autofree char *sum = NULL;
    g_autofree char *out = NULL;
    g_autofree char *remote = test_build_path("nimbus-remote");
    const char *extra[4] = { NULL };
    double before, after, away;
    gint64 paused_at, killed_at, resumed_at;
    ApiVmm *v;

    /* 1. Boot, fill RAM, snapshot, kill. */
    v = api_vmm_start("first", NULL);
    api_vmm_call_ok(v, "PUT", "vm.create", config);
    api_vmm_call_ok(v, "PUT", "vm.boot", NULL);
    blob = api_vmm_wait_line(v, "blob ", BOOT_TIMEOUT_MS);
    {
        g_autofree char *cs = api_vmm_wait_line(v, "clocksource ", 1000);

        g_test_message("blob checksum %s, guest clocksource %s", blob, cs);
    }
    before = api_vmm_next_tick(v, api_vmm_tick_uptime(v), 60000);
    g_assert_cmpuint(api_vmm_call(v, "PUT", "vm.snapshot", snap_body, &out),
                     ==, 405);
    g_clear_pointer(&out, g_free);
    api_vmm_call_ok(v, "PUT", "vm.pause", NULL);
    paused_at = g_get_monotonic_time();
    before = api_vmm_tick_uptime(v);
    {
        const char *argv[] = { remote, "--api-socket", v->socket, "snapshot",
                               url, NULL };
        int rc = test_run(argv, &out, 300000);

        g_test_message("nimbus-remote snapshot: %d %s", rc, out);
        g_assert_cmpint(rc, ==, 0);
        g_clear_pointer(&out, g_free);
    }
    /* Never overwritten. */
    g_assert_cmpuint(api_vmm_call(v, "PUT", "vm.snapshot", snap_body, &out),
                     ==, 400);
    g_assert_nonnull(strstr(out, "not empty"));
    g_clear_pointer(&out, g_free);
    kill(test_proc_pid(v->vmm), SIGKILL);
    killed_at = g_get_monotonic_time();
    api_vmm_free(v);

    /* 2. Broken snapshots: one clear error, nothing left running. */
    check_refused("truncated", snap, break_truncate, "truncated");
    check_refused("corrupt", snap, break_json, "state.json");
    check_refused("newer", snap, break_newer, "newer");
    check_refused("extra-device", snap, break_device, "'_disk7'");

    /* 3. Restore in a new process, from the command line. */
    while (g_get_monotonic_time() - killed_at < GONE_S * G_USEC_PER_SEC)
        g_usleep(100 * 1000);
    restore_arg = g_strdup_printf("source_url=%s,resume=true", url);
    extra[0] = "--restore";
    extra[1] = restore_arg;
    v = api_vmm_start("restored", extra);
    resumed_at = g_get_monotonic_time();
    /* The first tick may carry an uptime read just before the pause and
     * printed after the restore: the second one is the restored guest's
     * own reading. */
    after = api_vmm_next_tick(v, api_vmm_next_tick(v, -1, 120000), 60000);
    away = (g_get_monotonic_time() - paused_at) / (double)G_USEC_PER_SEC;
    g_test_message("guest uptime %.2f s before the snapshot, %.2f s after "
                   "the restore; the VMM was gone %.2f s, the guest paused "
                   "%.2f s", before, after,
                   (resumed_at - killed_at) / (double)G_USEC_PER_SEC, away);
    /* Only the restored guest's own reading counts: this process's
     * output starts after the restore. */
    sum = api_vmm_wait_line(v, "sum ", 120000);
    g_assert_cmpstr(sum, ==, blob);
    /* The guest saw the time the VMM was gone (less slack for output
     * that reached us late). */
    g_assert_cmpfloat(after - before, >=, GONE_S - 2);
    /* ... and no more than it was away from the guest's point of view
     * (the clock is not advanced twice, by kvmclock and by the TSC). */
    g_assert_cmpfloat(after - before, <=, away + 2);
    api_vmm_call_ok(v, "GET", "vm.info", NULL);
    api_vmm_free(v);

    /* 4. The same snapshot on demand (userfaultfd), through vm.restore,
     * without resume: Paused until vm.resume; then the guest runs while
     * its RAM is still being filled. */
    v = api_vmm_start("ondemand", NULL);
    ondemand_body = g_strdup_printf(
        "{\"source_url\": \"%s\", \"memory_restore_mode\": \"OnDemand\"}",
        url);
    api_vmm_call_ok(v, "PUT", "vm.restore", ondemand_body);
    g_assert_cmpuint(api_vmm_call(v, "GET", "vm.info", NULL, &out), ==, 200);
    g_assert_nonnull(strstr(out, "\"state\":\"Paused\""));
    g_clear_pointer(&out, g_free);
    g_assert_null(api_vmm_last_line(v, "tick "));
    api_vmm_call_ok(v, "PUT", "vm.resume", NULL);
    after = api_vmm_next_tick(v, api_vmm_next_tick(v, -1, 120000), 60000);
    g_clear_pointer(&sum, g_free);
    sum = api_vmm_wait_line(v, "sum ", 120000);
    g_assert_cmpstr(sum, ==, blob);
    g_assert_cmpfloat(after - before, >=, GONE_S - 2);
    g_assert_cmpfloat(api_vmm_next_tick(v, after, 60000), >, after);
    api_vmm_free(v);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/snapshot/copy-restore", test_snapshot_restore);
    return g_test_run();
}

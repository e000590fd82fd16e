/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test: a stock guest pets the 6300ESB watchdog, stops, and the VM is reset. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * One boot: Linux's i6300esb module (loaded at boot, see
 * tests/harness/assets) drives nimbus's 6300ESB; busybox's watchdog
 * daemon sets a 2 s timeout (WDIOC_SETTIMEOUT) and pets every second.
 * After a few pets the daemon is killed without the magic close, so the
 * timer runs on unpetted: the device must emit guest/watchdog with the
 * action and reset the VM (vm rebooting), and the rebooted guest must
 * see the timeout flag (the driver's "card reset" boot status).  The
 * second boot's script only reports that and powers off.
 */

#define WATCHDOG_EVENT                                                       \
    "\"source\": \"guest\",\n  \"event\": \"watchdog\",\n"                \
    "  \"properties\": {\n    \"id\": \"__i6300esb\",\n"                  \
    "    \"action\": \"reset\"\n  }"
#define REBOOT_EVENT "\"source\": \"vm\",\n  \"event\": \"rebooting\""

static gboolean
file_has(const char *path, const char *needle)
{
    g_autofree char *data = NULL;

    return g_file_get_contents(path, &data, NULL, NULL) &&
           strstr(data, needle) != NULL;
}

static void
test_pet_then_expire(void)
{
    g_autofree char *events = path_in_tmp("events.json");
    g_autofree char *events_arg = g_strdup_printf("path=%s", events);
    g_autoptr(TestProc) p = NULL;
    g_autofree char *out = NULL;
    const char *args[] = { "--nimbus-watchdog", "model=i6300esb,action=reset",
                           "--event-monitor", events_arg, NULL };
    GuestSpec g = {
        /* The bootstatus file tells the two boots apart: 32 is
         * WDIOF_CARDRESET, set once the watchdog has reset the VM. */
        .script = "st=/sys/class/watchdog/watchdog0/bootstatus\n"
                  "[ -e $st ] || { echo no-watchdog-device; exit 1; }\n"
                  "if [ \"$(cat $st)\" = 32 ]; then\n"
                  "  echo watchdog-card-reset; exit 0\n"
                  "fi\n"
                  "watchdog -F -T 2 -t 1 /dev/watchdog &\n"
                  "sleep 5\n"
                  "echo petting-done\n"
                  "kill -9 $!\n"
                  "sleep 60\n"
                  "echo still-alive; exit 1\n",
        .args = args,
    };
    gint64 deadline;

    p = guest_spawn(&g);
    g_assert_true(test_proc_wait_output(p, "petting-done", BOOT_TIMEOUT_MS));
    /* Pets kept it alive for 5 s with a 2 s timeout. */
    g_assert_false(file_has(events, WATCHDOG_EVENT));
    deadline = g_get_monotonic_time() + 120 * G_TIME_SPAN_SECOND;
    while (!file_has(events, REBOOT_EVENT) &&
           g_get_monotonic_time() < deadline)
        g_usleep(100 * 1000);
    g_assert_true(file_has(events, WATCHDOG_EVENT));
    g_assert_true(file_has(events, REBOOT_EVENT));
    g_assert_true(test_proc_wait_output(p, "watchdog-card-reset",
                                        BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    g_assert_null(strstr(out, "still-alive"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/watchdog/i6300esb/pet-then-expire",
                    test_pet_then_expire);
    return g_test_run();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Integration: vCPU hotplug 1 -> 4 -> 2 via vm.resize; vCPU threads pinned by --cpus affinity. */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * One guest with boot=1,max=4, driven through nimbus-remote on the API
 * socket and through its script on the serial console:
 *   resize 4 -> the guest sees CPUs 1-3 arrive (ACPI Device Check), the
 *   script onlines them, /sys/devices/system/cpu/online says 0-3;
 *   resize 2 -> the guest offlines and ejects CPUs 2 and 3 (Eject
 *   Request, _EJ0), their threads end, online says 0-1;
 *   resize 5 or 0 -> refused, the guest keeps 0-1.
 * vCPU 0 and the hotplugged vCPU 2 are pinned (--cpus affinity), which
 * /proc/PID/task/TID/status shows.  A host CPU that does not exist is
 * refused when the VM is created.
 */



/* The Cpus_allowed_list of @pid's thread named @comm; NULL if it has
 * none (transfer full). */
static char *
thread_cpus(GPid pid, const char *comm)
{
    g_autofree char *dir = g_strdup_printf("/proc/%d/task", (int)pid);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *tid;

    g_assert_nonnull(d);
    while ((tid = g_dir_read_name(d))) {
        g_autofree char *cpath = g_build_filename(dir, tid, "comm", NULL);
        g_autofree char *spath = g_build_filename(dir, tid, "status", NULL);
        g_autofree char *name = NULL;
        g_autofree char *status = NULL;
        const char *line;

        if (!g_file_get_contents(cpath, &name, NULL, NULL) ||
            !g_str_equal(g_strstrip(name), comm) ||
            !g_file_get_contents(spath, &status, NULL, NULL))
            continue;
        line = strstr(status, "Cpus_allowed_list:");
        g_assert_nonnull(line);
        line += strlen("Cpus_allowed_list:");
        return g_strstrip(g_strndup(line, strcspn(line, "\n")));
    }
    return NULL;
}

/* Waits until the guest's script printed @needle, then returns the whole
 * output (transfer full). */
static char *
wait_guest(TestProc *p, const char *needle)
{
    g_assert_true(test_proc_wait_output(p, needle, BOOT_TIMEOUT_MS));
    return test_proc_output(p);
}

static void
test_resize(void)
{
    g_autofree char *sock = path_in_tmp("vcpu-api.sock");
    g_autofree char *api = g_strdup_printf("path=%s", sock);
    g_autofree char *out = NULL;
    g_autofree char *cpus = NULL;
    const char *args[] = { "--api-socket", api, NULL };
    GuestSpec g = {
        .cpus = "boot=1,max=4,affinity=[0@[1],2@[0]]",
        /* Waits for a CPU to come or go; onlines new ones (no udev). */
        .script =
            "on() { cat /sys/devices/system/cpu/online; }\n"
            "echo \"vh-boot: [$(on)]\"\n"
            "echo vh-ready\n"
            "read -r a\n"
            "i=0\n"
            "while [ ! -e /sys/devices/system/cpu/cpu3/online ] && "
            "[ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done\n"
            "for c in 1 2 3; do "
            "echo 1 > /sys/devices/system/cpu/cpu$c/online; done\n"
            "echo \"vh-four: [$(on)]\"\n"
            "echo vh-up\n"
            "read -r b\n"
            "i=0\n"
            "while [ -e /sys/devices/system/cpu/cpu2 ] && [ $i -lt 600 ]; "
            "do sleep 0.1; i=$((i + 1)); done\n"
            "echo \"vh-two: [$(on)]\"\n"
            "echo vh-down\n"
            "read -r c\n"
            "echo \"vh-still: [$(on)]\"\n",
        .args = args,
    };
    g_autoptr(TestProc) p = guest_spawn(&g);
    GPid pid = test_proc_pid(p);

    out = wait_guest(p, "vh-ready");
    assert_contains(out, "vh-boot: [0]");
    g_clear_pointer(&out, g_free);
    wait_api(sock);
    /* vCPU 0 runs where affinity put it. */
    cpus = thread_cpus(pid, "vcpu0");
    g_assert_cmpstr(cpus, ==, "1");
    g_clear_pointer(&cpus, g_free);
    g_assert_null(thread_cpus(pid, "vcpu1"));

    /* Up to 4: the threads exist at once, the guest sees the CPUs. */
    REMOTE(sock, 0, NULL, "resize", "--cpus", "4");
    REMOTE(sock, 0, "\"boot_vcpus\":4", "info");
    cpus = thread_cpus(pid, "vcpu2");
    g_assert_cmpstr(cpus, ==, "0");
    g_clear_pointer(&cpus, g_free);
    cpus = thread_cpus(pid, "vcpu3");
    g_assert_cmpstr(cpus, ==, "0-1");
    g_clear_pointer(&cpus, g_free);
    test_proc_write(p, "go\n");
    out = wait_guest(p, "vh-up");
    assert_contains(out, "vh-four: [0-3]");
    g_clear_pointer(&out, g_free);

    /* Down to 2: the guest ejects 2 and 3, whose threads then end. */
    REMOTE(sock, 0, NULL, "resize", "--cpus", "2");
    REMOTE(sock, 0, "\"boot_vcpus\":2", "info");
    test_proc_write(p, "go\n");
    out = wait_guest(p, "vh-down");
    assert_contains(out, "vh-two: [0-1]");
    g_clear_pointer(&out, g_free);
    for (int i = 0; i < 600 && (cpus = thread_cpus(pid, "vcpu3")); i++) {
        g_clear_pointer(&cpus, g_free);
        g_usleep(100 * 1000);
    }
    g_assert_null(cpus);
    g_assert_null(thread_cpus(pid, "vcpu2"));

    /* Past max_vcpus, or none: refused, nothing changes. */
    REMOTE(sock, 1, "desired_vcpus: 5 is out of range", "resize", "--cpus",
           "5");
    REMOTE(sock, 1, "out of range", "resize", "--cpus", "0");
    REMOTE(sock, 0, "\"boot_vcpus\":2", "info");
    REMOTE(sock, 0, "\"state\":\"Running\"", "info");
    test_proc_write(p, "go\n");
    out = wait_guest(p, GUEST_OK);
    assert_contains(out, "vh-still: [0-1]");
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
}

/* Pinning to a host CPU that does not exist: refused at start. */
static void
test_affinity_refused(void)
{
    GuestSpec g = {
        .cpus = "boot=1,affinity=[0@[1000]]",
        .script = "true\n",
    };
    g_autoptr(TestProc) p = guest_spawn(&g);
    g_autofree char *out = NULL;

    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), !=, 0);
    out = test_proc_output(p);
    assert_contains(out, "host CPU 1000 does not exist");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vcpu-hotplug/resize", test_resize);
    g_test_add_func("/vcpu-hotplug/affinity-refused", test_affinity_refused);
    return g_test_run();
}

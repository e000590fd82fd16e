/* SPDX-License-Identifier: Apache-2.0 */
/* Integration: PCI hotplug of a disk and a NIC into a running guest and out, via nimbus-remote. */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * One guest, driven from the host through nimbus-remote on the API
 * socket, and from the guest's script through its serial console:
 *   add-disk (image with known data) -> the guest sees /dev/vda in a
 *   hotplug slot and reads the data; bad additions and removals fail
 *   with the VM unchanged; remove-device -> the guest ejects it, the
 *   device leaves vm.info, the image is closed (/proc/PID/fd) and the
 *   event monitor reports device-removed; then the same for a NIC on a
 *   TAP passed by fd (SCM_RIGHTS): the guest gets link and pings the host
 *   side, and the TAP goes with the device.
 * A second guest, whose kernel ignores ACPI PCI hotplug, never lets go:
 * the removal fails after its timeout and the device stays; that VMM
 * runs under --landlock.
 */

#define DATA "nimbus-hotplug-data-42"

/* nimbus-remote add-net with @fd passed along (SCM_RIGHTS). */
static void
remote_add_net_fd(const char *socket, int fd, const char *net,
                  const char *needle)
{
    g_autofree char *bin = test_build_path("nimbus-remote");
    const char *argv[] = { bin, "--api-socket", socket, "add-net", net,
                           NULL };
    g_autoptr(TestProc) p = test_proc_spawn_full(argv, &fd, 1);
    g_autofree char *out = NULL;

    g_assert_cmpint(test_proc_wait_exit(p, REMOTE_TIMEOUT_MS), ==, 0);
    out = test_proc_output(p);
    assert_contains(out, needle);
}

/* A TAP as libvirt opens one for nimbus (IFF_VNET_HDR), up, with the host
 * side's address; the interface lives as long as a descriptor does. */
static int
open_tap(const char *name)
{
    struct ifreq ifr = { 0 };
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    g_autofree char *cmd = NULL;
    g_autofree char *o = NULL;

    g_assert_cmpint(fd, >=, 0);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    g_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
    g_assert_cmpint(ioctl(fd, TUNSETIFF, &ifr), ==, 0);
    cmd = g_strdup_printf("ip addr add 192.168.252.1/24 dev %s && "
                          "ip link set %s up", name, name);
    o = sh(cmd);
    return fd;
}

/* Whether process @pid has @path open. */
static bool
has_open(GPid pid, const char *path)
{
    g_autofree char *dir = g_strdup_printf("/proc/%d/fd", (int)pid);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d))) {
        g_autofree char *link = g_build_filename(dir, name, NULL);
        g_autofree char *target = g_file_read_link(link, NULL);

        if (target && g_str_equal(target, path))
            return true;
    }
    return false;
}

/* An image whose first bytes are DATA. */
static char *
make_image(const char *name)
{
    char *img = path_in_tmp(name);
    g_autofree char *cmd = g_strdup_printf(
        "printf '%s\\n' > '%s' && truncate -s 1M '%s'", DATA, img, img);
    g_autofree char *o = sh(cmd);

    return img;
}

static void
test_disk(void)
{
    g_autofree char *img = make_image("hp.img");
    g_autofree char *img2 = make_image("hp2.img");
    g_autofree char *sock = path_in_tmp("api.sock");
    g_autofree char *events = path_in_tmp("events.json");
    g_autofree char *api = g_strdup_printf("path=%s", sock);
    g_autofree char *ev = g_strdup_printf("path=%s", events);
    g_autofree char *disk = g_strdup_printf("path=%s,id=hp0", img);
    g_autofree char *dup_id = g_strdup_printf("path=%s,id=hp0", img2);
    g_autofree char *dup_path = g_strdup_printf("path=%s,id=hp1", img);
    g_autofree char *tap = g_strdup_printf("hptap%d", (int)(getpid() % 1000));
    g_autofree char *tap_sys = g_build_filename("/sys/class/net", tap, NULL);
    g_autofree char *net = NULL;
    int tap_fd;
    g_autofree char *ev_content = NULL;
    g_autofree char *out = NULL;
    const char *args[] = { "--api-socket", api, "--event-monitor", ev, NULL };
    GuestSpec g = {
        .script =
            "[ -d /sys/bus/pci/slots/31 ] && echo slot31-described\n"
            "echo hp-ready\n"
            "read -r a\n"
            "i=0\n"
            "while [ ! -b /dev/vda ] && [ $i -lt 300 ]; do sleep 0.1; "
            "i=$((i + 1)); done\n"
            "echo \"hp-data: $(head -c 22 /dev/vda)\"\n"
            "echo \"hp-vendor: $(cat /sys/block/vda/device/vendor 2>/dev/null)\"\n"
            "echo hp-added\n"
            "read -r b\n"
            "i=0\n"
            "while [ -b /dev/vda ] && [ $i -lt 300 ]; do sleep 0.1; "
            "i=$((i + 1)); done\n"
            "[ -b /dev/vda ] && echo hp-still-there || echo hp-gone\n"
            /* Then a NIC on a TAP nimbus creates with a host address. */
            "echo hp-net-ready\n"
            "read -r c\n"
            "i=0\n"
            "while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 300 ]; do "
            "sleep 0.1; i=$((i + 1)); done\n"
            "ip link set eth0 up\n"
            "ip addr add 192.168.252.2/24 dev eth0\n"
            "ping -c 3 -W 5 192.168.252.1 >/dev/null && echo hp-ping-ok\n"
            "echo hp-net-added\n"
            "read -r d\n"
            "i=0\n"
            "while [ -e /sys/class/net/eth0 ] && [ $i -lt 300 ]; do "
            "sleep 0.1; i=$((i + 1)); done\n"
            "[ -e /sys/class/net/eth0 ] && echo hp-net-still-there "
            "|| echo hp-net-gone\n",
        .args = args,
    };
    g_autoptr(TestProc) p = guest_spawn(&g);
    GPid pid = test_proc_pid(p);

    g_assert_true(test_proc_wait_output(p, "hp-ready", BOOT_TIMEOUT_MS));
    wait_api(sock);
    /* The slots the DSDT describes are the guest's hotplug slots. */
    out = test_proc_output(p);
    assert_contains(out, "slot31-described");
    g_clear_pointer(&out, g_free);

    REMOTE(sock, 0, "\"id\":\"hp0\"", "add-disk", disk);
    g_assert_true(has_open(pid, img));
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "hp-added", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    assert_contains(out, "hp-data: " DATA);
    g_clear_pointer(&out, g_free);
    REMOTE(sock, 0, "\"hp0\"", "info");

    /* Refusals leave the VM as it was. */
    REMOTE(sock, 1, "hp0", "add-disk", dup_id);
    REMOTE(sock, 1, NULL, "add-disk", dup_path);
    REMOTE(sock, 1, "no device with id 'nope'", "remove-device", "nope");
    REMOTE(sock, 1, "cannot be hot-removed", "remove-device", "__rng");
    g_assert_false(has_open(pid, img2));

    /* Removal: answered once the guest has ejected the device. */
    REMOTE(sock, 0, NULL, "remove-device", "hp0");
    g_assert_false(has_open(pid, img));
    REMOTE(sock, 1, "no device with id 'hp0'", "remove-device", "hp0");
    {
        const char *a[] = { "info", NULL };

        g_assert_cmpint(remote(sock, &out, a), ==, 0);
        g_assert_null(strstr(out, "hp0"));
        g_clear_pointer(&out, g_free);
    }
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "hp-net-ready", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    assert_contains(out, "hp-gone");
    g_clear_pointer(&out, g_free);

    /* A NIC on a TAP passed by fd: link and a ping to the host side.  Once
     * we close ours, nimbus holds the TAP alone; it goes with the device. */
    tap_fd = open_tap(tap);
    net = g_strdup_printf("fd=[%d],id=hpnet", tap_fd);
    remote_add_net_fd(sock, tap_fd, net, "\"id\":\"hpnet\"");
    close(tap_fd);
    g_assert_true(g_file_test(tap_sys, G_FILE_TEST_EXISTS));
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "hp-net-added", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    assert_contains(out, "hp-ping-ok");
    g_clear_pointer(&out, g_free);
    REMOTE(sock, 0, NULL, "remove-device", "hpnet");
    g_assert_false(g_file_test(tap_sys, G_FILE_TEST_EXISTS));
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, GUEST_OK, BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    assert_contains(out, "hp-net-gone");
    g_assert_true(g_file_get_contents(events, &ev_content, NULL, NULL));
    assert_contains(ev_content, "\"device-removed\"");
    assert_contains(ev_content, "\"hp0\"");
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
}

/* acpiphp.disable=1: the guest never answers the eject request.  This
 * guest also runs under --landlock: it boots and takes a disk from the
 * directory its rule names, and an image anywhere else cannot be opened. */
static void
test_unacknowledged(void)
{
    g_autofree char *allowed = path_in_tmp("landlock-rw");
    g_autofree char *img = NULL;
    g_autofree char *outside = make_image("outside.img");
    g_autofree char *sock = path_in_tmp("api2.sock");
    g_autofree char *api = g_strdup_printf("path=%s", sock);
    g_autofree char *rule = NULL;
    g_autofree char *disk = NULL;
    g_autofree char *denied = g_strdup_printf("path=%s,id=out0", outside);
    const char *args[] = { "--api-socket", api, "--landlock",
                           "--landlock-rules", NULL, NULL };
    GuestSpec g = {
        .script = "echo hp-ready\nread -r a\n",
        .cmdline = "acpiphp.disable=1",
        .args = args,
    };
    g_autoptr(TestProc) p = NULL;
    GPid pid;

    g_assert_cmpint(g_mkdir_with_parents(allowed, 0700), ==, 0);
    img = g_build_filename(allowed, "stuck.img", NULL);
    {
        g_autofree char *made = make_image("stuck.img");

        g_assert_cmpint(rename(made, img), ==, 0);
    }
    rule = g_strdup_printf("path=%s,access=rw", allowed);
    args[4] = rule;
    disk = g_strdup_printf("path=%s,id=stuck0", img);
    p = guest_spawn(&g);
    pid = test_proc_pid(p);
    g_assert_true(test_proc_wait_output(p, "hp-ready", BOOT_TIMEOUT_MS));
    wait_api(sock);
    /* Landlock: outside the rules, the open fails and nothing changes. */
    REMOTE(sock, 1, "Permission denied (not among the paths Landlock",
           "add-disk", denied);
    g_assert_false(has_open(pid, outside));
    REMOTE(sock, 0, "\"id\":\"stuck0\"", "add-disk", disk);
    REMOTE(sock, 1, "did not release 'stuck0'", "remove-device", "stuck0");
    /* The device stays, with its image, and the VM runs on. */
    REMOTE(sock, 0, "\"stuck0\"", "info");
    REMOTE(sock, 0, "\"state\":\"Running\"", "info");
    g_assert_true(has_open(pid, img));
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, GUEST_OK, BOOT_TIMEOUT_MS));
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hotplug/disk", test_disk);
    g_test_add_func("/hotplug/unacknowledged", test_unacknowledged);
    return g_test_run();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test: virtio-vsock both ways and a pvpanic report, in one guest boot. */
#include <config.h>

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * One guest (booting is the slow part under the harness's emulation):
 * test-vsock-guest connects to the host (CID 2, port 5000: the test's
 * listener at "<socket>_5000") and echoes a line the host sends over a
 * host-initiated connection ("CONNECT 1234\n" on the device's socket);
 * then the guest panics (sysrq c) and the pvpanic device must report it
 * as CH's guest/panic event on the event monitor.  The same again with
 * the vsock behind the virtio-iommu (iommu=on): the guest's driver takes
 * VIRTIO_F_ACCESS_PLATFORM and its packets go through the translation
 * (in bypass: the harness's guest kernel has no virtio-iommu driver).
 */

/* The record as the event monitor writes it (serde_json's layout). */
#define PANIC_EVENT                                                          \
    "\"source\": \"guest\",\n  \"event\": \"panic\",\n"                   \
    "  \"properties\": {\n    \"event\": \"panic\"\n  }"

static gboolean
file_has(const char *path, const char *needle)
{
    g_autofree char *data = NULL;

    return g_file_get_contents(path, &data, NULL, NULL) &&
           strstr(data, needle) != NULL;
}

/* Reads up to '\n' (5 min at most: the guest runs emulated). */
static char *
read_line(GSocket *s)
{
    GString *line = g_string_new(NULL);
    char c;

    g_socket_set_timeout(s, 300);
    while (g_socket_receive(s, &c, 1, NULL, NULL) == 1 && c != '\n')
        g_string_append_c(line, c);
    return g_string_free(line, FALSE);
}

static void
test_vsock_and_panic(gconstpointer arg)
{
    bool iommu = GPOINTER_TO_INT(arg);
    g_autofree char *prog = test_build_path("tests/integration/test-vsock-guest");
    g_autofree char *dir = path_in_tmp("vsock");
    g_autofree char *dst = g_build_filename(dir, "vsock-guest", NULL);
    /* Each run its own sockets (one temporary directory for both). */
    g_autofree char *sock = path_in_tmp(iommu ? "vi.sock" : "v.sock");
    g_autofree char *port_path = g_strdup_printf("%s_5000", sock);
    g_autofree char *events = path_in_tmp(iommu ? "events-i.json"
                                                 : "events.json");
    g_autofree char *vsock_arg = g_strdup_printf("cid=3,socket=%s%s", sock,
                                                 iommu ? ",iommu=on" : "");
    g_autofree char *events_arg = g_strdup_printf("path=%s", events);
    g_autofree char *initrd = NULL;
    g_autofree char *data = NULL;
    g_autofree char *line = NULL;
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(port_path);
    g_autoptr(GSocketAddress) dev_addr = g_unix_socket_address_new(sock);
    g_autoptr(GSocket) listener = NULL;
    g_autoptr(GSocket) from_guest = NULL;
    g_autoptr(GSocket) to_guest = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(TestProc) p = NULL;
    gsize len = 0;
    const char *args[] = { "--vsock", vsock_arg, "--pvpanic",
                           "--event-monitor", events_arg, NULL };
    GuestSpec g = {
        .script = "/vsock-guest || exit 1\n"
                  /* sysfs features: bit 33 is the 34th character. */
                  "for v in /sys/bus/virtio/drivers/"
                  "vmw_vsock_virtio_transport/virtio*; do echo "
                  "\"vsock-access-platform: $(cut -c34 $v/features)\"; done\n"
                  "echo vsock-guest-ok\n"
                  "echo c > /proc/sysrq-trigger\n",
        /* Stay panicked (the harness reboots on panic by default). */
        .cmdline = "panic=0",
        .args = args,
    };
    const char *cmd = "CONNECT 1234\nhello-vsock\n";
    gint64 deadline;

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_get_contents(prog, &data, &len, NULL));
    g_assert_true(g_file_set_contents(dst, data, (gssize)len, NULL));
    g_assert_cmpint(chmod(dst, 0755), ==, 0);
    initrd = initrd_with("vsock-initrd.cpio", dir);
    g.initrd = initrd;
    listener = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                            G_SOCKET_PROTOCOL_DEFAULT, &error);
    g_assert_no_error(error);
    g_assert_true(g_socket_bind(listener, addr, TRUE, &error));
    g_assert_true(g_socket_listen(listener, &error));
    p = guest_spawn(&g);
    g_assert_true(test_proc_wait_output(p, "vsock-guest: listening",
                                        BOOT_TIMEOUT_MS));

    /* guest -> host */
    g_socket_set_timeout(listener, 300);
    from_guest = g_socket_accept(listener, NULL, &error);
    g_assert_no_error(error);
    line = read_line(from_guest);
    g_assert_cmpstr(line, ==, "ping-from-guest");
    g_assert_cmpint(g_socket_send(from_guest, "pong-from-host\n", 15, NULL,
                                  &error), ==, 15);
    g_assert_true(test_proc_wait_output(p, "vsock-guest: host said "
                                        "pong-from-host", 300 * 1000));

    /* host -> guest: the handshake, then the echo. */
    to_guest = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                            G_SOCKET_PROTOCOL_DEFAULT, &error);
    g_assert_true(g_socket_connect(to_guest, dev_addr, NULL, &error));
    g_assert_cmpint(g_socket_send(to_guest, cmd, strlen(cmd), NULL, &error),
                    ==, (gssize)strlen(cmd));
    g_clear_pointer(&line, g_free);
    line = read_line(to_guest);
    g_assert_true(g_str_has_prefix(line, "OK "));
    g_clear_pointer(&line, g_free);
    line = read_line(to_guest);
    g_assert_cmpstr(line, ==, "hello-vsock");
    g_assert_true(test_proc_wait_output(p, "vsock-guest-ok", 300 * 1000));
    g_clear_pointer(&line, g_free);
    line = test_proc_output(p);
    assert_contains(line, iommu ? "vsock-access-platform: 1"
                                : "vsock-access-platform: 0");

    /* The panic: CH's event, with the kind the guest wrote. */
    deadline = g_get_monotonic_time() + 300 * G_TIME_SPAN_SECOND;
    while (!file_has(events, PANIC_EVENT) &&
           g_get_monotonic_time() < deadline)
        g_usleep(200 * 1000);
    g_assert_true(file_has(events, PANIC_EVENT));
    /* The VMM lives on with its panicked guest. */
    g_assert_false(test_proc_exited(p));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/vsock/both-ways-and-panic", GINT_TO_POINTER(0),
                         test_vsock_and_panic);
    g_test_add_data_func("/vsock/behind-iommu", GINT_TO_POINTER(1),
                         test_vsock_and_panic);
    return g_test_run();
}

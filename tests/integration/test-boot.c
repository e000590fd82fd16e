/* SPDX-License-Identifier: Apache-2.0 */
/* nimbus boots the Debian kernel on real KVM: PVH and bzImage, SMP, topology, serial, reboot, power-off. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/testutil.h"

/* Guest boots under nested emulation take tens of seconds on a loaded
 * 2-core machine; the bound only has to catch a hang. */
#define BOOT_TIMEOUT_MS (300 * 1000)
#define MEMORY_MIB 512
/* Every console byte is a port I/O exit, which costs milliseconds under
 * nested emulation: keep the kernel quiet (docs/testing.md). */
#define QUIET "quiet no_timer_check cryptomgr.notests"

typedef struct {
    const char *kernel;        /* asset name: vmlinux (PVH) or vmlinuz */
    unsigned cpus;
    const char *topology;      /* NULL or T:C:D:P */
    const char *memory_opts;   /* extra --memory keys, or NULL */
} BootCase;

static char *
b64_script(const char *script)
{
    return g_base64_encode((const guchar *)script, strlen(script));
}

/* Value of "key: value" / "key=value" lines the guest script prints. */
static char *
guest_value(const char *out, const char *key)
{
    g_autofree char *needle = g_strdup_printf("\n%s=", key);
    const char *p = strstr(out, needle);
    const char *end;

    if (!p)
        return NULL;
    p += strlen(needle);
    end = strpbrk(p, "\r\n");
    return g_strndup(p, end ? (gsize)(end - p) : strlen(p));
}

/* Sum of the e820 RAM the kernel reports ("BIOS-e820: [mem a-b] usable"). */
static guint64
e820_usable_bytes(const char *out)
{
    guint64 total = 0;
    const char *p = out;

    while ((p = strstr(p, "BIOS-e820: [mem 0x"))) {
        guint64 a, b;
        char kind[16];

        if (sscanf(p, "BIOS-e820: [mem 0x%" G_GINT64_MODIFIER "x-0x%"
                   G_GINT64_MODIFIER "x] %15s", &a, &b, kind) == 3 &&
            g_str_equal(kind, "usable"))
            total += b - a + 1;
        p++;
    }
    return total;
}

static const char guest_report[] =
    "echo cpus=$(grep -c ^processor /proc/cpuinfo)\n"
    "echo memtotal_kb=$(sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo)\n"
    "echo cmdline_marker=$(tr ' ' '\\n' </proc/cmdline | grep ^nimbus.marker=)\n"
    "echo packages=$(cat /sys/devices/system/cpu/cpu*/topology/physical_package_id | sort -u | tr '\\n' ,)\n"
    "echo cores=$(cat /sys/devices/system/cpu/cpu*/topology/core_id | sort -u | tr '\\n' ,)\n"
    "echo threads=$(cat /sys/devices/system/cpu/cpu0/topology/thread_siblings_list)\n"
    "echo online=$(cat /sys/devices/system/cpu/online)\n"
    "echo acpi=$(test -d /sys/firmware/acpi/tables && echo yes)\n"
    "echo tsc_deadline=$(grep -c -w tsc_deadline_timer /proc/cpuinfo)\n"
    "date +date=%s\n"
    "dmesg | grep BIOS-e820\n"
    /* Port 0xe9, the --debug-console: one byte per dd, since writes to
     * /dev/port advance the port number like a file offset. */
    "s=debugcon-ok; while [ -n \"$s\" ]; do c=${s%\"${s#?}\"}; "
    "printf %s \"$c\" | dd of=/dev/port bs=1 seek=233 count=1 2>/dev/null; "
    "s=${s#?}; done; printf '\\n' | dd of=/dev/port bs=1 seek=233 count=1 2>/dev/null\n";

static void
test_boot(gconstpointer data)
{
    const BootCase *bc = data;
    g_autofree char *kernel = test_asset(bc->kernel);
    g_autofree char *initrd = test_asset("guest-initramfs.cpio");
    g_autofree char *nimbus = test_build_path("nimbus");
    g_autofree char *cmd = b64_script(guest_report);
    g_autofree char *cmdline = g_strdup_printf(
        "console=ttyS0 " QUIET " nimbus.marker=%s-%u nimbus.cmd=%s", bc->kernel,
        bc->cpus, cmd);
    g_autofree char *cpus = bc->topology
        ? g_strdup_printf("boot=%u,topology=%s", bc->cpus, bc->topology)
        : g_strdup_printf("boot=%u", bc->cpus);
    g_autofree char *memory = g_strdup_printf("size=%uM%s%s", MEMORY_MIB,
                                              bc->memory_opts ? "," : "",
                                              bc->memory_opts ? bc->memory_opts : "");
    g_autofree char *debugcon_path = g_build_filename(test_tmpdir(), "debugcon",
                                                      NULL);
    g_autofree char *debugcon = g_strdup_printf("file=%s", debugcon_path);
    g_autofree char *debugcon_out = NULL;
    const char *argv[] = { nimbus, "--kernel", kernel, "--initramfs", initrd,
                           "--cmdline", cmdline, "--cpus", cpus, "--memory",
                           memory, "--serial", "tty", "--debug-console",
                           debugcon, "-v", NULL };
    g_autoptr(TestProc) p = test_proc_spawn(argv);
    g_autofree char *out = NULL, *v = NULL, *marker = NULL, *expect = NULL;
    gint64 t_request, t_exit;
    guint64 e820, memtotal;
    int status;

    g_assert_true(test_proc_wait_output(p, "nimbus-guest: exit status 0",
                                        BOOT_TIMEOUT_MS));
    t_request = g_get_monotonic_time();
    status = test_proc_wait_exit(p, 60 * 1000);
    t_exit = g_get_monotonic_time();
    out = test_proc_output(p);
    g_assert_cmpint(status, ==, 0);
    /* The guest's poweroff ends the VMM promptly (issue: within 10 s). */
    g_test_message("power-off took %.2f s", (t_exit - t_request) / 1e6);
    g_assert_cmpint(t_exit - t_request, <, 10 * G_USEC_PER_SEC);

    expect = g_strdup_printf("%u", bc->cpus);
    v = guest_value(out, "cpus");
    g_assert_cmpstr(v, ==, expect);
    g_clear_pointer(&v, g_free);
    g_clear_pointer(&expect, g_free);
    expect = bc->cpus == 1 ? g_strdup("0") : g_strdup_printf("0-%u", bc->cpus - 1);
    v = guest_value(out, "online");
    g_assert_cmpstr(v, ==, expect);
    g_clear_pointer(&v, g_free);
    marker = g_strdup_printf("nimbus.marker=%s-%u", bc->kernel, bc->cpus);
    v = guest_value(out, "cmdline_marker");
    g_assert_cmpstr(v, ==, marker);
    g_clear_pointer(&v, g_free);
    v = guest_value(out, "acpi");
    g_assert_cmpstr(v, ==, "yes");
    g_clear_pointer(&v, g_free);
    /* KVM emulates the TSC-deadline timer; its CPUID bit is ours to set. */
    v = guest_value(out, "tsc_deadline");
    g_free(expect);
    expect = g_strdup_printf("%u", bc->cpus);
    g_assert_cmpstr(v, ==, expect);
    g_clear_pointer(&v, g_free);
    g_clear_pointer(&expect, g_free);

    /* Memory: the E820 map hands the kernel all of it (less the legacy
     * hole below 1 MiB), and MemTotal is what remains after the kernel's
     * own reservations. */
    e820 = e820_usable_bytes(out);
    g_test_message("e820 usable: %" G_GUINT64_FORMAT " bytes", e820);
    g_assert_cmpuint(e820, >=, (guint64)MEMORY_MIB * 1024 * 1024 * 99 / 100);
    g_assert_cmpuint(e820, <=, (guint64)MEMORY_MIB * 1024 * 1024);
    v = guest_value(out, "memtotal_kb");
    g_assert_nonnull(v);
    memtotal = g_ascii_strtoull(v, NULL, 10) * 1024;
    g_test_message("MemTotal: %" G_GUINT64_FORMAT " bytes (%.1f%% of e820 RAM)",
                   memtotal, 100.0 * memtotal / e820);
    g_assert_cmpuint(memtotal, >=, e820 * 85 / 100);
    g_clear_pointer(&v, g_free);

    /* Real date/time (kvmclock and the CMOS RTC): within a day. */
    v = guest_value(out, "date");
    g_assert_nonnull(v);
    g_assert_cmpint(ABS((gint64)g_ascii_strtoll(v, NULL, 10) -
                        g_get_real_time() / G_USEC_PER_SEC), <, 86400);
    g_clear_pointer(&v, g_free);

    if (bc->topology) {
        /* 1:2:1:2 = 1 thread per core, 2 cores per die, 2 packages. */
        v = guest_value(out, "packages");
        g_assert_cmpstr(v, ==, "0,1,");
        g_clear_pointer(&v, g_free);
        v = guest_value(out, "cores");
        g_assert_cmpstr(v, ==, "0,1,");
        g_clear_pointer(&v, g_free);
        v = guest_value(out, "threads");
        g_assert_cmpstr(v, ==, "0");
    }

    /* What the guest wrote to port 0xe9 landed in the --debug-console file. */
    g_assert_true(g_file_get_contents(debugcon_path, &debugcon_out, NULL, NULL));
    g_assert_cmpstr(debugcon_out, ==, "debugcon-ok\n");

    /* The debug port logs when userspace started (0x60 from /init). */
    g_assert_nonnull(strstr(out, "[Debug I/O port: Userspace code 0x60]"));
    g_assert_nonnull(strstr(out, "kernel entry"));
}

/* A UNIX-socket client of --serial socket=PATH. */
typedef struct {
    int fd;
    GString *seen;
} SerialClient;

static bool
serial_connect(SerialClient *c, const char *path, guint timeout_ms)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    c->seen = g_string_new(NULL);
    while (g_get_monotonic_time() < deadline) {
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            return true;
        close(c->fd);
        g_usleep(50 * 1000);
    }
    c->fd = -1;
    return false;
}

/* Reads until @needle appears after position @from of everything seen. */
static bool
serial_expect(SerialClient *c, const char *needle, gsize *from,
              guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        char buf[4096];
        const char *hit = strstr(c->seen->str + *from, needle);
        GPollFD pfd = { .fd = c->fd, .events = G_IO_IN };
        gint64 left = deadline - g_get_monotonic_time();
        ssize_t n;

        if (hit) {
            *from = (gsize)(hit - c->seen->str) + strlen(needle);
            return true;
        }
        /* A panicked guest will not answer: fail now, not at the timeout. */
        if (strstr(c->seen->str + *from, GUEST_PANIC))
            break;
        if (left <= 0 || g_poll(&pfd, 1, (gint)(left / 1000)) <= 0)
            break;
        n = read(c->fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        g_string_append_len(c->seen, buf, n);
    }
    g_test_message("serial: '%s' not seen; received:\n%s", needle,
                   c->seen->str + *from);
    return false;
}

static void
serial_send(SerialClient *c, const char *text)
{
    g_assert_cmpint(write(c->fd, text, strlen(text)), ==, (ssize_t)strlen(text));
}

static void
test_serial_socket_reboot(void)
{
    g_autofree char *kernel = test_asset("vmlinux");
    g_autofree char *initrd = test_asset("guest-initramfs.cpio");
    g_autofree char *nimbus = test_build_path("nimbus");
    g_autofree char *sock = g_build_filename(test_tmpdir(), "serial.sock", NULL);
    g_autofree char *serial = g_strdup_printf("socket=%s", sock);
    const char *argv[] = { nimbus, "--kernel", kernel, "--initramfs", initrd,
                           "--cmdline", "console=ttyS0 " QUIET, "--cpus", "boot=2",
                           "--memory", "size=512M", "--serial", serial,
                           "--console", "off", "-v", NULL };
    g_autoptr(TestProc) p = test_proc_spawn(argv);
    SerialClient c;
    gsize pos = 0;

    g_assert_true(serial_connect(&c, sock, 30 * 1000));
    /* First boot: a shell prompt; typed input reaches it. */
    g_assert_true(serial_expect(&c, "nimbus# ", &pos, BOOT_TIMEOUT_MS));
    serial_send(&c, "echo answer=$((6*7))\n");
    g_assert_true(serial_expect(&c, "answer=42", &pos, 60 * 1000));
    /* The guest reboots: same process, a second boot. */
    serial_send(&c, "reboot -f\n");
    g_assert_true(serial_expect(&c, "nimbus-guest: userspace up", &pos,
                                BOOT_TIMEOUT_MS));
    g_assert_true(serial_expect(&c, "nimbus# ", &pos, BOOT_TIMEOUT_MS));
    serial_send(&c, "cat /proc/uptime; echo again=$((2+3))\n");
    g_assert_true(serial_expect(&c, "again=5", &pos, 60 * 1000));
    serial_send(&c, "poweroff -f\n");
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
    {
        g_autofree char *out = test_proc_output(p);
        g_assert_nonnull(strstr(out, "guest requested a reset"));
    }
    close(c.fd);
    g_string_free(c.seen, TRUE);
}

/* 5 GiB: RAM above 3 GiB moves above the 32-bit device hole (CH's layout).
 * Untouched guest RAM costs the host nothing (MAP_NORESERVE), so this runs
 * inside the harness's 3 GiB nested VM.  The same boot reads --platform's
 * SMBIOS identity back through the guest's DMI scan. */
#define SMBIOS_UUID "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"
static void
test_high_memory(void)
{
    static const char script[] =
        "dmesg | grep BIOS-e820\n"
        "echo memtotal_kb=$(sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo)\n"
        "d=/sys/class/dmi/id\n"
        "echo dmi_serial=$(cat $d/product_serial)\n"
        "echo dmi_uuid=$(cat $d/product_uuid)\n"
        "echo dmi_vendor=$(cat $d/sys_vendor)\n"
        "echo dmi_asset=$(cat $d/chassis_asset_tag)\n"
        "echo dmi_oem=$(tr '\\0' , < /sys/firmware/dmi/entries/11-0/raw | "
        "tail -c +6)\n";
    g_autofree char *kernel = test_asset("vmlinux");
    g_autofree char *initrd = test_asset("guest-initramfs.cpio");
    g_autofree char *nimbus = test_build_path("nimbus");
    g_autofree char *cmd = b64_script(script);
    g_autofree char *cmdline = g_strdup_printf("console=ttyS0 " QUIET
                                               " nimbus.cmd=%s", cmd);
    const char *argv[] = { nimbus, "--kernel", kernel, "--initramfs", initrd,
                           "--cmdline", cmdline, "--memory", "size=5G",
                           "--serial", "tty", "--platform",
                           "system_manufacturer=Nimbus Test,"
                           "system_serial_number=serial-42,system_uuid="
                           SMBIOS_UUID ",chassis_asset_tag=rack-7,"
                           "oem_strings=[io.systemd.credential:a=b,second]",
                           NULL };
    g_autoptr(TestProc) p = test_proc_spawn(argv);
    g_autofree char *out = NULL, *v = NULL;
    guint64 e820;

    g_assert_cmpint(test_proc_wait_exit(p, BOOT_TIMEOUT_MS), ==, 0);
    out = test_proc_output(p);
    /* Low RAM ends at 3 GiB; the rest starts at 4 GiB. */
    g_assert_nonnull(strstr(out, "[mem 0x0000000000100000-0x00000000bfffffff] usable"));
    g_assert_nonnull(strstr(out, "[mem 0x0000000100000000-0x000000017fffffff] usable"));
    e820 = e820_usable_bytes(out);
    g_assert_cmpuint(e820, >=, (5ULL << 30) * 99 / 100);
    v = guest_value(out, "memtotal_kb");
    g_assert_nonnull(v);
    g_assert_cmpuint(g_ascii_strtoull(v, NULL, 10) * 1024, >=, e820 * 85 / 100);
    g_clear_pointer(&v, g_free);

    v = guest_value(out, "dmi_serial");
    g_assert_cmpstr(v, ==, "serial-42");
    g_clear_pointer(&v, g_free);
    v = guest_value(out, "dmi_uuid");
    g_assert_cmpstr(v, ==, SMBIOS_UUID);
    g_clear_pointer(&v, g_free);
    v = guest_value(out, "dmi_vendor");
    g_assert_cmpstr(v, ==, "Nimbus Test");
    g_clear_pointer(&v, g_free);
    v = guest_value(out, "dmi_asset");
    g_assert_cmpstr(v, ==, "rack-7");
    g_clear_pointer(&v, g_free);
    /* Type 11's strings after its 5-byte header, NULs as commas. */
    v = guest_value(out, "dmi_oem");
    g_assert_nonnull(v);
    g_assert_true(g_str_has_prefix(v, "io.systemd.credential:a=b,second,"));
}

/* Polls @p's output until @needle occurs @n times. */
static bool
wait_output_count(TestProc *p, const char *needle, unsigned n,
                  guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        g_autofree char *out = test_proc_output(p);
        unsigned seen = 0;

        for (const char *s = strstr(out, needle); s;
             s = strstr(s + 1, needle))
            seen++;
        if (seen >= n)
            return true;
        if (test_proc_exited(p) || g_get_monotonic_time() > deadline) {
            g_test_message("'%s' seen %u of %u times; output:\n%s", needle,
                           seen, n, out);
            return false;
        }
        g_usleep(200 * 1000);
    }
}

/* A triple fault resets the VM, as CH does on KVM_EXIT_SHUTDOWN: the
 * registers are logged (the harness's crash detection looks for that
 * line) and the guest boots again in the same process.  "reboot=t" makes
 * the guest kernel reboot by triple fault, so it does so on every boot. */
static void
test_triple_fault(void)
{
    static const char line[] = "vcpu0: shutdown (triple fault): resetting the VM";
    g_autofree char *kernel = test_asset("vmlinux");
    g_autofree char *initrd = test_asset("guest-initramfs.cpio");
    g_autofree char *nimbus = test_build_path("nimbus");
    g_autofree char *cmd = b64_script("reboot -f\n");
    g_autofree char *cmdline = g_strdup_printf("console=ttyS0 " QUIET
                                               " reboot=t nimbus.cmd=%s", cmd);
    const char *argv[] = { nimbus, "--kernel", kernel, "--initramfs", initrd,
                           "--cmdline", cmdline, "--serial", "tty", NULL };
    g_autoptr(TestProc) p = test_proc_spawn(argv);
    g_autofree char *out = NULL;
    const char *first;

    g_assert_true(test_proc_wait_output(p, line, BOOT_TIMEOUT_MS));
    /* The second boot reaches userspace: the VM was reset, not ended. */
    g_assert_true(wait_output_count(p, "nimbus-guest: userspace up", 2,
                                    BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    first = strstr(out, line);
    g_assert_nonnull(first);
    g_assert_nonnull(strstr(first, "rip="));
    g_assert_nonnull(strstr(first, "nimbus-guest: userspace up"));
    g_assert_null(strstr(out, "the guest crashed"));
    g_assert_false(test_proc_exited(p));
}

/* Payload problems found when the VM is built: one clear line, exit 1. */
static void
test_bad_payloads(void)
{
    g_autofree char *kernel = test_asset("vmlinux");
    g_autofree char *initrd = test_asset("guest-initramfs.cpio");
    g_autofree char *nimbus = test_build_path("nimbus");
    g_autofree char *text = g_build_filename(test_tmpdir(), "not-a-kernel", NULL);
    const struct {
        const char *what;
        const char *argv[12];
        const char *message;
    } cases[] = {
        { "text file", { nimbus, "--kernel", text, "--console", "off", NULL },
          "is neither a PVH ELF kernel/firmware nor a bzImage" },
        { "RAM smaller than the kernel",
          { nimbus, "--kernel", kernel, "--memory", "size=16M", "--console",
            "off", NULL },
          "is larger than guest RAM" },
        { "RAM too small for kernel and initramfs",
          { nimbus, "--kernel", kernel, "--initramfs", initrd, "--memory",
            "size=64M", "--console", "off", NULL },
          "does not fit in guest RAM" },
    };

    g_assert_true(g_file_set_contents(text, "#!/bin/sh\necho hi\n", -1, NULL));
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = NULL;
        g_auto(GStrv) lines = NULL;

        g_test_message("case: %s", cases[i].what);
        g_assert_cmpint(test_run(cases[i].argv, &out, 60 * 1000), ==, 1);
        g_assert_nonnull(strstr(out, cases[i].message));
        /* One line, naming the file. */
        lines = g_strsplit(g_strchomp(out), "\n", -1);
        g_assert_cmpuint(g_strv_length(lines), ==, 1);
        g_assert_nonnull(strstr(out, cases[i].argv[2]));
    }
}

int
main(int argc, char **argv)
{
    static const BootCase cases[] = {
        { "vmlinux", 1, NULL, NULL },
        { "vmlinux", 4, "1:2:1:2", NULL },
        { "vmlinuz", 1, NULL, NULL },
        /* memfd-backed, pre-faulted RAM boots the same guest. */
        { "vmlinuz", 4, NULL, "shared=on,prefault=on,thp=off" },
    };

    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/boot/pvh/1cpu", &cases[0], test_boot);
    g_test_add_data_func("/boot/pvh/4cpu-topology", &cases[1], test_boot);
    g_test_add_data_func("/boot/bzimage/1cpu", &cases[2], test_boot);
    g_test_add_data_func("/boot/bzimage/4cpu", &cases[3], test_boot);
    g_test_add_func("/boot/serial-socket-reboot", test_serial_socket_reboot);
    g_test_add_func("/boot/high-memory", test_high_memory);
    g_test_add_func("/boot/bad-payloads", test_bad_payloads);
    g_test_add_func("/boot/triple-fault", test_triple_fault);
    return g_test_run();
}

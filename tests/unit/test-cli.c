/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the nimbus command line (daemon/cli.c). */
#include <config.h>

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "daemon/cli.h"
#include "daemon/seccomp.h"
#include "devices/registry.h"
#include "tests/testutil.h"

static void
make_files(void)
{
    static const char *const files[] = { "vmlinux", "initrd", "fw", "a.img",
                                         "b.img", "c.img", NULL };
    guint i;

    for (i = 0; files[i]; i++) {
        g_autofree char *p = g_build_filename(test_tmpdir(), files[i], NULL);

        g_assert_true(g_file_set_contents(p, "x", 1, NULL));
    }
}

/* Parses "nimbus" + @args, where @T@ stands for the temporary directory. */
static bool
parse(const char *const *args, NimbusCli *cli, GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    guint i;

    g_ptr_array_add(argv, g_strdup("nimbus"));
    for (i = 0; args[i]; i++) {
        g_auto(GStrv) parts = g_strsplit(args[i], "@T@", -1);

        g_ptr_array_add(argv, g_strjoinv(test_tmpdir(), parts));
    }
    g_ptr_array_add(argv, NULL);
    /* The tests reuse one NimbusCli: release the previous results, as
     * nimbus_cli_parse() starts from a blank struct. */
    nimbus_cli_free(cli);
    return nimbus_cli_parse((int)argv->len - 1, (char **)argv->pdata, cli, error);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void
test_api_only(void)
{
    g_auto(NimbusCli) cli = { 0 };
    g_autoptr(GError) error = NULL;

    g_assert_true(parse(ARGS("--api-socket", "/tmp/api.sock"), &cli, &error));
    g_assert_no_error(error);
    g_assert_null(cli.vm);               /* no payload: API-only mode */
    g_assert_cmpstr(cli.api_socket_path, ==, "/tmp/api.sock");
    g_assert_cmpint(cli.api_socket_fd, ==, -1);
    g_assert_null(cli.event_monitor_path);
    g_assert_cmpint(cli.event_monitor_fd, ==, -1);
    g_assert_cmpstr(cli.seccomp, ==, "true");    /* CH's default */
    g_assert_cmpint(cli.verbosity, ==, 0);
    g_assert_false(cli.help || cli.version || cli.no_shutdown ||
                   cli.dbus_system_bus);

    g_assert_true(parse(ARGS("--api-socket=path=/a", "--event-monitor", "fd=1",
                             "-v", "-vv", "--seccomp", "false", "--no-shutdown",
                             "--log-file", "/tmp/log", "--dbus-service-name",
                             "org.example.Vm", "--dbus-object-path",
                             "/org/example/Vm", "--dbus-system-bus"),
                        &cli, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(cli.api_socket_path, ==, "/a");
    g_assert_cmpint(cli.event_monitor_fd, ==, 1);
    g_assert_null(cli.event_monitor_path);
    g_assert_cmpint(cli.verbosity, ==, 3);
    g_assert_cmpstr(cli.seccomp, ==, "false");
    g_assert_true(cli.no_shutdown);
    g_assert_cmpstr(cli.log_file, ==, "/tmp/log");
    g_assert_cmpstr(cli.dbus_service_name, ==, "org.example.Vm");
    g_assert_cmpstr(cli.dbus_object_path, ==, "/org/example/Vm");
    g_assert_true(cli.dbus_system_bus);

    g_assert_true(parse(ARGS("--api-socket", "fd=3", "--event-monitor",
                             "path=/tmp/ev"), &cli, &error));
    g_assert_null(cli.api_socket_path);
    g_assert_cmpint(cli.api_socket_fd, ==, 3);
    g_assert_cmpstr(cli.event_monitor_path, ==, "/tmp/ev");

    g_assert_true(parse(ARGS("--api-socket", "fd=0"), &cli, &error));
    g_assert_cmpint(cli.api_socket_fd, ==, 0);
}

static void
test_vm(void)
{
    g_auto(NimbusCli) cli = { 0 };
    g_autoptr(GError) error = NULL;
    const DiskConfig *d;
    const NetConfig *n;

    /* The command line of issue 3, exactly: --serial tty takes the
     * terminal, and the virtio console (CH's default tty) stays off. */
    g_assert_true(parse(ARGS("--kernel", "@T@/vmlinux", "--initramfs",
                             "@T@/initrd", "--cmdline", "console=ttyS0",
                             "--cpus", "boot=4", "--memory", "size=512M",
                             "--serial", "tty"),
                        &cli, &error));
    g_assert_no_error(error);
    g_assert_nonnull(cli.vm);
    g_assert_true(g_str_has_suffix(cli.vm->payload.kernel, "/vmlinux"));
    g_assert_true(g_str_has_suffix(cli.vm->payload.initramfs, "/initrd"));
    g_assert_cmpstr(cli.vm->payload.cmdline, ==, "console=ttyS0");
    g_assert_cmpuint(cli.vm->cpus.boot_vcpus, ==, 4);
    g_assert_cmpuint(cli.vm->cpus.max_vcpus, ==, 4);
    g_assert_cmpuint(cli.vm->memory.size, ==, 512ULL << 20);
    g_assert_cmpint(cli.vm->serial.mode, ==, CONSOLE_MODE_TTY);
    g_assert_cmpint(cli.vm->console.mode, ==, CONSOLE_MODE_OFF);
    g_assert_cmpstr(cli.vm->rng.id, ==, "__rng");   /* validated */

    /* Several values after one --disk, and --disk again; --opt=value. */
    g_assert_true(parse(ARGS("--kernel=@T@/vmlinux", "--cpus=boot=2",
                             "--disk", "path=@T@/a.img", "path=@T@/b.img,readonly=on",
                             "--disk=path=@T@/c.img,id=data", "--net", "tap=t0",
                             "tap=t1", "--cmdline", "-single",
                             "--rng", "src=/dev/urandom",
                             "--debug-console", "file=/tmp/dbg,iobase=0x402"),
                        &cli, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(cli.vm->disks->len, ==, 3);
    d = g_ptr_array_index(cli.vm->disks, 0);
    g_assert_cmpstr(d->id, ==, "_disk0");
    d = g_ptr_array_index(cli.vm->disks, 1);
    g_assert_true(d->readonly);
    g_assert_cmpstr(d->id, ==, "_disk1");
    d = g_ptr_array_index(cli.vm->disks, 2);
    g_assert_cmpstr(d->id, ==, "data");
    g_assert_cmpuint(cli.vm->net->len, ==, 2);
    n = g_ptr_array_index(cli.vm->net, 1);
    g_assert_cmpstr(n->tap, ==, "t1");
    g_assert_cmpstr(n->id, ==, "_net1");
    g_assert_cmpstr(cli.vm->payload.cmdline, ==, "-single");
    g_assert_false(cli.vm->watchdog || cli.vm->pvpanic || cli.vm->landlock_enable);
    g_assert_cmpuint(cli.vm->debug_console.iobase, ==, 0x402);

    g_assert_true(parse(ARGS("--firmware", "@T@/fw", "--console", "pty"),
                        &cli, &error));
    g_assert_no_error(error);
    g_assert_true(g_str_has_suffix(cli.vm->payload.firmware, "/fw"));
    g_assert_null(cli.vm->payload.kernel);
}

/* --fw-cfg-config reaches the payload, and its rules run with CLI names. */
static void
test_fw_cfg(void)
{
    g_auto(NimbusCli) cli = { 0 };
    g_autoptr(GError) error = NULL;

    g_assert_true(parse(ARGS("--kernel", "@T@/vmlinux", "--fw-cfg-config",
                             "e820=off,items=[name=opt/a,string=b]"),
                        &cli, &error));
    g_assert_no_error(error);
    g_assert_nonnull(cli.vm->payload.fw_cfg_config);
    g_assert_false(cli.vm->payload.fw_cfg_config->e820);
    g_assert_false(parse(ARGS("--kernel", "@T@/vmlinux", "--fw-cfg-config",
                              "items=[name=etc/a,string=b]"),
                         &cli, &error));
    g_assert_nonnull(strstr(error->message, "--fw-cfg-config items[0]: "
                            "'etc/a': the name must start with 'opt/'"));
}

static void
test_help_version(void)
{
    g_auto(NimbusCli) cli = { 0 };
    g_autoptr(GError) error = NULL;

    /* --help and --version stop parsing: what follows is not looked at. */
    g_assert_true(parse(ARGS("--help", "--bogus"), &cli, &error));
    g_assert_true(cli.help);
    g_assert_null(cli.vm);
    g_assert_true(parse(ARGS("-h"), &cli, &error));
    g_assert_true(cli.help);
    g_assert_true(parse(ARGS("-vhx"), &cli, &error));
    g_assert_true(cli.help);
    g_assert_cmpint(cli.verbosity, ==, 1);
    g_assert_true(parse(ARGS("--cpus", "boot=2", "-V"), &cli, &error));
    g_assert_true(cli.version);
    g_assert_false(cli.help);
    g_assert_null(cli.vm);
    g_assert_true(parse(ARGS("--version"), &cli, &error));
    g_assert_true(cli.version);
    g_assert_no_error(error);
    /* What comes before them is still parsed. */
    g_assert_false(parse(ARGS("--bogus", "--help"), &cli, &error));
    g_assert_nonnull(error);
}

typedef struct {
    const char *const *args;
    const char *error;
    GIOErrorEnum code;
} BadCli;

static const BadCli bad_cli[] = {
    { ARGS("--foo"), "unknown option '--foo'", 0 },
    { ARGS("--foo=1"), "unknown option '--foo'", 0 },
    { ARGS("--vdpa", "path=/dev/x"), "--vdpa is not supported yet", 0 },
    { ARGS("--vsock=cid=2,socket=/v"),
      "--vsock: invalid value 'cid=2': expected an integer between 3 and "
      "4294967294", 0 },
    { ARGS("--restore", "prefault=on"), "--restore: source_url is required", 0 },
    { ARGS("--restore", "source_url=file:///x,memory_restore_mode=lazy"),
      "--restore: memory_restore_mode='lazy' is not 'copy' or 'ondemand'", 0 },
    { ARGS("--restore", "source_url=file:///x,net_fds=[3]"),
      "'net_fds=[3]': expected a list like [net0@[3,4],net1@[5]]", 0 },
    { ARGS("--restore", "source_url=file:///x", "--kernel", "/k"),
      "--restore cannot be combined with --kernel", 0 },
    { ARGS("--log-format", "x"), "--log-format is not supported yet", 0 },
    { ARGS("--pmem", "size=2M"),
      "--pmem: file=<backing_file_path> is required in 'size=2M'", 0 },
    { ARGS("--ivshmem", "size=1M"),
      "--ivshmem: path=</path/to/a/file> is required in 'size=1M'", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--memory", "size=0", "--memory-zone",
           "id=a,size=64M", "--numa", "guest_numa_id=0,cpus=[1],"
           "memory_zones=[a]"),
      "--numa: node 0: vCPU 1 does not exist (max_vcpus=1)", 0 },
    { ARGS("-x"), "unknown option '-x'", 0 },
    { ARGS("-vx"), "unknown option '-x'", 0 },
    { ARGS("foo"), "unexpected argument 'foo'", 0 },
    { ARGS("--"), "unexpected argument '--'", 0 },
    { ARGS("-"), "unexpected argument '-'", 0 },
    { ARGS("--kernel"), "--kernel needs a value", 0 },
    { ARGS("--kernel", "--cpus", "boot=1"), "--kernel needs a value", 0 },
    { ARGS("--kernel="), "--kernel: empty value", 0 },
    { ARGS("--disk"), "--disk needs a value", 0 },
    { ARGS("--cpus", "boot=x", "--kernel", "@T@/vmlinux"),
      "--cpus: invalid value 'boot=x': expected an integer", 0 },
    { ARGS("--memory", "sise=1G", "--kernel", "@T@/vmlinux"),
      "--memory: unknown key 'sise'", 0 },
    { ARGS("--memory", "hotplug_size=1G,hotplugged_size=64M", "--kernel",
           "@T@/vmlinux"),
      "--memory: hotplugged_size=67108864 with hotplug_method=acpi must be "
      "a multiple of the 128 MiB DIMM slot", 0 },
    { ARGS("--cpus", "boot=4,max=2", "--kernel", "@T@/vmlinux"),
      "--cpus: boot=4 is greater than max=2", 0 },
    { ARGS("--cpus", "boot=2,topology=1:1:1:1", "--kernel", "@T@/vmlinux"),
      "--cpus: topology=1:1:1:1 makes 1 vCPUs, not max=2", 0 },
    { ARGS("--kernel", "/nope"), "--kernel: /nope: No such file or directory", 0 },
    { ARGS("--kernel", "@T@"), "--kernel: @T@: Is a directory", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--initramfs", "/nope"),
      "--initramfs: /nope: No such file or directory", 0 },
    { ARGS("--firmware", "@T@/fw", "--initramfs", "@T@/initrd"),
      "--initramfs: an initramfs needs a kernel", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--firmware", "@T@/fw"),
      "--kernel and --firmware cannot be used together", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--kernel", "@T@/vmlinux"),
      "--kernel is given more than once", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--cpus", "boot=1", "--cpus", "boot=2"),
      "--cpus is given more than once", 0 },
    { ARGS("--cpus", "boot=2"),
      "--cpus needs a payload: give --kernel or --firmware", 0 },
    { ARGS("--disk", "path=@T@/a.img", "--api-socket", "/a"),
      "--disk needs a payload", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--serial", "tty", "--console", "tty"),
      "--serial tty and --console tty cannot be used together", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--disk", "path=/nope"),
      "--disk: /nope: No such file or directory", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--disk", "path=@T@/a.img,id=a",
           "path=@T@/b.img,id=a"),
      "--disk: id 'a' is already used by --disk", G_IO_ERROR_EXISTS },
    { ARGS("--kernel", "@T@/vmlinux", "--disk", "path=@T@/a.img", "path=@T@/a.img"),
      "--disk: @T@/a.img is already used by --disk (the same image twice)",
      G_IO_ERROR_EXISTS },
    { ARGS("--kernel", "@T@/vmlinux", "--disk", "path=@T@/a.img,queue_size=100"),
      "--disk: queue_size=100: expected a power of two", 0 },
    /* Rules the devices used to check at boot: refused up front, in the
     * CLI's words. */
    { ARGS("--kernel", "@T@/vmlinux", "--disk", "path=@T@/a.img,queue_size=2"),
      "--disk: queue_size=2: expected a power of two between 4 and 32768", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--memory", "size=512M,shared=on",
           "--disk", "vhost_user=on,socket=/s,iommu=on"),
      "--disk: iommu=on is refused with vhost_user: the vhost-user back end "
      "reads guest memory itself", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--balloon", "size=0,iommu=on"),
      "--balloon: iommu=on is refused: a virtio-balloon cannot be put behind "
      "the IOMMU", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--platform", "iommu_segments=[1]"),
      "--platform: iommu_segments: PCI segment 1 does not exist: the VM has "
      "one segment, 0", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--platform", "iommu_segments=[0]",
           "--console", "off"),
      "--rng: PCI segment 0 is behind the virtio-iommu (--platform "
      "iommu_segments), so each device on it needs iommu=on", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--platform", "iommu_address_width=65"),
      "--platform: invalid value 'iommu_address_width=65': expected an "
      "integer between 12 and 64", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--net", "ip=fd00::1"),
      "--net: ip=fd00::1: IPv6 host addresses are not supported yet", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--disk", "path=@T@/a.img,num_queues=2"),
      "--disk: num_queues=2 is more than the 1 boot vCPUs", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--net", "fd=[1]"),
      "--net: fd: fd 1 is reserved", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--net", "fd=[3,4],num_queues=2"),
      "--net: 2 tap fds need num_queues=4 (one fd per RX/TX queue pair), not 2", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--net", "fd=[3,4]"),
      "--net: num_queues=4 makes 2 queue pairs, more than the 1 boot vCPUs", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--net", "mac=01:00:00:00:00:01"),
      "--net: mac=01:00:00:00:00:01 is a multicast address", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--memory", "size=1K"),
      "--memory: size=1024 is below the 1 MiB minimum", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--memory", "hugepage_size=2M"),
      "--memory: hugepage_size=2097152 needs hugepages=on", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--rng", "src=/nope"),
      "--rng: /nope: No such file or directory", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--debug-console", "socket=/x"),
      "--debug-console: unknown key 'socket'", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--console", "file="),
      "--console: invalid value 'file='", 0 },
    { ARGS("--no-shutdown=1"), "--no-shutdown takes no value (got '1')", 0 },
    { ARGS("--api-socket", "path=/a,fd=3"),
      "--api-socket: path= and fd= cannot be used together", 0 },
    { ARGS("--api-socket", "fd=x"), "--api-socket: invalid value 'fd=x'", 0 },
    { ARGS("--api-socket", "foo=1"), "--api-socket: unknown key 'foo'", 0 },
    { ARGS("--api-socket", ""), "--api-socket: empty path", 0 },
    { ARGS("--api-socket", "/a", "--api-socket", "/b"),
      "--api-socket is given more than once", 0 },
    { ARGS("--event-monitor", "/tmp/x"),
      "--event-monitor: expected path=<path> or fd=<fd>, not '/tmp/x'", 0 },
    { ARGS("--seccomp", "maybe"),
      "--seccomp: invalid value 'maybe': expected true, false, log or errno", 0 },
    { ARGS("--seccomp", ""),
      "--seccomp: invalid value '': expected true, false, log or errno", 0 },
    { ARGS("--seccomp", "TRUE"),
      "--seccomp: invalid value 'TRUE': expected true, false, log or errno", 0 },
    { ARGS("--seccomp", "on"),
      "--seccomp: invalid value 'on': expected true, false, log or errno", 0 },
    { ARGS("--seccomp", "log", "--seccomp", "true"),
      "--seccomp is given more than once", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--watchdog=on"),
      "--watchdog takes no value (got 'on')", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--nimbus-watchdog", "action=dump"),
      "--nimbus-watchdog: invalid value 'action=dump'", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--pvpanic=on"),
      "--pvpanic takes no value (got 'on')", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--landlock-rules", "path=/tmp,access=r"),
      "--landlock-rules: rules are given but Landlock is not enabled "
      "(--landlock)", 0 },
    { ARGS("--kernel", "@T@/vmlinux", "--landlock", "--landlock-rules",
           "path=/tmp,access=rwx"),
      "--landlock-rules: access 'rwx' of '/tmp' is not r, w or rw", 0 },
    { ARGS("--dbus-service-name", "org.example.Vm"),
      "--dbus-service-name and --dbus-object-path must be given together", 0 },
    { ARGS("--dbus-system-bus"), "--dbus-system-bus needs --dbus-service-name", 0 },
    { ARGS("--dbus-object-path", "not/a/path"),
      "--dbus-object-path: 'not/a/path' is not a D-Bus object path", 0 },
    { ARGS("--dbus-service-name", ":1.5"),
      "--dbus-service-name: ':1.5' is not a well-known D-Bus name", 0 },
    { ARGS("--log-file", ""), "--log-file: empty value", 0 },
    { ARGS("--kernel", "/k\xff"), "--kernel: '/k\xef\xbf\xbd' is not valid UTF-8", 0 },
    { ARGS("--kernel=/k\xff"), "argument 1 is not valid UTF-8: '--kernel=/k\xef\xbf\xbd'", 0 },
    { ARGS("--disk", "path=/a", "path=/b\xba"),
      "--disk: 'path=/b\xef\xbf\xbd' is not valid UTF-8", 0 },
    { ARGS("--x\xff"), "argument 1 is not valid UTF-8", 0 },
};

/* CH's four values, in both spellings; main() maps them to a mode. */
static void
test_seccomp(void)
{
    static const char *const values[] = { "true", "false", "log", "errno" };

    for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
        g_auto(NimbusCli) cli = { 0 };
        g_autoptr(GError) error = NULL;
        g_autofree char *eq = g_strdup_printf("--seccomp=%s", values[i]);
        SeccompMode mode = SECCOMP_MODE_LAST;

        g_assert_true(parse(ARGS("--seccomp", values[i]), &cli, &error));
        g_assert_no_error(error);
        g_assert_cmpstr(cli.seccomp, ==, values[i]);
        nimbus_cli_free(&cli);
        g_assert_true(parse(ARGS(eq), &cli, &error));
        g_assert_cmpstr(cli.seccomp, ==, values[i]);
        g_assert_true(seccomp_mode_parse(cli.seccomp, &mode, &error));
        g_assert_cmpint(mode, ==, i);
        g_assert_cmpstr(seccomp_mode_name(mode), ==, values[i]);
    }
}

static void
test_bad(void)
{
    guint i;

    for (i = 0; i < G_N_ELEMENTS(bad_cli); i++) {
        g_auto(NimbusCli) cli = { 0 };
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) parts = g_strsplit(bad_cli[i].error, "@T@", -1);
        g_autofree char *want = g_strjoinv(test_tmpdir(), parts);
        g_autofree char *joined = g_strjoinv(" ", (char **)bad_cli[i].args);

        g_test_message("nimbus %s", joined);
        g_assert_false(parse(bad_cli[i].args, &cli, &error));
        g_assert_nonnull(error);
        g_test_message("-> %s", error->message);
        g_assert_true(error->domain == G_IO_ERROR);
        g_assert_cmpint(error->code, ==, bad_cli[i].code ? bad_cli[i].code :
                        G_IO_ERROR_INVALID_ARGUMENT);
        if (!strstr(error->message, want)) {
            g_test_message("MISMATCH: expected '%s'", want);
            g_test_fail();
        }
        /* One line, and nothing left behind in the struct. */
        g_assert_null(strchr(error->message, '\n'));
        g_assert_null(cli.vm);
        g_assert_null(cli.api_socket_path);
        g_assert_null(cli.seccomp);
        g_assert_cmpint(cli.api_socket_fd, ==, -1);
    }
}

static void
test_help_text(void)
{
    /* The options of the option table, as --help must list them; the
     * device options come from the registry (checked below). */
    static const char *const expected[] = {
        "api-socket", "cmdline", "console", "cpus", "dbus-object-path",
        "dbus-service-name", "dbus-system-bus", "debug-console", "disk",
        "event-monitor", "firmware", "fw-cfg-config", "help", "initramfs",
        "kernel", "landlock",
        "landlock-rules", "log-file", "memory", "memory-zone", "net",
        "no-shutdown", "numa", "platform",
        "pvpanic",
        "rate-limit-group", "restore", "rng",
        "seccomp", "serial", "v", "version", "watchdog", NULL
    };
    g_autofree char *help = nimbus_cli_help();
    g_auto(GStrv) lines = g_strsplit(help, "\n", -1);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) table = g_ptr_array_new();
    guint i;

    for (i = 0; lines[i]; i++) {
        const char *l = lines[i];
        const char *dd = strstr(l, "--");
        const char *end;

        if (!g_str_has_prefix(l, "  -") && !g_str_has_prefix(l, "      --"))
            continue;
        if (dd) {
            end = dd + 2 + strcspn(dd + 2, " ");
            g_ptr_array_add(names, g_strndup(dd + 2, end - dd - 2));
        } else {
            g_ptr_array_add(names, g_strndup(strchr(l, '-') + 1, 1));
        }
        /* Each option has a description line after it. */
        g_assert_nonnull(lines[i + 1]);
        g_assert_true(g_str_has_prefix(lines[i + 1], "          "));
    }
    g_ptr_array_add(names, NULL);
    for (i = 1; i + 1 < names->len; i++) {
        if (strcmp(g_ptr_array_index(names, i - 1), g_ptr_array_index(names, i)) >= 0) {
            g_test_message("--help is not sorted: '%s' before '%s'",
                           (char *)g_ptr_array_index(names, i - 1),
                           (char *)g_ptr_array_index(names, i));
            g_test_fail();
        }
    }
    /* Each type with a config kind brings its option (and help) along;
     * the rest are the table's and the built-in device types'. */
    for (i = 0; i + 1 < names->len; i++) {
        const char *n = g_ptr_array_index(names, i);
        g_autofree char *opt = g_strconcat("--", n, NULL);
        bool from_kind = false;

        for (const DeviceType *const *t = device_registry_types(); *t; t++) {
            if ((*t)->kind && g_str_equal((*t)->cli_option, opt))
                from_kind = true;
        }
        if (!from_kind)
            g_ptr_array_add(table, (gpointer)n);
    }
    g_ptr_array_add(table, NULL);
    for (const DeviceType *const *t = device_registry_types(); *t; t++) {
        /* A flag (--pvpanic) has no value to name. */
        g_autofree char *line = (*t)->cli_flag ?
            g_strdup((*t)->cli_option) :
            g_strdup_printf("%s <%s>", (*t)->cli_option, (*t)->cli_option + 2);

        g_assert_nonnull(strstr(help, line));
        g_assert_nonnull(strstr(help, (*t)->cli_help));
    }
    g_assert_cmpstrv((char **)table->pdata, expected);
    /* Sub-parameter syntax and defaults. */
    g_assert_nonnull(strstr(help, "boot=<boot_vcpus>,max=<max_vcpus>,topology="));
    g_assert_nonnull(strstr(help, "[default: boot=1,max_phys_bits=46"));
    g_assert_nonnull(strstr(help, "[default: size=512M"));
    g_assert_nonnull(strstr(help, "--disk <disk>..."));
    g_assert_nonnull(strstr(help, "[default: off,iobase=0xe9]"));
    g_assert_nonnull(strstr(help, "[default: src=/dev/urandom]"));
    g_assert_nonnull(strstr(help, "[default: null]"));
    g_assert_nonnull(strstr(help, "[default: tty]"));
    g_assert_null(strstr(help, "--vdpa"));
}

/* An option that lands leaves the "not supported yet" list: none of them
 * is in --help, and each is refused with that message. */
static void
test_unimplemented(void)
{
    g_autofree char *help = nimbus_cli_help();
    const char *const *o;

    for (o = nimbus_cli_unimplemented(); *o; o++) {
        g_autofree char *opt = g_strdup_printf("--%s", *o);
        g_autofree char *want = g_strdup_printf("%s is not supported yet",
                                                opt);
        g_autofree char *in_help = g_strdup_printf("  %s ", opt);
        g_auto(NimbusCli) cli = { 0 };
        g_autoptr(GError) err = NULL;

        g_assert_null(strstr(help, in_help));
        g_assert_false(parse(ARGS(opt, "x"), &cli, &err));
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err->message, want));
    }
}

static void
test_version(void)
{
    g_autofree char *v = nimbus_cli_version();
    const char *p;
    guint64 major;
    char *end = NULL;

    /* As libvirt's chExtractVersion() reads it. */
    g_assert_true(g_str_has_prefix(v, "cloud-hypervisor v"));
    p = v + strlen("cloud-hypervisor v");
    major = g_ascii_strtoull(p, &end, 10);
    g_assert_cmpuint(major, >=, 15);
    g_assert_true(*end == '.');
    g_assert_nonnull(strstr(v, "nimbus v" PACKAGE_VERSION));
    g_assert_null(strchr(v, '\n'));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    make_files();
    g_test_add_func("/cli/api-only", test_api_only);
    g_test_add_func("/cli/vm", test_vm);
    g_test_add_func("/cli/fw-cfg", test_fw_cfg);
    g_test_add_func("/cli/help-version", test_help_version);
    g_test_add_func("/cli/seccomp", test_seccomp);
    g_test_add_func("/cli/bad", test_bad);
    g_test_add_func("/cli/help-text", test_help_text);
    g_test_add_func("/cli/unimplemented", test_unimplemented);
    g_test_add_func("/cli/version", test_version);
    return g_test_run();
}

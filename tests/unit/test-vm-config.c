/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for VmConfig: defaults, copies, enums, validation, fds. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "config/vm-config.h"
#include "tests/testutil.h"

/* Files the configs below point at, in a private temporary directory. */
static void
make_files(void)
{
    const char *t = test_tmpdir();
    static const char *const files[] = {
        "vmlinux", "initrd", "fw", "disk0.img", "disk1.img", "ro.img", NULL
    };
    guint i;

    for (i = 0; files[i]; i++) {
        g_autofree char *p = g_build_filename(t, files[i], NULL);

        g_assert_true(g_file_set_contents(p, "x", 1, NULL));
    }
    {
        g_autofree char *ro = g_build_filename(t, "ro.img", NULL);
        g_autofree char *dir = g_build_filename(t, "dir", NULL);
        g_autofree char *fifo = g_build_filename(t, "fifo", NULL);
        g_autofree char *link = g_build_filename(t, "disk0.link", NULL);

        g_assert_cmpint(g_chmod(ro, 0444), ==, 0);
        g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
        g_assert_cmpint(mkfifo(fifo, 0644), ==, 0);
        g_assert_cmpint(symlink("disk0.img", link), ==, 0);
    }
}

/* @T@ in @tmpl becomes the temporary directory. */
static char *
expand(const char *tmpl)
{
    g_auto(GStrv) parts = g_strsplit(tmpl, "@T@", -1);

    return g_strjoinv(test_tmpdir(), parts);
}

static VmConfig *
config_from(const char *tmpl)
{
    g_autofree char *json = expand(tmpl);
    g_autoptr(GError) error = NULL;
    VmConfig *c = vm_config_from_json(json, -1, &error);

    g_assert_no_error(error);
    g_assert_nonnull(c);
    return c;
}

#define KERNEL "\"payload\": {\"kernel\": \"@T@/vmlinux\"}"

static void
test_defaults(void)
{
    g_autoptr(VmConfig) c = vm_config_new();
    g_autoptr(DiskConfig) d = disk_config_new();
    g_autoptr(NetConfig) n = net_config_new();
    CpuTopology t;

    /* reference §9: the checklist of CH's defaults. */
    g_assert_cmpuint(c->cpus.boot_vcpus, ==, 1);
    g_assert_cmpuint(c->cpus.max_vcpus, ==, 1);
    g_assert_cmpuint(c->cpus.max_phys_bits, ==, 46);
    g_assert_true(c->cpus.nested);
    g_assert_false(c->cpus.kvm_hyperv);
    g_assert_cmpuint(c->memory.size, ==, 512ULL << 20);
    g_assert_true(c->memory.thp);
    g_assert_false(c->memory.shared || c->memory.hugepages ||
                   c->memory.prefault || c->memory.reserve ||
                   c->memory.mergeable);
    g_assert_cmpstr(c->rng.src, ==, "/dev/urandom");
    g_assert_cmpint(c->console.mode, ==, CONSOLE_MODE_TTY);
    g_assert_cmpint(c->serial.mode, ==, CONSOLE_MODE_NULL);
    g_assert_cmpint(c->debug_console.mode, ==, CONSOLE_MODE_OFF);
    g_assert_cmpuint(c->debug_console.iobase, ==, 0xe9);
    g_assert_nonnull(c->disks);
    g_assert_nonnull(c->net);
    g_assert_cmpuint(d->num_queues, ==, 1);
    g_assert_cmpuint(d->queue_size, ==, 128);
    g_assert_cmpint(d->image_type, ==, IMAGE_TYPE_UNKNOWN);
    g_assert_cmpint(d->pci_device_id, ==, -1);
    g_assert_cmpuint(n->num_queues, ==, 2);
    g_assert_cmpuint(n->queue_size, ==, 256);
    g_assert_true(n->offload_tso && n->offload_ufo && n->offload_csum);
    g_assert_cmpint(n->pci_device_id, ==, -1);

    c->cpus.max_vcpus = 6;
    vm_config_cpu_topology(&c->cpus, &t);
    g_assert_cmpuint(t.threads_per_core, ==, 1);
    g_assert_cmpuint(t.cores_per_die, ==, 6);
    g_assert_cmpuint(t.dies_per_package, ==, 1);
    g_assert_cmpuint(t.packages, ==, 1);
}

static void
test_enums(void)
{
    static const char *const modes[] = { "Off", "Pty", "Tty", "File", "Socket", "Null" };
    static const char *const types[] = { "Raw", "Qcow2", "FixedVhd", "Vhdx", "Unknown" };
    int i;

    for (i = 0; i < CONSOLE_MODE_LAST; i++) {
        g_autofree char *lower = g_ascii_strdown(modes[i], -1);

        g_assert_cmpstr(console_mode_to_string(i), ==, modes[i]);
        g_assert_cmpint(console_mode_from_string(modes[i]), ==, i);
        g_assert_cmpint(console_mode_from_string(lower), ==, i);
    }
    g_assert_null(console_mode_to_string(CONSOLE_MODE_LAST));
    g_assert_null(console_mode_to_string((ConsoleMode)-1));
    g_assert_cmpint(console_mode_from_string("Serial"), ==, -1);
    g_assert_cmpint(console_mode_from_string(""), ==, -1);
    g_assert_cmpint(console_mode_from_string(NULL), ==, -1);
    for (i = 0; i < IMAGE_TYPE_LAST; i++) {
        g_assert_cmpstr(image_type_to_string(i), ==, types[i]);
        g_assert_cmpint(image_type_from_string(types[i]), ==, i);
    }
    g_assert_null(image_type_to_string(IMAGE_TYPE_LAST));
    g_assert_cmpint(image_type_from_string("vmdk"), ==, -1);
}

static void
test_copy(void)
{
    g_autoptr(VmConfig) a = config_from(
        "{\"cpus\": {\"boot_vcpus\": 2, \"max_vcpus\": 4,"
        " \"topology\": {\"threads_per_core\": 1, \"cores_per_die\": 4,"
        "  \"dies_per_package\": 1, \"packages\": 1},"
        " \"affinity\": [{\"vcpu\": 0, \"host_cpus\": [1, 2]}]},"
        KERNEL ", \"disks\": [{\"path\": \"/a\", \"id\": \"d\"}],"
        " \"net\": [{\"tap\": \"t0\", \"mac\": \"02:00:00:00:00:01\"},"
        "  {\"fds\": [-1]}],"
        " \"serial\": {\"mode\": \"File\", \"file\": \"/s\"}}");
    g_autoptr(VmConfig) b = vm_config_copy(a);
    g_autofree char *ja = vm_config_to_json(a, false);
    g_autofree char *jb = vm_config_to_json(b, false);
    DiskConfig *db;
    NetConfig *nb;

    g_assert_cmpstr(ja, ==, jb);
    /* Deep: changing the copy leaves the original alone. */
    db = g_ptr_array_index(b->disks, 0);
    g_free(db->path);
    db->path = g_strdup("/b");
    b->cpus.topology->packages = 9;
    g_array_index(((CpuAffinity *)g_ptr_array_index(b->cpus.affinity, 0))->host_cpus,
                  uint32_t, 0) = 7;
    nb = g_ptr_array_index(b->net, 1);
    g_array_index(nb->fds, int, 0) = 42;
    g_free(b->serial.file);
    b->serial.file = g_strdup("/t");
    {
        g_autofree char *again = vm_config_to_json(a, false);

        g_assert_cmpstr(again, ==, ja);
    }
    g_assert_cmpint(g_array_index(((NetConfig *)g_ptr_array_index(a->net, 1))->fds,
                                  int, 0), ==, -1);
}

/* Validation failures, with the JSON names vm_config_validate() uses. */
typedef struct {
    const char *json;         /* @T@ = temporary directory */
    const char *error;        /* substring, @T@ expanded */
    GIOErrorEnum code;
    bool host;                /* vm_config_check_host()'s, not a rule */
} ValidateCase;

#define HOST 0, true

#define PLATFORM(body) \
    "{\"payload\": {\"kernel\": \"@T@/vmlinux\"}, \"platform\": {" body "}}"
#define PUUID "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"

static const ValidateCase validate_bad[] = {
    { PLATFORM("\"uuid\": \"1234\""), "platform: '1234' is not a UUID", 0 },
    { PLATFORM("\"uuid\": \"" PUUID "\", \"system_uuid\": \"" PUUID "\""),
      "platform: uuid is CH's older name of system_uuid", 0 },
    { PLATFORM("\"serial_number\": \"a\", \"system_serial_number\": \"b\""),
      "platform: serial_number is CH's older name", 0 },
    { PLATFORM("\"system_version\": \"\""),
      "platform: system_version must not be empty", 0 },
    { PLATFORM("\"oem_strings\": [\"a\", \"\"]"),
      "platform: oem_strings[1] must not be empty", 0 },
    { "{\"payload\": {}}", "payload: one of kernel or firmware is required", 0 },
    { "{\"payload\": {\"kernel\": \"@T@/vmlinux\", \"firmware\": \"@T@/fw\"}}",
      "payload: kernel and firmware cannot be used together", 0 },
    { "{\"payload\": {\"firmware\": \"@T@/fw\", \"initramfs\": \"@T@/initrd\"}}",
      "payload.initramfs: an initramfs needs a kernel", 0 },
    { "{\"payload\": {\"kernel\": \"@T@/nope\"}}",
      "payload.kernel: @T@/nope: No such file or directory", HOST },
    { "{\"payload\": {\"kernel\": \"@T@/dir\"}}",
      "payload.kernel: @T@/dir: Is a directory", HOST },
    { "{\"payload\": {\"kernel\": \"@T@/fifo\"}}",
      "payload.kernel: @T@/fifo: not a regular file", HOST },
    { "{\"payload\": {\"kernel\": \"\"}}", "payload.kernel: the path is empty", 0 },
    { "{\"payload\": {\"kernel\": \"@T@/vmlinux\", \"initramfs\": \"@T@/no-initrd\"}}",
      "payload.initramfs: @T@/no-initrd: No such file or directory", HOST },
    { "{\"payload\": {\"firmware\": \"@T@/no-fw\"}}",
      "payload.firmware: @T@/no-fw: No such file or directory", HOST },
    { "{\"cpus\": {\"boot_vcpus\": 4, \"max_vcpus\": 2}, " KERNEL "}",
      "cpus: boot_vcpus=4 is greater than max_vcpus=2", 0 },
    { "{\"cpus\": {\"boot_vcpus\": 2, \"max_vcpus\": 2, \"topology\": "
      "{\"threads_per_core\": 1, \"cores_per_die\": 2, \"dies_per_package\": 1,"
      " \"packages\": 2}}, " KERNEL "}",
      "cpus: topology=1:2:1:2 makes 4 vCPUs, not max_vcpus=2", 0 },
    { "{\"cpus\": {\"boot_vcpus\": 2, \"max_vcpus\": 2, \"affinity\": "
      "[{\"vcpu\": 5, \"host_cpus\": [0]}]}, " KERNEL "}",
      "cpus: affinity: vCPU 5 does not exist (max_vcpus=2)", 0 },
    { "{\"cpus\": {\"boot_vcpus\": 2, \"max_vcpus\": 2, \"affinity\": "
      "[{\"vcpu\": 1, \"host_cpus\": [0]}, {\"vcpu\": 1, \"host_cpus\": [1]}]}, "
      KERNEL "}", "cpus: affinity: vCPU 1 is listed twice", 0 },
    { "{\"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 1, \"affinity\": "
      "[{\"vcpu\": 0, \"host_cpus\": []}]}, " KERNEL "}",
      "cpus: affinity: vCPU 0 has no host CPU", 0 },
    { "{\"memory\": {\"size\": 4096}, " KERNEL "}",
      "memory: size=4096 is below the 1 MiB minimum", 0 },
    { "{\"memory\": {\"size\": 1048577}, " KERNEL "}",
      "memory: size=1048577 is not a multiple of the 4 KiB page size", 0 },
    { "{\"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 1, \"max_phys_bits\": 32},"
      " \"memory\": {\"size\": 8589934592}, " KERNEL "}",
      "memory: size=8589934592 does not fit in the guest's 32-bit physical", 0 },
    { "{\"memory\": {\"size\": 1073741824, \"hugepage_size\": 2097152}, " KERNEL "}",
      "memory: hugepage_size=2097152 needs hugepages=true", 0 },
    { "{\"memory\": {\"size\": 1073741824, \"hugepages\": true, "
      "\"hugepage_size\": 3000000}, " KERNEL "}",
      "memory: hugepage_size=3000000 is not a power of two", 0 },
    { "{\"memory\": {\"size\": 1077936128, \"hugepages\": true, "
      "\"hugepage_size\": 1073741824}, " KERNEL "}",
      "memory: size=1077936128 is not a multiple of hugepage_size=1073741824", 0 },
    { "{" KERNEL ", \"disks\": [{\"readonly\": true}]}",
      "disks[0]: a path is required", 0 },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/nodisk\"}]}",
      "disks[0].path: @T@/nodisk: No such file or directory", HOST },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/dir\"}]}",
      "disks[0].path: @T@/dir: Is a directory", HOST },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/fifo\"}]}",
      "not a regular file or block device", HOST },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/disk0.img\"}, "
      "{\"path\": \"@T@/disk0.link\"}]}",
      "disks[1].path: @T@/disk0.link is already used by disks[0]",
      G_IO_ERROR_EXISTS, true },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/disk0.img\", \"num_queues\": 2}]}",
      "disks[0]: num_queues=2 is more than the 1 boot vCPUs", 0 },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/disk0.img\", \"queue_size\": 100}]}",
      "disks[0]: queue_size=100: expected a power of two between 4 and 32768", 0 },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/disk0.img\", \"queue_size\": 1}]}",
      "disks[0]: queue_size=1: expected a power of two", 0 },
    /* virtio-blk needs 4 (header, data, status); it used to say so only at
     * vm.boot. */
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/disk0.img\", \"queue_size\": 2}]}",
      "disks[0]: queue_size=2: expected a power of two between 4 and 32768", 0 },
    /* A vhost-user back end reads guest memory itself: no translation. */
    { "{" KERNEL ", \"memory\": {\"size\": 536870912, \"shared\": true}, "
      "\"disks\": [{\"vhost_user\": true, \"vhost_socket\": \"/s\", "
      "\"iommu\": true}]}",
      "disks[0]: iommu=true is refused with vhost_user: the vhost-user back "
      "end reads guest memory itself", 0 },
    { "{" KERNEL ", \"disks\": [{\"path\": \"\"}]}",
      "disks[0].path: the path is empty", 0 },
    { "{" KERNEL ", \"memory\": {\"size\": 536870912, \"shared\": true}, "
      "\"net\": [{\"vhost_user\": true, \"vhost_socket\": \"/s\", "
      "\"iommu\": true}]}",
      "net[0]: iommu=true is refused with vhost_user", 0 },
    { "{" KERNEL ", \"net\": [{\"ip\": \"fd00::1\"}]}",
      "net[0]: ip=fd00::1: IPv6 host addresses are not supported yet", 0 },
    /* PCI slots as the devices take them at boot (the console first). */
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/disk0.img\", \"pci_device_id\": 5}, "
      "{\"path\": \"@T@/disk1.img\", \"pci_device_id\": 5}]}",
      "disks[1]: pci_device_id=5 is already used by disks[0]", 0 },
    { "{" KERNEL ", \"console\": {\"mode\": \"Pty\"}, "
      "\"disks\": [{\"path\": \"@T@/disk0.img\", \"pci_device_id\": 1}]}",
      "disks[0]: pci_device_id=1 is already used by console", 0 },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/disk0.img\", \"pci_segment\": 1}]}",
      "disks[0]: pci_segment=1 is out of range: only PCI segment 0", 0 },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/disk0.img\", \"pci_device_id\": 0}]}",
      "disks[0]: pci_device_id=0 is out of range: expected 1 to 31", 0 },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/disk0.img\", \"pci_device_id\": 32}]}",
      "pci_device_id=32 is out of range", 0 },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/disk0.img\", "
      "\"serial\": \"123456789012345678901\"}]}",
      "disks[0]: serial=123456789012345678901 is longer than the 20 bytes", 0 },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/disk0.img\", \"id\": \"a\"}, "
      "{\"path\": \"@T@/disk1.img\", \"id\": \"a\"}]}",
      "disks[1]: id 'a' is already used by disks[0]", G_IO_ERROR_EXISTS },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/disk0.img\", \"id\": \"x\"}], "
      "\"net\": [{\"id\": \"x\"}]}",
      "net[0]: id 'x' is already used by disks[0]", G_IO_ERROR_EXISTS },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/disk0.img\", \"id\": \"__rng\"}]}",
      "disks[0]: id '__rng' is reserved", 0 },
    { "{" KERNEL ", \"disks\": [{\"path\": \"@T@/disk0.img\", \"id\": \"\"}]}",
      "disks[0]: id is empty", 0 },
    { "{" KERNEL ", \"rng\": {\"src\": \"/dev/urandom\", \"id\": \"__x\"}}",
      "rng: id '__x' is reserved", 0 },
    { "{" KERNEL ", \"console\": {\"mode\": \"Pty\", \"id\": \"c\"}, "
      "\"disks\": [{\"path\": \"@T@/disk0.img\", \"id\": \"c\"}]}",
      "disks[0]: id 'c' is already used by console", G_IO_ERROR_EXISTS },
    { "{" KERNEL ", \"net\": [{\"num_queues\": 3}]}",
      "net[0]: num_queues=3: expected an even number between 2 and 1022", 0 },
    { "{" KERNEL ", \"net\": [{\"num_queues\": 4}]}",
      "net[0]: num_queues=4 makes 2 queue pairs, more than the 1 boot vCPUs", 0 },
    { "{" KERNEL ", \"net\": [{\"queue_size\": 255}]}",
      "net[0]: queue_size=255: expected a power of two", 0 },
    { "{" KERNEL ", \"net\": [{\"mac\": \"12:34:56:78:9a\"}]}",
      "net[0]: mac=12:34:56:78:9a: expected six hex bytes", 0 },
    { "{" KERNEL ", \"net\": [{\"mac\": \"12-34-56-78-9a-bc\"}]}",
      "mac=12-34-56-78-9a-bc: expected six hex bytes", 0 },
    { "{" KERNEL ", \"net\": [{\"mac\": \"13:34:56:78:9a:bc\"}]}",
      "net[0]: mac=13:34:56:78:9a:bc is a multicast address", 0 },
    { "{" KERNEL ", \"net\": [{\"host_mac\": \"zz:34:56:78:9a:bc\"}]}",
      "net[0]: host_mac=zz:34:56:78:9a:bc: expected six hex bytes", 0 },
    { "{" KERNEL ", \"net\": [{\"ip\": \"192.168.1.300\"}]}",
      "net[0]: ip=192.168.1.300 is not an IPv4 or IPv6 address", 0 },
    { "{" KERNEL ", \"net\": [{\"mask\": \"255.255.255.0\"}]}",
      "net[0]: mask=255.255.255.0 needs ip=", 0 },
    { "{" KERNEL ", \"net\": [{\"ip\": \"10.0.0.1\", \"mask\": \"ffff::\"}]}",
      "net[0]: mask=ffff:: and ip=10.0.0.1 are not of the same family", 0 },
    { "{" KERNEL ", \"net\": [{\"ip\": \"10.0.0.1\", \"mask\": \"255.0.255.0\"}]}",
      "net[0]: mask=255.0.255.0 is not a netmask", 0 },
    { "{" KERNEL ", \"net\": [{\"fds\": [-1]}]}",
      "net[0]: fds: no fd was received for placeholder 0 (send the tap fds", 0 },
    { "{\"cpus\": {\"boot_vcpus\": 2, \"max_vcpus\": 2}, " KERNEL ", "
      "\"net\": [{\"fds\": [-1], \"num_queues\": 4}]}",
      "net[0]: 1 tap fds need num_queues=2 (one fd per RX/TX queue pair), not 4", 0 },
    { "{" KERNEL ", \"net\": [{\"tap\": \"a/b\"}]}",
      "net[0]: tap=a/b is not a valid interface name", 0 },
    { "{" KERNEL ", \"net\": [{\"tap\": \"sixteen-chars-xx\"}]}",
      "tap=sixteen-chars-xx is not a valid interface name (at most 15", 0 },
    { "{" KERNEL ", \"rng\": {\"src\": \"@T@/norng\"}}",
      "rng.src: @T@/norng: No such file or directory", HOST },
    { "{" KERNEL ", \"rng\": {\"src\": \"@T@/dir\"}}",
      "rng.src: @T@/dir: Is a directory", HOST },
    { "{" KERNEL ", \"serial\": {\"mode\": \"File\"}}",
      "serial: mode File needs a file path", 0 },
    { "{" KERNEL ", \"console\": {\"mode\": \"Socket\"}}",
      "console: mode Socket needs a socket path", 0 },
    { "{" KERNEL ", \"debug_console\": {\"mode\": \"Socket\"}}",
      "debug_console: mode Socket is not supported for the debug console", 0 },
    { "{" KERNEL ", \"debug_console\": {\"mode\": \"Null\"}}",
      "debug_console: mode Null is not supported", 0 },
    { "{" KERNEL ", \"serial\": {\"mode\": \"Tty\"}}",
      "serial.mode and console.mode cannot both be Tty", 0 },
    { "{" KERNEL ", \"serial\": {\"mode\": \"Socket\", \"socket\": \"/"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}",
      "is longer than the 107 bytes a UNIX socket path may have", 0 },
    { "{" KERNEL ", \"landlock_rules\": [{\"path\": \"/\", \"access\": \"r\"}]}",
      "landlock_rules: rules are given but Landlock is not enabled "
      "(landlock_enable)", 0 },
    { "{" KERNEL ", \"landlock_enable\": true, \"landlock_rules\": "
      "[{\"path\": \"/\", \"access\": \"x\"}]}",
      "landlock_rules: access 'x' of '/' is not r, w or rw", 0 },
    { "{" KERNEL ", \"landlock_enable\": true, \"landlock_rules\": "
      "[{\"path\": \"/\"}]}",
      "landlock_rules: rule 0: access is required", 0 },
};

static void
test_validate_bad(void)
{
    guint i;

    for (i = 0; i < G_N_ELEMENTS(validate_bad); i++) {
        g_autoptr(VmConfig) c = config_from(validate_bad[i].json);
        g_autofree char *before = vm_config_to_json(c, false);
        g_autofree char *after = NULL;
        g_autofree char *want = expand(validate_bad[i].error);
        g_autoptr(GError) error = NULL;

        g_test_message("case %u: %s", i, validate_bad[i].json);
        if (validate_bad[i].host) {
            g_autoptr(VmConfig) copy = vm_config_copy(c);

            /* The rules need no host, so nimbusd's define accepts it; the
             * check at vm.create refuses it. */
            g_assert_true(vm_config_validate(copy, &error));
            g_assert_no_error(error);
            g_assert_false(vm_config_check_host(c, VM_CONFIG_NAMES_JSON,
                                                &error));
        } else {
            g_assert_false(vm_config_validate(c, &error));
        }
        g_assert_nonnull(error);
        g_test_message("-> %s", error->message);
        g_assert_true(error->domain == G_IO_ERROR);
        g_assert_cmpint(error->code, ==, validate_bad[i].code ?
                        validate_bad[i].code : G_IO_ERROR_INVALID_ARGUMENT);
        if (!strstr(error->message, want)) {
            g_test_message("MISMATCH: expected '%s'", want);
            g_test_fail();
        }
        g_assert_null(strchr(error->message, '\n'));
        /* Nothing half-written: no id, MAC or mask was filled in. */
        after = vm_config_to_json(c, false);
        g_assert_cmpstr(after, ==, before);
    }
}

static void
test_validate_cmdline(void)
{
    g_autoptr(VmConfig) c = config_from("{" KERNEL "}");
    g_autoptr(GError) error = NULL;

    c->payload.cmdline = g_malloc(VM_CONFIG_CMDLINE_MAX + 1);
    memset(c->payload.cmdline, 'a', VM_CONFIG_CMDLINE_MAX);
    c->payload.cmdline[VM_CONFIG_CMDLINE_MAX] = '\0';
    g_assert_false(vm_config_validate(c, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "payload.cmdline: the command line "
                            "is 65536 bytes long; the maximum is 65535"));
    g_clear_error(&error);
    c->payload.cmdline[VM_CONFIG_CMDLINE_MAX - 1] = '\0';
    g_assert_true(vm_config_validate(c, &error));
    g_assert_no_error(error);
}

/* 30 disks and the rng fill the 31 slots; a 31st disk leaves none for
 * the rng (the rules open nothing: the images need not exist). */
static void
test_validate_slots(void)
{
    g_autoptr(VmConfig) c = config_from("{" KERNEL "}");
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) full = NULL;
    guint i;

    c->console.mode = CONSOLE_MODE_OFF;
    for (i = 0; i < 30; i++) {
        DiskConfig *d = disk_config_new();

        d->path = g_strdup_printf("/nonexistent/d%u.img", i);
        g_ptr_array_add(c->disks, d);
    }
    full = vm_config_copy(c);
    g_assert_true(vm_config_validate(full, &error));
    g_assert_no_error(error);
    g_ptr_array_add(c->disks, disk_config_new());
    ((DiskConfig *)g_ptr_array_index(c->disks, 30))->path = g_strdup("/d");
    g_assert_false(vm_config_validate(c, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "rng: no free PCI slot is left "
                            "on segment 0"));
    g_clear_error(&error);
    /* The virtio-mem function the device manager adds last needs a slot
     * too: refused at vm.create, not at boot. */
    full->memory.hotplug_size = 128ULL << 20;
    full->memory.hotplug_method = MEMORY_HOTPLUG_VIRTIO_MEM;
    g_assert_false(vm_config_validate(full, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "memory: no free PCI slot is "
                            "left on segment 0"));
}

static void
test_validate_good(void)
{
    g_autoptr(VmConfig) c = config_from(
        "{\"cpus\": {\"boot_vcpus\": 4, \"max_vcpus\": 8, \"topology\": "
        " {\"threads_per_core\": 2, \"cores_per_die\": 2, \"dies_per_package\": 1,"
        "  \"packages\": 2}, \"affinity\": [{\"vcpu\": 7, \"host_cpus\": [0, 1023]}]},"
        " \"memory\": {\"size\": 1073741824, \"hugepages\": true, "
        "  \"hugepage_size\": 2097152},"
        " \"payload\": {\"kernel\": \"@T@/vmlinux\", \"initramfs\": \"@T@/initrd\","
        "  \"cmdline\": \"console=ttyS0\"},"
        " \"disks\": [{\"path\": \"@T@/disk0.img\"}, "
        "  {\"path\": \"@T@/disk1.img\", \"id\": \"_disk0\", \"num_queues\": 4,"
        "   \"queue_size\": 32768, \"pci_device_id\": 31, \"serial\": \"12345678901234567890\"},"
        "  {\"path\": \"@T@/ro.img\", \"readonly\": true}],"
        " \"net\": [{\"ip\": \"192.168.1.1\"}, {\"ip\": \"10.1.0.1\", \"num_queues\": 8},"
        "  {\"mac\": \"02:AB:cd:00:00:01\", \"ip\": \"10.0.0.1\", \"mask\": \"255.255.0.0\","
        "   \"mtu\": 68, \"tap\": \"vmtap123456789a\"}],"
        " \"serial\": {\"mode\": \"Tty\"}, \"console\": {\"mode\": \"Off\"},"
        " \"debug_console\": {\"mode\": \"File\", \"file\": \"/tmp/x\", \"iobase\": 65535}}");
    g_autoptr(GError) error = NULL;
    g_autofree char *once = NULL;
    g_autofree char *twice = NULL;
    const DiskConfig *d;
    const NetConfig *n;

    g_assert_true(vm_config_validate(c, &error));
    g_assert_no_error(error);
    g_assert_true(vm_config_check_host(c, VM_CONFIG_NAMES_JSON, &error));
    g_assert_no_error(error);
    /* Default ids: the first free "_diskN" ("_disk0" is taken). */
    d = g_ptr_array_index(c->disks, 0);
    g_assert_cmpstr(d->id, ==, "_disk1");
    d = g_ptr_array_index(c->disks, 1);
    g_assert_cmpstr(d->id, ==, "_disk0");
    d = g_ptr_array_index(c->disks, 2);
    g_assert_cmpstr(d->id, ==, "_disk2");
    g_assert_cmpstr(c->rng.id, ==, "__rng");
    g_assert_null(c->console.id);     /* console off: no device */
    n = g_ptr_array_index(c->net, 0);
    g_assert_cmpstr(n->id, ==, "_net0");
    g_assert_cmpstr(n->mask, ==, "255.255.255.0");
    /* No MAC is made up: the net device generates one at creation and
     * reports it as a runtime fact, the config stays as given. */
    g_assert_null(n->mac);
    n = g_ptr_array_index(c->net, 1);
    g_assert_cmpstr(n->id, ==, "_net1");
    g_assert_cmpstr(n->mask, ==, "255.255.255.0");
    n = g_ptr_array_index(c->net, 2);
    g_assert_cmpstr(n->mac, ==, "02:AB:cd:00:00:01");
    g_assert_cmpstr(n->mask, ==, "255.255.0.0");

    /* Idempotent: a validated config validates again, unchanged. */
    once = vm_config_to_json(c, false);
    g_assert_true(vm_config_validate(c, &error));
    twice = vm_config_to_json(c, false);
    g_assert_cmpstr(once, ==, twice);
}

/* iommu=on on the devices the IOMMU can translate (virtio-blk, -net,
 * -rng, -console) turns the top-level iommu on, as in CH; the IOMMU's
 * function takes a PCI slot after every other device. */
static void
test_validate_iommu(void)
{
    static const char *const good[] = {
        "{" KERNEL ", \"disks\": [{\"path\": \"/d\", \"iommu\": true}]}",
        "{" KERNEL ", \"net\": [{\"iommu\": true}]}",
        "{" KERNEL ", \"rng\": {\"src\": \"/dev/urandom\", \"iommu\": true}}",
        "{" KERNEL ", \"console\": {\"mode\": \"Pty\", \"iommu\": true}}",
        /* CH's top-level switch alone: an IOMMU translating nothing. */
        "{" KERNEL ", \"iommu\": true}",
    };
    g_autoptr(VmConfig) off = config_from(
        "{" KERNEL ", \"console\": {\"mode\": \"Off\", \"iommu\": true}}");
    g_autoptr(VmConfig) plain = config_from("{" KERNEL "}");
    g_autoptr(VmConfig) c = config_from("{" KERNEL "}");
    g_autoptr(GError) error = NULL;
    guint i;

    for (i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(VmConfig) g = config_from(good[i]);

        g_test_message("case %u: %s", i, good[i]);
        g_assert_true(vm_config_validate(g, &error));
        g_assert_no_error(error);
        g_assert_true(g->iommu);
        g_assert_true(vm_config_wants_iommu(g));
    }
    /* A console that is off has no device to put behind anything. */
    g_assert_true(vm_config_validate(off, &error));
    g_assert_false(off->iommu);
    g_assert_true(vm_config_validate(plain, &error));
    g_assert_false(plain->iommu);

    /* 29 disks, the console and the rng fill the 31 slots: with iommu=on
     * the IOMMU finds none left. */
    for (i = 0; i < 29; i++) {
        DiskConfig *d = disk_config_new();

        d->path = g_strdup_printf("/nonexistent/d%u.img", i);
        g_ptr_array_add(c->disks, d);
    }
    ((DiskConfig *)g_ptr_array_index(c->disks, 0))->iommu = true;
    g_assert_false(vm_config_validate(c, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "the virtio-iommu: no free PCI "
                            "slot is left on segment 0"));
    g_clear_error(&error);
    ((DiskConfig *)g_ptr_array_index(c->disks, 0))->iommu = false;
    g_assert_true(vm_config_validate(c, &error));
    g_assert_no_error(error);
}

static void
test_validate_readonly(void)
{
    /* A file this process cannot open for writing: a 0444 file, or for root
     * (whom file modes do not stop) a read-only sysfs attribute, which
     * kernfs refuses to open for writing to everybody. */
    const char *sysfs_ro = "/sys/devices/system/cpu/online";
    g_autofree char *path = NULL;
    g_autofree char *json = NULL;
    g_autofree char *json_ro = NULL;
    g_autoptr(VmConfig) c = NULL;
    g_autoptr(VmConfig) ro = NULL;
    g_autoptr(GError) error = NULL;

    if (geteuid() != 0)
        path = g_build_filename(test_tmpdir(), "ro.img", NULL);
    else if (access(sysfs_ro, R_OK) == 0)
        path = g_strdup(sysfs_ro);
    if (!path) {
        g_test_skip("root without sysfs: no file root cannot write");
        return;
    }
    json = g_strdup_printf("{" KERNEL ", \"disks\": [{\"path\": \"%s\"}]}",
                           path);
    c = config_from(json);
    g_assert_true(vm_config_validate(c, &error));
    g_assert_false(vm_config_check_host(c, VM_CONFIG_NAMES_JSON, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_test_message("-> %s", error->message);
    g_assert_nonnull(strstr(error->message, "(a read-only image needs "
                            "readonly=on)"));
    g_clear_error(&error);
    json_ro = g_strdup_printf("{" KERNEL ", \"disks\": [{\"path\": \"%s\", "
                              "\"readonly\": true}]}", path);
    ro = config_from(json_ro);
    g_assert_true(vm_config_validate(ro, &error));
    g_assert_true(vm_config_check_host(ro, VM_CONFIG_NAMES_JSON, &error));
    g_assert_no_error(error);
}

static void
test_fds(void)
{
    g_autoptr(VmConfig) c = config_from(
        "{\"cpus\": {\"boot_vcpus\": 2, \"max_vcpus\": 2}, " KERNEL ", "
        "\"net\": [{\"fds\": [7, 8]}, {\"tap\": \"t0\"}, {\"fds\": [0]}]}");
    g_autoptr(GError) error = NULL;
    g_autofree char *before = vm_config_to_json(c, false);
    g_autofree char *after = NULL;
    g_autofree char *json = NULL;
    int p1[2], p2[2];
    int fds[3];
    const NetConfig *n;

    /* The JSON numbers are placeholders, whatever they say. */
    n = g_ptr_array_index(c->net, 0);
    g_assert_cmpuint(n->fds->len, ==, 2);
    g_assert_cmpint(g_array_index(n->fds, int, 0), ==, -1);
    g_assert_cmpuint(n->num_queues, ==, 4);

    g_assert_cmpint(pipe(p1), ==, 0);
    g_assert_cmpint(pipe(p2), ==, 0);
    fds[0] = p1[0];
    fds[1] = p1[1];
    fds[2] = p2[0];
    g_assert_false(vm_config_attach_net_fds(c, fds, 2, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "the config names 3 fd(s) but 2 "
                            "were received"));
    g_clear_error(&error);
    after = vm_config_to_json(c, false);
    g_assert_cmpstr(after, ==, before);
    g_assert_true(vm_config_attach_net_fds(c, fds, 3, &error));
    g_assert_no_error(error);
    n = g_ptr_array_index(c->net, 0);
    g_assert_cmpint(g_array_index(n->fds, int, 1), ==, p1[1]);
    n = g_ptr_array_index(c->net, 2);
    g_assert_cmpint(g_array_index(n->fds, int, 0), ==, p2[0]);
    g_assert_true(vm_config_validate(c, &error));
    g_assert_no_error(error);
    /* Serialised as placeholders again. */
    json = vm_config_to_json(c, false);
    g_assert_nonnull(strstr(json, "\"fds\":[-1,-1]"));

    /* A closed fd (the host's business), and a reserved one (a rule). */
    close(p2[0]);
    g_assert_true(vm_config_validate(c, &error));
    g_assert_false(vm_config_check_host(c, VM_CONFIG_NAMES_JSON, &error));
    g_assert_nonnull(strstr(error->message, "net[2]: fds: "));
    g_assert_nonnull(strstr(error->message, "is not an open file descriptor"));
    g_clear_error(&error);
    n = g_ptr_array_index(c->net, 2);
    g_array_index(n->fds, int, 0) = 2;
    g_assert_false(vm_config_validate(c, &error));
    g_assert_nonnull(strstr(error->message, "fds: fd 2 is reserved"));
    g_clear_error(&error);

    /* tap and fds together. */
    n = g_ptr_array_index(c->net, 2);
    g_array_index(n->fds, int, 0) = p2[1];
    ((NetConfig *)n)->tap = g_strdup("t9");
    g_assert_false(vm_config_validate(c, &error));
    g_assert_nonnull(strstr(error->message, "net[2]: tap=t9 and fds cannot be "
                            "used together"));
    g_clear_error(&error);

    /* One net alone (vm.add-net). */
    {
        g_autoptr(NetConfig) one = net_config_new();
        int fd = 5;

        g_assert_false(net_config_attach_fds(one, &fd, 1, &error));
        g_assert_nonnull(strstr(error->message, "names 0 fd(s) but 1"));
        g_clear_error(&error);
        g_assert_true(net_config_attach_fds(one, NULL, 0, &error));
    }
    close(p1[0]);
    close(p1[1]);
    close(p2[1]);
}

static void
test_next_id(void)
{
    g_autoptr(VmConfig) c = vm_config_new();
    g_autoptr(DiskConfig) d = disk_config_new();
    g_autofree char *id0 = NULL;
    g_autofree char *id1 = NULL;

    id0 = vm_config_next_device_id(c, "_disk");
    g_assert_cmpstr(id0, ==, "_disk0");
    d->id = g_strdup("_disk0");
    g_ptr_array_add(c->disks, g_steal_pointer(&d));
    id1 = vm_config_next_device_id(c, "_disk");
    g_assert_cmpstr(id1, ==, "_disk1");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    make_files();
    g_test_add_func("/vm-config/defaults", test_defaults);
    g_test_add_func("/vm-config/enums", test_enums);
    g_test_add_func("/vm-config/copy", test_copy);
    g_test_add_func("/vm-config/validate/bad", test_validate_bad);
    g_test_add_func("/vm-config/validate/cmdline", test_validate_cmdline);
    g_test_add_func("/vm-config/validate/good", test_validate_good);
    g_test_add_func("/vm-config/validate/iommu", test_validate_iommu);
    g_test_add_func("/vm-config/validate/pci-slots", test_validate_slots);
    g_test_add_func("/vm-config/validate/readonly", test_validate_readonly);
    g_test_add_func("/vm-config/fds", test_fds);
    g_test_add_func("/vm-config/next-id", test_next_id);
    return g_test_run();
}

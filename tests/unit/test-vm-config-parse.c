/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the CH option-value parsers (--cpus, --memory, --disk...). */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "config/vm-config.h"

/* Prints the message (the test log shows every error text) and checks it. */
static void
assert_message(const GError *error, const char *expected)
{
    g_test_message("-> %s", error->message);
    if (!strstr(error->message, expected)) {
        g_test_message("MISMATCH: expected '%s'", expected);
        g_test_fail();
    }
}

/* ---- sizes ---------------------------------------------------------------- */

static void
test_size(void)
{
    static const struct {
        const char *in;
        uint64_t out;
    } good[] = {
        { "0", 0 }, { "4096", 4096 }, { "1K", 1024 }, { "512M", 512ULL << 20 },
        { "1G", 1ULL << 30 }, { "2g", 2ULL << 30 }, { "1T", 1ULL << 40 },
        { "0x1000", 4096 }, { "9223372036854775807", G_MAXINT64 },
        { "8388607T", 8388607ULL << 40 },
    };
    static const char *const bad[] = {
        "", "M", "-1", " 1", "1 ", "1.5G", "12Q", "1KB", "0x", "1e3",
        "9223372036854775808", "8388608T", "18446744073709551616", "+5",
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(GError) error = NULL;
        uint64_t v = 1;

        g_assert_true(vm_config_parse_size(good[i].in, &v, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(v, ==, good[i].out);
    }
    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        uint64_t v = 7;

        g_test_message("bad size '%s'", bad[i]);
        g_assert_false(vm_config_parse_size(bad[i], &v, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        g_assert_nonnull(strstr(error->message, "invalid size"));
        g_assert_cmpuint(v, ==, 7);
    }
}

/* ---- --cpus ---------------------------------------------------------------- */

static void
test_cpus_good(void)
{
    g_autoptr(VmConfig) c = vm_config_new();
    g_autoptr(GError) error = NULL;
    const CpuAffinity *a;

    g_assert_true(vm_config_parse_cpus(&c->cpus, "boot=2", &error));
    g_assert_no_error(error);
    g_assert_cmpuint(c->cpus.boot_vcpus, ==, 2);
    g_assert_cmpuint(c->cpus.max_vcpus, ==, 2);   /* max defaults to boot */
    g_assert_null(c->cpus.topology);
    g_assert_cmpuint(c->cpus.max_phys_bits, ==, 46);
    g_assert_true(c->cpus.nested);

    g_assert_true(vm_config_parse_cpus(&c->cpus,
        "boot=2,max=4,topology=1:2:1:2,kvm_hyperv=off,max_phys_bits=40,"
        "affinity=[0@[1,3-4],3@[0]],nested=off,features=[],"
        "core_scheduling=vm", &error));
    g_assert_no_error(error);
    g_assert_cmpuint(c->cpus.boot_vcpus, ==, 2);
    g_assert_cmpuint(c->cpus.max_vcpus, ==, 4);
    g_assert_nonnull(c->cpus.topology);
    g_assert_cmpuint(c->cpus.topology->threads_per_core, ==, 1);
    g_assert_cmpuint(c->cpus.topology->cores_per_die, ==, 2);
    g_assert_cmpuint(c->cpus.topology->dies_per_package, ==, 1);
    g_assert_cmpuint(c->cpus.topology->packages, ==, 2);
    g_assert_cmpuint(c->cpus.max_phys_bits, ==, 40);
    g_assert_false(c->cpus.nested);
    g_assert_cmpuint(c->cpus.affinity->len, ==, 2);
    a = g_ptr_array_index(c->cpus.affinity, 0);
    g_assert_cmpuint(a->vcpu, ==, 0);
    g_assert_cmpuint(a->host_cpus->len, ==, 3);
    g_assert_cmpuint(g_array_index(a->host_cpus, uint32_t, 0), ==, 1);
    g_assert_cmpuint(g_array_index(a->host_cpus, uint32_t, 1), ==, 3);
    g_assert_cmpuint(g_array_index(a->host_cpus, uint32_t, 2), ==, 4);
    a = g_ptr_array_index(c->cpus.affinity, 1);
    g_assert_cmpuint(a->vcpu, ==, 3);

    /* A later --cpus replaces everything (CH: one value per option). */
    g_assert_true(vm_config_parse_cpus(&c->cpus, "max=3", &error));
    g_assert_cmpuint(c->cpus.boot_vcpus, ==, 1);
    g_assert_cmpuint(c->cpus.max_vcpus, ==, 3);
    g_assert_null(c->cpus.topology);
    g_assert_null(c->cpus.affinity);
}

typedef struct {
    const char *arg;
    const char *error;    /* substring of the message */
} BadCase;

static const BadCase cpus_bad[] = {
    { "boot=x", "--cpus: invalid value 'boot=x': expected an integer" },
    { "boot=0", "--cpus: invalid value 'boot=0': expected an integer between 1 and 8192" },
    { "boot=8193", "between 1 and 8192" },
    { "boot=-1", "invalid value 'boot=-1'" },
    { "boot", "--cpus: 'boot' needs a value (boot=...)" },
    { "boot=", "invalid value 'boot='" },
    { "bot=2", "--cpus: unknown key 'bot'" },
    { "boot=1,boot=2", "--cpus: 'boot' is given twice" },
    { "boot=1,,max=2", "--cpus: empty parameter" },
    { "boot=1,", "--cpus: empty parameter" },
    { "", "--cpus: empty value" },
    { "=1", "missing key before '='" },
    { "max=99999999999999999999", "invalid value 'max=99999999999999999999'" },
    { "topology=1:2:1", "invalid value 'topology=1:2:1'" },
    { "topology=1:2:1:2:1", "invalid value 'topology=1:2:1:2:1'" },
    { "topology=0:1:1:1", "each between 1 and 8192" },
    { "topology=a:b:c:d", "threads_per_core:cores_per_die" },
    { "kvm_hyperv=on", "--cpus: kvm_hyperv=on is not supported yet" },
    { "kvm_hyperv=maybe", "--cpus: invalid value 'kvm_hyperv=maybe': expected on, off" },
    { "max_phys_bits=65", "invalid value 'max_phys_bits=65'" },
    { "max_phys_bits=0", "between 1 and 64" },
    { "nested=yes", "invalid value 'nested=yes': expected on, off, true or false" },
    { "affinity=0@[1]", "invalid value 'affinity=0@[1]'" },
    { "affinity=[0@1]", "expected a list like" },
    { "affinity=[0@[1],", "unbalanced '['" },
    { "affinity=[0@[1]]]", "unbalanced ']'" },
    { "affinity=[8192@[1]]", "expected a list like" },
    { "affinity=[0@[1024]]", "values up to 1023" },
    { "affinity=[0@[3-1]]", "expected a list like" },
    { "affinity=[0@[0-4294967295]]", "expected a list like" },
    { "features=[amx]", "--cpus: features=[amx] is not supported yet" },
    { "core_scheduling=vcpu", "core_scheduling=vcpu is not supported yet" },
    { "profile=host", "profile=host is not supported yet" },
    { "boot=\"2", "unbalanced '\"'" },
    { "boot=\xff", "--cpus: 'boot=\xef\xbf\xbd' is not valid UTF-8" },
};

static void
test_cpus_bad(void)
{
    guint i;

    for (i = 0; i < G_N_ELEMENTS(cpus_bad); i++) {
        g_autoptr(VmConfig) c = vm_config_new();
        g_autoptr(GError) error = NULL;

        g_test_message("--cpus %s", cpus_bad[i].arg);
        g_assert_false(vm_config_parse_cpus(&c->cpus, cpus_bad[i].arg, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        assert_message(error, cpus_bad[i].error);
        /* Nothing half-written. */
        g_assert_cmpuint(c->cpus.boot_vcpus, ==, 1);
        g_assert_cmpuint(c->cpus.max_vcpus, ==, 1);
        g_assert_null(c->cpus.topology);
        g_assert_null(c->cpus.affinity);
    }
}

/* ---- --memory -------------------------------------------------------------- */

static void
test_memory(void)
{
    static const BadCase bad[] = {
        { "sise=1G", "--memory: unknown key 'sise'" },
        { "size=1Q", "--memory: invalid value 'size=1Q': expected a size" },
        { "size=99999999999G", "invalid value 'size=99999999999G'" },
        { "shared=2", "invalid value 'shared=2'" },
        { "hotplug_size=1Q", "invalid value 'hotplug_size=1Q'" },
        { "hotplug_method=dimm", "hotplug_method=dimm: expected acpi or virtio-mem" },
        { "size", "'size' needs a value" },
    };
    g_autoptr(VmConfig) c = vm_config_new();
    g_autoptr(GError) error = NULL;
    guint i;

    g_assert_cmpuint(c->memory.size, ==, 512ULL << 20);
    g_assert_true(c->memory.thp);
    g_assert_true(vm_config_parse_memory(&c->memory,
        "size=1G,mergeable=on,shared=true,hugepages=on,hugepage_size=2M,"
        "prefault=on,reserve=on,thp=off,hotplug_method=acpi,file=/ignored",
        &error));
    g_assert_no_error(error);
    g_assert_cmpuint(c->memory.size, ==, 1ULL << 30);
    g_assert_true(c->memory.mergeable);
    g_assert_true(c->memory.shared);
    g_assert_true(c->memory.hugepages);
    g_assert_cmpuint(c->memory.hugepage_size, ==, 2ULL << 20);
    g_assert_true(c->memory.prefault);
    g_assert_true(c->memory.reserve);
    g_assert_false(c->memory.thp);

    /* A new --memory starts again from the defaults. */
    g_assert_true(vm_config_parse_memory(&c->memory, "size=256M", &error));
    g_assert_cmpuint(c->memory.size, ==, 256ULL << 20);
    g_assert_false(c->memory.shared);
    g_assert_true(c->memory.thp);

    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;

        g_test_message("--memory %s", bad[i].arg);
        g_assert_false(vm_config_parse_memory(&c->memory, bad[i].arg, &err));
        g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        assert_message(err, bad[i].error);
        g_assert_cmpuint(c->memory.size, ==, 256ULL << 20);
    }
}

/* ---- consoles ---------------------------------------------------------------- */

static void
test_console(void)
{
    static const struct {
        const char *option, *arg;
        ConsoleMode mode;
        const char *file, *socket, *id;
        bool iommu;
        uint64_t iobase;
    } good[] = {
        { "--serial", "off", CONSOLE_MODE_OFF, NULL, NULL, NULL, false, 0 },
        { "--serial", "null", CONSOLE_MODE_NULL, NULL, NULL, NULL, false, 0 },
        { "--serial", "pty", CONSOLE_MODE_PTY, NULL, NULL, NULL, false, 0 },
        { "--serial", "tty", CONSOLE_MODE_TTY, NULL, NULL, NULL, false, 0 },
        { "--serial", "file=/tmp/s.log", CONSOLE_MODE_FILE, "/tmp/s.log", NULL, NULL, false, 0 },
        { "--serial", "socket=/tmp/s.sock", CONSOLE_MODE_SOCKET, NULL,
          "/tmp/s.sock", NULL, false, 0 },
        { "--console", "tty,iommu=on,id=con0", CONSOLE_MODE_TTY, NULL, NULL, "con0", true, 0 },
        { "--console", "file=\"/tmp/a,b\"", CONSOLE_MODE_FILE, "/tmp/a,b", NULL, NULL, false, 0 },
        { "--console", "off,pci_segment=0", CONSOLE_MODE_OFF, NULL, NULL, NULL, false, 0 },
        { "--debug-console", "tty", CONSOLE_MODE_TTY, NULL, NULL, NULL, false, 0xe9 },
        { "--debug-console", "file=/tmp/d,iobase=0x402", CONSOLE_MODE_FILE,
          "/tmp/d", NULL, NULL, false, 0x402 },
        { "--debug-console", "off,iobase=233", CONSOLE_MODE_OFF, NULL, NULL, NULL, false, 0xe9 },
    };
    static const struct {
        const char *option, *arg, *error;
    } bad[] = {
        { "--serial", "tyy", "--serial: unknown key 'tyy'" },
        { "--serial", "tty,pty", "--serial: more than one mode ('pty' and 'tty')" },
        { "--serial", "tty=1", "--serial: 'tty' takes no value" },
        { "--serial", "file", "--serial: 'file' needs a value" },
        { "--serial", "file=", "invalid value 'file='" },
        { "--serial", "iommu=on", "--serial: unknown key 'iommu'" },
        { "--serial", "", "--serial: empty value" },
        { "--console", "iommu=on", "--console: no mode in 'iommu=on'" },
        { "--console", "tty,pci_segment=1", "--console: pci_segment=1 is not supported yet" },
        { "--console", "tty,pci_device_id=3", "pci_device_id=3 is not supported yet" },
        { "--debug-console", "null", "--debug-console: unknown key 'null'" },
        { "--debug-console", "socket=/x", "unknown key 'socket'" },
        { "--debug-console", "tty,iobase=0x10000", "invalid value 'iobase=0x10000'" },
        { "--debug-console", "iobase=0xe9",
          "no mode in 'iobase=0xe9': expected one of off, pty, tty or file=PATH" },
        { "--bogus", "tty", "--bogus: not a console option" },
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS(good); i++) {
        ConsoleConfig con = { .mode = CONSOLE_MODE_NULL };
        g_autoptr(GError) error = NULL;

        g_test_message("%s %s", good[i].option, good[i].arg);
        g_assert_true(vm_config_parse_console(&con, good[i].option, good[i].arg,
                                              &error));
        g_assert_no_error(error);
        g_assert_cmpint(con.mode, ==, good[i].mode);
        g_assert_cmpstr(con.file, ==, good[i].file);
        g_assert_cmpstr(con.socket, ==, good[i].socket);
        g_assert_cmpstr(con.id, ==, good[i].id);
        g_assert_true(con.iommu == good[i].iommu);
        if (strcmp(good[i].option, "--debug-console") == 0 &&
            con.mode != CONSOLE_MODE_OFF)
            g_assert_cmpuint(con.iobase, ==, good[i].iobase);
        g_free(con.file);
        g_free(con.socket);
        g_free(con.id);
    }
    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        ConsoleConfig con = { .mode = CONSOLE_MODE_NULL };
        g_autoptr(GError) error = NULL;

        g_test_message("%s %s", bad[i].option, bad[i].arg);
        g_assert_false(vm_config_parse_console(&con, bad[i].option, bad[i].arg,
                                               &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        assert_message(error, bad[i].error);
        g_assert_cmpint(con.mode, ==, CONSOLE_MODE_NULL);
        g_assert_null(con.file);
    }
}

/* ---- --disk ---------------------------------------------------------------- */

static void
test_disk(void)
{
    static const BadCase bad[] = {
        { "readonly=on", "--disk: path=<image> is required" },
        { "path=/a,num_queues=0", "invalid value 'num_queues=0'" },
        { "path=/a,queue_size=65536", "invalid value 'queue_size=65536'" },
        { "path=/a,image_type=vmdk", "image_type=vmdk is not supported yet" },
        { "path=/a,image_type=iso", "invalid value 'image_type=iso'" },
        { "path=/a,vhost_user", "'vhost_user' needs a value" },
        { "vhost_user=off,socket=/s", "--disk: path=<image> is required" },
        { "path=/a,bw_size=1k", "invalid value 'bw_size=1k'" },
        { "path=/a,ops_refill_time=-1", "invalid value 'ops_refill_time=-1'" },
        { "path=/a,queue_affinity=[0@[1]]", "queue_affinity=[0@[1]] is not supported yet" },
        { "path=/a,sparse=off", "sparse=off is not supported yet" },
        { "path=/a,lock_granularity=full", "lock_granularity=full is not supported yet" },
        { "path=/a,pci_device_id=256", "invalid value 'pci_device_id=256'" },
        { "path=/a,pci_segment=65536", "invalid value 'pci_segment=65536'" },
        { "path=/a,readonly", "'readonly' needs a value" },
        { "path=/a,foo=bar", "--disk: unknown key 'foo'" },
        { "path=/a,path=/b", "'path' is given twice" },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(DiskConfig) d = vm_config_parse_disk("path=/img", &error);
    g_autoptr(DiskConfig) e = NULL;
    guint i;

    g_assert_no_error(error);
    g_assert_cmpstr(d->path, ==, "/img");
    g_assert_false(d->readonly);
    g_assert_cmpuint(d->num_queues, ==, 1);
    g_assert_cmpuint(d->queue_size, ==, 128);
    g_assert_cmpint(d->image_type, ==, IMAGE_TYPE_UNKNOWN);
    g_assert_cmpint(d->pci_device_id, ==, -1);
    g_assert_null(d->id);

    e = vm_config_parse_disk("path=/img2,readonly=on,direct=on,iommu=on,"
                             "num_queues=4,queue_size=256,id=root,serial=S1,"
                             "image_type=raw,pci_segment=0,pci_device_id=5,"
                             "vhost_user=off,sparse=on,backing_files=off,"
                             "lock_granularity=byte-range", &error);
    g_assert_no_error(error);
    g_assert_true(e->readonly && e->direct && e->iommu);
    g_assert_cmpuint(e->num_queues, ==, 4);
    g_assert_cmpuint(e->queue_size, ==, 256);
    g_assert_cmpstr(e->id, ==, "root");
    g_assert_cmpstr(e->serial, ==, "S1");
    g_assert_cmpint(e->image_type, ==, IMAGE_TYPE_RAW);
    g_assert_cmpint(e->pci_device_id, ==, 5);
    /* The other formats parse; which ones open is block_format_open()'s
     * rule (test-block-format.c). */
    {
        g_autoptr(DiskConfig) q = vm_config_parse_disk(
            "path=/a,image_type=qcow2", &error);

        g_assert_no_error(error);
        g_assert_cmpint(q->image_type, ==, IMAGE_TYPE_QCOW2);
        g_assert_false(q->backing_files);
    }
    /* backing_files=on lets a qcow2 image open its backing chain. */
    {
        g_autoptr(DiskConfig) q = vm_config_parse_disk(
            "path=/a,image_type=qcow2,backing_files=on", &error);

        g_assert_no_error(error);
        g_assert_true(q->backing_files);
    }

    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(DiskConfig) x = NULL;

        g_test_message("--disk %s", bad[i].arg);
        x = vm_config_parse_disk(bad[i].arg, &err);
        g_assert_null(x);
        g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        assert_message(err, bad[i].error);
    }
}

/* ---- --net, --rng ------------------------------------------------------------ */

static void
test_net(void)
{
    static const BadCase bad[] = {
        { "mtu=20", "--net: invalid value 'mtu=20': expected an integer between 68 and 65535" },
        { "fd=3", "--net: invalid value 'fd=3': expected a list of integers" },
        { "fd=[a]", "invalid value 'fd=[a]'" },
        { "num_queues=0", "invalid value 'num_queues=0'" },
        /* vhost_user's rules are vm_config_validate()'s (test-vhost-user-net);
         * here only the syntax. */
        { "vhost_user", "'vhost_user' needs a value" },
        { "vhost_user=maybe", "vhost_user" },
        { "bw_refill_time=x", "invalid value 'bw_refill_time=x'" },
        { "tap=", "invalid value 'tap='" },
        { "mac", "'mac' needs a value" },
        { "macc=1", "--net: unknown key 'macc'" },
        { "fd=[3-514]", "--net: fd=[...] lists 512 fds; at most 511" },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(NetConfig) n = vm_config_parse_net("tap=tap0", &error);
    g_autoptr(NetConfig) m = NULL;
    g_autoptr(NetConfig) f = NULL;
    guint i;

    g_assert_no_error(error);
    g_assert_cmpstr(n->tap, ==, "tap0");
    g_assert_cmpuint(n->num_queues, ==, 2);
    g_assert_cmpuint(n->queue_size, ==, 256);
    g_assert_true(n->offload_tso && n->offload_ufo && n->offload_csum);
    g_assert_null(n->fds);
    g_assert_null(n->mac);

    m = vm_config_parse_net("ip=192.168.1.1,mask=255.255.255.0,"
                            "mac=12:34:56:78:9a:bc,host_mac=12:34:56:78:9a:bd,"
                            "mtu=9000,iommu=on,num_queues=4,queue_size=512,id=n0,"
                            "pci_device_id=7,offload_tso=off,offload_ufo=off,"
                            "offload_csum=off,vhost_user=off,vhost_mode=client",
                            &error);
    g_assert_no_error(error);
    g_assert_cmpstr(m->ip, ==, "192.168.1.1");
    g_assert_cmpstr(m->mask, ==, "255.255.255.0");
    g_assert_cmpstr(m->mac, ==, "12:34:56:78:9a:bc");
    g_assert_cmpstr(m->host_mac, ==, "12:34:56:78:9a:bd");
    g_assert_cmpuint(m->mtu, ==, 9000);
    g_assert_true(m->iommu);
    g_assert_cmpuint(m->num_queues, ==, 4);
    g_assert_cmpuint(m->queue_size, ==, 512);
    g_assert_cmpstr(m->id, ==, "n0");
    g_assert_cmpint(m->pci_device_id, ==, 7);
    g_assert_false(m->offload_tso || m->offload_ufo || m->offload_csum);

    /* Without num_queues, the fds decide it: one per queue pair. */
    f = vm_config_parse_net("fd=[3,4-5]", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(f->fds->len, ==, 3);
    g_assert_cmpint(g_array_index(f->fds, int, 0), ==, 3);
    g_assert_cmpint(g_array_index(f->fds, int, 2), ==, 5);
    g_assert_cmpuint(f->num_queues, ==, 6);

    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(NetConfig) x = NULL;

        g_test_message("--net %s", bad[i].arg);
        x = vm_config_parse_net(bad[i].arg, &err);
        g_assert_null(x);
        g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        assert_message(err, bad[i].error);
    }
}

static void
test_rng(void)
{
    static const BadCase bad[] = {
        { "src=", "--rng: invalid value 'src='" },
        { "iommu=1", "invalid value 'iommu=1'" },
        { "pci_segment=2", "--rng: pci_segment=2 is not supported yet" },
        { "pci_device_id=2", "pci_device_id=2 is not supported yet" },
        { "source=/dev/random", "--rng: unknown key 'source'" },
    };
    g_autoptr(VmConfig) c = vm_config_new();
    g_autoptr(GError) error = NULL;
    guint i;

    g_assert_cmpstr(c->rng.src, ==, "/dev/urandom");
    g_assert_true(vm_config_parse_rng(&c->rng, "src=/dev/random,iommu=on,"
                                      "pci_segment=0", &error));
    g_assert_no_error(error);
    g_assert_cmpstr(c->rng.src, ==, "/dev/random");
    g_assert_true(c->rng.iommu);
    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;

        g_assert_false(vm_config_parse_rng(&c->rng, bad[i].arg, &err));
        g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        assert_message(err, bad[i].error);
        g_assert_cmpstr(c->rng.src, ==, "/dev/random");
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vm-config/parse/size", test_size);
    g_test_add_func("/vm-config/parse/cpus-good", test_cpus_good);
    g_test_add_func("/vm-config/parse/cpus-bad", test_cpus_bad);
    g_test_add_func("/vm-config/parse/memory", test_memory);
    g_test_add_func("/vm-config/parse/console", test_console);
    g_test_add_func("/vm-config/parse/disk", test_disk);
    g_test_add_func("/vm-config/parse/net", test_net);
    g_test_add_func("/vm-config/parse/rng", test_rng);
    return g_test_run();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests: virtio-blk, virtio-net, virtio-console and virtio-rng in a real guest on KVM. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/testutil.h"

/* Nested under QEMU TCG a boot takes minutes: generous limits. */
#define BOOT_TIMEOUT_MS (600 * 1000)
#define GUEST_OK "nimbus-guest: exit status 0"

static char *
path_in_tmp(const char *name)
{
    return g_build_filename(test_tmpdir(), name, NULL);
}

/* Runs @cmd with sh -c; asserts it succeeds; returns its output. */
static char *
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
static char *
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

typedef struct {
    const char *script;        /* guest shell script (nimbus.cmd) */
    const char *initrd;        /* NULL: the plain guest initramfs */
    const char *cmdline;       /* extra kernel arguments */
    const char *cpus;          /* --cpus, NULL: boot=1 */
    const char *console;       /* --console, NULL: off */
    const char *const *args;   /* more nimbus arguments (NULL-terminated) */
} GuestSpec;

static TestProc *
guest_spawn(const GuestSpec *g)
{
    g_autofree char *nimbus = test_build_path("nimbus");
    g_autofree char *kernel = test_asset("vmlinux");
    g_autofree char *initrd = g->initrd ? g_strdup(g->initrd)
                                        : test_asset("guest-initramfs.cpio");
    g_autofree char *b64 = g_base64_encode((const guchar *)g->script,
                                           strlen(g->script));
    g_autofree char *cmdline = g_strdup_printf("console=ttyS0 panic=-1 %s "
                                               "nimbus.cmd=%s",
                                               g->cmdline ? g->cmdline : "", b64);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();

    g_ptr_array_add(argv, nimbus);
    g_ptr_array_add(argv, (char *)"--kernel");
    g_ptr_array_add(argv, kernel);
    g_ptr_array_add(argv, (char *)"--initramfs");
    g_ptr_array_add(argv, initrd);
    g_ptr_array_add(argv, (char *)"--cmdline");
    g_ptr_array_add(argv, cmdline);
    g_ptr_array_add(argv, (char *)"--memory");
    g_ptr_array_add(argv, (char *)"size=512M");
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
static char *
guest_run(const GuestSpec *g)
{
    g_autoptr(TestProc) p = guest_spawn(g);

    g_assert_true(test_proc_wait_output(p, GUEST_OK, BOOT_TIMEOUT_MS));
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
    return test_proc_output(p);
}

static void
assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        g_test_message("'%s' not found in:\n%s", needle, haystack);
    g_assert_nonnull(strstr(haystack, needle));
}

/* ---- virtio-blk --------------------------------------------------------- */

/* A root file system: busybox and an init that writes a file, syncs and
 * powers off. */
static char *
make_rootfs_image(const char *name)
{
    g_autofree char *dir = path_in_tmp("rootfs");
    g_autofree char *init = NULL;
    char *img = path_in_tmp(name);
    g_autofree char *cmd = NULL;
    g_autofree char *o = NULL;

    cmd = g_strdup_printf("rm -rf '%s' && mkdir -p '%s'/bin '%s'/sbin '%s'/proc "
                          "'%s'/sys '%s'/dev && cp \"$(command -v busybox)\" "
                          "'%s'/bin/busybox", dir, dir, dir, dir, dir, dir, dir);
    o = sh(cmd);
    init = g_build_filename(dir, "sbin", "init", NULL);
    g_assert_true(g_file_set_contents(init,
        "#!/bin/busybox sh\n"
        "B=/bin/busybox\n"
        "$B mount -t proc proc /proc\n"
        "echo \"nimbus-root: / is $($B awk '$2 == \"/\" {print $1}' /proc/mounts)\"\n"
        "echo \"written-by-guest-$((6 * 7))\" > /guest.txt\n"
        "$B sync\n"
        "echo nimbus-root: synced\n"
        /* guest-init's marker, so guest_run() sees the clean end. */
        "echo 'nimbus-guest: exit status 0'\n"
        "$B poweroff -f\n", -1, NULL));
    g_assert_cmpint(chmod(init, 0755), ==, 0);
    g_clear_pointer(&cmd, g_free);
    g_clear_pointer(&o, g_free);
    cmd = g_strdup_printf("mke2fs -q -F -t ext4 -E root_owner=0:0 -d '%s' '%s' 64M",
                          dir, img);
    o = sh(cmd);
    return img;
}

/* An early userspace that mounts root= and switches to it: the Debian
 * kernel has virtio_blk and ext4 as modules, so root=/dev/vda needs one. */
static char *
make_switch_root_initrd(void)
{
    g_autofree char *dir = path_in_tmp("rootinit");
    g_autofree char *init = g_build_filename(dir, "nimbus-root-init", NULL);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(init,
        "#!/bin/sh\n"
        "export PATH=/sbin:/bin:/usr/sbin:/usr/bin\n"
        "mount -t proc proc /proc\n"
        "mount -t sysfs sysfs /sys\n"
        "mount -t devtmpfs devtmpfs /dev\n"
        "for m in virtio_pci virtio_blk crc32c_generic ext4; do modprobe $m; done\n"
        "root=\n"
        "for a in $(cat /proc/cmdline); do\n"
        "    case $a in root=*) root=${a#root=} ;; esac\n"
        "done\n"
        "i=0\n"
        "while [ ! -b \"$root\" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done\n"
        "mkdir -p /newroot\n"
        "mount -t ext4 -o rw \"$root\" /newroot || { echo \"nimbus-root: cannot mount $root\"; poweroff -f; }\n"
        "umount /proc /sys\n"
        "mount --move /dev /newroot/dev\n"
        "exec switch_root /newroot /sbin/init\n", -1, NULL));
    g_assert_cmpint(chmod(init, 0755), ==, 0);
    return initrd_with("root-initrd.cpio", dir);
}

/* root=/dev/vda: the guest boots from the ext4 image the test made, writes
 * a file, syncs, powers off; the host reads it back with debugfs. */
static void
test_blk_root(void)
{
    g_autofree char *img = make_rootfs_image("root.img");
    g_autofree char *initrd = make_switch_root_initrd();
    g_autofree char *disk = g_strdup_printf("path=%s", img);
    const char *args[] = { "--disk", disk, NULL };
    GuestSpec g = { .script = "exit 1\n", .initrd = initrd,
                    .cmdline = "root=/dev/vda rdinit=/nimbus-root-init",
                    .args = args };
    g_autofree char *out = guest_run(&g);
    g_autofree char *cmd = g_strdup_printf("debugfs -R 'cat /guest.txt' '%s' 2>/dev/null",
                                           img);
    g_autofree char *content = sh(cmd);

    assert_contains(out, "nimbus-root: / is /dev/vda");
    assert_contains(out, "nimbus-root: synced");
    assert_contains(content, "written-by-guest-42");
}

static char *
sha256_file(const char *path)
{
    g_autofree char *data = NULL;
    gsize len = 0;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data,
                                       len);
}

/*
 * One guest for the rest of the disk checks, the console and the rng:
 *  - vda: readonly=on: writes fail in the guest, the image is unchanged;
 *  - vdb: num_queues=2 on 2 vCPUs: two hardware queues, I/O through both;
 *    while the guest runs, a second nimbus on vdb's image (read-write, then
 *    read-only) is refused by the OFD lock with an error naming the image;
 *  - a line on /dev/hvc0 lands in the --console file;
 *  - 1 MiB from /dev/hwrng.
 */
static void
test_devices(void)
{
    g_autofree char *ro_img = make_rootfs_image("ro.img");
    g_autofree char *before = sha256_file(ro_img);
    g_autofree char *after = NULL;
    g_autofree char *mq_img = path_in_tmp("mq.img");
    g_autofree char *mk = g_strdup_printf("truncate -s 64M '%s'", mq_img);
    g_autofree char *o = sh(mk);
    g_autofree char *log = path_in_tmp("hvc0.log");
    g_autofree char *con = g_strdup_printf("file=%s", log);
    g_autofree char *ro_disk = g_strdup_printf("path=%s,readonly=on", ro_img);
    g_autofree char *mq_disk = g_strdup_printf("path=%s,num_queues=2", mq_img);
    g_autofree char *mq_disk_ro = g_strdup_printf("path=%s,readonly=on", mq_img);
    g_autofree char *content = NULL;
    g_autofree char *out = NULL;
    g_autofree char *out2 = NULL;
    const char *args[] = { "--disk", ro_disk, "--disk", mq_disk, NULL };
    const char *args2[] = { "--disk", mq_disk, NULL };
    const char *args3[] = { "--disk", mq_disk_ro, NULL };
    GuestSpec g = {
        .cpus = "boot=2",
        .console = con,
        .script =
            /* readonly=on */
            "echo \"ro-flag: $(cat /sys/block/vda/ro)\"\n"
            "dd if=/dev/zero of=/dev/vda bs=512 count=1 conv=fsync 2>/dev/null "
            "&& echo raw-write-succeeded || echo raw-write-failed\n"
            "mount -t ext4 /dev/vda /mnt 2>/dev/null || mount -t ext4 -o ro /dev/vda /mnt\n"
            "echo x > /mnt/new.txt 2>/dev/null && echo fs-write-succeeded "
            "|| echo fs-write-failed\n"
            "echo \"read-ok: $(head -c 4096 /mnt/bin/busybox | wc -c)\"\n"
            "umount /mnt\n"
            /* num_queues=2: writes from CPU 0, reads back from CPU 1 and
             * the other way round; blk-mq maps each CPU to its queue. */
            "echo \"hw-queues: $(ls /sys/block/vdb/mq | wc -l)\"\n"
            "head -c 4194304 /dev/urandom > /tmp/a\n"
            "taskset -c 0 dd if=/tmp/a of=/dev/vdb bs=64k oflag=direct 2>/dev/null\n"
            "taskset -c 1 dd if=/tmp/a of=/dev/vdb bs=64k seek=64 oflag=direct 2>/dev/null\n"
            "taskset -c 1 dd if=/dev/vdb of=/tmp/b bs=64k count=64 iflag=direct 2>/dev/null\n"
            "taskset -c 0 dd if=/dev/vdb of=/tmp/c bs=64k skip=64 count=64 iflag=direct 2>/dev/null\n"
            "cmp /tmp/a /tmp/b && cmp /tmp/a /tmp/c && echo mq-data-ok\n"
            /* Completions per queue: each has its own MSI-X vector. */
            "d=$(basename $(readlink /sys/block/vdb/device))\n"
            "grep \" $d-req\\.\" /proc/interrupts | "
            "awk '{s = 0; for (i = 2; i <= NF - 3; i++) s += $i; print \"irq-count \" s}'\n"
            /* console and rng */
            "echo \"hvc0-line-$((6 * 7))\" > /dev/hvc0\n"
            "echo \"rng-current: $(cat /sys/class/misc/hw_random/rng_current)\"\n"
            "echo \"rng-bytes: $(head -c 1048576 /dev/hwrng | wc -c)\"\n"
            /* The host tries a second VMM on vdb's image meanwhile. */
            "echo waiting-for-host\n"
            "read -r reply\n"
            "echo \"host-replied: $reply\"\n",
        .args = args,
    };
    GuestSpec second = { .script = "exit 0\n", .cpus = "boot=2",
                         .args = args2 };
    g_autoptr(TestProc) p = guest_spawn(&g);
    g_autoptr(TestProc) b = NULL;
    g_autoptr(TestProc) c = NULL;
    g_auto(GStrv) lines = NULL;
    unsigned busy = 0;

    g_assert_true(test_proc_wait_output(p, "waiting-for-host", BOOT_TIMEOUT_MS));
    b = guest_spawn(&second);
    g_assert_cmpint(test_proc_wait_exit(b, 120 * 1000), !=, 0);
    out2 = test_proc_output(b);
    assert_contains(out2, mq_img);
    assert_contains(out2, "locked by another process");
    g_clear_pointer(&out2, g_free);
    second.args = args3;
    c = guest_spawn(&second);
    g_assert_cmpint(test_proc_wait_exit(c, 120 * 1000), !=, 0);
    out2 = test_proc_output(c);
    assert_contains(out2, "locked by another process");

    test_proc_write(p, "carry-on\n");
    g_assert_true(test_proc_wait_output(p, GUEST_OK, BOOT_TIMEOUT_MS));
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
    out = test_proc_output(p);
    assert_contains(out, "host-replied: carry-on");

    assert_contains(out, "ro-flag: 1");
    assert_contains(out, "raw-write-failed");
    assert_contains(out, "fs-write-failed");
    assert_contains(out, "read-ok: 4096");
    after = sha256_file(ro_img);
    g_assert_cmpstr(before, ==, after);

    assert_contains(out, "hw-queues: 2");
    assert_contains(out, "mq-data-ok");
    /* Both request queues completed I/O (their interrupt counts). */
    lines = g_strsplit(out, "\n", -1);
    for (unsigned i = 0; lines[i]; i++) {
        unsigned n = 0;

        if (sscanf(lines[i], "irq-count %u", &n) == 1 && n > 0)
            busy++;
    }
    g_assert_cmpuint(busy, ==, 2);

    g_assert_true(g_file_get_contents(log, &content, NULL, NULL));
    assert_contains(content, "hvc0-line-42");
    assert_contains(out, "rng-current: virtio_rng.0");
    assert_contains(out, "rng-bytes: 1048576");
}

/* ---- virtio-net ----------------------------------------------------------- */

#define NET_BYTES (32u << 20)

/* One side of the TCP test: a listener on a free port and a thread that
 * accepts one connection and either sinks (@sending false) or sends
 * NET_BYTES, hashing what goes through. */
typedef struct {
    GSocketListener *listener;
    guint16 port;
    bool sending;
    char *sha;
    gsize bytes;
    GThread *thread;
} NetPeer;

/* Deterministic bytes the host sends (a simple LCG stream). */
static void
net_fill(guint8 *buf, gsize len, guint32 *state)
{
    for (gsize i = 0; i < len; i++) {
        *state = *state * 1103515245u + 12345u;
        buf[i] = (guint8)(*state >> 16);
    }
}

static gpointer
net_peer_main(gpointer data)
{
    NetPeer *p = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree guint8 *buf = g_malloc(65536);
    g_autoptr(GSocketConnection) c =
        g_socket_listener_accept(p->listener, NULL, NULL, &error);
    guint32 state = 42;
    gssize n;

    if (!c) {
        g_printerr("net peer: accept: %s\n", error->message);
        return NULL;
    }
    if (!p->sending) {
        GInputStream *is = g_io_stream_get_input_stream(G_IO_STREAM(c));

        while (p->bytes < NET_BYTES &&
               (n = g_input_stream_read(is, buf, 65536, NULL, NULL)) > 0) {
            g_checksum_update(sum, buf, n);
            p->bytes += (gsize)n;
        }
    } else {
        GOutputStream *os = g_io_stream_get_output_stream(G_IO_STREAM(c));

        while (p->bytes < NET_BYTES) {
            net_fill(buf, 65536, &state);
            g_checksum_update(sum, buf, 65536);
            if (!g_output_stream_write_all(os, buf, 65536, NULL, NULL, NULL))
                break;
            p->bytes += 65536;
        }
    }
    p->sha = g_strdup(g_checksum_get_string(sum));
    g_io_stream_close(G_IO_STREAM(c), NULL, NULL);
    return NULL;
}

static void
net_peer_start(NetPeer *p, bool sending)
{
    g_autoptr(GError) error = NULL;

    p->sending = sending;
    p->listener = g_socket_listener_new();
    p->port = g_socket_listener_add_any_inet_port(p->listener, NULL, &error);
    g_assert_no_error(error);
    p->thread = g_thread_new("net-peer", net_peer_main, p);
}

static void
net_peer_finish(NetPeer *p)
{
    g_thread_join(p->thread);
    g_object_unref(p->listener);
}

/* The guest reaches the host over a TAP nimbus creates (ip=, mask=):
 * ping, then 32 MiB each way over TCP with matching SHA-256. */
static void
test_net_tap(void)
{
    NetPeer sink = { 0 }, source = { 0 };
    g_autofree char *net = NULL;
    g_autofree char *script = NULL;
    g_autofree char *out = NULL;
    g_autofree char *want_rx = NULL;
    g_autofree char *want_tx = NULL;
    const char *args[3] = { "--net", NULL, NULL };
    GuestSpec g = { 0 };

    net_peer_start(&sink, false);
    net_peer_start(&source, true);
    net = g_strdup_printf("tap=ntest%d,ip=192.168.251.1,mask=255.255.255.0,"
                          "mac=52:54:00:12:34:56", (int)(getpid() % 1000));
    args[1] = net;
    script = g_strdup_printf(
        "ip link set eth0 up\n"
        "ip addr add 192.168.251.2/24 dev eth0\n"
        "ip link show eth0 | grep -o 'link/ether [0-9a-f:]*'\n"
        "ping -c 3 -W 5 192.168.251.1 >/dev/null && echo ping-ok\n"
        "head -c %u /dev/urandom > /tmp/out\n"
        "echo \"tx-sha $(sha256sum /tmp/out | cut -d' ' -f1)\"\n"
        "nc 192.168.251.1 %u < /tmp/out\n"
        "nc 192.168.251.1 %u > /tmp/in\n"
        "echo \"rx-sha $(sha256sum /tmp/in | cut -d' ' -f1) $(wc -c < /tmp/in)\"\n",
        NET_BYTES, sink.port, source.port);
    g.script = script;
    g.args = args;
    out = guest_run(&g);
    net_peer_finish(&sink);
    net_peer_finish(&source);

    assert_contains(out, "link/ether 52:54:00:12:34:56");
    assert_contains(out, "ping-ok");
    g_assert_nonnull(sink.sha);
    g_assert_nonnull(source.sha);
    g_assert_cmpuint(sink.bytes, ==, NET_BYTES);
    want_tx = g_strdup_printf("tx-sha %s", sink.sha);
    want_rx = g_strdup_printf("rx-sha %s %u", source.sha, NET_BYTES);
    assert_contains(out, want_tx);
    assert_contains(out, want_rx);
    g_free(sink.sha);
    g_free(source.sha);
}

/* ---- Hostile guest -------------------------------------------------------- */

/* A guest program takes the virtio-rng and a virtio-blk function away from
 * their drivers and feeds them malformed rings through BAR0: each case
 * must end in NEEDS_RESET, the VMM logs it once per reset and keeps
 * running, and a reset brings the device back. */
static void
test_hostile_guest(void)
{
    g_autofree char *prog = test_build_path("tests/integration/test-virtio-hostile-guest");
    g_autofree char *dir = path_in_tmp("hostile");
    g_autofree char *dst = g_build_filename(dir, "hostile-guest", NULL);
    g_autofree char *img = path_in_tmp("hostile.img");
    g_autofree char *mk = g_strdup_printf("truncate -s 16M '%s'", img);
    g_autofree char *o = sh(mk);
    g_autofree char *initrd = NULL;
    g_autofree char *disk = g_strdup_printf("path=%s", img);
    g_autofree char *data = NULL;
    gsize len = 0;
    const char *args[] = { "--disk", disk, NULL };
    GuestSpec g = {
        .script = "/hostile-guest 1af4:1044 || exit 1\n"
                  "/hostile-guest 1af4:1042 || exit 1\n"
                  "echo guest-still-alive-$((6 * 7))\n",
        .args = args,
    };
    g_autofree char *out = NULL;

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_get_contents(prog, &data, &len, NULL));
    g_assert_true(g_file_set_contents(dst, data, (gssize)len, NULL));
    g_assert_cmpint(chmod(dst, 0755), ==, 0);
    initrd = initrd_with("hostile-initrd.cpio", dir);
    g.initrd = initrd;
    out = guest_run(&g);
    for (unsigned dev = 0; dev < 2; dev++) {
        static const char *const cases[] = { "loop", "outside-ram",
                                             "nested-indirect", "avail-jump",
                                             "head-range", "read-only-buffer" };

        for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
            g_autofree char *want = g_strdup_printf("hostile: %s needs-reset",
                                                    cases[i]);
            assert_contains(out, want);
        }
    }
    assert_contains(out, "guest-still-alive-42");
    /* The VMM said why, once per broken state. */
    assert_contains(out, "__rng: queue 0: descriptor chain loop; device needs reset");
    assert_contains(out, "_disk0: queue 0: request without a full header");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio/blk/root", test_blk_root);
    g_test_add_func("/virtio/devices", test_devices);
    g_test_add_func("/virtio/net/tap", test_net_tap);
    g_test_add_func("/virtio/hostile-guest", test_hostile_guest);
    return g_test_run();
}

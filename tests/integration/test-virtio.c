/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests: virtio-blk (root, readonly, lock, multiqueue), virtio-console, virtio-rng and virtio-balloon in a guest. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"
#include "tests/seccomp-threads.h"

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
 *  - 1 MiB from /dev/hwrng;
 *  - --balloon size=128M: the guest's driver inflates it, and its
 *    MemTotal drops by that much.
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
    const char *args[] = { "--disk", ro_disk, "--disk", mq_disk,
                           "--balloon", "size=128M", NULL };
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
            /* balloon: inflation runs in the background; 512 MiB of RAM
             * is about 490000 kB of MemTotal before it. */
            "i=0; while [ $i -lt 300 ]; do "
            "t=$(awk '/MemTotal/ {print $2}' /proc/meminfo); "
            "[ $t -lt 400000 ] && break; sleep 0.1; i=$((i + 1)); done\n"
            "echo \"memtotal-kb: $t\"\n"
            "echo \"balloon-bound: $(ls /sys/bus/virtio/drivers/virtio_balloon"
            " | grep -c virtio)\"\n"
            /* The host tries a second VMM on vdb's image meanwhile. */
            "echo waiting-for-host\n"
            "read -r reply\n"
            "echo \"host-replied: $reply\"\n",
        .args = args,
    };
    static const char *const seccomp_threads[] = {
        "vmm", "spawner", "vcpu0", "vcpu1", NULL,
    };
    GuestSpec second = { .script = "exit 0\n", .cpus = "boot=2",
                         .args = args2 };
    g_autoptr(TestProc) p = guest_spawn(&g);
    g_autoptr(TestProc) b = NULL;
    g_autoptr(TestProc) c = NULL;
    g_auto(GStrv) lines = NULL;
    unsigned busy = 0;
    unsigned runs = 0;
    bool mem_seen = false;

    g_assert_true(test_proc_wait_output(p, "waiting-for-host", BOOT_TIMEOUT_MS));
    /* Every device active: vCPUs and all workers run under their seccomp
     * filters (on by default). */
    test_assert_threads_seccomp(test_proc_pid(p), seccomp_threads);
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
        /* A guest reset part-way (the emulated-KVM crash class) runs the
         * script again into the same output: say so, with the output. */
        if (g_str_has_prefix(lines[i], "hw-queues:"))
            runs++;
    }
    if (busy != 2 || runs != 1)
        g_test_message("the script ran %u times; the guest's output:\n%s",
                       runs, out);
    g_assert_cmpuint(runs, ==, 1);
    g_assert_cmpuint(busy, ==, 2);

    g_assert_true(g_file_get_contents(log, &content, NULL, NULL));
    assert_contains(content, "hvc0-line-42");
    assert_contains(out, "rng-current: virtio_rng.0");
    assert_contains(out, "rng-bytes: 1048576");

    assert_contains(out, "balloon-bound: 1");
    for (unsigned i = 0; lines[i]; i++) {
        unsigned kb = 0;

        if (sscanf(lines[i], "memtotal-kb: %u", &kb) == 1) {
            g_test_message("guest MemTotal with the balloon: %u kB", kb);
            /* 512 MiB less the 128 MiB balloon, less what the kernel
             * keeps for itself. */
            g_assert_cmpuint(kb, <, 400000);
            g_assert_cmpuint(kb, >, 300000);
            mem_seen = true;
        }
    }
    g_assert_true(mem_seen);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio/blk/root", test_blk_root);
    g_test_add_func("/virtio/devices", test_devices);
    return g_test_run();
}

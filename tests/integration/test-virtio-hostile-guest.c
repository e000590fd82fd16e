/* SPDX-License-Identifier: Apache-2.0 */
/* Runs inside a test guest: takes a virtio-pci device from its driver and feeds it malformed rings. */

/*
 * A hostile guest, from userspace: the function is unbound from the
 * kernel's virtio-pci driver, its BAR0 is mapped through sysfs
 * (resourceN), rings live in locked pages whose physical addresses come
 * from /proc/self/pagemap, and the program drives the virtio 1.x
 * initialisation itself.  For each malformed case it rings the doorbell
 * and expects DEVICE_NEEDS_RESET (0x40) in device_status, then resets the
 * device (status 0) and checks that it comes back clean.  The VMM must
 * survive all of it; the test on the host checks that too.
 *
 * Usage: hostile-guest VENDOR:DEVICE (e.g. 1af4:1044 for virtio-rng)
 * Prints "hostile: <case> needs-reset" per case, "hostile: done" at the end,
 * and exits non-zero on the first surprise.  Static, no glib: it runs in
 * the busybox initramfs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BAR_SIZE 0x80000
#define COMMON 0x0
#define NOTIFY 0x6000
#define QSIZE 16

/* virtio_pci_common_cfg offsets (virtio 1.2 §4.1.4.3). */
#define C_DFSELECT 0x00
#define C_GFSELECT 0x08
#define C_GF 0x0c
#define C_STATUS 0x14
#define C_QSELECT 0x16
#define C_QSIZE 0x18
#define C_QENABLE 0x1c
#define C_QDESC 0x20
#define C_QAVAIL 0x28
#define C_QUSED 0x30

#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40

#define F_NEXT 1
#define F_WRITE 2
#define F_INDIRECT 4

static volatile uint8_t *bar;
static uint8_t *page;           /* one locked page: rings and buffers */
static uint64_t page_pa;

static void
die(const char *what)
{
    printf("hostile: error: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void
w8(unsigned off, uint8_t v)
{
    *(volatile uint8_t *)(bar + off) = v;
}

static void
w16(unsigned off, uint16_t v)
{
    *(volatile uint16_t *)(bar + off) = v;
}

static void
w32(unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(bar + off) = v;
}

static uint8_t
r8(unsigned off)
{
    return *(volatile uint8_t *)(bar + off);
}

static void
w64(unsigned off, uint64_t v)
{
    w32(off, (uint32_t)v);
    w32(off + 4, (uint32_t)(v >> 32));
}

/* Finds the function and returns its sysfs directory. */
static char *
find_device(const char *want)
{
    DIR *d = opendir("/sys/bus/pci/devices");
    struct dirent *e;
    static char path[320];

    if (!d)
        die("opendir /sys/bus/pci/devices");
    while ((e = readdir(d))) {
        char f[512], v[16] = "", dev[16] = "", id[40];
        FILE *fp;

        if (e->d_name[0] == '.')
            continue;
        snprintf(f, sizeof(f), "/sys/bus/pci/devices/%s/vendor", e->d_name);
        if ((fp = fopen(f, "r"))) {
            if (!fgets(v, sizeof(v), fp))
                v[0] = 0;
            fclose(fp);
        }
        snprintf(f, sizeof(f), "/sys/bus/pci/devices/%s/device", e->d_name);
        if ((fp = fopen(f, "r"))) {
            if (!fgets(dev, sizeof(dev), fp))
                dev[0] = 0;
            fclose(fp);
        }
        /* "0x1af4\n" -> "1af4" */
        snprintf(id, sizeof(id), "%.4s:%.4s", v + 2, dev + 2);
        if (strcmp(id, want) == 0) {
            snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", e->d_name);
            closedir(d);
            return path;
        }
    }
    closedir(d);
    errno = ENOENT;
    die(want);
    return NULL;
}

static void
write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);

    if (fd < 0 || write(fd, text, strlen(text)) < 0) {
        /* Not bound to anything: fine. */
        if (fd >= 0)
            close(fd);
        return;
    }
    close(fd);
}

static uint64_t
virt_to_phys(void *p)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    uint64_t e = 0;

    if (fd < 0)
        die("open pagemap");
    if (pread(fd, &e, 8, (off_t)((uintptr_t)p / 4096) * 8) != 8)
        die("read pagemap");
    close(fd);
    if (!(e & (1ULL << 63)) || (e & ((1ULL << 55) - 1)) == 0) {
        errno = EPERM;
        die("page not present or PFN hidden");
    }
    return (e & ((1ULL << 55) - 1)) * 4096;
}

/* Ring layout inside the page: descriptors at 0, avail at 0x400, used at
 * 0x800, buffers from 0xc00. */
#define DESC 0x0
#define AVAIL 0x400
#define USED 0x800
#define BUF 0xc00

static void
set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t *d = page + DESC + 16 * i;

    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

/* virtio 1.2 §3.1.1 with VERSION_1 only, queue 0 on our page. */
static int
device_init(void)
{
    memset(page, 0, 4096);
    w8(COMMON + C_STATUS, 0);
    if (r8(COMMON + C_STATUS) != 0) {
        printf("hostile: status not 0 after reset\n");
        return -1;
    }
    w8(COMMON + C_STATUS, S_ACK | S_DRIVER);
    w32(COMMON + C_GFSELECT, 0);
    w32(COMMON + C_GF, 0);
    w32(COMMON + C_GFSELECT, 1);
    w32(COMMON + C_GF, 1);                  /* VIRTIO_F_VERSION_1 */
    w8(COMMON + C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    if (!(r8(COMMON + C_STATUS) & S_FEATURES_OK)) {
        printf("hostile: FEATURES_OK refused\n");
        return -1;
    }
    w16(COMMON + C_QSELECT, 0);
    w16(COMMON + C_QSIZE, QSIZE);
    w64(COMMON + C_QDESC, page_pa + DESC);
    w64(COMMON + C_QAVAIL, page_pa + AVAIL);
    w64(COMMON + C_QUSED, page_pa + USED);
    w16(COMMON + C_QENABLE, 1);
    w8(COMMON + C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    return 0;
}

static void
publish(uint16_t head, uint16_t idx)
{
    uint16_t *avail = (uint16_t *)(page + AVAIL);

    avail[2] = head;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    avail[1] = idx;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    w16(NOTIFY, 0);                          /* doorbell of queue 0 */
}

static int
wait_needs_reset(void)
{
    for (int i = 0; i < 2000; i++) {
        struct timespec ts = { 0, 1000000 };

        if (r8(COMMON + C_STATUS) & S_NEEDS_RESET)
            return 0;
        nanosleep(&ts, NULL);
    }
    return -1;
}

typedef void (*CaseFunc)(void);

static void
case_loop(void)
{
    set_desc(0, page_pa + BUF, 64, F_NEXT | F_WRITE, 1);
    set_desc(1, page_pa + BUF, 64, F_NEXT | F_WRITE, 0);
    publish(0, 1);
}

static void
case_outside_ram(void)
{
    set_desc(0, 0xfffffff000000ULL, 4096, F_WRITE, 0);
    publish(0, 1);
}

static void
case_nested_indirect(void)
{
    /* An indirect table whose only entry is itself indirect. */
    set_desc(0, page_pa + BUF, 16, F_INDIRECT, 0);
    memcpy(page + BUF, &(uint64_t){ page_pa + BUF }, 8);
    memcpy(page + BUF + 8, &(uint32_t){ 16 }, 4);
    memcpy(page + BUF + 12, &(uint16_t){ F_INDIRECT }, 2);
    publish(0, 1);
}

static void
case_avail_jump(void)
{
    set_desc(0, page_pa + BUF, 64, F_WRITE, 0);
    publish(0, 1000);                        /* far beyond the queue size */
}

static void
case_head_range(void)
{
    publish(QSIZE + 7, 1);
}

static void
case_read_only_buffer(void)
{
    /* virtio-rng: nothing writable; virtio-blk: no status byte. */
    set_desc(0, page_pa + BUF, 8, 0, 0);
    publish(0, 1);
}

int
main(int argc, char **argv)
{
    static const struct {
        const char *name;
        CaseFunc fn;
    } cases[] = {
        { "loop", case_loop },
        { "outside-ram", case_outside_ram },
        { "nested-indirect", case_nested_indirect },
        { "avail-jump", case_avail_jump },
        { "head-range", case_head_range },
        { "read-only-buffer", case_read_only_buffer },
    };
    char *dev, path[512], cmd[2];
    const char *bdf;
    int fd;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 2) {
        fprintf(stderr, "usage: %s VENDOR:DEVICE\n", argv[0]);
        return 2;
    }
    dev = find_device(argv[1]);
    bdf = strrchr(dev, '/') + 1;
    snprintf(path, sizeof(path), "%s/driver/unbind", dev);
    write_file(path, bdf);
    printf("hostile: %s (%s) unbound\n", bdf, argv[1]);

    /* Memory space and bus mastering on: the driver's unbind turned
     * bus mastering off. */
    snprintf(path, sizeof(path), "%s/config", dev);
    fd = open(path, O_RDWR);
    if (fd < 0 || pread(fd, cmd, 2, 4) != 2)
        die("read command register");
    cmd[0] |= 0x6;
    if (pwrite(fd, cmd, 2, 4) != 2)
        die("write command register");
    close(fd);

    snprintf(path, sizeof(path), "%s/resource0", dev);
    fd = open(path, O_RDWR | O_SYNC);
    if (fd < 0)
        die("open resource0");
    bar = mmap(NULL, BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (bar == MAP_FAILED)
        die("mmap BAR0");
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
                MAP_LOCKED | MAP_POPULATE, -1, 0);
    if (page == MAP_FAILED || mlock(page, 4096) < 0)
        die("lock a page");
    page_pa = virt_to_phys(page);

    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (device_init() < 0)
            return 1;
        cases[i].fn();
        if (wait_needs_reset() < 0) {
            printf("hostile: %s: no NEEDS_RESET (status 0x%02x)\n",
                   cases[i].name, r8(COMMON + C_STATUS));
            return 1;
        }
        printf("hostile: %s needs-reset\n", cases[i].name);
    }
    /* A reset brings the device back: status 0, then usable again. */
    if (device_init() < 0 || (r8(COMMON + C_STATUS) & S_NEEDS_RESET)) {
        printf("hostile: device did not recover after reset\n");
        return 1;
    }
    w8(COMMON + C_STATUS, 0);
    printf("hostile: done\n");
    return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Runs inside a test guest: misplaced BARs, bad MSI-X entries, unclaimed I/O storms, floods. */

/*
 * A hostile guest beyond the virtqueues (docs/testing.md, hostile guests).
 * Each mode attacks one guest-facing interface from userspace as root and
 * checks what the guest can see; the host side
 * (tests/integration/test-hostile-platform.c) checks the VMM at every
 * "hostile-platform: sync TAG" line and answers "go" on the serial port.
 *
 *   bars       virtio-rng's BAR0 onto guest RAM, the LAPIC, the IOAPIC,
 *              ECAM, virtio-blk's BAR0, the sizing pattern left in place,
 *              a free address (where it must decode), then back home
 *   msix       bad MSI-X entries (outside 0xfee00000, high dword, vectors
 *              0-15, reserved delivery modes) with the device interrupting
 *              through them, mask/unmask storms, PBA and odd-width writes
 *   pio N      N accesses to unclaimed ports (byte, dword, rep ins/outs)
 *   mmio N     N accesses to an unclaimed MMIO page (/dev/mem)
 *   serial N   N bytes into the 8250's THR without waiting for THRE
 *   console S  S seconds of non-blocking writes to /dev/hvc0
 *
 * Prints "hostile-platform: <mode> <case> ok" per case and exits non-zero
 * on the first surprise.  Static, no glib: it runs in the busybox
 * initramfs.
 */
#include <config.h>

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
#include <sys/io.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define RNG_ID "1af4:1044"
#define BLK_ID "1af4:1042"
#define BAR_SIZE 0x80000ULL
#define NOTIFY 0x6000
#define QSIZE 16

/* virtio_pci_common_cfg offsets (virtio 1.2 §4.1.4.3). */
#define C_DFSELECT 0x00
#define C_DF 0x04
#define C_GFSELECT 0x08
#define C_GF 0x0c
#define C_MSIX_CONFIG 0x10
#define C_STATUS 0x14
#define C_QSELECT 0x16
#define C_QSIZE 0x18
#define C_QMSIX 0x1a
#define C_QENABLE 0x1c
#define C_QDESC 0x20
#define C_QAVAIL 0x28
#define C_QUSED 0x30

#define S_ACK 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define F_WRITE 2

/* Ring layout inside our locked page. */
#define DESC 0x0
#define AVAIL 0x400
#define USED 0x800
#define BUF 0xc00

static volatile uint8_t *bar;     /* rng's BAR0 where the kernel put it */
static uint8_t *page;
static uint64_t page_pa;
static uint16_t avail_idx;

static void
fail(const char *what)
{
    printf("hostile-platform: FAIL %s (errno %s)\n", what, strerror(errno));
    exit(1);
}

static void
ok(const char *mode, const char *what)
{
    printf("hostile-platform: %s %s ok\n", mode, what);
}

/* Tells the host to look at the VMM now and waits for its "go". */
static void
sync_host(const char *tag)
{
    char line[64];

    printf("hostile-platform: sync %s\n", tag);
    if (!fgets(line, sizeof(line), stdin))
        fail("no answer from the host");
}

static uint32_t
r32(uint64_t off)
{
    return *(volatile uint32_t *)(bar + off);
}

static void
w8(uint64_t off, uint8_t v)
{
    *(volatile uint8_t *)(bar + off) = v;
}

static void
w16(uint64_t off, uint16_t v)
{
    *(volatile uint16_t *)(bar + off) = v;
}

static void
w32(uint64_t off, uint32_t v)
{
    *(volatile uint32_t *)(bar + off) = v;
}

static void
w64(uint64_t off, uint64_t v)
{
    w32(off, (uint32_t)v);
    w32(off + 4, (uint32_t)(v >> 32));
}

/* The sysfs directory of the first function with VENDOR:DEVICE @want. */
static void
find_device(const char *want, char *path, size_t size)
{
    DIR *d = opendir("/sys/bus/pci/devices");
    struct dirent *e;

    if (!d)
        fail("opendir /sys/bus/pci/devices");
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
        snprintf(id, sizeof(id), "%.4s:%.4s", v + 2, dev + 2);
        if (strcmp(id, want) == 0) {
            snprintf(path, size, "/sys/bus/pci/devices/%s", e->d_name);
            closedir(d);
            return;
        }
    }
    closedir(d);
    errno = ENOENT;
    fail(want);
}

/* Config space through sysfs: the kernel does the 0xcf8/ECAM cycles. */
static int
config_open(const char *dev)
{
    char path[600];
    int fd;

    snprintf(path, sizeof(path), "%s/config", dev);
    fd = open(path, O_RDWR);
    if (fd < 0)
        fail("open config");
    return fd;
}

static uint32_t
cfg_read(int fd, unsigned off, unsigned len)
{
    uint32_t v = 0;

    if (pread(fd, &v, len, off) != (ssize_t)len)
        fail("config read");
    return v;
}

static void
cfg_write(int fd, unsigned off, unsigned len, uint32_t v)
{
    if (pwrite(fd, &v, len, off) != (ssize_t)len)
        fail("config write");
}

static uint64_t
bar0_get(int fd)
{
    return (cfg_read(fd, 0x10, 4) & ~0xfULL) |
           (uint64_t)cfg_read(fd, 0x14, 4) << 32;
}

/* Both halves, low first, as a driver does. */
static void
bar0_set(int fd, uint64_t addr)
{
    cfg_write(fd, 0x10, 4, (uint32_t)addr);
    cfg_write(fd, 0x14, 4, (uint32_t)(addr >> 32));
}

static void
unbind(const char *dev)
{
    char path[600];
    const char *bdf = strrchr(dev, '/') + 1;
    int fd;

    snprintf(path, sizeof(path), "%s/driver/unbind", dev);
    fd = open(path, O_WRONLY);
    if (fd >= 0) {
        if (write(fd, bdf, strlen(bdf)) < 0)
            fail("unbind");
        close(fd);
    }
}

static volatile uint8_t *
map_resource0(const char *dev)
{
    char path[600];
    void *p;
    int fd;

    snprintf(path, sizeof(path), "%s/resource0", dev);
    fd = open(path, O_RDWR | O_SYNC);
    if (fd < 0)
        fail("open resource0");
    p = mmap(NULL, BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        fail("mmap resource0");
    close(fd);
    return p;
}

/* Maps @len bytes of guest-physical @pa through /dev/mem (uncached). */
static volatile uint8_t *
map_phys(uint64_t pa, size_t len)
{
    int fd = open("/dev/mem", O_RDWR | O_SYNC);
    void *p;

    if (fd < 0)
        fail("open /dev/mem");
    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)pa);
    if (p == MAP_FAILED)
        fail("mmap /dev/mem");
    close(fd);
    return p;
}

static uint64_t
virt_to_phys(void *p)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    uint64_t e = 0;

    if (fd < 0 || pread(fd, &e, 8, (off_t)((uintptr_t)p / 4096) * 8) != 8)
        fail("read pagemap");
    close(fd);
    if (!(e & (1ULL << 63)) || (e & ((1ULL << 55) - 1)) == 0)
        fail("page not present or PFN hidden");
    return (e & ((1ULL << 55) - 1)) * 4096;
}

static void
lock_page(void)
{
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE, -1, 0);
    if (page == MAP_FAILED || mlock(page, 4096) < 0)
        fail("lock a page");
    page_pa = virt_to_phys(page);
}

static void
msleep(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

    nanosleep(&ts, NULL);
}

/* ---- bars ----------------------------------------------------------------- */

/* Virtio-rng offers no device-specific feature bits (0-23), virtio-blk
 * does (SEG_MAX, BLK_SIZE, FLUSH...); both offer VERSION_1 (bit 32). */
static uint32_t
features_at(volatile uint8_t *b, unsigned sel)
{
    *(volatile uint32_t *)(b + C_DFSELECT) = sel;
    return *(volatile uint32_t *)(b + C_DF);
}

/* The rng decodes at its home address again and answers as itself. */
static void
check_rng_home(const char *what)
{
    if (!(features_at(bar, 1) & 1) || (features_at(bar, 0) & 0xffffff) != 0) {
        printf("hostile-platform: rng not itself after %s\n", what);
        fail(what);
    }
}

/* What the host wrote at the start of the virtio-blk disk, read past the
 * page cache so that the request reaches the device. */
static void
read_disk(void)
{
    static const char magic[] = "hostile-disk-ok";
    void *buf = NULL;
    int fd = open("/dev/vda", O_RDONLY | O_DIRECT);

    if (fd < 0 || posix_memalign(&buf, 4096, 4096) != 0 ||
        pread(fd, buf, 4096, 0) != 4096)
        fail("read /dev/vda");
    if (memcmp(buf, magic, sizeof(magic) - 1) != 0)
        fail("/dev/vda does not hold what the host wrote");
    free(buf);
    close(fd);
}

static void
mode_bars(void)
{
    static const struct {
        const char *name;
        uint64_t addr;
    } outside[] = {
        { "lapic", 0xfee00000 },
        { "ioapic", 0xfec00000 },
        { "ecam", 0xe8000000 },
        { "kvm-tss", 0xf8000000 },
    };
    char rng[320], blk[320];
    volatile uint8_t *free_bar;
    uint64_t home, blk_home, ram;
    int fd, bfd;

    find_device(RNG_ID, rng, sizeof(rng));
    find_device(BLK_ID, blk, sizeof(blk));
    unbind(rng);
    fd = config_open(rng);
    bfd = config_open(blk);
    cfg_write(fd, 4, 2, cfg_read(fd, 4, 2) | 0x6);   /* memory, master */
    bar = map_resource0(rng);
    home = bar0_get(fd);
    blk_home = bar0_get(bfd);
    check_rng_home("start");
    printf("hostile-platform: rng BAR0 0x%llx blk BAR0 0x%llx\n",
           (unsigned long long)home, (unsigned long long)blk_home);
    sync_host("bars-home");

    /* Over our own RAM page: RAM must stay RAM. */
    lock_page();
    memset(page, 0x5a, 4096);
    ram = page_pa & ~(BAR_SIZE - 1);
    bar0_set(fd, ram);
    printf("hostile-platform: bar placed 0x%llx\n", (unsigned long long)ram);
    for (unsigned i = 0; i < 4096; i++) {
        if (page[i] != 0x5a)
            fail("RAM under the BAR changed");
    }
    memset(page, 0xa5, 4096);
    for (unsigned i = 0; i < 4096; i++) {
        if (page[i] != 0xa5)
            fail("RAM under the BAR does not keep writes");
    }
    sync_host("bars-ram");
    bar0_set(fd, home);
    check_rng_home("ram");
    ok("bars", "ram");

    /* Onto the bound virtio-blk's BAR0 (the kernel will not map a BAR its
     * driver holds): blk's driver still reads the disk through it. */
    bar0_set(fd, blk_home);
    read_disk();
    sync_host("bars-blk");
    read_disk();
    bar0_set(fd, home);
    check_rng_home("blk");
    ok("bars", "other-bar");

    /* Outside the host bridge windows: the platform keeps its ranges
     * (the LAPIC timer still wakes us up). */
    for (unsigned i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
        char tag[64];

        bar0_set(fd, outside[i].addr);
        printf("hostile-platform: bar placed 0x%llx\n",
               (unsigned long long)outside[i].addr);
        msleep(20);
        snprintf(tag, sizeof(tag), "bars-%s", outside[i].name);
        sync_host(tag);
        bar0_set(fd, home);
        check_rng_home(outside[i].name);
        ok("bars", outside[i].name);
    }

    /* The sizing pattern left in place with decoding on. */
    cfg_write(fd, 0x10, 4, 0xffffffff);
    cfg_write(fd, 0x14, 4, 0xffffffff);
    if (cfg_read(fd, 0x10, 4) != ((uint32_t)~(BAR_SIZE - 1) | 0x4) ||
        cfg_read(fd, 0x14, 4) != 0xffffffff)
        fail("size mask");
    sync_host("bars-probe");
    bar0_set(fd, home);
    check_rng_home("probe");
    ok("bars", "size-probe");

    /* Only the high half written: a transient the VMM must ride out. */
    cfg_write(fd, 0x14, 4, 0x12);
    cfg_write(fd, 0x14, 4, (uint32_t)(home >> 32));
    check_rng_home("half");
    ok("bars", "half-written");

    /* A free address in the 32-bit window: the BAR decodes there. */
    bar0_set(fd, 0xdff00000ULL & ~(BAR_SIZE - 1));
    free_bar = map_phys(0xdff00000ULL & ~(BAR_SIZE - 1), 0x1000);
    if (!(features_at(free_bar, 1) & 1) ||
        (features_at(free_bar, 0) & 0xffffff) != 0)
        fail("rng does not decode at its new address");
    munmap((void *)free_bar, 0x1000);
    sync_host("bars-moved");
    bar0_set(fd, home);
    check_rng_home("moved");
    ok("bars", "moved");

    /* Memory decoding off and on again leaves it at home. */
    cfg_write(fd, 4, 2, 0);
    cfg_write(fd, 4, 2, 0x6);
    check_rng_home("command");
    close(fd);
    close(bfd);
    ok("bars", "done");
}

/* ---- msix ----------------------------------------------------------------- */

static void
set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags)
{
    uint8_t *d = page + DESC + 16 * i;
    uint16_t next = 0;

    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

/* virtio 1.2 §3.1.1 with VERSION_1 only, queue 0 on our page, its
 * interrupt on MSI-X entry 0. */
static void
rng_init(void)
{
    memset(page, 0, 4096);
    avail_idx = 0;
    w8(C_STATUS, 0);
    w8(C_STATUS, S_ACK | S_DRIVER);
    w32(C_GFSELECT, 0);
    w32(C_GF, 0);
    w32(C_GFSELECT, 1);
    w32(C_GF, 1);
    w8(C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    w16(C_MSIX_CONFIG, 0xffff);
    w16(C_QSELECT, 0);
    w16(C_QSIZE, QSIZE);
    w16(C_QMSIX, 0);
    w64(C_QDESC, page_pa + DESC);
    w64(C_QAVAIL, page_pa + AVAIL);
    w64(C_QUSED, page_pa + USED);
    w16(C_QENABLE, 1);
    w8(C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    if (*(volatile uint16_t *)(bar + C_QMSIX) != 0)
        fail("queue MSI-X vector refused");
}

/* One 16-byte request; the device answers (used index moves) whatever
 * the MSI-X entry says. */
static void
rng_request(const char *what)
{
    volatile uint16_t *used_idx = (volatile uint16_t *)(page + USED + 2);
    uint16_t *avail = (uint16_t *)(page + AVAIL);

    set_desc(0, page_pa + BUF, 16, F_WRITE);
    avail[2 + avail_idx % QSIZE] = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    avail[1] = ++avail_idx;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    w16(NOTIFY, 0);
    for (int i = 0; i < 4000; i++) {
        if (*used_idx == avail_idx)
            return;
        msleep(1);
    }
    printf("hostile-platform: rng did not answer (%s)\n", what);
    fail(what);
}

#define TABLE 0x8000
#define PBA 0x48000

static void
entry(unsigned i, uint64_t addr, uint32_t data, uint32_t ctrl)
{
    w32(TABLE + 16 * i + 12, 1);              /* mask while rewriting */
    w32(TABLE + 16 * i, (uint32_t)addr);
    w32(TABLE + 16 * i + 4, (uint32_t)(addr >> 32));
    w32(TABLE + 16 * i + 8, data);
    w32(TABLE + 16 * i + 12, ctrl);
}

static void
mode_msix(void)
{
    static const struct {
        const char *name;
        uint64_t addr;
        uint32_t data;
    } bad[] = {
        { "addr-low", 0x12345000, 0x41 },
        { "addr-hpet", 0xfed00000, 0x41 },
        { "addr-high-dword", 0x1fee00000ULL, 0x41 },
        { "vector-3", 0xfee00000, 0x03 },
        { "vector-14-lowest", 0xfee00000, 0x10e },
        { "mode-reserved", 0xfee00000, 0x341 },
    };
    char rng[320];
    unsigned cap = 0;
    int fd;

    find_device(RNG_ID, rng, sizeof(rng));
    unbind(rng);
    fd = config_open(rng);
    cfg_write(fd, 4, 2, cfg_read(fd, 4, 2) | 0x6);
    bar = map_resource0(rng);
    if (!page)
        lock_page();
    /* The MSI-X capability (PCI 3.0 §6.8.2). */
    for (unsigned p = cfg_read(fd, 0x34, 1), n = 0; p && n < 48; n++) {
        if (cfg_read(fd, p, 1) == 0x11) {
            cap = p;
            break;
        }
        p = cfg_read(fd, p + 1, 1);
    }
    if (!cap || (cfg_read(fd, cap + 4, 4) & ~7U) != TABLE ||
        (cfg_read(fd, cap + 8, 4) & ~7U) != PBA)
        fail("MSI-X capability");
    cfg_write(fd, cap + 2, 2, 0x8000);        /* enable, not function-masked */
    rng_init();

    /* The device interrupts through each bad entry: dropped, not pending,
     * and the device keeps answering. */
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        entry(0, bad[i].addr, bad[i].data, 0);
        rng_request(bad[i].name);
        rng_request(bad[i].name);
        if (r32(PBA) & 1)
            fail("a dropped message left its pending bit");
        ok("msix", bad[i].name);
    }

    /* Masked: the interrupt is pending; unmasking onto a bad message
     * drops it and clears the bit. */
    entry(0, 0xfee00000, 0x41, 1);
    rng_request("masked");
    if (!(r32(PBA) & 1))
        fail("no pending bit while masked");
    entry(0, 0x12345000, 0x03, 1);
    w32(TABLE + 12, 0);
    if (r32(PBA) & 1)
        fail("pending bit after unmask");
    ok("msix", "pending");

    /* PBA writes and odd table accesses change nothing. */
    w32(PBA, 0xffffffff);
    w32(PBA + 4, 0xffffffff);
    w8(TABLE + 3, 0xff);
    w16(TABLE + 6, 0xffff);
    w32(TABLE + 16 * 4096, 0xffffffff);       /* past the table */
    if (r32(PBA) != 0 || r32(TABLE) != 0x12345000)
        fail("PBA or table changed by a bad write");
    ok("msix", "pba-writes");

    /* Storms: mask flips, entry rewrites good and bad, function mask and
     * enable flips, with the device interrupting in between. */
    for (unsigned i = 0; i < 10000; i++) {
        entry(i % 2, i & 1 ? 0xfee00000 : 0xdead0000, 0x03 + (i & 0x7),
              i & 2 ? 1 : 0);
        if (i % 1000 == 0) {
            rng_request("storm");
            cfg_write(fd, cap + 2, 2, i & 0x800 ? 0xc000 : 0x8000);
        }
    }
    cfg_write(fd, cap + 2, 2, 0x8000);
    entry(0, 0xfee00000, 0x41, 1);
    rng_request("after-storm");
    if (!(r32(PBA) & 1))
        fail("no pending bit after the storm");
    ok("msix", "storm");

    /* Leave it quiet: masked, MSI-X off, device reset. */
    cfg_write(fd, cap + 2, 2, 0);
    w8(C_STATUS, 0);
    close(fd);
    ok("msix", "done");
}

/* ---- storms and floods ---------------------------------------------------- */

static void
mode_pio(unsigned long n)
{
    unsigned ports[32], np = 0;
    static uint8_t buf[4096];

    if (iopl(3) < 0)
        fail("iopl");
    /* Ports nothing claims read all-ones (0x200-0x27f: no ISA cards). */
    for (unsigned p = 0x200; p < 0x280 && np < 32; p += 4) {
        if (inb(p) == 0xff && inl(p) == 0xffffffff)
            ports[np++] = p;
    }
    if (np < 8)
        fail("no unclaimed ports");
    for (unsigned long i = 0; i < n; i++) {
        unsigned p = ports[i % np];

        switch (i % 4) {
        case 0:
            outb((uint8_t)i, p);
            break;
        case 1:
            if (inb(p) != 0xff)
                fail("unclaimed port read not all-ones");
            break;
        case 2:
            outl((uint32_t)i * 2654435761u, p);
            break;
        default:
            if (inw(p) != 0xffff)
                fail("unclaimed port read not all-ones");
        }
    }
    /* String I/O: one exit, many elements. */
    for (unsigned i = 0; i < 16; i++) {
        insb(ports[0], buf, sizeof(buf));
        outsb(ports[1], buf, sizeof(buf));
    }
    for (unsigned i = 0; i < sizeof(buf); i++) {
        if (buf[i] != 0xff)
            fail("rep insb from an unclaimed port");
    }
    printf("hostile-platform: pio %lu accesses on %u ports\n", n, np);
    ok("pio", "storm");
}

static void
mode_mmio(unsigned long n)
{
    /* In the 32-bit window, above every device nimbus placed there. */
    volatile uint8_t *m = map_phys(0xdfe00000, 0x1000);

    for (unsigned long i = 0; i < n; i++) {
        unsigned off = (unsigned)(i * 8) & 0xff8;

        switch (i % 4) {
        case 0:
            *(volatile uint32_t *)(m + off) = (uint32_t)i;
            break;
        case 1:
            if (*(volatile uint32_t *)(m + off) != 0xffffffff)
                fail("unclaimed MMIO read not all-ones");
            break;
        case 2:
            *(volatile uint64_t *)(m + off) = i;
            break;
        default:
            if (*(volatile uint8_t *)(m + off + (i & 7)) != 0xff)
                fail("unclaimed MMIO read not all-ones");
        }
    }
    printf("hostile-platform: mmio %lu accesses\n", n);
    ok("mmio", "storm");
}

static void
mode_serial(unsigned long n)
{
    static const char line[] = "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
                               "zzzzzzzzzzzzzzz\n";

    if (iopl(3) < 0)
        fail("iopl");
    /* Straight into THR, never looking at LSR.THRE. */
    for (unsigned long i = 0; i < n; i++)
        outb((uint8_t)line[i % (sizeof(line) - 1)], 0x3f8);
    outb('\n', 0x3f8);
    printf("hostile-platform: serial %lu bytes\n", n);
    ok("serial", "flood");
}

static void
mode_console(unsigned secs)
{
    static char buf[65536];
    int fd = open("/dev/hvc0", O_WRONLY | O_NONBLOCK | O_NOCTTY);
    time_t end = time(NULL) + secs;
    unsigned long long sent = 0, again = 0;

    if (fd < 0)
        fail("open /dev/hvc0");
    memset(buf, 'c', sizeof(buf));
    while (time(NULL) < end) {
        ssize_t w = write(fd, buf, sizeof(buf));

        if (w > 0) {
            sent += (unsigned long long)w;
        } else if (w == 0 || errno == EAGAIN) {
            again++;
            msleep(1);
        } else {
            fail("write /dev/hvc0");
        }
    }
    close(fd);
    printf("hostile-platform: console %llu bytes (%llu EAGAIN)\n", sent, again);
    ok("console", "flood");
}

int
main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc >= 2 && strcmp(argv[1], "bars") == 0) {
        mode_bars();
    } else if (argc >= 2 && strcmp(argv[1], "msix") == 0) {
        mode_msix();
    } else if (argc == 3 && strcmp(argv[1], "pio") == 0) {
        mode_pio(strtoul(argv[2], NULL, 0));
    } else if (argc == 3 && strcmp(argv[1], "mmio") == 0) {
        mode_mmio(strtoul(argv[2], NULL, 0));
    } else if (argc == 3 && strcmp(argv[1], "serial") == 0) {
        mode_serial(strtoul(argv[2], NULL, 0));
    } else if (argc == 3 && strcmp(argv[1], "console") == 0) {
        mode_console((unsigned)strtoul(argv[2], NULL, 0));
    } else {
        fprintf(stderr, "usage: %s bars|msix|pio N|mmio N|serial N|"
                "console SECONDS\n", argv[0]);
        return 2;
    }
    return 0;
}

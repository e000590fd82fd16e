/* SPDX-License-Identifier: Apache-2.0 */
/* Runs inside a test guest: finds ivshmem, checks the host bytes in BAR2, writes its own. */

/*
 * Usage: ivshmem-guest HOST_PATTERN GUEST_PATTERN
 *
 * Finds the PCI function 1af4:1110 in /sys/bus/pci/devices, enables it
 * (no driver claims it: writing 1 to "enable" turns memory decoding on),
 * checks BAR0's IVPosition (0: not configured for interrupts), maps BAR2
 * (resource2) and checks that HOST_PATTERN is at its start and at the
 * start of its last page, then writes GUEST_PATTERN at offset 4096 and at
 * the last page + 64.  Prints "ivshmem-guest: <step> ok" per step and
 * exits non-zero on the first surprise.  Static, no glib: it runs in the
 * busybox initramfs.
 */
#include <config.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define IVSHMEM_ID "0x1af4 0x1110"

static void
fail(const char *what)
{
    perror(what);
    printf("ivshmem-guest: FAILED: %s\n", what);
    fflush(stdout);
    exit(1);
}

static void
read_line(const char *path, char *buf, size_t size)
{
    FILE *fp = fopen(path, "r");

    buf[0] = 0;
    if (!fp)
        return;
    if (!fgets(buf, (int)size, fp))
        buf[0] = 0;
    fclose(fp);
    buf[strcspn(buf, "\n")] = 0;
}

/* The sysfs directory of the first ivshmem function, in @path. */
static void
find_device(char *path, size_t size)
{
    DIR *d = opendir("/sys/bus/pci/devices");
    struct dirent *e;

    if (!d)
        fail("opendir /sys/bus/pci/devices");
    while ((e = readdir(d))) {
        char f[512], v[16], dev[16], id[40];

        if (e->d_name[0] == '.')
            continue;
        snprintf(f, sizeof(f), "/sys/bus/pci/devices/%s/vendor", e->d_name);
        read_line(f, v, sizeof(v));
        snprintf(f, sizeof(f), "/sys/bus/pci/devices/%s/device", e->d_name);
        read_line(f, dev, sizeof(dev));
        snprintf(id, sizeof(id), "%s %s", v, dev);
        if (strcmp(id, IVSHMEM_ID) == 0) {
            snprintf(path, size, "/sys/bus/pci/devices/%s", e->d_name);
            closedir(d);
            return;
        }
    }
    closedir(d);
    fail("no ivshmem function (1af4:1110)");
}

static volatile uint8_t *
map_resource(const char *dev, int bar, size_t *len)
{
    char path[600];
    struct stat st;
    void *p;
    int fd;

    snprintf(path, sizeof(path), "%s/resource%d", dev, bar);
    fd = open(path, O_RDWR | O_SYNC);
    if (fd < 0 || fstat(fd, &st) < 0)
        fail(path);
    *len = (size_t)st.st_size;
    p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        fail("mmap");
    close(fd);
    return p;
}

int
main(int argc, char **argv)
{
    char dev[300], f[400], class[16], line[128];
    unsigned long long bar0;
    volatile uint8_t *page;
    volatile uint32_t *regs;
    volatile uint8_t *mem;
    size_t regs_len, len, hl, gl, last;
    int fd;

    if (argc != 3)
        fail("usage: ivshmem-guest HOST_PATTERN GUEST_PATTERN");
    hl = strlen(argv[1]);
    gl = strlen(argv[2]);
    find_device(dev, sizeof(dev));
    snprintf(f, sizeof(f), "%s/class", dev);
    read_line(f, class, sizeof(class));
    printf("ivshmem-guest: found %s class %s\n", strrchr(dev, '/') + 1, class);
    if (strcmp(class, "0x050000") != 0)
        fail("class is not 0x050000");
    snprintf(f, sizeof(f), "%s/enable", dev);
    fd = open(f, O_WRONLY);
    if (fd < 0 || write(fd, "1", 1) != 1)
        fail("enable");
    close(fd);
    printf("ivshmem-guest: enable ok\n");

    /* A BAR smaller than a page is mapped with its whole page: the
     * registers start at BAR0's offset in it. */
    snprintf(f, sizeof(f), "%s/resource", dev);
    read_line(f, line, sizeof(line));
    bar0 = strtoull(line, NULL, 16);
    printf("ivshmem-guest: BAR0 at 0x%llx\n", bar0);
    page = map_resource(dev, 0, &regs_len);
    if (regs_len != 256)
        fail("BAR0 is not 256 bytes");
    regs = (volatile uint32_t *)(page + (bar0 & 0xfff));
    printf("ivshmem-guest: IntrMask 0x%x IntrStatus 0x%x IVPosition 0x%x\n",
           regs[0], regs[1], regs[2]);
    if (regs[2] != 0)
        fail("IVPosition is not 0");
    regs[0] = 0xffffffff;                 /* IntrMask: read/write */
    if (regs[0] != 0xffffffff)
        fail("IntrMask does not keep its value");
    regs[0] = 0;
    regs[3] = 0x00010000;                 /* the doorbell: ignored */
    printf("ivshmem-guest: registers ok\n");

    mem = map_resource(dev, 2, &len);
    printf("ivshmem-guest: BAR2 is %zu bytes\n", len);
    last = len - 4096;
    for (size_t i = 0; i < hl; i++) {
        if (mem[i] != (uint8_t)argv[1][i] ||
            mem[last + i] != (uint8_t)argv[1][i])
            fail("the host's pattern is not in BAR2");
    }
    printf("ivshmem-guest: host-pattern ok\n");
    for (size_t i = 0; i < gl; i++) {
        mem[4096 + i] = (uint8_t)argv[2][i];
        mem[last + 64 + i] = (uint8_t)argv[2][i];
    }
    for (size_t i = 0; i < gl; i++) {
        if (mem[4096 + i] != (uint8_t)argv[2][i])
            fail("BAR2 does not keep the guest's bytes");
    }
    printf("ivshmem-guest: guest-pattern written ok\n");
    fflush(stdout);
    return 0;
}

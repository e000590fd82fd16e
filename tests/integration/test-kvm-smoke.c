/* SPDX-License-Identifier: Apache-2.0 */
/* KVM smoke test: raw ioctls, a real-mode vCPU doing port I/O, MMIO, HLT. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <glib.h>

/*
 * This test checks the ground every integration test stands on: that the
 * harness (tests/harness/with-kvm) gives a /dev/kvm that really runs guest
 * code and reports exits the way nimbus' KVM backend expects.  It uses no
 * nimbus code on purpose, so that a failure here points at the machine or
 * the harness, never at the VMM.  Without /dev/kvm it fails: integration
 * tests never skip.
 */

#define GUEST_MEM_SIZE 0x10000 /* one 64 KiB slot at GPA 0 */
#define CODE_GPA 0x1000
#define RESULT_GPA 0x2000
#define STRING_GPA 0x3000
#define MMIO_GPA 0x20010   /* above the slot: an MMIO exit */
#define MAX_EXITS 32
#define RUN_TIMEOUT_S 30   /* per KVM_RUN; a guest spinning forever fails */

#define PORT_OUT8 0x10
#define PORT_OUT16 0x20
#define PORT_IN8 0x30
#define PORT_STRING 0x40
#define IN_VALUE 0x5a

static const char guest_string[] = "nimbus";

/*
 * Real-mode code at CODE_GPA (CS = 0, IP = CODE_GPA).  Encodings from the
 * Intel SDM vol. 2; in real mode the default operand size is 16 bits, so a
 * 0x66 prefix makes a 32-bit access.
 */
static const uint8_t guest_code[] = {
    0xb0, 0x42,                         /* mov al, 0x42                     */
    0xe6, PORT_OUT8,                    /* out 0x10, al        -> exit 1    */
    0xb8, 0x34, 0x12,                   /* mov ax, 0x1234                   */
    0xba, PORT_OUT16, 0x00,             /* mov dx, 0x20                     */
    0xef,                               /* out dx, ax          -> exit 2    */
    0x66, 0xb8, 0xef, 0xbe, 0xad, 0xde, /* mov eax, 0xdeadbeef              */
    0x66, 0xef,                         /* out dx, eax         -> exit 3    */
    0xe4, PORT_IN8,                     /* in al, 0x30         -> exit 4    */
    0xa2, 0x00, 0x20,                   /* mov [0x2000], al                 */
    0xbe, 0x00, 0x30,                   /* mov si, 0x3000                   */
    0xb9, sizeof(guest_string) - 1, 0,  /* mov cx, 6                        */
    0xba, PORT_STRING, 0x00,            /* mov dx, 0x40                     */
    0xfc,                               /* cld                              */
    0xf3, 0x6e,                         /* rep outsb           -> exit 5..  */
    0xb8, 0x00, 0x20,                   /* mov ax, 0x2000                   */
    0x8e, 0xd8,                         /* mov ds, ax                       */
    0xc6, 0x06, 0x10, 0x00, 0x77,       /* mov byte [0x10], 0x77 -> MMIO    */
    0xf4,                               /* hlt                 -> last exit */
};

typedef struct {
    int kvm;
    int vm;
    int vcpu;
    uint8_t *mem;
    struct kvm_run *run;
    size_t run_size;
} Smoke;

static void
on_alarm(int sig)
{
    /* Only interrupts KVM_RUN (EINTR); the caller reports the timeout. */
    (void)sig;
}

static int
kvm_open_dev(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        g_test_message("cannot open /dev/kvm: %s; integration tests run "
                       "through tests/harness/with-kvm, which provides one",
                       g_strerror(errno));
    }
    return fd;
}

static void
smoke_setup(Smoke *s)
{
    struct kvm_userspace_memory_region region;
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    int mmap_size;

    memset(s, 0, sizeof(*s));
    s->kvm = kvm_open_dev();
    g_assert_cmpint(s->kvm, >=, 0);
    g_assert_cmpint(ioctl(s->kvm, KVM_GET_API_VERSION, 0), ==, KVM_API_VERSION);

    s->vm = ioctl(s->kvm, KVM_CREATE_VM, 0);
    if (s->vm < 0) {
        g_test_message("KVM_CREATE_VM: %s", g_strerror(errno));
    }
    g_assert_cmpint(s->vm, >=, 0);

    s->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    g_assert(s->mem != MAP_FAILED);
    memcpy(s->mem + CODE_GPA, guest_code, sizeof(guest_code));
    memcpy(s->mem + STRING_GPA, guest_string, sizeof(guest_string) - 1);

    memset(&region, 0, sizeof(region));
    region.slot = 0;
    region.guest_phys_addr = 0;
    region.memory_size = GUEST_MEM_SIZE;
    region.userspace_addr = (uintptr_t)s->mem;
    g_assert_cmpint(ioctl(s->vm, KVM_SET_USER_MEMORY_REGION, &region), ==, 0);

    s->vcpu = ioctl(s->vm, KVM_CREATE_VCPU, 0);
    g_assert_cmpint(s->vcpu, >=, 0);
    mmap_size = ioctl(s->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    g_assert_cmpint(mmap_size, >=, (int)sizeof(struct kvm_run));
    s->run_size = mmap_size;
    s->run = mmap(NULL, s->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                  s->vcpu, 0);
    g_assert(s->run != MAP_FAILED);

    /* Real mode at 0:CODE_GPA: the reset state has CS.base 0xffff0000. */
    g_assert_cmpint(ioctl(s->vcpu, KVM_GET_SREGS, &sregs), ==, 0);
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    sregs.ds.base = 0;
    sregs.ds.selector = 0;
    sregs.es.base = 0;
    sregs.es.selector = 0;
    g_assert_cmpint(ioctl(s->vcpu, KVM_SET_SREGS, &sregs), ==, 0);
    memset(&regs, 0, sizeof(regs));
    regs.rip = CODE_GPA;
    regs.rflags = 0x2; /* bit 1 is reserved and must be set */
    g_assert_cmpint(ioctl(s->vcpu, KVM_SET_REGS, &regs), ==, 0);
}

static void
smoke_teardown(Smoke *s)
{
    if (s->run && s->run != MAP_FAILED) {
        munmap(s->run, s->run_size);
    }
    if (s->mem && s->mem != MAP_FAILED) {
        munmap(s->mem, GUEST_MEM_SIZE);
    }
    if (s->vcpu > 0) {
        close(s->vcpu);
    }
    if (s->vm > 0) {
        close(s->vm);
    }
    if (s->kvm > 0) {
        close(s->kvm);
    }
}

/* One KVM_RUN, bounded by RUN_TIMEOUT_S; returns the exit reason. */
static uint32_t
smoke_run(Smoke *s)
{
    struct itimerval it = { .it_value = { .tv_sec = RUN_TIMEOUT_S } };
    struct itimerval off = { 0 };
    int r;

    g_assert_cmpint(setitimer(ITIMER_REAL, &it, NULL), ==, 0);
    r = ioctl(s->vcpu, KVM_RUN, 0);
    setitimer(ITIMER_REAL, &off, NULL);
    if (r < 0 && errno == EINTR) {
        g_test_message("the vCPU did not exit within %d s", RUN_TIMEOUT_S);
        g_assert_not_reached();
    }
    if (r < 0) {
        g_test_message("KVM_RUN: %s", g_strerror(errno));
    }
    g_assert_cmpint(r, ==, 0);
    return s->run->exit_reason;
}

static const uint8_t *
io_data(Smoke *s)
{
    return (const uint8_t *)s->run + s->run->io.data_offset;
}

static void
expect_io(Smoke *s, uint8_t dir, uint16_t port, uint8_t size)
{
    g_assert_cmpuint(smoke_run(s), ==, KVM_EXIT_IO);
    g_assert_cmpuint(s->run->io.direction, ==, dir);
    g_assert_cmpuint(s->run->io.port, ==, port);
    g_assert_cmpuint(s->run->io.size, ==, size);
    /* data_offset points into the kvm_run page(s) mapped above. */
    g_assert_cmpuint(s->run->io.data_offset + (uint64_t)size * s->run->io.count,
                     <=, s->run_size);
}

static uint64_t
le_value(const uint8_t *p, unsigned len)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < len; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void
test_api_version(void)
{
    int fd = kvm_open_dev();

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ioctl(fd, KVM_GET_API_VERSION, 0), ==, KVM_API_VERSION);
    /* KVM_CAP_USER_MEMORY is what every VMM needs first. */
    g_assert_cmpint(ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), >, 0);
    close(fd);
}

static void
test_real_mode_exits(void)
{
    g_autoptr(GString) str = g_string_new(NULL);
    struct sigaction sa;
    struct kvm_regs regs;
    Smoke s;
    unsigned n_exits = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    g_assert_cmpint(sigaction(SIGALRM, &sa, NULL), ==, 0);
    smoke_setup(&s);

    /* out 0x10, al */
    expect_io(&s, KVM_EXIT_IO_OUT, PORT_OUT8, 1);
    g_assert_cmpuint(s.run->io.count, ==, 1);
    g_assert_cmphex(io_data(&s)[0], ==, 0x42);

    /* out dx, ax */
    expect_io(&s, KVM_EXIT_IO_OUT, PORT_OUT16, 2);
    g_assert_cmpuint(s.run->io.count, ==, 1);
    g_assert_cmphex(le_value(io_data(&s), 2), ==, 0x1234);

    /* out dx, eax */
    expect_io(&s, KVM_EXIT_IO_OUT, PORT_OUT16, 4);
    g_assert_cmpuint(s.run->io.count, ==, 1);
    g_assert_cmphex(le_value(io_data(&s), 4), ==, 0xdeadbeef);

    /* in al, 0x30: the VMM fills the data before the next KVM_RUN. */
    expect_io(&s, KVM_EXIT_IO_IN, PORT_IN8, 1);
    g_assert_cmpuint(s.run->io.count, ==, 1);
    ((uint8_t *)s.run + s.run->io.data_offset)[0] = IN_VALUE;

    /*
     * rep outsb: KVM batches repetitions into one exit (io.count) as far
     * as its data page allows; accept any split, but every byte must come
     * through, in order.
     */
    while (str->len < sizeof(guest_string) - 1) {
        g_assert_cmpuint(++n_exits, <=, MAX_EXITS);
        expect_io(&s, KVM_EXIT_IO_OUT, PORT_STRING, 1);
        g_assert_cmpuint(s.run->io.count, >=, 1);
        g_string_append_len(str, (const char *)io_data(&s), s.run->io.count);
    }
    g_assert_cmpstr(str->str, ==, guest_string);

    /* mov byte [ds:0x10], 0x77 with DS = 0x2000: no memory slot there. */
    g_assert_cmpuint(smoke_run(&s), ==, KVM_EXIT_MMIO);
    g_assert_cmphex(s.run->mmio.phys_addr, ==, MMIO_GPA);
    g_assert_cmpuint(s.run->mmio.is_write, ==, 1);
    g_assert_cmpuint(s.run->mmio.len, ==, 1);
    g_assert_cmphex(s.run->mmio.data[0], ==, 0x77);

    /* hlt: without an in-kernel irqchip, KVM hands HLT to userspace. */
    g_assert_cmpuint(smoke_run(&s), ==, KVM_EXIT_HLT);

    /* The guest consumed the IN value and stopped right after its hlt. */
    g_assert_cmphex(s.mem[RESULT_GPA], ==, IN_VALUE);
    g_assert_cmpint(ioctl(s.vcpu, KVM_GET_REGS, &regs), ==, 0);
    g_assert_cmphex(regs.rip, ==, CODE_GPA + sizeof(guest_code));
    g_assert_cmphex(regs.rax & 0xffff, ==, 0x2000);
    g_assert_cmphex(regs.rsi & 0xffff, ==, STRING_GPA + sizeof(guest_string) - 1);
    g_assert_cmphex(regs.rcx & 0xffff, ==, 0);

    smoke_teardown(&s);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/kvm/smoke/api-version", test_api_version);
    g_test_add_func("/kvm/smoke/real-mode-exits", test_real_mode_exits);
    return g_test_run();
}

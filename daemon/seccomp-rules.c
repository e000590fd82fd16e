/* SPDX-License-Identifier: Apache-2.0 */
/* seccomp allow-lists: which system calls each thread role may make (docs/seccomp.md). */
#include <config.h>

#include <linux/kvm.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <signal.h>

#include "daemon/seccomp-priv.h"

/*
 * Adding a system call a role needs is one line in one of the sets below;
 * adding a role is one line in role_sets[] (plus the enum entry and name in
 * common/thread-role.{h,c}).  The lists come from reading the code and from
 * strace -f of the unit and integration runs; a call missing here kills the
 * VMM with a log line that names it ("seccomp: ... forbidden system call").
 */
#define ALLOW(sys) { #sys, -1, 0, 0, 0 }
/* Allowed when argument @i equals @v. */
#define ALLOW_EQ(sys, i, v) { #sys, i, SCMP_CMP_EQ, (v), 0 }
/* Allowed when argument @i masked with @m equals @v. */
#define ALLOW_MASKED(sys, i, m, v) { #sys, i, SCMP_CMP_MASKED_EQ, (m), (v) }
#define RULE_SET(name, desc)                                                   \
    const SeccompRuleSet name = { desc, name##_rules,                          \
                                  G_N_ELEMENTS(name##_rules) }

/* ioctl request numbers carry their type in bits 8-15 (_IOC_TYPE). */
#define IOCTL_TYPE_MASK 0xff00
#define IOCTL_TYPE_KVM 0xae00          /* KVMIO */
#define IOCTL_TYPE_TTY_TUN 0x5400      /* 'T': TCGETS, TIOCGWINSZ, TUNSET* */

/*
 * Every thread: memory, locks, time, its own fds, logging (stdio on the
 * log file), thread exit, signal return (the vCPU kick, GLib's SIGTERM
 * handler, which only writes to an eventfd: signals need no thread of
 * their own), and abort() for a g_assert.
 */
static const SeccompRule set_common_rules[] = {
    ALLOW(read), ALLOW(readv), ALLOW(write), ALLOW(writev), ALLOW(close),
    ALLOW(lseek), ALLOW(fstat), ALLOW(newfstatat), ALLOW(statx),
    ALLOW(fcntl), ALLOW(eventfd2), ALLOW(poll), ALLOW(ppoll),
    ALLOW(futex), ALLOW(sched_yield), ALLOW(nanosleep),
    ALLOW(clock_nanosleep), ALLOW(clock_gettime), ALLOW(clock_getres),
    ALLOW(gettimeofday), ALLOW(time),
    ALLOW(mmap), ALLOW(munmap), ALLOW(mprotect), ALLOW(madvise),
    ALLOW(mremap), ALLOW(brk),
    ALLOW(rt_sigprocmask), ALLOW(rt_sigreturn), ALLOW(sigaltstack),
    ALLOW(restart_syscall),
    ALLOW(getpid), ALLOW(gettid), ALLOW(getrandom),
    ALLOW(exit), ALLOW(exit_group), ALLOW(set_robust_list), ALLOW(rseq),
    /* GLib names the threads it starts (prctl is otherwise refused). */
    ALLOW_EQ(prctl, 0, PR_SET_NAME), ALLOW_EQ(prctl, 0, PR_GET_NAME),
    /* abort(): a failed g_assert ends in SIGABRT, not in SIGSYS. */
    ALLOW_EQ(tgkill, 2, SIGABRT),
};
static RULE_SET(set_common, "common");

/* Threads that start GLib's helper threads themselves (GDBus's worker,
 * GLib's "gmain"): only clone() that makes a thread, never a process.
 * clone3() fails with ENOSYS in every filter (seccomp cannot look into
 * its argument struct) and glibc falls back to clone(). */
static const SeccompRule set_threads_rules[] = {
    ALLOW_MASKED(clone, 0, CLONE_THREAD, CLONE_THREAD),
    ALLOW(sched_getaffinity),
    /* g_thread_new() gives the new thread its creator's scheduling. */
    ALLOW(sched_getattr), ALLOW(sched_setattr),
};
static RULE_SET(set_threads, "threads");

/* Files and sockets the control plane opens: the config's paths, the API
 * socket, GLib's files, /dev/kvm, /dev/net/tun, ptys. */
static const SeccompRule set_files_rules[] = {
    ALLOW(openat), ALLOW(open), ALLOW(close_range), ALLOW(dup), ALLOW(dup2),
    ALLOW(dup3), ALLOW(pipe2), ALLOW(pread64), ALLOW(pwrite64),
    ALLOW(preadv), ALLOW(pwritev), ALLOW(ftruncate), ALLOW(fallocate),
    ALLOW(fsync), ALLOW(fdatasync), ALLOW(flock), ALLOW(fstatfs),
    ALLOW(statfs), ALLOW(unlink), ALLOW(unlinkat), ALLOW(rename),
    ALLOW(renameat), ALLOW(renameat2), ALLOW(mkdir), ALLOW(mkdirat),
    ALLOW(readlink), ALLOW(readlinkat), ALLOW(access), ALLOW(faccessat),
    ALLOW(faccessat2), ALLOW(getdents64), ALLOW(getcwd), ALLOW(fchmod),
    ALLOW(fchmodat), ALLOW(chmod), ALLOW(umask), ALLOW(memfd_create),
    ALLOW(uname), ALLOW(sysinfo), ALLOW(getuid), ALLOW(geteuid),
    ALLOW(getgid), ALLOW(getegid), ALLOW(prlimit64), ALLOW(getrlimit),
    ALLOW(sched_setaffinity), ALLOW(timerfd_create), ALLOW(timerfd_settime),
    ALLOW(epoll_create1), ALLOW(epoll_ctl), ALLOW(epoll_wait),
    ALLOW(epoll_pwait),
    /* A memory zone's host_numa_node (daemon/memory.c). */
    ALLOW(mbind),
};
static RULE_SET(set_files, "files");

static const SeccompRule set_sockets_rules[] = {
    ALLOW(socket), ALLOW(socketpair), ALLOW(bind), ALLOW(listen),
    ALLOW(connect), ALLOW(accept4), ALLOW(getsockname), ALLOW(getpeername),
    ALLOW(getsockopt), ALLOW(setsockopt), ALLOW(sendmsg), ALLOW(recvmsg),
    ALLOW(sendto), ALLOW(recvfrom), ALLOW(shutdown),
};
static RULE_SET(set_sockets, "sockets");

/* The control plane's ioctls: KVM's system, VM and vCPU ones, TUN/TAP,
 * terminals, block-device sizes, FIONBIO: any request. */
static const SeccompRule set_ioctl_any_rules[] = {
    ALLOW(ioctl),
};
static RULE_SET(set_ioctl_any, "any ioctl");

/* The control thread signals vCPU threads (kick) and sets signal
 * handlers (GLib's SIGTERM/SIGINT, the kick handler). */
static const SeccompRule set_signals_rules[] = {
    ALLOW(rt_sigaction), ALLOW(tgkill), ALLOW(kill),
};
static RULE_SET(set_signals, "signals");

/* io_uring rings: created at activation (vCPU or control thread),
 * submitted to by blk workers, probed by vmm.ping. */
static const SeccompRule set_io_uring_rules[] = {
    ALLOW(io_uring_setup), ALLOW(io_uring_register), ALLOW(io_uring_enter),
};
static RULE_SET(set_io_uring, "io_uring");

/*
 * vCPU threads: KVM_RUN and the other KVM ioctls (register dumps, irqfd,
 * ioeventfd and GSI routing when the guest activates a device), TUN
 * offloads the guest negotiates, and what device emulation does on the
 * vCPU thread: virtio activation makes eventfds and io_uring rings and asks
 * the spawner for workers (futex), reset stops and joins them.
 */
static const SeccompRule set_vcpu_rules[] = {
    ALLOW_MASKED(ioctl, 1, IOCTL_TYPE_MASK, IOCTL_TYPE_KVM),
    ALLOW_MASKED(ioctl, 1, IOCTL_TYPE_MASK, IOCTL_TYPE_TTY_TUN),
    ALLOW(pread64), ALLOW(pwrite64),
};
static RULE_SET(set_vcpu, "vcpu");

/* Console output (devices/char/chardev.c): the writing thread (a vCPU for
 * the serial port, the virtio-console worker) writes to the backend's fd
 * directly while it takes the bytes; a socket backend uses send(). */
static const SeccompRule set_chardev_out_rules[] = {
    ALLOW(sendto),
};
static RULE_SET(set_chardev_out, "console output");

/* The REST API: a UNIX socket, requests with SCM_RIGHTS fds. */
static const SeccompRule set_http_rules[] = {
    ALLOW(accept4), ALLOW(recvmsg), ALLOW(sendmsg), ALLOW(sendto),
    ALLOW(recvfrom), ALLOW(shutdown), ALLOW(getsockopt),
};
static RULE_SET(set_http, "http-api");

/* GDBus: connects to the bus, authenticates (uid, machine id), and reads
 * a few files read-only. */
static const SeccompRule set_dbus_rules[] = {
    ALLOW_MASKED(openat, 2, O_ACCMODE, O_RDONLY),
    ALLOW(uname), ALLOW(getuid), ALLOW(geteuid), ALLOW(getgid),
    ALLOW(getegid), ALLOW(access), ALLOW(faccessat), ALLOW(faccessat2),
    ALLOW(readlink), ALLOW(getdents64), ALLOW(pipe2),
    /* GDBus's worker ignores SIGPIPE once it starts. */
    ALLOW_EQ(rt_sigaction, 0, SIGPIPE),
};
static RULE_SET(set_dbus, "dbus-api");

/* Landlock (daemon/landlock.c): every thread alive at vm.create
 * restricts itself with the ruleset the VMM thread built. */
static const SeccompRule set_landlock_rules[] = {
    ALLOW(landlock_restrict_self),
    ALLOW_EQ(prctl, 0, PR_GET_NO_NEW_PRIVS),
    ALLOW_EQ(prctl, 0, PR_SET_NO_NEW_PRIVS),
};
static RULE_SET(set_landlock, "landlock");

/* ... and the VMM thread builds that ruleset. */
static const SeccompRule set_landlock_build_rules[] = {
    ALLOW(landlock_create_ruleset), ALLOW(landlock_add_rule),
};
static RULE_SET(set_landlock_build, "landlock ruleset");

/* Interrupts a worker raises when it completes requests: through an irqfd
 * (an eventfd write) normally, but a legacy INTx line or an MSI without a
 * route is an ioctl on the VM fd (devices/device-host.h irq_set,
 * signal_msi). */
static const SeccompRule set_worker_irq_rules[] = {
    ALLOW_EQ(ioctl, 1, KVM_IRQ_LINE), ALLOW_EQ(ioctl, 1, KVM_SIGNAL_MSI),
};
static RULE_SET(set_worker_irq, "worker interrupts");

/* virtio-blk queue workers: the io_uring submitter and completion reaper,
 * or the synchronous engine's calls; a qcow2 image grows (ftruncate) when
 * a cluster is allocated past its end. */
static const SeccompRule set_blk_rules[] = {
    ALLOW(io_uring_enter), ALLOW(preadv), ALLOW(pwritev), ALLOW(preadv2),
    ALLOW(pwritev2), ALLOW(pread64), ALLOW(pwrite64), ALLOW(fdatasync),
    ALLOW(fsync), ALLOW(fallocate), ALLOW(ftruncate),
    /* The rate limiter's timer (devices/virtio/rate-limiter.h). */
    ALLOW(timerfd_settime),
};
static RULE_SET(set_blk, "virtio-blk");

/* virtio-balloon: inflated and reported pages leave the host by
 * madvise() (common) or, for shared memory, a hole punched in its memfd. */
static const SeccompRule set_balloon_rules[] = {
    ALLOW(fallocate),
};
static RULE_SET(set_balloon, "virtio-balloon");

/* virtio-vsock: host clients arrive on its listening socket, guest
 * connections open UNIX sockets; every connection is in one epoll set. */
static const SeccompRule set_vsock_rules[] = {
    ALLOW_EQ(socket, 0, AF_UNIX), ALLOW(connect), ALLOW(accept4),
    ALLOW(sendto), ALLOW(sendmsg), ALLOW(recvfrom), ALLOW(recvmsg),
    ALLOW(shutdown), ALLOW(epoll_ctl), ALLOW(epoll_wait), ALLOW(epoll_pwait),
};
static RULE_SET(set_vsock, "virtio-vsock");

/* virtio-pmem: a flush request writes the file's dirty pages back. */
static const SeccompRule set_pmem_rules[] = {
    ALLOW(fdatasync),
};
static RULE_SET(set_pmem, "virtio-pmem");

/* vhost-user front ends (devices/virtio/vhost-user.c): the vCPU thread
 * that activates, resets or pauses a device sends requests to the back
 * end and reads its replies (recv() is recvfrom). */
static const SeccompRule set_vhost_user_rules[] = {
    ALLOW(sendmsg), ALLOW(recvfrom),
};
static RULE_SET(set_vhost_user, "vhost-user requests");

/* virtio-net queue pairs: TAP reads and writes, or a socket backend. */
static const SeccompRule set_net_rules[] = {
    ALLOW(recvmsg), ALLOW(sendmsg), ALLOW(recvfrom), ALLOW(sendto),
    /* The rate limiters' timer (devices/virtio/rate-limiter.h). */
    ALLOW(timerfd_settime),
};
static RULE_SET(set_net, "virtio-net");

/* TUN offloads and queue counts the guest sets on the control queue. */
static const SeccompRule set_tun_tty_rules[] = {
    ALLOW_MASKED(ioctl, 1, IOCTL_TYPE_MASK, IOCTL_TYPE_TTY_TUN),
};
static RULE_SET(set_tun_tty, "TUN and tty ioctls");

/* Live migration (daemon/migration.c): connects or accepts one
 * connection (UNIX or TCP), sends or receives guest memory, memory fds
 * (SCM_RIGHTS) and JSON over it, and reads KVM's dirty-page log. */
static const SeccompRule set_migration_rules[] = {
    /* GLib's g_socket_accept() calls accept(), not accept4(). */
    ALLOW(accept),
    ALLOW_EQ(ioctl, 1, KVM_GET_DIRTY_LOG),
};
static RULE_SET(set_migration, "migration");

/* Only the thread-creating baseline (the spawner, and any thread before
 * it narrows itself) may install filters: a role's thread cannot. */
static const SeccompRule seccomp_set_baseline_only_rules[] = {
    ALLOW_EQ(seccomp, 0, SECCOMP_SET_MODE_FILTER),
};
RULE_SET(seccomp_set_baseline_only, "baseline");

#define SETS(...) { &set_common, __VA_ARGS__, NULL }
/* One line per role: its list is the union of these sets. */
static const SeccompRuleSet *const role_sets[THREAD_ROLE_LAST][12] = {
    [THREAD_ROLE_VMM] = SETS(&set_threads, &set_files, &set_sockets,
                             &set_ioctl_any, &set_signals, &set_io_uring,
                             &set_landlock, &set_landlock_build),
    [THREAD_ROLE_VCPU] = SETS(&set_vcpu, &set_io_uring, &set_chardev_out,
                              &set_vhost_user),
    [THREAD_ROLE_HTTP_API] = SETS(&set_http, &set_landlock),
    [THREAD_ROLE_DBUS_API] = SETS(&set_threads, &set_sockets, &set_dbus,
                                  &set_landlock),
    [THREAD_ROLE_EVENT_MONITOR] = SETS(NULL),
    [THREAD_ROLE_VIRTIO_BLK] = SETS(&set_worker_irq, &set_blk),
    [THREAD_ROLE_VIRTIO_NET] = SETS(&set_worker_irq, &set_net),
    [THREAD_ROLE_VIRTIO_NET_CTL] = SETS(&set_worker_irq, &set_tun_tty),
    [THREAD_ROLE_VIRTIO_CONSOLE] = SETS(&set_worker_irq, &set_chardev_out),
    [THREAD_ROLE_VIRTIO_RNG] = SETS(&set_worker_irq),
    [THREAD_ROLE_VIRTIO_BALLOON] = SETS(&set_worker_irq, &set_balloon),
    [THREAD_ROLE_MIGRATION] = SETS(&set_sockets, &set_migration),
    [THREAD_ROLE_VIRTIO_VSOCK] = SETS(&set_worker_irq, &set_vsock),
    [THREAD_ROLE_VIRTIO_PMEM] = SETS(&set_worker_irq, &set_pmem),
    /* Its clock runs on the control thread (devices/watchdog-timer.h). */
    [THREAD_ROLE_VIRTIO_WATCHDOG] = SETS(&set_worker_irq),
    /* Reads the back end's eventfds, raises MSI-X: nothing of its own. */
    [THREAD_ROLE_VIRTIO_VHOST_USER] = SETS(&set_worker_irq),
    /* Requests change in-memory tables only: nothing of its own. */
    [THREAD_ROLE_VIRTIO_IOMMU] = SETS(&set_worker_irq),
};

const SeccompRuleSet *const *
seccomp_role_sets(ThreadRole role)
{
    g_return_val_if_fail(role < THREAD_ROLE_LAST, NULL);
    return role_sets[role];
}

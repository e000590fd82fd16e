/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: port 0xe9 console output, floods into a peer that never reads. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/char/chardev-priv.h"
#include "devices/legacy/legacy.h"
#include "tests/fuzz/access-records.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    FakeHost *vm;
    VmmDevice *dev;
    int peer;             /* the other end of the backend's socket */
} Fx;

/* Input: access records (tests/fuzz/access-records.h) at the console's port.
 * The special record's argument picks: 0 snapshot (save, restore),
 * 1 a burst of value & 0xffff bytes (a guest flooding the port: the
 * backend's peer is only read by 2, so writes must never block the
 * vCPU), 2 drain the peer, 3 run the main context. */
static void
special(gpointer opaque, uint8_t arg, uint32_t value)
{
    Fx *f = opaque;
    char buf[4096];

    switch (arg & 3) {
    case 0:
        fuzz_access_save_restore(f->dev);
        break;
    case 1:
        for (uint32_t n = 0; n < (value & 0xffff); n++)
            fake_host_outb(f->vm, DEBUG_CONSOLE_DEFAULT_IOBASE, (uint8_t)n);
        break;
    case 2:
        while (recv(f->peer, buf, sizeof(buf), MSG_DONTWAIT) > 0)
            ;
        break;
    default:
        fake_host_iterate(f->vm);
        break;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    Fx f = { .vm = vm };
    int sv[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                    ==, 0);
    f.peer = sv[1];
    f.dev = debug_console_new(fake_host_base(vm), "__debug_console",
                              DEBUG_CONSOLE_DEFAULT_IOBASE,
                              chardev_new_fds("debug-console", -1, sv[0],
                                              fake_host_context(vm)));
    g_assert_true(fake_host_add(vm, f.dev, NULL));
    fuzz_access_run(vm, f.dev, FUZZ_ACCESS_PIO, DEBUG_CONSOLE_DEFAULT_IOBASE,
                    data, size, special, &f);
    /* The host goes first: the backend must not depend on the peer. */
    g_clear_pointer(&vm, fake_host_free);
    close(sv[1]);
    return 0;
}

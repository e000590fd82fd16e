/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: virtio-vsock packets on hostile rings, through the multiplexer. */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/virtio/vsock-priv.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUEST_CID 3

/*
 * Input: one byte, whose low nibble k says how many chains are TX
 * packets (the rest are RX buffers the device fills), then a ring as
 * td_fuzz_load() builds it.  TX chains go through the header parser and
 * the multiplexer: any op, port, type, CID, length and credit; a REQUEST
 * for host port 5000 reaches a real listener ("<socket>_5000"), so
 * established connections, data, credit and shutdown are reached too.
 * RX chains of any shape are filled with what the multiplexer has for the
 * guest.  Connections start afresh with each input.  The device may
 * refuse a chain; it must never write outside a buffer or crash.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static GuestMemory *mem;
    static FakeHost *host;
    static VsockMux *mux;
    static VirtQueueElem *elem;
    static int listener = -1;
    VirtQueue vq;
    unsigned n_tx, i = 0;
    int r;

    if (!mem) {
        g_autoptr(GError) error = NULL;
        g_autofree char *sock = g_build_filename(test_tmpdir(), "v", NULL);
        g_autofree char *port = g_strdup_printf("%s_5000", sock);
        g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(port);
        GSocket *s = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_DEFAULT, &error);

        g_assert_no_error(error);
        g_assert_true(g_socket_bind(s, addr, TRUE, &error));
        g_assert_true(g_socket_listen(s, &error));
        g_socket_set_blocking(s, FALSE);
        listener = g_socket_get_fd(s);         /* kept for the process */
        mem = td_memory_new();
        host = fake_host_new_with_memory(mem);
        mux = vsock_mux_new(GUEST_CID, sock, -1);
        elem = virtqueue_elem_new(64);
    }
    if (size < 1)
        return 0;
    n_tx = data[0] & 0x0f;
    if (!td_fuzz_load(fake_host_base(host), &vq, data + 1, size - 1))
        return 0;
    vsock_mux_reset(mux);
    while ((r = virtqueue_pop(&vq, elem)) == 0) {
        if (i++ < n_tx) {
            VsockHdr hdr;

            if (vsock_hdr_parse(elem, &hdr) < 0)
                break;          /* the device would be NEEDS_RESET now */
            vsock_mux_from_guest(mux, &hdr, elem);
            virtqueue_push(&vq, elem, 0);
            continue;
        }
        if (!vsock_mux_has_rx(mux)) {
            virtqueue_unpop(&vq);
            break;
        }
        r = vsock_mux_fill_rx(mux, elem);
        if (r < 0)
            break;
        if (r == 0) {
            virtqueue_unpop(&vq);
            break;
        }
        virtqueue_push(&vq, elem, (uint32_t)r);
    }
    vsock_mux_on_epoll(mux);
    /* The host side accepts and drops what the guest connected. */
    for (int fd; (fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC)) >= 0;)
        fd_close(fd);
    return 0;
}

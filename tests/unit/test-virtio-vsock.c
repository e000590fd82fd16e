/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for virtio-vsock: config, handshakes, credit, shutdown, hostile packets. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/registry.h"
#include "devices/virtio/vsock-priv.h"
#include "devices/virtio/vsock.h"
#include "devices/virtio/worker.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define QSIZE 64
#define GUEST_CID 3
#define RXBUF 1024

static const VmConfigKind *
kind(void)
{
    return virtio_vsock_type.kind;
}

static VmConfig *
config_with(const char *cli, GError **error)
{
    g_autoptr(VmConfig) c = vm_config_new();
    gpointer entry = vm_config_kind_parse_cli(kind(), cli, error);

    if (!entry)
        return NULL;
    c->payload.kernel = g_strdup("vmlinux");
    vm_config_kind_append(c, kind(), entry);
    if (!vm_config_validate(c, error))
        return NULL;
    return g_steal_pointer(&c);
}

static void
test_config(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = config_with("cid=42,socket=/run/v.sock", &error);
    g_autoptr(VmConfig) back = NULL;
    g_autofree char *json = NULL;
    gconstpointer e;

    g_assert_no_error(error);
    e = vm_config_kind_entry(c, kind(), 0);
    g_assert_cmpstr(vm_config_kind_id(kind(), e), ==, "_vsock0");
    g_assert_cmpuint(virtio_vsock_config_cid(e), ==, 42);
    g_assert_cmpstr(virtio_vsock_config_socket(e), ==, "/run/v.sock");
    json = vm_config_to_json(c, false);
    g_assert_nonnull(strstr(json, "\"vsock\":{\"cid\":42,"
                            "\"socket\":\"/run/v.sock\""));
    back = vm_config_from_json(json, -1, &error);
    g_assert_no_error(error);
    g_assert_true(vm_config_validate(back, &error));
    g_assert_cmpuint(virtio_vsock_config_cid(
        vm_config_kind_entry(back, kind(), 0)), ==, 42);
    g_assert_false(back->iommu);
    g_clear_pointer(&c, vm_config_free);
    g_clear_pointer(&back, vm_config_free);
    g_clear_pointer(&json, g_free);

    /* CH's iommu=on: behind the virtio-iommu, which it brings along. */
    c = config_with("cid=42,socket=/run/v.sock,iommu=on", &error);
    g_assert_no_error(error);
    g_assert_true(c->iommu);
    json = vm_config_to_json(c, false);
    g_assert_nonnull(strstr(json, "\"socket\":\"/run/v.sock\",\"iommu\":true,"));
}

static void
test_config_refusals(void)
{
    static const struct {
        const char *json;
        const char *message;
    } bad[] = {
        { "{\"payload\":{\"kernel\":\"k\"},\"vsock\":{\"socket\":\"/s\"}}",
          "vsock.cid: required field missing" },
        { "{\"payload\":{\"kernel\":\"k\"},\"vsock\":{\"cid\":3}}",
          "vsock.socket: required field missing" },
        { "{\"payload\":{\"kernel\":\"k\"},\"vsock\":{\"cid\":2,"
          "\"socket\":\"/s\"}}", "vsock.cid" },
        { "{\"payload\":{\"kernel\":\"k\"},\"vsock\":{\"cid\":4294967295,"
          "\"socket\":\"/s\"}}", "vsock.cid" },
        { "{\"payload\":{\"kernel\":\"k\"},\"vsock\":{\"cid\":3,"
          "\"socket\":\"\"}}", "socket must not be empty" },
        { "{\"payload\":{\"kernel\":\"k\"},\"vsock\":[]}",
          "vsock: expected an object" },
    };
    g_autoptr(GError) error = NULL;
    g_autofree char *long_path = g_strnfill(100, 'a');
    g_autofree char *long_json = g_strdup_printf(
        "{\"payload\":{\"kernel\":\"k\"},\"vsock\":{\"cid\":3,"
        "\"socket\":\"/%s\"}}", long_path);
    g_autoptr(VmConfig) c = NULL;

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(VmConfig) b = vm_config_from_json(bad[i].json, -1, &error);

        if (b)
            g_assert_false(vm_config_validate(b, &error));
        g_test_message("%s -> %s", bad[i].json,
                       error ? error->message : "(accepted)");
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error->message, bad[i].message));
        g_clear_error(&error);
    }
    c = vm_config_from_json(long_json, -1, &error);
    g_assert_no_error(error);
    g_assert_false(vm_config_validate(c, &error));
    g_assert_nonnull(strstr(error->message, "too long for a UNIX socket"));
    g_clear_error(&error);
    /* The CLI names what is missing. */
    g_assert_null(config_with("cid=3", &error));
    g_assert_nonnull(strstr(error->message, "socket"));
}

/* vm.add-vsock's config half: one vsock at most, checked as vm.create. */
static void
test_add_config(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_new();
    g_autoptr(JsonNode) body = json_from_string(
        "{\"cid\":5,\"socket\":\"/run/a.sock\"}", NULL);
    g_autoptr(JsonNode) bad = json_from_string(
        "{\"cid\":1,\"socket\":\"/run/a.sock\"}", NULL);

    /* vm.add-* runs the host checks too: the kernel must exist. */
    c->payload.kernel = g_build_filename(test_tmpdir(), "vmlinux", NULL);
    g_assert_true(g_file_set_contents(c->payload.kernel, "", 0, NULL));
    g_assert_false(device_registry_add_config(&c, "vsock", bad, NULL, 0,
                                              &error));
    g_assert_nonnull(strstr(error->message, "cid"));
    g_assert_cmpuint(vm_config_kind_count(c, kind()), ==, 0);
    g_clear_error(&error);
    g_assert_true(device_registry_add_config(&c, "vsock", body, NULL, 0,
                                             &error));
    g_assert_no_error(error);
    g_assert_cmpuint(vm_config_kind_count(c, kind()), ==, 1);
    g_assert_false(device_registry_add_config(&c, "vsock", body, NULL, 0,
                                              &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_clear_error(&error);
    /* Hot-removable too. */
    g_assert_true(device_registry_detach(&c, "_vsock0", &error));
    g_assert_cmpuint(vm_config_kind_count(c, kind()), ==, 0);
}

/* Hostile chains never parse as packets. */
static void
test_hdr_parse(void)
{
    g_autoptr(VirtQueueElem) e = virtqueue_elem_new(4);
    struct virtio_vsock_hdr w = { 0 };
    uint8_t buf[sizeof(w) + 8];
    VsockHdr h;

    memset(&w, 0, sizeof(w));
    w.src_cid = GUINT64_TO_LE(3);
    w.len = GUINT32_TO_LE(8);
    memcpy(buf, &w, sizeof(w));
    e->iov[0].iov_base = buf;
    e->iov[0].iov_len = sizeof(buf);
    e->out_num = 1;
    e->out_len = sizeof(buf);
    g_assert_cmpint(vsock_hdr_parse(e, &h), ==, 0);
    g_assert_cmpuint(h.src_cid, ==, 3);
    g_assert_cmpuint(h.len, ==, 8);
    /* len beyond the chain */
    w.len = GUINT32_TO_LE(9);
    memcpy(buf, &w, sizeof(w));
    g_assert_cmpint(vsock_hdr_parse(e, &h), ==, -EINVAL);
    w.len = GUINT32_TO_LE(G_MAXUINT32);
    memcpy(buf, &w, sizeof(w));
    g_assert_cmpint(vsock_hdr_parse(e, &h), ==, -EINVAL);
    /* shorter than a header */
    e->iov[0].iov_len = e->out_len = sizeof(w) - 1;
    g_assert_cmpint(vsock_hdr_parse(e, &h), ==, -EINVAL);
    /* a device-writable buffer in a TX chain */
    e->iov[0].iov_len = e->out_len = sizeof(buf);
    w.len = 0;
    memcpy(buf, &w, sizeof(w));
    e->iov[1] = e->iov[0];
    e->in_num = 1;
    e->in_len = sizeof(buf);
    g_assert_cmpint(vsock_hdr_parse(e, &h), ==, -EINVAL);
}

typedef struct {
    GuestMemory *mem;
    FakeHost *host;
    VirtioDevice *vdev;
    TdRing rings[3];
    uint64_t rx_addr[QSIZE];      /* buffer of each rx head */
    char *socket;
    VmConfig *config;
} Fixture;

static void
rx_post(Fixture *f, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = td_alloc(&f->rings[0], RXBUF);
        uint32_t len = RXBUF;
        uint16_t head = td_add_chain(&f->rings[0], &a, &len, 1, 0);

        f->rx_addr[head] = a;
        td_publish(&f->rings[0], head);
    }
    virtio_eventfd_signal(f->vdev->kick_fds[0]);
}

static void
fixture_start(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *cli = NULL;

    f->socket = g_build_filename(test_tmpdir(), "vsock.sock", NULL);
    cli = g_strdup_printf("cid=%u,socket=%s", GUEST_CID, f->socket);
    f->config = config_with(cli, &error);
    g_assert_no_error(error);
    f->mem = td_memory_new();
    f->host = fake_host_new_with_memory(f->mem);
    f->vdev = virtio_vsock_new(fake_host_base(f->host),
                               vm_config_kind_entry(f->config, kind(), 0),
                               &error);
    g_assert_no_error(error);
    g_assert_cmpuint(f->vdev->ops->device_type, ==, VIRTIO_ID_VSOCK);
    g_assert_cmpuint(f->vdev->nvqs, ==, 3);
    for (unsigned q = 0; q < 3; q++)
        td_ring_init(&f->rings[q], f->mem, 0x10000 + q * 0x100000, 0x100000,
                     QSIZE);
    td_device_start(f->vdev, f->rings, 3);
    rx_post(f, 16);
}

static void
fixture_stop(Fixture *f)
{
    virtio_device_free(f->vdev);
    /* The device's socket file went with it. */
    g_assert_false(g_file_test(f->socket, G_FILE_TEST_EXISTS));
    fake_host_free(f->host);
    guest_memory_free(f->mem);
    vm_config_free(f->config);
    g_free(f->socket);
}

/* The next packet for the guest; its payload (up to @max) into @data. */
static bool
rx_next(Fixture *f, VsockHdr *h, void *data, size_t max)
{
    struct virtio_vsock_hdr w;
    uint32_t id, len;
    const uint8_t *p;

    if (!td_wait_used(&f->rings[0], 1, 5000))
        return false;
    g_assert_true(td_get_used(&f->rings[0], &id, &len));
    g_assert_cmpuint(len, >=, VSOCK_HDR_SIZE);
    p = td_ptr(f->mem, f->rx_addr[id], len);
    memcpy(&w, p, sizeof(w));
    h->src_cid = GUINT64_FROM_LE(w.src_cid);
    h->dst_cid = GUINT64_FROM_LE(w.dst_cid);
    h->src_port = GUINT32_FROM_LE(w.src_port);
    h->dst_port = GUINT32_FROM_LE(w.dst_port);
    h->len = GUINT32_FROM_LE(w.len);
    h->type = GUINT16_FROM_LE(w.type);
    h->op = GUINT16_FROM_LE(w.op);
    h->flags = GUINT32_FROM_LE(w.flags);
    h->buf_alloc = GUINT32_FROM_LE(w.buf_alloc);
    h->fwd_cnt = GUINT32_FROM_LE(w.fwd_cnt);
    g_assert_cmpuint(len, ==, VSOCK_HDR_SIZE + h->len);
    g_assert_cmpuint(h->len, <=, max);
    if (h->len)
        memcpy(data, p + VSOCK_HDR_SIZE, h->len);
    /* Keep the guest's supply of buffers. */
    rx_post(f, 1);
    return true;
}

static void
expect_rx(Fixture *f, uint16_t op, uint32_t src_port, uint32_t dst_port,
          VsockHdr *h)
{
    VsockHdr tmp;
    uint8_t data[RXBUF];

    if (!h)
        h = &tmp;
    g_assert_true(rx_next(f, h, data, sizeof(data)));
    g_assert_cmpuint(h->op, ==, op);
    g_assert_cmpuint(h->src_cid, ==, VSOCK_HOST_CID);
    g_assert_cmpuint(h->dst_cid, ==, GUEST_CID);
    g_assert_cmpuint(h->type, ==, VIRTIO_VSOCK_TYPE_STREAM);
    /* 0: a host port the device picks (a host-initiated REQUEST). */
    if (src_port)
        g_assert_cmpuint(h->src_port, ==, src_port);
    g_assert_cmpuint(h->dst_port, ==, dst_port);
}

/* One guest packet on txq, with the guest's credit fields. */
static void
tx_send_full(Fixture *f, uint64_t src_cid, uint16_t type, uint16_t op,
             uint32_t src_port, uint32_t dst_port, uint32_t flags,
             uint32_t buf_alloc, uint32_t fwd_cnt, const void *data,
             uint32_t len)
{
    struct virtio_vsock_hdr w = {
        .src_cid = GUINT64_TO_LE(src_cid),
        .dst_cid = GUINT64_TO_LE(VSOCK_HOST_CID),
        .src_port = GUINT32_TO_LE(src_port),
        .dst_port = GUINT32_TO_LE(dst_port),
        .len = GUINT32_TO_LE(len),
        .type = GUINT16_TO_LE(type),
        .op = GUINT16_TO_LE(op),
        .flags = GUINT32_TO_LE(flags),
        .buf_alloc = GUINT32_TO_LE(buf_alloc),
        .fwd_cnt = GUINT32_TO_LE(fwd_cnt),
    };
    TdRing *r = &f->rings[1];
    uint32_t total = (uint32_t)sizeof(w) + len, id, used;
    uint64_t a = td_alloc(r, total);
    uint8_t *p = td_ptr(f->mem, a, total);
    uint16_t head;

    memcpy(p, &w, sizeof(w));
    if (len)
        memcpy(p + sizeof(w), data, len);
    head = td_add_chain(r, &a, &total, 1, 1);
    td_publish(r, head);
    virtio_eventfd_signal(f->vdev->kick_fds[1]);
    g_assert_true(td_wait_used(r, 1, 5000));
    g_assert_true(td_get_used(r, &id, &used));
    g_assert_cmpuint(id, ==, head);
}

static void
tx_send(Fixture *f, uint16_t op, uint32_t src_port, uint32_t dst_port,
        uint32_t flags, uint32_t fwd_cnt, const void *data, uint32_t len)
{
    tx_send_full(f, GUEST_CID, VIRTIO_VSOCK_TYPE_STREAM, op, src_port,
                 dst_port, flags, 65536, fwd_cnt, data, len);
}

static int
unix_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return fd;
}

/* Reads exactly @len bytes (5 s at most). */
static void
read_exact(int fd, void *buf, size_t len)
{
    struct timeval tv = { .tv_sec = 5 };
    size_t got = 0;

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);

        g_assert_cmpint(n, >, 0);
        got += (size_t)n;
    }
}

/* Host-initiated: CONNECT/OK, data both ways, half-close, close. */
static void
test_host_connect(void)
{
    Fixture f = { 0 };
    g_autofd_t fd = -1;
    char line[32] = { 0 }, data[RXBUF];
    VsockHdr h;
    uint32_t host_port;
    g_autofree char *ok = NULL;

    fixture_start(&f);
    fd = unix_connect(f.socket);
    /* The first data travels in the same write as the command. */
    g_assert_cmpint(write(fd, "CONNECT 1234\nhello", 18), ==, 18);
    expect_rx(&f, VIRTIO_VSOCK_OP_REQUEST, 0, 1234, &h);
    host_port = h.src_port;
    g_assert_cmpuint(host_port, >=, 1u << 30);
    g_assert_cmpuint(h.buf_alloc, ==, VSOCK_CONN_BUF);
    tx_send(&f, VIRTIO_VSOCK_OP_RESPONSE, 1234, host_port, 0, 0, NULL, 0);
    ok = g_strdup_printf("OK %u\n", host_port);
    read_exact(fd, line, strlen(ok));
    g_assert_cmpstr(line, ==, ok);
    g_assert_true(rx_next(&f, &h, data, sizeof(data)));
    g_assert_cmpuint(h.op, ==, VIRTIO_VSOCK_OP_RW);
    g_assert_cmpuint(h.len, ==, 5);
    g_assert_cmpmem(data, 5, "hello", 5);
    /* guest -> host */
    tx_send(&f, VIRTIO_VSOCK_OP_RW, 1234, host_port, 0, 5, "world!", 6);
    memset(line, 0, sizeof(line));
    read_exact(fd, line, 6);
    g_assert_cmpstr(line, ==, "world!");
    /* The client shuts its write side: the guest reads EOF. */
    shutdown(fd, SHUT_WR);
    expect_rx(&f, VIRTIO_VSOCK_OP_SHUTDOWN, host_port, 1234, &h);
    g_assert_cmpuint(h.flags, ==, VIRTIO_VSOCK_SHUTDOWN_SEND);
    /* Half-closed, the guest still sends; then closes: RST, EOF. */
    tx_send(&f, VIRTIO_VSOCK_OP_RW, 1234, host_port, 0, 5, "bye", 3);
    tx_send(&f, VIRTIO_VSOCK_OP_SHUTDOWN, 1234, host_port,
            VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND, 5, NULL,
            0);
    expect_rx(&f, VIRTIO_VSOCK_OP_RST, host_port, 1234, NULL);
    memset(line, 0, sizeof(line));
    read_exact(fd, line, 3);
    g_assert_cmpstr(line, ==, "bye");
    g_assert_cmpint(read(fd, line, 1), ==, 0);
    g_assert_cmpuint(vsock_mux_n_conns(virtio_vsock_get_mux(f.vdev)), ==, 0);
    g_assert_false(virtio_device_is_broken(f.vdev));
    fixture_stop(&f);
}

/* A bad command or a guest RST closes the client's socket. */
static void
test_host_connect_refused(void)
{
    Fixture f = { 0 };
    g_autofd_t fd = -1;
    g_autofd_t bad = -1;
    char c;
    VsockHdr h;

    fixture_start(&f);
    bad = unix_connect(f.socket);
    g_assert_cmpint(write(bad, "CONNECT x\n", 10), ==, 10);
    {
        struct timeval tv = { .tv_sec = 5 };

        setsockopt(bad, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        g_assert_cmpint(read(bad, &c, 1), ==, 0);
    }
    fd = unix_connect(f.socket);
    g_assert_cmpint(write(fd, "CONNECT 99\n", 11), ==, 11);
    expect_rx(&f, VIRTIO_VSOCK_OP_REQUEST, 0, 99, &h);
    /* Nobody listens on guest port 99. */
    tx_send(&f, VIRTIO_VSOCK_OP_RST, 99, h.src_port, 0, 0, NULL, 0);
    {
        struct timeval tv = { .tv_sec = 5 };

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        g_assert_cmpint(read(fd, &c, 1), ==, 0);
    }
    fixture_stop(&f);
}

/* Guest-initiated: "<socket>_<port>", or RST when nobody listens. */
static void
test_guest_connect(void)
{
    Fixture f = { 0 };
    g_autofree char *path = NULL;
    g_autoptr(GSocket) listener = NULL;
    g_autoptr(GSocketAddress) addr = NULL;
    g_autoptr(GSocket) conn = NULL;
    g_autoptr(GError) error = NULL;
    char buf[16] = { 0 };
    VsockHdr h;

    fixture_start(&f);
    path = g_strdup_printf("%s_5000", f.socket);
    listener = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                            G_SOCKET_PROTOCOL_DEFAULT, &error);
    addr = g_unix_socket_address_new(path);
    g_assert_true(g_socket_bind(listener, addr, TRUE, &error));
    g_assert_true(g_socket_listen(listener, &error));
    tx_send(&f, VIRTIO_VSOCK_OP_REQUEST, 777, 5000, 0, 0, NULL, 0);
    expect_rx(&f, VIRTIO_VSOCK_OP_RESPONSE, 5000, 777, NULL);
    conn = g_socket_accept(listener, NULL, &error);
    g_assert_no_error(error);
    tx_send(&f, VIRTIO_VSOCK_OP_RW, 777, 5000, 0, 0, "ping", 4);
    read_exact(g_socket_get_fd(conn), buf, 4);
    g_assert_cmpstr(buf, ==, "ping");
    g_assert_cmpint(write(g_socket_get_fd(conn), "pong", 4), ==, 4);
    g_assert_true(rx_next(&f, &h, buf, sizeof(buf)));
    g_assert_cmpuint(h.op, ==, VIRTIO_VSOCK_OP_RW);
    g_assert_cmpmem(buf, h.len, "pong", 4);
    /* Nobody on 5001. */
    tx_send(&f, VIRTIO_VSOCK_OP_REQUEST, 778, 5001, 0, 0, NULL, 0);
    expect_rx(&f, VIRTIO_VSOCK_OP_RST, 5001, 778, NULL);
    /* The host closes: the guest sees the stream end, then resets. */
    g_socket_close(conn, NULL);
    expect_rx(&f, VIRTIO_VSOCK_OP_SHUTDOWN, 5000, 777, &h);
    tx_send(&f, VIRTIO_VSOCK_OP_RST, 777, 5000, 0, 0, NULL, 0);
    g_assert_cmpuint(vsock_mux_n_conns(virtio_vsock_get_mux(f.vdev)), ==, 0);
    unlink(path);
    fixture_stop(&f);
}

/* The device never sends more than the guest's free space, and answers
 * CREDIT_REQUEST with its own. */
static void
test_credit(void)
{
    Fixture f = { 0 };
    g_autofd_t fd = -1;
    char line[32], data[RXBUF];
    g_autofree char *ok = NULL;
    VsockHdr h;
    uint32_t port;

    fixture_start(&f);
    fd = unix_connect(f.socket);
    g_assert_cmpint(write(fd, "CONNECT 7\n", 10), ==, 10);
    expect_rx(&f, VIRTIO_VSOCK_OP_REQUEST, 0, 7, &h);
    port = h.src_port;
    /* A guest with 8 bytes of buffer. */
    tx_send_full(&f, GUEST_CID, VIRTIO_VSOCK_TYPE_STREAM,
                 VIRTIO_VSOCK_OP_RESPONSE, 7, port, 0, 8, 0, NULL, 0);
    ok = g_strdup_printf("OK %u\n", port);
    read_exact(fd, line, strlen(ok));
    g_assert_cmpint(write(fd, "0123456789abcdefghij", 20), ==, 20);
    g_assert_true(rx_next(&f, &h, data, sizeof(data)));
    g_assert_cmpuint(h.op, ==, VIRTIO_VSOCK_OP_RW);
    g_assert_cmpuint(h.len, ==, 8);
    g_assert_cmpmem(data, 8, "01234567", 8);
    /* No credit: nothing more arrives. */
    g_assert_false(td_wait_used(&f.rings[0], 1, 200));
    /* The guest consumed 8: the next 8 come. */
    tx_send_full(&f, GUEST_CID, VIRTIO_VSOCK_TYPE_STREAM,
                 VIRTIO_VSOCK_OP_CREDIT_UPDATE, 7, port, 0, 8, 8, NULL, 0);
    g_assert_true(rx_next(&f, &h, data, sizeof(data)));
    g_assert_cmpuint(h.len, ==, 8);
    g_assert_cmpmem(data, 8, "89abcdef", 8);
    tx_send_full(&f, GUEST_CID, VIRTIO_VSOCK_TYPE_STREAM,
                 VIRTIO_VSOCK_OP_CREDIT_REQUEST, 7, port, 0, 8, 8, NULL, 0);
    expect_rx(&f, VIRTIO_VSOCK_OP_CREDIT_UPDATE, port, 7, &h);
    g_assert_cmpuint(h.buf_alloc, ==, VSOCK_CONN_BUF);
    g_assert_cmpuint(h.fwd_cnt, ==, 0);
    fixture_stop(&f);
}

/* Packets of another socket type or to unknown connections get RST;
 * packets not from our guest are dropped; a malformed chain breaks the
 * device, never the VMM. */
static void
test_bad_packets(void)
{
    Fixture f = { 0 };
    TdRing *r;
    uint64_t a;
    uint32_t len = 10;
    uint16_t head;

    fixture_start(&f);
    tx_send_full(&f, GUEST_CID, VIRTIO_VSOCK_TYPE_SEQPACKET,
                 VIRTIO_VSOCK_OP_REQUEST, 1, 2, 0, 0, 0, NULL, 0);
    expect_rx(&f, VIRTIO_VSOCK_OP_RST, 2, 1, NULL);
    tx_send(&f, VIRTIO_VSOCK_OP_RW, 10, 20, 0, 0, "x", 1);
    expect_rx(&f, VIRTIO_VSOCK_OP_RST, 20, 10, NULL);
    tx_send(&f, 99, 11, 21, 0, 0, NULL, 0);
    expect_rx(&f, VIRTIO_VSOCK_OP_RST, 21, 11, NULL);
    /* RST for nothing is not answered; a foreign source is dropped. */
    tx_send(&f, VIRTIO_VSOCK_OP_RST, 12, 22, 0, 0, NULL, 0);
    tx_send_full(&f, 77, VIRTIO_VSOCK_TYPE_STREAM, VIRTIO_VSOCK_OP_REQUEST,
                 1, 5000, 0, 0, 0, NULL, 0);
    g_assert_false(td_wait_used(&f.rings[0], 1, 200));
    g_assert_false(virtio_device_is_broken(f.vdev));
    /* A chain shorter than a header. */
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*queue 1: malformed packet*needs reset");
    r = &f.rings[1];
    a = td_alloc(r, len);
    head = td_add_chain(r, &a, &len, 1, 1);
    td_publish(r, head);
    virtio_eventfd_signal(f.vdev->kick_fds[1]);
    for (int i = 0; i < 5000 && !(virtio_device_get_status(f.vdev) &
                                  VIRTIO_CONFIG_S_NEEDS_RESET); i++)
        g_usleep(1000);
    g_assert_true(virtio_device_is_broken(f.vdev));
    fixture_stop(&f);
    g_test_assert_expected_messages();
}

/* An RX buffer too small for a header breaks the device. */
static void
test_bad_rx_buffer(void)
{
    Fixture f = { 0 };
    g_autoptr(GError) error = NULL;
    g_autofree char *cli = NULL;
    uint64_t a;
    uint32_t len = 8;
    uint16_t head;

    f.socket = g_build_filename(test_tmpdir(), "vsock-rx.sock", NULL);
    cli = g_strdup_printf("cid=%u,socket=%s", GUEST_CID, f.socket);
    f.config = config_with(cli, &error);
    f.mem = td_memory_new();
    f.host = fake_host_new_with_memory(f.mem);
    f.vdev = virtio_vsock_new(fake_host_base(f.host),
                              vm_config_kind_entry(f.config, kind(), 0),
                              &error);
    g_assert_no_error(error);
    for (unsigned q = 0; q < 3; q++)
        td_ring_init(&f.rings[q], f.mem, 0x10000 + q * 0x100000, 0x100000,
                     QSIZE);
    td_device_start(f.vdev, f.rings, 3);
    a = td_alloc(&f.rings[0], len);
    head = td_add_chain(&f.rings[0], &a, &len, 1, 0);
    td_publish(&f.rings[0], head);
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*queue 0: receive buffer*needs reset");
    /* Something to send: an RST for an unknown connection. */
    tx_send(&f, VIRTIO_VSOCK_OP_RW, 10, 20, 0, 0, "x", 1);
    for (int i = 0; i < 5000 && !virtio_device_is_broken(f.vdev); i++)
        g_usleep(1000);
    g_assert_true(virtio_device_is_broken(f.vdev));
    fixture_stop(&f);
    g_test_assert_expected_messages();
}

/* A file that is not a socket is never replaced. */
static void
test_socket_in_the_way(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(test_tmpdir(), "plain", NULL);
    g_autofree char *cli = g_strdup_printf("cid=3,socket=%s", path);
    g_autoptr(VmConfig) c = config_with(cli, &error);
    VirtioDevice *vdev;

    g_assert_no_error(error);
    g_assert_true(g_file_set_contents(path, "data", -1, NULL));
    vdev = virtio_vsock_new(NULL, vm_config_kind_entry(c, kind(), 0),
                            &error);
    g_assert_null(vdev);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_assert_nonnull(strstr(error->message, "is not a socket"));
    g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/virtio-vsock/config", test_config);
    g_test_add_func("/virtio-vsock/config-refusals", test_config_refusals);
    g_test_add_func("/virtio-vsock/add-config", test_add_config);
    g_test_add_func("/virtio-vsock/hdr-parse", test_hdr_parse);
    g_test_add_func("/virtio-vsock/host-connect", test_host_connect);
    g_test_add_func("/virtio-vsock/host-connect-refused",
                    test_host_connect_refused);
    g_test_add_func("/virtio-vsock/guest-connect", test_guest_connect);
    g_test_add_func("/virtio-vsock/credit", test_credit);
    g_test_add_func("/virtio-vsock/bad-packets", test_bad_packets);
    g_test_add_func("/virtio-vsock/bad-rx-buffer", test_bad_rx_buffer);
    g_test_add_func("/virtio-vsock/socket-in-the-way",
                    test_socket_in_the_way);
    return g_test_run();
}

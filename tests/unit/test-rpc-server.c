/* SPDX-License-Identifier: Apache-2.0 */
/* nimbusd over raw RPC frames: handshake, errors, read-only, keepalive, bad frames, events. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "common/fd-util.h"
#include "driver/rpc/packet.h"
#include "tests/testutil.h"

static TestProc *daemon_proc;
/* MESSAGE packets (events) read while waiting for a reply, in order. */
static GQueue pending_messages = G_QUEUE_INIT;
static char *rw_sock;
static char *ro_sock;

static const char minimal_xml[] =
    "<domain type='kvm'><name>rawvm</name>"
    "<uuid>0d3c6a1e-4a1b-4c5d-9e8f-102030405060</uuid>"
    "<memory unit='MiB'>128</memory><vcpu>1</vcpu>"
    "<os><type>hvm</type><kernel>/boot/vmlinux</kernel></os></domain>";

static void
send_bytes(int fd, const void *data, size_t len)
{
    g_assert_cmpint(fd_write_all(fd, data, len), ==, 0);
}

static void
send_packet(int fd, uint32_t prog, int32_t proc, uint32_t type, uint32_t serial,
            uint32_t status, xdrproc_t filter, void *args)
{
    RpcHeader h = { .prog = prog, .vers = 1, .proc = proc, .type = type,
                    .serial = serial, .status = status };
    g_autoptr(GBytes) pkt = rpc_packet_encode(&h, filter, args, NULL);
    gsize len;
    const void *d = g_bytes_get_data(pkt, &len);

    send_bytes(fd, d, len);
}

static void
send_call(int fd, int32_t proc, uint32_t serial, xdrproc_t filter, void *args)
{
    send_packet(fd, REMOTE_PROGRAM, proc, RPC_TYPE_CALL, serial, RPC_STATUS_OK,
                filter, args);
}

/* Reads exactly @len bytes; false on EOF or after 5 s. */
static bool
recv_exact(int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&pfd, 1, 5000) <= 0)
            return false;
        n = read(fd, buf + got, len - got);
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return true;
}

/* The next whole packet (transfer full), or NULL once the server closed. */
static GBytes *
recv_packet(int fd)
{
    uint8_t word[4];
    uint32_t len;
    uint8_t *buf;

    if (!recv_exact(fd, word, 4))
        return NULL;
    g_assert_true(rpc_frame_length(word, &len, NULL));
    buf = g_malloc(len);
    memcpy(buf, word, 4);
    g_assert_true(recv_exact(fd, buf + 4, len - 4));
    return g_bytes_new_take(buf, len);
}

/* Waits for the REPLY to @serial, skipping events; decodes an OK reply into
 * @ret, or returns the error code of an ERROR reply (0 = OK). */
static int
recv_reply(int fd, uint32_t serial, xdrproc_t filter, void *ret, int *err_domain)
{
    for (;;) {
        g_autoptr(GBytes) pkt = recv_packet(fd);
        RpcPacket p;
        gsize len;
        const uint8_t *d;

        g_assert_nonnull(pkt);
        d = g_bytes_get_data(pkt, &len);
        g_assert_true(rpc_packet_parse(d, len, &p, NULL));
        if (p.hdr.type == RPC_TYPE_MESSAGE)
            g_queue_push_tail(&pending_messages, g_bytes_ref(pkt));
        if (p.hdr.type != RPC_TYPE_REPLY)
            continue;
        g_assert_cmpuint(p.hdr.serial, ==, serial);
        if (p.hdr.status == RPC_STATUS_ERROR) {
            remote_error re = { 0 };
            int code;

            g_assert_true(rpc_payload_decode(p.payload, p.payload_len,
                                             (xdrproc_t)xdr_remote_error, &re, NULL));
            code = re.code;
            if (err_domain)
                *err_domain = re.domain;
            g_test_message("serial %u: error %d: %s", serial, code,
                           re.message ? *re.message : "");
            xdr_free((xdrproc_t)xdr_remote_error, &re);
            return code;
        }
        g_assert_cmpuint(p.hdr.status, ==, RPC_STATUS_OK);
        if (filter)
            g_assert_true(rpc_payload_decode(p.payload, p.payload_len, filter, ret, NULL));
        else
            g_assert_cmpuint(p.payload_len, ==, 0);
        return 0;
    }
}

/* AUTH_LIST, keepalive feature, OPEN: what every client does first. */
static int
handshake(const char *path, const char *uri, unsigned int flags)
{
    int fd = test_unix_connect(path);
    remote_auth_list_ret auth = { 0 };
    remote_connect_supports_feature_args fa = { .feature = 10 };
    remote_connect_supports_feature_ret fr = { 0 };
    char *name = (char *)uri;
    remote_connect_open_args oa = { .name = uri ? &name : NULL, .flags = flags };

    send_call(fd, REMOTE_PROC_AUTH_LIST, 0, NULL, NULL);
    g_assert_cmpint(recv_reply(fd, 0, (xdrproc_t)xdr_remote_auth_list_ret, &auth, NULL), ==, 0);
    g_assert_cmpuint(auth.types.types_len, ==, 1);
    g_assert_cmpint(auth.types.types_val[0], ==, 0);
    xdr_free((xdrproc_t)xdr_remote_auth_list_ret, &auth);
    send_call(fd, REMOTE_PROC_CONNECT_SUPPORTS_FEATURE, 1,
              (xdrproc_t)xdr_remote_connect_supports_feature_args, &fa);
    g_assert_cmpint(recv_reply(fd, 1, (xdrproc_t)xdr_remote_connect_supports_feature_ret,
                               &fr, NULL), ==, 0);
    g_assert_cmpint(fr.supported, ==, 1);
    send_call(fd, REMOTE_PROC_CONNECT_OPEN, 2,
              (xdrproc_t)xdr_remote_connect_open_args, &oa);
    g_assert_cmpint(recv_reply(fd, 2, NULL, NULL, NULL), ==, 0);
    return fd;
}

static int
feature(int fd, uint32_t serial, int num)
{
    remote_connect_supports_feature_args fa = { .feature = num };
    remote_connect_supports_feature_ret fr = { 0 };

    send_call(fd, REMOTE_PROC_CONNECT_SUPPORTS_FEATURE, serial,
              (xdrproc_t)xdr_remote_connect_supports_feature_args, &fa);
    g_assert_cmpint(recv_reply(fd, serial, (xdrproc_t)xdr_remote_connect_supports_feature_ret,
                               &fr, NULL), ==, 0);
    return fr.supported;
}

static void
assert_daemon_alive(void)
{
    g_autofd_t fd = -1;
    remote_connect_get_type_ret t = { 0 };

    g_assert_cmpint(kill(test_proc_pid(daemon_proc), 0), ==, 0);
    fd = handshake(rw_sock, "ch:///system", 0);
    send_call(fd, REMOTE_PROC_CONNECT_GET_TYPE, 3, NULL, NULL);
    g_assert_cmpint(recv_reply(fd, 3, (xdrproc_t)xdr_remote_connect_get_type_ret, &t, NULL), ==, 0);
    g_assert_cmpstr(t.type, ==, "CH");
    xdr_free((xdrproc_t)xdr_remote_connect_get_type_ret, &t);
}

static void
test_handshake(void)
{
    g_autofd_t fd = handshake(rw_sock, "ch:///system", 0);
    remote_connect_list_all_domains_args la = { .need_results = 1, .flags = 3 };
    remote_connect_list_all_domains_ret lr = { 0 };
    remote_connect_get_lib_version_ret lv = { 0 };
    remote_connect_get_uri_ret uri = { 0 };

    g_assert_cmpint(feature(fd, 3, 14), ==, 1);
    g_assert_cmpint(feature(fd, 4, 15), ==, 1);
    g_assert_cmpint(feature(fd, 5, 9), ==, 1);
    g_assert_cmpint(feature(fd, 6, 5), ==, 0);   /* no direct migration */
    g_assert_cmpint(feature(fd, 7, 999), ==, 0);
    /* p2p, v3, change protection and params: driver/migrate.c. */
    g_assert_cmpint(feature(fd, 20, 4), ==, 1);
    g_assert_cmpint(feature(fd, 21, 13), ==, 1);
    g_assert_cmpint(feature(fd, 22, 12), ==, 0);   /* no offline migration */
    send_call(fd, REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK, 8, NULL, NULL);
    g_assert_cmpint(recv_reply(fd, 8, NULL, NULL, NULL), ==, 0);
    send_call(fd, REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS, 9,
              (xdrproc_t)xdr_remote_connect_list_all_domains_args, &la);
    g_assert_cmpint(recv_reply(fd, 9, (xdrproc_t)xdr_remote_connect_list_all_domains_ret,
                               &lr, NULL), ==, 0);
    g_assert_cmpuint(lr.ret, ==, 0);
    xdr_free((xdrproc_t)xdr_remote_connect_list_all_domains_ret, &lr);
    send_call(fd, REMOTE_PROC_CONNECT_GET_LIB_VERSION, 10, NULL, NULL);
    g_assert_cmpint(recv_reply(fd, 10, (xdrproc_t)xdr_remote_connect_get_lib_version_ret,
                               &lv, NULL), ==, 0);
    g_assert_cmpuint(lv.lib_ver, >=, 9000000);
    send_call(fd, REMOTE_PROC_CONNECT_GET_URI, 13, NULL, NULL);
    g_assert_cmpint(recv_reply(fd, 13, (xdrproc_t)xdr_remote_connect_get_uri_ret, &uri, NULL),
                    ==, 0);
    g_assert_cmpstr(uri.uri, ==, geteuid() == 0 ? "ch:///system" : "ch:///session");
    xdr_free((xdrproc_t)xdr_remote_connect_get_uri_ret, &uri);
    send_call(fd, REMOTE_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK, 11, NULL, NULL);
    g_assert_cmpint(recv_reply(fd, 11, NULL, NULL, NULL), ==, 0);
    send_call(fd, REMOTE_PROC_CONNECT_CLOSE, 12, NULL, NULL);
    g_assert_cmpint(recv_reply(fd, 12, NULL, NULL, NULL), ==, 0);
}

static void
test_unknown_procedures(void)
{
    g_autofd_t fd = handshake(rw_sock, "ch:///system", 0);
    /* Known but unimplemented (249: graphics, 210: NMI, 118: node device
     * detach), beyond the last one, zero, negative. */
    const int32_t procs[] = { 249, 210, 118, 443, 444, 9999, 0, -5, G_MAXINT32 };

    for (guint i = 0; i < G_N_ELEMENTS(procs); i++) {
        int dom = 0;

        /* Arguments of unknown calls are never decoded: send junk. */
        send_packet(fd, REMOTE_PROGRAM, procs[i], RPC_TYPE_CALL, 100 + i, 0,
                    (xdrproc_t)xdr_remote_connect_supports_feature_args,
                    &(remote_connect_supports_feature_args){ .feature = 0x55555555 });
        g_assert_cmpint(recv_reply(fd, 100 + i, NULL, NULL, &dom), ==, 3);
        g_assert_cmpint(dom, ==, 13);
    }
}

static void
test_before_open(void)
{
    g_autofd_t fd = test_unix_connect(rw_sock);
    remote_connect_list_all_domains_args la = { .need_results = 1, .flags = 0 };

    send_call(fd, REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS, 1,
              (xdrproc_t)xdr_remote_connect_list_all_domains_args, &la);
    g_assert_cmpint(recv_reply(fd, 1, NULL, NULL, NULL), ==, 1);
}

static void
test_open_names(void)
{
    const char *good[] = { "ch:///system", "ch:///session", "", NULL,
                           "ch:///system?foo=bar" };
    const char *bad[] = { "qemu:///system", "ch://host/system", "ch:///embed" };

    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autofd_t fd = handshake(rw_sock, good[i], i == 1 ? 6 : 0);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofd_t fd = test_unix_connect(rw_sock);
        char *name = (char *)bad[i];
        remote_connect_open_args oa = { .name = &name };

        send_call(fd, REMOTE_PROC_CONNECT_OPEN, 1,
                  (xdrproc_t)xdr_remote_connect_open_args, &oa);
        g_assert_cmpint(recv_reply(fd, 1, NULL, NULL, NULL), ==, 5);
    }
}

static void
test_readonly(void)
{
    char *xml = (char *)minimal_xml;
    remote_domain_define_xml_args da = { .xml = xml };
    remote_connect_list_all_domains_args la = { .need_results = 1, .flags = 0 };
    remote_connect_list_all_domains_ret lr = { 0 };
    g_autofd_t ro = handshake(ro_sock, "ch:///system", 0);
    /* A read-write socket, but the client asked for read-only (bit 0). */
    g_autofd_t rw = handshake(rw_sock, "ch:///system", 1);

    send_call(ro, REMOTE_PROC_DOMAIN_DEFINE_XML, 5,
              (xdrproc_t)xdr_remote_domain_define_xml_args, &da);
    g_assert_cmpint(recv_reply(ro, 5, NULL, NULL, NULL), ==, 29);
    send_call(rw, REMOTE_PROC_DOMAIN_DEFINE_XML, 5,
              (xdrproc_t)xdr_remote_domain_define_xml_args, &da);
    g_assert_cmpint(recv_reply(rw, 5, NULL, NULL, NULL), ==, 29);
    /* Reading is fine, and nothing was defined. */
    send_call(ro, REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS, 6,
              (xdrproc_t)xdr_remote_connect_list_all_domains_args, &la);
    g_assert_cmpint(recv_reply(ro, 6, (xdrproc_t)xdr_remote_connect_list_all_domains_ret,
                               &lr, NULL), ==, 0);
    g_assert_cmpuint(lr.ret, ==, 0);
    xdr_free((xdrproc_t)xdr_remote_connect_list_all_domains_ret, &lr);
}

static void
test_keepalive(void)
{
    g_autofd_t fd = handshake(rw_sock, "ch:///system", 0);
    g_autoptr(GBytes) pkt = NULL;
    RpcPacket p;
    gsize len;
    const uint8_t *d;

    send_packet(fd, KEEPALIVE_PROGRAM, KEEPALIVE_PROC_PING, RPC_TYPE_MESSAGE, 0, 0,
                NULL, NULL);
    pkt = recv_packet(fd);
    g_assert_nonnull(pkt);
    d = g_bytes_get_data(pkt, &len);
    g_assert_true(rpc_packet_parse(d, len, &p, NULL));
    g_assert_cmphex(p.hdr.prog, ==, KEEPALIVE_PROGRAM);
    g_assert_cmpint(p.hdr.proc, ==, KEEPALIVE_PROC_PONG);
    g_assert_cmpuint(p.hdr.type, ==, RPC_TYPE_MESSAGE);
    g_assert_cmpuint(p.payload_len, ==, 0);
    /* A PONG from the client needs no answer; the connection goes on. */
    send_packet(fd, KEEPALIVE_PROGRAM, KEEPALIVE_PROC_PONG, RPC_TYPE_MESSAGE, 0, 0,
                NULL, NULL);
    g_assert_cmpint(feature(fd, 20, 10), ==, 1);
}

static void
test_wrong_program_and_args(void)
{
    g_autofd_t fd = handshake(rw_sock, "ch:///system", 0);
    const uint8_t junk[] = { 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xff };
    RpcHeader h = { .prog = REMOTE_PROGRAM, .vers = 1,
                    .proc = REMOTE_PROC_CONNECT_SUPPORTS_FEATURE,
                    .type = RPC_TYPE_CALL, .serial = 31 };
    g_autoptr(GBytes) pkt = NULL;
    gsize len;
    const void *d;

    /* QEMU's program: answered with an error, not fatal. */
    send_packet(fd, 0x20008087, 1, RPC_TYPE_CALL, 30, 0, NULL, NULL);
    g_assert_cmpint(recv_reply(fd, 30, NULL, NULL, NULL), ==, 39);
    /* Arguments that do not decode, and trailing bytes. */
    pkt = rpc_packet_encode_raw(&h, junk, 2);
    d = g_bytes_get_data(pkt, &len);
    send_bytes(fd, d, len);
    g_assert_cmpint(recv_reply(fd, 31, NULL, NULL, NULL), ==, 39);
    g_clear_pointer(&pkt, g_bytes_unref);
    h.serial = 32;
    pkt = rpc_packet_encode_raw(&h, junk, sizeof(junk));
    d = g_bytes_get_data(pkt, &len);
    send_bytes(fd, d, len);
    g_assert_cmpint(recv_reply(fd, 32, NULL, NULL, NULL), ==, 39);
    /* Payload on a call without arguments. */
    g_clear_pointer(&pkt, g_bytes_unref);
    h.serial = 33;
    h.proc = REMOTE_PROC_CONNECT_GET_TYPE;
    pkt = rpc_packet_encode_raw(&h, junk, 4);
    d = g_bytes_get_data(pkt, &len);
    send_bytes(fd, d, len);
    g_assert_cmpint(recv_reply(fd, 33, NULL, NULL, NULL), ==, 39);
    /* A stream packet for a stream that does not exist is ignored. */
    send_packet(fd, REMOTE_PROGRAM, REMOTE_PROC_DOMAIN_OPEN_CONSOLE, RPC_TYPE_STREAM,
                77, RPC_STATUS_CONTINUE, NULL, NULL);
    g_assert_cmpint(feature(fd, 34, 14), ==, 1);
}

/* Frames that break the framing close the connection; the daemon lives. */
static void
test_malformed_frames(void)
{
    const uint8_t short_len[] = { 0, 0, 0, 4 };
    const uint8_t huge_len[] = { 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4 };
    const uint8_t just_under[] = { 0, 0, 0, 27, 0, 0, 0, 0 };
    const uint8_t over_max[] = { 0x02, 0x00, 0x00, 0x01 };
    const uint8_t *cases[] = { short_len, huge_len, just_under, over_max };
    const size_t sizes[] = { sizeof(short_len), sizeof(huge_len), sizeof(just_under),
                             sizeof(over_max) };
    g_autoptr(GRand) rand = g_rand_new_with_seed(42);

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofd_t fd = test_unix_connect(rw_sock);

        send_bytes(fd, cases[i], sizes[i]);
        g_assert_null(recv_packet(fd));
    }
    /* A REPLY sent by a client, and an unknown packet type. */
    for (uint32_t type = RPC_TYPE_REPLY; type <= 9; type += 8) {
        g_autofd_t fd = test_unix_connect(rw_sock);

        send_packet(fd, REMOTE_PROGRAM, 1, type, 0, 0, NULL, NULL);
        g_assert_null(recv_packet(fd));
    }
    /* Random bytes with a plausible length word; then half a frame and a
     * hang-up. */
    for (int round = 0; round < 20; round++) {
        g_autofd_t fd = test_unix_connect(rw_sock);
        uint8_t buf[512];
        uint32_t len = 28 + (uint32_t)g_rand_int_range(rand, 0, 480);

        for (guint i = 0; i < sizeof(buf); i++)
            buf[i] = (uint8_t)g_rand_int(rand);
        buf[0] = 0;
        buf[1] = 0;
        buf[2] = (uint8_t)(len >> 8);
        buf[3] = (uint8_t)len;
        send_bytes(fd, buf, round % 2 ? len : len / 2);
    }
    assert_daemon_alive();
}

static void
test_overlapping_calls(void)
{
    g_autofd_t fd = handshake(rw_sock, "ch:///system", 0);
    GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    const guint n = 40;

    /* All sent before any reply is read: replies may come in any order,
     * each echoing its call's serial. */
    for (guint i = 0; i < n; i++) {
        if (i % 2)
            send_call(fd, REMOTE_PROC_CONNECT_GET_HOSTNAME, 1000 + i, NULL, NULL);
        else
            send_call(fd, REMOTE_PROC_NODE_GET_INFO, 1000 + i, NULL, NULL);
    }
    for (guint i = 0; i < n; i++) {
        g_autoptr(GBytes) pkt = recv_packet(fd);
        RpcPacket p;
        gsize len;
        const uint8_t *d;

        g_assert_nonnull(pkt);
        d = g_bytes_get_data(pkt, &len);
        g_assert_true(rpc_packet_parse(d, len, &p, NULL));
        g_assert_cmpuint(p.hdr.status, ==, RPC_STATUS_OK);
        g_assert_cmpint(p.hdr.proc, ==, (p.hdr.serial % 2) ?
                        REMOTE_PROC_CONNECT_GET_HOSTNAME : REMOTE_PROC_NODE_GET_INFO);
        g_assert_false(g_hash_table_contains(seen, GUINT_TO_POINTER(p.hdr.serial)));
        g_hash_table_add(seen, GUINT_TO_POINTER(p.hdr.serial));
    }
    g_assert_cmpuint(g_hash_table_size(seen), ==, n);
    g_hash_table_unref(seen);
}

/* Reads MESSAGE packets until a lifecycle event arrives. */
static void
expect_lifecycle(int fd, int callback, int event, int detail)
{
    for (;;) {
        g_autoptr(GBytes) pkt = g_queue_is_empty(&pending_messages) ?
            recv_packet(fd) : g_queue_pop_head(&pending_messages);
        remote_domain_event_callback_lifecycle_msg m = { 0 };
        RpcPacket p;
        gsize len;
        const uint8_t *d;

        g_assert_nonnull(pkt);
        d = g_bytes_get_data(pkt, &len);
        g_assert_true(rpc_packet_parse(d, len, &p, NULL));
        if (p.hdr.type != RPC_TYPE_MESSAGE)
            continue;
        g_assert_cmpint(p.hdr.proc, ==, REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE);
        g_assert_true(rpc_payload_decode(p.payload, p.payload_len,
                                         (xdrproc_t)xdr_remote_domain_event_callback_lifecycle_msg,
                                         &m, NULL));
        g_assert_cmpint(m.callbackID, ==, callback);
        g_assert_cmpstr(m.msg.dom.name, ==, "rawvm");
        g_assert_cmpint(m.msg.dom.id, ==, -1);
        g_assert_cmpint(m.msg.event, ==, event);
        g_assert_cmpint(m.msg.detail, ==, detail);
        xdr_free((xdrproc_t)xdr_remote_domain_event_callback_lifecycle_msg, &m);
        return;
    }
}

static void
test_events(void)
{
    g_autofd_t fd = handshake(rw_sock, "ch:///system", 0);
    remote_connect_domain_event_callback_register_any_args ra = { .eventID = 0 };
    remote_connect_domain_event_callback_register_any_ret rr = { 0 };
    remote_connect_domain_event_callback_deregister_any_args dr = { 0 };
    remote_domain_define_xml_args da = { .xml = (char *)minimal_xml };
    remote_domain_ret dret = { 0 };
    remote_domain_ret dret2 = { 0 };
    remote_domain_args ua = { 0 };
    int cb;

    send_call(fd, REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 3,
              (xdrproc_t)xdr_remote_connect_domain_event_callback_register_any_args, &ra);
    g_assert_cmpint(recv_reply(fd, 3,
                               (xdrproc_t)xdr_remote_connect_domain_event_callback_register_any_ret,
                               &rr, NULL), ==, 0);
    cb = rr.callbackID;
    /* Other known ids register (nova subscribes to DEVICE_REMOVED 15) but
     * never fire: the lifecycle events below reach only @cb.  Ids beyond
     * libvirt 9.0's are INVALID_ARG. */
    ra.eventID = 15;
    send_call(fd, REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 4,
              (xdrproc_t)xdr_remote_connect_domain_event_callback_register_any_args, &ra);
    g_assert_cmpint(recv_reply(fd, 4,
                               (xdrproc_t)xdr_remote_connect_domain_event_callback_register_any_ret,
                               &rr, NULL), ==, 0);
    g_assert_cmpint(rr.callbackID, !=, cb);
    ra.eventID = 27;
    send_call(fd, REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 40,
              (xdrproc_t)xdr_remote_connect_domain_event_callback_register_any_args, &ra);
    g_assert_cmpint(recv_reply(fd, 40, NULL, NULL, NULL), ==, 8);

    send_call(fd, REMOTE_PROC_DOMAIN_DEFINE_XML, 5,
              (xdrproc_t)xdr_remote_domain_define_xml_args, &da);
    g_assert_cmpint(recv_reply(fd, 5, (xdrproc_t)xdr_remote_domain_ret, &dret, NULL), ==, 0);
    expect_lifecycle(fd, cb, 0, 0);                 /* DEFINED/ADDED */
    send_call(fd, REMOTE_PROC_DOMAIN_DEFINE_XML, 6,
              (xdrproc_t)xdr_remote_domain_define_xml_args, &da);
    g_assert_cmpint(recv_reply(fd, 6, (xdrproc_t)xdr_remote_domain_ret, &dret2, NULL), ==, 0);
    xdr_free((xdrproc_t)xdr_remote_domain_ret, &dret2);
    expect_lifecycle(fd, cb, 0, 1);                 /* DEFINED/UPDATED */
    ua.dom = dret.dom;
    send_call(fd, REMOTE_PROC_DOMAIN_UNDEFINE, 7, (xdrproc_t)xdr_remote_domain_args, &ua);
    g_assert_cmpint(recv_reply(fd, 7, NULL, NULL, NULL), ==, 0);
    expect_lifecycle(fd, cb, 1, 0);                 /* UNDEFINED/REMOVED */
    xdr_free((xdrproc_t)xdr_remote_domain_ret, &dret);

    dr.callbackID = cb;
    send_call(fd, REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, 8,
              (xdrproc_t)xdr_remote_connect_domain_event_callback_deregister_any_args, &dr);
    g_assert_cmpint(recv_reply(fd, 8, NULL, NULL, NULL), ==, 0);
    send_call(fd, REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, 9,
              (xdrproc_t)xdr_remote_connect_domain_event_callback_deregister_any_args, &dr);
    g_assert_cmpint(recv_reply(fd, 9, NULL, NULL, NULL), ==, 8);
}

int
main(int argc, char **argv)
{
    g_autofree char *nimbusd = NULL;
    g_autofree char *state = NULL;
    g_autofree char *config = NULL;
    int rc;

    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN);
    nimbusd = test_build_path("nimbusd");
    rw_sock = g_build_filename(test_tmpdir(), "sock", NULL);
    ro_sock = g_build_filename(test_tmpdir(), "sock-ro", NULL);
    state = g_build_filename(test_tmpdir(), "state", NULL);
    config = g_build_filename(test_tmpdir(), "config", NULL);
    {
        const char *args[] = { nimbusd, "--listen", rw_sock, "--listen-ro", ro_sock,
                               "--state-dir", state, "--config-dir", config,
                               "--verbose", NULL };

        daemon_proc = test_proc_spawn(args);
    }
    for (int i = 0; i < 500 && !g_file_test(ro_sock, G_FILE_TEST_EXISTS); i++)
        g_usleep(10000);
    g_assert_true(g_file_test(ro_sock, G_FILE_TEST_EXISTS));

    g_test_add_func("/rpc/server/handshake", test_handshake);
    g_test_add_func("/rpc/server/unknown-procedures", test_unknown_procedures);
    g_test_add_func("/rpc/server/before-open", test_before_open);
    g_test_add_func("/rpc/server/open-names", test_open_names);
    g_test_add_func("/rpc/server/readonly", test_readonly);
    g_test_add_func("/rpc/server/keepalive", test_keepalive);
    g_test_add_func("/rpc/server/wrong-program-and-args", test_wrong_program_and_args);
    g_test_add_func("/rpc/server/malformed-frames", test_malformed_frames);
    g_test_add_func("/rpc/server/overlapping-calls", test_overlapping_calls);
    g_test_add_func("/rpc/server/events", test_events);
    rc = g_test_run();

    /* SIGTERM: a clean exit that removes the sockets. */
    kill(test_proc_pid(daemon_proc), SIGTERM);
    g_assert_cmpint(test_proc_wait_exit(daemon_proc, 10000), ==, 0);
    g_assert_false(g_file_test(rw_sock, G_FILE_TEST_EXISTS));
    test_proc_free(daemon_proc);
    return rc;
}

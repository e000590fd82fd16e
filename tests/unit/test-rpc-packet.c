/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the libvirt RPC framing, XDR layout and error encoding. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "driver/rpc/packet.h"
#include "driver/rpc/rpc-error.h"

static void
put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static void
test_length_bounds(void)
{
    uint8_t w[4];
    uint32_t len = 0;
    g_autoptr(GError) error = NULL;

    put_be32(w, 27);
    g_assert_false(rpc_frame_length(w, &len, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_clear_error(&error);
    put_be32(w, 0);
    g_assert_false(rpc_frame_length(w, &len, NULL));
    put_be32(w, RPC_PACKET_MAX + 1);
    g_assert_false(rpc_frame_length(w, &len, NULL));
    put_be32(w, 0xffffffff);
    g_assert_false(rpc_frame_length(w, &len, NULL));
    put_be32(w, 28);
    g_assert_true(rpc_frame_length(w, &len, NULL));
    g_assert_cmpuint(len, ==, 28);
    put_be32(w, RPC_PACKET_MAX);
    g_assert_true(rpc_frame_length(w, &len, NULL));
    g_assert_cmpuint(len, ==, 33554432);
}

/* The CONNECT_OPEN call virsh sends (reference §1.1), byte for byte. */
static const uint8_t open_call[] = {
    0x00, 0x00, 0x00, 0x34, 0x20, 0x00, 0x80, 0x86, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0c,
    'c', 'h', ':', '/', '/', '/', 's', 'y', 's', 't', 'e', 'm',
    0x00, 0x00, 0x00, 0x00,
};

static void
test_parse_open_example(void)
{
    RpcPacket pkt;
    remote_connect_open_args args = { 0 };
    g_autoptr(GError) error = NULL;

    g_assert_true(rpc_packet_parse(open_call, sizeof(open_call), &pkt, &error));
    g_assert_no_error(error);
    g_assert_cmphex(pkt.hdr.prog, ==, REMOTE_PROGRAM);
    g_assert_cmpuint(pkt.hdr.vers, ==, 1);
    g_assert_cmpint(pkt.hdr.proc, ==, REMOTE_PROC_CONNECT_OPEN);
    g_assert_cmpuint(pkt.hdr.type, ==, RPC_TYPE_CALL);
    g_assert_cmpuint(pkt.hdr.serial, ==, 2);
    g_assert_cmpuint(pkt.hdr.status, ==, RPC_STATUS_OK);
    g_assert_cmpuint(pkt.payload_len, ==, 24);
    g_assert_true(rpc_payload_decode(pkt.payload, pkt.payload_len,
                                     (xdrproc_t)xdr_remote_connect_open_args,
                                     &args, &error));
    g_assert_nonnull(args.name);
    g_assert_cmpstr(*args.name, ==, "ch:///system");
    g_assert_cmpuint(args.flags, ==, 0);
    xdr_free((xdrproc_t)xdr_remote_connect_open_args, &args);
}

static void
test_parse_length_mismatch(void)
{
    g_autofree uint8_t *copy = g_memdup2(open_call, sizeof(open_call));
    RpcPacket pkt;
    g_autoptr(GError) error = NULL;

    /* The length word says 52, the buffer holds 51. */
    g_assert_false(rpc_packet_parse(copy, sizeof(open_call) - 1, &pkt, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_clear_error(&error);
    g_assert_false(rpc_packet_parse(copy, 3, &pkt, &error));
    g_assert_nonnull(error);
}

static void
test_decode_trailing_and_truncated(void)
{
    /* name=(present,"ch:///system") flags=0, then 4 junk bytes. */
    uint8_t buf[28];
    remote_connect_open_args args = { 0 };
    g_autoptr(GError) error = NULL;

    memcpy(buf, open_call + 28, 24);
    memset(buf + 24, 0xaa, 4);
    g_assert_false(rpc_payload_decode(buf, sizeof(buf),
                                      (xdrproc_t)xdr_remote_connect_open_args,
                                      &args, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_RPC);
    g_assert_null(args.name);   /* freed and zeroed on failure */
    g_clear_error(&error);

    /* Cut inside the string: a partial decode frees what it allocated. */
    g_assert_false(rpc_payload_decode(buf, 12, (xdrproc_t)xdr_remote_connect_open_args,
                                      &args, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_RPC);
    g_assert_null(args.name);
    g_clear_error(&error);

    /* A string length beyond the buffer (and beyond REMOTE_STRING_MAX). */
    put_be32(buf + 4, 0x7fffffff);
    g_assert_false(rpc_payload_decode(buf, 24, (xdrproc_t)xdr_remote_connect_open_args,
                                      &args, &error));
    g_assert_nonnull(error);
}

static void
test_sizes(void)
{
    RpcHeader h = { .prog = REMOTE_PROGRAM, .vers = 1,
                    .proc = REMOTE_PROC_NODE_GET_INFO, .type = RPC_TYPE_REPLY };
    remote_node_get_info_ret ni = { .memory = 1, .cpus = 2 };
    remote_domain_get_info_ret di = { .state = 1, .nrVirtCpu = 3 };
    g_autoptr(GBytes) p1 = NULL;
    g_autoptr(GBytes) p2 = NULL;
    const uint8_t *d;

    memcpy(ni.model, "x86_64", 6);
    p1 = rpc_packet_encode(&h, (xdrproc_t)xdr_remote_node_get_info_ret, &ni, NULL);
    /* 160 bytes: char model[32] takes one int per char (§1.2). */
    g_assert_cmpuint(g_bytes_get_size(p1), ==, RPC_PACKET_MIN + 160);
    d = g_bytes_get_data(p1, NULL);
    g_assert_cmpuint(get_be32(d), ==, RPC_PACKET_MIN + 160);
    g_assert_cmpuint(get_be32(d + 28), ==, 'x');
    g_assert_cmpuint(get_be32(d + 28 + 4 * 5), ==, '4');
    g_assert_cmpuint(get_be32(d + 28 + 4 * 6), ==, 0);

    p2 = rpc_packet_encode(&h, (xdrproc_t)xdr_remote_domain_get_info_ret, &di, NULL);
    /* 32 bytes: u_char and u_short take 4 each. */
    g_assert_cmpuint(g_bytes_get_size(p2), ==, RPC_PACKET_MIN + 32);
    d = g_bytes_get_data(p2, NULL);
    g_assert_cmpuint(get_be32(d + 28), ==, 1);
    g_assert_cmpuint(get_be32(d + 28 + 4 + 16), ==, 3);
}

static void
test_string_layout(void)
{
    RpcHeader h = { .prog = REMOTE_PROGRAM, .vers = 1, .type = RPC_TYPE_REPLY };
    remote_connect_get_type_ret ret = { .type = (char *)"CH" };
    remote_connect_list_all_domains_ret list = { .ret = 7 };
    g_autoptr(GBytes) p = NULL;
    g_autoptr(GBytes) p2 = NULL;
    const uint8_t *d;

    p = rpc_packet_encode(&h, (xdrproc_t)xdr_remote_connect_get_type_ret, &ret, NULL);
    /* u32 length, bytes without NUL, zero padding to 4. */
    g_assert_cmpuint(g_bytes_get_size(p), ==, RPC_PACKET_MIN + 8);
    d = g_bytes_get_data(p, NULL);
    g_assert_cmpuint(get_be32(d + 28), ==, 2);
    g_assert_cmpmem(d + 32, 4, "CH\0\0", 4);

    /* need_results == 0: an empty array and the count. */
    p2 = rpc_packet_encode(&h, (xdrproc_t)xdr_remote_connect_list_all_domains_ret,
                           &list, NULL);
    g_assert_cmpuint(g_bytes_get_size(p2), ==, RPC_PACKET_MIN + 8);
    d = g_bytes_get_data(p2, NULL);
    g_assert_cmpuint(get_be32(d + 28), ==, 0);
    g_assert_cmpuint(get_be32(d + 32), ==, 7);
}

static void
test_domain_roundtrip(void)
{
    RpcHeader h = { .prog = REMOTE_PROGRAM, .vers = 1, .type = RPC_TYPE_REPLY };
    remote_domain_ret in = { .dom = { .name = (char *)"vm1", .id = -1 } };
    remote_domain_ret out = { 0 };
    g_autoptr(GBytes) p = NULL;
    RpcPacket pkt;
    gsize len;
    const uint8_t *d;

    memset(in.dom.uuid, 0x5a, sizeof(in.dom.uuid));
    p = rpc_packet_encode(&h, (xdrproc_t)xdr_remote_domain_ret, &in, NULL);
    d = g_bytes_get_data(p, &len);
    /* name (4 + 4), uuid (16 raw bytes), id (-1) */
    g_assert_cmpuint(len, ==, RPC_PACKET_MIN + 8 + 16 + 4);
    g_assert_cmpuint(get_be32(d + len - 4), ==, 0xffffffff);
    g_assert_true(rpc_packet_parse(d, len, &pkt, NULL));
    g_assert_true(rpc_payload_decode(pkt.payload, pkt.payload_len,
                                     (xdrproc_t)xdr_remote_domain_ret, &out, NULL));
    g_assert_cmpstr(out.dom.name, ==, "vm1");
    g_assert_cmpint(out.dom.id, ==, -1);
    g_assert_cmpmem(out.dom.uuid, 16, in.dom.uuid, 16);
    xdr_free((xdrproc_t)xdr_remote_domain_ret, &out);
}

static void
test_error_encoding(void)
{
    RpcHeader h = { .prog = REMOTE_PROGRAM, .vers = 1, .proc = 187,
                    .type = RPC_TYPE_REPLY, .serial = 9 };
    g_autoptr(GError) err = g_error_new(DRV_ERROR, DRV_ERROR_NO_SUPPORT,
                                        "virDomainSnapshotNum");
    g_autoptr(GBytes) p = rpc_packet_encode_error(&h, err);
    remote_error re = { 0 };
    RpcPacket pkt;
    gsize len;
    const uint8_t *d = g_bytes_get_data(p, &len);

    g_assert_true(rpc_packet_parse(d, len, &pkt, NULL));
    g_assert_cmpuint(pkt.hdr.status, ==, RPC_STATUS_ERROR);
    g_assert_cmpuint(pkt.hdr.serial, ==, 9);
    g_assert_cmpint(pkt.hdr.proc, ==, 187);
    g_assert_true(rpc_payload_decode(pkt.payload, pkt.payload_len,
                                     (xdrproc_t)xdr_remote_error, &re, NULL));
    g_assert_cmpint(re.code, ==, 3);
    g_assert_cmpint(re.domain, ==, DRV_FROM_REMOTE);
    g_assert_cmpint(re.level, ==, 2);
    g_assert_cmpstr(*re.message, ==,
                    "this function is not supported by the connection driver: virDomainSnapshotNum");
    g_assert_null(re.dom);
    g_assert_null(re.str1);
    g_assert_null(re.net);
    xdr_free((xdrproc_t)xdr_remote_error, &re);
}

static void
test_error_messages(void)
{
    g_autofree char *a = rpc_error_message(DRV_ERROR_NO_DOMAIN, "no domain with matching name 'x'");
    g_autofree char *b = rpc_error_message(DRV_ERROR_CONFIG_UNSUPPORTED,
                                           "unsupported configuration: graphics");
    g_autofree char *c = rpc_error_message(DRV_ERROR_NO_CONNECT, "ch:///foo");
    g_autofree char *d = rpc_error_message(DRV_ERROR_SYSTEM_ERROR, "boom");
    g_autoptr(GError) io = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "gone");
    g_autofree char *msg = NULL;
    int code, dom;

    g_assert_cmpstr(a, ==, "Domain not found: no domain with matching name 'x'");
    g_assert_cmpstr(b, ==, "unsupported configuration: graphics");
    g_assert_cmpstr(c, ==, "no connection driver available for ch:///foo");
    g_assert_cmpstr(d, ==, "boom");
    rpc_error_fields(io, &code, &dom, &msg);
    g_assert_cmpint(code, ==, DRV_ERROR_SYSTEM_ERROR);
    g_assert_cmpint(dom, ==, DRV_FROM_CH);
    g_assert_cmpstr(msg, ==, "gone");
}

static void
test_encode_limits(void)
{
    RpcHeader h = { .prog = REMOTE_PROGRAM, .vers = 1, .type = RPC_TYPE_REPLY };
    g_autofree char *big = g_malloc(REMOTE_STRING_MAX + 2);
    remote_connect_get_capabilities_ret ret = { .capabilities = big };
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) p = NULL;

    memset(big, 'a', REMOTE_STRING_MAX + 1);
    big[REMOTE_STRING_MAX + 1] = '\0';
    p = rpc_packet_encode(&h, (xdrproc_t)xdr_remote_connect_get_capabilities_ret,
                          &ret, &error);
    g_assert_null(p);
    g_assert_error(error, DRV_ERROR, DRV_ERROR_RPC);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rpc/packet/length-bounds", test_length_bounds);
    g_test_add_func("/rpc/packet/parse-open-example", test_parse_open_example);
    g_test_add_func("/rpc/packet/parse-length-mismatch", test_parse_length_mismatch);
    g_test_add_func("/rpc/packet/decode-trailing-truncated", test_decode_trailing_and_truncated);
    g_test_add_func("/rpc/packet/xdr-sizes", test_sizes);
    g_test_add_func("/rpc/packet/string-layout", test_string_layout);
    g_test_add_func("/rpc/packet/domain-roundtrip", test_domain_roundtrip);
    g_test_add_func("/rpc/packet/error-encoding", test_error_encoding);
    g_test_add_func("/rpc/packet/error-messages", test_error_messages);
    g_test_add_func("/rpc/packet/encode-limits", test_encode_limits);
    return g_test_run();
}

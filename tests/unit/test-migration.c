/* SPDX-License-Identifier: Apache-2.0 */
/* Live migration without KVM: the wire codec, the receiving loop, dirty ranges on the fake hv. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "daemon/api-backend.h"
#include "daemon/hv/fake.h"
#include "daemon/migration-dirty.h"
#include "daemon/migration-protocol.h"
#include "daemon/migration-receive.h"
#include "daemon/migration.h"
#include "tests/testutil.h"

#define PAGE 4096u

/* ---- Codec ------------------------------------------------------------- */

static void
header(guint8 out[MIGRATION_HEADER_SIZE], guint16 cmd, guint16 version,
       guint64 len)
{
    MigrationRequest req = { .command = (MigrationCommand)cmd, .length = len };

    req.headers[0] = (guint8)version;
    req.headers[1] = (guint8)(version >> 8);
    migration_request_encode(&req, out);
}

static void
test_request_roundtrip(void)
{
    static const struct {
        MigrationCommand cmd;
        guint64 len;
    } ok[] = {
        { MIGRATION_CMD_START, 0 },
        { MIGRATION_CMD_CONFIG, 1234 },
        { MIGRATION_CMD_STATE, MIGRATION_MAX_STATE_BYTES },
        { MIGRATION_CMD_MEMORY, 32 },
        { MIGRATION_CMD_MEMORY, 0 },
        { MIGRATION_CMD_COMPLETE, 0 },
        { MIGRATION_CMD_ABANDON, 0 },
        { MIGRATION_CMD_MEMORY_FD, 4 },
        { MIGRATION_CMD_COMPLETE_PAUSED, 0 },
        { MIGRATION_CMD_PAGE_FAULT, 16 },
    };

    for (guint i = 0; i < G_N_ELEMENTS(ok); i++) {
        guint8 b[MIGRATION_HEADER_SIZE];
        MigrationRequest req;
        g_autoptr(GError) error = NULL;

        header(b, ok[i].cmd, 0, ok[i].len);
        /* CH's layout: u16 command, 6 header bytes, u64 length, LE. */
        g_assert_cmpuint(b[0], ==, ok[i].cmd);
        g_assert_cmpuint(b[8], ==, (guint8)ok[i].len);
        g_assert_true(migration_request_decode(b, &req, &error));
        g_assert_no_error(error);
        g_assert_cmpint(req.command, ==, ok[i].cmd);
        g_assert_cmpuint(req.length, ==, ok[i].len);
    }
}

static void
expect_refused(guint16 cmd, guint16 version, guint64 len, const char *needle)
{
    guint8 b[MIGRATION_HEADER_SIZE];
    MigrationRequest req;
    g_autoptr(GError) error = NULL;

    header(b, cmd, version, len);
    g_assert_false(migration_request_decode(b, &req, &error));
    g_assert_nonnull(error);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, needle));
}

static void
test_request_refused(void)
{
    expect_refused(0, 0, 0, "unknown command 0");
    expect_refused(10, 0, 0, "unknown command 10");
    expect_refused(0xffff, 0, 0, "unknown command 65535");
    expect_refused(MIGRATION_CMD_START, 0, 1, "Start carries 0");
    expect_refused(MIGRATION_CMD_COMPLETE, 0, 8, "Complete carries 0");
    expect_refused(MIGRATION_CMD_MEMORY_FD, 0, 5, "MemoryFd carries 4");
    expect_refused(MIGRATION_CMD_MEMORY, 0, 17, "not whole 16-byte ranges");
    expect_refused(MIGRATION_CMD_MEMORY, 0,
                   (guint64)MIGRATION_MAX_RANGE_TABLE_BYTES + 16,
                   "exceeds the limit");
    expect_refused(MIGRATION_CMD_CONFIG, 0,
                   (guint64)MIGRATION_MAX_CONFIG_BYTES + 1,
                   "Config payload");
    expect_refused(MIGRATION_CMD_STATE, 0, G_MAXUINT64, "State payload");
    expect_refused(MIGRATION_CMD_START, 1, 0, "protocol version 1");
}

static void
test_response(void)
{
    guint8 b[MIGRATION_HEADER_SIZE];
    MigrationResponse resp = { .status = MIGRATION_STATUS_ERROR, .length = 7 };
    MigrationResponse back;
    g_autoptr(GError) error = NULL;

    migration_response_encode(&resp, b);
    g_assert_cmpuint(b[0], ==, 2);
    g_assert_true(migration_response_decode(b, &back, &error));
    g_assert_cmpint(back.status, ==, MIGRATION_STATUS_ERROR);
    g_assert_cmpuint(back.length, ==, 7);
    b[0] = 3;
    g_assert_false(migration_response_decode(b, &back, &error));
    g_assert_nonnull(strstr(error->message, "unknown response status 3"));
}

static void
test_ranges(void)
{
    const MigrationRange in[] = { { 0x1000, 0x2000 }, { 1ull << 32, PAGE } };
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(GArray) out = NULL;
    g_autoptr(GError) error = NULL;
    guint8 bad[16] = { 0 };

    migration_ranges_encode(in, G_N_ELEMENTS(in), b);
    g_assert_cmpuint(b->len, ==, 32);
    out = migration_ranges_decode(b->data, b->len, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(out->len, ==, 2);
    g_assert_cmpmem(out->data, 32, in, sizeof(in));
    g_assert_null(migration_ranges_decode(b->data, 31, &error));
    g_assert_nonnull(strstr(error->message, "not whole ranges"));
    g_clear_error(&error);
    /* Empty, then wrapping past 2^64. */
    g_assert_null(migration_ranges_decode(bad, 16, &error));
    g_assert_nonnull(strstr(error->message, "empty"));
    g_clear_error(&error);
    memset(bad, 0xff, sizeof(bad));
    g_assert_null(migration_ranges_decode(bad, 16, &error));
    g_assert_nonnull(strstr(error->message, "wrapping"));
}

static void
test_url(void)
{
    static const char *const bad[] = {
        "unix:", "tcp:", "tcp:1.2.3.4", "tcp:1.2.3.4:0", "tcp:1.2.3.4:65536",
        "tcp:host.example:80", "file:///x", "tcp::80", "",
    };
    g_autoptr(GSocketAddress) a = NULL;
    g_autofree char *path = NULL;
    g_autoptr(GError) error = NULL;

    a = migration_url_parse("unix:/tmp/m.sock", &path, &error);
    g_assert_no_error(error);
    g_assert_true(G_IS_UNIX_SOCKET_ADDRESS(a));
    g_assert_cmpstr(path, ==, "/tmp/m.sock");
    g_clear_object(&a);
    g_clear_pointer(&path, g_free);
    a = migration_url_parse("tcp:127.0.0.1:6000", &path, &error);
    g_assert_no_error(error);
    g_assert_null(path);
    g_assert_cmpuint(g_inet_socket_address_get_port(
                         G_INET_SOCKET_ADDRESS(a)), ==, 6000);
    g_clear_object(&a);
    a = migration_url_parse("tcp:[::1]:7000", &path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(g_socket_address_get_family(a), ==, G_SOCKET_FAMILY_IPV6);
    g_clear_object(&a);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        a = migration_url_parse(bad[i], &path, &error);
        g_assert_null(a);
        g_assert_nonnull(strstr(error->message, "not a migration URL"));
        g_clear_error(&error);
        g_clear_pointer(&path, g_free);
    }
}

static JsonNode *
parse(const char *text)
{
    g_autoptr(JsonParser) p = json_parser_new();

    g_assert_true(json_parser_load_from_data(p, text, -1, NULL));
    return json_node_copy(json_parser_get_root(p));
}

static void
test_send_config(void)
{
    static const struct {
        const char *body;
        const char *error;
    } bad[] = {
        { "{}", "'destination_url': missing" },
        { "{\"destination_url\": 1}", "'destination_url': wrong type" },
        { "{\"destination_url\": \"unix:/x\", \"downtime\": 1}",
          "'downtime': unknown field" },
        { "{\"destination_url\": \"unix:/x\", \"downtime_ms\": 0}",
          "'downtime_ms'" },
        { "{\"destination_url\": \"unix:/x\", \"timeout_strategy\": \"x\"}",
          "\"Cancel\" or \"Ignore\"" },
        { "{\"destination_url\": \"unix:/x\", \"connections\": 2}",
          "not supported yet" },
        { "{\"destination_url\": \"unix:/x\", \"memory_mode\": \"Postcopy\"}",
          "not supported yet" },
        { "{\"destination_url\": \"unix:/x\", \"tls_dir\": \"/t\"}",
          "not supported yet" },
    };
    g_autoptr(JsonNode) n = parse("{\"destination_url\": \"unix:/x\"}");
    g_autoptr(MigrationSendConfig) cfg = NULL;
    g_autoptr(GError) error = NULL;

    cfg = migration_send_config_from_json(n, &error);
    g_assert_no_error(error);
    /* CH's defaults. */
    g_assert_cmpuint(cfg->downtime_ms, ==, 300);
    g_assert_cmpuint(cfg->timeout_s, ==, 3600);
    g_assert_cmpint(cfg->timeout_strategy, ==, MIGRATION_TIMEOUT_CANCEL);
    g_assert_false(cfg->local);
    g_clear_pointer(&cfg, migration_send_config_free);
    g_clear_pointer(&n, json_node_unref);
    n = parse("{\"destination_url\": \"tcp:127.0.0.1:1\", \"local\": true, "
              "\"downtime_ms\": 50, \"timeout_s\": 9, \"timeout_strategy\": "
              "\"Ignore\", \"connections\": 1, \"memory_mode\": \"Precopy\"}");
    cfg = migration_send_config_from_json(n, &error);
    g_assert_no_error(error);
    g_assert_true(cfg->local);
    g_assert_cmpuint(cfg->downtime_ms, ==, 50);
    g_assert_cmpuint(cfg->timeout_s, ==, 9);
    g_assert_cmpint(cfg->timeout_strategy, ==, MIGRATION_TIMEOUT_IGNORE);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(JsonNode) b = parse(bad[i].body);

        g_assert_null(migration_send_config_from_json(b, &error));
        g_test_message("%s -> %s", bad[i].body, error->message);
        g_assert_nonnull(strstr(error->message, bad[i].error));
        g_clear_error(&error);
    }
}

/* ---- The receiving loop on memory streams -------------------------------- */

#define RX_RAM (64 * 1024)

typedef struct {
    GuestMemory mem;
    guint8 *ram;
    bool configured, have_state, completed, paused;
    bool fail_config;
} RxFake;

static const GuestMemory *
fake_config(gpointer opaque, VmConfig *config, JsonNode *table,
            GError **error)
{
    RxFake *f = opaque;

    if (f->fail_config) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no VM for you");
        return NULL;
    }
    f->configured = true;
    return &f->mem;
}

static bool
fake_memory_fd(gpointer opaque, uint32_t slot, int fd, GError **error)
{
    g_assert_not_reached();
    return false;
}

static bool
fake_state(gpointer opaque, JsonNode *state, GError **error)
{
    ((RxFake *)opaque)->have_state = true;
    return true;
}

static bool
fake_complete(gpointer opaque, bool paused, GError **error)
{
    RxFake *f = opaque;

    f->completed = true;
    f->paused = paused;
    return true;
}

static const MigrationReceiveOps fake_ops = {
    fake_config, fake_memory_fd, fake_state, fake_complete,
};

static void
rx_fake_init(RxFake *f)
{
    memset(f, 0, sizeof(*f));
    f->ram = g_malloc0(RX_RAM);
    f->mem.nregions = 2;
    f->mem.regions[0] = (GuestRegion){ .gpa = 0, .size = RX_RAM / 2,
                                       .hva = f->ram, .fd = -1 };
    f->mem.regions[1] = (GuestRegion){ .gpa = RX_RAM / 2, .size = RX_RAM / 2,
                                       .hva = f->ram + RX_RAM / 2, .fd = -1 };
    f->mem.ram_size = RX_RAM;
}

static void
put(GByteArray *b, MigrationCommand cmd, const void *payload, guint64 len)
{
    guint8 h[MIGRATION_HEADER_SIZE];

    header(h, cmd, 0, len);
    g_byte_array_append(b, h, sizeof(h));
    if (payload)
        g_byte_array_append(b, payload, (guint)len);
}

static void
put_text(GByteArray *b, MigrationCommand cmd, const char *text)
{
    put(b, cmd, text, strlen(text));
}

#define CONFIG_OK                                                          \
    "{\"vm_config\": {\"payload\": {\"kernel\": \"/nonexistent\"}}, "       \
    "\"memory_manager_data\": {}}"
#define STATE_OK                                                           \
    "{\"version\": 1, \"vm\": {}, \"cpu-manager\": {}, "                    \
    "\"memory-manager\": {}, \"device-manager\": {\"version\": 1, "         \
    "\"devices\": {}}}"

/* Runs the loop on @in; returns its result, *@error its error, and the
 * number of Ok answers it wrote before anything else in *@oks. */
static bool
rx_run(RxFake *f, GByteArray *in, guint *oks, GError **error)
{
    g_autoptr(GInputStream) is = g_memory_input_stream_new_from_data(
        g_memdup2(in->data, in->len), in->len, g_free);
    g_autoptr(GOutputStream) os = g_memory_output_stream_new_resizable();
    g_autoptr(GIOStream) io = g_simple_io_stream_new(is, os);
    bool ok = migration_receive_run(io, NULL, &fake_ops, f, NULL, error);
    const guint8 *out;
    gsize len;

    g_output_stream_close(os, NULL, NULL);
    out = g_memory_output_stream_get_data(G_MEMORY_OUTPUT_STREAM(os));
    len = g_memory_output_stream_get_data_size(G_MEMORY_OUTPUT_STREAM(os));
    g_assert_cmpuint(len % MIGRATION_HEADER_SIZE, ==, 0);
    *oks = 0;
    for (gsize i = 0; i < len; i += MIGRATION_HEADER_SIZE) {
        if (out[i] != MIGRATION_STATUS_OK)
            break;
        (*oks)++;
    }
    return ok;
}

/* A whole migration: memory in two passes (the second across the
 * boundary of the two regions), State, Complete. */
static void
test_receive_ok(void)
{
    RxFake f;
    g_autoptr(GByteArray) in = g_byte_array_new();
    g_autoptr(GByteArray) table = g_byte_array_new();
    g_autofree guint8 *pass1 = g_malloc(RX_RAM);
    const MigrationRange all = { 0, RX_RAM };
    const MigrationRange delta = { RX_RAM / 2 - PAGE, 2 * PAGE };
    guint8 delta_bytes[2 * PAGE];
    g_autoptr(GError) error = NULL;
    guint oks = 0;

    rx_fake_init(&f);
    for (guint i = 0; i < RX_RAM; i++)
        pass1[i] = (guint8)(i * 7);
    memset(delta_bytes, 0xab, sizeof(delta_bytes));
    put(in, MIGRATION_CMD_START, NULL, 0);
    put_text(in, MIGRATION_CMD_CONFIG, CONFIG_OK);
    migration_ranges_encode(&all, 1, table);
    put(in, MIGRATION_CMD_MEMORY, table->data, table->len);
    g_byte_array_append(in, pass1, RX_RAM);
    g_byte_array_set_size(table, 0);
    migration_ranges_encode(&delta, 1, table);
    put(in, MIGRATION_CMD_MEMORY, table->data, table->len);
    g_byte_array_append(in, delta_bytes, sizeof(delta_bytes));
    put_text(in, MIGRATION_CMD_STATE, STATE_OK);
    put(in, MIGRATION_CMD_COMPLETE_PAUSED, NULL, 0);
    g_assert_true(rx_run(&f, in, &oks, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(oks, ==, 6);
    g_assert_true(f.configured && f.have_state && f.completed && f.paused);
    g_assert_cmpmem(f.ram, RX_RAM / 2 - PAGE, pass1, RX_RAM / 2 - PAGE);
    g_assert_cmpmem(f.ram + RX_RAM / 2 - PAGE, 2 * PAGE, delta_bytes,
                    2 * PAGE);
    g_assert_cmpmem(f.ram + RX_RAM / 2 + PAGE, RX_RAM / 2 - PAGE,
                    pass1 + RX_RAM / 2 + PAGE, RX_RAM / 2 - PAGE);
    g_free(f.ram);
}

/*
 * The receiver's two paths for Memory data, on larger RAM: many lone
 * pages (more pieces than one batched read holds), a large range read in
 * place, and a range whose 1 MiB chunks fall inside one region, then
 * across two adjacent ones.  Every byte must land where its range says.
 */
#define RXB_REGION (16u << 20)
#define RXB_PAGES 1500u

static void
test_receive_batched(void)
{
    RxFake f;
    g_autoptr(GByteArray) in = g_byte_array_new();
    g_autoptr(GByteArray) table = g_byte_array_new();
    g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE,
                                           sizeof(MigrationRange));
    g_autofree guint8 *want = g_malloc0(2 * RXB_REGION);
    g_autoptr(GError) error = NULL;
    guint oks = 0;

    memset(&f, 0, sizeof(f));
    f.ram = g_malloc0(2 * RXB_REGION);
    f.mem.nregions = 2;
    f.mem.regions[0] = (GuestRegion){ .gpa = 0, .size = RXB_REGION,
                                      .hva = f.ram, .fd = -1 };
    f.mem.regions[1] = (GuestRegion){ .gpa = RXB_REGION,
                                      .size = RXB_REGION,
                                      .hva = f.ram + RXB_REGION, .fd = -1 };
    f.mem.ram_size = 2 * RXB_REGION;
    /* Every other page: no two ranges touch. */
    for (guint i = 0; i < RXB_PAGES; i++) {
        MigrationRange r = { (guint64)i * 2 * PAGE, PAGE };

        g_array_append_val(ranges, r);
    }
    /* 256 KiB inside region 1, read in place. */
    g_array_append_val(ranges, ((MigrationRange){ RXB_REGION + (4u << 20),
                                                  256u << 10 }));
    /* 2 MiB from 512 KiB before the boundary: its first 1 MiB chunk spans
     * both regions (through the buffer), its second is in region 1. */
    g_array_append_val(ranges, ((MigrationRange){ RXB_REGION - (512u << 10),
                                                  2u << 20 }));
    put(in, MIGRATION_CMD_START, NULL, 0);
    put_text(in, MIGRATION_CMD_CONFIG, CONFIG_OK);
    migration_ranges_encode((const MigrationRange *)(void *)ranges->data,
                            ranges->len, table);
    put(in, MIGRATION_CMD_MEMORY, table->data, table->len);
    for (guint i = 0; i < ranges->len; i++) {
        const MigrationRange *r = &g_array_index(ranges, MigrationRange, i);

        for (guint64 b = 0; b < r->length; b++)
            want[r->gpa + b] = (guint8)(i * 31 + b * 7 + 1);
        g_byte_array_append(in, want + r->gpa, (guint)r->length);
    }
    put_text(in, MIGRATION_CMD_STATE, STATE_OK);
    put(in, MIGRATION_CMD_COMPLETE, NULL, 0);
    g_assert_true(rx_run(&f, in, &oks, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(oks, ==, 5);
    g_assert_true(f.completed && !f.paused);
    g_assert_cmpmem(f.ram, 2 * RXB_REGION, want, 2 * RXB_REGION);
    g_free(f.ram);
}

typedef void (*BuildFunc)(GByteArray *in);

static void
build_empty(GByteArray *in)
{
}

static void
build_truncated_header(GByteArray *in)
{
    put(in, MIGRATION_CMD_START, NULL, 0);
    g_byte_array_set_size(in, 9);
}

static void
build_garbage(GByteArray *in)
{
    g_byte_array_append(in, (const guint8 *)"GET / HTTP/1.1\r\n\r\n", 18);
}

static void
build_config_first(GByteArray *in)
{
    put_text(in, MIGRATION_CMD_CONFIG, CONFIG_OK);
}

static void
build_start_config(GByteArray *in)
{
    put(in, MIGRATION_CMD_START, NULL, 0);
    put_text(in, MIGRATION_CMD_CONFIG, CONFIG_OK);
}

static void
build_truncated_config(GByteArray *in)
{
    put(in, MIGRATION_CMD_START, NULL, 0);
    put(in, MIGRATION_CMD_CONFIG, NULL, 100);
    g_byte_array_append(in, (const guint8 *)"{\"vm_config\"", 12);
}

static void
build_bad_config(GByteArray *in)
{
    put(in, MIGRATION_CMD_START, NULL, 0);
    put_text(in, MIGRATION_CMD_CONFIG, "{\"vm_config\": {\"cpus\": 3}, "
             "\"memory_manager_data\": {}}");
}

static void
build_memory_before_config(GByteArray *in)
{
    put(in, MIGRATION_CMD_START, NULL, 0);
    put(in, MIGRATION_CMD_MEMORY, NULL, 0);
}

static void
build_memory_outside(GByteArray *in)
{
    g_autoptr(GByteArray) table = g_byte_array_new();
    const MigrationRange r = { RX_RAM - PAGE, 2 * PAGE };

    put(in, MIGRATION_CMD_START, NULL, 0);
    put_text(in, MIGRATION_CMD_CONFIG, CONFIG_OK);
    migration_ranges_encode(&r, 1, table);
    put(in, MIGRATION_CMD_MEMORY, table->data, table->len);
}

static void
build_memory_truncated(GByteArray *in)
{
    g_autoptr(GByteArray) table = g_byte_array_new();
    const MigrationRange r = { 0, 2 * PAGE };

    put(in, MIGRATION_CMD_START, NULL, 0);
    put_text(in, MIGRATION_CMD_CONFIG, CONFIG_OK);
    migration_ranges_encode(&r, 1, table);
    put(in, MIGRATION_CMD_MEMORY, table->data, table->len);
    g_byte_array_set_size(in, in->len + PAGE);
}

static void
build_complete_early(GByteArray *in)
{
    put(in, MIGRATION_CMD_START, NULL, 0);
    put_text(in, MIGRATION_CMD_CONFIG, CONFIG_OK);
    put(in, MIGRATION_CMD_COMPLETE, NULL, 0);
}

static void
build_bad_state(GByteArray *in)
{
    put(in, MIGRATION_CMD_START, NULL, 0);
    put_text(in, MIGRATION_CMD_CONFIG, CONFIG_OK);
    put_text(in, MIGRATION_CMD_STATE, "{\"version\": 99}");
}

static void
build_abandon(GByteArray *in)
{
    put(in, MIGRATION_CMD_START, NULL, 0);
    put_text(in, MIGRATION_CMD_CONFIG, CONFIG_OK);
    put(in, MIGRATION_CMD_ABANDON, NULL, 0);
}

static void
build_memory_fd_on_stream(GByteArray *in)
{
    guint8 slot[4] = { 0 };

    put(in, MIGRATION_CMD_START, NULL, 0);
    put(in, MIGRATION_CMD_MEMORY_FD, slot, sizeof(slot));
}

static void
build_page_fault(GByteArray *in)
{
    guint8 r[16] = { 0 };

    put(in, MIGRATION_CMD_START, NULL, 0);
    put_text(in, MIGRATION_CMD_CONFIG, CONFIG_OK);
    put(in, MIGRATION_CMD_PAGE_FAULT, r, sizeof(r));
}

static void
build_second_start(GByteArray *in)
{
    put(in, MIGRATION_CMD_START, NULL, 0);
    put(in, MIGRATION_CMD_START, NULL, 0);
}

typedef struct {
    const char *name;
    BuildFunc build;
    bool fail_config;
    guint oks;              /* requests answered Ok before the refusal */
    const char *error;
} RxCase;

static const RxCase rx_cases[] = {
    { "empty", build_empty, false, 0, "closed in a request header" },
    { "truncated-header", build_truncated_header, false, 0,
      "closed in a request header (9 of 16" },
    { "garbage", build_garbage, false, 0, "unknown command" },
    { "config-before-start", build_config_first, false, 0,
      "unexpected Config" },
    { "truncated-config", build_truncated_config, false, 1,
      "closed in Config (12 of 100" },
    { "bad-config", build_bad_config, false, 1, "vm_config" },
    { "config-refused", build_start_config, true, 1, "no VM for you" },
    { "memory-before-config", build_memory_before_config, false, 1,
      "unexpected Memory" },
    { "memory-outside-ram", build_memory_outside, false, 2,
      "outside guest RAM" },
    { "memory-truncated", build_memory_truncated, false, 2,
      "closed in Memory data" },
    { "complete-before-state", build_complete_early, false, 2,
      "unexpected Complete" },
    { "state-newer", build_bad_state, false, 2, "newer" },
    /* Abandon itself is acknowledged, as CH does. */
    { "abandon", build_abandon, false, 3, "abandoned" },
    { "memory-fd-without-socket", build_memory_fd_on_stream, false, 1,
      "needs a UNIX socket" },
    { "postcopy", build_page_fault, false, 2, "not supported yet" },
    { "second-start", build_second_start, false, 1, "unexpected Start" },
};

static void
test_receive_refused(gconstpointer data)
{
    const RxCase *c = data;
    g_autoptr(GByteArray) in = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    RxFake f;
    guint oks = 0;

    rx_fake_init(&f);
    f.fail_config = c->fail_config;
    c->build(in);
    g_assert_false(rx_run(&f, in, &oks, &error));
    g_assert_nonnull(error);
    g_test_message("%s: %s", c->name, error->message);
    g_assert_nonnull(strstr(error->message, c->error));
    g_assert_cmpuint(oks, ==, c->oks);
    g_assert_false(f.completed);
    g_free(f.ram);
}

/* ---- Dirty ranges on the fake hypervisor -------------------------------- */

static void
test_dirty_collect(void)
{
    Hv *hv = hv_fake_ops.vm_new(NULL);
    g_autofree guint8 *ram = g_malloc0(RX_RAM + 3 * PAGE);
    GuestMemory mem = {
        .nregions = 2,
        .regions = {
            { .gpa = 0, .size = RX_RAM, .hva = ram, .fd = -1 },
            /* A last page shorter than 4 KiB. */
            { .gpa = 1ull << 32, .size = 2 * PAGE + 100,
              .hva = ram + RX_RAM, .fd = -1 },
        },
        .ram_size = RX_RAM + 2 * PAGE + 100,
    };
    g_autoptr(GuestDirtyLog) devlog = guest_dirty_log_new(&mem);
    g_autoptr(MigrationDirty) md = NULL;
    g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE,
                                           sizeof(MigrationRange));
    g_autoptr(GError) error = NULL;
    const MigrationRange *r;
    uint64_t bytes = 0;

    md = migration_dirty_new(&hv_fake_ops, hv, &mem, devlog);
    /* Not started: KVM has no log for the slot. */
    g_assert_false(migration_dirty_collect(md, ranges, &bytes, &error));
    g_assert_nonnull(strstr(error->message, "dirty-page log of slot 0"));
    g_clear_error(&error);
    /* Marks from before the start are covered by the first full pass. */
    guest_dirty_log_mark(devlog, 0, PAGE);
    g_assert_true(migration_dirty_start(md, &error));
    g_assert_cmpuint(hv_fake_slot_flags(hv, 0), ==, HV_MEM_LOG_DIRTY);
    g_assert_cmpuint(hv_fake_slot_flags(hv, 1), ==, HV_MEM_LOG_DIRTY);
    /* vCPUs wrote pages 1 and 2 of region 0; a device pages 2-3 (so the
     * two logs overlap and join), and the short last page of region 1. */
    g_assert_true(hv_fake_dirty_page(hv, 0, 1));
    g_assert_true(hv_fake_dirty_page(hv, 0, 2));
    guest_dirty_log_mark(devlog, 2 * PAGE + 10, PAGE);
    g_assert_true(hv_fake_dirty_page(hv, 1, 0));
    guest_dirty_log_mark(devlog, (1ull << 32) + 2 * PAGE + 50, 1);
    g_assert_true(migration_dirty_collect(md, ranges, &bytes, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(ranges->len, ==, 3);
    r = (const MigrationRange *)(void *)ranges->data;
    g_assert_cmpuint(r[0].gpa, ==, PAGE);
    g_assert_cmpuint(r[0].length, ==, 3 * PAGE);
    g_assert_cmpuint(r[1].gpa, ==, 1ull << 32);
    g_assert_cmpuint(r[1].length, ==, PAGE);
    g_assert_cmpuint(r[2].gpa, ==, (1ull << 32) + 2 * PAGE);
    g_assert_cmpuint(r[2].length, ==, 100);
    g_assert_cmpuint(bytes, ==, 4 * PAGE + 100);
    /* Both logs were cleared. */
    g_array_set_size(ranges, 0);
    g_assert_true(migration_dirty_collect(md, ranges, &bytes, &error));
    g_assert_cmpuint(ranges->len, ==, 0);
    g_assert_cmpuint(bytes, ==, 0);
    /* The first pass: the pages that are not zero (two adjacent ones,
     * one byte in the last, partial page). */
    ram[5 * PAGE] = 1;
    ram[7 * PAGE - 1] = 2;
    ram[RX_RAM + 2 * PAGE + 99] = 3;
    migration_nonzero_ranges(&mem, ranges, &bytes);
    g_assert_cmpuint(ranges->len, ==, 2);
    r = (const MigrationRange *)(void *)ranges->data;
    g_assert_cmpuint(r[0].gpa, ==, 5 * PAGE);
    g_assert_cmpuint(r[0].length, ==, 2 * PAGE);
    g_assert_cmpuint(r[1].gpa, ==, (1ull << 32) + 2 * PAGE);
    g_assert_cmpuint(r[1].length, ==, 100);
    g_assert_cmpuint(bytes, ==, 2 * PAGE + 100);
    migration_dirty_stop(md);
    g_assert_cmpuint(hv_fake_slot_flags(hv, 0), ==, 0);
    g_assert_false(hv_fake_dirty_page(hv, 0, 1));
    g_clear_pointer(&md, migration_dirty_free);
    hv_fake_ops.vm_free(hv);
}

/* The last delta: pre-copy's leftover pages and those written until the
 * pause, each page once, in address order. */
static void
test_ranges_union(void)
{
    static const MigrationRange a[] = {
        { 0x5000, PAGE }, { 0x1000, 2 * PAGE }, { 1ull << 32, PAGE },
    };
    static const MigrationRange b[] = {
        /* inside, overlapping, adjacent, apart, empty */
        { 0x2000, PAGE }, { 0x2000, 2 * PAGE }, { 0x6000, PAGE },
        { 0x9000, PAGE }, { 0x20000, 0 },
    };
    static const MigrationRange want[] = {
        { 0x1000, 3 * PAGE }, { 0x5000, 2 * PAGE }, { 0x9000, PAGE },
        { 1ull << 32, PAGE },
    };
    g_autoptr(GArray) ga = g_array_new(FALSE, FALSE, sizeof(MigrationRange));
    g_autoptr(GArray) gb = g_array_new(FALSE, FALSE, sizeof(MigrationRange));
    g_autoptr(GArray) u = NULL;
    g_autoptr(GArray) empty = NULL;
    uint64_t bytes = 0;

    g_array_append_vals(ga, a, G_N_ELEMENTS(a));
    g_array_append_vals(gb, b, G_N_ELEMENTS(b));
    u = migration_ranges_union(ga, gb, &bytes);
    g_assert_cmpuint(u->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < u->len; i++) {
        const MigrationRange *r = &g_array_index(u, MigrationRange, i);

        g_assert_cmphex(r->gpa, ==, want[i].gpa);
        g_assert_cmpuint(r->length, ==, want[i].length);
    }
    g_assert_cmpuint(bytes, ==, 7 * PAGE);
    /* Nothing and nothing: nothing to send. */
    g_array_set_size(ga, 0);
    g_array_set_size(gb, 0);
    empty = migration_ranges_union(ga, gb, &bytes);
    g_assert_cmpuint(empty->len, ==, 0);
    g_assert_cmpuint(bytes, ==, 0);
}

/* ---- The API on a Vmm without KVM ------------------------------------- */

/* Runs @action; returns the status, *@msg (may be NULL) the error. */
static guint
api(Vmm *vmm, ApiAction action, const char *body, char **msg)
{
    g_autoptr(GBytes) b = body ? g_bytes_new(body, strlen(body)) : NULL;
    ApiResult r = { 0 };
    guint status;

    api_backend_execute(vmm, action, b, NULL, &r);
    status = r.status;
    if (msg)
        *msg = r.errors ? api_result_error_message(&r) : NULL;
    api_result_clear(&r);
    return status;
}

static void
expect_api(Vmm *vmm, ApiAction action, const char *body, guint status,
           const char *mentions)
{
    g_autofree char *msg = NULL;

    g_assert_cmpuint(api(vmm, action, body, &msg), ==, status);
    if (mentions) {
        g_test_message("%s", msg);
        g_assert_nonnull(strstr(msg, mentions));
    }
}

/* The control thread's share of a migration runs in this test's main
 * context: iterate it until the migration ended. */
static void
wait_migration_end(Vmm *vmm)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (migration_busy(vmm_get_migration(vmm)) &&
           g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, FALSE);
    g_assert_false(migration_busy(vmm_get_migration(vmm)));
}

/*
 * vm.send-migration and vm.receive-migration through the API: refusals
 * before anything starts, then a receiver fed garbage, which answers
 * Error, ends, and leaves the Vmm without a VM and ready for another.
 */
static void
test_api(void)
{
    g_autoptr(Vmm) vmm = vmm_new(NULL, NULL);
    g_autofree char *path = g_build_filename(test_tmpdir(), "m.sock", NULL);
    g_autofree char *body = g_strdup_printf("{\"receiver_url\": \"unix:%s\"}",
                                            path);
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    g_autoptr(GSocketConnection) conn = NULL;
    g_autoptr(GError) error = NULL;
    static const char junk[] = "GET / HTTP/1.1\r\n\r\n";
    guint8 answer[MIGRATION_HEADER_SIZE];

    expect_api(vmm, API_ACTION_VM_SEND_MIGRATION,
               "{\"destination_url\": \"unix:/nowhere\"}", 404,
               "not created");
    expect_api(vmm, API_ACTION_VM_SEND_MIGRATION, "{\"local\": true}", 400,
               "'destination_url': missing");
    expect_api(vmm, API_ACTION_VM_RECEIVE_MIGRATION,
               "{\"receiver_url\": \"tcp:localhost:1\"}", 400,
               "not a migration URL");
    expect_api(vmm, API_ACTION_VM_RECEIVE_MIGRATION,
               "{\"receiver_url\": \"unix:/x\", \"tls_dir\": \"/t\"}", 500,
               "not supported yet");
    expect_api(vmm, API_ACTION_VM_RECEIVE_MIGRATION, body, 204, NULL);
    /* Listening: one migration at a time, and no VM meanwhile. */
    expect_api(vmm, API_ACTION_VM_RECEIVE_MIGRATION, body, 409,
               "already in progress");
    expect_api(vmm, API_ACTION_VM_CREATE,
               "{\"payload\": {\"kernel\": \"/k\"}}", 405,
               "migration is in progress");
    expect_api(vmm, API_ACTION_VM_INFO, NULL, 404, NULL);
    conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL,
                                   &error);
    g_assert_no_error(error);
    g_assert_true(g_output_stream_write_all(
        g_io_stream_get_output_stream(G_IO_STREAM(conn)), junk, strlen(junk),
        NULL, NULL, &error));
    g_assert_true(migration_read_exact(
        g_io_stream_get_input_stream(G_IO_STREAM(conn)), answer,
        sizeof(answer), "the answer", NULL, &error));
    g_assert_cmpuint(answer[0], ==, MIGRATION_STATUS_ERROR);
    /* One clear error on the receiving side. */
    g_test_expect_message("nimbus", G_LOG_LEVEL_WARNING,
                          "receiving the migration failed: migration: "
                          "unknown command*");
    wait_migration_end(vmm);
    g_test_assert_expected_messages();
    expect_api(vmm, API_ACTION_VM_INFO, NULL, 404, NULL);
    /* The socket went with the failed migration: listening again works,
     * and freeing the Vmm stops the thread waiting in accept. */
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    expect_api(vmm, API_ACTION_VM_RECEIVE_MIGRATION, body, 204, NULL);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/migration/protocol/request-roundtrip",
                    test_request_roundtrip);
    g_test_add_func("/migration/protocol/request-refused",
                    test_request_refused);
    g_test_add_func("/migration/protocol/response", test_response);
    g_test_add_func("/migration/protocol/ranges", test_ranges);
    g_test_add_func("/migration/url", test_url);
    g_test_add_func("/migration/send-config", test_send_config);
    g_test_add_func("/migration/receive/ok", test_receive_ok);
    g_test_add_func("/migration/receive/batched", test_receive_batched);
    for (guint i = 0; i < G_N_ELEMENTS(rx_cases); i++) {
        g_autofree char *path = g_strdup_printf("/migration/receive/%s",
                                                rx_cases[i].name);

        g_test_add_data_func(path, &rx_cases[i], test_receive_refused);
    }
    g_test_add_func("/migration/dirty/collect", test_dirty_collect);
    g_test_add_func("/migration/dirty/union", test_ranges_union);
    g_test_add_func("/migration/api", test_api);
    return g_test_run();
}

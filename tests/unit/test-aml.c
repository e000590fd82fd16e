/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: AML writer encodings against hand-assembled bytes. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "arch/x86_64/aml.h"

/* Finishes @w and compares with @want (hex dump on mismatch). */
static void
check_bytes(AmlWriter *w, const uint8_t *want, size_t nwant)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) got = aml_writer_finish(w, &error);
    gsize n = 0;
    const uint8_t *p;

    g_assert_no_error(error);
    g_assert_nonnull(got);
    p = g_bytes_get_data(got, &n);
    if (n != nwant || memcmp(p, want, n) != 0) {
        g_autoptr(GString) s = g_string_new("got:");

        for (gsize i = 0; i < n; i++)
            g_string_append_printf(s, " %02x", p[i]);
        g_test_message("%s", s->str);
    }
    g_assert_cmpmem(p, n, want, nwant);
}

#define CHECK(w, ...)                                                    \
    do {                                                                 \
        const uint8_t want_[] = { __VA_ARGS__ };                         \
        check_bytes(w, want_, sizeof(want_));                            \
    } while (0)

static void
check_fails(AmlWriter *w, const char *pattern)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) got = aml_writer_finish(w, &error);

    g_assert_null(got);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_true(g_pattern_match_simple(pattern, error->message));
}

static void
test_pkglength(void)
{
    uint8_t b[4];

    /* 1-byte form: the length counts the PkgLength byte itself. */
    g_assert_cmpuint(aml_pkglength_encode(0, b), ==, 1);
    g_assert_cmphex(b[0], ==, 0x01);
    g_assert_cmpuint(aml_pkglength_encode(62, b), ==, 1);
    g_assert_cmphex(b[0], ==, 0x3f);
    /* 2-byte form: 63 + 2 = 0x41: low nibble in byte 0, then 0x41 >> 4. */
    g_assert_cmpuint(aml_pkglength_encode(63, b), ==, 2);
    g_assert_cmpmem(b, 2, ((const uint8_t[]){ 0x41, 0x04 }), 2);
    g_assert_cmpuint(aml_pkglength_encode(0xffd, b), ==, 2);
    g_assert_cmpmem(b, 2, ((const uint8_t[]){ 0x4f, 0xff }), 2);
    /* 3-byte form from a total of 0x1000 on: 0xffe + 3 = 0x1001. */
    g_assert_cmpuint(aml_pkglength_encode(0xffe, b), ==, 3);
    g_assert_cmpmem(b, 3, ((const uint8_t[]){ 0x81, 0x00, 0x01 }), 3);
    g_assert_cmpuint(aml_pkglength_encode(0xffffc, b), ==, 3);
    g_assert_cmpmem(b, 3, ((const uint8_t[]){ 0x8f, 0xff, 0xff }), 3);
    /* 4-byte form. */
    g_assert_cmpuint(aml_pkglength_encode(0xffffd, b), ==, 4);
    g_assert_cmpmem(b, 4, ((const uint8_t[]){ 0xc1, 0x00, 0x00, 0x01 }), 4);
    g_assert_cmpuint(aml_pkglength_encode(AML_PKGLENGTH_MAX - 4, b), ==, 4);
    g_assert_cmpmem(b, 4, ((const uint8_t[]){ 0xcf, 0xff, 0xff, 0xff }), 4);
    g_assert_cmpuint(aml_pkglength_encode(AML_PKGLENGTH_MAX, b), ==, 0);
}

static void
test_integers(void)
{
    g_autoptr(AmlWriter) w = aml_writer_new();

    aml_integer(w, 0);
    aml_integer(w, 1);
    aml_integer(w, 2);
    aml_integer(w, 0xff);
    aml_integer(w, 0x100);
    aml_integer(w, 0xffff);
    aml_integer(w, 0x10000);
    aml_integer(w, 0xffffffff);
    aml_integer(w, 0x100000000ULL);
    aml_integer(w, 0x0123456789abcdefULL);
    CHECK(w, 0x00, 0x01, 0x0a, 0x02, 0x0a, 0xff, 0x0b, 0x00, 0x01,
          0x0b, 0xff, 0xff, 0x0c, 0x00, 0x00, 0x01, 0x00,
          0x0c, 0xff, 0xff, 0xff, 0xff,
          0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
          0x0e, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01);
}

static void
test_strings_and_names(void)
{
    g_autoptr(AmlWriter) w = aml_writer_new();

    aml_string(w, "COM1");
    aml_namestring(w, "\\_SB_.PCI0.S000");
    aml_namestring(w, "^FOO");
    aml_namestring(w, "\\");
    aml_namestring(w, "AB");
    aml_namestring(w, "_SB_.CPUS");
    aml_name_integer(w, "_UID", 0);
    aml_name_eisaid(w, "_HID", "PNP0A08");
    CHECK(w, 0x0d, 'C', 'O', 'M', '1', 0x00,
          0x5c, 0x2f, 0x03, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
          'S', '0', '0', '0',
          0x5e, 'F', 'O', 'O', '_',
          0x5c, 0x00,
          'A', 'B', '_', '_',
          0x2e, '_', 'S', 'B', '_', 'C', 'P', 'U', 'S',
          0x08, '_', 'U', 'I', 'D', 0x00,
          /* EisaId("PNP0A08") = 0x080ad041 */
          0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08);
}

static void
test_device_hid(void)
{
    g_autoptr(AmlWriter) w = aml_writer_new();

    /* Device (_SB.PWRB) { Name (_HID, EisaId ("PNP0C0C")) Name (_UID, 0) }
     * body: name 9 + _HID 10 + _UID 6 = 25, PkgLength 26. */
    aml_device_begin(w, "_SB_.PWRB");
    aml_name_eisaid(w, "_HID", "PNP0C0C");
    aml_name_integer(w, "_UID", 0);
    aml_end(w);
    CHECK(w, 0x5b, 0x82, 0x1a,
          0x2e, '_', 'S', 'B', '_', 'P', 'W', 'R', 'B',
          0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0c, 0x0c,
          0x08, '_', 'U', 'I', 'D', 0x00);
}

static void
test_method_if(void)
{
    g_autoptr(AmlWriter) w = aml_writer_new();

    /* Method (TEST, 1, Serialized) { If (LEqual (Arg0, One)) {
     *     Return (0x0F) } } */
    aml_method_begin(w, "TEST", 1, true);
    aml_if_begin(w);
    aml_lequal(w);
    aml_arg(w, 0);
    aml_integer(w, 1);
    aml_return(w);
    aml_integer(w, 0x0f);
    aml_end(w);
    aml_end(w);
    CHECK(w, 0x14, 0x0e, 'T', 'E', 'S', 'T', 0x09,
          0xa0, 0x07, 0x93, 0x68, 0x01, 0xa4, 0x0a, 0x0f);
}

static void
test_store_and_notify(void)
{
    g_autoptr(AmlWriter) w = aml_writer_new();

    /* Store (GDAT, Local0); And (Local0, 8, Local1);
     * Notify (\_SB.PWRB, 0x80); else-branch encoding. */
    aml_store(w);
    aml_namestring(w, "GDAT");
    aml_local(w, 0);
    aml_and(w);
    aml_local(w, 0);
    aml_integer(w, 8);
    aml_local(w, 1);
    aml_notify(w);
    aml_namestring(w, "\\_SB_.PWRB");
    aml_integer(w, 0x80);
    aml_else_begin(w);
    aml_return(w);
    aml_integer(w, 0);
    aml_end(w);
    CHECK(w, 0x70, 'G', 'D', 'A', 'T', 0x60,
          0x7b, 0x60, 0x0a, 0x08, 0x61,
          0x86, 0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'W', 'R', 'B', 0x0a, 0x80,
          0xa1, 0x03, 0xa4, 0x00);
}

static void
test_package_buffer(void)
{
    g_autoptr(AmlWriter) w = aml_writer_new();
    const uint8_t data[] = { 1, 2, 3 };

    aml_name(w, "\\_S5_");
    aml_package_begin(w, 4);
    aml_integer(w, 5);
    aml_integer(w, 0);
    aml_integer(w, 0);
    aml_integer(w, 0);
    aml_end(w);
    aml_buffer(w, data, sizeof(data));
    CHECK(w, 0x08, 0x5c, '_', 'S', '5', '_',
          0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00,
          0x11, 0x06, 0x0a, 0x03, 0x01, 0x02, 0x03);
}

static void
test_resource_template(void)
{
    g_autoptr(AmlWriter) w = aml_writer_new();

    /* ResourceTemplate () { IO (Decode16, 0x3F8, 0x3F8, 0, 8) }: 8 bytes of
     * IO descriptor + end tag = 10, BufferSize 0x0a, PkgLength 13. */
    aml_resource_template_begin(w);
    aml_rd_io(w, 0x3f8, 0x3f8, 0, 8);
    aml_end(w);
    CHECK(w, 0x11, 0x0d, 0x0a, 0x0a,
          0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08, 0x79, 0x00);
}

static void
test_descriptors(void)
{
    g_autoptr(AmlWriter) w = aml_writer_new();
    g_autoptr(GBytes) out = NULL;
    const uint8_t *p;
    gsize n;
    const uint8_t irq[] = { 0x89, 0x06, 0x00, 0x03, 0x01, 0x04, 0, 0, 0 };
    const uint8_t mem32[] = { 0x86, 0x09, 0x00, 0x01,
                              0x00, 0x00, 0x00, 0xe8, 0x00, 0x00, 0x00, 0x10 };
    const uint8_t bus[] = { 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00,
                            0, 0, 0, 0, 0xff, 0, 0, 0, 0x00, 0x01 };
    const uint8_t wio[] = { 0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03,
                            0, 0, 0x00, 0x0d, 0xff, 0xff, 0, 0, 0x00, 0xf3 };
    const uint8_t dmem[] = { 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01,
                             0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff, 0xff, 0xe7,
                             0, 0, 0, 0, 0, 0, 0, 0x28 };
    const uint8_t qmem[] = { 0x8a, 0x2b, 0x00, 0x00, 0x0c, 0x03,
                             0, 0, 0, 0, 0, 0, 0, 0,
                             0, 0, 0, 0, 1, 0, 0, 0,
                             0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0,
                             0, 0, 0, 0, 0, 0, 0, 0,
                             0, 0, 0, 0, 1, 0, 0, 0 };
    size_t off;

    aml_resource_template_begin(w);
    aml_rd_interrupt(w, true, true, false, false, 4);
    aml_rd_memory32_fixed(w, true, 0xe8000000, 0x10000000);
    aml_rd_word_bus_number(w, 0, 0xff);
    aml_rd_word_io(w, 0x0d00, 0xffff);
    aml_rd_dword_memory(w, false, true, 0xc0000000, 0xe7ffffff);
    aml_rd_qword_memory(w, true, true, 0x100000000ULL, 0x1ffffffffULL);
    aml_end(w);
    out = aml_writer_finish(w, NULL);
    g_assert_nonnull(out);
    p = g_bytes_get_data(out, &n);
    /* 9 + 12 + 16 + 16 + 26 + 46 + 2 = 127 bytes: BufferSize 0x7f
     * (0a 7f), PkgLength 2 bytes. */
    g_assert_cmphex(p[0], ==, 0x11);
    g_assert_cmphex(p[3], ==, 0x0a);
    g_assert_cmphex(p[4], ==, 127);
    off = 5;
    g_assert_cmpuint(n, ==, off + 127);
    g_assert_cmpmem(p + off, sizeof(irq), irq, sizeof(irq));
    off += sizeof(irq);
    g_assert_cmpmem(p + off, sizeof(mem32), mem32, sizeof(mem32));
    off += sizeof(mem32);
    g_assert_cmpmem(p + off, sizeof(bus), bus, sizeof(bus));
    off += sizeof(bus);
    g_assert_cmpmem(p + off, sizeof(wio), wio, sizeof(wio));
    off += sizeof(wio);
    g_assert_cmpmem(p + off, sizeof(dmem), dmem, sizeof(dmem));
    off += sizeof(dmem);
    g_assert_cmpmem(p + off, sizeof(qmem), qmem, sizeof(qmem));
    off += sizeof(qmem);
    g_assert_cmphex(p[off], ==, 0x79);
    /* The 2-byte PkgLength: 127 + 2 (size) + 2 = 131 = 0x83. */
    g_assert_cmphex(p[1], ==, 0x43);
    g_assert_cmphex(p[2], ==, 0x08);
}

static void
test_opregion_field(void)
{
    g_autoptr(AmlWriter) w = aml_writer_new();

    aml_operation_region(w, "GDST", AML_SPACE_SYSTEM_MEMORY, 0xfe000000, 1);
    aml_field_begin(w, "GDST", AML_FIELD_ACCESS_BYTE, false,
                    AML_FIELD_UPDATE_WRITE_AS_ZEROS);
    aml_field_entry(w, "GDAT", 8);
    aml_field_skip(w, 24);
    aml_field_entry(w, "WIDE", 64);     /* 2-byte bit count */
    aml_end(w);
    CHECK(w, 0x5b, 0x80, 'G', 'D', 'S', 'T', 0x00,
          0x0c, 0x00, 0x00, 0x00, 0xfe, 0x01,
          0x5b, 0x81, 0x13, 'G', 'D', 'S', 'T', 0x41,
          'G', 'D', 'A', 'T', 0x08, 0x00, 0x18, 'W', 'I', 'D', 'E', 0x40, 0x04);
}

static void
test_long_body(void)
{
    g_autoptr(AmlWriter) w = aml_writer_new();
    g_autoptr(GBytes) out = NULL;
    const uint8_t *p;
    gsize n;

    /* A scope with 100 Name(XXXX, Zero) objects (600 bytes): 2-byte
     * PkgLength = 600 + 5 (\_SB_) + 2 = 607 = 0x25f. */
    aml_scope_begin(w, "\\_SB_");
    for (int i = 0; i < 100; i++)
        aml_name_integer(w, "ABCD", 0);
    aml_end(w);
    out = aml_writer_finish(w, NULL);
    p = g_bytes_get_data(out, &n);
    g_assert_cmpuint(n, ==, 1 + 607);
    g_assert_cmphex(p[0], ==, 0x10);
    g_assert_cmphex(p[1], ==, 0x4f);
    g_assert_cmphex(p[2], ==, 0x25);
    g_assert_cmpmem(p + 3, 5, "\\_SB_", 5);
}

static void
test_misuse(void)
{
    AmlWriter *w;

    w = aml_writer_new();
    aml_rd_io(w, 0, 0, 0, 0);
    check_fails(w, "*IO descriptor outside a ResourceTemplate*");
    aml_writer_free(w);

    w = aml_writer_new();
    aml_device_begin(w, "DEV0");
    check_fails(w, "*left open*");
    aml_writer_free(w);

    w = aml_writer_new();
    aml_end(w);
    check_fails(w, "*without an open block*");
    aml_writer_free(w);

    w = aml_writer_new();
    aml_name_integer(w, "toolong", 0);
    check_fails(w, "*invalid AML name 'toolong'*");
    aml_writer_free(w);

    w = aml_writer_new();
    aml_name_integer(w, "1ABC", 0);
    check_fails(w, "*invalid AML name*");
    aml_writer_free(w);

    w = aml_writer_new();
    aml_eisaid(w, "PNP0A0");
    check_fails(w, "*not 7 characters*");
    aml_writer_free(w);

    w = aml_writer_new();
    aml_eisaid(w, "pnp0A08");
    check_fails(w, "*3 capitals*");
    aml_writer_free(w);

    w = aml_writer_new();
    aml_field_entry(w, "GDAT", 8);
    check_fails(w, "*outside a Field*");
    aml_writer_free(w);

    w = aml_writer_new();
    aml_local(w, 8);
    check_fails(w, "*Local8*");
    aml_writer_free(w);

    w = aml_writer_new();
    aml_string(w, "caf\xc3\xa9");
    check_fails(w, "*non-ASCII*");
    aml_writer_free(w);

    /* The first misuse is the one reported. */
    w = aml_writer_new();
    aml_arg(w, 7);
    aml_end(w);
    check_fails(w, "*Arg7*");
    aml_writer_free(w);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/x86/aml/pkglength", test_pkglength);
    g_test_add_func("/x86/aml/integers", test_integers);
    g_test_add_func("/x86/aml/strings-names", test_strings_and_names);
    g_test_add_func("/x86/aml/device-hid", test_device_hid);
    g_test_add_func("/x86/aml/method-if", test_method_if);
    g_test_add_func("/x86/aml/store-notify", test_store_and_notify);
    g_test_add_func("/x86/aml/package-buffer", test_package_buffer);
    g_test_add_func("/x86/aml/resource-template", test_resource_template);
    g_test_add_func("/x86/aml/descriptors", test_descriptors);
    g_test_add_func("/x86/aml/opregion-field", test_opregion_field);
    g_test_add_func("/x86/aml/long-body", test_long_body);
    g_test_add_func("/x86/aml/misuse", test_misuse);
    return g_test_run();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* AML writer: emits ACPI Machine Language bytecode for the DSDT. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "arch/x86_64/aml.h"

/* Opcodes, ACPI 6.5 §20.3. */
enum {
    AML_ZERO_OP = 0x00,
    AML_ONE_OP = 0x01,
    AML_NAME_OP = 0x08,
    AML_BYTE_PREFIX = 0x0a,
    AML_WORD_PREFIX = 0x0b,
    AML_DWORD_PREFIX = 0x0c,
    AML_STRING_PREFIX = 0x0d,
    AML_QWORD_PREFIX = 0x0e,
    AML_SCOPE_OP = 0x10,
    AML_BUFFER_OP = 0x11,
    AML_PACKAGE_OP = 0x12,
    AML_VAR_PACKAGE_OP = 0x13,
    AML_METHOD_OP = 0x14,
    AML_DUAL_NAME_PREFIX = 0x2e,
    AML_MULTI_NAME_PREFIX = 0x2f,
    AML_EXT_OP_PREFIX = 0x5b,
    AML_ROOT_CHAR = 0x5c,
    AML_PARENT_PREFIX = 0x5e,
    AML_LOCAL0_OP = 0x60,
    AML_ARG0_OP = 0x68,
    AML_STORE_OP = 0x70,
    AML_SHIFT_LEFT_OP = 0x79,
    AML_AND_OP = 0x7b,
    AML_NOTIFY_OP = 0x86,
    AML_LEQUAL_OP = 0x93,
    AML_IF_OP = 0xa0,
    AML_ELSE_OP = 0xa1,
    AML_RETURN_OP = 0xa4,
    /* after AML_EXT_OP_PREFIX */
    AML_EXT_MUTEX_OP = 0x01,
    AML_EXT_ACQUIRE_OP = 0x23,
    AML_EXT_RELEASE_OP = 0x27,
    AML_EXT_OPREGION_OP = 0x80,
    AML_EXT_FIELD_OP = 0x81,
    AML_EXT_DEVICE_OP = 0x82,
};

/* Resource descriptor tags, ACPI 6.5 §6.4. */
enum {
    AML_RD_IO = 0x47,               /* small, type 0x08, 7 bytes */
    AML_RD_END_TAG = 0x79,          /* small, type 0x0f, 1 byte */
    AML_RD_MEMORY32_FIXED = 0x86,
    AML_RD_DWORD_ADDRESS = 0x87,
    AML_RD_WORD_ADDRESS = 0x88,
    AML_RD_EXT_INTERRUPT = 0x89,
    AML_RD_QWORD_ADDRESS = 0x8a,
};

enum {
    AML_ADDR_MEMORY = 0,
    AML_ADDR_IO = 1,
    AML_ADDR_BUS_NUMBER = 2,
};

typedef enum {
    BLOCK_SCOPE,
    BLOCK_DEVICE,
    BLOCK_METHOD,
    BLOCK_IF,
    BLOCK_ELSE,
    BLOCK_PACKAGE,
    BLOCK_FIELD,
    BLOCK_RESOURCE_TEMPLATE,
} BlockKind;

/* Deep enough for \_SB_.GED_._EVT-style nesting with room to spare. */
#define AML_MAX_DEPTH 32

typedef struct {
    BlockKind kind;
    size_t start;       /* where the PkgLength goes: right after the opcode */
} AmlBlock;

struct AmlWriter {
    GByteArray *buf;
    AmlBlock stack[AML_MAX_DEPTH];
    unsigned depth;
    char *error;        /* first misuse, reported by aml_writer_finish() */
};

static void G_GNUC_PRINTF(2, 3)
aml_fail(AmlWriter *w, const char *fmt, ...)
{
    va_list ap;

    if (w->error)
        return;
    va_start(ap, fmt);
    w->error = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

AmlWriter *
aml_writer_new(void)
{
    AmlWriter *w = g_new0(AmlWriter, 1);

    w->buf = g_byte_array_new();
    return w;
}

void
aml_writer_free(AmlWriter *w)
{
    if (!w)
        return;
    g_byte_array_unref(w->buf);
    g_free(w->error);
    g_free(w);
}

GBytes *
aml_writer_finish(AmlWriter *w, GError **error)
{
    if (!w->error && w->depth > 0)
        aml_fail(w, "%u AML block(s) left open", w->depth);
    if (w->error) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "AML writer: %s", w->error);
        return NULL;
    }
    return g_bytes_new(w->buf->data, w->buf->len);
}

static void
put8(AmlWriter *w, uint8_t b)
{
    g_byte_array_append(w->buf, &b, 1);
}

static void
put_le(AmlWriter *w, uint64_t v, unsigned n)
{
    uint8_t b[8];

    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    g_byte_array_append(w->buf, b, n);
}

static void
insert_at(AmlWriter *w, size_t pos, const uint8_t *data, size_t len)
{
    size_t tail = w->buf->len - pos;

    g_byte_array_set_size(w->buf, w->buf->len + len);
    memmove(w->buf->data + pos + len, w->buf->data + pos, tail);
    memcpy(w->buf->data + pos, data, len);
}

/* The raw PkgLength number format (§20.2.4): up to 63 in one byte; else
 * bits 6-7 of the lead byte say how many bytes follow, the lead byte keeps
 * the low 4 bits and each following byte 8 more.  Returns the byte count,
 * 0 if @value needs more than 28 bits. */
static size_t
encode_pkg_number(uint64_t value, uint8_t out[4])
{
    size_t n;

    if (value <= 0x3f) {
        out[0] = (uint8_t)value;
        return 1;
    }
    for (n = 2; n <= 4; n++) {
        if (value < (1ULL << (4 + 8 * (n - 1))))
            break;
    }
    if (n > 4)
        return 0;
    out[0] = (uint8_t)(((n - 1) << 6) | (value & 0x0f));
    for (size_t i = 1; i < n; i++)
        out[i] = (uint8_t)(value >> (4 + 8 * (i - 1)));
    return n;
}

size_t
aml_pkglength_encode(size_t body_len, uint8_t out[4])
{
    /* The length counts the PkgLength bytes too: take the shortest form
     * whose own size still leaves the total encodable in that form. */
    for (size_t n = 1; n <= 4; n++) {
        uint8_t tmp[4];
        uint64_t total = (uint64_t)body_len + n;

        if (encode_pkg_number(total, tmp) == n) {
            memcpy(out, tmp, n);
            return n;
        }
    }
    return 0;
}

static size_t
encode_integer(uint64_t v, uint8_t out[9])
{
    unsigned n;

    if (v == 0 || v == 1) {
        out[0] = v ? AML_ONE_OP : AML_ZERO_OP;
        return 1;
    }
    if (v <= 0xff) {
        out[0] = AML_BYTE_PREFIX;
        n = 1;
    } else if (v <= 0xffff) {
        out[0] = AML_WORD_PREFIX;
        n = 2;
    } else if (v <= 0xffffffffULL) {
        out[0] = AML_DWORD_PREFIX;
        n = 4;
    } else {
        out[0] = AML_QWORD_PREFIX;
        n = 8;
    }
    for (unsigned i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(v >> (8 * i));
    return 1 + n;
}

void
aml_integer(AmlWriter *w, uint64_t value)
{
    uint8_t b[9];
    size_t n = encode_integer(value, b);

    g_byte_array_append(w->buf, b, n);
}

void
aml_string(AmlWriter *w, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p < 0x01 || *p > 0x7e) {
            aml_fail(w, "string '%s' has a non-ASCII character", s);
            return;
        }
    }
    put8(w, AML_STRING_PREFIX);
    g_byte_array_append(w->buf, (const guint8 *)s, strlen(s) + 1);
}

void
aml_eisaid(AmlWriter *w, const char *id)
{
    uint32_t v = 0;

    if (strlen(id) != 7) {
        aml_fail(w, "EISA ID '%s' is not 7 characters", id);
        return;
    }
    /* Three letters in 5 bits each ('A' = 1), then four hex digits; the
     * 32-bit result is stored big-endian (§19.6.35). */
    for (int i = 0; i < 3; i++) {
        if (!g_ascii_isupper(id[i])) {
            aml_fail(w, "EISA ID '%s' does not start with 3 capitals", id);
            return;
        }
        v |= (uint32_t)(id[i] - 0x40) << (26 - 5 * i);
    }
    for (int i = 3; i < 7; i++) {
        if (!g_ascii_isxdigit(id[i]) || g_ascii_islower(id[i])) {
            aml_fail(w, "EISA ID '%s' does not end with 4 hex digits", id);
            return;
        }
        v |= (uint32_t)g_ascii_xdigit_value(id[i]) << (4 * (6 - i));
    }
    /* Always a DWordConst, like iasl, even if the value would fit less. */
    put8(w, AML_DWORD_PREFIX);
    put_le(w, GUINT32_SWAP_LE_BE(v), 4);
}

static void
block_push(AmlWriter *w, BlockKind kind)
{
    if (w->depth >= AML_MAX_DEPTH) {
        aml_fail(w, "AML nesting deeper than %d", AML_MAX_DEPTH);
        return;
    }
    w->stack[w->depth++] = (AmlBlock){ .kind = kind, .start = w->buf->len };
}

static bool
block_is(AmlWriter *w, BlockKind kind)
{
    return w->depth > 0 && w->stack[w->depth - 1].kind == kind;
}

void
aml_end(AmlWriter *w)
{
    AmlBlock b;
    uint8_t pkg[4];
    uint8_t size[9];
    size_t n;

    if (w->depth == 0) {
        aml_fail(w, "aml_end() without an open block");
        return;
    }
    b = w->stack[--w->depth];
    if (b.kind == BLOCK_RESOURCE_TEMPLATE) {
        /* End tag; a zero checksum means "treat as valid" (§6.4.2.9). */
        put8(w, AML_RD_END_TAG);
        put8(w, 0);
        /* A Buffer's body starts with its size as an integer. */
        n = encode_integer(w->buf->len - b.start, size);
        insert_at(w, b.start, size, n);
    }
    n = aml_pkglength_encode(w->buf->len - b.start, pkg);
    if (n == 0) {
        aml_fail(w, "AML object of %zu bytes is too long for a PkgLength",
                 (size_t)(w->buf->len - b.start));
        return;
    }
    insert_at(w, b.start, pkg, n);
}

static bool
valid_nameseg(const char *s, size_t len)
{
    if (len == 0 || len > 4)
        return false;
    if (!(g_ascii_isupper(s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < len; i++) {
        if (!(g_ascii_isupper(s[i]) || g_ascii_isdigit(s[i]) || s[i] == '_'))
            return false;
    }
    return true;
}

void
aml_namestring(AmlWriter *w, const char *path)
{
    const char *p = path;
    g_auto(GStrv) segs = NULL;
    guint nsegs;

    if (*p == '\\') {
        put8(w, AML_ROOT_CHAR);
        p++;
    } else {
        while (*p == '^') {
            put8(w, AML_PARENT_PREFIX);
            p++;
        }
    }
    if (*p == '\0') {
        put8(w, 0x00);          /* NullName */
        return;
    }
    segs = g_strsplit(p, ".", -1);
    nsegs = g_strv_length(segs);
    if (nsegs > 255) {
        aml_fail(w, "name '%s' has too many segments", path);
        return;
    }
    if (nsegs == 2) {
        put8(w, AML_DUAL_NAME_PREFIX);
    } else if (nsegs > 2) {
        put8(w, AML_MULTI_NAME_PREFIX);
        put8(w, (uint8_t)nsegs);
    }
    for (guint i = 0; i < nsegs; i++) {
        char seg[4] = { '_', '_', '_', '_' };
        size_t len = strlen(segs[i]);

        if (!valid_nameseg(segs[i], len)) {
            aml_fail(w, "invalid AML name '%s'", path);
            return;
        }
        memcpy(seg, segs[i], len);
        g_byte_array_append(w->buf, (const guint8 *)seg, 4);
    }
}

void
aml_buffer(AmlWriter *w, const void *data, size_t len)
{
    uint8_t size[9];
    uint8_t pkg[4];
    size_t ns = encode_integer(len, size);
    size_t np = aml_pkglength_encode(ns + len, pkg);

    if (np == 0) {
        aml_fail(w, "buffer of %zu bytes is too long", len);
        return;
    }
    put8(w, AML_BUFFER_OP);
    g_byte_array_append(w->buf, pkg, np);
    g_byte_array_append(w->buf, size, ns);
    g_byte_array_append(w->buf, data, len);
}

void
aml_local(AmlWriter *w, unsigned n)
{
    if (n > 7) {
        aml_fail(w, "Local%u does not exist", n);
        return;
    }
    put8(w, AML_LOCAL0_OP + n);
}

void
aml_arg(AmlWriter *w, unsigned n)
{
    if (n > 6) {
        aml_fail(w, "Arg%u does not exist", n);
        return;
    }
    put8(w, AML_ARG0_OP + n);
}

void
aml_name(AmlWriter *w, const char *name)
{
    put8(w, AML_NAME_OP);
    aml_namestring(w, name);
}

void
aml_name_integer(AmlWriter *w, const char *name, uint64_t value)
{
    aml_name(w, name);
    aml_integer(w, value);
}

void
aml_name_string(AmlWriter *w, const char *name, const char *s)
{
    aml_name(w, name);
    aml_string(w, s);
}

void
aml_name_eisaid(AmlWriter *w, const char *name, const char *id)
{
    aml_name(w, name);
    aml_eisaid(w, id);
}

void
aml_operation_region(AmlWriter *w, const char *name, AmlRegionSpace space,
                     uint64_t offset, uint64_t len)
{
    put8(w, AML_EXT_OP_PREFIX);
    put8(w, AML_EXT_OPREGION_OP);
    aml_namestring(w, name);
    put8(w, (uint8_t)space);
    aml_integer(w, offset);
    aml_integer(w, len);
}

void
aml_mutex(AmlWriter *w, const char *name, unsigned sync_level)
{
    if (sync_level > 15)
        aml_fail(w, "mutex %s: sync level %u is above 15", name, sync_level);
    put8(w, AML_EXT_OP_PREFIX);
    put8(w, AML_EXT_MUTEX_OP);
    aml_namestring(w, name);
    put8(w, (uint8_t)(sync_level & 0x0f));   /* SyncFlags */
}

void
aml_acquire(AmlWriter *w, const char *mutex, uint16_t timeout_ms)
{
    put8(w, AML_EXT_OP_PREFIX);
    put8(w, AML_EXT_ACQUIRE_OP);
    aml_namestring(w, mutex);
    put_le(w, timeout_ms, 2);                 /* WordData, not a TermArg */
}

void
aml_release(AmlWriter *w, const char *mutex)
{
    put8(w, AML_EXT_OP_PREFIX);
    put8(w, AML_EXT_RELEASE_OP);
    aml_namestring(w, mutex);
}

void
aml_scope_begin(AmlWriter *w, const char *path)
{
    put8(w, AML_SCOPE_OP);
    block_push(w, BLOCK_SCOPE);
    aml_namestring(w, path);
}

void
aml_device_begin(AmlWriter *w, const char *path)
{
    put8(w, AML_EXT_OP_PREFIX);
    put8(w, AML_EXT_DEVICE_OP);
    block_push(w, BLOCK_DEVICE);
    aml_namestring(w, path);
}

void
aml_method_begin(AmlWriter *w, const char *name, unsigned nargs,
                 bool serialized)
{
    if (nargs > 7)
        aml_fail(w, "method %s: %u arguments (at most 7)", name, nargs);
    put8(w, AML_METHOD_OP);
    block_push(w, BLOCK_METHOD);
    aml_namestring(w, name);
    /* MethodFlags: ArgCount in bits 0-2, SerializeFlag in bit 3,
     * SyncLevel 0. */
    put8(w, (uint8_t)((nargs & 7) | (serialized ? 1 << 3 : 0)));
}

void
aml_if_begin(AmlWriter *w)
{
    put8(w, AML_IF_OP);
    block_push(w, BLOCK_IF);
}

void
aml_else_begin(AmlWriter *w)
{
    put8(w, AML_ELSE_OP);
    block_push(w, BLOCK_ELSE);
}

void
aml_package_begin(AmlWriter *w, unsigned nelems)
{
    if (nelems <= 255) {
        put8(w, AML_PACKAGE_OP);
        block_push(w, BLOCK_PACKAGE);
        put8(w, (uint8_t)nelems);
    } else {
        put8(w, AML_VAR_PACKAGE_OP);
        block_push(w, BLOCK_PACKAGE);
        aml_integer(w, nelems);
    }
}

void
aml_field_begin(AmlWriter *w, const char *region, AmlFieldAccess access,
                bool lock, AmlFieldUpdate update)
{
    put8(w, AML_EXT_OP_PREFIX);
    put8(w, AML_EXT_FIELD_OP);
    block_push(w, BLOCK_FIELD);
    aml_namestring(w, region);
    /* FieldFlags: AccessType bits 0-3, LockRule bit 4, UpdateRule 5-6. */
    put8(w, (uint8_t)((access & 0x0f) | (lock ? 1 << 4 : 0) |
                      ((update & 3) << 5)));
}

static void
field_bits(AmlWriter *w, uint32_t bits)
{
    uint8_t len[4];
    size_t n = encode_pkg_number(bits, len);

    /* A field's width uses the PkgLength number format, but it is a bit
     * count, not a byte length that includes itself. */
    if (n == 0) {
        aml_fail(w, "field of %u bits is too wide", bits);
        return;
    }
    g_byte_array_append(w->buf, len, n);
}

void
aml_field_entry(AmlWriter *w, const char *name, uint32_t bits)
{
    size_t len = strlen(name);
    char seg[4] = { '_', '_', '_', '_' };

    if (!block_is(w, BLOCK_FIELD)) {
        aml_fail(w, "field entry %s outside a Field", name);
        return;
    }
    if (!valid_nameseg(name, len)) {
        aml_fail(w, "invalid field name '%s'", name);
        return;
    }
    memcpy(seg, name, len);
    g_byte_array_append(w->buf, (const guint8 *)seg, 4);
    field_bits(w, bits);
}

void
aml_field_skip(AmlWriter *w, uint32_t bits)
{
    if (!block_is(w, BLOCK_FIELD)) {
        aml_fail(w, "reserved field outside a Field");
        return;
    }
    put8(w, 0x00);              /* ReservedField */
    field_bits(w, bits);
}

void
aml_resource_template_begin(AmlWriter *w)
{
    put8(w, AML_BUFFER_OP);
    block_push(w, BLOCK_RESOURCE_TEMPLATE);
}

void
aml_store(AmlWriter *w)
{
    put8(w, AML_STORE_OP);
}

void
aml_shift_left(AmlWriter *w)
{
    put8(w, AML_SHIFT_LEFT_OP);
}

void
aml_and(AmlWriter *w)
{
    put8(w, AML_AND_OP);
}

void
aml_lequal(AmlWriter *w)
{
    put8(w, AML_LEQUAL_OP);
}

void
aml_notify(AmlWriter *w)
{
    put8(w, AML_NOTIFY_OP);
}

void
aml_return(AmlWriter *w)
{
    put8(w, AML_RETURN_OP);
}

static bool
in_template(AmlWriter *w, const char *what)
{
    if (block_is(w, BLOCK_RESOURCE_TEMPLATE))
        return true;
    aml_fail(w, "%s descriptor outside a ResourceTemplate", what);
    return false;
}

void
aml_rd_io(AmlWriter *w, uint16_t min, uint16_t max, uint8_t align,
          uint8_t len)
{
    if (!in_template(w, "IO"))
        return;
    put8(w, AML_RD_IO);
    put8(w, 1);                 /* Decode16 */
    put_le(w, min, 2);
    put_le(w, max, 2);
    put8(w, align);
    put8(w, len);
}

void
aml_rd_memory32_fixed(AmlWriter *w, bool rw, uint32_t base, uint32_t len)
{
    if (!in_template(w, "Memory32Fixed"))
        return;
    put8(w, AML_RD_MEMORY32_FIXED);
    put_le(w, 9, 2);
    put8(w, rw ? 1 : 0);
    put_le(w, base, 4);
    put_le(w, len, 4);
}

/* §6.4.3.5: tag, length, resource type, general flags, type flags, then
 * granularity, minimum, maximum, translation offset, length, each @width
 * bytes wide. */
static void
address_space(AmlWriter *w, uint8_t tag, unsigned width, uint8_t type,
              uint8_t type_flags, uint64_t min, uint64_t max)
{
    put8(w, tag);
    put_le(w, 3 + 5 * width, 2);
    put8(w, type);
    /* Producer (bit 0 clear), _MIF and _MAF set: a fixed window. */
    put8(w, (1 << 2) | (1 << 3));
    put8(w, type_flags);
    put_le(w, 0, width);        /* granularity */
    put_le(w, min, width);
    put_le(w, max, width);
    put_le(w, 0, width);        /* translation */
    put_le(w, max - min + 1, width);
}

void
aml_rd_word_bus_number(AmlWriter *w, uint16_t min, uint16_t max)
{
    if (!in_template(w, "WordBusNumber"))
        return;
    if (max < min) {
        aml_fail(w, "WordBusNumber %u > %u", min, max);
        return;
    }
    address_space(w, AML_RD_WORD_ADDRESS, 2, AML_ADDR_BUS_NUMBER, 0, min, max);
}

void
aml_rd_word_io(AmlWriter *w, uint16_t min, uint16_t max)
{
    if (!in_template(w, "WordIO"))
        return;
    if (max < min) {
        aml_fail(w, "WordIO 0x%x > 0x%x", min, max);
        return;
    }
    /* _RNG = 3: both ISA and non-ISA ranges. */
    address_space(w, AML_RD_WORD_ADDRESS, 2, AML_ADDR_IO, 3, min, max);
}

static uint8_t
memory_flags(bool cacheable, bool rw)
{
    /* _RW in bit 0, _MEM (0 non-cacheable, 1 cacheable) in bits 1-2. */
    return (uint8_t)((cacheable ? 1 << 1 : 0) | (rw ? 1 : 0));
}

void
aml_rd_dword_memory(AmlWriter *w, bool cacheable, bool rw, uint32_t min,
                    uint32_t max)
{
    if (!in_template(w, "DWordMemory"))
        return;
    if (max < min) {
        aml_fail(w, "DWordMemory 0x%x > 0x%x", min, max);
        return;
    }
    address_space(w, AML_RD_DWORD_ADDRESS, 4, AML_ADDR_MEMORY,
                  memory_flags(cacheable, rw), min, max);
}

void
aml_rd_qword_memory(AmlWriter *w, bool cacheable, bool rw, uint64_t min,
                    uint64_t max)
{
    if (!in_template(w, "QWordMemory"))
        return;
    if (max < min || (min == 0 && max == UINT64_MAX)) {
        aml_fail(w, "QWordMemory 0x%" G_GINT64_MODIFIER "x-0x%"
                 G_GINT64_MODIFIER "x is not a valid window", min, max);
        return;
    }
    address_space(w, AML_RD_QWORD_ADDRESS, 8, AML_ADDR_MEMORY,
                  memory_flags(cacheable, rw), min, max);
}

void
aml_rd_interrupt(AmlWriter *w, bool consumer, bool edge, bool active_low,
                 bool shared, uint32_t irq)
{
    if (!in_template(w, "Interrupt"))
        return;
    put8(w, AML_RD_EXT_INTERRUPT);
    put_le(w, 6, 2);
    put8(w, (uint8_t)((consumer ? 1 : 0) | (edge ? 1 << 1 : 0) |
                      (active_low ? 1 << 2 : 0) | (shared ? 1 << 3 : 0)));
    put8(w, 1);                 /* one interrupt number follows */
    put_le(w, irq, 4);
}

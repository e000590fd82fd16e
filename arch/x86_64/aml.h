/* SPDX-License-Identifier: Apache-2.0 */
/* AML writer: emits ACPI Machine Language bytecode for the DSDT. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/*
 * A streaming writer for the AML subset the DSDT needs (ACPI 6.5 §20).  AML
 * is prefix notation, so objects are written in the order they appear:
 * aml_name(w, "_UID") then aml_integer(w, 0) is `Name (_UID, Zero)`.
 * Objects whose encoding starts with a PkgLength (Scope, Device, Method, If,
 * Else, Package, Buffer, Field) are opened with *_begin() and closed with
 * aml_end(), which inserts the length once the body is known.
 *
 * Misuse (a bad name, a descriptor outside a resource template, unbalanced
 * aml_end()...) is recorded and reported by aml_writer_finish(); the later
 * calls still run, so callers check once at the end.
 */

typedef struct AmlWriter AmlWriter;

typedef enum {
    AML_SPACE_SYSTEM_MEMORY = 0,
    AML_SPACE_SYSTEM_IO = 1,
    AML_SPACE_PCI_CONFIG = 2,
} AmlRegionSpace;

typedef enum {
    AML_FIELD_ACCESS_ANY = 0,
    AML_FIELD_ACCESS_BYTE = 1,
    AML_FIELD_ACCESS_WORD = 2,
    AML_FIELD_ACCESS_DWORD = 3,
    AML_FIELD_ACCESS_QWORD = 4,
} AmlFieldAccess;

typedef enum {
    AML_FIELD_UPDATE_PRESERVE = 0,
    AML_FIELD_UPDATE_WRITE_AS_ONES = 1,
    AML_FIELD_UPDATE_WRITE_AS_ZEROS = 2,
} AmlFieldUpdate;

/* The largest length a PkgLength can encode (4-byte form, 28 bits). */
#define AML_PKGLENGTH_MAX 0x0fffffffu

AmlWriter *aml_writer_new(void);
void aml_writer_free(AmlWriter *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AmlWriter, aml_writer_free)

/**
 * aml_writer_finish:
 * Returns the bytecode written so far (transfer full), or NULL with @error
 * set if any call misused the writer or a block is still open.
 */
GBytes *aml_writer_finish(AmlWriter *w, GError **error);

/**
 * aml_pkglength_encode:
 * Encodes the PkgLength of an object whose body (after the PkgLength) is
 * @body_len bytes: the encoded value counts its own 1-4 bytes (§20.2.4).
 * Returns the number of bytes written to @out, or 0 if too long.
 */
size_t aml_pkglength_encode(size_t body_len, uint8_t out[4]);

/* ---- Data objects ---- */
/* The shortest encoding: Zero, One, Byte/Word/DWord/QWordConst. */
void aml_integer(AmlWriter *w, uint64_t value);
/* A String: printable ASCII only. */
void aml_string(AmlWriter *w, const char *s);
/* EisaId("PNP0A08"): three capitals and four hex digits, as a DWordConst. */
void aml_eisaid(AmlWriter *w, const char *id);
void aml_buffer(AmlWriter *w, const void *data, size_t len);
/* A NameString: "\\_SB_.PCI0", "^FOO", "COM1"; segments shorter than four
 * characters are padded with '_'.  Also a method invocation when followed
 * by its arguments. */
void aml_namestring(AmlWriter *w, const char *path);
void aml_local(AmlWriter *w, unsigned n);   /* Local0..Local7 */
void aml_arg(AmlWriter *w, unsigned n);     /* Arg0..Arg6 */

/* ---- Named objects ---- */
/* Name (name, <object>): the caller writes the object next. */
void aml_name(AmlWriter *w, const char *name);
void aml_name_integer(AmlWriter *w, const char *name, uint64_t value);
void aml_name_string(AmlWriter *w, const char *name, const char *s);
void aml_name_eisaid(AmlWriter *w, const char *name, const char *id);
void aml_operation_region(AmlWriter *w, const char *name,
                          AmlRegionSpace space, uint64_t offset,
                          uint64_t len);
/* Mutex (name, sync_level): sync levels 0-15 (§19.6.88). */
void aml_mutex(AmlWriter *w, const char *name, unsigned sync_level);
/* Acquire (mutex, timeout): 0xffff waits forever.  Release (mutex). */
void aml_acquire(AmlWriter *w, const char *mutex, uint16_t timeout_ms);
void aml_release(AmlWriter *w, const char *mutex);

/* ---- Blocks, closed with aml_end() ---- */
void aml_scope_begin(AmlWriter *w, const char *path);
void aml_device_begin(AmlWriter *w, const char *path);
void aml_method_begin(AmlWriter *w, const char *name, unsigned nargs,
                      bool serialized);
/* If (predicate) { ... }: the caller writes the predicate first. */
void aml_if_begin(AmlWriter *w);
void aml_else_begin(AmlWriter *w);
/* Package with @nelems elements (the caller writes exactly that many). */
void aml_package_begin(AmlWriter *w, unsigned nelems);
/* Field (region, access, lock, update) { entries }. */
void aml_field_begin(AmlWriter *w, const char *region, AmlFieldAccess access,
                     bool lock, AmlFieldUpdate update);
void aml_field_entry(AmlWriter *w, const char *name, uint32_t bits);
void aml_field_skip(AmlWriter *w, uint32_t bits);
/* ResourceTemplate () { descriptors }: a Buffer ending with the end tag. */
void aml_resource_template_begin(AmlWriter *w);
void aml_end(AmlWriter *w);

/* ---- Operators (prefix: the caller writes the operands next) ---- */
void aml_store(AmlWriter *w);   /* Store (source, destination) */
void aml_and(AmlWriter *w);     /* And (a, b, target) */
void aml_shift_left(AmlWriter *w);  /* ShiftLeft (value, count, target) */
void aml_lequal(AmlWriter *w);  /* LEqual (a, b) */
void aml_notify(AmlWriter *w);  /* Notify (object, value) */
void aml_return(AmlWriter *w);  /* Return (value) */

/* ---- Resource descriptors (ACPI 6.5 §6.4), inside a template ---- */
void aml_rd_io(AmlWriter *w, uint16_t min, uint16_t max, uint8_t align,
               uint8_t len);
void aml_rd_memory32_fixed(AmlWriter *w, bool rw, uint32_t base,
                           uint32_t len);
/* Address space descriptors describe producer windows (a host bridge's
 * apertures): minimum and maximum fixed, no translation. */
void aml_rd_word_bus_number(AmlWriter *w, uint16_t min, uint16_t max);
void aml_rd_word_io(AmlWriter *w, uint16_t min, uint16_t max);
void aml_rd_dword_memory(AmlWriter *w, bool cacheable, bool rw, uint32_t min,
                         uint32_t max);
void aml_rd_qword_memory(AmlWriter *w, bool cacheable, bool rw, uint64_t min,
                         uint64_t max);
/* Extended Interrupt descriptor with one interrupt number. */
void aml_rd_interrupt(AmlWriter *w, bool consumer, bool edge, bool active_low,
                      bool shared, uint32_t irq);

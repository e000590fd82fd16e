/* SPDX-License-Identifier: Apache-2.0 */
/* ENUM_DECL/ENUM_IMPL: XML string tables for enums, sized by G_STATIC_ASSERT. */
#pragma once

#include <glib.h>

/*
 * Every XML enumeration is a C enum ending in _LAST plus one string table.
 * ENUM_IMPL checks at compile time that the table has exactly _LAST entries,
 * so adding an enum value without its XML spelling (or the reverse) breaks
 * the build instead of shifting every later string by one.
 *
 *   ENUM_DECL(domain_disk_bus);                           (in a header)
 *   ENUM_IMPL(domain_disk_bus, DOMAIN_DISK_BUS_LAST,      (in one .c file)
 *             "ide", "fdc", "scsi", "virtio", ...);
 *
 * gives domain_disk_bus_to_string(int) (NULL when out of range) and
 * domain_disk_bus_from_string(const char *) (-1 when unknown or NULL).
 */
#define ENUM_DECL(name) \
    const char *name##_to_string(int value); \
    int name##_from_string(const char *str)

#define ENUM_IMPL(name, last, ...) \
    static const char *const name##_strings[] = { __VA_ARGS__ }; \
    G_STATIC_ASSERT(G_N_ELEMENTS(name##_strings) == (last)); \
    const char * \
    name##_to_string(int value) \
    { \
        return xml_enum_to_string(name##_strings, (last), value); \
    } \
    int \
    name##_from_string(const char *str) \
    { \
        return xml_enum_from_string(name##_strings, (last), str); \
    }

const char *xml_enum_to_string(const char *const *strings, int n, int value);
int xml_enum_from_string(const char *const *strings, int n, const char *str);

/* SPDX-License-Identifier: Apache-2.0 */
/* SMBIOS 3.0 tables: the identity the guest reads through DMI. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/smbios.h"
#include "config/vm-config-platform.h"

/*
 * DSP0134 (SMBIOS 3.x).  Linux finds the 64-bit entry point ("_SM3_") by
 * scanning 0xf0000-0xfffff on 16-byte boundaries when there is no EFI, so
 * it sits at the start of the BIOS area with the structures right after
 * it.  Each structure is its formatted part, then its strings (1-based
 * indexes into that set, 0 for "none"), then one more NUL; a structure
 * without strings ends in two NULs.  The defaults are Cloud Hypervisor's,
 * so that guests and tools that look for CH's identity find it.
 */

#define SMBIOS_EP_LEN 0x18
#define SMBIOS_TYPE_BIOS 0
#define SMBIOS_TYPE_SYSTEM 1
#define SMBIOS_TYPE_CHASSIS 3
#define SMBIOS_TYPE_OEM_STRINGS 11
#define SMBIOS_TYPE_END 127
#define BIOS_CHAR_PCI (1u << 7)
#define BIOS_CHAR_EXT2_VM (1u << 4)        /* "is a virtual machine" */
#define SYSTEM_WAKE_POWER_SWITCH 6
#define CHASSIS_TYPE_OTHER 1
#define CHASSIS_STATE_SAFE 3
#define CHASSIS_SECURITY_UNKNOWN 2
/* The reset vector's stub (arch/x86_64/vm.c) ends the BIOS area. */
#define SMBIOS_AREA_END 0xffff0ULL

#define DEFAULT_BIOS_VENDOR "cloud-hypervisor"
#define DEFAULT_BIOS_VERSION "0"
#define DEFAULT_MANUFACTURER "Cloud Hypervisor"
#define DEFAULT_PRODUCT "cloud-hypervisor"

/* One structure being built: its formatted part, then its string set. */
typedef struct {
    GByteArray *out;
    guint start;       /* offset of the structure's header in @out */
    guint8 nstrings;
} SmbiosStruct;

static void
struct_begin(SmbiosStruct *s, GByteArray *out, guint8 type, guint8 len,
             guint16 handle)
{
    s->out = out;
    s->start = out->len;
    s->nstrings = 0;
    g_byte_array_set_size(out, out->len + len);
    memset(out->data + s->start, 0, len);
    out->data[s->start] = type;
    out->data[s->start + 1] = len;
    out->data[s->start + 2] = (guint8)handle;
    out->data[s->start + 3] = (guint8)(handle >> 8);
}

/* Sets byte @off of the formatted part. */
static void
struct_byte(SmbiosStruct *s, guint off, guint8 v)
{
    s->out->data[s->start + off] = v;
}

/* Appends @str to the string set and stores its index at @off (nothing
 * for NULL: the index stays 0). */
static void
struct_string(SmbiosStruct *s, guint off, const char *str)
{
    if (!str)
        return;
    g_byte_array_append(s->out, (const guint8 *)str, strlen(str) + 1);
    s->nstrings++;
    struct_byte(s, off, s->nstrings);
}

static void
struct_end(SmbiosStruct *s)
{
    static const guint8 nul[2] = { 0, 0 };

    g_byte_array_append(s->out, nul, s->nstrings ? 1 : 2);
}

/* SMBIOS stores the first three UUID fields little-endian (2.6 and later),
 * which is how Linux's product_uuid reads them back. */
static void
put_uuid(guint8 *dst, const char *uuid)
{
    guint8 be[16] = { 0 };
    guint j = 0;

    for (const char *c = uuid; c && *c && j < 32; c++) {
        if (*c == '-')
            continue;
        be[j / 2] |= (guint8)(g_ascii_xdigit_value(*c) << ((j % 2) ? 0 : 4));
        j++;
    }
    memcpy(dst, be, 16);
    dst[0] = be[3], dst[1] = be[2], dst[2] = be[1], dst[3] = be[0];
    dst[4] = be[5], dst[5] = be[4];
    dst[6] = be[7], dst[7] = be[6];
}

GBytes *
x86_smbios_tables(const PlatformConfig *p, uint64_t base, GError **error)
{
    g_autoptr(GByteArray) t = g_byte_array_new();
    guint8 ep[SMBIOS_EP_LEN] = { '_', 'S', 'M', '3', '_' };
    guint16 handle = 0;
    guint8 sum = 0;
    SmbiosStruct s;
    guint n = 0;

    struct_begin(&s, t, SMBIOS_TYPE_BIOS, 0x14, handle++);
    struct_string(&s, 4, DEFAULT_BIOS_VENDOR);
    struct_string(&s, 5, DEFAULT_BIOS_VERSION);
    struct_byte(&s, 0xa, BIOS_CHAR_PCI);    /* a 64-bit bit field */
    struct_byte(&s, 0x13, BIOS_CHAR_EXT2_VM);
    struct_end(&s);

    struct_begin(&s, t, SMBIOS_TYPE_SYSTEM, 0x1b, handle++);
    struct_string(&s, 4, p && p->system_manufacturer ? p->system_manufacturer
                                                      : DEFAULT_MANUFACTURER);
    struct_string(&s, 5, p && p->system_product_name ? p->system_product_name
                                                      : DEFAULT_PRODUCT);
    struct_string(&s, 6, p ? p->system_version : NULL);
    struct_string(&s, 7, platform_config_serial(p));
    /* No UUID given: all zeros, "not present" (CH does the same). */
    if (platform_config_uuid(p))
        put_uuid(t->data + s.start + 8, platform_config_uuid(p));
    struct_byte(&s, 0x18, SYSTEM_WAKE_POWER_SWITCH);
    struct_string(&s, 0x19, p ? p->system_sku_number : NULL);
    struct_string(&s, 0x1a, p ? p->system_family : NULL);
    struct_end(&s);

    if (p && p->chassis_asset_tag) {
        struct_begin(&s, t, SMBIOS_TYPE_CHASSIS, 0x16, handle++);
        struct_byte(&s, 5, CHASSIS_TYPE_OTHER);
        struct_string(&s, 8, p->chassis_asset_tag);
        struct_byte(&s, 9, CHASSIS_STATE_SAFE);
        struct_byte(&s, 0xa, CHASSIS_STATE_SAFE);
        struct_byte(&s, 0xb, CHASSIS_STATE_SAFE);
        struct_byte(&s, 0xc, CHASSIS_SECURITY_UNKNOWN);
        struct_end(&s);
    }

    if (p && p->oem_strings && p->oem_strings[0]) {
        struct_begin(&s, t, SMBIOS_TYPE_OEM_STRINGS, 5, handle++);
        for (char **o = p->oem_strings; *o; o++, n++) {
            g_byte_array_append(t, (const guint8 *)*o, strlen(*o) + 1);
            s.nstrings = 1;     /* the count, not indexes, says how many */
        }
        struct_byte(&s, 4, (guint8)n);
        struct_end(&s);
    }

    struct_begin(&s, t, SMBIOS_TYPE_END, 4, handle++);
    struct_end(&s);

    /* Validation bounds the strings well below this; a table that grew
     * past the area would overwrite the reset vector. */
    if (base + SMBIOS_EP_LEN + t->len > SMBIOS_AREA_END) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "the SMBIOS tables need %u bytes; the BIOS area has %"
                    G_GUINT64_FORMAT, SMBIOS_EP_LEN + t->len,
                    (guint64)(SMBIOS_AREA_END - base));
        return NULL;
    }
    ep[6] = SMBIOS_EP_LEN;
    ep[7] = 3;          /* SMBIOS 3.2.0, as CH writes */
    ep[8] = 2;
    ep[9] = 0;
    ep[10] = 1;         /* entry point revision: 3.0 */
    for (guint i = 0; i < 4; i++)
        ep[12 + i] = (guint8)(t->len >> (8 * i));
    for (guint i = 0; i < 8; i++)
        ep[16 + i] = (guint8)((base + SMBIOS_EP_LEN) >> (8 * i));
    for (guint i = 0; i < SMBIOS_EP_LEN; i++)
        sum += ep[i];
    ep[5] = (guint8)-sum;
    g_byte_array_prepend(t, ep, SMBIOS_EP_LEN);
    return g_byte_array_free_to_bytes(g_steal_pointer(&t));
}

bool
x86_smbios_setup(GuestMemory *mem, const PlatformConfig *p, GError **error)
{
    g_autoptr(GBytes) b = x86_smbios_tables(p, X86_SMBIOS_START, error);
    gsize len;
    const void *data;

    if (!b)
        return false;
    data = g_bytes_get_data(b, &len);
    if (guest_mem_write(mem, X86_SMBIOS_START, data, len) < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "guest memory does not cover the SMBIOS area");
        return false;
    }
    return true;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: SMBIOS 3.0 tables from --platform (entry point, structures, strings). */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/smbios.h"
#include "config/vm-config-platform.h"
#include "tests/unit/test-arch-util.h"

#define UUID "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"

/* One decoded structure: its formatted part and its strings. */
typedef struct {
    guint8 type;
    const guint8 *f;        /* formatted part */
    guint8 len;
    GPtrArray *strings;     /* const char *, in order */
} Smbios;

static void
smbios_clear(gpointer p)
{
    g_ptr_array_unref(((Smbios *)p)->strings);
}

/* Checks the entry point at the start of @b (placed at @base) and splits
 * the table into structures; stops after type 127. */
static GArray *
decode(GBytes *b, uint64_t base)
{
    gsize size;
    const guint8 *d = g_bytes_get_data(b, &size);
    GArray *out = g_array_new(FALSE, TRUE, sizeof(Smbios));
    guint8 sum = 0;
    gsize off = 0x18;

    g_array_set_clear_func(out, smbios_clear);
    g_assert_cmpuint(size, >, 0x18);
    g_assert_cmpmem(d, 5, "_SM3_", 5);
    g_assert_cmpuint(d[6], ==, 0x18);
    g_assert_cmpuint(d[7], ==, 3);
    for (guint i = 0; i < 0x18; i++)
        sum += d[i];
    g_assert_cmpuint(sum, ==, 0);
    g_assert_cmpuint(test_le(d + 12, 4), ==, size - 0x18);
    g_assert_cmpuint(test_le(d + 16, 8), ==, base + 0x18);
    while (off < size) {
        Smbios s = { d[off], d + off, d[off + 1], g_ptr_array_new() };
        gsize p = off + s.len;

        g_assert_cmpuint(s.len, >=, 4);
        g_assert_cmpuint(p, <, size);
        if (d[p] == 0) {
            /* No strings: two NULs. */
            g_assert_cmpuint(d[p + 1], ==, 0);
            p += 2;
        } else {
            while (d[p]) {
                g_ptr_array_add(s.strings, (gpointer)(d + p));
                p += strlen((const char *)d + p) + 1;
                g_assert_cmpuint(p, <, size);
            }
            p++;
        }
        g_array_append_val(out, s);
        off = p;
        if (s.type == 127)
            break;
    }
    g_assert_cmpuint(off, ==, size);
    return out;
}

/* The string a formatted-part index byte at @at points to, or NULL. */
static const char *
str_at(const Smbios *s, guint at)
{
    guint8 i = s->f[at];

    if (!i)
        return NULL;
    g_assert_cmpuint(i, <=, s->strings->len);
    return g_ptr_array_index(s->strings, i - 1);
}

static void
test_defaults(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) b = x86_smbios_tables(NULL, X86_SMBIOS_START, &error);
    g_autoptr(GArray) t = NULL;
    const Smbios *s;
    static const guint8 zero[16];

    g_assert_no_error(error);
    t = decode(b, X86_SMBIOS_START);
    g_assert_cmpuint(t->len, ==, 3);
    s = &g_array_index(t, Smbios, 0);
    g_assert_cmpuint(s->type, ==, 0);
    g_assert_cmpstr(str_at(s, 4), ==, "cloud-hypervisor");
    g_assert_cmpuint(s->f[0x13] & 0x10, !=, 0);   /* a virtual machine */
    s = &g_array_index(t, Smbios, 1);
    g_assert_cmpuint(s->type, ==, 1);
    g_assert_cmpstr(str_at(s, 4), ==, "Cloud Hypervisor");
    g_assert_cmpstr(str_at(s, 5), ==, "cloud-hypervisor");
    g_assert_null(str_at(s, 7));
    g_assert_cmpmem(s->f + 8, 16, zero, 16);
    g_assert_cmpuint(g_array_index(t, Smbios, 2).type, ==, 127);
}

static void
test_full(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_new();
    g_autoptr(GBytes) b = NULL;
    g_autoptr(GArray) t = NULL;
    const Smbios *s;
    /* 4dea22b3-1d52-d8f3-...: the first three fields little-endian. */
    static const guint8 uuid[16] = {
        0xb3, 0x22, 0xea, 0x4d, 0x52, 0x1d, 0xf3, 0xd8,
        0x25, 0x16, 0x78, 0x2e, 0x98, 0xab, 0x3f, 0xa0,
    };

    g_assert_true(vm_config_parse_platform(
        c, "system_manufacturer=Acme,system_product_name=Box,"
        "system_version=2,system_serial_number=S-1,system_uuid=" UUID ","
        "system_sku_number=K,system_family=F,chassis_asset_tag=tag 7,"
        "oem_strings=[io.systemd.credential:a=b,cloud-init:ds=nocloud]",
        &error));
    g_assert_no_error(error);
    g_assert_true(vm_config_validate_platform(c->platform,
                                              VM_CONFIG_NAMES_CLI, &error));
    g_assert_no_error(error);
    b = x86_smbios_tables(c->platform, X86_SMBIOS_START, &error);
    g_assert_no_error(error);
    t = decode(b, X86_SMBIOS_START);
    g_assert_cmpuint(t->len, ==, 5);

    s = &g_array_index(t, Smbios, 1);
    g_assert_cmpuint(s->type, ==, 1);
    g_assert_cmpuint(s->len, ==, 0x1b);
    g_assert_cmpstr(str_at(s, 4), ==, "Acme");
    g_assert_cmpstr(str_at(s, 5), ==, "Box");
    g_assert_cmpstr(str_at(s, 6), ==, "2");
    g_assert_cmpstr(str_at(s, 7), ==, "S-1");
    g_assert_cmpmem(s->f + 8, 16, uuid, 16);
    g_assert_cmpstr(str_at(s, 0x19), ==, "K");
    g_assert_cmpstr(str_at(s, 0x1a), ==, "F");

    s = &g_array_index(t, Smbios, 2);
    g_assert_cmpuint(s->type, ==, 3);
    g_assert_cmpstr(str_at(s, 8), ==, "tag 7");

    s = &g_array_index(t, Smbios, 3);
    g_assert_cmpuint(s->type, ==, 11);
    g_assert_cmpuint(s->f[4], ==, 2);
    g_assert_cmpuint(s->strings->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(s->strings, 0), ==,
                    "io.systemd.credential:a=b");
    g_assert_cmpstr(g_ptr_array_index(s->strings, 1), ==,
                    "cloud-init:ds=nocloud");
    /* Handles are unique. */
    for (guint i = 0; i < t->len; i++) {
        for (guint j = i + 1; j < t->len; j++)
            g_assert_cmpuint(test_le(g_array_index(t, Smbios, i).f + 2, 2), !=,
                             test_le(g_array_index(t, Smbios, j).f + 2, 2));
    }
}

/* CH's older key names still reach the guest. */
static void
test_old_names(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_new();
    g_autoptr(GBytes) b = NULL;
    g_autoptr(GArray) t = NULL;

    g_assert_true(vm_config_parse_platform(c, "serial_number=old,uuid=" UUID,
                                           &error));
    g_assert_no_error(error);
    g_assert_cmpstr(platform_config_serial(c->platform), ==, "old");
    b = x86_smbios_tables(c->platform, X86_SMBIOS_START, &error);
    t = decode(b, X86_SMBIOS_START);
    g_assert_cmpstr(str_at(&g_array_index(t, Smbios, 1), 7), ==, "old");
    g_assert_cmpuint(g_array_index(t, Smbios, 1).f[8], ==, 0xb3);
}

static void
test_cli_errors(void)
{
    static const struct {
        const char *arg;
        const char *error;
    } bad[] = {
        { "oem_strings=a", "expected a list of strings" },
        { "oem_strings=[a,,b]", "non-empty strings" },
        { "system_uuid=nope", "'nope' is not a UUID" },
        { "uuid=" UUID ",system_uuid=" UUID, "older name of system_uuid" },
        { "num_pci_segments=2", "not supported" },
        { "tdx=on", "not supported" },
        { "bogus=1", "unknown key" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmConfig) c = vm_config_new();

        if (vm_config_parse_platform(c, bad[i].arg, &error))
            vm_config_validate_platform(c->platform, VM_CONFIG_NAMES_CLI,
                                        &error);
        g_assert_nonnull(error);
        g_test_message("--platform %s: %s", bad[i].arg, error->message);
        g_assert_nonnull(strstr(error->message, bad[i].error));
    }
}

/* Too many OEM strings for type 11's count byte, or too many bytes. */
static void
test_limits(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(PlatformConfig) p = g_new0(PlatformConfig, 1);
    g_autofree char *big = g_strnfill(VM_CONFIG_SMBIOS_STRINGS_MAX, 'x');

    p->oem_strings = g_new0(char *, VM_CONFIG_OEM_STRINGS_MAX + 2);
    for (guint i = 0; i <= VM_CONFIG_OEM_STRINGS_MAX; i++)
        p->oem_strings[i] = g_strdup("s");
    g_assert_false(vm_config_validate_platform(p, VM_CONFIG_NAMES_JSON,
                                               &error));
    g_assert_nonnull(strstr(error->message, "at most 255"));
    g_clear_error(&error);
    g_clear_pointer(&p->oem_strings, g_strfreev);
    p->system_version = g_strdup(big);
    g_assert_false(vm_config_validate_platform(p, VM_CONFIG_NAMES_JSON,
                                               &error));
    g_assert_nonnull(strstr(error->message, "SMBIOS strings take"));
    g_clear_error(&error);
    /* Past validation, the builder still refuses to overrun the area. */
    g_free(p->system_version);
    p->system_version = g_strnfill(70000, 'y');
    g_assert_null(x86_smbios_tables(p, X86_SMBIOS_START, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
}

/* In guest memory, where Linux's DMI scan looks for it. */
static void
test_setup(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(TestGuestMemory) mem = test_guest_memory_new(16ULL << 20);
    const guint8 *ep;

    g_assert_true(x86_smbios_setup(mem, NULL, &error));
    g_assert_no_error(error);
    ep = guest_mem_ptr(mem, X86_SMBIOS_START, 0x18);
    g_assert_nonnull(ep);
    g_assert_cmpmem(ep, 5, "_SM3_", 5);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/x86/smbios/defaults", test_defaults);
    g_test_add_func("/x86/smbios/full", test_full);
    g_test_add_func("/x86/smbios/old-names", test_old_names);
    g_test_add_func("/x86/smbios/cli-errors", test_cli_errors);
    g_test_add_func("/x86/smbios/limits", test_limits);
    g_test_add_func("/x86/smbios/setup", test_setup);
    return g_test_run();
}

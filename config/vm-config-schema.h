/* SPDX-License-Identifier: Apache-2.0 */
/* VmConfig's field tables and the walkers derived from them (private). */
#pragma once

#include <stddef.h>
#include <json-glib/json-glib.h>

#include "config/vm-config-opts.h"
#include "config/vm-config-priv.h"

/*
 * Each config struct is described once, by a VStruct: one VField per JSON
 * key of Cloud Hypervisor's schema (plus the CLI-only keys), in the order
 * CH writes them.  Everything else derives from that table through one
 * generic walker per operation:
 *
 *   vschema_init()        defaults (the only place they are written)
 *   vschema_clear()       free what the struct owns
 *   vschema_copy()        deep copy
 *   vschema_equal()       deep comparison (tests, and callers that diff)
 *   vschema_json_parse()  strict JSON parse (vm-config-json-walk.c)
 *   vschema_json_format() JSON with every field, as CH writes it
 *   vschema_cli_parse()   CH's "key=value,..." option values
 *
 * A field whose CLI syntax is not the generic one for its kind (topology
 * "T:C:D:P", affinity "[0@[1,2]]", image_type's CLI spellings, console
 * modes given as bare keys) names a .cli_parse hook; that hook is the only
 * per-field code.
 */

typedef struct VField VField;
typedef struct VStruct VStruct;

typedef enum {
    VF_BOOL,          /* bool */
    VF_UINT,          /* unsigned integer of .size bytes in [min, max] */
    VF_INT_OPT,       /* int: -1 when unset (CH's None), else in [min, max] */
    VF_STRING,        /* char *, NULL when unset */
    VF_ENUM,          /* an enum spelled by .venum */
    VF_STRUCT,        /* an embedded struct described by .sub */
    VF_STRUCT_PTR,    /* a pointer to .sub, NULL when unset */
    VF_LIST,          /* GPtrArray of .sub pointers, NULL when unset */
    VF_U32_ARRAY,     /* GArray of uint32_t, each in [0, max] */
    VF_FD_ARRAY,      /* GArray of int fds, NULL when none (vm-config.h) */
    VF_STRV,          /* char ** (GStrv), NULL when unset; JSON an array
                       * of strings, CLI "[a,b]" */
    VF_UNSUP,         /* no member: a key nimbus does not implement yet */
    VF_DEVICE,        /* a slot of VmConfig.devices, served by the device
                       * kind registered for the key (vm-config-kind.h):
                       * walked as a VF_LIST of that kind's struct, or as
                       * a VU_EMPTY key while no kind is registered */
} VKind;

/* What a VF_UNSUP key may carry and still be accepted. */
typedef enum {
    VU_BOOL,          /* == .dflt (CLI: the same toggle) */
    VU_INT,           /* == .dflt (CLI: only the string .cli_dflt) */
    VU_STR,           /* == .dflt_s, any case (CLI: .cli_dflt or .dflt_s) */
    VU_EMPTY,         /* null, "" or [] (CLI: never) */
    VU_DEFAULTS,      /* an object whose keys all pass .sub (CLI: .cli_dflt) */
    VU_IGNORED,       /* CLI only: any non-empty value, not stored */
} VUnsupKind;

typedef enum {
    VF_JSON_REQUIRED = 1 << 0,  /* the key must be present and not null */
    VF_CLI_REQUIRED = 1 << 1,   /* "--disk: path=<image> is required" */
    VF_NO_JSON = 1 << 2,        /* a CLI-only key */
    VF_NO_CLI = 1 << 3,         /* a JSON-only key */
    VF_NO_FORMAT = 1 << 4,      /* parsed, never written */
    VF_OMIT_DEFAULT = 1 << 5,   /* not written while equal to its default */
    VF_UNSUP_NONDEFAULT = 1 << 6, /* a VF_BOOL member accepting only its
                                   * default ("not supported yet") */
    VF_CLI_SIZE = 1 << 7,       /* CLI value in bytes with K/M/G/T suffix */
    VF_NEVER_NULL = 1 << 8,     /* a list/array that always exists (may be
                                 * empty) */
    VF_SINGLE = 1 << 9,         /* VF_DEVICE: one optional device, JSON
                                 * an object or null (else an array) */
    /* A VF_STRING naming a host file the VMM opens (vschema_paths(), which
     * Landlock's ruleset is built from): read only, read-write, a file
     * the VMM may create, a UNIX socket the VMM binds. */
    VF_PATH_R = 1 << 10,
    VF_PATH_RW = 1 << 11,
    VF_PATH_CREATE = 1 << 12,
    VF_PATH_SOCKET = 1 << 13,
    /* A member no format names for this struct (ConsoleConfig.socket of
     * the debug console): still defaulted, copied and freed. */
    VF_STORE_ONLY = VF_NO_JSON | VF_NO_CLI | VF_NO_FORMAT,
} VFlags;

typedef struct {
    const char *(*to_string)(int value);
    int (*from_string)(const char *name);   /* -1 when unknown */
    const char *json_expected;   /* "one of Off, Pty, ..." */
    guint32 unsupported;         /* values parsed but "not supported yet" */
} VEnum;

/* Fields of the struct that were given (present and not null). */
typedef struct {
    const VStruct *s;
    guint64 bits;                /* bit i: s->fields[i] */
} VGiven;

struct VField {
    const char *name;            /* JSON key */
    const char *cli;             /* CLI key when it differs; else NULL */
    VKind kind;
    VUnsupKind unsup;            /* VF_UNSUP only */
    unsigned flags;              /* VFlags */
    size_t offset;
    size_t size;                 /* sizeof the member */
    uint64_t min, max;           /* integer bounds */
    uint64_t dflt;               /* bool, integer and enum default */
    const char *dflt_s;          /* string default (owned copies) */
    const char *cli_dflt;        /* VF_UNSUP: the accepted CLI value */
    /* VF_UNSUP / VF_UNSUP_NONDEFAULT: why a value other than the default
     * is refused, for a key nimbus will not take rather than one not
     * done yet ("virtio-balloon ... outside the translated queues");
     * NULL: "is not supported yet". */
    const char *refused;
    const char *cli_meta;        /* VF_CLI_REQUIRED: "<image>" */
    const char *what;            /* VF_U32_ARRAY: "host CPU numbers" */
    const char *const *cli_keys; /* extra bare CLI keys this field reads */
    const VStruct *sub;
    const VEnum *venum;
    /* The CLI syntax of this field when not its kind's generic one;
     * writes *member only on success. */
    bool (*cli_parse)(const VmOpts *o, const VField *f, void *member,
                      GError **error);
};

struct VStruct {
    const char *name;            /* the C type, for tests and messages */
    size_t size;
    const VField *fields;        /* terminated by a NULL name */
    /* For VF_LIST elements: frees one element (the array's free func). */
    GDestroyNotify free;
    /* Defaults that depend on which keys were given (CLI --cpus: max
     * defaults to boot; net: fds without num_queues set the queues). */
    void (*fixup)(void *obj, const VGiven *given);
};

#define MEMBER_SIZE(T, m) sizeof(((T *)0)->m)
#define VF_AT(T, m) .offset = offsetof(T, m), .size = MEMBER_SIZE(T, m)

/* One table line per field; trailing arguments add .cli, .flags, ... */
#define V_BOOL(n, T, m, d, ...)                                                \
    { .name = n, .kind = VF_BOOL, VF_AT(T, m), .dflt = d, __VA_ARGS__ }
#define V_UINT(n, T, m, lo, hi, d, ...)                                        \
    { .name = n, .kind = VF_UINT, VF_AT(T, m), .min = lo, .max = hi,           \
      .dflt = d, __VA_ARGS__ }
#define V_INT_OPT(n, T, m, lo, hi, ...)                                        \
    { .name = n, .kind = VF_INT_OPT, VF_AT(T, m), .min = lo, .max = hi,        \
      __VA_ARGS__ }
#define V_STR(n, T, m, ...)                                                    \
    { .name = n, .kind = VF_STRING, VF_AT(T, m), __VA_ARGS__ }
#define V_ENUM(n, T, m, e, d, ...)                                             \
    { .name = n, .kind = VF_ENUM, VF_AT(T, m), .venum = e, .dflt = d,          \
      __VA_ARGS__ }
#define V_STRUCT(n, T, m, s, ...)                                              \
    { .name = n, .kind = VF_STRUCT, VF_AT(T, m), .sub = s, __VA_ARGS__ }
#define V_PTR(n, T, m, s, ...)                                                 \
    { .name = n, .kind = VF_STRUCT_PTR, VF_AT(T, m), .sub = s, __VA_ARGS__ }
#define V_LIST(n, T, m, s, ...)                                                \
    { .name = n, .kind = VF_LIST, VF_AT(T, m), .sub = s, __VA_ARGS__ }
#define V_U32S(n, T, m, hi, ...)                                               \
    { .name = n, .kind = VF_U32_ARRAY, VF_AT(T, m), .max = hi, __VA_ARGS__ }
#define V_FDS(n, T, m, ...)                                                    \
    { .name = n, .kind = VF_FD_ARRAY, VF_AT(T, m), __VA_ARGS__ }
#define V_STRV(n, T, m, ...)                                                   \
    { .name = n, .kind = VF_STRV, VF_AT(T, m), __VA_ARGS__ }
#define U_BOOL(n, d, ...)                                                      \
    { .name = n, .kind = VF_UNSUP, .unsup = VU_BOOL, .dflt = d, __VA_ARGS__ }
#define U_INT(n, d, ...)                                                       \
    { .name = n, .kind = VF_UNSUP, .unsup = VU_INT, .dflt = d, __VA_ARGS__ }
#define U_STR(n, d, ...)                                                       \
    { .name = n, .kind = VF_UNSUP, .unsup = VU_STR, .dflt_s = d, __VA_ARGS__ }
#define U_EMPTY(n, ...)                                                        \
    { .name = n, .kind = VF_UNSUP, .unsup = VU_EMPTY, __VA_ARGS__ }
#define U_DEFAULTS(n, s, ...)                                                  \
    { .name = n, .kind = VF_UNSUP, .unsup = VU_DEFAULTS, .sub = s,             \
      __VA_ARGS__ }
#define U_IGNORED(n, ...)                                                      \
    { .name = n, .kind = VF_UNSUP, .unsup = VU_IGNORED,                        \
      .flags = VF_NO_JSON, __VA_ARGS__ }
/* Slot @slot of VmConfig.devices (each slot used by one line). */
#define V_DEVICE(n, slot, ...)                                                 \
    { .name = n, .kind = VF_DEVICE, .unsup = VU_EMPTY,                         \
      .offset = offsetof(VmConfig, devices) + (slot) * sizeof(GPtrArray *),    \
      .size = sizeof(GPtrArray *), __VA_ARGS__ }
#define V_END { .name = NULL }

/* The tables (vm-config-schema.c). */
extern const VStruct vschema_topology;
extern const VStruct vschema_affinity;
extern const VStruct vschema_cpus;
extern const VStruct vschema_memory;
extern const VStruct vschema_payload;
extern const VStruct vschema_disk;
extern const VStruct vschema_net;
extern const VStruct vschema_rng;
extern const VStruct vschema_serial;
extern const VStruct vschema_console;
extern const VStruct vschema_debug_console;
extern const VStruct vschema_landlock;
extern const VStruct vschema_platform;
extern const VStruct vschema_vm;
/* vm-config-numa.c */
extern const VStruct vschema_memory_zone;
extern const VStruct vschema_numa_distance;
extern const VStruct vschema_numa;
/* vm-config-fwcfg.c */
extern const VStruct vschema_fw_cfg;
extern const VStruct vschema_fw_cfg_item_list;
extern const VStruct vschema_fw_cfg_item;
/* vm-config-ratelimit.c */
extern const VStruct vschema_token_bucket;
extern const VStruct vschema_rate_limiter;
extern const VStruct vschema_rate_limit_group;
/* The CLI's bw_* and ops_* keys, and their hook building a
 * RateLimiterConfig (NULL when none is given). */
extern const char *const vm_config_rate_limit_cli_keys[];
bool vm_config_cli_rate_limiter(const VmOpts *o, const VField *f,
                                void *member, GError **error);

/* Every table above, NULL-terminated (the walker tests iterate it). */
extern const VStruct *const vschema_all[];

/* The CLI key of @f. */
static inline const char *
vfield_cli_key(const VField *f)
{
    return f->cli ? f->cli : f->name;
}

static inline void *
vfield_member(const VField *f, void *obj)
{
    return (char *)obj + f->offset;
}

static inline const void *
vfield_member_const(const VField *f, const void *obj)
{
    return (const char *)obj + f->offset;
}

bool vgiven_has(const VGiven *given, const char *name);

/* What the walkers see of @f: a VF_DEVICE line becomes, in *@tmp, the
 * VF_LIST of its registered kind's struct, or the VU_EMPTY key it stands
 * for when none is registered; any other field is returned as is.
 * (vm-config-kind.c) */
const VField *vfield_resolve(const VField *f, VField *tmp);

/* vm-config-walk.c */
void vschema_init(const VStruct *s, void *obj);
void vschema_clear(const VStruct *s, void *obj);
void vschema_copy(const VStruct *s, void *dst, const void *src);
bool vschema_equal(const VStruct *s, const void *a, const void *b);
/* A new, defaulted instance of @s (transfer full; free with s->free or
 * vschema_clear() + g_free()). */
void *vschema_new(const VStruct *s);
/* Calls @func for every set VF_PATH_* string of @obj, nested structs,
 * lists and device kinds included, in table order. */
void vschema_paths(const VStruct *s, const void *obj, VmConfigPathFunc func,
                   gpointer data);
/* Integer members of 1, 2, 4 or 8 bytes. */
uint64_t vfield_get_uint(const VField *f, const void *obj);
void vfield_set_uint(const VField *f, void *obj, uint64_t v);

/* vm-config-json-walk.c: @path names the object ("" for the document). */
bool vschema_json_parse(const VStruct *s, JsonNode *node, const char *path,
                        void *obj, GError **error);
/* vm-config-json-format.c: the object's members into @b. */
void vschema_json_format(const VStruct *s, JsonBuilder *b, const void *obj);

/* vm-config-parse.c: parses @arg, the value of @option ("--disk"), into
 * @obj, which holds @s's defaults; on error @obj is partly filled and
 * the caller clears it. */
bool vschema_cli_parse(const VStruct *s, const char *option, const char *arg,
                       void *obj, GError **error);

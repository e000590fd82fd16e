/* SPDX-License-Identifier: Apache-2.0 */
/* Cloud Hypervisor's option-value grammar: "key=value,key=[a,b],mode". */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/*
 * One option value, as CH's OptionParser splits it (vmm/src/config.rs,
 * option_parser crate): items separated by commas, except inside "[...]"
 * (lists, tuple lists) and inside double quotes (a value with a comma:
 * path="/a,b").  An item is "key=value" or a bare "key" (console modes).
 * Every error names the option ("--cpus: ...") and the offending item.
 *
 * The getters leave *out alone and return true when the key is absent, so
 * a caller fills in defaults first and overrides what was given.
 */
typedef struct VmOpts VmOpts;

/* What an unsupported key may carry and still be accepted: CH tooling
 * spells out some defaults ("vhost_user=off"), which are harmless. */
typedef enum {
    VM_OPT_UNSUP_ALWAYS,     /* any value is refused */
    VM_OPT_UNSUP_UNLESS_OFF, /* a toggle, accepted when off */
    VM_OPT_UNSUP_UNLESS_ON,  /* a toggle, accepted when on */
    VM_OPT_UNSUP_UNLESS_STR, /* accepted when equal (any case) to dflt */
} VmOptUnsupKind;

typedef struct {
    const char *key;
    VmOptUnsupKind kind;
    const char *dflt;        /* VM_OPT_UNSUP_UNLESS_STR only */
    const char *refused;     /* why it is refused; NULL: "not supported
                              * yet" */
} VmOptUnsupported;

/* Splits @arg (the value of @option, e.g. "--cpus").  Empty items,
 * unbalanced brackets or quotes and repeated keys are errors. */
VmOpts *vm_opts_parse(const char *option, const char *arg, GError **error);
void vm_opts_free(VmOpts *opts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmOpts, vm_opts_free)

/* Every key must be in @known (NULL-terminated) or in @unsupported
 * (terminated by a NULL key; may be NULL): "unknown key 'x'",
 * "x=y is not supported yet" or "x=y is refused: <refused>". */
bool vm_opts_check_keys(const VmOpts *opts, const char *const *known,
                        const VmOptUnsupported *unsupported, GError **error);

bool vm_opts_has(const VmOpts *opts, const char *key);
/* The option name given to vm_opts_parse() ("--cpus"). */
const char *vm_opts_option(const VmOpts *opts);
/* The value given to vm_opts_parse(), for messages. */
const char *vm_opts_arg(const VmOpts *opts);

/* A bare key ("tty"): true in *present; a value ("tty=1") is an error. */
bool vm_opts_get_flag(const VmOpts *opts, const char *key, bool *present,
                      GError **error);
/* Non-empty string; replaces *out (g_free'd). */
bool vm_opts_get_string(const VmOpts *opts, const char *key, char **out,
                        GError **error);
/* Decimal or 0x-hex integer in [min, max]. */
bool vm_opts_get_u64(const VmOpts *opts, const char *key, uint64_t min,
                     uint64_t max, uint64_t *out, GError **error);
bool vm_opts_get_u32(const VmOpts *opts, const char *key, uint32_t min,
                     uint32_t max, uint32_t *out, GError **error);
/* Bytes with an optional K/M/G/T binary suffix. */
bool vm_opts_get_size(const VmOpts *opts, const char *key, uint64_t *out,
                      GError **error);
/* on/off/true/false. */
bool vm_opts_get_toggle(const VmOpts *opts, const char *key, bool *out,
                        GError **error);
/* "[1,2,5-7]" (ranges expand); each element in [0, max]; replaces *out,
 * a GArray of uint32_t. */
bool vm_opts_get_u32_list(const VmOpts *opts, const char *key, uint32_t max,
                          GArray **out, GError **error);
/* "[a,b]": non-empty strings (no quotes inside); replaces *out, a GStrv. */
bool vm_opts_get_string_list(const VmOpts *opts, const char *key, char ***out,
                             GError **error);
/* "[0@[1,2],1@[3-4]]": a GPtrArray of VmOptsTuple. */
typedef struct {
    uint32_t id;
    char *name;              /* the id as written */
    GArray *values;          /* uint32_t */
} VmOptsTuple;
bool vm_opts_get_tuple_list(const VmOpts *opts, const char *key,
                            uint32_t id_max, uint32_t value_max,
                            GPtrArray **out, GError **error);
/* "[net0@[3,4],net1@[5]]": tuples named by a string (.id is 0); each name
 * non-empty and unique. */
bool vm_opts_get_named_tuple_list(const VmOpts *opts, const char *key,
                                  uint32_t value_max, GPtrArray **out,
                                  GError **error);

/*
 * The scalar converters alone (for strings outside a key=value list).
 * They return false without setting an error; callers word the message.
 */
bool vm_opts_str_to_u64(const char *s, uint64_t *out);
/* Sizes are capped at G_MAXINT64: the JSON schema's int64. */
bool vm_opts_str_to_size(const char *s, uint64_t *out);
bool vm_opts_str_to_toggle(const char *s, bool *out);

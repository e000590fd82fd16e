/* SPDX-License-Identifier: Apache-2.0 */
/* GError -> libvirt remote_error: code, error domain and message text. */
#include <config.h>

#include <gio/gio.h>

#include "driver/rpc/rpc-error.h"

/* The message prefix libvirt uses for each code (the detail follows ": ").
 * Codes without an entry are printed without prefix. */
static const struct {
    int code;
    const char *prefix;
} rpc_error_prefixes[] = {
    { DRV_ERROR_INTERNAL_ERROR, "internal error" },
    { DRV_ERROR_NO_SUPPORT, "this function is not supported by the connection driver" },
    { DRV_ERROR_NO_CONNECT, "no connection driver available for" },
    { DRV_ERROR_INVALID_CONN, "invalid connection pointer in" },
    { DRV_ERROR_INVALID_ARG, "invalid argument" },
    { DRV_ERROR_OPERATION_FAILED, "operation failed" },
    { DRV_ERROR_XML_ERROR, "XML error" },
    { DRV_ERROR_OPERATION_DENIED, "operation forbidden" },
    { DRV_ERROR_XML_DETAIL, "XML error" },
    { DRV_ERROR_NO_DOMAIN, "Domain not found" },
    { DRV_ERROR_AUTH_FAILED, "authentication failed" },
    { DRV_ERROR_OPERATION_INVALID, "Requested operation is not valid" },
    { DRV_ERROR_NO_SECRET, "Secret not found" },
    { DRV_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration" },
    { DRV_ERROR_OPERATION_TIMEOUT, "Timed out during operation" },
    { DRV_ERROR_NO_DOMAIN_SNAPSHOT, "Domain snapshot not found" },
    { DRV_ERROR_ARGUMENT_UNSUPPORTED, "argument unsupported" },
    { DRV_ERROR_OPERATION_ABORTED, "operation aborted" },
    { DRV_ERROR_NO_DOMAIN_METADATA, "metadata not found" },
    { DRV_ERROR_OPERATION_UNSUPPORTED, "Operation not supported" },
    { DRV_ERROR_CPU_INCOMPATIBLE, "the CPU is incompatible with host CPU" },
};

DrvErrorDomain
rpc_error_domain(int code)
{
    switch (code) {
    case DRV_ERROR_NO_SUPPORT:
        /* What libvirtd's remote layer reports for declined procedures
         * (reference §6 rule 2). */
        return DRV_FROM_REMOTE;
    case DRV_ERROR_RPC:
        return DRV_FROM_RPC;
    case DRV_ERROR_XML_ERROR:
    case DRV_ERROR_XML_DETAIL:
        return DRV_FROM_DOMAIN;
    default:
        return DRV_FROM_CH;
    }
}

char *
rpc_error_message(int code, const char *detail)
{
    for (gsize i = 0; i < G_N_ELEMENTS(rpc_error_prefixes); i++) {
        const char *prefix = rpc_error_prefixes[i].prefix;

        if (rpc_error_prefixes[i].code != code)
            continue;
        if (!detail || !*detail)
            return g_strdup(prefix);
        /* Messages that already carry the prefix (e.g. built by a module
         * that mimics libvirt's text itself) are not prefixed twice. */
        if (g_str_has_prefix(detail, prefix))
            return g_strdup(detail);
        /* NO_CONNECT and INVALID_CONN read "... for <uri>", no colon. */
        if (code == DRV_ERROR_NO_CONNECT || code == DRV_ERROR_INVALID_CONN)
            return g_strdup_printf("%s %s", prefix, detail);
        return g_strdup_printf("%s: %s", prefix, detail);
    }
    return g_strdup(detail ? detail : "unknown error");
}

void
rpc_error_fields(const GError *err, int *code, int *domain, char **message)
{
    if (err->domain == DRV_RELAYED_ERROR) {
        /* libvirtd's own error: its domain, code and finished message. */
        *code = DRV_RELAYED_NUMBER(err->code);
        *domain = DRV_RELAYED_DOMAIN(err->code);
        *message = g_strdup(err->message);
        return;
    }
    if (err->domain == DRV_ERROR) {
        *code = err->code;
    } else if (err->domain == G_IO_ERROR || err->domain == G_FILE_ERROR) {
        /* A failed syscall below the driver: libvirt's VIR_ERR_SYSTEM_ERROR
         * carries the strerror text without prefix. */
        *code = DRV_ERROR_SYSTEM_ERROR;
    } else {
        *code = DRV_ERROR_INTERNAL_ERROR;
    }
    *domain = rpc_error_domain(*code);
    *message = rpc_error_message(*code, err->message);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: libvirt RPC frames and the XDR decoders of every procedure nimbusd serves. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <glib.h>

#include "driver/remote/remote.h"
#include "driver/rpc/packet.h"
#include "driver/vmm-events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes @payload with @filter; a success must re-encode. */
static void
fuzz_decode(const RpcHeader *hdr, const uint8_t *payload, size_t len,
            xdrproc_t filter, size_t struct_size)
{
    g_autofree void *obj = g_malloc0(struct_size);
    g_autoptr(GBytes) again = NULL;

    if (!rpc_payload_decode(payload, len, filter, obj, NULL))
        return;
    /* Whatever decodes must encode: the server echoes decoded values
     * (domain names, uuids) back in replies and events. */
    again = rpc_packet_encode(hdr, filter, obj, NULL);
    if (!again)
        abort();
    xdr_free(filter, obj);
}

static void
fuzz_packet(const uint8_t *frame, size_t len)
{
    const RpcProgram *program = remote_program();
    const RpcProcedure *p;
    RpcPacket pkt;

    if (!rpc_packet_parse(frame, len, &pkt, NULL))
        return;
    if (pkt.hdr.prog != REMOTE_PROGRAM)
        return;
    if (pkt.hdr.status == RPC_STATUS_ERROR) {
        fuzz_decode(&pkt.hdr, pkt.payload, pkt.payload_len,
                    (xdrproc_t)xdr_remote_error, sizeof(remote_error));
        return;
    }
    if (pkt.hdr.type == RPC_TYPE_MESSAGE &&
        pkt.hdr.proc == REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE) {
        fuzz_decode(&pkt.hdr, pkt.payload, pkt.payload_len,
                    (xdrproc_t)xdr_remote_domain_event_callback_lifecycle_msg,
                    sizeof(remote_domain_event_callback_lifecycle_msg));
        return;
    }
    p = rpc_program_lookup(program, pkt.hdr.proc);
    if (!p)
        return;
    /* Calls carry the arguments; replies the return value. */
    if (pkt.hdr.type == RPC_TYPE_CALL && p->args_filter)
        fuzz_decode(&pkt.hdr, pkt.payload, pkt.payload_len, p->args_filter,
                    p->args_size);
    else if (pkt.hdr.type == RPC_TYPE_REPLY && p->ret_filter)
        fuzz_decode(&pkt.hdr, pkt.payload, pkt.payload_len, p->ret_filter,
                    p->ret_size);
}

static void
fuzz_ignore_event(const char *source, const char *event, JsonObject *props,
                  gpointer data)
{
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    g_autoptr(DrvVmmEventParser) events = drv_vmm_event_parser_new();

    /* The input is a byte stream as a socket delivers it: frames back to
     * back, the last one possibly cut short. */
    while (size - off >= RPC_LEN_SIZE) {
        uint32_t total;
        size_t len;

        if (!rpc_frame_length(data + off, &total, NULL))
            break;
        len = MIN((size_t)total, size - off);
        fuzz_packet(data + off, len);
        off += len;
    }
    /* The same bytes as a VMM event-monitor stream: the other untrusted
     * stream nimbusd parses. */
    drv_vmm_event_parser_feed(events, (const char *)data, size,
                              fuzz_ignore_event, NULL);
    return 0;
}

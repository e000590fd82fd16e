/* SPDX-License-Identifier: Apache-2.0 */
/* Domain event callbacks: registration per connection, lifecycle messages. */
#include <config.h>

#include <string.h>

#include "driver/remote/remote.h"
#include "driver/rpc/client.h"

/* virDomainEventID: lifecycle is 0; libvirt 9.0 knows ids below 27
 * (VIR_DOMAIN_EVENT_ID_LAST) and virsh "event --all" registers each. */
#define REMOTE_EVENT_ID_LAST 27

gpointer
remote_conn_new(RpcClient *client, gpointer daemon)
{
    RemoteConn *conn = g_new0(RemoteConn, 1);

    g_mutex_init(&conn->lock);
    conn->callbacks = g_array_new(FALSE, FALSE, sizeof(RemoteEventCallback));
    conn->next_callback_id = 1;
    return conn;
}

void
remote_conn_free(gpointer data)
{
    RemoteConn *conn = data;

    g_array_unref(conn->callbacks);
    g_mutex_clear(&conn->lock);
    g_free(conn);
}

bool
remote_connect_domain_event_callback_register_any(RpcCall *call, void *a,
                                                  void *r, GError **error)
{
    remote_connect_domain_event_callback_register_any_args *args = a;
    remote_connect_domain_event_callback_register_any_ret *ret = r;
    RemoteConn *conn = rpc_client_get_data(rpc_call_get_client(call));
    RemoteEventCallback cb = { .event_id = args->eventID };

    if (args->eventID < 0 || args->eventID >= REMOTE_EVENT_ID_LAST) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "unsupported event ID %d", args->eventID);
        return false;
    }
    /* Every known id registers, as on libvirtd: a callback for an event
     * nimbus never produces (TUNABLE...) simply never fires, which is the
     * truth.  nova and virt-manager subscribe to such ids at connect
     * time; lifecycle, watchdog, metadata-change, the device events and
     * the memory device size change are sent. */
    if (args->dom) {
        cb.has_dom = true;
        memcpy(cb.uuid, args->dom->uuid, sizeof(cb.uuid));
    }
    g_mutex_lock(&conn->lock);
    cb.id = conn->next_callback_id++;
    g_array_append_val(conn->callbacks, cb);
    g_mutex_unlock(&conn->lock);
    ret->callbackID = cb.id;
    return true;
}

bool
remote_connect_domain_event_callback_deregister_any(RpcCall *call, void *a,
                                                    void *r, GError **error)
{
    remote_connect_domain_event_callback_deregister_any_args *args = a;
    RemoteConn *conn = rpc_client_get_data(rpc_call_get_client(call));
    bool found = false;

    g_mutex_lock(&conn->lock);
    for (guint i = 0; i < conn->callbacks->len && !found; i++) {
        if (g_array_index(conn->callbacks, RemoteEventCallback, i).id == args->callbackID) {
            g_array_remove_index(conn->callbacks, i);
            found = true;
        }
    }
    g_mutex_unlock(&conn->lock);
    if (!found)
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "domain event callback %d not registered", args->callbackID);
    return found;
}

/* The message of @event for callback @cb_id, encoded (NULL on failure). */
static GBytes *
remote_event_encode(const DrvDomainEvent *event, int cb_id)
{
    /* Real libvirtd sends events with serial 1 (§1.5); clients ignore it. */
    RpcHeader hdr = {
        .prog = REMOTE_PROGRAM,
        .vers = REMOTE_PROTOCOL_VERSION,
        .type = RPC_TYPE_MESSAGE,
        .serial = 1,
        .status = RPC_STATUS_OK,
    };
    remote_nonnull_domain dom = {
        .name = (char *)event->name,
        .id = event->id,
    };

    memcpy(dom.uuid, event->uuid, 16);
    if (event->event_id == DRV_EVENT_ID_DEVICE_REMOVED) {
        remote_domain_event_callback_device_removed_msg msg = {
            .callbackID = cb_id,
            .msg = { .dom = dom, .devAlias = (char *)event->dev_alias },
        };

        hdr.proc = REMOTE_PROC_DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED;
        return rpc_packet_encode(&hdr,
                                 (xdrproc_t)xdr_remote_domain_event_callback_device_removed_msg,
                                 &msg, NULL);
    } else if (event->event_id == DRV_EVENT_ID_DEVICE_ADDED) {
        remote_domain_event_callback_device_added_msg msg = {
            .callbackID = cb_id,
            .dom = dom,
            .devAlias = (char *)event->dev_alias,
        };

        hdr.proc = REMOTE_PROC_DOMAIN_EVENT_CALLBACK_DEVICE_ADDED;
        return rpc_packet_encode(&hdr,
                                 (xdrproc_t)xdr_remote_domain_event_callback_device_added_msg,
                                 &msg, NULL);
    } else if (event->event_id == DRV_EVENT_ID_DEVICE_REMOVAL_FAILED) {
        remote_domain_event_callback_device_removal_failed_msg msg = {
            .callbackID = cb_id,
            .dom = dom,
            .devAlias = (char *)event->dev_alias,
        };
        xdrproc_t enc = (xdrproc_t)
            xdr_remote_domain_event_callback_device_removal_failed_msg;

        hdr.proc = REMOTE_PROC_DOMAIN_EVENT_CALLBACK_DEVICE_REMOVAL_FAILED;
        return rpc_packet_encode(&hdr, enc, &msg, NULL);
    } else if (event->event_id == DRV_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE) {
        remote_domain_event_memory_device_size_change_msg msg = {
            .callbackID = cb_id,
            .dom = dom,
            .alias = (char *)event->dev_alias,
            .size = event->mem_size_kib,
        };
        xdrproc_t enc = (xdrproc_t)
            xdr_remote_domain_event_memory_device_size_change_msg;

        hdr.proc = REMOTE_PROC_DOMAIN_EVENT_MEMORY_DEVICE_SIZE_CHANGE;
        return rpc_packet_encode(&hdr, enc, &msg, NULL);
    } else if (event->event_id == DRV_EVENT_ID_WATCHDOG) {
        remote_domain_event_callback_watchdog_msg msg = {
            .callbackID = cb_id,
            .msg = { .dom = dom, .action = event->watchdog_action },
        };

        hdr.proc = REMOTE_PROC_DOMAIN_EVENT_CALLBACK_WATCHDOG;
        return rpc_packet_encode(&hdr,
                                 (xdrproc_t)xdr_remote_domain_event_callback_watchdog_msg,
                                 &msg, NULL);
    } else if (event->event_id == DRV_EVENT_ID_METADATA_CHANGE) {
        remote_domain_event_callback_metadata_change_msg msg = {
            .callbackID = cb_id,
            .dom = dom,
            .type = event->metadata_type,
            .nsuri = event->metadata_uri ? (char **)&event->metadata_uri : NULL,
        };

        hdr.proc = REMOTE_PROC_DOMAIN_EVENT_CALLBACK_METADATA_CHANGE;
        return rpc_packet_encode(&hdr,
                                 (xdrproc_t)xdr_remote_domain_event_callback_metadata_change_msg,
                                 &msg, NULL);
    } else {
        remote_domain_event_callback_lifecycle_msg msg = {
            .callbackID = cb_id,
            .msg = { .dom = dom, .event = event->event, .detail = event->detail },
        };

        hdr.proc = REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE;
        return rpc_packet_encode(&hdr,
                                 (xdrproc_t)xdr_remote_domain_event_callback_lifecycle_msg,
                                 &msg, NULL);
    }
}

/* Sends @event to each callback of @client registered for its id. */
static void
remote_event_send_client(RpcClient *client, gpointer data)
{
    const DrvDomainEvent *event = data;
    RemoteConn *conn = rpc_client_get_data(client);

    if (!conn)
        return;
    g_mutex_lock(&conn->lock);
    for (guint i = 0; i < conn->callbacks->len; i++) {
        const RemoteEventCallback *cb = &g_array_index(conn->callbacks,
                                                       RemoteEventCallback, i);
        g_autoptr(GBytes) pkt = NULL;

        if (cb->event_id != event->event_id ||
            (cb->has_dom && memcmp(cb->uuid, event->uuid, 16) != 0))
            continue;
        pkt = remote_event_encode(event, cb->id);
        if (pkt)
            rpc_client_send(client, pkt);
    }
    g_mutex_unlock(&conn->lock);
}

void
remote_event_emit(const DrvDomainEvent *event, gpointer data)
{
    RemoteDaemon *daemon = data;

    g_debug("event %d (%d/%d) for domain '%s'", event->event_id, event->event,
            event->detail, event->name);
    if (daemon->server)
        rpc_server_foreach_client(daemon->server, remote_event_send_client,
                                  (gpointer)event);
}

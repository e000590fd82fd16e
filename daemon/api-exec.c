/* SPDX-License-Identifier: Apache-2.0 */
/* Hands API calls from the transport threads to the VMM thread and the results back. */
#include <config.h>

#include <unistd.h>

#include "daemon/api-exec.h"

typedef struct {
    ApiExecutor *ex;
    ApiAction action;
    GBytes *body;
    GArray *fds;
    ApiResult result;
    GMainContext *reply_context;   /* ref held until the reply is queued */
    ApiDoneFunc done;
    gpointer opaque;
    GDestroyNotify opaque_free;
} ApiCall;

/*
 * Two sources per call: one on the VMM context (pending until dispatched,
 * tracked so that api_executor_free() can drop it) and one on the caller's
 * context (the reply).  The call struct passes from one to the other and
 * is freed by the reply source's destroy notify.
 */
struct ApiExecutor {
    Vmm *vmm;                  /* immutable */
    GMainContext *context;     /* the VMM thread's; immutable */
    GMutex lock;
    GHashTable *pending;       /* lock: ApiCall* -> its GSource* on @context */
    bool closed;               /* lock */
};

static void
call_free(gpointer data)
{
    ApiCall *call = data;

    if (call->fds) {
        for (guint i = 0; i < call->fds->len; i++)
            close(g_array_index(call->fds, int, i));
        g_array_unref(call->fds);
    }
    g_clear_pointer(&call->body, g_bytes_unref);
    g_clear_pointer(&call->reply_context, g_main_context_unref);
    api_result_clear(&call->result);
    if (call->opaque_free)
        call->opaque_free(call->opaque);
    g_free(call);
}

/* On the submitter's context. */
static gboolean
call_reply(gpointer data)
{
    ApiCall *call = data;

    call->done(&call->result, call->opaque);
    return G_SOURCE_REMOVE;
}

/* On the VMM thread, once the action is over (at once, or when the guest
 * answered: vm.remove-device). */
static void
call_finished(gpointer data)
{
    ApiCall *call = data;
    GMainContext *reply_context;
    GSource *reply;

    /* From here the reply context owns the call (its source's destroy
     * notify frees it).  Our context reference goes now: if the transport
     * is gone, dropping its context destroys the source and the call. */
    reply_context = g_steal_pointer(&call->reply_context);
    reply = g_idle_source_new();
    g_source_set_priority(reply, G_PRIORITY_DEFAULT);
    g_source_set_callback(reply, call_reply, call, call_free);
    g_source_attach(reply, reply_context);
    g_source_unref(reply);
    g_main_context_unref(reply_context);
}

/* On the VMM thread. */
static gboolean
call_run(gpointer data)
{
    ApiCall *call = data;
    ApiExecutor *ex = call->ex;
    /* Ours: once call_finished() ran, the call may already be freed by
     * the transport's thread. */
    g_autoptr(GBytes) body = g_steal_pointer(&call->body);

    g_mutex_lock(&ex->lock);
    g_hash_table_remove(ex->pending, call);
    g_mutex_unlock(&ex->lock);

    api_backend_execute_async(ex->vmm, call->action, body,
                              g_steal_pointer(&call->fds), &call->result,
                              call_finished, call);
    return G_SOURCE_REMOVE;
}

ApiExecutor *
api_executor_new(Vmm *vmm, GMainContext *vmm_context)
{
    ApiExecutor *ex = g_new0(ApiExecutor, 1);

    ex->vmm = vmm;
    ex->context = g_main_context_ref(vmm_context ? vmm_context
                                                 : g_main_context_default());
    g_mutex_init(&ex->lock);
    ex->pending = g_hash_table_new_full(NULL, NULL, NULL,
                                        (GDestroyNotify)g_source_unref);
    return ex;
}

void
api_executor_submit(ApiExecutor *ex, ApiAction action, GBytes *body,
                    GArray *fds, GMainContext *reply_context, ApiDoneFunc done,
                    gpointer opaque, GDestroyNotify opaque_free)
{
    ApiCall *call = g_new0(ApiCall, 1);
    GSource *src;

    call->ex = ex;
    call->action = action;
    call->body = body;
    call->fds = fds;
    call->reply_context = g_main_context_ref(reply_context);
    call->done = done;
    call->opaque = opaque;
    call->opaque_free = opaque_free;

    g_mutex_lock(&ex->lock);
    if (ex->closed) {
        g_mutex_unlock(&ex->lock);
        call_free(call);
        return;
    }
    src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, call_run, call, NULL);
    g_hash_table_insert(ex->pending, call, src);
    g_source_attach(src, ex->context);
    g_mutex_unlock(&ex->lock);
}

void
api_executor_free(ApiExecutor *ex)
{
    g_autoptr(GHashTable) pending = NULL;
    GHashTableIter it;
    gpointer call, src;

    if (!ex)
        return;
    g_mutex_lock(&ex->lock);
    ex->closed = true;
    pending = g_steal_pointer(&ex->pending);
    g_mutex_unlock(&ex->lock);

    /* We run on the VMM thread, so none of these is being dispatched. */
    g_hash_table_iter_init(&it, pending);
    while (g_hash_table_iter_next(&it, &call, &src)) {
        g_source_destroy(src);
        call_free(call);
    }
    g_main_context_unref(ex->context);
    g_mutex_clear(&ex->lock);
    g_free(ex);
}

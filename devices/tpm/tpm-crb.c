/* SPDX-License-Identifier: Apache-2.0 */
/* TPM 2.0 CRB interface (TCG PC Client PTP §6.5) on swtpm: config kind, device, registry entry. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <gio/gio.h>

#include "config/vm-config-kind.h"
#include "config/vm-config-schema.h"
#include "devices/legacy/ratelimit.h"
#include "devices/state.h"
#include "devices/tpm/swtpm.h"
#include "devices/tpm/tpm-crb-priv.h"

/*
 * Locality 0 only (the guest OS's locality; the others are for firmware
 * and the CPU), no interrupts: Linux's tpm_crb polls CTRL_START.  The
 * command/response buffer is the rest of the 4 KiB page after the
 * registers, shared by command and response, as QEMU and Cloud
 * Hypervisor lay it out.
 *
 * A command runs on the vCPU thread that writes CTRL_START: the lock is
 * dropped for the round trip to swtpm, so that another vCPU can read
 * CTRL_START (still 1) or cancel; the command and response are staged in
 * buffers only the executing thread touches while @executing is set.
 * swtpm's own state (keys, NV, PCRs) is swtpm's: a snapshot carries only
 * these registers and the buffer, and the user (or nimbusd) moves swtpm's
 * state directory with the VM (docs/tpm.md).
 */

/* Long enough for an RSA key generation on a slow host; swtpm hanging
 * longer gets the command failed rather than the vCPU stuck. */
#define TPM_CRB_TIMEOUT_MS 120000

/* TPM_CRB_INTF_ID (PTP table 35): CRB interface, version CRB, locality 0
 * only, 64-byte transfers, CRB the only (and locked) interface, with
 * QEMU's vendor and device ids. */
#define CRB_INTF_TYPE_CRB       (1ull << 0)
#define CRB_INTF_VERSION_CRB    (1ull << 4)
#define CRB_INTF_XFER_64        (3ull << 11)
#define CRB_INTF_CAP_CRB        (1ull << 14)
#define CRB_INTF_SEL_CRB        (1ull << 17)
#define CRB_INTF_SEL_LOCK       (1ull << 19)
#define CRB_INTF_VID            (0x1014ull << 32)
#define CRB_INTF_DID            (0x0001ull << 48)
#define CRB_INTF_ID_VALUE (CRB_INTF_TYPE_CRB | CRB_INTF_VERSION_CRB |         \
                           CRB_INTF_XFER_64 | CRB_INTF_CAP_CRB |              \
                           CRB_INTF_SEL_CRB | CRB_INTF_SEL_LOCK |             \
                           CRB_INTF_VID | CRB_INTF_DID)

/* ---- Config: CH's TpmConfig ---------------------------------------------- */

typedef struct {
    char *socket;
    char *id;                     /* not in CH's schema: always "__tpm" */
} TpmConfig;

static void tpm_config_free(gpointer p);

static const VField tpm_fields[] = {
    /* swtpm's control channel (--ctrl type=unixio,path=...), which the
     * VMM connects to (Landlock grants it). */
    V_STR("socket", TpmConfig, socket,
          .flags = VF_JSON_REQUIRED | VF_CLI_REQUIRED | VF_PATH_SOCKET,
          .cli_meta = "<socket_path>"),
    V_STR("id", TpmConfig, id, .flags = VF_STORE_ONLY),
    V_END
};

static const VStruct tpm_schema = {
    "TpmConfig", sizeof(TpmConfig), tpm_fields, tpm_config_free, NULL
};

static void
tpm_config_free(gpointer p)
{
    if (p)
        vschema_clear(&tpm_schema, p);
    g_free(p);
}

static bool
tpm_validate(const VmConfig *config, gconstpointer entry,
             const VmConfigKindCtx *ctx, GError **error)
{
    const TpmConfig *t = entry;
    struct sockaddr_un sa;

    if (!t->socket || !*t->socket) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: socket must not be empty", ctx->where);
        return false;
    }
    if (strlen(t->socket) >= sizeof(sa.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: socket path '%s' is too long for a UNIX socket "
                    "(at most %zu bytes)", ctx->where, t->socket,
                    sizeof(sa.sun_path) - 1);
        return false;
    }
    return true;
}

static const VmConfigKind tpm_kind = {
    .json_key = "tpm",
    .cli_option = "--tpm",
    .fields = &tpm_schema,
    .default_id = TPM_CRB_ID,
    .validate = tpm_validate,
};

bool
tpm_configured(const VmConfig *config)
{
    return vm_config_kind_count(config, &tpm_kind) > 0;
}

/* ---- The device ---------------------------------------------------------- */

typedef struct {
    VmmDevice dev;
    const TpmBackendOps *backend;     /* immutable */
    gpointer opaque;                  /* immutable */
    GMutex lock;
    bool assigned;                    /* lock: locality 0 granted */
    bool idle;                        /* lock: CTRL_STS.tpmIdle */
    bool error;                       /* lock: CTRL_STS.tpmSts */
    bool executing;                   /* lock: CTRL_START reads 1 */
    uint32_t cancel;                  /* lock: CTRL_CANCEL */
    uint8_t buf[TPM_CRB_BUFFER_SIZE]; /* lock */
    uint8_t cmd[TPM_CRB_BUFFER_SIZE]; /* the executing thread's */
    uint8_t rsp[TPM_CRB_BUFFER_SIZE]; /* the executing thread's */
    RateLimit rl;                     /* lock */
    guint64 commands, failures;       /* atomic counters */
} TpmCrb;

static TpmCrb *
tpm_from_dev(VmmDevice *dev)
{
    return (TpmCrb *)dev;
}

static void
put32(uint8_t *regs, unsigned off, uint32_t v)
{
    vmm_le_store(regs + off, 4, v);
}

/* The register page below the buffer as the guest sees it now. */
static void
tpm_regs_image(TpmCrb *t, uint8_t regs[TPM_CRB_DATA_BUFFER])
{
    uint64_t buf_gpa = TPM_CRB_MMIO_BASE + TPM_CRB_DATA_BUFFER;

    memset(regs, 0, TPM_CRB_DATA_BUFFER);
    /* Established: no locality-4 hash sequence has ever run (the bit is
     * active low in the register, so 1). */
    put32(regs, CRB_LOC_STATE, CRB_LOC_STATE_REG_VALID |
          CRB_LOC_STATE_ESTABLISHED |
          (t->assigned ? CRB_LOC_STATE_ASSIGNED : 0));
    put32(regs, CRB_LOC_STS, t->assigned ? CRB_LOC_STS_GRANTED : 0);
    vmm_le_store(regs + CRB_INTF_ID, 8, CRB_INTF_ID_VALUE);
    /* CTRL_REQ reads 0: every request completes at once. */
    put32(regs, CRB_CTRL_STS, (t->error ? CRB_CTRL_STS_ERROR : 0) |
          (t->idle ? CRB_CTRL_STS_IDLE : 0));
    put32(regs, CRB_CTRL_CANCEL, t->cancel);
    put32(regs, CRB_CTRL_START, t->executing ? CRB_START_INVOKE : 0);
    put32(regs, CRB_CTRL_CMD_SIZE, TPM_CRB_BUFFER_SIZE);
    put32(regs, CRB_CTRL_CMD_LADDR, (uint32_t)buf_gpa);
    put32(regs, CRB_CTRL_CMD_HADDR, (uint32_t)(buf_gpa >> 32));
    put32(regs, CRB_CTRL_RSP_SIZE, TPM_CRB_BUFFER_SIZE);
    vmm_le_store(regs + CRB_CTRL_RSP_ADDR, 8, buf_gpa);
}

static void
tpm_crb_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    TpmCrb *t = tpm_from_dev(dev);
    uint8_t regs[TPM_CRB_DATA_BUFFER];

    if (off >= TPM_CRB_MMIO_SIZE || len > TPM_CRB_MMIO_SIZE - off) {
        vmm_device_read_ones(data, len);
        return;
    }
    g_mutex_lock(&t->lock);
    if (off >= TPM_CRB_DATA_BUFFER) {
        memcpy(data, t->buf + (off - TPM_CRB_DATA_BUFFER), len);
    } else if (off + len <= TPM_CRB_DATA_BUFFER) {
        tpm_regs_image(t, regs);
        memcpy(data, regs + off, len);
    } else {
        /* An access across the registers' end and the buffer's start. */
        unsigned head = TPM_CRB_DATA_BUFFER - (unsigned)off;

        tpm_regs_image(t, regs);
        memcpy(data, regs + off, head);
        memcpy((uint8_t *)data + head, t->buf, len - head);
    }
    g_mutex_unlock(&t->lock);
}

/* CTRL_START: stage the command under the lock, run it without, put the
 * response back.  A command whose header gives a size the buffer cannot
 * hold never leaves the device: tpmSts tells the guest it failed. */
static void
tpm_crb_start(TpmCrb *t)
{
    uint32_t size;
    ssize_t n;

    if (t->executing || !t->assigned) {
        legacy_debug_ratelimited(&t->rl, "%s: CTRL_START ignored (%s)",
                                 t->dev.id, t->executing ? "busy"
                                 : "locality 0 not assigned");
        return;
    }
    size = tpm2_header_size(t->buf);
    if (size < TPM2_HEADER_SIZE || size > TPM_CRB_BUFFER_SIZE) {
        legacy_debug_ratelimited(&t->rl, "%s: command size %u outside "
                                 "[%u, %u]", t->dev.id, size,
                                 TPM2_HEADER_SIZE, TPM_CRB_BUFFER_SIZE);
        t->error = true;
        __atomic_add_fetch(&t->failures, 1, __ATOMIC_RELAXED);
        return;
    }
    memcpy(t->cmd, t->buf, size);
    t->executing = true;
    g_mutex_unlock(&t->lock);

    n = t->backend->execute(t->opaque, t->cmd, size, t->rsp,
                            TPM_CRB_BUFFER_SIZE);
    __atomic_add_fetch(&t->commands, 1, __ATOMIC_RELAXED);

    g_mutex_lock(&t->lock);
    if (n < 0) {
        legacy_debug_ratelimited(&t->rl, "%s: the TPM failed command 0x%x: "
                                 "%s", t->dev.id,
                                 tpm2_header_size(t->cmd + 4),
                                 g_strerror((int)-n));
        t->error = true;
        __atomic_add_fetch(&t->failures, 1, __ATOMIC_RELAXED);
    } else {
        memcpy(t->buf, t->rsp, (size_t)n);
    }
    t->executing = false;
}

static void
tpm_crb_write(VmmDevice *dev, uint64_t off, const void *data, unsigned len)
{
    TpmCrb *t = tpm_from_dev(dev);
    uint32_t v = (uint32_t)vmm_le_load(data, MIN(len, 4u));
    bool cancel = false;

    if (off >= TPM_CRB_MMIO_SIZE || len > TPM_CRB_MMIO_SIZE - off)
        return;
    g_mutex_lock(&t->lock);
    if (off >= TPM_CRB_DATA_BUFFER) {
        /* The buffer is the TPM's while a command runs (PTP §6.5.3.4);
         * the staged copy is what runs anyway. */
        if (!t->executing)
            memcpy(t->buf + (off - TPM_CRB_DATA_BUFFER), data, len);
        g_mutex_unlock(&t->lock);
        return;
    }
    switch (off) {
    case CRB_LOC_CTRL:
        if (v & CRB_LOC_CTRL_RELINQUISH)
            t->assigned = false;
        if (v & CRB_LOC_CTRL_REQUEST)
            t->assigned = true;
        break;
    case CRB_CTRL_REQ:
        if (!t->assigned)
            break;
        /* A new command cycle starts clean: a failed command's tpmSts
         * does not outlive it. */
        if (v & CRB_CTRL_REQ_CMD_READY) {
            t->idle = false;
            t->error = false;
        } else if (v & CRB_CTRL_REQ_GO_IDLE) {
            t->idle = true;
        }
        break;
    case CRB_CTRL_CANCEL:
        if (!t->assigned)
            break;
        t->cancel = v & CRB_CANCEL_INVOKE;
        cancel = t->cancel && t->executing;
        break;
    case CRB_CTRL_START:
        if (v & CRB_START_INVOKE)
            tpm_crb_start(t);
        break;
    default:
        legacy_debug_ratelimited(&t->rl, "%s: write of 0x%x at offset 0x%"
                                 G_GINT64_MODIFIER "x ignored", dev->id, v,
                                 off);
        break;
    }
    g_mutex_unlock(&t->lock);
    /* Outside the lock: the executing vCPU takes it to finish. */
    if (cancel && t->backend->cancel(t->opaque) < 0)
        g_debug("%s: the TPM did not take the cancel request", dev->id);
}

static bool
tpm_crb_realize(VmmDevice *dev, GError **error)
{
    return device_host_register_mmio(dev->host, TPM_CRB_MMIO_BASE,
                                     TPM_CRB_MMIO_SIZE, dev, error);
}

static void
tpm_crb_unrealize(VmmDevice *dev)
{
    device_host_unregister_device(dev->host, dev);
}

static void
tpm_crb_reset_regs(TpmCrb *t)
{
    t->assigned = false;
    t->idle = true;
    t->error = false;
    t->cancel = 0;
    memset(t->buf, 0, sizeof(t->buf));
}

/* A platform reset is a TPM power cycle: the guest's firmware or kernel
 * then sends TPM2_Startup again. */
static void
tpm_crb_reset(VmmDevice *dev)
{
    TpmCrb *t = tpm_from_dev(dev);
    g_autoptr(GError) error = NULL;
    bool ok = t->backend->startup(t->opaque, &error);

    g_mutex_lock(&t->lock);
    tpm_crb_reset_regs(t);
    if (!ok) {
        g_warning("%s: TPM power cycle failed: %s", dev->id,
                  error->message);
        t->error = true;
    }
    g_mutex_unlock(&t->lock);
}

/* The registers and the buffer (a command written but not started, or a
 * response not read yet).  No command runs while the vCPUs are paused. */
typedef struct {
    bool assigned;
    bool idle;
    bool error;
    uint32_t cancel;
    uint8_t buffer[TPM_CRB_BUFFER_SIZE];
} TpmCrbState;

static const VmmStateField tpm_state_fields[] = {
    VMM_STATE_BOOL_FIELD(TpmCrbState, assigned),
    VMM_STATE_BOOL_FIELD(TpmCrbState, idle),
    VMM_STATE_BOOL_FIELD(TpmCrbState, error),
    VMM_STATE_UINT_FIELD(TpmCrbState, cancel, 0, CRB_CANCEL_INVOKE),
    VMM_STATE_BYTES_FIELD(TpmCrbState, buffer),
};

static const VmmStateDesc tpm_state_desc = {
    .name = "tpm-crb",
    .version = 1,
    .size = sizeof(TpmCrbState),
    .fields = tpm_state_fields,
    .n_fields = G_N_ELEMENTS(tpm_state_fields),
};

static JsonNode *
tpm_crb_save(VmmDevice *dev, GError **error)
{
    TpmCrb *t = tpm_from_dev(dev);
    g_autofree TpmCrbState *st = g_new0(TpmCrbState, 1);

    g_mutex_lock(&t->lock);
    st->assigned = t->assigned;
    st->idle = t->idle;
    st->error = t->error;
    st->cancel = t->cancel;
    memcpy(st->buffer, t->buf, sizeof(st->buffer));
    g_mutex_unlock(&t->lock);
    return vmm_state_save(&tpm_state_desc, st);
}

static bool
tpm_crb_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    TpmCrb *t = tpm_from_dev(dev);
    g_autofree TpmCrbState *st = g_new0(TpmCrbState, 1);

    if (!vmm_state_load(&tpm_state_desc, state, dev->id, st, error))
        return false;
    g_mutex_lock(&t->lock);
    t->assigned = st->assigned;
    t->idle = st->idle;
    t->error = st->error;
    t->cancel = st->cancel;
    memcpy(t->buf, st->buffer, sizeof(t->buf));
    g_mutex_unlock(&t->lock);
    return true;
}

static JsonNode *
tpm_crb_counters(VmmDevice *dev)
{
    TpmCrb *t = tpm_from_dev(dev);
    g_autoptr(JsonBuilder) jb = json_builder_new();

    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "commands");
    json_builder_add_int_value(jb, (gint64)__atomic_load_n(
        &t->commands, __ATOMIC_RELAXED));
    json_builder_set_member_name(jb, "failures");
    json_builder_add_int_value(jb, (gint64)__atomic_load_n(
        &t->failures, __ATOMIC_RELAXED));
    json_builder_end_object(jb);
    return json_builder_get_root(jb);
}

static void
tpm_crb_free(VmmDevice *dev)
{
    TpmCrb *t = tpm_from_dev(dev);

    if (t->opaque)
        t->backend->free(t->opaque);
    g_mutex_clear(&t->lock);
    g_free(t);
}

static const VmmDeviceOps tpm_crb_ops = {
    .name = "tpm-crb",
    .realize = tpm_crb_realize,
    .unrealize = tpm_crb_unrealize,
    .reset = tpm_crb_reset,
    .read = tpm_crb_read,
    .write = tpm_crb_write,
    .save = tpm_crb_save,
    .restore = tpm_crb_restore,
    .counters = tpm_crb_counters,
    .free = tpm_crb_free,
};

VmmDevice *
tpm_crb_new(DeviceHost *host, const char *id, const TpmBackendOps *backend,
            gpointer opaque)
{
    TpmCrb *t = g_new0(TpmCrb, 1);

    vmm_device_init(&t->dev, &tpm_crb_ops, host, id);
    g_mutex_init(&t->lock);
    t->backend = backend;
    t->opaque = opaque;
    tpm_crb_reset_regs(t);
    return &t->dev;
}

/* ---- The swtpm backend --------------------------------------------------- */

static ssize_t
swtpm_backend_execute(gpointer opaque, const uint8_t *cmd, size_t len,
                      uint8_t *rsp, size_t rsp_max)
{
    return swtpm_client_execute(opaque, cmd, len, rsp, rsp_max);
}

static int
swtpm_backend_cancel(gpointer opaque)
{
    return swtpm_client_cancel(opaque);
}

static bool
swtpm_backend_startup(gpointer opaque, GError **error)
{
    return swtpm_client_startup(opaque, error);
}

static void
swtpm_backend_free(gpointer opaque)
{
    swtpm_client_free(opaque);
}

static const TpmBackendOps swtpm_backend_ops = {
    .execute = swtpm_backend_execute,
    .cancel = swtpm_backend_cancel,
    .startup = swtpm_backend_startup,
    .free = swtpm_backend_free,
};

/* ---- Registry descriptor ------------------------------------------------- */

/* Connecting is creating: a missing socket or a peer that is not swtpm
 * fails vm.boot with the reason, before the guest runs. */
static VmmDevice *
tpm_create(DeviceCreateCtx *ctx, gpointer entry, GError **error)
{
    const TpmConfig *cfg = entry;
    SwtpmClient *c = swtpm_client_connect(cfg->socket, TPM_CRB_BUFFER_SIZE,
                                          TPM_CRB_TIMEOUT_MS, error);

    if (!c) {
        g_prefix_error(error, "--tpm: ");
        return NULL;
    }
    return device_create_add(ctx, tpm_crb_new(ctx->host, TPM_CRB_ID,
                                              &swtpm_backend_ops, c),
                             error);
}

const DeviceType tpm_type = {
    .name = "tpm",
    .cli_option = "--tpm",
    .json_key = "tpm",
    .cli_help = "TPM device: socket=<swtpm control socket> (TPM 2.0 CRB "
                "at 0xfed40000)",
    .example = "socket=nimbus-tpm-example.sock",
    .kind = &tpm_kind,
    .create = tpm_create,
};

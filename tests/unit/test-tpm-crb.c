/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the TPM CRB device (registers, command framing) and the swtpm client. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/tpm/swtpm.h"
#include "devices/tpm/tpm-crb-priv.h"
#include "tests/unit/fake-swtpm.h"
#include "tests/unit/fake-vm.h"

#define REG(off) (TPM_CRB_MMIO_BASE + (off))
#define BUF REG(TPM_CRB_DATA_BUFFER)

/* ---- A backend in the test's hands --------------------------------------- */

typedef struct {
    GMutex lock;
    GCond cond;
    unsigned executed, cancels, startups;
    bool block;                   /* execute waits for a cancel */
    bool fail;                    /* execute returns -EIO */
    bool startup_fails;
    size_t last_len;
    uint8_t last_cmd[TPM_CRB_BUFFER_SIZE];
} TestBackend;

static ssize_t
tb_execute(gpointer opaque, const uint8_t *cmd, size_t len, uint8_t *rsp,
           size_t rsp_max)
{
    TestBackend *b = opaque;
    static const uint8_t ok[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0, 0,
                                  0xab, 0xcd };
    static const uint8_t canceled[] = { 0x80, 0x01, 0, 0, 0, 10, 0, 0,
                                        0x09, 0x09 };

    g_mutex_lock(&b->lock);
    b->executed++;
    b->last_len = len;
    memcpy(b->last_cmd, cmd, len);
    if (b->block) {
        while (!b->cancels)
            g_cond_wait(&b->cond, &b->lock);
        g_mutex_unlock(&b->lock);
        memcpy(rsp, canceled, sizeof(canceled));
        return sizeof(canceled);
    }
    g_mutex_unlock(&b->lock);
    if (b->fail)
        return -EIO;
    g_assert_cmpuint(rsp_max, >=, sizeof(ok));
    memcpy(rsp, ok, sizeof(ok));
    return sizeof(ok);
}

static int
tb_cancel(gpointer opaque)
{
    TestBackend *b = opaque;

    g_mutex_lock(&b->lock);
    b->cancels++;
    g_cond_broadcast(&b->cond);
    g_mutex_unlock(&b->lock);
    return 0;
}

static bool
tb_startup(gpointer opaque, GError **error)
{
    TestBackend *b = opaque;

    b->startups++;
    if (b->startup_fails) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no");
        return false;
    }
    return true;
}

static void
tb_free(gpointer opaque)
{
    /* The test owns it. */
}

static const TpmBackendOps test_backend_ops = {
    .execute = tb_execute,
    .cancel = tb_cancel,
    .startup = tb_startup,
    .free = tb_free,
};

typedef struct {
    FakeHost *vm;
    VmmDevice *dev;
    TestBackend b;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    g_mutex_init(&f->b.lock);
    g_cond_init(&f->b.cond);
    f->vm = fake_host_new(0);
    f->dev = tpm_crb_new(fake_host_base(f->vm), TPM_CRB_ID,
                         &test_backend_ops, &f->b);
    g_assert_true(fake_host_add(f->vm, f->dev, &error));
    g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    fake_host_free(f->vm);
    g_mutex_clear(&f->b.lock);
    g_cond_clear(&f->b.cond);
}

static uint32_t
rd(Fixture *f, uint64_t off)
{
    return (uint32_t)fake_host_mmio_read(f->vm, REG(off), 4);
}

static void
wr(Fixture *f, uint64_t off, uint32_t v)
{
    fake_host_mmio_write(f->vm, REG(off), 4, v);
}

/* A command of @size bytes (its header says @hdr_size) in the buffer. */
static void
put_command(Fixture *f, uint32_t size, uint32_t hdr_size)
{
    uint8_t hdr[10] = { 0x80, 0x01, hdr_size >> 24, hdr_size >> 16,
                        hdr_size >> 8, hdr_size, 0, 0, 0x01, 0x7b };

    for (unsigned i = 0; i < size; i++)
        fake_host_mmio_write(f->vm, BUF + i, 1, i < 10 ? hdr[i] : i & 0xff);
}

static void
ready(Fixture *f)
{
    wr(f, CRB_LOC_CTRL, CRB_LOC_CTRL_REQUEST);
    wr(f, CRB_CTRL_REQ, CRB_CTRL_REQ_CMD_READY);
}

static void
test_registers(Fixture *f, gconstpointer data)
{
    uint64_t intf = fake_host_mmio_read(f->vm, REG(CRB_INTF_ID), 8);
    uint64_t buf = TPM_CRB_MMIO_BASE + TPM_CRB_DATA_BUFFER;

    /* Power-on: valid, not assigned, idle, no command. */
    g_assert_cmphex(rd(f, CRB_LOC_STATE), ==,
                    CRB_LOC_STATE_REG_VALID | CRB_LOC_STATE_ESTABLISHED);
    g_assert_cmphex(rd(f, CRB_LOC_STS), ==, 0);
    g_assert_cmphex(rd(f, CRB_CTRL_STS), ==, CRB_CTRL_STS_IDLE);
    g_assert_cmphex(rd(f, CRB_CTRL_START), ==, 0);
    /* CRB interface, CRB version, CRB capability and selector. */
    g_assert_cmphex(intf & 0xf, ==, 1);
    g_assert_cmphex((intf >> 4) & 0xf, ==, 1);
    g_assert_true(intf & (1u << 14));
    g_assert_cmphex((intf >> 17) & 3, ==, 1);
    g_assert_cmphex((uint32_t)intf, ==, rd(f, CRB_INTF_ID));
    g_assert_cmphex((uint32_t)(intf >> 32), ==, rd(f, CRB_INTF_ID + 4));
    /* One buffer for command and response, inside the page. */
    g_assert_cmpuint(rd(f, CRB_CTRL_CMD_SIZE), ==, TPM_CRB_BUFFER_SIZE);
    g_assert_cmpuint(rd(f, CRB_CTRL_RSP_SIZE), ==, TPM_CRB_BUFFER_SIZE);
    g_assert_cmphex(rd(f, CRB_CTRL_CMD_LADDR), ==, (uint32_t)buf);
    g_assert_cmphex(rd(f, CRB_CTRL_CMD_HADDR), ==, 0);
    g_assert_cmphex(fake_host_mmio_read(f->vm, REG(CRB_CTRL_RSP_ADDR), 8),
                    ==, buf);
    /* Read-only registers stay put. */
    wr(f, CRB_CTRL_CMD_SIZE, 1);
    g_assert_cmpuint(rd(f, CRB_CTRL_CMD_SIZE), ==, TPM_CRB_BUFFER_SIZE);
}

static void
test_locality(Fixture *f, gconstpointer data)
{
    /* Requests from an unassigned locality are ignored. */
    wr(f, CRB_CTRL_REQ, CRB_CTRL_REQ_CMD_READY);
    g_assert_cmphex(rd(f, CRB_CTRL_STS), ==, CRB_CTRL_STS_IDLE);

    wr(f, CRB_LOC_CTRL, CRB_LOC_CTRL_REQUEST);
    g_assert_cmphex(rd(f, CRB_LOC_STATE) & CRB_LOC_STATE_ASSIGNED, ==,
                    CRB_LOC_STATE_ASSIGNED);
    g_assert_cmphex(rd(f, CRB_LOC_STS), ==, CRB_LOC_STS_GRANTED);
    /* Ready, then idle again; CTRL_REQ reads 0: done at once. */
    wr(f, CRB_CTRL_REQ, CRB_CTRL_REQ_CMD_READY);
    g_assert_cmphex(rd(f, CRB_CTRL_STS), ==, 0);
    g_assert_cmphex(rd(f, CRB_CTRL_REQ), ==, 0);
    wr(f, CRB_CTRL_REQ, CRB_CTRL_REQ_GO_IDLE);
    g_assert_cmphex(rd(f, CRB_CTRL_STS), ==, CRB_CTRL_STS_IDLE);

    wr(f, CRB_LOC_CTRL, CRB_LOC_CTRL_RELINQUISH);
    g_assert_cmphex(rd(f, CRB_LOC_STATE) & CRB_LOC_STATE_ASSIGNED, ==, 0);
    g_assert_cmphex(rd(f, CRB_LOC_STS), ==, 0);
}

static void
test_command(Fixture *f, gconstpointer data)
{
    /* Without the locality, START does nothing. */
    put_command(f, 12, 12);
    wr(f, CRB_CTRL_START, CRB_START_INVOKE);
    g_assert_cmpuint(f->b.executed, ==, 0);

    ready(f);
    wr(f, CRB_CTRL_START, CRB_START_INVOKE);
    g_assert_cmpuint(f->b.executed, ==, 1);
    /* Exactly the header's size went out, and the response came back. */
    g_assert_cmpuint(f->b.last_len, ==, 12);
    g_assert_cmphex(f->b.last_cmd[9], ==, 0x7b);
    g_assert_cmphex(f->b.last_cmd[11], ==, 11);
    g_assert_cmphex(rd(f, CRB_CTRL_START), ==, 0);
    g_assert_cmphex(rd(f, CRB_CTRL_STS), ==, 0);
    g_assert_cmphex(fake_host_mmio_read(f->vm, BUF + 4, 2), ==, 0x0c00);
    g_assert_cmphex(fake_host_mmio_read(f->vm, BUF + 10, 2), ==, 0xcdab);

    /* A backend failure is the guest's error status. */
    f->b.fail = true;
    wr(f, CRB_CTRL_START, CRB_START_INVOKE);
    g_assert_cmphex(rd(f, CRB_CTRL_STS), ==, CRB_CTRL_STS_ERROR);
    g_assert_cmphex(rd(f, CRB_CTRL_START), ==, 0);
    /* The next cycle starts clean. */
    f->b.fail = false;
    wr(f, CRB_CTRL_REQ, CRB_CTRL_REQ_CMD_READY);
    g_assert_cmphex(rd(f, CRB_CTRL_STS), ==, 0);
}

/* Sizes the buffer cannot hold never reach the backend. */
static void
test_bogus_size(Fixture *f, gconstpointer data)
{
    static const uint32_t bad[] = { 0, 9, TPM_CRB_BUFFER_SIZE + 1,
                                    0xffffffff };

    ready(f);
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        put_command(f, 10, bad[i]);
        wr(f, CRB_CTRL_START, CRB_START_INVOKE);
        g_assert_cmpuint(f->b.executed, ==, 0);
        g_assert_cmphex(rd(f, CRB_CTRL_STS), ==, CRB_CTRL_STS_ERROR);
        g_assert_cmphex(rd(f, CRB_CTRL_START), ==, 0);
        wr(f, CRB_CTRL_REQ, CRB_CTRL_REQ_CMD_READY);
    }
    /* The largest size that fits does run. */
    put_command(f, TPM_CRB_BUFFER_SIZE, TPM_CRB_BUFFER_SIZE);
    wr(f, CRB_CTRL_START, CRB_START_INVOKE);
    g_assert_cmpuint(f->b.executed, ==, 1);
    g_assert_cmpuint(f->b.last_len, ==, TPM_CRB_BUFFER_SIZE);
    /* Accesses past the page, or across its end, are harmless. */
    fake_host_mmio_write(f->vm, REG(TPM_CRB_MMIO_SIZE - 4), 8, ~0ull);
    g_assert_cmphex(fake_host_mmio_read(f->vm, REG(TPM_CRB_MMIO_SIZE - 2), 4),
                    ==, 0xffffffff);
}

static gpointer
start_thread(gpointer data)
{
    Fixture *f = data;

    wr(f, CRB_CTRL_START, CRB_START_INVOKE);
    return NULL;
}

/* CANCEL while a command runs (on another vCPU) reaches the backend, and
 * CTRL_START reads 1 until the command ends. */
static void
test_cancel(Fixture *f, gconstpointer data)
{
    GThread *t;

    ready(f);
    put_command(f, 12, 12);
    /* Cancel with nothing running asks nothing of the backend. */
    wr(f, CRB_CTRL_CANCEL, CRB_CANCEL_INVOKE);
    g_assert_cmpuint(f->b.cancels, ==, 0);
    wr(f, CRB_CTRL_CANCEL, 0);

    f->b.block = true;
    t = g_thread_new("vcpu", start_thread, f);
    while (rd(f, CRB_CTRL_START) == 0)
        g_usleep(1000);
    /* A second START while busy does not run anything twice. */
    wr(f, CRB_CTRL_START, CRB_START_INVOKE);
    wr(f, CRB_CTRL_CANCEL, CRB_CANCEL_INVOKE);
    g_thread_join(t);
    g_assert_cmpuint(f->b.cancels, ==, 1);
    g_assert_cmpuint(f->b.executed, ==, 1);
    g_assert_cmphex(rd(f, CRB_CTRL_START), ==, 0);
    g_assert_cmphex(rd(f, CRB_CTRL_CANCEL), ==, CRB_CANCEL_INVOKE);
    /* TPM_RC_CANCELED (0x909) in the response. */
    g_assert_cmphex(fake_host_mmio_read(f->vm, BUF + 8, 2), ==, 0x0909);
}

static void
test_reset(Fixture *f, gconstpointer data)
{
    ready(f);
    put_command(f, 12, 12);
    f->dev->ops->reset(f->dev);
    g_assert_cmpuint(f->b.startups, ==, 1);
    g_assert_cmphex(rd(f, CRB_LOC_STATE) & CRB_LOC_STATE_ASSIGNED, ==, 0);
    g_assert_cmphex(rd(f, CRB_CTRL_STS), ==, CRB_CTRL_STS_IDLE);
    g_assert_cmphex(fake_host_mmio_read(f->vm, BUF, 8), ==, 0);
    /* A TPM that cannot power up reports its failure. */
    f->b.startup_fails = true;
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*TPM power cycle failed*");
    f->dev->ops->reset(f->dev);
    g_test_assert_expected_messages();
    g_assert_cmphex(rd(f, CRB_CTRL_STS) & CRB_CTRL_STS_ERROR, ==,
                    CRB_CTRL_STS_ERROR);
}

static void
test_state(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) saved = NULL;
    g_autoptr(JsonNode) again = NULL;

    ready(f);
    put_command(f, 12, 12);
    saved = f->dev->ops->save(f->dev, &error);
    g_assert_no_error(error);
    f->dev->ops->reset(f->dev);
    g_assert_true(f->dev->ops->restore(f->dev, saved, &error));
    g_assert_no_error(error);
    g_assert_cmphex(rd(f, CRB_LOC_STS), ==, CRB_LOC_STS_GRANTED);
    g_assert_cmphex(rd(f, CRB_CTRL_STS), ==, 0);
    g_assert_cmphex(fake_host_mmio_read(f->vm, BUF + 8, 2), ==, 0x7b01);
    again = f->dev->ops->save(f->dev, &error);
    g_assert_true(json_node_equal(saved, again));
}

/* ---- The swtpm client against the fake swtpm ----------------------------- */

static char *
sock_path(const char *name)
{
    return g_strdup_printf("%s/nimbus-test-tpm-%d-%s.sock", g_get_tmp_dir(),
                           getpid(), name);
}

static void
test_swtpm_client(void)
{
    g_autofree char *path = sock_path("client");
    g_autoptr(FakeSwtpm) fake = fake_swtpm_start(path, 0xffff);
    g_autoptr(GError) error = NULL;
    g_autoptr(SwtpmClient) c = swtpm_client_connect(path,
                                                    TPM_CRB_BUFFER_SIZE,
                                                    500, &error);
    static const uint8_t cmd[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 1, 0x7b,
                                   0, 8 };
    uint8_t rsp[64];

    g_assert_no_error(error);
    g_assert_nonnull(c);
    g_assert_cmpuint(fake_swtpm_inits(fake), ==, 1);
    g_assert_cmpuint(fake_swtpm_buffer_size(fake), ==, TPM_CRB_BUFFER_SIZE);
    g_assert_cmpint(swtpm_client_execute(c, cmd, sizeof(cmd), rsp,
                                         sizeof(rsp)), ==, 14);
    g_assert_cmphex(rsp[13], ==, 0x7b);
    g_assert_cmpint(swtpm_client_cancel(c), ==, 0);
    g_assert_cmpuint(fake_swtpm_cancels(fake), ==, 1);
    g_assert_true(swtpm_client_startup(c, &error));
    g_assert_cmpuint(fake_swtpm_inits(fake), ==, 2);

    /* A response larger than the buffer, or none at all. */
    fake_swtpm_set_mode(fake, FAKE_SWTPM_OVERSIZE);
    g_assert_cmpint(swtpm_client_execute(c, cmd, sizeof(cmd), rsp,
                                         sizeof(rsp)), ==, -EPROTO);
    fake_swtpm_set_mode(fake, FAKE_SWTPM_SILENT);
    g_assert_cmpint(swtpm_client_execute(c, cmd, sizeof(cmd), rsp,
                                         sizeof(rsp)), ==, -ETIMEDOUT);
    /* Back in step afterwards. */
    fake_swtpm_set_mode(fake, FAKE_SWTPM_ECHO);
    g_assert_cmpint(swtpm_client_execute(c, cmd, sizeof(cmd), rsp,
                                         sizeof(rsp)), ==, 14);
    g_assert_cmphex(rsp[13], ==, 0x7b);
}

static void
test_swtpm_refusals(void)
{
    g_autofree char *missing = sock_path("missing");
    g_autofree char *weak = sock_path("weak");
    g_autoptr(FakeSwtpm) fake = fake_swtpm_start(weak, SWTPM_CAP_INIT);
    g_autoptr(GError) error = NULL;
    SwtpmClient *c;

    c = swtpm_client_connect(missing, TPM_CRB_BUFFER_SIZE, 500, &error);
    g_assert_null(c);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, missing));
    g_clear_error(&error);

    c = swtpm_client_connect(weak, TPM_CRB_BUFFER_SIZE, 500, &error);
    g_assert_null(c);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_assert_nonnull(strstr(error->message, "lacks capabilities"));
}

/* A socket that accepts and never answers is not swtpm. */
static void
test_swtpm_not_swtpm(void)
{
    g_autofree char *path = sock_path("mute");
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    g_autoptr(GSocket) s = g_socket_new(G_SOCKET_FAMILY_UNIX,
                                        G_SOCKET_TYPE_STREAM, 0, &error);

    g_assert_no_error(error);
    unlink(path);
    g_assert_true(g_socket_bind(s, addr, TRUE, &error));
    g_assert_true(g_socket_listen(s, &error));
    /* Closed at once by the peer: the answer never comes. */
    g_assert_null(swtpm_client_connect(path, TPM_CRB_BUFFER_SIZE, 500,
                                       &error));
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, "does not answer as swtpm"));
    unlink(path);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) \
    g_test_add("/tpm-crb/" name, Fixture, NULL, fixture_setup, fn, \
               fixture_teardown)
    ADD("registers", test_registers);
    ADD("locality", test_locality);
    ADD("command", test_command);
    ADD("bogus-size", test_bogus_size);
    ADD("cancel", test_cancel);
    ADD("reset", test_reset);
    ADD("state", test_state);
    g_test_add_func("/tpm-crb/swtpm/client", test_swtpm_client);
    g_test_add_func("/tpm-crb/swtpm/refusals", test_swtpm_refusals);
    g_test_add_func("/tpm-crb/swtpm/not-swtpm", test_swtpm_not_swtpm);
    return g_test_run();
}

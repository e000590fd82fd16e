/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: TPM CRB MMIO accesses and command buffers, on a backend the input steers. */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <gio/gio.h>

#include "devices/tpm/swtpm.h"
#include "devices/tpm/tpm-crb-priv.h"
#include "tests/fuzz/access-records.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: access records (tests/fuzz/access-records.h) at the CRB window,
 * so the guest writes any command header, size and register sequence.
 * The special record with argument 0 checks that the state saves and
 * restores to itself; with 1 it sets the length of the backend's next
 * responses (the value, capped by the buffer as swtpm's buffer size caps
 * it; 0 makes the backend fail).  The backend checks what the device
 * hands it: a whole command whose header gives its length, never more
 * than the buffer.
 */
typedef struct {
    VmmDevice *dev;
    uint32_t rsp_len;
} Target;

static ssize_t
fz_execute(gpointer opaque, const uint8_t *cmd, size_t len, uint8_t *rsp,
           size_t rsp_max)
{
    Target *t = opaque;
    uint32_t n = MIN(t->rsp_len, (uint32_t)rsp_max);

    g_assert_cmpuint(len, >=, TPM2_HEADER_SIZE);
    g_assert_cmpuint(len, <=, TPM_CRB_BUFFER_SIZE);
    g_assert_cmpuint(tpm2_header_size(cmd), ==, len);
    g_assert_cmpuint(rsp_max, ==, TPM_CRB_BUFFER_SIZE);
    if (n < TPM2_HEADER_SIZE)
        return -EIO;
    memset(rsp, 0x5a, n);
    rsp[0] = 0x80;
    rsp[1] = 0x01;
    rsp[2] = n >> 24;
    rsp[3] = n >> 16;
    rsp[4] = n >> 8;
    rsp[5] = n;
    return n;
}

static int
fz_cancel(gpointer opaque)
{
    return 0;
}

static bool
fz_startup(gpointer opaque, GError **error)
{
    return true;
}

static void
fz_free(gpointer opaque)
{
}

static const TpmBackendOps fz_ops = {
    .execute = fz_execute,
    .cancel = fz_cancel,
    .startup = fz_startup,
    .free = fz_free,
};

static void
special(gpointer opaque, uint8_t arg, uint32_t value)
{
    Target *t = opaque;

    if (arg & 1)
        t->rsp_len = value;
    else
        fake_host_check_save_restore(t->dev, t->dev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    Target t = { .rsp_len = 16 };

    t.dev = tpm_crb_new(fake_host_base(vm), TPM_CRB_ID, &fz_ops, &t);
    g_assert_true(fake_host_add(vm, t.dev, NULL));
    fuzz_access_run(vm, t.dev, FUZZ_ACCESS_MMIO, TPM_CRB_MMIO_BASE, data,
                    size, special, &t);
    return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the receiving side of the live migration protocol. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <gio/gio.h>

#include "daemon/migration-receive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: the bytes a source sends to vm.receive-migration's socket (any
 * peer that reaches the socket can send them).  They go through the
 * receiving loop, with ops that build a 1 MiB two-region RAM instead of a
 * VM and accept any state the loop lets through.  Seeds
 * (tests/fuzz/corpus/migration-receive): a whole migration, and its
 * prefixes.  A refusal is fine; a crash, a write outside the fake RAM
 * (ASan) or a completion without Start, Config and State is not.
 */

#define FUZZ_RAM (1u << 20)

typedef struct {
    GuestMemory mem;
    bool configured, have_state;
} FuzzRx;

static const GuestMemory *
fuzz_config(gpointer opaque, VmConfig *config, JsonNode *table,
            GError **error)
{
    FuzzRx *f = opaque;

    f->configured = true;
    return &f->mem;
}

static bool
fuzz_memory_fd(gpointer opaque, uint32_t slot, int fd, GError **error)
{
    /* No socket: the loop refuses MemoryFd before it gets here. */
    g_assert_not_reached();
    return false;
}

static bool
fuzz_state(gpointer opaque, JsonNode *state, GError **error)
{
    FuzzRx *f = opaque;

    g_assert_true(f->configured);
    f->have_state = true;
    return true;
}

static bool
fuzz_complete(gpointer opaque, bool paused, GError **error)
{
    FuzzRx *f = opaque;

    g_assert_true(f->configured && f->have_state);
    return true;
}

static const MigrationReceiveOps fuzz_ops = {
    fuzz_config, fuzz_memory_fd, fuzz_state, fuzz_complete,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *ram;
    g_autoptr(GInputStream) in = NULL;
    g_autoptr(GOutputStream) out = NULL;
    g_autoptr(GIOStream) io = NULL;
    g_autoptr(GError) error = NULL;
    FuzzRx f = { 0 };

    if (!ram)
        ram = g_malloc(FUZZ_RAM);
    /* Two regions with a hole between them, as a guest above 3 GiB. */
    f.mem.nregions = 2;
    f.mem.regions[0] = (GuestRegion){ .gpa = 0, .size = FUZZ_RAM / 2,
                                      .hva = ram, .fd = -1 };
    f.mem.regions[1] = (GuestRegion){ .gpa = 1ull << 32, .size = FUZZ_RAM / 2,
                                      .hva = ram + FUZZ_RAM / 2, .fd = -1 };
    f.mem.ram_size = FUZZ_RAM;
    in = g_memory_input_stream_new_from_data(data, (gssize)size, NULL);
    out = g_memory_output_stream_new_resizable();
    io = g_simple_io_stream_new(in, out);
    if (!migration_receive_run(io, NULL, &fuzz_ops, &f, NULL, &error))
        g_assert_nonnull(error);
    return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: kernel image parsing (PVH ELF, bzImage) and boot info setup. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "arch/x86_64/loader-priv.h"
#include "tests/unit/test-arch-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 64 MiB is enough for the seeds and small enough that loads stay fast;
 * images asking for more must be refused cleanly, which is the point. */
#define FUZZ_RAM (64ULL << 20)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static TestGuestMemory *mem;
    g_autoptr(GError) error = NULL;
    X86Kernel k;
    uint64_t addr;

    if (!mem)
        mem = test_guest_memory_new(FUZZ_RAM);
    if (!x86_load_kernel_data(mem, data, size, "fuzz", &k, &error)) {
        /* Every refusal must say why. */
        g_assert(error && error->message[0]);
        return 0;
    }
    /* Whatever the image claimed must be consistent with what got loaded. */
    g_assert(k.entry >= 0x100000 && k.entry < k.kernel_end);
    g_assert(k.kernel_end <= k.reserved_end && k.reserved_end <= FUZZ_RAM);
    if (x86_initramfs_place(mem, &k, 4096, &addr, NULL))
        g_assert(addr >= k.reserved_end && addr + 4096 <= FUZZ_RAM);
    if (!x86_setup_boot(mem, &k, "console=ttyS0", 0, 0, 0xa0000, &error))
        g_assert(error);
    return 0;
}

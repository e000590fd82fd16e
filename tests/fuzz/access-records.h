/* SPDX-License-Identifier: Apache-2.0 */
/* Record-driven port/MMIO access sequences for register fuzz targets. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "tests/unit/fake-vm.h"

/*
 * The input is a list of 7-byte records {kind, offset (le16), value (le32)}:
 *   kind bits 0-1  0 read, 1 write, 2 device reset, 3 the target's own
 *                  action (fuzz_access_run()'s @special), given kind >> 4
 *                  and the value
 *   kind bits 2-3  access size 1 << n bytes (PIO caps it at 4, as an
 *                  x86 in/out instruction does)
 *   offset         from FUZZ_ACCESS_BELOW bytes below the device's base,
 *                  so accesses that straddle its first byte are made too
 *   value          written (replicated to 64 bits for 8-byte MMIO writes)
 * A trailing partial record is ignored.  Addresses outside the device go
 * to the bus as they would from a vCPU: unmapped accesses must be harmless.
 */
#define FUZZ_ACCESS_RECORD 7
#define FUZZ_ACCESS_BELOW 16

typedef enum {
    FUZZ_ACCESS_PIO,
    FUZZ_ACCESS_MMIO,
} FuzzAccessSpace;

typedef void (*FuzzAccessSpecial)(gpointer opaque, uint8_t arg,
                                  uint32_t value);

static inline void
fuzz_access_run(FakeHost *host, VmmDevice *dev, FuzzAccessSpace space,
                uint64_t base, const uint8_t *data, size_t size,
                FuzzAccessSpecial special, gpointer opaque)
{
    for (size_t i = 0; i + FUZZ_ACCESS_RECORD <= size;
         i += FUZZ_ACCESS_RECORD) {
        const uint8_t *r = data + i;
        unsigned len = 1u << ((r[0] >> 2) & 3);
        uint64_t addr = base + (r[1] | (uint32_t)r[2] << 8) -
                        FUZZ_ACCESS_BELOW;
        uint64_t val = r[3] | (uint32_t)r[4] << 8 | (uint32_t)r[5] << 16 |
                       (uint32_t)r[6] << 24;

        switch (r[0] & 3) {
        case 0:
            if (space == FUZZ_ACCESS_PIO)
                fake_host_pio_read(host, (uint16_t)addr, MIN(len, 4u));
            else
                fake_host_mmio_read(host, addr, len);
            break;
        case 1:
            if (space == FUZZ_ACCESS_PIO)
                fake_host_pio_write(host, (uint16_t)addr, MIN(len, 4u), val);
            else
                fake_host_mmio_write(host, addr, len, val | val << 32);
            break;
        case 2:
            dev->ops->reset(dev);
            break;
        default:
            if (special)
                special(opaque, r[0] >> 4, (uint32_t)val);
            break;
        }
    }
}

/* Saves @dev and restores the result into it: both must succeed.  For
 * devices with a running clock (PM timer, boot-relative times), whose
 * second save legitimately differs from the first, so that
 * fake_host_check_save_restore()'s identity does not hold. */
static inline void
fuzz_access_save_restore(VmmDevice *dev)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) state = dev->ops->save(dev, &error);

    g_assert_no_error(error);
    g_assert_nonnull(state);
    g_assert_true(dev->ops->restore(dev, state, &error));
    g_assert_no_error(error);
}

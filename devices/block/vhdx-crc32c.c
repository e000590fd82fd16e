/* SPDX-License-Identifier: Apache-2.0 */
/* CRC-32C (Castagnoli), the checksum of VHDX headers, region tables and log entries. */
#include <config.h>

#include "devices/block/vhdx.h"

/* Neither GLib nor zlib has CRC-32C (zlib's crc32() is the IEEE
 * polynomial), and it only guards a few KiB read at open, so a plain
 * byte-wise table is fast enough. */
#define CRC32C_POLY_REFLECTED 0x82f63b78u

static uint32_t crc32c_table[256];

static void
crc32c_init(void)
{
    static gsize done;

    if (!g_once_init_enter(&done))
        return;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;

        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY_REFLECTED : c >> 1;
        crc32c_table[i] = c;
    }
    g_once_init_leave(&done, 1);
}

uint32_t
vhdx_crc32c(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    crc32c_init();
    crc = ~crc;
    while (len--)
        crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

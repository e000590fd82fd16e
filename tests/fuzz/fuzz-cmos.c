/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: MC146818 RTC/CMOS accesses, resets and snapshots. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <gio/gio.h>

#include "devices/legacy/legacy.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: a sequence of operations, one opcode byte each (low 3 bits):
 *   0  select the register in the next byte (port 0x70, NMI bit included)
 *   1  write the next byte to the selected register (port 0x71)
 *   2  read the selected register
 *   3  word write (index then data) of the next two bytes
 *   4  wide read (2 or 4 bytes, bit 3) at 0x70
 *   5  reset
 *   6  save -> restore -> save, which must reproduce the state
 *   7  restore a JSON document made of the rest of the input
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *dev = rtc_cmos_new(fake_host_base(vm), "__rtc", 3ULL << 30,
                                  5ULL << 30);
    size_t i = 0;

    g_assert_true(fake_host_add(vm, dev, NULL));
    while (i < size) {
        uint8_t op = data[i++];

        switch (op & 7) {
        case 0:
            if (i < size)
                fake_host_outb(vm, RTC_CMOS_BASE, data[i++]);
            break;
        case 1:
            if (i < size)
                fake_host_outb(vm, RTC_CMOS_BASE + 1, data[i++]);
            break;
        case 2:
            fake_host_inb(vm, RTC_CMOS_BASE + 1);
            break;
        case 3:
            if (i + 1 < size) {
                fake_host_pio_write(vm, RTC_CMOS_BASE, 2,
                                  data[i] | (uint16_t)data[i + 1] << 8);
                i += 2;
            }
            break;
        case 4:
            fake_host_pio_read(vm, RTC_CMOS_BASE, op & 8 ? 4 : 2);
            break;
        case 5:
            dev->ops->reset(dev);
            break;
        case 6:
            fake_host_check_save_restore(dev, dev);
            break;
        default: {
            g_autofree char *doc = g_strndup((const char *)data + i, size - i);
            g_autoptr(JsonNode) node = json_from_string(doc, NULL);

            if (node)
                dev->ops->restore(dev, node, NULL);
            i = size;
            break;
        }
        }
    }
    return 0;
}

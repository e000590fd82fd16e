/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: 16550A register accesses, host input, reset and snapshots. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <gio/gio.h>

#include "devices/legacy/legacy.h"
#include "devices/legacy/serial-8250-priv.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: a sequence of operations, one opcode byte each (low 2 bits):
 *   0  read register (bits 2-4) with width 1, 2 or 4 (bits 5-6)
 *   1  write register (bits 2-4) with the next byte
 *   2  the host sends the next N bytes (N = next byte & 31), as much as
 *      the FIFO takes (what the backend would do)
 *   3  bits 2-3: save -> restore -> save round trip (which must reproduce
 *      the state exactly), reset, pause+resume, or restore
 *      a JSON document made of the rest of the input
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned widths[4] = { 1, 2, 4, 1 };
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *dev = serial8250_new(fake_host_base(vm), "__serial",
                                    SERIAL8250_COM1_BASE, SERIAL8250_COM1_GSI,
                                    NULL);
    size_t i = 0;

    g_assert_true(fake_host_add(vm, dev, NULL));
    while (i < size) {
        uint8_t op = data[i++];
        uint16_t port = SERIAL8250_COM1_BASE + ((op >> 2) & 7);

        switch (op & 3) {
        case 0:
            fake_host_pio_read(vm, port, widths[(op >> 5) & 3]);
            break;
        case 1:
            if (i < size)
                fake_host_outb(vm, port, data[i++]);
            break;
        case 2: {
            size_t n = i < size ? data[i++] & 31 : 0;

            n = MIN(n, size - i);
            n = MIN(n, serial8250_can_receive(dev));
            serial8250_receive(dev, data + i, n);
            i += n;
            break;
        }
        default:
            switch ((op >> 2) & 3) {
            case 0:
                fake_host_check_save_restore(dev, dev);
                break;
            case 1:
                dev->ops->reset(dev);
                break;
            case 2:
                dev->ops->pause(dev, NULL);
                g_assert_cmpuint(serial8250_can_receive(dev), ==, 0);
                dev->ops->resume(dev, NULL);
                break;
            default: {
                g_autofree char *doc = g_strndup((const char *)data + i,
                                                 size - i);
                g_autoptr(JsonNode) node = json_from_string(doc, NULL);

                /* Anything goes; a refused state leaves the device usable. */
                if (node && !dev->ops->restore(dev, node, NULL))
                    fake_host_check_save_restore(dev, dev);
                i = size;
                break;
            }
            }
            break;
        }
    }
    return 0;
}

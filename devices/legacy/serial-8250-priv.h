/* SPDX-License-Identifier: Apache-2.0 */
/* Test-only entry points of the 16550A: the backend's input path. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "devices/device.h"

/* How many bytes the RX FIFO takes now (the backend's can_read). */
size_t serial8250_can_receive(VmmDevice *dev);
/* Queues received bytes (the backend's read); beyond the room: overrun. */
void serial8250_receive(VmmDevice *dev, const uint8_t *buf, size_t len);

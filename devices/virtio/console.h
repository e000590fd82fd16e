/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-console (virtio 1.2 §5.3): one port, hvc0, on a character backend. */
#pragma once

#include <glib.h>

#include "devices/char/chardev.h"
#include "devices/virtio/virtio.h"

#define VIRTIO_CONSOLE_INPUT_BUFFER 4096

/**
 * virtio_console_new:
 * A single-port virtio-console (hvc0) on @be (transfer full): guest output
 * goes to chardev_write(), host input is queued (bounded, with
 * back-pressure through the backend) to the receive queue.  For Tty/Pty
 * backends VIRTIO_CONSOLE_F_SIZE is offered and resizes reach the guest as
 * configuration changes.  @id defaults to "__console".
 * Returns (transfer full).
 */
VirtioDevice *virtio_console_new(DeviceHost *host, const char *id,
                                 CharBackend *be, GError **error);

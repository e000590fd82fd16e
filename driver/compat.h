/* SPDX-License-Identifier: Apache-2.0 */
/* The opt-in QEMU-compatibility mode: nimbusd also answers qemu:///system. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/conf.h"

/*
 * Tools hard-wired to QEMU (cockpit-machines: /org/libvirt/QEMU on D-Bus,
 * `virsh -c qemu:///system console`) manage nimbus VMs when nimbusd also
 * listens where libvirt's client library looks for qemu:///system, accepts
 * that URI in CONNECT_OPEN and serves its D-Bus objects under
 * /org/libvirt/QEMU.  Nothing else changes: the same driver answers, and
 * capabilities, errors and XML still say nimbus.
 */

/* libvirt 9.0's client, mode auto, prefers the modular daemon's socket
 * (virtqemud) when it exists, else the monolithic libvirtd's. */
#define DRV_COMPAT_SOCK "/run/libvirt/virtqemud-sock"
#define DRV_COMPAT_SOCK_RO "/run/libvirt/virtqemud-sock-ro"
#define DRV_COMPAT_LIBVIRTD_SOCK "/run/libvirt/libvirt-sock"
#define DRV_COMPAT_URI "qemu:///system"
#define DRV_COMPAT_DBUS_PATH "/org/libvirt/QEMU"

/**
 * drv_compat_check:
 * Whether @cfg's qemu_compat can be honoured: nimbusd runs as root, the
 * URI it forwards networks and storage to is not qemu:///system (which
 * would then be nimbusd itself), and no virtqemud or libvirtd accepts
 * connections on qemu:///system's sockets.  Else a clear error saying
 * which and what to do.
 */
bool drv_compat_check(const DrvConfig *cfg, GError **error);

/* SPDX-License-Identifier: Apache-2.0 */
/* Starting the system libvirtd where nothing has (issue 11). */
#pragma once

#include <stdbool.h>
#include <glib.h>

/*
 * nimbusd forwards networks, storage, node devices, secrets and nwfilters
 * to libvirtd (driver/forward.h).  Under systemd, socket activation starts
 * libvirtd on the first connection; tests and CI run without systemd,
 * where nothing does.  Policy (docs/architecture.md, "libvirtd"):
 *  - only a system URI on libvirtd's default socket (qemu:///system,
 *    network:///system, ... with no host and no ?socket=) is ever
 *    started: a session URI is the client library's to autostart, and a
 *    ?socket= URI names a daemon someone else configured;
 *  - only when that socket does not exist (an existing socket is a
 *    running daemon or systemd's activation socket: nothing to do);
 *  - never under systemd (/run/systemd/system): the unit owns the daemon,
 *    and a second one beside it would fight over the socket and pidfile;
 *    the error says which unit to start;
 *  - as root only (a system libvirtd needs it), with `libvirtd --daemon`,
 *    which writes libvirtd's own pidfile and outlives nimbusd, as a
 *    socket-activated one would.
 */

/* Whether @uri names a system libvirtd whose socket is absent: the case
 * where drv_libvirtd_start() applies. */
bool drv_libvirtd_needs_start(const char *uri);

/* The socket path of @uri's libvirtd when the policy above lets nimbusd
 * start it, else NULL.  (transfer full) */
char *drv_libvirtd_socket_of(const char *uri);

/**
 * drv_libvirtd_start:
 * Starts libvirtd for @uri (see above) and waits until its socket accepts
 * connections.  Returns false with @error saying why not: not installed
 * (no `libvirtd` in PATH), under systemd, not root, exited with a status,
 * or did not listen in time.  Blocks for up to 30 s.
 */
bool drv_libvirtd_start(const char *uri, GError **error);

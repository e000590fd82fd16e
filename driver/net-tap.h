/* SPDX-License-Identifier: Apache-2.0 */
/* TAP devices nimbusd makes for <interface type='bridge'|'network'>. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"
#include "driver/xml/domain-conf.h"

/**
 * drv_tap_attach:
 * A DomainNetAttachFunc (@driver: the DrvDriver): resolves a network's
 * bridge through libvirtd, creates a persistent TAP ("vnetN", or the
 * <target dev> given) and adds it to the bridge.  On failure no TAP is
 * left, and the error names the bridge, network or device at fault.
 */
bool drv_tap_attach(const DomainNetAttach *attach, char **tap, char **bridge,
                    gpointer driver, GError **error);

/* Removes the TAP @name (logs what fails: called on the way down). */
void drv_tap_delete(const char *name);

/* Removes each TAP named in @taps (char*; the drv_tap_attach() results a
 * failed start made). */
void drv_tap_delete_list(GPtrArray *taps);

/* Removes the TAPs of @def's bridged interfaces (@def nullable). */
void drv_tap_delete_all(const DomainDef *def);

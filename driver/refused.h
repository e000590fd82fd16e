/* SPDX-License-Identifier: Apache-2.0 */
/* Domain calls nimbus has no device or mechanism for: refused, with why. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/domain.h"

/*
 * Each function checks what libvirt's QEMU driver checks first (flags,
 * the domain's state), so that a tool sees the same error it would see
 * there, then fails with the reason nimbus cannot do it and what to use
 * instead.  They always return false with @error set: a client must never
 * take a refusal for NO_SUPPORT ("not implemented yet") or for success.
 */

/**
 * drv_domain_agent_refuse:
 * A guest-agent call (@api: "virDomainGetTime"...) with @flags, of which
 * @supported are libvirt's: "domain is not running" (OPERATION_INVALID)
 * unless it runs, else ARGUMENT_UNSUPPORTED "QEMU guest agent is not
 * configured", libvirt's answer for a domain without an agent channel,
 * which tools (nova's set_time) tolerate.
 */
bool drv_domain_agent_refuse(DrvDomainObj *obj, unsigned int flags,
                             unsigned int supported, const char *api,
                             GError **error);

/* virDomainScreenshot: no graphics or video device to read. */
bool drv_domain_screenshot_refuse(DrvDomainObj *obj, unsigned int flags,
                                  GError **error);

/* virDomainSendKey: no keyboard for the keys to reach. */
bool drv_domain_send_key_refuse(DrvDomainObj *obj, unsigned int flags,
                                GError **error);

/**
 * drv_domain_set_blkio_refuse:
 * virDomainSetBlkioParameters: nimbusd puts no domain in a blkio cgroup,
 * so no weight or device limit could be applied; @first names the first
 * parameter asked for (NULL: none).
 */
bool drv_domain_set_blkio_refuse(DrvDomainObj *obj, const char *first,
                                 unsigned int flags, GError **error);

/**
 * drv_domain_get_blkio_nparams:
 * virDomainGetBlkioParameters: how many blkio parameters @obj has in the
 * definition @flags names: none, since no cgroup applies them (the empty
 * list `virsh blkiotune` prints as nothing).  Flags and definitions are
 * checked as for any AFFECT_* query.
 */
bool drv_domain_get_blkio_nparams(DrvDomainObj *obj, unsigned int flags,
                                  int *nparams, GError **error);

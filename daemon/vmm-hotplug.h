/* SPDX-License-Identifier: Apache-2.0 */
/* vm.add-disk/add-net/remove-device: PCI hotplug through the ACPI controller. */
#pragma once

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "config/vm-config.h"
#include "daemon/vm.h"
#include "daemon/vmm.h"

/*
 * How long vm.remove-device waits for the guest to let go of the device
 * (its _EJ0 writing B0EJ) before it gives up: the device then stays, and
 * the request fails.  Linux's acpiphp answers in well under a second; the
 * margin is for nested and emulated hosts (docs/hotplug.md).
 */
#define VMM_HOTPLUG_EJECT_TIMEOUT_MS 10000

typedef struct VmmHotplug VmmHotplug;

VmmHotplug *vmm_hotplug_new(void);
/* Fails the removals still waiting (see vmm_hotplug_cancel_all()). */
void vmm_hotplug_free(VmmHotplug *hp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmHotplug, vmm_hotplug_free)

/**
 * vmm_hotplug_add:
 * vm.add-<@type>.  With no @vm (created, not booted) only *@config, the
 * config of record, gains the entry, and *@info stays NULL (CH answers
 * 204).  Otherwise the device is created through the registry, put in a
 * free PCI slot and announced to the guest (PCIU + GED); *@info is CH's
 * PciDeviceInfo {"id", "bdf"} (transfer full).  On error nothing changed.
 * @fds: a net's TAP fds (device_registry_add()), transfer none.
 * Errors are VMM_ERROR (their codes are the HTTP status).
 */
bool vmm_hotplug_add(VmmHotplug *hp, Vm *vm, VmConfig **config,
                     const char *type, JsonNode *body, const int *fds,
                     guint n_fds, JsonNode **info, GError **error);

/**
 * vmm_hotplug_remove:
 * vm.remove-device @id.  @guest_running: a guest runs that must let go of
 * the device first: it is asked to eject it, and the removal completes
 * when it does (the device is freed, *@config loses the entry, the
 * "device-removed" event is emitted), or fails after the timeout with the
 * device still there.  Without a running guest (no @vm, or its vCPUs
 * stopped) the removal is immediate.  @done is called exactly once, maybe
 * before this returns, on the control thread.
 */
void vmm_hotplug_remove(VmmHotplug *hp, Vm *vm, bool guest_running,
                        VmConfig **config, const char *id,
                        VmmDoneFunc done, gpointer opaque);

/* The VM is going away (vm.delete, VMM exit): removals still waiting
 * fail now with @why, before the VM and its config are freed. */
void vmm_hotplug_cancel_all(VmmHotplug *hp, const char *why);

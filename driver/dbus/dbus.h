/* SPDX-License-Identifier: Apache-2.0 */
/* libvirt-dbus's org.libvirt interfaces, served by nimbusd itself. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <gio/gio.h>

#include "driver/driver.h"

/* The well-known name libvirt-dbus owns on both buses. */
#define DBUS_SERVICE_NAME "org.libvirt"
/* Our Connect object: libvirt-dbus names it after the driver (/org/libvirt/QEMU,
 * /org/libvirt/Test); libvirt's Cloud Hypervisor driver is "CH". */
#define DBUS_SERVICE_PATH "/org/libvirt/CH"

typedef struct DbusService DbusService;

/**
 * dbus_service_new:
 * Loads the interface XML, connects to @bus_type's bus (the session bus
 * follows $DBUS_SESSION_BUS_ADDRESS, so tests point it at a private
 * dbus-daemon), registers /org/libvirt/CH and its domain objects, then asks
 * for the name org.libvirt.  Losing the name (a real libvirt-dbus owns it)
 * is not an error: the objects are withdrawn and a message says so.
 * @driver and @hv_version are those the RPC procedures use; @driver must
 * outlive the service.  Main thread.  (transfer full)
 */
DbusService *dbus_service_new(DrvDriver *driver, uint64_t hv_version,
                              GBusType bus_type, GError **error);
/* Waits for calls in progress, then leaves the bus. */
void dbus_service_free(DbusService *svc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbusService, dbus_service_free)

/* The driver's event sink (a DrvEventFunc): Connect.DomainEvent.  Any
 * thread; never blocks (GDBus queues the message). */
void dbus_service_emit_event(const DrvDomainEvent *event, gpointer svc);

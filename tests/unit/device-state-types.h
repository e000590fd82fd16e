/* SPDX-License-Identifier: Apache-2.0 */
/* Every device type with snapshot state, built as its unit test builds it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "devices/device.h"
#include "devices/registry.h"
#include "tests/unit/fake-vm.h"

/*
 * Every device type with snapshot state: the platform devices and the
 * registry's built-in types as their unit tests build them (a line each in
 * device-state-types.c), then every registry type with a config kind,
 * created from its example config through the registry itself, so that a
 * new device type is covered without a line here.  The state tests and
 * the state fuzz target walk the list.
 */
typedef struct {
    const char *name;           /* the device type (VmmDeviceOps.name) */
    const char *id;             /* the id of the instance create() makes */
    /* Creates the device (and what it sits on) in @vm, a FakeHost of its
     * own with DEVICE_STATE_RAM bytes of RAM, and adds it; (transfer none). */
    VmmDevice *(*create)(FakeHost *vm);
    /* Optional: moves the device away from its power-on state, so that a
     * round trip carries something. */
    void (*exercise)(FakeHost *vm, VmmDevice *dev);
    /* A bounded integer field (a path: "virtio.queues[0].size"), and a
     * value outside its bounds; NULL for a device with no fields. */
    const char *field;
    int64_t bad_value;
    /* A root field that changes by itself between two saves (a clock),
     * left out of identity comparisons; NULL if none. */
    const char *volatile_field;
    /* The registry type it is (DeviceType.name), NULL for the platform's
     * own devices. */
    const char *registry_name;
    /* A type with a config kind, created through the registry (@create
     * is NULL then). */
    const DeviceType *registry;
} DeviceStateType;

#define DEVICE_STATE_RAM (8u << 20)

/* The list (built once; transfer none) and its length in *@n. */
const DeviceStateType *device_state_types(unsigned *n);
/* Creates @t's device in @vm (see @create); (transfer none). */
VmmDevice *device_state_create(const DeviceStateType *t, FakeHost *vm);

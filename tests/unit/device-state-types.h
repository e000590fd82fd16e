/* SPDX-License-Identifier: Apache-2.0 */
/* Every device type with snapshot state, built as its unit test builds it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "devices/device.h"
#include "tests/unit/fake-vm.h"

/*
 * One array, so that the device-type registry (issue 10, item 2) can
 * replace it: the state tests and the state fuzz target walk it.
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
} DeviceStateType;

#define DEVICE_STATE_RAM (8u << 20)

extern const DeviceStateType device_state_types[];
extern const unsigned device_state_n_types;

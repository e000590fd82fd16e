/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: one JSON document restored into every device type. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "tests/unit/device-state-types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: a JSON document (a snapshot's per-device state, possibly hostile:
 * a snapshot file is user input).  Every device type of
 * tests/unit/device-state-types.h gets it through ops->restore: a refusal
 * is fine, a crash, an assertion or a sanitizer report is not.  What a
 * device accepted it must save again.  The devices live across inputs (as
 * libFuzzer runs them in one process), each on a FakeHost of its own.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static VmmDevice **devs;
    static const DeviceStateType *types;
    static unsigned n_types;
    g_autofree char *doc = g_strndup((const char *)data, size);
    g_autoptr(JsonNode) node = json_from_string(doc, NULL);

    if (!devs) {
        types = device_state_types(&n_types);
        devs = g_new0(VmmDevice *, n_types);
        for (unsigned i = 0; i < n_types; i++)
            devs[i] = device_state_create(&types[i],
                                          fake_host_new(DEVICE_STATE_RAM));
    }
    if (!node)
        return 0;
    for (unsigned i = 0; i < n_types; i++) {
        VmmDevice *dev = devs[i];
        g_autoptr(GError) error = NULL;

        if (dev->ops->restore(dev, node, &error)) {
            g_autoptr(JsonNode) again = dev->ops->save(dev, &error);

            g_assert_no_error(error);
            g_assert_nonnull(again);
        } else {
            g_assert_nonnull(error);
        }
    }
    return 0;
}

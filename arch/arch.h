/* SPDX-License-Identifier: Apache-2.0 */
/* Architecture hooks: exactly one arch/<arch>/ implements them (chosen at configure time). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "daemon/hv/hv.h"
#include "daemon/memory.h"
#include "daemon/vm-config.h"

typedef struct Vm Vm;

/* Guest RAM ranges for @ram_size bytes (x86: split around the 32-bit device
 * hole).  Returns the number of ranges written (<= @max). */
unsigned arch_ram_ranges(uint64_t ram_size, GuestRange *ranges, unsigned max);

/* SPDX-License-Identifier: Apache-2.0 */
/* Test-only hook of the RTC: the clock it reads. */
#pragma once

#include <time.h>

#include "devices/device.h"

/* Fills @now with the host's wall-clock time (UTC). */
typedef void (*RtcCmosClockFunc)(struct timespec *now);

/* Replaces CLOCK_REALTIME (NULL restores it), so tests can put the clock
 * at an exact instant (inside the update-in-progress window, at a year's
 * end...). */
void rtc_cmos_set_clock(VmmDevice *dev, RtcCmosClockFunc clock);

# SPDX-License-Identifier: Apache-2.0
# Legacy platform devices (UART, i8042, CMOS, ACPI PM, GED, debug ports).

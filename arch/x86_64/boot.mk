# SPDX-License-Identifier: Apache-2.0
# x86_64: memory layout, E820, kernel loaders (PVH, bzImage), ACPI tables and AML.

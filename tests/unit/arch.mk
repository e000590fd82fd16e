# SPDX-License-Identifier: Apache-2.0
# arch/x86_64 unit tests

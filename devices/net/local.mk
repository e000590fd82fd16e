# SPDX-License-Identifier: Apache-2.0
# Network backends: TAP.

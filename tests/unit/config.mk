# SPDX-License-Identifier: Apache-2.0
# VmConfig/CLI unit tests

# SPDX-License-Identifier: Apache-2.0
# VmConfig: JSON schema and CLI parsers (daemon/vm-config*.c).

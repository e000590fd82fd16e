# SPDX-License-Identifier: Apache-2.0
# driver/: nimbusd, the libvirt-compatible daemon.
include driver/xml/local.mk

# SPDX-License-Identifier: Apache-2.0
# PCI/virtio unit tests

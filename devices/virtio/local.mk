# SPDX-License-Identifier: Apache-2.0
# PCI, virtio transport, virtqueues and virtio devices, block backends.

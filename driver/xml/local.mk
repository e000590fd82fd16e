# SPDX-License-Identifier: Apache-2.0
# driver/xml/: the libvirt domain XML model.

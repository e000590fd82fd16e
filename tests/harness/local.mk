# SPDX-License-Identifier: Apache-2.0
# the real-KVM harness and guest assets

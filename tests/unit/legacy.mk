# SPDX-License-Identifier: Apache-2.0
# legacy device unit tests

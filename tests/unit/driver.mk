# SPDX-License-Identifier: Apache-2.0
# nimbusd unit tests

# SPDX-License-Identifier: Apache-2.0
# domain XML golden tests

# SPDX-License-Identifier: Apache-2.0
# Integration tests: api.

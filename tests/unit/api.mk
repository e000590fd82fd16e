# SPDX-License-Identifier: Apache-2.0
# REST/D-Bus/event unit tests

# SPDX-License-Identifier: Apache-2.0
# Control plane: REST API, D-Bus API, nimbus-remote.

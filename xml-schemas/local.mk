# SPDX-License-Identifier: Apache-2.0
# RelaxNG schemas for the domain XML nimbusd accepts.

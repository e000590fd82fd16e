# SPDX-License-Identifier: Apache-2.0
# x86_64: CPUID, MSRs, vCPU registers.

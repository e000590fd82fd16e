/* SPDX-License-Identifier: Apache-2.0 */
/* The fake hypervisor backend: scripted exits for unit tests of exit dispatch. */
#pragma once

#include "daemon/hv/hv.h"

/* Queues @ex for the next vcpu_run of @vcpu; PIO/MMIO data is copied
 * into the fake run buffer (@data may be NULL for reads). */
void hv_fake_push_exit(HvVcpu *vcpu, const HvExit *ex, const void *data);
/* The data buffer of the last exit returned (what a read handler filled). */
const uint8_t *hv_fake_last_data(HvVcpu *vcpu);
/* Counts of vcpu_run calls and kicks, for tests of the run loop. */
unsigned hv_fake_run_count(HvVcpu *vcpu);
/* Level of legacy GSI @gsi as last set through irq_line. */
int hv_fake_irq_level(Hv *hv, uint32_t gsi);

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
/* Marks page @page of memory slot @slot as written by a vCPU; false if
 * the slot does not log dirty pages or is smaller. */
bool hv_fake_dirty_page(Hv *hv, uint32_t slot, uint64_t page);
/* The HV_MEM_* flags slot @slot was last registered with. */
uint32_t hv_fake_slot_flags(Hv *hv, uint32_t slot);

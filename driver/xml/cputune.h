/* SPDX-License-Identifier: Apache-2.0 */
/* <cputune> vcpupin/emulatorpin: what nimbusd reads and sets in a DomainDef. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "driver/xml/domain-conf.h"

/* libvirt's VIR_DOMAIN_CPUMASK_LEN: host CPUs 0..1023 can be named. */
#define DOMAIN_CPUSET_MAX 1023

/**
 * domain_cpuset_parse:
 * libvirt's cpuset syntax ("0-3,^2,6"): CPUs, ranges and exclusions,
 * comma-separated.  Refuses bad syntax and a set that names no CPU.
 * Returns: (transfer full) the CPUs (uint32_t), ascending, without
 *   duplicates; NULL with DRV_ERROR_INVALID_ARG naming @str.
 */
GArray *domain_cpuset_parse(const char *str, GError **error);

/* (transfer full) @cpus as libvirt prints a cpuset: "0-3,6". */
char *domain_cpuset_format(const GArray *cpus);

/* (transfer none) the host CPUs vCPU @vcpu is pinned to by <vcpupin>, or
 * NULL when the definition does not pin it. */
const GArray *domain_def_get_vcpupin(const DomainDef *def, uint32_t vcpu);
/* Sets (@cpus copied) or, @cpus NULL, removes the <vcpupin> of @vcpu. */
void domain_def_set_vcpupin(DomainDef *def, uint32_t vcpu,
                            const GArray *cpus);
/* (transfer none) the <emulatorpin> CPUs, or NULL when absent. */
const GArray *domain_def_get_emulatorpin(const DomainDef *def);
/* Sets (@cpus copied) or, @cpus NULL, removes <emulatorpin>. */
void domain_def_set_emulatorpin(DomainDef *def, const GArray *cpus);

/**
 * domain_def_cputune_check_host:
 * Refuses a <vcpupin> or <emulatorpin> naming a CPU that is not set in
 * @online (bit i of byte i/8 = host CPU i online, @ncpus bits), with
 * DRV_ERROR_INVALID_ARG naming the element and the CPU.
 */
bool domain_def_cputune_check_host(const DomainDef *def,
                                   const GByteArray *online, int ncpus,
                                   GError **error);

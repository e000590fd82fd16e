/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the vm-config*.c files; not an interface for others. */
#pragma once

#include "config/vm-config.h"
#include "config/vm-config-kind.h"

/* CH's defaults (reference §9 checklist). */
#define VM_CONFIG_DEFAULT_MEMORY (512ULL << 20)
#define VM_CONFIG_DEFAULT_PHYS_BITS 46
#define VM_CONFIG_DEFAULT_RNG "/dev/urandom"
#define VM_CONFIG_DEFAULT_DEBUG_IOBASE 0xe9
#define VM_CONFIG_DISK_QUEUES 1
#define VM_CONFIG_DISK_QUEUE_SIZE 128
#define VM_CONFIG_NET_QUEUES 2
#define VM_CONFIG_NET_QUEUE_SIZE 256

/* virtio-pci notify area: at most 0x400 queues per device (reference §5);
 * a net device also needs its control queue. */
#define VM_CONFIG_DISK_QUEUES_MAX 1024
#define VM_CONFIG_NET_QUEUES_MAX 1022
/* A PCI device number on the root bus; 0 is the host bridge. */
#define VM_CONFIG_PCI_DEVICE_MAX 31
/* The virtio-blk serial (ID) string: virtio 1.2 §5.2.6 VIRTIO_BLK_ID_BYTES. */
#define VM_CONFIG_DISK_SERIAL_MAX 20
/* Host CPUs are named in a cpu_set_t (sched_setaffinity). */
#define VM_CONFIG_HOST_CPU_MAX 1023
/* IFNAMSIZ - 1 */
#define VM_CONFIG_TAP_NAME_MAX 15
/* MTU bounds: the IPv4 minimum (RFC 791) to the 16-bit field's maximum. */
#define VM_CONFIG_MTU_MIN 68
#define VM_CONFIG_MTU_MAX 65535


/* "52:54:00:12:34:56" (hex, either case); false on bad syntax. */
bool vm_config_mac_parse(const char *s, uint8_t mac[6]);

/* Device config kinds in validation (vm-config-kind.c). */
/* "--vsock" for the CLI; "vsock" or "fs[1]" for JSON. (transfer full) */
char *vm_config_kind_where(const VmConfigKind *kind, VmConfigNames names,
                           guint i);
/* The entry's pci_device_id, -1 when unset or when the kind has none. */
int vm_config_kind_pci_device_id(const VmConfigKind *kind,
                                 gconstpointer entry);
bool vm_config_kinds_validate(const VmConfig *config, VmConfigNames names,
                              GError **error);
bool vm_config_kinds_check_host(const VmConfig *config, VmConfigNames names,
                                GError **error);
bool vm_config_kinds_id_used(const VmConfig *config, const char *id);
/* Default ids ("<id_prefix><N>") for entries without one; cannot fail. */
void vm_config_kinds_fill_ids(VmConfig *config);

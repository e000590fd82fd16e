/* SPDX-License-Identifier: Apache-2.0 */
/* A test "driver": builds split rings and buffers in a GuestMemory, as a guest would. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "daemon/memory.h"
#include "devices/virtio/queue.h"

/* Test RAM: two regions with a hole, so that "outside RAM" has a meaning
 * both past the end and between regions. */
#define TD_RAM0_BASE 0x0ULL
#define TD_RAM0_SIZE 0x400000ULL            /* 4 MiB */
#define TD_HOLE 0x600000ULL                 /* not RAM */
#define TD_RAM1_BASE 0x800000ULL
#define TD_RAM1_SIZE 0x400000ULL
#define TD_RAM_END (TD_RAM1_BASE + TD_RAM1_SIZE)

GuestMemory *td_memory_new(void);

/* Host pointer of guest range (asserts it is RAM). */
void *td_ptr(const GuestMemory *mem, uint64_t gpa, uint64_t len);

typedef struct {
    const GuestMemory *mem;
    uint16_t size;
    uint64_t desc, avail, used;
    uint16_t avail_idx;
    uint16_t next_desc;
    uint16_t last_used;
    uint64_t data_next;     /* bump allocator for buffers */
    uint64_t data_end;
} TdRing;

/* Rings for a queue of @size at @base (descriptor table, then the
 * available and used rings, page aligned), buffers after them up to
 * @base + @span. */
void td_ring_init(TdRing *r, const GuestMemory *mem, uint64_t base,
                  uint64_t span, uint16_t size);
/* Programs @vq as the transport would (size, addresses, enabled). */
void td_ring_program(const TdRing *r, VirtQueue *vq);

/* A guest buffer of @len bytes (zeroed), 16-byte aligned. */
uint64_t td_alloc(TdRing *r, uint64_t len);
/* Writes descriptor @i. */
void td_set_desc(TdRing *r, uint16_t i, uint64_t addr, uint32_t len,
                 uint16_t flags, uint16_t next);
/* Takes the next descriptor slot (wrapping). */
uint16_t td_next_desc(TdRing *r);
/* Chains descriptors: @n buffers, the first @n_out readable; returns the
 * head.  Buffers are given as gpa/len pairs. */
uint16_t td_add_chain(TdRing *r, const uint64_t *addr, const uint32_t *len,
                      unsigned n, unsigned n_out);
/* Puts @head in the available ring and publishes it. */
void td_publish(TdRing *r, uint16_t head);
/* Reads the next used element; false if none. */
bool td_get_used(TdRing *r, uint32_t *id, uint32_t *len);
uint16_t td_used_idx(const TdRing *r);

/* Ring fields the driver controls. */
void td_set_avail_flags(TdRing *r, uint16_t flags);
void td_set_used_event(TdRing *r, uint16_t v);
uint16_t td_get_avail_event(const TdRing *r);
uint16_t td_get_used_flags(const TdRing *r);
void td_set_avail_idx(TdRing *r, uint16_t idx);

/* Waits (polling, up to @timeout_ms) for @n used elements beyond the
 * ones already consumed. */
bool td_wait_used(TdRing *r, unsigned n, guint timeout_ms);

/* Negotiates every offered feature and sets DRIVER_OK with @rings
 * programmed into the device's first @n queues (no transport). */
struct VirtioDevice;
void td_device_start(struct VirtioDevice *vdev, TdRing *rings, unsigned n);

/* One virtio-blk request on queue @q of @vdev, whose ring is @r: header
 * (@type, @sector), @len bytes at @data (device-writable when @data_in),
 * status.  Returns the status byte (0xff when the device did not answer
 * within 5 s) and, when @used_len is not NULL, the used length. */
uint8_t td_blk_request(struct VirtioDevice *vdev, unsigned q, TdRing *r,
                       uint32_t type, uint64_t sector, uint64_t data,
                       uint32_t len, bool data_in, uint32_t *used_len);

/* ---- For fuzz targets ---------------------------------------------------- */

/* The fuzz layout: descriptor table at 0, available ring at 0x1000, used
 * ring at 0x2000, free-form bytes (indirect tables, buffers) at 0x10000. */
#define TD_FUZZ_DESC 0x0
#define TD_FUZZ_AVAIL 0x1000
#define TD_FUZZ_USED 0x2000
#define TD_FUZZ_DATA 0x10000
#define TD_FUZZ_HDR 8

/**
 * td_fuzz_load:
 * Turns fuzz input into a programmed, activated queue over @host's RAM:
 * header (size log2, ring features, avail idx, used_event, avail flags), then
 * descriptor table bytes, available ring entries, and the rest at
 * TD_FUZZ_DATA.  Clears what a previous input left.  Returns false if the
 * input is too short for the header.
 */
bool td_fuzz_load(DeviceHost *host, VirtQueue *vq, const uint8_t *data,
                  size_t size);

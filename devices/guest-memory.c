/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM as devices see it: bounds-checked translation and copies. */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "devices/guest-memory.h"

void *
guest_mem_ptr(const GuestMemory *mem, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < mem->nregions; i++) {
        const GuestRegion *r = &mem->regions[i];

        /* Written so that no sum can overflow: gpa - r->gpa is only
         * computed once gpa >= r->gpa. */
        if (gpa >= r->gpa && gpa - r->gpa < r->size &&
            len <= r->size - (gpa - r->gpa))
            return r->hva + (gpa - r->gpa);
    }
    return NULL;
}

/* Walks [gpa, gpa + len) region by region; fails without side effects if
 * any byte is outside RAM. */
static int
guest_mem_copy(const GuestMemory *mem, uint64_t gpa, void *buf, size_t len,
               bool to_guest)
{
    uint64_t pos = gpa;
    size_t left = len;

    if (len == 0)
        return 0;
    if (gpa + len < gpa)
        return -EFAULT;
    /* First pass: check; second: copy. */
    for (int pass = 0; pass < 2; pass++) {
        pos = gpa;
        left = len;
        while (left > 0) {
            const GuestRegion *r = NULL;
            uint64_t chunk;

            for (unsigned i = 0; i < mem->nregions; i++) {
                const GuestRegion *c = &mem->regions[i];
                if (pos >= c->gpa && pos - c->gpa < c->size) {
                    r = c;
                    break;
                }
            }
            if (!r)
                return -EFAULT;
            chunk = MIN(left, r->size - (pos - r->gpa));
            if (pass == 1) {
                uint8_t *h = r->hva + (pos - r->gpa);
                uint8_t *b = (uint8_t *)buf + (pos - gpa);

                if (to_guest)
                    memcpy(h, b, chunk);
                else
                    memcpy(b, h, chunk);
            }
            pos += chunk;
            left -= chunk;
        }
    }
    return 0;
}

int
guest_mem_read(const GuestMemory *mem, uint64_t gpa, void *buf, size_t len)
{
    return guest_mem_copy(mem, gpa, buf, len, false);
}

int
guest_mem_write(const GuestMemory *mem, uint64_t gpa, const void *buf,
                size_t len)
{
    return guest_mem_copy(mem, gpa, (void *)buf, len, true);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* An address-range map (port I/O or MMIO) dispatching accesses to devices. */
#include <config.h>

#include <gio/gio.h>

#include "devices/bus.h"

typedef struct {
    uint64_t base;
    uint64_t len;       /* > 0; base + len does not overflow */
    VmmDevice *dev;
} BusRange;

/*
 * Ranges are kept sorted by base in a GArray.  Lookups happen on every port
 * I/O and MMIO exit from any vCPU thread, registrations are rare (realize,
 * PCI BAR reprogramming), so a reader/writer lock fits.  The read lock is
 * held only for the lookup, never across the device callback: a device's
 * write handler may itself (re)register ranges, e.g. when the guest moves a
 * PCI BAR, and would deadlock otherwise.  Devices outlive their ranges
 * (removal happens with the vCPUs paused), so the pointer copied out of the
 * lock stays valid for the dispatch.
 */
struct Bus {
    char *name;
    GRWLock lock;
    GArray *ranges;     /* BusRange, sorted by base; protected by lock */
};

Bus *
bus_new(const char *name)
{
    Bus *bus = g_new0(Bus, 1);

    bus->name = g_strdup(name);
    g_rw_lock_init(&bus->lock);
    bus->ranges = g_array_new(FALSE, FALSE, sizeof(BusRange));
    return bus;
}

void
bus_free(Bus *bus)
{
    if (!bus)
        return;
    g_array_unref(bus->ranges);
    g_rw_lock_clear(&bus->lock);
    g_free(bus->name);
    g_free(bus);
}

/* Index of the first range whose base is > @addr; caller holds the lock. */
static guint
bus_upper_bound(Bus *bus, uint64_t addr)
{
    guint lo = 0, hi = bus->ranges->len;

    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;

        if (g_array_index(bus->ranges, BusRange, mid).base <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The range containing @addr, or NULL; caller holds the lock. */
static BusRange *
bus_find_locked(Bus *bus, uint64_t addr)
{
    guint i = bus_upper_bound(bus, addr);
    BusRange *r;

    if (i == 0)
        return NULL;
    r = &g_array_index(bus->ranges, BusRange, i - 1);
    return addr - r->base < r->len ? r : NULL;
}

bool
bus_register(Bus *bus, uint64_t base, uint64_t len, VmmDevice *dev,
             GError **error)
{
    BusRange range = { .base = base, .len = len, .dev = dev };
    guint i;

    if (len == 0 || base + len - 1 < base) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s bus: invalid range 0x%" G_GINT64_MODIFIER "x+0x%"
                    G_GINT64_MODIFIER "x for device '%s'", bus->name, base,
                    len, dev->id);
        return false;
    }

    g_rw_lock_writer_lock(&bus->lock);
    i = bus_upper_bound(bus, base);
    /* Overlap with the range before (it extends past base) or after (it
     * starts before our end). */
    for (guint j = i > 0 ? i - 1 : 0; j < bus->ranges->len && j <= i; j++) {
        BusRange *r = &g_array_index(bus->ranges, BusRange, j);

        if (base <= r->base + (r->len - 1) && r->base <= base + (len - 1)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                        "%s bus: range 0x%" G_GINT64_MODIFIER "x-0x%"
                        G_GINT64_MODIFIER "x of device '%s' overlaps "
                        "0x%" G_GINT64_MODIFIER "x-0x%" G_GINT64_MODIFIER
                        "x of device '%s'", bus->name, base, base + len - 1,
                        dev->id, r->base, r->base + r->len - 1, r->dev->id);
            g_rw_lock_writer_unlock(&bus->lock);
            return false;
        }
    }
    g_array_insert_val(bus->ranges, i, range);
    g_rw_lock_writer_unlock(&bus->lock);
    return true;
}

bool
bus_unregister(Bus *bus, uint64_t base, VmmDevice *dev)
{
    bool found = false;

    g_rw_lock_writer_lock(&bus->lock);
    for (guint i = 0; i < bus->ranges->len; i++) {
        BusRange *r = &g_array_index(bus->ranges, BusRange, i);

        if (r->base == base && r->dev == dev) {
            g_array_remove_index(bus->ranges, i);
            found = true;
            break;
        }
    }
    g_rw_lock_writer_unlock(&bus->lock);
    return found;
}

void
bus_unregister_device(Bus *bus, VmmDevice *dev)
{
    g_rw_lock_writer_lock(&bus->lock);
    for (guint i = bus->ranges->len; i > 0; i--) {
        if (g_array_index(bus->ranges, BusRange, i - 1).dev == dev)
            g_array_remove_index(bus->ranges, i - 1);
    }
    g_rw_lock_writer_unlock(&bus->lock);
}

VmmDevice *
bus_lookup(Bus *bus, uint64_t addr, uint64_t *base, uint64_t *len)
{
    BusRange *r;
    VmmDevice *dev = NULL;

    g_rw_lock_reader_lock(&bus->lock);
    r = bus_find_locked(bus, addr);
    if (r) {
        dev = r->dev;
        if (base)
            *base = r->base;
        if (len)
            *len = r->len;
    }
    g_rw_lock_reader_unlock(&bus->lock);
    return dev;
}

bool
bus_read(Bus *bus, uint64_t addr, void *data, unsigned len)
{
    uint64_t base;
    VmmDevice *dev = bus_lookup(bus, addr, &base, NULL);

    if (!dev || !dev->ops->read) {
        vmm_device_read_ones(data, len);
        return dev != NULL;
    }
    dev->ops->read(dev, addr - base, data, len);
    return true;
}

bool
bus_write(Bus *bus, uint64_t addr, const void *data, unsigned len)
{
    uint64_t base;
    VmmDevice *dev = bus_lookup(bus, addr, &base, NULL);

    if (!dev)
        return false;
    if (dev->ops->write)
        dev->ops->write(dev, addr - base, data, len);
    return true;
}

void
bus_foreach(Bus *bus, BusForeachFunc func, gpointer opaque)
{
    g_autoptr(GArray) copy = NULL;

    /* Iterate over a copy: @func may call back into the bus. */
    g_rw_lock_reader_lock(&bus->lock);
    copy = g_array_copy(bus->ranges);
    g_rw_lock_reader_unlock(&bus->lock);
    for (guint i = 0; i < copy->len; i++) {
        BusRange *r = &g_array_index(copy, BusRange, i);
        func(r->base, r->len, r->dev, opaque);
    }
}

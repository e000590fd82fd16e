/* SPDX-License-Identifier: Apache-2.0 */
/* FakeHost: the unit tests' implementation of the device host interface. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <gio/gio.h>

#include "tests/unit/fake-vm.h"

typedef struct {
    int fd;
    uint32_t gsi;
} FakeIrqfd;

typedef struct {
    int fd;
    uint64_t addr;
    uint32_t len;
    DeviceSpace space;
} FakeIoeventfd;

typedef struct {
    bool used;
    uint64_t addr;
    uint32_t data;
} FakeMsiRoute;

struct FakeHost {
    DeviceHost host;                /* ops: fake_host_ops; immutable */
    Bus *pio, *mmio;
    GMainContext *context;
    GuestMemory own_mem;            /* fake_host_new()'s RAM */
    const GuestMemory *mem;         /* &own_mem, or borrowed */
    uint32_t boot_vcpus;
    GPtrArray *devices;             /* VmmDevice*, realized */
    GHashTable *rl_groups;          /* id -> RateLimiter* */

    GMutex lock;                    /* everything below */
    bool level[FAKE_HOST_MAX_GSI];
    unsigned raises[FAKE_HOST_MAX_GSI];
    unsigned pulses[FAKE_HOST_MAX_GSI];
    unsigned poweroffs, resets;
    bool alloc_fail;
    uint64_t mmio32_next, mmio64_next;
    uint32_t irq_next, msi_next;
    FakeMsiRoute msi[FAKE_HOST_MAX_GSI];
    unsigned msi_signals;
    uint64_t msi_last_addr;
    uint32_t msi_last_data;
    GArray *irqfds;                 /* FakeIrqfd */
    GArray *ioeventfds;             /* FakeIoeventfd */
    GPtrArray *events;              /* char*: "source/event k=v ..." */
    GHashTable *dirty;              /* page numbers (gpa / page size) */
    FakeDeviceMemory dev_mem[FAKE_HOST_DEVICE_SLOTS]; /* size 0: free */
};

static const DeviceHostOps fake_host_ops;

static FakeHost *
fake_of(DeviceHost *host)
{
    /* Only ever handed out by fake_host_base(). */
    g_assert(host->ops == &fake_host_ops);
    return (FakeHost *)host;
}

FakeHost *
fake_host_new(uint64_t ram_size)
{
    FakeHost *vm = g_new0(FakeHost, 1);

    G_STATIC_ASSERT(G_STRUCT_OFFSET(FakeHost, host) == 0);
    vm->host.ops = &fake_host_ops;

    vm->pio = bus_new("pio");
    vm->mmio = bus_new("mmio");
    vm->context = g_main_context_new();
    vm->boot_vcpus = 1;
    vm->devices = g_ptr_array_new();
    g_mutex_init(&vm->lock);
    vm->mmio32_next = FAKE_HOST_MMIO32_BASE;
    vm->mmio64_next = FAKE_HOST_MMIO64_BASE;
    vm->irq_next = FAKE_HOST_FIRST_IRQ;
    vm->msi_next = FAKE_HOST_FIRST_MSI_GSI;
    vm->irqfds = g_array_new(FALSE, FALSE, sizeof(FakeIrqfd));
    vm->ioeventfds = g_array_new(FALSE, FALSE, sizeof(FakeIoeventfd));
    vm->events = g_ptr_array_new_with_free_func(g_free);
    vm->dirty = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                      NULL);
    vm->mem = &vm->own_mem;
    if (ram_size) {
        vm->own_mem.regions[0].gpa = 0;
        vm->own_mem.regions[0].size = ram_size;
        vm->own_mem.regions[0].hva = g_malloc0(ram_size);
        vm->own_mem.regions[0].fd = -1;
        vm->own_mem.nregions = 1;
        vm->own_mem.ram_size = ram_size;
    }
    return vm;
}

FakeHost *
fake_host_new_with_memory(const GuestMemory *mem)
{
    FakeHost *vm = fake_host_new(0);

    vm->mem = mem;
    return vm;
}

void
fake_host_free(FakeHost *vm)
{
    if (!vm)
        return;
    /* Newest first, as a VM tears down its devices. */
    for (guint i = vm->devices->len; i > 0; i--) {
        VmmDevice *dev = g_ptr_array_index(vm->devices, i - 1);

        if (dev->ops->unrealize)
            dev->ops->unrealize(dev);
        vmm_device_free(dev);
    }
    g_ptr_array_unref(vm->devices);
    g_clear_pointer(&vm->rl_groups, g_hash_table_unref);
    bus_free(vm->pio);
    bus_free(vm->mmio);
    /* Drain what sources left behind before dropping the context. */
    while (g_main_context_iteration(vm->context, FALSE))
        ;
    g_main_context_unref(vm->context);
    g_free(vm->own_mem.regions[0].hva);
    g_array_unref(vm->irqfds);
    g_array_unref(vm->ioeventfds);
    g_ptr_array_unref(vm->events);
    g_hash_table_unref(vm->dirty);
    g_mutex_clear(&vm->lock);
    g_free(vm);
}

void
fake_host_iterate(FakeHost *vm)
{
    for (int i = 0; i < 1000 && g_main_context_iteration(vm->context, FALSE);
         i++)
        ;
}

/* A timeout whose only job is to end a blocking iteration. */
static gboolean
wake_only(gpointer data)
{
    return G_SOURCE_REMOVE;
}

bool
fake_host_iterate_until(FakeHost *vm, bool (*cond)(gpointer), gpointer data,
                      guint timeout_ms)
{
    int64_t deadline = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;

    while (!cond(data) && g_get_monotonic_time() < deadline) {
        /* A short timeout source keeps the blocking iteration bounded. */
        GSource *t = g_timeout_source_new(10);

        g_source_set_callback(t, wake_only, NULL, NULL);
        g_source_attach(t, vm->context);
        g_main_context_iteration(vm->context, TRUE);
        g_source_destroy(t);
        g_source_unref(t);
    }
    return cond(data);
}

uint64_t
fake_host_pio_read(FakeHost *vm, uint16_t port, unsigned len)
{
    uint8_t buf[8];

    g_assert_cmpuint(len, <=, sizeof(buf));
    bus_read(vm->pio, port, buf, len);
    return vmm_le_load(buf, len);
}

void
fake_host_pio_write(FakeHost *vm, uint16_t port, unsigned len, uint64_t value)
{
    uint8_t buf[8];

    g_assert_cmpuint(len, <=, sizeof(buf));
    vmm_le_store(buf, len, value);
    bus_write(vm->pio, port, buf, len);
}

uint8_t
fake_host_inb(FakeHost *vm, uint16_t port)
{
    return (uint8_t)fake_host_pio_read(vm, port, 1);
}

void
fake_host_outb(FakeHost *vm, uint16_t port, uint8_t value)
{
    fake_host_pio_write(vm, port, 1, value);
}

uint64_t
fake_host_mmio_read(FakeHost *vm, uint64_t addr, unsigned len)
{
    uint8_t buf[8];

    g_assert_cmpuint(len, <=, sizeof(buf));
    bus_read(vm->mmio, addr, buf, len);
    return vmm_le_load(buf, len);
}

void
fake_host_mmio_write(FakeHost *vm, uint64_t addr, unsigned len, uint64_t value)
{
    uint8_t buf[8];

    g_assert_cmpuint(len, <=, sizeof(buf));
    vmm_le_store(buf, len, value);
    bus_write(vm->mmio, addr, buf, len);
}

GuestMemory *
fake_host_get_memory(FakeHost *vm)
{
    /* Tests write guest RAM as the guest would. */
    return (GuestMemory *)vm->mem;
}

void
fake_host_set_boot_vcpus(FakeHost *vm, uint32_t n)
{
    vm->boot_vcpus = n;
}

/* ---- the DeviceHost implementation --------------------------------------- */

static const GuestMemory *
fake_memory(DeviceHost *host)
{
    return fake_of(host)->mem;
}

/* Records every page of [gpa, gpa + len) that is RAM, as the real VM's
 * bitmap does (bytes outside RAM are ignored there too). */
static void
fake_mark_dirty(DeviceHost *host, uint64_t gpa, uint64_t len)
{
    FakeHost *vm = fake_of(host);
    uint64_t first, last;

    if (len == 0)
        return;
    first = gpa / FAKE_HOST_PAGE_SIZE;
    last = (gpa + len - 1 < gpa ? G_MAXUINT64 : gpa + len - 1) /
           FAKE_HOST_PAGE_SIZE;
    g_mutex_lock(&vm->lock);
    for (uint64_t p = first; p <= last; p++) {
        if (!guest_mem_ptr(vm->mem, p * FAKE_HOST_PAGE_SIZE, 1))
            continue;
        g_hash_table_add(vm->dirty, g_memdup2(&p, sizeof(p)));
    }
    g_mutex_unlock(&vm->lock);
}

static Bus *
fake_bus(FakeHost *vm, DeviceSpace space)
{
    return space == DEVICE_SPACE_PIO ? vm->pio : vm->mmio;
}

static bool
fake_register_range(DeviceHost *host, DeviceSpace space, uint64_t base,
                    uint64_t len, VmmDevice *dev, GError **error)
{
    return bus_register(fake_bus(fake_of(host), space), base, len, dev, error);
}

static bool
fake_unregister_range(DeviceHost *host, DeviceSpace space, uint64_t base,
                      VmmDevice *dev)
{
    return bus_unregister(fake_bus(fake_of(host), space), base, dev);
}

static void
fake_unregister_device(DeviceHost *host, VmmDevice *dev)
{
    FakeHost *vm = fake_of(host);

    bus_unregister_device(vm->pio, dev);
    bus_unregister_device(vm->mmio, dev);
}

static GMainContext *
fake_main_context(DeviceHost *host)
{
    return fake_of(host)->context;
}

static uint32_t
fake_boot_vcpus(DeviceHost *host)
{
    return fake_of(host)->boot_vcpus;
}

/* The same helper as the real VM's: one rule for duplicate ids. */
static bool
fake_add_device(DeviceHost *host, VmmDevice *dev, GError **error)
{
    return vmm_device_list_add(fake_of(host)->devices, dev, error);
}

static VmmDevice *
fake_find_device(DeviceHost *host, const char *id)
{
    return vmm_device_list_find(fake_of(host)->devices, id);
}

static RateLimiter *
fake_rate_limit_group(DeviceHost *host, const char *id, GError **error)
{
    FakeHost *vm = fake_of(host);
    RateLimiter *rl = vm->rl_groups ? g_hash_table_lookup(vm->rl_groups, id)
                                    : NULL;

    if (!rl) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "rate limit group '%s' is not defined", id);
        return NULL;
    }
    return rate_limiter_ref(rl);
}

void
fake_host_add_rate_limit_group(FakeHost *fh, const char *id,
                               const RateLimiterConfig *cfg)
{
    if (!fh->rl_groups)
        fh->rl_groups = g_hash_table_new_full(
            g_str_hash, g_str_equal, g_free,
            (GDestroyNotify)rate_limiter_unref);
    g_hash_table_replace(fh->rl_groups, g_strdup(id), rate_limiter_new(cfg));
}

static void
fake_request_poweroff(DeviceHost *host)
{
    FakeHost *vm = fake_of(host);

    g_mutex_lock(&vm->lock);
    vm->poweroffs++;
    g_mutex_unlock(&vm->lock);
}

static void
fake_request_reset(DeviceHost *host)
{
    FakeHost *vm = fake_of(host);

    g_mutex_lock(&vm->lock);
    vm->resets++;
    g_mutex_unlock(&vm->lock);
}

static void
fake_emit_event(DeviceHost *host, const char *source, const char *event,
                const char *const *props)
{
    FakeHost *vm = fake_of(host);
    GString *s = g_string_new(NULL);

    g_string_append_printf(s, "%s/%s", source, event);
    for (unsigned i = 0; props && props[i] && props[i + 1]; i += 2)
        g_string_append_printf(s, " %s=%s", props[i], props[i + 1]);
    g_mutex_lock(&vm->lock);
    g_ptr_array_add(vm->events, g_string_free(s, FALSE));
    g_mutex_unlock(&vm->lock);
}

static int
fake_irq_set(DeviceHost *host, uint32_t gsi, bool level)
{
    FakeHost *vm = fake_of(host);

    if (gsi >= FAKE_HOST_MAX_GSI)
        return -EINVAL;
    g_mutex_lock(&vm->lock);
    if (level && !vm->level[gsi])
        vm->raises[gsi]++;
    vm->level[gsi] = level;
    g_mutex_unlock(&vm->lock);
    return 0;
}

static int
fake_irq_pulse(DeviceHost *host, uint32_t gsi)
{
    FakeHost *vm = fake_of(host);

    if (gsi >= FAKE_HOST_MAX_GSI)
        return -EINVAL;
    g_mutex_lock(&vm->lock);
    vm->pulses[gsi]++;
    g_mutex_unlock(&vm->lock);
    return 0;
}

static int
fake_msi_alloc(DeviceHost *host, uint32_t *gsi)
{
    FakeHost *vm = fake_of(host);
    int r = 0;

    g_mutex_lock(&vm->lock);
    if (vm->alloc_fail || vm->msi_next >= FAKE_HOST_MAX_GSI) {
        r = -ENOSPC;
    } else {
        *gsi = vm->msi_next++;
        vm->msi[*gsi].used = true;
    }
    g_mutex_unlock(&vm->lock);
    return r;
}

static int
fake_msi_update(DeviceHost *host, uint32_t gsi, uint64_t addr, uint32_t data)
{
    FakeHost *vm = fake_of(host);
    int r = 0;

    g_mutex_lock(&vm->lock);
    if (gsi >= FAKE_HOST_MAX_GSI || !vm->msi[gsi].used) {
        r = -EINVAL;
    } else {
        vm->msi[gsi].addr = addr;
        vm->msi[gsi].data = data;
    }
    g_mutex_unlock(&vm->lock);
    return r;
}

static void
fake_msi_free(DeviceHost *host, uint32_t gsi)
{
    FakeHost *vm = fake_of(host);

    g_mutex_lock(&vm->lock);
    if (gsi < FAKE_HOST_MAX_GSI)
        memset(&vm->msi[gsi], 0, sizeof(vm->msi[gsi]));
    g_mutex_unlock(&vm->lock);
}

static int
fake_signal_msi(DeviceHost *host, uint64_t addr, uint32_t data)
{
    FakeHost *vm = fake_of(host);

    g_mutex_lock(&vm->lock);
    vm->msi_signals++;
    vm->msi_last_addr = addr;
    vm->msi_last_data = data;
    g_mutex_unlock(&vm->lock);
    return 0;
}

static int
fake_irqfd(DeviceHost *host, int fd, uint32_t gsi, bool assign)
{
    FakeHost *vm = fake_of(host);
    int r = assign ? 0 : -ENOENT;

    g_mutex_lock(&vm->lock);
    for (guint i = 0; i < vm->irqfds->len; i++) {
        FakeIrqfd *f = &g_array_index(vm->irqfds, FakeIrqfd, i);

        if (f->fd == fd) {
            if (assign) {
                r = -EBUSY;
            } else {
                g_array_remove_index(vm->irqfds, i);
                r = 0;
            }
            break;
        }
    }
    if (assign && r == 0) {
        FakeIrqfd f = { .fd = fd, .gsi = gsi };

        g_array_append_val(vm->irqfds, f);
    }
    g_mutex_unlock(&vm->lock);
    return r;
}

static int
fake_ioeventfd(DeviceHost *host, int fd, uint64_t addr, uint32_t len,
               DeviceSpace space, bool assign)
{
    FakeHost *vm = fake_of(host);
    int r = assign ? 0 : -ENOENT;

    g_mutex_lock(&vm->lock);
    for (guint i = 0; i < vm->ioeventfds->len; i++) {
        FakeIoeventfd *e = &g_array_index(vm->ioeventfds, FakeIoeventfd, i);

        if (e->addr == addr && e->space == space) {
            if (assign) {
                r = -EEXIST;
            } else {
                g_array_remove_index(vm->ioeventfds, i);
                r = 0;
            }
            break;
        }
    }
    if (assign && r == 0) {
        FakeIoeventfd e = { .fd = fd, .addr = addr, .len = len,
                            .space = space };

        g_array_append_val(vm->ioeventfds, e);
    }
    g_mutex_unlock(&vm->lock);
    return r;
}

static bool
fake_alloc(FakeHost *vm, uint64_t *next, uint64_t limit, uint64_t size,
           uint64_t align, uint64_t *addr, GError **error)
{
    uint64_t a;
    bool ok = false;

    if (size == 0 || align == 0 || (align & (align - 1))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "invalid MMIO allocation: size 0x%" G_GINT64_MODIFIER
                    "x align 0x%" G_GINT64_MODIFIER "x", size, align);
        return false;
    }
    g_mutex_lock(&vm->lock);
    a = (*next + align - 1) & ~(align - 1);
    if (!vm->alloc_fail && a >= *next && a + size <= limit && a + size > a) {
        *addr = a;
        *next = a + size;
        ok = true;
    }
    g_mutex_unlock(&vm->lock);
    if (!ok)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "no MMIO space left for 0x%" G_GINT64_MODIFIER "x bytes",
                    size);
    return ok;
}

static bool
fake_alloc_mmio32(DeviceHost *host, uint64_t size, uint64_t align,
                  uint64_t *addr, GError **error)
{
    FakeHost *vm = fake_of(host);

    return fake_alloc(vm, &vm->mmio32_next,
                      FAKE_HOST_MMIO32_BASE + FAKE_HOST_MMIO32_SIZE, size,
                      align, addr, error);
}

static bool
fake_alloc_mmio64(DeviceHost *host, uint64_t size, uint64_t align,
                  uint64_t *addr, GError **error)
{
    FakeHost *vm = fake_of(host);

    return fake_alloc(vm, &vm->mmio64_next, G_MAXUINT64, size, align, addr,
                      error);
}

static bool
fake_alloc_irq(DeviceHost *host, uint32_t *gsi, GError **error)
{
    FakeHost *vm = fake_of(host);
    bool ok = false;

    g_mutex_lock(&vm->lock);
    if (!vm->alloc_fail && vm->irq_next <= FAKE_HOST_LAST_IRQ) {
        *gsi = vm->irq_next++;
        ok = true;
    }
    g_mutex_unlock(&vm->lock);
    if (!ok)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "no free IOAPIC pin left");
    return ok;
}

/* Device memory: recorded so that tests can reach it as the guest would
 * (fake_host_device_memory()) and check that it is given back. */
static bool
fake_map_memory(DeviceHost *host, uint64_t gpa, uint64_t size, void *hva,
                uint32_t *slot, GError **error)
{
    FakeHost *vm = fake_of(host);
    bool ok = false;

    g_assert(size > 0 && hva);
    g_mutex_lock(&vm->lock);
    for (uint32_t i = 0; !vm->alloc_fail && i < FAKE_HOST_DEVICE_SLOTS; i++) {
        if (vm->dev_mem[i].size == 0) {
            vm->dev_mem[i] = (FakeDeviceMemory){ gpa, size, hva };
            *slot = i;
            ok = true;
            break;
        }
    }
    g_mutex_unlock(&vm->lock);
    if (!ok)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "no free device memory slot");
    return ok;
}

static void
fake_unmap_memory(DeviceHost *host, uint32_t slot)
{
    FakeHost *vm = fake_of(host);

    g_assert(slot < FAKE_HOST_DEVICE_SLOTS);
    g_mutex_lock(&vm->lock);
    g_assert(vm->dev_mem[slot].size > 0);
    vm->dev_mem[slot] = (FakeDeviceMemory){ 0 };
    g_mutex_unlock(&vm->lock);
}

void *
fake_host_device_memory(FakeHost *fh, uint64_t gpa, uint64_t *size)
{
    void *hva = NULL;

    g_mutex_lock(&fh->lock);
    for (unsigned i = 0; i < FAKE_HOST_DEVICE_SLOTS; i++) {
        if (fh->dev_mem[i].size && fh->dev_mem[i].gpa == gpa) {
            hva = fh->dev_mem[i].hva;
            *size = fh->dev_mem[i].size;
        }
    }
    g_mutex_unlock(&fh->lock);
    return hva;
}

unsigned
fake_host_device_memory_count(FakeHost *fh)
{
    unsigned n = 0;

    g_mutex_lock(&fh->lock);
    for (unsigned i = 0; i < FAKE_HOST_DEVICE_SLOTS; i++)
        n += fh->dev_mem[i].size > 0;
    g_mutex_unlock(&fh->lock);
    return n;
}

static const DeviceHostOps fake_host_ops = {
    .memory = fake_memory,
    .mark_dirty = fake_mark_dirty,
    .register_range = fake_register_range,
    .unregister_range = fake_unregister_range,
    .unregister_device = fake_unregister_device,
    .irq_set = fake_irq_set,
    .irq_pulse = fake_irq_pulse,
    .msi_alloc = fake_msi_alloc,
    .msi_update = fake_msi_update,
    .msi_free = fake_msi_free,
    .signal_msi = fake_signal_msi,
    .irqfd = fake_irqfd,
    .ioeventfd = fake_ioeventfd,
    .alloc_mmio32 = fake_alloc_mmio32,
    .alloc_mmio64 = fake_alloc_mmio64,
    .alloc_irq = fake_alloc_irq,
    .map_memory = fake_map_memory,
    .unmap_memory = fake_unmap_memory,
    .add_device = fake_add_device,
    .find_device = fake_find_device,
    .rate_limit_group = fake_rate_limit_group,
    .main_context = fake_main_context,
    .boot_vcpus = fake_boot_vcpus,
    .request_poweroff = fake_request_poweroff,
    .request_reset = fake_request_reset,
    .emit_event = fake_emit_event,
};

DeviceHost *
fake_host_base(FakeHost *vm)
{
    return &vm->host;
}

bool
fake_host_add(FakeHost *vm, VmmDevice *dev, GError **error)
{
    return device_host_add_device(&vm->host, dev, error);
}

void
fake_host_remove(FakeHost *vm, VmmDevice *dev)
{
    g_assert_true(g_ptr_array_remove(vm->devices, dev));
    if (dev->ops->unrealize)
        dev->ops->unrealize(dev);
    device_host_unregister_device(&vm->host, dev);
    vmm_device_free(dev);
}

VmmDevice *
fake_host_find(FakeHost *vm, const char *id)
{
    return device_host_find_device(&vm->host, id);
}

GMainContext *
fake_host_context(FakeHost *vm)
{
    return vm->context;
}

Bus *
fake_host_pio_bus(FakeHost *vm)
{
    return vm->pio;
}

Bus *
fake_host_mmio_bus(FakeHost *vm)
{
    return vm->mmio;
}

/* ---- recorders ------------------------------------------------------------ */

bool
fake_host_irq_level(FakeHost *vm, uint32_t gsi)
{
    bool v;

    g_assert_cmpuint(gsi, <, FAKE_HOST_MAX_GSI);
    g_mutex_lock(&vm->lock);
    v = vm->level[gsi];
    g_mutex_unlock(&vm->lock);
    return v;
}

unsigned
fake_host_irq_raises(FakeHost *vm, uint32_t gsi)
{
    unsigned v;

    g_assert_cmpuint(gsi, <, FAKE_HOST_MAX_GSI);
    g_mutex_lock(&vm->lock);
    v = vm->raises[gsi];
    g_mutex_unlock(&vm->lock);
    return v;
}

unsigned
fake_host_irq_pulses(FakeHost *vm, uint32_t gsi)
{
    unsigned v;

    g_assert_cmpuint(gsi, <, FAKE_HOST_MAX_GSI);
    g_mutex_lock(&vm->lock);
    v = vm->pulses[gsi];
    g_mutex_unlock(&vm->lock);
    return v;
}

void
fake_host_irq_reset_counts(FakeHost *vm)
{
    g_mutex_lock(&vm->lock);
    memset(vm->raises, 0, sizeof(vm->raises));
    memset(vm->pulses, 0, sizeof(vm->pulses));
    g_mutex_unlock(&vm->lock);
}

unsigned
fake_host_poweroff_requests(FakeHost *vm)
{
    unsigned v;

    g_mutex_lock(&vm->lock);
    v = vm->poweroffs;
    g_mutex_unlock(&vm->lock);
    return v;
}

unsigned
fake_host_reset_requests(FakeHost *vm)
{
    unsigned v;

    g_mutex_lock(&vm->lock);
    v = vm->resets;
    g_mutex_unlock(&vm->lock);
    return v;
}

void
fake_host_set_alloc_fail(FakeHost *vm, bool fail)
{
    g_mutex_lock(&vm->lock);
    vm->alloc_fail = fail;
    g_mutex_unlock(&vm->lock);
}

bool
fake_host_msi_route(FakeHost *vm, uint32_t gsi, uint64_t *addr, uint32_t *data)
{
    bool used;

    g_mutex_lock(&vm->lock);
    used = gsi < FAKE_HOST_MAX_GSI && vm->msi[gsi].used;
    if (used) {
        *addr = vm->msi[gsi].addr;
        *data = vm->msi[gsi].data;
    }
    g_mutex_unlock(&vm->lock);
    return used;
}

unsigned
fake_host_msi_signals(FakeHost *vm, uint64_t *last_addr, uint32_t *last_data)
{
    unsigned n;

    g_mutex_lock(&vm->lock);
    n = vm->msi_signals;
    if (last_addr)
        *last_addr = vm->msi_last_addr;
    if (last_data)
        *last_data = vm->msi_last_data;
    g_mutex_unlock(&vm->lock);
    return n;
}

int
fake_host_irqfd_gsi(FakeHost *vm, int fd)
{
    int gsi = -1;

    g_mutex_lock(&vm->lock);
    for (guint i = 0; i < vm->irqfds->len; i++) {
        if (g_array_index(vm->irqfds, FakeIrqfd, i).fd == fd)
            gsi = (int)g_array_index(vm->irqfds, FakeIrqfd, i).gsi;
    }
    g_mutex_unlock(&vm->lock);
    return gsi;
}

int
fake_host_ioeventfd_fd(FakeHost *vm, uint64_t addr, DeviceSpace space)
{
    int fd = -1;

    g_mutex_lock(&vm->lock);
    for (guint i = 0; i < vm->ioeventfds->len; i++) {
        FakeIoeventfd *e = &g_array_index(vm->ioeventfds, FakeIoeventfd, i);

        if (e->addr == addr && e->space == space)
            fd = e->fd;
    }
    g_mutex_unlock(&vm->lock);
    return fd;
}

unsigned
fake_host_count_events(FakeHost *vm, const char *record)
{
    unsigned n = 0;

    g_mutex_lock(&vm->lock);
    for (guint i = 0; i < vm->events->len; i++)
        n += g_strcmp0(g_ptr_array_index(vm->events, i), record) == 0;
    g_mutex_unlock(&vm->lock);
    return n;
}

bool
fake_host_page_dirty(FakeHost *vm, uint64_t gpa)
{
    uint64_t page = gpa / FAKE_HOST_PAGE_SIZE;
    bool dirty;

    g_mutex_lock(&vm->lock);
    dirty = g_hash_table_contains(vm->dirty, &page);
    g_mutex_unlock(&vm->lock);
    return dirty;
}

unsigned
fake_host_dirty_count(FakeHost *vm)
{
    unsigned n;

    g_mutex_lock(&vm->lock);
    n = g_hash_table_size(vm->dirty);
    g_mutex_unlock(&vm->lock);
    return n;
}

void
fake_host_dirty_clear(FakeHost *vm)
{
    g_mutex_lock(&vm->lock);
    g_hash_table_remove_all(vm->dirty);
    g_mutex_unlock(&vm->lock);
}

void
fake_host_check_save_restore(VmmDevice *from, VmmDevice *to)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) s1 = from->ops->save(from, &error);
    g_autoptr(JsonNode) s2 = NULL;
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;

    g_assert_no_error(error);
    g_assert_nonnull(s1);
    /* Printed before the restore, which must not depend on keeping it. */
    a = json_to_string(s1, FALSE);
    g_assert_true(to->ops->restore(to, s1, &error));
    g_assert_no_error(error);
    s2 = to->ops->save(to, &error);
    g_assert_no_error(error);
    g_assert_nonnull(s2);
    b = json_to_string(s2, FALSE);
    g_assert_cmpstr(a, ==, b);
}

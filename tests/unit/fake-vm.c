/* SPDX-License-Identifier: Apache-2.0 */
/* A link-time fake of daemon/vm.h's "For devices" API, for device unit tests. */
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
    bool pio;
} FakeIoeventfd;

typedef struct {
    bool used;
    uint64_t addr;
    uint32_t data;
} FakeMsiRoute;

struct Vm {
    Bus *pio, *mmio;
    GMainContext *context;
    GuestMemory mem;
    uint32_t boot_vcpus;
    GPtrArray *devices;             /* VmmDevice*, realized */

    GMutex lock;                    /* everything below */
    bool level[FAKE_VM_MAX_GSI];
    unsigned raises[FAKE_VM_MAX_GSI];
    unsigned pulses[FAKE_VM_MAX_GSI];
    unsigned poweroffs, resets;
    bool alloc_fail;
    uint64_t mmio32_next, mmio64_next;
    uint32_t irq_next, msi_next;
    FakeMsiRoute msi[FAKE_VM_MAX_GSI];
    unsigned msi_signals;
    uint64_t msi_last_addr;
    uint32_t msi_last_data;
    GArray *irqfds;                 /* FakeIrqfd */
    GArray *ioeventfds;             /* FakeIoeventfd */
};

Vm *
fake_vm_new(uint64_t ram_size)
{
    Vm *vm = g_new0(Vm, 1);

    vm->pio = bus_new("pio");
    vm->mmio = bus_new("mmio");
    vm->context = g_main_context_new();
    vm->boot_vcpus = 1;
    vm->devices = g_ptr_array_new();
    g_mutex_init(&vm->lock);
    vm->mmio32_next = FAKE_VM_MMIO32_BASE;
    vm->mmio64_next = FAKE_VM_MMIO64_BASE;
    vm->irq_next = FAKE_VM_FIRST_IRQ;
    vm->msi_next = FAKE_VM_FIRST_MSI_GSI;
    vm->irqfds = g_array_new(FALSE, FALSE, sizeof(FakeIrqfd));
    vm->ioeventfds = g_array_new(FALSE, FALSE, sizeof(FakeIoeventfd));
    if (ram_size) {
        vm->mem.regions[0].gpa = 0;
        vm->mem.regions[0].size = ram_size;
        vm->mem.regions[0].hva = g_malloc0(ram_size);
        vm->mem.regions[0].fd = -1;
        vm->mem.nregions = 1;
        vm->mem.ram_size = ram_size;
    }
    return vm;
}

void
vm_free(Vm *vm)
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
    bus_free(vm->pio);
    bus_free(vm->mmio);
    /* Drain what sources left behind before dropping the context. */
    while (g_main_context_iteration(vm->context, FALSE))
        ;
    g_main_context_unref(vm->context);
    g_free(vm->mem.regions[0].hva);
    g_array_unref(vm->irqfds);
    g_array_unref(vm->ioeventfds);
    g_mutex_clear(&vm->lock);
    g_free(vm);
}

void
fake_vm_iterate(Vm *vm)
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
fake_vm_iterate_until(Vm *vm, bool (*cond)(gpointer), gpointer data,
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
fake_vm_pio_read(Vm *vm, uint16_t port, unsigned len)
{
    uint8_t buf[8];

    g_assert_cmpuint(len, <=, sizeof(buf));
    bus_read(vm->pio, port, buf, len);
    return vmm_le_load(buf, len);
}

void
fake_vm_pio_write(Vm *vm, uint16_t port, unsigned len, uint64_t value)
{
    uint8_t buf[8];

    g_assert_cmpuint(len, <=, sizeof(buf));
    vmm_le_store(buf, len, value);
    bus_write(vm->pio, port, buf, len);
}

uint8_t
fake_vm_inb(Vm *vm, uint16_t port)
{
    return (uint8_t)fake_vm_pio_read(vm, port, 1);
}

void
fake_vm_outb(Vm *vm, uint16_t port, uint8_t value)
{
    fake_vm_pio_write(vm, port, 1, value);
}

uint64_t
fake_vm_mmio_read(Vm *vm, uint64_t addr, unsigned len)
{
    uint8_t buf[8];

    g_assert_cmpuint(len, <=, sizeof(buf));
    bus_read(vm->mmio, addr, buf, len);
    return vmm_le_load(buf, len);
}

void
fake_vm_mmio_write(Vm *vm, uint64_t addr, unsigned len, uint64_t value)
{
    uint8_t buf[8];

    g_assert_cmpuint(len, <=, sizeof(buf));
    vmm_le_store(buf, len, value);
    bus_write(vm->mmio, addr, buf, len);
}

GuestMemory *
fake_vm_get_memory(Vm *vm)
{
    return &vm->mem;
}

void
fake_vm_set_boot_vcpus(Vm *vm, uint32_t n)
{
    vm->boot_vcpus = n;
}

/* ---- the device-facing API (daemon/vm.h) ---------------------------------- */

Bus *
vm_pio_bus(Vm *vm)
{
    return vm->pio;
}

Bus *
vm_mmio_bus(Vm *vm)
{
    return vm->mmio;
}

const GuestMemory *
vm_memory(Vm *vm)
{
    return &vm->mem;
}

GMainContext *
vm_main_context(Vm *vm)
{
    return vm->context;
}

uint32_t
vm_boot_vcpus(Vm *vm)
{
    return vm->boot_vcpus;
}

bool
vm_add_device(Vm *vm, VmmDevice *dev, GError **error)
{
    if (vm_find_device(vm, dev->id)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "device id '%s' already in use", dev->id);
        vmm_device_free(dev);
        return false;
    }
    if (dev->ops->realize && !dev->ops->realize(dev, error)) {
        vmm_device_free(dev);
        return false;
    }
    g_ptr_array_add(vm->devices, dev);
    return true;
}

VmmDevice *
vm_find_device(Vm *vm, const char *id)
{
    for (guint i = 0; i < vm->devices->len; i++) {
        VmmDevice *dev = g_ptr_array_index(vm->devices, i);

        if (g_strcmp0(dev->id, id) == 0)
            return dev;
    }
    return NULL;
}

void
vm_request_poweroff(Vm *vm)
{
    g_mutex_lock(&vm->lock);
    vm->poweroffs++;
    g_mutex_unlock(&vm->lock);
}

void
vm_request_reset(Vm *vm)
{
    g_mutex_lock(&vm->lock);
    vm->resets++;
    g_mutex_unlock(&vm->lock);
}

int
vm_irq_set(Vm *vm, uint32_t gsi, bool level)
{
    if (gsi >= FAKE_VM_MAX_GSI)
        return -EINVAL;
    g_mutex_lock(&vm->lock);
    if (level && !vm->level[gsi])
        vm->raises[gsi]++;
    vm->level[gsi] = level;
    g_mutex_unlock(&vm->lock);
    return 0;
}

int
vm_irq_pulse(Vm *vm, uint32_t gsi)
{
    if (gsi >= FAKE_VM_MAX_GSI)
        return -EINVAL;
    g_mutex_lock(&vm->lock);
    vm->pulses[gsi]++;
    g_mutex_unlock(&vm->lock);
    return 0;
}

int
vm_msi_alloc(Vm *vm, uint32_t *gsi)
{
    int r = 0;

    g_mutex_lock(&vm->lock);
    if (vm->alloc_fail || vm->msi_next >= FAKE_VM_MAX_GSI) {
        r = -ENOSPC;
    } else {
        *gsi = vm->msi_next++;
        vm->msi[*gsi].used = true;
    }
    g_mutex_unlock(&vm->lock);
    return r;
}

int
vm_msi_update(Vm *vm, uint32_t gsi, uint64_t addr, uint32_t data)
{
    int r = 0;

    g_mutex_lock(&vm->lock);
    if (gsi >= FAKE_VM_MAX_GSI || !vm->msi[gsi].used) {
        r = -EINVAL;
    } else {
        vm->msi[gsi].addr = addr;
        vm->msi[gsi].data = data;
    }
    g_mutex_unlock(&vm->lock);
    return r;
}

void
vm_msi_free(Vm *vm, uint32_t gsi)
{
    g_mutex_lock(&vm->lock);
    if (gsi < FAKE_VM_MAX_GSI)
        memset(&vm->msi[gsi], 0, sizeof(vm->msi[gsi]));
    g_mutex_unlock(&vm->lock);
}

int
vm_signal_msi(Vm *vm, uint64_t addr, uint32_t data)
{
    g_mutex_lock(&vm->lock);
    vm->msi_signals++;
    vm->msi_last_addr = addr;
    vm->msi_last_data = data;
    g_mutex_unlock(&vm->lock);
    return 0;
}

int
vm_irqfd(Vm *vm, int fd, uint32_t gsi, bool assign)
{
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

int
vm_ioeventfd(Vm *vm, int fd, uint64_t addr, uint32_t len, bool pio,
             bool assign)
{
    int r = assign ? 0 : -ENOENT;

    g_mutex_lock(&vm->lock);
    for (guint i = 0; i < vm->ioeventfds->len; i++) {
        FakeIoeventfd *e = &g_array_index(vm->ioeventfds, FakeIoeventfd, i);

        if (e->addr == addr && e->pio == pio) {
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
        FakeIoeventfd e = { .fd = fd, .addr = addr, .len = len, .pio = pio };

        g_array_append_val(vm->ioeventfds, e);
    }
    g_mutex_unlock(&vm->lock);
    return r;
}

static bool
fake_vm_alloc(Vm *vm, uint64_t *next, uint64_t limit, uint64_t size,
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

bool
vm_alloc_mmio32(Vm *vm, uint64_t size, uint64_t align, uint64_t *addr,
                GError **error)
{
    return fake_vm_alloc(vm, &vm->mmio32_next,
                         FAKE_VM_MMIO32_BASE + FAKE_VM_MMIO32_SIZE, size, align,
                         addr, error);
}

bool
vm_alloc_mmio64(Vm *vm, uint64_t size, uint64_t align, uint64_t *addr,
                GError **error)
{
    return fake_vm_alloc(vm, &vm->mmio64_next, G_MAXUINT64, size, align, addr,
                         error);
}

bool
vm_alloc_irq(Vm *vm, uint32_t *gsi, GError **error)
{
    bool ok = false;

    g_mutex_lock(&vm->lock);
    if (!vm->alloc_fail && vm->irq_next <= FAKE_VM_LAST_IRQ) {
        *gsi = vm->irq_next++;
        ok = true;
    }
    g_mutex_unlock(&vm->lock);
    if (!ok)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "no free IOAPIC pin left");
    return ok;
}

/* ---- recorders ------------------------------------------------------------ */

bool
fake_vm_irq_level(Vm *vm, uint32_t gsi)
{
    bool v;

    g_assert_cmpuint(gsi, <, FAKE_VM_MAX_GSI);
    g_mutex_lock(&vm->lock);
    v = vm->level[gsi];
    g_mutex_unlock(&vm->lock);
    return v;
}

unsigned
fake_vm_irq_raises(Vm *vm, uint32_t gsi)
{
    unsigned v;

    g_assert_cmpuint(gsi, <, FAKE_VM_MAX_GSI);
    g_mutex_lock(&vm->lock);
    v = vm->raises[gsi];
    g_mutex_unlock(&vm->lock);
    return v;
}

unsigned
fake_vm_irq_pulses(Vm *vm, uint32_t gsi)
{
    unsigned v;

    g_assert_cmpuint(gsi, <, FAKE_VM_MAX_GSI);
    g_mutex_lock(&vm->lock);
    v = vm->pulses[gsi];
    g_mutex_unlock(&vm->lock);
    return v;
}

void
fake_vm_irq_reset_counts(Vm *vm)
{
    g_mutex_lock(&vm->lock);
    memset(vm->raises, 0, sizeof(vm->raises));
    memset(vm->pulses, 0, sizeof(vm->pulses));
    g_mutex_unlock(&vm->lock);
}

unsigned
fake_vm_poweroff_requests(Vm *vm)
{
    unsigned v;

    g_mutex_lock(&vm->lock);
    v = vm->poweroffs;
    g_mutex_unlock(&vm->lock);
    return v;
}

unsigned
fake_vm_reset_requests(Vm *vm)
{
    unsigned v;

    g_mutex_lock(&vm->lock);
    v = vm->resets;
    g_mutex_unlock(&vm->lock);
    return v;
}

void
fake_vm_set_alloc_fail(Vm *vm, bool fail)
{
    g_mutex_lock(&vm->lock);
    vm->alloc_fail = fail;
    g_mutex_unlock(&vm->lock);
}

bool
fake_vm_msi_route(Vm *vm, uint32_t gsi, uint64_t *addr, uint32_t *data)
{
    bool used;

    g_mutex_lock(&vm->lock);
    used = gsi < FAKE_VM_MAX_GSI && vm->msi[gsi].used;
    if (used) {
        *addr = vm->msi[gsi].addr;
        *data = vm->msi[gsi].data;
    }
    g_mutex_unlock(&vm->lock);
    return used;
}

unsigned
fake_vm_msi_signals(Vm *vm, uint64_t *last_addr, uint32_t *last_data)
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
fake_vm_irqfd_gsi(Vm *vm, int fd)
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
fake_vm_ioeventfd_fd(Vm *vm, uint64_t addr, bool pio)
{
    int fd = -1;

    g_mutex_lock(&vm->lock);
    for (guint i = 0; i < vm->ioeventfds->len; i++) {
        FakeIoeventfd *e = &g_array_index(vm->ioeventfds, FakeIoeventfd, i);

        if (e->addr == addr && e->pio == pio)
            fd = e->fd;
    }
    g_mutex_unlock(&vm->lock);
    return fd;
}

void
fake_vm_check_save_restore(VmmDevice *from, VmmDevice *to)
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

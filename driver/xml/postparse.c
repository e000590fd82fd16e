/* SPDX-License-Identifier: Apache-2.0 */
/* Post-parse: the defaults libvirt fills in after parsing a domain. */
#include <config.h>

#include <string.h>

#include "driver/xml/domain-priv.h"

void
domain_mac_generate(unsigned char mac[6])
{
    /* 52:54:00 is the prefix libvirt and QEMU use for generated guest
     * MACs; the low three bytes are random. */
    guint32 r = g_random_int();

    mac[0] = 0x52;
    mac[1] = 0x54;
    mac[2] = 0x00;
    mac[3] = (r >> 16) & 0xff;
    mac[4] = (r >> 8) & 0xff;
    mac[5] = r & 0xff;
}

/* libvirt's virDiskNameToBus(): the bus a target name implies. */
static int
disk_bus_from_target(const char *dst)
{
    static const struct {
        const char *prefix;
        DomainDiskBus bus;
    } prefixes[] = {
        { "vd", DOMAIN_DISK_BUS_VIRTIO },
        { "sd", DOMAIN_DISK_BUS_SCSI },
        { "hd", DOMAIN_DISK_BUS_IDE },
        { "xvd", DOMAIN_DISK_BUS_XEN },
        { "ubd", DOMAIN_DISK_BUS_UML },
        { "fd", DOMAIN_DISK_BUS_FDC },
    };

    for (guint i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        if (g_str_has_prefix(dst, prefixes[i].prefix))
            return prefixes[i].bus;
    }
    return -1;
}

static void
postparse_disks(DomainDef *def)
{
    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_DISK); i++) {
        DomainDiskDef *disk = domain_def_device(def, DOMAIN_DEVICE_DISK, i);

        if (disk->bus < 0)
            disk->bus = disk_bus_from_target(disk->dst);
        /* An explicit format: nimbus must never probe a guest-writable
         * image for a qcow2 header (the classic backing-file escape). */
        if (!disk->driver_type)
            disk->driver_type = g_strdup("raw");
    }
}

static void
postparse_nets(DomainDef *def)
{
    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_NET); i++) {
        DomainNetDef *net = domain_def_device(def, DOMAIN_DEVICE_NET, i);

        if (!net->mac_set) {
            domain_mac_generate(net->mac);
            net->mac_set = true;
        }
        /* virtio-net is nimbus's only NIC model. */
        if (!net->model)
            net->model = g_strdup("virtio");
        /* nimbus's virtio-net has one ring size for both directions: a
         * size given for one direction only (nova writes rx_queue_size
         * alone) is the size of both, and the XML says so.  Two different
         * sizes are refused (validate.c). */
        if (net->rx_queue_size && !net->tx_queue_size)
            net->tx_queue_size = net->rx_queue_size;
        else if (net->tx_queue_size && !net->rx_queue_size)
            net->rx_queue_size = net->tx_queue_size;
    }
}

/* libvirt gives a character device without a port the highest port of its
 * kind plus one. */
static void
assign_chr_ports(DomainDef *def, DomainDeviceType t)
{
    guint n = domain_def_ndevices(def, t);

    for (guint i = 0; i < n; i++) {
        DomainChrDef *chr = domain_def_device(def, t, i);
        int max = -1;

        if (chr->target_port >= 0)
            continue;
        for (guint j = 0; j < n; j++) {
            DomainChrDef *other = domain_def_device(def, t, j);
            max = MAX(max, other->target_port);
        }
        chr->target_port = max + 1;
    }
}

static void
chr_copy_source(DomainChrDef *dst, const DomainChrDef *src)
{
    dst->type = src->type;
    g_free(dst->path);
    dst->path = g_strdup(src->path);
    dst->append = src->append;
    g_free(dst->log_file);
    dst->log_file = g_strdup(src->log_file);
    dst->log_append = src->log_append;
    dst->target_port = src->target_port;
}

/*
 * libvirt's console compatibility for hvm guests
 * (virDomainDefAddConsoleCompat): the first console, when its target is
 * 'serial' or unset, is an alias of serial port 0.  A console given without
 * any serial creates that serial; a serial whose alias is missing gets one,
 * inserted as the first console.  virt-install's "--console pty" therefore yields a pty
 * serial plus its console alias, which is what the guest's ttyS0 uses.
 */
static void
postparse_console_compat(DomainDef *def)
{
    DomainDefPriv *priv = def->priv;
    GPtrArray *serials = priv->devices[DOMAIN_DEVICE_SERIAL];
    GPtrArray *consoles = priv->devices[DOMAIN_DEVICE_CONSOLE];
    DomainChrDef *console = consoles->len ? g_ptr_array_index(consoles, 0)
                                          : NULL;

    if (console && (console->target_type == DOMAIN_CONSOLE_TARGET_NONE ||
                    console->target_type == DOMAIN_CONSOLE_TARGET_SERIAL)) {
        console->target_type = DOMAIN_CONSOLE_TARGET_SERIAL;
        if (serials->len == 0) {
            DomainChrDef *serial = g_new0(DomainChrDef, 1);

            chr_copy_source(serial, console);
            serial->target_type = DOMAIN_SERIAL_TARGET_NONE;
            serial->target_port = MAX(console->target_port, 0);
            g_ptr_array_add(serials, serial);
        }
        chr_copy_source(console, g_ptr_array_index(serials, 0));
    } else if (serials->len > 0) {
        /* No console, or the first one is a virtio console: the serial
         * still gets its alias, inserted first. */
        console = g_new0(DomainChrDef, 1);
        chr_copy_source(console, g_ptr_array_index(serials, 0));
        console->target_type = DOMAIN_CONSOLE_TARGET_SERIAL;
        g_ptr_array_insert(consoles, 0, console);
    }
}

/* The public view: what DOMAIN_OPEN_CONSOLE connects to. */
static void
sync_public_chr(DomainDef *def)
{
    DomainChrDef *serial = NULL;
    DomainChrDef *console = NULL;

    if (domain_def_ndevices(def, DOMAIN_DEVICE_SERIAL))
        serial = domain_def_device(def, DOMAIN_DEVICE_SERIAL, 0);
    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_CONSOLE);
         i++) {
        DomainChrDef *c = domain_def_device(def, DOMAIN_DEVICE_CONSOLE, i);

        if (c->target_type == DOMAIN_CONSOLE_TARGET_VIRTIO) {
            console = c;
            break;
        }
    }
    def->serial_type = serial ? serial->type : DOMAIN_CHR_NONE;
    g_free(def->serial_path);
    def->serial_path = serial ? g_strdup(serial->path) : NULL;
    def->console_type = console ? console->type : DOMAIN_CHR_NONE;
    g_free(def->console_path);
    def->console_path = console ? g_strdup(console->path) : NULL;
    g_free(def->serial_log);
    def->serial_log = serial ? g_strdup(serial->log_file) : NULL;
    def->serial_log_append = serial && serial->log_append == XML_TRISTATE_YES;
    g_free(def->console_log);
    def->console_log = console ? g_strdup(console->log_file) : NULL;
    def->console_log_append = console && console->log_append == XML_TRISTATE_YES;
}

static void
postparse_controllers(DomainDef *def)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_CONTROLLER);

    /* libvirt numbers controllers without an index per type, from the
     * highest index already used by that type.  A USB companion controller
     * (with <master>) shares the index of the EHCI controller before it. */
    for (guint i = 0; i < n; i++) {
        DomainControllerDef *c =
            domain_def_device(def, DOMAIN_DEVICE_CONTROLLER, i);
        int64_t max = -1;

        if (c->index >= 0)
            continue;
        if (c->master_startport >= 0) {
            c->index = 0;
            for (guint j = i; j-- > 0;) {
                DomainControllerDef *m =
                    domain_def_device(def, DOMAIN_DEVICE_CONTROLLER, j);

                if (m->type == c->type && m->master_startport < 0) {
                    c->index = m->index;
                    break;
                }
            }
            continue;
        }
        for (guint j = 0; j < n; j++) {
            DomainControllerDef *o =
                domain_def_device(def, DOMAIN_DEVICE_CONTROLLER, j);
            if (o->type == c->type)
                max = MAX(max, o->index);
        }
        c->index = max + 1;
    }
}

static bool
any_device_boot_order(const DomainDef *def)
{
    for (int t = 0; t < DOMAIN_DEVICE_LAST; t++) {
        const DomainDeviceClass *cls = domain_device_classes[t];

        for (guint i = 0; i < domain_def_ndevices(def, t); i++) {
            if (cls->info(domain_def_device(def, t, i))->boot_order)
                return true;
        }
    }
    return false;
}

bool
domain_def_postparse(DomainDef *def, GError **error)
{
    DomainDefPriv *priv = def->priv;

    if (!priv->has_uuid) {
        domain_uuid_generate(def->uuid);
        priv->has_uuid = true;
    }
    /* libvirt: no (or a zero) currentMemory means all of <memory>. */
    if (def->current_memory_kib == 0)
        def->current_memory_kib = def->max_memory_kib;
    if (!priv->os.arch)
        priv->os.arch = g_strdup("x86_64");
    /* libvirt fills in the hypervisor's default machine type, the one its
     * capabilities list first for the guest; tools rely on seeing it
     * (cockpit-machines drops a domain whose XML names no machine, as it
     * cannot ask GetDomainCapabilities about it). */
    if (!priv->os.machine)
        priv->os.machine = g_strdup(DOMAIN_MACHINE_CANONICAL);
    /* libvirt boots hvm guests from 'hd' unless told otherwise; with a
     * direct kernel or PVH firmware the entry only documents intent. */
    if (priv->os.boot_devs->len == 0 && !any_device_boot_order(def)) {
        int hd = DOMAIN_BOOT_DISK;
        g_array_append_val(priv->os.boot_devs, hd);
    }
    postparse_disks(def);
    postparse_nets(def);
    assign_chr_ports(def, DOMAIN_DEVICE_SERIAL);
    postparse_console_compat(def);
    assign_chr_ports(def, DOMAIN_DEVICE_CONSOLE);
    sync_public_chr(def);
    postparse_controllers(def);
    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_RNG); i++) {
        DomainRngDef *rng = domain_def_device(def, DOMAIN_DEVICE_RNG, i);

        /* The non-blocking source libvirt recommends. */
        if (!rng->backend_path)
            rng->backend_path = g_strdup("/dev/urandom");
    }
    return true;
}

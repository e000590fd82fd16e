/* SPDX-License-Identifier: Apache-2.0 */
/* Recognises libvirt domain XML that nimbus cannot run: CONFIG_UNSUPPORTED. */
#include <config.h>

#include <string.h>

#include "driver/xml/domain-priv.h"

/*
 * This pass runs before the RelaxNG schema.  The schema describes only what
 * nimbus runs, so without this pass a <graphics> device or a disk of type
 * 'block' would fail as a generic schema violation.  Here they are named:
 * "unsupported configuration: device 'graphics' is not supported by nimbus".
 * Element names nobody knows (typos) are left to the schema, which reports
 * them as XML errors with their path.
 */

/* libvirt elements of <domain> that nimbus does not implement. */
static const char *const unsupported_domain_children[] = {
    "genid", "blkiotune", "memtune", "vcpus",
    "iothreads", "iothreadids", "defaultiothread",
    "resource", "bootloader", "bootloader_args", "idmap", "perf",
    "keywrap", "launchSecurity", "seclabel", "throttlegroups", NULL,
};

/* libvirt device elements other than the ones nimbus provides. */
static const char *const unsupported_devices[] = {
    "lease", "input", "sound", "audio", "hostdev", "graphics",
    "video", "hub", "redirdev", "redirfilter", "smartcard", "parallel",
    "channel", "nvram",
    "crypto", "pstore", NULL,
};

/* libvirt <os> children nimbus has no use for (firmware variables, DTBs,
 * SMBIOS, container init...). */
static const char *const unsupported_os_children[] = {
    "nvram", "dtb", "acpi", "bios", "bootmenu", "init", "initarg",
    "initenv", "initdir", "inituser", "initgroup", NULL,
};

static const char *const unsupported_cpu_children[] = {
    "model", "vendor", "feature", "cache", "maxphysaddr", NULL,
};

/* An attribute of a supported element restricted to some values. */
typedef struct {
    const char *element;        /* device element name */
    const char *attr;
    const char *what;           /* "disk type" */
    const char *const *allowed; /* NULL-terminated */
    bool absent_ok;             /* libvirt's default is an allowed value */
    const char *hint;
} TypeRule;

static const char *const disk_types[] = { "file", "volume", "vhostuser",
                                          NULL };
static const char *const disk_only[] = { "disk", NULL };
static const char *const net_types[] = { "ethernet", "bridge", "network",
                                         "vhostuser", NULL };
static const char *const pty_file[] = { "pty", "file", NULL };
static const char *const usb_pci[] = { "usb", "pci", NULL };
static const char *const virtio_only[] = { "virtio", NULL };
static const char *const pvpanic_only[] = { "pvpanic", NULL };
static const char *const tpm_crb_only[] = { "tpm-crb", NULL };
static const char *const memory_models[] = { "dimm", "virtio-mem",
                                             "virtio-pmem", NULL };
static const char *const i6300esb_only[] = { "i6300esb", NULL };

static const TypeRule device_rules[] = {
    { "disk", "type", "disk type", disk_types, true,
      "use type='file', type='volume' of a libvirt pool, or type='vhostuser'" },
    { "disk", "device", "disk device", disk_only, true,
      "only device='disk'" },
    { "interface", "type", "interface type", net_types, false,
      "use 'ethernet', 'bridge', 'network' or 'vhostuser'" },
    { "serial", "type", "serial type", pty_file, true,
      "use 'pty' or 'file'" },
    { "console", "type", "console type", pty_file, true,
      "use 'pty' or 'file'" },
    { "controller", "type", "controller type", usb_pci, false,
      "only 'usb' and 'pci' controllers are accepted" },
    { "vsock", "model", "vsock model", virtio_only, true,
      "use model='virtio'" },
    /* A missing model is libvirt's 'isa' on x86. */
    { "panic", "model", "panic model", pvpanic_only, false,
      "use model='pvpanic', a PCI device" },
    /* A missing model is libvirt's 'tpm-tis' on x86. */
    { "tpm", "model", "tpm model", tpm_crb_only, false,
      "use model='tpm-crb': nimbus's TPM 2.0 has the CRB interface only" },
    /* nvdimm needs an NFIT and sgx-epc SGX: nimbus has neither. */
    { "memory", "model", "memory device model", memory_models, false,
      "use 'dimm', 'virtio-mem' or 'virtio-pmem'" },
    { "watchdog", "model", "watchdog model", i6300esb_only, false,
      "use model='i6300esb', the PCI watchdog nimbus emulates" },
    /* intel (VT-d), smmuv3 and amd are machine IOMMUs nimbus lacks. */
    { "iommu", "model", "iommu model", virtio_only, false,
      "use model='virtio', nimbus's virtio-iommu" },
};

/* libvirt's <iommu><driver> options that virtio-iommu does not have, or
 * CH's config cannot set (aw_bits is iommu.c's). */
static const char *const iommu_driver_unsupported[] = {
    "intremap", "caching_mode", "eim", "iotlb", "dma_translation", "xtsup",
    "pt", "granule", "pasid", "svm", NULL,
};

/* The devices whose <driver iommu='on'/> nimbus honours: the virtio
 * devices whose every guest-memory access the VMM translates. */
static const char *const iommu_capable[] = { "disk", "interface", "rng",
                                             "vsock", NULL };

static bool
str_in(const char *s, const char *const *list)
{
    for (; *list; list++) {
        if (strcmp(s, *list) == 0)
            return true;
    }
    return false;
}

static bool
unsupported_element(xmlNodePtr n, const char *what, const char *const *list,
                    GError **error)
{
    if (n->ns && n->ns->href) {
        /* e.g. <qemu:commandline>: another driver's extension. */
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "%s '%s' in namespace '%s' is not supported by nimbus",
                      what, (const char *)n->name, (const char *)n->ns->href);
        return false;
    }
    if (str_in((const char *)n->name, list)) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "%s '%s' is not supported by nimbus", what,
                      (const char *)n->name);
        return false;
    }
    return true;
}

static bool
check_iommu(xmlNodePtr dev, GError **error)
{
    xmlNodePtr drv = xml_child(dev, "driver");
    g_autofree char *iommu = drv ? xml_prop(drv, "iommu") : NULL;

    if (xml_is_element(dev, "iommu")) {
        for (const char *const *a = iommu_driver_unsupported; drv && *a; a++) {
            if (xmlHasProp(drv, (const xmlChar *)*a)) {
                drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                              "iommu driver attribute '%s' is not supported by nimbus (its virtio-iommu has only aw_bits)",
                              *a);
                return false;
            }
        }
        /* CH's config has no slot for the IOMMU: the VMM places it. */
        if (xml_child(dev, "address")) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "iommu <address> is not supported by nimbus (the VMM chooses the virtio-iommu's PCI slot)");
            return false;
        }
        return true;
    }
    if (iommu && g_str_equal(iommu, "on") &&
        !str_in((const char *)dev->name, iommu_capable)) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "<%s> with <driver iommu='on'/> is not supported by nimbus (only virtio disks, interfaces, rngs and vsocks can be translated by its virtio-iommu)",
                      (const char *)dev->name);
        return false;
    }
    return true;
}

static bool
check_device(xmlNodePtr dev, GError **error)
{
    if (!unsupported_element(dev, "device", unsupported_devices, error))
        return false;
    for (guint i = 0; i < G_N_ELEMENTS(device_rules); i++) {
        const TypeRule *r = &device_rules[i];
        g_autofree char *v = NULL;

        if (!xml_is_element(dev, r->element))
            continue;
        v = xml_prop(dev, r->attr);
        if (v ? str_in(v, r->allowed) : r->absent_ok)
            continue;
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "%s '%s' is not supported by nimbus (%s)", r->what,
                      v ? v : "", r->hint);
        return false;
    }
    if (!check_iommu(dev, error))
        return false;
    if (xml_is_element(dev, "interface")) {
        xmlNodePtr drv = xml_child(dev, "driver");
        g_autofree char *name = drv ? xml_prop(drv, "name") : NULL;

        if (name) {
            /* nova writes name='vhost' for virtio NICs on KVM. */
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "interface driver name '%s' is not supported by nimbus (its virtio-net backend runs in the VMM, without vhost-net: remove name=, keep queues/rx_queue_size/tx_queue_size)",
                          name);
            return false;
        }
    }
    if (xml_is_element(dev, "rng")) {
        xmlNodePtr backend = xml_child(dev, "backend");
        g_autofree char *model = backend ? xml_prop(backend, "model") : NULL;

        if (model && strcmp(model, "random") != 0) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "rng backend '%s' is not supported by nimbus (use <backend model='random'>/dev/urandom</backend>)",
                          model);
            return false;
        }
    }
    return true;
}

static bool
check_os(xmlNodePtr os, GError **error)
{
    g_autofree char *firmware = xml_prop(os, "firmware");
    xmlNodePtr type = xml_child(os, "type");

    if (firmware) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "os firmware '%s' (automatic firmware selection) is not supported by nimbus (give <kernel> or a PVH <loader>)",
                      firmware);
        return false;
    }
    if (type) {
        g_autofree char *text = g_strstrip(xml_text(type));
        g_autofree char *arch = xml_prop(type, "arch");

        if (strcmp(text, "hvm") != 0) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "os type '%s' is not supported by nimbus (use 'hvm')",
                          text);
            return false;
        }
        if (arch && strcmp(arch, "x86_64") != 0) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "os arch '%s' is not supported by nimbus (use 'x86_64')",
                          arch);
            return false;
        }
    }
    for (xmlNodePtr n = os->children; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE &&
            !unsupported_element(n, "os element", unsupported_os_children,
                                 error))
            return false;
    }
    if (xml_child(os, "smbios")) {
        g_autofree char *mode = xml_prop(xml_child(os, "smbios"), "mode");

        if (mode && strcmp(mode, "host") == 0) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "smbios mode 'host' is not supported by nimbus (use "
                          "'sysinfo' with a <sysinfo> element)");
            return false;
        }
    }
    return true;
}

static bool
check_child(xmlNodePtr n, GError **error)
{
    static const char *const features[] = { "acpi", "apic", "pae", "vmcoreinfo",
                                            NULL };

    if (!unsupported_element(n, "element", unsupported_domain_children, error))
        return false;
    if (xml_is_element(n, "os"))
        return check_os(n, error);
    if (xml_is_element(n, "cputune"))
        return domain_cputune_check_unsupported(n, error);
    if (xml_is_element(n, "sysinfo"))
        return domain_sysinfo_check_unsupported(n, error);
    if (xml_is_element(n, "vcpu") && xmlHasProp(n, (const xmlChar *)"cpuset")) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "vcpu cpuset (host CPU pinning) is not supported by nimbus");
        return false;
    }
    if (xml_is_element(n, "features")) {
        for (xmlNodePtr f = n->children; f; f = f->next) {
            if (f->type == XML_ELEMENT_NODE &&
                !str_in((const char *)f->name, features)) {
                drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                              "feature '%s' is not supported by nimbus",
                              (const char *)f->name);
                return false;
            }
        }
    }
    if (xml_is_element(n, "cpu")) {
        for (xmlNodePtr c = n->children; c; c = c->next) {
            if (c->type == XML_ELEMENT_NODE &&
                !unsupported_element(c, "cpu element",
                                     unsupported_cpu_children, error))
                return false;
        }
    }
    if (xml_is_element(n, "clock")) {
        g_autofree char *offset = xml_prop(n, "offset");

        if (offset && strcmp(offset, "utc") != 0 &&
            strcmp(offset, "localtime") != 0) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "clock offset '%s' is not supported by nimbus (use 'utc' or 'localtime')",
                          offset);
            return false;
        }
    }
    if (xml_is_element(n, "devices")) {
        for (xmlNodePtr d = n->children; d; d = d->next) {
            if (d->type == XML_ELEMENT_NODE && !check_device(d, error))
                return false;
        }
    }
    return true;
}

bool
domain_xml_check_unsupported(xmlNodePtr root, GError **error)
{
    static const char *const virt_types[] = { "kvm", "ch", NULL };
    g_autofree char *type = xml_prop(root, "type");

    if (type && !str_in(type, virt_types)) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "domain type '%s' is not supported by nimbus (use 'kvm')",
                      type);
        return false;
    }
    for (xmlNodePtr n = root->children; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && !check_child(n, error))
            return false;
    }
    return true;
}

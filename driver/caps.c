/* SPDX-License-Identifier: Apache-2.0 */
/* Capabilities and domain capabilities XML, max vCPUs (libvirt's formats). */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "common/fd-util.h"
#include "driver/caps.h"
#include "driver/xml/domain-conf.h"

/* Cloud Hypervisor's vCPU limit on KVM x86_64 (reference §1, --cpus), which
 * nimbus keeps; KVM's own limit is usually lower. */
#define DRV_NIMBUS_MAX_VCPUS 8192

bool
drv_max_vcpus(const char *type, int *max, GError **error)
{
    g_autofd_t fd = -1;
    int n;

    if (type && g_ascii_strcasecmp(type, "kvm") != 0 &&
        g_ascii_strcasecmp(type, "ch") != 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "unknown virtualization type '%s'", type);
        return false;
    }
    *max = DRV_NIMBUS_MAX_VCPUS;
    fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        /* KVM documents KVM_CAP_MAX_VCPUS as the per-VM maximum; 0 means
         * "use KVM_CAP_NR_VCPUS". */
        n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
        if (n <= 0)
            n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
        if (n > 0)
            *max = MIN(n, DRV_NIMBUS_MAX_VCPUS);
    }
    return true;
}

/* A stable host uuid: the SMBIOS one (root only), else machine-id. */
static char *
drv_host_uuid(void)
{
    g_autofree char *text = NULL;

    if (g_file_get_contents("/sys/class/dmi/id/product_uuid", &text, NULL, NULL))
        return g_ascii_strdown(g_strstrip(text), -1);
    if (g_file_get_contents("/etc/machine-id", &text, NULL, NULL) &&
        strlen(g_strstrip(text)) == 32) {
        return g_strdup_printf("%.8s-%.4s-%.4s-%.4s-%.12s", text, text + 8,
                               text + 12, text + 16, text + 20);
    }
    return NULL;
}

static void
drv_caps_host_cpu(GString *x, const DrvNodeInfo *node)
{
    long page_kib = sysconf(_SC_PAGESIZE) / 1024;

    g_string_append(x, "    <cpu>\n");
    g_string_append_printf(x, "      <arch>%s</arch>\n", node->model);
    /* No <model>: libvirt names it from its CPU map (e.g. "Skylake-Client"),
     * which nimbusd does not have; guests use host-passthrough. */
    if (node->vendor) {
        g_autofree char *v = g_markup_escape_text(node->vendor, -1);

        g_string_append_printf(x, "      <vendor>%s</vendor>\n", v);
    }
    g_string_append_printf(x, "      <topology sockets='%d' dies='1' cores='%d' threads='%d'/>\n",
                           node->sockets * node->nodes, node->cores, node->threads);
    g_string_append_printf(x, "      <pages unit='KiB' size='%ld'/>\n", page_kib);
    if (g_file_test("/sys/kernel/mm/hugepages/hugepages-2048kB", G_FILE_TEST_IS_DIR))
        g_string_append(x, "      <pages unit='KiB' size='2048'/>\n");
    if (g_file_test("/sys/kernel/mm/hugepages/hugepages-1048576kB", G_FILE_TEST_IS_DIR))
        g_string_append(x, "      <pages unit='KiB' size='1048576'/>\n");
    g_string_append(x, "    </cpu>\n");
}

static void
drv_caps_topology(GString *x, const DrvNodeInfo *node)
{
    g_string_append(x, "    <topology>\n");
    g_string_append_printf(x, "      <cells num='%u'>\n", node->cells->len);
    for (guint c = 0; c < node->cells->len; c++) {
        const DrvNumaCell *cell = g_ptr_array_index(node->cells, c);

        g_string_append_printf(x, "        <cell id='%d'>\n", cell->id);
        g_string_append_printf(x, "          <memory unit='KiB'>%" G_GUINT64_FORMAT "</memory>\n",
                               cell->memory_kib);
        g_string_append_printf(x, "          <cpus num='%u'>\n", cell->cpus->len);
        for (guint i = 0; i < cell->cpus->len; i++) {
            const DrvHostCpu *cpu = g_ptr_array_index(cell->cpus, i);

            g_string_append_printf(x, "            <cpu id='%d' socket_id='%d' die_id='%d'"
                                   " core_id='%d' siblings='%s'/>\n",
                                   cpu->id, cpu->socket_id, cpu->die_id,
                                   cpu->core_id, cpu->siblings);
        }
        g_string_append(x, "          </cpus>\n");
        g_string_append(x, "        </cell>\n");
    }
    g_string_append(x, "      </cells>\n");
    g_string_append(x, "    </topology>\n");
}

char *
drv_caps_format(const DrvConfig *cfg, const DrvNodeInfo *node)
{
    GString *x = g_string_new("<capabilities>\n\n");
    g_autofree char *uuid = drv_host_uuid();
    g_autofree char *emulator = g_markup_escape_text(cfg->nimbus_binary ?
                                                     cfg->nimbus_binary : "nimbus", -1);
    int max = DRV_NIMBUS_MAX_VCPUS;

    drv_max_vcpus(NULL, &max, NULL);
    g_string_append(x, "  <host>\n");
    if (uuid)
        g_string_append_printf(x, "    <uuid>%s</uuid>\n", uuid);
    drv_caps_host_cpu(x, node);
    g_string_append(x, "    <power_management/>\n");
    g_string_append(x, "    <iommu support='no'/>\n");
    drv_caps_topology(x, node);
    g_string_append(x, "  </host>\n\n");

    /* nimbus runs 64-bit x86 guests on KVM only; <domain type='kvm'> is
     * what virtinst and nova look for (libvirt's ch driver does the same). */
    g_string_append(x, "  <guest>\n");
    g_string_append(x, "    <os_type>hvm</os_type>\n");
    g_string_append_printf(x, "    <arch name='%s'>\n", node->model);
    g_string_append(x, "      <wordsize>64</wordsize>\n");
    g_string_append_printf(x, "      <emulator>%s</emulator>\n", emulator);
    /* nimbus's one platform, and the QEMU names tools ask for mapped to
     * it (canonical=, as libvirt lists 'pc' -> 'pc-i440fx-7.2'): nova
     * refuses to define a guest whose machine type is not listed. */
    g_string_append_printf(x, "      <machine maxCpus='%d'>%s</machine>\n",
                           max, DOMAIN_MACHINE_CANONICAL);
    for (const char *const *a = domain_os_machine_aliases(); *a; a++) {
        g_string_append_printf(x, "      <machine canonical='%s' maxCpus='%d'>%s</machine>\n",
                               DOMAIN_MACHINE_CANONICAL, max, *a);
    }
    g_string_append(x, "      <domain type='kvm'/>\n");
    g_string_append(x, "    </arch>\n");
    g_string_append(x, "    <features>\n");
    g_string_append(x, "      <acpi default='on' toggle='no'/>\n");
    g_string_append(x, "      <apic default='on' toggle='no'/>\n");
    g_string_append(x, "    </features>\n");
    g_string_append(x, "  </guest>\n\n");
    g_string_append(x, "</capabilities>\n");
    return g_string_free(x, FALSE);
}

char *
drv_domcaps_format(const DrvConfig *cfg, const char *emulatorbin,
                   const char *arch, const char *machine, const char *virttype,
                   unsigned int flags, GError **error)
{
    struct utsname uts;
    const char *emu = cfg->nimbus_binary ? cfg->nimbus_binary : "nimbus";
    g_autofree char *emu_x = g_markup_escape_text(emu, -1);
    GString *x;
    int max = 0;

    uname(&uts);
    if (!drv_check_flags(flags, 0, "virConnectGetDomainCapabilities", error))
        return NULL;
    if (virttype && g_ascii_strcasecmp(virttype, "kvm") != 0 &&
        g_ascii_strcasecmp(virttype, "ch") != 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                    "virttype '%s' is not supported, only 'kvm'", virttype);
        return NULL;
    }
    if (arch && strcmp(arch, uts.machine) != 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                    "architecture '%s' is not supported, only '%s'", arch,
                    uts.machine);
        return NULL;
    }
    /* nimbus has one machine type; 'q35' and 'pc' are its aliases. */
    if (machine && *machine && !domain_os_machine_canonical(machine)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                    "machine type '%s' is not supported (use '%s', 'q35' or 'pc')",
                    machine, DOMAIN_MACHINE_CANONICAL);
        return NULL;
    }
    if (emulatorbin && strcmp(emulatorbin, emu) != 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                    "emulator '%s' is not supported, only '%s'", emulatorbin, emu);
        return NULL;
    }
    if (!drv_max_vcpus(NULL, &max, error))
        return NULL;

    x = g_string_new("<domainCapabilities>\n");
    g_string_append_printf(x, "  <path>%s</path>\n", emu_x);
    g_string_append(x, "  <domain>kvm</domain>\n");
    g_string_append_printf(x, "  <machine>%s</machine>\n", DOMAIN_MACHINE_CANONICAL);
    g_string_append_printf(x, "  <arch>%s</arch>\n", uts.machine);
    g_string_append_printf(x, "  <vcpu max='%d'/>\n", max);
    g_string_append(x, "  <iothreads supported='no'/>\n");
    /* Direct kernel boot, or a PVH firmware image as <loader>. */
    g_string_append(x,
        "  <os supported='yes'>\n"
        "    <loader supported='yes'>\n"
        "      <enum name='type'>\n"
        "        <value>rom</value>\n"
        "      </enum>\n"
        "      <enum name='readonly'>\n"
        "        <value>yes</value>\n"
        "      </enum>\n"
        "      <enum name='secure'>\n"
        "        <value>no</value>\n"
        "      </enum>\n"
        "    </loader>\n"
        "  </os>\n"
        "  <cpu>\n"
        "    <mode name='host-passthrough' supported='yes'>\n"
        "      <enum name='hostPassthroughMigratable'>\n"
        "        <value>off</value>\n"
        "      </enum>\n"
        "    </mode>\n"
        "    <mode name='maximum' supported='no'/>\n"
        "    <mode name='host-model' supported='no'/>\n"
        "    <mode name='custom' supported='no'/>\n"
        "  </cpu>\n"
        /* driver/xml/memory-backing.c: no file-backed RAM. */
        "  <memoryBacking supported='yes'>\n"
        "    <enum name='sourceType'>\n"
        "      <value>anonymous</value>\n"
        "      <value>memfd</value>\n"
        "    </enum>\n"
        "  </memoryBacking>\n"
        "  <devices>\n"
        "    <disk supported='yes'>\n"
        "      <enum name='diskDevice'>\n"
        "        <value>disk</value>\n"
        "      </enum>\n"
        "      <enum name='bus'>\n"
        "        <value>virtio</value>\n"
        "      </enum>\n"
        "    </disk>\n"
        "    <graphics supported='no'/>\n"
        "    <video supported='no'/>\n"
        "    <hostdev supported='no'/>\n"
        "    <rng supported='yes'>\n"
        "      <enum name='model'>\n"
        "        <value>virtio</value>\n"
        "      </enum>\n"
        "      <enum name='backendModel'>\n"
        "        <value>random</value>\n"
        "      </enum>\n"
        "    </rng>\n"
        "    <filesystem supported='yes'>\n"
        "      <enum name='driverType'>\n"
        "        <value>virtiofs</value>\n"
        "      </enum>\n"
        "    </filesystem>\n"
        "    <tpm supported='yes'>\n"
        "      <enum name='model'>\n"
        "        <value>tpm-crb</value>\n"
        "      </enum>\n"
        "      <enum name='backendModel'>\n"
        "        <value>emulator</value>\n"
        "      </enum>\n"
        "      <enum name='backendVersion'>\n"
        "        <value>2.0</value>\n"
        "      </enum>\n"
        "    </tpm>\n"
        "    <redirdev supported='no'/>\n"
        "    <channel supported='no'/>\n"
        "    <crypto supported='no'/>\n"
        "  </devices>\n"
        "  <features>\n"
        "    <gic supported='no'/>\n"
        "    <vmcoreinfo supported='no'/>\n"
        "    <genid supported='no'/>\n"
        "    <backup supported='no'/>\n"
        "    <sev supported='no'/>\n"
        "    <sgx supported='no'/>\n"
        "  </features>\n"
        "</domainCapabilities>\n");
    return g_string_free(x, FALSE);
}

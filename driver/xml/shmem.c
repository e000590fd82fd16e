/* SPDX-License-Identifier: Apache-2.0 */
/* <shmem model='ivshmem-plain'>: nimbus's ivshmem device on a /dev/shm file. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/vm-config-kind.h"
#include "driver/xml/domain-priv.h"

/*
 * <shmem name='NAME'><model type='ivshmem-plain'/><size unit='M'>4</size>
 * </shmem> is what libvirt's QEMU driver turns into an ivshmem-plain
 * device on a memory-backend-file with mem-path=/dev/shm/NAME, share=on;
 * nimbusd gives nimbus --ivshmem path=/dev/shm/NAME,size=... (CH has one
 * ivshmem device: validate.c allows one <shmem>).  QEMU creates that file
 * (and grows it to the size) when it starts; nimbus, like CH, only opens
 * an existing one, so nimbusd does QEMU's part at each start
 * (domain_def_shmem_prepare()).  The file outlives the domain, as with
 * QEMU: other guests or host programs share it.
 *
 * Refused by name: ivshmem-doorbell and the legacy 'ivshmem' model,
 * <server> and <msi> (interrupts between peers need an ivshmem server
 * nimbus does not speak), and role= (master/peer decide what migration
 * does with the memory; nimbus migrates the device without it, so
 * neither can be honoured).  libvirt writes <size> in MiB, so sizes are
 * whole MiB (at least 1, as libvirt's QEMU driver requires); the VMM's
 * rule (a power of two) is checked at define through vm_config_validate().
 */

#define SHMEM_DIR "/dev/shm"
#define MIB (1024ULL * 1024)

void
domain_shmem_def_free(DomainShmemDef *shmem)
{
    if (!shmem)
        return;
    domain_device_info_clear(&shmem->info);
    g_free(shmem->name);
    g_free(shmem);
}

/* A name is a file name in /dev/shm. */
static bool
shmem_name_ok(const char *name)
{
    return *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0;
}

static bool
shmem_parse_size(xmlNodePtr node, uint64_t *size, GError **error)
{
    g_autofree char *text = xml_text(node);
    g_autofree char *unit = xml_prop(node, "unit");
    const char *why = NULL;
    uint64_t kib;

    /* libvirt reads a <size> without a unit as bytes. */
    if (!xml_scale_to_kib(text, unit ? unit : "b", G_MAXINT64 / 1024, &kib,
                          &why)) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "shmem: invalid <size> '%s': %s", g_strstrip(text),
                      why);
        return false;
    }
    if (kib % 1024 || kib == 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "shmem size must be a whole number of MiB, at least "
                      "1 MiB, got %" G_GUINT64_FORMAT " KiB", kib);
        return false;
    }
    *size = kib * 1024;
    return true;
}

static gpointer
domain_shmem_parse(xmlNodePtr node, const DomainParseCtx *ctx,
                   GError **error)
{
    g_autoptr(DomainShmemDef) s = g_new0(DomainShmemDef, 1);
    g_autofree char *role = xml_prop(node, "role");
    g_autofree char *model = NULL;
    xmlNodePtr n;

    s->name = xml_prop(node, "name");
    if (!s->name) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "shmem element must contain 'name' attribute");
        return NULL;
    }
    if (!shmem_name_ok(s->name)) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "shmem name '%s' is not a file name (it names "
                      SHMEM_DIR "/NAME)", s->name);
        return NULL;
    }
    if (role) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "shmem role '%s' is not supported by nimbus (its "
                      "migration never copies the shared memory): leave "
                      "role out", role);
        return NULL;
    }
    if ((n = xml_child(node, "model")))
        model = xml_prop(n, "type");
    if (model && strcmp(model, "ivshmem-plain") != 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "shmem model '%s' is not supported by nimbus (only "
                      "'ivshmem-plain')", model);
        return NULL;
    }
    if (xml_child(node, "server") || xml_child(node, "msi")) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "shmem <%s> is not supported by nimbus (no "
                      "ivshmem-doorbell: only ivshmem-plain)",
                      xml_child(node, "server") ? "server" : "msi");
        return NULL;
    }
    if (!(n = xml_child(node, "size"))) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "shmem '%s' needs a <size>: nimbus maps that much of "
                      SHMEM_DIR "/%s", s->name, s->name);
        return NULL;
    }
    if (!shmem_parse_size(n, &s->size, error) ||
        !domain_device_info_parse(node, &s->info, false, ctx, error))
        return NULL;
    return g_steal_pointer(&s);
}

static void
domain_shmem_format(XmlBuf *buf, gconstpointer dev, const DomainFormatCtx *ctx)
{
    const DomainShmemDef *s = dev;
    g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT,
                                            (guint64)(s->size / MIB));

    xml_buf_open(buf, "shmem");
    xml_buf_attr(buf, "name", s->name);
    xml_buf_end_open(buf);
    xml_buf_open(buf, "model");
    xml_buf_attr(buf, "type", "ivshmem-plain");
    xml_buf_end_empty(buf);
    xml_buf_open(buf, "size");
    xml_buf_attr(buf, "unit", "M");
    xml_buf_end_text(buf, "size", size);
    domain_device_info_format(buf, &s->info);
    xml_buf_close(buf, "shmem");
}

static DomainDeviceInfo *
domain_shmem_info(gpointer dev)
{
    return &((DomainShmemDef *)dev)->info;
}

const DomainDeviceClass domain_shmem_class = {
    .element = "shmem",
    .parse = domain_shmem_parse,
    .format = domain_shmem_format,
    .free = (void (*)(gpointer))domain_shmem_def_free,
    .info = domain_shmem_info,
};

/* The VMM's file for @s (transfer full). */
static char *
shmem_path(const DomainShmemDef *s)
{
    return g_build_filename(SHMEM_DIR, s->name, NULL);
}

bool
domain_shmem_fill_vmconfig(VmConfig *config, const DomainDef *def,
                           GError **error)
{
    const DomainShmemDef *s;
    const VmConfigKind *kind;
    g_autofree char *path = NULL;
    g_autoptr(JsonBuilder) jb = NULL;
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(GError) local = NULL;
    gpointer entry;

    /* validate.c allows one. */
    if (domain_def_ndevices(def, DOMAIN_DEVICE_SHMEM) == 0)
        return true;
    s = domain_def_device(def, DOMAIN_DEVICE_SHMEM, 0);
    if (!(kind = vm_config_kind_lookup("ivshmem"))) {
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR,
                      "the ivshmem device type is not registered");
        return false;
    }
    path = shmem_path(s);
    jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "path");
    json_builder_add_string_value(jb, path);
    json_builder_set_member_name(jb, "size");
    json_builder_add_int_value(jb, (gint64)s->size);
    json_builder_end_object(jb);
    node = json_builder_get_root(jb);
    if (!(entry = vm_config_kind_from_json(kind, node, &local))) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED, "shmem: %s",
                      local->message);
        return false;
    }
    vm_config_kind_append(config, kind, entry);
    return true;
}

bool
domain_shmem_prepare_file(const char *path, uint64_t size, GError **error)
{
    struct stat st;
    /* /dev/shm is world-writable: a name another user planted as a
     * symbolic link must not make a system nimbusd grow, and its guest
     * share, whatever file the link names (fs.protected_symlinks may be
     * off). */
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0) {
        int err = errno;

        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "shmem: cannot open or create '%s': %s", path,
                    g_strerror(err));
        return false;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "shmem: '%s' is not a regular file", path);
        close(fd);
        return false;
    }
    /* Grown, never shrunk: other users may rely on the rest. */
    if ((uint64_t)st.st_size < size && ftruncate(fd, (off_t)size) < 0) {
        int err = errno;

        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "shmem: cannot grow '%s' to %" G_GUINT64_FORMAT
                    " bytes: %s", path, size, g_strerror(err));
        close(fd);
        return false;
    }
    close(fd);
    return true;
}

bool
domain_def_shmem_prepare(const DomainDef *def, GError **error)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_SHMEM);

    for (guint i = 0; i < n; i++) {
        const DomainShmemDef *s = domain_def_device(def, DOMAIN_DEVICE_SHMEM,
                                                    i);
        g_autofree char *path = shmem_path(s);

        if (!domain_shmem_prepare_file(path, s->size, error))
            return false;
    }
    return true;
}

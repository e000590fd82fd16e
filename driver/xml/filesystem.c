/* SPDX-License-Identifier: Apache-2.0 */
/* <filesystem type='mount'><driver type='virtiofs'/>: virtio-fs on a virtiofsd nimbusd starts. */
#include <config.h>

#include <string.h>
#include <json-glib/json-glib.h>

#include "config/vm-config-kind.h"
#include "driver/xml/domain-priv.h"
#include "driver/xml/filesystem.h"
#include "driver/xml/memory-backing.h"

/*
 * What virt-install writes for --filesystem source=/x,target=tag,
 * driver.type=virtiofs.  nimbus's virtio-fs is a vhost-user front end:
 * nimbusd starts one virtiofsd per filesystem (driver/virtiofsd.c) on a
 * socket in the domain's private state directory and hands that socket to
 * nimbus as a CH "fs" entry.  The socket is a run's (set at start), never
 * in the XML.
 *
 * Accepted: type 'mount' (libvirt's default), accessmode 'passthrough'
 * (the default, and the only mode libvirt allows for virtiofs), driver
 * type 'virtiofs' with queue= (the request queue size), <binary path>
 * (which virtiofsd to run), <source dir>, <target dir> (the tag the guest
 * mounts), alias and address.  Refused by name: 9p drivers (path, handle,
 * loop, nbd, ploop; a missing driver is libvirt's 'path'), the other
 * types and access modes, <readonly/> (Debian's virtiofsd, QEMU's, has no
 * read-only export), an external <source socket>, and virtiofsd's tuning
 * elements (<binary><cache>, <lock>, <sandbox>, ...), which nimbusd does
 * not pass on yet.  The rules across elements (shared memory, tags) are
 * domain_fs_validate()'s.
 */

#define FS_TAG_MAX 36              /* virtio 1.2 §5.11.4: tag[36] */
#define FS_QUEUE_MAX 32768         /* virtio split queue maximum */

typedef struct {
    DomainDeviceInfo info;
    uint64_t queue;             /* <driver queue>; 0: absent */
    char *binary;               /* <binary path>; NULL: the host's */
    char *source_dir;
    char *tag;                  /* <target dir> */
    char *socket;               /* virtiofsd's socket: set at start */
} DomainFsDef;

static void
domain_fs_def_free(DomainFsDef *fs)
{
    if (!fs)
        return;
    domain_device_info_clear(&fs->info);
    g_free(fs->binary);
    g_free(fs->source_dir);
    g_free(fs->tag);
    g_free(fs->socket);
    g_free(fs);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainFsDef, domain_fs_def_free)

/* Fails on an attribute of @node not in @allowed (NULL-terminated). */
static bool
fs_check_attrs(xmlNodePtr node, const char *const *allowed, GError **error)
{
    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        const char *n = (const char *)a->name;
        const char *const *p;

        for (p = allowed; *p && strcmp(*p, n) != 0; p++)
            ;
        if (!*p) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "filesystem: %s attribute '%s' is not supported "
                          "by nimbus", (const char *)node->name, n);
            return false;
        }
    }
    return true;
}

static bool
fs_parse_driver(xmlNodePtr node, DomainFsDef *fs, GError **error)
{
    static const char *const attrs[] = { "type", "queue", NULL };
    xmlNodePtr drv = xml_child(node, "driver");
    g_autofree char *type = drv ? xml_prop(drv, "type") : NULL;
    bool present = false;

    /* libvirt's default driver for type='mount' is 9p ('path'). */
    if (g_strcmp0(type, "virtiofs") != 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "filesystem driver type '%s' is not supported by "
                      "nimbus (its filesystems are virtio-fs: <driver "
                      "type='virtiofs'/>)", type ? type : "path");
        return false;
    }
    if (!fs_check_attrs(drv, attrs, error) ||
        !xml_prop_uint(drv, "queue", FS_QUEUE_MAX, &fs->queue, &present,
                       error))
        return false;
    if (present && (fs->queue == 0 || (fs->queue & (fs->queue - 1)))) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "filesystem: driver queue '%" G_GUINT64_FORMAT "' must "
                      "be a power of two", fs->queue);
        return false;
    }
    return true;
}

static bool
fs_parse_binary(xmlNodePtr node, DomainFsDef *fs, GError **error)
{
    static const char *const attrs[] = { "path", NULL };
    xmlNodePtr bin = xml_child(node, "binary");

    if (!bin)
        return true;
    if (!fs_check_attrs(bin, attrs, error))
        return false;
    for (xmlNodePtr c = bin->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "filesystem: binary element <%s> is not supported "
                          "by nimbus (nimbusd runs virtiofsd with its "
                          "defaults)", (const char *)c->name);
            return false;
        }
    }
    fs->binary = xml_prop(bin, "path");
    return true;
}

static bool
fs_parse_source_target(xmlNodePtr node, DomainFsDef *fs, GError **error)
{
    static const char *const source_attrs[] = { "dir", NULL };
    static const char *const target_attrs[] = { "dir", NULL };
    xmlNodePtr source = xml_child(node, "source");
    xmlNodePtr target = xml_child(node, "target");

    if (source && xmlHasProp(source, (const xmlChar *)"socket")) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "filesystem: source socket (a virtiofsd started "
                      "outside nimbusd) is not supported by nimbus: give "
                      "<source dir=...>");
        return false;
    }
    if (!source || !(fs->source_dir = xml_prop(source, "dir"))) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "filesystem: <source dir=...> (the host directory to "
                      "share) is required");
        return false;
    }
    if (!target || !(fs->tag = xml_prop(target, "dir"))) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "filesystem: <target dir=...> (the tag the guest "
                      "mounts) is required");
        return false;
    }
    return fs_check_attrs(source, source_attrs, error) &&
           fs_check_attrs(target, target_attrs, error);
}

static gpointer
domain_fs_parse(xmlNodePtr node, const DomainParseCtx *ctx, GError **error)
{
    static const char *const attrs[] = { "type", "accessmode", NULL };
    static const char *const children[] = { "driver", "binary", "source",
                                            "target", "alias", "address",
                                            NULL };
    g_autoptr(DomainFsDef) fs = g_new0(DomainFsDef, 1);
    g_autofree char *type = xml_prop(node, "type");
    g_autofree char *mode = xml_prop(node, "accessmode");

    if (type && strcmp(type, "mount") != 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "filesystem type '%s' is not supported by nimbus (use "
                      "type='mount': a host directory shared with virtio-fs)",
                      type);
        return NULL;
    }
    if (mode && strcmp(mode, "passthrough") != 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "filesystem accessmode '%s' is not supported by nimbus "
                      "(virtiofs supports accessmode='passthrough' only)",
                      mode);
        return NULL;
    }
    if (!fs_check_attrs(node, attrs, error))
        return NULL;
    for (xmlNodePtr c = node->children; c; c = c->next) {
        const char *const *p;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (xml_is_element(c, "readonly")) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "filesystem: <readonly/> is not supported by "
                          "nimbus (virtiofsd cannot export a directory "
                          "read-only)");
            return NULL;
        }
        for (p = children; *p && !xml_is_element(c, *p); p++)
            ;
        if (!*p) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "filesystem element <%s> is not supported by "
                          "nimbus", (const char *)c->name);
            return NULL;
        }
    }
    if (!fs_parse_driver(node, fs, error) ||
        !fs_parse_binary(node, fs, error) ||
        !fs_parse_source_target(node, fs, error) ||
        !domain_device_info_parse(node, &fs->info, false, ctx, error))
        return NULL;
    return g_steal_pointer(&fs);
}

static void
domain_fs_format(XmlBuf *buf, gconstpointer dev, const DomainFormatCtx *ctx)
{
    const DomainFsDef *fs = dev;

    /* libvirt writes the defaults it applied. */
    xml_buf_open(buf, "filesystem");
    xml_buf_attr(buf, "type", "mount");
    xml_buf_attr(buf, "accessmode", "passthrough");
    xml_buf_end_open(buf);
    xml_buf_open(buf, "driver");
    xml_buf_attr(buf, "type", "virtiofs");
    if (fs->queue)
        xml_buf_attr_uint(buf, "queue", fs->queue);
    xml_buf_end_empty(buf);
    if (fs->binary) {
        xml_buf_open(buf, "binary");
        xml_buf_attr(buf, "path", fs->binary);
        xml_buf_end_empty(buf);
    }
    xml_buf_open(buf, "source");
    xml_buf_attr(buf, "dir", fs->source_dir);
    xml_buf_end_empty(buf);
    xml_buf_open(buf, "target");
    xml_buf_attr(buf, "dir", fs->tag);
    xml_buf_end_empty(buf);
    domain_device_info_format(buf, &fs->info);
    xml_buf_close(buf, "filesystem");
}

static DomainDeviceInfo *
domain_fs_info(gpointer dev)
{
    return &((DomainFsDef *)dev)->info;
}

const DomainDeviceClass domain_filesystem_class = {
    .element = "filesystem",
    .parse = domain_fs_parse,
    .format = domain_fs_format,
    .free = (void (*)(gpointer))domain_fs_def_free,
    .info = domain_fs_info,
};

static const DomainFsDef *
fs_get(const DomainDef *def, guint i)
{
    return domain_def_device(def, DOMAIN_DEVICE_FILESYSTEM, i);
}

bool
domain_fs_validate(const DomainDef *def, GError **error)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_FILESYSTEM);

    for (guint i = 0; i < n; i++) {
        const DomainFsDef *fs = fs_get(def, i);

        if (!*fs->tag || strlen(fs->tag) > FS_TAG_MAX) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "filesystem: target dir '%s' must be 1 to %d "
                          "bytes (the virtio-fs tag)", fs->tag, FS_TAG_MAX);
            return false;
        }
        if (!g_path_is_absolute(fs->source_dir)) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "filesystem '%s': source dir '%s' must be an "
                          "absolute path", fs->tag, fs->source_dir);
            return false;
        }
        if (fs->binary && !g_path_is_absolute(fs->binary)) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "filesystem '%s': binary path '%s' must be an "
                          "absolute path", fs->tag, fs->binary);
            return false;
        }
        for (guint j = 0; j < i; j++) {
            if (strcmp(fs_get(def, j)->tag, fs->tag) == 0) {
                drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                              "filesystem target dir '%s' is used twice",
                              fs->tag);
                return false;
            }
        }
        /* virtiofsd maps guest RAM from nimbus's memory fds (vhost-user):
         * a private mapping would hide the guest's writes from it. */
        if (!domain_memory_backing_shared(def)) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "filesystem '%s': virtiofs needs shared memory: "
                          "add <memoryBacking><source type='memfd'/><access "
                          "mode='shared'/></memoryBacking>", fs->tag);
            return false;
        }
    }
    return true;
}

/* Filesystem @i as CH's FsConfig, through the fs device type's config
 * kind.  (transfer full) */
static gpointer
fs_entry(const DomainDef *def, guint i, GError **error)
{
    const DomainFsDef *fs = fs_get(def, i);
    g_autofree char *id = domain_def_fs_vmm_id(def, i);
    const VmConfigKind *kind = vm_config_kind_lookup("fs");
    g_autoptr(JsonBuilder) jb = NULL;
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(GError) local = NULL;
    gpointer entry;

    if (!kind) {
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR,
                      "the fs device type is not registered");
        return NULL;
    }
    jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "tag");
    json_builder_add_string_value(jb, fs->tag);
    json_builder_set_member_name(jb, "socket");
    json_builder_add_string_value(jb, fs->socket);
    if (fs->queue) {
        json_builder_set_member_name(jb, "queue_size");
        json_builder_add_int_value(jb, (gint64)fs->queue);
    }
    /* Always named: detach-device and virtiofsd's files go by it. */
    json_builder_set_member_name(jb, "id");
    json_builder_add_string_value(jb, id);
    json_builder_end_object(jb);
    node = json_builder_get_root(jb);
    if (!(entry = vm_config_kind_from_json(kind, node, &local))) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED, "filesystem "
                      "'%s': %s", fs->tag, local->message);
        return NULL;
    }
    return entry;
}

bool
domain_fs_fill_vmconfig(VmConfig *config, const DomainDef *def,
                        GError **error)
{
    for (guint i = 0; i < domain_def_fs_count(def); i++) {
        const DomainFsDef *fs = fs_get(def, i);
        gpointer entry;

        /* A definition that is not running has no virtiofsd yet: it is
         * checked without its entry (domain_fs_validate() has the XML's
         * rules). */
        if (!fs->socket)
            continue;
        if (!(entry = fs_entry(def, i, error)))
            return false;
        vm_config_kind_append(config, vm_config_kind_lookup("fs"), entry);
    }
    return true;
}

guint
domain_def_fs_count(const DomainDef *def)
{
    return domain_def_ndevices(def, DOMAIN_DEVICE_FILESYSTEM);
}

const char *
domain_def_fs_source(const DomainDef *def, guint i)
{
    return fs_get(def, i)->source_dir;
}

const char *
domain_def_fs_tag(const DomainDef *def, guint i)
{
    return fs_get(def, i)->tag;
}

const char *
domain_def_fs_binary(const DomainDef *def, guint i)
{
    return fs_get(def, i)->binary;
}

void
domain_def_fs_set_socket(DomainDef *def, guint i, const char *socket)
{
    DomainFsDef *fs = domain_def_device(def, DOMAIN_DEVICE_FILESYSTEM, i);

    g_free(fs->socket);
    fs->socket = g_strdup(socket);
}

char *
domain_def_fs_vmm_id(const DomainDef *def, guint i)
{
    const DomainFsDef *fs = fs_get(def, i);

    return fs->info.alias ? g_strdup(fs->info.alias)
                          : g_strdup_printf("fs%u", i);
}

void
domain_fs_copy_sockets(DomainDef *to, const DomainDef *from)
{
    guint n = MIN(domain_def_fs_count(to), domain_def_fs_count(from));

    for (guint i = 0; i < n; i++) {
        if (!fs_get(to, i)->socket && fs_get(from, i)->socket)
            domain_def_fs_set_socket(to, i, fs_get(from, i)->socket);
    }
}

const char *
domain_fs_dev_tag(gconstpointer dev)
{
    return ((const DomainFsDef *)dev)->tag;
}

char *
domain_def_fs_hotplug_body(const DomainDef *def, guint i, GError **error)
{
    const VmConfigKind *kind = vm_config_kind_lookup("fs");
    g_autoptr(VmConfig) config = NULL;
    g_autoptr(JsonNode) root = NULL;
    JsonArray *arr;
    gpointer entry;

    if (!fs_get(def, i)->socket) {
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR,
                      "filesystem '%s' has no virtiofsd socket",
                      fs_get(def, i)->tag);
        return NULL;
    }
    if (!(entry = fs_entry(def, i, error)))
        return NULL;
    /* Through a VmConfig, so that nimbus's serialiser writes the entry
     * exactly as it does in vm.create. */
    config = vm_config_new();
    vm_config_kind_append(config, kind, entry);
    root = vm_config_to_json_node(config);
    arr = json_object_get_array_member(json_node_get_object(root), "fs");
    return json_to_string(json_array_get_element(arr, 0), FALSE);
}

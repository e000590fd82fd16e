/* SPDX-License-Identifier: Apache-2.0 */
/* libvirt's <domainsnapshot> XML and its store under <config_dir>/snapshot. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "driver/snapshot-def.h"
#include "driver/xml/xml-util.h"

/*
 * The format is libvirt's (docs: formatsnapshot.html): the elements and
 * their order are what `virsh snapshot-dumpxml` shows for a qemu internal
 * snapshot, so that tools reading it find what they expect.  A snapshot's
 * whole state is one XML file; its data (VMM snapshot, disk copies) is
 * the directory <name>.vm beside it.
 */

#define SNAPSHOT_XML_MAX_LEN (4 << 20)  /* one RPC string */
#define SNAPSHOT_NAME_MAX 200            /* + ".xml" stays a file name */
#define SNAPSHOT_CURRENT "current"

static const char *const snapshot_state_names[] = {
    "running", "paused", "shutoff",
};
G_STATIC_ASSERT(G_N_ELEMENTS(snapshot_state_names) ==
                DRV_SNAPSHOT_STATE_LAST);

const char *
drv_snapshot_state_to_string(DrvSnapshotState state)
{
    g_assert(state < DRV_SNAPSHOT_STATE_LAST);
    return snapshot_state_names[state];
}

static int
drv_snapshot_state_from_string(const char *s)
{
    for (int i = 0; i < DRV_SNAPSHOT_STATE_LAST; i++) {
        if (strcmp(s, snapshot_state_names[i]) == 0)
            return i;
    }
    return -1;
}

void
drv_snapshot_disk_free(DrvSnapshotDisk *disk)
{
    g_free(disk->name);
    g_free(disk);
}

void
drv_snapshot_def_free(DrvSnapshotDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->description);
    g_free(def->parent);
    g_clear_pointer(&def->disks, g_ptr_array_unref);
    g_free(def->domain_xml);
    g_free(def);
}

static bool
drv_snapshot_name_ok(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > SNAPSHOT_NAME_MAX || name[0] == '.' ||
        strchr(name, '/') || !g_utf8_validate(name, -1, NULL))
        return false;
    for (size_t i = 0; i < len; i++) {
        /* Control characters would end up in file names and logs. */
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return false;
    }
    return true;
}

bool
drv_snapshot_name_check(const char *name, GError **error)
{
    if (drv_snapshot_name_ok(name))
        return true;
    drv_xml_error(error, DRV_ERROR_XML_ERROR,
                  "invalid snapshot name '%s': it must be 1 to %d bytes of "
                  "printable characters, without '/', not starting with '.'",
                  name, SNAPSHOT_NAME_MAX);
    return false;
}

/* <memory snapshot='...'/>: 'external' keeps memory in a file the user
 * names, which nimbusd does not do. */
static bool
drv_snapshot_parse_memory(xmlNodePtr node, DrvSnapshotDef *def,
                          GError **error)
{
    g_autofree char *mode = xml_prop(node, "snapshot");

    def->memory_given = true;
    if (!mode || strcmp(mode, "internal") == 0) {
        def->memory = true;
    } else if (strcmp(mode, "no") == 0) {
        def->memory = false;
    } else {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "memory snapshot mode '%s' is not supported by "
                      "nimbusd (only 'internal' and 'no')", mode);
        return false;
    }
    return true;
}

static bool
drv_snapshot_parse_disks(xmlNodePtr node, DrvSnapshotDef *def,
                         GError **error)
{
    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        g_autofree char *name = NULL;
        g_autofree char *mode = NULL;
        DrvSnapshotDisk *disk;

        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (!xml_is_element(cur, "disk") || !(name = xml_prop(cur, "name"))) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "<disks> holds only <disk name='...'> elements");
            return false;
        }
        mode = xml_prop(cur, "snapshot");
        if (mode && strcmp(mode, "internal") != 0 && strcmp(mode, "no") != 0) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "disk '%s': snapshot mode '%s' is not supported by "
                          "nimbusd (only 'internal' and 'no')", name, mode);
            return false;
        }
        if (xml_child(cur, "source") || xml_child(cur, "driver")) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "disk '%s': external snapshot files are not "
                          "supported by nimbusd", name);
            return false;
        }
        for (guint i = 0; i < def->disks->len; i++) {
            DrvSnapshotDisk *d = g_ptr_array_index(def->disks, i);

            if (strcmp(d->name, name) == 0) {
                drv_xml_error(error, DRV_ERROR_XML_ERROR,
                              "disk '%s' is listed twice", name);
                return false;
            }
        }
        disk = g_new0(DrvSnapshotDisk, 1);
        disk->name = g_steal_pointer(&name);
        disk->snapshot = !mode || strcmp(mode, "no") != 0;
        g_ptr_array_add(def->disks, disk);
    }
    return true;
}

/*
 * The <domain> element of a stored file as text, exactly as
 * drv_snapshot_def_format() wrote it: libxml2 would serialise it anew
 * (other quotes and escapes), and the stored domain is what a revert
 * starts.  It is the one element at depth one whose line starts with
 * "  <domain"; text cannot hold a raw '<', so the search cannot match
 * inside a description.  Our formatter's indentation is taken off.
 */
static char *
drv_snapshot_extract_domain(const char *xml)
{
    g_autoptr(GString) out = g_string_new(NULL);
    const char *begin = strstr(xml, "\n  <domain");
    const char *end = g_strrstr(xml, "\n  </domain>");
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    while (begin && begin[10] != ' ' && begin[10] != '>')
        begin = strstr(begin + 1, "\n  <domain");
    if (!begin || !end || end < begin)
        return NULL;
    text = g_strndup(begin + 1, (gsize)(end - begin) +
                     strlen("\n  </domain>") - 1);
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        if (i > 0)
            g_string_append_c(out, '\n');
        g_string_append(out, g_str_has_prefix(lines[i], "  ") ?
                        lines[i] + 2 : lines[i]);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* The element @cur of a <domainsnapshot> into @def. */
static bool
drv_snapshot_parse_element(xmlNodePtr cur, DrvSnapshotDef *def, bool stored,
                           GError **error)
{
    static const char *const stored_only[] = {
        "state", "creationTime", "parent", "domain", NULL
    };
    const char *el = (const char *)cur->name;
    g_autofree char *text = NULL;

    if (strcmp(el, "name") == 0) {
        def->name = xml_text(cur);
        return drv_snapshot_name_check(def->name, error);
    }
    if (strcmp(el, "description") == 0) {
        def->description = xml_text(cur);
        return true;
    }
    if (strcmp(el, "memory") == 0)
        return drv_snapshot_parse_memory(cur, def, error);
    if (strcmp(el, "disks") == 0)
        return drv_snapshot_parse_disks(cur, def, error);
    if (!g_strv_contains(stored_only, el)) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "unknown element <%s> in <domainsnapshot>", el);
        return false;
    }
    if (!stored) {
        /* These describe an existing snapshot: only REDEFINE sends them,
         * and nimbusd does not redefine. */
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "element <%s> is only accepted when redefining a "
                      "snapshot, which nimbusd does not support", el);
        return false;
    }
    if (strcmp(el, "state") == 0) {
        text = xml_text(cur);
        def->state = drv_snapshot_state_from_string(text);
        if ((int)def->state < 0) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "unknown snapshot state '%s'", text);
            return false;
        }
        return true;
    }
    if (strcmp(el, "creationTime") == 0) {
        uint64_t t = 0;

        text = xml_text(cur);
        if (!xml_parse_uint(text, G_MAXINT64, &t)) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "invalid creationTime '%s'", text);
            return false;
        }
        def->creation_time = (gint64)t;
        return true;
    }
    if (strcmp(el, "parent") == 0) {
        xmlNodePtr n = xml_child(cur, "name");

        if (!n) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "<parent> without <name>");
            return false;
        }
        def->parent = xml_text(n);
        return drv_snapshot_name_check(def->parent, error);
    }
    /* Taken from the text once the document parsed (below). */
    def->domain_given = true;
    return true;
}

DrvSnapshotDef *
drv_snapshot_def_parse(const char *xml, unsigned int flags, GError **error)
{
    const bool stored = flags & DRV_SNAPSHOT_PARSE_STORED;
    g_autoptr(DrvSnapshotDef) def = g_new0(DrvSnapshotDef, 1);
    size_t len = strlen(xml);
    xmlDocPtr doc;
    xmlNodePtr root;
    bool ok = true;

    def->disks = g_ptr_array_new_with_free_func(
        (GDestroyNotify)drv_snapshot_disk_free);
    def->memory = true;
    def->state = -1;
    if (len == 0 || len > SNAPSHOT_XML_MAX_LEN) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "snapshot XML is empty or larger than %d bytes",
                      SNAPSHOT_XML_MAX_LEN);
        return NULL;
    }
    /* As for a domain: no network access, no entity expansion. */
    doc = xmlReadMemory(xml, (int)len, "domainsnapshot.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                        XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!doc) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "snapshot XML is not well-formed");
        return NULL;
    }
    root = xmlDocGetRootElement(doc);
    if (doc->intSubset || doc->extSubset || !root || root->ns ||
        !xml_is_element(root, "domainsnapshot")) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "the root element must be <domainsnapshot>");
        ok = false;
    }
    for (xmlNodePtr cur = ok ? root->children : NULL; cur && ok;
         cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE)
            ok = drv_snapshot_parse_element(cur, def, stored, error);
    }
    xmlFreeDoc(doc);
    if (!ok)
        return NULL;
    if (def->domain_given &&
        !(def->domain_xml = drv_snapshot_extract_domain(xml))) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "the <domain> of a stored snapshot must be indented "
                      "as nimbusd writes it");
        return NULL;
    }
    if (stored && (!def->name || (int)def->state < 0 ||
                   !def->creation_time || !def->domain_xml)) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "a stored snapshot needs <name>, <state>, "
                      "<creationTime> and <domain>");
        return NULL;
    }
    return g_steal_pointer(&def);
}

char *
drv_snapshot_def_format(const DrvSnapshotDef *def, const char *domain_xml)
{
    XmlBuf b = { g_string_new(NULL), 0 };
    g_auto(GStrv) lines = NULL;
    char tbuf[24];

    xml_buf_open(&b, "domainsnapshot");
    xml_buf_end_open(&b);
    xml_buf_text_element(&b, "name", def->name);
    xml_buf_text_element(&b, "description", def->description);
    xml_buf_text_element(&b, "state", drv_snapshot_state_to_string(def->state));
    if (def->parent) {
        xml_buf_open(&b, "parent");
        xml_buf_end_open(&b);
        xml_buf_text_element(&b, "name", def->parent);
        xml_buf_close(&b, "parent");
    }
    g_snprintf(tbuf, sizeof(tbuf), "%" G_GINT64_FORMAT, def->creation_time);
    xml_buf_text_element(&b, "creationTime", tbuf);
    xml_buf_open(&b, "memory");
    xml_buf_attr(&b, "snapshot", def->memory ? "internal" : "no");
    xml_buf_end_empty(&b);
    if (def->disks->len) {
        xml_buf_open(&b, "disks");
        xml_buf_end_open(&b);
        for (guint i = 0; i < def->disks->len; i++) {
            DrvSnapshotDisk *d = g_ptr_array_index(def->disks, i);

            xml_buf_open(&b, "disk");
            xml_buf_attr(&b, "name", d->name);
            xml_buf_attr(&b, "snapshot", d->snapshot ? "internal" : "no");
            xml_buf_end_empty(&b);
        }
        xml_buf_close(&b, "disks");
    }
    if (!domain_xml)
        domain_xml = def->domain_xml;
    if (domain_xml) {
        /* One level in, every line: the parser takes it off again. */
        lines = g_strsplit(domain_xml, "\n", -1);
        for (guint i = 0; lines[i]; i++) {
            if (lines[i][0])
                xml_buf_add_dump(&b, lines[i]);
        }
    }
    xml_buf_close(&b, "domainsnapshot");
    return g_string_free(b.str, FALSE);
}

/* ---- the store ------------------------------------------------------ */

char *
drv_snapshot_dir(const char *config_dir, const char *domain)
{
    return g_build_filename(config_dir, "snapshot", domain, NULL);
}

char *
drv_snapshot_xml_path(const char *dir, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".xml", NULL);

    return g_build_filename(dir, file, NULL);
}

char *
drv_snapshot_data_path(const char *dir, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".vm", NULL);

    return g_build_filename(dir, file, NULL);
}

static bool
drv_snapshot_mkdir(const char *dir, GError **error)
{
    if (g_mkdir_with_parents(dir, 0700) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create '%s': %s", dir, g_strerror(errno));
        return false;
    }
    return true;
}

bool
drv_snapshot_def_store(const char *dir, const DrvSnapshotDef *def,
                       GError **error)
{
    g_autofree char *path = drv_snapshot_xml_path(dir, def->name);
    g_autofree char *xml = drv_snapshot_def_format(def, NULL);

    return drv_snapshot_mkdir(dir, error) &&
           g_file_set_contents_full(path, xml, -1,
                                    G_FILE_SET_CONTENTS_CONSISTENT |
                                    G_FILE_SET_CONTENTS_DURABLE, 0600, error);
}

static gint
drv_snapshot_cmp(gconstpointer a, gconstpointer b)
{
    const DrvSnapshotDef *x = *(DrvSnapshotDef *const *)a;
    const DrvSnapshotDef *y = *(DrvSnapshotDef *const *)b;

    if (x->creation_time != y->creation_time)
        return x->creation_time < y->creation_time ? -1 : 1;
    return strcmp(x->name, y->name);
}

GPtrArray *
drv_snapshot_load_all(const char *dir, GError **error)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(
        (GDestroyNotify)drv_snapshot_def_free);
    g_autoptr(GError) local = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &local);
    const char *ent;

    if (!d) {
        if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return g_steal_pointer(&all);
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    while ((ent = g_dir_read_name(d))) {
        g_autofree char *path = NULL;
        g_autofree char *xml = NULL;
        g_autofree char *want = NULL;
        DrvSnapshotDef *def;

        /* g_file_set_contents' temporaries end in ".XXXXXX", not .xml. */
        if (ent[0] == '.' || !g_str_has_suffix(ent, ".xml"))
            continue;
        path = g_build_filename(dir, ent, NULL);
        if (!g_file_get_contents(path, &xml, NULL, error))
            return NULL;
        if (!(def = drv_snapshot_def_parse(xml, DRV_SNAPSHOT_PARSE_STORED,
                                           &local))) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                        "snapshot file '%s': %s", path, local->message);
            return NULL;
        }
        g_ptr_array_add(all, def);
        want = g_strconcat(def->name, ".xml", NULL);
        if (strcmp(want, ent) != 0) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                        "snapshot file '%s' holds snapshot '%s'", path,
                        def->name);
            return NULL;
        }
    }
    g_ptr_array_sort(all, drv_snapshot_cmp);
    return g_steal_pointer(&all);
}

char *
drv_snapshot_current_get(const char *dir)
{
    g_autofree char *path = g_build_filename(dir, SNAPSHOT_CURRENT, NULL);
    g_autofree char *name = NULL;

    if (!g_file_get_contents(path, &name, NULL, NULL))
        return NULL;
    g_strchomp(name);
    return name[0] ? g_steal_pointer(&name) : NULL;
}

bool
drv_snapshot_current_set(const char *dir, const char *name, GError **error)
{
    g_autofree char *path = g_build_filename(dir, SNAPSHOT_CURRENT, NULL);
    g_autofree char *data = NULL;

    if (!name) {
        if (g_unlink(path) < 0 && errno != ENOENT) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        "cannot remove '%s': %s", path, g_strerror(errno));
            return false;
        }
        return true;
    }
    data = g_strconcat(name, "\n", NULL);
    return drv_snapshot_mkdir(dir, error) &&
           g_file_set_contents_full(path, data, -1,
                                    G_FILE_SET_CONTENTS_CONSISTENT |
                                    G_FILE_SET_CONTENTS_DURABLE, 0600, error);
}

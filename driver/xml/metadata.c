/* SPDX-License-Identifier: Apache-2.0 */
/* virDomainSetMetadata/GetMetadata: <title>, <description>, <metadata> children. */
#include <config.h>

#include <string.h>
#include <libxml/parser.h>

#include "driver/xml/domain-priv.h"

/* The child of <metadata> in namespace @uri, or NULL. */
static xmlNodePtr
metadata_find(xmlDocPtr doc, const char *uri)
{
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;

    for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href &&
            strcmp((const char *)c->ns->href, uri) == 0)
            return c;
    }
    return NULL;
}

static bool
metadata_check_args(int type, const char *key, const char *uri, bool setting,
                    const char *metadata, GError **error)
{
    switch (type) {
    case DOMAIN_METADATA_DESCRIPTION:
    case DOMAIN_METADATA_TITLE:
        if (key || uri) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "key and uri must be NULL for the title and the description");
            return false;
        }
        return true;
    case DOMAIN_METADATA_ELEMENT:
        if (!uri || !*uri) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "a namespace uri is required for metadata elements");
            return false;
        }
        if (setting && metadata && (!key || !*key)) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "a namespace key (prefix) is required to set a metadata element");
            return false;
        }
        return true;
    default:
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "unknown metadata type %d", type);
        return false;
    }
}

/* Replaces (or, @metadata NULL, removes) the element in namespace @uri. */
static bool
metadata_set_element(DomainDefPriv *priv, const char *metadata,
                     const char *key, const char *uri, GError **error)
{
    xmlDocPtr in = NULL;
    xmlNodePtr old, copy, root;
    xmlNsPtr ns;

    if (metadata) {
        in = xmlReadMemory(metadata, (int)strlen(metadata), "metadata.xml",
                           NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                           XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
        if (!in || !xmlDocGetRootElement(in)) {
            xmlFreeDoc(in);
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "metadata is not a well-formed XML element");
            return false;
        }
    }
    if (!priv->metadata) {
        priv->metadata = xmlNewDoc((const xmlChar *)"1.0");
        xmlDocSetRootElement(priv->metadata,
                             xmlNewDocNode(priv->metadata, NULL,
                                           (const xmlChar *)"metadata", NULL));
    }
    root = xmlDocGetRootElement(priv->metadata);
    while ((old = metadata_find(priv->metadata, uri))) {
        xmlUnlinkNode(old);
        xmlFreeNode(old);
    }
    if (in) {
        /* As libvirt: the element itself is put in @uri under @key. */
        copy = xmlDocCopyNode(xmlDocGetRootElement(in), priv->metadata, 1);
        xmlFreeDoc(in);
        if (!copy) {
            drv_xml_error(error, DRV_ERROR_NO_MEMORY, "cannot copy metadata");
            return false;
        }
        ns = xmlNewNs(copy, (const xmlChar *)uri, (const xmlChar *)key);
        xmlSetNs(copy, ns);
        xmlAddChild(root, copy);
    }
    if (!root->children)
        g_clear_pointer(&priv->metadata, xmlFreeDoc);
    return true;
}

bool
domain_def_set_metadata(DomainDef *def, int type, const char *metadata,
                        const char *key, const char *uri, GError **error)
{
    char **field;

    if (!metadata_check_args(type, key, uri, true, metadata, error))
        return false;
    if (type == DOMAIN_METADATA_ELEMENT)
        return metadata_set_element(domain_def_priv(def), metadata, key, uri,
                                    error);
    if (type == DOMAIN_METADATA_TITLE && metadata && strchr(metadata, '\n')) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "a domain title cannot contain newlines");
        return false;
    }
    field = type == DOMAIN_METADATA_TITLE ? &def->title : &def->description;
    g_free(*field);
    *field = metadata && *metadata ? g_strdup(metadata) : NULL;
    return true;
}

char *
domain_def_get_metadata(const DomainDef *def, int type, const char *uri,
                        GError **error)
{
    const DomainDefPriv *priv = domain_def_priv(def);
    const char *text = NULL;
    xmlNodePtr node;
    xmlBufferPtr xb;
    char *out = NULL;

    if (!metadata_check_args(type, NULL, uri, false, NULL, error))
        return NULL;
    if (type == DOMAIN_METADATA_TITLE)
        text = def->title;
    else if (type == DOMAIN_METADATA_DESCRIPTION)
        text = def->description;
    else if ((node = metadata_find(priv->metadata, uri))) {
        xb = xmlBufferCreate();
        if (xmlNodeDump(xb, priv->metadata, node, 0, 1) >= 0)
            out = g_strdup((const char *)xmlBufferContent(xb));
        xmlBufferFree(xb);
        return out;
    }
    if (!text) {
        /* libvirt's VIR_ERR_NO_DOMAIN_METADATA text. */
        drv_xml_error(error, DRV_ERROR_NO_DOMAIN_METADATA,
                      "Requested metadata element is not present");
        return NULL;
    }
    return g_strdup(text);
}

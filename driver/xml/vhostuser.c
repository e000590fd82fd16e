/* SPDX-License-Identifier: Apache-2.0 */
/* The <source> and rules that vhost-user disks and interfaces share. */
#include <config.h>

#include <string.h>
#include <sys/un.h>

#include "driver/xml/domain-priv.h"
#include "driver/xml/memory-backing.h"

/*
 * Both <disk type='vhostuser'> and <interface type='vhostuser'> name the
 * back end by <source type='unix' path='...'>, and both hand guest RAM to
 * that back end; one parser and one rule serve both so that they cannot
 * drift apart.  @kind is the element ("disk", "interface"), @device the
 * word for what a lost back end leaves broken ("disk", "NIC").
 */
bool
domain_vhostuser_source_parse(xmlNodePtr node, const char *kind,
                              const char *device, xmlNodePtr *src_out,
                              char **path_out, GError **error)
{
    g_autofree char *path = xml_node_path(node);
    g_autofree char *type = NULL;
    xmlNodePtr src = xml_child(node, "source");

    if (!src) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "%s: <%s type='vhostuser'> needs <source "
                      "type='unix' path='...'/>",
                      path, kind);
        return false;
    }
    type = xml_prop(src, "type");
    if (g_strcmp0(type, "unix") != 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "%s: vhostuser %s source type '%s' is not "
                      "supported by nimbus (only 'unix')",
                      path, kind, type ? type : "");
        return false;
    }
    *path_out = xml_prop(src, "path");
    if (!*path_out || !**path_out) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "%s: <%s type='vhostuser'> needs <source path='...'/>",
                      path, kind);
        return false;
    }
    /* A back end that restarts leaves the device needing a reset: nimbus
     * does not reconnect. */
    if (xml_child(src, "reconnect")) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "%s: <reconnect> is not supported by nimbus (a "
                      "vhost-user back end that goes away leaves the %s "
                      "needing a reset)",
                      path, device);
        return false;
    }
    *src_out = src;
    return true;
}

/* @who names the device in errors ("disk 'vdb'"). */
bool
domain_vhostuser_validate(const DomainDef *def, const char *who,
                          const char *socket_path, GError **error)
{
    /* A relative path would be resolved in the VMM's working directory,
     * not the client's. */
    if (socket_path[0] != '/') {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "%s: vhostuser source path '%s' must be an "
                      "absolute path",
                      who, socket_path);
        return false;
    }
    if (strlen(socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "%s: vhostuser source path '%s' is longer than a "
                      "UNIX socket path may be",
                      who, socket_path);
        return false;
    }
    if (!domain_memory_backing_shared(def)) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "%s: vhost-user needs shared memory: add "
                      "<memoryBacking><source type='memfd'/><access "
                      "mode='shared'/></memoryBacking>",
                      who);
        return false;
    }
    return true;
}

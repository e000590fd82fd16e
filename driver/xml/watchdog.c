/* SPDX-License-Identifier: Apache-2.0 */
/* <watchdog model='i6300esb' action=...>: nimbus's 6300ESB and what an expiry does. */
#include <config.h>

#include <string.h>

#include "config/vm-config-kind.h"
#include "driver/xml/domain-priv.h"

/*
 * virt-install adds <watchdog model='i6300esb' action='reset'/> on x86
 * when asked for a watchdog; libvirt's default action is reset, and its
 * output always names the action.  The model is the PCI 6300ESB, which a
 * stock Linux guest drives (unsupported.c refuses itco, diag288 and
 * ib700, which nimbus does not emulate).  Actions:
 *   reset, poweroff, none  the VMM does it (nimbus_watchdog.action)
 *   pause, shutdown        the VMM only reports (action none) and nimbusd
 *                          pauses the domain or presses its power button
 *                          when the guest/watchdog event arrives
 *   dump, inject-nmi       refused: nimbus can neither write a guest core
 *                          on expiry nor inject an NMI
 * Either way the expiry is libvirt's WATCHDOG event with the action.
 */

ENUM_IMPL(domain_watchdog_action, DOMAIN_WATCHDOG_ACTION_LAST,
          "reset", "shutdown", "poweroff", "pause", "none", "dump",
          "inject-nmi");

void
domain_watchdog_def_free(DomainWatchdogDef *wd)
{
    if (!wd)
        return;
    domain_device_info_clear(&wd->info);
    g_free(wd->model);
    g_free(wd);
}

static gpointer
domain_watchdog_parse(xmlNodePtr node, const DomainParseCtx *ctx,
                      GError **error)
{
    g_autoptr(DomainWatchdogDef) wd = g_new0(DomainWatchdogDef, 1);
    g_autofree char *action = xml_prop(node, "action");

    wd->model = xml_prop(node, "model");
    wd->action = DOMAIN_WATCHDOG_ACTION_RESET;       /* libvirt's default */
    if (action &&
        (wd->action = domain_watchdog_action_from_string(action)) < 0) {
        drv_xml_error(error, DRV_ERROR_XML_DETAIL,
                      "unknown watchdog action '%s'", action);
        return NULL;
    }
    if (wd->action == DOMAIN_WATCHDOG_ACTION_DUMP ||
        wd->action == DOMAIN_WATCHDOG_ACTION_INJECT_NMI) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "watchdog action '%s' is not supported by nimbus "
                      "(use reset, poweroff, shutdown, pause or none)",
                      action);
        return NULL;
    }
    if (!domain_device_info_parse(node, &wd->info, false, ctx, error))
        return NULL;
    return g_steal_pointer(&wd);
}

static void
domain_watchdog_format(XmlBuf *buf, gconstpointer dev,
                       const DomainFormatCtx *ctx)
{
    const DomainWatchdogDef *wd = dev;

    xml_buf_open(buf, "watchdog");
    xml_buf_attr(buf, "model", wd->model);
    xml_buf_attr(buf, "action", domain_watchdog_action_to_string(wd->action));
    if (!wd->info.alias && !wd->info.address) {
        xml_buf_end_empty(buf);
        return;
    }
    xml_buf_end_open(buf);
    domain_device_info_format(buf, &wd->info);
    xml_buf_close(buf, "watchdog");
}

static DomainDeviceInfo *
domain_watchdog_info(gpointer dev)
{
    return &((DomainWatchdogDef *)dev)->info;
}

const DomainDeviceClass domain_watchdog_class = {
    .element = "watchdog",
    .parse = domain_watchdog_parse,
    .format = domain_watchdog_format,
    .free = (void (*)(gpointer))domain_watchdog_def_free,
    .info = domain_watchdog_info,
};

/* What the VMM itself does for @action (see the table above). */
static const char *
vmm_action(int action)
{
    switch (action) {
    case DOMAIN_WATCHDOG_ACTION_RESET:
        return "reset";
    case DOMAIN_WATCHDOG_ACTION_POWEROFF:
        return "poweroff";
    default:
        return "none";
    }
}

bool
domain_watchdog_fill_vmconfig(VmConfig *config, const DomainDef *def,
                              GError **error)
{
    const DomainWatchdogDef *wd;
    const VmConfigKind *kind;
    g_autoptr(JsonBuilder) jb = NULL;
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(GError) local = NULL;
    gpointer entry;

    /* validate.c allows one. */
    if (domain_def_ndevices(def, DOMAIN_DEVICE_WATCHDOG) == 0)
        return true;
    wd = domain_def_device(def, DOMAIN_DEVICE_WATCHDOG, 0);
    if (!(kind = vm_config_kind_lookup("nimbus_watchdog"))) {
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR,
                      "the watchdog device type is not registered");
        return false;
    }
    jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "model");
    json_builder_add_string_value(jb, wd->model);
    json_builder_set_member_name(jb, "action");
    json_builder_add_string_value(jb, vmm_action(wd->action));
    json_builder_end_object(jb);
    node = json_builder_get_root(jb);
    if (!(entry = vm_config_kind_from_json(kind, node, &local))) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED, "watchdog: %s",
                      local->message);
        return false;
    }
    vm_config_kind_append(config, kind, entry);
    return true;
}

int
domain_def_watchdog_action(const DomainDef *def)
{
    const DomainWatchdogDef *wd;

    if (domain_def_ndevices(def, DOMAIN_DEVICE_WATCHDOG) == 0)
        return -1;
    wd = domain_def_device(def, DOMAIN_DEVICE_WATCHDOG, 0);
    return wd->action;
}

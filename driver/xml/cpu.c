/* SPDX-License-Identifier: Apache-2.0 */
/* <cpu> (mode, topology) and <clock> (offset, timers). */
#include <config.h>

#include "driver/xml/domain-priv.h"
#include "driver/xml/numa.h"

ENUM_IMPL(domain_cpu_mode, DOMAIN_CPU_MODE_LAST,
          "custom", "host-model", "host-passthrough", "maximum");
ENUM_IMPL(domain_cpu_check, DOMAIN_CPU_CHECK_LAST,
          "none", "partial", "full");
ENUM_IMPL(domain_cpu_match, DOMAIN_CPU_MATCH_LAST,
          "minimum", "exact", "strict");
ENUM_IMPL(domain_clock_offset, DOMAIN_CLOCK_LAST,
          "utc", "localtime");
ENUM_IMPL(domain_timer_name, DOMAIN_TIMER_LAST,
          "platform", "pit", "rtc", "hpet", "tsc", "kvmclock", "hypervclock",
          "armvtimer");
ENUM_IMPL(domain_timer_tickpolicy, 4, "delay", "catchup", "merge", "discard");
ENUM_IMPL(domain_timer_track, 4, "boot", "guest", "wall", "realtime");
ENUM_IMPL(domain_timer_mode, 5,
          "auto", "native", "emulate", "paravirt", "smpsafe");

static bool
domain_cpu_topology_parse(xmlNodePtr node, DomainCpuDef *cpu, GError **error)
{
    static const char *const names[] = { "sockets", "dies", "cores", "threads" };
    uint32_t *fields[] = { &cpu->sockets, &cpu->dies, &cpu->cores,
                           &cpu->threads };

    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        uint64_t v = 0;
        bool present = false;

        if (!xml_prop_uint(node, names[i], DOMAIN_MAX_VCPUS, &v, &present,
                           error))
            return false;
        /* libvirt requires sockets, cores and threads; dies defaults to 1. */
        if (!present && i != 1) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "/domain/cpu/topology: missing '%s' attribute",
                          names[i]);
            return false;
        }
        if (present && v == 0) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "/domain/cpu/topology: '%s' must be at least 1",
                          names[i]);
            return false;
        }
        *fields[i] = present ? v : 1;
    }
    cpu->has_topology = true;
    return true;
}

bool
domain_cpu_parse(xmlNodePtr node, DomainCpuDef *cpu, GError **error)
{
    xmlNodePtr topo;

    /* nimbus has no CPU models: the guest CPUID comes from
     * KVM_GET_SUPPORTED_CPUID (arch/x86_64/vm.c), so every mode behaves as
     * host-passthrough; mode, check and migratable are kept for the round
     * trip.  match says how strictly a <model> must be matched; with no
     * model (nimbus refuses them) there is nothing to match, as in
     * libvirt, and it is kept too (nova writes match='exact'). */
    cpu->present = true;
    if (!xml_prop_enum(node, "mode", domain_cpu_mode_from_string, &cpu->mode,
                       error) ||
        !xml_prop_enum(node, "check", domain_cpu_check_from_string,
                       &cpu->check, error) ||
        !xml_prop_enum(node, "match", domain_cpu_match_from_string,
                       &cpu->match, error) ||
        !xml_prop_tristate(node, "migratable", true, &cpu->migratable, error))
        return false;
    if (cpu->mode < 0)
        cpu->mode = DOMAIN_CPU_MODE_CUSTOM;
    if ((topo = xml_child(node, "topology")) &&
        !domain_cpu_topology_parse(topo, cpu, error))
        return false;
    return true;
}

void
domain_cpu_format(XmlBuf *buf, const DomainCpuDef *cpu,
                  const DomainNumaDef *numa)
{
    bool cells = numa && domain_numa_cells_any(numa);

    if (!cpu->present)
        return;
    /* libvirt omits mode='custom' when there is no <model>, which nimbus
     * never has (a CPU model is refused as unsupported). */
    if (cpu->mode == DOMAIN_CPU_MODE_CUSTOM && cpu->check < 0 &&
        cpu->match < 0 && cpu->migratable == XML_TRISTATE_ABSENT &&
        !cpu->has_topology && !cells)
        return;
    xml_buf_open(buf, "cpu");
    if (cpu->mode != DOMAIN_CPU_MODE_CUSTOM)
        xml_buf_attr(buf, "mode", domain_cpu_mode_to_string(cpu->mode));
    xml_buf_attr(buf, "match", domain_cpu_match_to_string(cpu->match));
    xml_buf_attr(buf, "check", domain_cpu_check_to_string(cpu->check));
    xml_buf_attr(buf, "migratable", xml_on_off_to_string(cpu->migratable));
    if (!cpu->has_topology && !cells) {
        xml_buf_end_empty(buf);
        return;
    }
    xml_buf_end_open(buf);
    if (cpu->has_topology) {
        xml_buf_open(buf, "topology");
        xml_buf_attr_uint(buf, "sockets", cpu->sockets);
        xml_buf_attr_uint(buf, "dies", cpu->dies);
        xml_buf_attr_uint(buf, "cores", cpu->cores);
        xml_buf_attr_uint(buf, "threads", cpu->threads);
        xml_buf_end_empty(buf);
    }
    /* libvirt's order: <topology>, then <numa>. */
    domain_numa_cells_format(buf, numa);
    xml_buf_close(buf, "cpu");
}

static void
domain_timer_free(gpointer p)
{
    g_free(p);
}

bool
domain_clock_parse(xmlNodePtr node, DomainClockDef *clock, GError **error)
{
    if (!xml_prop_enum(node, "offset", domain_clock_offset_from_string,
                       &clock->offset, error))
        return false;
    /* libvirt's default; nimbus's RTC (rtc-cmos.c) always runs on UTC. */
    if (clock->offset < 0)
        clock->offset = DOMAIN_CLOCK_UTC;

    for (xmlNodePtr n = node->children; n; n = n->next) {
        g_autofree DomainTimerDef *t = NULL;

        if (!xml_is_element(n, "timer"))
            continue;
        t = g_new0(DomainTimerDef, 1);
        if (!xml_prop_enum(n, "name", domain_timer_name_from_string, &t->name,
                           error) ||
            !xml_prop_tristate(n, "present", false, &t->present, error) ||
            !xml_prop_enum(n, "tickpolicy", domain_timer_tickpolicy_from_string,
                           &t->tickpolicy, error) ||
            !xml_prop_enum(n, "track", domain_timer_track_from_string,
                           &t->track, error) ||
            !xml_prop_enum(n, "mode", domain_timer_mode_from_string, &t->mode,
                           error) ||
            !xml_prop_uint(n, "frequency", G_MAXUINT64, &t->frequency, NULL,
                           error))
            return false;
        if (t->name < 0) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "/domain/clock/timer: missing 'name' attribute");
            return false;
        }
        g_ptr_array_add(clock->timers, g_steal_pointer(&t));
    }
    return true;
}

void
domain_clock_format(XmlBuf *buf, const DomainClockDef *clock)
{
    xml_buf_open(buf, "clock");
    xml_buf_attr(buf, "offset", domain_clock_offset_to_string(clock->offset));
    if (!clock->timers || clock->timers->len == 0) {
        xml_buf_end_empty(buf);
        return;
    }
    xml_buf_end_open(buf);
    for (guint i = 0; i < clock->timers->len; i++) {
        const DomainTimerDef *t = g_ptr_array_index(clock->timers, i);

        /* libvirt's virDomainTimerDefFormat order. */
        xml_buf_open(buf, "timer");
        xml_buf_attr(buf, "name", domain_timer_name_to_string(t->name));
        xml_buf_attr(buf, "present", xml_yes_no_to_string(t->present));
        xml_buf_attr(buf, "tickpolicy",
                     domain_timer_tickpolicy_to_string(t->tickpolicy));
        xml_buf_attr(buf, "track", domain_timer_track_to_string(t->track));
        if (t->frequency)
            xml_buf_attr_uint(buf, "frequency", t->frequency);
        xml_buf_attr(buf, "mode", domain_timer_mode_to_string(t->mode));
        xml_buf_end_empty(buf);
    }
    xml_buf_close(buf, "clock");
}

void
domain_clock_clear(DomainClockDef *clock)
{
    g_clear_pointer(&clock->timers, g_ptr_array_unref);
}

void
domain_clock_init(DomainClockDef *clock)
{
    clock->offset = DOMAIN_CLOCK_UTC;
    clock->timers = g_ptr_array_new_with_free_func(domain_timer_free);
}

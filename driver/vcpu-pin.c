/* SPDX-License-Identifier: Apache-2.0 */
/* vCPU and emulator thread placement: vcpuinfo, vcpupin, emulatorpin. */
#include <config.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "driver/domain.h"
#include "driver/drv-error.h"
#include "driver/nodestats.h"
#include "driver/process.h"
#include "driver/vcpu-pin.h"
#include "driver/xml/cputune.h"

/* Host CPUs are read from the real /proc and /sys: the threads are real. */
#define VCPU_PIN_ROOT "/"

/* "vcpu<N>" -> N; false for any other thread name.  nimbus names each
 * vCPU thread so (daemon/vcpu.c); every other thread is the emulator's. */
static bool
vcpu_pin_parse_comm(const char *comm, unsigned int *index)
{
    guint64 n = 0;

    if (!g_str_has_prefix(comm, "vcpu") || !comm[4] ||
        !g_ascii_string_to_unsigned(comm + 4, 10, 0, G_MAXUINT, &n, NULL))
        return false;
    *index = (unsigned int)n;
    return true;
}

/* tid -> vCPU index (or -1 for an emulator thread) of every thread of
 * @pid, from /proc/<pid>/task/<tid>/comm. */
static GHashTable *
vcpu_pin_threads_new(pid_t pid, GError **error)
{
    g_autofree char *dir = g_strdup_printf("/proc/%d/task", (int)pid);
    g_autoptr(GHashTable) tids = g_hash_table_new(NULL, NULL);
    g_autoptr(GDir) d = NULL;
    const char *ent;

    if (!(d = g_dir_open(dir, 0, error)))
        return NULL;
    while ((ent = g_dir_read_name(d))) {
        g_autofree char *path = g_strdup_printf("%s/%s/comm", dir, ent);
        g_autofree char *comm = NULL;
        unsigned int index = 0;
        guint64 tid = 0;

        /* A thread that ended between the listing and the read is gone:
         * it is neither a vCPU nor an emulator thread any more. */
        if (!g_ascii_string_to_unsigned(ent, 10, 1, G_MAXINT, &tid, NULL) ||
            !g_file_get_contents(path, &comm, NULL, NULL))
            continue;
        g_strchomp(comm);
        g_hash_table_insert(tids, GSIZE_TO_POINTER(tid),
                            GINT_TO_POINTER(vcpu_pin_parse_comm(comm, &index)
                                            ? (int)index : -1));
    }
    return g_steal_pointer(&tids);
}

/* The tid of vCPU @index among @threads, 0 if it has no thread. */
static pid_t
vcpu_pin_find(GHashTable *threads, unsigned int index)
{
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init(&it, threads);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (GPOINTER_TO_INT(v) == (int)index)
            return (pid_t)GPOINTER_TO_SIZE(k);
    }
    return 0;
}

/* The nimbus pid of a running @obj (locked), or 0 with @error. */
static pid_t
vcpu_pin_pid(DrvDomainObj *obj, GError **error)
{
    if (!drv_domain_obj_is_active(obj) || !obj->proc) {
        drv_domain_set_error_not_running(error);
        return 0;
    }
    return obj->proc->pid;
}

/* libvirt's cpumap (bit j of byte i = CPU i*8+j) <-> cpu_set_t. */
static void
vcpu_pin_set_to_map(const cpu_set_t *set, unsigned char *map, int maplen)
{
    for (int cpu = 0; cpu < maplen * 8 && cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, set))
            map[cpu / 8] |= 1u << (cpu % 8);
    }
}

/* cpu_set_t <-> the definition's CPU lists (uint32_t, ascending). */
static GArray *
vcpu_pin_set_to_cpus(const cpu_set_t *set)
{
    GArray *cpus = g_array_new(FALSE, FALSE, sizeof(uint32_t));

    for (uint32_t cpu = 0; cpu < CPU_SETSIZE && cpu <= DOMAIN_CPUSET_MAX;
         cpu++) {
        if (CPU_ISSET(cpu, set))
            g_array_append_val(cpus, cpu);
    }
    return cpus;
}

static void
vcpu_pin_cpus_to_set(const GArray *cpus, cpu_set_t *set)
{
    CPU_ZERO(set);
    for (guint i = 0; i < cpus->len; i++) {
        uint32_t cpu = g_array_index(cpus, uint32_t, i);

        if (cpu < CPU_SETSIZE)
            CPU_SET(cpu, set);
    }
}

static void
vcpu_pin_cpus_to_map(const GArray *cpus, unsigned char *map, int maplen)
{
    cpu_set_t set;

    vcpu_pin_cpus_to_set(cpus, &set);
    vcpu_pin_set_to_map(&set, map, maplen);
}

/* @map as a cpu_set_t, refused when empty or naming a CPU that is not
 * an online host CPU (libvirt's words). */
static bool
vcpu_pin_map_to_set(const unsigned char *map, int maplen, cpu_set_t *set,
                    GError **error)
{
    g_autoptr(GByteArray) online = NULL;
    unsigned int nonline = 0;
    int ncpus = 0;

    if (!(online = drv_node_cpu_map_new(VCPU_PIN_ROOT, &ncpus, &nonline,
                                        error)))
        return false;
    CPU_ZERO(set);
    for (int cpu = 0; cpu < maplen * 8; cpu++) {
        if (!(map[cpu / 8] & (1u << (cpu % 8))))
            continue;
        if (cpu >= ncpus || cpu >= CPU_SETSIZE ||
            !(online->data[cpu / 8] & (1u << (cpu % 8)))) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                        "invalid argument: CPU %d is not an online CPU of "
                        "this host", cpu);
            return false;
        }
        CPU_SET(cpu, set);
    }
    if (CPU_COUNT(set) == 0) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "invalid argument: Empty cpu list for pinning");
        return false;
    }
    return true;
}

/* Every online host CPU into @map: a vCPU nothing pins may run on any. */
static bool
vcpu_pin_all_cpus(unsigned char *map, int maplen, GError **error)
{
    g_autoptr(GByteArray) online = NULL;
    unsigned int nonline = 0;
    int ncpus = 0;

    if (!(online = drv_node_cpu_map_new(VCPU_PIN_ROOT, &ncpus, &nonline,
                                        error)))
        return false;
    memcpy(map, online->data, MIN((guint)maplen, online->len));
    return true;
}

static bool
vcpu_pin_get_affinity(pid_t tid, unsigned char *map, int maplen,
                      GError **error)
{
    cpu_set_t set;

    if (sched_getaffinity(tid, sizeof(set), &set) < 0) {
        int e = errno;

        g_set_error(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                    "cannot get CPU affinity of process %d: %s", (int)tid,
                    g_strerror(e));
        return false;
    }
    vcpu_pin_set_to_map(&set, map, maplen);
    return true;
}

static bool
vcpu_pin_set_affinity(pid_t tid, const cpu_set_t *set, GError **error)
{
    if (sched_setaffinity(tid, sizeof(*set), set) < 0) {
        int e = errno;

        g_set_error(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                    "cannot set CPU affinity on process %d: %s", (int)tid,
                    g_strerror(e));
        return false;
    }
    return true;
}

/* Fills @info from /proc/<pid>/task/<tid>/stat (proc(5): field 3 state,
 * 14 utime, 15 stime, 39 processor), read after the comm's last ')'
 * since the name may hold spaces or parentheses. */
static bool
vcpu_pin_read_stat(pid_t pid, pid_t tid, DrvVcpuInfo *info, GError **error)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/task/%d/stat",
                                            (int)pid, (int)tid);
    g_autofree char *text = NULL;
    g_auto(GStrv) f = NULL;
    const char *rest;
    long hz = sysconf(_SC_CLK_TCK);
    guint64 utime = 0, stime = 0;
    gint64 cpu = 0;

    if (!g_file_get_contents(path, &text, NULL, error))
        return false;
    rest = strrchr(text, ')');
    /* After ") ": f[0] is field 3, so field N is f[N - 3]. */
    if (!rest || !(f = g_strsplit(g_strstrip((char *)rest + 1), " ", 0)) ||
        g_strv_length(f) < 37 ||
        !g_ascii_string_to_unsigned(f[11], 10, 0, G_MAXUINT64, &utime, NULL) ||
        !g_ascii_string_to_unsigned(f[12], 10, 0, G_MAXUINT64, &stime, NULL) ||
        !g_ascii_string_to_signed(f[36], 10, 0, G_MAXINT, &cpu, NULL) ||
        hz <= 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                    "internal error: cannot parse '%s'", path);
        return false;
    }
    info->state = f[0][0] == 'R' ? DRV_VCPU_RUNNING : DRV_VCPU_BLOCKED;
    info->cpu_time_ns = (utime + stime) * (G_GUINT64_CONSTANT(1000000000) /
                                           (guint64)hz);
    info->cpu = (int)cpu;
    return true;
}

static void
vcpu_pin_set_error_no_thread(unsigned int vcpu, GError **error)
{
    g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                "operation failed: vCPU %u has no thread (is it being "
                "hot-plugged?)", vcpu);
}

int
drv_domain_get_vcpus(DrvDomainObj *obj, DrvVcpuInfo *info, int maxinfo,
                     unsigned char *cpumaps, int maplen, GError **error)
{
    g_autoptr(GHashTable) threads = NULL;
    int n = -1;
    int count;
    pid_t pid;

    drv_domain_obj_lock(obj);
    if (!(pid = vcpu_pin_pid(obj, error)) ||
        !(threads = vcpu_pin_threads_new(pid, error)))
        goto cleanup;
    count = MIN(maxinfo, (int)obj->live->vcpus);
    for (int i = 0; i < count; i++) {
        pid_t tid = vcpu_pin_find(threads, (unsigned int)i);

        if (!tid) {
            vcpu_pin_set_error_no_thread((unsigned int)i, error);
            goto cleanup;
        }
        info[i].number = (unsigned int)i;
        if (!vcpu_pin_read_stat(pid, tid, &info[i], error) ||
            (maplen > 0 &&
             !vcpu_pin_get_affinity(tid, cpumaps + (gsize)i * maplen, maplen,
                                    error)))
            goto cleanup;
    }
    n = count;
 cleanup:
    drv_domain_obj_unlock(obj);
    return n;
}

/* A query reads one definition: live or config, not both. */
static bool
vcpu_pin_check_one(unsigned int flags, GError **error)
{
    unsigned int both = DRV_DOMAIN_AFFECT_LIVE | DRV_DOMAIN_AFFECT_CONFIG;

    if ((flags & both) == both) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "invalid argument: Flags "
                            "'VIR_DOMAIN_AFFECT_LIVE' and "
                            "'VIR_DOMAIN_AFFECT_CONFIG' are mutually "
                            "exclusive");
        return false;
    }
    return true;
}

int
drv_domain_get_vcpu_pin_info(DrvDomainObj *obj, int ncpumaps,
                             unsigned char *cpumaps, int maplen,
                             unsigned int flags, GError **error)
{
    g_autoptr(GHashTable) threads = NULL;
    const DomainDef *def;
    int n = -1;
    int count;
    pid_t pid = 0;

    drv_domain_obj_lock(obj);
    if (!drv_domain_affect(obj, &flags, "virDomainGetVcpuPinInfo", error) ||
        !vcpu_pin_check_one(flags, error))
        goto cleanup;
    def = (flags & DRV_DOMAIN_AFFECT_LIVE) ? obj->live : obj->def;
    if ((flags & DRV_DOMAIN_AFFECT_LIVE) &&
        (!(pid = vcpu_pin_pid(obj, error)) ||
         !(threads = vcpu_pin_threads_new(pid, error))))
        goto cleanup;
    /* As libvirt: one map per vCPU up to the maximum.  A running vCPU
     * shows its thread's affinity; one not running (or the persistent
     * definition) its <vcpupin>, else every host CPU. */
    count = MIN(ncpumaps, (int)def->max_vcpus);
    for (int i = 0; i < count; i++) {
        unsigned char *map = cpumaps + (gsize)i * maplen;
        pid_t tid = threads ? vcpu_pin_find(threads, (unsigned int)i) : 0;
        const GArray *pin = domain_def_get_vcpupin(def, (uint32_t)i);

        if (tid) {
            if (!vcpu_pin_get_affinity(tid, map, maplen, error))
                goto cleanup;
        } else if (pin) {
            vcpu_pin_cpus_to_map(pin, map, maplen);
        } else if (!vcpu_pin_all_cpus(map, maplen, error)) {
            goto cleanup;
        }
    }
    n = count;
 cleanup:
    drv_domain_obj_unlock(obj);
    return n;
}

/* emulatorpin on the threads of nimbus @pid: every thread or none.  A
 * thread that ended meanwhile (ESRCH) needs no pinning; on any other
 * failure the threads already pinned get their old affinity back. */
static bool
vcpu_pin_emulator_pid(pid_t pid, const cpu_set_t *set, GError **error)
{
    g_autoptr(GHashTable) threads = NULL;
    g_autoptr(GArray) done = g_array_new(FALSE, FALSE, sizeof(pid_t));
    g_autoptr(GArray) old = g_array_new(FALSE, FALSE, sizeof(cpu_set_t));
    GHashTableIter it;
    gpointer k, v;

    if (!(threads = vcpu_pin_threads_new(pid, error)))
        return false;
    g_hash_table_iter_init(&it, threads);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        pid_t tid = (pid_t)GPOINTER_TO_SIZE(k);
        cpu_set_t prev;
        int e;

        if (GPOINTER_TO_INT(v) >= 0)
            continue;
        if (sched_getaffinity(tid, sizeof(prev), &prev) == 0 &&
            sched_setaffinity(tid, sizeof(*set), set) == 0) {
            g_array_append_val(done, tid);
            g_array_append_val(old, prev);
            continue;
        }
        if ((e = errno) == ESRCH)
            continue;
        for (guint i = 0; i < done->len; i++) {
            sched_setaffinity(g_array_index(done, pid_t, i), sizeof(cpu_set_t),
                              &g_array_index(old, cpu_set_t, i));
        }
        g_set_error(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                    "cannot set CPU affinity on process %d: %s", (int)tid,
                    g_strerror(e));
        return false;
    }
    return true;
}

/* emulatorpin on the running @obj (locked, job held). */
static bool
vcpu_pin_emulator_locked(DrvDomainObj *obj, const cpu_set_t *set,
                         GError **error)
{
    pid_t pid = vcpu_pin_pid(obj, error);

    return pid && vcpu_pin_emulator_pid(pid, set, error);
}

/* A copy of the persistent definition with vCPU @vcpu (G_MAXUINT: the
 * emulator) pinned to @set, checked as define checks it; NULL with
 * @error.  libvirt's words for a vCPU past the persistent maximum. */
static DomainDef *
vcpu_pin_config_new(DrvDomainObj *obj, unsigned int vcpu,
                    const cpu_set_t *set, GError **error)
{
    g_autoptr(DomainDef) config = NULL;
    g_autoptr(GArray) cpus = vcpu_pin_set_to_cpus(set);

    if (vcpu != G_MAXUINT && vcpu >= obj->def->max_vcpus) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "invalid argument: vcpu %u is out of range of "
                    "persistent cpu count %u", vcpu, obj->def->max_vcpus);
        return NULL;
    }
    config = domain_def_copy(obj->def);
    if (vcpu == G_MAXUINT)
        domain_def_set_emulatorpin(config, cpus);
    else
        domain_def_set_vcpupin(config, vcpu, cpus);
    return domain_def_check_vmconfig(config, error)
           ? g_steal_pointer(&config) : NULL;
}

/* The live definition shows the pins in effect (live XML, state file). */
static void
vcpu_pin_live_record(DrvDriver *driver, DrvDomainObj *obj, unsigned int vcpu,
                     const cpu_set_t *set)
{
    g_autoptr(GArray) cpus = vcpu_pin_set_to_cpus(set);

    if (!obj->live)
        return;
    if (vcpu == G_MAXUINT)
        domain_def_set_emulatorpin(obj->live, cpus);
    else
        domain_def_set_vcpupin(obj->live, vcpu, cpus);
    drv_process_save_state(driver, obj);
}

/* vcpupin on the running @obj (locked, job held). */
static bool
vcpu_pin_vcpu_locked(DrvDomainObj *obj, unsigned int vcpu,
                     const cpu_set_t *set, GError **error)
{
    g_autoptr(GHashTable) threads = NULL;
    pid_t pid;
    pid_t tid;

    /* Checked again under the job: the domain may have stopped, or
     * changed its vCPUs, while this call waited for the previous job. */
    if (!(pid = vcpu_pin_pid(obj, error)))
        return false;
    if (vcpu >= obj->live->vcpus) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "invalid argument: vcpu %u is out of range of live cpu "
                    "count %u", vcpu, obj->live->vcpus);
        return false;
    }
    if (!(threads = vcpu_pin_threads_new(pid, error)))
        return false;
    if (!(tid = vcpu_pin_find(threads, vcpu))) {
        vcpu_pin_set_error_no_thread(vcpu, error);
        return false;
    }
    return vcpu_pin_set_affinity(tid, set, error);
}

/* vcpupin and emulatorpin (@vcpu G_MAXUINT): the persistent definition
 * is prepared first, so that a refusal changes nothing, then the threads
 * are pinned, then the definition is written. */
static bool
vcpu_pin_common(DrvDriver *driver, DrvDomainObj *obj, unsigned int vcpu,
                const unsigned char *cpumap, int maplen, unsigned int flags,
                const char *api, GError **error)
{
    g_autoptr(DomainDef) config = NULL;
    cpu_set_t set;
    bool ok = false;

    drv_domain_obj_lock(obj);
    if (!drv_domain_affect(obj, &flags, api, error) ||
        !vcpu_pin_map_to_set(cpumap, maplen, &set, error))
        goto cleanup;
    if ((flags & DRV_DOMAIN_AFFECT_CONFIG) &&
        !(config = vcpu_pin_config_new(obj, vcpu, &set, error)))
        goto cleanup;
    if (flags & DRV_DOMAIN_AFFECT_LIVE) {
        if (!drv_domain_job_begin(obj, vcpu == G_MAXUINT ? "emulatorpin"
                                                         : "vcpupin", error))
            goto cleanup;
        ok = vcpu == G_MAXUINT ? vcpu_pin_emulator_locked(obj, &set, error)
                               : vcpu_pin_vcpu_locked(obj, vcpu, &set, error);
        if (ok)
            vcpu_pin_live_record(driver, obj, vcpu, &set);
        drv_domain_job_end(obj);
        if (!ok)
            goto cleanup;
        ok = false;
    }
    if (config && !drv_domain_commit_config(driver, obj, &config, error))
        goto cleanup;
    ok = true;
 cleanup:
    drv_domain_obj_unlock(obj);
    return ok;
}

bool
drv_domain_pin_vcpu(DrvDriver *driver, DrvDomainObj *obj, unsigned int vcpu,
                    const unsigned char *cpumap, int maplen,
                    unsigned int flags, GError **error)
{
    /* G_MAXUINT stands for the emulator below: no vCPU has that index
     * (DOMAIN_MAX_VCPUS). */
    if (vcpu == G_MAXUINT) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "invalid argument: vcpu %u is out of range", vcpu);
        return false;
    }
    return vcpu_pin_common(driver, obj, vcpu, cpumap, maplen, flags,
                           "virDomainPinVcpuFlags", error);
}

bool
drv_domain_pin_emulator(DrvDriver *driver, DrvDomainObj *obj,
                        const unsigned char *cpumap, int maplen,
                        unsigned int flags, GError **error)
{
    return vcpu_pin_common(driver, obj, G_MAXUINT, cpumap, maplen, flags,
                           "virDomainPinEmulator", error);
}

int
drv_domain_get_emulator_pin_info(DrvDomainObj *obj, unsigned char *cpumap,
                                 int maplen, unsigned int flags,
                                 GError **error)
{
    int n = -1;
    pid_t pid;

    drv_domain_obj_lock(obj);
    if (!drv_domain_affect(obj, &flags, "virDomainGetEmulatorPinInfo",
                           error) ||
        !vcpu_pin_check_one(flags, error))
        goto cleanup;
    if (flags & DRV_DOMAIN_AFFECT_LIVE) {
        /* The main thread stands for them all: emulatorpin sets every
         * emulator thread alike. */
        if (!(pid = vcpu_pin_pid(obj, error)) ||
            !vcpu_pin_get_affinity(pid, cpumap, maplen, error))
            goto cleanup;
    } else if (domain_def_get_emulatorpin(obj->def)) {
        vcpu_pin_cpus_to_map(domain_def_get_emulatorpin(obj->def), cpumap,
                             maplen);
    } else if (!vcpu_pin_all_cpus(cpumap, maplen, error)) {
        goto cleanup;
    }
    n = 1;
 cleanup:
    drv_domain_obj_unlock(obj);
    return n;
}

bool
drv_domain_cputune_check_host(const DomainDef *def, GError **error)
{
    g_autoptr(GByteArray) online = NULL;
    unsigned int nonline = 0;
    int ncpus = 0;

    if (!(online = drv_node_cpu_map_new(VCPU_PIN_ROOT, &ncpus, &nonline,
                                        error)))
        return false;
    return domain_def_cputune_check_host(def, online, ncpus, error);
}

bool
drv_domain_cputune_apply_started(pid_t pid, const DomainDef *def,
                                 GError **error)
{
    const GArray *cpus = domain_def_get_emulatorpin(def);
    cpu_set_t set;

    /* The vCPU threads are pinned by nimbus itself (cpus.affinity). */
    if (!cpus)
        return true;
    vcpu_pin_cpus_to_set(cpus, &set);
    return vcpu_pin_emulator_pid(pid, &set, error);
}

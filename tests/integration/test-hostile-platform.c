/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test: a hostile guest attacks BARs, MSI-X, unclaimed I/O, serial and console. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/integration/api-vmm.h"
#include "tests/integration/test-virtio-guest.h"

/*
 * One guest runs every mode of test-hostile-platform-guest in turn (one
 * boot keeps the program near a minute or two under nested KVM).  At each
 * "hostile-platform: sync TAG" line the guest waits on the serial port
 * while the host checks the VMM: vm.info and vm.counters answer, RSS has
 * not grown by more than RSS_SLACK_KB since the first sync, and where a
 * BAR was placed, vm.info's device tree shows no MMIO range there.  At the
 * end the VMM must be nearly idle (a flood left no busy loop behind) and
 * the untouched virtio-blk disk still reads.
 */

/* The guest touches some RAM as it runs; the VMM itself must not grow. */
#define RSS_SLACK_KB (48 * 1024)
/* CPU the VMM may use over IDLE_SECONDS of an idle guest. */
#define IDLE_SECONDS 3
#define IDLE_CPU_MAX 0.5
#define DISK_MAGIC "hostile-disk-ok"

typedef struct {
    TestProc *p;
    ApiVmm api;            /* only .socket is used */
    guint64 rss0_kb;
} Hostile;

static guint64
proc_rss_kb(GPid pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
    g_autofree char *text = NULL;
    const char *s;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    s = strstr(text, "VmRSS:");
    g_assert_nonnull(s);
    return g_ascii_strtoull(s + strlen("VmRSS:"), NULL, 10);
}

/* User + system CPU seconds of the whole process (all threads). */
static double
proc_cpu_seconds(GPid pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *text = NULL;
    g_auto(GStrv) f = NULL;
    const char *s;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    /* Fields after the command name, which may hold spaces. */
    s = strrchr(text, ')');
    g_assert_nonnull(s);
    f = g_strsplit(s + 2, " ", -1);
    g_assert_cmpuint(g_strv_length(f), >, 13);
    /* utime and stime: fields 14 and 15, i.e. 11 and 12 after ')'. */
    return (double)(g_ascii_strtoull(f[11], NULL, 10) +
                    g_ascii_strtoull(f[12], NULL, 10)) /
           (double)sysconf(_SC_CLK_TCK);
}

/* @text without blanks, so that JSON spacing does not matter. */
static char *
squeeze(const char *text)
{
    GString *s = g_string_new(NULL);

    for (const char *c = text; *c; c++) {
        if (!g_ascii_isspace(*c))
            g_string_append_c(s, *c);
    }
    return g_string_free(s, FALSE);
}

static unsigned
count_of(const char *hay, const char *needle)
{
    unsigned n = 0;

    for (const char *s = strstr(hay, needle); s; s = strstr(s + 1, needle))
        n++;
    return n;
}

/* How many MMIO ranges vm.info shows at @base. */
static unsigned
ranges_at(const char *info, guint64 base)
{
    g_autofree char *needle = g_strdup_printf(
        "\"MmioAddressRange\":{\"base\":%" G_GINT64_FORMAT ",",
        (gint64)base);

    return count_of(info, needle);
}

/* The value of the last "hostile-platform: @what 0x..." line. */
static guint64
last_addr(Hostile *h, const char *what)
{
    g_autofree char *out = test_proc_output(h->p);
    g_autofree char *prefix = g_strdup_printf("hostile-platform: %s 0x", what);
    const char *s = NULL;

    for (const char *t = strstr(out, prefix); t; t = strstr(t + 1, prefix))
        s = t;
    g_assert_nonnull(s);
    return g_ascii_strtoull(s + strlen(prefix), NULL, 16);
}

/* Waits for the guest's sync line, checks the VMM, returns vm.info (blanks
 * squeezed out); the caller answers with sync_go(). */
static char *
sync_check(Hostile *h, const char *tag)
{
    /* No newline: the guest tty ends lines with "\r\n". */
    g_autofree char *line = g_strdup_printf("hostile-platform: sync %s",
                                            tag);
    g_autofree char *info = NULL;
    g_autofree char *counters = NULL;
    guint64 rss;

    if (!test_proc_wait_output(h->p, line, BOOT_TIMEOUT_MS)) {
        g_autofree char *out = test_proc_output(h->p);

        g_test_message("no '%s'; output:\n%s", tag, out);
        g_assert_not_reached();
    }
    g_assert_false(test_proc_exited(h->p));
    g_assert_cmpuint(api_vmm_call(&h->api, "GET", "vm.info", NULL, &info), ==,
                     200);
    g_assert_cmpuint(api_vmm_call(&h->api, "GET", "vm.counters", NULL,
                                  &counters), ==, 200);
    assert_contains(info, "Running");
    rss = proc_rss_kb(test_proc_pid(h->p));
    if (!h->rss0_kb)
        h->rss0_kb = rss;
    g_test_message("%s: VmRSS %" G_GUINT64_FORMAT " kB (first %" G_GUINT64_FORMAT
                   " kB)", tag, rss, h->rss0_kb);
    g_assert_cmpuint(rss, <, h->rss0_kb + RSS_SLACK_KB);
    return squeeze(info);
}

static void
sync_go(Hostile *h)
{
    test_proc_write(h->p, "go\n");
}

static void
test_hostile_platform(void)
{
    static const char *const outside[] = { "lapic", "ioapic", "ecam",
                                           "kvm-tss" };
    static const char *const oks[] = {
        "bars ram", "bars other-bar", "bars lapic", "bars ioapic",
        "bars ecam", "bars kvm-tss", "bars size-probe", "bars half-written",
        "bars moved", "bars done", "msix addr-low", "msix addr-hpet",
        "msix addr-high-dword", "msix vector-3", "msix vector-14-lowest",
        "msix mode-reserved", "msix pending", "msix pba-writes",
        "msix storm", "msix done", "pio storm", "mmio storm", "serial flood",
        "console flood",
    };
    g_autofree char *prog = test_build_path(
        "tests/integration/test-hostile-platform-guest");
    g_autofree char *dir = path_in_tmp("hostile-platform");
    g_autofree char *dst = g_build_filename(dir, "hostile-platform", NULL);
    g_autofree char *img = path_in_tmp("hostile-platform.img");
    g_autofree char *mk = g_strdup_printf(
        "printf '%s' > '%s' && truncate -s 16M '%s'", DISK_MAGIC, img, img);
    g_autofree char *o = sh(mk);
    g_autofree char *disk = g_strdup_printf("path=%s", img);
    g_autofree char *sock = path_in_tmp("hostile-platform.sock");
    g_autofree char *api = g_strdup_printf("path=%s", sock);
    g_autofree char *initrd = NULL;
    g_autofree char *data = NULL;
    g_autofree char *out = NULL;
    g_autofree char *info = NULL;
    gsize len = 0;
    const char *args[] = { "--disk", disk, "--api-socket", api, NULL };
    GuestSpec g = {
        .script = "/hostile-platform bars || exit 1\n"
                  "/hostile-platform msix || exit 1\n"
                  "/hostile-platform pio 100000 || exit 1\n"
                  "/hostile-platform mmio 100000 || exit 1\n"
                  "echo 'hostile-platform: sync storms'; read -r c\n"
                  "/hostile-platform serial 50000 || exit 1\n"
                  "/hostile-platform console 4 || exit 1\n"
                  "echo 'hostile-platform: sync floods'; read -r c\n"
                  "echo \"disk: $(head -c 15 /dev/vda)\"\n"
                  "echo 'hostile-platform: sync idle'; read -r c\n",
        .args = args,
        /* A pty nobody opens: the console flood has no reader. */
        .console = "pty",
    };
    Hostile h = { 0 };
    guint64 home, blk, addr;
    double cpu;

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_get_contents(prog, &data, &len, NULL));
    g_assert_true(g_file_set_contents(dst, data, (gssize)len, NULL));
    g_assert_cmpint(chmod(dst, 0755), ==, 0);
    initrd = initrd_with("hostile-platform-initrd.cpio", dir);
    g.initrd = initrd;
    h.api.socket = sock;
    h.p = guest_spawn(&g);

    /* Home: vm.info shows both BAR0s where the guest reads them. */
    info = sync_check(&h, "bars-home");
    home = last_addr(&h, "rng BAR0");
    {
        g_autofree char *o2 = test_proc_output(h.p);
        const char *s = strstr(o2, " blk BAR0 0x");

        g_assert_nonnull(s);
        blk = g_ascii_strtoull(s + strlen(" blk BAR0 0x"), NULL, 16);
    }
    g_assert_cmpuint(ranges_at(info, home), ==, 1);
    g_assert_cmpuint(ranges_at(info, blk), ==, 1);
    sync_go(&h);
    g_clear_pointer(&info, g_free);

    /* Over RAM: nothing on the MMIO bus there, and nothing at home. */
    info = sync_check(&h, "bars-ram");
    addr = last_addr(&h, "bar placed");
    g_assert_cmpuint(ranges_at(info, addr), ==, 0);
    g_assert_cmpuint(ranges_at(info, home), ==, 0);
    sync_go(&h);
    g_clear_pointer(&info, g_free);

    /* Over virtio-blk's BAR0: blk keeps its one range. */
    info = sync_check(&h, "bars-blk");
    g_assert_cmpuint(ranges_at(info, blk), ==, 1);
    g_assert_cmpuint(ranges_at(info, home), ==, 0);
    sync_go(&h);
    g_clear_pointer(&info, g_free);

    for (unsigned i = 0; i < G_N_ELEMENTS(outside); i++) {
        g_autofree char *tag = g_strdup_printf("bars-%s", outside[i]);

        info = sync_check(&h, tag);
        addr = last_addr(&h, "bar placed");
        g_assert_cmpuint(ranges_at(info, addr), ==,
                         strcmp(outside[i], "ecam") == 0 ? 1 : 0);
        g_assert_cmpuint(ranges_at(info, home), ==, 0);
        sync_go(&h);
        g_clear_pointer(&info, g_free);
    }

    /* The size probe left in place: nothing at the top of the space. */
    info = sync_check(&h, "bars-probe");
    g_assert_cmpuint(ranges_at(info, 0xfffffffffff80000ULL), ==, 0);
    g_assert_cmpuint(ranges_at(info, home), ==, 0);
    sync_go(&h);
    g_clear_pointer(&info, g_free);

    /* A free address in the window: the BAR decodes there. */
    info = sync_check(&h, "bars-moved");
    g_assert_cmpuint(ranges_at(info, 0xdff00000), ==, 1);
    sync_go(&h);
    g_clear_pointer(&info, g_free);

    info = sync_check(&h, "storms");
    g_assert_cmpuint(ranges_at(info, home), ==, 1);
    sync_go(&h);
    g_clear_pointer(&info, g_free);
    info = sync_check(&h, "floods");
    sync_go(&h);
    g_clear_pointer(&info, g_free);

    /* Idle guest, idle VMM: no flood or storm left a busy loop. */
    info = sync_check(&h, "idle");
    cpu = proc_cpu_seconds(test_proc_pid(h.p));
    g_usleep(IDLE_SECONDS * G_USEC_PER_SEC);
    cpu = proc_cpu_seconds(test_proc_pid(h.p)) - cpu;
    g_test_message("idle: %.2f s of CPU in %d s", cpu, IDLE_SECONDS);
    g_assert_cmpfloat(cpu, <, IDLE_CPU_MAX * IDLE_SECONDS);
    sync_go(&h);

    g_assert_true(test_proc_wait_output(h.p, GUEST_OK, BOOT_TIMEOUT_MS));
    g_assert_cmpint(test_proc_wait_exit(h.p, 60 * 1000), ==, 0);
    out = test_proc_output(h.p);
    for (unsigned i = 0; i < G_N_ELEMENTS(oks); i++) {
        g_autofree char *want = g_strdup_printf("hostile-platform: %s ok",
                                                oks[i]);

        assert_contains(out, want);
    }
    assert_contains(out, "disk: " DISK_MAGIC);
    g_assert_null(strstr(out, "hostile-platform: FAIL"));
    test_proc_free(h.p);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hostile/platform", test_hostile_platform);
    return g_test_run();
}

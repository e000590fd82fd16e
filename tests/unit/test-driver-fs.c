/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for nimbusd's live <filesystem> attach when the domain stops or restarts meanwhile. */
#include <config.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/registry.h"
#include "driver/conf.h"
#include "driver/domain.h"
#include "driver/drv-error.h"
#include "driver/fs-device.h"
#include "driver/helper-proc.h"
#include "driver/virtiofsd.h"
#include "driver/xml/filesystem.h"
#include "tests/testutil.h"

/*
 * drv_fs_attach_live() drops the domain's lock while nimbus answers
 * vm.add-fs.  A fake VMM answers it on a UNIX socket, and before
 * answering does to the domain what a destroy (and a start) would in
 * that window.  virtiofsd is a fake too (<binary path>): a script named
 * virtiofsd that listens on its --socket-path, so that nimbusd's pid
 * files find it by name.
 */

#define NAME "fsd"

#define XML_HEAD                                                             \
    "<domain type='kvm'><name>" NAME "</name>"                               \
    "<memory unit='MiB'>256</memory><memoryBacking><source type='memfd'/>"   \
    "<access mode='shared'/></memoryBacking>"                                \
    "<os><type>hvm</type><kernel>/boot/vmlinux</kernel></os><devices>"
#define XML_TAIL "</devices></domain>"

typedef enum {
    VMM_ANSWER,                   /* nothing happens meanwhile */
    VMM_STOPPED,                  /* destroyed meanwhile */
    VMM_RESTARTED,                /* destroyed and started again */
} VmmWhat;

typedef struct {
    int listen_fd;
    VmmWhat what;
    DrvDriver *driver;
    DrvDomainObj *obj;
    DomainDef *next_live;         /* VMM_RESTARTED: the new run's (owned) */
    DomainDef *next_live_seen;    /* what obj->live became */
    GPid attached_pid;            /* the attach's virtiofsd, as found */
} FakeVmm;

static char *
fake_virtiofsd(void)
{
    g_autofree char *dir = g_build_filename(test_tmpdir(), "bin", NULL);
    char *path = g_build_filename(dir, "virtiofsd", NULL);
    static const char script[] =
        "#!/usr/bin/python3\n"
        "import os, socket, sys, time\n"
        "path = [a.split('=', 1)[1] for a in sys.argv\n"
        "        if a.startswith('--socket-path=')][0]\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "s.bind(path)\n"
        "s.listen(1)\n"
        "# Gone with the test, even one that failed before stopping it.\n"
        "parent = os.getppid()\n"
        "while os.getppid() == parent:\n"
        "    time.sleep(0.2)\n";

    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(path, script, -1, NULL));
    g_assert_cmpint(chmod(path, 0700), ==, 0);
    return path;
}

/* A domain definition with a filesystem on @source (NULL: none). */
static DomainDef *
parse(const char *source)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *bin = fake_virtiofsd();
    g_autofree char *fs = source ?
        g_strdup_printf("<filesystem type='mount' accessmode='passthrough'>"
                        "<driver type='virtiofs'/><binary path='%s'/>"
                        "<source dir='%s'/><target dir='share'/>"
                        "</filesystem>", bin, source) : g_strdup("");
    g_autofree char *xml = g_strconcat(XML_HEAD, fs, XML_TAIL, NULL);
    DomainDef *def = domain_def_parse_string(xml, DOMAIN_DEF_PARSE_INACTIVE,
                                             &error);

    g_assert_no_error(error);
    return def;
}

static char *
share_dir(const char *name)
{
    char *dir = g_build_filename(test_tmpdir(), name, NULL);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    return dir;
}

static GPid
virtiofsd_pid(DrvDriver *driver, const char *id)
{
    g_autofree char *dir = drv_virtiofsd_dir(driver, NAME);
    g_autofree char *file = g_strconcat(id, ".pid", NULL);
    g_autofree char *pidfile = g_build_filename(dir, file, NULL);

    return drv_helper_pid_read(pidfile, NULL);
}

/* Reads one request: its head and its Content-Length body. */
static void
read_request(int fd)
{
    g_autoptr(GString) req = g_string_new(NULL);
    char buf[4096];

    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        const char *end, *cl;

        g_assert_cmpint(n, >, 0);
        g_string_append_len(req, buf, n);
        end = strstr(req->str, "\r\n\r\n");
        if (!end)
            continue;
        cl = strstr(req->str, "Content-Length: ");
        if (req->len >= (size_t)(end - req->str) + 4 +
                        (cl ? strtoul(cl + 16, NULL, 10) : 0))
            break;
    }
    g_assert_nonnull(strstr(req->str, "PUT /api/v1/vm.add-fs "));
}

static gpointer
fake_vmm_thread(gpointer data)
{
    FakeVmm *v = data;
    static const char body[] = "{\"id\":\"fs0\",\"bdf\":\"0000:00:03.0\"}";
    g_autofree char *rsp = g_strdup_printf(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
    int fd = accept(v->listen_fd, NULL, NULL);

    g_assert_cmpint(fd, >=, 0);
    read_request(fd);
    v->attached_pid = virtiofsd_pid(v->driver, "fs0");
    if (v->what != VMM_ANSWER) {
        /* What drv_process_stop() and a later start do. */
        drv_domain_obj_lock(v->obj);
        drv_virtiofsd_release(v->driver, NAME);
        g_clear_pointer(&v->obj->live, domain_def_free);
        if (v->what == VMM_RESTARTED) {
            v->obj->generation++;
            g_assert_true(drv_virtiofsd_prepare(v->driver, NAME,
                                                v->next_live, NULL));
            v->obj->live = v->next_live_seen = g_steal_pointer(&v->next_live);
        }
        drv_domain_obj_unlock(v->obj);
    }
    g_assert_cmpint(fd_write_all(fd, rsp, strlen(rsp)), ==, 0);
    close(fd);
    return NULL;
}

static int
listen_on(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    unlink(path);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    g_assert_cmpint(listen(fd, 1), ==, 0);
    return fd;
}

/* Attaches a filesystem on share "a" to a running domain whose VMM does
 * @what meanwhile; returns what drv_fs_attach_live() did. */
static bool
attach(VmmWhat what, FakeVmm *v, DrvDriver *driver, GError **error)
{
    g_autofree char *sock = g_build_filename(test_tmpdir(), "vmm.sock",
                                             NULL);
    g_autofree char *a = share_dir("a");
    g_autofree char *b = share_dir("b");
    g_autoptr(DomainDef) def = parse(NULL);
    DrvDomainObj *obj = drv_domain_obj_new(def);
    GThread *thread;
    bool ok;

    obj->live = parse(NULL);
    obj->generation = 1;
    *v = (FakeVmm){
        .listen_fd = listen_on(sock), .what = what, .driver = driver,
        .obj = obj, .next_live = what == VMM_RESTARTED ? parse(b) : NULL,
    };
    thread = g_thread_new("fake-vmm", fake_vmm_thread, v);
    drv_domain_obj_lock(obj);
    ok = drv_fs_attach_live(driver, obj, sock, parse(a), 0, error);
    drv_domain_obj_unlock(obj);
    g_thread_join(thread);
    close(v->listen_fd);
    return ok;
}

static void
test_attach(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvConfig) cfg = drv_config_new(test_tmpdir(), test_tmpdir(),
                                              &error);
    DrvDriver driver = { .config = cfg };
    FakeVmm v;

    g_assert_no_error(error);
    g_assert_true(attach(VMM_ANSWER, &v, &driver, &error));
    g_assert_no_error(error);
    /* The live definition has it, named as nimbus knows it. */
    g_assert_cmpuint(domain_def_fs_count(v.obj->live), ==, 1);
    g_assert_true(g_str_has_suffix(domain_def_fs_source(v.obj->live, 0),
                                   "/a"));
    g_assert_cmpint(v.attached_pid, >, 0);
    g_assert_cmpint(virtiofsd_pid(&driver, "fs0"), ==, v.attached_pid);
    drv_virtiofsd_release(&driver, NAME);
    drv_domain_obj_unref(v.obj);
}

static void
test_attach_stopped(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvConfig) cfg = drv_config_new(test_tmpdir(), test_tmpdir(),
                                              &error);
    DrvDriver driver = { .config = cfg };
    FakeVmm v;

    g_assert_no_error(error);
    g_assert_false(attach(VMM_STOPPED, &v, &driver, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID);
    g_assert_null(v.obj->live);
    g_assert_cmpint(v.attached_pid, >, 0);
    g_assert_cmpint(virtiofsd_pid(&driver, "fs0"), ==, 0);
    drv_domain_obj_unref(v.obj);
}

/*
 * Destroyed and started again while vm.add-fs was in flight: the new run
 * (its own filesystem fs0, on share "b") keeps its definition and its
 * virtiofsd, although the attach's filesystem was named fs0 too.
 */
static void
test_attach_restarted(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvConfig) cfg = drv_config_new(test_tmpdir(), test_tmpdir(),
                                              &error);
    DrvDriver driver = { .config = cfg };
    FakeVmm v;
    GPid now;

    g_assert_no_error(error);
    g_assert_false(attach(VMM_RESTARTED, &v, &driver, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED);
    g_assert_nonnull(strstr(error->message, "restarted"));
    g_assert_true(v.obj->live == v.next_live_seen);
    g_assert_true(g_str_has_suffix(domain_def_fs_source(v.obj->live, 0),
                                   "/b"));
    now = virtiofsd_pid(&driver, "fs0");
    g_assert_cmpint(v.attached_pid, >, 0);
    g_assert_cmpint(now, >, 0);
    g_assert_cmpint(now, !=, v.attached_pid);
    drv_virtiofsd_release(&driver, NAME);
    drv_domain_obj_unref(v.obj);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/driver/fs/attach-live", test_attach);
    g_test_add_func("/driver/fs/attach-live-stopped", test_attach_stopped);
    g_test_add_func("/driver/fs/attach-live-restarted",
                    test_attach_restarted);
    return g_test_run();
}

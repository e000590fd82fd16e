/* SPDX-License-Identifier: Apache-2.0 */
/* Starting the system libvirtd where nothing has (libvirtd-start.h). */
#include <config.h>

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "driver/drv-error.h"
#include "driver/libvirtd-start.h"

/* libvirt 9.0's system socket (its unix_sock_dir default). */
#define LIBVIRTD_SYSTEM_SOCKET "/run/libvirt/libvirt-sock"
/* How long libvirtd may take to listen: its drivers initialise first. */
#define LIBVIRTD_START_TIMEOUT_US (30 * G_USEC_PER_SEC)

/* The drivers a monolithic libvirtd serves on its one socket. */
static bool
drv_libvirtd_scheme_ok(const char *scheme)
{
    static const char *const drivers[] = {
        "qemu", "network", "storage", "nodedev", "secret", "nwfilter",
        "interface", NULL
    };
    g_autofree char *base = g_strdup(scheme);
    char *plus = strchr(base, '+');

    /* qemu+unix:// is the same socket; any other transport is remote. */
    if (plus) {
        if (strcmp(plus + 1, "unix") != 0)
            return false;
        *plus = '\0';
    }
    return g_strv_contains(drivers, base);
}

char *
drv_libvirtd_socket_of(const char *uri)
{
    g_autoptr(GUri) u = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);

    if (!u || !g_uri_get_scheme(u) ||
        !drv_libvirtd_scheme_ok(g_uri_get_scheme(u)))
        return NULL;
    if (g_uri_get_host(u) && *g_uri_get_host(u))
        return NULL;
    if (strcmp(g_uri_get_path(u), "/system") != 0)
        return NULL;
    /* ?socket= (or any parameter): a daemon configured by someone else. */
    if (g_uri_get_query(u))
        return NULL;
    return g_strdup(LIBVIRTD_SYSTEM_SOCKET);
}

bool
drv_libvirtd_needs_start(const char *uri)
{
    g_autofree char *sock = drv_libvirtd_socket_of(uri);

    return sock && !g_file_test(sock, G_FILE_TEST_EXISTS);
}

/* Whether something accepts connections on @path. */
static bool
drv_libvirtd_accepts(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;
    bool ok;

    if (strlen(path) >= sizeof(sa.sun_path))
        return false;
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

bool
drv_libvirtd_start(const char *uri, GError **error)
{
    g_autofree char *sock = drv_libvirtd_socket_of(uri);
    g_autofree char *bin = g_find_program_in_path("libvirtd");
    g_autofree char *err_out = NULL;
    const char *argv[] = { NULL, "--daemon", NULL };
    g_autoptr(GError) local = NULL;
    gint64 deadline;
    int status = 0;

    if (!sock) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "'%s' is not a system libvirtd URI nimbusd may start",
                    uri);
        return false;
    }
    if (!bin) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_SUPPORT,
                    "libvirtd is not installed (no 'libvirtd' in PATH "
                    "'%s'; on Debian: apt install libvirt-daemon-system)",
                    g_getenv("PATH") ? g_getenv("PATH") : "");
        return false;
    }
    if (g_file_test("/run/systemd/system", G_FILE_TEST_IS_DIR)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_SUPPORT,
                    "'%s' does not exist and systemd manages libvirtd: "
                    "start it with 'systemctl start libvirtd.socket'",
                    sock);
        return false;
    }
    if (geteuid() != 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_SUPPORT,
                    "'%s' does not exist and only root may start the "
                    "system libvirtd", sock);
        return false;
    }
    g_message("starting '%s --daemon' for '%s'", bin, uri);
    argv[0] = bin;
    /* --daemon returns once libvirtd has forked into the background. */
    if (!g_spawn_sync(NULL, (char **)argv, NULL,
                      G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDIN_FROM_DEV_NULL,
                      NULL, NULL, NULL, &err_out, &status, &local)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                    "cannot run '%s': %s", bin, local->message);
        return false;
    }
    if (!g_spawn_check_wait_status(status, &local)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                    "'%s --daemon' failed (%s): %s", bin, local->message,
                    err_out && *err_out ? g_strstrip(err_out) : "no output");
        return false;
    }
    /* The socket is bound a moment before it listens: wait for a connect,
     * not for the file. */
    deadline = g_get_monotonic_time() + LIBVIRTD_START_TIMEOUT_US;
    while (!drv_libvirtd_accepts(sock)) {
        if (g_get_monotonic_time() > deadline) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                        "'%s --daemon' started but '%s' accepted no "
                        "connection within %d s", bin, sock,
                        (int)(LIBVIRTD_START_TIMEOUT_US / G_USEC_PER_SEC));
            return false;
        }
        g_usleep(100 * 1000);
    }
    return true;
}

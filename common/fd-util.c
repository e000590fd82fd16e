/* SPDX-License-Identifier: Apache-2.0 */
/* Small file-descriptor helpers shared by nimbus, nimbus-remote and nimbusd. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"

void
fd_close(int fd)
{
    int saved = errno;

    if (fd >= 0)
        close(fd);
    errno = saved;
}

int
fd_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                /* Non-blocking fd: wait until it drains rather than drop data. */
                struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                poll(&pfd, 1, -1);
                continue;
            }
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t
fd_read_full(int fd, void *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = read(fd, (char *)buf + done, len - done);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

int
fd_set_nonblock(int fd, bool nonblock)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0)
        return -errno;
    flags = nonblock ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    return fcntl(fd, F_SETFL, flags) < 0 ? -errno : 0;
}

int
fd_set_cloexec(int fd, bool cloexec)
{
    int flags = fcntl(fd, F_GETFD);

    if (flags < 0)
        return -errno;
    flags = cloexec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
    return fcntl(fd, F_SETFD, flags) < 0 ? -errno : 0;
}

bool
fd_parse(const char *s, int *fd, GError **error)
{
    guint64 v;

    /* 0-2 are stdio: accepting them would let a typo close the console. */
    if (!g_ascii_string_to_unsigned(s, 10, 3, G_MAXINT, &v, NULL)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "invalid file descriptor '%s' (expected a number > 2)", s);
        return false;
    }
    *fd = (int)v;
    return true;
}

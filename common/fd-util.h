/* SPDX-License-Identifier: Apache-2.0 */
/* Small file-descriptor helpers shared by nimbus, nimbus-remote and nimbusd. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <glib.h>

/* close() that keeps errno and ignores -1; for g_auto cleanup. */
void fd_close(int fd);
static inline void
fd_closep(int *fd)
{
    if (*fd >= 0)
        fd_close(*fd);
    *fd = -1;
}
/* An int fd closed when it goes out of scope. */
#define g_autofd_t __attribute__((cleanup(fd_closep))) int

/* Retries on EINTR/EAGAIN (polling); returns 0 or -errno. */
int fd_write_all(int fd, const void *buf, size_t len);
/* Reads up to @len bytes, retrying on EINTR; returns bytes read or -errno. */
ssize_t fd_read_full(int fd, void *buf, size_t len);
int fd_set_nonblock(int fd, bool nonblock);
int fd_set_cloexec(int fd, bool cloexec);
/* Parses a decimal fd number (> 2) for "fd=N" options. */
bool fd_parse(const char *s, int *fd, GError **error);

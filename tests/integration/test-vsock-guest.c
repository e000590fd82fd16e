/* SPDX-License-Identifier: Apache-2.0 */
/* Guest side of test-vsock: a guest-initiated vsock stream, then a host-initiated echo. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

/*
 * Static, no glib: it runs in the busybox initramfs, whose nc has no
 * AF_VSOCK.  Listens on port 1234 first (so that the host's CONNECT finds
 * it), talks to host port 5000, then echoes one line of the host's
 * connection.  Exit status 0 only if every step worked.
 */

static int
fail(const char *what)
{
    printf("vsock-guest: %s: %s\n", what, strerror(errno));
    return 1;
}

/* Reads one line (without its '\n') into @buf. */
static int
read_line(int fd, char *buf, size_t size)
{
    size_t n = 0;

    while (n + 1 < size) {
        ssize_t r = read(fd, buf + n, 1);

        if (r <= 0)
            return -1;
        if (buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = '\0';
    return 0;
}

int
main(void)
{
    struct sockaddr_vm any = { .svm_family = AF_VSOCK,
                               .svm_cid = VMADDR_CID_ANY, .svm_port = 1234 };
    struct sockaddr_vm host = { .svm_family = AF_VSOCK,
                                .svm_cid = VMADDR_CID_HOST, .svm_port = 5000 };
    char line[128];
    int l, c, s;

    alarm(300);
    if ((l = socket(AF_VSOCK, SOCK_STREAM, 0)) < 0)
        return fail("socket");
    if (bind(l, (struct sockaddr *)&any, sizeof(any)) < 0 || listen(l, 1) < 0)
        return fail("listen");
    printf("vsock-guest: listening\n");
    fflush(stdout);
    /* guest -> host: "<socket>_5000" on the host. */
    if ((c = socket(AF_VSOCK, SOCK_STREAM, 0)) < 0 ||
        connect(c, (struct sockaddr *)&host, sizeof(host)) < 0)
        return fail("connect to the host");
    if (write(c, "ping-from-guest\n", 16) != 16 || read_line(c, line,
                                                           sizeof(line)) < 0)
        return fail("talking to the host");
    printf("vsock-guest: host said %s\n", line);
    close(c);
    /* host -> guest: echo one line back, then end the stream. */
    if ((s = accept(l, NULL, NULL)) < 0)
        return fail("accept");
    if (read_line(s, line, sizeof(line)) < 0)
        return fail("reading the host's line");
    strcat(line, "\n");
    if (write(s, line, strlen(line)) != (ssize_t)strlen(line))
        return fail("echo");
    close(s);
    printf("vsock-guest: echoed %s", line);
    fflush(stdout);
    return 0;
}

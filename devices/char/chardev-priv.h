/* SPDX-License-Identifier: Apache-2.0 */
/* CharBackend internals shared by chardev.c and chardev-open.c; tests too. */
#pragma once

#include <glib.h>

#include "devices/char/chardev.h"

typedef enum {
    CHAR_KIND_NULL,
    CHAR_KIND_TTY,
    CHAR_KIND_PTY,
    CHAR_KIND_FILE,
    CHAR_KIND_SOCKET,
    CHAR_KIND_FDS,      /* tests: a given pair of fds */
    CHAR_KIND_LAST
} CharKind;

/* Bytes waiting for the host side; drops the oldest on overflow. */
typedef struct {
    uint8_t *data;      /* CHARDEV_OUTPUT_BUFFER bytes, allocated on first use */
    size_t head;        /* index of the oldest byte */
    size_t len;
} CharRing;

struct CharBackend {
    CharKind kind;                  /* immutable */
    ConsoleMode mode;               /* immutable */
    char *what;                     /* immutable: "serial", ... */
    GMainContext *context;          /* immutable (a reference) */
    GSource *source;                /* immutable; its fds: main context only */

    /* Input: main context only. */
    int in_fd;                      /* -1: none (socket without client) */
    gpointer in_tag;                /* source tag for in_fd (and out_fd if equal) */
    bool in_hup;                    /* peer gone: drain what is left, no poll */
    CharCanReadFunc can_read;
    CharReadFunc read;
    gpointer opaque;
    gint input_paused;              /* atomic: consumer full, waiting for it */

    /* Output. */
    GMutex out_lock;
    int out_fd;                     /* out_lock (socket: the client, or -1) */
    gpointer out_tag;               /* main context only; when out_fd != in_fd */
    bool out_is_socket;             /* out_lock: use send(MSG_NOSIGNAL) */
    bool out_blocking;              /* immutable: a regular file, write it all */
    bool out_broken;                /* out_lock: write error, drop until reconnect */
    bool out_warned;                /* out_lock: error already logged */
    CharRing ring;                  /* out_lock */
    uint64_t dropped;               /* out_lock */
    gint out_pending;               /* atomic: ring non-empty and out_fd >= 0 */

    /* Mode specifics; immutable after chardev_new() unless noted. */
    int listen_fd;                  /* Socket */
    gpointer listen_tag;            /* Socket; main context only */
    char *socket_path;              /* Socket: unlinked on free */
    int pty_slave_fd;               /* Pty: kept open so the master never sees EIO */
    char *pty_path;                 /* Pty */
    bool tty_ref;                   /* Tty: holds a reference on the raw mode */

    /* Resize notification: main context only. */
    CharResizeFunc resize;
    gpointer resize_opaque;
    GSource *resize_source;
    uint16_t last_cols, last_rows;
};

/* chardev.c */
CharBackend *chardev_alloc(CharKind kind, ConsoleMode mode, const char *what,
                           GMainContext *context);
/* Sets the fds and starts watching them (main context thread). */
void chardev_attach_fds(CharBackend *be, int in_fd, int out_fd);
void chardev_update_watches(CharBackend *be);
/* Socket: a client connected / went away (main context). */
void chardev_client_attach(CharBackend *be, int fd);
void chardev_client_detach(CharBackend *be);

/* chardev-open.c */
bool chardev_open_tty(CharBackend *be, GError **error);
bool chardev_open_pty(CharBackend *be, GError **error);
bool chardev_open_file(CharBackend *be, const char *path, GError **error);
bool chardev_open_socket(CharBackend *be, const char *path, GError **error);
/* Accepts pending connections on the listening socket (main context). */
void chardev_socket_accept(CharBackend *be);
/* Tty: take (or give back) stdin as this backend's input. */
void chardev_tty_claim_input(CharBackend *be, bool claim);
void chardev_close_mode(CharBackend *be);
void chardev_resize_stop(CharBackend *be);

/**
 * chardev_new_fds:
 * Test-only: a backend reading @in_fd and writing @out_fd (both owned, made
 * non-blocking; they may be the same socket).  Either may be -1.
 */
CharBackend *chardev_new_fds(const char *what, int in_fd, int out_fd,
                             GMainContext *context);

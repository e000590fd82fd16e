/* SPDX-License-Identifier: Apache-2.0 */
/* Character backends for --serial, --console and --debug-console. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <glib.h>

#include "config/vm-config.h"

/*
 * A CharBackend carries a byte stream between an emulated device (16550,
 * debug console, virtio-console) and the host: nothing (Null), the VMM's
 * stdin/stdout (Tty), a pseudo-terminal (Pty), a file (File, output only) or
 * a listening UNIX socket with at most one client (Socket).
 *
 * Threads: output (chardev_write()) may come from any thread, typically a
 * vCPU, and never blocks for long: what the host side cannot take at once
 * is kept in a bounded buffer (CHARDEV_OUTPUT_BUFFER bytes; beyond that the
 * oldest bytes are dropped) and flushed from the main context.  Input is
 * read and delivered on the GMainContext given at creation, and never more
 * than the consumer says it can take.
 */
typedef struct CharBackend CharBackend;

/* Output kept while the host side is slow or absent (socket without client,
 * pty nobody reads): the most recent bytes win. */
#define CHARDEV_OUTPUT_BUFFER (64 * 1024)

/* How many bytes the consumer can take now; 0 pauses input until
 * chardev_accept_input() is called.  Runs on the main context. */
typedef size_t (*CharCanReadFunc)(gpointer opaque);
/* Delivers @len bytes (never more than the last can_read answer). */
typedef void (*CharReadFunc)(gpointer opaque, const uint8_t *buf, size_t len);
/* The terminal behind a Tty/Pty backend changed size. */
typedef void (*CharResizeFunc)(gpointer opaque, uint16_t cols, uint16_t rows);

/**
 * chardev_new:
 * @config: the mode and its path (file= or socket=); mode Off is refused
 *   (the VMM creates no device at all for Off)
 * @what: what messages name: the option or the device id ("--serial",
 *   "__console")
 * @context: where input and deferred output run (NULL: the global default)
 *
 * Opens the backend: File creates/truncates the file (as CH does), Pty
 * opens a pseudo-terminal whose slave is kept in raw mode, Socket binds and
 * listens on the path (a stale socket left by a dead process is replaced;
 * any other existing file is an error), Tty switches stdin to raw mode when
 * it is a terminal (see chardev_tty_restore()).
 *
 * Returns: (transfer full) the backend, or NULL with @error set
 * (G_IO_ERROR_*, one line naming @what and the path).
 */
CharBackend *chardev_new(const ConsoleConfig *config, const char *what,
                         GMainContext *context, GError **error);
/* Closes everything; a Socket backend removes its socket file.  Must be
 * called on the main context's thread, when no other thread writes. */
void chardev_free(CharBackend *be);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CharBackend, chardev_free)

ConsoleMode chardev_get_mode(CharBackend *be);
/* Pty: the slave's path ("/dev/pts/N"), which the VMM stores in the
 * config's `file` field for vm.info; NULL for other modes.
 * (transfer none), valid while @be lives. */
const char *chardev_get_pty_path(CharBackend *be);

/**
 * chardev_write:
 * Sends @len bytes to the host side.  Any thread; never blocks on a reader
 * (pty or socket client that does not read, terminal stopped with ^S):
 * what cannot be written now is buffered (bounded) and flushed later.
 * Returns @len: bytes that cannot be delivered are dropped and counted
 * (chardev_get_dropped()), the guest never sees an error.
 */
size_t chardev_write(CharBackend *be, const void *buf, size_t len);
/* Output bytes dropped so far (buffer overflow, write errors). */
uint64_t chardev_get_dropped(CharBackend *be);

/**
 * chardev_set_input_handler:
 * Installs the consumer of the input (NULL @read: none).  Call it on the
 * main context's thread (or before that context runs).  @can_read and
 * @read then run on the main context.  A backend without input (Null,
 * File) accepts the call and never calls them; of several Tty backends,
 * only the first one given a handler reads stdin.
 */
void chardev_set_input_handler(CharBackend *be, CharCanReadFunc can_read,
                               CharReadFunc read, gpointer opaque);
/**
 * chardev_accept_input:
 * The consumer has room again (the guest drained its FIFO): resume reading
 * if input was paused.  Any thread; cheap when input is not paused.
 */
void chardev_accept_input(CharBackend *be);

/* Tty/Pty: the terminal's size; false for other modes or on error. */
bool chardev_get_winsize(CharBackend *be, uint16_t *cols, uint16_t *rows);
/* Tty (SIGWINCH) and Pty (polled): @cb runs on the main context when the
 * size changes.  NULL removes it.  No-op for other modes. */
void chardev_set_resize_handler(CharBackend *be, CharResizeFunc cb,
                                gpointer opaque);

/**
 * chardev_tty_restore:
 * Puts stdin back in the mode it had before a Tty backend made it raw.
 * Async-signal-safe (one tcsetattr()), idempotent, and a no-op when no Tty
 * backend changed anything: the VMM calls it from its exit paths, crash
 * signal handlers included.  chardev_free() of the last Tty backend calls
 * it too.
 */
void chardev_tty_restore(void);

/* SPDX-License-Identifier: Apache-2.0 */
/* A fake swtpm for unit tests: its control channel protocol over a UNIX socket, and a data fd. */
#pragma once

#include <stdint.h>
#include <glib.h>

/*
 * Speaks swtpm's control protocol (devices/tpm/swtpm.h) on a listening
 * UNIX socket, one thread per connection, and answers each TPM command
 * on the data fd it was handed with a 14-byte success response whose
 * payload is the command's code (so tests see which command ran).
 */
typedef enum {
    FAKE_SWTPM_ECHO,              /* the response above */
    FAKE_SWTPM_OVERSIZE,          /* a header claiming 64 KiB */
    FAKE_SWTPM_SILENT,            /* no answer until a cancel */
} FakeSwtpmMode;

typedef struct FakeSwtpm FakeSwtpm;

/* Listens on @path (replaced if it exists) and offers @caps. */
FakeSwtpm *fake_swtpm_start(const char *path, uint32_t caps);
void fake_swtpm_stop(FakeSwtpm *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeSwtpm, fake_swtpm_stop)

void fake_swtpm_set_mode(FakeSwtpm *f, FakeSwtpmMode mode);
/* What the connections asked for so far. */
unsigned fake_swtpm_inits(FakeSwtpm *f);
unsigned fake_swtpm_cancels(FakeSwtpm *f);
unsigned fake_swtpm_commands(FakeSwtpm *f);
/* The last CMD_SET_BUFFERSIZE's size. */
uint32_t fake_swtpm_buffer_size(FakeSwtpm *f);

/* SPDX-License-Identifier: Apache-2.0 */
/* A client of swtpm's control channel and data fd (swtpm_ioctls(3), socket interface). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/*
 * swtpm's control channel ("swtpm socket --ctrl type=unixio,path=P"):
 * each request is a big-endian 32-bit command code and its payload; each
 * answer starts with a big-endian 32-bit result (0: success), except
 * CMD_GET_CAPABILITY's, which is the 64-bit capability mask.  TPM
 * commands do not use the control channel: we hand swtpm one end of a
 * socketpair with CMD_SET_DATAFD (the fd rides along as SCM_RIGHTS), as
 * Cloud Hypervisor and QEMU do, and write commands / read responses on
 * the other end.
 */

#define SWTPM_CMD_GET_CAPABILITY   1
#define SWTPM_CMD_INIT             2
#define SWTPM_CMD_CANCEL_TPM_CMD   9
#define SWTPM_CMD_STOP             14
#define SWTPM_CMD_SET_DATAFD       16
#define SWTPM_CMD_SET_BUFFERSIZE   17

#define SWTPM_CAP_INIT             (1u << 0)
#define SWTPM_CAP_CANCEL_TPM_CMD   (1u << 5)
#define SWTPM_CAP_STOP             (1u << 10)
#define SWTPM_CAP_SET_DATAFD       (1u << 12)
#define SWTPM_CAP_SET_BUFFERSIZE   (1u << 13)
/* What this client needs of the emulator. */
#define SWTPM_CAPS_NEEDED (SWTPM_CAP_INIT | SWTPM_CAP_CANCEL_TPM_CMD |         \
                           SWTPM_CAP_STOP | SWTPM_CAP_SET_DATAFD |             \
                           SWTPM_CAP_SET_BUFFERSIZE)

/* A TPM 2.0 command or response header: tag (2), size (4), code (4),
 * all big-endian (TPM 2.0 Part 1 §18). */
#define TPM2_HEADER_SIZE 10

typedef struct SwtpmClient SwtpmClient;

/**
 * swtpm_client_connect:
 * Connects to swtpm's control socket @path, checks that the peer answers
 * as swtpm does with the capabilities this client needs, hands it the data
 * channel (CMD_SET_DATAFD) and starts the TPM with responses limited to
 * @buffer_size bytes (swtpm_client_startup()).  @timeout_ms bounds each
 * wait for the emulator.  Control thread.  Returns (transfer full) the
 * client, or NULL with @error naming @path and what went wrong.
 */
SwtpmClient *swtpm_client_connect(const char *path, size_t buffer_size,
                                  int timeout_ms, GError **error);
void swtpm_client_free(SwtpmClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SwtpmClient, swtpm_client_free)

/**
 * swtpm_client_startup:
 * A TPM power cycle (VM reset): CMD_STOP, CMD_SET_BUFFERSIZE, CMD_INIT.
 * The guest then sends TPM2_Startup itself.  Control thread, no command
 * in flight.
 */
bool swtpm_client_startup(SwtpmClient *c, GError **error);

/**
 * swtpm_client_execute:
 * Sends the TPM command @cmd (@cmd_len bytes, a whole command: the
 * caller checked its header) and reads the response into @rsp (at most
 * @rsp_max bytes).  Data plane (a vCPU thread): allocates nothing.
 * Returns the response's length (>= TPM2_HEADER_SIZE, equal to the size
 * its header gives), -EPROTO for a response that is short, longer than
 * @rsp_max or disagrees with its header, -ETIMEDOUT when the emulator
 * does not answer in time, or another -errno of the socket.
 */
ssize_t swtpm_client_execute(SwtpmClient *c, const uint8_t *cmd,
                             size_t cmd_len, uint8_t *rsp, size_t rsp_max);

/**
 * swtpm_client_cancel:
 * Asks the emulator to cancel the command in flight (CMD_CANCEL_TPM_CMD);
 * it then answers that command with TPM_RC_CANCELED.  Any thread; 0 or
 * -errno (-EPROTO when swtpm reports a failure).
 */
int swtpm_client_cancel(SwtpmClient *c);

/* The size of a TPM 2.0 command or response from its header (@hdr holds
 * at least TPM2_HEADER_SIZE bytes). */
uint32_t tpm2_header_size(const uint8_t *hdr);

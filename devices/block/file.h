/* SPDX-License-Identifier: Apache-2.0 */
/* The host side of a disk: an opened, OFD-locked image file or block device. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <glib.h>

/* Owned by the format that opened the image (devices/block/format.h);
 * immutable after block_file_open(), so the workers share it read-only. */
typedef struct BlockFile BlockFile;

/**
 * block_file_open:
 * Opens @path (read-only or read-write, O_DIRECT with @direct) and takes
 * an OFD lock on it: a write lock for read-write, a read lock for
 * read-only, so that a second writer, or a writer next to a reader, is
 * refused with an error naming the image (G_IO_ERROR_BUSY).  Regular
 * files and block devices only.  Returns (transfer full) or NULL with
 * @error set.
 */
BlockFile *block_file_open(const char *path, bool readonly, bool direct,
                           GError **error);
void block_file_free(BlockFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BlockFile, block_file_free)

const char *block_file_path(const BlockFile *file);
/* For the I/O engines only: the descriptor a mapped request runs on. */
int block_file_fd(const BlockFile *file);
uint64_t block_file_size(const BlockFile *file);
bool block_file_readonly(const BlockFile *file);
bool block_file_direct(const BlockFile *file);
/* Logical block size (512 unless a block device or O_DIRECT needs more),
 * physical block size, and the buffer alignment O_DIRECT needs. */
uint32_t block_file_logical_block_size(const BlockFile *file);
uint32_t block_file_physical_block_size(const BlockFile *file);
uint32_t block_file_mem_align(const BlockFile *file);
/* "dev_ino" style serial (at most 20 bytes), as CH builds it from
 * st_dev, st_rdev and st_ino.  Returns (transfer full). */
char *block_file_default_serial(const BlockFile *file);

/**
 * block_file_read_head:
 * Reads up to @len bytes from the start of the file into @buf (format
 * probes and headers), through an aligned buffer so that it works with
 * O_DIRECT too.  Returns the bytes read (fewer for a short file) or
 * -errno.
 */
ssize_t block_file_read_head(const BlockFile *file, void *buf, size_t len);

/* ---- Synchronous I/O on the file (worker threads) ------------------------- */

/* Transfers @len bytes of @iov, starting @skip bytes into it, to or from
 * the file at @offset; short transfers are continued, EOF on a read is an
 * I/O error.  Returns @len or -errno. */
int64_t block_file_rw(const BlockFile *file, bool write,
                      const struct iovec *iov, unsigned iovcnt, uint64_t skip,
                      uint64_t len, uint64_t offset);
/* fdatasync(): 0 or -errno. */
int block_file_flush(const BlockFile *file);
/* fallocate() with @mode over [@offset, @offset + @len): 0 or -errno. */
int block_file_fallocate(const BlockFile *file, int mode, uint64_t offset,
                         uint64_t len);
/* Writes zeroes with plain writes (file systems without ZERO_RANGE).
 * Returns @len or -errno. */
int64_t block_file_write_zeroes(const BlockFile *file, uint64_t offset,
                                uint64_t len);

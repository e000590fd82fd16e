/* SPDX-License-Identifier: Apache-2.0 */
/* Disk image formats: the seam between virtio-blk's requests and the file the I/O engines use. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <glib.h>

#include "config/vm-config.h"
#include "devices/block/block.h"
#include "devices/block/file.h"

/*
 * A format owns the image's BlockFile and maps the virtual disk the guest
 * sees onto it: raw maps offset to the same offset; qcow2, VHD or VHDX
 * (later) map through their tables.  block.c asks the format where each
 * request goes and hands the engines file offsets; virtio-blk and the
 * engines never know which format it is.  A new format is one
 * format-foo.c with a BlockFormatOps and one line in format.c's table.
 */

typedef enum {
    BLOCK_EXTENT_DATA,       /* the bytes are in the file at @file_offset */
    BLOCK_EXTENT_ZERO,       /* unallocated: reads as zeroes */
    /* READ only: bytes the format produces itself with @read (compressed
     * clusters, a backing file), so no single file range holds them. */
    BLOCK_EXTENT_FORMAT,
    BLOCK_EXTENT_LAST
} BlockExtentKind;

/* Where the first @len bytes of a mapped range live. */
typedef struct {
    BlockExtentKind kind;
    uint64_t file_offset;
    uint64_t len;
} BlockExtent;

typedef struct BlockFormat BlockFormat;

/**
 * BlockFormatOptions:
 * How block_format_open_opts() opens an image.
 * @readonly, @direct: as block_file_open() takes them.
 * @type: the image_type; IMAGE_TYPE_UNKNOWN probes the header.
 * @backing_files: whether an image that names a backing file may open it
 *   (CH's backing_files=on); otherwise such an image is refused.  The
 *   user must choose it: an autodetected header may be guest data (a raw
 *   disk the guest wrote a qcow2 header into), naming any host file.
 * @sparse: whether freed clusters are given back to the host file system
 *   (CH's sparse=on); off keeps the file's allocation as it is.
 * @depth: how many images above this one name it as their backing file
 *   (0 for the disk itself): a chain is limited to BLOCK_FORMAT_MAX_CHAIN.
 */
struct BlockFormatOptions {
    bool readonly;
    bool direct;
    ImageType type;
    bool backing_files;
    bool sparse;
    unsigned depth;
};

/* The longest backing chain nimbus opens (a loop reaches it too). */
#define BLOCK_FORMAT_MAX_CHAIN 16

/**
 * BlockFormatOps:
 * @name: for messages ("raw").
 * @type: the image_type that selects it; IMAGE_TYPE_UNKNOWN: only found
 *   by @probe.
 * @probe: whether @head, the first @len bytes of the file (fewer for a
 *   short file), says this format; NULL for raw, which is what an image
 *   no format claims is.
 * @probe_tail: the same for a format marked at the end of the file (a
 *   fixed VHD's footer): @tail is the last BLOCK_FORMAT_PROBE_SIZE bytes
 *   (@len 0 for a shorter file); asked after every @probe said no.  NULL
 *   for most formats.
 * @open: opens the image in @file, taking ownership of it (freed on
 *   failure too), as @opts say; fills BlockFormat's fields.  Main
 *   thread.
 * @close: frees the format and its file.
 * @map: maps @len bytes of the virtual disk at @offset for @op (READ,
 *   WRITE, DISCARD, WRITE_ZEROES) and fills @ext for the longest prefix
 *   that has one mapping (0 < ext->len <= @len when @len > 0).  A WRITE
 *   must map to DATA (the format allocates what it needs).  Returns 0,
 *   -EINVAL for a range outside the virtual disk (the guest's fault), or
 *   another -errno.  Worker threads, several at once: thread-safe.
 * @read: reads @len bytes of the virtual disk at @offset into @iov from
 *   @skip bytes on; the range is one @map gave a FORMAT extent (or any
 *   range: the format maps it again).  0 or -errno.  NULL for a format
 *   that never maps to FORMAT.  Worker threads: thread-safe.
 */
typedef struct {
    const char *name;
    ImageType type;
    bool (*probe)(const uint8_t *head, size_t len);
    bool (*probe_tail)(const uint8_t *tail, size_t len);
    BlockFormat *(*open)(BlockFile *file, const BlockFormatOptions *opts,
                         GError **error);
    void (*close)(BlockFormat *fmt);
    int (*map)(BlockFormat *fmt, BlockOp op, uint64_t offset, uint64_t len,
               BlockExtent *ext);
    int (*read)(BlockFormat *fmt, uint64_t offset, uint64_t len,
                const struct iovec *iov, unsigned iovcnt, uint64_t skip);
} BlockFormatOps;

/* Formats embed this first; immutable after open. */
struct BlockFormat {
    const BlockFormatOps *ops;
    BlockFile *file;         /* owned */
    uint64_t size;           /* of the virtual disk, in bytes */
};

extern const BlockFormatOps block_format_raw;
extern const BlockFormatOps block_format_qcow2;
extern const BlockFormatOps block_format_vhd;
extern const BlockFormatOps block_format_vhdx;

/* How many bytes block_format_open() reads for the probes. */
#define BLOCK_FORMAT_PROBE_SIZE 512

/**
 * block_format_read_tail:
 * Reads the last @len bytes of @file (at most BLOCK_FORMAT_PROBE_SIZE)
 * into @buf through an aligned buffer, so that it works with O_DIRECT
 * too: footers.  0, -EINVAL for a file shorter than @len, or -errno.
 */
int block_format_read_tail(const BlockFile *file, void *buf, size_t len);

/**
 * block_format_open:
 * The one place that decides which formats nimbus opens: @type selects a
 * format (one nimbus does not have is refused before the file is opened),
 * IMAGE_TYPE_UNKNOWN probes the file's header; an image in a format that
 * is known but not implemented yet (VMDK) is refused rather
 * than shown to the guest as raw bytes.  The file is opened and locked
 * as block_file_open() says.  Errors are G_IO_ERROR_NOT_SUPPORTED for
 * formats and name the image.  Returns (transfer full).
 */
BlockFormat *block_format_open(const char *path, bool readonly, bool direct,
                               ImageType type, GError **error);
/* The same with every option (backing files, sparse, chain depth). */
BlockFormat *block_format_open_opts(const char *path,
                                    const BlockFormatOptions *opts,
                                    GError **error);
void block_format_close(BlockFormat *fmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BlockFormat, block_format_close)

const char *block_format_name(const BlockFormat *fmt);

/**
 * block_format_read:
 * Reads @len bytes of @fmt's virtual disk at @offset into @iov from @skip
 * bytes on, extent by extent, synchronously; bytes past the end of the
 * virtual disk read as zeroes (a backing file shorter than its overlay).
 * For formats reading their backing file, and for tests.  0 or -errno.
 */
int block_format_read(BlockFormat *fmt, uint64_t offset, uint64_t len,
                      const struct iovec *iov, unsigned iovcnt, uint64_t skip);

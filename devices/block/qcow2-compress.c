/* SPDX-License-Identifier: Apache-2.0 */
/* qcow2 compressed clusters: zlib (raw deflate) and zstd decompression. */
#include <config.h>

#include <errno.h>
#include <zlib.h>
#include <zstd.h>
#include <gio/gio.h>

#include "devices/block/qcow2-priv.h"

bool
qcow2_compress_init(Qcow2 *q, GError **error)
{
    z_stream *z = g_new0(z_stream, 1);

    /* qcow2 stores raw deflate data with a 4 KiB window (QEMU writes it
     * with windowBits -12); a larger window inflates it too. */
    if (inflateInit2(z, -15) != Z_OK) {
        g_free(z);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "qcow2 image '%s': cannot set up zlib", q->path);
        return false;
    }
    q->zlib = z;
    if (q->h.compression_type == QCOW2_COMPRESSION_ZSTD &&
        !(q->zstd = ZSTD_createDCtx())) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "qcow2 image '%s': cannot set up zstd", q->path);
        return false;
    }
    return true;
}

void
qcow2_compress_free(Qcow2 *q)
{
    if (q->zlib) {
        inflateEnd(q->zlib);
        g_clear_pointer(&q->zlib, g_free);
    }
    g_clear_pointer(&q->zstd, ZSTD_freeDCtx);
}

static int
qcow2_inflate(Qcow2 *q, const uint8_t *in, size_t in_len, uint8_t *out)
{
    z_stream *z = q->zlib;
    int r;

    if (inflateReset(z) != Z_OK)
        return -EIO;
    z->next_in = (Bytef *)in;
    z->avail_in = (uInt)in_len;
    z->next_out = out;
    z->avail_out = (uInt)q->cluster_size;
    r = inflate(z, Z_FINISH);
    /* The input is padded to a sector, so the stream may end early or
     * trail bytes: what counts is a whole cluster of output. */
    if ((r != Z_STREAM_END && r != Z_BUF_ERROR) || z->avail_out != 0)
        return -EIO;
    return 0;
}

static int
qcow2_unzstd(Qcow2 *q, const uint8_t *in, size_t in_len, uint8_t *out)
{
    ZSTD_inBuffer ib = { in, in_len, 0 };
    ZSTD_outBuffer ob = { out, q->cluster_size, 0 };

    ZSTD_DCtx_reset(q->zstd, ZSTD_reset_session_only);
    /* One frame per cluster; what follows it is sector padding, so stop
     * at the frame's end or once the cluster is full. */
    while (ob.pos < ob.size && ib.pos < ib.size) {
        size_t r = ZSTD_decompressStream(q->zstd, &ob, &ib);

        if (ZSTD_isError(r))
            return -EIO;
        if (r == 0)
            break;
    }
    return ob.pos == ob.size ? 0 : -EIO;
}

int
qcow2_decompress(Qcow2 *q, const uint8_t *in, size_t in_len, uint8_t *out)
{
    if (q->h.compression_type == QCOW2_COMPRESSION_ZLIB)
        return qcow2_inflate(q, in, in_len, out);
    return qcow2_unzstd(q, in, in_len, out);
}

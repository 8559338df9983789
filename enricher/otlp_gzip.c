/* otlp_gzip.c: one-shot zlib deflate with a gzip wrapper into a growable buffer. */
#include "otlp_gzip.h"

#include <errno.h>
#include <zlib.h>

/* 15 window bits + 16: zlib writes the gzip header and trailer itself. */
#define OTLP_GZIP_WBITS (15 + 16)

int otlp_gzip(const uint8_t *in, size_t n, struct otlp_buf *out)
{
	z_stream z = {0};
	int rc = 0, zr;
	uLong bound;

	if (n > UINT32_MAX)
		return -EIO; /* one deflate call takes a uInt; our requests are far smaller */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, OTLP_GZIP_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	/* deflateBound is for a zlib wrapper: add the gzip header and trailer's extra bytes. */
	bound = deflateBound(&z, (uLong)n) + 32;
	if (otlp_buf_reserve(out, bound)) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in; /* zlib's API is not const; it only reads */
	z.avail_in = (uInt)n;
	z.next_out = out->data + out->len;
	z.avail_out = (uInt)bound;
	zr = deflate(&z, Z_FINISH);
	if (zr == Z_STREAM_END)
		out->len += z.total_out;
	else
		rc = -EIO;
	deflateEnd(&z);
	return rc;
}

/* otlp_gzip.h: gzip (RFC 1952) compression of request bodies for Content-Encoding: gzip. */
#ifndef OBI_OTLP_GZIP_H
#define OBI_OTLP_GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "otlp_model.h"

/* Appends the gzip stream of in[0..n) to out. 0, -ENOMEM or -EIO (zlib failure). */
int otlp_gzip(const uint8_t *in, size_t n, struct otlp_buf *out);

#endif /* OBI_OTLP_GZIP_H */

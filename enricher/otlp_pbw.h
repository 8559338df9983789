/* otlp_pbw.h: protobuf wire-format primitives writing into space the caller reserved. */
#ifndef OBI_OTLP_PBW_H
#define OBI_OTLP_PBW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Wire types (protobuf encoding specification). */
enum otlp_pbw_wt { OTLP_PBW_VARINT = 0, OTLP_PBW_I64 = 1, OTLP_PBW_LEN = 2, OTLP_PBW_I32 = 5 };

#define OTLP_PBW_TAG(field, wt) ((uint32_t)(field) << 3 | (uint32_t)(wt))

static inline size_t otlp_pbw_varint_len(uint64_t v)
{
	/* 7 payload bits per byte; v | 1 keeps clzll defined for 0 (one byte). */
	return 1 + (size_t)(63 - __builtin_clzll(v | 1)) / 7;
}

/* Bytes of a length-delimited field: tag, length, payload. */
static inline size_t otlp_pbw_len_field(uint32_t tag, size_t n)
{
	return otlp_pbw_varint_len(tag) + otlp_pbw_varint_len(n) + n;
}

static inline uint8_t *otlp_pbw_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Tag and length of a length-delimited field whose payload the caller writes next. */
static inline uint8_t *otlp_pbw_len_hdr(uint8_t *p, uint32_t tag, size_t n)
{
	return otlp_pbw_varint(otlp_pbw_varint(p, tag), n);
}

static inline uint8_t *otlp_pbw_bytes(uint8_t *p, uint32_t tag, const void *s, size_t n)
{
	p = otlp_pbw_len_hdr(p, tag, n);
	memcpy(p, s, n);
	return p + n;
}

/* Fixed-width fields are little-endian on the wire whatever the host's order. */
static inline uint8_t *otlp_pbw_fixed64(uint8_t *p, uint32_t tag, uint64_t v)
{
	p = otlp_pbw_varint(p, tag);
	for (int i = 0; i < 8; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

static inline uint8_t *otlp_pbw_fixed32(uint8_t *p, uint32_t tag, uint32_t v)
{
	p = otlp_pbw_varint(p, tag);
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

#endif /* OBI_OTLP_PBW_H */

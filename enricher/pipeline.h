/* pipeline.h: splitting a record that carries pipelined requests into one part per request. */
#ifndef OBI_PIPELINE_H
#define OBI_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/obi_abi.h"

#define PIPELINE_MAX_PARTS 16

/* One request and its response: where their captured bytes are, and their wire sizes. */
struct pipeline_part {
	size_t req_off, req_len;   /* captured request bytes of this request, in data */
	size_t resp_off, resp_len; /* captured response bytes, in data */
	uint64_t req_bytes, resp_bytes;
};

/*
 * The kernel delimits exchanges by request starts at the beginning of a read or write, so
 * requests pipelined into one write share a record. Splits it: requests by their heads and
 * Content-Length, responses in order by their heads and framing. Returns the number of parts
 * (1: not pipelined, parts unused). *approx is set when the bytes do not allow an exact split
 * (a head or a body length beyond the capture): every request still gets a part, the wire
 * sizes of the unsplittable rest go to the last one that could be delimited.
 */
size_t pipeline_split(const struct obi_rec_http *rec, const uint8_t *data, size_t data_len,
		      struct pipeline_part *parts, bool *approx);

#endif /* OBI_PIPELINE_H */

/* span_build.h: turns one validated kernel HTTP record into a span. */
#ifndef OBI_SPAN_BUILD_H
#define OBI_SPAN_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "../common/obi_abi.h"
#include "span.h"

enum span_build_result {
	SPAN_BUILD_OK = 0,
	SPAN_BUILD_NOT_HTTP = -1, /* captured request bytes are not an HTTP/1.x request */
};

/*
 * rec: the record header; data/data_len: the req_cap + resp_cap bytes that followed it (the
 * caller has checked that data_len == req_cap + resp_cap). mono_to_unix_ns is added to the
 * record's monotonic timestamps. The span's svc pointer is set to svc.
 */
int span_build_http(const struct obi_rec_http *rec, const uint8_t *data, size_t data_len,
		    int64_t mono_to_unix_ns, const struct span_service *svc, struct span *out);

/*
 * Whether the response of a snapshot record (flag SWEPT) has ended by its own framing: no body
 * by definition (HEAD, 1xx, 204, 304), Content-Length reached, or a chunked body's last chunk
 * in the tail. A response framed by the close is not over until the close. When the framing
 * cannot be seen (head longer than its capture, payload unreachable), true: the quiet
 * response is reported as it is, as before framing was looked at.
 */
bool span_build_response_complete(const struct obi_rec_http *rec, const uint8_t *data,
				  size_t data_len);

/*
 * Copies len bytes of untrusted text into dst (dstsz > 0, always NUL-terminated), replacing
 * control characters, DEL, C1 controls and invalid UTF-8 with '?', never splitting a character.
 * Every string that reaches an output goes through here. dst may be src (in-place cleaning).
 */
void span_build_copy_safe(char *dst, size_t dstsz, const char *src, size_t len);
/* The same cleaning into a string attribute of sp (cut at its bound); an empty one unsets it. */
void span_build_set_safe(struct span *sp, enum span_attr a, const char *src, size_t len);
/* An empty span: the scalars zeroed, every string empty (its first byte only). */

#endif /* OBI_SPAN_BUILD_H */

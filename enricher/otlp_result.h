/* otlp_result.h: what an export attempt's result means: retry policy, back-off, partial success. */
#ifndef OBI_OTLP_RESULT_H
#define OBI_OTLP_RESULT_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum otlp_outcome { OTLP_OUTCOME_OK, OTLP_OUTCOME_RETRY, OTLP_OUTCOME_DROP };

/*
 * OTLP/HTTP's rules: 2xx done; 429, 502, 503, 504 and transient network failures (no
 * response, reset, timeout, connect refused) retried; everything else (400, 413, TLS
 * verification, bad URL...) dropped. status is 0 when no response arrived.
 */
enum otlp_outcome otlp_http_outcome(CURLcode cc, long status);

struct otlp_backoff {
	uint64_t initial_ns;	 /* first delay (OTel: 5 s) */
	uint64_t max_ns;	 /* cap on one delay (OTel: 30 s) */
	uint64_t max_elapsed_ns; /* give up once retrying took this long (OTel: 1 min) */
};

/*
 * Delay before retry number attempt (1 = first retry): the exponential delay, capped, with
 * +-50% jitter from rnd; a server's delay (HTTP Retry-After, gRPC RetryInfo;
 * server_delay_ns >= 0) is used as given.
 */
uint64_t otlp_backoff_delay(const struct otlp_backoff *b, unsigned attempt, int64_t server_delay_ns,
			    uint32_t rnd);

/* An ExportTrace/MetricsServiceResponse's partial_success (same field numbers for both). */
struct otlp_partial {
	bool present;
	int64_t rejected;
	char message[256]; /* sanitised for logs: printable ASCII only; longer text is cut here */
};

/* Parse a 2xx response body; an empty body is a full success. 0, or -EINVAL if malformed. */
int otlp_partial_parse_pb(const uint8_t *p, size_t n, struct otlp_partial *out);
int otlp_partial_parse_json(const char *p, size_t n, struct otlp_partial *out);

#endif /* OBI_OTLP_RESULT_H */

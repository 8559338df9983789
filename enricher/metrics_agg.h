/* metrics_agg.h: RED histogram aggregation of finished spans (series table, services, expiry);
 * internal to the metrics module and its tests. */
#ifndef OBI_METRICS_AGG_H
#define OBI_METRICS_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"

enum metrics_family { METRICS_SERVER = 0, METRICS_CLIENT, METRICS_FAMILIES };
enum metrics_hist {
	METRICS_H_DURATION = 0,
	METRICS_H_REQ_SIZE,
	METRICS_H_RESP_SIZE,
	METRICS_HISTS
};

/* The attributes of a RED series, as bits of a drop mask (attributes.select). The ones from
 * METRICS_A_OPTIN on are off unless an include names them (reference 3.4). */
enum metrics_attr_bit {
	METRICS_A_METHOD = 0,
	METRICS_A_STATUS,
	METRICS_A_ROUTE,
	METRICS_A_ADDR,
	METRICS_A_PORT,
	METRICS_A_ERROR,
	METRICS_A_PATH,	  /* url.path (opt-in, both families) */
	METRICS_A_CLIENT, /* client.address (opt-in, server family only) */
	METRICS_ATTRS
};
#define METRICS_A_OPTIN METRICS_A_PATH
#define METRICS_OPTIN_BITS ((1u << METRICS_ATTRS) - (1u << METRICS_A_OPTIN))
typedef uint16_t metrics_drop_t; /* bits of enum metrics_attr_bit */

/* attributes.rename_unresolved_hosts{,_outgoing,_incoming}: the words that replace an IP
 * address in a series' server.address / client.address (OBI's). "" leaves addresses alone. */
enum metrics_unresolved {
	METRICS_UNRES_GENERIC = 0,
	METRICS_UNRES_OUT,
	METRICS_UNRES_IN,
	METRICS_UNRES_N
};
#define METRICS_UNRES_MAX 256
/* The last address classified: a span's local address repeats, and comparing it costs a
 * fifth of classifying it again. */
struct metrics_ipcache {
	char v[SPAN_ADDR_MAX];
	bool ip;
};

/* A histogram's bounds can be configured; more than this is not a useful histogram. */
#define METRICS_BOUNDS_MAX 64

struct metrics_bounds {
	double v[METRICS_BOUNDS_MAX]; /* strictly increasing, finite */
	size_t n;
};

/* A service as the metrics saw it: a private copy (the process table's entry may go first). */
struct metrics_svc {
	struct metrics_svc *next; /* hash chain */
	uint64_t hash;
	unsigned refs;	       /* series pointing here; freed at 0 */
	struct span_service s; /* strings point into text[] */
	char text[];
};

struct metrics_hstate {
	uint64_t count;
	double sum, min, max;
	uint64_t *buckets; /* [bounds.n + 1], in the series' allocation */
};

/*
 * One attribute set of one family and group: the histograms of the group (the metrics whose
 * selected attributes are the same; all three unless attributes.select tells them apart)
 * share the attributes. An attribute a group drops is absent ("" or 0) in its key, so spans
 * that differ only there merge into one series, as in OBI.
 */
struct metrics_series {
	struct metrics_series *next; /* hash chain */
	uint64_t hash;
	struct metrics_svc *svc;
	uint8_t family;
	uint8_t group;
	uint8_t hists; /* bit h: histogram h is this series' (the others stay empty) */
	bool overflow; /* otel.metric.overflow=true: every attribute set past the limit */
	bool error;
	uint16_t port;
	int err_code; /* error.type's status code; 0: _OTHER */
	int status_code;
	const char *method, *route, *addr; /* in mem[]; "" absent */
	const char *path, *client;	   /* url.path, client.address (opt-in); likewise */
	char error_type[12];		   /* "" when not an error */
	uint64_t start_ns;		   /* Unix ns: creation, or the last delta export */
	uint64_t last_ns;		   /* Unix ns of the last span (TTL) */
	struct metrics_hstate h[METRICS_HISTS];
	uint64_t mem[]; /* bucket counts of the three histograms, then the strings */
};

struct metrics_agg_config {
	struct metrics_bounds bounds[METRICS_HISTS];
	size_t limit;	 /* normal series per family (the overflow series are extra, one per
			    family and service) */
	uint64_t ttl_ns; /* idle series removed at export; 0: never */
	bool delta;	 /* reset after every export */
	/* Bits of enum metrics_attr_bit each metric leaves out, and the opt-in ones it adds;
	 * zeroed: OBI's default attributes. */
	metrics_drop_t drop[METRICS_FAMILIES][METRICS_HISTS];
	metrics_drop_t optin[METRICS_FAMILIES][METRICS_HISTS];
	/* Indexed by enum metrics_unresolved; zeroed: no renaming. */
	char unresolved[METRICS_UNRES_N][METRICS_UNRES_MAX];
};

struct metrics_agg_stats {
	uint64_t spans, skipped, overflow, expired, bad_duration, no_memory;
};

struct metrics_agg {
	struct metrics_agg_config cfg;
	struct metrics_series **table; /* chains */
	size_t mask;
	size_t n_series[METRICS_FAMILIES]; /* normal series, every group */
	/* Metrics of a family with the same drop mask share a group (computed at init). */
	size_t n_groups[METRICS_FAMILIES];
	metrics_drop_t gdrop[METRICS_FAMILIES][METRICS_HISTS]; /* a group's drop mask */
	/* Bits some group of the family keeps: a span's value is read only for those. */
	metrics_drop_t kept[METRICS_FAMILIES];
	uint8_t ghists[METRICS_FAMILIES][METRICS_HISTS];   /* a group's histograms (bits) */
	size_t n_gseries[METRICS_FAMILIES][METRICS_HISTS]; /* normal series per group: the
							      cardinality limit is per metric */
	size_t n_total;		   /* every series, overflow ones included */
	struct metrics_svc **svcs; /* chains */
	size_t svc_mask;
	const struct span_service *last_svc_key; /* the last lookup (compared, never read) */
	struct metrics_ipcache ipc[2];		 /* server.address, client.address */
	struct metrics_svc *last_svc;
	uint64_t seed; /* random: chains an application cannot lengthen with chosen collisions */
	struct metrics_agg_stats st;
};

/* The OBI defaults (reference 3.5): duration seconds, sizes bytes. */
void metrics_bounds_default(struct metrics_bounds *b, enum metrics_hist h);
/* Parses a configured bound list (decimal numbers, strictly increasing). 0 or -EINVAL. */
int metrics_bounds_parse(struct metrics_bounds *b, char *const *v, size_t n);
/* The bucket of x: the first i with x <= v[i] (OTLP's upper-inclusive buckets), else n. */
size_t metrics_bucket(const struct metrics_bounds *b, double x);

int metrics_agg_init(struct metrics_agg *a, const struct metrics_agg_config *cfg);
void metrics_agg_free(struct metrics_agg *a);
/* v itself, or the rename word when v is an IP address (Go's net.ParseIP: v4 or v6) and word
 * is not "" (metrics_unresolved.c). */
const char *metrics_unresolved_value(const char *word, const char *v);
/* metrics_unresolved_value through c. */
const char *metrics_unresolved_cached(struct metrics_ipcache *c, const char *word, const char *v);
/* Records sp at now_ns (Unix ns; the TTL clock). */
void metrics_agg_record(struct metrics_agg *a, const struct span *sp, uint64_t now_ns);
/* Removes series idle since before now_ns - ttl. */
void metrics_agg_expire(struct metrics_agg *a, uint64_t now_ns);
/* Delta: zeroes every series' histograms and starts their next interval at now_ns. */
void metrics_agg_reset(struct metrics_agg *a, uint64_t now_ns);
/* Services (metrics_svc.c): the entry equal to s, created with no references if new; NULL
 * without memory. A reference is taken by each series; put frees the entry at none. */
struct metrics_svc *metrics_svc_get(struct metrics_agg *a, const struct span_service *s);
void metrics_svc_put(struct metrics_agg *a, struct metrics_svc *e);
void metrics_svc_free_all(struct metrics_agg *a);
uint64_t metrics_hash_str(uint64_t h, const char *s);
uint64_t metrics_hash_u64(uint64_t h, uint64_t v);

/* Visits every series; fn returns false to stop. */
void metrics_agg_each(struct metrics_agg *a, bool (*fn)(struct metrics_series *s, void *arg),
		      void *arg);

#endif /* OBI_METRICS_AGG_H */

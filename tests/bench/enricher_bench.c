/* enricher_bench.c: enricher capacity, kernel records over a real socket -> encoded OTLP bytes. */
/*
 * The probe's side (RECORDS messages of synthetic but valid obi_rec_http records, packed up to
 * OBI_WIRE_MAX_MSG as probe/ipc.c does) and the enricher's side (wire_recv, the record checks
 * of records.c, span_build_http, otlp_encode_traces_pb per message onto the pending
 * request, otlp_gzip when the request is sealed at batch_max_size spans) run in one thread
 * pinned to one CPU, so the figure is per core and the sender's work is timed apart. Each mode
 * runs in a child process of its own so that its peak RSS is its own. With -R, the routes
 * decoration (route_resolve as span_route_apply calls it, then the span name) runs between
 * parse and encode, once per variant of bench_routes[], and a table compares them.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "obi_abi.h"
#include "otlp_encode.h"
#include "otlp_gzip.h"
#include "route.h"
#include "span_build.h"
#include "wire.h"

enum bench_stage {
	ST_SEND,
	ST_RECV,
	ST_PARSE,
	ST_ROUTE,
	ST_NAME,
	ST_ENCODE,
	ST_QUEUE,
	ST_GZIP,
	ST__MAX
};
static const char *const bench_stage_names[ST__MAX] = {"send", "recv",	 "parse", "route",
						       "name", "encode", "queue", "gzip"};

/* One routes configuration to time (unmatched < 0: no routes at all, the baseline). */
struct bench_route {
	const char *name;
	int unmatched;
	unsigned patterns;
	bool cache;
	bool unique; /* every span's path made unique (ids never seen again: a flood) */
};

static const struct bench_route bench_routes[] = {
    {"none", -1, 0, false, false},
    {"unset", ROUTE_UNMATCHED_UNSET, 0, false, false},
    {"wildcard", ROUTE_UNMATCHED_WILDCARD, 0, false, false},
    {"path", ROUTE_UNMATCHED_PATH, 0, false, false},
    {"heuristic", ROUTE_UNMATCHED_HEURISTIC, 0, false, false},
    {"heuristic cached", ROUTE_UNMATCHED_HEURISTIC, 0, true, false},
    {"heuristic unique", ROUTE_UNMATCHED_HEURISTIC, 0, false, true},
    {"heuristic unique cached", ROUTE_UNMATCHED_HEURISTIC, 0, true, true},
    {"low-cardinality", ROUTE_UNMATCHED_LOW_CARDINALITY, 0, false, false},
    {"low-cardinality cached", ROUTE_UNMATCHED_LOW_CARDINALITY, 0, true, false},
    {"1 pattern", ROUTE_UNMATCHED_WILDCARD, 1, false, false},
    {"1 pattern cached", ROUTE_UNMATCHED_WILDCARD, 1, true, false},
    {"10 patterns", ROUTE_UNMATCHED_WILDCARD, 10, false, false},
    {"10 patterns cached", ROUTE_UNMATCHED_WILDCARD, 10, true, false},
    {"100 patterns", ROUTE_UNMATCHED_WILDCARD, 100, false, false},
    {"100 patterns cached", ROUTE_UNMATCHED_WILDCARD, 100, true, false},
    {"100 patterns + heuristic cached", ROUTE_UNMATCHED_HEURISTIC, 100, true, false},
};
#define BENCH_ROUTES (sizeof(bench_routes) / sizeof(bench_routes[0]))
#define BENCH_PATTERN_LEN 64

#define BENCH_TEMPLATES 64
#define BENCH_SERVICES 3
#define BENCH_MSG_RECS 256 /* more than fit in one message */

struct bench_opts {
	unsigned long spans;
	unsigned batch; /* spans per sealed request (OBI's batch_max_size) */
	int cpu;
	int rounds;
	int modes;	  /* bit 0: plain, bit 1: gzip */
	const char *dump; /* -o: the first sealed request body goes there (to decode it) */
	int gzip;
	bool routes;			 /* -R: the bench_routes[] table instead of the modes */
	const struct bench_route *route; /* this run's, or NULL */
	int result_fd;			 /* the child's figures go there (-1: none) */
};

/* What a child reports to the parent's table: ns per span on CPU. */
struct bench_figs {
	double route_ns, name_ns, enricher_ns, spans_per_s;
	uint64_t hits, misses;
};

/* One pre-built record (header + captured request and response heads). */
struct bench_tpl {
	uint8_t buf[sizeof(struct obi_rec_http) + 1024];
	size_t len;
};

struct bench {
	struct bench_opts o;
	int fd[2]; /* [0] the probe's end, [1] the enricher's */
	struct bench_tpl tpl[BENCH_TEMPLATES];
	struct span_service svc[BENCH_SERVICES];
	uint8_t msg[OBI_WIRE_MAX_MSG], rbuf[OBI_WIRE_MAX_MSG];
	struct span *spans;	  /* [BENCH_MSG_RECS]: one message's spans */
	char *text;		  /* [BENCH_MSG_RECS][SPAN_TEXT_CAP]: their arenas */
	const struct span **ptrs; /* [BENCH_MSG_RECS] */
	struct otlp_buf pend;	  /* the request being filled */
	struct otlp_buf gz;
	size_t pend_spans;
	uint64_t seq, sent, built, bad, bytes_pb, bytes_gz, requests;
	uint64_t ns[ST__MAX];
	struct route_table *rt;
	struct route_lc *lc[BENCH_SERVICES];
	char patterns[100][BENCH_PATTERN_LEN];
	struct bench_figs figs;
};

static const struct otlp_host bench_host = {.host_name = "bench-host",
					    .host_id = "4f1c0e1d2b3a49588c7d6e5f4a3b2c1d",
					    .sdk_name = "opentelemetry-ebpf-instrumentation",
					    .sdk_version = "0.1.0",
					    .resource_attrs = "k8s.cluster.name=bench"};
static const struct otlp_scope bench_scope = {
    .name = "github.com/open-telemetry/opentelemetry-ebpf-instrumentation", .version = "0.1.0"};

/*
 * Stages are timed with the monotonic clock (vDSO: ~20 ns a read; the thread-CPU clock is a
 * system call here, ~3 us in this VM, which distorted the figures), and the run's thread CPU
 * time is read once at each end: bench_report scales every stage by CPU / wall, so that on a
 * shared machine other tasks' turns on our CPU do not count as ours.
 */
static uint64_t bench_clock(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t bench_now(void)
{
	return bench_clock(CLOCK_MONOTONIC);
}

/*
 * Request paths of several kinds of API and site (ids, digests, slugs, generated names), so
 * that the route heuristic does its usual work; 64 templates: a stable set of 64 paths.
 */
static void bench_path(char *out, size_t cap, unsigned i)
{
	unsigned id = 1000 + i * 37;

	switch (i % 8) {
	case 1:
		snprintf(out, cap, "/repos/acme/widget/pulls/%u/files", id);
		break;
	case 2:
		snprintf(out, cap, "/v2/library/nginx/manifests/sha256:%08x%08x", id * 2654435761u,
			 id);
		break;
	case 3:
		snprintf(out, cap, "/blog/2026/%02u/how-to-deploy-a-rust-service", 1 + i % 12);
		break;
	case 4:
		snprintf(out, cap, "/shop/products/sku-%u-blk/reviews", id);
		break;
	case 5:
		snprintf(out, cap, "/api/v1/namespaces/kube-system/pods/frontend-6f7d9c8b4-x%04x",
			 id);
		break;
	case 6:
		snprintf(out, cap, "/static/js/main.%08x.js", id * 2654435761u);
		break;
	case 7:
		snprintf(out, cap, "/api/v1/users/%u", id);
		break;
	default:
		snprintf(out, cap, "/api/v1/users/%u/orders", id);
		break;
	}
}

/* Request heads as real clients send them: short API calls and browser-like ones. */
static size_t bench_req(char *out, size_t cap, unsigned i)
{
	static const char *const ua[] = {
	    "curl/7.88.1", "Go-http-client/1.1", "python-requests/2.31.0",
	    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"};
	char path[128];
	int n;

	bench_path(path, sizeof(path), i);
	n = snprintf(out, cap,
		     "%s %s?page=%u&sort=desc HTTP/1.1\r\n"
		     "Host: shop.example.internal:8080\r\nUser-Agent: %s\r\n"
		     "Accept: application/json\r\nX-Request-Id: 7f1c2d3e-%04x\r\n%s\r\n",
		     i % 5 ? "GET" : "POST", path, i % 7, ua[i % 4], i,
		     i % 5 ? "" : "Content-Length: 0\r\n");
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static size_t bench_resp(char *out, size_t cap, unsigned i)
{
	int n = snprintf(out, cap,
			 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %u\r\nDate: Wed, 02 Dec 2026 00:00:00 GMT\r\n\r\n",
			 i % 11 ? 200 : 503, i % 11 ? "OK" : "Service Unavailable", 128 + i);

	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static void bench_tpl_init(struct bench_tpl *t, unsigned i)
{
	struct obi_rec_http r = {0};
	char *data = (char *)t->buf + sizeof(r);
	size_t room = sizeof(t->buf) - sizeof(r);
	size_t rq = bench_req(data, room, i), rs = bench_resp(data + rq, room - rq, i);

	r.hdr = (struct obi_rec_hdr){.type = OBI_REC_HTTP,
				     .abi_version = OBI_ABI_VERSION,
				     .pid = 100 + i % BENCH_SERVICES,
				     .tid = 100 + i % BENCH_SERVICES};
	r.conn_id = 0x1234567800000000ull + i;
	r.start_ns = 1000000000ull * (i + 1);
	r.resp_start_ns = r.start_ns + 150000;
	r.end_ns = r.start_ns + 200000 + i;
	r.req_bytes = rq;
	r.resp_bytes = rs + 128 + i;
	r.laddr[10] = r.laddr[11] = r.raddr[10] = r.raddr[11] = 0xff;
	memcpy(r.laddr + 12, (const uint8_t[]){10, 0, 0, 1}, 4);
	memcpy(r.raddr + 12, (const uint8_t[]){10, 0, (uint8_t)(i >> 8), (uint8_t)i}, 4);
	r.lport = 8080;
	r.rport = (uint16_t)(40000 + i);
	r.role = i % 4 == 3 ? OBI_ROLE_CLIENT : OBI_ROLE_SERVER;
	r.trace_flags = 1;
	r.flags = i % 2 ? OBI_HTTP_F_TRACEPARENT : 0;
	for (int k = 0; k < 16; k++)
		r.trace_id[k] = (uint8_t)(i * 31 + k + 1);
	for (int k = 0; k < 8; k++) {
		r.span_id[k] = (uint8_t)(i * 7 + k + 1);
		r.parent_span_id[k] = i % 2 ? (uint8_t)(i + k + 1) : 0;
	}
	r.req_cap = (uint16_t)rq;
	r.resp_cap = (uint16_t)rs;
	r.exch_seq = 1;
	r.hdr.size = (uint16_t)(sizeof(r) + rq + rs);
	memcpy(t->buf, &r, sizeof(r));
	t->len = r.hdr.size;
}

static void bench_init_data(struct bench *b)
{
	static const char *const names[BENCH_SERVICES] = {"checkout", "frontend", "orders"};

	for (unsigned i = 0; i < BENCH_TEMPLATES; i++)
		bench_tpl_init(&b->tpl[i], i);
	for (unsigned i = 0; i < BENCH_SERVICES; i++)
		b->svc[i] = (struct span_service){.name = names[i],
						  .namespace_ = "shop",
						  .instance_id = names[i],
						  .sdk_language = i ? "go" : "python",
						  .exe_path = "/usr/local/bin/server",
						  .resource_attrs = i == 1 ? "team=web" : "",
						  .pid = 100 + i};
}

/* Probe side: the next RECORDS message, each record with fresh ids (no two spans alike). */
static size_t bench_fill_msg(struct bench *b, unsigned long left)
{
	size_t off = sizeof(struct obi_wire_hdr), n = 0;

	while (n < left) {
		const struct bench_tpl *t = &b->tpl[(b->sent + n) % BENCH_TEMPLATES];
		uint64_t id = b->sent + n;

		if (off + t->len > OBI_WIRE_MAX_MSG || n == BENCH_MSG_RECS)
			break;
		memcpy(b->msg + off, t->buf, t->len);
		memcpy(b->msg + off + offsetof(struct obi_rec_http, trace_id), &id, sizeof(id));
		memcpy(b->msg + off + offsetof(struct obi_rec_http, span_id), &id, sizeof(id));
		off += t->len;
		n++;
	}
	b->sent += n;
	return off;
}

static int bench_send(struct bench *b, unsigned long left)
{
	size_t len = bench_fill_msg(b, left);
	struct obi_wire_hdr h = {
	    .type = OBI_MSG_RECORDS, .len = (uint32_t)len, .seq = (uint32_t)b->seq++};

	memcpy(b->msg, &h, sizeof(h));
	return send(b->fd[0], b->msg, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* The checks enricher_on_http makes before building a span (records.c). */
static const struct span_service *bench_check(struct bench *b, const struct obi_rec_http *r,
					      size_t len)
{
	if (len < sizeof(*r) || r->req_cap > OBI_REQ_CAP_MAX || r->resp_cap > OBI_RESP_CAP ||
	    sizeof(*r) + r->req_cap + r->resp_cap != len)
		return NULL;
	if (r->role != OBI_ROLE_SERVER && r->role != OBI_ROLE_CLIENT)
		return NULL;
	if (r->hdr.pid < 100 || r->hdr.pid >= 100 + BENCH_SERVICES)
		return NULL; /* the process table's miss */
	return &b->svc[r->hdr.pid - 100];
}

/* Enricher side: one RECORDS payload's records -> spans; returns how many were built. */
static size_t bench_parse(struct bench *b, const uint8_t *p, size_t len)
{
	size_t off = 0, n = 0;

	while (off + sizeof(struct obi_rec_hdr) <= len && n < BENCH_MSG_RECS) {
		struct obi_rec_hdr h;
		struct obi_rec_http r;
		const struct span_service *svc;

		memcpy(&h, p + off, sizeof(h));
		if (h.size < sizeof(h) || h.size > len - off)
			break;
		if (h.type == OBI_REC_HTTP && h.abi_version == OBI_ABI_VERSION &&
		    h.size >= sizeof(r)) {
			memcpy(&r, p + off, sizeof(r));
			svc = bench_check(b, &r, h.size);
			if (svc && span_build_http(&r, p + off + sizeof(r), h.size - sizeof(r), 0,
						   svc, &b->spans[n]) == SPAN_BUILD_OK)
				b->ptrs[n] = &b->spans[n], n++;
			else
				b->bad++;
		}
		off += h.size;
	}
	return n;
}

/* The routes decoration of n spans, as span_route_apply does it; the span name apart. */
static void bench_route_spans(struct bench *b, size_t n)
{
	uint64_t t0 = bench_now(), t1;

	char buf[SPAN_STR_MAX + 4], name[SPAN_STR_MAX + 64];
	struct route_result res;

	for (size_t i = 0; i < n; i++) {
		struct span *sp = &b->spans[i];
		size_t svc = (size_t)(sp->svc - b->svc);

		route_resolve(b->rt, svc < BENCH_SERVICES ? b->lc[svc] : NULL,
			      span_str(sp, SPAN_A_URL_PATH), span_str_len(sp, SPAN_A_URL_PATH), buf,
			      sizeof(buf), &res);
		span_unset(sp, SPAN_A_HTTP_ROUTE);
		if (res.route)
			span_set_str(sp, SPAN_A_HTTP_ROUTE, res.route, res.len);
	}
	t1 = bench_now();
	for (size_t i = 0; i < n; i++) {
		struct span *sp = &b->spans[i];
		size_t m = span_str_len(sp, SPAN_A_HTTP_METHOD), len;

		if (!span_has(sp, SPAN_A_HTTP_ROUTE))
			continue;
		/* "METHOD route" as span_route.c builds it (both fit: 31 and SPAN_STR_MAX - 1) */
		len = span_str_len(sp, SPAN_A_HTTP_ROUTE);
		memcpy(name, span_str(sp, SPAN_A_HTTP_METHOD), m);
		name[m] = ' ';
		memcpy(name + m + 1, span_str(sp, SPAN_A_HTTP_ROUTE), len);
		span_set_str(sp, SPAN_A_NAME, name, m + 1 + len);
	}
	b->ns[ST_ROUTE] += t1 - t0;
	b->ns[ST_NAME] += bench_now() - t1;
}

/* -R unique: ids no span had before (the bench's own work, not timed as the enricher's). */
static void bench_unique_paths(struct bench *b, size_t n)
{
	char path[SPAN_STR_MAX];

	for (size_t i = 0; i < n; i++) {
		bench_path(path, sizeof(path), (unsigned)(BENCH_TEMPLATES + b->built + i));
		span_set_str(&b->spans[i], SPAN_A_URL_PATH, path, strlen(path));
	}
}

/* Patterns: the first four match some of bench_path's kinds, the others none. */
static int bench_route_new(struct bench *b)
{
	static const char *const matching[] = {
	    "/api/v1/users/{id}/orders", "/repos/:owner/:repo/pulls/{n}/files",
	    "/api/v1/users/{id}", "/api/v1/namespaces/{ns}/pods/{pod}"};
	const struct bench_route *r = b->o.route;
	const char *pats[100];
	struct route_settings s = {.unmatched = (enum route_unmatched)(r ? r->unmatched : 0),
				   .wildcard_char = '*',
				   .max_path_segment_cardinality = 16,
				   .no_cache = r && !r->cache};
	char err[256];

	if (!r || r->unmatched < 0)
		return 0;
	for (unsigned i = 0; i < r->patterns && i < 100; i++) {
		if (i < 4)
			snprintf(b->patterns[i], BENCH_PATTERN_LEN, "%s", matching[i]);
		else
			snprintf(b->patterns[i], BENCH_PATTERN_LEN, "/api/v%u/res%u/{id}/items",
				 i % 3 + 1, i);
		pats[i] = b->patterns[i];
	}
	s.patterns = pats;
	s.n_patterns = r->patterns;
	if (route_table_new(&s, &b->rt, err, sizeof(err)) < 0) {
		fprintf(stderr, "enricher_bench: routes: %s\n", err);
		return -1;
	}
	for (int i = 0; i < BENCH_SERVICES; i++)
		b->lc[i] = route_table_lc_new(b->rt);
	return 0;
}

static void bench_route_free(struct bench *b)
{
	for (int i = 0; i < BENCH_SERVICES; i++)
		route_lc_free(b->lc[i]);
	route_table_free(b->rt);
}

static int bench_dump(const char *path, const struct otlp_buf *body)
{
	FILE *f = fopen(path, "we");
	int rc = f && fwrite(body->data, 1, body->len, f) == body->len ? 0 : -1;

	if (f && fclose(f))
		rc = -1;
	return rc;
}

/* The exporter's sealing of a full request: gzip when asked, then the sink (discards). */
static int bench_seal(struct bench *b)
{
	uint64_t t0 = bench_now();

	if (b->o.gzip) {
		b->gz.len = 0;
		if (otlp_gzip(b->pend.data, b->pend.len, &b->gz))
			return -1;
		b->bytes_gz += b->gz.len;
	}
	b->ns[ST_GZIP] += bench_now() - t0;
	if (b->o.dump && !b->requests && bench_dump(b->o.dump, b->o.gzip ? &b->gz : &b->pend))
		return -1;
	b->bytes_pb += b->pend.len;
	b->requests++;
	b->pend.len = 0;
	b->pend_spans = 0;
	return 0;
}

/* One message through the enricher's stages, timed apart. */
static int bench_recv_one(struct bench *b)
{
	struct otlp_encode_stats es = {0};
	struct wire_msg m;
	uint64_t t0 = bench_now(), t1, t2, t3;
	size_t n;
	int rc = wire_recv(b->fd[1], b->rbuf, OBI_WIRE_ROLE_PROBE, &m);

	t1 = bench_now();
	if (rc != 1 || m.type != OBI_MSG_RECORDS)
		return -1;
	n = bench_parse(b, m.payload, m.len);
	t2 = bench_now();
	b->ns[ST_PARSE] += t2 - t1;
	if (b->o.route && b->o.route->unique) {
		bench_unique_paths(b, n); /* the sender's work: an attacker's paths */
		b->ns[ST_SEND] += bench_now() - t2;
	}
	if (b->rt)
		bench_route_spans(b, n);
	t2 = bench_now();
	/* otlp_http_add's step: the message encoded straight onto the request being filled. */
	if (otlp_encode_traces_pb(b->ptrs, n, &bench_host, &bench_scope, &b->pend, &es))
		return -1;
	t3 = bench_now();
	b->built += n;
	b->pend_spans += n;
	b->ns[ST_RECV] += t1 - t0;
	b->ns[ST_ENCODE] += t3 - t2;
	b->ns[ST_QUEUE] += bench_now() - t3;
	return b->pend_spans >= b->o.batch ? bench_seal(b) : 0;
}

static long bench_peak_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss;
}

/* Per span, on CPU: a stage's wall time scaled by the run's CPU / (all stages' wall). */
static void bench_report(const struct bench *b, uint64_t wall_ns, uint64_t cpu_ns)
{
	uint64_t all = 0, enr = 0;
	double n = (double)(b->built ? b->built : 1), f;

	for (int s = 0; s < ST__MAX; s++)
		all += b->ns[s];
	enr = all - b->ns[ST_SEND];
	f = all ? (double)cpu_ns / (double)all : 1;
	printf("mode %-5s%s%s spans %llu bad %llu | enricher %.0f spans/s per core (%.1f ns/span:",
	       b->o.gzip ? "gzip" : "plain", b->o.route ? " routes " : "",
	       b->o.route ? b->o.route->name : "", (unsigned long long)b->built,
	       (unsigned long long)b->bad, n * 1e9 / ((double)enr * f), (double)enr * f / n);
	for (int s = ST_RECV; s < ST__MAX; s++)
		printf(" %s %.1f", bench_stage_names[s], (double)b->ns[s] * f / n);
	printf(") | probe send %.1f ns/span | on CPU %.0f%% of %.2f s | "
	       "%.1f B/span pb, %.1f B/span gz, %llu requests | peak RSS %ld KiB\n",
	       (double)b->ns[ST_SEND] * f / n, 100.0 * (double)cpu_ns / (double)wall_ns,
	       (double)wall_ns / 1e9, (double)b->bytes_pb / n, (double)b->bytes_gz / n,
	       (unsigned long long)b->requests, bench_peak_rss_kib());
	fflush(stdout);
}

/* The figures the parent's routes table shows (the same scaling as bench_report). */
static void bench_figs_fill(struct bench *b, uint64_t cpu_ns)
{
	uint64_t all = 0, enr;
	double n = (double)(b->built ? b->built : 1), f;
	struct route_cache_stats cs = route_table_cache_stats(b->rt);

	for (int s = 0; s < ST__MAX; s++)
		all += b->ns[s];
	enr = all - b->ns[ST_SEND];
	f = all ? (double)cpu_ns / (double)all : 1;
	b->figs = (struct bench_figs){.route_ns = (double)b->ns[ST_ROUTE] * f / n,
				      .name_ns = (double)b->ns[ST_NAME] * f / n,
				      .enricher_ns = (double)enr * f / n,
				      .spans_per_s = n * 1e9 / ((double)enr * f),
				      .hits = cs.hits,
				      .misses = cs.misses};
}

static int bench_loop(struct bench *b)
{
	uint64_t w0 = bench_now(), c0 = bench_clock(CLOCK_THREAD_CPUTIME_ID), t;

	while (b->sent < b->o.spans) {
		t = bench_now();
		if (bench_send(b, b->o.spans - b->sent))
			return -1;
		b->ns[ST_SEND] += bench_now() - t;
		if (bench_recv_one(b))
			return -1;
	}
	if (b->pend_spans && bench_seal(b))
		return -1;
	t = bench_clock(CLOCK_THREAD_CPUTIME_ID) - c0;
	bench_report(b, bench_now() - w0, t);
	bench_figs_fill(b, t);
	return b->built == b->o.spans ? 0 : -1;
}

/* Through a byte copy: GCC 12 takes &b->figs for its first member and warns (overread). */
static int bench_send_figs(int fd, const struct bench_figs *f)
{
	unsigned char raw[sizeof(*f)];

	memcpy(raw, f, sizeof(raw));
	return write(fd, raw, sizeof(raw)) == (ssize_t)sizeof(raw) ? 0 : -1;
}

/* One mode in this (child) process. */
static int bench_run(const struct bench_opts *o)
{
	struct bench *b = calloc(1, sizeof(*b));
	cpu_set_t cs;
	int rc = -1;

	if (!b)
		return -1;
	b->o = *o;
	b->spans = calloc(BENCH_MSG_RECS, sizeof(*b->spans));
	b->text = malloc((size_t)BENCH_MSG_RECS * SPAN_TEXT_CAP);
	b->ptrs = calloc(BENCH_MSG_RECS, sizeof(*b->ptrs));
	for (size_t i = 0; b->spans && b->text && i < BENCH_MSG_RECS; i++)
		span_init(&b->spans[i], b->text + i * SPAN_TEXT_CAP, SPAN_TEXT_CAP);
	CPU_ZERO(&cs);
	CPU_SET(o->cpu, &cs);
	if (!b->spans || !b->text || !b->ptrs || sched_setaffinity(0, sizeof(cs), &cs) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, b->fd))
		goto out;
	bench_init_data(b);
	rc = bench_route_new(b) ? -1 : bench_loop(b);
	if (!rc && o->result_fd >= 0)
		rc = bench_send_figs(o->result_fd, &b->figs);
	close(b->fd[0]);
	close(b->fd[1]);
out:
	if (rc)
		fprintf(stderr, "enricher_bench: run failed (%s)\n", strerror(errno));
	otlp_buf_free(&b->pend);
	otlp_buf_free(&b->gz);
	bench_route_free(b);
	free(b->spans);
	free(b->text);
	free(b->ptrs);
	free(b);
	return rc;
}

/* One run in a child; its figures come back through a pipe when figs is not NULL. */
static int bench_child(const struct bench_opts *o, struct bench_figs *figs)
{
	struct bench_opts co = *o;
	int p[2] = {-1, -1}, st, ok;
	pid_t pid;

	if (figs && pipe2(p, O_CLOEXEC))
		return -1;
	co.result_fd = p[1];
	fflush(stdout); /* or the child's exit writes the parent's buffered lines again */
	pid = fork();
	if (pid == 0)
		_exit(bench_run(&co) ? 1 : 0);
	if (p[1] >= 0)
		close(p[1]);
	ok = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (ok && figs && read(p[0], figs, sizeof(*figs)) != (ssize_t)sizeof(*figs))
		ok = 0;
	if (p[0] >= 0)
		close(p[0]);
	return ok ? 0 : -1;
}

/* -R: every bench_routes[] variant -r times (plain mode), then best and spread side by side. */
static void bench_figs_minmax(struct bench_figs *lo, struct bench_figs *hi,
			      const struct bench_figs *f, bool first)
{
#define BENCH_MINMAX(x)                                                                            \
	do {                                                                                       \
		lo->x = first || f->x < lo->x ? f->x : lo->x;                                      \
		hi->x = first || f->x > hi->x ? f->x : hi->x;                                      \
	} while (0)
	BENCH_MINMAX(route_ns);
	BENCH_MINMAX(name_ns);
	BENCH_MINMAX(enricher_ns);
	BENCH_MINMAX(spans_per_s);
#undef BENCH_MINMAX
	lo->hits = f->hits;
	lo->misses = f->misses;
}

/* -R: every bench_routes[] variant -r times (plain mode), then best and spread side by side. */
static int bench_routes_table(struct bench_opts *o)
{
	struct bench_figs lo[BENCH_ROUTES], hi[BENCH_ROUTES], f;

	o->gzip = 0;
	for (int r = 0; r < o->rounds; r++) {
		for (size_t v = 0; v < BENCH_ROUTES; v++) {
			o->route = &bench_routes[v];
			if (bench_child(o, &f))
				return -1;
			bench_figs_minmax(&lo[v], &hi[v], &f, r == 0);
		}
	}
	printf("\nroutes, best of %d rounds (spread: worst - best), per span on CPU; route = "
	       "route_resolve + copy, name = \"METHOD route\":\n"
	       "%-32s %9s %8s %8s %12s %8s %9s\n",
	       o->rounds, "variant", "route ns", "spread", "name ns", "enricher/s", "spread",
	       "hit rate");
	for (size_t v = 0; v < BENCH_ROUTES; v++) {
		uint64_t looks = lo[v].hits + lo[v].misses;

		printf("%-32s %9.1f %8.1f %8.1f %12.0f %7.1f%% ", bench_routes[v].name,
		       lo[v].route_ns, hi[v].route_ns - lo[v].route_ns, lo[v].name_ns,
		       hi[v].spans_per_s,
		       100.0 * (hi[v].spans_per_s - lo[v].spans_per_s) / hi[v].spans_per_s);
		if (looks)
			printf("%8.2f%%\n", 100.0 * (double)lo[v].hits / (double)looks);
		else
			printf("%9s\n", "-");
	}
	return 0;
}

static int bench_args(int argc, char **argv, struct bench_opts *o)
{
	int c;

	*o = (struct bench_opts){.spans = 2000000,
				 .batch = 4096,
				 .cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1,
				 .rounds = 3,
				 .modes = 3,
				 .result_fd = -1};
	while ((c = getopt(argc, argv, "n:b:c:r:m:o:R")) != -1) {
		if (c == 'n')
			o->spans = strtoul(optarg, NULL, 10);
		else if (c == 'b')
			o->batch = (unsigned)strtoul(optarg, NULL, 10);
		else if (c == 'c')
			o->cpu = atoi(optarg);
		else if (c == 'r')
			o->rounds = atoi(optarg);
		else if (c == 'o')
			o->dump = optarg;
		else if (c == 'R')
			o->routes = true;
		else if (c == 'm')
			o->modes = !strcmp(optarg, "plain") ? 1 : !strcmp(optarg, "gzip") ? 2 : 0;
		else
			return -1;
	}
	return o->spans && o->batch && o->rounds > 0 && o->cpu >= 0 && o->modes ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	double la[3] = {0};

	if (bench_args(argc, argv, &o)) {
		fprintf(stderr, "usage: enricher_bench [-n SPANS] [-b BATCH] [-c CPU] [-r ROUNDS] "
				"[-m plain|gzip] [-o FILE] [-R]\n");
		return 2;
	}
	getloadavg(la, 3);
	printf("enricher_bench: %lu spans per run, batch_max_size %u, CPU %d, %d rounds "
	       "(plain and gzip alternating), load average %.2f %.2f %.2f\n",
	       o.spans, o.batch, o.cpu, o.rounds, la[0], la[1], la[2]);
	if (o.routes && bench_routes_table(&o))
		return 1;
	for (int r = 0; !o.routes && r < o.rounds; r++)
		for (o.gzip = 0; o.gzip < 2; o.gzip++)
			if ((o.modes & (1 << o.gzip)) && bench_child(&o, NULL))
				return 1;
	getloadavg(la, 3);
	printf("enricher_bench: load average after %.2f %.2f %.2f\n", la[0], la[1], la[2]);
	return 0;
}

/* enricher_bench.c: enricher capacity, kernel records over a real socket -> encoded OTLP bytes. */
/*
 * The probe's side (RECORDS messages of synthetic but valid obi_rec_http records, packed up to
 * OBI_WIRE_MAX_MSG as probe/ipc.c does) and the enricher's side (wire_recv, the record checks
 * of records.c, span_build_http, otlp_encode_traces_pb per message appended to a pending
 * request, otlp_gzip when the request is sealed at batch_max_size spans) run in one thread
 * pinned to one CPU, so the figure is per core and the sender's work is timed apart. Each mode
 * runs in a child process of its own so that its peak RSS is its own.
 */
#include <errno.h>
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
#include "span_build.h"
#include "wire.h"

enum bench_stage { ST_SEND, ST_RECV, ST_PARSE, ST_ENCODE, ST_QUEUE, ST_GZIP, ST__MAX };
static const char *const bench_stage_names[ST__MAX] = {"send",	 "recv",  "parse",
						       "encode", "queue", "gzip"};

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
	struct span *spans;	   /* [BENCH_MSG_RECS]: one message's spans */
	const struct span **ptrs;  /* [BENCH_MSG_RECS] */
	struct otlp_buf tmp, pend; /* one message's encoding; the request being filled */
	struct otlp_buf gz;
	size_t pend_spans;
	uint64_t seq, sent, built, bad, bytes_pb, bytes_gz, requests;
	uint64_t ns[ST__MAX];
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

/* Request heads as real clients send them: short API calls and browser-like ones. */
static size_t bench_req(char *out, size_t cap, unsigned i)
{
	static const char *const ua[] = {
	    "curl/7.88.1", "Go-http-client/1.1", "python-requests/2.31.0",
	    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"};
	int n = snprintf(out, cap,
			 "%s /api/v1/users/%u/orders?page=%u&sort=desc HTTP/1.1\r\n"
			 "Host: shop.example.internal:8080\r\nUser-Agent: %s\r\n"
			 "Accept: application/json\r\nX-Request-Id: 7f1c2d3e-%04x\r\n%s\r\n",
			 i % 5 ? "GET" : "POST", 1000 + i * 37, i % 7, ua[i % 4], i,
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
	b->tmp.len = 0;
	if (otlp_encode_traces_pb(b->ptrs, n, &bench_host, &bench_scope, &b->tmp, &es))
		return -1;
	t3 = bench_now();
	/* otlp_http_add's step: the message's encoding appended to the request being filled. */
	if (otlp_buf_append(&b->pend, b->tmp.data, b->tmp.len))
		return -1;
	b->built += n;
	b->pend_spans += n;
	b->ns[ST_RECV] += t1 - t0;
	b->ns[ST_PARSE] += t2 - t1;
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
	printf("mode %-5s spans %llu bad %llu | enricher %.0f spans/s per core (%.1f ns/span:",
	       b->o.gzip ? "gzip" : "plain", (unsigned long long)b->built,
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
	bench_report(b, bench_now() - w0, bench_clock(CLOCK_THREAD_CPUTIME_ID) - c0);
	return b->built == b->o.spans ? 0 : -1;
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
	b->ptrs = calloc(BENCH_MSG_RECS, sizeof(*b->ptrs));
	CPU_ZERO(&cs);
	CPU_SET(o->cpu, &cs);
	if (!b->spans || !b->ptrs || sched_setaffinity(0, sizeof(cs), &cs) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, b->fd))
		goto out;
	bench_init_data(b);
	rc = bench_loop(b);
	close(b->fd[0]);
	close(b->fd[1]);
out:
	if (rc)
		fprintf(stderr, "enricher_bench: run failed (%s)\n", strerror(errno));
	otlp_buf_free(&b->tmp);
	otlp_buf_free(&b->pend);
	otlp_buf_free(&b->gz);
	free(b->spans);
	free(b->ptrs);
	free(b);
	return rc;
}

static int bench_child(const struct bench_opts *o)
{
	pid_t pid;
	int st;

	fflush(stdout); /* or the child's exit writes the parent's buffered lines again */
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(bench_run(o) ? 1 : 0);
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int bench_args(int argc, char **argv, struct bench_opts *o)
{
	int c;

	*o = (struct bench_opts){.spans = 2000000,
				 .batch = 4096,
				 .cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1,
				 .rounds = 3,
				 .modes = 3};
	while ((c = getopt(argc, argv, "n:b:c:r:m:o:")) != -1) {
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
				"[-m plain|gzip] [-o FILE]\n");
		return 2;
	}
	getloadavg(la, 3);
	printf("enricher_bench: %lu spans per run, batch_max_size %u, CPU %d, %d rounds "
	       "(plain and gzip alternating), load average %.2f %.2f %.2f\n",
	       o.spans, o.batch, o.cpu, o.rounds, la[0], la[1], la[2]);
	for (int r = 0; r < o.rounds; r++)
		for (o.gzip = 0; o.gzip < 2; o.gzip++)
			if ((o.modes & (1 << o.gzip)) && bench_child(&o))
				return 1;
	getloadavg(la, 3);
	printf("enricher_bench: load average after %.2f %.2f %.2f\n", la[0], la[1], la[2]);
	return 0;
}

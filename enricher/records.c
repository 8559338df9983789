/* records.c: validates each kernel record of a RECORDS batch and turns HTTP ones into spans. */
#include <stdlib.h>
#include <string.h>

#include "enricher.h"
#include "exch_hold.h"
#include "http_parse.h"
#include "pipeline.h"
#include "monotime.h"
#include "obi_abi.h"
#include "k8s_decorate.h"
#include "span_build.h"
#include "span_filter.h"
#include "span_route.h"

static void enricher_bad(struct enricher *e, const char *what, size_t off)
{
	e->st.bad_records++;
	log_ratelimited(&e->bad_rl, monotime_ns(), LOG_LVL_WARN,
			"dropping a malformed record at offset %zu: %s", off, what);
}

/* Builds and prints the span of a validated HTTP record (one exchange). */
static void records_print_one(struct enricher *e, const uint8_t *p, size_t len)
{
	struct obi_rec_http rec;
	struct proc_entry *proc;
	struct span span;
	char text[SPAN_TEXT_CAP]; /* the span's arena: only what it holds is written */

	span_init(&span, text, sizeof(text));
	memcpy(&rec, p, sizeof(rec));
	proc = proc_table_get(&e->procs, rec.hdr.pid);
	if (!proc) {
		/* The process facts are sent before its first record; a miss means it raced. */
		e->st.unknown_pid++;
		log_ratelimited(&e->bad_rl, monotime_ns(), LOG_LVL_DEBUG,
				"record for pid %u, which the probe has not described",
				rec.hdr.pid);
		return;
	}
	if (e->k8s) /* the clock read only where it is used (2 % of the enricher in perf) */
		k8s_decorate_proc(e->k8s, proc, monotime_ns());
	if (span_build_http(&rec, p + sizeof(rec), len - sizeof(rec), e->mono_to_unix_ns,
			    &proc->svc, &span) != SPAN_BUILD_OK) {
		e->st.not_http++;
		log_ratelimited(&e->bad_rl, monotime_ns(), LOG_LVL_INFO,
				"pid %u: captured bytes are not an HTTP/1.x request", rec.hdr.pid);
		return;
	}
	if (span_int(&span, SPAN_A_HTTP_RESP_CUT))
		e->st.resp_cut++;
	e->st.spans++;
	span_peer_apply(e->peer_names, &span, &e->peers);
	span_route_apply(e->routes, &proc->route_lc, &span);
	span_filter_apply(e->filter, &span);
	emit_span(e, &span);
}

/*
 * Ids of pipelined request i > 0: its own traceparent if it sent one, else a trace of its own
 * (derived from the kernel's random ids: unique, and stable for the record).
 */
static void records_part_ids(struct obi_rec_http *r, const uint8_t *req, size_t len, size_t i)
{
	struct http_request_head h;
	uint8_t tid[16], sid[8], fl;
	uint64_t mix = 0x9e3779b97f4a7c15ULL * (i + 1), w;

	for (size_t k = 0; k < 16; k += 8) {
		memcpy(&w, r->trace_id + k, 8);
		w ^= mix;
		memcpy(r->trace_id + k, &w, 8);
	}
	memcpy(&w, r->span_id, 8);
	w ^= mix ^ (mix >> 17);
	memcpy(r->span_id, &w, 8);
	memset(r->parent_span_id, 0, 8);
	r->flags &= (uint16_t) ~(OBI_HTTP_F_TRACEPARENT | OBI_HTTP_F_PARENT_LOCAL);
	if (http_parse_request(req, len, &h) == 0 &&
	    http_parse_traceparent(h.traceparent.p, h.traceparent.len, tid, sid, &fl) == 0) {
		memcpy(r->trace_id, tid, 16);
		memcpy(r->parent_span_id, sid, 8);
		r->trace_flags = fl;
		r->flags |= OBI_HTTP_F_TRACEPARENT;
	}
}

/* Bytes after the end of the first request head inside its capture: pipelining or a body. */
static bool records_maybe_pipelined(const struct obi_rec_http *rec, const uint8_t *data)
{
	const uint8_t *end = rec->req_cap >= 4 ? memmem(data, rec->req_cap, "\r\n\r\n", 4) : NULL;

	return end && (size_t)(end - data) + 4 < rec->req_cap;
}

/* Prints a record, one span per pipelined request in it. */
static void records_print(struct enricher *e, const uint8_t *p, size_t len)
{
	struct pipeline_part parts[PIPELINE_MAX_PARTS];
	uint8_t buf[sizeof(struct obi_rec_http) + OBI_REQ_CAP_MAX + OBI_RESP_CAP];
	const uint8_t *data = p + sizeof(struct obi_rec_http);
	struct obi_rec_http rec;
	bool approx;
	size_t n;

	memcpy(&rec, p, sizeof(rec));
	if (!records_maybe_pipelined(&rec, data) ||
	    (n = pipeline_split(&rec, data, len - sizeof(rec), parts, &approx)) < 2) {
		records_print_one(e, p, len);
		return;
	}
	e->st.pipelined += n;
	if (approx)
		e->st.pipelined_approx += n;
	for (size_t i = 0; i < n; i++) {
		struct obi_rec_http r = rec;

		r.req_cap = (uint16_t)parts[i].req_len;
		r.resp_cap = (uint16_t)parts[i].resp_len;
		r.req_bytes = parts[i].req_bytes;
		r.resp_bytes = parts[i].resp_bytes;
		if (!r.resp_bytes)
			r.flags |= OBI_HTTP_F_NO_RESPONSE;
		/* The tail belongs to the last response only. */
		if (i + 1 < n)
			r.flags &= (uint16_t)~OBI_HTTP_F_TAIL;
		memcpy(buf + sizeof(r), data + parts[i].req_off, parts[i].req_len);
		memcpy(buf + sizeof(r) + parts[i].req_len, data + parts[i].resp_off,
		       parts[i].resp_len);
		if (i)
			records_part_ids(&r, data + parts[i].req_off, parts[i].req_len, i);
		memcpy(buf, &r, sizeof(r));
		records_print_one(e, buf, sizeof(r) + parts[i].req_len + parts[i].resp_len);
	}
}

static void records_print_free(struct enricher *e, uint8_t *p, size_t len)
{
	if (p)
		records_print(e, p, len);
	free(p);
}

/*
 * A snapshot (SWEPT) or a final of a snapshotted exchange (SNAPPED, CUT): printed once, when
 * the response is over by its framing, or by the final record at the latest.
 */
static void records_on_snapshot(struct enricher *e, const struct obi_rec_http *rec,
				const uint8_t *p, size_t len)
{
	struct exch_hold_slot *s;
	uint8_t *old = NULL;
	size_t old_len = 0;

	if (!e->hold && !(e->hold = exch_hold_new())) {
		records_print(e, p, len); /* no memory: print as it comes */
		return;
	}
	s = exch_hold_find(e->hold, rec->conn_id);
	if (!(rec->flags & OBI_HTTP_F_SWEPT)) {
		/* The final record. */
		if (s && s->seq == rec->exch_seq) {
			bool printed = s->state == EXCH_HOLD_PRINTED;

			exch_hold_release(s, NULL, NULL);
			if (printed) {
				e->st.snap_dups++;
				return;
			}
		}
		records_print(e, p, len);
		return;
	}
	if (s && s->seq == rec->exch_seq && s->state == EXCH_HOLD_PRINTED)
		return; /* more bytes after a complete response: nothing to change */
	s = exch_hold_take(e->hold, rec->conn_id, rec->exch_seq, &old, &old_len);
	records_print_free(e, old, old_len);
	if (span_build_response_complete(rec, p + sizeof(*rec), len - sizeof(*rec))) {
		records_print(e, p, len);
		return;
	}
	if (!exch_hold_keep(s, p, len, monotime_ns()))
		records_print(e, p, len);
}

static void enricher_on_http(struct enricher *e, const uint8_t *p, size_t len, size_t off)
{
	struct obi_rec_http rec;

	if (len < sizeof(rec)) {
		enricher_bad(e, "HTTP record shorter than its header", off);
		return;
	}
	memcpy(&rec, p, sizeof(rec));
	if (rec.req_cap > OBI_REQ_CAP_MAX || rec.resp_cap > OBI_RESP_CAP ||
	    sizeof(rec) + rec.req_cap + rec.resp_cap != len) {
		enricher_bad(e, "HTTP record capture lengths do not add up", off);
		return;
	}
	if (rec.role != OBI_ROLE_SERVER && rec.role != OBI_ROLE_CLIENT) {
		enricher_bad(e, "HTTP record with an unknown role", off);
		return;
	}
	if ((rec.flags & OBI_HTTP_F_SWEPT) && (rec.flags & (OBI_HTTP_F_CUT | OBI_HTTP_F_SNAPPED))) {
		enricher_bad(e, "HTTP record both a snapshot and a final", off);
		return;
	}
	if (rec.flags & (OBI_HTTP_F_SWEPT | OBI_HTTP_F_SNAPPED | OBI_HTTP_F_CUT))
		records_on_snapshot(e, &rec, p, len);
	else
		records_print(e, p, len);
}

static void records_drain_one(void *ctx, const uint8_t *rec, size_t len)
{
	records_print(ctx, rec, len);
}

/*
 * Held snapshots whose final never came are printed as they are once the kernel would have
 * cut them (http_response_max_duration) and a few sweeps more have passed.
 */
void records_tick(struct enricher *e, uint64_t now_ns)
{
	uint64_t wait = e->cfg.http_response_max_duration_ns;
	size_t n;

	if (!e->hold || !wait)
		return;
	wait += 5ULL * 1000000000ULL;
	if (now_ns <= wait)
		return;
	n = exch_hold_expire(e->hold, now_ns - wait, records_drain_one, e);
	if (n) {
		e->st.hold_expired += n;
		emit_batch_end(e);
	}
}

void records_shutdown(struct enricher *e)
{
	if (!e->hold)
		return;
	exch_hold_drain(e->hold, records_drain_one, e);
	exch_hold_free(e->hold);
	e->hold = NULL;
	emit_batch_end(e);
}

/*
 * A batch is a run of records, each starting with obi_rec_hdr whose size covers it. A record
 * whose size is impossible ends the batch (nothing after it can be framed); a record that is
 * framed but wrong inside is skipped and the rest still come out.
 */
void records_handle_batch(struct enricher *e, const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		struct obi_rec_hdr h;

		if (len - off < sizeof(h)) {
			enricher_bad(e, "trailing bytes shorter than a record header", off);
			break;
		}
		memcpy(&h, p + off, sizeof(h));
		if (h.size < sizeof(h) || h.size > len - off) {
			enricher_bad(e, "record size outside the batch", off);
			break;
		}
		e->st.records++;
		if (h.abi_version != OBI_ABI_VERSION)
			enricher_bad(e, "record ABI version mismatch", off);
		else if (h.type == OBI_REC_HTTP)
			enricher_on_http(e, p + off, h.size, off);
		else
			enricher_bad(e, "unexpected record type", off);
		off += h.size;
	}
	emit_batch_end(e);
}

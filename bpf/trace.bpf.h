/* trace.bpf.h: trace context in the kernel: incoming traceparent, id generation, in-thread parents. */
#ifndef OBI_TRACE_BPF_H
#define OBI_TRACE_BPF_H

#include "maps.bpf.h"

/* "traceparent: 00-" + 32 + "-" + 16 + "-" + 2 */
#define OBI_TP_NAME_LEN 12
#define OBI_TP_VALUE_LEN 55

/*
 * Span and trace ids: splitmix64 over a per-CPU counter, seeded from bpf_get_prandom_u32()
 * on the CPU's first use. One server request needs three 64-bit words; as six
 * bpf_get_prandom_u32() calls they were a fifth of the helper calls of a request, and each
 * call and return is dear where retpolines and SRSO are on. The statistical quality is that of
 * the kernel's own prandom (neither is meant to be unpredictable). The counter advances by one
 * atomic add per id set, so ids drawn on one CPU never repeat (the mix is a bijection), even
 * when a faultable (syscall) tracepoint is preempted between two draws.
 */
#define OBI_RNG_GAMMA 0x9e3779b97f4a7c15ULL

static __always_inline __u64 obi_rng_mix(__u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The counter value before `n` draws reserved for the caller; 0 when the map is unusable. */
static __always_inline __u64 obi_rng_take(__u32 n)
{
	__u32 zero = 0;
	__u64 *st = bpf_map_lookup_elem(&obi_rng, &zero);

	if (!st)
		return 0;
	if (!*st)
		*st = (__u64)bpf_get_prandom_u32() << 32 | bpf_get_prandom_u32() | 1;
#ifndef OBI_COMPAT
	return __sync_fetch_and_add(st, n * OBI_RNG_GAMMA);
#else
	/* No BPF atomics before 5.12. Those kernels run tracepoint programs with preemption
	 * off, but the compat object can be forced on a newer one, whose syscall tracepoints
	 * may be preempted between the read and the write: a random word mixed in keeps two
	 * such draws apart (one helper call, not six). */
	__u64 v = *st;

	*st = v + n * OBI_RNG_GAMMA;
	return v ^ (__u64)bpf_get_prandom_u32() << 32;
#endif
}

static __always_inline void obi_random_ids(__u8 *trace_id, __u8 *span_id)
{
	__u64 *t = (__u64 *)trace_id, *s = (__u64 *)span_id, base;

	base = obi_rng_take(trace_id ? 3 : 1);
	if (trace_id) {
		t[0] = obi_rng_mix(base + 2 * OBI_RNG_GAMMA);
		t[1] = obi_rng_mix(base + 3 * OBI_RNG_GAMMA);
		if (!(t[0] | t[1])) /* all zero is invalid (W3C); no bit is forced otherwise */
			t[1] = 1;
	}
	*s = obi_rng_mix(base + OBI_RNG_GAMMA) ?: 1;
}

static __always_inline int obi_hexval(__u8 ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static __always_inline __u8 obi_lower(__u8 ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/* Decodes `n` bytes of hex at data[pos...]; -1 on a non-hex character. */
static __always_inline int obi_unhex(const __u8 *data, __u32 pos, __u8 *out, int n)
{
	for (int i = 0; i < n; i++) {
		__u32 p = (pos + 2 * i) & (2 * OBI_REQ_CAP_MAX - 1);
		int hi = obi_hexval(data[p]), lo = obi_hexval(data[(p + 1) & (2 * OBI_REQ_CAP_MAX - 1)]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = hi << 4 | lo;
	}
	return 0;
}

static __always_inline bool obi_all_zero(const __u8 *b, int n)
{
	__u8 acc = 0;

	for (int i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

/* "\ntraceparent:" with the name lower-cased by OR-ing 0x20 into letters (':' is unchanged). */
#define OBI_TP_WORD1 0x7261706563617274ULL /* "tracepar" */
#define OBI_TP_WORD2 0x3a746e65U	     /* "ent:" */
#define OBI_NL_BYTES 0x0a0a0a0a0a0a0a0aULL
#define OBI_T_BYTES 0x7474747474747474ULL /* "tttttttt" */
#define OBI_CR_BYTES 0x2d2d2d2d2d2d2d2dULL /* '\r' | 0x20, eight times */
#define OBI_LO_BYTES 0x0101010101010101ULL
#define OBI_HI_BYTES 0x8080808080808080ULL

/* The 8 bytes at byte offset b (1..8) of the little-endian 16-byte string lo|hi. */
static __always_inline __u64 obi_bytes_at(__u64 lo, __u64 hi, int b)
{
	return b == 8 ? hi : lo >> (8 * b) | hi << (64 - 8 * b);
}

/*
 * Where "traceparent:" (name case-insensitive) follows a '\n' in the 8 bytes at `off` of the
 * head (w0; w1 and w2 are the 16 bytes after them): the offset of its value; -1 where a
 * '\n' followed by '\r' (the end of the head) comes first; else 0.
 *
 * A global function with scalar arguments and result: the verifier checks it once, on its
 * own, whatever the call sites and however often they call it, and the position it returns
 * is one unknown value to them, not one path per position it could be found at.
 */
__noinline int obi_tp_match_word(__u64 w0, __u64 w1, __u64 w2, __u32 off)
{
	for (int k = 0; k < 8; k++) {
		__u64 name = obi_bytes_at(w0, w1, k + 1);
		__u32 rest = (__u32)obi_bytes_at(w1, w2, k + 1);

		if ((__u8)(w0 >> (8 * k)) != '\n')
			continue;
		if ((__u8)name == '\r')
			return -1;
		if ((name | 0x2020202020202020ULL) != OBI_TP_WORD1 ||
		    (rest | 0x00202020U) != OBI_TP_WORD2)
			continue;
		return off + k + 1 + OBI_TP_NAME_LEN;
	}
	return 0;
}

/*
 * Finds the value of the first "\ntraceparent:" in the captured head: <= 0 if none before
 * the end of the head (a "traceparent:" line in a body is not a header). A bounded loop, on every
 * kernel (no bpf_loop, which came in 5.17). Most words hold no newline and cost a load and a
 * few ALU ops (the SWAR zero-byte test on word ^ "\n\n\n\n..."); only the few with one
 * followed by 't', 'T' or '\r' (or '-', which folds onto '\r' here) are looked at, by
 * obi_tp_match_word().
 *
 * Nothing in the loop compares a position with `len` (only the word's end): each comparison
 * would split the verifier's range of len and multiply the states it walks. A name matched in
 * stale bytes past len is rejected by obi_tp_parse_at(); an end of head matched there ends a
 * scan that had nothing left to find (the value needs 67 bytes after the newline).
 */
static __always_inline int obi_tp_find(const struct obi_conn *c, __u32 len)
{
	/* A copy the loop may narrow: len itself reaches the caller unrefined, so the paths
	 * leaving the loop at different words look alike to the verifier and are merged. */
	__u32 words = len >> 3;
	/* data is 8-aligned in the map value: whole-word loads. (Through a u8 pointer, even a
	 * cast one, clang assembles each word from eight byte loads.) */
	const __u64 *words64 = (const __u64 *)c->data;

#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < OBI_REQ_CAP_MAX / 8; i++) {
		__u32 off = i * 8;
		__u64 w0, w1, x, nl, next, t, cr;
		int found;

		if (i >= words)
			break;
		w0 = words64[i];
		x = w0 ^ OBI_NL_BYTES;
		nl = (x - OBI_LO_BYTES) & ~x & OBI_HI_BYTES;
		if (!nl)
			continue;
		/* Only a newline followed by 't'/'T' (a name) or '\r' (the end) matters: most
		 * header lines start otherwise, so the matcher is rarely called. Byte k of `next`
		 * is byte k + 1 of the head from w0 on; the zero-byte tests flag every true match
		 * (no false negatives). */
		w1 = words64[i + 1];
		next = (w0 >> 8 | w1 << 56) | 0x2020202020202020ULL;
		t = next ^ OBI_T_BYTES;
		cr = next ^ OBI_CR_BYTES;
		if (!(nl & (((t - OBI_LO_BYTES) & ~t) | ((cr - OBI_LO_BYTES) & ~cr))))
			continue;
		/* One exit for both outcomes: a second one lets clang lay the loop out with a
		 * fall-through back-edge, which verifiers before 6.4 reject. */
		found = obi_tp_match_word(w0, w1, words64[i + 2], off);
		if (found)
			return found;
	}
	return 0;
}

/* Takes a valid version-00 traceparent value that starts at `found` (after the name). */
static __always_inline bool obi_tp_parse_at(struct obi_conn *c, __u32 len, int found)
{
	struct obi_rec_http *r = &c->rec;
	__u8 tid[16], pid[8], fl[1];
	__u32 pos;

	/* Before masking: a name matched in stale bytes past len must not wrap to the head. */
	if (found <= 0 || (__u32)found + OBI_TP_VALUE_LEN > len)
		return false;
	pos = found & (OBI_REQ_CAP_MAX - 1);
	if (c->data[pos] == ' ')
		pos++;
	if (pos + OBI_TP_VALUE_LEN > len)
		return false;
	if (c->data[pos] != '0' || c->data[pos + 1] != '0' || c->data[pos + 2] != '-' ||
	    c->data[pos + 35] != '-' || c->data[pos + 52] != '-')
		return false;
	if (obi_unhex(c->data, pos + 3, tid, 16) || obi_unhex(c->data, pos + 36, pid, 8) ||
	    obi_unhex(c->data, pos + 53, fl, 1))
		return false;
	if (obi_all_zero(tid, 16) || obi_all_zero(pid, 8))
		return false;
	__builtin_memcpy(r->trace_id, tid, 16);
	__builtin_memcpy(r->parent_span_id, pid, 8);
	r->trace_flags = fl[0];
	r->flags |= OBI_HTTP_F_TRACEPARENT;
	return true;
}

/* The captured head length worth scanning, or 0 when it is too short to hold the header. */
static __always_inline __u32 obi_tp_scan_len(const struct obi_conn *c)
{
	__u32 len = c->req_len;

	if (len > OBI_REQ_CAP_MAX)
		len = OBI_REQ_CAP_MAX;
	/* Shortest head that can hold the header: a request line plus the header itself. */
	return len < 16 + OBI_TP_NAME_LEN + OBI_TP_VALUE_LEN ? 0 : len;
}

/*
 * Finds "traceparent:" (name case-insensitive) at a line start of the captured request head and,
 * if the value is a valid version-00 traceparent, takes its trace id, parent span id and flags.
 */
static __always_inline bool obi_trace_from_header(struct obi_conn *c)
{
	__u32 len = obi_tp_scan_len(c);

	return len && obi_tp_parse_at(c, len, obi_tp_find(c, len));
}

/* The current thread's server span slot; `create` makes it when missing. */
static __always_inline struct obi_srv_span *obi_srv_span_get(bool create)
{
#ifndef OBI_COMPAT
	return bpf_task_storage_get(&obi_srv_spans, bpf_get_current_task_btf(), NULL,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
#else
	static const struct obi_srv_span zero;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct obi_srv_span *s = bpf_map_lookup_elem(&obi_srv_spans, &tid);

	if (s || !create)
		return s;
	bpf_map_update_elem(&obi_srv_spans, &tid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&obi_srv_spans, &tid);
#endif
}

/* Makes the exchange's ids the ones this thread serves (task-local storage). */
static __always_inline void obi_trace_server_publish(struct obi_conn *c,
						     const struct obi_conn_key *key)
{
	struct obi_rec_http *r = &c->rec;
	struct obi_srv_span *s;

	s = obi_srv_span_get(true);
	if (!s)
		return;
	__builtin_memcpy(s->trace_id, r->trace_id, 16);
	__builtin_memcpy(s->span_id, r->span_id, 8);
	s->conn = *key;
	s->exch_seq = r->exch_seq;
	s->trace_flags = r->trace_flags;
}

/*
 * A server request starts: fresh ids, published for the thread's client calls. The incoming
 * traceparent is not looked for here, on every request: the enricher takes it from the
 * captured head (flag TP_HEAD), and the kernel looks only when a client call needs it
 * (obi_trace_client_start), by when the handler has the whole head.
 */
static __always_inline void obi_trace_server_start(struct obi_conn *c,
						   const struct obi_conn_key *key)
{
	struct obi_rec_http *r = &c->rec;

	__builtin_memset(r->parent_span_id, 0, 8);
	obi_random_ids(r->trace_id, r->span_id);
	r->trace_flags = 1;
	if (obi_cfg.track_traceparent)
		r->flags |= OBI_HTTP_F_TP_HEAD;
	obi_trace_server_publish(c, key);
}

/*
 * The serving thread's first client call while its server exchange (srv) still has the
 * kernel's own ids: takes srv's incoming traceparent now, so that the call joins that trace,
 * and says so in srv's record. Looked for once: the head is whole by now.
 */
static __always_inline void obi_trace_server_resolve(struct obi_conn *srv, struct obi_srv_span *s)
{
	srv->rec.flags &= ~OBI_HTTP_F_TP_HEAD;
	if (!obi_trace_from_header(srv))
		return;
	__builtin_memcpy(s->trace_id, srv->rec.trace_id, 16);
	s->trace_flags = srv->rec.trace_flags;
}

/* A client call: child of the server span this thread serves, if that exchange is still open. */
static __always_inline void obi_trace_client_start(struct obi_rec_http *r)
{
	struct obi_srv_span *s = obi_srv_span_get(false);
	struct obi_conn *srv = s ? bpf_map_lookup_elem(&obi_conns, &s->conn) : NULL;

	if (srv && srv->role == OBI_ROLE_SERVER && srv->state != 0 &&
	    srv->rec.exch_seq == s->exch_seq) {
		if (srv->rec.flags & OBI_HTTP_F_TP_HEAD)
			obi_trace_server_resolve(srv, s);
		__builtin_memcpy(r->trace_id, s->trace_id, 16);
		__builtin_memcpy(r->parent_span_id, s->span_id, 8);
		r->trace_flags = s->trace_flags;
		r->flags |= OBI_HTTP_F_PARENT_LOCAL;
		obi_random_ids(NULL, r->span_id);
		return;
	}
	__builtin_memset(r->parent_span_id, 0, 8);
	obi_random_ids(r->trace_id, r->span_id);
	r->trace_flags = 1;
}

#endif /* OBI_TRACE_BPF_H */

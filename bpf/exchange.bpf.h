/* exchange.bpf.h: the protocol core both front ends feed: HTTP/1.x exchange delimiting and
 * emission. */
#ifndef OBI_EXCHANGE_BPF_H
#define OBI_EXCHANGE_BPF_H

#include "maps.bpf.h"
#include "pidns.bpf.h"
#include "trace.bpf.h"
#include <bpf/bpf_core_read.h>

#define OBI_AF_INET 2
#define OBI_AF_INET6 10
#define OBI_IPPROTO_TCP 6
#define OBI_SOCK_STREAM 1

/*
 * The kernel decides only where exchanges begin and end; parsing is the enricher's job. A
 * request starts with a method token and a space, a response with "HTTP/1.". The four-byte
 * prefixes are compared as little-endian words.
 */
#define OBI_W(a, b, c, d) ((__u32)(a) | (__u32)(b) << 8 | (__u32)(c) << 16 | (__u32)(d) << 24)

static __always_inline bool obi_is_request_start(const __u8 *h, long n)
{
	__u32 w;

	if (n < 5)
		return false;
	w = OBI_W(h[0], h[1], h[2], h[3]);
	switch (w) {
	case OBI_W('G', 'E', 'T', ' '):
	case OBI_W('P', 'U', 'T', ' '):
		return true;
	case OBI_W('P', 'O', 'S', 'T'):
	case OBI_W('H', 'E', 'A', 'D'):
		return h[4] == ' ';
	case OBI_W('D', 'E', 'L', 'E'):
	case OBI_W('P', 'A', 'T', 'C'):
	case OBI_W('O', 'P', 'T', 'I'):
	case OBI_W('C', 'O', 'N', 'N'):
	case OBI_W('T', 'R', 'A', 'C'):
		return true;
	}
	return false;
}

static __always_inline bool obi_is_response_start(const __u8 *h, long n)
{
	return n >= 8 && OBI_W(h[0], h[1], h[2], h[3]) == OBI_W('H', 'T', 'T', 'P') &&
	       OBI_W(h[4], h[5], h[6], h[7]) == OBI_W('/', '1', '.', h[7]);
}

/* Locates the first user segment of an I/O: plain buffer, iovec[0] or msghdr->msg_iov[0]. */
static __always_inline int obi_io_first_seg(const struct obi_io *io, __u64 *base, __u64 *len)
{
	struct obi_user_iovec iov;
	struct obi_user_msghdr mh;

	switch (io->kind) {
	case OBI_BUF_PLAIN:
		*base = io->ptr;
		*len = ~0ULL;
		return 0;
	case OBI_BUF_MSG:
		if (bpf_probe_read_user(&mh, sizeof(mh), (void *)io->ptr))
			return -1;
		if (!mh.iovlen)
			return -1;
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)mh.iov))
			return -1;
		break;
	case OBI_BUF_IOV:
		if (!io->count)
			return -1;
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)io->ptr))
			return -1;
		break;
	default:
		return -1;
	}
	*base = iov.base;
	*len = iov.len;
	return 0;
}

static __always_inline void obi_fill_tuple(struct obi_rec_http *r, struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	if (family == OBI_AF_INET) {
		__u32 la = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 ra = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memset(r->laddr, 0, 16);
		__builtin_memset(r->raddr, 0, 16);
		r->laddr[10] = r->laddr[11] = 0xff;
		r->raddr[10] = r->raddr[11] = 0xff;
		__builtin_memcpy(&r->laddr[12], &la, 4);
		__builtin_memcpy(&r->raddr[12], &ra, 4);
	} else {
		BPF_CORE_READ_INTO(&r->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&r->raddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	r->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	r->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

static __always_inline __u64 obi_rb_flags(void *rb)
{
	return bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) >= obi_cfg.wakeup_bytes
		   ? BPF_RB_FORCE_WAKEUP
		   : BPF_RB_NO_WAKEUP;
}

/*
 * The data path, the close hook and the sweep can reach the same connection on different CPUs:
 * whichever moves the state from `from` to EMITTING owns the record until it is emitted, so an
 * exchange is emitted exactly once and never while being rewritten.
 */
static __always_inline bool obi_claim(struct obi_conn *c, __u32 from)
{
#ifndef OBI_COMPAT
	return __sync_val_compare_and_swap(&c->state, from, OBI_CS_EMITTING) == from;
#else
	/*
	 * No BPF atomics before 5.12. Without the sweep, two emitters meet only when two threads
	 * use one socket at once, or when the close hook (which can run in softirq on another
	 * CPU, e.g. for an RST) races the data path. Both may then pass this check: the exchange
	 * is emitted twice, or one copy mixes the next exchange's head into it. Rare, and limited
	 * to that connection.
	 */
	if (c->state != from)
		return false;
	c->state = OBI_CS_EMITTING;
	return true;
#endif
}

/*
 * A request starting while another CPU emits this connection's exchange (the sweep sending a
 * snapshot of the quiet response before it, or the close hook) would lose its head: the
 * emitter copies c->rec into the ring and gives the connection back within a microsecond or
 * so. Wait that long, bounded (an emitter preempted mid-copy still costs the request, counted
 * in OBI_ST_RACES). Seen on a loaded 2-CPU machine: 1 Go keep-alive request in 500 under wrk.
 */
#define OBI_EMITTER_WAIT_SPINS 1024

static __always_inline void obi_wait_emitter(struct obi_conn *c)
{
#ifndef OBI_COMPAT
	for (int i = 0; i < OBI_EMITTER_WAIT_SPINS; i++)
		if (*(volatile __u32 *)&c->state != OBI_CS_EMITTING)
			break;
#else
	/* No sweep here, only the rare close-hook race; and 5.10's verifier walks every iteration
	 * of a bounded loop in each program that inlines this path. */
	(void)c;
#endif
}

/* Writes the claimed exchange (it was in state `from`) to the ring; the connection goes to
 * `next` (IDLE, or RESP again after a snapshot). */
static __always_inline void obi_emit_to(struct obi_conn *c, __u32 from, __u16 flags, __u64 now,
					__u32 next)
{
	struct obi_rec_http *r = &c->rec;
	__u32 req = c->req_len, resp = c->resp_len, size;

	if (req > OBI_REQ_CAP_MAX)
		req = OBI_REQ_CAP_MAX;
	if (resp > OBI_RESP_CAP)
		resp = OBI_RESP_CAP;
	if (from == OBI_CS_REQ)
		flags |= OBI_HTTP_F_NO_RESPONSE;
	if (c->snap_bytes && !(r->flags & OBI_HTTP_F_SWEPT))
		flags |= OBI_HTTP_F_SNAPPED;
	r->hdr.type = OBI_REC_HTTP;
	r->hdr.abi_version = OBI_ABI_VERSION;
	r->hdr.ktime_ns = now; /* the caller's clock read: one fewer per request (costly in VMs) */
	r->flags |= flags;
	r->req_cap = req;
	r->resp_cap = resp;
	size = sizeof(*r) + req + resp;
	r->hdr.size = size;
	if (bpf_ringbuf_output(&obi_events, r, size, obi_rb_flags(&obi_events)))
		obi_stat_inc(OBI_ST_RB_DROPS);
	else
		obi_stat_inc(OBI_ST_HTTP_EMITTED);
	c->state = next;
}

static __always_inline void obi_emit(struct obi_conn *c, __u32 from, __u16 flags, __u64 now)
{
	obi_emit_to(c, from, flags, now, OBI_CS_IDLE);
}

#ifndef OBI_COMPAT /* only the sweep sends snapshots */
/*
 * The claimed response went quiet: send what there is (flag SWEPT) and keep the exchange open,
 * since a pause does not end a response; the enricher decides from the framing whether it is
 * complete, and the final record (next request, close, cut) follows anyway.
 */
static __always_inline void obi_emit_snapshot(struct obi_conn *c, __u64 now)
{
	__u16 keep = c->rec.flags;

	obi_stat_inc(OBI_ST_SWEPT);
	c->snap_bytes = c->rec.req_bytes + c->rec.resp_bytes;
	c->rec.flags |= OBI_HTTP_F_SWEPT;
	obi_emit_to(c, OBI_CS_RESP, 0, now, OBI_CS_EMITTING);
	c->rec.flags = keep;
	if (c->closing) {
		/* The close hook found the exchange ours and left its end to us. */
		c->closing = 0;
		obi_stat_inc(OBI_ST_CLOSED);
		obi_emit(c, OBI_CS_RESP, OBI_HTTP_F_CLOSED, now);
		return;
	}
	c->state = OBI_CS_RESP;
}
#endif

/*
 * A request unanswered for http_request_timeout. The sweep normally reports it on time; this
 * check covers a response or close that comes first, and kernels without the sweep.
 */
static __always_inline bool obi_timed_out(const struct obi_conn *c, __u64 now)
{
	return obi_cfg.request_timeout_ns &&
	       (__s64)(now - c->rec.start_ns) >= (__s64)obi_cfg.request_timeout_ns;
}

/* Emits the claimed request (state REQ) as timed out at start + http_request_timeout. */
static __always_inline void obi_emit_timeout(struct obi_conn *c, __u64 now)
{
	obi_stat_inc(OBI_ST_TIMEOUTS);
	c->rec.end_ns = c->rec.start_ns + obi_cfg.request_timeout_ns;
	obi_emit(c, OBI_CS_REQ, OBI_HTTP_F_TIMEOUT, now);
}

/*
 * Appends up to `n` bytes at user address `src` to the request capture. The logical limits
 * depend on other variables, which older verifiers (6.1) cannot relate; barrier_var() keeps the
 * constant masks below from being folded away, so every verifier sees off <= 1023, n <= 1024.
 */
static __always_inline void obi_capture_req(struct obi_conn *c, __u64 src, __u64 n)
{
	__u32 off = c->req_len, cap = obi_cfg.req_cap;

	if (cap > OBI_REQ_CAP_MAX)
		cap = OBI_REQ_CAP_MAX;
	if (off >= cap) {
		c->rec.flags |= OBI_HTTP_F_REQ_TRUNC;
		return;
	}
	if (n > cap - off) {
		n = cap - off;
		c->rec.flags |= OBI_HTTP_F_REQ_TRUNC;
	}
	barrier_var(off);
	barrier_var(n);
	off &= OBI_REQ_CAP_MAX - 1;
	n &= 2 * OBI_REQ_CAP_MAX - 1;
	if (n > OBI_REQ_CAP_MAX)
		n = OBI_REQ_CAP_MAX;
	if (!n)
		return;
	if (bpf_probe_read_user(&c->data[off], n, (void *)src)) {
		obi_stat_inc(OBI_ST_READ_ERR);
		return;
	}
	c->req_len = off + n;
}

/* Up to 8 user bytes as a little-endian word (missing bytes zero); false if unreadable. */
static __always_inline bool obi_read_word(__u64 src, __u32 n, __u64 *w)
{
	long err;

	*w = 0;
	/* A constant size, or one masked where the helper sees it: older verifiers (6.1) lose
	 * a clamp done on another copy of the register. */
	if (n >= 8) {
		err = bpf_probe_read_user(w, 8, (void *)src);
	} else {
		barrier_var(n);
		n &= 7;
		err = bpf_probe_read_user(w, n, (void *)src);
	}
	if (err) {
		obi_stat_inc(OBI_ST_READ_ERR);
		return false;
	}
	return true;
}

/* Appends to the response capture, right after the request bytes (bounds as above). */
static __always_inline void obi_capture_resp(struct obi_conn *c, __u64 src, __u64 n)
{
	__u32 off = c->req_len, have = c->resp_len, cap = obi_cfg.resp_cap;

	if (cap > OBI_RESP_CAP)
		cap = OBI_RESP_CAP;
	if (have >= cap)
		return;
	if (n > cap - have)
		n = cap - have;
	off += have;
	barrier_var(off);
	barrier_var(n);
	if (off > OBI_REQ_CAP_MAX + OBI_RESP_CAP)
		return;
	n &= 2 * OBI_RESP_CAP - 1;
	if (n > OBI_RESP_CAP)
		n = OBI_RESP_CAP;
	if (!n)
		return;
	if (bpf_probe_read_user(&c->data[off], n, (void *)src)) {
		obi_stat_inc(OBI_ST_READ_ERR);
		return;
	}
	c->resp_len = have + n;
}

/* The last user segment of a multi-segment I/O (writev, sendmsg): where a response ends. */
static __always_inline int obi_io_last_seg(const struct obi_io *io, __u64 *base, __u64 *len)
{
	struct obi_user_iovec iov;
	struct obi_user_msghdr mh;
	__u64 arr, n;

	if (io->kind == OBI_BUF_IOV) {
		arr = io->ptr;
		n = io->count;
	} else if (io->kind == OBI_BUF_MSG) {
		if (bpf_probe_read_user(&mh, sizeof(mh), (void *)io->ptr))
			return -1;
		arr = mh.iov;
		n = mh.iovlen;
	} else {
		return -1;
	}
	if (n < 2 || n > 1024)
		return -1;
	if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(arr + (n - 1) * sizeof(iov))))
		return -1;
	*base = iov.base;
	*len = iov.len;
	return 0;
}

/*
 * Keeps the last 8 bytes of the response in rec.resp_tail, for responses longer than their
 * capture: a chunked body ends with "0\r\n\r\n", which only the tail shows. Assumes the
 * I/O moved all its segments (a partial writev is followed by one that ends the same way).
 */
static __always_inline void obi_tail_update(struct obi_conn *c, const struct obi_io *io, __u64 base,
					    __u64 seglen, long ret)
{
	__u64 tb = base, tl = seglen, nb, old, *tail = (__u64 *)c->rec.resp_tail;
	__u32 n;

	if (seglen < (__u64)ret && obi_io_last_seg(io, &tb, &tl)) {
		c->rec.flags &= ~OBI_HTTP_F_TAIL;
		return;
	}
	n = tl < 8 ? tl : 8;
	if (!n || !obi_read_word(tb + tl - n, n, &nb))
		return;
	old = (c->rec.flags & OBI_HTTP_F_TAIL) ? *tail : 0;
	*tail = n == 8 ? nb : (old >> (8 * n)) | (nb << (8 * (8 - n)));
	c->rec.flags |= OBI_HTTP_F_TAIL;
}

static __always_inline void obi_start_exchange(struct obi_conn *c, __u32 tid, __u64 now)
{
	struct obi_rec_http *r = &c->rec;

	c->state = OBI_CS_REQ;
	c->req_len = 0;
	c->resp_len = 0;
	r->hdr.tid = tid;
	r->start_ns = now;
	r->resp_start_ns = 0;
	r->end_ns = now;
	r->req_bytes = 0;
	r->resp_bytes = 0;
	r->flags = 0;
	r->exch_seq++;
	c->snap_bytes = 0;
	c->closing = 0;
}

static __always_inline struct obi_conn *obi_conn_new(const struct obi_conn_key *key,
						     struct sock *sk, __u8 role, __u32 tgid)
{
	__u32 zero = 0;
	struct obi_conn *z = bpf_map_lookup_elem(&obi_conn_zero, &zero);
	struct obi_conn *c;

	if (!z)
		return NULL;
	z->state = OBI_CS_IDLE;
	z->role = role;
	z->rec.role = role;
	z->rec.hdr.pid = tgid;
	z->rec.hdr.netns = key->netns;
	z->rec.conn_id = (__u64)bpf_get_prandom_u32() << 32 | bpf_get_prandom_u32();
	z->rec.exch_seq = 0;
	obi_fill_tuple(&z->rec, sk);
	/* NOEXIST: another CPU may have created it meanwhile; then use theirs. */
	bpf_map_update_elem(&obi_conns, key, z, BPF_NOEXIST);
	c = bpf_map_lookup_elem(&obi_conns, key);
	if (!c)
		obi_stat_inc(OBI_ST_CONN_FULL);
	return c;
}

/* First byte of a method token we recognise: only such short reads are held back. */
static __always_inline bool obi_is_method_letter(__u8 ch)
{
	return ch == 'G' || ch == 'P' || ch == 'H' || ch == 'D' || ch == 'O' || ch == 'C' ||
	       ch == 'T';
}

/* What the request-direction bytes held before this I/O contribute to a request start. */
struct obi_pre {
	__u64 bytes; /* the held bytes, little-endian */
	__u64 ns;    /* when the first of them was seen */
	__u32 len;   /* how many (0: none) */
};

/*
 * The slow path of request-start detection, taken only when this I/O is shorter than 8 bytes
 * or bytes are already held: joins the held bytes with the start of this I/O. Returns 1 when
 * they decide (*is_req set; *pre says what the held bytes were), 0 when they are still too
 * few (the bytes are now held: the I/O is done with).
 */
static __always_inline int obi_split_start(struct obi_conn *c, __u64 base, __u64 seglen, __u64 now,
					   bool *is_req, struct obi_pre *pre)
{
	__u32 held = c->pend_len & 7, n = 8 - held, total;
	__u64 nb, joined;
	__u8 head[8];

	if (n > seglen)
		n = seglen;
	if (!obi_read_word(base, n, &nb))
		return 1;
	joined = held ? c->pend | nb << (8 * held) : nb;
	total = held + n;
	if (!obi_is_method_letter((__u8)joined)) {
		pre->len = held;
		pre->bytes = c->pend;
		pre->ns = c->pend_ns;
		c->pend_len = 0;
		return 1;
	}
	if (total < 8) {
		if (!held)
			c->pend_ns = now;
		c->pend = joined;
		c->pend_len = total;
		return 0;
	}
	__builtin_memcpy(head, &joined, 8);
	*is_req = obi_is_request_start(head, 8);
	pre->len = held;
	pre->bytes = c->pend;
	pre->ns = held ? c->pend_ns : now;
	c->pend_len = 0;
	return 1;
}

/* Starts an exchange whose first bytes were held (pre) before this I/O's `seglen` at base. */
static __always_inline void obi_begin_request(struct obi_conn *c, const struct obi_conn_key *key,
					      __u64 pid_tgid, __u64 base, __u64 seglen,
					      const struct obi_pre *pre, __u64 now)
{
	obi_start_exchange(c, obi_pidns_cur_tid(pid_tgid), now);
	if (c->role == OBI_ROLE_CLIENT)
		obi_trace_client_start(&c->rec);
	if (pre->len) {
		c->rec.start_ns = pre->ns;
		*(__u64 *)c->data = pre->bytes;
		c->req_len = pre->len & 7;
		c->rec.req_bytes = pre->len & 7;
	}
	obi_capture_req(c, base, seglen);
	if (c->role == OBI_ROLE_SERVER)
		obi_trace_server_start(c, key);
}

/*
 * One socket I/O of a selected process (pid_tgid: the caller's bpf_get_current_pid_tgid()):
 * `ret` bytes moved on `sk`, egress if the process sent them. Both front ends end here.
 */
static __always_inline void obi_on_io(struct sock *sk, __u32 netns, const struct obi_io *io,
				      long ret, __u64 pid_tgid)
{
	struct obi_conn_key key = {.sk = (__u64)sk, .netns = netns};
	__u64 now = 0, base = 0, seglen = 0;
	struct obi_pre pre = {};
	__u8 head[8] = {};
	bool req_dir, is_req = false;
	struct obi_conn *c;

	if (ret <= 0)
		return;
	if (obi_io_first_seg(io, &base, &seglen) != 0) {
		obi_stat_inc(OBI_ST_NO_PAYLOAD);
		base = 0;
		seglen = 0;
	}
	if (seglen > (__u64)ret)
		seglen = ret;
	c = bpf_map_lookup_elem(&obi_conns, &key);
	/* The request flows in for a server, out for a client. */
	req_dir = c ? (c->role == OBI_ROLE_SERVER) != io->egress : true;
	/* Only a request-direction I/O outside a request can start one: peek only then. Every
	 * request line is longer than 8 bytes; shorter I/O take the slow path, which holds them. */
	if (req_dir && (!c || c->state != OBI_CS_REQ) && seglen) {
		if (seglen >= 8 && (!c || !c->pend_len)) {
			if (bpf_probe_read_user(head, 8, (void *)base) == 0)
				is_req = obi_is_request_start(head, 8);
		} else {
			__u8 first = 0;

			now = bpf_ktime_get_ns();
			if (!c) {
				/* A new connection's first bytes, too few to judge: keep them only
				 * if they can begin a method. */
				if (bpf_probe_read_user(&first, 1, (void *)base) ||
				    !obi_is_method_letter(first))
					return;
				c = obi_conn_new(&key, sk,
						 io->egress ? OBI_ROLE_CLIENT : OBI_ROLE_SERVER,
						 obi_pidns_cur_tgid(pid_tgid));
				if (!c)
					return;
			}
			if (!obi_split_start(c, base, seglen, now, &is_req, &pre))
				return;
		}
	}
	if (!c) {
		if (!is_req)
			return;
		c = obi_conn_new(&key, sk, io->egress ? OBI_ROLE_CLIENT : OBI_ROLE_SERVER,
				 obi_pidns_cur_tgid(pid_tgid));
		if (!c)
			return;
	}
	if (!now)
		now = bpf_ktime_get_ns();
	c->last_ns = now;
	if (req_dir) {
		if (is_req) {
			obi_wait_emitter(c);
			if (c->state == OBI_CS_RESP) {
				if (!obi_claim(c, OBI_CS_RESP)) {
					/* The sweep or close hook took it between the two reads. */
					obi_stat_inc(OBI_ST_RACES);
					return;
				}
				obi_emit(c, OBI_CS_RESP, 0, now);
			} else if (c->state == OBI_CS_EMITTING) {
				obi_stat_inc(OBI_ST_RACES);
				return;
			}
			obi_begin_request(c, &key, pid_tgid, base, seglen, &pre, now);
		} else if (c->state == OBI_CS_REQ) {
			/* More of the head (or a body): nothing is scanned per read; see
			 * obi_trace_server_start(). */
			obi_capture_req(c, base, seglen);
		} else if (c->state != OBI_CS_RESP) {
			return;
		} else {
			/* Held bytes that turned out not to start a request: the body sent after an
			 * interim "100 Continue" belongs to this exchange. */
			c->rec.req_bytes += pre.len;
		}
		c->rec.req_bytes += ret;
	} else {
		if (c->state != OBI_CS_REQ && c->state != OBI_CS_RESP)
			return;
		if (c->state == OBI_CS_REQ) {
			if (obi_timed_out(c, now)) {
				/* What the sweep would have reported; the late response is ignored.
				 */
				if (obi_claim(c, OBI_CS_REQ))
					obi_emit_timeout(c, now);
				return;
			}
			c->state = OBI_CS_RESP;
			c->rec.resp_start_ns = now;
		}
		if (!io->kind)
			c->rec.flags |= OBI_HTTP_F_NO_PAYLOAD;
		else if (c->resp_len < OBI_RESP_CAP && seglen)
			obi_capture_resp(c, base, seglen);
		c->rec.resp_bytes += ret;
		/* Only responses longer than their capture need the tail: small ones are whole. */
		if (seglen && c->resp_len < c->rec.resp_bytes)
			obi_tail_update(c, io, base, seglen, ret);
	}
	c->rec.end_ns = now;
}

/* TCP state change: flush the exchange of a closing connection, forget a closed one. */
static __always_inline void obi_on_state(struct sock *sk, __u32 netns, int newstate)
{
	struct obi_conn_key key = {.sk = (__u64)sk, .netns = netns};
	struct obi_conn *c;

	c = bpf_map_lookup_elem(&obi_conns, &key);
	if (!c)
		return;
	__u32 st = c->state;

#ifndef OBI_COMPAT
	if (st == OBI_CS_EMITTING) {
		/* Perhaps the sweep sending a snapshot: it emits the final when it sees this (if it
		 * already looked, the enricher prints the snapshot later). The entry stays for it;
		 * the LRU reclaims it. */
		c->closing = 1;
		return;
	}
#endif
	if ((st == OBI_CS_RESP || st == OBI_CS_REQ) && obi_claim(c, st)) {
		__u64 now = bpf_ktime_get_ns();

		if (st == OBI_CS_REQ && obi_timed_out(c, now)) {
			obi_emit_timeout(c, now);
		} else {
			obi_stat_inc(OBI_ST_CLOSED);
			obi_emit(c, st, OBI_HTTP_F_CLOSED, now);
		}
	}
	if (newstate == 7)
		bpf_map_delete_elem(&obi_conns, &key);
}

#endif /* OBI_EXCHANGE_BPF_H */

/* fuzz_wire.c: libFuzzer harness for wire validation, its accessors and RECORDS batch handling. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enricher.h"
#include "log.h"
#include "span_filter.h"
#include "span_route.h"
#include "wire.h"

#define FUZZ_WIRE_BASE_PID 4242
#define FUZZ_WIRE_GRACE_NS 1000000000ull

static struct enricher fuzz_wire_e;
static char fuzz_wire_arena[WIRE_POD_ARENA(OBI_WIRE_MAX_MSG)];

/* The process the seeds' records refer to, added through the real wire path. */
static void fuzz_wire_add_base(struct enricher *e)
{
	static const char cmd[] = "nginx\0-g\0daemon off;";
	struct obi_wire_proc f = {.pid = FUZZ_WIRE_BASE_PID, .ns_pid = 1, .ppid = 1};
	uint8_t payload[512], msg[600];
	struct wire_proc_view v;
	struct wire_msg m;
	ssize_t n;

	n = wire_build_proc(payload, sizeof(payload), &f, "/usr/sbin/nginx", cmd, sizeof(cmd) - 1,
			    "0::/system.slice/nginx.service", NULL,
			    "service.namespace=web,deployment.environment=prod");
	if (n < 0)
		abort();
	n = wire_encode(msg, sizeof(msg), OBI_MSG_PROC_ADD, 0, payload, (size_t)n);
	if (n < 0 || wire_validate(msg, (size_t)n, OBI_WIRE_ROLE_PROBE, &m) != WIRE_OK ||
	    wire_get_proc(&m, &v) != WIRE_OK || proc_table_put(&e->procs, &v, &e->cfg, e->hostname))
		abort();
}

static struct enricher *fuzz_wire_init(void)
{
	static bool done;
	static const char fuzz_wire_yaml[] =
	    "routes:\n  patterns: ['/users/{id}', '/a/:b/*', '/x/*/y']\n"
	    "  ignored_patterns: [/health]\n  ignore_mode: traces\n"
	    "filter:\n  application:\n    url_path: {not_match: '/skip*'}\n";
	struct enricher *e = &fuzz_wire_e;
	char err[1024];
	FILE *sink;

	if (done)
		return e;
	done = true;
	log_init("fuzz_wire", LOG_LVL_ERROR);
	config_init_defaults(&e->cfg);
	/* The span stages run on every fuzzed span: patterns, ignored patterns, a filter. */
	if (config_apply_yaml(&e->cfg, fuzz_wire_yaml, strlen(fuzz_wire_yaml), "fuzz.yaml", err,
			      sizeof(err)) ||
	    span_route_new(&e->cfg.routes, &e->routes, err, sizeof(err)) ||
	    span_filter_new(&e->cfg.filter.application, &e->filter, err, sizeof(err)))
		abort();
	proc_table_init(&e->procs);
	sink = fopen("/dev/null", "w");
	if (!sink)
		abort();
	printer_init(&e->printer, CONFIG_PRINTER_JSON, sink);
	e->bad_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000000000ull, 1);
	snprintf(e->hostname, sizeof(e->hostname), "fuzzhost");
	e->mono_to_unix_ns = 1775595000000000000ll;
	return e;
}

/* Every string of a decoded PROC_ADD lies inside the payload, back to back. */
static void fuzz_wire_check_proc(const struct wire_msg *m, const struct wire_proc_view *v)
{
	const char *base = (const char *)m->payload, *end = base + m->len;
	const struct obi_wire_proc *f = &v->fixed;

	if (v->exe != base + sizeof(*f) || v->cmdline != v->exe + f->exe_len ||
	    v->cgroup != v->cmdline + f->cmdline_len || v->svc_name != v->cgroup + f->cgroup_len ||
	    v->res_attrs != v->svc_name + f->svc_name_len ||
	    v->svc_ns != v->res_attrs + f->res_attrs_len ||
	    v->sel_name != v->svc_ns + f->svc_ns_len ||
	    v->sel_ns != v->sel_name + f->sel_name_len || v->sel_ns + f->sel_ns_len != end)
		abort();
	if (f->pid == 0 || f->language >= OBI_LANG__MAX)
		abort();
}

/* A proc entry's strings are NUL-terminated and within their wire bounds. */
static void fuzz_wire_check_entry(const struct proc_entry *p)
{
	if (!p || !p->name || !p->namespace_ || !p->instance_id || !p->exe || !p->cmdline ||
	    !p->cgroup || !p->res_attrs)
		abort();
	if (strlen(p->exe) > OBI_WIRE_EXE_MAX || strlen(p->cmdline) > OBI_WIRE_CMDLINE_MAX ||
	    strlen(p->cgroup) > OBI_WIRE_CGROUP_MAX || strlen(p->res_attrs) > OBI_WIRE_RES_MAX ||
	    strlen(p->name) > OBI_WIRE_RES_MAX || p->svc.name != p->name || !p->svc.sdk_language)
		abort();
}

static void fuzz_wire_records(struct enricher *e, const struct wire_msg *m)
{
	struct enricher_stats before = e->st;
	uint64_t records, bad;

	records_handle_batch(e, m->payload, m->len);
	records = e->st.records - before.records;
	bad = e->st.bad_records - before.bad_records;
	/* every counted record took at least a header; at most one framing error per batch */
	if (records > m->len / sizeof(struct obi_rec_hdr) || bad > records + 1)
		abort();
	/*
	 * A record prints itself (one span per request when split as pipelined) and at most one
	 * earlier exchange it releases from the hold (a snapshot whose final never came, or one
	 * pushed out of a full hold).
	 */
	if (e->st.spans - before.spans + e->st.not_http - before.not_http + e->st.unknown_pid -
		before.unknown_pid >
	    2 * records + (e->st.pipelined - before.pipelined))
		abort();
}

/* An accepted POD_QUERY names a container by 64 lower-case hex digits. */
static void fuzz_wire_pod_query(const struct wire_msg *m)
{
	char cid[65];

	if (wire_get_pod_query(m, cid) == WIRE_OK && !wire_cid_valid(cid, strlen(cid)))
		abort();
}

/* An accepted POD_INFO holds a valid container id and bounded counts, non-empty strings inside the arena. */
static void fuzz_wire_pod_info(const struct wire_msg *m)
{
	struct wire_pod_view v;

	if (wire_get_pod_info(m, &v, fuzz_wire_arena, sizeof(fuzz_wire_arena)) != WIRE_OK)
		return;
	if (!wire_cid_valid(v.cid, strlen(v.cid)) || v.nlabels > OBI_WIRE_POD_KV_MAX ||
	    v.nannots > OBI_WIRE_POD_KV_MAX)
		abort();
	for (int i = 0; i < WIRE_POD_NSTR; i++)
		if (v.str[i][0] && (v.str[i] < fuzz_wire_arena ||
		    v.str[i] + strlen(v.str[i]) >= fuzz_wire_arena + sizeof(fuzz_wire_arena)))
			abort();
}

/* What the enricher does with a validated message, plus invariant checks. */
static void fuzz_wire_handle(struct enricher *e, const struct wire_msg *m, bool stateful)
{
	struct obi_wire_hello h;
	struct wire_proc_view v;
	uint32_t pid;

	switch (m->type) {
	case OBI_MSG_HELLO:
		if (wire_get_hello(m, &h) == WIRE_OK &&
		    (memcmp(h.magic, OBI_WIRE_MAGIC, 4) != 0 || h.pad != 0))
			abort();
		break;
	case OBI_MSG_PROC_ADD:
		if (wire_get_proc(m, &v) != WIRE_OK)
			break;
		fuzz_wire_check_proc(m, &v);
		if (stateful && proc_table_put(&e->procs, &v, &e->cfg, e->hostname) == 0)
			fuzz_wire_check_entry(proc_table_get(&e->procs, v.fixed.pid));
		break;
	case OBI_MSG_PROC_DEL:
		if (wire_get_pid(m, &pid) != WIRE_OK)
			break;
		if (stateful) {
			proc_table_mark_dead(&e->procs, pid, 1000);
			proc_table_reap(&e->procs, 1000 + FUZZ_WIRE_GRACE_NS + 1,
					FUZZ_WIRE_GRACE_NS);
			if (proc_table_get(&e->procs, pid))
				abort();
		}
		break;
	case OBI_MSG_RECORDS:
		fuzz_wire_records(e, m);
		break;
	case OBI_MSG_STATS:
		(void)wire_get_pid(m, &pid);
		break;
	case OBI_MSG_POD_QUERY:
		fuzz_wire_pod_query(m);
		break;
	case OBI_MSG_POD_INFO:
		fuzz_wire_pod_info(m);
		break;
	default:
		abort();
	}
}

static void fuzz_wire_validate(struct enricher *e, const uint8_t *buf, size_t len,
			       enum obi_wire_role from, bool stateful)
{
	struct wire_msg m;
	int rc = wire_validate(buf, len, from, &m);

	if (rc != WIRE_OK) {
		if (!wire_is_proto_err(rc) || !wire_strerror(rc)[0])
			abort();
		return;
	}
	if (m.payload != buf + sizeof(struct obi_wire_hdr) ||
	    m.len != len - sizeof(struct obi_wire_hdr) || m.type == 0 || m.type >= OBI_MSG__MAX ||
	    (from == OBI_WIRE_ROLE_ENRICHER && m.type != OBI_MSG_HELLO &&
	     m.type != OBI_MSG_POD_INFO) ||
	    (from == OBI_WIRE_ROLE_PROBE && m.type == OBI_MSG_POD_INFO))
		abort();
	fuzz_wire_handle(e, &m, stateful);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enricher *e = fuzz_wire_init();
	size_t off = 0;

	memset(&e->st, 0, sizeof(e->st));
	fuzz_wire_add_base(e);

	/* The input as one datagram, from either side. */
	fuzz_wire_validate(e, data, size, OBI_WIRE_ROLE_PROBE, false);
	fuzz_wire_validate(e, data, size, OBI_WIRE_ROLE_ENRICHER, false);

	/* The input as a session: datagrams cut by their own len fields, handled in order. */
	while (size - off >= sizeof(struct obi_wire_hdr)) {
		struct obi_wire_hdr h;
		size_t n;

		memcpy(&h, data + off, sizeof(h));
		n = h.len < sizeof(h) ? sizeof(h) : h.len;
		if (n > size - off)
			n = size - off;
		if (off == 0 && n == size)
			break; /* a single datagram: done above */
		fuzz_wire_validate(e, data + off, n, OBI_WIRE_ROLE_PROBE, true);
		off += n;
	}
	proc_table_clear(&e->procs);
	return 0;
}

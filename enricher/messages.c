/* messages.c: obi-enricher's handling of each validated message from the probe: hello,
 * process table, pod questions, record batches, counters (fuzzed by
 * tests/fuzz/fuzz_enricher_msg.c). */
#include <string.h>

#include "enricher.h"

/* Lost data must be visible: warn when a drop counter grows (rate-limited), keep the totals. */
static void enricher_on_stats(struct enricher *e, const uint8_t *vals, size_t n)
{
	static const int watched[] = {OBI_ST_RB_DROPS,
				      OBI_ST_PROC_DROPS,
				      OBI_ST_CONN_FULL,
				      OBI_ST__MAX + OBI_PST_QUEUE_DROPPED_RECORDS,
				      OBI_ST__MAX + OBI_PST_NO_ENRICHER_RECORDS,
				      OBI_ST__MAX + OBI_PST_DISCONNECT_RECORDS,
				      OBI_ST__MAX + OBI_PST_BAD_RECORDS};
	static const char *const names[] = {
	    "kernel ring full",	       "process-event ring full",
	    "connection table full",   "probe send queue full",
	    "no enricher connected",   "discarded when an enricher disconnected",
	    "malformed kernel records"};
	uint64_t now[OBI_ST__MAX + OBI_PST__MAX] = {0};

	memcpy(now, vals, n * 8);
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		int k = watched[i];

		if (now[k] > e->st.probe[k])
			log_ratelimited(&e->drop_rl, monotime_ns(), LOG_LVL_WARN,
					"%llu records lost: %s (total %llu)",
					(unsigned long long)(now[k] - e->st.probe[k]), names[i],
					(unsigned long long)now[k]);
	}
	memcpy(e->st.probe, now, sizeof(now));
}

const char *enricher_on_message(struct enricher *e, const struct wire_msg *m)
{
	struct wire_proc_view pv;
	struct obi_wire_hello h;
	uint32_t pid;

	e->st.msgs++;
	if (!e->hello_ok && m->type != OBI_MSG_HELLO)
		return "message before hello";
	switch (m->type) {
	case OBI_MSG_HELLO:
		if (e->hello_ok || wire_get_hello(m, &h) || h.role != OBI_WIRE_ROLE_PROBE ||
		    h.wire_version != OBI_WIRE_VERSION || h.abi_version != OBI_ABI_VERSION)
			return "bad or repeated hello (version mismatch?)";
		e->hello_ok = true;
		e->mono_to_unix_ns = h.mono_to_unix_ns;
		break;
	case OBI_MSG_PROC_ADD:
		if (wire_get_proc(m, &pv) || proc_table_put(&e->procs, &pv, &e->cfg, e->hostname)) {
			e->st.bad_msgs++;
			log_ratelimited(&e->bad_rl, monotime_ns(), LOG_LVL_WARN,
					"dropping an invalid process description");
		}
		break;
	case OBI_MSG_PROC_DEL:
		if (wire_get_pid(m, &pid) == 0)
			proc_table_mark_dead(&e->procs, pid, monotime_ns());
		else
			e->st.bad_msgs++;
		break;
	case OBI_MSG_POD_QUERY:
		enricher_pod_query(e, m);
		break;
	case OBI_MSG_RECORDS:
		records_handle_batch(e, m->payload, m->len);
		break;
	case OBI_MSG_STATS: {
		struct obi_wire_stats sh;
		size_t n;

		memcpy(&sh, m->payload, sizeof(sh));
		n = sh.n < OBI_ST__MAX + OBI_PST__MAX ? sh.n : OBI_ST__MAX + OBI_PST__MAX;
		if (m->len != sizeof(sh) + (size_t)sh.n * 8) {
			e->st.bad_msgs++;
			break;
		}
		enricher_on_stats(e, m->payload + sizeof(sh), n);
		break;
	}
	default:
		e->st.bad_msgs++;
	}
	return NULL;
}

/* records.c: validates each kernel record of a RECORDS batch and turns HTTP ones into spans. */
#include <string.h>

#include "enricher.h"
#include "monotime.h"
#include "obi_abi.h"
#include "span_build.h"

static void enricher_bad(struct enricher *e, const char *what, size_t off)
{
	e->st.bad_records++;
	log_ratelimited(&e->bad_rl, monotime_ns(), LOG_LVL_WARN,
			"dropping a malformed record at offset %zu: %s", off, what);
}

static void enricher_on_http(struct enricher *e, const uint8_t *p, size_t len, size_t off)
{
	struct obi_rec_http rec;
	struct proc_entry *proc;
	struct span span;

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
	proc = proc_table_get(&e->procs, rec.hdr.pid);
	if (!proc) {
		/* The process facts are sent before its first record; a miss means it raced. */
		e->st.unknown_pid++;
		log_ratelimited(&e->bad_rl, monotime_ns(), LOG_LVL_DEBUG,
				"record for pid %u, which the probe has not described",
				rec.hdr.pid);
		return;
	}
	if (span_build_http(&rec, p + sizeof(rec), len - sizeof(rec), e->mono_to_unix_ns,
			    &proc->svc, &span) != SPAN_BUILD_OK) {
		e->st.not_http++;
		log_ratelimited(&e->bad_rl, monotime_ns(), LOG_LVL_INFO,
				"pid %u: captured bytes are not an HTTP/1.x request", rec.hdr.pid);
		return;
	}
	e->st.spans++;
	printer_span(&e->printer, &span);
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
	printer_batch_end(&e->printer);
}

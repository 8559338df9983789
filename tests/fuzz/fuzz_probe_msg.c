/* fuzz_probe_msg.c: libFuzzer harness for the probe's verdict on what an enricher sends
 * (probe/msgtable.c), before and after its hello, and for the POD_INFO contents it takes into
 * its pod cache (common/wire_pod.c, probe/select_pod.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe_msg.h"
#include "select_pod.h"

static char fuzz_arena[WIRE_POD_ARENA(OBI_WIRE_MAX_MSG)];

static void fuzz_wake(void *ctx, uint32_t pid, uint16_t port)
{
	(void)ctx;
	(void)pid;
	(void)port;
}

static int fuzz_send(void *ctx, const char *cid)
{
	(void)ctx;
	(void)cid;
	return 0;
}

/* An accepted POD_INFO holds only bounded, NUL-free strings and a hex container id. */
static void fuzz_pod_info(const struct wire_msg *m)
{
	static struct selpod *sp;
	const struct wire_pod_view *pod;
	struct wire_pod_view v;

	if (wire_get_pod_info(m, &v, fuzz_arena, sizeof(fuzz_arena)) == WIRE_OK) {
		if (!wire_cid_valid(v.cid, strlen(v.cid)) || v.nlabels > OBI_WIRE_POD_KV_MAX ||
		    v.nannots > OBI_WIRE_POD_KV_MAX)
			abort();
		for (int i = 0; i < WIRE_POD_NSTR; i++)
			if (strlen(v.str[i]) > OBI_WIRE_POD_STR_MAX)
				abort();
		for (unsigned i = 0; i < v.nlabels; i++)
			if (!*v.labels[i].k || strlen(v.labels[i].v) > OBI_WIRE_POD_STR_MAX)
				abort();
	}
	/* The cache takes the same bytes: a process waits on the id, so an answer is kept. */
	if (!sp) {
		sp = selpod_new(fuzz_wake, fuzz_send, NULL);
		if (!sp)
			abort();
		selpod_connected(sp, true, 1);
	}
	if (m->len >= 64 && wire_cid_valid((const char *)m->payload, 64)) {
		char cid[65];

		memcpy(cid, m->payload, 64);
		cid[64] = '\0';
		selpod_wait(sp, 42, cid, 0, 1);
		selpod_on_info(sp, m, 2);
		selpod_lookup(sp, cid, 3, &pod);
		selpod_unwait(sp, 42);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obi_wire_hello h;
	struct wire_msg m;
	enum probe_msg_verdict v;

	/* Whatever the bytes, after a hello only pod facts are permitted, and a hello verdict
	 * means a fully valid enricher hello. */
	v = probe_msg_check(data, size, true, &h, &m);
	if (v == PROBE_MSG_HELLO)
		abort();
	if (v == PROBE_MSG_POD_INFO)
		fuzz_pod_info(&m);
	v = probe_msg_check(data, size, false, &h, &m);
	if (v == PROBE_MSG_POD_INFO)
		abort();
	if (v == PROBE_MSG_HELLO &&
	    (h.role != OBI_WIRE_ROLE_ENRICHER || memcmp(h.magic, OBI_WIRE_MAGIC, 4) || h.pad ||
	     size != sizeof(struct obi_wire_hdr) + sizeof(h)))
		abort();
	return 0;
}

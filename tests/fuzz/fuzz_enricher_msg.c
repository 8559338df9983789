/* fuzz_enricher_msg.c: libFuzzer harness for the enricher's handling of a sequence of
 * datagrams from the probe (enricher/messages.c and what it calls), disconnects included. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enricher.h"
#include "log.h"
#include "wire.h"

static struct enricher fuzz_em_e;

static struct enricher *fuzz_em_init(void)
{
	static bool done;
	struct enricher *e = &fuzz_em_e;
	FILE *sink;

	if (done)
		return e;
	done = true;
	log_init("fuzz_enricher_msg", LOG_LVL_ERROR);
	config_init_defaults(&e->cfg);
	proc_table_init(&e->procs);
	sink = fopen("/dev/null", "w");
	if (!sink)
		abort();
	printer_init(&e->printer, CONFIG_PRINTER_JSON, sink);
	e->bad_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000000000ull, 1);
	e->drop_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000000000ull, 1);
	snprintf(e->hostname, sizeof(e->hostname), "fuzzhost");
	e->fd = -1;
	return e;
}

/*
 * Input: datagrams, each a 2-byte little-endian length then that many bytes. The first byte
 * of the input, if odd, puts a valid probe hello first so that the later messages reach
 * their handlers.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[OBI_WIRE_MAX_MSG];
	struct enricher *e = fuzz_em_init();
	size_t off = 1;

	e->hello_ok = false;
	if (size && (data[0] & 1)) {
		struct obi_wire_hello h;
		struct wire_msg m;
		ssize_t n;

		wire_hello_init(&h, OBI_WIRE_ROLE_PROBE, 1775595000000000000ll);
		n = wire_encode(buf, sizeof(buf), OBI_MSG_HELLO, 0, &h, sizeof(h));
		if (n < 0 || wire_validate(buf, (size_t)n, OBI_WIRE_ROLE_PROBE, &m) != WIRE_OK ||
		    enricher_on_message(e, &m) != NULL || !e->hello_ok)
			abort();
	}
	while (off + 2 <= size) {
		size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;
		struct wire_msg m;

		off += 2;
		if (len > size - off)
			len = size - off;
		memcpy(buf, data + off, len);
		off += len;
		if (wire_validate(buf, len, OBI_WIRE_ROLE_PROBE, &m) != WIRE_OK)
			continue;
		if (enricher_on_message(e, &m)) {
			/* What enricher_disconnect() does to the state. */
			e->hello_ok = false;
			proc_table_clear(&e->procs);
		}
	}
	proc_table_clear(&e->procs);
	return 0;
}

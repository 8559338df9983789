/* fuzz_probe_msg.c: libFuzzer harness for the probe's verdict on what an enricher sends
 * (probe/msgtable.c), before and after its hello. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obi_wire_hello h;

	/* Whatever the bytes, after a hello nothing is permitted, and a hello verdict means a
	 * fully valid enricher hello. */
	if (probe_msg_check(data, size, true, &h) == PROBE_MSG_HELLO)
		abort();
	if (probe_msg_check(data, size, false, &h) == PROBE_MSG_HELLO &&
	    (h.role != OBI_WIRE_ROLE_ENRICHER || memcmp(h.magic, OBI_WIRE_MAGIC, 4) || h.pad ||
	     size != sizeof(struct obi_wire_hdr) + sizeof(h)))
		abort();
	return 0;
}

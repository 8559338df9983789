/* probe_msg.h: the probe's verdict on one datagram from an enricher (msgtable.c). */
#ifndef OBI_PROBE_MSG_H
#define OBI_PROBE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

enum probe_msg_verdict {
	PROBE_MSG_HELLO = 0,   /* a valid enricher hello: *hello is filled */
	PROBE_MSG_MALFORMED,   /* framing, type or bounds wrong (wire_validate) */
	PROBE_MSG_UNPERMITTED, /* a type the table does not allow now */
	PROBE_MSG_BAD_HELLO,   /* a hello of the wrong role, version or contents */
	PROBE_MSG_POD_INFO,    /* a POD_INFO after the hello: *m holds it (contents unchecked) */
};

/* `ready`: a hello was already accepted on this connection. m: the framed message. */
enum probe_msg_verdict probe_msg_check(const uint8_t *buf, size_t n, bool ready,
				       struct obi_wire_hello *hello, struct wire_msg *m);
const char *probe_msg_verdict_str(enum probe_msg_verdict v);

#endif /* OBI_PROBE_MSG_H */

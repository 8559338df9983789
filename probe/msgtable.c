/* msgtable.c: what the enricher may send the probe, and when (modelled on OpenSSH's monitor
 * table): one HELLO, before anything else; then only POD_INFO answers. Pure: fuzzed by
 * tests/fuzz/fuzz_probe_msg.c. */
#include "probe_msg.h"

#include "obi_abi.h"

enum probe_permit { PERMIT_ONCE_BEFORE_READY = 1, PERMIT_AFTER_READY = 2 };

struct probe_msg_rule {
	uint32_t type;
	unsigned permit;
};

/*
 * Nothing here may widen what the probe captures beyond its own selectors: a POD_INFO only
 * supplies facts to selectors the operator wrote (docs/security.md, "Forged pod facts").
 */
static const struct probe_msg_rule probe_msg_table[] = {
    {OBI_MSG_HELLO, PERMIT_ONCE_BEFORE_READY},
    {OBI_MSG_POD_INFO, PERMIT_AFTER_READY},
};

enum probe_msg_verdict probe_msg_check(const uint8_t *buf, size_t n, bool ready,
				       struct obi_wire_hello *hello, struct wire_msg *m)
{
	const struct probe_msg_rule *rule = NULL;

	if (wire_validate(buf, n, OBI_WIRE_ROLE_ENRICHER, m) != WIRE_OK)
		return PROBE_MSG_MALFORMED;
	for (size_t i = 0; i < sizeof(probe_msg_table) / sizeof(probe_msg_table[0]); i++)
		if (probe_msg_table[i].type == m->type)
			rule = &probe_msg_table[i];
	if (!rule || ((rule->permit & PERMIT_ONCE_BEFORE_READY) && ready) ||
	    ((rule->permit & PERMIT_AFTER_READY) && !ready))
		return PROBE_MSG_UNPERMITTED;
	/* Its contents are checked by wire_get_pod_info where they are used (select_pod.c). */
	if (m->type == OBI_MSG_POD_INFO)
		return PROBE_MSG_POD_INFO;
	if (wire_get_hello(m, hello) || hello->role != OBI_WIRE_ROLE_ENRICHER ||
	    hello->wire_version != OBI_WIRE_VERSION || hello->abi_version != OBI_ABI_VERSION ||
	    hello->max_msg != OBI_WIRE_MAX_MSG)
		return PROBE_MSG_BAD_HELLO;
	return PROBE_MSG_HELLO;
}

const char *probe_msg_verdict_str(enum probe_msg_verdict v)
{
	switch (v) {
	case PROBE_MSG_HELLO:
		return "hello";
	case PROBE_MSG_POD_INFO:
		return "pod facts";
	case PROBE_MSG_MALFORMED:
		return "malformed message";
	case PROBE_MSG_UNPERMITTED:
		return "a message type it may not send now";
	case PROBE_MSG_BAD_HELLO:
		return "a hello of another role or version";
	}
	return "?";
}

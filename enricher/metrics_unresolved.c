/* metrics_unresolved.c: attributes.rename_unresolved_hosts* on series addresses (an IP address
 * becomes the configured word; names from the resolver stay). */
#include "metrics_agg.h"

#include <arpa/inet.h>
#include <string.h>

/* Go's net.ParseIP, which OBI calls: dotted IPv4 or any IPv6 text form (IPv4-mapped too), no
 * zone, no brackets, no port. inet_pton takes exactly these (and rejects leading zeros in
 * IPv4 as Go does). Our addresses come from inet_ntop or the name resolver, so this is a
 * classification, not a parser of hostile text; still, the buffer is bounded by the span. */
static bool metrics_is_ip(const char *v)
{
	unsigned char buf[16];

	if (strchr(v, ':'))
		return inet_pton(AF_INET6, v, buf) == 1;
	return inet_pton(AF_INET, v, buf) == 1;
}

const char *metrics_unresolved_value(const char *word, const char *v)
{
	if (!word[0] || !v[0])
		return v;
	return metrics_is_ip(v) ? word : v;
}

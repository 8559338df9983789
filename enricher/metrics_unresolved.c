/* metrics_unresolved.c: attributes.rename_unresolved_hosts* on series addresses (an IP address
 * becomes the configured word; names from the resolver stay). */
#include "metrics_agg.h"

#include <arpa/inet.h>
#include <string.h>

/* Dotted-quad IPv4 as Go's net.ParseIP takes it: four decimal parts 0-255, no leading zero,
 * nothing else. By hand: inet_pton per span cost more than the rest of a series lookup. */
static bool metrics_is_ipv4(const char *v)
{
	for (int part = 0; part < 4; part++) {
		unsigned x = 0, nd = 0;

		for (; *v >= '0' && *v <= '9' && nd < 4; v++, nd++)
			x = x * 10 + (unsigned)(*v - '0');
		if (!nd || nd > 3 || x > 255 || (nd > 1 && v[-(int)nd] == '0'))
			return false;
		if (part < 3 && *v++ != '.')
			return false;
	}
	return *v == '\0';
}

/* Go's net.ParseIP, which OBI calls: IPv4 above, or any IPv6 text form (IPv4-mapped too), no
 * zone, no brackets, no port; inet_pton takes exactly those IPv6 forms. Our addresses come
 * from inet_ntop or the name resolver, so this classifies, it does not parse hostile text. */
static bool metrics_is_ip(const char *v)
{
	unsigned char buf[16];

	return metrics_is_ipv4(v) || (strchr(v, ':') && inet_pton(AF_INET6, v, buf) == 1);
}

const char *metrics_unresolved_value(const char *word, const char *v)
{
	if (!word[0] || !v[0])
		return v;
	return metrics_is_ip(v) ? word : v;
}

const char *metrics_unresolved_cached(struct metrics_ipcache *c, const char *word, const char *v)
{
	size_t n;

	if (!word[0] || !v[0])
		return v;
	if (strcmp(c->v, v) != 0) {
		n = strnlen(v, sizeof(c->v));
		/* a value the cache cannot hold is classified every time */
		if (n == sizeof(c->v))
			return metrics_unresolved_value(word, v);
		memcpy(c->v, v, n + 1);
		c->ip = metrics_is_ip(v);
	}
	return c->ip ? word : v;
}

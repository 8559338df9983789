/* span_peer.c: server.address / client.address as Kubernetes names (name_resolver source k8s). */
#include "span_peer.h"

#include <string.h>

#include "k8s.h"
#include "k8s_store.h"
#include "span_build.h"

/* The bits of config_name_sources: k8s and its two aliases. */
#define SPAN_PEER_K8S_BITS (1ULL << 0 | 1ULL << 1 | 1ULL << 2)

bool span_peer_wanted(uint64_t sources)
{
	return (sources & SPAN_PEER_K8S_BITS) != 0;
}

bool span_peer_unbuilt(uint64_t sources)
{
	return (sources & ~SPAN_PEER_K8S_BITS) != 0;
}

static bool span_peer_loopback(const char *a)
{
	return strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0 ||
	       strncmp(a, "::ffff:127.", 11) == 0;
}

static void span_peer_one(struct k8s *k, char *addr, size_t size, struct span_peer_stats *st)
{
	const struct k8s_peer *p;
	const char *name, *ns;
	size_t n;

	if (!addr[0] || span_peer_loopback(addr))
		return;
	p = k8s_lookup_ip(k, addr);
	if (!p) {
		st->unknown++;
		return;
	}
	k8s_peer_service(k, p, &name, &ns);
	n = name ? strlen(name) : 0;
	if (!n)
		return;
	if (n >= size) {
		st->too_long++;
		return;
	}
	/* Names come from the API server: cleaned like every other string that leaves. */
	span_build_copy_safe(addr, size, name, n);
	st->resolved++;
}

void span_peer_apply(struct k8s *k, struct span *s, struct span_peer_stats *st)
{
	if (!k)
		return;
	span_peer_one(k, s->host_addr, sizeof(s->host_addr), st);
	if (s->kind != SPAN_KIND_CLIENT)
		span_peer_one(k, s->peer_addr, sizeof(s->peer_addr), st);
}

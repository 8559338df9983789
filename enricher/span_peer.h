/* span_peer.h: server.address / client.address as Kubernetes names (name_resolver source k8s). */
#ifndef OBI_SPAN_PEER_H
#define OBI_SPAN_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "span.h"

struct k8s;

struct span_peer_stats {
	uint64_t resolved; /* addresses replaced by a name */
	uint64_t unknown;  /* not a loopback address, but no pod, Service or Node has it */
	uint64_t too_long; /* a name that does not fit the span's field: the IP stays */
};

/* Whether name_resolver.sources asks for Kubernetes names (k8s, kube or kubernetes). */
bool span_peer_wanted(uint64_t sources);
/* Whether it names a source not built yet (dns, rdns). */
bool span_peer_unbuilt(uint64_t sources);

/*
 * OBI's k8s name source: each address of s (server.address, and client.address on server
 * spans) that a pod, Service or Node of the cache holds becomes that object's name: a pod
 * gives its service name (OBI 1.14), a Service or a Node its own name. Loopback addresses are
 * not looked up (they name no object). k NULL: nothing changes.
 */
void span_peer_apply(struct k8s *k, struct span *s, struct span_peer_stats *st);

#endif /* OBI_SPAN_PEER_H */

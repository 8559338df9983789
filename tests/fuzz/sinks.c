/* sinks.c: the stages after span building as the record harnesses (wire, enricher_msg)
 * link them: spans go to the printer and Kubernetes decoration is off. The parsing, checks and
 * span building they fuzz are the real code; emit.c's sampler and exporters and the k8s stage
 * are driven with real peers by the e2e suite (cases_export.py, cases_k8s.py). */
#include <string.h>

#include "emit.h"
#include "enricher.h"
#include "k8s.h"
#include "k8s_decorate.h"

void emit_span(struct enricher *e, struct span *sp)
{
	printer_span(&e->printer, sp);
}

void emit_batch_end(struct enricher *e)
{
	printer_batch_end(&e->printer);
}

void k8s_decorate_proc(struct k8s *k, struct proc_entry *p, uint64_t now_ns)
{
	(void)k;
	(void)p;
	(void)now_ns;
}

/* Decoration off: POD_QUERY answers "no Kubernetes" (k8s_podinfo.c never reaches these). */
const struct k8s_pod_meta *k8s_lookup_container(struct k8s *k, const char *container_id)
{
	(void)k;
	(void)container_id;
	return NULL;
}

uint64_t k8s_changes(const struct k8s *k)
{
	(void)k;
	return 0;
}

void k8s_ident_owners(const struct k8s_ident *id, const struct k8s_pod *p, struct k8s_owners *o)
{
	(void)id;
	(void)p;
	memset(o, 0, sizeof(*o));
}

/* Decoration off: span_peer_apply never gets a cache, these only satisfy the linker. */
const struct k8s_peer *k8s_lookup_ip(struct k8s *k, const char *ip)
{
	(void)k;
	(void)ip;
	return NULL;
}

void k8s_peer_service(struct k8s *k, const struct k8s_peer *p, const char **name, const char **ns)
{
	(void)k;
	(void)p;
	*name = NULL;
	*ns = NULL;
}

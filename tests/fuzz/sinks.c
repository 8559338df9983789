/* sinks.c: the stages after span building as the record harnesses (wire, enricher_msg)
 * link them: spans go to the printer and Kubernetes decoration is off. The parsing, checks and
 * span building they fuzz are the real code; emit.c's sampler and exporters and the k8s stage
 * are driven with real peers by the e2e suite (cases_export.py, cases_k8s.py). */
#include "emit.h"
#include "enricher.h"
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

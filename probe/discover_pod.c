/* discover_pod.c: joins discovery to the pod cache (select_pod.c): the container id of a
 * process, its pod's facts for the selectors, questions to the enricher, decisions redone. */
#include <stdlib.h>
#include <string.h>

#include "k8s_cgroup.h"
#include "log.h"
#include "monotime.h"
#include "probe.h"
#include "procworker.h"
#include "select_pod.h"

static void probe_pod_wake(void *ctx, uint32_t pid, uint16_t port)
{
	probe_discover_reread(ctx, pid, port);
}

static int probe_pod_send(void *ctx, const char *cid)
{
	struct probe *p = ctx;
	struct obi_wire_pod_query q;

	if (!p->conn_ready)
		return -1;
	memcpy(q.cid, cid, sizeof(q.cid));
	return probe_ipc_queue(p, OBI_MSG_POD_QUERY, &q, sizeof(q));
}

int probe_discover_pod_init(struct probe *p)
{
	if (!p->disc.sel.need_k8s)
		return 0;
	p->disc.pods = selpod_new(probe_pod_wake, probe_pod_send, p);
	return p->disc.pods ? 0 : -1;
}

void probe_discover_pod_free(struct probe *p)
{
	struct selpod_stats st;

	if (p->disc.pods) {
		selpod_get_stats(p->disc.pods, &st);
		log_info("pod facts: %llu questions, %llu answers, %llu malformed, %llu timed out, "
			 "%llu refused (table full), %llu waiting processes dropped",
			 (unsigned long long)st.queries, (unsigned long long)st.answers,
			 (unsigned long long)st.bad, (unsigned long long)st.timeouts,
			 (unsigned long long)st.refused, (unsigned long long)st.wait_dropped);
	}
	selpod_free(p->disc.pods);
	p->disc.pods = NULL;
}

bool probe_discover_pod_facts(struct probe *p, const struct pw_job *j, struct select_facts *f)
{
	char cid[K8S_CONTAINER_ID_LEN + 1];

	if (!p->disc.pods)
		return false;
	/* Not a container a runtime named: no pod runs it, every Kubernetes criterion fails. */
	if (!k8s_cgroup_container_id(j->safe.cgroup, cid)) {
		f->pod_state = SELECT_POD_NONE;
		return true;
	}
	f->pod_state = selpod_lookup(p->disc.pods, cid, monotime_ns(), &f->pod);
	return true;
}

void probe_discover_pod_after(struct probe *p, const struct pw_job *j, const struct select_facts *f,
			      enum select_tri verdict)
{
	char cid[K8S_CONTAINER_ID_LEN + 1];

	if (!p->disc.pods)
		return;
	/* Known facts decide for good; unknown or absent ones may still change (a pod that
	 * appears after its process). */
	if (!k8s_cgroup_container_id(j->safe.cgroup, cid) || verdict == SELECT_YES ||
	    f->pod_state == SELECT_POD_KNOWN) {
		selpod_unwait(p->disc.pods, j->pid);
		/* The container id only: pod strings come from the less trusted side. */
		if (verdict == SELECT_NO && f->pod_state == SELECT_POD_KNOWN)
			log_debug("pid %u: not selected, its pod known (container %.12s)", j->pid,
				  cid);
		return;
	}
	selpod_wait(p->disc.pods, j->pid, cid, j->listen_port, monotime_ns());
}

int probe_discover_pod_info(struct probe *p, const struct wire_msg *m)
{
	if (!p->disc.pods)
		return 0; /* nothing asked: an answer changes nothing */
	return selpod_on_info(p->disc.pods, m, monotime_ns());
}

void probe_discover_pod_connected(struct probe *p, bool on)
{
	if (p->disc.pods)
		selpod_connected(p->disc.pods, on, monotime_ns());
}

void probe_discover_pod_tick(struct probe *p, uint64_t now_ns)
{
	if (p->disc.pods)
		selpod_tick(p->disc.pods, now_ns);
}

void probe_discover_pod_exit(struct probe *p, uint32_t pid)
{
	if (p->disc.pods)
		selpod_unwait(p->disc.pods, pid);
}

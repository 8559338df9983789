/* select_pod.c: pod facts by container id for the Kubernetes selector fields: asked of the
 * enricher, cached (bounded, least recently used out), with the processes waiting for them. */
#include "select_pod.h"

#include <stdlib.h>
#include <string.h>

enum selpod_st { SELPOD_FREE = 0, SELPOD_ASKED, SELPOD_NONE, SELPOD_KNOWN };

struct selpod_ent {
	char cid[65];
	uint8_t st;    /* enum selpod_st */
	bool sent;     /* the question went out on the current connection */
	uint64_t t;    /* asked (sent) or answered at */
	uint64_t used; /* last lookup: the least recently used answer makes room */
	char *arena;   /* SELPOD_KNOWN: the strings of v */
	struct wire_pod_view v;
};

struct selpod_waiter {
	uint32_t pid; /* 0: free slot */
	uint16_t port;
	uint64_t since;
	char cid[65];
};

struct selpod {
	struct selpod_ent ent[SELPOD_CACHE_MAX];
	struct selpod_waiter w[SELPOD_WAIT_MAX];
	bool connected, no_k8s; /* no_k8s: this enricher decorates nothing */
	selpod_waiter_fn wake;
	selpod_send_fn send;
	void *ctx;
	struct selpod_stats st;
};

struct selpod *selpod_new(selpod_waiter_fn wake, selpod_send_fn send, void *ctx)
{
	struct selpod *sp = calloc(1, sizeof(*sp));

	if (sp)
		*sp = (struct selpod){.wake = wake, .send = send, .ctx = ctx};
	return sp;
}

static void selpod_clear(struct selpod_ent *e)
{
	free(e->arena);
	memset(e, 0, sizeof(*e));
}

void selpod_free(struct selpod *sp)
{
	if (!sp)
		return;
	for (unsigned i = 0; i < SELPOD_CACHE_MAX; i++)
		selpod_clear(&sp->ent[i]);
	free(sp);
}

static struct selpod_ent *selpod_find(struct selpod *sp, const char *cid)
{
	for (unsigned i = 0; i < SELPOD_CACHE_MAX; i++)
		if (sp->ent[i].st != SELPOD_FREE && memcmp(sp->ent[i].cid, cid, 64) == 0)
			return &sp->ent[i];
	return NULL;
}

/* A free slot, else the least recently used answer; NULL when every slot awaits an answer. */
static struct selpod_ent *selpod_slot(struct selpod *sp)
{
	struct selpod_ent *lru = NULL;

	for (unsigned i = 0; i < SELPOD_CACHE_MAX; i++) {
		struct selpod_ent *e = &sp->ent[i];

		if (e->st == SELPOD_FREE)
			return e;
		if (e->st != SELPOD_ASKED && (!lru || e->used < lru->used))
			lru = e;
	}
	if (lru)
		selpod_clear(lru);
	return lru;
}

static void selpod_ask(struct selpod *sp, struct selpod_ent *e, uint64_t now)
{
	free(e->arena);
	e->arena = NULL;
	e->st = SELPOD_ASKED;
	e->t = now;
	e->sent = sp->connected && sp->send(sp->ctx, e->cid) == 0;
	sp->st.queries += e->sent;
}

enum select_pod_state selpod_lookup(struct selpod *sp, const char *cid, uint64_t now_ns,
				    const struct wire_pod_view **pod)
{
	struct selpod_ent *e;

	*pod = NULL;
	if (sp->no_k8s)
		return SELECT_POD_NONE;
	e = selpod_find(sp, cid);
	if (!e) {
		e = selpod_slot(sp);
		if (!e) {
			sp->st.refused++; /* decided without pod facts: no table grows unbounded */
			return SELECT_POD_NONE;
		}
		memcpy(e->cid, cid, 64);
		selpod_ask(sp, e, now_ns);
	} else if (e->st != SELPOD_ASKED && now_ns - e->t > SELPOD_TTL_NS) {
		selpod_ask(sp, e, now_ns);
	}
	e->used = now_ns;
	if (e->st == SELPOD_KNOWN)
		*pod = &e->v;
	return e->st == SELPOD_ASKED  ? SELECT_POD_UNKNOWN
	       : e->st == SELPOD_NONE ? SELECT_POD_NONE
				      : SELECT_POD_KNOWN;
}

void selpod_wait(struct selpod *sp, uint32_t pid, const char *cid, uint16_t port, uint64_t now_ns)
{
	struct selpod_waiter *slot = NULL, *oldest = &sp->w[0];

	if (sp->no_k8s || !pid)
		return;
	for (unsigned i = 0; i < SELPOD_WAIT_MAX; i++) {
		struct selpod_waiter *w = &sp->w[i];

		if (w->pid == pid || (!slot && !w->pid))
			slot = w;
		if (w->pid == pid)
			break;
		oldest = w->since < oldest->since ? w : oldest;
	}
	if (!slot) {
		sp->st.wait_dropped++; /* the longest waiter gives way */
		slot = oldest;
	}
	if (slot->pid != pid)
		slot->since = now_ns;
	slot->pid = pid;
	slot->port = port ? port : slot->port;
	memcpy(slot->cid, cid, 64);
	slot->cid[64] = '\0';
}

void selpod_unwait(struct selpod *sp, uint32_t pid)
{
	for (unsigned i = 0; i < SELPOD_WAIT_MAX; i++)
		if (sp->w[i].pid == pid)
			memset(&sp->w[i], 0, sizeof(sp->w[i]));
}

/* Every process waiting on cid (NULL: all) is decided again. */
static void selpod_wake(struct selpod *sp, const char *cid)
{
	for (unsigned i = 0; i < SELPOD_WAIT_MAX; i++)
		if (sp->w[i].pid && (!cid || memcmp(sp->w[i].cid, cid, 64) == 0))
			sp->wake(sp->ctx, sp->w[i].pid, sp->w[i].port);
}

static bool selpod_awaited(const struct selpod *sp, const char *cid)
{
	for (unsigned i = 0; i < SELPOD_WAIT_MAX; i++)
		if (sp->w[i].pid && memcmp(sp->w[i].cid, cid, 64) == 0)
			return true;
	return false;
}

/* An answer nobody asked for (a pod that appeared later) is kept only if a process waits for
 * it: an enricher cannot fill the table with containers no process runs. */
static struct selpod_ent *selpod_entry_for(struct selpod *sp, const char *cid)
{
	struct selpod_ent *e = selpod_find(sp, cid);

	if (e || !selpod_awaited(sp, cid))
		return e;
	e = selpod_slot(sp);
	if (e)
		memcpy(e->cid, cid, 64);
	return e;
}

int selpod_on_info(struct selpod *sp, const struct wire_msg *m, uint64_t now_ns)
{
	char *arena = malloc(WIRE_POD_ARENA(m->len));
	struct wire_pod_view v;
	struct selpod_ent *e;

	if (!arena || wire_get_pod_info(m, &v, arena, WIRE_POD_ARENA(m->len)) != WIRE_OK) {
		free(arena);
		sp->st.bad++;
		return -1;
	}
	sp->st.answers++;
	if (v.flags & OBI_POD_NO_K8S) {
		free(arena);
		sp->no_k8s = true;
		selpod_wake(sp, NULL);
		memset(sp->w, 0, sizeof(sp->w));
		return 0;
	}
	e = selpod_entry_for(sp, v.cid);
	if (!e) {
		free(arena);
		return 0;
	}
	free(e->arena);
	e->arena = (v.flags & OBI_POD_FOUND) ? arena : NULL;
	if (!e->arena)
		free(arena);
	e->v = v;
	e->st = e->arena ? SELPOD_KNOWN : SELPOD_NONE;
	e->t = e->used = now_ns;
	selpod_wake(sp, v.cid);
	return 0;
}

void selpod_tick(struct selpod *sp, uint64_t now_ns)
{
	for (unsigned i = 0; i < SELPOD_CACHE_MAX; i++) {
		struct selpod_ent *e = &sp->ent[i];

		if (e->st != SELPOD_ASKED || !e->sent || now_ns - e->t <= SELPOD_ANSWER_NS)
			continue;
		sp->st.timeouts++;
		e->st = SELPOD_NONE;
		e->t = now_ns;
		selpod_wake(sp, e->cid);
	}
	for (unsigned i = 0; i < SELPOD_WAIT_MAX; i++)
		if (sp->w[i].pid && now_ns - sp->w[i].since > SELPOD_WAIT_NS)
			memset(&sp->w[i], 0, sizeof(sp->w[i]));
}

void selpod_connected(struct selpod *sp, bool connected, uint64_t now_ns)
{
	sp->connected = connected;
	sp->no_k8s = false;
	/* Another enricher may know other pods: its answers replace the old ones. */
	for (unsigned i = 0; i < SELPOD_CACHE_MAX; i++)
		if (sp->ent[i].st != SELPOD_ASKED)
			selpod_clear(&sp->ent[i]);
	for (unsigned i = 0; i < SELPOD_CACHE_MAX; i++)
		if (sp->ent[i].st == SELPOD_ASKED)
			selpod_ask(sp, &sp->ent[i], now_ns);
	/* A process still waiting has its question asked again. */
	for (unsigned i = 0; connected && i < SELPOD_WAIT_MAX; i++) {
		const struct wire_pod_view *pod;

		if (sp->w[i].pid)
			selpod_lookup(sp, sp->w[i].cid, now_ns, &pod);
	}
}

void selpod_get_stats(const struct selpod *sp, struct selpod_stats *st)
{
	*st = sp->st;
}

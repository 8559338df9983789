/* factcache.c: PROC_ADD payloads by pid (chained hash), built from the readers' facts. */
#include "factcache.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define FACTCACHE_BUCKETS 4096

struct factcache_entry {
	struct factcache_entry *next;
	uint32_t pid;
	size_t len;
	uint8_t data[];
};

struct factcache {
	struct factcache_entry *b[FACTCACHE_BUCKETS];
	size_t bytes;
};

struct factcache *factcache_new(void)
{
	return calloc(1, sizeof(struct factcache));
}

void factcache_free(struct factcache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < FACTCACHE_BUCKETS; i++) {
		struct factcache_entry *e = c->b[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(c);
}

static struct factcache_entry **factcache_slot(struct factcache *c, uint32_t pid)
{
	struct factcache_entry **pp = &c->b[pid % FACTCACHE_BUCKETS];

	while (*pp && (*pp)->pid != pid)
		pp = &(*pp)->next;
	return pp;
}

void factcache_del(struct factcache *c, uint32_t pid)
{
	struct factcache_entry **pp = factcache_slot(c, pid), *e = *pp;

	if (!e)
		return;
	*pp = e->next;
	c->bytes -= e->len;
	free(e);
}

static int factcache_put(struct factcache *c, uint32_t pid, const uint8_t *data, size_t len)
{
	struct factcache_entry *e = malloc(sizeof(*e) + len);

	if (!e)
		return -ENOMEM;
	factcache_del(c, pid);
	e->pid = pid;
	e->len = len;
	memcpy(e->data, data, len);
	e->next = c->b[pid % FACTCACHE_BUCKETS];
	c->b[pid % FACTCACHE_BUCKETS] = e;
	c->bytes += len;
	return 0;
}

/* The selector facts of a kept payload (pointing into it); false if none is kept. */
static bool factcache_sel_of(struct factcache *c, uint32_t pid, struct factcache_sel *out,
			     char *name, char *ns, size_t cap)
{
	const struct factcache_entry *e = *factcache_slot(c, pid);
	struct wire_msg m = {.type = OBI_MSG_PROC_ADD};
	struct wire_proc_view v;

	if (!e)
		return false;
	m.payload = e->data;
	m.len = e->len;
	if (wire_get_proc(&m, &v) != WIRE_OK)
		return false;
	snprintf(name, cap, "%.*s", (int)v.fixed.sel_name_len, v.sel_name);
	snprintf(ns, cap, "%.*s", (int)v.fixed.sel_ns_len, v.sel_ns);
	*out = (struct factcache_sel){v.fixed.selector, name, ns};
	return true;
}

int factcache_put_job(struct factcache *c, const struct pw_job *j, const struct factcache_sel *sel)
{
	static uint8_t buf[OBI_WIRE_MAX_MSG - sizeof(struct obi_wire_hdr)];
	static char name[OBI_WIRE_SVC_MAX + 1], ns[OBI_WIRE_NS_MAX + 1];
	const struct pw_safe_facts *f = &j->safe;
	const struct pw_mem_facts *m = &j->mem;
	struct factcache_sel kept = {0};
	struct obi_wire_proc w = {
	    .pid = j->pid, .ns_pid = f->ns_pid, .ppid = f->ppid, .start_unix_ns = f->start_unix_ns};
	bool mem = !j->partial && m->read;
	struct wire_proc_parts pp = {.exe = f->exe, .cgroup = f->cgroup};
	ssize_t n;

	if (!sel && (factcache_sel_of(c, j->pid, &kept, name, ns, sizeof(ns)) ||
		     (j->parent && factcache_sel_of(c, j->parent, &kept, name, ns, sizeof(ns)))))
		sel = &kept;
	if (mem) {
		pp.cmdline = m->cmdline;
		pp.cmdline_len = m->cmdline_len;
		pp.svc_name = m->svc;
		pp.res_attrs = m->res;
		pp.svc_ns = m->svc_ns;
		w.language = (uint8_t)m->lang;
	}
	if (sel) {
		pp.sel_name = sel->name;
		pp.sel_ns = sel->namespace_;
		w.selector = sel->index;
	}
	n = wire_build_proc_parts(buf, sizeof(buf), &w, &pp);
	if (n < 0)
		return -EMSGSIZE;
	return factcache_put(c, j->pid, buf, (size_t)n);
}

int factcache_put_fork(struct factcache *c, uint32_t parent, uint32_t child, uint64_t start_unix_ns)
{
	struct factcache_entry *pe = *factcache_slot(c, parent);
	struct obi_wire_proc w;
	uint8_t *copy;
	int rc;

	if (!pe || pe->len < sizeof(w))
		return -1;
	copy = malloc(pe->len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, pe->data, pe->len);
	memcpy(&w, copy, sizeof(w));
	/* Same pid namespace as the parent: the child's own number there is unknown until read. */
	w.ns_pid = w.ns_pid == w.pid ? child : 0;
	w.pid = child;
	w.ppid = parent;
	w.start_unix_ns = start_unix_ns;
	memcpy(copy, &w, sizeof(w));
	rc = factcache_put(c, child, copy, pe->len);
	free(copy);
	return rc;
}

const uint8_t *factcache_get(const struct factcache *c, uint32_t pid, size_t *len)
{
	const struct factcache_entry *e = c->b[pid % FACTCACHE_BUCKETS];

	while (e && e->pid != pid)
		e = e->next;
	if (!e)
		return NULL;
	*len = e->len;
	return e->data;
}

size_t factcache_bytes(const struct factcache *c)
{
	return c->bytes;
}

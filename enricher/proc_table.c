/* proc_table.c: the enricher's view of selected processes and the service each belongs to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enricher.h"

void proc_table_init(struct proc_table *t)
{
	memset(t, 0, sizeof(*t));
}

static void proc_entry_free(struct proc_entry *p)
{
	free(p->name);
	free(p->namespace_);
	free(p->instance_id);
	free(p->exe);
	free(p->cmdline);
	free(p->cgroup);
	free(p->res_attrs);
	free(p);
}

void proc_table_clear(struct proc_table *t)
{
	for (unsigned i = 0; i < PROC_TABLE_BUCKETS; i++) {
		struct proc_entry *p = t->b[i], *next;

		for (; p; p = next) {
			next = p->next;
			proc_entry_free(p);
		}
		t->b[i] = NULL;
	}
	t->n = 0;
}

struct proc_entry *proc_table_get(struct proc_table *t, uint32_t pid)
{
	struct proc_entry *p = t->b[pid % PROC_TABLE_BUCKETS];

	while (p && p->pid != pid)
		p = p->next;
	return p;
}

static char *proc_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		return NULL;
	/* Strings from the wire may hold anything; keep them printable for logs and output. */
	for (size_t i = 0; i < n; i++)
		d[i] = (s[i] == '\0') ? ' ' : ((unsigned char)s[i] < 0x20 ? '?' : s[i]);
	d[n] = '\0';
	return d;
}

/*
 * Value of key in an OTEL_RESOURCE_ATTRIBUTES string ("k1=v1,k2=v2"), copied into out. The
 * spec allows percent-encoded values; they are decoded.
 */
static bool proc_res_attr(const char *attrs, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	const char *s = attrs;

	while (s && *s) {
		const char *end = strchr(s, ','), *eq;

		if (!end)
			end = s + strlen(s);
		while (*s == ' ')
			s++;
		eq = memchr(s, '=', (size_t)(end - s));
		if (eq && (size_t)(eq - s) == klen && strncmp(s, key, klen) == 0) {
			size_t o = 0;

			for (const char *v = eq + 1; v < end && o + 1 < len; v++) {
				unsigned hex;

				if (*v == '%' && end - v >= 3 && sscanf(v + 1, "%2x", &hex) == 1) {
					out[o++] = (char)hex;
					v += 2;
				} else {
					out[o++] = *v;
				}
			}
			while (o && out[o - 1] == ' ')
				o--;
			out[o] = '\0';
			return o > 0;
		}
		s = *end ? end + 1 : end;
	}
	return false;
}

/* OBI's order: explicit config name, then the process's own OTEL_SERVICE_NAME, then
 * service.name in its OTEL_RESOURCE_ATTRIBUTES, then the executable's base name. */
static void proc_name_service(struct proc_entry *p, const struct wire_proc_view *v,
			      const struct obi_config *cfg)
{
	char buf[OBI_WIRE_RES_MAX + 1];
	const char *base;

	if (cfg->service_name && *cfg->service_name) {
		p->name = strdup(cfg->service_name);
	} else if (v->fixed.svc_name_len) {
		p->name = proc_strndup(v->svc_name, v->fixed.svc_name_len);
	} else if (p->res_attrs && proc_res_attr(p->res_attrs, "service.name", buf, sizeof(buf))) {
		p->name = strdup(buf);
	} else {
		base = strrchr(p->exe, '/');
		p->name = strdup(base && base[1] ? base + 1 : (*p->exe ? p->exe : "unknown"));
	}
	if (cfg->service_namespace && *cfg->service_namespace)
		p->namespace_ = strdup(cfg->service_namespace);
	else if (p->res_attrs && proc_res_attr(p->res_attrs, "service.namespace", buf, sizeof(buf)))
		p->namespace_ = strdup(buf);
	else
		p->namespace_ = strdup("");
}

int proc_table_put(struct proc_table *t, const struct wire_proc_view *v,
		   const struct obi_config *cfg, const char *hostname)
{
	struct proc_entry *p = calloc(1, sizeof(*p)), **pp;
	uint32_t pid = v->fixed.pid;
	char inst[512];

	if (!p)
		return -1;
	p->pid = pid;
	p->ns_pid = v->fixed.ns_pid;
	p->start_unix_ns = v->fixed.start_unix_ns;
	p->exe = proc_strndup(v->exe, v->fixed.exe_len);
	p->cmdline = proc_strndup(v->cmdline, v->fixed.cmdline_len);
	p->cgroup = proc_strndup(v->cgroup, v->fixed.cgroup_len);
	p->res_attrs = proc_strndup(v->res_attrs, v->fixed.res_attrs_len);
	if (!p->exe || !p->cmdline || !p->cgroup || !p->res_attrs)
		goto fail;
	proc_name_service(p, v, cfg);
	snprintf(inst, sizeof(inst), "%s:%u", hostname, pid);
	p->instance_id = strdup(inst);
	if (!p->name || !p->namespace_ || !p->instance_id)
		goto fail;
	p->svc = (struct span_service){
	    .name = p->name,
	    .namespace_ = p->namespace_,
	    .instance_id = p->instance_id,
	    .sdk_language = "generic",
	    .exe_path = p->exe,
	    .resource_attrs = p->res_attrs,
	    .pid = pid,
	};
	/* Replace any previous entry (exec of a new program under the same pid). */
	for (pp = &t->b[pid % PROC_TABLE_BUCKETS]; *pp; pp = &(*pp)->next) {
		if ((*pp)->pid == pid) {
			struct proc_entry *old = *pp;

			p->next = old->next;
			*pp = p;
			proc_entry_free(old);
			return 0;
		}
	}
	p->next = t->b[pid % PROC_TABLE_BUCKETS];
	t->b[pid % PROC_TABLE_BUCKETS] = p;
	t->n++;
	return 0;
fail:
	proc_entry_free(p);
	return -1;
}

void proc_table_mark_dead(struct proc_table *t, uint32_t pid, uint64_t now_ns)
{
	struct proc_entry *p = proc_table_get(t, pid);

	if (p && !p->dead_since_ns)
		p->dead_since_ns = now_ns;
}

void proc_table_reap(struct proc_table *t, uint64_t now_ns, uint64_t grace_ns)
{
	for (unsigned i = 0; i < PROC_TABLE_BUCKETS; i++) {
		struct proc_entry **pp = &t->b[i];

		while (*pp) {
			struct proc_entry *p = *pp;

			if (p->dead_since_ns && now_ns - p->dead_since_ns > grace_ns) {
				*pp = p->next;
				proc_entry_free(p);
				t->n--;
			} else {
				pp = &p->next;
			}
		}
	}
}

/* proc_table.c: the enricher's view of selected processes and the service each belongs to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "enricher.h"
#include "http_parse.h"
#include "route.h"
#include "span_build.h"

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
	route_lc_free(p->route_lc);
	free(p->k8s_res);
	free(p->k8s_name);
	free(p->k8s_ns);
	free(p->k8s_inst);
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

/*
 * Strings from the wire may hold anything: they are made safe for logs and output by the same
 * sanitizer as span attributes. cmdline's NUL separators become spaces first.
 */
static char *proc_strndup(const char *s, size_t n)
{
	char *tmp = malloc(n + 1), *d = malloc(n + 1);

	if (!tmp || !d) {
		free(tmp);
		free(d);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		tmp[i] = s[i] == '\0' ? ' ' : s[i];
	span_build_copy_safe(d, n + 1, tmp, n);
	free(tmp);
	return d;
}

/* The same, line by line: /proc/PID/cgroup has one line per hierarchy, and the Kubernetes
 * decoration parses each (a sanitized newline would glue them into one). */
static char *proc_strndup_lines(const char *s, size_t n)
{
	char *d = malloc(n + 1), *w = d;
	size_t i = 0;

	if (!d)
		return NULL;
	*w = '\0';
	while (i <= n) {
		size_t j = i;
		char *line;

		while (j < n && s[j] != '\n')
			j++;
		line = proc_strndup(s + i, j - i);
		if (!line) {
			free(d);
			return NULL;
		}
		w = stpcpy(w, line);
		free(line);
		if (j < n)
			*w++ = '\n';
		*w = '\0';
		i = j + 1;
	}
	return d;
}

/*
 * Value of key in an OTEL_RESOURCE_ATTRIBUTES string ("k1=v1,k2=v2"), copied into out. The
 * spec allows percent-encoded values; they are decoded, and the result is sanitized again
 * (decoding can produce control bytes, NULs or invalid UTF-8).
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
			char raw[OBI_WIRE_RES_MAX + 1];
			size_t o = 0;

			for (const char *v = eq + 1; v < end && o + 1 < sizeof(raw); v++) {
				int hi = end - v >= 3 && *v == '%' ? hex_digit(v[1]) : -1;
				int lo = hi >= 0 ? hex_digit(v[2]) : -1;

				if (lo >= 0) {
					raw[o++] = (char)(hi << 4 | lo);
					v += 2;
				} else {
					raw[o++] = *v;
				}
			}
			while (o && raw[o - 1] == ' ')
				o--;
			/* A decoded NUL must not cut the value short: it becomes '?'. */
			for (size_t i = 0; i < o; i++)
				if (raw[i] == '\0')
					raw[i] = '\x01';
			span_build_copy_safe(out, len, raw, o);
			return o > 0;
		}
		s = *end ? end + 1 : end;
	}
	return false;
}

/*
 * OBI's order (1.14): the matched selector's name; for the OTEL_EBPF_OPEN_PORT /
 * AUTO_TARGET_EXE criteria (selector 0) the configured service_name; the process's own
 * OTEL_SERVICE_NAME, then service.name in its OTEL_RESOURCE_ATTRIBUTES; the executable's base
 * name. The namespace follows the same order (OTEL_SERVICE_NAMESPACE for the process's own).
 */
static void proc_name_service(struct proc_entry *p, const struct wire_proc_view *v,
			      const struct obi_config *cfg)
{
	char buf[OBI_WIRE_RES_MAX + 1];
	const struct obi_wire_proc *f = &v->fixed;
	bool legacy = f->selector == 0;
	const char *base;

	if (f->sel_name_len)
		p->name = proc_strndup(v->sel_name, f->sel_name_len);
	else if (legacy && cfg->service_name && *cfg->service_name)
		p->name = strdup(cfg->service_name);
	else if (f->svc_name_len)
		p->name = proc_strndup(v->svc_name, f->svc_name_len);
	else if (p->res_attrs && proc_res_attr(p->res_attrs, "service.name", buf, sizeof(buf)))
		p->name = strdup(buf);
	else {
		base = strrchr(p->exe, '/');
		p->name = strdup(base && base[1] ? base + 1 : (*p->exe ? p->exe : "unknown"));
		p->name_fallback = true;
	}
	if (f->sel_ns_len)
		p->namespace_ = proc_strndup(v->sel_ns, f->sel_ns_len);
	else if (legacy && cfg->service_namespace && *cfg->service_namespace)
		p->namespace_ = strdup(cfg->service_namespace);
	else if (f->svc_ns_len)
		p->namespace_ = proc_strndup(v->svc_ns, f->svc_ns_len);
	else if (p->res_attrs && proc_res_attr(p->res_attrs, "service.namespace", buf, sizeof(buf)))
		p->namespace_ = strdup(buf);
	else {
		p->namespace_ = strdup("");
		p->ns_fallback = true;
	}
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
	p->selector = v->fixed.selector;
	p->exe = proc_strndup(v->exe, v->fixed.exe_len);
	p->cmdline = proc_strndup(v->cmdline, v->fixed.cmdline_len);
	p->cgroup = proc_strndup_lines(v->cgroup, v->fixed.cgroup_len);
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
	    .sdk_language = wire_lang_name(v->fixed.language),
	    .exe_path = p->exe,
	    .resource_attrs = p->res_attrs,
	    .pid = pid,
	    .selector = p->selector,
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

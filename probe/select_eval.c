/* select_eval.c: evaluates selectors against what is known of a process: fields AND, entries OR,
 * exclusions win; a criterion on a fact not read yet is MAYBE. */
#include "select.h"

#include <string.h>

#include "glob.h"
#include "wire.h"

static enum select_tri select_tri_of(bool ok)
{
	return ok ? SELECT_YES : SELECT_NO;
}

static enum select_tri select_exe(const struct select_entry *e, const char *exe)
{
	const char *s = exe && *exe ? exe : "unknown"; /* OBI's path of an unreadable exe */

	if (e->exe_glob && !glob_match(e->exe_glob, s))
		return SELECT_NO;
	if (e->has_exe_re && regexec(&e->exe_re, s, 0, NULL, 0) != 0)
		return SELECT_NO;
	return select_tri_of(!e->has_exe_re2 || regexec(&e->exe_re2, s, 0, NULL, 0) == 0);
}

/* cmd_args sees the whole command line, argv[0] included, its NULs turned into spaces. */
static enum select_tri select_cmd(const struct select_entry *e, const struct select_facts *f)
{
	char line[OBI_WIRE_CMDLINE_MAX + 1];
	size_t n;

	if (!e->cmd_glob && !e->has_cmd_re)
		return SELECT_YES;
	if (!f->cmdline)
		return SELECT_MAYBE;
	n = f->cmdline_len < OBI_WIRE_CMDLINE_MAX ? f->cmdline_len : OBI_WIRE_CMDLINE_MAX;
	for (size_t i = 0; i < n; i++)
		line[i] = f->cmdline[i] ? f->cmdline[i] : ' ';
	line[n] = '\0';
	if (e->cmd_glob && !glob_match(e->cmd_glob, line))
		return SELECT_NO;
	return select_tri_of(!e->has_cmd_re || regexec(&e->cmd_re, line, 0, NULL, 0) == 0);
}

static enum select_tri select_ports(const struct select_entry *e, const struct select_facts *f)
{
	if (!e->ports)
		return SELECT_YES;
	if (!f->ports_known)
		return SELECT_MAYBE;
	for (int i = 0; i < f->nports; i++)
		if (config_portlist_contains(e->ports, f->ports[i]))
			return SELECT_YES;
	return SELECT_NO;
}

static enum select_tri select_pid(const struct select_entry *e, uint32_t pid)
{
	if (!e->npids)
		return SELECT_YES;
	for (unsigned i = 0; i < e->npids; i++)
		if (pid >= e->pids[i].lo && pid <= e->pids[i].hi)
			return SELECT_YES;
	return SELECT_NO;
}

static enum select_tri select_lang(const struct select_entry *e, unsigned lang)
{
	if (!e->nlangs)
		return SELECT_YES;
	if (lang == OBI_LANG_UNKNOWN)
		return SELECT_MAYBE;
	for (unsigned i = 0; i < e->nlangs; i++)
		if (glob_match(e->langs[i], wire_lang_name(lang)))
			return SELECT_YES;
	return SELECT_NO;
}

static enum select_tri select_container(const struct select_entry *e, int in_container)
{
	if (!e->containers_only)
		return SELECT_YES;
	return in_container < 0 ? SELECT_MAYBE : select_tri_of(in_container == 1);
}

/* Every label (annotation) the selector names exists on the pod and its value matches. */
static bool select_kv(const struct config_map *want, const struct wire_pod_kv *have, unsigned n)
{
	for (unsigned i = 0; want && i < want->n; i++) {
		bool ok = false;

		for (unsigned j = 0; j < n && !ok; j++)
			ok = strcmp(want->kv[i].k, have[j].k) == 0 &&
			     glob_match(want->kv[i].v, have[j].v);
		if (!ok)
			return false;
	}
	return true;
}

/* A criterion on an owner the pod does not have fails, as in OBI (no value to match). */
static enum select_tri select_k8s(const struct select_entry *e, const struct select_facts *f)
{
	const struct wire_pod_view *p = f->pod;

	if (!e->has_k8s)
		return SELECT_YES;
	if (f->pod_state == SELECT_POD_UNKNOWN || (f->pod_state == SELECT_POD_KNOWN && !p))
		return SELECT_MAYBE;
	if (f->pod_state != SELECT_POD_KNOWN)
		return SELECT_NO;
	for (int i = 0; i < WIRE_POD_NSTR; i++)
		if (e->k8s[i] && (!p->str[i] || !*p->str[i] || !glob_match(e->k8s[i], p->str[i])))
			return SELECT_NO;
	return select_tri_of(select_kv(e->k8s_labels, p->labels, p->nlabels) &&
			     select_kv(e->k8s_annots, p->annots, p->nannots));
}

enum select_tri select_entry_eval(const struct select_entry *e, const struct select_facts *f)
{
	enum select_tri t[7];
	enum select_tri r = SELECT_YES;

	if (e->unmatchable)
		return SELECT_NO;
	/* The cheap facts first: most processes fail on the executable or the pid. */
	t[0] = select_pid(e, f->pid);
	t[1] = t[0] ? select_exe(e, f->exe) : SELECT_NO;
	t[2] = t[1] ? select_ports(e, f) : SELECT_NO;
	t[3] = t[2] ? select_container(e, f->in_container) : SELECT_NO;
	t[4] = t[3] ? select_lang(e, f->lang) : SELECT_NO;
	t[5] = t[4] ? select_cmd(e, f) : SELECT_NO;
	/* Last: it may cost a question to the enricher, asked only when nothing else fails. */
	t[6] = t[5] ? select_k8s(e, f) : SELECT_NO;
	for (int i = 0; i < 7; i++)
		r = t[i] < r ? t[i] : r;
	return r;
}

enum select_tri select_eval(const struct select_set *s, const struct select_facts *f,
			    const struct select_entry **match)
{
	const struct select_entry *first = NULL;
	enum select_tri inc = SELECT_NO, ex = SELECT_NO;

	for (unsigned i = 0; i < s->include.n && !first; i++) {
		enum select_tri t = select_entry_eval(&s->include.e[i], f);

		if (t == SELECT_YES)
			first = &s->include.e[i];
		else if (t == SELECT_MAYBE)
			inc = SELECT_MAYBE;
	}
	if (first)
		inc = SELECT_YES;
	for (unsigned i = 0; i < s->exclude.n && inc != SELECT_NO && ex != SELECT_YES; i++) {
		enum select_tri t = select_entry_eval(&s->exclude.e[i], f);

		ex = t > ex ? t : ex;
	}
	if (match)
		*match = first;
	/* Exclusions win: one that holds says no, one that might hold leaves it undecided. */
	if (ex == SELECT_YES)
		return SELECT_NO;
	return ex == SELECT_MAYBE && inc == SELECT_YES ? SELECT_MAYBE : inc;
}

int select_in_container(const struct select_host_ns *h, const char *pid_ns, const char *mnt_ns,
			const char *net_ns)
{
	if (!h->known || !pid_ns || !mnt_ns || !net_ns || !*pid_ns || !*mnt_ns || !*net_ns)
		return -1;
	return strcmp(h->pid, pid_ns) != 0 || strcmp(h->mnt, mnt_ns) != 0 ||
	       strcmp(h->net, net_ns) != 0;
}

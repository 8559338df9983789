/* attr_select.c: the include/exclude decision of attributes.select, shared by every exporter. */
#include "attr_select.h"

#include <stdlib.h>
#include <string.h>

#include "../common/glob.h"

#define ATTR_SELECT_NAME_MAX 256

struct attr_select_entry {
	char *name;		   /* canonical metric name or glob */
	bool wild;		   /* name has glob characters */
	char **include, **exclude; /* canonical attribute globs */
	unsigned n_inc, n_exc;
};

struct attr_select {
	unsigned n;
	struct attr_select_entry e[];
};

static const char *const attr_select_suffix1[] = {".ratio", ".bucket", ".sum", ".count", ".total"};
static const char *const attr_select_suffix2[] = {".bytes", ".seconds"};

static void attr_select_strip(char *s, const char *const *suf, size_t n)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(suf[i]);

		if (len > k && strcmp(s + len - k, suf[i]) == 0) {
			s[len - k] = '\0';
			return;
		}
	}
}

/* Canonical form into out (size ATTR_SELECT_NAME_MAX); false when too long. */
static bool attr_select_canon(const char *in, bool metric, char *out)
{
	size_t len = strlen(in);

	if (len >= ATTR_SELECT_NAME_MAX)
		return false;
	for (size_t i = 0; i <= len; i++)
		out[i] = in[i] == '_' ? '.' : in[i];
	if (metric) {
		attr_select_strip(out, attr_select_suffix1, 5);
		attr_select_strip(out, attr_select_suffix2, 2);
	}
	return true;
}

static char *attr_select_dup_canon(const char *in, bool metric)
{
	char buf[ATTR_SELECT_NAME_MAX];

	if (!attr_select_canon(in, metric, buf))
		return NULL;
	return strdup(buf);
}

static int attr_select_copy_list(const struct config_strlist *l, char ***out, unsigned *n)
{
	*n = 0;
	*out = l->n ? calloc(l->n, sizeof(**out)) : NULL;
	if (l->n && !*out)
		return -1;
	for (unsigned i = 0; i < l->n; i++) {
		(*out)[i] = attr_select_dup_canon(l->v[i], false);
		if (!(*out)[i])
			return -1;
		(*n)++;
	}
	return 0;
}

static void attr_select_free_list(char **l, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

void attr_select_free(struct attr_select *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++) {
		free(s->e[i].name);
		attr_select_free_list(s->e[i].include, s->e[i].n_inc);
		attr_select_free_list(s->e[i].exclude, s->e[i].n_exc);
	}
	free(s);
}

int attr_select_new(const struct config_objlist *select, struct attr_select **out)
{
	struct attr_select *s;

	*out = NULL;
	if (!select || select->n == 0)
		return 0;
	s = calloc(1, sizeof(*s) + select->n * sizeof(s->e[0]));
	if (!s)
		return -1;
	for (unsigned i = 0; i < select->n; i++) {
		const struct config_attr_select *c = config_objlist_at(select, sizeof(*c), i);
		struct attr_select_entry *e = &s->e[s->n++];

		e->name = attr_select_dup_canon(c->key ? c->key : "", true);
		if (!e->name || attr_select_copy_list(&c->include, &e->include, &e->n_inc) < 0 ||
		    attr_select_copy_list(&c->exclude, &e->exclude, &e->n_exc) < 0) {
			attr_select_free(s);
			return -1;
		}
		e->wild = strpbrk(e->name, "*?[{") != NULL;
	}
	*out = s;
	return 0;
}

static bool attr_select_any(char *const *globs, unsigned n, const char *attr)
{
	for (unsigned i = 0; i < n; i++)
		if (glob_match(globs[i], attr))
			return true;
	return false;
}

/* Applies the entries that match: the exact one alone, else every matching glob. */
static bool attr_select_decide(const struct attr_select *s, const char *name, const char *attr,
			       bool on)
{
	const struct attr_select_entry *exact = NULL;
	bool has_inc = false, inc = false, exc = false;

	for (unsigned i = 0; i < s->n && !exact; i++)
		if (!s->e[i].wild && strcmp(s->e[i].name, name) == 0)
			exact = &s->e[i];
	for (unsigned i = 0; i < s->n; i++) {
		const struct attr_select_entry *e = &s->e[i];

		if (exact ? e != exact : !(e->wild && glob_match(e->name, name)))
			continue;
		has_inc = has_inc || e->n_inc > 0;
		inc = inc || attr_select_any(e->include, e->n_inc, attr);
		exc = exc || attr_select_any(e->exclude, e->n_exc, attr);
	}
	/* Span attributes are all on by default: include only adds the opt-in ones (OBI's
	 * `traces: {include: [db.query.text]}` keeps every other attribute). */
	if (strcmp(name, "traces") == 0)
		on = on || inc;
	else if (has_inc)
		on = inc;
	return on && !exc;
}

bool attr_select_keep_def(const struct attr_select *s, const char *signal_or_metric,
			  const char *attr_name, bool default_on)
{
	char name[ATTR_SELECT_NAME_MAX], attr[ATTR_SELECT_NAME_MAX];

	if (!s || !signal_or_metric || !attr_name)
		return default_on;
	/* Names this long are in no configuration (its strings are bounded below this). */
	if (!attr_select_canon(signal_or_metric, true, name) ||
	    !attr_select_canon(attr_name, false, attr))
		return default_on;
	return attr_select_decide(s, name, attr, default_on);
}

bool attr_select_keep(const struct attr_select *s, const char *signal_or_metric,
		      const char *attr_name)
{
	return attr_select_keep_def(s, signal_or_metric, attr_name, true);
}

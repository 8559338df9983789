/* eval_core.h: scores the route heuristic on a labelled corpus (route-eval and a unit test). */
#ifndef OBI_ROUTE_EVAL_CORE_H
#define OBI_ROUTE_EVAL_CORE_H

#include <stdio.h>
#include <string.h>

#include "route.h"

#define EVAL_CATS_MAX 32

struct eval_counts {
	unsigned long tp, fp, fn, tn; /* per segment; positive = identifier, replaced */
	unsigned long routes, exact;
};

struct eval_result {
	struct eval_counts all;
	unsigned ncats;
	struct {
		char name[16];
		struct eval_counts c;
	} cat[EVAL_CATS_MAX];
	unsigned long bad_lines;
};

static inline double eval_precision(const struct eval_counts *c)
{
	return c->tp + c->fp ? 100.0 * (double)c->tp / (double)(c->tp + c->fp) : 100.0;
}

static inline double eval_recall(const struct eval_counts *c)
{
	return c->tp + c->fn ? 100.0 * (double)c->tp / (double)(c->tp + c->fn) : 100.0;
}

static inline double eval_exact(const struct eval_counts *c)
{
	return c->routes ? 100.0 * (double)c->exact / (double)c->routes : 100.0;
}

static inline struct eval_counts *eval_cat(struct eval_result *r, const char *name, size_t n)
{
	for (unsigned i = 0; i < r->ncats; i++)
		if (strlen(r->cat[i].name) == n && memcmp(r->cat[i].name, name, n) == 0)
			return &r->cat[i].c;
	if (r->ncats == EVAL_CATS_MAX || n >= sizeof(r->cat[0].name))
		return NULL;
	memcpy(r->cat[r->ncats].name, name, n);
	r->cat[r->ncats].name[n] = '\0';
	return &r->cat[r->ncats++].c;
}

/* Compares got and want segment by segment (both split on '/'). Returns 1 if identical. */
static inline int eval_route(struct eval_counts *c, const char *got, const char *want)
{
	const char *g = got, *w = want;

	for (;;) {
		size_t gn = strcspn(g, "/"), wn = strcspn(w, "/");
		int gp = gn == 1 && g[0] == '*', wp = wn == 1 && w[0] == '*';
		c->tp += gp && wp;
		c->fp += gp && !wp;
		c->fn += !gp && wp;
		c->tn += !gp && !wp;
		g += gn;
		w += wn;
		if (!*g || !*w)
			break;
		g++;
		w++;
	}
	c->routes++;
	if (strcmp(got, want) == 0) {
		c->exact++;
		return 1;
	}
	return 0;
}

/*
 * Scores every "category TAB path TAB expected" line of file; '#' lines are comments. If
 * errors is not NULL, each wrong route is printed there.
 */
static inline int eval_file(const char *file, struct eval_result *r, FILE *errors)
{
	char line[4096], got[4096 + 3];
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *t1, *t2;
		struct eval_counts *cat;
		size_t len = strcspn(line, "\r\n");

		line[len] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		t1 = strchr(line, '\t');
		t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t1 || !t2) {
			r->bad_lines++;
			continue;
		}
		*t2++ = '\0';
		route_heuristic(t1 + 1, strlen(t1 + 1), '*', got, sizeof(got));
		cat = eval_cat(r, line, (size_t)(t1 - line));
		if (cat)
			eval_route(cat, got, t2);
		if (!eval_route(&r->all, got, t2) && errors)
			fprintf(errors, "  %-8.*s %s\n           got  %s\n           want %s\n",
				(int)(t1 - line), line, t1 + 1, got, t2);
	}
	fclose(f);
	return 0;
}

#endif /* OBI_ROUTE_EVAL_CORE_H */

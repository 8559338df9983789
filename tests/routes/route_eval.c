/* route_eval.c: make route-eval: precision, recall, exact routes and speed of the heuristic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eval_core.h"

static void print_counts(const char *name, const struct eval_counts *c)
{
	printf("  %-10s %6lu routes %6lu segs  precision %6.2f%%  recall %6.2f%%  exact %6.2f%%\n",
	       name, c->routes, c->tp + c->fp + c->fn + c->tn, eval_precision(c), eval_recall(c),
	       eval_exact(c));
}

static int report(const char *label, const char *file, int show_errors)
{
	struct eval_result r;

	memset(&r, 0, sizeof(r));
	/* Per-item failures of the held-out part are never printed: it must stay unseen. */
	if (eval_file(file, &r, show_errors ? stdout : NULL) < 0) {
		perror(file);
		return -1;
	}
	printf("%s (%s)\n", label, file);
	for (unsigned i = 0; i < r.ncats; i++)
		print_counts(r.cat[i].name, &r.cat[i].c);
	print_counts("ALL", &r.all);
	printf("  segments: tp %lu fp %lu fn %lu tn %lu%s\n", r.all.tp, r.all.fp, r.all.fn,
	       r.all.tn, r.bad_lines ? "  (malformed lines!)" : "");
	return r.bad_lines ? -1 : 0;
}

/* CPU ns per path over every path of file, for about a second of this thread's CPU time (other
 * load on the machine does not count, only what it does to caches). */
static int bench(const char *file)
{
	static char paths[4096][512];
	char line[4096], out[1024];
	size_t n = 0, bytes = 0, reps = 0;
	struct timespec a, b;
	double ns;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (n < 4096 && fgets(line, sizeof(line), f)) {
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (line[0] == '#' || !t2 || (size_t)(t2 - t1) >= sizeof(paths[0]))
			continue;
		memcpy(paths[n], t1 + 1, (size_t)(t2 - t1 - 1));
		paths[n][t2 - t1 - 1] = '\0';
		bytes += strlen(paths[n++]);
	}
	fclose(f);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do {
		for (size_t i = 0; i < n; i++)
			route_heuristic(paths[i], strlen(paths[i]), '*', out, sizeof(out));
		reps++;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 1000000000L);
	ns = (double)((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec));
	printf("speed: %.0f ns per path (%zu paths, mean %zu bytes, %zu rounds)\n",
	       ns / (double)(n * reps), n, n ? bytes / n : 0, reps);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = "tests/routes";
	char tuning[512], heldout[512];
	int errors = 0, speed = 0, rc = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--errors") == 0)
			errors = 1;
		else if (strcmp(argv[i], "--bench") == 0)
			speed = 1;
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else {
			fprintf(stderr, "usage: route-eval [--errors] [--bench] [--dir DIR]\n");
			return 2;
		}
	}
	snprintf(tuning, sizeof(tuning), "%s/tuning.tsv", dir);
	snprintf(heldout, sizeof(heldout), "%s/heldout.tsv", dir);
	rc |= report("tuning", tuning, errors);
	rc |= report("held-out", heldout, 0);
	if (speed)
		rc |= bench(tuning);
	return rc ? 1 : 0;
}

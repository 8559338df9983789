/* metrics_bounds.c: histogram bucket bounds: OBI's defaults, configured lists, bucket lookup. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "metrics_agg.h"

static const double metrics_duration_default[] = {0,   0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
						  0.5, 0.75,  1,    2.5,   5,	 7.5,	10};
static const double metrics_size_default[] = {0, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};

void metrics_bounds_default(struct metrics_bounds *b, enum metrics_hist h)
{
	const double *v = h == METRICS_H_DURATION ? metrics_duration_default : metrics_size_default;
	size_t n = h == METRICS_H_DURATION
		       ? sizeof(metrics_duration_default) / sizeof(metrics_duration_default[0])
		       : sizeof(metrics_size_default) / sizeof(metrics_size_default[0]);

	for (size_t i = 0; i < n; i++)
		b->v[i] = v[i];
	b->n = n;
}

int metrics_bounds_parse(struct metrics_bounds *b, char *const *v, size_t n)
{
	if (n > METRICS_BOUNDS_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char *end;
		double x = strtod(v[i], &end);

		/* NaN and infinities make no bucket boundary; unsorted bounds no histogram. */
		if (end == v[i] || *end || !isfinite(x) || (i && x <= b->v[i - 1]))
			return -EINVAL;
		b->v[i] = x;
	}
	b->n = n;
	return 0;
}

size_t metrics_bucket(const struct metrics_bounds *b, double x)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (x <= b->v[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

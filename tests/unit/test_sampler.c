/* test_sampler.c: samplers against OpenTelemetry Go's decisions (tests/otlp/sampler_vectors.txt).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "sampler.h"

static int hexbyte(const char *p)
{
	unsigned v;

	return sscanf(p, "%2x", &v) == 1 ? (int)v : -1;
}

static enum sampler_parent parent_of(const char *s)
{
	if (!strcmp(s, "remote"))
		return SAMPLER_PARENT_REMOTE;
	if (!strcmp(s, "local"))
		return SAMPLER_PARENT_LOCAL;
	assert_string_equal(s, "none");
	return SAMPLER_PARENT_NONE;
}

/* Every line of the Go program's output must get the same decision from us. */
static void test_go_vectors(void **state)
{
	FILE *f = fopen("tests/otlp/sampler_vectors.txt", "r");
	char line[256], name[64], ratio[64], parent[16], id_hex[40];
	int psampled, want;
	size_t n = 0, sampled = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		struct sampler s;
		uint8_t id[16];
		char err[256];

		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "%63s %63s %15s %d %39s %d", name, ratio, parent,
					&psampled, id_hex, &want),
				 6);
		assert_int_equal(strlen(id_hex), 32);
		for (int i = 0; i < 16; i++)
			id[i] = (uint8_t)hexbyte(id_hex + 2 * i);
		assert_int_equal(sampler_init(&s, name, ratio, err, sizeof(err)), 0);
		if (sampler_should_sample(&s, id, parent_of(parent), psampled) != (want == 1))
			fail_msg("disagree with Go: %s", line);
		n++;
		sampled += want == 1;
	}
	fclose(f);
	assert_true(n > 4000);
	assert_true(sampled > 1000 && sampled < n - 1000);
}

/* The kept fraction over many random ids is the ratio (within 5 standard deviations). */
static void test_ratio_statistics(void **state)
{
	static const double ratios[] = {0.001, 0.01, 0.1, 0.5, 0.9};
	const size_t n = 200000;
	uint8_t *ids = malloc(n * 16);

	(void)state;
	assert_non_null(ids);
	for (size_t off = 0; off < n * 16;) {
		ssize_t r = getrandom(ids + off, n * 16 - off, 0);

		assert_true(r > 0);
		off += (size_t)r;
	}
	for (size_t k = 0; k < sizeof(ratios) / sizeof(ratios[0]); k++) {
		struct sampler s;
		char err[128], arg[32];
		size_t kept = 0;
		double sd = sqrt(n * ratios[k] * (1 - ratios[k]));

		snprintf(arg, sizeof(arg), "%g", ratios[k]);
		assert_int_equal(sampler_init(&s, "traceidratio", arg, err, sizeof(err)), 0);
		for (size_t i = 0; i < n; i++)
			kept += sampler_should_sample(&s, ids + 16 * i, SAMPLER_PARENT_NONE, false);
		if (fabs((double)kept - n * ratios[k]) > 5 * sd)
			fail_msg("ratio %g kept %zu of %zu", ratios[k], kept, n);
	}
	free(ids);
}

static void test_parse(void **state)
{
	static const char *const bad_args[] = {"1.5", "-0.1", "abc",	"nan",
					       "inf", "0.5x", "0x1p-1", "1e5"};
	struct sampler s;
	char err[256];

	(void)state;
	assert_int_equal(sampler_init(&s, "traceidratio", NULL, err, sizeof(err)), 0);
	assert_true(s.ratio == 1.0 && s.ratio_all);
	assert_int_equal(sampler_init(&s, "parentbased_traceidratio", "0.01", err, sizeof(err)), 0);
	assert_string_equal(sampler_name(&s), "parentbased_traceidratio");
	assert_true(s.bound == (uint64_t)(0.01 * 9223372036854775808.0));
	for (size_t i = 0; i < sizeof(bad_args) / sizeof(bad_args[0]); i++) {
		assert_int_equal(sampler_init(&s, "traceidratio", bad_args[i], err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, bad_args[i]));
	}
	/* Arguments of the non-ratio samplers are ignored, as the specification says. */
	assert_int_equal(sampler_init(&s, "always_on", "junk", err, sizeof(err)), 0);
	assert_int_equal(sampler_init(&s, "AlwaysOn", NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "AlwaysOn"));
	assert_int_equal(sampler_init(&s, NULL, NULL, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_go_vectors),
	    cmocka_unit_test(test_ratio_statistics),
	    cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

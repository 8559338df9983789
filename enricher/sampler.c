/* sampler.c: always_on/off, traceidratio and their parentbased_ forms (OpenTelemetry Go's rules).
 */
#include "sampler.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sampler_names[] = {
    [SAMPLER_ALWAYS_ON] = "always_on",
    [SAMPLER_ALWAYS_OFF] = "always_off",
    [SAMPLER_TRACEIDRATIO] = "traceidratio",
    [SAMPLER_PARENTBASED_ALWAYS_ON] = "parentbased_always_on",
    [SAMPLER_PARENTBASED_ALWAYS_OFF] = "parentbased_always_off",
    [SAMPLER_PARENTBASED_TRACEIDRATIO] = "parentbased_traceidratio",
};

#define SAMPLER_N_KINDS (sizeof(sampler_names) / sizeof(sampler_names[0]))

/* A plain decimal in [0, 1]; no hex, inf or nan (strtod would take them), no trailing text. */
static int sampler_parse_ratio(const char *arg, double *out)
{
	char *end;
	double r;

	if (!arg || !arg[0]) {
		*out = 1.0; /* the specification's default argument */
		return 0;
	}
	if (strpbrk(arg, "xXnN") || strchr(arg, 'i') || strchr(arg, 'I'))
		return -EINVAL;
	errno = 0;
	r = strtod(arg, &end);
	while (*end == ' ')
		end++;
	if (errno || end == arg || *end || !isfinite(r) || r < 0 || r > 1)
		return -EINVAL;
	*out = r;
	return 0;
}

int sampler_init(struct sampler *s, const char *name, const char *arg, char *err, size_t errlen)
{
	size_t k;

	memset(s, 0, sizeof(*s));
	for (k = 0; k < SAMPLER_N_KINDS; k++)
		if (name && !strcmp(name, sampler_names[k]))
			break;
	if (k == SAMPLER_N_KINDS) {
		snprintf(err, errlen,
			 "unknown sampler \"%.64s\" (always_on, always_off, traceidratio, "
			 "parentbased_always_on, parentbased_always_off, parentbased_traceidratio)",
			 name ? name : "");
		return -EINVAL;
	}
	s->kind = (enum sampler_kind)k;
	if (s->kind != SAMPLER_TRACEIDRATIO && s->kind != SAMPLER_PARENTBASED_TRACEIDRATIO)
		return 0;
	if (sampler_parse_ratio(arg, &s->ratio)) {
		snprintf(err, errlen, "sampler argument \"%.64s\" is not a ratio in [0, 1]", arg);
		return -EINVAL;
	}
	s->ratio_all = s->ratio >= 1;
	/* Go: uint64(fraction * (1 << 63)), the product in float64, truncated. */
	s->bound = s->ratio_all ? 0 : (uint64_t)(s->ratio * 9223372036854775808.0);
	return 0;
}

/* Current OpenTelemetry Go: the id's last 8 bytes big-endian, one bit right, below the bound. */
static bool sampler_ratio(const struct sampler *s, const uint8_t *id)
{
	uint64_t x = 0;

	if (s->ratio_all)
		return true;
	for (int i = 8; i < 16; i++)
		x = x << 8 | id[i];
	return (x >> 1) < s->bound;
}

bool sampler_should_sample(const struct sampler *s, const uint8_t *trace_id,
			   enum sampler_parent parent, bool parent_sampled)
{
	switch (s->kind) {
	case SAMPLER_ALWAYS_ON:
		return true;
	case SAMPLER_ALWAYS_OFF:
		return false;
	case SAMPLER_TRACEIDRATIO:
		return sampler_ratio(s, trace_id);
	default:
		break;
	}
	/* ParentBased's defaults: a remote or local parent's flag decides for its children. */
	if (parent != SAMPLER_PARENT_NONE)
		return parent_sampled;
	if (s->kind == SAMPLER_PARENTBASED_ALWAYS_ON)
		return true;
	if (s->kind == SAMPLER_PARENTBASED_ALWAYS_OFF)
		return false;
	return sampler_ratio(s, trace_id);
}

const char *sampler_name(const struct sampler *s)
{
	return (size_t)s->kind < SAMPLER_N_KINDS ? sampler_names[s->kind] : "?";
}

/* glob.c: OBI-style glob matching: brace expansion in front of fnmatch(3). */
#include "glob.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* Bounds the work a pathological pattern ("{a,b}{a,b}{a,b}...") can cause. */
#define GLOB_MAX_EXPANSIONS 4096

/* Finds the first unescaped '{' that has a closing '}', outside any [...] class. */
static bool glob_find_brace(const char *p, const char **open, const char **close)
{
	bool in_class = false;

	for (; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (in_class) {
			if (*p == ']')
				in_class = false;
			continue;
		}
		if (*p == '[') {
			/* "[]...]" and "[!]...]" keep the first ']' as a member, as fnmatch does */
			in_class = true;
			if (p[1] == '!' || p[1] == '^')
				p++;
			if (p[1] == ']')
				p++;
			continue;
		}
		if (*p == '{') {
			const char *q = p + 1;

			while (*q && *q != '}') {
				if (*q == '\\' && q[1])
					q++;
				q++;
			}
			if (*q != '}')
				return false;
			*open = p;
			*close = q;
			return true;
		}
	}
	return false;
}

static bool glob_match_budget(const char *pattern, const char *s, unsigned *budget)
{
	const char *open, *close, *alt;
	size_t pre, post;
	bool matched = false;
	char *buf = NULL;

	if (*budget == 0)
		goto out;
	(*budget)--;
	if (!glob_find_brace(pattern, &open, &close)) {
		matched = fnmatch(pattern, s, 0) == 0;
		goto out;
	}
	pre = (size_t)(open - pattern);
	post = strlen(close + 1);
	/* every alternative is shorter than the whole brace group */
	buf = malloc(pre + (size_t)(close - open) + post + 1);
	if (!buf)
		goto out;
	memcpy(buf, pattern, pre);
	alt = open + 1;
	while (!matched && alt <= close) {
		const char *end = alt;
		size_t alen;

		while (end < close && *end != ',') {
			if (*end == '\\' && end + 1 < close)
				end++;
			end++;
		}
		alen = (size_t)(end - alt);
		memcpy(buf + pre, alt, alen);
		memcpy(buf + pre + alen, close + 1, post + 1);
		matched = glob_match_budget(buf, s, budget);
		alt = end + 1;
	}
out:
	free(buf);
	return matched;
}

bool glob_match(const char *pattern, const char *s)
{
	unsigned budget = GLOB_MAX_EXPANSIONS;

	if (!pattern || !s)
		return false;
	return glob_match_budget(pattern, s, &budget);
}

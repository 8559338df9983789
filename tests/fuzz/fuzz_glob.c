/* fuzz_glob.c: libFuzzer harness for executable-path globs (common/glob.c): pattern NUL string.
 * Without braces a glob is exactly fnmatch(3) without flags: the two must agree. */
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t plen = nul ? (size_t)(nul - data) : size;
	char *pat, *s;
	bool m;

	/* fnmatch is exponential in stars on adversarial input: keep each run short */
	if (size > 512)
		return 0;
	pat = strndup((const char *)data, plen);
	s = nul ? strndup((const char *)nul + 1, size - plen - 1) : strdup("");
	if (pat && s) {
		m = glob_match(pat, s);
		if (!strchr(pat, '{') && m != (fnmatch(pat, s, 0) == 0))
			abort();
	}
	free(pat);
	free(s);
	return 0;
}

/* glob.h: OBI-style glob matching of full executable paths (fnmatch plus {a,b} alternatives). */
#ifndef OBI_GLOB_H
#define OBI_GLOB_H

#include <stdbool.h>

/*
 * Matches the whole of `s` against `pattern`: `*` matches any run of characters including '/',
 * `?` one character, `[...]` a class, `{a,b,c}` one of the alternatives (not nested).
 * NULL pattern or string never match.
 */
bool glob_match(const char *pattern, const char *s);

#endif /* OBI_GLOB_H */

/* route_word.h: word-likeness of a run of ASCII letters, for the route heuristic. */
#ifndef OBI_ROUTE_WORD_H
#define OBI_ROUTE_WORD_H

#include <stdbool.h>
#include <stddef.h>

/* Runs shorter than this are never judged by the model (abbreviations: api, cdn, wp). */
#define ROUTE_WORD_MIN_SCORED 5
/* Mean trigram cost (tenths of a quarter-bit per letter) above which a run looks random. */
#define ROUTE_WORD_MAX_COST 250

/* Mean cost of w[0..n) (letters only) under the trigram model, in tenths of the table unit. */
unsigned route_word_cost(const char *w, size_t n);

/* True when the letters w[0..n) look generated rather than like a word or camel-case words. */
bool route_word_random(const char *w, size_t n);

#endif /* OBI_ROUTE_WORD_H */

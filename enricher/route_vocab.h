/* route_vocab.h: lookups in the route heuristic's curated word lists (ASCII, case-insensitive). */
#ifndef OBI_ROUTE_VOCAB_H
#define OBI_ROUTE_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

bool route_vocab_tech_digit(const char *w, size_t n);	  /* x509, amd64, sha256, 2fa... */
bool route_vocab_tech_word(const char *w, size_t n);	  /* nginx, kubectl, healthz... */
bool route_vocab_content_parent(const char *w, size_t n); /* blog, products, docs... */
bool route_vocab_title_word(const char *w, size_t n);	  /* how, why, your, best... */
bool route_vocab_sorted(void);				  /* self-check for the unit test */

#endif /* OBI_ROUTE_VOCAB_H */

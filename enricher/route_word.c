/* route_word.c: decides whether a run of letters reads as a word or looks randomly generated. */
#include <stddef.h>

#include "route_model.h"
#include "route_vocab.h"
#include "route_word.h"

static int word_letter(unsigned char c)
{
	c = (unsigned char)(c | 0x20);
	return (c >= 'a' && c <= 'z') ? c - 'a' + 1 : 0;
}

unsigned route_word_cost(const char *w, size_t n)
{
	unsigned a = 0, b = 0, sum = 0;

	for (size_t i = 0; i <= n; i++) {
		unsigned c = i < n ? (unsigned)word_letter((unsigned char)w[i]) : 0;
		sum += route_model_cost[a][b][c];
		a = b;
		b = c;
	}
	return (unsigned)((sum * 10u) / (unsigned)(n + 1));
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

/*
 * Splits a mixed-case run into camel-case words ("resourceGroups" -> resource|Groups,
 * "HTTPServer" -> HTTP|Server) and calls fn on each; stops early when fn returns true.
 */
static bool word_camel_each(const char *w, size_t n, bool (*fn)(const char *, size_t, void *),
			    void *arg)
{
	size_t start = 0;

	for (size_t i = 1; i <= n; i++) {
		bool cut = i == n;
		if (!cut && is_upper(w[i]) && is_lower(w[i - 1]))
			cut = true;
		if (!cut && is_upper(w[i]) && i + 1 < n && is_lower(w[i + 1]) && is_upper(w[i - 1]))
			cut = true;
		if (cut) {
			if (fn(w + start, i - start, arg))
				return true;
			start = i;
		}
	}
	return false;
}

struct camel_stats {
	unsigned words, short_words;
};

static bool camel_count(const char *w, size_t n, void *arg)
{
	struct camel_stats *st = arg;

	(void)w;

	st->words++;
	st->short_words += n <= 2;
	return false;
}

static bool is_vowel(char c)
{
	c = (char)(c | 0x20);
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

/* One word (single case, or one camel-case part) of letters. */
static bool word_gibberish(const char *w, size_t n, void *arg)
{
	size_t vowels = 0;

	(void)arg;
	if (n < ROUTE_WORD_MIN_SCORED)
		return false;
	for (size_t i = 0; i < n; i++)
		vowels += is_vowel(w[i]);
	/* Five letters or more without a vowel: no English or Romance word looks so. */
	if (vowels > 0 && route_word_cost(w, n) <= ROUTE_WORD_MAX_COST)
		return false;
	return !route_vocab_tech_word(w, n); /* looked up only for the few that score badly */
}

bool route_word_random(const char *w, size_t n)
{
	bool upper = false, lower = false;
	struct camel_stats st = {0, 0};

	for (size_t i = 0; i < n; i++) {
		upper |= is_upper(w[i]);
		lower |= is_lower(w[i]);
	}
	if (!(upper && lower))
		return word_gibberish(w, n, NULL);
	/* Case flipping every letter or two (aBcDeF, XqZpWm) is how generated tokens look. */
	word_camel_each(w, n, camel_count, &st);
	if (st.words >= 3 && st.short_words * 2 >= st.words)
		return !route_vocab_tech_word(w, n);
	return word_camel_each(w, n, word_gibberish, NULL) && !route_vocab_tech_word(w, n);
}

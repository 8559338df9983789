/* route_heur.c: the heuristic route: replaces each identifier segment of a path by the wildcard. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "hex.h"
#include "route.h"
#include "route_seg.h"
#include "route_vocab.h"
#include "route_word.h"

/* Longer segments are identifiers without further analysis (no vocabulary is that long). */
#define ROUTE_HEUR_SEG_MAX 256

enum heur_class {
	HEUR_KEEP = 0,
	HEUR_ID,   /* generated or per-item value */
	HEUR_SLUG, /* a phrase naming one content item */
};

/* What the segments to the left said, for the slug decision. */
struct heur_ctx {
	bool content; /* under a content collection (/blog/, /docs/v2/, /products/) */
	bool prev_id, prev_date, prev_slug;
};

static bool h_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool h_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool h_alnum(char c)
{
	return h_digit(c) || h_alpha(c);
}

static char h_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

/* Percent-decodes s[0..n) into out (n bytes suffice); malformed escapes stay as they are. */
static size_t h_decode(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hex_digit(s[i + 1])) >= 0 &&
		    (lo = hex_digit(s[i + 2])) >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

static bool h_all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!h_digit(s[i]))
			return false;
	return n > 0;
}

static bool h_all_alpha(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!h_alpha(s[i]))
			return false;
	return n > 0;
}

/* v1, v10, V1, v2.0, v1.43, v1beta1, v2alpha3: API versions (at most three digits a part). */
static bool h_api_version(const char *s, size_t n)
{
	size_t i = 1, d = 0;

	if (n < 2 || h_lower(s[0]) != 'v')
		return false;
	while (i < n && h_digit(s[i]) && d < 4) {
		i++;
		d++;
	}
	if (d == 0 || d > 3)
		return false;
	if (i == n)
		return true;
	if (s[i] == '.') {
		size_t j = i + 1;
		while (j < n && h_digit(s[j]))
			j++;
		return j == n && j - i - 1 >= 1 && j - i - 1 <= 2;
	}
	if ((n - i >= 5 && memcmp(s + i, "alpha", 5) == 0) ||
	    (n - i >= 4 && memcmp(s + i, "beta", 4) == 0)) {
		i += s[i] == 'a' ? 5 : 4;
		while (i < n && h_digit(s[i]))
			i++;
		return i == n;
	}
	return false;
}

/* en-US, de_de, zh-Hans, es-419, fr_CA: a language with a region or script. */
static bool h_locale(const char *s, size_t n)
{
	size_t lang = 0, rest;
	const char *r;

	while (lang < n && s[lang] >= 'a' && s[lang] <= 'z')
		lang++;
	if (lang < 2 || lang > 3 || lang + 1 >= n || (s[lang] != '-' && s[lang] != '_'))
		return false;
	r = s + lang + 1;
	rest = n - lang - 1;
	if (rest == 2)
		return h_all_alpha(r, 2);
	if (rest == 3)
		return h_all_digits(r, 3);
	return rest == 4 && h_all_alpha(r, 4) && r[0] >= 'A' && r[0] <= 'Z';
}

/* abc-defg-hij, abc-def-ghi: generated meeting and dashboard codes (lowercase). */
static bool h_meet_code(const char *s, size_t n)
{
	size_t mid = n - 8;

	if ((n != 11 && n != 12) || s[3] != '-' || s[4 + mid] != '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '-' && !(s[i] >= 'a' && s[i] <= 'z'))
			return false;
	return true;
}

static bool h_email(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);

	if (!at || at == s || at + 1 >= s + n || !h_alpha(at[1]))
		return false;
	return memchr(at + 1, '.', (size_t)(s + n - at - 1)) != NULL;
}

/* Cloud region words: us-central1, europe-west4, westeurope2 are codes, not words. */
static bool h_region_word(const char *s, size_t n)
{
	static const char *const dirs[] = {"central", "east", "north", "south", "west"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t k = strlen(dirs[i]);
		if (n >= k && (strncmp(s + n - k, dirs[i], k) == 0 || strncmp(s, dirs[i], k) == 0))
			return true;
	}
	return false;
}

/*
 * A token of letters and digits that has a digit: is it a technology name or a version? first:
 * the segment's first token (v3-flatcontainer is a fixed name, checkout-service-v2 a name
 * carrying a release number).
 */
static bool h_digit_token_ok(const char *t, size_t n, bool sole, bool first)
{
	size_t letters = 0, i, x;

	if (h_all_digits(t, n))
		return false;
	if (route_vocab_tech_digit(t, n))
		return true;
	if (h_api_version(t, n))
		return first;
	if (n == 2 && h_alpha(t[0]) && h_digit(t[1]))
		return h_lower(t[0]) != 'q' || t[1] < '1' || t[1] > '4'; /* s3, h2, R4; not Q2 */
	while (letters < n && h_alpha(t[letters]))
		letters++;
	if (letters >= 3 && letters + 1 == n) {
		char low[16];
		for (i = 0; i < letters && i < sizeof(low); i++)
			low[i] = h_lower(t[i]);
		return letters > sizeof(low) || !h_region_word(low, letters); /* oauth2, html5 */
	}
	/* 32x32 in favicon-32x32.png is a size; alone (1920x1080) it is a parameter. */
	for (x = 0; x < n && h_digit(t[x]); x++)
		;
	if (!sole && x > 0 && x + 1 < n && t[x] == 'x' && h_all_digits(t + x + 1, n - x - 1))
		return true;
	return false;
}

/* Token boundaries: runs of letters and digits ("x86_64" is one token). */
static size_t h_token_end(const char *s, size_t n, size_t i)
{
	while (i < n && h_alnum(s[i]))
		i++;
	if (i + 3 <= n && i >= 3 && strncmp(s + i - 3, "x86", 3) == 0 &&
	    strncmp(s + i, "_64", 3) == 0)
		i += 3;
	return i;
}

/* Where the file extension starts ('.' + 1 to 5 letters/digits with a letter), or n. */
static size_t h_ext_start(const char *s, size_t n)
{
	size_t dot = n;
	bool letter = false;

	while (dot > 0 && s[dot - 1] != '.' && n - dot <= 5) {
		if (!h_alnum(s[dot - 1]))
			return n;
		letter |= h_alpha(s[dot - 1]);
		dot--;
	}
	if (dot <= 1 || dot == n || !letter || n - dot > 5)
		return n;
	return dot - 1;
}

/* Extensions of pages (a slug may carry one); others are files with fixed names. */
static bool h_page_ext(const char *e, size_t n)
{
	static const char *const exts[] = {"asp", "aspx", "htm", "html", "json", "php", "xml"};

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (strlen(exts[i]) == n && strncmp(e, exts[i], n) == 0)
			return true;
	return false;
}

static bool h_has_alpha_no_digit(const char *s, size_t n)
{
	bool alpha = false;

	for (size_t i = 0; i < n; i++) {
		if (h_digit(s[i]))
			return false;
		alpha |= h_alpha(s[i]);
	}
	return alpha;
}

static bool h_slug_sep(char c)
{
	return c == '-' || c == '_' || c == '+' || c == ' ';
}

/* Words (letters, no digit) of s[0..n) split at slug separators; only title words if title. */
static unsigned h_slug_words(const char *s, size_t n, bool title)
{
	unsigned words = 0;

	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && !h_slug_sep(s[j]))
			j++;
		if (j > i && h_has_alpha_no_digit(s + i, j - i) &&
		    (!title || route_vocab_title_word(s + i, j - i)))
			words++;
		i = j + 1;
	}
	return words;
}

/* A phrase of two or more words naming one item, as opposed to an API's fixed vocabulary. */
static bool h_slug(const struct heur_ctx *ctx, const char *s, size_t n, size_t ext)
{
	unsigned words = 0;
	bool hyphen = false;

	if (ext < n && !h_page_ext(s + ext + 1, n - ext - 1))
		return false;
	for (size_t i = 0; i < ext; i++) {
		hyphen |= h_slug_sep(s[i]) && s[i] != '_';
		words += h_slug_sep(s[i]);
	}
	if (words == 0)
		return false; /* one word */
	words = h_slug_words(s, ext, false);
	if (words < 2)
		return false;
	if (words >= 5)
		return true;
	if (ctx->prev_date || ctx->prev_slug || ctx->content)
		return true;
	if (ctx->prev_id && hyphen && words >= 3)
		return true;
	return words >= 3 && h_slug_words(s, ext, true) > 0;
}

/* A segment without percent-escapes or '/'. */
static enum heur_class h_classify_plain(const struct heur_ctx *ctx, const char *s, size_t n)
{
	size_t digits = 0, letters = 0, ats = 0, dots = 0, ext, i = 0, ntok = 0;
	const char *at;

	/* '@' and '.' counted here so that most segments skip the searches for them below
	 * (memchr and memmem were a fifth of the heuristic's time in perf). */
	for (size_t k = 0; k < n; k++) {
		digits += h_digit(s[k]);
		letters += h_alpha(s[k]);
		ats += s[k] == '@';
		dots += s[k] == '.';
	}
	if (letters == 0)
		return digits ? HEUR_ID : HEUR_KEEP; /* numbers, dates, times, IPv4, versions */
	if (ats && h_email(s, n))
		return HEUR_ID;
	while (n > 0 && s[0] == '@') { /* npm scope, handle, Go's @v */
		s++;
		n--;
	}
	if (n == 0)
		return HEUR_KEEP;
	at = ats ? memchr(s, '@', n) : NULL;
	if (at && at + 1 < s + n && h_digit(at[1]) && !(at + 2 < s + n && at[2] == 'x'))
		return HEUR_ID; /* name@1.2.3 */
	if (n > 16 && strncmp(s, "eyJ", 3) == 0)
		return HEUR_ID; /* base64 of a JSON object: JWT and friends */
	if (h_api_version(s, n) || h_locale(s, n))
		return HEUR_KEEP;
	if (h_meet_code(s, n) || (dots >= 3 && memmem(s, n, "...", 3)))
		return HEUR_ID; /* meeting codes, git ranges a...b */
	ext = h_ext_start(s, n);
	if (digits && route_vocab_tech_digit(s, ext))
		return HEUR_KEEP; /* utf-8 */
	for (size_t k = 0; k < n; k = h_token_end(s, n, k) + 1)
		ntok += h_alnum(s[k]);
	while (i < n) {
		size_t end = h_token_end(s, n, i);
		bool has_digit = false;
		for (size_t k = i; k < end; k++)
			has_digit |= h_digit(s[k]);
		if (end > i && has_digit && !h_digit_token_ok(s + i, end - i, ntok == 1, i == 0))
			return HEUR_ID;
		if (end > i && !has_digit && i < ext && route_word_random(s + i, end - i))
			return HEUR_ID;
		i = end + 1;
	}
	return h_slug(ctx, s, n, ext) ? HEUR_SLUG : HEUR_KEEP;
}

static enum heur_class h_classify(const struct heur_ctx *ctx, const char *s, size_t n)
{
	char buf[ROUTE_HEUR_SEG_MAX];
	const char *slash;
	size_t dn;

	if (n == 0)
		return HEUR_KEEP;
	if (n > sizeof(buf))
		return HEUR_ID; /* nothing that long is vocabulary */
	if (memchr(s, '%', n)) {
		dn = h_decode(s, n, buf);
	} else {
		memcpy(buf, s, n);
		dn = n;
	}
	slash = memchr(buf, '/', dn);
	if (!slash)
		return h_classify_plain(ctx, buf, dn);
	/* An encoded path inside one segment: an identifier if any part is one. */
	for (size_t i = 0; i < dn;) {
		size_t pn = 0;
		struct heur_ctx none = {0};
		while (i + pn < dn && buf[i + pn] != '/')
			pn++;
		if (pn && h_classify_plain(&none, buf + i, pn) != HEUR_KEEP)
			return HEUR_ID;
		i += pn + 1;
	}
	return HEUR_KEEP;
}

/* Segments between a collection and its items: /docs/v2/x, /docs/en/latest/x. */
static bool h_passes_content(const char *s, size_t n)
{
	if (h_api_version(s, n) || h_locale(s, n) || (n == 2 && h_all_alpha(s, 2)))
		return true;
	return n == 6 && (strncmp(s, "latest", 6) == 0 || strncmp(s, "stable", 6) == 0);
}

/* A date part: a year, or a short number or full date right after one. */
static bool h_date_part(const struct heur_ctx *ctx, const char *s, size_t n)
{
	/* Only /2024/05/17/ style: a full date (2015-03-31) is often an API version instead. */
	if (!h_all_digits(s, n))
		return false;
	if (n == 4 && (strncmp(s, "19", 2) == 0 || strncmp(s, "20", 2) == 0))
		return true;
	return ctx->prev_date && n <= 2;
}

size_t route_heuristic(const char *path, size_t len, char wc, char *out, size_t outsz)
{
	struct heur_ctx ctx = {0};
	size_t plen, i = 0, o = 0;
	unsigned nseg = 0;

	if (!out || outsz == 0)
		return 0;
	out[0] = '\0';
	if (!path)
		return 0;
	plen = route_path_len(path, len);
	while (i <= plen && o + 1 < outsz) {
		const char *seg = path + i, *slash = memchr(seg, '/', plen - i);
		size_t n = slash ? (size_t)(slash - seg) : plen - i;
		enum heur_class cls;

		if (nseg++ > ROUTE_HEUR_SEGS_MAX) {
			out[o++] = wc;
			break;
		}
		cls = h_classify(&ctx, seg, n);
		if (cls == HEUR_KEEP) {
			size_t k = n < outsz - 1 - o ? n : outsz - 1 - o;
			memcpy(out + o, seg, k);
			o += k;
		} else {
			out[o++] = wc;
		}
		ctx.prev_date = cls == HEUR_ID && h_date_part(&ctx, seg, n);
		ctx.prev_id = cls != HEUR_KEEP;
		ctx.prev_slug = cls == HEUR_SLUG;
		ctx.content =
		    route_vocab_content_parent(seg, n) || (ctx.content && h_passes_content(seg, n));
		i += n + 1;
		if (slash && o + 1 < outsz)
			out[o++] = '/';
		if (!slash)
			break;
	}
	out[o] = '\0';
	return o;
}

/* route_vocab.c: the small curated word lists of the route heuristic (sorted, bisected). */
#include <stddef.h>
#include <string.h>

#include "route_vocab.h"

/*
 * Tokens that carry a digit but name a technology, encoding, format or architecture, not an
 * item. (Letters followed by one digit, like oauth2 or html5, are accepted by rule instead.)
 */
static const char *const tech_digit[] = {
    "1x",      "2d",	 "2fa",	  "2x",	    "3d",     "3ds",	"3x",	  "4k",	    "8k",
    "aarch64", "amd64",	 "arm64", "av1",    "b2b",    "b2c",	"base32", "base58", "base64",
    "bz2",     "cp1252", "crc32", "e2e",    "ec2",    "es2015", "es5",	  "es6",    "h264",
    "h265",    "http2",	 "http3", "i18n",   "i386",   "i686",	"ipv4",	  "ipv6",   "k8s",
    "l10n",    "latin1", "log4j", "m3u8",   "m4a",    "m4s",	"md5",	  "mp3",    "mp4",
    "p2p",     "s3",	 "sha1",  "sha224", "sha256", "sha384", "sha512", "slf4j",  "ucs2",
    "utf-16",  "utf-32", "utf-8", "utf16",  "utf32",  "utf8",	"vp8",	  "vp9",    "win32",
    "win64",   "woff2",	 "x11",	  "x509",   "x64",    "x86",	"x86_64",
};

/*
 * Real words and names of software that the letter-trigram model, trained on an English
 * dictionary, finds unlikely (consonant clusters, abbreviations). Kept whatever their score.
 */
static const char *const tech_word[] = {
    "apkindex", "argocd",    "cadvisor", "cdnjs", "configz", "coredns",	     "csrf",
    "ctrl",	"dists",     "etcd",	 "fhir",  "ghcn",    "gtag",	     "gvisor",
    "healthz",	"hqdefault", "html",	 "http",  "https",   "isbn",	     "istiod",
    "jsdelivr", "jwks",	     "kubectl",	 "livez", "mstile",  "nginx",	     "nupkg",
    "oidc",	"okta",	     "otlp",	 "pprof", "pypi",    "readyz",	     "rrset",
    "sbom",	"sddefault", "tfstate",	 "tsdb",  "uenc",    "vsextensions", "vspackage",
    "webdav",	"webp",	     "wght",	 "xlsx",  "xmlrpc",
};

/* A segment after one of these names one content item when it is a phrase (a slug). */
static const char *const content_parent[] = {
    "angebote",	     "article",	   "articles",	"artigos",    "author",
    "authors",	     "blog",	   "blogs",	"c",	      "careers",
    "case-studies",  "categories", "category",	"collection", "collections",
    "course",	     "courses",	   "customers", "doc",	      "docs",
    "documentation", "event",	   "events",	"guide",      "guides",
    "item",	     "jobs",	   "kb",	"listing",    "news",
    "noticias",	     "p",	   "pages",	"podcast",    "podcasts",
    "post",	     "posts",	   "product",	"products",   "produits",
    "produtos",	     "questions",  "recipe",	"recipes",    "slug",
    "stories",	     "story",	   "t",		"tag",	      "tags",
    "topic",	     "topics",	   "tutorial",	"tutorials",  "video",
    "videos",	     "webinars",   "wiki",	"wikis",
};

/* Words that make a phrase read as a title rather than as an API's fixed vocabulary. */
static const char *const title_word[] = {
    "announcing", "are",  "best", "can",    "do",   "does", "guide", "how", "i",    "introducing",
    "is",	  "my",	  "our",  "should", "tips", "top",  "using", "vs",  "was",  "ways",
    "we",	  "what", "when", "where",  "who",  "why",  "will",  "you", "your",
};

static int vocab_cmp(const char *w, size_t n, const char *entry)
{
	size_t i = 0;

	for (; i < n && entry[i]; i++) {
		unsigned char a = (unsigned char)w[i], b = (unsigned char)entry[i];
		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a | 0x20);
		if (a != b)
			return a < b ? -1 : 1;
	}
	if (i < n)
		return 1;
	return entry[i] ? -1 : 0;
}

static bool vocab_has(const char *const *list, size_t count, const char *w, size_t n)
{
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = vocab_cmp(w, n, list[mid]);
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

#define VOCAB_LEN(a) (sizeof(a) / sizeof((a)[0]))

bool route_vocab_tech_digit(const char *w, size_t n)
{
	return vocab_has(tech_digit, VOCAB_LEN(tech_digit), w, n);
}

bool route_vocab_tech_word(const char *w, size_t n)
{
	return vocab_has(tech_word, VOCAB_LEN(tech_word), w, n);
}

bool route_vocab_content_parent(const char *w, size_t n)
{
	return vocab_has(content_parent, VOCAB_LEN(content_parent), w, n);
}

bool route_vocab_title_word(const char *w, size_t n)
{
	return vocab_has(title_word, VOCAB_LEN(title_word), w, n);
}

/* For the unit test: every list must be sorted (bytewise) for the bisection to work. */
bool route_vocab_sorted(void)
{
	static const struct {
		const char *const *l;
		size_t n;
	} lists[] = {
	    {tech_digit, VOCAB_LEN(tech_digit)},
	    {tech_word, VOCAB_LEN(tech_word)},
	    {content_parent, VOCAB_LEN(content_parent)},
	    {title_word, VOCAB_LEN(title_word)},
	};

	for (size_t i = 0; i < VOCAB_LEN(lists); i++)
		for (size_t j = 1; j < lists[i].n; j++)
			if (strcmp(lists[i].l[j - 1], lists[i].l[j]) >= 0)
				return false;
	return true;
}

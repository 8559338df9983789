/* test_route_heur.c: unit tests of the route heuristic on the identifier rules of issue 8. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "route_vocab.h"
#include "route_word.h"

struct heur_case {
	const char *path, *want;
};

static void run_cases(const struct heur_case *c, size_t n)
{
	char out[1024];
	int fails = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len = route_heuristic(c[i].path, strlen(c[i].path), '*', out, sizeof(out));
		assert_int_equal(len, strlen(out));
		if (strcmp(out, c[i].want) != 0) {
			print_error("%s: got %s, want %s\n", c[i].path, out, c[i].want);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

#define RUN(c) run_cases((c), sizeof(c) / sizeof((c)[0]))

/* (a) generated or per-item values */
static void test_identifiers(void **state)
{
	static const struct heur_case c[] = {
	    {"/api/v1/users/123/orders", "/api/v1/users/*/orders"},
	    {"/items/98765432109876543210", "/items/*"},
	    {"/s/6f1c2b7e-3a9d-4c8e-b5f2-0d1e2f3a4b5c", "/s/*"},
	    {"/c/3f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c", "/c/*"},
	    {"/t/aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQ", "/t/*"},
	    {"/u/01HXZ3K8M9QW4R5T6Y7U8I9O0P", "/u/*"},
	    {"/r/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
	     "/r/*"},
	    {"/invite/pQzRxWvTkM", "/invite/*"}, /* random, no digit */
	    {"/b/XKQZPT", "/b/*"},
	    {"/v1/customers/cus_NffrFeUfNV2Hib", "/v1/customers/*"},
	    {"/servers/i-0a1b2c3d4e5f67890", "/servers/*"},
	    {"/blog/2024/05/17/", "/blog/*/*/*/"},
	    {"/at/2024-05-17T10:15:30Z", "/at/*"},
	    {"/t/10:15:30", "/t/*"},
	    {"/e/1715947200", "/e/*"},
	    {"/releases/18.2.0", "/releases/*"},
	    {"/tag/v1.25.3", "/tag/*"},
	    {"/images/1.25-alpine", "/images/*"},
	    {"/pods/frontend-6f7d9c8b4-x2k9q", "/pods/*"},
	    {"/pods/postgres-0", "/pods/*"},
	    {"/users/jane.doe@example.com", "/users/*"},
	    {"/users/jane%40example.com", "/users/*"},
	    {"/hosts/192.168.1.10", "/hosts/*"},
	    {"/hosts/2001:db8::1", "/hosts/*"},
	    {"/sku/SKU-48213-BLK", "/sku/*"},
	    {"/regions/us-east-1", "/regions/*"},
	    {"/zones/us-central1-a", "/zones/*"},
	    {"/static/js/main.3f2a9c1b.js", "/static/js/*"},
	    {"/meet/abc-defg-hij", "/meet/*"},
	    {"/compare/main...feature", "/compare/*"},
	    {"/d/checkout-service-v2", "/d/*"},
	};
	(void)state;
	RUN(c);
}

/* (b) content slugs and (c) bare numbers and dates as API versions */
static void test_slugs_and_versions(void **state)
{
	static const struct heur_case c[] = {
	    {"/blog/how-to-deploy-a-rust-service", "/blog/*"},
	    {"/collections/womens-shoes", "/collections/*"},
	    {"/docs/v2/getting-started", "/docs/v2/*"},
	    {"/2024/05/17/hello-world/", "/*/*/*/*/"},
	    {"/questions/123/how-do-i-undo-a-commit", "/questions/*/*"},
	    {"/why-you-should-use-opentelemetry-today", "/*"},
	    {"/rest/api/3/issue", "/rest/api/*/issue"},
	    {"/admin/api/2024-01/products.json", "/admin/api/*/products.json"},
	    {"/2010-04-01/Accounts", "/*/Accounts"},
	};
	(void)state;
	RUN(c);
}

/* what is kept byte for byte */
static void test_kept(void **state)
{
	static const struct heur_case c[] = {
	    {"/repos/octocat/hello-world/pulls/1/requested_reviewers",
	     "/repos/octocat/hello-world/pulls/*/requested_reviewers"},
	    {"/repos/o/r/private-vulnerability-reporting",
	     "/repos/o/r/private-vulnerability-reporting"},
	    {"/.well-known/openid-configuration", "/.well-known/openid-configuration"},
	    {"/terms-of-service", "/terms-of-service"},
	    {"/favicon-32x32.png", "/favicon-32x32.png"},
	    {"/api/v1/x", "/api/v1/x"},
	    {"/api/v10/x", "/api/v10/x"},
	    {"/api/v2.0/x", "/api/v2.0/x"},
	    {"/apis/metrics.k8s.io/v1beta1/nodes", "/apis/metrics.k8s.io/v1beta1/nodes"},
	    {"/oauth2/token", "/oauth2/token"},
	    {"/s3/x509/amd64/http2", "/s3/x509/amd64/http2"},
	    {"/api/utf-8/sha256", "/api/utf-8/sha256"},
	    {"/feed/cafe/face/decade", "/feed/cafe/face/decade"},
	    {"/api/v1/namespaces/kube-system/pods", "/api/v1/namespaces/kube-system/pods"},
	    {"/package/create-react-app", "/package/create-react-app"},
	    {"/en-US/docs", "/en-US/docs"},
	    {"/zh-Hans/es-419/pt_BR", "/zh-Hans/es-419/pt_BR"},
	    {"/api/v1/resourceGroups/virtualMachines", "/api/v1/resourceGroups/virtualMachines"},
	    {"/images/logo@2x.png", "/images/logo@2x.png"},
	    {"/@babel/core", "/@babel/core"},
	    {"/healthz", "/healthz"},
	    {"/", "/"},
	    {"", ""},
	    {"//a//", "//a//"},
	};
	(void)state;
	RUN(c);
}

static void test_query_and_fragment_dropped(void **state)
{
	static const struct heur_case c[] = {
	    {"/users/12?id=5&next=/a/b", "/users/*"},
	    {"/users/12#x/y", "/users/*"},
	    {"/search?q=1", "/search"},
	    {"?a=b", ""},
	};
	(void)state;
	RUN(c);
}

static void test_wildcard_char_and_bounds(void **state)
{
	char out[8], big[4096], *longseg;
	size_t n;

	(void)state;
	n = route_heuristic("/users/12/x", 11, '~', big, sizeof(big));
	assert_string_equal(big, "/users/~/x");
	assert_int_equal(n, 10);
	/* a too small buffer cuts, always terminated */
	n = route_heuristic("/users/abcdef/12", 16, '*', out, sizeof(out));
	assert_int_equal(n, 7);
	assert_string_equal(out, "/users/");
	assert_int_equal(route_heuristic("/x", 2, '*', out, 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(route_heuristic(NULL, 5, '*', out, sizeof(out)), 0);
	assert_int_equal(route_heuristic("/x", 2, '*', NULL, 0), 0);
	/* more than 64 segments: the rest is one wildcard */
	{
		char path[400] = "", want[400] = "";
		for (int i = 0; i < 80; i++)
			strcat(path, "/a");
		for (int i = 0; i < ROUTE_HEUR_SEGS_MAX; i++)
			strcat(want, "/a");
		strcat(want, "/*");
		route_heuristic(path, strlen(path), '*', big, sizeof(big));
		assert_string_equal(big, want);
	}
	/* a segment longer than 256 bytes is an identifier, even if it is letters */
	longseg = malloc(302);
	assert_non_null(longseg);
	longseg[0] = '/';
	memset(longseg + 1, 'a', 300);
	longseg[301] = '\0';
	route_heuristic(longseg, 301, '*', big, sizeof(big));
	assert_string_equal(big, "/*");
	free(longseg);
	/* no recursion on input: a run of '@' is skipped in a loop */
	{
		char path[260] = "/";
		memset(path + 1, '@', 250);
		strcpy(path + 251, "abc");
		route_heuristic(path, strlen(path), '*', big, sizeof(big));
		assert_string_equal(big, path);
	}
	/* a version prefix at the very end of a 256-byte segment is read within bounds (ASan) */
	{
		char *seg = malloc(257);
		assert_non_null(seg);
		seg[0] = '/';
		memset(seg + 1, 'a', 256 - 7);
		memcpy(seg + 1 + 256 - 7, "-v1alph", 7);
		route_heuristic(seg, 257, '*', big, sizeof(big));
		memcpy(seg + 1 + 256 - 7, "-.v1bet", 7);
		route_heuristic(seg, 257, '*', big, sizeof(big));
		free(seg);
	}
	/* NUL ends the path */
	route_heuristic("/a\0/12", 6, '*', big, sizeof(big));
	assert_string_equal(big, "/a");
}

/* Malformed percent-escapes and binary bytes are classified, not trusted. */
static void test_malformed(void **state)
{
	static const struct heur_case c[] = {
	    {"/a/%", "/a/%"},
	    {"/a/%zz", "/a/%zz"},
	    {"/a/%2", "/a/*"}, /* a digit and no letter */
	    {"/x/gitlab-org%2Fgitlab", "/x/gitlab-org%2Fgitlab"},
	    {"/x/images%2F12.jpg", "/x/*"},
	    {"/x/%ff%fe", "/x/%ff%fe"},
	};
	char out[64];

	(void)state;
	RUN(c);
	route_heuristic("/\xff\xfe/\x01", 5, '*', out, sizeof(out));
	assert_int_equal(strlen(out), 5); /* no letters or digits: kept as bytes */
}

static void test_vocab_and_model(void **state)
{
	(void)state;
	assert_true(route_vocab_sorted());
	assert_true(route_vocab_tech_digit("AMD64", 5));
	assert_false(route_vocab_tech_digit("amd6", 4));
	assert_true(route_vocab_content_parent("blog", 4));
	assert_false(route_vocab_content_parent("blogs2", 6));
	/* English words cost less than random letters */
	assert_true(route_word_cost("kubernetes", 10) < route_word_cost("qzxkvbwj", 8));
	assert_false(route_word_random("observability", 13));
	assert_true(route_word_random("aBcDeFgH", 8));
	assert_true(route_word_random("HKZRTW", 6));
	assert_false(route_word_random("IncomingPhoneNumbers", 20));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identifiers),
	    cmocka_unit_test(test_slugs_and_versions),
	    cmocka_unit_test(test_kept),
	    cmocka_unit_test(test_query_and_fragment_dropped),
	    cmocka_unit_test(test_wildcard_char_and_bounds),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_vocab_and_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

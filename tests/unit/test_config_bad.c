/* test_config_bad.c: every bad-input class of issue 8 through config_load: exit 2, key, value, source, bounded time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

static char *write_tmp(const char *text)
{
	size_t len = strlen(text);
	char *path = strdup("/tmp/test_config_bad_XXXXXX.yaml");
	int fd;

	assert_non_null(path);
	fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs config_load for `proc` with stderr captured; returns its text (caller frees). */
static char *load_capture(char **argv, int argc, char *const *env, unsigned proc, int *rc,
			  double *secs)
{
	struct obi_config c;
	enum config_action act;
	FILE *tmp = tmpfile();
	int saved = dup(2);
	char *buf;
	long len;
	double t0;

	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	t0 = now_s();
	*rc = config_load(&c, argc, argv, env, proc, &act);
	*secs = now_s() - t0;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if (*rc == 0)
		config_free(&c);
	len = ftell(tmp);
	buf = calloc(1, (size_t)len + 1);
	assert_non_null(buf);
	rewind(tmp);
	assert_int_equal(fread(buf, 1, (size_t)len, tmp), (size_t)len);
	fclose(tmp);
	return buf;
}

struct bad_case {
	const char *what;
	const char *yaml;    /* file contents, or NULL */
	const char *env;     /* one K=V, or NULL */
	const char *need[4]; /* every one must be in stderr */
};

static void run_bad(const struct bad_case *k)
{
	char *path = k->yaml ? write_tmp(k->yaml) : NULL;
	char *argv[] = {"obi", "--check-config", "-config", path, NULL};
	char *env[] = {"OTEL_EBPF_OPEN_PORT=80", (char *)k->env, NULL};
	char line[64];
	double secs;
	int rc, i;
	char *out = load_capture(argv, path ? 4 : 2, env, CONFIG_PROC_ALL, &rc, &secs);

	if (rc != 2)
		fail_msg("%s: exit %d, stderr: %s", k->what, rc, out);
	for (i = 0; i < 4 && k->need[i]; i++) {
		const char *n = k->need[i];

		/* "@LINE" stands for the temporary file's name followed by ":LINE" */
		if (n[0] == '@') {
			snprintf(line, sizeof(line), "%s:%s", path, n + 1);
			n = line;
		}
		if (!strstr(out, n))
			fail_msg("%s: stderr lacks \"%s\": %s", k->what, n, out);
	}
	if (secs > 2.0)
		fail_msg("%s: took %.2f s", k->what, secs);
	free(out);
	if (path) {
		unlink(path);
		free(path);
	}
}

static void test_bad_classes(void **state)
{
	static const struct bad_case cases[] = {
	    {"wrong type", "ebpf:\n  max_connections: lots\n", NULL,
	     {"@2", "ebpf.max_connections", "\"lots\"", "expected a decimal integer"}},
	    {"wrong type env", NULL, "OTEL_EBPF_BPF_MAX_CONNECTIONS=lots",
	     {"OTEL_EBPF_BPF_MAX_CONNECTIONS (environment)", "\"lots\""}},
	    {"duration without unit", "otel_traces_export:\n  batch_timeout: 15\n", NULL,
	     {"@2", "otel_traces_export.batch_timeout", "\"15\"", "a unit is required"}},
	    {"backwards port range", "open_port: 9000-8000\n", NULL,
	     {"@1", "open_port", "9000-8000", "start is above end"}},
	    {"backwards port range in a selector",
	     "discovery:\n  instrument:\n    - open_ports: 9000-8000\n", NULL,
	     {"@3", "discovery.instrument[1].open_ports", "9000-8000"}},
	    {"invalid glob", "discovery:\n  instrument:\n    - exe_path: '*/{nginx'\n", NULL,
	     {"@3", "discovery.instrument[1].exe_path", "\"*/{nginx\"", "unterminated {"}},
	    {"invalid regex", "discovery:\n  services:\n    - exe_path: 'ngin(x'\n", NULL,
	     {"@3", "discovery.services[1].exe_path", "\"ngin(x\"", "invalid regex"}},
	    {"unknown unmatched mode", "routes:\n  unmatched: sometimes\n", NULL,
	     {"@2", "routes.unmatched", "\"sometimes\"", "heuristic"}},
	    {"list where a map belongs",
	     "filter:\n  application:\n    - url_path\n", NULL,
	     {"@3", "filter.application", "expected a mapping, not a list"}},
	    {"map where a list belongs", "routes:\n  patterns:\n    a: /b\n", NULL,
	     {"@3", "routes.patterns", "not a mapping"}},
	    {"mutually exclusive", "ebpf:\n  enable_context_propagation: true\n"
				   "  context_propagation: headers\n",
	     NULL, {"ebpf.enable_context_propagation", "ebpf.context_propagation",
		    "mutually exclusive"}},
	    {"mutually exclusive features", "metrics:\n  features: [application_span, "
					    "application_span_otel]\n",
	     NULL, {"application_span", "mutually exclusive"}},
	    {"unknown key", "routes:\n  paterns: [/a]\n", NULL, {"@2", "unknown key",
								   "routes.paterns"}},
	    {"unknown key in a selector", "discovery:\n  instrument:\n    - exe_path: x\n"
					  "      exe_paht: y\n",
	     NULL, {"@4", "discovery.instrument[1].exe_paht"}},
	    {"enricher uid 0", "probe:\n  enricher_uid: 0\n", NULL,
	     {"@2", "probe.enricher_uid", "0 out of range 1-"}},
	    {"probe gid 0", NULL, "OTEL_EBPF_PROBE_GID=0", {"OTEL_EBPF_PROBE_GID", "out of range"}},
	    {"queue below twice the batch", "otel_traces_export:\n  batch_max_size: 100\n"
					    "  queue_size: 150\n",
	     NULL, {"otel_traces_export.queue_size", "150", "twice"}},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_bad(&cases[i]);
}

/* 200k levels took 99 s in each process before the depth limit. */
static void test_deep_nesting(void **state)
{
	static const char *const opens[] = {"[", "{a: "}, *const closes[] = {"]", "}"};
	size_t depth = 200000, i, k;

	(void)state;
	for (k = 0; k < 2; k++) {
		size_t ol = strlen(opens[k]), off = 3;
		char *text = malloc(3 + depth * (ol + 1) + 2);
		struct bad_case c = {"deep", NULL, NULL, {"nested deeper than 32", "@1"}};

		assert_non_null(text);
		memcpy(text, "a: ", 3);
		for (i = 0; i < depth; i++, off += ol)
			memcpy(text + off, opens[k], ol);
		for (i = 0; i < depth; i++)
			text[off++] = closes[k][0];
		memcpy(text + off, "\n", 2);
		c.yaml = text;
		run_bad(&c);
		free(text);
	}
	/* exactly at the limit is fine for the parser (then the key is unknown) */
	{
		char text[256] = "x: ";
		struct bad_case c = {"at limit", text, NULL, {"unknown key \"x\"", "@1"}};

		for (i = 0; i < 31; i++)
			strcat(text, "[");
		for (i = 0; i < 31; i++)
			strcat(text, "]");
		strcat(text, "\n");
		run_bad(&c);
	}
}

/* A billion laughs aimed at a known list: refused once the expansion passes the node budget. */
static void test_alias_bomb(void **state)
{
	char text[16384];
	size_t off = 0;
	int i, j;
	struct bad_case c = {"alias bomb", text, NULL, {"alias bomb", "refused"}};

	(void)state;
	off += (size_t)snprintf(text + off, sizeof(text) - off,
				"x0: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
	for (i = 1; i < 4; i++) {
		off += (size_t)snprintf(text + off, sizeof(text) - off, "x%d: &l%d [", i, i);
		for (j = 0; j < 10; j++)
			off += (size_t)snprintf(text + off, sizeof(text) - off, "%s*l%d",
						j ? ", " : "", i - 1);
		off += (size_t)snprintf(text + off, sizeof(text) - off, "]\n");
	}
	off += (size_t)snprintf(text + off, sizeof(text) - off, "f: &flat [");
	for (j = 0; j < 500; j++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%sa", j ? "," : "");
	off += (size_t)snprintf(text + off, sizeof(text) - off, "]\n");
	/* 1000 selectors, each naming a 500-item list: 500k nodes, beyond the budget */
	off += (size_t)snprintf(text + off, sizeof(text) - off,
				"s: &s {exe_path: x, languages: *flat}\n"
				"discovery:\n  instrument: [");
	for (j = 0; j < 1000 && off < sizeof(text) - 16; j++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s*s", j ? "," : "");
	snprintf(text + off, sizeof(text) - off, "]\n");
	run_bad(&c);
}

/* Every error of a file and of the environment in one run, one line each, and a count. */
static void test_all_errors_at_once(void **state)
{
	char *path = write_tmp("open_port: 0\n"
			       "shutdown_timeout: 5\n"
			       "routes:\n  unmatched: nope\n  wildcard_char: ab\n"
			       "nonsense: 1\n"
			       "ebpf: {enable_context_propagation: true, context_propagation: tcp}\n");
	char *argv[] = {"obi", "--check-config", "-config", path, NULL};
	char *env[] = {"OTEL_EBPF_BPF_WAKEUP_LEN=x", "OTEL_TRACES_SAMPLER=coin", NULL};
	double secs;
	int rc;
	char *out = load_capture(argv, 4, env, CONFIG_PROC_ALL, &rc, &secs);
	static const char *const need[] = {":1: open_port",
					   ":2: shutdown_timeout",
					   ":4: routes.unmatched",
					   ":5: routes.wildcard_char: \"ab\" must be a single",
					   ":6: unknown key \"nonsense\"",
					   "OTEL_EBPF_BPF_WAKEUP_LEN (environment)",
					   "OTEL_TRACES_SAMPLER (environment): invalid value \"coin\"",
					   "mutually exclusive",
					   "config: 9 errors"}; /* and nothing to instrument */
	size_t i;

	(void)state;
	assert_int_equal(rc, 2);
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!strstr(out, need[i]))
			fail_msg("lacks \"%s\": %s", need[i], out);
	free(out);
	unlink(path);
	free(path);
}

/* Secrets appear neither in errors (also when ${VAR} copied them elsewhere) nor in the dump. */
static void test_secrets(void **state)
{
	char *path = write_tmp("log_level: ${OTEL_EXPORTER_OTLP_HEADERS}\n"
			       "trace_printer: \"x${OTEL_EXPORTER_OTLP_TRACES_HEADERS}\"\n");
	char *argv[] = {"obi", "--check-config", "-config", path, NULL};
	char *path2 = write_tmp("service_name: \"a-${OTEL_EXPORTER_OTLP_HEADERS}\"\n");
	char *env[] = {"OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer topsecret1",
		       "OTEL_EXPORTER_OTLP_TRACES_HEADERS=x-key=hunter22", "OTEL_EBPF_OPEN_PORT=80",
		       NULL};
	char *bad_env[] = {"OTEL_EXPORTER_OTLP_METRICS_HEADERS=Authorization=Bearer topsecret3,junk",
			   NULL};
	double secs;
	int rc;
	char *out = load_capture(argv, 4, env, CONFIG_PROC_ALL, &rc, &secs);

	(void)state;
	assert_int_equal(rc, 2);
	assert_non_null(strstr(out, "log_level: invalid value \"<redacted>\""));
	assert_non_null(strstr(out, "trace_printer"));
	assert_null(strstr(out, "topsecret1"));
	assert_null(strstr(out, "hunter22"));
	free(out);
	out = load_capture(bad_env, 1, bad_env, CONFIG_PROC_ENRICHER, &rc, &secs);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(out, "OTEL_EXPORTER_OTLP_METRICS_HEADERS"));
	assert_null(strstr(out, "topsecret3"));
	free(out);
	{
		struct obi_config c;
		enum config_action act;
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		char *dump2[] = {"obi", "--dump-config", "-config", path2, NULL};

		assert_int_equal(config_load(&c, 4, dump2, env, CONFIG_PROC_ALL, &act), 0);
		config_dump(&c, f);
		fclose(f);
		assert_null(strstr(text, "topsecret1"));
		assert_null(strstr(text, "hunter22"));
		assert_non_null(strstr(text, "# OTEL_EXPORTER_OTLP_HEADERS: \"<redacted>\""));
		/* copied by ${VAR} into a setting that is not secret */
		assert_non_null(strstr(text, "service_name: \"<redacted>\""));
		free(text);
		config_free(&c);
	}
	unlink(path);
	free(path);
	unlink(path2);
	free(path2);
}

/* user:password@ in an endpoint is a credential too, wherever it came from. */
static void test_endpoint_credentials(void **state)
{
	char *path = write_tmp("otel_traces_export:\n  endpoint: \"${EP}\"\n");
	char *argv[] = {"obi", "--check-config", "-config", path, NULL};
	char *bad[] = {"EP=https//12345:glc_tok3n@otlp.example", "OTEL_EBPF_OPEN_PORT=80", NULL};
	char *good[] = {"EP=https://12345:glc_tok3n@otlp.example/otlp", "OTEL_EBPF_OPEN_PORT=80",
			NULL};
	struct obi_config c;
	enum config_action act;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	double secs;
	int rc;
	char *out = load_capture(argv, 4, bad, CONFIG_PROC_ALL, &rc, &secs);

	(void)state;
	assert_int_equal(rc, 2);
	assert_non_null(strstr(out, "otel_traces_export.endpoint"));
	assert_null(strstr(out, "glc_tok3n"));
	free(out);
	assert_int_equal(config_load(&c, 4, argv, good, CONFIG_PROC_ALL, &act), 0);
	f = open_memstream(&text, &len);
	config_dump(&c, f);
	fclose(f);
	assert_null(strstr(text, "glc_tok3n"));
	assert_non_null(strstr(text, "endpoint: \"https://<redacted>@otlp.example/otlp\""));
	free(text);
	config_free(&c);
	unlink(path);
	free(path);
}

/* Strings are bounded: by the row (names 255) or globally (4096). */
static void test_bounded_strings(void **state)
{
	char big[6000];
	char env0[6100];
	char *env[] = {env0, NULL};
	struct obi_config c;
	char err[1024];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(env0, sizeof(env0), "OTEL_SERVICE_NAME=%s", big);
	config_init_defaults(&c);
	assert_int_equal(config_apply_env(&c, env, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 4096 bytes"));
	snprintf(env0, sizeof(env0), "OTEL_EBPF_KUBE_CLUSTER_NAME=%.300s", big);
	assert_int_equal(config_apply_env(&c, env, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 255 bytes"));
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_classes),	   cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_alias_bomb),	   cmocka_unit_test(test_all_errors_at_once),
	    cmocka_unit_test(test_secrets),	   cmocka_unit_test(test_endpoint_credentials),	   cmocka_unit_test(test_bounded_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

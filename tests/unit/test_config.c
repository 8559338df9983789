/* test_config.c: unit tests of the configuration schema, parsers, YAML/env loading, dump and docs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define ERRLEN 512

/* Writes `text` to a fresh temporary file; the caller unlinks and frees the returned path. */
static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/test_config_XXXXXX.yaml");
	int fd;
	size_t len = strlen(text);

	assert_non_null(path);
	fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static void drop_tmp(char *path)
{
	unlink(path);
	free(path);
}

/* Captures everything a function writes to a FILE into a heap string. */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static void capture_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

static char *capture_close(struct capture *c)
{
	fclose(c->f);
	return c->buf;
}

static void test_defaults(void **state)
{
	struct obi_config c;
	char err[ERRLEN];

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(c.open_port.n, 0);
	assert_null(c.auto_target_exe);
	assert_null(c.service_name);
	assert_null(c.service_namespace);
	assert_int_equal(c.log_level, CONFIG_LOG_INFO);
	assert_int_equal(c.trace_printer, CONFIG_PRINTER_DISABLED);
	assert_true(c.shutdown_timeout_ns == 10000000000ull);
	assert_int_equal(c.frontend, CONFIG_FRONTEND_AUTO);
	assert_int_equal(c.request_capture_size, 512);
	assert_int_equal(c.ringbuf_size, 4u << 20);
	assert_int_equal(c.max_connections, 8192);
	assert_int_equal(c.wakeup_len, 500);
	assert_true(c.drain_interval_ns == 10000000ull);
	assert_true(c.sweep_idle_ns == 200000000ull);
	assert_true(c.track_request_headers);
	assert_true(c.http_request_timeout_ns == 0);
	assert_int_equal(c.batch_length, 100);
	assert_true(c.batch_timeout_ns == 1000000000ull);
	assert_string_equal(c.socket_path, "/var/run/obi/obi.sock");
	assert_int_equal(c.enricher_uid, 65519);
	assert_int_equal(c.enricher_gid, 65519);
	assert_int_equal(c.probe_uid, 65518);
	assert_int_equal(c.probe_gid, 65518);
	assert_int_equal(c.send_queue_bytes, 8u << 20);
	assert_null(c.config_path);
	/* every default must pass validation, except the probe's "nothing selected" rule */
	assert_int_equal(
	    config_validate(&c, CONFIG_PROC_ENRICHER | CONFIG_PROC_LAUNCHER, err, sizeof(err)), 0);
	config_free(&c);
	config_free(&c); /* idempotent */
}

static void test_precedence(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	const char *yaml = "log_level: warn\n"
			   "service_name: from-yaml\n"
			   "ebpf:\n"
			   "  wakeup_len: 10\n"
			   "  batch_length: 7\n";
	char *const env[] = {"OTEL_EBPF_LOG_LEVEL=error", "OTEL_EBPF_BPF_WAKEUP_LEN=20",
			     "UNRELATED=1", "OTEL_EBPF_SOMETHING_UNKNOWN=zzz", NULL};

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml(&c, yaml, strlen(yaml), "t.yaml", err, sizeof(err)), 0);
	assert_int_equal(c.log_level, CONFIG_LOG_WARN);
	assert_int_equal(c.wakeup_len, 10);
	assert_int_equal(c.batch_length, 7);
	assert_string_equal(c.service_name, "from-yaml");
	assert_int_equal(config_apply_env(&c, env, err, sizeof(err)), 0);
	assert_int_equal(c.log_level, CONFIG_LOG_ERROR); /* env beats YAML */
	assert_int_equal(c.wakeup_len, 20);
	assert_int_equal(c.batch_length, 7);		  /* YAML beats default */
	assert_string_equal(c.service_name, "from-yaml"); /* untouched by env */
	assert_int_equal(c.max_connections, 8192);	  /* default */
	config_free(&c);
}

static void test_env_names(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	char *const both[] = {"OTEL_EBPF_SERVICE_NAME=second", "OTEL_SERVICE_NAME=first",
			      "OTEL_GO_AUTO_TARGET_EXE=/go/*", "OTEL_EBPF_AUTO_TARGET_EXE=*nginx*",
			      NULL};
	char *const fallback[] = {"OTEL_EBPF_SERVICE_NAME=second",
				  "OTEL_SERVICE_NAME=", "OTEL_GO_AUTO_TARGET_EXE=/go/*", NULL};

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_apply_env(&c, both, err, sizeof(err)), 0);
	assert_string_equal(c.service_name, "first");
	assert_string_equal(c.auto_target_exe, "*nginx*");
	/* setting a string twice frees the old one (ASan would report the leak) */
	assert_int_equal(config_apply_env(&c, fallback, err, sizeof(err)), 0);
	assert_string_equal(c.service_name, "second");
	assert_string_equal(c.auto_target_exe, "/go/*");
	config_free(&c);

	config_init_defaults(&c);
	assert_int_equal(config_apply_env(&c, NULL, err, sizeof(err)), 0);
	config_free(&c);
}

static void test_portlist_parse(void **state)
{
	struct config_portlist pl;
	char err[ERRLEN];

	(void)state;
	assert_int_equal(config_parse_portlist("80", &pl, err, sizeof(err)), 0);
	assert_int_equal(pl.n, 1);
	assert_true(config_portlist_contains(&pl, 80));
	assert_false(config_portlist_contains(&pl, 81));

	assert_int_equal(config_parse_portlist("80,443", &pl, err, sizeof(err)), 0);
	assert_int_equal(pl.n, 2);
	assert_true(config_portlist_contains(&pl, 443));
	assert_false(config_portlist_contains(&pl, 8080));

	assert_int_equal(config_parse_portlist(" 8000 - 8999 ", &pl, err, sizeof(err)), 0);
	assert_int_equal(pl.n, 1);
	assert_int_equal(pl.r[0].lo, 8000);
	assert_int_equal(pl.r[0].hi, 8999);
	assert_true(config_portlist_contains(&pl, 8000));
	assert_true(config_portlist_contains(&pl, 8500));
	assert_true(config_portlist_contains(&pl, 8999));
	assert_false(config_portlist_contains(&pl, 7999));
	assert_false(config_portlist_contains(&pl, 9000));

	assert_int_equal(config_parse_portlist("80,443,8000-8999", &pl, err, sizeof(err)), 0);
	assert_int_equal(pl.n, 3);
	assert_true(config_portlist_contains(&pl, 80));
	assert_true(config_portlist_contains(&pl, 443));
	assert_true(config_portlist_contains(&pl, 8123));
	assert_false(config_portlist_contains(&pl, 1));
	assert_false(config_portlist_contains(&pl, 65535));

	assert_int_equal(config_parse_portlist("1,65535", &pl, err, sizeof(err)), 0);
	assert_true(config_portlist_contains(&pl, 65535));
	assert_int_equal(config_parse_portlist("7-7", &pl, err, sizeof(err)), 0);
	assert_true(config_portlist_contains(&pl, 7));
	assert_false(config_portlist_contains(NULL, 80));
}

static void test_portlist_errors(void **state)
{
	struct config_portlist pl = {.n = 1, .r = {{80, 80}}};
	char err[ERRLEN];
	char many[1024] = "";
	int i;

	(void)state;
	assert_int_equal(config_parse_portlist("abc", &pl, err, sizeof(err)), -1);
	assert_string_equal(err, "invalid port list \"abc\": expected PORT or LO-HI");
	assert_int_equal(pl.n, 1); /* untouched on error */

	assert_int_equal(config_parse_portlist("0", &pl, err, sizeof(err)), -1);
	assert_string_equal(err, "port 0 out of range 1-65535");
	assert_int_equal(config_parse_portlist("70000", &pl, err, sizeof(err)), -1);
	assert_string_equal(err, "port 70000 out of range 1-65535");
	assert_int_equal(config_parse_portlist("99999999999999999999", &pl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(config_parse_portlist("80-70000", &pl, err, sizeof(err)), -1);
	assert_string_equal(err, "port 70000 out of range 1-65535");
	assert_int_equal(config_parse_portlist("90-80", &pl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "90-80"));
	assert_int_equal(config_parse_portlist("80,", &pl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty entry"));
	assert_int_equal(config_parse_portlist(",80", &pl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty entry"));
	assert_int_equal(config_parse_portlist("", &pl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(config_parse_portlist("80-", &pl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "expected PORT or LO-HI"));
	assert_int_equal(config_parse_portlist("80 443", &pl, err, sizeof(err)), -1);
	assert_int_equal(config_parse_portlist("-80", &pl, err, sizeof(err)), -1);
	assert_int_equal(config_parse_portlist("80;443", &pl, err, sizeof(err)), -1);
	assert_int_equal(config_parse_portlist(NULL, &pl, err, sizeof(err)), -1);

	for (i = 0; i < CONFIG_PORTLIST_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s%d", i ? "," : "",
			 i + 1);
	assert_int_equal(config_parse_portlist(many, &pl, err, sizeof(err)), 0);
	assert_int_equal(pl.n, CONFIG_PORTLIST_MAX);
	strcat(many, ",1000");
	assert_int_equal(config_parse_portlist(many, &pl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too many"));
}

static void test_env_open_port(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	char *const good[] = {"OTEL_EBPF_OPEN_PORT=80,443,8000-8999", NULL};
	char *const bad[] = {"OTEL_EBPF_OPEN_PORT=abc", NULL};
	char *const empty[] = {"OTEL_EBPF_OPEN_PORT=", NULL};
	char *const zero[] = {"OTEL_EBPF_OPEN_PORT=0", NULL};

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_apply_env(&c, good, err, sizeof(err)), 0);
	assert_int_equal(c.open_port.n, 3);
	assert_true(config_portlist_contains(&c.open_port, 8080));
	/* empty = unset: the previous value stays */
	assert_int_equal(config_apply_env(&c, empty, err, sizeof(err)), 0);
	assert_int_equal(c.open_port.n, 3);
	assert_int_equal(config_apply_env(&c, bad, err, sizeof(err)), -1);
	assert_string_equal(err, "config: OTEL_EBPF_OPEN_PORT (environment): invalid port list "
				 "\"abc\": expected PORT or LO-HI");
	assert_int_equal(config_apply_env(&c, zero, err, sizeof(err)), -1);
	assert_string_equal(
	    err, "config: OTEL_EBPF_OPEN_PORT (environment): port 0 out of range 1-65535");
	config_free(&c);
}

static void test_yaml_ports(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	const char *scalar = "open_port: \"80,443\"\n";
	const char *number = "open_port: 8080\n";
	const char *seq = "open_port:\n  - 80\n  - \"8000-8999\"\n  - 443\n";
	const char *flow = "open_port: [22, 1000-2000]\n";
	const char *bad = "# comment\n\nopen_port: 70000\n";
	const char *badseq = "open_port:\n  - 80\n  - 90-80\n";
	const char *nested = "open_port:\n  - [80]\n";

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml(&c, scalar, strlen(scalar), "x.yaml", err, sizeof(err)),
			 0);
	assert_int_equal(c.open_port.n, 2);
	assert_int_equal(config_apply_yaml(&c, number, strlen(number), "x.yaml", err, sizeof(err)),
			 0);
	assert_int_equal(c.open_port.n, 1);
	assert_true(config_portlist_contains(&c.open_port, 8080));
	assert_int_equal(config_apply_yaml(&c, seq, strlen(seq), "x.yaml", err, sizeof(err)), 0);
	assert_int_equal(c.open_port.n, 3);
	assert_true(config_portlist_contains(&c.open_port, 80));
	assert_true(config_portlist_contains(&c.open_port, 8500));
	assert_true(config_portlist_contains(&c.open_port, 443));
	assert_false(config_portlist_contains(&c.open_port, 9000));
	assert_int_equal(config_apply_yaml(&c, flow, strlen(flow), "x.yaml", err, sizeof(err)), 0);
	assert_int_equal(c.open_port.n, 2);
	assert_true(config_portlist_contains(&c.open_port, 1500));

	assert_int_equal(config_apply_yaml(&c, bad, strlen(bad), "/tmp/x.yaml", err, sizeof(err)),
			 -1);
	assert_string_equal(err,
			    "config: /tmp/x.yaml:3: open_port: port 70000 out of range 1-65535");
	assert_int_equal(
	    config_apply_yaml(&c, badseq, strlen(badseq), "/tmp/x.yaml", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/tmp/x.yaml:3: open_port:"));
	assert_int_equal(
	    config_apply_yaml(&c, nested, strlen(nested), "/tmp/x.yaml", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "open_port"));
	config_free(&c);
}

static void test_yaml_unknown_key(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	const char *typo = "log_level: INFO\n"
			   "ebpf:\n"
			   "  wakeup_len: 5\n"
			   "  batch_length: 5\n"
			   "  batch_timeout: 2s\n"
			   "  drain_interval: 5ms\n"
			   "  wakup_len: 5\n";
	const char *top = "nonsense: 1\n";
	const char *leaf_as_map = "log_level:\n  x: 1\n";
	const char *section_as_value = "ebpf: 5\n";
	const char *empty_section = "ebpf:\nprobe: ~\n";
	const char *list_for_scalar = "log_level: [INFO]\n";
	const char *unknown_map = "telemetry:\n  services: []\n";
	const char *complex_key = "? [a]\n: 1\n";

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml(&c, typo, strlen(typo), "/tmp/x.yaml", err, sizeof(err)),
			 -1);
	assert_string_equal(err, "config: /tmp/x.yaml:7: unknown key \"ebpf.wakup_len\"");
	assert_int_equal(config_apply_yaml(&c, top, strlen(top), "f.yaml", err, sizeof(err)), -1);
	assert_string_equal(err, "config: f.yaml:1: unknown key \"nonsense\"");
	assert_int_equal(
	    config_apply_yaml(&c, leaf_as_map, strlen(leaf_as_map), "f.yaml", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "log_level"));
	assert_int_equal(config_apply_yaml(&c, section_as_value, strlen(section_as_value), "f.yaml",
					   err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "section"));
	assert_int_equal(
	    config_apply_yaml(&c, empty_section, strlen(empty_section), "f.yaml", err, sizeof(err)),
	    0);
	assert_int_equal(config_apply_yaml(&c, list_for_scalar, strlen(list_for_scalar), "f.yaml",
					   err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "f.yaml:1: log_level"));
	assert_int_equal(
	    config_apply_yaml(&c, unknown_map, strlen(unknown_map), "f.yaml", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "config: f.yaml:1: unknown key \"telemetry\"");
	assert_int_equal(
	    config_apply_yaml(&c, complex_key, strlen(complex_key), "f.yaml", err, sizeof(err)),
	    -1);
	config_free(&c);
}

static void test_yaml_syntax_error(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	const char *bad = "log_level: INFO\nfoo: bar: baz\n";
	const char *two_docs = "log_level: INFO\n---\nlog_level: WARN\n";
	const char *scalar_root = "just a string\n";

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml(&c, bad, strlen(bad), "/tmp/x.yaml", err, sizeof(err)),
			 -1);
	assert_string_equal(err, "config: /tmp/x.yaml:2:9: YAML syntax error: mapping values are "
				 "not allowed in this context");
	assert_int_equal(
	    config_apply_yaml(&c, two_docs, strlen(two_docs), "/tmp/x.yaml", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/tmp/x.yaml:3"));
	assert_int_equal(config_apply_yaml(&c, scalar_root, strlen(scalar_root), "/tmp/x.yaml", err,
					   sizeof(err)),
			 -1);
	/* empty and comment-only documents are fine */
	assert_int_equal(config_apply_yaml(&c, "", 0, "e.yaml", err, sizeof(err)), 0);
	assert_int_equal(config_apply_yaml(&c, "# nothing\n", 10, "e.yaml", err, sizeof(err)), 0);
	assert_int_equal(config_apply_yaml(&c, NULL, 0, NULL, err, sizeof(err)), 0);
	config_free(&c);
}

static void test_yaml_all_types(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	const char *yaml = "service_name: \"svc\"\n"
			   "service_namespace: ns\n"
			   "trace_printer: JSON_indent\n"
			   "shutdown_timeout: 1m30s\n"
			   "ebpf:\n"
			   "  capture_frontend: syscall\n"
			   "  request_capture_size: \"1024\"\n"
			   "  ringbuf_size: 16MiB\n"
			   "  max_connections: 256\n"
			   "  wakeup_len: 0\n"
			   "  drain_interval: 1ms\n"
			   "  sweep_idle: 1m\n"
			   "  track_request_headers: false\n"
			   "  http_request_timeout: 30s\n"
			   "  batch_length: 1\n"
			   "  batch_timeout: 1.5s\n"
			   "probe:\n"
			   "  socket_path: /run/x.sock\n"
			   "  enricher_uid: 4000\n"
			   "  enricher_gid: 1000\n"
			   "  send_queue_size: 1GiB\n"
			   "service_name: svc2\n" /* a repeated key wins and frees the old value */
			   "service_namespace: null\n";

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml(&c, yaml, strlen(yaml), "a.yaml", err, sizeof(err)), 0);
	assert_string_equal(c.service_name, "svc2");
	assert_string_equal(c.service_namespace, "ns"); /* null keeps the previous value */
	assert_int_equal(c.trace_printer, CONFIG_PRINTER_JSON_INDENT);
	assert_true(c.shutdown_timeout_ns == 90000000000ull);
	assert_int_equal(c.frontend, CONFIG_FRONTEND_SYSCALL);
	assert_int_equal(c.request_capture_size, 1024);
	assert_int_equal(c.ringbuf_size, 16u << 20);
	assert_int_equal(c.max_connections, 256);
	assert_int_equal(c.wakeup_len, 0);
	assert_true(c.drain_interval_ns == 1000000ull);
	assert_true(c.sweep_idle_ns == 60000000000ull);
	assert_false(c.track_request_headers);
	assert_true(c.http_request_timeout_ns == 30000000000ull);
	assert_int_equal(c.batch_length, 1);
	assert_true(c.batch_timeout_ns == 1500000000ull);
	assert_string_equal(c.socket_path, "/run/x.sock");
	assert_int_equal(c.enricher_uid, 4000);
	assert_int_equal(c.enricher_gid, 1000);
	assert_int_equal(c.send_queue_bytes, 1u << 30);
	config_free(&c);
}

static void test_range_errors(void **state)
{
	static const struct {
		const char *env;
		const char *needle;
	} cases[] = {
	    {"OTEL_EBPF_BPF_REQUEST_CAPTURE_SIZE=63", "63 out of range 64-1024"},
	    {"OTEL_EBPF_BPF_REQUEST_CAPTURE_SIZE=1025", "1025 out of range 64-1024"},
	    {"OTEL_EBPF_BPF_REQUEST_CAPTURE_SIZE=12x", "invalid number"},
	    {"OTEL_EBPF_BPF_REQUEST_CAPTURE_SIZE=-5", "invalid number"},
	    {"OTEL_EBPF_BPF_RINGBUF_SIZE=3MiB", "power of two"},
	    {"OTEL_EBPF_BPF_RINGBUF_SIZE=32KiB", "out of range 64KiB-256MiB"},
	    {"OTEL_EBPF_BPF_RINGBUF_SIZE=512MiB", "out of range"},
	    {"OTEL_EBPF_BPF_RINGBUF_SIZE=99999999999GiB", "invalid size"},
	    {"OTEL_EBPF_BPF_MAX_CONNECTIONS=255", "out of range"},
	    {"OTEL_EBPF_BPF_MAX_CONNECTIONS=99999999999999999999999", "invalid number"},
	    {"OTEL_EBPF_BPF_WAKEUP_LEN=1000001", "out of range"},
	    {"OTEL_EBPF_BPF_DRAIN_INTERVAL=2s", "2s out of range 1ms-1s"},
	    {"OTEL_EBPF_BPF_DRAIN_INTERVAL=500us", "out of range"},
	    {"OTEL_EBPF_BPF_DRAIN_INTERVAL=10", "a unit is required"},
	    {"OTEL_EBPF_BPF_SWEEP_IDLE=2m", "out of range 10ms-1m"},
	    {"OTEL_EBPF_BPF_TRACK_REQUEST_HEADERS=yes", "invalid boolean \"yes\""},
	    {"OTEL_EBPF_BPF_BATCH_LENGTH=0", "0 is below the minimum 1"},
	    {"OTEL_EBPF_BPF_BATCH_LENGTH=4294967296", "above the maximum"},
	    {"OTEL_EBPF_PROBE_SOCKET_PATH=relative.sock", "absolute"},
	    {"OTEL_EBPF_PROBE_SEND_QUEUE_SIZE=2GiB", "out of range 64KiB-1GiB"},
	    {"OTEL_EBPF_ENRICHER_UID=4294967295", "out of range"},
	    {"OTEL_EBPF_ENRICHER_UID=0", "0 out of range 1-4294967294"},
	    {"OTEL_EBPF_PROBE_UID=0", "0 out of range 1-4294967294"},
	    {"OTEL_EBPF_SHUTDOWN_TIMEOUT=-1s", "invalid duration"},
	};
	struct obi_config c;
	char err[ERRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *env[] = {(char *)cases[i].env, NULL};
		char name[64];

		snprintf(name, sizeof(name), "%.*s",
			 (int)(strchr(cases[i].env, '=') - cases[i].env), cases[i].env);
		config_init_defaults(&c);
		err[0] = '\0';
		if (config_apply_env(&c, env, err, sizeof(err)) != -1 ||
		    !strstr(err, cases[i].needle) || !strstr(err, name) ||
		    strncmp(err, "config: ", 8) != 0)
			fail_msg("%s: got \"%s\"", cases[i].env, err);
		config_free(&c);
	}
}

static void test_long_socket_path(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	char env0[200] = "OTEL_EBPF_PROBE_SOCKET_PATH=/";
	char *env[] = {env0, NULL};

	(void)state;
	memset(env0 + strlen(env0), 'a', 120);
	config_init_defaults(&c);
	assert_int_equal(config_apply_env(&c, env, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	config_free(&c);
}

static void test_enum(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	char *const lower[] = {"OTEL_EBPF_LOG_LEVEL=debug", "OTEL_EBPF_TRACE_PRINTER=Text",
			       "OTEL_EBPF_BPF_CAPTURE_FRONTEND=SOCKET", NULL};
	char *const mixed[] = {"OTEL_EBPF_LOG_LEVEL=wArN", NULL};
	char *const bad[] = {"OTEL_EBPF_LOG_LEVEL=verbose", NULL};
	char *const badp[] = {"OTEL_EBPF_TRACE_PRINTER=xml", NULL};

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_apply_env(&c, lower, err, sizeof(err)), 0);
	assert_int_equal(c.log_level, CONFIG_LOG_DEBUG);
	assert_int_equal(c.trace_printer, CONFIG_PRINTER_TEXT);
	assert_int_equal(c.frontend, CONFIG_FRONTEND_SOCKET);
	assert_int_equal(config_apply_env(&c, mixed, err, sizeof(err)), 0);
	assert_int_equal(c.log_level, CONFIG_LOG_WARN);
	assert_int_equal(config_apply_env(&c, bad, err, sizeof(err)), -1);
	assert_string_equal(err, "config: OTEL_EBPF_LOG_LEVEL (environment): invalid value "
				 "\"verbose\": expected one of DEBUG, INFO, WARN, ERROR");
	assert_int_equal(config_apply_env(&c, badp, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "OTEL_EBPF_TRACE_PRINTER"));
	assert_non_null(strstr(err, "json_indent"));
	config_free(&c);
}

static void test_duration(void **state)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t ns;
	} cases[] = {
	    {"0", 0, 0},
	    {"0s", 0, 0},
	    {"+5s", 0, 5000000000ull},
	    {"300ms", 0, 300000000ull},
	    {"1.5s", 0, 1500000000ull},
	    {".5s", 0, 500000000ull},
	    {"1.s", 0, 1000000000ull},
	    {"1m30s", 0, 90000000000ull},
	    {"2h", 0, 7200000000000ull},
	    {"1h2m3s4ms5us6ns", 0, 3723004005006ull},
	    {"10us", 0, 10000ull},
	    {"10\xc2\xb5s", 0, 10000ull},
	    {"10\xce\xbcs", 0, 10000ull},
	    {"5ns", 0, 5ull},
	    {"1.000000001s", 0, 1000000001ull},
	    {"0.1234567891234567891234s", 0, 123456789ull},
	    {"2562047h", 0, 2562047ull * 3600000000000ull},
	    {"10", -1, 0},
	    {"1", -1, 0},
	    {"", -1, 0},
	    {"s", -1, 0},
	    {".s", -1, 0},
	    {"1x", -1, 0},
	    {"1 s", -1, 0},
	    {"-1s", -1, 0},
	    {"1s ", -1, 0},
	    {"10sm", -1, 0},
	    {"99999999999999999999s", -1, 0},
	    {"5124095576h", -1, 0},
	    {"1.5", -1, 0},
	};
	size_t i;
	uint64_t ns;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ns = 12345;
		int rc = config_parse_duration(cases[i].s, &ns);

		if (rc != cases[i].rc || (rc == 0 && ns != cases[i].ns))
			fail_msg("duration \"%s\": rc %d ns %llu", cases[i].s, rc,
				 (unsigned long long)ns);
	}
	assert_int_equal(config_parse_duration(NULL, &ns), -1);
}

static void test_size(void **state)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t v;
	} cases[] = {
	    {"0", 0, 0},
	    {"4096", 0, 4096},
	    {"4096B", 0, 4096},
	    {"4KiB", 0, 4096},
	    {"8MiB", 0, 8ull << 20},
	    {"2GiB", 0, 2ull << 30},
	    {"4KB", 0, 4000},
	    {"3MB", 0, 3000000},
	    {"1GB", 0, 1000000000},
	    {"4 MiB", 0, 4ull << 20},
	    {"4kib", -1, 0},
	    {"4mb", -1, 0},
	    {"4K", -1, 0},
	    {"KiB", -1, 0},
	    {"", -1, 0},
	    {"-1", -1, 0},
	    {"1.5MiB", -1, 0},
	    {"4MiBx", -1, 0},
	    {"18446744073709551615", 0, UINT64_MAX},
	    {"18446744073709551616", -1, 0},
	    {"17179869184GiB", -1, 0},
	};
	size_t i;
	uint64_t v;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 777;
		int rc = config_parse_size(cases[i].s, &v);

		if (rc != cases[i].rc || (rc == 0 && v != cases[i].v))
			fail_msg("size \"%s\": rc %d v %llu", cases[i].s, rc,
				 (unsigned long long)v);
	}
}

static void test_bool(void **state)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
	static const char *const bad[] = {"", "yes", "no", "on", "tRUE", "2", " true", "truex"};
	size_t i;
	bool b;

	(void)state;
	for (i = 0; i < 6; i++) {
		b = false;
		assert_int_equal(config_parse_bool(yes[i], &b), 0);
		assert_true(b);
		b = true;
		assert_int_equal(config_parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(config_parse_bool(bad[i], &b), -1);
}

static void test_yaml_file_env_expansion(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	char *path = write_tmp("service_name: ${SVC}-x\n"
			       "service_namespace: \"${UNSET_VAR_XYZ}ns\"\n"
			       "ebpf:\n"
			       "  wakeup_len: ${WAKE}\n"
			       "trace_printer: $NOT_EXPANDED\n");
	char *path2 = write_tmp("service_name: ${UNTERMINATED\n");
	char *const env[] = {"SVC=shop", "WAKE=42", NULL};

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml_file(&c, path, env, err, sizeof(err)), -1);
	/* "$NOT_EXPANDED" stays literal and is not a printer name */
	assert_non_null(strstr(err, "trace_printer"));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ":5:"));
	assert_string_equal(c.service_name, "shop-x");
	assert_string_equal(c.service_namespace, "ns");
	assert_int_equal(c.wakeup_len, 42);
	assert_int_equal(config_apply_yaml_file(&c, path2, env, err, sizeof(err)), 0);
	assert_string_equal(c.service_name, "${UNTERMINATED");
	assert_int_equal(config_apply_yaml_file(&c, "/nonexistent/obi.yaml", env, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "/nonexistent/obi.yaml"));
	config_free(&c);
	drop_tmp(path);
	drop_tmp(path2);
}

static void test_load_argv(void **state)
{
	struct obi_config c;
	enum config_action act = CONFIG_ACTION_DUMP;
	char *path = write_tmp("open_port: 8080\nlog_level: debug\n");
	char *path2 = write_tmp("open_port: 9090\nlog_level: error\n");
	char eq[300];
	char *argv1[] = {"obi-probe", "-config", path, NULL};
	char *argv2[] = {"obi-probe", "--config", path, NULL};
	char *argv3[] = {"obi-probe", eq, NULL};
	char envp_path[300];
	char *const env_wins[] = {envp_path, NULL};
	char *const env_over[] = {"OTEL_EBPF_LOG_LEVEL=WARN", NULL};

	(void)state;
	snprintf(eq, sizeof(eq), "-config=%s", path);
	snprintf(envp_path, sizeof(envp_path), "OTEL_EBPF_CONFIG_PATH=%s", path2);

	assert_int_equal(config_load(&c, 3, argv1, NULL, CONFIG_PROC_PROBE, &act), 0);
	assert_int_equal(act, CONFIG_ACTION_RUN);
	assert_true(config_portlist_contains(&c.open_port, 8080));
	assert_int_equal(c.log_level, CONFIG_LOG_DEBUG);
	assert_string_equal(c.config_path, path);
	config_free(&c);

	assert_int_equal(config_load(&c, 3, argv2, env_over, CONFIG_PROC_PROBE, &act), 0);
	assert_int_equal(c.log_level, CONFIG_LOG_WARN);
	config_free(&c);

	assert_int_equal(config_load(&c, 2, argv3, NULL, CONFIG_PROC_PROBE, &act), 0);
	assert_true(config_portlist_contains(&c.open_port, 8080));
	config_free(&c);

	/* OTEL_EBPF_CONFIG_PATH wins over -config, as in OBI */
	assert_int_equal(config_load(&c, 3, argv1, env_wins, CONFIG_PROC_PROBE, &act), 0);
	assert_true(config_portlist_contains(&c.open_port, 9090));
	assert_false(config_portlist_contains(&c.open_port, 8080));
	assert_int_equal(c.log_level, CONFIG_LOG_ERROR);
	assert_string_equal(c.config_path, path2);
	config_free(&c);

	/* only the environment path */
	assert_int_equal(config_load(&c, 1, argv1, env_wins, CONFIG_PROC_PROBE, &act), 0);
	assert_true(config_portlist_contains(&c.open_port, 9090));
	config_free(&c);

	drop_tmp(path);
	drop_tmp(path2);
}

static void test_load_actions(void **state)
{
	struct obi_config c;
	enum config_action act = CONFIG_ACTION_RUN;
	char *const env[] = {"OTEL_EBPF_OPEN_PORT=80", NULL};
	char *check[] = {"obi", "--check-config", NULL};
	char *check1[] = {"obi", "-check-config", NULL};
	char *dump[] = {"obi", "--dump-config", NULL};
	char *docs[] = {"obi", "--config-docs", NULL};
	char *bad[] = {"obi", "--bogus", NULL};
	char *positional[] = {"obi", "extra", NULL};
	char *missing[] = {"obi", "-config", NULL};
	char *nofile[] = {"obi", "-config", "/nonexistent/x.yaml", NULL};

	(void)state;
	assert_int_equal(config_load(&c, 2, check, env, CONFIG_PROC_PROBE, &act), 0);
	assert_int_equal(act, CONFIG_ACTION_CHECK);
	config_free(&c);
	assert_int_equal(config_load(&c, 2, check1, env, CONFIG_PROC_PROBE, &act), 0);
	assert_int_equal(act, CONFIG_ACTION_CHECK);
	config_free(&c);
	/* dump and docs work without a selector, so users can see what is missing */
	assert_int_equal(config_load(&c, 2, dump, NULL, CONFIG_PROC_PROBE, &act), 0);
	assert_int_equal(act, CONFIG_ACTION_DUMP);
	config_free(&c);
	assert_int_equal(config_load(&c, 2, docs, NULL, CONFIG_PROC_PROBE, &act), 0);
	assert_int_equal(act, CONFIG_ACTION_DOCS);
	config_free(&c);

	assert_int_equal(config_load(&c, 2, bad, env, CONFIG_PROC_PROBE, &act), 2);
	assert_int_equal(config_load(&c, 2, positional, env, CONFIG_PROC_PROBE, &act), 2);
	assert_int_equal(config_load(&c, 2, missing, env, CONFIG_PROC_PROBE, &act), 2);
	assert_int_equal(config_load(&c, 3, nofile, env, CONFIG_PROC_PROBE, &act), 2);
	/* nothing selected is an error for the probe only */
	assert_int_equal(config_load(&c, 2, check, NULL, CONFIG_PROC_PROBE, &act), 2);
	assert_int_equal(config_load(&c, 2, check, NULL, CONFIG_PROC_ENRICHER, &act), 0);
	config_free(&c);
	assert_int_equal(config_load(&c, 1, check, NULL, CONFIG_PROC_LAUNCHER, &act), 0);
	assert_int_equal(act, CONFIG_ACTION_RUN);
	config_free(&c);
	/* a bad env value is a load error too */
	{
		char *const badenv[] = {"OTEL_EBPF_OPEN_PORT=80", "OTEL_EBPF_BPF_WAKEUP_LEN=x",
					NULL};

		assert_int_equal(config_load(&c, 1, check, badenv, CONFIG_PROC_PROBE, &act), 2);
	}
}

static void test_validate(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	char *const exe[] = {"OTEL_EBPF_AUTO_TARGET_EXE=*nginx*", NULL};

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_validate(&c, CONFIG_PROC_PROBE, err, sizeof(err)), -1);
	assert_string_equal(err,
			    "config: nothing to instrument: set OTEL_EBPF_OPEN_PORT or "
			    "OTEL_EBPF_AUTO_TARGET_EXE, or discovery.instrument (or open_port) "
			    "in the YAML file");
	assert_int_equal(config_validate(&c, CONFIG_PROC_ENRICHER, err, sizeof(err)), 0);
	assert_int_equal(config_apply_env(&c, exe, err, sizeof(err)), 0);
	assert_int_equal(config_validate(&c, CONFIG_PROC_ALL, err, sizeof(err)), 0);

	/* fields changed behind the parser's back are still checked */
	c.ringbuf_size = 3u << 20;
	assert_int_equal(config_validate(&c, CONFIG_PROC_PROBE, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ebpf.ringbuf_size"));
	assert_non_null(strstr(err, "power of two"));
	assert_int_equal(config_validate(&c, CONFIG_PROC_ENRICHER, err, sizeof(err)), 0);
	c.ringbuf_size = 1u << 20;
	free(c.socket_path);
	c.socket_path = strdup("run/obi.sock");
	assert_int_equal(config_validate(&c, CONFIG_PROC_ENRICHER, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "probe.socket_path"));
	free(c.socket_path);
	c.socket_path = NULL;
	assert_int_equal(config_validate(&c, CONFIG_PROC_ENRICHER, err, sizeof(err)), -1);
	c.socket_path = strdup("/run/obi.sock");
	c.batch_length = 0;
	/* only the probe batches, so only the probe checks it */
	assert_int_equal(config_validate(&c, CONFIG_PROC_ENRICHER, err, sizeof(err)), 0);
	c.open_port.n = 1;
	assert_int_equal(config_validate(&c, CONFIG_PROC_PROBE, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ebpf.batch_length"));
	config_free(&c);
}

static void test_dump(void **state)
{
	struct obi_config c, back;
	struct capture cap;
	char err[ERRLEN];
	char *out;
	char *const env[] = {"OTEL_EBPF_OPEN_PORT=80,8000-8999",
			     "OTEL_EBPF_AUTO_TARGET_EXE=*py\"*",
			     "OTEL_SERVICE_NAME=a\\b",
			     "OTEL_EBPF_BPF_DRAIN_INTERVAL=1500us",
			     "OTEL_EBPF_SHUTDOWN_TIMEOUT=1h30m0.25s",
			     NULL};

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_apply_env(&c, env, err, sizeof(err)), 0);
	capture_open(&cap);
	config_dump(&c, cap.f);
	out = capture_close(&cap);
	assert_non_null(strstr(out, "open_port: \"80,8000-8999\"\n"));
	assert_non_null(strstr(out, "# OTEL_EBPF_AUTO_TARGET_EXE: \"*py\\\"*\"\n"));
	assert_non_null(strstr(out, "service_name: \"a\\\\b\"\n"));
	assert_non_null(strstr(out, "service_namespace: null\n"));
	assert_non_null(strstr(out, "log_level: INFO\n"));
	assert_non_null(strstr(out, "shutdown_timeout: 1h30m0.25s\n"));
	assert_non_null(strstr(out, "ebpf:\n  capture_frontend: auto\n"));
	assert_non_null(strstr(out, "  ringbuf_size: 4MiB\n"));
	assert_non_null(strstr(out, "  drain_interval: 1.5ms\n"));
	assert_non_null(strstr(out, "  track_request_headers: true\n"));
	assert_non_null(strstr(out, "  http_request_timeout: 0s\n"));
	assert_non_null(strstr(out, "probe:\n  socket_path: \"/var/run/obi/obi.sock\"\n"));
	assert_non_null(strstr(out, "  send_queue_size: 8MiB\n"));
	/* every section is opened once */
	assert_null(strstr(strstr(out, "ebpf:") + 1, "ebpf:"));

	/* the dump is itself a valid configuration file that reproduces the settings */
	config_init_defaults(&back);
	assert_int_equal(config_apply_yaml(&back, out, strlen(out), "dump", err, sizeof(err)), 0);
	assert_int_equal(back.open_port.n, 2);
	assert_true(config_portlist_contains(&back.open_port, 8500));
	assert_string_equal(back.service_name, "a\\b");
	assert_true(back.drain_interval_ns == 1500000ull);
	assert_true(back.shutdown_timeout_ns == c.shutdown_timeout_ns);
	assert_int_equal(back.ringbuf_size, c.ringbuf_size);
	config_free(&back);
	free(out);
	config_free(&c);
}

static void test_docs(void **state)
{
	static const char *const names[] = {
	    "OTEL_EBPF_OPEN_PORT",
	    "OTEL_EBPF_AUTO_TARGET_EXE",
	    "OTEL_GO_AUTO_TARGET_EXE",
	    "OTEL_SERVICE_NAME",
	    "OTEL_EBPF_SERVICE_NAME",
	    "OTEL_EBPF_SERVICE_NAMESPACE",
	    "OTEL_EBPF_LOG_LEVEL",
	    "OTEL_EBPF_TRACE_PRINTER",
	    "OTEL_EBPF_SHUTDOWN_TIMEOUT",
	    "OTEL_EBPF_BPF_CAPTURE_FRONTEND",
	    "OTEL_EBPF_BPF_REQUEST_CAPTURE_SIZE",
	    "OTEL_EBPF_BPF_RINGBUF_SIZE",
	    "OTEL_EBPF_BPF_MAX_CONNECTIONS",
	    "OTEL_EBPF_BPF_WAKEUP_LEN",
	    "OTEL_EBPF_BPF_DRAIN_INTERVAL",
	    "OTEL_EBPF_BPF_SWEEP_IDLE",
	    "OTEL_EBPF_BPF_TRACK_REQUEST_HEADERS",
	    "OTEL_EBPF_BPF_HTTP_REQUEST_TIMEOUT",
	    "OTEL_EBPF_BPF_BATCH_LENGTH",
	    "OTEL_EBPF_BPF_BATCH_TIMEOUT",
	    "OTEL_EBPF_PROBE_SOCKET_PATH",
	    "OTEL_EBPF_ENRICHER_UID",
	    "OTEL_EBPF_ENRICHER_GID",
	    "OTEL_EBPF_PROBE_SEND_QUEUE_SIZE",
	    "OTEL_EBPF_CONFIG_PATH",
	    "| YAML key | Environment variable(s) | Type | Default | Process | Description |",
	    "`ebpf.ringbuf_size`",
	    "`4MiB`",
	    "exits with status 2",
	    "--check-config",
	};
	struct capture cap;
	char *out;
	size_t i;

	(void)state;
	capture_open(&cap);
	config_write_docs(cap.f);
	out = capture_close(&cap);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strstr(out, names[i]))
			fail_msg("docs lack %s", names[i]);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_precedence),
	    cmocka_unit_test(test_env_names),
	    cmocka_unit_test(test_portlist_parse),
	    cmocka_unit_test(test_portlist_errors),
	    cmocka_unit_test(test_env_open_port),
	    cmocka_unit_test(test_yaml_ports),
	    cmocka_unit_test(test_yaml_unknown_key),
	    cmocka_unit_test(test_yaml_syntax_error),
	    cmocka_unit_test(test_yaml_all_types),
	    cmocka_unit_test(test_range_errors),
	    cmocka_unit_test(test_long_socket_path),
	    cmocka_unit_test(test_enum),
	    cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_size),
	    cmocka_unit_test(test_bool),
	    cmocka_unit_test(test_yaml_file_env_expansion),
	    cmocka_unit_test(test_load_argv),
	    cmocka_unit_test(test_load_actions),
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_dump),
	    cmocka_unit_test(test_docs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

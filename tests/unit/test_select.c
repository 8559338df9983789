/* test_select.c: the probe's discovery selectors, table-driven: fields AND, entries OR,
 * exclusions win, OBI's default exclusions, the OPEN_PORT / AUTO_TARGET_EXE entry, MAYBE for
 * facts not read, and bad selectors refused at load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "select.h"
#include "wire.h"

/* A process as the cases describe it; cmdline uses '|' for the NULs between arguments. */
struct tcase {
	const char *what, *yaml, *env;
	uint32_t pid;
	const char *exe, *cmdline;
	uint16_t port;
	unsigned lang;
	int in_container;
	enum select_tri want;
	int want_index; /* wire index of the matching entry, -1: do not check */
};

#define PY "/usr/bin/python3.11"
#define NG "/usr/sbin/nginx"
#define NODE "/usr/bin/node"
#define INST "discovery:\n  instrument:\n"

static const struct tcase tcases[] = {
    {"exe glob", INST "    - exe_path: '*python*'\n", NULL, 10, PY, "python3|-m|http.server", 0,
     OBI_LANG_PYTHON, 0, SELECT_YES, 1},
    {"exe glob no", INST "    - exe_path: '*python*'\n", NULL, 10, NG, "nginx", 0, 0, 0, SELECT_NO,
     -1},
    {"fields AND: exe ok, port no",
     INST "    - exe_path: '*python*'\n      open_ports: 8000-8010\n", NULL, 10, PY, "p", 9000,
     OBI_LANG_PYTHON, 0, SELECT_NO, -1},
    {"fields AND: both", INST "    - exe_path: '*python*'\n      open_ports: 8000-8010\n", NULL, 10,
     PY, "p", 8005, OBI_LANG_PYTHON, 0, SELECT_YES, 1},
    {"entries OR: second", INST "    - exe_path: '*node'\n    - open_ports: 8080\n", NULL, 10, NG,
     "nginx", 8080, 0, 0, SELECT_YES, 2},
    {"first entry wins", INST "    - open_ports: 8080\n      name: a\n    - exe_path: '*'\n", NULL,
     10, NG, "nginx", 8080, 0, 0, SELECT_YES, 1},
    {"exclusion wins",
     INST "    - exe_path: '*'\n  exclude_instrument:\n    - cmd_args: '*-m http*'\n", NULL, 10, PY,
     "python3|-m|http.server", 0, OBI_LANG_PYTHON, 0, SELECT_NO, -1},
    {"exclusion not matching",
     INST "    - exe_path: '*'\n  exclude_instrument:\n    - cmd_args: '*--admin*'\n", NULL, 10, PY,
     "python3|-m|http.server", 0, OBI_LANG_PYTHON, 0, SELECT_YES, 1},
    {"exclusion undecided without cmdline",
     INST "    - exe_path: '*'\n  exclude_instrument:\n    - cmd_args: '*--admin*'\n", NULL, 10, PY,
     NULL, 0, OBI_LANG_PYTHON, 0, SELECT_MAYBE, -1},
    {"default exclusion: otelcol", INST "    - exe_path: '*'\n", NULL, 10,
     "/usr/local/bin/otelcol-contrib", "otelcol-contrib", 0, 0, 0, SELECT_NO, -1},
    {"default exclusion: alloy", INST "    - open_ports: 80\n", NULL, 10, "/bin/alloy", "alloy", 80,
     0, 0, SELECT_NO, -1},
    {"default exclusion: obi", INST "    - exe_path: '*'\n", NULL, 10, "/opt/obi/obi", "obi", 0, 0,
     0, SELECT_NO, -1},
    {"default exclusions emptied", INST "    - exe_path: '*'\n  default_exclude_instrument: []\n",
     NULL, 10, "/bin/alloy", "alloy", 0, 0, 0, SELECT_YES, 1},
    {"cmd_args glob", INST "    - cmd_args: '*http.server 80*'\n", NULL, 10, PY,
     "python3|-m|http.server|8000", 0, 0, 0, SELECT_YES, 1},
    {"cmd_args unread: maybe", INST "    - cmd_args: '*http.server*'\n", NULL, 10, PY, NULL, 0, 0,
     0, SELECT_MAYBE, -1},
    {"languages", INST "    - languages: [nodejs, 'py*']\n", NULL, 10, PY, "p", 0, OBI_LANG_PYTHON,
     0, SELECT_YES, 1},
    {"languages no", INST "    - languages: [nodejs]\n", NULL, 10, PY, "p", 0, OBI_LANG_PYTHON, 0,
     SELECT_NO, -1},
    {"languages undetected: maybe", INST "    - languages: [nodejs]\n", NULL, 10, NODE, "n", 0,
     OBI_LANG_UNKNOWN, 0, SELECT_MAYBE, -1},
    {"target_pids", INST "    - target_pids: ['5', '100-200']\n", NULL, 150, NG, "n", 0, 0, 0,
     SELECT_YES, 1},
    {"target_pids no", INST "    - target_pids: ['5', '100-200']\n", NULL, 201, NG, "n", 0, 0, 0,
     SELECT_NO, -1},
    {"containers_only yes", INST "    - containers_only: true\n", NULL, 10, NG, "n", 0, 0, 1,
     SELECT_YES, 1},
    {"containers_only no", INST "    - containers_only: true\n", NULL, 10, NG, "n", 0, 0, 0,
     SELECT_NO, -1},
    {"containers_only unknown", INST "    - containers_only: true\n", NULL, 10, NG, "n", 0, 0, -1,
     SELECT_MAYBE, -1},
    {"k8s criteria with decoration off",
     "attributes:\n  kubernetes:\n    enable: false\n" INST
     "    - k8s_namespace: default\n      exe_path: '*'\n",
     NULL, 10, NG, "n", 0, 0, 0, SELECT_NO, -1},
    {"exe_path_regexp", INST "    - exe_path_regexp: 'bin/python[0-9.]+$'\n", NULL, 10, PY, "p", 0,
     0, 0, SELECT_YES, 1},
    {"deprecated services: regex", "discovery:\n  services:\n    - exe_path: 'ngin.$'\n", NULL, 10,
     NG, "n", 0, 0, 0, SELECT_YES, 1},
    {"services ignored beside instrument",
     INST "    - exe_path: '*node'\n  services:\n    - exe_path: 'nginx'\n", NULL, 10, NG, "n", 0,
     0, 0, SELECT_NO, -1},
    {"env: port", NULL, "OTEL_EBPF_OPEN_PORT=8080", 10, NG, "n", 8080, 0, 0, SELECT_YES, 0},
    {"env: port and exe AND", NULL, "OTEL_EBPF_OPEN_PORT=8080\nOTEL_EBPF_AUTO_TARGET_EXE=*node", 10,
     NG, "n", 8080, 0, 0, SELECT_NO, -1},
    {"env: lowest priority", INST "    - exe_path: '*nginx'\n      name: web\n",
     "OTEL_EBPF_OPEN_PORT=8080", 10, NG, "n", 8080, 0, 0, SELECT_YES, 1},
    {"env: after instrument", INST "    - exe_path: '*node'\n", "OTEL_EBPF_OPEN_PORT=8080", 10, NG,
     "n", 8080, 0, 0, SELECT_YES, 0},
    {"env: default exclusions apply", NULL, "OTEL_EBPF_AUTO_TARGET_EXE=*", 10, "/usr/bin/otelcol",
     "o", 0, 0, 0, SELECT_NO, -1},
    {"env: language", NULL, "OTEL_EBPF_AUTO_TARGET_LANGUAGE=java", 10, "/usr/bin/java", "j", 0,
     OBI_LANG_JAVA, 0, SELECT_YES, 0},
    {"nothing configured", NULL, NULL, 10, NG, "n", 80, 0, 0, SELECT_NO, -1},
};

static void test_load(struct obi_config *c, const struct tcase *t)
{
	char err[2048] = "", envbuf[512], *envp[8] = {0};
	int n = 0;

	config_init_defaults(c);
	if (t->yaml && config_apply_yaml(c, t->yaml, strlen(t->yaml), "t.yaml", err, sizeof(err)))
		fail_msg("%s: yaml: %s", t->what, err);
	if (t->env) {
		snprintf(envbuf, sizeof(envbuf), "%s", t->env);
		for (char *s = strtok(envbuf, "\n"); s && n < 7; s = strtok(NULL, "\n"))
			envp[n++] = s;
		if (config_apply_env(c, envp, err, sizeof(err)))
			fail_msg("%s: env: %s", t->what, err);
	}
}

static void test_select_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
		const struct tcase *t = &tcases[i];
		struct obi_config c;
		struct select_set s;
		const struct select_entry *m = NULL;
		char err[256], cmd[256] = "";
		size_t cl = 0;
		enum select_tri got;

		test_load(&c, t);
		assert_int_equal(select_build(&s, &c, err, sizeof(err)), 0);
		if (t->cmdline) {
			cl = strlen(t->cmdline);
			memcpy(cmd, t->cmdline, cl);
			for (size_t k = 0; k < cl; k++)
				cmd[k] = cmd[k] == '|' ? '\0' : cmd[k];
		}
		struct select_facts f = {.pid = t->pid,
					 .exe = t->exe,
					 .cmdline = t->cmdline ? cmd : NULL,
					 .cmdline_len = cl,
					 .ports = &t->port,
					 .nports = t->port ? 1 : 0,
					 .ports_known = true,
					 .lang = t->lang,
					 .in_container = t->in_container,
					 .pod_state = SELECT_POD_NONE};
		got = select_eval(&s, &f, &m);
		if (got != t->want)
			fail_msg("case \"%s\": verdict %d, want %d", t->what, got, t->want);
		if (t->want == SELECT_YES && t->want_index >= 0 &&
		    (!m || m->wire_index != t->want_index))
			fail_msg("case \"%s\": entry %d, want %d", t->what, m ? m->wire_index : -1,
				 t->want_index);
		select_free(&s);
		config_free(&c);
	}
}

/* Ports not read yet make a port criterion MAYBE (the reader then reads the rest). */
static void test_select_ports_unknown(void **state)
{
	struct tcase t = {.what = "ports", .yaml = INST "    - open_ports: 80\n"};
	struct select_facts f = {.pid = 3, .exe = NG, .ports_known = false, .in_container = -1};
	struct obi_config c;
	struct select_set s;
	char err[256];

	(void)state;
	test_load(&c, &t);
	assert_int_equal(select_build(&s, &c, err, sizeof(err)), 0);
	assert_true(s.any_ports);
	assert_false(s.any_exec);
	assert_int_equal(select_eval(&s, &f, NULL), SELECT_MAYBE);
	select_free(&s);
	config_free(&c);
}

/* The selector name and namespace come with the match. */
static void test_select_overrides(void **state)
{
	struct tcase t = {.what = "names",
			  .yaml =
			      INST "    - exe_path: '*nginx'\n      name: web\n      namespace: "
				   "shop\n"};
	struct select_facts f = {.pid = 3,
				 .exe = NG,
				 .ports_known = true,
				 .in_container = -1,
				 .pod_state = SELECT_POD_NONE};
	const struct select_entry *m = NULL;
	struct obi_config c;
	struct select_set s;
	char err[256];

	(void)state;
	test_load(&c, &t);
	assert_int_equal(select_build(&s, &c, err, sizeof(err)), 0);
	assert_int_equal(select_eval(&s, &f, &m), SELECT_YES);
	assert_non_null(m);
	assert_string_equal(m->name, "web");
	assert_string_equal(m->namespace_, "shop");
	select_free(&s);
	config_free(&c);
}

/* Bad selectors never reach the probe: the loader refuses them naming the key. */
static void test_select_bad_config(void **state)
{
	static const char *const bad[] = {
	    INST "    - exe_path_regexp: 'a(b'\n",
	    INST "    - exe_path: '{a,b'\n",
	    INST "    - open_ports: 90-80\n",
	    INST "    - target_pids: ['0']\n",
	    INST "    - {}\n",
	    INST "    - exe_path: '*'\n      no_such_field: 1\n",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct obi_config c;
		char err[2048] = "";

		config_init_defaults(&c);
		if (config_apply_yaml(&c, bad[i], strlen(bad[i]), "t.yaml", err, sizeof(err)) ==
			0 &&
		    config_validate(&c, CONFIG_PROC_PROBE, err, sizeof(err)) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(err, "discovery.instrument"));
		config_free(&c);
	}
}

static void test_select_in_container(void **state)
{
	struct select_host_ns h = {.known = true};

	(void)state;
	snprintf(h.pid, sizeof(h.pid), "pid:[1]");
	snprintf(h.mnt, sizeof(h.mnt), "mnt:[2]");
	snprintf(h.net, sizeof(h.net), "net:[3]");
	assert_int_equal(select_in_container(&h, "pid:[1]", "mnt:[2]", "net:[3]"), 0);
	assert_int_equal(select_in_container(&h, "pid:[9]", "mnt:[2]", "net:[3]"), 1);
	assert_int_equal(select_in_container(&h, "pid:[1]", "mnt:[9]", "net:[3]"), 1);
	assert_int_equal(select_in_container(&h, "pid:[1]", "mnt:[2]", "net:[9]"), 1);
	assert_int_equal(select_in_container(&h, "pid:[1]", "", "net:[3]"), -1);
	h.known = false;
	assert_int_equal(select_in_container(&h, "pid:[1]", "mnt:[2]", "net:[3]"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_select_table),	cmocka_unit_test(test_select_ports_unknown),
	    cmocka_unit_test(test_select_overrides),	cmocka_unit_test(test_select_bad_config),
	    cmocka_unit_test(test_select_in_container),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_k8s_config.c: in-cluster service account and kubeconfig parsing (files in a temp dir). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "k8s_config.h"

static char k8s_t_dir[64];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", k8s_t_dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(k8s_t_dir, sizeof(k8s_t_dir), "/tmp/obi-k8s-cfg-XXXXXX");
	return mkdtemp(k8s_t_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", k8s_t_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_in_cluster(void **state)
{
	struct k8s_conn c;
	char err[256] = "";

	(void)state;
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(k8s_conn_in_cluster(&c, k8s_t_dir, err, sizeof(err)), -ENOENT);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	put("token", "tok-A\n");
	put("ca.crt", "-----BEGIN CERTIFICATE-----\n");
	put("namespace", "obi");
	assert_int_equal(k8s_conn_in_cluster(&c, k8s_t_dir, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://[fd00::1]:443");
	assert_string_equal(c.token.data, "tok-A"); /* newline trimmed */
	assert_string_equal(c.namespace_, "obi");
	assert_int_equal(k8s_secret_refresh(&c.token), 0);
	put("token.new", "tok-B-longer");
	{
		char a[256], b[256];

		snprintf(a, sizeof(a), "%s/token.new", k8s_t_dir);
		snprintf(b, sizeof(b), "%s/token", k8s_t_dir);
		assert_int_equal(rename(a, b), 0);
	}
	assert_int_equal(k8s_secret_refresh(&c.token), 1); /* rotated */
	assert_string_equal(c.token.data, "tok-B-longer");
	k8s_conn_free(&c);
	setenv("KUBERNETES_SERVICE_PORT", "443/evil", 1);
	assert_int_equal(k8s_conn_in_cluster(&c, k8s_t_dir, err, sizeof(err)), -EINVAL);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
}

static void test_kubeconfig(void **state)
{
	struct k8s_conn c;
	char err[256] = "", path[256];

	(void)state;
	put("tok", "file-token\n");
	put("kc", "apiVersion: v1\ncurrent-context: b\n"
		  "contexts:\n- name: a\n  context: {cluster: ca, user: ua}\n"
		  "- name: b\n  context: {cluster: cb, user: ub, namespace: team}\n"
		  "clusters:\n- name: ca\n  cluster: {server: https://wrong}\n"
		  "- name: cb\n  cluster:\n    server: https://10.0.0.1:6443/\n"
		  "    certificate-authority-data: aGVsbG8gQ0E=\n"
		  "users:\n- name: ub\n  user:\n    tokenFile: tok\n"
		  "    client-certificate-data: Y2VydA==\n    client-key-data: a2V5\n");
	snprintf(path, sizeof(path), "%s/kc", k8s_t_dir);
	assert_int_equal(k8s_conn_kubeconfig(&c, path, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://10.0.0.1:6443");
	assert_string_equal(c.ca.data, "hello CA");
	assert_string_equal(c.cert.data, "cert");
	assert_string_equal(c.key.data, "key");
	assert_string_equal(c.token.data, "file-token"); /* relative to the kubeconfig */
	assert_string_equal(c.namespace_, "team");
	k8s_conn_free(&c);
}

static void test_kubeconfig_refused(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: "
	     "u}\nclusters:\n"
	     "- name: c\n  cluster: {server: https://h}\nusers:\n- name: u\n  user:\n    exec:\n"
	     "      command: gke-gcloud-auth-plugin\n",
	     "exec plugin \"gke-gcloud-auth-plugin\""},
	    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: "
	     "u}\nclusters:\n"
	     "- name: c\n  cluster: {server: https://h}\nusers:\n- name: u\n  user:\n"
	     "    auth-provider: {name: oidc}\n",
	     "auth provider \"oidc\""},
	    {"current-context: nope\n", "no current-context"},
	    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\nclusters:\n"
	     "- name: c\n  cluster: {server: ftp://h}\n",
	     "no http(s) server"},
	    {"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\nclusters:\n"
	     "- name: c\n  cluster: {server: https://h, certificate-authority-data: '!!!'}\n",
	     "certificate authority"},
	    {"key: [unclosed\n", "kubeconfig"},
	};
	char err[256], path[256];
	struct k8s_conn c;

	(void)state;
	snprintf(path, sizeof(path), "%s/bad", k8s_t_dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		put("bad", bad[i].text);
		assert_true(k8s_conn_kubeconfig(&c, path, err, sizeof(err)) < 0);
		if (!strstr(err, bad[i].msg))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].msg);
	}
	assert_true(k8s_conn_kubeconfig(&c, "/nonexistent/kc", err, sizeof(err)) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_cluster),
	    cmocka_unit_test(test_kubeconfig),
	    cmocka_unit_test(test_kubeconfig_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* test_select_k8s.c: the Kubernetes selector fields (globs, label and annotation maps of globs,
 * owners), OBI's default excluded namespaces, decoration off, and unknown pods as MAYBE. */
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

#define INST "discovery:\n  instrument:\n"
#define OFF "attributes:\n  kubernetes:\n    enable: false\n"
#define NG "/usr/sbin/nginx"

/* A pod; NULL fields are absent (an owner the pod does not have). */
struct tpod {
	const char *ns, *name, *ctr, *deploy, *sts, *owner;
	const char *labels[4][2], *annots[2][2];
};

struct tcase {
	const char *what, *yaml;
	enum select_pod_state st;
	const struct tpod *pod;
	enum select_tri want;
	int want_index;
};

static const struct tpod shop_web = {"shop",
				     "web-7d4-abcde",
				     "nginx",
				     "web",
				     NULL,
				     "web",
				     {{"app", "web"}, {"tier", "front"}},
				     {{"team", "payments-eu"}}};
static const struct tpod db0 = {"data", "db-0", "pg", NULL, "db", "db", {{"app", "db"}}, {{0}}};
static const struct tpod kube = {"kube-system", "coredns-1", "coredns", "coredns",
				 NULL,		"coredns",   {{0}},	{{0}}};

#define K SELECT_POD_KNOWN
#define U SELECT_POD_UNKNOWN
#define N SELECT_POD_NONE

static const struct tcase tcases[] = {
    {"namespace", INST "    - k8s_namespace: shop\n", K, &shop_web, SELECT_YES, 1},
    {"namespace other", INST "    - k8s_namespace: shop\n", K, &db0, SELECT_NO, -1},
    {"namespace glob", INST "    - k8s_namespace: 'sh*'\n", K, &shop_web, SELECT_YES, 1},
    {"pod unknown: maybe", INST "    - k8s_namespace: shop\n", U, NULL, SELECT_MAYBE, -1},
    {"no pod", INST "    - k8s_namespace: '*'\n", N, NULL, SELECT_NO, -1},
    {"fields AND: exe fails first", INST "    - k8s_namespace: shop\n      exe_path: '*node'\n", U,
     NULL, SELECT_NO, -1},
    {"fields AND: ns and pod name", INST "    - k8s_namespace: shop\n      k8s_pod_name: 'web-*'\n",
     K, &shop_web, SELECT_YES, 1},
    {"fields AND: pod name fails", INST "    - k8s_namespace: shop\n      k8s_pod_name: 'api-*'\n",
     K, &shop_web, SELECT_NO, -1},
    {"entries OR", INST "    - k8s_namespace: shop\n    - k8s_namespace: data\n", K, &db0,
     SELECT_YES, 2},
    {"container name", INST "    - k8s_container_name: pg\n", K, &db0, SELECT_YES, 1},
    {"deployment", INST "    - k8s_deployment_name: 'we?'\n", K, &shop_web, SELECT_YES, 1},
    {"owner kind absent fails", INST "    - k8s_deployment_name: '*'\n", K, &db0, SELECT_NO, -1},
    {"statefulset", INST "    - k8s_statefulset_name: db\n", K, &db0, SELECT_YES, 1},
    {"top owner", INST "    - k8s_owner_name: db\n", K, &db0, SELECT_YES, 1},
    {"labels: every one", INST "    - k8s_pod_labels: {app: 'w*', tier: front}\n", K, &shop_web,
     SELECT_YES, 1},
    {"labels: one value fails", INST "    - k8s_pod_labels: {app: 'w*', tier: back}\n", K,
     &shop_web, SELECT_NO, -1},
    {"labels: one missing", INST "    - k8s_pod_labels: {app: db, tier: '*'}\n", K, &db0, SELECT_NO,
     -1},
    {"annotations", INST "    - k8s_pod_annotations: {team: 'payments-*'}\n", K, &shop_web,
     SELECT_YES, 1},
    {"annotations none", INST "    - k8s_pod_annotations: {team: '*'}\n", K, &db0, SELECT_NO, -1},
    {"exclusion by namespace wins",
     INST "    - exe_path: '*'\n  exclude_instrument:\n    - k8s_namespace: shop\n", K, &shop_web,
     SELECT_NO, -1},
    {"exclusion by label not matching",
     INST "    - exe_path: '*'\n  exclude_instrument:\n    - k8s_pod_labels: {app: db}\n", K,
     &shop_web, SELECT_YES, 1},
    {"default exclusion: kube-system", INST "    - exe_path: '*'\n", K, &kube, SELECT_NO, -1},
    {"default exclusion: other ns", INST "    - exe_path: '*'\n", K, &shop_web, SELECT_YES, 1},
    {"default exclusion: pod unknown", INST "    - exe_path: '*'\n", U, NULL, SELECT_MAYBE, -1},
    {"default exclusion: not a pod", INST "    - exe_path: '*'\n", N, NULL, SELECT_YES, 1},
    {"decoration off: k8s selector never matches", OFF INST "    - k8s_namespace: '*'\n", K,
     &shop_web, SELECT_NO, -1},
    {"decoration off: no default namespace exclusion", OFF INST "    - exe_path: '*'\n", U, NULL,
     SELECT_YES, 1},
};

static void tpod_view(const struct tpod *t, struct wire_pod_view *v)
{
	memset(v, 0, sizeof(*v));
	v->flags = OBI_POD_FOUND;
	for (int i = 0; i < WIRE_POD_NSTR; i++)
		v->str[i] = "";
	v->str[WIRE_POD_NS] = t->ns;
	v->str[WIRE_POD_NAME] = t->name;
	v->str[WIRE_POD_CONTAINER] = t->ctr;
	v->str[WIRE_POD_DEPLOYMENT] = t->deploy ? t->deploy : "";
	v->str[WIRE_POD_STATEFULSET] = t->sts ? t->sts : "";
	v->str[WIRE_POD_OWNER] = t->owner;
	for (int i = 0; i < 4 && t->labels[i][0]; i++)
		v->labels[v->nlabels++] = (struct wire_pod_kv){t->labels[i][0], t->labels[i][1]};
	for (int i = 0; i < 2 && t->annots[i][0]; i++)
		v->annots[v->nannots++] = (struct wire_pod_kv){t->annots[i][0], t->annots[i][1]};
}

static void test_select_k8s_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
		const struct tcase *t = &tcases[i];
		const struct select_entry *m = NULL;
		struct wire_pod_view v;
		struct obi_config c;
		struct select_set s;
		char err[2048] = "";
		enum select_tri got;

		config_init_defaults(&c);
		if (config_apply_yaml(&c, t->yaml, strlen(t->yaml), "t.yaml", err, sizeof(err)))
			fail_msg("%s: yaml: %s", t->what, err);
		assert_int_equal(select_build(&s, &c, err, sizeof(err)), 0);
		if (t->pod)
			tpod_view(t->pod, &v);
		struct select_facts f = {.pid = 10,
					 .exe = NG,
					 .cmdline = "nginx",
					 .cmdline_len = 5,
					 .ports_known = true,
					 .lang = OBI_LANG_GENERIC,
					 .in_container = 1,
					 .pod_state = t->st,
					 .pod = t->pod ? &v : NULL};
		got = select_eval(&s, &f, &m);
		if (got != t->want)
			fail_msg("case \"%s\": verdict %d, want %d", t->what, got, t->want);
		if (got == SELECT_YES && t->want_index >= 0 &&
		    (!m || m->wire_index != t->want_index))
			fail_msg("case \"%s\": entry %d, want %d", t->what, m ? m->wire_index : -1,
				 t->want_index);
		select_free(&s);
		config_free(&c);
	}
}

/* A selector with Kubernetes fields makes the probe ask; decoration off, it never does. */
static void test_select_k8s_need(void **state)
{
	static const char on[] = INST "    - k8s_namespace: shop\n";
	static const char off[] = OFF INST "    - k8s_namespace: shop\n";
	static const char none[] = INST "    - exe_path: '*'\n  default_exclude_instrument: []\n";
	struct obi_config c;
	struct select_set s;
	char err[2048];

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml(&c, on, strlen(on), "t", err, sizeof(err)), 0);
	assert_int_equal(select_build(&s, &c, err, sizeof(err)), 0);
	assert_true(s.need_k8s);
	assert_true(s.any_exec);
	select_free(&s);
	config_free(&c);
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml(&c, off, strlen(off), "t", err, sizeof(err)), 0);
	assert_int_equal(select_build(&s, &c, err, sizeof(err)), 0);
	assert_false(s.need_k8s);
	assert_false(s.any_exec);
	select_free(&s);
	config_free(&c);
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml(&c, none, strlen(none), "t", err, sizeof(err)), 0);
	assert_int_equal(select_build(&s, &c, err, sizeof(err)), 0);
	assert_false(s.need_k8s);
	select_free(&s);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_select_k8s_table),
	    cmocka_unit_test(test_select_k8s_need),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

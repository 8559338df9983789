/* test_k8s_store.c: fixtures -> splitter -> parser -> store; owners, naming, IPs, lifetimes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "k8s_cgroup.h"
#include "k8s_ident.h"
#include "k8s_testutil.h"

/* Container ids of the fixtures: sha256("ns/pod/container") (tests/k8s/k8sworld.py). */
#define WEB_ID "ef93de6a62494fdd2666e4cfb5796e03bc2d4d039c712b66c3933f04d4c5a9be"
#define DB_ID "6efeded22c073bff185c54d86d0b1e02f27f5cbb5bca9b23b3e647f4b9f593a7"
#define AGENT_ID "64f04a0eaeab241f92285c48179d2282d53533bd3e883d5ce73ce457a1b4f3db"
#define REPORT_ID "7e794bdfb23d9c7f46989fe101a64b755b600a609499541e3ae0cb5d04d18fe5"
#define MYJOB_ID "6b643119c9901a0a0a8583a35ea984b1afa623c5ebead84f34cf73d3de6c98d9"
#define LONELY_ID "17c4fa5de918f20001ebd69345bb3aebd65eeda88a4ed105bc9078bbe66035c2"
#define SOLO_ID "03682224cee302bcc79405db07d5c13b59fded9f80252de0b0547d09ac4e1b6f"

static struct config_kv k8s_t_rl[] = {
    {"service.name", "app.kubernetes.io/name"},
    {"service.namespace", "app.kubernetes.io/part-of"},
    {"service.version", "app.kubernetes.io/version"},
};
static const struct config_map k8s_t_rlmap = {3, k8s_t_rl};

struct world {
	struct k8s_store st;
	struct k8s_ident id;
	struct otlp_attr attrs[64];
	size_t n;
	struct k8s_owners ow;
};

static void world_load(struct world *w, size_t chunk)
{
	k8s_store_init(&w->st);
	assert_int_equal(k8s_t_load(&w->st, "pods.json", K8S_POD, chunk), 8);
	assert_int_equal(k8s_t_load(&w->st, "replicasets.json", K8S_REPLICASET, chunk), 2);
	assert_int_equal(k8s_t_load(&w->st, "jobs.json", K8S_JOB, chunk), 2);
	assert_int_equal(k8s_t_load(&w->st, "services.json", K8S_SERVICE, chunk), 2);
	assert_int_equal(k8s_t_load(&w->st, "nodes.json", K8S_NODE, chunk), 2);
	w->id = (struct k8s_ident){
	    .st = &w->st, .resource_labels = &k8s_t_rlmap, .cluster_name = "lab"};
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w)
		return -1;
	world_load(w, 4096);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	k8s_store_free(&w->st);
	free(w);
	return 0;
}

/* The attributes of container id, by cgroup path as a process would show it. */
static void attrs_of(struct world *w, const char *cgroup)
{
	char id[K8S_CONTAINER_ID_LEN + 1];
	const struct k8s_pod_meta *m;

	assert_int_equal(k8s_cgroup_container_id(cgroup, id), 1);
	m = k8s_store_container(&w->st, id);
	assert_non_null(m);
	k8s_ident_owners(&w->id, m->pod, &w->ow);
	w->n = 0;
	k8s_ident_attrs(&w->id, m, &w->ow, w->attrs, &w->n, 64);
}

static const char *attr(const struct world *w, const char *key)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->attrs[i].key, key) == 0)
			return w->attrs[i].v.s;
	return NULL;
}

#define assert_attr(w, k, v) assert_string_equal(attr(w, k) ? attr(w, k) : "(absent)", v)
#define assert_no_attr(w, k) assert_null(attr(w, k))

static void test_deployment(void **state)
{
	struct world *w = *state;

	attrs_of(w,
		 "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-poda8c40183_3413_"
		 "4d75_a8f6_e24ddfba065f.slice/cri-containerd-" WEB_ID ".scope\n");
	assert_attr(w, "k8s.namespace.name", "shop");
	assert_attr(w, "k8s.pod.name", "web-5d8f9c7b6-x2x4z");
	assert_attr(w, "k8s.container.name", "web");
	assert_attr(w, "k8s.node.name", "node-a");
	assert_attr(w, "k8s.pod.uid", "a8c40183-3413-4d75-a8f6-e24ddfba065f");
	assert_attr(w, "k8s.pod.start_time", "2026-02-06 15:28:19 +0000 UTC");
	assert_attr(w, "k8s.cluster.name", "lab");
	assert_attr(w, "k8s.replicaset.name", "web-5d8f9c7b6");
	assert_attr(w, "k8s.deployment.name", "web");
	assert_attr(w, "k8s.owner.name", "web");
	assert_attr(w, "service.name", "storefront"); /* app.kubernetes.io/name */
	assert_attr(w, "service.namespace", "shop-suite");
	assert_attr(w, "service.version", "1.4.2");
	assert_attr(w, "service.instance.id", "shop.web-5d8f9c7b6-x2x4z.web");
	assert_no_attr(w, "k8s.statefulset.name");
	assert_no_attr(w, "k8s.daemonset.name");
	assert_no_attr(w, "k8s.job.name");
	assert_no_attr(w, "k8s.cronjob.name");
}

static void test_init_container(void **state)
{
	struct world *w = *state;
	const struct k8s_pod_meta *m = NULL;

	/* migrate: an init container's status is matched too */
	for (size_t i = 0; i < w->st.ctrs.cap; i++) {
		const struct k8s_pod_meta *c = w->st.ctrs.slots[i].val;

		if (c && strcmp(c->name, "migrate") == 0)
			m = c;
	}
	assert_non_null(m);
	assert_string_equal(m->pod->name, "web-5d8f9c7b6-x2x4z");
	{
		struct k8s_owners *ow = malloc(sizeof(*ow));

		assert_non_null(ow);
		assert_string_equal(k8s_ident_instance(m, ow), "shop.web-5d8f9c7b6-x2x4z.migrate");
		free(ow);
	}
}

static void test_statefulset_annotations(void **state)
{
	struct world *w = *state;

	attrs_of(w, "0::/kubepods/burstable/pod37883923-a8af-4c69-a78a-94f098034e05/" DB_ID);
	assert_attr(w, "k8s.statefulset.name", "db");
	assert_attr(w, "k8s.owner.name", "db");
	assert_attr(w, "service.name", "orders-db"); /* resource.opentelemetry.io/service.name */
	assert_attr(w, "service.namespace", "shop");
	assert_attr(w, "deployment.environment", "prod");
	assert_no_attr(w, "k8s.deployment.name");
	assert_no_attr(w, "k8s.replicaset.name");
	assert_no_attr(w, "kubectl.kubernetes.io/last-applied-configuration");
}

static void test_daemonset_env(void **state)
{
	struct world *w = *state;

	attrs_of(w, "0::/kubepods.slice/kubepods-besteffort.slice/crio-" AGENT_ID ".scope");
	assert_attr(w, "k8s.daemonset.name", "agent");
	assert_attr(w, "k8s.owner.name", "agent");
	assert_attr(w, "service.name", "node-agent"); /* OTEL_SERVICE_NAME in the pod spec */
	assert_attr(w, "service.namespace", "infra"); /* OTEL_RESOURCE_ATTRIBUTES */
	assert_attr(w, "team", "core");		      /* and the rest of that list */
	assert_false(w->ow.env_bad);
}

/* The spec's list decoded (percent escapes, spaces), ahead of labels and annotations; a
 * malformed one adds nothing at all and says so. */
static void test_env_resource_list(void **state)
{
	struct world *w = *state;
	struct k8s_pod_meta m;
	char id[K8S_CONTAINER_ID_LEN + 1];

	assert_int_equal(k8s_cgroup_container_id("0::/crio-" DB_ID ".scope", id), 1);
	m = *k8s_store_container(&w->st, id);
	m.env_res_attrs = " deployment.environment = staging ,tier=a%2Cb,service.version=9";
	k8s_ident_owners(&w->id, m.pod, &w->ow);
	w->n = 0;
	k8s_ident_attrs(&w->id, &m, &w->ow, w->attrs, &w->n, 64);
	assert_false(w->ow.env_bad);
	assert_attr(w, "tier", "a,b");
	assert_attr(w, "service.version", "9");
	/* first of two: the env's value precedes the annotation's "prod" (OBI's order) */
	assert_attr(w, "deployment.environment", "staging");
	m.env_res_attrs = "tier=x,no-equals-sign";
	k8s_ident_owners(&w->id, m.pod, &w->ow);
	w->n = 0;
	k8s_ident_attrs(&w->id, &m, &w->ow, w->attrs, &w->n, 64);
	assert_true(w->ow.env_bad);
	assert_no_attr(w, "tier");
	assert_attr(w, "deployment.environment", "prod"); /* the annotation still applies */
}

static void test_cronjob(void **state)
{
	struct world *w = *state;

	attrs_of(w, "0::/kubepods/pod919893cf-a8ac-4f73-a61a-29189acd84ac/" REPORT_ID);
	assert_attr(w, "k8s.job.name", "report-28461600");
	assert_attr(w, "k8s.cronjob.name", "report");
	assert_attr(w, "k8s.owner.name", "report");
	assert_attr(w, "service.name", "report"); /* "$(SVC)" in the env is ignored */
}

/* OBI's guess would say cronjob "my" and deployment "solo": we say neither. */
static void test_exact_owners_not_guessed(void **state)
{
	struct world *w = *state;

	attrs_of(w,
		 "12:pids:/kubepods/besteffort/pod3d5654a7-96f9-42c6-a96d-66493a38457d/" MYJOB_ID);
	assert_attr(w, "k8s.job.name", "my-job");
	assert_no_attr(w, "k8s.cronjob.name");
	assert_attr(w, "k8s.owner.name", "my-job");
	attrs_of(w, "0::/kubepods/podc82998dd-925c-4832-aa48-a8934b7fb1c2/" SOLO_ID);
	assert_attr(w, "k8s.replicaset.name", "solo-rs");
	assert_no_attr(w, "k8s.deployment.name");
	assert_attr(w, "k8s.owner.name", "solo-rs");
	/* When the API refused ReplicaSets and Jobs, the guess is all there is. */
	w->id.guess_rs = w->id.guess_job = true;
	attrs_of(w, "0::/kubepods/pod3d5654a7-96f9-42c6-a96d-66493a38457d/" MYJOB_ID);
	assert_attr(w, "k8s.job.name", "my-job");
	assert_no_attr(w, "k8s.cronjob.name"); /* the Job is cached: its owners are known */
	w->id.guess_rs = w->id.guess_job = false;
}

static void test_bare_pod(void **state)
{
	struct world *w = *state;

	attrs_of(w, "0::/kubepods/pod93ddf474-02c3-4e85-ad31-ff97e397ece8/" LONELY_ID);
	assert_attr(w, "k8s.owner.name", "lonely");
	assert_attr(w, "service.name", "lonely");
	assert_no_attr(w, "k8s.deployment.name");
	assert_no_attr(w, "k8s.replicaset.name");
	assert_no_attr(w, "k8s.job.name");
}

static void test_ips(void **state)
{
	struct world *w = *state;
	const struct k8s_peer *p;

	p = k8s_store_ip(&w->st, "10.1.0.11");
	assert_non_null(p);
	assert_int_equal(p->kind, K8S_POD);
	assert_string_equal(p->name, "web-5d8f9c7b6-x2x4z");
	p = k8s_store_ip(&w->st, "10.96.0.20");
	assert_non_null(p);
	assert_int_equal(p->kind, K8S_SERVICE);
	assert_string_equal(p->name, "web");
	assert_string_equal(p->ns, "shop");
	p = k8s_store_ip(&w->st, "10.0.0.2");
	assert_non_null(p);
	assert_int_equal(p->kind, K8S_NODE);
	assert_string_equal(p->name, "node-b");
	/* the host-network pod shares node-a's IP: the node answers, not the pod */
	p = k8s_store_ip(&w->st, "10.0.0.1");
	assert_non_null(p);
	assert_int_equal(p->kind, K8S_NODE);
	assert_null(k8s_store_ip(&w->st, "10.9.9.9"));
}

/* Deleted: the IP is free at once, the container still decorates for the grace period. */
static void test_delete_grace_and_relist(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct k8s_obj o = {.kind = K8S_POD, .uid = "93ddf474-02c3-4e85-ad31-ff97e397ece8"};
	uint64_t pods;

	(void)state;
	assert_non_null(w);
	world_load(w, 1);
	pods = w->st.n_pods;
	k8s_store_delete(&w->st, &o, 1000);
	assert_null(k8s_store_ip(&w->st, "10.1.0.16"));
	assert_non_null(k8s_store_container(&w->st, LONELY_ID));
	k8s_store_expire(&w->st, 1000 + K8S_STORE_GRACE_NS - 1);
	assert_non_null(k8s_store_container(&w->st, LONELY_ID));
	k8s_store_expire(&w->st, 1000 + K8S_STORE_GRACE_NS);
	assert_null(k8s_store_container(&w->st, LONELY_ID));
	assert_int_equal(w->st.n_pods, pods - 1);
	/* A relist that no longer has the services: both go, with their IPs. */
	k8s_store_relist_begin(&w->st, K8S_SERVICE);
	k8s_store_relist_end(&w->st, K8S_SERVICE, 2000);
	assert_null(k8s_store_ip(&w->st, "10.96.0.20"));
	assert_null(k8s_store_other(&w->st, K8S_SERVICE, "shop", "web"));
	/* Jobs gone (as if the API refused them): the guess only when told to guess. */
	k8s_store_relist_begin(&w->st, K8S_JOB);
	k8s_store_relist_end(&w->st, K8S_JOB, 2000);
	attrs_of(w, "0::/kubepods/pod3d5654a7-96f9-42c6-a96d-66493a38457d/" MYJOB_ID);
	assert_no_attr(w, "k8s.cronjob.name");
	w->id.guess_job = true;
	attrs_of(w, "0::/kubepods/pod3d5654a7-96f9-42c6-a96d-66493a38457d/" MYJOB_ID);
	assert_attr(w, "k8s.cronjob.name", "my");
	/* A relist of the same pods keeps every one of them. */
	k8s_store_relist_begin(&w->st, K8S_POD);
	assert_int_equal(k8s_t_load(&w->st, "pods.json", K8S_POD, 777), 8);
	k8s_store_relist_end(&w->st, K8S_POD, 3000);
	assert_non_null(k8s_store_container(&w->st, WEB_ID));
	assert_non_null(k8s_store_ip(&w->st, "10.1.0.11"));
	k8s_store_free(&w->st);
	free(w);
}

/* Re-adding the same objects (MODIFIED) leaves memory where it was: nothing leaks into the
 * string table. */
static void test_modified_is_stable(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	size_t before;
	uint64_t strings;

	(void)state;
	assert_non_null(w);
	world_load(w, 4096);
	before = k8s_store_bytes(&w->st);
	strings = w->st.strs.n_strings;
	for (int i = 0; i < 3; i++)
		assert_int_equal(k8s_t_load(&w->st, "pods.json", K8S_POD, 100), 8);
	assert_int_equal(w->st.strs.n_strings, strings);
	assert_int_equal(k8s_store_bytes(&w->st), before);
	k8s_store_free(&w->st);
	free(w);
}

/* A MODIFIED event that changes a kept field is applied (the unchanged fast path is not taken):
 * a new label value names the service, a restarted container's new id resolves, the old not. */
static void test_modified_applies(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct k8s_parse_opts opts = {.want_label = k8s_t_want};
	const char *newid = "0000000000000000000000000000000000000000000000000000000000000001";
	size_t len;
	char *text = k8s_t_read("pods.json", &len);
	cJSON *list = cJSON_Parse(text),
	      *pod = cJSON_GetArrayItem(cJSON_GetObjectItem(list, "items"), 0);
	cJSON *labels = cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "metadata"), "labels");
	cJSON *st0 = cJSON_GetArrayItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "status"), "containerStatuses"), 0);
	struct k8s_obj obj;
	char id[80];

	(void)state;
	assert_non_null(w);
	assert_non_null(pod);
	world_load(w, 4096);
	cJSON_ReplaceItemInObject(labels, "app.kubernetes.io/name", cJSON_CreateString("renamed"));
	snprintf(id, sizeof(id), "containerd://%s", newid);
	cJSON_ReplaceItemInObject(st0, "containerID", cJSON_CreateString(id));
	assert_int_equal(k8s_parse_obj(pod, K8S_POD, &opts, &obj), 0);
	assert_int_equal(k8s_store_upsert(&w->st, &obj), 0);
	assert_null(k8s_store_container(&w->st, WEB_ID));
	attrs_of(w, "0::/kubepods/podx/"
		    "0000000000000000000000000000000000000000000000000000000000000001");
	assert_attr(w, "service.name", "renamed");
	assert_attr(w, "k8s.container.name", "web");
	cJSON_Delete(list);
	free(text);
	k8s_store_free(&w->st);
	free(w);
}

static void test_time_format(void **state)
{
	char out[40];

	(void)state;
	k8s_format_time(k8s_parse_time("2026-02-06T15:28:19Z"), out);
	assert_string_equal(out, "2026-02-06 15:28:19 +0000 UTC");
	k8s_format_time(k8s_parse_time("2026-02-06T17:28:19.123+02:00"), out);
	assert_string_equal(out, "2026-02-06 15:28:19 +0000 UTC");
	assert_int_equal(k8s_parse_time("2026-02-06 15:28:19"), -1);
	assert_int_equal(k8s_parse_time("2026-13-06T15:28:19Z"), -1);
	assert_int_equal(k8s_parse_time("2026-02-06T15:28:19Zjunk"), -1);
	assert_int_equal(k8s_parse_time(NULL), -1);
	k8s_format_time(-1, out);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deployment),
	    cmocka_unit_test(test_init_container),
	    cmocka_unit_test(test_statefulset_annotations),
	    cmocka_unit_test(test_daemonset_env),
	    cmocka_unit_test(test_env_resource_list),
	    cmocka_unit_test(test_cronjob),
	    cmocka_unit_test(test_exact_owners_not_guessed),
	    cmocka_unit_test(test_bare_pod),
	    cmocka_unit_test(test_ips),
	};
	const struct CMUnitTest alone[] = {
	    cmocka_unit_test(test_delete_grace_and_relist),
	    cmocka_unit_test(test_modified_is_stable),
	    cmocka_unit_test(test_modified_applies),
	    cmocka_unit_test(test_time_format),
	};

	return cmocka_run_group_tests(tests, setup, teardown) |
	       cmocka_run_group_tests(alone, NULL, NULL);
}

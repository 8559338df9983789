/* k8s_tool.c: the k8s client on an event loop, driven by line commands (tests and benchmark).
 *
 *   stdin:  cgroup TEXT | container ID | ip ADDR | stats | quit      (one per line)
 *   stdout: one JSON object per line; {"ready":..} once every watch synced
 * Configuration from the environment as obi-enricher reads it (KUBECONFIG, OTEL_EBPF_KUBE_*). */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "evloop.h"
#include "k8s.h"
#include "k8s_arena.h"
#include "k8s_int.h"
#include "k8s_jsplit.h"
#include "log.h"

extern char **environ;

struct tool {
	struct evloop loop;
	struct k8s *k;
	struct ev_io in;
	struct ev_timer tick;
	char line[65536];
	size_t len;
	uint64_t start_ns;
	bool ready;
};

static long tool_rss_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char buf[256];
	long v = -1;

	while (f && fgets(buf, sizeof(buf), f))
		if (strncmp(buf, field, strlen(field)) == 0)
			v = strtol(buf + strlen(field), NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static double tool_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void tool_print(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	if (s)
		printf("%s\n", s);
	fflush(stdout);
	free(s);
	cJSON_Delete(o);
}

static void tool_meta(struct tool *t, const struct k8s_pod_meta *m)
{
	struct otlp_attr attrs[64];
	struct k8s_owners ow;
	size_t n = 0;
	cJSON *o = cJSON_CreateObject();

	if (m) {
		k8s_resource_attrs(t->k, m, &ow, attrs, &n, 64);
		for (size_t i = 0; i < n; i++)
			cJSON_AddStringToObject(o, attrs[i].key, attrs[i].v.s);
	} else {
		cJSON_AddNullToObject(o, "pod");
	}
	tool_print(o);
}

static void tool_ip(struct tool *t, const char *ip)
{
	const struct k8s_peer *p = k8s_lookup_ip(t->k, ip);
	static const char *const kinds[] = {"Pod", "Service", "Node", "ReplicaSet", "Job"};
	cJSON *o = cJSON_CreateObject();
	const char *svc, *ns;

	if (p) {
		cJSON_AddStringToObject(o, "kind", kinds[p->kind]);
		cJSON_AddStringToObject(o, "name", p->name);
		if (p->ns)
			cJSON_AddStringToObject(o, "namespace", p->ns);
		k8s_peer_service(t->k, p, &svc, &ns);
		cJSON_AddStringToObject(o, "service", svc);
	} else {
		cJSON_AddNullToObject(o, "kind");
	}
	tool_print(o);
}

/* Lookups timed in a loop: the decoration cost per span (the container id is already known). */
static void tool_bench_lookup(struct tool *t, const char *id)
{
	struct timespec a, b;
	const int n = 2000000;
	volatile const void *sink = NULL;
	cJSON *o = cJSON_CreateObject();

	/* CPU time, not wall: the machine is shared and wall time counts the others' load. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (int i = 0; i < n; i++)
		sink = k8s_lookup_container(t->k, id);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	cJSON_AddBoolToObject(o, "found", sink != NULL);
	cJSON_AddNumberToObject(
	    o, "lookup_ns",
	    ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n);
	tool_print(o);
}

struct tool_evbench {
	struct k8s_store st;
	struct k8s_strip_buf strip;
	struct k8s_arena arena;
	struct k8s_parse_opts opts; /* the client's own label choice */
	uint64_t events, labels;
};

static int tool_evbench_part(void *data, enum k8s_jsplit_part part, const char *text, size_t n)
{
	struct tool_evbench *b = data;
	const char *t = k8s_strip_unused(&b->strip, text, &n); /* as k8s_watch.c does */
	cJSON *o = k8s_arena_parse(&b->arena, t, n);
	struct k8s_event ev;
	struct k8s_obj obj;

	(void)part;
	if (o && k8s_parse_event(o, &ev) == 0 &&
	    k8s_parse_obj(ev.object, K8S_POD, &b->opts, &obj) == 0) {
		k8s_store_upsert(&b->st, &obj);
		b->labels += obj.n_labels;
		b->events++;
	}
	k8s_arena_release(&b->arena, o);
	return 0;
}

/* One pass of a recorded stream through the splitter, parser and store, in 16 KiB reads as
 * curl hands them over; CPU seconds. */
static double tool_events_pass(struct tool_evbench *b, const char *path)
{
	struct k8s_jsplit s;
	struct timespec a, z;
	char buf[16384];
	FILE *f = fopen(path, "rb");
	size_t n;

	k8s_jsplit_init(&s, K8S_JSPLIT_STREAM, 4u << 20, tool_evbench_part, b);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		k8s_jsplit_feed(&s, buf, n);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &z);
	if (f)
		fclose(f);
	k8s_jsplit_free(&s);
	return (double)(z.tv_sec - a.tv_sec) + (double)(z.tv_nsec - a.tv_nsec) / 1e9;
}

/* The client's own watch-event rate, without the stand-in: the first pass adds every pod, the
 * second is the same objects again (MODIFIED with nothing kept changed, the common case). */
static void tool_bench_events(struct tool *t, const char *path)
{
	static struct tool_evbench b;
	double add_s, mod_s;
	uint64_t n;
	cJSON *o = cJSON_CreateObject();

	b.opts = (struct k8s_parse_opts){
	    .want_label = k8s_want_label, .want_annot = k8s_want_annot, .data = t->k};
	k8s_store_init(&b.st);
	add_s = tool_events_pass(&b, path);
	n = b.events;
	mod_s = tool_events_pass(&b, path);
	cJSON_AddNumberToObject(o, "events", (double)n);
	cJSON_AddNumberToObject(o, "add_per_s", (double)n / add_s);
	cJSON_AddNumberToObject(o, "modify_per_s", (double)(b.events - n) / mod_s);
	cJSON_AddNumberToObject(o, "pods", (double)b.st.n_pods);
	cJSON_AddNumberToObject(o, "labels", (double)b.labels);
	cJSON_AddNumberToObject(o, "arena_spills", (double)b.arena.spills);
	tool_print(o);
	k8s_store_free(&b.st);
	k8s_strip_free(&b.strip);
	k8s_arena_free(&b.arena);
	b.events = b.labels = 0;
	b.arena.spills = 0;
}

static void tool_stats(struct tool *t)
{
	struct k8s_stats s;
	cJSON *o = cJSON_CreateObject();

	k8s_get_stats(t->k, &s);
	cJSON_AddNumberToObject(o, "pods", (double)s.pods);
	cJSON_AddNumberToObject(o, "containers", (double)s.containers);
	cJSON_AddNumberToObject(o, "strings", (double)s.strings);
	cJSON_AddNumberToObject(o, "bytes", (double)s.bytes);
	cJSON_AddNumberToObject(o, "events", (double)s.events);
	cJSON_AddNumberToObject(o, "lists", (double)s.lists);
	cJSON_AddNumberToObject(o, "relists", (double)s.relists);
	cJSON_AddNumberToObject(o, "bookmarks", (double)s.bookmarks);
	cJSON_AddNumberToObject(o, "errors", (double)s.errors);
	cJSON_AddNumberToObject(o, "bad_json", (double)s.bad_json);
	cJSON_AddNumberToObject(o, "oversized", (double)s.oversized);
	cJSON_AddNumberToObject(o, "changes", (double)k8s_changes(t->k));
	cJSON_AddNumberToObject(o, "cpu_s", tool_cpu_s());
	cJSON_AddNumberToObject(o, "rss_kib", (double)tool_rss_kib("VmRSS:"));
	cJSON_AddNumberToObject(o, "hwm_kib", (double)tool_rss_kib("VmHWM:"));
	tool_print(o);
}

static void tool_command(struct tool *t, char *line)
{
	char *arg = strchr(line, ' ');

	if (arg)
		*arg++ = '\0';
	if (strcmp(line, "cgroup") == 0 && arg) {
		/* "\n" in the argument stands for a line break of /proc/PID/cgroup */
		for (char *p = strstr(arg, "\\n"); p; p = strstr(p, "\\n"))
			memmove(p, "\n", 1), memmove(p + 1, p + 2, strlen(p + 2) + 1);
		tool_meta(t, k8s_lookup_cgroup(t->k, arg));
	} else if (strcmp(line, "container") == 0 && arg) {
		tool_meta(t, k8s_lookup_container(t->k, arg));
	} else if (strcmp(line, "ip") == 0 && arg) {
		tool_ip(t, arg);
	} else if (strcmp(line, "bench-lookup") == 0 && arg) {
		tool_bench_lookup(t, arg);
	} else if (strcmp(line, "bench-events") == 0 && arg) {
		tool_bench_events(t, arg);
	} else if (strcmp(line, "stats") == 0) {
		tool_stats(t);
	} else if (strcmp(line, "quit") == 0) {
		evloop_stop(&t->loop);
	} else {
		printf("{\"error\":\"unknown command\"}\n");
		fflush(stdout);
	}
}

static void tool_on_stdin(struct evloop *l, struct ev_io *w, uint32_t events)
{
	struct tool *t = w->data;
	ssize_t n = read(0, t->line + t->len, sizeof(t->line) - 1 - t->len);
	char *nl;

	(void)events;
	if (n <= 0) {
		evloop_stop(l);
		return;
	}
	t->len += (size_t)n;
	t->line[t->len] = '\0';
	while ((nl = strchr(t->line, '\n'))) {
		*nl = '\0';
		tool_command(t, t->line);
		t->len -= (size_t)(nl + 1 - t->line);
		memmove(t->line, nl + 1, t->len + 1);
	}
	if (t->len == sizeof(t->line) - 1)
		t->len = 0;
}

static void tool_on_tick(struct evloop *l, struct ev_timer *tm)
{
	struct tool *t = tm->data;

	if (!t->ready && k8s_ready(t->k)) {
		cJSON *o = cJSON_CreateObject();

		t->ready = true;
		cJSON_AddNumberToObject(o, "ready", (double)(evloop_now(l) - t->start_ns) / 1e9);
		cJSON_AddNumberToObject(o, "cpu_s", tool_cpu_s());
		tool_print(o);
	}
	ev_timer_start(l, tm, 2000000);
}

int main(void)
{
	static struct tool t;
	struct obi_config cfg;
	char err[512] = "";
	int rc;

	log_init("k8s-tool", LOG_LVL_INFO);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	config_init_defaults(&cfg);
	if (config_apply_env(&cfg, environ, err, sizeof(err)) || (rc = evloop_init(&t.loop)) ||
	    (rc = k8s_new(&t.k, &t.loop, &cfg, err, sizeof(err))) || !t.k) {
		fprintf(stderr, "k8s-tool: %s\n", err[0] ? err : "decoration off");
		return 1;
	}
	t.start_ns = evloop_now(&t.loop);
	ev_timer_init(&t.tick, tool_on_tick, &t);
	ev_timer_start(&t.loop, &t.tick, 1000000);
	ev_io_start(&t.loop, &t.in, 0, EPOLLIN, tool_on_stdin, &t);
	evloop_run(&t.loop);
	ev_io_stop(&t.loop, &t.in);
	ev_timer_stop(&t.loop, &t.tick);
	k8s_free(t.k);
	evloop_free(&t.loop);
	config_free(&cfg);
	curl_global_cleanup();
	return 0;
}

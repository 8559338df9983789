/* select.c: builds the probe's selector set from the configuration (regexes compiled once, PID
 * ranges parsed once) and says at start what it cannot evaluate yet. */
#include "select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int select_regex(regex_t *re, bool *has, const char *src, const char *key, char *err,
			size_t errlen)
{
	char why[320];

	if (!src)
		return 0;
	if (config_regex_compile(src, re, why, sizeof(why))) {
		snprintf(err, errlen, "%s: %s", key, why);
		return -1;
	}
	*has = true;
	return 0;
}

/* target_pids was checked at load (config_check_pids): "N" or "LO-HI", both in range. */
static int select_pids_parse(struct select_entry *e, const struct config_strlist *l)
{
	if (!l->n)
		return 0;
	e->pids = calloc(l->n, sizeof(*e->pids));
	if (!e->pids)
		return -1;
	for (unsigned i = 0; i < l->n; i++) {
		char *end;
		unsigned long lo = strtoul(l->v[i], &end, 10), hi = lo;

		if (*end == '-')
			hi = strtoul(end + 1, NULL, 10);
		if (hi < lo || hi > UINT32_MAX)
			continue;
		e->pids[e->npids++] = (struct select_pids){(uint32_t)lo, (uint32_t)hi};
	}
	return 0;
}

bool select_k8s_possible(const struct obi_config *cfg)
{
	return cfg->attributes.kubernetes.enable != 2; /* 2: false */
}

/* The Kubernetes criteria of c, in enum wire_pod_str order. */
static void select_k8s_fields(const struct config_selector *c, const char *out[WIRE_POD_NSTR])
{
	out[WIRE_POD_NS] = c->k8s_namespace;
	out[WIRE_POD_NAME] = c->k8s_pod_name;
	out[WIRE_POD_CONTAINER] = c->k8s_container_name;
	out[WIRE_POD_DEPLOYMENT] = c->k8s_deployment_name;
	out[WIRE_POD_REPLICASET] = c->k8s_replicaset_name;
	out[WIRE_POD_STATEFULSET] = c->k8s_statefulset_name;
	out[WIRE_POD_DAEMONSET] = c->k8s_daemonset_name;
	out[WIRE_POD_JOB] = c->k8s_job_name;
	out[WIRE_POD_CRONJOB] = c->k8s_cronjob_name;
	out[WIRE_POD_OWNER] = c->k8s_owner_name;
}

/* The first Kubernetes criterion of c, NULL if none. */
static const char *select_k8s_field(const struct config_selector *c)
{
	static const char *const names[WIRE_POD_NSTR] = {
	    "k8s_namespace",	   "k8s_pod_name",	  "k8s_container_name",
	    "k8s_deployment_name", "k8s_replicaset_name", "k8s_statefulset_name",
	    "k8s_daemonset_name",  "k8s_job_name",	  "k8s_cronjob_name",
	    "k8s_owner_name"};
	const char *v[WIRE_POD_NSTR];

	select_k8s_fields(c, v);
	for (int i = 0; i < WIRE_POD_NSTR; i++)
		if (v[i])
			return names[i];
	if (c->k8s_pod_labels.n)
		return "k8s_pod_labels";
	return c->k8s_pod_annotations.n ? "k8s_pod_annotations" : NULL;
}

/* Criteria on metadata the probe cannot have: OCI container names; Kubernetes ones when
 * decoration is off. */
static const char *select_unmatchable_field(const struct config_selector *c, bool k8s_on)
{
	if (c->container_name)
		return "container_name";
	return k8s_on ? NULL : select_k8s_field(c);
}

/* unmatchable is widened to Kubernetes criteria in select_summarize when decoration is off. */
static void select_k8s_from_cfg(struct select_entry *e, const struct config_selector *c)
{
	select_k8s_fields(c, e->k8s);
	e->k8s_labels = c->k8s_pod_labels.n ? &c->k8s_pod_labels : NULL;
	e->k8s_annots = c->k8s_pod_annotations.n ? &c->k8s_pod_annotations : NULL;
	e->has_k8s = select_k8s_field(c) != NULL;
	e->unmatchable = select_unmatchable_field(c, true) != NULL;
}

static int select_from_cfg(struct select_entry *e, const struct config_selector *c, bool re,
			   const char *list, unsigned i, char *err, size_t errlen)
{
	char key[128];

	snprintf(key, sizeof(key), "%s[%u].exe_path", list, i);
	if (!re)
		e->exe_glob = c->exe_path;
	else if (select_regex(&e->exe_re, &e->has_exe_re, c->exe_path, key, err, errlen))
		return -1;
	snprintf(key, sizeof(key), "%s[%u].exe_path_regexp", list, i);
	if (select_regex(&e->exe_re2, &e->has_exe_re2, c->exe_path_regexp, key, err, errlen))
		return -1;
	snprintf(key, sizeof(key), "%s[%u].cmd_args", list, i);
	if (!re)
		e->cmd_glob = c->cmd_args;
	else if (select_regex(&e->cmd_re, &e->has_cmd_re, c->cmd_args, key, err, errlen))
		return -1;
	e->ports = c->open_ports.n ? &c->open_ports : NULL;
	e->langs = c->languages.v;
	e->nlangs = c->languages.n;
	e->containers_only = c->containers_only;
	select_k8s_from_cfg(e, c);
	e->name = c->name && *c->name ? c->name : NULL;
	e->namespace_ = c->namespace_ && *c->namespace_ ? c->namespace_ : NULL;
	if (select_pids_parse(e, &c->target_pids)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Appends the selectors of ol; wire_base + i is the wire index of the i-th (0: none). */
static int select_list_add(struct select_list *l, const struct config_objlist *ol, bool re,
			   bool indexed, const char *list, char *err, size_t errlen)
{
	struct select_entry *ne;

	if (!ol->n)
		return 0;
	ne = realloc(l->e, (l->n + ol->n + 1) * sizeof(*ne));
	if (!ne) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->e = ne;
	for (unsigned i = 0; i < ol->n; i++) {
		struct select_entry *e = &l->e[l->n++];

		memset(e, 0, sizeof(*e));
		e->wire_index = indexed && i < UINT16_MAX ? (uint16_t)(i + 1) : 0;
		if (select_from_cfg(e, config_objlist_at(ol, sizeof(struct config_selector), i), re,
				    list, i, err, errlen))
			return -1;
	}
	return 0;
}

static bool select_env_present(const struct obi_config *cfg)
{
	return cfg->open_port.n || cfg->auto_target_exe || cfg->general.executable_path ||
	       cfg->general.target_pids.n || cfg->general.auto_target_language;
}

/* OTEL_EBPF_OPEN_PORT, OTEL_EBPF_AUTO_TARGET_EXE and their relatives: one entry, lowest. */
static int select_add_env(struct select_list *l, const struct obi_config *cfg, char *err,
			  size_t errlen)
{
	struct select_entry *ne = realloc(l->e, (l->n + 1) * sizeof(*ne)), *e;

	if (!ne) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->e = ne;
	e = &l->e[l->n++];
	memset(e, 0, sizeof(*e));
	e->exe_glob = cfg->auto_target_exe;
	e->ports = cfg->open_port.n ? &cfg->open_port : NULL;
	if (cfg->general.auto_target_language) {
		e->langs = &cfg->general.auto_target_language;
		e->nlangs = 1;
	}
	if (select_regex(&e->exe_re, &e->has_exe_re, cfg->general.executable_path,
			 "executable_path", err, errlen))
		return -1;
	if (select_pids_parse(e, &cfg->general.target_pids)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* With decoration off no pod is ever known: Kubernetes criteria match nothing (warned). */
static void select_k8s_off(struct select_list *l, bool k8s_on)
{
	for (unsigned i = 0; i < l->n; i++)
		l->e[i].unmatchable |= !k8s_on && l->e[i].has_k8s;
}

static void select_summarize(struct select_set *s, bool k8s_on)
{
	select_k8s_off(&s->include, k8s_on);
	select_k8s_off(&s->exclude, k8s_on);
	for (unsigned i = 0; i < s->include.n; i++) {
		const struct select_entry *e = &s->include.e[i];

		s->any_ports |= e->ports != NULL;
		s->any_exec |= e->ports == NULL && !e->unmatchable;
		s->need_ns |= e->containers_only;
		s->need_k8s |= e->has_k8s && !e->unmatchable;
	}
	for (unsigned i = 0; i < s->exclude.n; i++) {
		s->need_ns |= s->exclude.e[i].containers_only;
		s->need_k8s |= s->exclude.e[i].has_k8s && !s->exclude.e[i].unmatchable;
	}
}

int select_build(struct select_set *s, const struct obi_config *cfg, char *err, size_t errlen)
{
	const struct config_discovery *d = &cfg->discovery;
	bool inst = d->instrument.n > 0;
	bool svc = !inst && d->services.n > 0;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	/* OBI: discovery.instrument set makes the deprecated services lists ignored. */
	if (inst)
		rc = select_list_add(&s->include, &d->instrument, false, true,
				     "discovery.instrument", err, errlen);
	else if (svc)
		rc = select_list_add(&s->include, &d->services, true, true, "discovery.services",
				     err, errlen);
	if (!rc && select_env_present(cfg))
		rc = select_add_env(&s->include, cfg, err, errlen);
	if (!rc && svc) {
		rc = select_list_add(&s->exclude, &d->exclude_services, true, false,
				     "discovery.exclude_services", err, errlen);
		rc = rc ? rc
			: select_list_add(&s->exclude, &d->default_exclude_services, true, false,
					  "discovery.default_exclude_services", err, errlen);
	} else if (!rc) {
		rc = select_list_add(&s->exclude, &d->exclude_instrument, false, false,
				     "discovery.exclude_instrument", err, errlen);
		rc = rc ? rc
			: select_list_add(&s->exclude, &d->default_exclude_instrument, false, false,
					  "discovery.default_exclude_instrument", err, errlen);
	}
	if (rc) {
		select_free(s);
		return -1;
	}
	select_summarize(s, select_k8s_possible(cfg));
	if (s->need_ns)
		select_read_host_ns(&s->host);
	return 0;
}

static void select_list_free(struct select_list *l)
{
	for (unsigned i = 0; i < l->n; i++) {
		struct select_entry *e = &l->e[i];

		if (e->has_exe_re)
			regfree(&e->exe_re);
		if (e->has_exe_re2)
			regfree(&e->exe_re2);
		if (e->has_cmd_re)
			regfree(&e->cmd_re);
		free(e->pids);
	}
	free(l->e);
	l->e = NULL;
	l->n = 0;
}

void select_free(struct select_set *s)
{
	select_list_free(&s->include);
	select_list_free(&s->exclude);
}

static void select_warn_list(const struct config_objlist *ol, const char *list, bool include,
			     bool k8s_on)
{
	for (unsigned i = 0; i < ol->n; i++) {
		const struct config_selector *c =
		    config_objlist_at(ol, sizeof(struct config_selector), i);
		const char *f = select_unmatchable_field(c, k8s_on);

		if (f)
			log_warnx("%s[%u]: %s is not evaluated (%s): this selector %s", list, i, f,
				  k8s_on ? "no container-name metadata"
					 : "attributes.kubernetes.enable is false",
				  include ? "matches nothing" : "excludes nothing");
		/* The enricher applies them to what an inclusion chose (emit_sel.c,
		 * span_route_sel.c); an exclusion chooses nothing they could apply to. */
		if (!include &&
		    (c->exports.set || c->sampler.arg || c->sampler.name || c->routes_incoming.n ||
		     c->routes_outgoing.n || c->metrics_features))
			log_warnx(
			    "%s[%u]: exports, sampler, routes and metrics.features do nothing "
			    "in an exclusion",
			    list, i);
	}
}

void select_warn_unsupported(const struct obi_config *cfg)
{
	const struct config_discovery *d = &cfg->discovery;
	bool k8s = select_k8s_possible(cfg);

	select_warn_list(&d->instrument, "discovery.instrument", true, k8s);
	select_warn_list(&d->exclude_instrument, "discovery.exclude_instrument", false, k8s);
	if (!d->instrument.n) {
		select_warn_list(&d->services, "discovery.services", true, k8s);
		select_warn_list(&d->exclude_services, "discovery.exclude_services", false, k8s);
	}
}

static bool select_read_ns_of(const char *who, struct select_host_ns *h)
{
	char *dst[3] = {h->pid, h->mnt, h->net};
	const char *const names[3] = {"pid", "mnt", "net"};
	bool ok = true;

	for (int i = 0; i < 3; i++) {
		char path[48];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%s/ns/%s", who, names[i]);
		n = readlink(path, dst[i], sizeof(h->pid) - 1);
		dst[i][n > 0 ? n : 0] = '\0';
		ok &= n > 0;
	}
	return ok;
}

/* pid 1 stands for the host; where its links are refused (another user namespace owns it),
 * the probe's own namespaces do (the probe runs in the host's). */
void select_read_host_ns(struct select_host_ns *h)
{
	h->known = select_read_ns_of("1", h) || select_read_ns_of("self", h);
	if (!h->known)
		log_warnx(
		    "containers_only: no namespace of /proc/1 or of obi-probe can be read: no "
		    "process counts as containerized");
}

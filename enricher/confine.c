/* confine.c: obi-enricher's confinement: non-dumpable, its own uid, no capabilities,
 * no_new_privs, Landlock (read-only export files, collector port), seccomp. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <grp.h>
#include <unistd.h>

#include "enricher.h"
#include "k8s.h"
#include "metrics.h"
#include "landlock.h"
#include "otlp_http.h"
#include "sandbox.h"
#include "seccomp_table.h"

/*
 * What the enricher may still read: nothing without export. With it, the configured CA and
 * client certificate/key (libcurl reads them at each TLS handshake, so rotated Secrets are
 * picked up), the system CAs (the hashed directory links into /usr/share/ca-certificates),
 * and what getaddrinfo reads in libcurl's resolver thread.
 */
/* One exporter's files and collector port; the system files once for both. */
static void enricher_landlock_sender(const struct otlp_http_config *h, const char **paths,
				     struct landlock_paths *lp, size_t *n, size_t *np)
{
	if (h->ca_file)
		paths[(*n)++] = h->ca_file;
	if (h->client_cert)
		paths[(*n)++] = h->client_cert;
	if (h->client_key)
		paths[(*n)++] = h->client_key;
	lp->tcp_ports[(*np)++] = export_config_url_port(h->url);
}

/*
 * The Kubernetes API client's files: the CA, client certificate and key it re-reads when they
 * change, and the token. The service account's directory as a whole, because the kubelet
 * rotates its token by swapping a symlinked directory (a rule on the old file's inode would
 * refuse the new one); a kubeconfig's token file by its own path.
 */
static void enricher_landlock_k8s(const struct k8s_conn *c, const char **paths,
				  struct landlock_paths *lp, size_t *n, size_t *np)
{
	const char *files[] = {c->ca.file, c->token.file, c->cert.file, c->key.file};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i] && strncmp(files[i], K8S_SA_DIR "/", sizeof(K8S_SA_DIR)) != 0)
			paths[(*n)++] = files[i];
	if (!strcmp(c->source, "in-cluster"))
		paths[(*n)++] = K8S_SA_DIR;
	lp->tcp_ports[(*np)++] = export_config_url_port(c->server);
}

static int enricher_landlock_apply(struct enricher *e)
{
	static const char *const sys[] = {"/etc/ssl",		"/usr/share/ca-certificates",
					  "/etc/resolv.conf",	"/etc/hosts",
					  "/etc/nsswitch.conf", "/etc/gai.conf",
					  "/etc/host.conf",	NULL};
	const char *paths[24];
	struct landlock_paths lp = {.paths = paths};
	size_t n = 0, np = 0;

	if (e->emit.traces)
		enricher_landlock_sender(&e->emit.xcfg.http, paths, &lp, &n, &np);
	if (e->emit.metrics)
		enricher_landlock_sender(metrics_sender_config(e->emit.metrics), paths, &lp, &n,
					 &np);
	if (e->k8s)
		enricher_landlock_k8s(k8s_connection(e->k8s), paths, &lp, &n, &np);
	if (np) {
		for (size_t i = 0; sys[i]; i++)
			paths[n++] = sys[i];
		lp.tcp_ports[np] = 53; /* DNS falls back to TCP for long answers */
	}
	paths[n] = NULL;
	/* Landlock needs no_new_privs (sandbox_apply sets it again: idempotent). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return enricher_landlock(&lp);
}

int enricher_confine(struct enricher *e)
{
	enum sandbox_mode mode = sandbox_mode_from_env();
	int rc;

	/* Started as root (a misconfigured pod, or by hand): become the unprivileged user. */
	if (geteuid() == 0) {
		if (setgroups(0, NULL) || setgid(e->cfg.enricher_gid) ||
		    setuid(e->cfg.enricher_uid)) {
			log_error(errno, "dropping to uid %u", e->cfg.enricher_uid);
			return -1;
		}
		log_info("dropped root: running as uid %u", e->cfg.enricher_uid);
	}
	/* The uid change above cleared the death signal: set it (again) after it, then check
	 * that the launcher did not go in between. */
	if (e->launcher_pid && (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != e->launcher_pid)) {
		log_errorx("the launcher is gone: stopping");
		return -1;
	}
	rc = sandbox_drop_all_caps();
	if (rc) {
		log_error(-rc, "clearing capabilities");
		return -1;
	}
	/* Again: a uid change sets dumpability to fs.suid_dumpable, which may be 1 or 2. */
	rc = sandbox_nodump();
	/* OBI_SECCOMP=off is for sanitizer runs, whose runtimes read /proc at exit. */
	if (rc == 0 && mode != SANDBOX_OFF) {
		rc = enricher_landlock_apply(e);
		if (rc)
			log_error(-rc, "landlock");
	}
	if (rc == 0) {
		rc = sandbox_apply(enricher_seccomp_rules, enricher_seccomp_n, mode);
		if (rc)
			log_error(-rc, "no_new_privs / seccomp filter");
	}
	return rc ? -1 : 0;
}

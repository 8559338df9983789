/* k8s_kubeconfig.c: the current context of a kubeconfig file (libyaml document API). */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "k8s_config.h"

static yaml_node_t *k8s_kc_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static const char *k8s_kc_str(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	yaml_node_t *v = k8s_kc_get(d, map, key);

	return v && v->type == YAML_SCALAR_NODE && v->data.scalar.length
		   ? (char *)v->data.scalar.value
		   : NULL;
}

/* The `inner` mapping of the entry of list `list` whose name is name. */
static yaml_node_t *k8s_kc_named(yaml_document_t *d, const char *list, const char *name,
				 const char *inner)
{
	yaml_node_t *seq = k8s_kc_get(d, yaml_document_get_root_node(d), list);

	if (!seq || seq->type != YAML_SEQUENCE_NODE || !name)
		return NULL;
	for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top;
	     i++) {
		yaml_node_t *e = yaml_document_get_node(d, *i);
		const char *n = k8s_kc_str(d, e, "name");

		if (n && strcmp(n, name) == 0)
			return k8s_kc_get(d, e, inner);
	}
	return NULL;
}

static int k8s_b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64, whitespace ignored, padding optional. 0 or -EINVAL. */
static int k8s_b64_decode(const char *in, struct k8s_secret *s)
{
	size_t n = strlen(in), o = 0;
	unsigned acc = 0, bits = 0;
	char *out = malloc(n / 4 * 3 + 4);

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int v = k8s_b64_val((unsigned char)in[i]);

		if (in[i] == '=' || in[i] == '\n' || in[i] == '\r' || in[i] == ' ')
			continue;
		if (v < 0) {
			free(out);
			return -EINVAL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	s->data = out;
	s->len = o;
	return 0;
}

/* file key or data key (base64) of map into s. 0, or -errno. */
static int k8s_kc_secret(yaml_document_t *d, yaml_node_t *map, const char *file_key,
			 const char *data_key, const char *dir, struct k8s_secret *s)
{
	const char *data = data_key ? k8s_kc_str(d, map, data_key) : NULL;
	const char *file = k8s_kc_str(d, map, file_key);
	int rc;

	if (data)
		return k8s_b64_decode(data, s);
	if (!file)
		return 0;
	if (file[0] != '/' && dir) {
		if (asprintf(&s->file, "%s/%s", dir, file) < 0) {
			s->file = NULL;
			return -ENOMEM;
		}
	} else if (!(s->file = strdup(file))) {
		return -ENOMEM;
	}
	rc = k8s_secret_refresh(s);
	return rc < 0 ? rc : 0;
}

/* exec plugins and auth providers run code or talk to clouds: refused with their name. */
static int k8s_kc_user(yaml_document_t *d, yaml_node_t *user, const char *dir, struct k8s_conn *c,
		       char *err, size_t errlen)
{
	yaml_node_t *exec = k8s_kc_get(d, user, "exec"), *ap = k8s_kc_get(d, user, "auth-provider");
	const char *tok = k8s_kc_str(d, user, "token");
	int rc;

	if (exec || ap) {
		const char *what =
		    exec ? k8s_kc_str(d, exec, "command") : k8s_kc_str(d, ap, "name");

		snprintf(
		    err, errlen,
		    "kubernetes: %s: the user's %s \"%s\" is not supported (use a token, tokenFile "
		    "or a client certificate)",
		    c->source, exec ? "exec plugin" : "auth provider", what ? what : "?");
		return -ENOTSUP;
	}
	if (tok) {
		if (!(c->token.data = strdup(tok)))
			return -ENOMEM;
		c->token.len = strlen(tok);
	} else if ((rc = k8s_kc_secret(d, user, "tokenFile", NULL, dir, &c->token))) {
		snprintf(err, errlen, "kubernetes: %s: tokenFile: %s", c->source, strerror(-rc));
		return rc;
	}
	if ((rc = k8s_kc_secret(d, user, "client-certificate", "client-certificate-data", dir,
				&c->cert)) ||
	    (rc = k8s_kc_secret(d, user, "client-key", "client-key-data", dir, &c->key))) {
		snprintf(err, errlen, "kubernetes: %s: client certificate or key: %s", c->source,
			 strerror(-rc));
		return rc;
	}
	return 0;
}

static int k8s_kc_cluster(yaml_document_t *d, yaml_node_t *cl, const char *dir, struct k8s_conn *c,
			  char *err, size_t errlen)
{
	const char *server = k8s_kc_str(d, cl, "server"), *ins;
	size_t n;
	int rc;

	if (!server ||
	    (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)) {
		snprintf(err, errlen, "kubernetes: %s: the cluster has no http(s) server",
			 c->source);
		return -EINVAL;
	}
	if (!(c->server = strdup(server)))
		return -ENOMEM;
	n = strlen(c->server);
	while (n && c->server[n - 1] == '/')
		c->server[--n] = '\0';
	ins = k8s_kc_str(d, cl, "insecure-skip-tls-verify");
	c->insecure = ins && strcmp(ins, "true") == 0;
	rc = k8s_kc_secret(d, cl, "certificate-authority", "certificate-authority-data", dir,
			   &c->ca);
	if (rc)
		snprintf(err, errlen, "kubernetes: %s: certificate authority: %s", c->source,
			 strerror(-rc));
	return rc;
}

static int k8s_kc_doc(yaml_document_t *d, const char *dir, struct k8s_conn *c, char *err,
		      size_t errlen)
{
	yaml_node_t *root = yaml_document_get_root_node(d);
	const char *cur = k8s_kc_str(d, root, "current-context");
	yaml_node_t *ctx = k8s_kc_named(d, "contexts", cur, "context");
	const char *ns = k8s_kc_str(d, ctx, "namespace");
	yaml_node_t *cl = k8s_kc_named(d, "clusters", k8s_kc_str(d, ctx, "cluster"), "cluster");
	yaml_node_t *user = k8s_kc_named(d, "users", k8s_kc_str(d, ctx, "user"), "user");
	int rc;

	if (!ctx || !cl) {
		snprintf(err, errlen, "kubernetes: %s: no current-context with a cluster",
			 c->source);
		return -EINVAL;
	}
	if ((rc = k8s_kc_cluster(d, cl, dir, c, err, errlen)))
		return rc;
	if (user && (rc = k8s_kc_user(d, user, dir, c, err, errlen)))
		return rc;
	if (ns && !(c->namespace_ = strdup(ns)))
		return -ENOMEM;
	return 0;
}

int k8s_conn_kubeconfig(struct k8s_conn *c, const char *path, char *err, size_t errlen)
{
	yaml_parser_t p;
	yaml_document_t d;
	char *dircopy = strdup(path);
	FILE *f = NULL;
	struct stat st;
	int rc = -ENOMEM;

	memset(c, 0, sizeof(*c));
	if (!dircopy || !(c->source = strdup(path)))
		goto out;
	f = fopen(path, "re");
	if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
		rc = f ? -EINVAL : -errno;
		snprintf(err, errlen, "kubernetes: kubeconfig %s: %s", path,
			 f ? "not a regular file of at most 1 MiB" : strerror(-rc));
		goto out;
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	if (!yaml_parser_load(&p, &d)) {
		snprintf(err, errlen, "kubernetes: kubeconfig %s: line %zu: %s", path,
			 p.problem_mark.line + 1, p.problem ? p.problem : "malformed YAML");
		yaml_parser_delete(&p);
		rc = -EINVAL;
		goto out;
	}
	rc = k8s_kc_doc(&d, dirname(dircopy), c, err, errlen);
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
out:
	if (f)
		fclose(f);
	free(dircopy);
	if (rc)
		k8s_conn_free(c);
	return rc;
}

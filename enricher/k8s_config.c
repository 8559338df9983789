/* k8s_config.c: in-cluster service account and kubeconfig (libyaml) -> struct k8s_conn. */
#include "k8s_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* Secrets and kubeconfigs are small: a bigger file is a mistake or an attack. */
#define K8S_FILE_MAX (1u << 20)

static int k8s_read_file(const char *path, char **out, size_t *len, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char *buf = NULL;
	ssize_t n;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) || !S_ISREG(st->st_mode) || st->st_size > K8S_FILE_MAX) {
		rc = S_ISREG(st->st_mode) ? -EFBIG : -EINVAL;
		goto out;
	}
	buf = malloc((size_t)st->st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	n = read(fd, buf, (size_t)st->st_size);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	*out = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

/* Tokens end in a newline when written by hand: it is not part of the token. */
static void k8s_trim(char *s, size_t *len)
{
	while (*len && (s[*len - 1] == '\n' || s[*len - 1] == '\r' || s[*len - 1] == ' '))
		s[--*len] = '\0';
}

static bool k8s_ts_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

int k8s_secret_refresh(struct k8s_secret *s)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (!s->file)
		return 0;
	if (stat(s->file, &st) == 0 && s->data && k8s_ts_eq(&st.st_mtim, &s->mtime) &&
	    k8s_ts_eq(&st.st_ctim, &s->ctime) && st.st_size == s->size && st.st_ino == s->ino)
		return 0;
	rc = k8s_read_file(s->file, &data, &len, &st);
	if (rc)
		return rc;
	k8s_trim(data, &len);
	free(s->data);
	s->data = data;
	s->len = len;
	s->mtime = st.st_mtim;
	s->ctime = st.st_ctim;
	s->size = st.st_size;
	s->ino = st.st_ino;
	return 1;
}

static void k8s_secret_free(struct k8s_secret *s)
{
	free(s->file);
	if (s->data)
		explicit_bzero(s->data, s->len);
	free(s->data);
	memset(s, 0, sizeof(*s));
}

void k8s_conn_free(struct k8s_conn *c)
{
	free(c->server);
	k8s_secret_free(&c->ca);
	k8s_secret_free(&c->token);
	k8s_secret_free(&c->cert);
	k8s_secret_free(&c->key);
	free(c->namespace_);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

static int k8s_set_file(struct k8s_secret *s, const char *dir, const char *path)
{
	if (path[0] == '/' || !dir)
		s->file = strdup(path);
	else if (asprintf(&s->file, "%s/%s", dir, path) < 0)
		s->file = NULL;
	return s->file ? 0 : -ENOMEM;
}

int k8s_conn_in_cluster(struct k8s_conn *c, const char *sa_dir, char *err, size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"),
		   *port = getenv("KUBERNETES_SERVICE_PORT");
	struct k8s_secret ns = {0};
	int rc;

	memset(c, 0, sizeof(*c));
	if (!host || !*host || !port || !*port)
		return -ENOENT;
	if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 || strlen(host) > 255 ||
	    strpbrk(host, "/@?# ")) {
		snprintf(err, errlen,
			 "kubernetes: KUBERNETES_SERVICE_HOST/PORT are not a host and port");
		return -EINVAL;
	}
	/* An IPv6 host needs brackets in a URL. */
	if (asprintf(&c->server, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
		     port) < 0 ||
	    k8s_set_file(&c->token, sa_dir, "token") || k8s_set_file(&c->ca, sa_dir, "ca.crt") ||
	    k8s_set_file(&ns, sa_dir, "namespace") || !(c->source = strdup("in-cluster"))) {
		c->server = NULL;
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = k8s_secret_refresh(&c->token)) < 0 || (rc = k8s_secret_refresh(&c->ca)) < 0) {
		snprintf(err, errlen, "kubernetes: cannot read the service account's %s: %s",
			 c->token.data ? "ca.crt" : "token", strerror(-rc));
		goto fail;
	}
	/* The namespace file is optional (only used to find our own pod). */
	if (k8s_secret_refresh(&ns) > 0) {
		c->namespace_ = ns.data;
		ns.data = NULL;
	}
	k8s_secret_free(&ns);
	return 0;
fail:
	k8s_secret_free(&ns);
	k8s_conn_free(c);
	return rc;
}

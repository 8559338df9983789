/* k8s_config.h: where the API server is and how to authenticate: in-cluster or kubeconfig. */
#ifndef OBI_K8S_CONFIG_H
#define OBI_K8S_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define K8S_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* PEM or token material: a file (re-read when it changes) or bytes given inline. */
struct k8s_secret {
	char *file;
	char *data; /* inline, or the file's last contents */
	size_t len;
	/* Of the file when read: a rotation (kubelet: symlink swap; else rename or rewrite) changes
	 * at least one, even when an inode number is reused within the same second. */
	struct timespec mtime, ctime;
	off_t size;
	ino_t ino;
};

struct k8s_conn {
	char *server; /* https://host:port, no trailing slash */
	struct k8s_secret ca, token, cert, key;
	bool insecure;	  /* insecure-skip-tls-verify in the kubeconfig */
	char *namespace_; /* the service account's (in-cluster) or the context's */
	char *source;	  /* "in-cluster" or the kubeconfig path, for messages */
};

/*
 * In-cluster: KUBERNETES_SERVICE_HOST / _PORT, sa_dir/{token,ca.crt,namespace}. 0, or -ENOENT
 * when not in a cluster (no env), other -errno with err filled.
 */
int k8s_conn_in_cluster(struct k8s_conn *c, const char *sa_dir, char *err, size_t errlen);

/*
 * A kubeconfig's current context: server, CA (file or data), token / tokenFile, client
 * certificate and key (file or data); exec plugins and auth providers are refused by name.
 * Relative paths are taken from the kubeconfig's directory. 0 or -errno with err filled.
 */
int k8s_conn_kubeconfig(struct k8s_conn *c, const char *path, char *err, size_t errlen);

/* Re-reads file-backed secrets whose file changed (token rotation). 1 changed, 0 same, -errno. */
int k8s_secret_refresh(struct k8s_secret *s);

void k8s_conn_free(struct k8s_conn *c);

#endif /* OBI_K8S_CONFIG_H */

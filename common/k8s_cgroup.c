/* k8s_cgroup.c: container runtimes' cgroup naming schemes -> container id and pod uid. */
#include "k8s_cgroup.h"

#include <stdbool.h>
#include <string.h>

/*
 * A container's own cgroup is one path segment: the runtime's prefix, 64 hex digits, then the
 * systemd driver's ".scope" (or nothing on the cgroupfs driver). Table order does not matter:
 * prefixes are distinct. "crio-conmon-" is CRI-O's monitor process, not the container: it has
 * no entry, so its hex never matches (the "crio-" entry requires hex right after the dash).
 */
static const char *const k8s_cgroup_prefixes[] = {
    "",		       /* cgroupfs driver: containerd, cri-dockerd, Docker v1 (/docker/<id>) */
    "cri-containerd-", /* containerd, systemd driver */
    "crio-",	       /* CRI-O, both drivers */
    "docker-",	       /* Docker / cri-dockerd, systemd driver */
    "libpod-",	       /* podman */
    "containerd-",     /* containerd outside the CRI plugin (nerdctl) */
};

static bool k8s_is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

/* seg[0..n): one path segment. 1 and the id written when it is a container's cgroup. */
static int k8s_cgroup_segment(const char *seg, size_t n, char *id)
{
	if (n > 6 && memcmp(seg + n - 6, ".scope", 6) == 0)
		n -= 6;
	for (size_t i = 0; i < sizeof(k8s_cgroup_prefixes) / sizeof(k8s_cgroup_prefixes[0]); i++) {
		const char *p = k8s_cgroup_prefixes[i];
		size_t pl = strlen(p);

		if (n != pl + K8S_CONTAINER_ID_LEN || memcmp(seg, p, pl) != 0 ||
		    !k8s_is_hex(seg + pl, K8S_CONTAINER_ID_LEN))
			continue;
		for (size_t j = 0; j < K8S_CONTAINER_ID_LEN; j++) {
			char c = seg[pl + j];

			id[j] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
		}
		id[K8S_CONTAINER_ID_LEN] = '\0';
		return 1;
	}
	return 0;
}

/* The path part of one line [s, e): after the second ':' when it has two, else all of it. */
static const char *k8s_cgroup_path(const char *s, const char *e)
{
	const char *c1 = memchr(s, ':', (size_t)(e - s));
	const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(e - c1 - 1)) : NULL;

	return c2 ? c2 + 1 : s;
}

typedef int (*k8s_seg_fn)(const char *seg, size_t n, char *out);

/* Every line, every segment from the deepest up; the first hit wins. */
static int k8s_cgroup_scan(const char *text, k8s_seg_fn fn, char *out)
{
	const char *s = text;

	while (s && *s) {
		const char *e = strchr(s, '\n');
		const char *p, *end;

		if (!e)
			e = s + strlen(s);
		p = k8s_cgroup_path(s, e);
		end = e;
		while (end > p) {
			const char *seg = end;

			while (seg > p && seg[-1] != '/')
				seg--;
			if (end > seg && fn(seg, (size_t)(end - seg), out))
				return 1;
			end = seg > p ? seg - 1 : p;
		}
		s = *e ? e + 1 : NULL;
	}
	return 0;
}

int k8s_cgroup_container_id(const char *text, char id[K8S_CONTAINER_ID_LEN + 1])
{
	return text ? k8s_cgroup_scan(text, k8s_cgroup_segment, id) : 0;
}

/*
 * cgroupfs: "pod<uid>" (uid with dashes); systemd: "kubepods[-<qos>]-pod<uid_>.slice" with the
 * dashes turned into underscores (systemd reserves '-' as the slice hierarchy separator).
 */
static int k8s_cgroup_pod_segment(const char *seg, size_t n, char *uid)
{
	const char *p = NULL;

	if (n >= 6 && memcmp(seg + n - 6, ".slice", 6) == 0) {
		n -= 6;
		for (size_t i = 0; i + 4 <= n; i++)
			if (memcmp(seg + i, "-pod", 4) == 0)
				p = seg + i + 4;
	} else if (n > 3 && memcmp(seg, "pod", 3) == 0) {
		p = seg + 3;
	}
	if (!p || (size_t)(seg + n - p) != K8S_POD_UID_LEN)
		return 0;
	for (size_t i = 0; i < K8S_POD_UID_LEN; i++) {
		char c = p[i] == '_' ? '-' : p[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? c != '-' : !k8s_is_hex(&c, 1))
			return 0;
		uid[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
	}
	uid[K8S_POD_UID_LEN] = '\0';
	return 1;
}

int k8s_cgroup_pod_uid(const char *text, char uid[K8S_POD_UID_LEN + 1])
{
	return text ? k8s_cgroup_scan(text, k8s_cgroup_pod_segment, uid) : 0;
}

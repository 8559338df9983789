/* k8s_cgroup.h: the container id and pod uid named by a process's cgroup path(s). */
#ifndef OBI_K8S_CGROUP_H
#define OBI_K8S_CGROUP_H

#include <stddef.h>

#define K8S_CONTAINER_ID_LEN 64
#define K8S_POD_UID_LEN 36

/*
 * text: /proc/PID/cgroup as read (one "hierarchy:controllers:path" line per hierarchy, v1 or
 * v2) or a bare cgroup path. Writes the lower-case 64-hex container id and returns 1, or 0
 * when no line names a container runtime's cgroup (containerd cgroupfs/systemd, CRI-O, Docker,
 * cri-dockerd, podman). The deepest container cgroup of a line wins: a container's own child
 * cgroups (init.scope, a nested runtime) still resolve to it.
 */
int k8s_cgroup_container_id(const char *text, char id[K8S_CONTAINER_ID_LEN + 1]);

/* The pod uid (dashes restored on the systemd driver's underscores), 1 or 0 as above. */
int k8s_cgroup_pod_uid(const char *text, char uid[K8S_POD_UID_LEN + 1]);

#endif /* OBI_K8S_CGROUP_H */

/* test_k8s_cgroup.c: container id and pod uid from real runtimes' cgroup path shapes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "k8s_cgroup.h"

#define ID "3b1e5f6a9c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f"
#define ID_UP "3B1E5F6A9C0D2E4F6A8B0C2D4E6F8A0B2C4D6E8F0A2B4C6D8E0F2A4B6C8D0E2F"
#define UID "2f8e1c0a-6b4d-4e2f-9a8b-7c6d5e4f3a2b"
#define UID_ "2f8e1c0a_6b4d_4e2f_9a8b_7c6d5e4f3a2b"

struct cg_case {
	const char *what, *text;
	int has_id, has_uid;
};

static const struct cg_case k8s_cg_cases[] = {
    {"containerd systemd v2",
     "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
     ".slice/cri-containerd-" ID ".scope\n",
     1, 1},
    {"containerd cgroupfs v2", "0::/kubepods/burstable/pod" UID "/" ID "\n", 1, 1},
    {"containerd cgroupfs besteffort v1",
     "12:memory:/kubepods/besteffort/pod" UID "/" ID "\n11:cpu,cpuacct:/kubepods/besteffort/pod" UID
     "/" ID "\n1:name=systemd:/kubepods/besteffort/pod" UID "/" ID "\n",
     1, 1},
    {"guaranteed QoS systemd (no qos slice)",
     "0::/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope", 1, 1},
    {"CRI-O systemd v2",
     "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-" ID
     ".scope",
     1, 1},
    {"CRI-O cgroupfs", "0::/kubepods/pod" UID "/crio-" ID, 1, 1},
    {"CRI-O conmon is not the container",
     "0::/kubepods.slice/kubepods-pod" UID_ ".slice/crio-conmon-" ID ".scope", 0, 1},
    {"cri-dockerd systemd v1",
     "9:pids:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
     ".slice/docker-" ID ".scope\n",
     1, 1},
    {"cri-dockerd cgroupfs v1", "4:devices:/kubepods/burstable/pod" UID "/" ID "\n", 1, 1},
    {"Docker v1 cgroupfs", "12:pids:/docker/" ID "\n", 1, 0},
    {"Docker v2 systemd", "0::/system.slice/docker-" ID ".scope", 1, 0},
    {"podman", "0::/machine.slice/libpod-" ID ".scope/container", 1, 0},
    {"child cgroup of the container (systemd inside)",
     "0::/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope/init.scope", 1, 1},
    {"upper-case hex", "0::/kubepods/pod" UID "/" ID_UP, 1, 1},
    {"bare path", "/kubepods/burstable/pod" UID "/" ID, 1, 1},
    {"cgroup namespace root", "0::/\n", 0, 0},
    {"host process", "0::/user.slice/user-0.slice/session-3.scope\n", 0, 0},
    {"63 hex digits",
     "0::/kubepods/pod" UID "/"
     "3b1e5f6a9c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2",
     0, 1},
    {"65 hex digits", "0::/docker/" ID "a", 0, 0},
    {"non-hex",
     "0::/docker/"
     "zb1e5f6a9c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f",
     0, 0},
    {"pod uid too short", "0::/kubepods/pod2f8e1c0a-6b4d", 0, 0},
    {"empty", "", 0, 0},
    {"colons only", "::::\n:\n", 0, 0},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(k8s_cg_cases) / sizeof(k8s_cg_cases[0]); i++) {
		const struct cg_case *c = &k8s_cg_cases[i];
		char id[K8S_CONTAINER_ID_LEN + 1] = "", uid[K8S_POD_UID_LEN + 1] = "";
		int got = k8s_cgroup_container_id(c->text, id);
		int got_uid = k8s_cgroup_pod_uid(c->text, uid);

		if (got != c->has_id || got_uid != c->has_uid)
			fail_msg("%s: id %d uid %d", c->what, got, got_uid);
		if (got)
			assert_string_equal(id, ID);
		if (got_uid)
			assert_string_equal(uid, UID);
	}
}

static void test_null(void **state)
{
	char id[K8S_CONTAINER_ID_LEN + 1], uid[K8S_POD_UID_LEN + 1];

	(void)state;
	assert_int_equal(k8s_cgroup_container_id(NULL, id), 0);
	assert_int_equal(k8s_cgroup_pod_uid(NULL, uid), 0);
}

/* The deepest container cgroup of a line names the process (a runtime nested in a container). */
static void test_deepest_wins(void **state)
{
	char id[K8S_CONTAINER_ID_LEN + 1];
	const char *t =
	    "0::/docker/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
	    "docker/" ID;

	(void)state;
	assert_int_equal(k8s_cgroup_container_id(t, id), 1);
	assert_string_equal(id, ID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_null),
	    cmocka_unit_test(test_deepest_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* landlock.c: the enricher's Landlock ruleset: read-only on the files export needs, no writes,
 * no exec, no TCP bind, TCP connect only to the collector's port (ABI-dependent parts). */
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

/* Newer than the build host's header (Debian 12 stops at ABI 2): the kernel's UAPI values. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define ENRICHER_LL_NET_BIND_TCP (1ULL << 0)
#define ENRICHER_LL_NET_CONNECT_TCP (1ULL << 1)
#define ENRICHER_LL_RULE_NET_PORT 2
#define ENRICHER_LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define ENRICHER_LL_SCOPE_SIGNAL (1ULL << 1)

/* The ruleset attribute as of ABI 6; shorter prefixes are passed to older kernels. */
struct enricher_ll_ruleset {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped;	     /* ABI 6 */
};

struct enricher_ll_port {
	uint64_t allowed_access;
	uint64_t port;
} __attribute__((packed));

#define ENRICHER_LL_FS_V1                                                                          \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                              \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |                              \
	 LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |                          \
	 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |                              \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |                              \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |                            \
	 LANDLOCK_ACCESS_FS_MAKE_SYM)

static uint64_t enricher_ll_fs(int abi)
{
	uint64_t fs = ENRICHER_LL_FS_V1;

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return fs;
}

/* One read-only rule: files get READ_FILE, directories READ_FILE|READ_DIR beneath them. */
static int enricher_ll_path(int rfd, const char *path)
{
	struct landlock_path_beneath_attr pb = {.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE};
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		pb.allowed_access |= LANDLOCK_ACCESS_FS_READ_DIR;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0))
		rc = -errno;
	close(fd);
	if (rc)
		log_warn(-rc, "landlock: read rule for %s", path);
	return rc;
}

static int enricher_ll_ports(int rfd, const struct landlock_paths *p)
{
	for (size_t i = 0; i < sizeof(p->tcp_ports) / sizeof(p->tcp_ports[0]); i++) {
		struct enricher_ll_port np = {.allowed_access = ENRICHER_LL_NET_CONNECT_TCP,
					      .port = p->tcp_ports[i]};

		if (p->tcp_ports[i] &&
		    syscall(SYS_landlock_add_rule, rfd, ENRICHER_LL_RULE_NET_PORT, &np, 0))
			return -errno;
	}
	return 0;
}

int enricher_landlock(const struct landlock_paths *p)
{
	struct enricher_ll_ruleset attr = {0};
	size_t attr_len = offsetof(struct enricher_ll_ruleset, handled_access_net);
	int abi =
	    (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	int rfd, rc = 0;

	if (abi < 0) {
		log_info("landlock: not available (%s): file access is limited by seccomp and "
			 "file permissions only",
			 strerror(errno));
		return 0;
	}
	attr.handled_access_fs = enricher_ll_fs(abi);
	if (abi >= 4) {
		attr.handled_access_net = ENRICHER_LL_NET_BIND_TCP | ENRICHER_LL_NET_CONNECT_TCP;
		attr_len = offsetof(struct enricher_ll_ruleset, scoped);
	}
	if (abi >= 6) {
		attr.scoped = ENRICHER_LL_SCOPE_ABSTRACT_UNIX | ENRICHER_LL_SCOPE_SIGNAL;
		attr_len = sizeof(attr);
	}
	rfd = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_len, 0);
	if (rfd < 0 && (errno == ENOSYS || errno == EPERM)) {
		/* A container runtime's seccomp profile that predates Landlock: as if absent. */
		log_info("landlock: refused (%s, a seccomp profile?): file access is limited by "
			 "seccomp and file permissions only",
			 strerror(errno));
		return 0;
	}
	if (rfd < 0)
		return -errno;
	for (size_t i = 0; p->paths && p->paths[i] && !rc; i++)
		rc = enricher_ll_path(rfd, p->paths[i]);
	if (!rc && abi >= 4)
		rc = enricher_ll_ports(rfd, p);
	if (!rc && syscall(SYS_landlock_restrict_self, rfd, 0))
		rc = -errno;
	close(rfd);
	if (!rc)
		log_debug("landlock: ABI %d ruleset in force", abi);
	return rc;
}

/* sockdir.c: obi-probe's listening socket in a directory it has checked: no symlink, no path
 * that another user can swap, owner and mode set through the directory descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"
#include "sockdir.h"

static bool probe_sockdir_has_cap(cap_value_t c)
{
	cap_t caps = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	if (caps) {
		cap_get_flag(caps, c, CAP_EFFECTIVE, &v);
		cap_free(caps);
	}
	return v == CAP_SET;
}

/*
 * Opens DIR one component at a time. Existing components are the host's layout and may be
 * symlinks (/var/run -> /run); a component we create is made with 0755 and reopened with
 * O_NOFOLLOW, so a symlink swapped in after mkdirat is refused. The last component is never
 * followed. *created tells whether the last one is new.
 */
static int probe_sockdir_walk(const char *dir, bool *created)
{
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *save = NULL, *comp;
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	snprintf(buf, sizeof(buf), "%s", dir);
	*created = false;
	for (comp = strtok_r(buf, "/", &save); comp && fd >= 0; comp = strtok_r(NULL, "/", &save)) {
		/* Last: nothing but slashes after it ("/run/obi//" ends at obi too). */
		bool last = save == NULL || save[strspn(save, "/")] == '\0';
		int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (last ? O_NOFOLLOW : 0);
		int nfd = openat(fd, comp, flags);

		*created = false;
		if (nfd < 0 && errno == ENOENT && mkdirat(fd, comp, 0755) == 0) {
			*created = true;
			nfd = openat(fd, comp, flags | O_NOFOLLOW);
		}
		if (nfd < 0) {
			int err = errno;

			close(fd);
			errno = err;
			return -1;
		}
		close(fd);
		fd = nfd;
	}
	return fd;
}

/* The shared-volume case: DIR/obi-probe.d, ours alone, traversable by the enricher's group. */
static int probe_sockdir_private(struct probe *p, int dfd, const char *dir, uid_t rt_uid)
{
	struct stat st;
	const char *why;
	int fd;

	if (mkdirat(dfd, SOCKDIR_PRIVATE, 0700) && errno != EEXIST) {
		log_error(errno, "creating %s/%s", dir, SOCKDIR_PRIVATE);
		return -1;
	}
	fd = openat(dfd, SOCKDIR_PRIVATE, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		log_error(errno, "%s/%s is not a directory of obi-probe's (remove it)", dir,
			  SOCKDIR_PRIVATE);
		goto fail;
	}
	why = sockdir_untrusted(&st, geteuid(), rt_uid);
	if (!why && st.st_uid != geteuid() && st.st_uid != rt_uid)
		why = "owned by another user";
	if (why) {
		log_errorx("%s/%s is %s: remove it, obi-probe creates it", dir, SOCKDIR_PRIVATE,
			   why);
		goto fail;
	}
	/* Group = the enricher's, so that it may traverse (0710); where we may not give the owner
	 * away (no CAP_CHOWN), the group alone is enough when we are a member of it. */
	if (fchown(fd, rt_uid, p->cfg.enricher_gid) && fchown(fd, (uid_t)-1, p->cfg.enricher_gid))
		log_warn(errno,
			 "%s/%s: cannot give it group %u (obi-enricher may not reach the "
			 "socket: grant CAP_CHOWN, or make gid %u a supplementary group of "
			 "obi-probe)",
			 dir, SOCKDIR_PRIVATE, p->cfg.enricher_gid, p->cfg.enricher_gid);
	if (fchmod(fd, 0710)) {
		log_error(errno, "%s/%s: mode", dir, SOCKDIR_PRIVATE);
		goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Opens and checks the directory the socket goes into; returns its descriptor or -1. */
static int probe_sockdir_open(struct probe *p, const char *dir)
{
	uid_t rt_uid = probe_confine_runtime_uid(p);
	struct stat st;
	const char *why;
	bool created;
	int fd = probe_sockdir_walk(dir, &created);

	if (fd < 0) {
		log_error(errno,
			  "opening the socket directory %s (a symlink there is refused: point "
			  "probe.socket_path at the real directory)",
			  dir);
		return -1;
	}
	/* A directory we made is the run-time uid's, so that the socket can be unlinked at exit. */
	if (created && fchown(fd, rt_uid, (gid_t)-1) && errno != EPERM)
		log_warn(errno, "%s: owner", dir);
	if (fstat(fd, &st)) {
		close(fd);
		return -1;
	}
	p->sock_shared = sockdir_is_shared(&st);
	if (p->sock_shared) {
		int sub = probe_sockdir_private(p, fd, dir, rt_uid);

		close(fd);
		return sub;
	}
	why = sockdir_untrusted(&st, geteuid(), rt_uid);
	if (why) {
		log_errorx("socket directory %s is %s: make it owned by root and mode 0755 (chmod "
			   "go-w), or point probe.socket_path at a directory of its own",
			   dir, why);
		close(fd);
		return -1;
	}
	return fd;
}

/* A leftover socket of an earlier run goes; anything else at that name is not ours to remove. */
static int probe_sockdir_clear(int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT)
			return 0;
		log_error(errno, "checking %s", name);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode) && !S_ISLNK(st.st_mode)) {
		log_errorx("%s exists and is not a socket: remove it or choose another "
			   "probe.socket_path",
			   name);
		return -1;
	}
	if (unlinkat(dfd, name, 0)) {
		log_error(errno, "removing the old socket %s", name);
		return -1;
	}
	return 0;
}

/*
 * Binds NAME under a umask that gives the final mode at once (0600 when the socket can be given
 * to the enricher's uid, else 0660 for its group), then sets the owner with fchownat through
 * the directory descriptor without following a symlink. Nothing is chmodded or chowned by path.
 */
static int probe_sockdir_bind(struct probe *p, int dfd, const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	bool can_chown = probe_sockdir_has_cap(CAP_CHOWN);
	mode_t old;
	int fd, rc;

	if (sockdir_fd_path(sa.sun_path, sizeof(sa.sun_path), dfd, name))
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error(errno, "socket");
		return -1;
	}
	old = umask(can_chown ? 0177 : 0117);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc || listen(fd, 16)) {
		log_error(errno, "binding %s", p->cfg.socket_path);
		close(fd);
		return -1;
	}
	if (can_chown) {
		rc = fchownat(dfd, name, p->cfg.enricher_uid, p->cfg.enricher_gid,
			      AT_SYMLINK_NOFOLLOW);
	} else {
		rc = fchownat(dfd, name, (uid_t)-1, p->cfg.enricher_gid, AT_SYMLINK_NOFOLLOW);
	}
	if (rc)
		log_warn(errno,
			 "%s: cannot give the socket to obi-enricher (uid %u, gid %u): it "
			 "will not be able to connect; grant obi-probe CAP_CHOWN, or make gid "
			 "%u one of its supplementary groups (Kubernetes fsGroup)",
			 p->cfg.socket_path, p->cfg.enricher_uid, p->cfg.enricher_gid,
			 p->cfg.enricher_gid);
	return fd;
}

int probe_sockdir_listen(struct probe *p)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], name[SOCKDIR_NAME_MAX + 1];
	int dfd, fd;

	if (sockdir_split(p->cfg.socket_path, dir, sizeof(dir), name, sizeof(name))) {
		log_errorx("probe.socket_path %s: an absolute path whose last component is 1..%d "
			   "characters",
			   p->cfg.socket_path, SOCKDIR_NAME_MAX);
		return -1;
	}
	dfd = probe_sockdir_open(p, dir);
	if (dfd < 0)
		return -1;
	if (probe_sockdir_clear(dfd, name) || (fd = probe_sockdir_bind(p, dfd, name)) < 0) {
		close(dfd);
		return -1;
	}
	p->sock_dirfd = dfd;
	snprintf(p->sock_name, sizeof(p->sock_name), "%s", name);
	p->listen_fd = fd;
	log_info("waiting for obi-enricher on %s (in %s)", p->cfg.socket_path,
		 p->sock_shared ? "its private directory " SOCKDIR_PRIVATE : "that directory");
	return 0;
}

void probe_sockdir_unlink(struct probe *p)
{
	if (p->sock_dirfd < 0)
		return;
	/* Through the directory descriptor only (the run-time seccomp allows nothing else). */
	if (unlinkat(p->sock_dirfd, p->sock_name, 0) && errno != ENOENT)
		log_debug("removing the socket: %s", strerror(errno));
	close(p->sock_dirfd);
	p->sock_dirfd = -1;
}

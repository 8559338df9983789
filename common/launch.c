/* launch.c: checks a descriptor inherited from the single-host launcher (launch.h). */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

int launch_inherited_fd(const char *var)
{
	const char *v = getenv(var);
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int type = 0, domain = 0;
	socklen_t ilen = sizeof(int);
	struct stat st;

	if (!v)
		return -2;
	if (strcmp(v, "3") != 0) {
		log_errorx("%s=%s: only the launcher sets it, to %d", var, v, OBI_LAUNCH_FD);
		return -1;
	}
	if (fstat(OBI_LAUNCH_FD, &st) || !S_ISSOCK(st.st_mode) ||
	    getsockopt(OBI_LAUNCH_FD, SOL_SOCKET, SO_TYPE, &type, &ilen) ||
	    type != SOCK_SEQPACKET ||
	    getsockopt(OBI_LAUNCH_FD, SOL_SOCKET, SO_DOMAIN, &domain, &ilen) || domain != AF_UNIX ||
	    getsockopt(OBI_LAUNCH_FD, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		log_errorx("%s: descriptor %d is not the launcher's socket", var, OBI_LAUNCH_FD);
		return -1;
	}
	/* A socketpair's peer credentials are its creator's: the launcher, our parent. */
	if (cred.pid != getppid() || (cred.uid != 0 && cred.uid != geteuid())) {
		log_errorx("%s: descriptor %d was made by pid %d uid %u, not by the launcher", var,
			   OBI_LAUNCH_FD, cred.pid, cred.uid);
		return -1;
	}
	if (fcntl(OBI_LAUNCH_FD, F_SETFD, FD_CLOEXEC))
		return -1;
	return OBI_LAUNCH_FD;
}

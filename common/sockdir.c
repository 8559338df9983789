/* sockdir.c: the socket directory rule shared by obi-probe and obi-enricher (sockdir.h). */
#include "sockdir.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int sockdir_split(const char *path, char *dir, size_t dlen, char *name, size_t nlen)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (path[0] != '/' || !slash)
		return -EINVAL; /* relative: it would depend on the working directory */
	n = strlen(slash + 1);
	if (n == 0 || n > SOCKDIR_NAME_MAX || n >= nlen || strcmp(slash + 1, ".") == 0 ||
	    strcmp(slash + 1, "..") == 0)
		return -EINVAL;
	if ((size_t)(slash - path) + 2 > dlen)
		return -EINVAL;
	memcpy(name, slash + 1, n + 1);
	if (slash == path) {
		snprintf(dir, dlen, "/");
	} else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	return 0;
}

bool sockdir_is_shared(const struct stat *st)
{
	return S_ISDIR(st->st_mode) && (st->st_mode & S_IWOTH);
}

const char *sockdir_untrusted(const struct stat *st, uid_t a, uid_t b)
{
	if (!S_ISDIR(st->st_mode))
		return "not a directory";
	if (st->st_uid != 0 && st->st_uid != a && st->st_uid != b)
		return "owned by a user other than root and obi-probe, who could replace the "
		       "socket";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others, who could replace the socket";
	return NULL;
}

int sockdir_fd_path(char *out, size_t len, int dirfd, const char *name)
{
	int n = snprintf(out, len, "/proc/self/fd/%d/%s", dirfd, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

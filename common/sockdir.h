/* sockdir.h: where the probe's socket lives and which directories may hold it (both sides). */
#ifndef OBI_SOCKDIR_H
#define OBI_SOCKDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * The rule both processes apply to probe.socket_path = DIR/NAME (docs/security.md, "The socket
 * between the processes"):
 *   DIR writable by others (a shared volume such as a Kubernetes emptyDir, 0777, or a sticky
 *   /tmp-like directory): the socket is DIR/obi-probe.d/NAME, in a directory of the probe's own
 *   (its run-time uid, the enricher's group, 0710);
 *   otherwise DIR must be owned by root or the probe and not writable by group or others, and
 *   the socket is DIR/NAME.
 */
#define SOCKDIR_PRIVATE "obi-probe.d"
/* Short enough that "/proc/self/fd/N/obi-probe.d/NAME" fits sun_path with room to spare. */
#define SOCKDIR_NAME_MAX 64

/* Splits path into its directory and last component; 0, or -EINVAL (names the problem). */
int sockdir_split(const char *path, char *dir, size_t dlen, char *name, size_t nlen);
/* The shared-volume case: a directory anyone may write. */
bool sockdir_is_shared(const struct stat *st);
/* NULL when st is a directory that only uid `a` or `b` (or root) can change; else why not. */
const char *sockdir_untrusted(const struct stat *st, uid_t a, uid_t b);
/* "/proc/self/fd/DIRFD/NAME": a path through an open directory that follows no symlink on the
 * way to NAME (bind and connect take paths, not descriptors). 0 or -ENAMETOOLONG. */
int sockdir_fd_path(char *out, size_t len, int dirfd, const char *name);

#endif /* OBI_SOCKDIR_H */

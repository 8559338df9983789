/* ctcheck.c: a static probe of what a container grants, run inside it with `podman exec`
 * (same capabilities, uid, seccomp and mounts as the container's process): tries to create a
 * file in each directory, to read files, and to talk to the obi socket; prints one line per try. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int ctcheck_write(const char *dir)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/.ctcheck-%d", dir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		printf("write %s denied %s\n", dir, strerror(errno));
		return 0;
	}
	close(fd);
	unlink(path);
	printf("write %s allowed\n", dir);
	return 0;
}

static int ctcheck_read(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		printf("read %s denied %s\n", path, strerror(errno));
		return 0;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		printf("read %s denied %s\n", path, strerror(errno));
	else
		printf("read %s allowed\n", path);
	return 0;
}

/* A refused peer is accepted and closed at once by obi-probe: EOF (or a reset) within 3 s. */
static int ctcheck_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct pollfd pfd;
	char buf[256];
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ssize_t n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		printf("connect %s failed %s\n", path, strerror(errno));
		return 0;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 3000) == 0) {
		printf("connect %s kept-open\n", path);
	} else {
		n = recv(fd, buf, sizeof(buf), 0);
		printf("connect %s %s\n", path, n > 0 ? "got-data" : "closed-by-peer");
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[1], "write") == 0)
			ctcheck_write(argv[i]);
		else if (strcmp(argv[1], "read") == 0)
			ctcheck_read(argv[i]);
		else if (strcmp(argv[1], "connect") == 0)
			ctcheck_connect(argv[i]);
	}
	printf("uid %d euid %d\n", (int)getuid(), (int)geteuid());
	return 0;
}

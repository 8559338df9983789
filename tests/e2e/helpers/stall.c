/* stall.c: e2e helper: a process whose command line can never be read (tests/e2e/cases_procfs.py).
 *
 *   stall fs MOUNTDIR STATUSFILE   a FUSE file system (raw /dev/fuse, no library) with one file
 *                                  "page" whose reads are never answered; writes the number of
 *                                  reads waiting to STATUSFILE
 *   stall target FILE STATUSFILE PORT
 *                                  maps FILE, reads it through /proc/self/mem (that read holds
 *                                  its mmap_lock while it waits for the FUSE server), queues an
 *                                  mmap() behind it, then listens on 127.0.0.1:PORT: any read
 *                                  of its /proc/PID/cmdline or environ now waits, forever
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fuse_fd;

static void on_alarm(int sig)
{
	(void)sig;
}

/* pause() once, briefly, so that its code is mapped before the lock is taken. */
static void pause_once(void)
{
	signal(SIGALRM, on_alarm);
	ualarm(50000, 0);
	pause();
	alarm(0);
}

static void reply(uint64_t unique, int error, const void *data, size_t len)
{
	char buf[4096];
	struct fuse_out_header h = {.len = (uint32_t)(sizeof(h) + len), .error = -error,
				    .unique = unique};

	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), data, len);
	if (write(fuse_fd, buf, h.len) < 0)
		perror("fuse reply");
}

static void fill_attr(struct fuse_attr *a, uint64_t ino)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->mode = ino == FUSE_ROOT_ID ? (S_IFDIR | 0755) : (S_IFREG | 0444);
	a->nlink = ino == FUSE_ROOT_ID ? 2 : 1;
	a->size = ino == FUSE_ROOT_ID ? 0 : 4096;
	a->blocks = ino == FUSE_ROOT_ID ? 0 : 8;
	a->blksize = 4096;
}

static void write_status(const char *path, unsigned reads, unsigned pid)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "reads %u pid %u\n", reads, pid);
	fclose(f);
	rename(tmp, path);
}

static int run_fs(const char *dir, const char *status)
{
	static char buf[1 << 17];
	char opts[256];
	unsigned reads = 0;

	fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fuse_fd < 0) {
		perror("/dev/fuse");
		return 1;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other",
		 fuse_fd);
	if (mount("stallfs", dir, "fuse.stallfs", MS_NOSUID | MS_NODEV, opts)) {
		perror("mount");
		return 1;
	}
	for (;;) {
		ssize_t n = read(fuse_fd, buf, sizeof(buf));
		struct fuse_in_header *in = (struct fuse_in_header *)buf;
		void *arg = buf + sizeof(*in);

		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(*in))
			return n < 0 ? 1 : 0;
		switch (in->opcode) {
		case FUSE_INIT: {
			struct fuse_init_in *ii = arg;
			struct fuse_init_out o = {.major = FUSE_KERNEL_VERSION,
						  .minor = FUSE_KERNEL_MINOR_VERSION,
						  .max_readahead = ii->max_readahead,
						  .max_background = 16,
						  .congestion_threshold = 12,
						  .max_write = 4096,
						  .time_gran = 1,
						  .max_pages = 1};
			reply(in->unique, 0, &o, sizeof(o));
			write_status(status, 0, 0); /* ready */
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out o = {0};

			if (in->nodeid != FUSE_ROOT_ID || strcmp(arg, "page") != 0) {
				reply(in->unique, ENOENT, NULL, 0);
				break;
			}
			o.nodeid = 2;
			o.generation = 1;
			o.entry_valid = o.attr_valid = 3600;
			fill_attr(&o.attr, 2);
			reply(in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out o = {.attr_valid = 3600};

			fill_attr(&o.attr, in->nodeid);
			reply(in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_OPEN: {
			struct fuse_open_out o = {.fh = 1, .open_flags = FOPEN_KEEP_CACHE};

			reply(in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_READ:
			/* The point of this file system: the read is never answered. */
			write_status(status, ++reads, in->pid);
			break;
		case FUSE_FLUSH:
		case FUSE_RELEASE:
			reply(in->unique, 0, NULL, 0);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break; /* no reply: an interrupted read stays unanswered too */
		default:
			reply(in->unique, ENOSYS, NULL, 0);
		}
	}
}

static int go_read[2], go_write[2];
static void *page;

static void wait_go(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

static void *reader(void *arg)
{
	int fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	char c;

	(void)arg;
	wait_go(go_read[0]);
	/* A read through /proc/PID/mem faults without dropping mmap_lock: held until answered. */
	if (fd < 0 || pread(fd, &c, 1, (off_t)(uintptr_t)page) < 0)
		perror("/proc/self/mem");
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	wait_go(go_write[0]);
	/* Queues for mmap_lock behind the reader; every later reader queues behind it. */
	if (mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
		perror("mmap");
	return NULL;
}

/* Waits until the FUSE server has received a read (its status file, replaced at each change):
 * no allocation here. */
static int wait_read(const char *status)
{
	for (int i = 0; i < 1000; i++) {
		char buf[64];
		int fd = open(status, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
		struct timespec ts = {0, 10000000};

		if (fd >= 0)
			close(fd);
		if (n > 6 && memcmp(buf, "reads ", 6) == 0 && buf[6] != '0')
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/*
 * Makes its own mmap_lock unobtainable, then listens: every read of its /proc/PID/cmdline or
 * environ (which take that lock) waits until the FUSE server answers, i.e. forever. Once the
 * lock is taken nothing here may fault or allocate (that needs the lock too).
 */
static int run_target(const char *file, const char *status, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = open(file, O_RDONLY | O_CLOEXEC), s, one = 1;
	struct timespec ts = {0, 200000000};
	pthread_t r, w;
	sigset_t all, old;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || pipe(go_read) ||
	    pipe(go_write)) {
		perror("open / bind");
		return 1;
	}
	page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	/* The helper threads take no signal: an interrupted wait must not end the stall. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (page == MAP_FAILED || pthread_create(&r, NULL, reader, NULL) ||
	    pthread_create(&w, NULL, writer, NULL)) {
		perror("mmap / threads");
		return 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* Everything used once the lock is taken is faulted in now. */
	listen(-1, 0);
	pause_once();
	signal(SIGALRM, SIG_DFL);
	alarm(60);
	nanosleep(&ts, NULL);
	if (write(go_read[1], "r", 1) != 1 || wait_read(status))
		return 1;
	if (write(go_write[1], "w", 1) != 1)
		return 1;
	nanosleep(&ts, NULL);
	if (listen(s, 16))
		return 1;
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	/*
	 * While a target lives, anything that reads its command line (ps, pgrep, top) waits too:
	 * if the test dies without stopping us, this alarm ends the stall for the whole machine.
	 */
	alarm(60);
	if (argc == 4 && strcmp(argv[1], "fs") == 0)
		return run_fs(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "target") == 0)
		return run_target(argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "usage: stall fs MOUNTDIR STATUSFILE | stall target FILE STATUSFILE PORT\n");
	return 2;
}

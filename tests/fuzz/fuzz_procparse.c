/* fuzz_procparse.c: libFuzzer harness for the probe's /proc parsers (probe/procparse.c): text a
 * hostile process controls (its comm in stat, its environ and cmdline) or the kernel formats. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy: ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1), out[64];
	struct procparse_listen l[8];
	uint32_t pids[8], v;
	unsigned long long ticks;
	unsigned long ino;
	size_t vlen;
	const char *val;
	int n;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (procparse_status_field(buf, size, "PPid", out, sizeof(out)) == 0)
		fuzz_check(strlen(out) < sizeof(out));
	(void)procparse_status_u32(buf, size, "PPid", false, &v);
	(void)procparse_status_u32(buf, size, "NSpid", true, &v);
	(void)procparse_stat_starttime(buf, size, &ticks);
	n = procparse_tcp_listen(buf, size, l, 0, 8);
	fuzz_check(n >= 0 && n <= 8);
	for (int i = 0; i < n; i++)
		fuzz_check(l[i].inode != 0);
	n = procparse_pid_list(buf, size, pids, 0, 8);
	fuzz_check(n >= 0 && n <= 8);
	for (int i = 0; i < n; i++)
		fuzz_check(pids[i] > 0 && pids[i] < 4u * 1024 * 1024);
	(void)procparse_socket_inode(buf, size, &ino);
	val = procparse_env_get(buf, size, "OTEL_SERVICE_NAME", &vlen);
	if (val)
		fuzz_check(val >= buf && val + vlen <= buf + size && memchr(val, '\0', vlen) == NULL);
	fuzz_check(procparse_cmdline_len(buf, size) <= size);
	fuzz_check(procparse_exe_len(buf, size) <= size);
	fuzz_check(procparse_cgroup_len(buf, size) <= size);
	free(buf);
	return 0;
}

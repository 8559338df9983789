/* fuzz_config_env.c: libFuzzer harness for configuration from the environment and the command line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_ITEMS 32

/*
 * Input: environment lines, "\0", argument lines, "\0", YAML file text. Any -config value is
 * pointed at the YAML text written to a private file, so the harness never reads other files.
 */
static size_t fuzz_split(char *s, size_t len, char **out, size_t max)
{
	size_t n = 0, i, start = 0;

	for (i = 0; i <= len && n < max; i++) {
		if (i == len || s[i] == '\n') {
			if (i < len)
				s[i] = '\0';
			if (i > start)
				out[n++] = s + start;
			start = i + 1;
		}
	}
	return n;
}

/* Splits buf at its first two NULs; 0 when there are not two. */
static int fuzz_parts(char *buf, size_t size, char **part, size_t *len)
{
	size_t i, k = 0;

	part[0] = buf;
	for (i = 0; i < size && k < 2; i++) {
		if (buf[i] == '\0') {
			len[k] = (size_t)(buf + i - part[k]);
			part[++k] = buf + i + 1;
		}
	}
	if (k < 2)
		return 0;
	len[2] = size - (size_t)(part[2] - buf);
	return 1;
}

/* Runs config_load with stderr silenced; accepted configurations must also dump. */
static void fuzz_load(char **argv, size_t na, char **envp)
{
	struct obi_config cfg;
	enum config_action act;
	int saved = dup(2);

	if (freopen("/dev/null", "w", stderr)) {
		/* config_load's messages are not what is tested */
	}
	if (config_load(&cfg, (int)na, argv, envp, CONFIG_PROC_PROBE | CONFIG_PROC_ENRICHER,
			&act) == 0) {
		FILE *sink = fopen("/dev/null", "w");

		if (sink) {
			config_dump(&cfg, sink);
			fclose(sink);
		}
		config_free(&cfg);
	}
	fflush(stderr);
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *part[3] = {NULL, NULL, NULL};
	char *envp[FUZZ_MAX_ITEMS + 2], *argv[FUZZ_MAX_ITEMS + 2], path[] = "/tmp/fuzzcfgXXXXXX";
	char cfgpath[64], cfgenv[80];
	size_t ne, na, i, len[3] = {0, 0, 0};
	int fd = -1;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (!fuzz_parts(buf, size, part, len) || (fd = mkstemp(path)) < 0)
		goto out;
	if (write(fd, part[2], len[2]) < 0) {
		/* an empty file is still a test */
	}
	close(fd);
	snprintf(cfgpath, sizeof(cfgpath), "-config=%s", path);
	snprintf(cfgenv, sizeof(cfgenv), "OTEL_EBPF_CONFIG_PATH=%s", path);
	ne = fuzz_split(part[0], len[0], envp, FUZZ_MAX_ITEMS);
	for (i = 0; i < ne; i++)
		if (strncmp(envp[i], "OTEL_EBPF_CONFIG_PATH=", 22) == 0)
			envp[i] = cfgenv;
	envp[ne] = NULL;
	argv[0] = "obi";
	na = 1 + fuzz_split(part[1], len[1], argv + 1, FUZZ_MAX_ITEMS);
	for (i = 1; i < na; i++)
		if (strstr(argv[i], "config") && !strstr(argv[i], "check-config") &&
		    !strstr(argv[i], "dump-config") && !strstr(argv[i], "config-docs"))
			argv[i] = cfgpath;
	argv[na] = NULL;
	fuzz_load(argv, na, envp);
	unlink(path);
out:
	free(buf);
	return 0;
}

/* otlp_testutil.h: helpers shared by the OTLP unit tests (spans, files, running decoders). */
#ifndef OBI_OTLP_TESTUTIL_H
#define OBI_OTLP_TESTUTIL_H

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "span.h"
#include "span_testutil.h"

#define OTLP_T_OFFICIAL_PROTOS                                                                     \
	"tests/otlp/node_modules/@opentelemetry/otlp-grpc-exporter-base/build/protos"

/* A built-like HTTP span; span_t_free() it. */
static inline struct span *otlp_t_span(const struct span_service *svc, uint8_t seed, int kind)
{
	struct span *s = span_t_new();
	char path[32];

	s->type = SPAN_TYPE_HTTP;
	s->kind = kind;
	s->status = kind == SPAN_KIND_SERVER ? SPAN_STATUS_UNSET : SPAN_STATUS_ERROR;
	s->start_ns = 1775595648479048000ull + seed;
	s->end_ns = s->start_ns + 397234;
	for (int i = 0; i < 16; i++)
		s->trace_id[i] = (uint8_t)(0xa0 + i + seed);
	for (int i = 0; i < 8; i++)
		s->span_id[i] = (uint8_t)(0x10 + i + seed);
	s->trace_flags = 1;
	span_t_set(s, SPAN_A_NAME, "GET");
	span_t_set(s, SPAN_A_HTTP_METHOD, "GET");
	snprintf(path, sizeof(path), "/users/%u", seed);
	span_t_set(s, SPAN_A_URL_PATH, path);
	snprintf(s->host_addr, sizeof(s->host_addr), "127.0.0.1");
	s->host_port = 8080;
	snprintf(s->peer_addr, sizeof(s->peer_addr), "127.0.0.2");
	s->peer_port = 40000;
	span_set_int(s, SPAN_A_HTTP_STATUS_CODE, kind == SPAN_KIND_SERVER ? 200 : 503);
	/* As span_build_http: both body sizes always there. */
	span_set_int(s, SPAN_A_HTTP_REQ_BODY_SIZE, 0);
	span_set_int(s, SPAN_A_HTTP_RESP_BODY_SIZE, 512);
	span_t_set(s, SPAN_A_NET_PROTO_VERSION, "1.1");
	if (kind == SPAN_KIND_CLIENT)
		span_t_set(s, SPAN_A_URL_FULL, "http://backend:9090/x");
	s->svc = svc;
	return s;
}

/* Writes n bytes to a fresh temporary file; returns its path (caller unlinks and frees). */
static inline char *otlp_t_write_tmp(const void *p, size_t n)
{
	char *path = strdup("/tmp/obi-otlp-test-XXXXXX");
	int fd = path ? mkstemp(path) : -1;

	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
	return path;
}

/* Runs a shell command, returns its stdout (NUL-terminated, caller frees) and exit status. */
static inline char *otlp_t_run(const char *cmd, int *status)
{
	FILE *f = popen(cmd, "r");
	size_t len = 0, cap = 65536;
	char *out = malloc(cap);
	size_t n;

	if (!f || !out)
		abort();
	while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2 && !(out = realloc(out, cap *= 2)))
			abort();
	}
	out[len] = '\0';
	*status = pclose(f);
	return out;
}

/* The decoded request as the OpenTelemetry JS protobuf root sees it (tests/otlp/decode.js). */
static inline cJSON *otlp_t_js_decode(const char *signal, const char *fmt, const void *p, size_t n)
{
	char *path = otlp_t_write_tmp(p, n), cmd[512], *out;
	int st;
	cJSON *j;

	snprintf(cmd, sizeof(cmd), "node tests/otlp/decode.js %s %s %s", signal, fmt, path);
	out = otlp_t_run(cmd, &st);
	unlink(path);
	free(path);
	j = st == 0 ? cJSON_Parse(out) : NULL;
	free(out);
	return j;
}

static inline size_t otlp_t_count(const char *hay, const char *needle)
{
	size_t c = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		c++;
	return c;
}

/* A node test receiver (tests/otlp/receiver.js or grpc_receiver.js) on a 127.0.0.1 port. */
struct otlp_t_rx {
	pid_t pid;
	FILE *out;
	int port;
};

/* tls: NULL, or receiver.js's "CERT,KEY[,CLIENT_CA]" for https (and mTLS). */
static inline int otlp_t_rx_start_tls(struct otlp_t_rx *r, const char *script, const char *faults,
				      const char *tls)
{
	int fds[2];
	char line[128];

	if (pipe(fds))
		return -1;
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (r->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (tls)
			execlp("node", "node", script, "--faults", faults, "--tls", tls,
			       (char *)NULL);
		else
			execlp("node", "node", script, "--faults", faults, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	r->out = fdopen(fds[0], "r");
	if (!r->out || !fgets(line, sizeof(line), r->out) ||
	    sscanf(line, "listening %d", &r->port) != 1)
		return -1;
	return 0;
}

static inline int otlp_t_rx_start(struct otlp_t_rx *r, const char *script, const char *faults)
{
	return otlp_t_rx_start_tls(r, script, faults, NULL);
}

/* Stops the receiver; its request lines (each written before its answer) go to lines[]. */
static inline size_t otlp_t_rx_stop(struct otlp_t_rx *r, cJSON **lines, size_t max)
{
	char *line = NULL;
	size_t cap = 0, n = 0;
	int st;

	kill(r->pid, SIGTERM);
	while (getline(&line, &cap, r->out) > 0 && n < max) {
		lines[n] = cJSON_Parse(line);
		if (!lines[n])
			abort();
		n++;
	}
	free(line);
	fclose(r->out);
	waitpid(r->pid, &st, 0);
	r->pid = 0;
	return n;
}

#endif /* OBI_OTLP_TESTUTIL_H */

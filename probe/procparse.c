/* procparse.c: pure parsers of /proc text: bounded by the buffer, never trusting its contents. */
#include "procparse.h"

#include <stdio.h>
#include <string.h>

/* The kernel's PID_MAX_LIMIT: anything larger in a pid list is not a pid. */
#define PROCPARSE_PID_LIMIT (4u * 1024 * 1024)

/* The line starting at *pos (without its newline); advances *pos past it. false at the end. */
static bool procparse_next_line(const char *buf, size_t len, size_t *pos, const char **line,
				size_t *llen)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*line = buf + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*llen = nl ? (size_t)(nl - *line) : len - *pos;
	*pos += *llen + 1;
	return true;
}

int procparse_status_field(const char *buf, size_t len, const char *field, char *out, size_t outlen)
{
	size_t flen = strlen(field), pos = 0, llen;
	const char *line;

	if (!outlen)
		return -1;
	while (procparse_next_line(buf, len, &pos, &line, &llen)) {
		size_t i = flen + 1, n;

		if (llen <= flen || memcmp(line, field, flen) != 0 || line[flen] != ':')
			continue;
		while (i < llen && (line[i] == ' ' || line[i] == '\t'))
			i++;
		n = llen - i < outlen - 1 ? llen - i : outlen - 1;
		memcpy(out, line + i, n);
		out[n] = '\0';
		return 0;
	}
	return -1;
}

/* A decimal number filling all of s[0..n); false on anything else or overflow. */
static bool procparse_u64(const char *s, size_t n, unsigned long long *v)
{
	unsigned long long x = 0;

	if (!n || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (x > (~0ULL - (unsigned)(s[i] - '0')) / 10)
			return false;
		x = x * 10 + (unsigned)(s[i] - '0');
	}
	*v = x;
	return true;
}

int procparse_status_u32(const char *buf, size_t len, const char *field, bool last, uint32_t *out)
{
	char v[256];
	const char *s = v;
	size_t n;
	unsigned long long x;

	if (procparse_status_field(buf, len, field, v, sizeof(v)))
		return -1;
	n = strcspn(v, " \t");
	if (last) {
		const char *t = strrchr(v, '\t');

		s = t ? t + 1 : v;
		n = strlen(s);
	}
	if (!procparse_u64(s, n, &x) || x > UINT32_MAX)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

int procparse_stat_starttime(const char *buf, size_t len, unsigned long long *ticks)
{
	const char *p = memrchr(buf, ')', len), *end = buf + len;
	int field = 2; /* comm, ending at the last ')' */

	if (!p)
		return -1;
	for (p++; p < end;) {
		const char *tok;

		while (p < end && *p == ' ')
			p++;
		tok = p;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		if (p == tok)
			return -1;
		if (++field == 22)
			return procparse_u64(tok, (size_t)(p - tok), ticks) ? 0 : -1;
	}
	return -1;
}

int procparse_tcp_listen(const char *buf, size_t len, struct procparse_listen *out, int n, int max)
{
	size_t pos = 0, llen;
	const char *line;

	while (n < max && procparse_next_line(buf, len, &pos, &line, &llen)) {
		char copy[512], local[80];
		unsigned port, state;
		unsigned long inode;

		if (llen >= sizeof(copy))
			continue; /* no real line is this long */
		memcpy(copy, line, llen);
		copy[llen] = '\0';
		/* sl local rem st tx:rx tr:tm retr uid timeout inode */
		if (sscanf(copy, " %*u: %79[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*u %*u %lu", local,
			   &port, &state, &inode) != 4)
			continue;
		if (state != 0x0A || !inode || port > 0xffff)
			continue;
		out[n].inode = inode;
		out[n].port = (uint16_t)port;
		n++;
	}
	return n;
}

int procparse_pid_list(const char *buf, size_t len, uint32_t *out, int n, int max)
{
	size_t i = 0;

	while (i < len && n < max) {
		size_t start;
		unsigned long long v;

		while (i < len && (buf[i] == ' ' || buf[i] == '\n'))
			i++;
		start = i;
		while (i < len && buf[i] != ' ' && buf[i] != '\n')
			i++;
		if (i > start && procparse_u64(buf + start, i - start, &v) && v &&
		    v < PROCPARSE_PID_LIMIT)
			out[n++] = (uint32_t)v;
	}
	return n;
}

int procparse_socket_inode(const char *link, size_t len, unsigned long *ino)
{
	static const char pre[] = "socket:[";
	unsigned long long v;

	if (len < sizeof(pre) || memcmp(link, pre, sizeof(pre) - 1) != 0 || link[len - 1] != ']')
		return -1;
	if (!procparse_u64(link + sizeof(pre) - 1, len - sizeof(pre), &v))
		return -1;
	*ino = (unsigned long)v;
	return 0;
}

const char *procparse_env_get(const char *env, size_t len, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name);

	for (size_t off = 0; off < len;) {
		const char *e = env + off;
		size_t elen = strnlen(e, len - off);

		if (elen > nlen && memcmp(e, name, nlen) == 0 && e[nlen] == '=') {
			*vlen = elen - nlen - 1;
			return e + nlen + 1;
		}
		off += elen + 1;
	}
	return NULL;
}

size_t procparse_cmdline_len(const char *buf, size_t len)
{
	while (len > 0 && buf[len - 1] == '\0')
		len--;
	return len;
}

size_t procparse_exe_len(const char *buf, size_t len)
{
	static const char del[] = " (deleted)";
	const size_t dlen = sizeof(del) - 1;

	if (len > dlen && memcmp(buf + len - dlen, del, dlen) == 0)
		return len - dlen;
	return len;
}

size_t procparse_cgroup_len(const char *buf, size_t len)
{
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	return len;
}

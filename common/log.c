/* log.c: the logging sink (stderr, one line per message, level and program name). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/*
 * The sink is process-wide by nature (there is one stderr); it is written once in log_init()
 * before threads exist and only read afterwards.
 */
static struct {
	char prog[32];
	enum log_level min;
} log_sink = {"obi", LOG_LVL_INFO};

static const char *const log_level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void log_init(const char *prog, enum log_level min_level)
{
	snprintf(log_sink.prog, sizeof(log_sink.prog), "%s", prog);
	log_sink.min = min_level;
}

void log_set_level(enum log_level min_level)
{
	log_sink.min = min_level;
}

bool log_enabled(enum log_level level)
{
	return level >= log_sink.min;
}

/* Length of a well-formed UTF-8 sequence at s (at most n bytes) that is not a C1 control, or
 * 0: overlong forms, surrogates and code points past U+10FFFF are refused like stray bytes. */
static size_t log_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	/* 0xc2: U+0080..U+009F are C1 controls (CSI is U+009B); 0xe0: overlong forms. */
	if (s[0] == 0xc2 || s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

size_t log_escape(char *out, size_t cap, const char *in, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	if (!cap)
		return 0;
	for (size_t i = 0; i < n && o + 1 < cap;) {
		size_t u = s[i] >= 0x80 ? log_utf8_len(s + i, n - i) : 0;

		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\') {
			out[o++] = (char)s[i++];
		} else if (u) {
			if (o + u >= cap)
				break;
			memcpy(out + o, s + i, u);
			o += u;
			i += u;
		} else {
			/* Control bytes, DEL, backslash, C1 and invalid UTF-8: \xHH (or \\). */
			if (o + (s[i] == '\\' ? 2 : 4) >= cap)
				break;
			out[o++] = '\\';
			if (s[i] == '\\') {
				out[o++] = '\\';
			} else {
				out[o++] = 'x';
				out[o++] = hex[s[i] >> 4];
				out[o++] = hex[s[i] & 15];
			}
			i++;
		}
	}
	out[o] = '\0';
	return o;
}

static void log_vemit(enum log_level level, int err, const char *fmt, va_list ap)
{
	char line[1024], msg[1024];
	struct timespec ts;
	struct tm tm;
	size_t n, mlen;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s %s: ", ts.tv_nsec / 1000000,
		     log_level_names[level], log_sink.prog);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	/* Values in messages come from outside (exe paths, peers, config): one line, inert. */
	r = vsnprintf(msg, sizeof(msg), fmt, ap);
	mlen = r < 0 ? 0 : (size_t)r < sizeof(msg) ? (size_t)r : sizeof(msg) - 1;
	n += log_escape(line + n, sizeof(line) - n, msg, mlen);
	if (err)
		snprintf(line + n, sizeof(line) - n, ": %s", strerror(err));
	fprintf(stderr, "%s\n", line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vemit(level, 0, fmt, ap);
	va_end(ap);
}

void log_msg_err(enum log_level level, int err, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vemit(level, err, fmt, ap);
	va_end(ap);
}

bool log_ratelimit_ok(struct log_ratelimit *rl, uint64_t now_ns, uint64_t *suppressed)
{
	if (rl->interval_ns && now_ns - rl->last_ns >= rl->interval_ns) {
		uint64_t refill = (now_ns - rl->last_ns) / rl->interval_ns;

		rl->tokens = refill >= rl->burst ? rl->burst : rl->tokens + (uint32_t)refill;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
		rl->last_ns = now_ns;
	}
	if (!rl->tokens) {
		rl->suppressed++;
		return false;
	}
	rl->tokens--;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

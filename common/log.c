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

static void log_vemit(enum log_level level, int err, const char *fmt, va_list ap)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s %s: ", ts.tv_nsec / 1000000,
		     log_level_names[level], log_sink.prog);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
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

/* log.h: one logging interface for both processes: levels, err(3)-style pairs, rate limits. */
#ifndef OBI_LOG_H
#define OBI_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_LVL_DEBUG = 0, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };

/* Process-wide sink settings: set once at start-up, before any thread exists. */
void log_init(const char *prog, enum log_level min_level);
void log_set_level(enum log_level min_level);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like log_msg, with ": strerror(err)" appended; errno is never read implicitly. */
void log_msg_err(enum log_level level, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Copies n bytes of in to out (NUL-terminated, at most cap bytes) with control bytes, DEL,
 * backslash, C1 controls and malformed UTF-8 written as \xHH (a backslash doubled); well-formed
 * UTF-8 passes. Every message goes through it. Returns the length written.
 */
size_t log_escape(char *out, size_t cap, const char *in, size_t n);

#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_warnx(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_warn(err, ...) log_msg_err(LOG_LVL_WARN, (err), __VA_ARGS__)
#define log_errorx(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_error(err, ...) log_msg_err(LOG_LVL_ERROR, (err), __VA_ARGS__)

/*
 * A token bucket for messages about bad input: at most `burst` messages, refilled at one per
 * `interval_ns`; the number suppressed is reported with the next message that passes.
 */
struct log_ratelimit {
	uint64_t interval_ns;
	uint32_t burst;
	uint32_t tokens;
	uint64_t last_ns;
	uint64_t suppressed;
};

#define LOG_RATELIMIT_INIT(interval_ns_, burst_)                                                   \
	{                                                                                          \
		.interval_ns = (interval_ns_), .burst = (burst_), .tokens = (burst_)               \
	}

/* Returns true when a message may be printed; *suppressed gets the count skipped since. */
bool log_ratelimit_ok(struct log_ratelimit *rl, uint64_t now_ns, uint64_t *suppressed);

#define log_ratelimited(rl, now, level, fmt, ...)                                                  \
	do {                                                                                       \
		uint64_t log_supp_;                                                                \
		if (log_ratelimit_ok((rl), (now), &log_supp_))                                     \
			log_msg((level), fmt " (%llu similar suppressed)", ##__VA_ARGS__,          \
				(unsigned long long)log_supp_);                                    \
	} while (0)

#endif /* OBI_LOG_H */

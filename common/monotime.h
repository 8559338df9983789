/* monotime.h: CLOCK_MONOTONIC in nanoseconds, the one time base of records, timers and limits. */
#ifndef OBI_MONOTIME_H
#define OBI_MONOTIME_H

#include <stdint.h>
#include <time.h>

static inline uint64_t monotime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif /* OBI_MONOTIME_H */

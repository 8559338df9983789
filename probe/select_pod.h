/* select_pod.h: the probe's bounded cache of pod facts by container id (from the enricher's
 * POD_INFO answers) and the processes waiting for one. Main loop only; never blocks. */
#ifndef OBI_SELECT_POD_H
#define OBI_SELECT_POD_H

#include <stdbool.h>
#include <stdint.h>

#include "select.h"
#include "wire.h"

#define SELPOD_CACHE_MAX 256 /* container ids remembered */
#define SELPOD_WAIT_MAX 256  /* processes waiting for their pod */
/* A sent question unanswered this long: decided as "no pod" (a late answer still counts). */
#define SELPOD_ANSWER_NS (2ULL * 1000000000ULL)
/* Answers are asked again after this (labels change; a pod may appear). */
#define SELPOD_TTL_NS (60ULL * 1000000000ULL)
/* How long a process seen before its pod keeps waiting for the enricher to announce it. */
#define SELPOD_WAIT_NS (600ULL * 1000000000ULL)

struct selpod;

struct selpod_stats {
	uint64_t queries, answers, bad, refused, timeouts, wait_dropped;
};

/* Called for each process waiting on a container whose facts arrived (or timed out). */
typedef void (*selpod_waiter_fn)(void *ctx, uint32_t pid, uint16_t port);
/* Sends a POD_QUERY for cid; 0 when queued. */
typedef int (*selpod_send_fn)(void *ctx, const char *cid);

struct selpod *selpod_new(selpod_waiter_fn wake, selpod_send_fn send, void *ctx);
void selpod_free(struct selpod *sp);

/* What is known of cid's pod now; asks the enricher (through send) when nothing is. */
enum select_pod_state selpod_lookup(struct selpod *sp, const char *cid, uint64_t now_ns,
				    const struct wire_pod_view **pod);
/* pid (listening on port, 0: none) is decided again when cid's pod facts change. */
void selpod_wait(struct selpod *sp, uint32_t pid, const char *cid, uint16_t port, uint64_t now_ns);
void selpod_unwait(struct selpod *sp, uint32_t pid);
/* A validated POD_INFO message; -1 (counted) when its payload is malformed. */
int selpod_on_info(struct selpod *sp, const struct wire_msg *m, uint64_t now_ns);
/* Deadlines of questions and waits. */
void selpod_tick(struct selpod *sp, uint64_t now_ns);
/* A new enricher connection: pending questions are sent again, old answers forgotten. */
void selpod_connected(struct selpod *sp, bool connected, uint64_t now_ns);
void selpod_get_stats(const struct selpod *sp, struct selpod_stats *st);

#endif /* OBI_SELECT_POD_H */

/* launcher.h: the single-host launcher's state, shared by its loop and its child set-up. */
#ifndef OBI_LAUNCHER_H
#define OBI_LAUNCHER_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

struct launcher {
	struct obi_config cfg;
	char dir[PATH_MAX]; /* where obi-probe and obi-enricher live: next to obi */
	char **argv;
	sigset_t oldmask;
	pid_t self, probe, enricher;
	int ctl_fd; /* our end of the probe's control channel */
	/* Enricher restarts: capped exponential back-off with jitter, reset after a stable run. */
	unsigned failures;
	uint64_t enricher_started_ns, restart_at_ns; /* restart_at_ns 0: none pending */
};

/*
 * Starts NAME (obi-probe or obi-enricher) in a session of its own, stdin from /dev/null,
 * `keep_fd` as descriptor 3 (announced by `env_var`) and nothing else beyond 0-2; the enricher
 * under its own uid without capabilities. Returns the pid or -1.
 */
pid_t launcher_spawn(struct launcher *l, const char *name, int keep_fd, const char *env_var,
		     bool unprivileged);

#endif /* OBI_LAUNCHER_H */

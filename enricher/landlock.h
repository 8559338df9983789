/* landlock.h: obi-enricher's file-system and TCP restriction with Landlock (Linux 5.13+). */
#ifndef OBI_ENRICHER_LANDLOCK_H
#define OBI_ENRICHER_LANDLOCK_H

#include <stdint.h>

/* Paths the enricher may still read once confined (every other one is refused). */
struct landlock_paths {
	const char *const *paths; /* NULL-terminated; missing ones are skipped */
	uint16_t tcp_ports[4];	  /* TCP ports it may connect to (0: unused slot) */
};

/*
 * Restricts this process (and the threads it starts later) to reading paths, writing nothing
 * through the file system, executing nothing, binding no TCP port and connecting only to
 * tcp_ports (kernels with Landlock ABI 4+). no_new_privs must be set. Without Landlock it logs
 * one line and returns 0; -errno when Landlock is there but refused the rules.
 */
int enricher_landlock(const struct landlock_paths *p);

#endif /* OBI_ENRICHER_LANDLOCK_H */

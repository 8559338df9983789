/* launch.h: the single-host launcher's hand-over of descriptors to its children. */
#ifndef OBI_LAUNCH_H
#define OBI_LAUNCH_H

#include <stdint.h>

/*
 * Each child gets exactly one descriptor besides 0-2, always number OBI_LAUNCH_FD, and an
 * environment variable saying what it is:
 *   obi-probe    OBI_LAUNCH_CTL=3: the control socket from the launcher; every enricher end
 *                arrives over it as one struct obi_launch_msg with one SCM_RIGHTS descriptor;
 *   obi-enricher OBI_LAUNCH_PEER=3: its end of a socketpair whose other end the probe got.
 * Both check the descriptor (a SOCK_SEQPACKET AF_UNIX socket whose peer credentials are the
 * launcher's: pid == getppid(), uid 0 or their own) before using it; the launcher removes
 * both variables from what it passes on, so only it can set them.
 */
#define OBI_LAUNCH_FD 3
#define OBI_LAUNCH_ENV_CTL "OBI_LAUNCH_CTL"
#define OBI_LAUNCH_ENV_PEER "OBI_LAUNCH_PEER"
#define OBI_LAUNCH_MAGIC "OBIL"

enum obi_launch_kind { OBI_LAUNCH_NEW_ENRICHER = 1 };

struct obi_launch_msg {
	char magic[4];
	uint32_t kind;	       /* enum obi_launch_kind */
	uint32_t enricher_pid; /* the child holding the other end (never instrumented) */
	uint32_t pad;
};

_Static_assert(sizeof(struct obi_launch_msg) == 16, "launch message size");

/* The descriptor named by env var `var` if it is a launcher-made SEQPACKET socket, else -1
 * (and a logged reason). Absent variable: -2. */
int launch_inherited_fd(const char *var);

#endif /* OBI_LAUNCH_H */

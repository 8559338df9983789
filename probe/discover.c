/* discover.c: the selection policy: which processes are instrumented, decided in the main loop
 * from what the /proc readers (procworker.c) answer about processes found at start and by events.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "factcache.h"
#include "log.h"
#include "monotime.h"
#include "probe.h"
#include "procworker.h"

/*
 * Two readers, so that one stalled read delays nobody; a read that takes longer than the
 * deadline is abandoned (the kernel cannot be made to give the thread back) and replaced, up to
 * PROBE_PW_THREADS threads in all. The scan keeps at most PROBE_SCAN_INFLIGHT jobs queued:
 * events keep room, and a host with many processes does not hold many jobs (16 KiB each) at once.
 */
#define PROBE_PW_ACTIVE 2
#define PROBE_PW_THREADS 8
#define PROBE_PW_QUEUE 1024
#define PROBE_PW_DEADLINE_NS (500ULL * 1000000)
#define PROBE_SCAN_INFLIGHT 64
#define PROBE_SCAN_DEADLINE_NS (10ULL * 1000000000)

/* Our own binaries are never instrumented (OBI excludes itself the same way). */
static bool probe_discover_is_self(const char *exe)
{
	const char *base = strrchr(exe, '/');

	base = base ? base + 1 : exe;
	return strcmp(base, "obi") == 0 || strcmp(base, "obi-probe") == 0 ||
	       strcmp(base, "obi-enricher") == 0;
}

int probe_discover_init(struct probe *p)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(1000000000ULL, 5);
	char err[512];

	p->disc.evfd = -1;
	p->disc.rl = rl;
	if (select_build(&p->disc.sel, &p->cfg, err, sizeof(err))) {
		log_warnx("discovery selectors: %s", err);
		return -EINVAL;
	}
	select_warn_unsupported(&p->cfg);
	if (probe_discover_pod_init(p))
		return -ENOMEM;
	p->selected = calloc(OBI_PID_LIMIT / 64, sizeof(uint64_t));
	p->disc.facts = factcache_new();
	/* The eventfd is made here, before confinement: the run-time filter need not allow it. */
	p->disc.pw = pw_pool_new(probe_procfs_gather, PROBE_PW_THREADS, PROBE_PW_QUEUE,
				 PROBE_PW_DEADLINE_NS);
	if (p->disc.pw)
		p->disc.evfd = pw_pool_fd(p->disc.pw);
	return p->selected && p->disc.facts && p->disc.pw ? 0 : -ENOMEM;
}

void probe_discover_free(struct probe *p)
{
	struct pw_stats st = {0};

	if (p->disc.pw)
		pw_get_stats(p->disc.pw, &st);
	pw_pool_stop(p->disc.pw);
	p->disc.pw = NULL;
	factcache_free(p->disc.facts);
	p->disc.facts = NULL;
	free(p->disc.scan_pids);
	p->disc.scan_pids = NULL;
	free(p->selected);
	p->selected = NULL;
	probe_discover_pod_free(p);
	/* A stuck reader keeps its job, whose prefilter reads the selectors, until its read ends:
	 * they are left to the process's exit then. */
	if (!st.stuck)
		select_free(&p->disc.sel);
}

bool probe_discover_selected(const struct probe *p, uint32_t pid)
{
	return pid < OBI_PID_LIMIT && (p->selected[pid / 64] >> (pid % 64) & 1);
}

static void probe_discover_mark(struct probe *p, uint32_t pid, bool on)
{
	uint64_t bit = 1ULL << (pid % 64);

	if (on && !(p->selected[pid / 64] & bit)) {
		p->selected[pid / 64] |= bit;
		p->nselected++;
	} else if (!on && (p->selected[pid / 64] & bit)) {
		p->selected[pid / 64] &= ~bit;
		p->nselected--;
	}
}

const uint8_t *probe_discover_facts(const struct probe *p, uint32_t pid, size_t *len)
{
	return factcache_get(p->disc.facts, pid, len);
}

static void probe_discover_send(struct probe *p, uint32_t pid)
{
	if (p->conn_ready)
		probe_ipc_send_proc(p, pid);
}

/* Asks the readers about pid. Refused (and counted) when the queue is full or a reader is
 * already stuck on that process: a process that stalls one read would stall the next. */
static void probe_discover_request(struct probe *p, uint32_t pid, enum pw_why why, uint32_t parent,
				   uint16_t listen_port)
{
	struct pw_job *j;

	if (!p->disc.pw || pid == 0 || pid >= OBI_PID_LIMIT || pw_queued(p->disc.pw, pid, why))
		return;
	if (pw_stuck_on(p->disc.pw, pid)) {
		p->disc.dropped++;
		log_ratelimited(
		    &p->disc.rl, monotime_ns(), LOG_LVL_WARN,
		    "pid %u: not read again while an earlier read of its /proc is stalled", pid);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return;
	j->pid = pid;
	j->why = why;
	j->parent = parent;
	j->in_scan = why == PW_SCAN || !p->disc.scan_done;
	if (why == PW_SCAN || why == PW_LISTEN || why == PW_EXEC) {
		j->sel = &p->disc.sel;
		j->want_ports = p->disc.sel.any_ports;
		j->listen_port = listen_port;
	}
	if (pw_submit(p->disc.pw, j)) {
		free(j);
		p->disc.dropped++;
		log_ratelimited(&p->disc.rl, monotime_ns(), LOG_LVL_WARN,
				"discovery queue full: pid %u not examined", pid);
		return;
	}
	if (j->in_scan)
		p->disc.outstanding++;
}

void probe_discover_reread(struct probe *p, uint32_t pid, uint16_t port)
{
	if (!probe_discover_selected(p, pid))
		probe_discover_request(p, pid, port ? PW_LISTEN : PW_EXEC, 0, port);
}

/* The kept facts become the job's; the enricher hears of them if connected. */
static void probe_discover_update(struct probe *p, const struct pw_job *j,
				  const struct select_entry *match)
{
	struct factcache_sel fs = {0};

	if (match)
		fs = (struct factcache_sel){match->wire_index, match->name, match->namespace_};
	if (factcache_put_job(p->disc.facts, j, match ? &fs : NULL))
		log_warnx("pid %u: facts too large to describe", j->pid);
	else
		probe_discover_send(p, j->pid);
}

static void probe_discover_select(struct probe *p, const struct pw_job *j, const char *why,
				  const struct select_entry *match)
{
	uint32_t pid = j->pid;

	if (pid == (uint32_t)p->self_pid || (p->conn_pid && pid == (uint32_t)p->conn_pid) ||
	    probe_discover_is_self(j->safe.exe))
		return;
	if (probe_lifecycle_select_pid(p, pid, true)) {
		log_warn(errno, "selecting pid %u", pid);
		return;
	}
	probe_discover_mark(p, pid, true);
	log_info("instrumenting pid %u (%s, %s): %s", pid, j->safe.exe,
		 wire_lang_name(j->mem.read && !j->partial ? j->mem.lang : OBI_LANG_UNKNOWN), why);
	probe_discover_update(p, j, match);
	/*
	 * Children that already exist (nginx forks its workers right after listen(), before the
	 * LISTEN record reaches us) are listed now that the kernel selects every later fork.
	 */
	probe_discover_request(p, pid, PW_KIDS, 0, 0);
}

void probe_discover_forget(struct probe *p, uint32_t pid)
{
	struct obi_wire_pid m = {.pid = pid};

	if (!probe_discover_selected(p, pid))
		return;
	probe_lifecycle_select_pid(p, pid, false);
	probe_discover_mark(p, pid, false);
	factcache_del(p->disc.facts, pid);
	log_debug("pid %u left", pid);
	if (p->conn_ready)
		probe_ipc_queue(p, OBI_MSG_PROC_DEL, &m, sizeof(m));
}

/* The selectors' verdict on an answer's facts (the memory facts only if they were read); the
 * pod's facts are looked up only when they could change it. */
static enum select_tri probe_discover_eval(struct probe *p, const struct pw_job *j,
					   const struct select_entry **match)
{
	bool mem = j->mem.read && !j->partial;
	struct select_facts f = {.pid = j->pid,
				 .exe = j->safe.exe,
				 .cmdline = mem ? j->mem.cmdline : NULL,
				 .cmdline_len = mem ? j->mem.cmdline_len : 0,
				 .ports = j->safe.ports,
				 .nports = j->safe.nports,
				 .ports_known = j->want_ports,
				 .lang = mem ? j->mem.lang : OBI_LANG_UNKNOWN,
				 .in_container = j->safe.in_container};
	enum select_tri v = select_eval(&p->disc.sel, &f, match);

	if (v != SELECT_MAYBE || !probe_discover_pod_facts(p, j, &f))
		return v;
	v = select_eval(&p->disc.sel, &f, match);
	probe_discover_pod_after(p, j, &f, v);
	return v;
}

/* What the answer's reason selects it for (NULL: nothing); *match: the selector that held. */
static const char *probe_discover_reason(struct probe *p, const struct pw_job *j,
					 const struct select_entry **match)
{
	static const char *const why[] = {[PW_SCAN] = "matched at start",
					  [PW_LISTEN] = "matched when it began listening",
					  [PW_EXEC] = "executable matched at exec"};

	*match = NULL;
	switch (j->why) {
	case PW_SCAN:
	case PW_LISTEN:
	case PW_EXEC:
		return probe_discover_eval(p, j, match) == SELECT_YES ? why[j->why] : NULL;
	case PW_CHILD:
		/* The pid may have been reused since the parent listed it. */
		return probe_discover_selected(p, j->parent) && j->safe.ppid == j->parent
			   ? "child of a selected process"
			   : NULL;
	default:
		return NULL;
	}
}

static void probe_discover_answer(struct probe *p, const struct pw_job *j)
{
	bool sel = probe_discover_selected(p, j->pid);
	const struct select_entry *match;
	const char *why;

	if (j->partial)
		log_ratelimited(&p->disc.rl, monotime_ns(), LOG_LVL_WARN,
				"pid %u: reading its /proc took over %llu ms: going on without its "
				"command line and environment",
				j->pid, PROBE_PW_DEADLINE_NS / 1000000);
	if (atomic_load(&j->stage) < PW_STAGE_SAFE || !j->safe.alive)
		return; /* gone, or nothing known yet (a late answer may follow) */
	if (j->why == PW_KIDS) {
		for (int i = 0; sel && i < j->safe.nchildren; i++)
			if (!probe_discover_selected(p, j->safe.children[i]))
				probe_discover_request(p, j->safe.children[i], PW_CHILD, j->pid, 0);
		return;
	}
	why = probe_discover_reason(p, j, &match);
	if (!sel && why) {
		probe_discover_select(p, j, why, match);
	} else if (sel && j->why == PW_FORK) {
		/* A late answer (its /proc read passed the deadline) may be the first one with
		 * facts: the child is said either way. */
		log_info("instrumenting pid %u (%s): forked by selected pid %u%s", j->pid,
			 j->safe.exe, j->parent, j->late ? " (late /proc answer)" : "");
		probe_discover_update(p, j, NULL);
	} else if (sel && (j->late || j->why == PW_REFRESH)) {
		probe_discover_update(p, j, NULL);
	}
}

/* Start-up jobs go in as the queue has room; "running" is said once they are all answered. */
static void probe_discover_feed(struct probe *p, uint64_t now_ns)
{
	struct probe_discovery *d = &p->disc;
	unsigned room = pw_room(d->pw);

	while (d->scan_next < d->scan_n && d->outstanding < PROBE_SCAN_INFLIGHT && room > 0) {
		probe_discover_request(p, d->scan_pids[d->scan_next++], PW_SCAN, 0, 0);
		room--;
	}
	if (d->scan_done)
		return;
	if (d->scan_next == d->scan_n && d->outstanding == 0) {
		d->scan_done = true;
		log_info("running: %u process(es) selected", p->nselected);
	} else if (now_ns > d->scan_deadline_ns) {
		d->scan_done = true;
		log_warnx("start-up scan: %u process(es) not examined within %llu s (stalled /proc "
			  "reads?); running: %u process(es) selected so far",
			  d->outstanding + (unsigned)(d->scan_n - d->scan_next),
			  PROBE_SCAN_DEADLINE_NS / 1000000000, p->nselected);
	}
}

void probe_discover_on_answers(struct probe *p)
{
	struct pw_job *j = pw_take_done(p->disc.pw), *next;

	for (; j; j = next) {
		next = j->next;
		if (j->in_scan && !j->late && p->disc.outstanding)
			p->disc.outstanding--;
		probe_discover_answer(p, j);
		free(j);
	}
	probe_discover_feed(p, monotime_ns());
}

void probe_discover_tick(struct probe *p, uint64_t now_ns)
{
	struct pw_job *j, *next;
	struct pw_stats st;

	if (!p->disc.pw)
		return;
	probe_discover_pod_tick(p, now_ns);
	j = pw_check_deadlines(p->disc.pw, now_ns);
	for (; j; j = next) {
		next = j->next;
		if (j->in_scan && p->disc.outstanding)
			p->disc.outstanding--;
		pw_get_stats(p->disc.pw, &st);
		if (st.spawn_failed)
			log_ratelimited(
			    &p->disc.rl, now_ns, LOG_LVL_WARN,
			    "%u /proc reader(s) stalled and no replacement: %llu in all", st.stuck,
			    (unsigned long long)st.spawn_failed);
		probe_discover_answer(p, j);
		free(j);
	}
	probe_discover_feed(p, now_ns);
}

/* Only lists /proc: nothing here reads a process, so no process can hold up the start. */
int probe_discover_scan(struct probe *p)
{
	struct probe_discovery *d = &p->disc;
	size_t cap = 0;
	struct dirent *de;
	DIR *dir = opendir("/proc");

	if (!dir) {
		log_error(errno, "opening /proc");
		return -1;
	}
	while ((de = readdir(dir))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || !pid || pid >= OBI_PID_LIMIT)
			continue;
		if (d->scan_n == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			uint32_t *np = realloc(d->scan_pids, ncap * sizeof(*np));

			if (!np)
				break;
			d->scan_pids = np;
			cap = ncap;
		}
		d->scan_pids[d->scan_n++] = (uint32_t)pid;
	}
	closedir(dir);
	return 0;
}

int probe_discover_start(struct probe *p)
{
	struct epoll_event ev = {.events = EPOLLIN};

	int rc = pw_pool_run(p->disc.pw, PROBE_PW_ACTIVE);

	if (rc) {
		log_error(-rc, "starting the /proc readers");
		return -1;
	}
	ev.data.fd = p->disc.evfd;
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->disc.evfd, &ev)) {
		log_error(errno, "epoll");
		return -1;
	}
	p->disc.scan_deadline_ns = monotime_ns() + PROBE_SCAN_DEADLINE_NS;
	probe_discover_feed(p, monotime_ns());
	return 0;
}

static void probe_discover_on_fork(struct probe *p, const void *data, size_t len)
{
	struct obi_rec_proc pr = {0};
	struct timespec real;
	uint64_t mono = monotime_ns();

	memcpy(&pr, data, len < sizeof(pr) ? len : sizeof(pr));
	if (probe_discover_selected(p, pr.hdr.pid) || pr.hdr.pid >= OBI_PID_LIMIT)
		return;
	/* Already in the kernel filter: its records may come before a reader answers, so the
	 * enricher gets the parent's description now, and the child's own when read. */
	probe_discover_mark(p, pr.hdr.pid, true);
	clock_gettime(CLOCK_REALTIME, &real);
	if (factcache_put_fork(p->disc.facts, pr.ppid, pr.hdr.pid,
			       (uint64_t)real.tv_sec * 1000000000ULL + (uint64_t)real.tv_nsec -
				   (mono > pr.hdr.ktime_ns ? mono - pr.hdr.ktime_ns : 0)) == 0)
		probe_discover_send(p, pr.hdr.pid);
	probe_discover_request(p, pr.hdr.pid, PW_FORK, pr.ppid, 0);
}

/* A selector holds on this port: the listener is worth reading. */
static bool probe_discover_port_wanted(const struct probe *p, uint16_t port)
{
	const struct select_list *l = &p->disc.sel.include;

	for (unsigned i = 0; i < l->n; i++)
		if (l->e[i].ports && config_portlist_contains(l->e[i].ports, port))
			return true;
	return false;
}

void probe_discover_on_record(struct probe *p, const void *data, size_t len)
{
	struct obi_rec_hdr h;

	memcpy(&h, data, sizeof(h));
	switch (h.type) {
	case OBI_REC_EXEC:
		/* Same pid, new program: the enricher must learn the new executable. */
		if (probe_discover_selected(p, h.pid))
			probe_discover_request(p, h.pid, PW_REFRESH, 0, 0);
		else if (p->disc.sel.any_exec)
			probe_discover_request(p, h.pid, PW_EXEC, 0, 0);
		break;
	case OBI_REC_FORK:
		probe_discover_on_fork(p, data, len);
		break;
	case OBI_REC_EXIT:
		probe_discover_pod_exit(p, h.pid);
		probe_discover_forget(p, h.pid);
		break;
	case OBI_REC_LISTEN: {
		struct obi_rec_listen l;

		if (len < sizeof(l))
			break;
		memcpy(&l, data, sizeof(l));
		if (!probe_discover_selected(p, h.pid) && probe_discover_port_wanted(p, l.port))
			probe_discover_request(p, h.pid, PW_LISTEN, 0, l.port);
		break;
	}
	default:
		break;
	}
}

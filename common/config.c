/* config.c: the configuration schema and everything driven by it (parse, YAML, env, dump, docs). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <yaml.h>

/* Refuse to slurp something that cannot be a configuration file (e.g. /dev/zero). */
#define CONFIG_FILE_MAX (4u << 20)
#define CONFIG_PATH_MAX 256
#define CONFIG_WHY_MAX 512

#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define NS_PER_MIN (60ull * NS_PER_S)
#define NS_PER_H (60ull * NS_PER_MIN)

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)

enum config_type {
	CONFIG_T_BOOL,
	CONFIG_T_UINT,
	CONFIG_T_DURATION, /* stored as uint64_t nanoseconds */
	CONFIG_T_SIZE,	   /* bytes */
	CONFIG_T_STRING,   /* heap-allocated, NULL when unset */
	CONFIG_T_ENUM,	   /* index into .enums */
	CONFIG_T_PORTLIST,
};

struct config_row {
	const char *yaml;   /* dotted path, NULL for environment-only settings */
	const char *env[3]; /* NULL-terminated; the first one set (non-empty) wins */
	enum config_type type;
	size_t off, width;	  /* where the value lives in struct obi_config */
	uint64_t min, max;	  /* numeric types; max 0 means "whatever the field holds" */
	const char *const *enums; /* NULL-terminated value names for CONFIG_T_ENUM */
	const char *def;	  /* default, parsed by the same code as user input; NULL = unset */
	unsigned proc;		  /* enum config_proc mask */
	bool secret;		  /* dump prints <redacted> */
	/* Extra constraint on the stored value: NULL when fine, else why not. */
	const char *(*check)(const struct obi_config *cfg, const struct config_row *row);
	const char *doc;
};

#define CONFIG_FIELD(f)                                                                            \
	.off = offsetof(struct obi_config, f), .width = sizeof(((struct obi_config *)0)->f)

static const char *const config_log_levels[] = {"DEBUG", "INFO", "WARN", "ERROR", NULL};
static const char *const config_printers[] = {"disabled", "counter",	 "text",
					      "json",	  "json_indent", NULL};
static const char *const config_frontends[] = {"auto", "socket", "syscall", NULL};
static const char *const config_bpf_objects[] = {"auto", "full", "compat", NULL};

static const char *config_check_pow2(const struct obi_config *cfg, const struct config_row *row);
static const char *config_check_sock_path(const struct obi_config *cfg,
					  const struct config_row *row);

/* The one table: adding an option means adding a row here (and the field in config.h). */
static const struct config_row config_schema[] = {
    {.yaml = "open_port",
     .env = {"OTEL_EBPF_OPEN_PORT"},
     .type = CONFIG_T_PORTLIST,
     CONFIG_FIELD(open_port),
     .proc = CONFIG_PROC_PROBE,
     .doc = "Instrument the processes listening on any of these ports or ranges "
	    "(\"80,443,8000-8999\"; YAML may also use a list)."},
    {.yaml = NULL,
     .env = {"OTEL_EBPF_AUTO_TARGET_EXE", "OTEL_GO_AUTO_TARGET_EXE"},
     .type = CONFIG_T_STRING,
     CONFIG_FIELD(auto_target_exe),
     .proc = CONFIG_PROC_PROBE,
     .doc = "Glob on the full executable path selecting processes to instrument "
	    "(`*` also matches `/`; `{a,b}` alternatives). With open_port, both must match."},
    {.yaml = "service_name",
     .env = {"OTEL_SERVICE_NAME", "OTEL_EBPF_SERVICE_NAME"},
     .type = CONFIG_T_STRING,
     CONFIG_FIELD(service_name),
     .proc = CONFIG_PROC_ENRICHER,
     .doc = "Service name for the selected processes (default: derived from the executable)."},
    {.yaml = "service_namespace",
     .env = {"OTEL_EBPF_SERVICE_NAMESPACE"},
     .type = CONFIG_T_STRING,
     CONFIG_FIELD(service_namespace),
     .proc = CONFIG_PROC_ENRICHER,
     .doc = "Service namespace for the selected processes."},
    {.yaml = "log_level",
     .env = {"OTEL_EBPF_LOG_LEVEL"},
     .type = CONFIG_T_ENUM,
     CONFIG_FIELD(log_level),
     .enums = config_log_levels,
     .def = "INFO",
     .proc = CONFIG_PROC_ALL,
     .doc = "Minimum level of log messages (case-insensitive)."},
    {.yaml = "trace_printer",
     .env = {"OTEL_EBPF_TRACE_PRINTER"},
     .type = CONFIG_T_ENUM,
     CONFIG_FIELD(trace_printer),
     .enums = config_printers,
     .def = "disabled",
     .proc = CONFIG_PROC_ENRICHER,
     .doc = "Print spans on standard output in this format."},
    {.yaml = "shutdown_timeout",
     .env = {"OTEL_EBPF_SHUTDOWN_TIMEOUT"},
     .type = CONFIG_T_DURATION,
     CONFIG_FIELD(shutdown_timeout_ns),
     .def = "10s",
     .proc = CONFIG_PROC_ALL,
     .doc = "How long a graceful shutdown may take before pending data is dropped."},
    {.yaml = "ebpf.capture_frontend",
     .env = {"OTEL_EBPF_BPF_CAPTURE_FRONTEND"},
     .type = CONFIG_T_ENUM,
     CONFIG_FIELD(frontend),
     .enums = config_frontends,
     .def = "auto",
     .proc = CONFIG_PROC_PROBE,
     .doc = "Kernel hooks capturing traffic: socket tracepoints, syscalls, or auto "
	    "(socket when the kernel has them)."},
    {.yaml = "ebpf.bpf_object",
     .env = {"OTEL_EBPF_BPF_OBJECT"},
     .type = CONFIG_T_ENUM,
     CONFIG_FIELD(bpf_object),
     .enums = config_bpf_objects,
     .def = "auto",
     .proc = CONFIG_PROC_PROBE,
     .doc = "Which build of the BPF programs to load: full, compat (for Linux 5.8-5.11: no "
	    "idle sweep, so the last request of an idle keep-alive connection is reported at the "
	    "next request or the close, and an unanswered request is reported as timed out only "
	    "when its late response or the close comes), or auto (compat when the kernel lacks "
	    "BPF task storage or atomics)."},
    {.yaml = "ebpf.request_capture_size",
     .env = {"OTEL_EBPF_BPF_REQUEST_CAPTURE_SIZE"},
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(request_capture_size),
     .min = 64,
     .max = 1024,
     .def = "512",
     .proc = CONFIG_PROC_PROBE,
     .doc = "Bytes of each request and response copied from the kernel for parsing."},
    {.yaml = "ebpf.ringbuf_size",
     .env = {"OTEL_EBPF_BPF_RINGBUF_SIZE"},
     .type = CONFIG_T_SIZE,
     CONFIG_FIELD(ringbuf_size),
     .min = 64 * KIB,
     .max = 256 * MIB,
     .def = "4MiB",
     .proc = CONFIG_PROC_PROBE,
     .check = config_check_pow2,
     .doc = "Size of the kernel-to-probe ring buffer; must be a power of two."},
    {.yaml = "ebpf.max_connections",
     .env = {"OTEL_EBPF_BPF_MAX_CONNECTIONS"},
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(max_connections),
     .min = 256,
     .max = 1048576,
     .def = "8192",
     .proc = CONFIG_PROC_PROBE,
     .doc = "Connections tracked at the same time by the kernel maps."},
    {.yaml = "ebpf.wakeup_len",
     .env = {"OTEL_EBPF_BPF_WAKEUP_LEN"},
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(wakeup_len),
     .min = 0,
     .max = 1000000,
     .def = "500",
     .proc = CONFIG_PROC_PROBE,
     .doc = "Events accumulated in the ring buffer before user space is woken up "
	    "(0 wakes up on every event)."},
    {.yaml = "ebpf.drain_interval",
     .env = {"OTEL_EBPF_BPF_DRAIN_INTERVAL"},
     .type = CONFIG_T_DURATION,
     CONFIG_FIELD(drain_interval_ns),
     .min = NS_PER_MS,
     .max = NS_PER_S,
     .def = "10ms",
     .proc = CONFIG_PROC_PROBE,
     .doc = "Longest time an event waits in the ring buffer when fewer than wakeup_len "
	    "are pending."},
    {.yaml = "ebpf.sweep_idle",
     .env = {"OTEL_EBPF_BPF_SWEEP_IDLE"},
     .type = CONFIG_T_DURATION,
     CONFIG_FIELD(sweep_idle_ns),
     .min = 10 * NS_PER_MS,
     .max = 60 * NS_PER_S,
     .def = "200ms",
     .proc = CONFIG_PROC_PROBE,
     .doc = "Period of the sweep that flushes completed-but-unsent requests."},
    {.yaml = "ebpf.track_request_headers",
     .env = {"OTEL_EBPF_BPF_TRACK_REQUEST_HEADERS"},
     .type = CONFIG_T_BOOL,
     CONFIG_FIELD(track_request_headers),
     .def = "true",
     .proc = CONFIG_PROC_PROBE,
     .doc = "Parse incoming `traceparent` headers so spans join the caller's trace "
	    "(OBI defaults to false)."},
    {.yaml = "ebpf.http_request_timeout",
     .env = {"OTEL_EBPF_BPF_HTTP_REQUEST_TIMEOUT"},
     .type = CONFIG_T_DURATION,
     CONFIG_FIELD(http_request_timeout_ns),
     .def = "0s",
     .proc = CONFIG_PROC_PROBE,
     .doc = "If above 0, requests without a response after this long are reported with "
	    "status 408."},
    /* issue 7: response capture bound and the longest a response may flow before it is
     * reported as cut. */
    {.yaml = "ebpf.response_capture_size",
     .env = {"OTEL_EBPF_BPF_RESPONSE_CAPTURE_SIZE"},
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(response_capture_size),
     .min = 64,
     .max = 1024,
     .def = "1024",
     .proc = CONFIG_PROC_PROBE,
     .doc = "Bytes of each response copied from the kernel: the head is parsed as far as "
	    "this reaches (status, framing, and the body size as wire bytes minus head "
	    "bytes); a longer head falls back to Content-Length."},
    {.yaml = "ebpf.http_response_max_duration",
     .env = {"OTEL_EBPF_BPF_HTTP_RESPONSE_MAX_DURATION"},
     .type = CONFIG_T_DURATION,
     CONFIG_FIELD(http_response_max_duration_ns),
     .max = 24 * 3600 * NS_PER_S,
     .def = "30s",
     .proc = CONFIG_PROC_PROBE,
     .doc = "A response still flowing (a stream, server-sent events, a slow download) this "
	    "long after its request started is reported as it is, marked cut "
	    "(`obi.http.response.cut`); 0 waits for its end however long. Pauses never end a "
	    "response: its framing (Content-Length, chunked, close) does."},
    {.yaml = "ebpf.batch_length",
     .env = {"OTEL_EBPF_BPF_BATCH_LENGTH"},
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(batch_length),
     .min = 1,
     .def = "100",
     .proc = CONFIG_PROC_ALL,
     .doc = "Spans grouped into one batch before they are forwarded."},
    {.yaml = "ebpf.batch_timeout",
     .env = {"OTEL_EBPF_BPF_BATCH_TIMEOUT"},
     .type = CONFIG_T_DURATION,
     CONFIG_FIELD(batch_timeout_ns),
     .def = "1s",
     .proc = CONFIG_PROC_ALL,
     .doc = "Longest time a partial batch waits before it is flushed."},
    {.yaml = "probe.socket_path",
     .env = {"OTEL_EBPF_PROBE_SOCKET_PATH"},
     .type = CONFIG_T_STRING,
     CONFIG_FIELD(socket_path),
     .def = "/var/run/obi/obi.sock",
     .proc = CONFIG_PROC_ALL,
     .check = config_check_sock_path,
     .doc = "Unix socket between obi-probe and obi-enricher (absolute path, under 108 "
	    "bytes)."},
    {.yaml = "probe.enricher_uid",
     .env = {"OTEL_EBPF_ENRICHER_UID"},
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(enricher_uid),
     .min = 1,
     .max = UINT32_MAX - 1,
     .def = "65519",
     .proc = CONFIG_PROC_ALL,
     .doc = "User id the unprivileged obi-enricher runs as: one of its own, not 65534 (nobody), "
	    "which other processes share; never 0."},
    {.yaml = "probe.enricher_gid",
     .env = {"OTEL_EBPF_ENRICHER_GID"},
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(enricher_gid),
     .min = 1,
     .max = UINT32_MAX - 1,
     .def = "65519",
     .proc = CONFIG_PROC_ALL,
     .doc = "Group id the unprivileged obi-enricher runs as (never 0)."},
    {.yaml = "probe.uid",
     .env = {"OTEL_EBPF_PROBE_UID"},
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(probe_uid),
     .min = 1,
     .max = UINT32_MAX - 1,
     .def = "65518",
     .proc = CONFIG_PROC_ALL,
     .doc = "User id obi-probe switches to after start-up, keeping only its run-time "
	    "capabilities (where it holds CAP_SETUID; otherwise it stays uid 0). The enricher "
	    "accepts a probe with this uid or 0."},
    {.yaml = "probe.gid",
     .env = {"OTEL_EBPF_PROBE_GID"},
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(probe_gid),
     .min = 1,
     .max = UINT32_MAX - 1,
     .def = "65518",
     .proc = CONFIG_PROC_ALL,
     .doc = "Group id obi-probe switches to after start-up (never 0)."},
    {.yaml = "probe.send_queue_size",
     .env = {"OTEL_EBPF_PROBE_SEND_QUEUE_SIZE"},
     .type = CONFIG_T_SIZE,
     CONFIG_FIELD(send_queue_bytes),
     .min = 64 * KIB,
     .max = GIB,
     .def = "8MiB",
     .proc = CONFIG_PROC_PROBE,
     .doc = "Bytes the probe buffers for the enricher before it drops batches."},
};

#define CONFIG_NROWS (sizeof(config_schema) / sizeof(config_schema[0]))

static void config_fmt(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void config_fmt(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- raw field access ------------------------------------------------------------------ */

static void *config_field(struct obi_config *cfg, const struct config_row *row)
{
	return (char *)cfg + row->off;
}

static const void *config_cfield(const struct obi_config *cfg, const struct config_row *row)
{
	return (const char *)cfg + row->off;
}

static uint64_t config_load_uint(const struct obi_config *cfg, const struct config_row *row)
{
	const void *p = config_cfield(cfg, row);
	uint64_t v = 0;

	switch (row->width) {
	case 1: {
		uint8_t x;
		memcpy(&x, p, 1);
		v = x;
		break;
	}
	case 2: {
		uint16_t x;
		memcpy(&x, p, 2);
		v = x;
		break;
	}
	case 4: {
		uint32_t x;
		memcpy(&x, p, 4);
		v = x;
		break;
	}
	case 8:
		memcpy(&v, p, 8);
		break;
	}
	return v;
}

static void config_store_uint(struct obi_config *cfg, const struct config_row *row, uint64_t v)
{
	void *p = config_field(cfg, row);

	switch (row->width) {
	case 1: {
		uint8_t x = (uint8_t)v;
		memcpy(p, &x, 1);
		break;
	}
	case 2: {
		uint16_t x = (uint16_t)v;
		memcpy(p, &x, 2);
		break;
	}
	case 4: {
		uint32_t x = (uint32_t)v;
		memcpy(p, &x, 4);
		break;
	}
	case 8:
		memcpy(p, &v, 8);
		break;
	}
}

static char **config_str_field(struct obi_config *cfg, const struct config_row *row)
{
	return (char **)config_field(cfg, row);
}

static const char *config_str_value(const struct obi_config *cfg, const struct config_row *row)
{
	const char *s;

	memcpy(&s, config_cfield(cfg, row), sizeof(s));
	return s;
}

static uint64_t config_row_max(const struct config_row *row)
{
	if (row->max)
		return row->max;
	return row->width >= 8 ? UINT64_MAX : (1ull << (row->width * 8)) - 1;
}

/* ---- value parsers ------------------------------------------------------------------- */

static bool config_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static const char *config_skip_space(const char *p)
{
	while (config_is_space(*p))
		p++;
	return p;
}

/* v = v * 10 + digit, refusing to wrap around. */
static int config_digit(uint64_t *v, char c)
{
	uint64_t d = (uint64_t)(c - '0');

	if (*v > UINT64_MAX / 10 || (*v == UINT64_MAX / 10 && d > UINT64_MAX % 10))
		return -1;
	*v = *v * 10 + d;
	return 0;
}

/* Reads a run of digits; saturates so "99999999999" still reads as "too big". */
static const char *config_read_port(const char *p, unsigned long *v)
{
	*v = 0;
	while (*p >= '0' && *p <= '9') {
		if (*v < 1000000)
			*v = *v * 10 + (unsigned long)(*p - '0');
		p++;
	}
	return p;
}

static int config_portlist_append(const char *s, struct config_portlist *pl, char *err,
				  size_t errlen)
{
	const char *p = s;
	int rc = -1;

	if (*config_skip_space(s) == '\0') {
		config_fmt(err, errlen, "invalid port list \"%s\": empty", s);
		goto out;
	}
	for (;;) {
		const char *lo_s, *lo_e, *hi_s, *hi_e;
		unsigned long lo, hi;

		p = config_skip_space(p);
		if (*p == ',' || *p == '\0') {
			config_fmt(err, errlen,
				   "invalid port list \"%s\": empty entry at offset %zu", s,
				   (size_t)(p - s));
			goto out;
		}
		lo_s = p;
		lo_e = p = config_read_port(p, &lo);
		if (lo_e == lo_s)
			goto syntax;
		p = config_skip_space(p);
		hi_s = lo_s;
		hi_e = lo_e;
		hi = lo;
		if (*p == '-') {
			p = config_skip_space(p + 1);
			hi_s = p;
			hi_e = p = config_read_port(p, &hi);
			if (hi_e == hi_s)
				goto syntax;
			p = config_skip_space(p);
		}
		if (*p != ',' && *p != '\0')
			goto syntax;
		if (lo < 1 || lo > 65535) {
			config_fmt(err, errlen, "port %.*s out of range 1-65535",
				   (int)(lo_e - lo_s), lo_s);
			goto out;
		}
		if (hi < 1 || hi > 65535) {
			config_fmt(err, errlen, "port %.*s out of range 1-65535",
				   (int)(hi_e - hi_s), hi_s);
			goto out;
		}
		if (lo > hi) {
			config_fmt(err, errlen, "invalid port range %lu-%lu: start is above end",
				   lo, hi);
			goto out;
		}
		if (pl->n >= CONFIG_PORTLIST_MAX) {
			config_fmt(err, errlen, "too many port entries (at most %d)",
				   CONFIG_PORTLIST_MAX);
			goto out;
		}
		pl->r[pl->n].lo = (uint16_t)lo;
		pl->r[pl->n].hi = (uint16_t)hi;
		pl->n++;
		if (*p == '\0')
			break;
		p++; /* ',' */
	}
	rc = 0;
	goto out;
syntax:
	config_fmt(err, errlen, "invalid port list \"%s\": expected PORT or LO-HI", s);
out:
	return rc;
}

int config_parse_portlist(const char *s, struct config_portlist *out, char *err, size_t errlen)
{
	struct config_portlist tmp = {0};
	int rc = -1;

	if (!s || !out) {
		config_fmt(err, errlen, "invalid port list: missing value");
		goto out;
	}
	if (config_portlist_append(s, &tmp, err, errlen) < 0)
		goto out;
	*out = tmp;
	rc = 0;
out:
	return rc;
}

bool config_portlist_contains(const struct config_portlist *pl, uint16_t port)
{
	unsigned i, n;

	if (!pl)
		return false;
	n = pl->n < CONFIG_PORTLIST_MAX ? pl->n : CONFIG_PORTLIST_MAX;
	for (i = 0; i < n; i++)
		if (port >= pl->r[i].lo && port <= pl->r[i].hi)
			return true;
	return false;
}

struct config_unit {
	const char *name;
	uint64_t mult;
};

static const struct config_unit config_duration_units[] = {
    {"ns", 1},
    {"us", NS_PER_US},
    {"\xc2\xb5s", NS_PER_US}, /* U+00B5 */
    {"\xce\xbcs", NS_PER_US},
    /* U+03BC */ {"ms", NS_PER_MS},
    {"s", NS_PER_S},
    {"m", NS_PER_MIN},
    {"h", NS_PER_H},
};

/* Go's time.ParseDuration, minus negative values (nothing here can wait a negative time). */
int config_parse_duration(const char *s, uint64_t *ns)
{
	uint64_t total = 0;
	int rc = -1;

	if (!s || !ns)
		goto out;
	if (*s == '+')
		s++;
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		rc = 0;
		goto out;
	}
	if (*s == '\0')
		goto out;
	while (*s) {
		uint64_t whole = 0, frac = 0, scale = 1, mult = 0;
		bool digits = false;
		const char *u;
		size_t ulen, i;
		unsigned __int128 part;

		if (!(*s >= '0' && *s <= '9') && *s != '.')
			goto out;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (config_digit(&whole, *s) < 0)
				goto out;
			digits = true;
		}
		if (*s == '.') {
			for (s++; *s >= '0' && *s <= '9'; s++) {
				/* digits past 1e-18 cannot change a nanosecond count */
				if (scale < 1000000000000000000ull) {
					frac = frac * 10 + (uint64_t)(*s - '0');
					scale *= 10;
				}
				digits = true;
			}
		}
		if (!digits)
			goto out;
		u = s;
		while (*s && *s != '.' && !(*s >= '0' && *s <= '9'))
			s++;
		ulen = (size_t)(s - u);
		for (i = 0; i < sizeof(config_duration_units) / sizeof(config_duration_units[0]);
		     i++) {
			if (strlen(config_duration_units[i].name) == ulen &&
			    memcmp(config_duration_units[i].name, u, ulen) == 0) {
				mult = config_duration_units[i].mult;
				break;
			}
		}
		if (!mult)
			goto out;
		part = (unsigned __int128)whole * mult + (unsigned __int128)frac * mult / scale;
		if (part > UINT64_MAX - total)
			goto out;
		total += (uint64_t)part;
	}
	*ns = total;
	rc = 0;
out:
	return rc;
}

int config_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
	size_t i;

	if (!s || !out)
		return -1;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static const struct config_unit config_size_units[] = {
    {"", 1},	  {"B", 1},	   {"KiB", KIB},       {"MiB", MIB},
    {"GiB", GIB}, {"KB", 1000ull}, {"MB", 1000000ull}, {"GB", 1000000000ull},
};

int config_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	const char *p;

	if (!s || !out)
		return -1;
	p = s;
	if (!(*p >= '0' && *p <= '9'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (config_digit(&v, *p) < 0)
			return -1;
	}
	while (*p == ' ')
		p++;
	for (i = 0; i < sizeof(config_size_units) / sizeof(config_size_units[0]); i++) {
		if (strcmp(p, config_size_units[i].name) == 0) {
			if (v > UINT64_MAX / config_size_units[i].mult)
				return -1;
			*out = v * config_size_units[i].mult;
			return 0;
		}
	}
	return -1;
}

static int config_parse_uint(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!(*s >= '0' && *s <= '9'))
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (config_digit(&v, *s) < 0)
			return -1;
	}
	if (*s)
		return -1;
	*out = v;
	return 0;
}

/* ---- value formatters (dump, docs, messages) --------------------------------------------- */

/* Appends "N" or "N.fff" of v/unit with trailing zeros trimmed. */
static int config_fmt_frac(char *buf, size_t len, uint64_t v, uint64_t unit, const char *suffix)
{
	char frac[24];
	uint64_t rem = v % unit;
	int n;

	if (!rem)
		return snprintf(buf, len, "%llu%s", (unsigned long long)(v / unit), suffix);
	n = snprintf(frac, sizeof(frac), "%0*llu",
		     unit == NS_PER_S	 ? 9
		     : unit == NS_PER_MS ? 6
					 : 3,
		     (unsigned long long)rem);
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	return snprintf(buf, len, "%llu.%s%s", (unsigned long long)(v / unit), frac, suffix);
}

static void config_format_duration(uint64_t ns, char *buf, size_t len)
{
	uint64_t h, m;
	size_t off = 0;
	int n;

	if (ns == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	if (ns < NS_PER_US) {
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
		return;
	}
	if (ns < NS_PER_MS) {
		config_fmt_frac(buf, len, ns, NS_PER_US, "us");
		return;
	}
	if (ns < NS_PER_S) {
		config_fmt_frac(buf, len, ns, NS_PER_MS, "ms");
		return;
	}
	h = ns / NS_PER_H;
	ns %= NS_PER_H;
	m = ns / NS_PER_MIN;
	ns %= NS_PER_MIN;
	buf[0] = '\0';
	if (h) {
		n = snprintf(buf, len, "%lluh", (unsigned long long)h);
		off = n > 0 && (size_t)n < len ? (size_t)n : len - 1;
	}
	if (m) {
		n = snprintf(buf + off, len - off, "%llum", (unsigned long long)m);
		off += n > 0 && (size_t)n < len - off ? (size_t)n : len - off - 1;
	}
	if (ns)
		config_fmt_frac(buf + off, len - off, ns, NS_PER_S, "s");
}

static void config_format_size(uint64_t v, char *buf, size_t len)
{
	if (v && v % GIB == 0)
		snprintf(buf, len, "%lluGiB", (unsigned long long)(v / GIB));
	else if (v && v % MIB == 0)
		snprintf(buf, len, "%lluMiB", (unsigned long long)(v / MIB));
	else if (v && v % KIB == 0)
		snprintf(buf, len, "%lluKiB", (unsigned long long)(v / KIB));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void config_format_number(const struct config_row *row, uint64_t v, char *buf, size_t len)
{
	if (row->type == CONFIG_T_DURATION)
		config_format_duration(v, buf, len);
	else if (row->type == CONFIG_T_SIZE)
		config_format_size(v, buf, len);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void config_format_portlist(const struct config_portlist *pl, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;
	int n;

	buf[0] = '\0';
	for (i = 0; i < pl->n && i < CONFIG_PORTLIST_MAX && off < len; i++) {
		if (pl->r[i].lo == pl->r[i].hi)
			n = snprintf(buf + off, len - off, "%s%u", i ? "," : "", pl->r[i].lo);
		else
			n = snprintf(buf + off, len - off, "%s%u-%u", i ? "," : "", pl->r[i].lo,
				     pl->r[i].hi);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* Non-string values as text; strings are returned as-is (NULL when unset). */
static const char *config_format_value(const struct obi_config *cfg, const struct config_row *row,
				       char *buf, size_t len)
{
	uint64_t v;

	switch (row->type) {
	case CONFIG_T_STRING:
		return config_str_value(cfg, row);
	case CONFIG_T_PORTLIST: {
		const struct config_portlist *pl = config_cfield(cfg, row);

		if (pl->n == 0)
			return NULL;
		config_format_portlist(pl, buf, len);
		return buf;
	}
	case CONFIG_T_BOOL:
		return config_load_uint(cfg, row) ? "true" : "false";
	case CONFIG_T_ENUM: {
		size_t i;

		v = config_load_uint(cfg, row);
		for (i = 0; row->enums[i]; i++)
			if (i == v)
				return row->enums[i];
		snprintf(buf, len, "%llu", (unsigned long long)v);
		return buf;
	}
	case CONFIG_T_UINT:
	case CONFIG_T_DURATION:
	case CONFIG_T_SIZE:
		config_format_number(row, config_load_uint(cfg, row), buf, len);
		return buf;
	}
	return NULL;
}

/* ---- constraints ------------------------------------------------------------------------- */

static const char *config_check_pow2(const struct obi_config *cfg, const struct config_row *row)
{
	uint64_t v = config_load_uint(cfg, row);

	return v && (v & (v - 1)) == 0 ? NULL : "must be a power of two";
}

static const char *config_check_sock_path(const struct obi_config *cfg,
					  const struct config_row *row)
{
	const char *s = config_str_value(cfg, row);

	if (!s)
		return "must be set";
	if (s[0] != '/')
		return "must be an absolute path";
	if (strlen(s) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return "is too long for a Unix socket (at most 107 bytes)";
	return NULL;
}

static int config_check_range(const struct config_row *row, uint64_t v, char *why, size_t whylen)
{
	char a[48], lo[48], hi[48];
	uint64_t max = config_row_max(row);

	if (v >= row->min && v <= max)
		return 0;
	config_format_number(row, v, a, sizeof(a));
	config_format_number(row, row->min, lo, sizeof(lo));
	config_format_number(row, max, hi, sizeof(hi));
	if (row->max)
		config_fmt(why, whylen, "%s out of range %s-%s", a, lo, hi);
	else if (v < row->min)
		config_fmt(why, whylen, "%s is below the minimum %s", a, lo);
	else
		config_fmt(why, whylen, "%s is above the maximum %s", a, hi);
	return -1;
}

/* Runs the per-row checks on the stored value (also used after parsing). */
static int config_check_row(const struct obi_config *cfg, const struct config_row *row, char *why,
			    size_t whylen)
{
	const char *bad;
	char buf[64];
	const char *shown;

	if (row->type == CONFIG_T_UINT || row->type == CONFIG_T_DURATION ||
	    row->type == CONFIG_T_SIZE) {
		if (config_check_range(row, config_load_uint(cfg, row), why, whylen) < 0)
			return -1;
	}
	if (!row->check)
		return 0;
	bad = row->check(cfg, row);
	if (!bad)
		return 0;
	shown = config_format_value(cfg, row, buf, sizeof(buf));
	if (row->secret)
		shown = "<redacted>";
	config_fmt(why, whylen, "\"%s\" %s", shown ? shown : "", bad);
	return -1;
}

/* ---- setting values ------------------------------------------------------------------------ */

static void config_enum_list(const struct config_row *row, char *buf, size_t len)
{
	size_t off = 0, i;
	int n;

	buf[0] = '\0';
	for (i = 0; row->enums[i] && off < len; i++) {
		n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", row->enums[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

static int config_set_string(struct obi_config *cfg, const struct config_row *row, const char *s,
			     char *why, size_t whylen)
{
	char **slot = config_str_field(cfg, row);
	char *copy = strdup(s);

	if (!copy) {
		config_fmt(why, whylen, "out of memory");
		return -1;
	}
	free(*slot);
	*slot = copy;
	return 0;
}

/* Parses `value` into the row's field. `why` gets the reason on failure (no key, no source). */
static int config_set(struct obi_config *cfg, const struct config_row *row, const char *value,
		      char *why, size_t whylen)
{
	char trimmed[128];
	const char *v = value;
	uint64_t n = 0;
	size_t len;
	bool b;
	int rc = -1;

	if (row->type == CONFIG_T_STRING) {
		if (config_set_string(cfg, row, value, why, whylen) < 0)
			goto out;
		rc = config_check_row(cfg, row, why, whylen);
		goto out;
	}
	if (row->type == CONFIG_T_PORTLIST) {
		rc = config_parse_portlist(value, config_field(cfg, row), why, whylen);
		goto out;
	}
	/* scalars: surrounding blanks are noise from shells and YAML block scalars */
	v = config_skip_space(value);
	len = strlen(v);
	while (len && config_is_space(v[len - 1]))
		len--;
	if (len >= sizeof(trimmed)) {
		config_fmt(why, whylen, "invalid value \"%.32s...\": too long", v);
		goto out;
	}
	memcpy(trimmed, v, len);
	trimmed[len] = '\0';
	switch (row->type) {
	case CONFIG_T_BOOL:
		if (config_parse_bool(trimmed, &b) < 0) {
			config_fmt(why, whylen, "invalid boolean \"%s\": expected true or false",
				   trimmed);
			goto out;
		}
		n = b;
		break;
	case CONFIG_T_UINT:
		if (config_parse_uint(trimmed, &n) < 0) {
			config_fmt(why, whylen, "invalid number \"%s\": expected a decimal integer",
				   trimmed);
			goto out;
		}
		break;
	case CONFIG_T_DURATION:
		if (config_parse_duration(trimmed, &n) < 0) {
			if (len && strspn(trimmed, "0123456789.") == len)
				config_fmt(why, whylen,
					   "invalid duration \"%s\": a unit is required (e.g. "
					   "\"%ss\" or \"%sms\")",
					   trimmed, trimmed, trimmed);
			else
				config_fmt(why, whylen,
					   "invalid duration \"%s\": expected e.g. 300ms, 1.5s, "
					   "1m30s",
					   trimmed);
			goto out;
		}
		break;
	case CONFIG_T_SIZE:
		if (config_parse_size(trimmed, &n) < 0) {
			config_fmt(why, whylen,
				   "invalid size \"%s\": expected bytes, optionally with B, KiB, "
				   "MiB, GiB, KB, MB or GB",
				   trimmed);
			goto out;
		}
		break;
	case CONFIG_T_ENUM: {
		size_t i;
		bool found = false;

		for (i = 0; row->enums[i]; i++) {
			if (strcasecmp(trimmed, row->enums[i]) == 0) {
				n = i;
				found = true;
				break;
			}
		}
		if (!found) {
			char names[256];

			config_enum_list(row, names, sizeof(names));
			config_fmt(why, whylen, "invalid value \"%s\": expected one of %s", trimmed,
				   names);
			goto out;
		}
		break;
	}
	case CONFIG_T_STRING:
	case CONFIG_T_PORTLIST:
		break;
	}
	/* range first: the field may be narrower than the parsed value */
	if ((row->type == CONFIG_T_UINT || row->type == CONFIG_T_DURATION ||
	     row->type == CONFIG_T_SIZE) &&
	    config_check_range(row, n, why, whylen) < 0)
		goto out;
	config_store_uint(cfg, row, n);
	rc = config_check_row(cfg, row, why, whylen);
out:
	return rc;
}

static const struct config_row *config_row_by_yaml(const char *path)
{
	size_t i;

	for (i = 0; i < CONFIG_NROWS; i++)
		if (config_schema[i].yaml && strcmp(config_schema[i].yaml, path) == 0)
			return &config_schema[i];
	return NULL;
}

/* A section is a proper prefix, at a '.', of some row's YAML path. */
static bool config_is_section(const char *path)
{
	size_t i, len = strlen(path);

	for (i = 0; i < CONFIG_NROWS; i++) {
		const char *y = config_schema[i].yaml;

		if (y && strncmp(y, path, len) == 0 && y[len] == '.')
			return true;
	}
	return false;
}

/* ---- public: defaults, free ------------------------------------------------------------------ */

void config_init_defaults(struct obi_config *cfg)
{
	char why[CONFIG_WHY_MAX];
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < CONFIG_NROWS; i++)
		if (config_schema[i].def)
			/* defaults are tested to parse; a failure leaves the zero value */
			(void)config_set(cfg, &config_schema[i], config_schema[i].def, why,
					 sizeof(why));
}

void config_free(struct obi_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < CONFIG_NROWS; i++) {
		if (config_schema[i].type == CONFIG_T_STRING) {
			char **slot = config_str_field(cfg, &config_schema[i]);

			free(*slot);
			*slot = NULL;
		}
	}
	free(cfg->config_path);
	cfg->config_path = NULL;
}

/* ---- environment --------------------------------------------------------------------------- */

static const char *config_getenv(char *const *envp, const char *name)
{
	size_t len = strlen(name);

	if (!envp)
		return NULL;
	for (; *envp; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

int config_apply_env(struct obi_config *cfg, char *const *envp, char *err, size_t errlen)
{
	char why[CONFIG_WHY_MAX];
	size_t i, j;
	int rc = -1;

	for (i = 0; i < CONFIG_NROWS; i++) {
		const struct config_row *row = &config_schema[i];

		for (j = 0; row->env[j]; j++) {
			const char *v = config_getenv(envp, row->env[j]);

			if (!v || !*v)
				continue;
			if (config_set(cfg, row, v, why, sizeof(why)) < 0) {
				config_fmt(err, errlen, "config: %s (environment): %s", row->env[j],
					   why);
				goto out;
			}
			break;
		}
	}
	rc = 0;
out:
	return rc;
}

/* ---- YAML ---------------------------------------------------------------------------------- */

struct config_yaml {
	struct obi_config *cfg;
	yaml_document_t *doc;
	const char *name;
	char *err;
	size_t errlen;
};

static unsigned long config_line(const yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

/* A plain "~", "null" or empty scalar means "no value here": the setting keeps what it had. */
static bool config_yaml_is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
	    n->data.scalar.style != YAML_ANY_SCALAR_STYLE)
		return false;
	return n->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static bool config_yaml_has_nul(const yaml_node_t *n)
{
	return memchr(n->data.scalar.value, '\0', n->data.scalar.length) != NULL;
}

static int config_yaml_scalar(struct config_yaml *y, const struct config_row *row,
			      const yaml_node_t *val)
{
	char why[CONFIG_WHY_MAX];

	if (config_yaml_is_null(val))
		return 0;
	if (config_yaml_has_nul(val)) {
		config_fmt(y->err, y->errlen, "config: %s:%lu: %s: value contains a NUL byte",
			   y->name, config_line(val), row->yaml);
		return -1;
	}
	if (config_set(y->cfg, row, (const char *)val->data.scalar.value, why, sizeof(why)) < 0) {
		config_fmt(y->err, y->errlen, "config: %s:%lu: %s: %s", y->name, config_line(val),
			   row->yaml, why);
		return -1;
	}
	return 0;
}

static int config_yaml_sequence(struct config_yaml *y, const struct config_row *row,
				const yaml_node_t *val)
{
	struct config_portlist *pl;
	char why[CONFIG_WHY_MAX];
	yaml_node_item_t *it;

	if (row->type != CONFIG_T_PORTLIST) {
		config_fmt(y->err, y->errlen,
			   "config: %s:%lu: %s: expected a single value, not a list", y->name,
			   config_line(val), row->yaml);
		return -1;
	}
	pl = config_field(y->cfg, row);
	pl->n = 0;
	for (it = val->data.sequence.items.start; it < val->data.sequence.items.top; it++) {
		const yaml_node_t *item = yaml_document_get_node(y->doc, *it);

		if (!item || item->type != YAML_SCALAR_NODE) {
			config_fmt(y->err, y->errlen,
				   "config: %s:%lu: %s: list items must be ports or ranges",
				   y->name, item ? config_line(item) : config_line(val), row->yaml);
			return -1;
		}
		if (config_yaml_has_nul(item) ||
		    config_portlist_append((const char *)item->data.scalar.value, pl, why,
					   sizeof(why)) < 0) {
			if (config_yaml_has_nul(item))
				config_fmt(why, sizeof(why), "value contains a NUL byte");
			config_fmt(y->err, y->errlen, "config: %s:%lu: %s: %s", y->name,
				   config_line(item), row->yaml, why);
			return -1;
		}
	}
	return 0;
}

static int config_yaml_mapping(struct config_yaml *y, const yaml_node_t *map, const char *prefix)
{
	yaml_node_pair_t *pair;
	char path[CONFIG_PATH_MAX];

	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const yaml_node_t *key = yaml_document_get_node(y->doc, pair->key);
		const yaml_node_t *val = yaml_document_get_node(y->doc, pair->value);
		const struct config_row *row;
		int n;

		if (!key || !val) {
			config_fmt(y->err, y->errlen, "config: %s:%lu: malformed mapping", y->name,
				   config_line(map));
			return -1;
		}
		if (key->type != YAML_SCALAR_NODE || config_yaml_has_nul(key)) {
			config_fmt(y->err, y->errlen, "config: %s:%lu: keys must be plain names",
				   y->name, config_line(key));
			return -1;
		}
		n = snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "",
			     (const char *)key->data.scalar.value);
		if (n < 0 || (size_t)n >= sizeof(path))
			goto unknown;
		row = config_row_by_yaml(path);
		switch (val->type) {
		case YAML_MAPPING_NODE:
			if (row) {
				config_fmt(y->err, y->errlen,
					   "config: %s:%lu: %s: expected a value, not a mapping",
					   y->name, config_line(val), path);
				return -1;
			}
			if (!config_is_section(path))
				goto unknown;
			if (config_yaml_mapping(y, val, path) < 0)
				return -1;
			break;
		case YAML_SCALAR_NODE:
			if (row) {
				if (config_yaml_scalar(y, row, val) < 0)
					return -1;
				break;
			}
			if (!config_is_section(path))
				goto unknown;
			/* an empty section ("ebpf:" with nothing under it) is harmless */
			if (config_yaml_is_null(val))
				break;
			config_fmt(y->err, y->errlen,
				   "config: %s:%lu: \"%s\" is a section: expected a mapping",
				   y->name, config_line(val), path);
			return -1;
		case YAML_SEQUENCE_NODE:
			if (!row)
				goto unknown;
			if (config_yaml_sequence(y, row, val) < 0)
				return -1;
			break;
		default:
			goto unknown;
		}
		continue;
	unknown:
		config_fmt(y->err, y->errlen, "config: %s:%lu: unknown key \"%.*s\"", y->name,
			   config_line(key), (int)(sizeof(path) - 1), path);
		return -1;
	}
	return 0;
}

int config_apply_yaml(struct obi_config *cfg, const char *text, size_t len, const char *name,
		      char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	bool parser_ok = false, doc_ok = false;
	const yaml_node_t *root;
	struct config_yaml y = {.cfg = cfg, .doc = &doc, .err = err, .errlen = errlen};
	int rc = -1;

	y.name = name ? name : "<yaml>";
	if (!yaml_parser_initialize(&parser)) {
		config_fmt(err, errlen, "config: %s: out of memory", y.name);
		goto out;
	}
	parser_ok = true;
	yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""),
				     text ? len : 0);
	if (!yaml_parser_load(&parser, &doc))
		goto syntax;
	doc_ok = true;
	root = yaml_document_get_root_node(&doc);
	if (root) {
		if (root->type == YAML_SCALAR_NODE && config_yaml_is_null(root)) {
			/* a file with only comments: nothing to apply */
		} else if (root->type != YAML_MAPPING_NODE) {
			config_fmt(err, errlen, "config: %s:%lu: expected a mapping of settings",
				   y.name, config_line(root));
			goto out;
		} else if (config_yaml_mapping(&y, root, "") < 0) {
			goto out;
		}
		/* a second document would be silently ignored otherwise */
		if (!yaml_parser_load(&parser, &extra))
			goto syntax;
		root = yaml_document_get_root_node(&extra);
		if (root) {
			config_fmt(err, errlen,
				   "config: %s:%lu: only one YAML document is supported", y.name,
				   config_line(root));
			yaml_document_delete(&extra);
			goto out;
		}
		yaml_document_delete(&extra);
	}
	rc = 0;
	goto out;
syntax:
	if (parser.problem)
		config_fmt(err, errlen, "config: %s:%lu:%lu: YAML syntax error: %s", y.name,
			   (unsigned long)parser.problem_mark.line + 1,
			   (unsigned long)parser.problem_mark.column + 1, parser.problem);
	else
		config_fmt(err, errlen, "config: %s: YAML error (out of memory?)", y.name);
out:
	if (doc_ok)
		yaml_document_delete(&doc);
	if (parser_ok)
		yaml_parser_delete(&parser);
	return rc;
}

/* Replaces ${NAME} with NAME's value from envp (empty when unset), like OBI's ReplaceEnv. */
static char *config_expand_env(const char *text, size_t len, char *const *envp, size_t *outlen)
{
	size_t cap = len + 1, n = 0, i = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	while (i < len) {
		const char *val = NULL;
		size_t vlen = 1, skip = 1;

		if (text[i] == '$' && i + 1 < len && text[i + 1] == '{') {
			size_t j = i + 2;

			while (j < len && (isalnum((unsigned char)text[j]) || text[j] == '_'))
				j++;
			if (j < len && text[j] == '}' && j > i + 2) {
				char name[CONFIG_PATH_MAX];
				size_t nlen = j - (i + 2);

				if (nlen < sizeof(name)) {
					memcpy(name, text + i + 2, nlen);
					name[nlen] = '\0';
					val = config_getenv(envp, name);
					if (!val)
						val = "";
					vlen = strlen(val);
					skip = j + 1 - i;
				}
			}
		}
		if (!val) {
			val = text + i;
			vlen = 1;
			skip = 1;
		}
		if (n + vlen + 1 > cap) {
			size_t ncap = (n + vlen + 1) * 2;
			char *grown;

			if (ncap > CONFIG_FILE_MAX * 4u)
				goto fail;
			grown = realloc(out, ncap);
			if (!grown)
				goto fail;
			out = grown;
			cap = ncap;
		}
		memcpy(out + n, val, vlen);
		n += vlen;
		i += skip;
	}
	out[n] = '\0';
	*outlen = n;
	return out;
fail:
	free(out);
	return NULL;
}

int config_apply_yaml_file(struct obi_config *cfg, const char *path, char *const *envp, char *err,
			   size_t errlen)
{
	FILE *f = NULL;
	char *buf = NULL, *expanded = NULL;
	size_t len = 0, explen = 0;
	int rc = -1;

	f = fopen(path, "re");
	if (!f) {
		config_fmt(err, errlen, "config: %s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		config_fmt(err, errlen, "config: %s: out of memory", path);
		goto out;
	}
	len = fread(buf, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f)) {
		config_fmt(err, errlen, "config: %s: read error", path);
		goto out;
	}
	if (len > CONFIG_FILE_MAX) {
		config_fmt(err, errlen, "config: %s: file is larger than %u bytes", path,
			   CONFIG_FILE_MAX);
		goto out;
	}
	expanded = config_expand_env(buf, len, envp, &explen);
	if (!expanded) {
		config_fmt(err, errlen, "config: %s: out of memory expanding ${...}", path);
		goto out;
	}
	rc = config_apply_yaml(cfg, expanded, explen, path, err, errlen);
out:
	free(expanded);
	free(buf);
	if (f)
		fclose(f);
	return rc;
}

/* ---- validation ------------------------------------------------------------------------------ */

static const char *config_row_name(const struct config_row *row)
{
	return row->yaml ? row->yaml : row->env[0];
}

int config_validate(const struct obi_config *cfg, unsigned proc_mask, char *err, size_t errlen)
{
	char why[CONFIG_WHY_MAX];
	size_t i;
	int rc = -1;

	for (i = 0; i < CONFIG_NROWS; i++) {
		const struct config_row *row = &config_schema[i];

		if (!(row->proc & proc_mask))
			continue;
		if (config_check_row(cfg, row, why, sizeof(why)) < 0) {
			config_fmt(err, errlen, "config: %s: %s", config_row_name(row), why);
			goto out;
		}
	}
	if ((proc_mask & CONFIG_PROC_PROBE) && cfg->open_port.n == 0 &&
	    !(cfg->auto_target_exe && *cfg->auto_target_exe)) {
		config_fmt(err, errlen,
			   "config: nothing to instrument: set OTEL_EBPF_OPEN_PORT or "
			   "OTEL_EBPF_AUTO_TARGET_EXE (or open_port in the YAML file)");
		goto out;
	}
	rc = 0;
out:
	return rc;
}

/* ---- dump ------------------------------------------------------------------------------------ */

static void config_dump_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void config_dump_value(const struct obi_config *cfg, const struct config_row *row, FILE *out)
{
	char buf[1024];
	const char *v = config_format_value(cfg, row, buf, sizeof(buf));

	if (!v)
		fputs("null", out);
	else if (row->secret)
		fputs("\"<redacted>\"", out);
	else if (row->type == CONFIG_T_STRING || row->type == CONFIG_T_PORTLIST)
		config_dump_quoted(out, v);
	else
		fputs(v, out);
}

/* Number of leading dotted components two paths share. */
static size_t config_common_depth(const char *a, const char *b)
{
	size_t depth = 0;

	for (;;) {
		const char *da = strchr(a, '.'), *db = strchr(b, '.');

		if (!da || !db || da - a != db - b || strncmp(a, b, (size_t)(da - a)) != 0)
			return depth;
		depth++;
		a = da + 1;
		b = db + 1;
	}
}

void config_dump(const struct obi_config *cfg, FILE *out)
{
	const char *prev = "";
	size_t i;

	fputs("# Effective configuration (defaults < YAML file < environment).\n", out);
	if (cfg->config_path) {
		fputs("# Loaded from ", out);
		fputs(cfg->config_path, out);
		fputc('\n', out);
	}
	for (i = 0; i < CONFIG_NROWS; i++) {
		const struct config_row *row = &config_schema[i];

		if (row->yaml)
			continue;
		fprintf(out, "# %s: ", row->env[0]);
		config_dump_value(cfg, row, out);
		fputc('\n', out);
	}
	for (i = 0; i < CONFIG_NROWS; i++) {
		const struct config_row *row = &config_schema[i];
		const char *p;
		size_t depth, d;

		if (!row->yaml)
			continue;
		/* open the sections this key needs that the previous key did not */
		depth = config_common_depth(prev, row->yaml);
		p = row->yaml;
		for (d = 0; d < depth; d++)
			p = strchr(p, '.') + 1;
		for (;;) {
			const char *dot = strchr(p, '.');

			if (!dot)
				break;
			fprintf(out, "%*s%.*s:\n", (int)(depth * 2), "", (int)(dot - p), p);
			depth++;
			p = dot + 1;
		}
		fprintf(out, "%*s%s: ", (int)(depth * 2), "", p);
		config_dump_value(cfg, row, out);
		fputc('\n', out);
		prev = row->yaml;
	}
}

/* ---- docs ------------------------------------------------------------------------------------ */

static void config_docs_cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else
			fputc(*s, out);
	}
}

static void config_docs_type(const struct config_row *row, FILE *out)
{
	char lo[48], hi[48];
	size_t i;

	switch (row->type) {
	case CONFIG_T_BOOL:
		fputs("bool", out);
		return;
	case CONFIG_T_STRING:
		fputs("string", out);
		return;
	case CONFIG_T_PORTLIST:
		fputs("port list", out);
		return;
	case CONFIG_T_ENUM:
		fputs("one of ", out);
		for (i = 0; row->enums[i]; i++)
			fprintf(out, "%s`%s`", i ? ", " : "", row->enums[i]);
		return;
	case CONFIG_T_UINT:
		fputs("integer", out);
		break;
	case CONFIG_T_DURATION:
		fputs("duration", out);
		break;
	case CONFIG_T_SIZE:
		fputs("size", out);
		break;
	}
	if (!row->min && !row->max)
		return;
	config_format_number(row, row->min, lo, sizeof(lo));
	config_format_number(row, config_row_max(row), hi, sizeof(hi));
	if (row->max)
		fprintf(out, " (%s..%s)", lo, hi);
	else
		fprintf(out, " (>= %s)", lo);
}

static void config_docs_proc(unsigned proc, FILE *out)
{
	static const char *const names[] = {"probe", "enricher", "launcher"};
	bool first = true;
	size_t i;

	if ((proc & CONFIG_PROC_ALL) == CONFIG_PROC_ALL) {
		fputs("all", out);
		return;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (proc & (1u << i)) {
			fprintf(out, "%s%s", first ? "" : ", ", names[i]);
			first = false;
		}
	}
}

void config_write_docs(FILE *out)
{
	size_t i, j;

	fputs(
	    "# Configuration\n"
	    "\n"
	    "<!-- Generated by `obi-enricher --config-docs` (`make docs`); do not edit. -->\n"
	    "\n"
	    "Settings come from three sources; later ones win:\n"
	    "\n"
	    "1. built-in defaults (below);\n"
	    "2. a YAML file, named with `-config FILE` (also `--config FILE`, `-config=FILE`) or "
	    "by `OTEL_EBPF_CONFIG_PATH`, which wins over the flag as in OBI; `${VAR}` in the file "
	    "is replaced by the environment variable's value (empty when unset);\n"
	    "3. environment variables. An empty variable counts as unset; where two names are "
	    "listed the first one set wins.\n"
	    "\n"
	    "YAML keys are written as dotted paths here: `ebpf.wakeup_len` is `wakeup_len` "
	    "inside an `ebpf:` mapping. Unknown YAML keys are errors; unknown environment "
	    "variables are ignored.\n"
	    "\n"
	    "Value syntax: durations as in Go (`300ms`, `1.5s`, `1m30s`, `0`; a unit is "
	    "required); sizes in bytes with an optional `B`, `KiB`, `MiB`, `GiB` (binary) or "
	    "`KB`, `MB`, `GB` (decimal) suffix; booleans `true`/`false`/`1`/`0`/`t`/`f`; port "
	    "lists as `80`, `80,443`, `8000-8999` (ports 1-65535), or a YAML list.\n"
	    "\n"
	    "`--check-config` validates and exits, `--dump-config` prints the effective "
	    "configuration as YAML (secrets redacted), `--config-docs` prints this page. Any "
	    "configuration error is reported as one line on standard error and the process "
	    "exits with status 2.\n"
	    "\n"
	    "| YAML key | Environment variable(s) | Type | Default | Process | Description |\n"
	    "|---|---|---|---|---|---|\n",
	    out);
	for (i = 0; i < CONFIG_NROWS; i++) {
		const struct config_row *row = &config_schema[i];

		fputs("| ", out);
		if (row->yaml)
			fprintf(out, "`%s`", row->yaml);
		else
			fputs("(none)", out);
		fputs(" | ", out);
		for (j = 0; row->env[j]; j++)
			fprintf(out, "%s`%s`", j ? ", " : "", row->env[j]);
		fputs(" | ", out);
		config_docs_type(row, out);
		fputs(" | ", out);
		if (row->def) {
			fputc('`', out);
			config_docs_cell(out, row->def);
			fputc('`', out);
		} else {
			fputs("unset", out);
		}
		fputs(" | ", out);
		config_docs_proc(row->proc, out);
		fputs(" | ", out);
		config_docs_cell(out, row->doc);
		if (row->secret)
			fputs(" Secret: redacted in `--dump-config`.", out);
		fputs(" |\n", out);
	}
}

/* ---- start-up sequence --------------------------------------------------------------------- */

static bool config_flag_is(const char *arg, const char *name)
{
	/* Go's flag package accepts -name and --name alike */
	if (arg[0] != '-')
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	return strcmp(arg, name) == 0;
}

static const char *config_flag_value(const char *arg, const char *name)
{
	size_t len = strlen(name);

	if (arg[0] != '-')
		return NULL;
	arg += arg[1] == '-' ? 2 : 1;
	if (strncmp(arg, name, len) == 0 && arg[len] == '=')
		return arg + len + 1;
	return NULL;
}

int config_load(struct obi_config *cfg, int argc, char **argv, char *const *envp, unsigned proc,
		enum config_action *action)
{
	char err[1024];
	const char *path = NULL, *env_path;
	enum config_action act = CONFIG_ACTION_RUN;
	int i, rc = 2;

	config_init_defaults(cfg);
	err[0] = '\0';
	for (i = 1; i < argc && argv && argv[i]; i++) {
		const char *a = argv[i], *v;

		if (config_flag_is(a, "config")) {
			if (i + 1 >= argc || !argv[i + 1]) {
				config_fmt(err, sizeof(err), "config: %s needs a FILE argument", a);
				goto out;
			}
			path = argv[++i];
		} else if ((v = config_flag_value(a, "config"))) {
			path = v;
		} else if (config_flag_is(a, "check-config")) {
			act = CONFIG_ACTION_CHECK;
		} else if (config_flag_is(a, "dump-config")) {
			act = CONFIG_ACTION_DUMP;
		} else if (config_flag_is(a, "config-docs")) {
			act = CONFIG_ACTION_DOCS;
		} else {
			config_fmt(err, sizeof(err),
				   "config: unknown argument \"%s\" (expected -config FILE, "
				   "--check-config, --dump-config or --config-docs)",
				   a);
			goto out;
		}
	}
	/* the docs describe the schema, not this environment */
	if (act == CONFIG_ACTION_DOCS)
		goto done;
	env_path = config_getenv(envp, "OTEL_EBPF_CONFIG_PATH");
	if (env_path && *env_path)
		path = env_path;
	if (path && *path) {
		if (config_apply_yaml_file(cfg, path, envp, err, sizeof(err)) < 0)
			goto out;
		cfg->config_path = strdup(path);
		if (!cfg->config_path) {
			config_fmt(err, sizeof(err), "config: out of memory");
			goto out;
		}
	}
	if (config_apply_env(cfg, envp, err, sizeof(err)) < 0)
		goto out;
	/* a dump is how one finds out what is missing, so it must not need a complete config */
	if (act != CONFIG_ACTION_DUMP && config_validate(cfg, proc, err, sizeof(err)) < 0)
		goto out;
done:
	if (action)
		*action = act;
	rc = 0;
out:
	if (rc) {
		fprintf(stderr, "%s\n", err);
		config_free(cfg);
	}
	return rc;
}

/* wire.c: framing, validation and accessors for probe <-> enricher messages. */
#include "wire.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "obi_abi.h"

/* Which role may send a type, and the payload bounds checked before anything is touched. */
struct wire_type_rule {
	uint32_t min, max;
	unsigned from_mask; /* 1 << role */
};

#define FROM_PROBE (1u << OBI_WIRE_ROLE_PROBE)
#define FROM_ENRICHER (1u << OBI_WIRE_ROLE_ENRICHER)
#define WIRE_PROC_NSTR 8 /* strings after struct obi_wire_proc */
#define WIRE_PAYLOAD_MAX (OBI_WIRE_MAX_MSG - sizeof(struct obi_wire_hdr))

static const struct wire_type_rule wire_rules[OBI_MSG__MAX] = {
    [OBI_MSG_HELLO] = {sizeof(struct obi_wire_hello), sizeof(struct obi_wire_hello),
		       FROM_PROBE | FROM_ENRICHER},
    [OBI_MSG_PROC_ADD] = {sizeof(struct obi_wire_proc), WIRE_PAYLOAD_MAX, FROM_PROBE},
    [OBI_MSG_PROC_DEL] = {sizeof(struct obi_wire_pid), sizeof(struct obi_wire_pid), FROM_PROBE},
    [OBI_MSG_RECORDS] = {sizeof(struct obi_rec_hdr), WIRE_PAYLOAD_MAX, FROM_PROBE},
    [OBI_MSG_STATS] = {sizeof(struct obi_wire_stats), WIRE_PAYLOAD_MAX, FROM_PROBE},
    [OBI_MSG_POD_QUERY] = {sizeof(struct obi_wire_pod_query), sizeof(struct obi_wire_pod_query),
			   FROM_PROBE},
    [OBI_MSG_POD_INFO] = {sizeof(struct obi_wire_pod_info), WIRE_PAYLOAD_MAX, FROM_ENRICHER},
};

const char *wire_strerror(int err)
{
	switch (err) {
	case WIRE_OK:
		return "ok";
	case WIRE_ESHORT:
		return "message shorter than its header or length";
	case WIRE_ELEN:
		return "length outside the bounds of its type";
	case WIRE_ETYPE:
		return "unknown or unpermitted message type";
	case WIRE_EFLAGS:
		return "reserved flags set";
	case WIRE_ETRUNC:
		return "message larger than the maximum";
	case WIRE_EPAYLOAD:
		return "inconsistent payload";
	}
	return "unknown error";
}

int wire_is_proto_err(int rc)
{
	return rc <= WIRE_ESHORT && rc >= WIRE_EPAYLOAD;
}

int wire_validate(const uint8_t *buf, size_t n, enum obi_wire_role from, struct wire_msg *m)
{
	struct obi_wire_hdr h;
	const struct wire_type_rule *rule;
	size_t plen;

	if (n < sizeof(h))
		return WIRE_ESHORT;
	memcpy(&h, buf, sizeof(h));
	if (h.len != n)
		return h.len > n ? WIRE_ESHORT : WIRE_ELEN;
	if (h.type == 0 || h.type >= OBI_MSG__MAX)
		return WIRE_ETYPE;
	rule = &wire_rules[h.type];
	if (!(rule->from_mask & (1u << from)))
		return WIRE_ETYPE;
	if (h.flags)
		return WIRE_EFLAGS;
	plen = n - sizeof(h);
	if (plen < rule->min || plen > rule->max)
		return WIRE_ELEN;
	m->type = h.type;
	m->seq = h.seq;
	m->payload = buf + sizeof(h);
	m->len = plen;
	return WIRE_OK;
}

int wire_recv(int fd, uint8_t *buf, enum obi_wire_role from, struct wire_msg *m)
{
	ssize_t n;
	int rc;

	/* MSG_TRUNC makes the kernel report the real datagram size, so oversize is detected. */
	n = recv(fd, buf, OBI_WIRE_MAX_MSG, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	if ((size_t)n > OBI_WIRE_MAX_MSG)
		return WIRE_ETRUNC;
	rc = wire_validate(buf, (size_t)n, from, m);
	return rc == WIRE_OK ? 1 : rc;
}

ssize_t wire_encode(uint8_t *out, size_t cap, uint32_t type, uint32_t seq, const void *payload,
		    size_t len)
{
	struct obi_wire_hdr h = {.type = type, .seq = seq};
	size_t total = sizeof(h) + len;

	if (total > OBI_WIRE_MAX_MSG || total > cap)
		return -1;
	h.len = (uint32_t)total;
	memcpy(out, &h, sizeof(h));
	if (len)
		memcpy(out + sizeof(h), payload, len);
	return (ssize_t)total;
}

int wire_send(int fd, uint32_t type, uint32_t seq, const void *payload, size_t len)
{
	struct obi_wire_hdr h = {.type = type, .seq = seq};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)payload, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};

	if (sizeof(h) + len > OBI_WIRE_MAX_MSG)
		return -EMSGSIZE;
	h.len = (uint32_t)(sizeof(h) + len);
	if (sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

int64_t wire_mono_to_unix_ns(void)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return ((int64_t)real.tv_sec - mono.tv_sec) * 1000000000LL +
	       ((int64_t)real.tv_nsec - mono.tv_nsec);
}

void wire_hello_init(struct obi_wire_hello *h, enum obi_wire_role role, int64_t mono_to_unix_ns)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, OBI_WIRE_MAGIC, 4);
	h->wire_version = OBI_WIRE_VERSION;
	h->abi_version = OBI_ABI_VERSION;
	h->role = role;
	h->pid = (uint32_t)getpid();
	h->mono_to_unix_ns = mono_to_unix_ns;
	h->max_msg = OBI_WIRE_MAX_MSG;
}

int wire_get_hello(const struct wire_msg *m, struct obi_wire_hello *out)
{
	if (m->type != OBI_MSG_HELLO || m->len != sizeof(*out))
		return WIRE_ELEN;
	memcpy(out, m->payload, sizeof(*out));
	if (memcmp(out->magic, OBI_WIRE_MAGIC, 4) != 0 || out->pad)
		return WIRE_EPAYLOAD;
	return WIRE_OK;
}

int wire_get_pid(const struct wire_msg *m, uint32_t *pid)
{
	struct obi_wire_pid p;

	if (m->type != OBI_MSG_PROC_DEL || m->len != sizeof(p))
		return WIRE_ELEN;
	memcpy(&p, m->payload, sizeof(p));
	if (p.pad)
		return WIRE_EPAYLOAD;
	*pid = p.pid;
	return WIRE_OK;
}

/* Length limit of each PROC_ADD string, in wire order. */
static const size_t wire_proc_max[WIRE_PROC_NSTR] = {
    OBI_WIRE_EXE_MAX, OBI_WIRE_CMDLINE_MAX, OBI_WIRE_CGROUP_MAX, OBI_WIRE_SVC_MAX,
    OBI_WIRE_RES_MAX, OBI_WIRE_NS_MAX,	    OBI_WIRE_SVC_MAX,	 OBI_WIRE_NS_MAX};

static void wire_proc_lens(const struct obi_wire_proc *f, size_t lens[WIRE_PROC_NSTR])
{
	lens[0] = f->exe_len;
	lens[1] = f->cmdline_len;
	lens[2] = f->cgroup_len;
	lens[3] = f->svc_name_len;
	lens[4] = f->res_attrs_len;
	lens[5] = f->svc_ns_len;
	lens[6] = f->sel_name_len;
	lens[7] = f->sel_ns_len;
}

static bool wire_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

int wire_get_proc(const struct wire_msg *m, struct wire_proc_view *out)
{
	const struct obi_wire_proc *f = &out->fixed;
	const char **dst[WIRE_PROC_NSTR] = {&out->exe,	    &out->cmdline,   &out->cgroup,
					    &out->svc_name, &out->res_attrs, &out->svc_ns,
					    &out->sel_name, &out->sel_ns};
	size_t lens[WIRE_PROC_NSTR], need = sizeof(*f);
	const char *s;

	if (m->type != OBI_MSG_PROC_ADD || m->len < sizeof(out->fixed))
		return WIRE_ELEN;
	memcpy(&out->fixed, m->payload, sizeof(out->fixed));
	wire_proc_lens(f, lens);
	for (int i = 0; i < WIRE_PROC_NSTR; i++) {
		if (lens[i] > wire_proc_max[i])
			return WIRE_EPAYLOAD;
		need += lens[i];
	}
	if (need != m->len || f->pid == 0 || f->language >= OBI_LANG__MAX ||
	    !wire_zero(f->pad, sizeof(f->pad)))
		return WIRE_EPAYLOAD;
	s = (const char *)m->payload + sizeof(*f);
	for (int i = 0; i < WIRE_PROC_NSTR; i++) {
		*dst[i] = s;
		s += lens[i];
	}
	return WIRE_OK;
}

static size_t wire_bounded_len(const char *s, size_t max)
{
	return s ? strnlen(s, max) : 0;
}

ssize_t wire_build_proc_parts(uint8_t *out, size_t cap, const struct obi_wire_proc *fixed,
			      const struct wire_proc_parts *pp)
{
	struct obi_wire_proc f = *fixed;
	const char *parts[WIRE_PROC_NSTR] = {pp->exe,	    pp->cmdline, pp->cgroup,   pp->svc_name,
					     pp->res_attrs, pp->svc_ns,	 pp->sel_name, pp->sel_ns};
	size_t lens[WIRE_PROC_NSTR], off = sizeof(f), total;

	for (int i = 0; i < WIRE_PROC_NSTR; i++)
		lens[i] = wire_bounded_len(parts[i], wire_proc_max[i]);
	lens[1] = pp->cmdline ? (pp->cmdline_len > OBI_WIRE_CMDLINE_MAX ? OBI_WIRE_CMDLINE_MAX
									: pp->cmdline_len)
			      : 0;
	f.exe_len = (uint16_t)lens[0];
	f.cmdline_len = (uint16_t)lens[1];
	f.cgroup_len = (uint16_t)lens[2];
	f.svc_name_len = (uint16_t)lens[3];
	f.res_attrs_len = (uint16_t)lens[4];
	f.svc_ns_len = (uint16_t)lens[5];
	f.sel_name_len = (uint16_t)lens[6];
	f.sel_ns_len = (uint16_t)lens[7];
	if (f.language >= OBI_LANG__MAX)
		f.language = OBI_LANG_GENERIC;
	memset(f.pad, 0, sizeof(f.pad));
	total = off;
	for (int i = 0; i < WIRE_PROC_NSTR; i++)
		total += lens[i];
	if (total > cap)
		return -1;
	memcpy(out, &f, sizeof(f));
	for (int i = 0; i < WIRE_PROC_NSTR; i++) {
		if (lens[i])
			memcpy(out + off, parts[i], lens[i]);
		off += lens[i];
	}
	return (ssize_t)off;
}

ssize_t wire_build_proc(uint8_t *out, size_t cap, const struct obi_wire_proc *fixed,
			const char *exe, const char *cmdline, size_t cmdline_len,
			const char *cgroup, const char *svc_name, const char *res_attrs)
{
	struct wire_proc_parts pp = {.exe = exe,
				     .cmdline = cmdline,
				     .cmdline_len = cmdline_len,
				     .cgroup = cgroup,
				     .svc_name = svc_name,
				     .res_attrs = res_attrs};

	return wire_build_proc_parts(out, cap, fixed, &pp);
}

const char *wire_lang_name(unsigned lang)
{
	static const char *const names[OBI_LANG__MAX] = {
	    [OBI_LANG_UNKNOWN] = "generic", [OBI_LANG_GENERIC] = "generic",
	    [OBI_LANG_GO] = "go",	    [OBI_LANG_JAVA] = "java",
	    [OBI_LANG_PYTHON] = "python",   [OBI_LANG_NODEJS] = "nodejs",
	    [OBI_LANG_RUBY] = "ruby",	    [OBI_LANG_DOTNET] = "dotnet",
	    [OBI_LANG_RUST] = "rust",	    [OBI_LANG_PHP] = "php"};

	return lang < OBI_LANG__MAX ? names[lang] : "generic";
}

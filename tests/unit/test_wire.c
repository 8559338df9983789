/* test_wire.c: unit tests of the probe <-> enricher framing (common/wire.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "obi_abi.h"
#include "wire.h"

#define HDR_SZ sizeof(struct obi_wire_hdr)

/* A datagram of `total` bytes with a header as given; the payload is zero-filled. */
static uint8_t *test_wire_msg(size_t total, uint32_t type, uint32_t len, uint32_t flags)
{
	uint8_t *b = calloc(1, total < HDR_SZ ? HDR_SZ : total);
	struct obi_wire_hdr h = {.type = type, .len = len, .seq = 7, .flags = flags};

	assert_non_null(b);
	memcpy(b, &h, HDR_SZ);
	return b;
}

/* Validation result of a well-framed message of `plen` payload bytes. */
static int test_wire_check(uint32_t type, size_t plen, enum obi_wire_role from)
{
	size_t total = HDR_SZ + plen;
	uint8_t *b = test_wire_msg(total, type, (uint32_t)total, 0);
	struct wire_msg m;
	int rc = wire_validate(b, total, from, &m);

	if (rc == WIRE_OK) {
		assert_int_equal(m.type, type);
		assert_int_equal(m.len, plen);
		assert_ptr_equal(m.payload, b + HDR_SZ);
	}
	free(b);
	return rc;
}

static void test_wire_roundtrip_all_types(void **state)
{
	struct obi_wire_hello hello;
	uint8_t proc[64], recs[sizeof(struct obi_rec_hdr) + 8], stats[8 + 3 * 8];
	struct obi_wire_pid pid = {.pid = 42};
	struct obi_wire_proc fixed = {.pid = 42};
	struct {
		uint32_t type;
		const void *p;
		size_t len;
	} cases[5];
	uint8_t out[256];
	ssize_t plen;

	(void)state;
	wire_hello_init(&hello, OBI_WIRE_ROLE_PROBE, 123456789);
	plen = wire_build_proc(proc, sizeof(proc), &fixed, "/bin/x", NULL, 0, NULL, NULL, NULL);
	assert_int_equal(plen, sizeof(struct obi_wire_proc) + 6);
	memset(recs, 0xab, sizeof(recs));
	memset(stats, 0, sizeof(stats));
	stats[0] = 3;
	cases[0] = (typeof(cases[0])){OBI_MSG_HELLO, &hello, sizeof(hello)};
	cases[1] = (typeof(cases[0])){OBI_MSG_PROC_ADD, proc, (size_t)plen};
	cases[2] = (typeof(cases[0])){OBI_MSG_PROC_DEL, &pid, sizeof(pid)};
	cases[3] = (typeof(cases[0])){OBI_MSG_RECORDS, recs, sizeof(recs)};
	cases[4] = (typeof(cases[0])){OBI_MSG_STATS, stats, sizeof(stats)};

	for (size_t i = 0; i < 5; i++) {
		struct wire_msg m;
		ssize_t n = wire_encode(out, sizeof(out), cases[i].type, 1000 + (uint32_t)i,
					cases[i].p, cases[i].len);

		assert_int_equal(n, HDR_SZ + cases[i].len);
		assert_int_equal(wire_validate(out, (size_t)n, OBI_WIRE_ROLE_PROBE, &m), WIRE_OK);
		assert_int_equal(m.type, cases[i].type);
		assert_int_equal(m.seq, 1000 + i);
		assert_int_equal(m.len, cases[i].len);
		assert_memory_equal(m.payload, cases[i].p, cases[i].len);
	}
}

static void test_wire_encode_limits(void **state)
{
	uint8_t *big = calloc(1, OBI_WIRE_MAX_MSG + 1);
	uint8_t small[HDR_SZ + 4];

	(void)state;
	assert_non_null(big);
	/* exactly the maximum fits; one byte more does not, whatever the cap */
	assert_int_equal(wire_encode(big, OBI_WIRE_MAX_MSG + 1, OBI_MSG_RECORDS, 0, big + HDR_SZ,
				     OBI_WIRE_MAX_MSG - HDR_SZ),
			 OBI_WIRE_MAX_MSG);
	assert_int_equal(wire_encode(big, OBI_WIRE_MAX_MSG + 1, OBI_MSG_RECORDS, 0, big,
				     OBI_WIRE_MAX_MSG - HDR_SZ + 1),
			 -1);
	/* cap */
	assert_int_equal(wire_encode(small, sizeof(small), OBI_MSG_PROC_DEL, 0, big, 4),
			 (ssize_t)sizeof(small));
	assert_int_equal(wire_encode(small, sizeof(small), OBI_MSG_PROC_DEL, 0, big, 5), -1);
	assert_int_equal(wire_encode(small, HDR_SZ - 1, OBI_MSG_HELLO, 0, NULL, 0), -1);
	free(big);
}

static void test_wire_too_short(void **state)
{
	uint8_t b[HDR_SZ] = {0};
	struct wire_msg m;

	(void)state;
	for (size_t n = 0; n < HDR_SZ; n++)
		assert_int_equal(wire_validate(b, n, OBI_WIRE_ROLE_PROBE, &m), WIRE_ESHORT);
}

static void test_wire_len_mismatch(void **state)
{
	size_t total = HDR_SZ + sizeof(struct obi_wire_pid);
	uint8_t *b;
	struct wire_msg m;

	(void)state;
	/* len claims more than was received: short read */
	b = test_wire_msg(total, OBI_MSG_PROC_DEL, (uint32_t)total + 1, 0);
	assert_int_equal(wire_validate(b, total, OBI_WIRE_ROLE_PROBE, &m), WIRE_ESHORT);
	free(b);
	b = test_wire_msg(total, OBI_MSG_PROC_DEL, UINT32_MAX, 0);
	assert_int_equal(wire_validate(b, total, OBI_WIRE_ROLE_PROBE, &m), WIRE_ESHORT);
	free(b);
	/* len claims less than was received */
	b = test_wire_msg(total, OBI_MSG_PROC_DEL, (uint32_t)total - 1, 0);
	assert_int_equal(wire_validate(b, total, OBI_WIRE_ROLE_PROBE, &m), WIRE_ELEN);
	free(b);
	b = test_wire_msg(total, OBI_MSG_PROC_DEL, 0, 0);
	assert_int_equal(wire_validate(b, total, OBI_WIRE_ROLE_PROBE, &m), WIRE_ELEN);
	free(b);
}

static void test_wire_unknown_type(void **state)
{
	const uint32_t types[] = {0, OBI_MSG__MAX, 99, 1000, UINT32_MAX};

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_int_equal(test_wire_check(types[i], 32, OBI_WIRE_ROLE_PROBE), WIRE_ETYPE);
		assert_int_equal(test_wire_check(types[i], 32, OBI_WIRE_ROLE_ENRICHER), WIRE_ETYPE);
	}
}

static void test_wire_direction(void **state)
{
	(void)state;
	/* hello both ways */
	assert_int_equal(test_wire_check(OBI_MSG_HELLO, 32, OBI_WIRE_ROLE_PROBE), WIRE_OK);
	assert_int_equal(test_wire_check(OBI_MSG_HELLO, 32, OBI_WIRE_ROLE_ENRICHER), WIRE_OK);
	/* everything else only from the probe */
	assert_int_equal(
	    test_wire_check(OBI_MSG_PROC_ADD, sizeof(struct obi_wire_proc), OBI_WIRE_ROLE_ENRICHER),
	    WIRE_ETYPE);
	assert_int_equal(test_wire_check(OBI_MSG_PROC_DEL, 8, OBI_WIRE_ROLE_ENRICHER), WIRE_ETYPE);
	assert_int_equal(test_wire_check(OBI_MSG_RECORDS, 24, OBI_WIRE_ROLE_ENRICHER), WIRE_ETYPE);
	assert_int_equal(test_wire_check(OBI_MSG_STATS, 8, OBI_WIRE_ROLE_ENRICHER), WIRE_ETYPE);
	assert_int_equal(
	    test_wire_check(OBI_MSG_PROC_ADD, sizeof(struct obi_wire_proc), OBI_WIRE_ROLE_PROBE),
	    WIRE_OK);
	/* an unknown role may send nothing */
	assert_int_equal(test_wire_check(OBI_MSG_HELLO, 32, (enum obi_wire_role)0), WIRE_ETYPE);
	assert_int_equal(test_wire_check(OBI_MSG_HELLO, 32, (enum obi_wire_role)3), WIRE_ETYPE);
}

static void test_wire_flags(void **state)
{
	size_t total = HDR_SZ + sizeof(struct obi_wire_hello);
	const uint32_t flags[] = {1, 0x80000000u, UINT32_MAX};
	struct wire_msg m;

	(void)state;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		uint8_t *b = test_wire_msg(total, OBI_MSG_HELLO, (uint32_t)total, flags[i]);

		assert_int_equal(wire_validate(b, total, OBI_WIRE_ROLE_PROBE, &m), WIRE_EFLAGS);
		free(b);
	}
}

static void test_wire_payload_bounds(void **state)
{
	const size_t pmax = OBI_WIRE_MAX_MSG - HDR_SZ;
	const struct {
		uint32_t type;
		size_t min, max;
	} b[] = {
	    {OBI_MSG_HELLO, sizeof(struct obi_wire_hello), sizeof(struct obi_wire_hello)},
	    {OBI_MSG_PROC_ADD, sizeof(struct obi_wire_proc), pmax},
	    {OBI_MSG_PROC_DEL, sizeof(struct obi_wire_pid), sizeof(struct obi_wire_pid)},
	    {OBI_MSG_RECORDS, sizeof(struct obi_rec_hdr), pmax},
	    {OBI_MSG_STATS, sizeof(struct obi_wire_stats), pmax},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		assert_int_equal(test_wire_check(b[i].type, b[i].min - 1, OBI_WIRE_ROLE_PROBE),
				 WIRE_ELEN);
		assert_int_equal(test_wire_check(b[i].type, 0, OBI_WIRE_ROLE_PROBE), WIRE_ELEN);
		assert_int_equal(test_wire_check(b[i].type, b[i].min, OBI_WIRE_ROLE_PROBE),
				 WIRE_OK);
		assert_int_equal(test_wire_check(b[i].type, b[i].max, OBI_WIRE_ROLE_PROBE),
				 WIRE_OK);
		assert_int_equal(test_wire_check(b[i].type, b[i].max + 1, OBI_WIRE_ROLE_PROBE),
				 WIRE_ELEN);
	}
}

static void test_wire_hello_accessor(void **state)
{
	struct obi_wire_hello h, out;
	uint8_t buf[HDR_SZ + sizeof(h) + 1];
	struct wire_msg m;

	(void)state;
	wire_hello_init(&h, OBI_WIRE_ROLE_ENRICHER, -5);
	assert_int_equal(wire_encode(buf, sizeof(buf), OBI_MSG_HELLO, 1, &h, sizeof(h)),
			 HDR_SZ + sizeof(h));
	assert_int_equal(wire_validate(buf, HDR_SZ + sizeof(h), OBI_WIRE_ROLE_ENRICHER, &m),
			 WIRE_OK);
	assert_int_equal(wire_get_hello(&m, &out), WIRE_OK);
	assert_memory_equal(out.magic, OBI_WIRE_MAGIC, 4);
	assert_int_equal(out.wire_version, OBI_WIRE_VERSION);
	assert_int_equal(out.abi_version, OBI_ABI_VERSION);
	assert_int_equal(out.role, OBI_WIRE_ROLE_ENRICHER);
	assert_int_equal(out.pid, (uint32_t)getpid());
	assert_true(out.mono_to_unix_ns == -5);
	assert_int_equal(out.max_msg, OBI_WIRE_MAX_MSG);
	assert_int_equal(out.pad, 0);

	/* wrong magic */
	h.magic[3] = '2';
	m.payload = (const uint8_t *)&h;
	m.len = sizeof(h);
	assert_int_equal(wire_get_hello(&m, &out), WIRE_EPAYLOAD);
	/* non-zero pad */
	memcpy(h.magic, OBI_WIRE_MAGIC, 4);
	assert_int_equal(wire_get_hello(&m, &out), WIRE_OK);
	h.pad = 1;
	assert_int_equal(wire_get_hello(&m, &out), WIRE_EPAYLOAD);
	h.pad = 0;
	/* wrong size, wrong type */
	m.len = sizeof(h) - 1;
	assert_int_equal(wire_get_hello(&m, &out), WIRE_ELEN);
	m.len = sizeof(h) + 1;
	memcpy(buf, &h, sizeof(h));
	m.payload = buf;
	assert_int_equal(wire_get_hello(&m, &out), WIRE_ELEN);
	m.len = sizeof(h);
	m.type = OBI_MSG_STATS;
	assert_int_equal(wire_get_hello(&m, &out), WIRE_ELEN);
}

static void test_wire_pid_accessor(void **state)
{
	struct obi_wire_pid p = {.pid = 31337};
	struct wire_msg m = {
	    .type = OBI_MSG_PROC_DEL, .payload = (const uint8_t *)&p, .len = sizeof(p)};
	uint32_t pid = 0;

	(void)state;
	assert_int_equal(wire_get_pid(&m, &pid), WIRE_OK);
	assert_int_equal(pid, 31337);
	p.pad = 1;
	assert_int_equal(wire_get_pid(&m, &pid), WIRE_EPAYLOAD);
	p.pad = 0;
	m.len = sizeof(p) - 1;
	assert_int_equal(wire_get_pid(&m, &pid), WIRE_ELEN);
}

/* A PROC_ADD message around a payload built with wire_build_proc. */
struct test_proc_msg {
	uint8_t buf[OBI_WIRE_MAX_MSG];
	struct wire_msg m;
};

static void test_wire_proc_msg(struct test_proc_msg *t, const uint8_t *payload, size_t len)
{
	ssize_t n = wire_encode(t->buf, sizeof(t->buf), OBI_MSG_PROC_ADD, 3, payload, len);

	assert_true(n > 0);
	assert_int_equal(wire_validate(t->buf, (size_t)n, OBI_WIRE_ROLE_PROBE, &t->m), WIRE_OK);
}

#define TEST_EXE "/usr/sbin/nginx"
#define TEST_CGROUP "0::/system.slice/nginx.service"
#define TEST_SVC "shop"
#define TEST_RES "service.namespace=web,deployment.environment=prod"
#define TEST_SLEN(s) (sizeof(s) - 1)

static void test_wire_build_proc_roundtrip(void **state)
{
	static const char cmdline[] = "nginx\0-g\0daemon off;";
	struct obi_wire_proc f = {.pid = 4242,
				  .ns_pid = 1,
				  .ppid = 1,
				  .flags = 0,
				  .start_unix_ns = 1775595648479048000ull,
				  .pad = {7, 7, 7}};
	struct test_proc_msg *t = calloc(1, sizeof(*t));
	uint8_t payload[1024];
	struct wire_proc_view v;
	ssize_t n;

	(void)state;
	assert_non_null(t);
	n = wire_build_proc(payload, sizeof(payload), &f, TEST_EXE, cmdline, TEST_SLEN(cmdline),
			    TEST_CGROUP, TEST_SVC, TEST_RES);
	assert_int_equal(n, sizeof(f) + TEST_SLEN(TEST_EXE) + TEST_SLEN(cmdline) +
				TEST_SLEN(TEST_CGROUP) + TEST_SLEN(TEST_SVC) + TEST_SLEN(TEST_RES));
	test_wire_proc_msg(t, payload, (size_t)n);
	assert_int_equal(wire_get_proc(&t->m, &v), WIRE_OK);
	assert_int_equal(v.fixed.pid, 4242);
	assert_int_equal(v.fixed.ns_pid, 1);
	assert_int_equal(v.fixed.ppid, 1);
	assert_true(v.fixed.start_unix_ns == 1775595648479048000ull);
	/* wire_build_proc zeroes the padding */
	assert_int_equal(v.fixed.pad[0] | v.fixed.pad[1] | v.fixed.pad[2], 0);
	assert_int_equal(v.fixed.exe_len, TEST_SLEN(TEST_EXE));
	assert_memory_equal(v.exe, TEST_EXE, TEST_SLEN(TEST_EXE));
	assert_int_equal(v.fixed.cmdline_len, TEST_SLEN(cmdline));
	assert_memory_equal(v.cmdline, cmdline, TEST_SLEN(cmdline));
	assert_int_equal(v.fixed.cgroup_len, TEST_SLEN(TEST_CGROUP));
	assert_memory_equal(v.cgroup, TEST_CGROUP, TEST_SLEN(TEST_CGROUP));
	assert_int_equal(v.fixed.svc_name_len, TEST_SLEN(TEST_SVC));
	assert_memory_equal(v.svc_name, TEST_SVC, TEST_SLEN(TEST_SVC));
	assert_int_equal(v.fixed.res_attrs_len, TEST_SLEN(TEST_RES));
	assert_memory_equal(v.res_attrs, TEST_RES, TEST_SLEN(TEST_RES));
	/* the strings lie inside the message, the last one ends with it */
	assert_true((const uint8_t *)v.res_attrs + TEST_SLEN(TEST_RES) == t->m.payload + t->m.len);
	free(t);
}

static void test_wire_build_proc_empty(void **state)
{
	struct obi_wire_proc f = {.pid = 9};
	struct test_proc_msg *t = calloc(1, sizeof(*t));
	uint8_t payload[64];
	struct wire_proc_view v;
	ssize_t n;

	(void)state;
	assert_non_null(t);
	/* NULL strings */
	n = wire_build_proc(payload, sizeof(payload), &f, NULL, NULL, 5, NULL, NULL, NULL);
	assert_int_equal(n, sizeof(f));
	test_wire_proc_msg(t, payload, (size_t)n);
	assert_int_equal(wire_get_proc(&t->m, &v), WIRE_OK);
	assert_int_equal(v.fixed.exe_len + v.fixed.cmdline_len + v.fixed.cgroup_len +
			     v.fixed.svc_name_len + v.fixed.res_attrs_len,
			 0);
	/* empty strings */
	n = wire_build_proc(payload, sizeof(payload), &f, "", "", 0, "", "", "");
	assert_int_equal(n, sizeof(f));
	test_wire_proc_msg(t, payload, (size_t)n);
	assert_int_equal(wire_get_proc(&t->m, &v), WIRE_OK);
	assert_int_equal(v.fixed.exe_len + v.fixed.cmdline_len + v.fixed.cgroup_len +
			     v.fixed.svc_name_len + v.fixed.res_attrs_len,
			 0);
	free(t);
}

static char *test_wire_str(size_t n, char c)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_wire_build_proc_max(void **state)
{
	struct obi_wire_proc f = {.pid = 77};
	struct test_proc_msg *t = calloc(1, sizeof(*t));
	uint8_t *payload = malloc(OBI_WIRE_MAX_MSG);
	/* one more than each maximum: the builder clamps to the maximum */
	char *exe = test_wire_str(OBI_WIRE_EXE_MAX + 1, 'e');
	char *cmd = test_wire_str(OBI_WIRE_CMDLINE_MAX + 1, 'c');
	char *cg = test_wire_str(OBI_WIRE_CGROUP_MAX + 1, 'g');
	char *svc = test_wire_str(OBI_WIRE_SVC_MAX + 1, 's');
	char *res = test_wire_str(OBI_WIRE_RES_MAX + 1, 'r');
	const size_t total = sizeof(f) + OBI_WIRE_EXE_MAX + OBI_WIRE_CMDLINE_MAX +
			     OBI_WIRE_CGROUP_MAX + OBI_WIRE_SVC_MAX + OBI_WIRE_RES_MAX;
	struct wire_proc_view v;
	ssize_t n;

	(void)state;
	assert_non_null(t);
	assert_non_null(payload);
	n = wire_build_proc(payload, OBI_WIRE_MAX_MSG, &f, exe, cmd, OBI_WIRE_CMDLINE_MAX + 1, cg,
			    svc, res);
	assert_int_equal(n, total);
	test_wire_proc_msg(t, payload, (size_t)n);
	assert_int_equal(wire_get_proc(&t->m, &v), WIRE_OK);
	assert_int_equal(v.fixed.exe_len, OBI_WIRE_EXE_MAX);
	assert_int_equal(v.fixed.cmdline_len, OBI_WIRE_CMDLINE_MAX);
	assert_int_equal(v.fixed.cgroup_len, OBI_WIRE_CGROUP_MAX);
	assert_int_equal(v.fixed.svc_name_len, OBI_WIRE_SVC_MAX);
	assert_int_equal(v.fixed.res_attrs_len, OBI_WIRE_RES_MAX);
	assert_memory_equal(v.exe, exe, OBI_WIRE_EXE_MAX);
	assert_memory_equal(v.cmdline, cmd, OBI_WIRE_CMDLINE_MAX);
	assert_memory_equal(v.cgroup, cg, OBI_WIRE_CGROUP_MAX);
	assert_memory_equal(v.svc_name, svc, OBI_WIRE_SVC_MAX);
	assert_memory_equal(v.res_attrs, res, OBI_WIRE_RES_MAX);

	/* cap: exactly enough works, one byte less fails */
	assert_int_equal(
	    wire_build_proc(payload, total, &f, exe, cmd, OBI_WIRE_CMDLINE_MAX, cg, svc, res),
	    total);
	assert_int_equal(
	    wire_build_proc(payload, total - 1, &f, exe, cmd, OBI_WIRE_CMDLINE_MAX, cg, svc, res),
	    -1);
	assert_int_equal(
	    wire_build_proc(payload, sizeof(f) - 1, &f, NULL, NULL, 0, NULL, NULL, NULL), -1);
	assert_int_equal(
	    wire_build_proc(payload, sizeof(f) + 2, &f, "abc", NULL, 0, NULL, NULL, NULL), -1);
	free(exe);
	free(cmd);
	free(cg);
	free(svc);
	free(res);
	free(payload);
	free(t);
}

/* Offsets of the five length fields in struct obi_wire_proc. */
static const size_t test_wire_len_off[5] = {
    offsetof(struct obi_wire_proc, exe_len),	   offsetof(struct obi_wire_proc, cmdline_len),
    offsetof(struct obi_wire_proc, cgroup_len),	   offsetof(struct obi_wire_proc, svc_name_len),
    offsetof(struct obi_wire_proc, res_attrs_len),
};

static void test_wire_set_len(uint8_t *payload, size_t field, uint16_t v)
{
	memcpy(payload + test_wire_len_off[field], &v, sizeof(v));
}

static void test_wire_get_proc_bad_lengths(void **state)
{
	struct obi_wire_proc f = {.pid = 4242};
	struct test_proc_msg *t = calloc(1, sizeof(*t));
	uint8_t payload[256];
	struct wire_proc_view v;
	ssize_t n;

	(void)state;
	assert_non_null(t);
	n = wire_build_proc(payload, sizeof(payload), &f, "/bin/exe", "a\0b", 3, "cg", "svc",
			    "k=v");
	assert_true(n > 0);
	const uint16_t good[5] = {8, 3, 2, 3, 3};

	for (size_t i = 0; i < 5; i++) {
		/* one more and one less than the bytes present */
		test_wire_set_len(payload, i, (uint16_t)(good[i] + 1));
		test_wire_proc_msg(t, payload, (size_t)n);
		assert_int_equal(wire_get_proc(&t->m, &v), WIRE_EPAYLOAD);
		test_wire_set_len(payload, i, (uint16_t)(good[i] - 1));
		test_wire_proc_msg(t, payload, (size_t)n);
		assert_int_equal(wire_get_proc(&t->m, &v), WIRE_EPAYLOAD);
		test_wire_set_len(payload, i, good[i]);
		test_wire_proc_msg(t, payload, (size_t)n);
		assert_int_equal(wire_get_proc(&t->m, &v), WIRE_OK);
	}
	/* the sum wrapping 16 bits must not help: 0xffff in every field */
	for (size_t i = 0; i < 5; i++)
		test_wire_set_len(payload, i, UINT16_MAX);
	test_wire_proc_msg(t, payload, (size_t)n);
	assert_int_equal(wire_get_proc(&t->m, &v), WIRE_EPAYLOAD);
	/* wrong type or shorter than the fixed part */
	for (size_t i = 0; i < 5; i++)
		test_wire_set_len(payload, i, good[i]);
	test_wire_proc_msg(t, payload, (size_t)n);
	t->m.type = OBI_MSG_RECORDS;
	assert_int_equal(wire_get_proc(&t->m, &v), WIRE_ELEN);
	t->m.type = OBI_MSG_PROC_ADD;
	t->m.len = sizeof(f) - 1;
	assert_int_equal(wire_get_proc(&t->m, &v), WIRE_ELEN);
	free(t);
}

static void test_wire_get_proc_above_max(void **state)
{
	const uint16_t max[5] = {OBI_WIRE_EXE_MAX, OBI_WIRE_CMDLINE_MAX, OBI_WIRE_CGROUP_MAX,
				 OBI_WIRE_SVC_MAX, OBI_WIRE_RES_MAX};
	struct test_proc_msg *t = calloc(1, sizeof(*t));
	uint8_t *payload = calloc(1, OBI_WIRE_MAX_MSG);
	struct obi_wire_proc f = {.pid = 5};
	struct wire_proc_view v;

	(void)state;
	assert_non_null(t);
	assert_non_null(payload);
	memcpy(payload, &f, sizeof(f));
	memset(payload + sizeof(f), 'x', OBI_WIRE_MAX_MSG - sizeof(f));
	for (size_t i = 0; i < 5; i++) {
		/* the lengths add up exactly: only the per-field maximum is in the way */
		test_wire_set_len(payload, i, max[i]);
		test_wire_proc_msg(t, payload, sizeof(f) + max[i]);
		assert_int_equal(wire_get_proc(&t->m, &v), WIRE_OK);
		test_wire_set_len(payload, i, (uint16_t)(max[i] + 1));
		test_wire_proc_msg(t, payload, sizeof(f) + max[i] + 1);
		assert_int_equal(wire_get_proc(&t->m, &v), WIRE_EPAYLOAD);
		test_wire_set_len(payload, i, 0);
	}
	free(payload);
	free(t);
}

static void test_wire_get_proc_pid0(void **state)
{
	struct obi_wire_proc f = {.pid = 0, .ns_pid = 1};
	struct test_proc_msg *t = calloc(1, sizeof(*t));
	uint8_t payload[128];
	struct wire_proc_view v;
	ssize_t n;

	(void)state;
	assert_non_null(t);
	n = wire_build_proc(payload, sizeof(payload), &f, "/bin/sh", NULL, 0, NULL, NULL, NULL);
	assert_true(n > 0);
	test_wire_proc_msg(t, payload, (size_t)n);
	assert_int_equal(wire_get_proc(&t->m, &v), WIRE_EPAYLOAD);
	free(t);
}

static void test_wire_socket_roundtrip(void **state)
{
	uint8_t *buf = malloc(OBI_WIRE_MAX_MSG);
	struct obi_wire_hello h, out;
	struct obi_wire_pid p = {.pid = 99};
	struct wire_msg m;
	uint32_t pid;
	int sv[2];

	(void)state;
	assert_non_null(buf);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	/* nothing queued: -EAGAIN */
	assert_int_equal(wire_recv(sv[1], buf, OBI_WIRE_ROLE_PROBE, &m), -EAGAIN);
	assert_false(wire_is_proto_err(-EAGAIN));

	wire_hello_init(&h, OBI_WIRE_ROLE_PROBE, 42);
	assert_int_equal(wire_send(sv[0], OBI_MSG_HELLO, 1, &h, sizeof(h)), 0);
	assert_int_equal(wire_send(sv[0], OBI_MSG_PROC_DEL, 2, &p, sizeof(p)), 0);
	assert_int_equal(wire_recv(sv[1], buf, OBI_WIRE_ROLE_PROBE, &m), 1);
	assert_int_equal(m.type, OBI_MSG_HELLO);
	assert_int_equal(m.seq, 1);
	assert_int_equal(wire_get_hello(&m, &out), WIRE_OK);
	assert_memory_equal(&out, &h, sizeof(h));
	assert_int_equal(wire_recv(sv[1], buf, OBI_WIRE_ROLE_PROBE, &m), 1);
	assert_int_equal(m.type, OBI_MSG_PROC_DEL);
	assert_int_equal(m.seq, 2);
	assert_int_equal(wire_get_pid(&m, &pid), WIRE_OK);
	assert_int_equal(pid, 99);

	/* a valid message from the wrong direction is a protocol error, not a crash */
	assert_int_equal(wire_send(sv[1], OBI_MSG_PROC_DEL, 3, &p, sizeof(p)), 0);
	assert_int_equal(wire_recv(sv[0], buf, OBI_WIRE_ROLE_ENRICHER, &m), WIRE_ETYPE);
	assert_true(wire_is_proto_err(WIRE_ETYPE));

	/* wire_send refuses oversize messages */
	assert_int_equal(wire_send(sv[0], OBI_MSG_RECORDS, 4, buf, OBI_WIRE_MAX_MSG), -EMSGSIZE);

	close(sv[0]);
	close(sv[1]);
	free(buf);
}

static void test_wire_socket_oversize(void **state)
{
	const size_t big = OBI_WIRE_MAX_MSG + 100;
	uint8_t *buf = malloc(OBI_WIRE_MAX_MSG);
	uint8_t *raw = calloc(1, big);
	struct obi_wire_hdr h = {.type = OBI_MSG_RECORDS, .len = (uint32_t)big};
	struct obi_wire_pid p = {.pid = 1234};
	struct wire_msg m;
	uint32_t pid;
	int sv[2];

	(void)state;
	assert_non_null(buf);
	assert_non_null(raw);
	memcpy(raw, &h, sizeof(h));
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(send(sv[0], raw, big, 0), (ssize_t)big);
	assert_int_equal(wire_send(sv[0], OBI_MSG_PROC_DEL, 5, &p, sizeof(p)), 0);
	assert_int_equal(wire_recv(sv[1], buf, OBI_WIRE_ROLE_PROBE, &m), WIRE_ETRUNC);
	assert_true(wire_is_proto_err(WIRE_ETRUNC));
	/* the rest of the oversize datagram was discarded: the next one is intact */
	assert_int_equal(wire_recv(sv[1], buf, OBI_WIRE_ROLE_PROBE, &m), 1);
	assert_int_equal(m.type, OBI_MSG_PROC_DEL);
	assert_int_equal(m.seq, 5);
	assert_int_equal(wire_get_pid(&m, &pid), WIRE_OK);
	assert_int_equal(pid, 1234);

	/* a short garbage datagram: protocol error, then EOF once the peer is gone */
	assert_int_equal(send(sv[0], raw, 3, 0), 3);
	assert_int_equal(wire_recv(sv[1], buf, OBI_WIRE_ROLE_PROBE, &m), WIRE_ESHORT);
	close(sv[0]);
	assert_int_equal(wire_recv(sv[1], buf, OBI_WIRE_ROLE_PROBE, &m), 0);
	assert_int_equal(wire_recv(sv[1], buf, OBI_WIRE_ROLE_PROBE, &m), 0);
	close(sv[1]);
	free(raw);
	free(buf);
}

static void test_wire_send_closed_peer(void **state)
{
	uint8_t *buf = malloc(OBI_WIRE_MAX_MSG);
	struct obi_wire_pid p = {.pid = 1};
	struct wire_msg m;
	int sv[2];

	(void)state;
	assert_non_null(buf);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	close(sv[1]);
	/* MSG_NOSIGNAL: an error, never SIGPIPE */
	assert_int_equal(wire_send(sv[0], OBI_MSG_PROC_DEL, 1, &p, sizeof(p)), -EPIPE);
	assert_int_equal(wire_recv(sv[0], buf, OBI_WIRE_ROLE_PROBE, &m), 0);
	close(sv[0]);
	/* a closed descriptor: -errno, not a protocol error */
	assert_int_equal(wire_recv(sv[0], buf, OBI_WIRE_ROLE_PROBE, &m), -EBADF);
	assert_false(wire_is_proto_err(-EBADF));
	free(buf);
}

static void test_wire_strerror(void **state)
{
	const int errs[] = {WIRE_OK,	 WIRE_ESHORT, WIRE_ELEN,     WIRE_ETYPE,
			    WIRE_EFLAGS, WIRE_ETRUNC, WIRE_EPAYLOAD, -12345};
	const size_t n = sizeof(errs) / sizeof(errs[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const char *a = wire_strerror(errs[i]);

		assert_non_null(a);
		assert_true(a[0] != '\0');
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(a, wire_strerror(errs[j]));
	}
	assert_false(wire_is_proto_err(WIRE_OK));
	assert_false(wire_is_proto_err(WIRE_EPAYLOAD - 1));
	for (int e = WIRE_EPAYLOAD; e <= WIRE_ESHORT; e++)
		assert_true(wire_is_proto_err(e));
}

static void test_wire_mono_to_unix(void **state)
{
	/* after 2020 and before 2200 whatever the uptime */
	int64_t off = wire_mono_to_unix_ns();

	(void)state;
	assert_true(off > 1577836800LL * 1000000000LL - 100LL * 86400 * 1000000000LL);
	assert_true(off < INT64_MAX / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wire_roundtrip_all_types),
	    cmocka_unit_test(test_wire_encode_limits),
	    cmocka_unit_test(test_wire_too_short),
	    cmocka_unit_test(test_wire_len_mismatch),
	    cmocka_unit_test(test_wire_unknown_type),
	    cmocka_unit_test(test_wire_direction),
	    cmocka_unit_test(test_wire_flags),
	    cmocka_unit_test(test_wire_payload_bounds),
	    cmocka_unit_test(test_wire_hello_accessor),
	    cmocka_unit_test(test_wire_pid_accessor),
	    cmocka_unit_test(test_wire_build_proc_roundtrip),
	    cmocka_unit_test(test_wire_build_proc_empty),
	    cmocka_unit_test(test_wire_build_proc_max),
	    cmocka_unit_test(test_wire_get_proc_bad_lengths),
	    cmocka_unit_test(test_wire_get_proc_above_max),
	    cmocka_unit_test(test_wire_get_proc_pid0),
	    cmocka_unit_test(test_wire_socket_roundtrip),
	    cmocka_unit_test(test_wire_socket_oversize),
	    cmocka_unit_test(test_wire_send_closed_peer),
	    cmocka_unit_test(test_wire_strerror),
	    cmocka_unit_test(test_wire_mono_to_unix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

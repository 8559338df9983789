/* test_select_lang.c: language detection on real binaries of this machine (the go tool, rustup,
 * python3, node, nginx, java) and real /proc/self/maps text; malformed ELF files. */
#include <dlfcn.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "select.h"
#include "wire.h"

static ssize_t test_pread_fd(void *ctx, void *buf, size_t n, uint64_t off)
{
	return pread(*(int *)ctx, buf, n, (off_t)off);
}

/* OBI_LANG_* of the ELF file at path, or -1 if the file is not on this machine. */
static int test_elf_lang(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned lang;

	if (fd < 0)
		return -1;
	lang = select_lang_from_elf(test_pread_fd, &fd);
	close(fd);
	return (int)lang;
}

static void test_elf_real_binaries(void **state)
{
	static const struct {
		const char *path;
		unsigned want;
	} bins[] = {
	    {"/usr/lib/go-1.19/bin/go", OBI_LANG_GO},
	    {"/usr/lib/go-1.19/pkg/tool/linux_amd64/compile", OBI_LANG_GO},
	    {"/root/.cargo/bin/rustup", OBI_LANG_RUST},
	    {"/root/.cargo/bin/rustc", OBI_LANG_RUST},
	    {"/usr/bin/python3.11", OBI_LANG_UNKNOWN},
	    {"/usr/sbin/nginx", OBI_LANG_UNKNOWN},
	    {"/usr/bin/node", OBI_LANG_UNKNOWN},
	    {"/usr/bin/curl", OBI_LANG_UNKNOWN},
	};
	unsigned seen = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
		int got = test_elf_lang(bins[i].path);

		if (got < 0)
			continue;
		seen++;
		if ((unsigned)got != bins[i].want)
			fail_msg("%s: language %s, want %s", bins[i].path, wire_lang_name(got),
				 wire_lang_name(bins[i].want));
	}
	assert_true(seen >= 4);
}

static void test_exe_names(void **state)
{
	static const struct {
		const char *exe;
		unsigned want;
	} names[] = {
	    {"/usr/lib/jvm/java-17-openjdk-amd64/bin/java", OBI_LANG_JAVA},
	    {"/usr/bin/python3.11", OBI_LANG_PYTHON},
	    {"/usr/bin/python3", OBI_LANG_PYTHON},
	    {"/usr/bin/node", OBI_LANG_NODEJS},
	    {"/usr/bin/nodejs", OBI_LANG_NODEJS},
	    {"/usr/bin/ruby3.1", OBI_LANG_RUBY},
	    {"/usr/share/dotnet/dotnet", OBI_LANG_DOTNET},
	    {"/usr/sbin/php-fpm8.2", OBI_LANG_PHP},
	    {"/usr/sbin/nginx", OBI_LANG_UNKNOWN},
	    {"/usr/bin/pythonista-not", OBI_LANG_UNKNOWN},
	    {"/opt/javascript", OBI_LANG_UNKNOWN},
	    {"", OBI_LANG_UNKNOWN},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (select_lang_from_exe(names[i].exe) != names[i].want)
			fail_msg("%s: %s", names[i].exe,
				 wire_lang_name(select_lang_from_exe(names[i].exe)));
	assert_int_equal(select_lang_from_exe(NULL), OBI_LANG_UNKNOWN);
}

static char *test_read_self_maps(size_t *len)
{
	char *buf = malloc(1 << 20);
	int fd = open("/proc/self/maps", O_RDONLY);
	ssize_t n, total = 0;

	assert_non_null(buf);
	assert_true(fd >= 0);
	while ((n = read(fd, buf + total, (1 << 20) - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	*len = (size_t)total;
	return buf;
}

/* The real maps of this process: no runtime; then with the JVM's library mapped (dlopen). */
static void test_maps_real(void **state)
{
	static const char *const jvms[] = {
	    "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so",
	    "/usr/lib/jvm/temurin-25-jdk-amd64/lib/server/libjvm.so",
	};
	void *h = NULL;
	size_t len;
	char *maps = test_read_self_maps(&len);

	(void)state;
	assert_int_equal(select_lang_from_maps(maps, len), OBI_LANG_UNKNOWN);
	free(maps);
	for (size_t i = 0; i < 2 && !h; i++)
		h = dlopen(jvms[i], RTLD_LAZY | RTLD_LOCAL);
	if (!h)
		skip();
	maps = test_read_self_maps(&len);
	assert_int_equal(select_lang_from_maps(maps, len), OBI_LANG_JAVA);
	free(maps);
	/* libjvm is not unloaded: it is not made to be, and the process ends here anyway. */
}

static void test_decide(void **state)
{
	(void)state;
	assert_int_equal(select_lang_decide(OBI_LANG_JAVA, OBI_LANG_PYTHON, OBI_LANG_GO),
			 OBI_LANG_JAVA);
	assert_int_equal(select_lang_decide(OBI_LANG_UNKNOWN, OBI_LANG_PYTHON, OBI_LANG_GO),
			 OBI_LANG_PYTHON);
	assert_int_equal(select_lang_decide(OBI_LANG_UNKNOWN, OBI_LANG_UNKNOWN, OBI_LANG_GO),
			 OBI_LANG_GO);
	assert_int_equal(select_lang_decide(OBI_LANG_UNKNOWN, OBI_LANG_UNKNOWN, OBI_LANG_UNKNOWN),
			 OBI_LANG_GENERIC);
}

struct test_mem {
	const uint8_t *b;
	size_t n;
};

static ssize_t test_pread_mem(void *ctx, void *buf, size_t n, uint64_t off)
{
	const struct test_mem *m = ctx;

	if (off >= m->n)
		return 0;
	if (n > m->n - off)
		n = m->n - (size_t)off;
	memcpy(buf, m->b + off, n);
	return (ssize_t)n;
}

/* The go tool's first 64 KiB with its header fields corrupted one by one: never a crash, never
 * a read past the buffer, and at most "unknown" (the section table is beyond the buffer). */
static void test_elf_malformed(void **state)
{
	static uint8_t buf[65536];
	int fd = open("/usr/lib/go-1.19/bin/go", O_RDONLY);
	ssize_t n;

	(void)state;
	if (fd < 0)
		skip();
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_true(n > 64);
	for (size_t off = 0; off < 64; off++) {
		for (unsigned v = 0; v < 256; v += 51) {
			uint8_t old = buf[off];
			struct test_mem m = {buf, (size_t)n};

			buf[off] = (uint8_t)v;
			assert_true(select_lang_from_elf(test_pread_mem, &m) < OBI_LANG__MAX);
			buf[off] = old;
		}
	}
	struct test_mem tiny = {buf, 10};

	assert_int_equal(select_lang_from_elf(test_pread_mem, &tiny), OBI_LANG_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_elf_real_binaries), cmocka_unit_test(test_exe_names),
	    cmocka_unit_test(test_maps_real),	      cmocka_unit_test(test_decide),
	    cmocka_unit_test(test_elf_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

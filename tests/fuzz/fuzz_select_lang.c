/* fuzz_select_lang.c: libFuzzer harness for language detection (probe/select_lang.c): the input
 * is an executable (ELF section table, names, .comment) and a /proc/PID/maps chunk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "select.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_file {
	const uint8_t *b;
	size_t n;
};

/* Reads like pread(2) on a file of the input's bytes: short at its end, nothing past it. */
static ssize_t fuzz_pread(void *ctx, void *buf, size_t n, uint64_t off)
{
	const struct fuzz_file *f = ctx;

	if (off >= f->n)
		return 0;
	if (n > f->n - off)
		n = f->n - (size_t)off;
	memcpy(buf, f->b + off, n);
	return (ssize_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_file f = {data, size};
	unsigned lang = select_lang_from_elf(fuzz_pread, &f);

	if (lang != OBI_LANG_UNKNOWN && lang != OBI_LANG_GO && lang != OBI_LANG_RUST)
		abort();
	lang = select_lang_from_maps((const char *)data, size);
	if (lang >= OBI_LANG__MAX || !wire_lang_name(lang))
		abort();
	return 0;
}

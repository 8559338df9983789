/* select_lang.c: the language of a process (telemetry.sdk.language, the `languages` criterion)
 * from its executable's name, the libraries it maps and its ELF sections. */
#include "select.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"
#include "wire.h"

/* Bounds on what is read of a (possibly hostile) executable. */
#define SELECT_ELF_SHNUM_MAX 4096
#define SELECT_ELF_STRTAB_MAX (64 * 1024)
#define SELECT_ELF_COMMENT_MAX 4096

unsigned select_lang_from_exe(const char *exe)
{
	static const struct {
		const char *glob;
		unsigned lang;
	} names[] = {
	    {"java", OBI_LANG_JAVA},	       {"python", OBI_LANG_PYTHON},
	    {"python[0-9]*", OBI_LANG_PYTHON}, {"pypy*", OBI_LANG_PYTHON},
	    {"node", OBI_LANG_NODEJS},	       {"nodejs", OBI_LANG_NODEJS},
	    {"ruby", OBI_LANG_RUBY},	       {"ruby[0-9]*", OBI_LANG_RUBY},
	    {"dotnet", OBI_LANG_DOTNET},       {"php", OBI_LANG_PHP},
	    {"php[0-9]*", OBI_LANG_PHP},       {"php-fpm*", OBI_LANG_PHP},
	    {"php-cgi*", OBI_LANG_PHP},
	};
	const char *base;

	if (!exe)
		return OBI_LANG_UNKNOWN;
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (glob_match(names[i].glob, base))
			return names[i].lang;
	return OBI_LANG_UNKNOWN;
}

unsigned select_lang_from_maps(const char *buf, size_t len)
{
	/* A runtime embedded as a library tells more than the executable's name (uwsgi +
	 * libpython). */
	static const struct {
		const char *lib;
		unsigned lang;
	} libs[] = {
	    {"/libjvm.so", OBI_LANG_JAVA},    {"/libcoreclr.so", OBI_LANG_DOTNET},
	    {"/libnode.so", OBI_LANG_NODEJS}, {"/libpython", OBI_LANG_PYTHON},
	    {"/libruby", OBI_LANG_RUBY},      {"/libphp", OBI_LANG_PHP},
	};

	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
		if (memmem(buf, len, libs[i].lib, strlen(libs[i].lib)))
			return libs[i].lang;
	return OBI_LANG_UNKNOWN;
}

/* The section header fields we use, whatever the ELF class. */
struct select_shdr {
	uint32_t name, type;
	uint64_t off, size;
};

struct select_elf {
	bool is64;
	uint64_t shoff;
	unsigned shnum, shstrndx, shentsize;
	uint8_t *sh; /* the section header table */
};

static int select_elf_header(struct select_elf *x, select_pread_fn rd, void *ctx)
{
	unsigned char id[EI_NIDENT];
	const unsigned char native =
	    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;

	if (rd(ctx, id, sizeof(id), 0) != (ssize_t)sizeof(id) || memcmp(id, ELFMAG, SELFMAG) != 0 ||
	    id[EI_DATA] != native || (id[EI_CLASS] != ELFCLASS64 && id[EI_CLASS] != ELFCLASS32))
		return -1;
	x->is64 = id[EI_CLASS] == ELFCLASS64;
	if (x->is64) {
		Elf64_Ehdr h;

		if (rd(ctx, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
			return -1;
		*x = (struct select_elf){true,	       h.e_shoff,     h.e_shnum,
					 h.e_shstrndx, h.e_shentsize, NULL};
		return h.e_shentsize == sizeof(Elf64_Shdr) ? 0 : -1;
	}
	Elf32_Ehdr h;

	if (rd(ctx, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return -1;
	*x = (struct select_elf){false, h.e_shoff, h.e_shnum, h.e_shstrndx, h.e_shentsize, NULL};
	return h.e_shentsize == sizeof(Elf32_Shdr) ? 0 : -1;
}

static struct select_shdr select_elf_shdr(const struct select_elf *x, unsigned i)
{
	const uint8_t *p = x->sh + (size_t)i * x->shentsize;

	if (x->is64) {
		Elf64_Shdr s;

		memcpy(&s, p, sizeof(s));
		return (struct select_shdr){s.sh_name, s.sh_type, s.sh_offset, s.sh_size};
	}
	Elf32_Shdr s;

	memcpy(&s, p, sizeof(s));
	return (struct select_shdr){s.sh_name, s.sh_type, s.sh_offset, s.sh_size};
}

/* A section's bytes (at most max), NUL-terminated, in a new buffer; *n gets the length. */
static char *select_elf_read(const struct select_shdr *s, size_t max, select_pread_fn rd, void *ctx,
			     size_t *n)
{
	size_t len = s->size < max ? (size_t)s->size : max;
	char *b = s->type == SHT_NOBITS ? NULL : malloc(len + 1);
	ssize_t got;

	if (!b)
		return NULL;
	got = rd(ctx, b, len, s->off);
	if (got < 0) {
		free(b);
		return NULL;
	}
	b[got] = '\0';
	*n = (size_t)got;
	return b;
}

/* What the section named `name` says: Go's own sections, or rustc's marks. Only the first
 * .comment is read (*comments counts them): a crafted file may name every section so. */
static unsigned select_elf_section(const char *name, const struct select_shdr *s,
				   select_pread_fn rd, void *ctx, unsigned *comments)
{
	char *c;
	size_t n = 0;
	bool rust;

	if (!strcmp(name, ".go.buildinfo") || !strcmp(name, ".gopclntab") ||
	    !strcmp(name, ".note.go.buildid"))
		return OBI_LANG_GO;
	if (!strcmp(name, ".rustc"))
		return OBI_LANG_RUST;
	if (strcmp(name, ".comment") != 0 || (*comments)++)
		return OBI_LANG_UNKNOWN;
	/* rustc (1.6x on) adds "rustc version X" to .comment; strip keeps that section. */
	c = select_elf_read(s, SELECT_ELF_COMMENT_MAX, rd, ctx, &n);
	rust = c && memmem(c, n, "rustc version", 13);
	free(c);
	return rust ? OBI_LANG_RUST : OBI_LANG_UNKNOWN;
}

unsigned select_lang_from_elf(select_pread_fn rd, void *ctx)
{
	struct select_elf x;
	struct select_shdr strs;
	char *tab = NULL;
	size_t tablen = 0, shbytes;
	unsigned lang = OBI_LANG_UNKNOWN, found, comments = 0;

	if (select_elf_header(&x, rd, ctx) || x.shnum == 0 || x.shnum > SELECT_ELF_SHNUM_MAX ||
	    x.shstrndx >= x.shnum)
		return OBI_LANG_UNKNOWN;
	shbytes = (size_t)x.shnum * x.shentsize;
	x.sh = malloc(shbytes);
	if (!x.sh || rd(ctx, x.sh, shbytes, x.shoff) != (ssize_t)shbytes)
		goto out;
	strs = select_elf_shdr(&x, x.shstrndx);
	tab = select_elf_read(&strs, SELECT_ELF_STRTAB_MAX, rd, ctx, &tablen);
	for (unsigned i = 0; tab && i < x.shnum && lang != OBI_LANG_GO; i++) {
		struct select_shdr s = select_elf_shdr(&x, i);

		if (s.name >= tablen)
			continue;
		found = select_elf_section(tab + s.name, &s, rd, ctx, &comments);
		/* Go wins over a rustc mark: a Go program may link Rust code through cgo. */
		lang = found != OBI_LANG_UNKNOWN && lang != OBI_LANG_GO ? found : lang;
	}
out:
	free(tab);
	free(x.sh);
	return lang;
}

unsigned select_lang_decide(unsigned from_maps, unsigned from_exe, unsigned from_elf)
{
	if (from_maps != OBI_LANG_UNKNOWN)
		return from_maps;
	if (from_exe != OBI_LANG_UNKNOWN)
		return from_exe;
	return from_elf != OBI_LANG_UNKNOWN ? from_elf : OBI_LANG_GENERIC;
}

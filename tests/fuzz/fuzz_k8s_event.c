/* fuzz_k8s_event.c: libFuzzer harness: bytes as a watch stream and as a list response, through
 * the splitter, the parser and the store (upserts, deletes, a relist, expiry, lookups). The
 * first byte picks the chunk size, so element boundaries fall everywhere. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_arena.h"
#include "k8s_cgroup.h"
#include "k8s_ident.h"
#include "k8s_jsplit.h"
#include "k8s_parse.h"
#include "k8s_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	struct k8s_store st;
	struct k8s_strip_buf strip;
	struct k8s_arena arena; /* a small block: trees in it, in malloc, and split between */
	enum k8s_kind kind;
	bool list;
};

static bool fz_want(void *data, enum k8s_kind kind, const char *key)
{
	(void)data;
	(void)kind;
	return key[0] == 'a';
}

static void fz_obj(struct fz *f, const cJSON *o, enum k8s_event_type type)
{
	struct k8s_parse_opts opts = {.want_label = fz_want};
	struct k8s_obj obj;

	if (k8s_parse_obj(o, f->kind, &opts, &obj))
		return;
	if (type == K8S_EV_DELETED)
		k8s_store_delete(&f->st, &obj, 1);
	else
		k8s_store_upsert(&f->st, &obj);
	for (unsigned i = 0; i < obj.n_ips; i++)
		(void)k8s_store_ip(&f->st, obj.ips[i]);
}

static int fz_part(void *data, enum k8s_jsplit_part part, const char *text, size_t n)
{
	struct fz *f = data;
	const char *t = k8s_strip_unused(&f->strip, text, &n);
	cJSON *o = k8s_arena_parse(&f->arena, t, n);
	struct k8s_event ev;

	if (o && f->list && part == K8S_JPART_ITEM)
		fz_obj(f, o, K8S_EV_ADDED);
	else if (o && !f->list && k8s_parse_event(o, &ev) == 0 && ev.type != K8S_EV_ERROR)
		fz_obj(f, ev.object, ev.type);
	k8s_arena_release(&f->arena, o);
	return 0;
}

static void fz_feed(struct fz *f, enum k8s_jsplit_mode mode, const char *p, size_t n, size_t chunk)
{
	struct k8s_jsplit s;

	f->list = mode == K8S_JSPLIT_LIST;
	k8s_jsplit_init(&s, mode, 4096, fz_part, f);
	for (size_t off = 0; off < n; off += chunk)
		k8s_jsplit_feed(&s, p + off, n - off < chunk ? n - off : chunk);
	k8s_jsplit_free(&s);
}

/* Every cached container resolves to attributes without faults. */
static void fz_attrs(struct fz *f)
{
	struct k8s_ident id = {.st = &f->st, .guess_rs = true, .guess_job = true};

	for (size_t i = 0; i < f->st.ctrs.cap; i++) {
		const struct k8s_pod_meta *m = f->st.ctrs.slots[i].val;
		struct otlp_attr attrs[40];
		struct k8s_owners ow;
		size_t n = 0;

		if (!m)
			continue;
		k8s_ident_owners(&id, m->pod, &ow);
		k8s_ident_attrs(&id, m, &ow, attrs, &n, 40);
		for (size_t j = 0; j < n; j++)
			if (!attrs[j].v.s || !attrs[j].key)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;
	char id[K8S_CONTAINER_ID_LEN + 1];
	char *text;
	size_t chunk;

	if (size < 2 || size > 65536)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	f.arena.cap = 2048;
	f.kind = (enum k8s_kind)(data[1] % K8S_KINDS);
	text = malloc(size - 1);
	if (!text)
		return 0;
	memcpy(text, data + 2, size - 2);
	text[size - 2] = '\0';
	k8s_store_init(&f.st);
	k8s_store_relist_begin(&f.st, f.kind);
	fz_feed(&f, K8S_JSPLIT_LIST, text, size - 2, chunk);
	k8s_store_relist_end(&f.st, f.kind, 2);
	fz_feed(&f, K8S_JSPLIT_STREAM, text, size - 2, chunk);
	fz_attrs(&f);
	(void)k8s_cgroup_container_id(text, id);
	(void)k8s_cgroup_pod_uid(text, id);
	k8s_store_expire(&f.st, UINT64_MAX);
	k8s_store_free(&f.st);
	k8s_strip_free(&f.strip);
	k8s_arena_free(&f.arena);
	free(text);
	return 0;
}

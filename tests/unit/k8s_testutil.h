/* k8s_testutil.h: loads tests/k8s/fixtures lists into a store through the streaming splitter. */
#ifndef OBI_K8S_TESTUTIL_H
#define OBI_K8S_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_jsplit.h"
#include "k8s_parse.h"
#include "k8s_store.h"

struct k8s_tload {
	struct k8s_store *st;
	enum k8s_kind kind;
	unsigned items, bad;
	char rv[64], cont[256];
};

static bool k8s_t_want(void *data, enum k8s_kind kind, const char *key)
{
	(void)data;
	(void)kind;
	return strncmp(key, "app.kubernetes.io/", 18) == 0 || strcmp(key, "team") == 0;
}

static int k8s_t_part(void *data, enum k8s_jsplit_part part, const char *text, size_t n)
{
	struct k8s_tload *l = data;
	struct k8s_parse_opts opts = {.want_label = k8s_t_want};
	cJSON *o = cJSON_ParseWithLength(text, n);
	struct k8s_obj obj;

	if (!o) {
		l->bad++;
		return 0;
	}
	if (part == K8S_JPART_METADATA) {
		const char *rv, *cont;

		k8s_parse_list_meta(o, &rv, &cont);
		snprintf(l->rv, sizeof(l->rv), "%s", rv ? rv : "");
		snprintf(l->cont, sizeof(l->cont), "%s", cont ? cont : "");
	} else if (k8s_parse_obj(o, l->kind, &opts, &obj) == 0) {
		l->items++;
		if (l->st)
			k8s_store_upsert(l->st, &obj);
	} else {
		l->bad++;
	}
	cJSON_Delete(o);
	return 0;
}

static char *k8s_t_read(const char *name, size_t *len)
{
	char path[512];
	const char *dir = getenv("OBI_K8S_FIXTURES");
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/k8s/fixtures", name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Feeds the file in chunks of chunk bytes (1: byte at a time). Items loaded, or -1. */
static int k8s_t_load(struct k8s_store *st, const char *name, enum k8s_kind kind, size_t chunk)
{
	struct k8s_tload l = {.st = st, .kind = kind};
	struct k8s_jsplit s;
	size_t len;
	char *buf = k8s_t_read(name, &len);

	if (!buf)
		return -1;
	k8s_jsplit_init(&s, K8S_JSPLIT_LIST, 1 << 20, k8s_t_part, &l);
	for (size_t off = 0; off < len; off += chunk)
		k8s_jsplit_feed(&s, buf + off, len - off < chunk ? len - off : chunk);
	k8s_jsplit_free(&s);
	free(buf);
	return l.bad || !k8s_jsplit_idle(&s) || strcmp(l.rv, "1000") != 0 ? -1 : (int)l.items;
}

#endif /* OBI_K8S_TESTUTIL_H */

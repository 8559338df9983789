/* otlp_encode_select.c: attributes.select `traces` for the trace encoders: a drop list built
 * once from the adapter's own keys, so a span pays a few compares only when one is set. */
#include "otlp_encode_select.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attr_select.h"

static void otlp_sel_consider(struct otlp_span_select *s, const struct attr_select *as,
			      const struct otlp_span *v)
{
	for (size_t i = 0; i < v->n_attrs; i++) {
		const char *k = v->attrs[i].key;
		size_t j = 0;

		while (j < s->n && strcmp(s->drop[j], k) != 0)
			j++;
		/* Keys are the adapter's literals: the pointers outlive the table. */
		if (j == s->n && s->n < sizeof(s->drop) / sizeof(s->drop[0]) &&
		    !attr_select_keep(as, "traces", k))
			s->drop[s->n++] = k;
	}
}

int otlp_span_select_init(struct otlp_span_select *s, const struct config_objlist *select)
{
	struct attr_select *as = NULL;
	struct span sp;
	char text[2 * SPAN_A_COUNT];
	struct otlp_span v;

	memset(s, 0, sizeof(*s));
	if (attr_select_new(select, &as) < 0)
		return -ENOMEM;
	if (!as)
		return 0;
	/* A span with every attribute set makes the adapter write every key it knows. */
	span_init(&sp, text, sizeof(text));
	for (int a = 0; a < SPAN_A_COUNT; a++) {
		if (span_attr_defs[a].type == SPAN_V_STR)
			span_set_str(&sp, a, "x", 1);
		else
			span_set_int(&sp, a, 1);
	}
	strcpy(sp.peer_addr, "127.0.0.1");
	strcpy(sp.host_addr, "127.0.0.1");
	sp.host_port = sp.peer_port = 1;
	for (int kind = SPAN_KIND_SERVER; kind <= SPAN_KIND_CLIENT; kind++) {
		sp.kind = (enum span_kind)kind;
		otlp_span_view(&sp, &v);
		otlp_sel_consider(s, as, &v);
	}
	attr_select_free(as);
	return 0;
}

static bool otlp_sel_dropped(const struct otlp_span_select *s, const char *key)
{
	for (size_t j = 0; j < s->n; j++)
		if (s->drop[j] == key || strcmp(s->drop[j], key) == 0)
			return true;
	return false;
}

void otlp_span_select_apply(const struct otlp_span_select *s, struct otlp_span *v)
{
	size_t w = 0;

	if (!s || !s->n)
		return;
	for (size_t i = 0; i < v->n_attrs; i++)
		if (!otlp_sel_dropped(s, v->attrs[i].key))
			v->attrs[w++] = v->attrs[i];
	v->n_attrs = w;
}

/* wire_pod.c: the POD_QUERY / POD_INFO messages: every bound checked before a byte is used. */
#include <stdbool.h>
#include <string.h>

#include "wire.h"

int wire_cid_valid(const char *cid, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((cid[i] >= '0' && cid[i] <= '9') || (cid[i] >= 'a' && cid[i] <= 'f')))
			return 0;
	return 1;
}

int wire_get_pod_query(const struct wire_msg *m, char cid[65])
{
	struct obi_wire_pod_query q;

	if (m->type != OBI_MSG_POD_QUERY || m->len != sizeof(q))
		return WIRE_ELEN;
	memcpy(&q, m->payload, sizeof(q));
	if (!wire_cid_valid(q.cid, sizeof(q.cid)))
		return WIRE_EPAYLOAD;
	memcpy(cid, q.cid, 64);
	cid[64] = '\0';
	return WIRE_OK;
}

/* A reader over the payload: every take is bounds-checked, a failure sticks. */
struct wire_pod_rd {
	const uint8_t *p;
	size_t left;
	char *arena;
	size_t room;
	bool bad;
};

/* Copies n bytes as a C string into the arena; a NUL inside would cut what a glob sees. */
static const char *wire_pod_take(struct wire_pod_rd *r, size_t n)
{
	char *s;

	if (r->bad || n > OBI_WIRE_POD_STR_MAX || n > r->left || n + 1 > r->room ||
	    memchr(r->p, '\0', n)) {
		r->bad = true;
		return "";
	}
	s = r->arena;
	memcpy(s, r->p, n);
	s[n] = '\0';
	r->p += n;
	r->left -= n;
	r->arena += n + 1;
	r->room -= n + 1;
	return s;
}

static void wire_pod_take_kv(struct wire_pod_rd *r, struct wire_pod_kv *kv)
{
	uint16_t kl, vl;

	if (r->bad || r->left < 4) {
		r->bad = true;
		return;
	}
	memcpy(&kl, r->p, 2);
	memcpy(&vl, r->p + 2, 2);
	r->p += 4;
	r->left -= 4;
	r->bad |= kl == 0; /* a label without a key names nothing a selector can ask for */
	kv->k = wire_pod_take(r, kl);
	kv->v = wire_pod_take(r, vl);
}

static int wire_pod_fixed(const struct obi_wire_pod_info *f, size_t len)
{
	bool found = f->flags & OBI_POD_FOUND;

	if (!wire_cid_valid(f->cid, sizeof(f->cid)) || f->pad ||
	    (f->flags & ~(uint32_t)(OBI_POD_FOUND | OBI_POD_NO_K8S)) ||
	    f->flags == (OBI_POD_FOUND | OBI_POD_NO_K8S) || f->nlabels > OBI_WIRE_POD_KV_MAX ||
	    f->nannots > OBI_WIRE_POD_KV_MAX)
		return WIRE_EPAYLOAD;
	if (found)
		return WIRE_OK;
	for (int i = 0; i < WIRE_POD_NSTR; i++)
		if (f->lens[i])
			return WIRE_EPAYLOAD;
	return f->nlabels || f->nannots || len != sizeof(*f) ? WIRE_EPAYLOAD : WIRE_OK;
}

int wire_get_pod_info(const struct wire_msg *m, struct wire_pod_view *out, char *arena,
		      size_t arena_len)
{
	struct obi_wire_pod_info f;
	struct wire_pod_rd r;
	int rc;

	if (m->type != OBI_MSG_POD_INFO || m->len < sizeof(f))
		return WIRE_ELEN;
	memcpy(&f, m->payload, sizeof(f));
	rc = wire_pod_fixed(&f, m->len);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	memcpy(out->cid, f.cid, 64);
	out->flags = f.flags;
	r = (struct wire_pod_rd){m->payload + sizeof(f), m->len - sizeof(f), arena, arena_len,
				 false};
	for (int i = 0; i < WIRE_POD_NSTR; i++)
		out->str[i] = wire_pod_take(&r, f.lens[i]);
	for (unsigned i = 0; i < f.nlabels; i++)
		wire_pod_take_kv(&r, &out->labels[i]);
	for (unsigned i = 0; i < f.nannots; i++)
		wire_pod_take_kv(&r, &out->annots[i]);
	if (r.bad || r.left)
		return WIRE_EPAYLOAD;
	out->nlabels = f.nlabels;
	out->nannots = f.nannots;
	return WIRE_OK;
}

/* Appends n bytes at *off; false when over cap. */
static bool wire_pod_put(uint8_t *out, size_t cap, size_t *off, const void *b, size_t n)
{
	if (n > cap - *off)
		return false;
	if (n)
		memcpy(out + *off, b, n);
	*off += n;
	return true;
}

static bool wire_pod_put_kv(uint8_t *out, size_t cap, size_t *off, const struct wire_pod_kv *kv)
{
	size_t kl = kv->k ? strlen(kv->k) : 0, vl = kv->v ? strlen(kv->v) : 0;
	uint16_t l[2] = {(uint16_t)kl, (uint16_t)vl};

	return kl && kl <= OBI_WIRE_POD_STR_MAX && vl <= OBI_WIRE_POD_STR_MAX &&
	       wire_pod_put(out, cap, off, l, sizeof(l)) &&
	       wire_pod_put(out, cap, off, kv->k, kl) && wire_pod_put(out, cap, off, kv->v, vl);
}

ssize_t wire_build_pod_info(uint8_t *out, size_t cap, const struct wire_pod_view *v)
{
	struct obi_wire_pod_info f = {.flags = v->flags};
	bool found = v->flags & OBI_POD_FOUND, ok = true;
	size_t off = sizeof(f);

	if (cap < sizeof(f) || !wire_cid_valid(v->cid, strnlen(v->cid, 65)) ||
	    v->nlabels > OBI_WIRE_POD_KV_MAX || v->nannots > OBI_WIRE_POD_KV_MAX)
		return -1;
	memcpy(f.cid, v->cid, 64);
	for (int i = 0; found && ok && i < WIRE_POD_NSTR; i++) {
		size_t n = v->str[i] ? strlen(v->str[i]) : 0;

		f.lens[i] = (uint16_t)n;
		ok = n <= OBI_WIRE_POD_STR_MAX && wire_pod_put(out, cap, &off, v->str[i], n);
	}
	f.nlabels = (uint16_t)(found ? v->nlabels : 0);
	f.nannots = (uint16_t)(found ? v->nannots : 0);
	for (unsigned i = 0; ok && i < f.nlabels; i++)
		ok = wire_pod_put_kv(out, cap, &off, &v->labels[i]);
	for (unsigned i = 0; ok && i < f.nannots; i++)
		ok = wire_pod_put_kv(out, cap, &off, &v->annots[i]);
	if (!ok)
		return -1;
	memcpy(out, &f, sizeof(f));
	return (ssize_t)off;
}

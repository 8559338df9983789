/* exch_hold.c: the table of snapshot exchanges waiting for their final record. */
#include "exch_hold.h"

#include <stdlib.h>
#include <string.h>

/* conn_id is random per connection (chosen in the kernel): its low bits index well. */
static size_t exch_hold_index(uint64_t conn_id)
{
	return (size_t)((conn_id ^ conn_id >> 29) % EXCH_HOLD_SLOTS);
}

struct exch_hold *exch_hold_new(void)
{
	return calloc(1, sizeof(struct exch_hold));
}

void exch_hold_free(struct exch_hold *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < EXCH_HOLD_SLOTS; i++)
		free(h->slot[i].rec);
	free(h);
}

struct exch_hold_slot *exch_hold_find(struct exch_hold *h, uint64_t conn_id)
{
	struct exch_hold_slot *s = &h->slot[exch_hold_index(conn_id)];

	return s->state != EXCH_HOLD_FREE && s->conn_id == conn_id ? s : NULL;
}

struct exch_hold_slot *exch_hold_take(struct exch_hold *h, uint64_t conn_id, uint32_t seq,
				      uint8_t **evicted, size_t *evicted_len)
{
	struct exch_hold_slot *s = &h->slot[exch_hold_index(conn_id)];

	*evicted = NULL;
	*evicted_len = 0;
	if (s->state == EXCH_HOLD_HELD && (s->conn_id != conn_id || s->seq != seq)) {
		/* Another exchange held here: its final was lost or another connection collides. */
		*evicted = s->rec;
		*evicted_len = s->rec_len;
		h->evicted++;
	} else {
		free(s->rec);
	}
	s->rec = NULL;
	s->rec_len = 0;
	s->conn_id = conn_id;
	s->seq = seq;
	s->state = EXCH_HOLD_PRINTED;
	return s;
}

void exch_hold_mark_printed(struct exch_hold_slot *s)
{
	free(s->rec);
	s->rec = NULL;
	s->rec_len = 0;
	s->state = EXCH_HOLD_PRINTED;
}

bool exch_hold_keep(struct exch_hold_slot *s, const uint8_t *rec, size_t len, uint64_t now_ns)
{
	uint8_t *copy = malloc(len);

	if (!copy) {
		exch_hold_mark_printed(s);
		return false;
	}
	memcpy(copy, rec, len);
	free(s->rec);
	s->rec = copy;
	s->rec_len = len;
	s->since_ns = now_ns;
	s->state = EXCH_HOLD_HELD;
	return true;
}

void exch_hold_release(struct exch_hold_slot *s, uint8_t **rec, size_t *len)
{
	if (rec) {
		*rec = s->rec;
		*len = s->rec_len;
	} else {
		free(s->rec);
	}
	memset(s, 0, sizeof(*s));
}

size_t exch_hold_expire(struct exch_hold *h, uint64_t cutoff_ns,
			void (*fn)(void *ctx, const uint8_t *rec, size_t len), void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < EXCH_HOLD_SLOTS; i++) {
		struct exch_hold_slot *s = &h->slot[i];

		if (s->state != EXCH_HOLD_HELD || s->since_ns >= cutoff_ns)
			continue;
		if (s->rec)
			fn(ctx, s->rec, s->rec_len);
		free(s->rec);
		memset(s, 0, sizeof(*s));
		n++;
	}
	return n;
}

void exch_hold_drain(struct exch_hold *h, void (*fn)(void *ctx, const uint8_t *rec, size_t len),
		     void *ctx)
{
	for (size_t i = 0; i < EXCH_HOLD_SLOTS; i++) {
		struct exch_hold_slot *s = &h->slot[i];

		if (s->state == EXCH_HOLD_HELD && s->rec)
			fn(ctx, s->rec, s->rec_len);
		free(s->rec);
		memset(s, 0, sizeof(*s));
	}
}

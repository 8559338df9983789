/* exch_hold.h: exchanges the kernel sent as snapshots, until their final record arrives. */
#ifndef OBI_EXCH_HOLD_H
#define OBI_EXCH_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The idle sweep sends a snapshot of an exchange that went quiet (flag SWEPT) and its final
 * record later (flag SNAPPED or CUT). A snapshot whose response is complete is printed at once
 * and remembered as printed, so that the final is dropped; an unfinished one is held here, as
 * the raw record, until the final replaces it. One slot per connection: a connection has at
 * most one exchange between its snapshot and its final.
 */
#define EXCH_HOLD_SLOTS 4096

enum exch_hold_state { EXCH_HOLD_FREE = 0, EXCH_HOLD_PRINTED = 1, EXCH_HOLD_HELD = 2 };

struct exch_hold_slot {
	uint64_t conn_id;
	uint32_t seq;
	uint8_t state; /* enum exch_hold_state */
	uint8_t *rec;  /* HELD: a copy of the record, rec_len bytes */
	size_t rec_len;
	uint64_t since_ns; /* HELD: when the latest snapshot arrived (enricher's clock) */
};

struct exch_hold {
	struct exch_hold_slot slot[EXCH_HOLD_SLOTS];
	uint64_t evicted; /* held exchanges pushed out by another connection's (printed then) */
};

struct exch_hold *exch_hold_new(void);
void exch_hold_free(struct exch_hold *h);

/* The slot of conn_id (NULL if none). */
struct exch_hold_slot *exch_hold_find(struct exch_hold *h, uint64_t conn_id);

/*
 * Takes the slot for conn_id, seq. If the slot belongs to something else that is HELD, its
 * record is handed back in *evicted / *evicted_len (the caller prints and frees it).
 */
struct exch_hold_slot *exch_hold_take(struct exch_hold *h, uint64_t conn_id, uint32_t seq,
				      uint8_t **evicted, size_t *evicted_len);

/* Marks a slot printed (frees a held copy) or holds a copy of rec; false when out of memory
 * (the slot is then marked printed and the caller prints rec itself). */
void exch_hold_mark_printed(struct exch_hold_slot *s);
bool exch_hold_keep(struct exch_hold_slot *s, const uint8_t *rec, size_t len, uint64_t now_ns);

/* Frees the slot; a held record is handed back in *rec / *len (caller frees) or freed if
 * rec is NULL. */
void exch_hold_release(struct exch_hold_slot *s, uint8_t **rec, size_t *len);

/*
 * Hands every record held since before cutoff_ns to fn and frees its slot: a final that never
 * comes (the close raced the sweep's snapshot, or the kernel's table dropped the connection).
 */
size_t exch_hold_expire(struct exch_hold *h, uint64_t cutoff_ns,
			void (*fn)(void *ctx, const uint8_t *rec, size_t len), void *ctx);

/* Every held record, in turn, for printing at shutdown; the table is emptied. */
void exch_hold_drain(struct exch_hold *h, void (*fn)(void *ctx, const uint8_t *rec, size_t len),
		     void *ctx);

#endif /* OBI_EXCH_HOLD_H */

/* sched.h: scheduled sends (private to the broker). A packet sent with a
 * future time_ns is handed to the runtime directory's scheduler instead of
 * being written into its target ring.
 *
 * Shared segment `sched` (created on first use, under sched.in.lock):
 *   header | input ring header | input slots [cap] | pending table [cap]
 * Senders append {due, target, tag, packet} to the input ring under the
 * writer lock sched.in.lock and publish; the ring position is the entry's
 * arrival sequence number (the tie-break for equal due times). Each slot
 * carries its position and a check sum over its position and contents. The
 * scheduler (whoever holds sched.lock; spawned on demand, detached, like a
 * host) moves entries from the ring into the pending table (state 1) and
 * into a private copy, marks the slot taken (its check sum inverted) and
 * only then advances the shared cursor: what is in the table or not yet
 * marked survives the scheduler's death, and a new scheduler rebuilds its
 * heap from the table and the ring. At the due time it writes the packets
 * from its private copy into the target's ring under that ring's writer
 * lock and frees the table entries (an entry written but not yet freed
 * when the scheduler is killed is sent again by its successor). Senders
 * refuse to write when pending + unread + n would exceed cap, so the table
 * never overflows and the ring never laps its reader (what is queued is
 * head - done, where the scheduler keeps done = cursor - pending in one
 * word, so senders never see an entry twice while it moves).
 *
 * Each entry carries its sender's owner id (one per connection, never 0).
 * A sender cancels what it handed over with a SCHED_CANCEL entry naming
 * its owner: the scheduler, taking it, frees every pending entry of that
 * owner (all arrived before it) and writes how many into the header's
 * reply slot for the cancel's ring position (cancel_pos/cancel_n, indexed
 * by position % SCHED_REPLIES) before it marks the cancel taken; once the
 * cursor passed the cancel, nothing of that owner's earlier entries is
 * delivered any more (the scheduler delivers between takes, never during).
 *
 * Every byte of the file is untrusted (another process may scribble on
 * it): the scheduler never reads back what it took, drops and counts
 * entries that fail their check sum or carry impossible fields, keeps its
 * own cursor, counters, layout and pid/key and writes them back over
 * garbage, and repairs a garbage input head under sched.in.lock (taking the
 * valid slots not yet taken that senders wrote below it; a new scheduler
 * takes every one, wherever it is). A garbage header is rewritten in place
 * from the file size, so the mappings of running processes stay valid;
 * senders that find impossible counters wake (or start) the scheduler and
 * give it up to 200 ms to write them back. Only a file cut shorter under a
 * running scheduler is beyond this (its mapping faults). */
#ifndef MIDI_BROKER_SCHED_H
#define MIDI_BROKER_SCHED_H

#include <stdint.h>
#include <sys/types.h>

#include "broker/broker.h"

#define SCHED_MAGIC 0x3148435344494d4dull /* "MMIDSCH1" */
#define SCHED_VERSION SHM_FORMAT
#define SCHED_CAP_DEFAULT 65536u
#define SCHED_HDR_BYTES 4096u
#define SCHED_FILE "sched"
#define SCHED_LOCK "sched.lock"
#define SCHED_IN_LOCK "sched.in.lock"
/* Latest due time the scheduler accepts, from when it takes an entry
 * (senders refuse more than an hour ahead). */
#define SCHED_DUE_MAX_NS 3660000000000ull
/* A waiter with something pending and no scheduler pidfd to wait on
 * (sched_pidfd) calls sched_watch at least this often. */
#define SCHED_WATCH_SLICE_NS 100000000ll

enum sched_kind { SCHED_TO_OUT = 0, SCHED_TO_IN = 1, SCHED_CANCEL = 2 };
#define SCHED_REPLIES 64

/* One input-ring slot: what a sender hands over. seq and check are set by
 * sched_put. */
struct sched_in {
	uint64_t seq;  /* ring position + 1 */
	uint64_t due;  /* CLOCK_MONOTONIC ns */
	uint64_t uid;  /* segment of the target ring */
	uint64_t owner; /* the sending connection's owner id (never 0) */
	uint32_t tag;  /* ring tag (connection id for hosted endpoints) */
	uint32_t kind; /* enum sched_kind: the segment's out or in ring, or a cancel */
	uint32_t w[4];
	uint32_t check; /* sched_check; inverted once the scheduler took it */
	uint32_t pad;
};

/* One pending-table entry (written by the scheduler only). */
struct sched_ent {
	uint32_t state; /* 0 free, 1 pending */
	uint32_t kind;
	uint64_t seq;   /* arrival: position in the input ring */
	uint64_t due;
	uint64_t uid;
	uint64_t owner;
	uint32_t tag;
	uint32_t check; /* sched_check; inverted when freed */
	uint32_t w[4];
};

struct sched_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_bytes;
	uint64_t cap;       /* input slots = table entries, power of two */
	uint64_t total;     /* file size */
	uint64_t in_off, tab_off;
	uint64_t cursor;    /* scheduler's read position in the input ring */
	uint64_t pending;   /* entries in the table */
	uint64_t delivered; /* packets written into target rings */
	uint64_t dropped;   /* packets whose endpoint went away before their time */
	uint32_t pid;       /* the scheduler's pid (informational) */
	uint32_t sleeping;  /* the scheduler sleeps on the input ring */
	uint64_t starts;    /* schedulers started so far */
	uint64_t key;       /* proc_key of the running scheduler, 0 when none */
	uint64_t garbage;   /* entries dropped as garbage (check sum, fields) */
	uint64_t done;      /* cursor - pending, one word: queued = head - done
			     * (moving an entry into the table leaves it alone) */
	uint64_t cancel_pos[SCHED_REPLIES]; /* ring position + 1 of a cancel taken */
	uint64_t cancel_n[SCHED_REPLIES];   /* how many entries it freed */
	/* After every delivery pass: each entry taken before ring position
	 * written_pos whose due time is at most written_through is in its
	 * ring (through stored first, then pos). 0: not said yet. */
	uint64_t written_through;
	uint64_t written_pos;
};

/* Check sum of an entry at ring position pos (the same for its input slot
 * and its table entry). */
uint32_t sched_sum(uint64_t pos, uint64_t due, uint64_t uid, uint32_t tag, uint32_t kind,
		   const uint32_t w[4]);
/* The check sum entries carry: sched_sum with the owner folded in (the
 * same as sched_sum for owner 0). */
uint32_t sched_check(uint64_t pos, uint64_t due, uint64_t uid, uint64_t owner, uint32_t tag,
		     uint32_t kind, const uint32_t w[4]);

struct sched_map {
	void *base;
	size_t size;
	struct sched_hdr *hdr;
	struct ring in;          /* header only: head, futex, sleepers */
	struct sched_in *slots;
	struct sched_ent *tab;
	uint64_t mask;           /* cap - 1 (from the mapping) */
};

/* Map the runtime directory's scheduler segment, creating it or repairing
 * a garbage header (in place when the file size fits a layout, else
 * afresh) under sched.in.lock when needed. Capacity of a new segment:
 * $MIDI_SCHED_SLOTS (power of two, 64-2^20), else SCHED_CAP_DEFAULT. */
int sched_map(struct rt *rt, struct sched_map *m, midi_error *e);
void sched_unmap(struct sched_map *m);
/* Layout of a segment of capacity cap; sched_hdr_fix writes the header's
 * fixed fields (magic, version, layout) where they differ from it. */
void sched_layout(uint64_t cap, uint64_t *in_off, uint64_t *tab_off, uint64_t *total);
void sched_hdr_fix(struct sched_hdr *h, uint64_t cap);
/* Store v into a shared field unless it holds v already. */
#define SCHED_PUT(field, v)                                                    \
	do {                                                                   \
		if (__atomic_load_n(&(field), __ATOMIC_RELAXED) != (v))        \
			__atomic_store_n(&(field), (v), __ATOMIC_RELAXED);     \
	} while (0)

/* A sender's side (one per connection, made on first scheduled send). */
struct sched_client {
	struct sched_map m;
	struct rt *rt;
	int inlockfd, lockfd;
	unsigned long fork_gen;
	uint64_t last_pos;   /* end of what this client wrote (0 = nothing) */
	uint64_t max_due;    /* latest due time it handed over */
	uint64_t check_ns;   /* scheduler liveness last checked */
	uint64_t cancel_pos; /* ring position of its last cancel + 1 (0 = none) */
	uint64_t key_ok;     /* scheduler key last verified by sched_pidfd */
};

int sched_client_open(struct rt *rt, struct sched_client *sc, midi_error *e);
void sched_client_close(struct sched_client *sc);
/* Entries that may still be queued now (pending + not yet taken), at most
 * cap. When the shared counters are impossible (garbage), it wakes or
 * starts the scheduler, which rewrites them, and waits for that up to
 * 200 ms. */
uint64_t sched_queued(struct sched_client *sc);
/* Append n entries as one batch (consecutive arrival numbers), then make
 * sure a scheduler runs. -MIDI_ERR_RUNTIME "scheduler queue full" when
 * they do not fit; nothing is written then. */
int sched_put(struct rt *rt, struct sched_client *sc, const struct sched_in *v, size_t n,
	      midi_error *e);
/* Cancel every entry of owner not yet delivered: a SCHED_CANCEL entry,
 * then wait (until end) for the scheduler to take it. *n: how many it
 * freed, or UINT64_MAX when that could not be read back (a scheduler
 * replaced meanwhile, a garbled reply). */
int sched_cancel(struct rt *rt, struct sched_client *sc, uint64_t owner, uint64_t end,
		 uint64_t *n, midi_error *e);
/* Whether everything this client wrote that is due by `due` is in its
 * ring now: 1 yes, 0 not yet, -1 the scheduler does not say (none has run
 * a delivery pass in this file yet). One look at two shared words. */
int sched_written(const struct sched_client *sc, uint64_t due);
/* Wait until the scheduler took everything this client wrote (end: an
 * absolute CLOCK_MONOTONIC deadline, UINT64_MAX = for ever). */
int sched_wait_taken(struct rt *rt, struct sched_client *sc, uint64_t end, midi_error *e);
/* If sched.lock is free, spawn a detached scheduler holding it. *lockfd
 * may be replaced by a fresh descriptor. */
int sched_ensure(struct rt *rt, int *lockfd, midi_error *e);
/* sched_ensure, then wait until a live scheduler has announced itself in
 * the header (its key), at most until end. */
int sched_ready(struct rt *rt, struct sched_client *sc, uint64_t end, midi_error *e);

/* For processes that wait (midi_recv). *scp is made on first use when the
 * segment exists; the caller frees it with sched_client_close and free.
 *
 * sched_watch: if anything is queued and no scheduler holds sched.lock (it
 * was killed), start one. Returns 1 if anything is queued (a scheduler
 * runs or was just started), 0 if nothing is, or a negative error.
 *
 * sched_pidfd: a pidfd (close-on-exec; the caller closes it) of the
 * running scheduler if anything is pending or queued: it becomes readable
 * when the scheduler dies, and the waiter then calls sched_watch to start
 * another. The process named in the header (pid and start time) is checked
 * to be a live midi-sched with sched.lock open, again after pidfd_open
 * (pid reuse). -1 if nothing is queued, or no scheduler runs now (then
 * call sched_watch, and if it returns 1 ask again; a scheduler just
 * started may take a moment to show), or pidfds are not supported: a
 * waiter with something queued and no pidfd calls sched_watch every
 * SCHED_WATCH_SLICE_NS instead. */
int sched_watch(struct rt *rt, struct sched_client **scp, midi_error *e);
int sched_pidfd(struct rt *rt, struct sched_client **scp);

/* The scheduler process (schedhost.c); never returns. */
void sched_host_main(void *arg, int lockfd);

/* Counters of the runtime directory's scheduler (tests, diagnostics). */
struct sched_stats {
	uint64_t pending, delivered, dropped, starts, garbage;
	pid_t pid; /* last scheduler that ran (it may have exited) */
};
int sched_get_stats(struct sched_stats *st, midi_error *e);

#endif

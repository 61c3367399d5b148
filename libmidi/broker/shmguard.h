/* shmguard.h: keeping shared files from killing the process (private to
 * the broker).
 *
 * Space: every shared file the broker creates and maps has its blocks
 * reserved when it is created (shm_reserve), so a full file system is an
 * error at creation, never a SIGBUS when a page is first touched.
 *
 * Truncation: a file shrunk under its mappings by another process of the
 * same user makes the next access to a page past the new end raise SIGBUS.
 * Every mapping the library makes of a shared file is registered here
 * (shmguard_add; shmguard_remove before munmap). A SIGBUS handler
 * (installed once with sigaction, SA_SIGINFO; faults outside registered
 * mappings and signals sent by kill go to the handler that was there
 * before, or kill the process as the default action would) replaces the
 * whole mapping the fault is in with anonymous zero pages (mmap MAP_FIXED,
 * async-signal-safe) and marks it lost, and the faulting access is retried
 * harmlessly. Code that uses a mapping asks shmguard_lost (one load of a
 * global counter while nothing was ever lost) and ends what it was doing
 * with a clear error; until then it reads zeros, which every reader of
 * shared memory already treats as untrusted (bad magic, empty rings, no
 * clients). */
#ifndef MIDI_BROKER_SHMGUARD_H
#define MIDI_BROKER_SHMGUARD_H

#include <stddef.h>
#include <sys/types.h>

#include "broker/broker.h"

/* Reserve the blocks of [0, size) of fd, extending the file to size. 0 or
 * an errno value (ENOSPC, EDQUOT, EFBIG...). On a file system that cannot
 * reserve space (EOPNOTSUPP) the file is only extended. */
int shm_reserve(int fd, off_t size);

/* Register the mapping [base, base + size). -1 if it could not be
 * registered (out of memory): the mapping works, unguarded. */
int shmguard_add(void *base, size_t size);
/* Forget the mapping that starts at base (before munmap). */
void shmguard_remove(const void *base);
/* 1 if the registered mapping starting at base was lost (its file was
 * truncated under it; it reads zeros now). */
int shmguard_lost(const void *base);
/* Mappings lost in this process so far. */
unsigned shmguard_hits(void);

/* The registry mapping of rt was lost. */
int reg_lost(const struct rt *rt);
/* -MIDI_ERR_RUNTIME: "the endpoint registry DIR/registry was truncated by
 * another process". */
int reg_lost_error(const struct rt *rt, midi_error *e);
/* The mapping of segment s was lost. */
int seg_lost(const struct seg *s);
/* -MIDI_ERR_RUNTIME: "endpoint ID: its shared file DIR/ep-... was truncated
 * by another process" (or, when the file still has its size, could not be
 * read); with owner (the endpoint the segment belongs to, when not ID
 * itself; may be NULL): "endpoint ID: the shared file DIR/ep-... of OWNER
 * was ...". */
int seg_lost_error(const struct rt *rt, const char *id, const char *owner, const struct seg *s,
		   midi_error *e);

/* What a segment's header says (segment.c). The closed flag is set, to
 * 1, only by a remover under the registry lock; any other value is
 * garbage. reason (may be NULL) gets the close reason only if it is clean
 * printable text as a remover writes it (else ""), or for LOST and
 * CORRUPT a description ("its shared file ep-... was corrupted"). A
 * closed segment still listed in the registry under its uid is corrupt
 * too: the caller checks that under the registry lock. seg_closed is
 * seg_state != SEG_ST_OPEN. */
enum { SEG_ST_OPEN = 0, SEG_ST_CLOSED = 1, SEG_ST_CORRUPT = 2, SEG_ST_LOST = 3 };
int seg_state(const struct seg *s, char *reason, size_t n);

#endif

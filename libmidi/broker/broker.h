/* broker.h: private interfaces of the broker: the runtime directory
 * context, the registry (endpoint table + event log), endpoint segments
 * (client table + rings), locks and hosting. Public API: midi/endpoint.h. */
#ifndef MIDI_BROKER_H
#define MIDI_BROKER_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker/ring.h"
#include "broker/shm.h"
#include "midi/endpoint.h"
#include "midi/error.h"

/* ---- runtime directory (runtime.c) ---- */

struct rt {
	int refs;               /* guarded by the runtime mutex */
	unsigned long fork_gen; /* process generation the lock fd belongs to */
	char path[PATH_MAX];
	int dirfd;              /* O_DIRECTORY|O_NOFOLLOW */
	int lockfd;             /* registry.lock (reopened after fork) */
	int locked;             /* this process holds the registry lock */
	int wdepth;             /* nested reg_write_begin (lock held) */
	pthread_mutex_t mu;     /* threads of this process take the registry lock in turn */
	struct reg_hdr *reg;    /* registry mapping */
	size_t reg_size;
};

/* Current runtime context, referenced (release with rt_put). */
struct rt *rt_get(midi_error *e);
void rt_put(struct rt *rt);
/* After fork, a process gets a new generation; lock fds must be reopened. */
unsigned long rt_fork_gen(void);

/* spawn.c: start the helper program, detached (double fork + exec), as
 * `midi-ROLE ROLE ARGS... 3` with descriptor 3 sharing lockfd (whose lock
 * the caller has taken: the helper keeps it), 4 the report pipe, stdio on
 * /dev/null, no other descriptor, a new session, default signal handling,
 * the caller's environment with MIDI_RUNTIME_DIR = rt->path. args:
 * NULL-terminated (at most 8). Returns once the helper reported. 0, or an
 * error "cannot start WHAT: ..." (the helper program not found, it could
 * not be run, it said why it cannot work, or it died before it said). */
int broker_spawn(struct rt *rt, const char *role, const char *const *args, int lockfd,
		 const char *what, midi_error *e);
/* The helper program's path: $MIDI_HELPER, else ../libexec/midi-helper
 * beside the running program, else MIDI_LIBEXECDIR/midi-helper. 0, or an
 * error naming what was tried. */
int broker_helper_path(char *buf, size_t n, midi_error *e);
/* In the helper, first: check lockfd is a file of ours and hold its lock
 * (a no-op for the lock passed by broker_spawn). 0 or -1. */
int broker_helper_lock(int lockfd);
/* The helper tells the library that started it how its start went: NULL
 * when it runs, else why it cannot (then it exits). Once; nothing when it
 * was not started by broker_spawn. */
void broker_helper_report(const char *refused);
/* The helper's entry points (the helper program calls them; they never
 * return): serve the hosted endpoint whose segment is uid (host.c); run
 * the discovery of endpoint id if still the given incarnation (agent.c).
 * The scheduler's is sched_host_main (sched.h). */
_Noreturn void agent_main(const char *id, uint64_t incarnation, int lockfd);
/* Open (flags may include O_CREAT) a file in the runtime directory without
 * following symlinks, checking it is a regular file of ours, mode 0600. */
int rt_open(struct rt *rt, const char *name, int flags, midi_error *e);
/* The shared-memory format of the runtime directory's registry when it is
 * another than this build's, else 0 (ours, none yet, unreadable); path
 * set to the directory. Looks only: no lock, nothing created. */
uint32_t rt_format_of(char *path, size_t n);
/* flock with a bound: LOCK_EX retried until timeout_ms (0 = try once).
 * Returns 0, 1 if busy (timeout), or -errno. */
int lock_fd(int fd, int timeout_ms);
void unlock_fd(int fd);
/* Key of a live process: (start time & 0x7fffffff) << 32 | pid. */
uint64_t proc_key_self(void);
/* 1 if the process named by key lives (not a zombie, same start time). */
int proc_key_alive(uint64_t key);
/* A pidfd (close-on-exec) of the process named by key, checked after it
 * is opened (the pid may name another process by now: the start time
 * decides), or -1 with errno set (ESRCH: no such process). */
int proc_key_pidfd(uint64_t key);
/* Whether process pid runs (not a zombie); 1 when it cannot tell. */
int proc_pid_alive(pid_t pid);

/* ---- registry (registry.c) ---- */

/* The magic is the same in every format; the format number follows it. */
#define REG_MAGIC 0x5452524944494d4dull /* "MMIDIRRT" */
#define REG_SLOTS 64u
#define REG_EVENTS 256u
#define SEG_NAME_MAX 32

enum reg_event_kind { REG_EV_ADDED = 1, REG_EV_REMOVED = 2, REG_EV_UPDATED = 3 };
/* The mask of an "updated" event holds MIDI_PROP_* bits
 * (endpoint.h); REG_CH_SEGMENT says only the segment was replaced. */
#define REG_CH_SEGMENT 0x80000000u

/* An event names the endpoint by id and incarnation and keeps what a
 * watcher needs to report an endpoint that is already gone again; a
 * removal keeps its reason (what its clients are told, "is gone: device
 * unplugged"), empty when there is none. */
#define REG_REASON_MAX 160
struct reg_event {
	uint64_t seq;
	uint32_t kind;
	uint32_t mask;
	uint64_t incarnation;
	char id[MIDI_ID_MAX];
	char name[MIDI_NAME_MAX];
	char transport[16];
	uint32_t purpose;
	uint32_t pad;
	char reason[REG_REASON_MAX];
};

/* A registry slot as a process sees it: a private copy of a shm_slot
 * (shm.h) with the properties in their public form. */
struct reg_slot {
	uint32_t state;
	uint32_t hosted;
	uint64_t uid;
	uint64_t incarnation;
	char seg[SEG_NAME_MAX];
	char peer[MIDI_ID_MAX];
	char group[32];
	uint64_t tpriv[8];
	midi_endpoint_info info;
};

/* A process waiting for registry events through a doorbell (a watcher's
 * descriptor, a reconnecting connection's descriptor). */
#define REG_WAITERS 128u
#define REG_AGENTS 16 /* transports with an agent, by index in transport_all */
struct reg_waiter {
	uint64_t owner; /* proc key, 0 free */
	uint64_t bell;
	uint32_t armed;
	uint32_t agent; /* an agent's: it does not keep other agents */
	uint64_t pad2;
};

struct reg_hdr {
	uint64_t magic;      /* REG_MAGIC, in every format */
	uint32_t format;     /* SHM_FORMAT, at this offset in every format */
	uint32_t size;
	uint32_t nslots;
	uint32_t nevents;
	uint32_t gen;        /* seqlock generation: odd while being changed */
	uint32_t pad0;
	uint64_t event_seq;  /* sequence number of the next event */
	uint64_t next_uid;
	uint64_t conf_stamp[3]; /* mtime ns, size, inode of the applied config (0 = none) */
	uint32_t ev_futex;   /* bumped (and woken) with every event: watchers wait on it */
	uint32_t pad2;
	uint64_t pad1[21];
	struct shm_slot slots[REG_SLOTS];
	struct reg_event events[REG_EVENTS];
	struct reg_waiter waiters[REG_WAITERS];
	uint64_t agent_ready[REG_AGENTS]; /* bumped by a transport's agent after enumerating */
};

/* The format of a registry of another format (its magic and format
 * fields), else 0; and the error that says so. */
uint32_t reg_other_format(uint64_t magic, uint32_t format);
int reg_format_error(const char *path, uint32_t other, midi_error *e);
/* Lock-free snapshot of the active slots (sanitised); *n set. */
int reg_snapshot(struct rt *rt, struct reg_slot *out, size_t *n, midi_error *e);
/* The same, with the event sequence number that goes with it (every event
 * below *seq is reflected in the snapshot) and the log entries from seq
 * `from` (at most REG_EVENTS; *nev set; *overflow set when entries since
 * `from` were overwritten already). evs may be NULL. */
int reg_read(struct rt *rt, struct reg_slot *out, size_t *n, uint64_t *seq, uint64_t from,
	     struct reg_event *evs, size_t *nev, int *overflow, midi_error *e);
static inline uint64_t reg_event_seq(const struct rt *rt)
{
	return __atomic_load_n(&rt->reg->event_seq, __ATOMIC_ACQUIRE);
}
/* The live info.flags of the endpoint whose segment is uid (JR timestamps
 * negotiated after a connection opened): cached, the registry is looked at
 * only when its generation moved from *gen (start with 1: odd, never
 * seen). */
uint32_t reg_live_flags(struct rt *rt, uint64_t uid, uint32_t *gen, uint32_t cached);
/* Doorbell waiters for registry events: add (bell id; returns the entry
 * or -1 when the table is full), arm (rung by the next event), remove. */
int reg_waiter_add(struct rt *rt, uint64_t bell);
void reg_waiter_arm(struct rt *rt, int idx);
void reg_waiter_remove(struct rt *rt, int idx);
/* Wait (at most timeout_ns) while the event sequence is still seq. */
void reg_wait(struct rt *rt, uint64_t seq, int64_t timeout_ns);
/* Take the registry lock (bounded), rebuilding a garbage registry and
 * repairing a half-done change. */
int reg_lock(struct rt *rt, midi_error *e);
void reg_unlock(struct rt *rt);
/* Under the lock: change bracket (generation odd/even). Brackets nest: only
 * the outermost moves the generation, so a change of several slots (both
 * endpoints of a pair) is one change, repaired as one if its writer dies. */
void reg_write_begin(struct rt *rt);
void reg_write_end(struct rt *rt);
/* Under the lock. */
int reg_find_locked(struct rt *rt, const char *id);
/* The slot of endpoint id into *out if it is still the incarnation given:
 * its index, else -1. */
int reg_get_incarnation_locked(struct rt *rt, const char *id, uint64_t incarnation,
			       struct reg_slot *out);
/* Under the lock: slot idx in its private form (sanitised), and back
 * (inside reg_write_begin/end). */
void reg_get_locked(struct rt *rt, int idx, struct reg_slot *out);
void reg_put_locked(struct rt *rt, int idx, const struct reg_slot *in);
/* Stored form <-> private form of a whole slot. */
void slot_load(struct reg_slot *d, const struct shm_slot *s);
void slot_store(struct shm_slot *d, const struct reg_slot *s);
int reg_free_slots_locked(struct rt *rt);
/* Add an endpoint: creates its segment, posts "added". Returns slot index. */
int reg_add_locked(struct rt *rt, const struct reg_slot *tmpl, midi_error *e);
/* Remove: closes the segment with reason, posts "removed", unlinks files. */
void reg_remove_locked(struct rt *rt, int idx, const char *reason);
void reg_event_locked(struct rt *rt, uint32_t kind, uint32_t mask, const struct reg_slot *s);
/* The same with a reason (NULL: none), for a removal. */
void reg_event_why_locked(struct rt *rt, uint32_t kind, uint32_t mask, const struct reg_slot *s,
			  const char *reason);
/* Under the lock: store the stream (discovery) properties of *src into
 * slot idx if it is still the incarnation given, recompute the display
 * name, and post "updated" with what changed plus extra. Returns the
 * changed bits (0: nothing changed or the endpoint is gone). */
uint32_t reg_update_stream_locked(struct rt *rt, const char *id, uint64_t incarnation,
				  const midi_endpoint_info *src, uint32_t extra);
/* Property bits (MIDI_PROP_*) that differ between a and b. */
uint32_t info_diff(const midi_endpoint_info *a, const midi_endpoint_info *b);
/* Display name: user name, else Endpoint Name, else the transport's name. */
void info_display_name(midi_endpoint_info *i);
/* Replace a corrupt segment of slot idx by a fresh one (new uid). */
int reg_reseg_locked(struct rt *rt, int idx, midi_error *e);
void reg_sanitize_slot(struct reg_slot *s);
/* Re-read the configuration file if it changed since applied (config.c). */
int rt_refresh(struct rt *rt, midi_error *e);

/* ---- configuration file (config.c) ---- */

struct conf_ep {
	char id[MIDI_ID_MAX];
	char name[MIDI_NAME_MAX];
	char description[256];
	int has_name, has_description;
};
/* A section [TYPE ARG] that belongs to a transport (conf_section). */
struct conf_kv {
	char key[32];
	char val[256];
	int line;
};
struct conf_sec {
	char type[16];
	char arg[64];
	int line;
	struct conf_kv *kv;
	size_t nkv;
};
struct conf {
	struct conf_sec *secs;
	size_t nsecs;
	struct conf_ep *eps;
	size_t neps;
};
/* The sections of type `type`, in file order: for (k = 0; (s = conf_next(c, type, &k));) */
const struct conf_sec *conf_next(const struct conf *c, const char *type, size_t *k);
/* For transports' conf_check: an error at `line` of `path`. */
int conf_error(midi_error *e, const char *path, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int conf_path(char *buf, size_t n);
/* A yes/no value (yes, true, 1 / no, false, 0): 1, 0, or -1. */
int conf_bool(const char *v);
/* Parse a file; ENOENT gives an empty configuration. */
int conf_parse_file(const char *path, struct conf *c, midi_error *e);
int conf_parse_text(const char *path, const char *text, size_t len, struct conf *c,
		    midi_error *e);
void conf_free(struct conf *c);
/* Under the registry lock: apply (add persistent loops, set names). */
int conf_apply_locked(struct rt *rt, const struct conf *c, midi_error *e);
/* Set user name/description on a new slot from the config (not locked). */
void conf_props_for(const struct conf *c, struct reg_slot *s);
/* Parsed configuration as currently on disk (cached per process). */
int conf_current(struct conf *c, midi_error *e);
int loop_name_valid(const char *name);

/* ---- endpoint segments (segment.c) ---- */

#define SEG_MAGIC 0x3147455344494d4dull
#define SEG_VERSION SHM_FORMAT
#define SEG_CLIENTS 4096u
#define SEG_HDR_BYTES (4096u + SEG_CLIENTS * 64u)
#define SEG_OUT_SLOTS 131072u
#define SEG_IN_SLOTS 16384u

struct seg_client {
	uint64_t owner;   /* 0 free; proc key; proc key | bit 63 while being reclaimed */
	uint32_t conn_id;
	uint32_t sleeping;
	uint64_t cursor;  /* reader's position in `out`, published for flow control */
	uint32_t reader;  /* 1: reads `out` and publishes its cursor */
	uint32_t lagging; /* 1: stalled while a writer waited; not waited for until it catches up */
	uint64_t bell;    /* its doorbell (bell.c), 0 = none */
	uint32_t bell_armed; /* 1: ring the bell when something for it is published */
	uint32_t pad;
	uint64_t pad2[2];    /* 64 bytes (SEG_HDR_BYTES) */
};

/* A ring's writer lock in shared memory (wlock.c). word: 0 free, else the
 * owner's pid, with WLOCK_WAITERS set when someone sleeps on it; key: the
 * owner's process key (pid and start time). Nothing in it is trusted. */
struct seg_wlock {
	uint32_t word;
	uint32_t pad;
	uint64_t key;
};
#define WLOCK_WAITERS 0x80000000u
/* Take the lock, waiting at most timeout_ms: 0, 1 when taken over from a
 * dead owner (or garbage), -ETIMEDOUT. */
int wlock_take(struct seg_wlock *l, int timeout_ms);
void wlock_give(struct seg_wlock *l);

struct seg_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_bytes;
	uint64_t uid;
	uint64_t total;
	uint64_t out_off, out_slots;
	uint64_t in_off, in_slots;
	uint32_t closed;
	uint32_t next_conn_id;
	uint64_t host_cursor;   /* host's read position in `in` (take-over) */
	uint32_t host_sleeping;
	uint32_t host_pid;
	char reason[160];
	uint32_t clients_hw;    /* entries [0, clients_hw) may be in use */
	uint32_t bells_armed;   /* clients with bell_armed set (scan only when not 0) */
	uint64_t host_bell;     /* the host's doorbell for the `in` ring, 0 = none */
	uint32_t host_bell_armed;
	uint32_t pad0;
	uint64_t host_key;      /* proc key of the host (pidfd checks) */
	uint32_t sched_gen;     /* bumped when a sender scheduled something for it */
	uint32_t pad1;
	/* messages its transport lost on their way to the `out` ring (a
	 * network gap never filled): every reader counts them as lost */
	uint64_t transport_lost;
	uint64_t pad[2];
	/* writer locks of `out` [0] and `in` [1] (wlock.c): a writer killed
	 * while holding one leaves it to the next, whose batch starts again
	 * at the published head */
	struct seg_wlock wlock[2];
	/* the rings' headers, out [0] and in [1] (their slots start at
	 * out_off and in_off): on the first page with the fields above, which
	 * every message touches too */
	struct ring_shared rings[2] __attribute__((aligned(64)));
	struct seg_client clients[SEG_CLIENTS];
};

struct seg {
	struct rt *rt;
	void *base;
	size_t size;
	struct seg_hdr *hdr;
	uint64_t uid;
	struct ring out, in;
	int has_in;
	char name[SEG_NAME_MAX];
};

void seg_file_name(char *buf, size_t n, uint64_t uid, const char *suffix);
int seg_create(struct rt *rt, uint64_t uid, int hosted, midi_error *e);
/* Map and validate; -MIDI_ERR_RUNTIME with "corrupt" message if invalid
 * (*corrupt set to 1 then). */
int seg_map(struct rt *rt, const char *name, uint64_t uid, struct seg *s, int *corrupt,
	    midi_error *e);
void seg_unmap(struct seg *s);
void seg_unlink(struct rt *rt, uint64_t uid);
int seg_client_add(struct seg *s, uint32_t *conn_id);
void seg_client_remove(struct seg *s, int idx);
/* Live clients now; reclaims dead entries. */
unsigned seg_clients_live(struct seg *s);
void seg_close(struct seg *s, const char *reason);
/* Flow control for a writer of s->out (call before taking the writer
 * lock): waits while writing `need` more packets would overrun a reader
 * that keeps making progress. A reader whose cursor does not move for
 * FLOW_STALL_NS while a writer waits is marked lagging and no longer waited
 * for (it loses messages and is told how many) until it catches up to
 * within half the ring. *limit caches the last bound (0 at start). */
#define FLOW_STALL_NS 20000000ll
void seg_flow_wait(struct seg *s, uint64_t need, uint64_t *limit);
/* Reader side: publish the cursor of client idx. */
void seg_flow_publish(struct seg *s, int idx, uint64_t pos);
int seg_closed(const struct seg *s, char *reason, size_t n);
/* After publishing into s->out: ring the bells of armed clients that want
 * it (tag 0: every client; RING_ALL: several tags, every client; else the
 * client with that connection id). */
void seg_ring_bells(struct rt *rt, struct seg *s, uint32_t tag);
/* After publishing into s->in: ring the host's bell if armed. */
void seg_ring_host_bell(struct rt *rt, struct seg *s);
/* Client idx's bell: set (id 0 clears), arm (returns with armed set). */
void seg_client_set_bell(struct seg *s, int idx, uint64_t id);
void seg_client_arm(struct seg *s, int idx);
/* Scan bound of the client table. */
unsigned seg_clients_hw(const struct seg *s);
/* Count of live clients of a slot's segment (maps the header only). */
unsigned seg_count_clients(struct rt *rt, const struct reg_slot *slot);

/* ---- doorbells (bell.c) ---- */

/* Make a bell: returns its descriptor (O_NONBLOCK, readable once rung),
 * *id its name; negative status on error. A pipe bell where others of
 * this user can open it through /proc, else a FIFO bell (bell_create_fifo,
 * which tests also call). */
int bell_create(struct rt *rt, uint64_t *id, midi_error *e);
int bell_create_fifo(struct rt *rt, uint64_t *id, midi_error *e);
void bell_unlink(struct rt *rt, uint64_t id);
/* Ring bell id (cached descriptors; a missing bell is ignored). */
void bell_ring(struct rt *rt, uint64_t id);
/* In a child of fork (runtime.c's handler): the ringers' cache lock free. */
void bell_after_fork(void);
/* Owner side: empty it / ring it itself. */
/* Empty a bell; 1 if it had rung. */
int bell_drain(int fd);
void bell_self(int fd);
/* 1 if this kernel wakes an edge-triggered epoll waiter at every write
 * into a pipe or FIFO, also one not emptied (Linux >= 5.15, and before 5.5): a
 * host then empties its bell only now and then instead of at each wake. */
int bell_edge_ok(void);

/* ---- the one ring writer (rwriter.c) ---- */

/* Writes batches into one ring of one segment: the `out` ring (what the
 * endpoint's clients receive) or the `in` ring (what its host drains).
 * Every path that writes a ring uses it: client sends, hosts, virtual
 * devices, the scheduler. A batch is written under the ring's writer lock
 * (a flock on ep-UID.out.lock / .in.lock, and a mutex for threads sharing
 * this writer), so batches never interleave and a SysEx stays whole.
 * Flow control before the lock: into `out`, wait for readers that keep
 * reading (seg_flow_wait); into `in`, wait while the host keeps taking
 * (back-pressure from a slow device), failing with MIDI_ERR_TIMEOUT if it
 * takes nothing for RW_IN_STALL_NS. A batch larger than half the ring is
 * published in chunks, each paced the same way. After publishing, futex
 * sleepers are woken and armed doorbells rung. */
#define RW_IN_STALL_NS 2000000000ll
struct ring_writer {
	struct rt *rt;
	struct seg *seg;
	struct ring *ring;
	int in;                  /* 1: the `in` ring */
	uint64_t flow_limit;
	uint64_t asked;          /* packets room was asked for so far */
	/* while a batch is open (by thread `owner`) */
	int locked;
	pthread_t owner;
	uint64_t pos, published, now;
	uint32_t tag;            /* bells to ring: see seg_ring_bells */
	int any;
	/* called (if set) about every 100 ms while waiting for the host */
	void (*stalled)(void *arg);
	void *stalled_arg;
	const char *label;       /* who messages name: the segment's name, or the endpoint's id */
};
int rw_init(struct ring_writer *w, struct rt *rt, struct seg *seg, int in, midi_error *e);
void rw_fini(struct ring_writer *w);
/* Wait for room for `need` packets (flow control); call before rw_begin. */
int rw_room(struct ring_writer *w, uint64_t need, midi_error *e);
/* Open a batch (takes the lock; no-op if open). */
int rw_begin(struct ring_writer *w, midi_error *e);
void rw_put(struct ring_writer *w, const midi_ump *u, uint64_t t, uint32_t tag);
/* Publish, unlock, wake. Returns the position after the batch. */
uint64_t rw_end(struct ring_writer *w);
/* A whole batch: room, lock, n packets (tags NULL: all `tag`), end. */
int rw_write(struct ring_writer *w, const midi_packet *p, const uint32_t *tags, uint32_t tag,
	     size_t n, uint64_t t, midi_error *e);

/* ---- endpoints hosted by applications (apphost.c) ---- */

/* 1 if a process holds the host lock of segment uid, 0 if it is free or
 * missing. Cheap: one open and a non-blocking flock. */
int app_host_alive(struct rt *rt, uint64_t uid);
/* Remove every application-hosted endpoint (virt) whose host is gone,
 * with the transport's reason. Returns the count removed. */
int app_hosts_reap(struct rt *rt);
/* 1 if slot is of a transport hosted by an application. */
int slot_app_hosted(const struct reg_slot *slot);
/* Remove slot's endpoint if it is application-hosted and its host is gone
 * (checked again under the registry lock). Returns 1 if removed. */
int app_host_reap_one(struct rt *rt, const struct reg_slot *slot);

/* ---- the discovery agent (agent.c) ---- */

/* Private midi_open flag: the connection is not counted as a client (the
 * discovery agent); it still gets a connection id for replies to it. */
#define CONN_AGENT 0x40000000u

/* Start, detached, the one discovery agent of the endpoint in slot (unless
 * one runs already): it connects, runs UMP discovery with a timeout
 * (MIDI_DISCOVERY_TIMEOUT_MS, default 1000) and stores the results. */
int agent_spawn_discovery(struct rt *rt, const struct reg_slot *slot, midi_error *e);
/* The timeout in ms. */
int discovery_timeout_ms(void);

/* ---- hosting (host.c; the contract is in transport/transport.h) ---- */

/* The group key of a hosted endpoint (its group, else ep-UID) and the name
 * of the lock its host holds. */
void host_key_of(const struct reg_slot *slot, char *buf, size_t n);
void host_lock_name(const struct reg_slot *slot, char *buf, size_t n);
/* Make sure a host serves the endpoint whose host lock is open on *hostfd:
 * if the lock is free, start a host holding it. *hostfd may be replaced by
 * a fresh descriptor. */
int host_ensure(struct rt *rt, const struct reg_slot *slot, int *hostfd, midi_error *e);
/* Make sure the agent of every transport that wants one runs. */
void agents_ensure(struct rt *rt);
/* Entry points of the helper program (they never return): a host serving
 * the endpoints of transport whose group key is key; a transport's agent. */
_Noreturn void host_main(const char *transport, const char *key, int lockfd);
_Noreturn void tagent_main(const char *transport, int lockfd);

/* ---- real-time scheduling for the hosts of devices (rtprio.c) ---- */

/* The priority $MIDI_RT_PRIORITY asks for (0: none; unset or not 0-99:
 * the default). */
int broker_rt_priority(void);
/* For the calling thread, best effort: SCHED_FIFO at broker_rt_priority()
 * (within RLIMIT_RTPRIO when not privileged), else a lower nice value
 * (within RLIMIT_NICE), else nothing. Returns what it got. */
enum { BROKER_RT_NONE, BROKER_RT_FIFO, BROKER_RT_NICE };
int broker_realtime(void);

#endif

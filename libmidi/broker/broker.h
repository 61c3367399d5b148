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
	pthread_mutex_t mu;     /* threads of this process take the registry lock in turn */
	struct reg_hdr *reg;    /* registry mapping */
	size_t reg_size;
};

/* Current runtime context, referenced (release with rt_put). */
struct rt *rt_get(midi_error *e);
void rt_put(struct rt *rt);
/* After fork, a process gets a new generation; lock fds must be reopened. */
unsigned long rt_fork_gen(void);
/* Forget the cached context without touching its fds (host child after
 * closing descriptors). */
void rt_forget(void);

/* spawn.c: double-fork a detached helper that runs fn(arg, fd) with fd its
 * own descriptor of lockfd (whose lock the caller has taken: the helper
 * keeps it), every other descriptor closed, a new session, stdio on
 * /dev/null, process name `name`. 0 or -errno. */
int broker_spawn(const char *name, int lockfd, void (*fn)(void *arg, int lockfd), void *arg);
/* Open (flags may include O_CREAT) a file in the runtime directory without
 * following symlinks, checking it is a regular file of ours, mode 0600. */
int rt_open(struct rt *rt, const char *name, int flags, midi_error *e);
/* flock with a bound: LOCK_EX retried until timeout_ms (0 = try once).
 * Returns 0, 1 if busy (timeout), or -errno. */
int lock_fd(int fd, int timeout_ms);
void unlock_fd(int fd);
/* Key of a live process: (start time & 0x7fffffff) << 32 | pid. */
uint64_t proc_key_self(void);
/* 1 if the process named by key lives (not a zombie, same start time). */
int proc_key_alive(uint64_t key);

/* ---- registry (registry.c) ---- */

#define REG_MAGIC 0x3147455249444d4dull /* "MMIDIREG1" */
#define REG_VERSION 2u
#define REG_SLOTS 64u
#define REG_EVENTS 256u
#define SEG_NAME_MAX 32

enum reg_event_kind { REG_EV_ADDED = 1, REG_EV_REMOVED = 2, REG_EV_UPDATED = 3 };
/* The mask of an "updated" event holds MIDI_PROP_* bits (discovery.h,
 * watch.h); REG_CH_SEGMENT says only the segment was replaced. */
#define REG_CH_SEGMENT 0x80000000u

/* An event names the endpoint by id and incarnation and keeps what a
 * watcher needs to report an endpoint that is already gone again. */
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
};

struct reg_slot {
	uint32_t state;  /* 0 free, 1 active */
	uint32_t hosted; /* clients write into the `in` ring, a host serves it */
	uint64_t uid;    /* segment id, never reused (a replaced segment gets a new one) */
	uint64_t incarnation; /* the uid the endpoint was added with (kept across re-segmenting) */
	char seg[SEG_NAME_MAX];  /* segment file name in the runtime directory */
	char peer[MIDI_ID_MAX];  /* transport-private: crossing partner (loops) */
	uint64_t tpriv[8];       /* transport-private */
	midi_endpoint_info info;
};

struct reg_hdr {
	uint64_t magic;
	uint32_t version;
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
	struct reg_slot slots[REG_SLOTS];
	struct reg_event events[REG_EVENTS];
};

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
/* Wait (at most timeout_ns) while the event sequence is still seq. */
void reg_wait(struct rt *rt, uint64_t seq, int64_t timeout_ns);
/* Take the registry lock (bounded), rebuilding a garbage registry and
 * repairing a half-done change. */
int reg_lock(struct rt *rt, midi_error *e);
void reg_unlock(struct rt *rt);
/* Under the lock: change bracket (generation odd/even). */
void reg_write_begin(struct rt *rt);
void reg_write_end(struct rt *rt);
/* Under the lock. */
int reg_find_locked(struct rt *rt, const char *id);
int reg_free_slots_locked(struct rt *rt);
/* Add an endpoint: creates its segment, posts "added". Returns slot index. */
int reg_add_locked(struct rt *rt, const struct reg_slot *tmpl, midi_error *e);
/* Remove: closes the segment with reason, posts "removed", unlinks files. */
void reg_remove_locked(struct rt *rt, int idx, const char *reason);
void reg_event_locked(struct rt *rt, uint32_t kind, uint32_t mask, const struct reg_slot *s);
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
struct conf {
	char (*loops)[41];
	size_t nloops;
	struct conf_ep *eps;
	size_t neps;
};
int conf_path(char *buf, size_t n);
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
/* Add loop:NAME-a/-b (registry lock held; loop.c). */
int loop_add_locked(struct rt *rt, const char *name, int persistent, const struct conf *conf,
		    midi_error *e);

/* ---- endpoint segments (segment.c) ---- */

#define SEG_MAGIC 0x3147455344494d4dull
#define SEG_VERSION 2u
#define SEG_CLIENTS 4096u
#define SEG_HDR_BYTES 135168u
#define SEG_OUT_SLOTS 131072u
#define SEG_IN_SLOTS 16384u

struct seg_client {
	uint64_t owner;   /* 0 free; proc key; proc key | bit 63 while being reclaimed */
	uint32_t conn_id;
	uint32_t sleeping;
	uint64_t cursor;  /* reader's position in `out`, published for flow control */
	uint32_t reader;  /* 1: reads `out` and publishes its cursor */
	uint32_t lagging; /* 1: stalled while a writer waited; not waited for until it catches up */
};

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
	uint32_t clients_hw;    /* entries [0, clients_hw) of clients were ever used */
	uint32_t pad32;
	uint64_t pad[7];
	struct seg_client clients[SEG_CLIENTS];
};

struct seg {
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
/* Scans of the client table stop here: entries above were never used. */
unsigned seg_clients_bound(const struct seg *s);
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
/* Count of live clients of a slot's segment (maps the header only). */
unsigned seg_count_clients(struct rt *rt, const struct reg_slot *slot);

/* ---- endpoints hosted by applications (apphost.c) ---- */

/* 1 if a process holds the host lock of segment uid, 0 if it is free or
 * missing. Cheap: one open and a non-blocking flock. */
int app_host_alive(struct rt *rt, uint64_t uid);
/* Remove every application-hosted endpoint (virt) whose host is gone,
 * with the transport's reason. Returns the count removed. */
int app_hosts_reap(struct rt *rt);
/* 1 if some application-hosted endpoint's host is gone (lock-free look). */
int app_hosts_any_gone(struct rt *rt);
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
/* Configuration file changed since last applied (stat only). */
int rt_conf_changed(struct rt *rt);

/* ---- hosting (host.c) ---- */

/* Make sure a host serves the endpoint whose host lock is open on *hostfd:
 * if the lock is free, spawn a detached host holding it. *hostfd may be
 * replaced by a fresh descriptor. */
int host_ensure(struct rt *rt, const struct reg_slot *slot, int *hostfd, midi_error *e);

#endif

/* test.c: the test transport: fake devices that exercise the whole
 * transport contract (transport.h) the way USB, ALSA and network devices
 * will, with nothing but files.
 *
 * A device is a file NAME (1-26 letters, digits, '.', '_', '-') in the
 * runtime directory's test-devices/ folder
 * holding "ports=N rate=R" (N 1-16 ports, R packets per second it accepts,
 * 0 = as fast as it comes), optionally followed by " lose=K": every K-th
 * message a port takes is lost on the way back (a link without recovery:
 * host_ep_lost counts it for the clients, as the net transport does for a
 * gap never filled). A file that ends in " broken" is a device the host
 * cannot open (host_open fails). The transport is active only while that
 * folder exists (agent_wanted).
 *   Agent: enumerates the folder, then watches it with inotify (a
 *   descriptor in the host loop): a file written is a device plugged in
 *   (endpoints test:NAME-1 .. test:NAME-N appear, each discovered by UMP
 *   discovery), a file removed is a device unplugged (its endpoints go
 *   away, "is gone: device unplugged").
 *   Host: one host process per device serves all its ports (host group
 *   test-NAME); a port serves one endpoint at a time. Each port echoes what
 *   it takes to its clients (a device's thru) and answers UMP discovery as
 *   "Test NAME port P". With a rate, a timerfd (another descriptor) gives
 *   R tokens a second and the port takes only as many packets as it has
 *   tokens: a busy device, whose senders are slowed by back-pressure and
 *   lose nothing. */
#include "transport/transport.h"
#include "midi/discovery.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define DEV_DIR "test-devices"
#define MAX_PORTS 16
#define TICK_NS 1000000

struct tdev {
	char name[41];
	unsigned ports, rate, lose;
	int broken;
};

/* Read device file `name` (in the folder dirfd). 0 or -1. */
static int read_dev(int dirfd, const char *name, struct tdev *d)
{
	if (!loop_name_valid(name) || strlen(name) > 26) /* the group is test-NAME */
		return -1;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[128];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	memset(d, 0, sizeof *d);
	snprintf(d->name, sizeof d->name, "%s", name);
	if (sscanf(buf, "ports=%u rate=%u lose=%u", &d->ports, &d->rate, &d->lose) < 2 || d->ports < 1 ||
	    d->ports > MAX_PORTS || d->rate > 1000000)
		return -1;
	d->broken = strstr(buf, " broken") != NULL;
	return 0;
}

static int open_dir(struct rt *rt)
{
	return openat(rt->dirfd, DEV_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int test_wanted(struct rt *rt)
{
	struct stat st;
	return fstatat(rt->dirfd, DEV_DIR, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* ---- agent: enumeration and hotplug ---- */

struct tagent {
	int dirfd, inofd;
};

/* Make the endpoints match the folder. */
static void agent_sync(struct host *h)
{
	struct tagent *a = host_priv(h);
	struct tdev devs[64];
	size_t nd = 0;
	int fd = dup(a->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d) {
		rewinddir(d);
		struct dirent *de;
		while ((de = readdir(d)) && nd < 64)
			if (de->d_name[0] != '.' && read_dev(a->dirfd, de->d_name, &devs[nd]) == 0)
				nd++;
		closedir(d);
	} else if (fd >= 0) {
		close(fd);
	}
	for (size_t k = 0; k < nd; k++)
		for (unsigned p = 1; p <= devs[k].ports; p++) {
			struct reg_slot s;
			char id[MIDI_ID_MAX], name[MIDI_NAME_MAX];
			snprintf(id, sizeof id, "test:%.40s-%u", devs[k].name, p);
			snprintf(name, sizeof name, "Test %.40s port %u", devs[k].name, p);
			transport_fill_slot(&s, "test", id, name, MIDI_PURPOSE_NORMAL);
			s.hosted = 1;
			s.info.discovery = MIDI_DISCOVERY_PENDING;
			snprintf(s.group, sizeof s.group, "test-%.26s", devs[k].name);
			agent_add(h, &s, NULL);
		}
	char (*ids)[MIDI_ID_MAX];
	size_t n;
	if (agent_list(h, &ids, &n) < 0)
		return;
	for (size_t j = 0; j < n; j++) {
		int present = 0;
		for (size_t k = 0; k < nd && !present; k++)
			for (unsigned p = 1; p <= devs[k].ports && !present; p++) {
				char id[MIDI_ID_MAX];
				snprintf(id, sizeof id, "test:%.40s-%u", devs[k].name, p);
				present = strcmp(id, ids[j]) == 0;
			}
		if (!present)
			agent_remove(h, ids[j], "is gone: device unplugged");
	}
	free(ids);
}

static void on_dir_event(struct host *h, int fd, uint32_t revents, void *arg)
{
	(void)revents;
	(void)arg;
	char buf[4096];
	while (read(fd, buf, sizeof buf) > 0)
		;
	agent_sync(h);
}

static int test_agent_open(struct host *h, midi_error *e)
{
	struct rt *rt = host_rt(h);
	struct tagent *a = calloc(1, sizeof *a);
	if (!a)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	a->inofd = -1;
	a->dirfd = open_dir(rt);
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/%s", rt->path, DEV_DIR);
	if (a->dirfd >= 0)
		a->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (a->inofd < 0 ||
	    inotify_add_watch(a->inofd, path, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
						  IN_DELETE) < 0 ||
	    host_fd_add(h, a->inofd, EPOLLIN, on_dir_event, NULL) < 0) {
		int err = errno;
		if (a->inofd >= 0)
			close(a->inofd);
		if (a->dirfd >= 0)
			close(a->dirfd);
		free(a);
		return midi_error_sys(e, err, "cannot watch %s", path);
	}
	host_set_priv(h, a);
	agent_sync(h);
	return 0;
}

static void test_agent_close(struct host *h)
{
	struct tagent *a = host_priv(h);
	if (!a)
		return;
	close(a->inofd);
	close(a->dirfd);
	free(a);
}

/* ---- host: one device, all its ports ---- */

struct thost {
	struct tdev dev;
	int tfd;
	uint64_t tokens, milli; /* milli: thousandths of a token */
	struct tport *port[MAX_PORTS + 1]; /* [P]: the endpoint port P serves */
};

struct tport {
	midi_device_decl decl;
	midi_packet out[256];
	uint32_t tags[256];
	size_t nout;
	struct host *h;
	struct host_ep *ep;
	unsigned number; /* P of test:NAME-P */
	uint32_t tag;
	unsigned taken; /* messages taken, for lose=K */
};

static void on_tick(struct host *h, int fd, uint32_t revents, void *arg)
{
	(void)revents;
	(void)arg;
	struct thost *t = host_priv(h);
	uint64_t exp = 0;
	if (read(fd, &exp, sizeof exp) != (ssize_t)sizeof exp)
		return;
	/* At most a tenth of a second's worth saved up. */
	uint64_t cap = t->dev.rate / 10 + 1;
	t->milli += exp * t->dev.rate * TICK_NS / 1000000; /* rate per s, ticks of TICK_NS */
	t->tokens += t->milli / 1000;
	t->milli %= 1000;
	if (t->tokens > cap)
		t->tokens = cap;
	struct host_ep *eps[MAX_PORTS];
	size_t n = host_eps(h, eps, MAX_PORTS);
	for (size_t k = 0; k < n; k++)
		host_ready(h, eps[k]);
}

/* Read the device of the host's group (test-NAME) into t->dev and, with a
 * rate, start ticking. 0 or -1. */
static int load_dev(struct host *h, struct thost *t)
{
	int dirfd = open_dir(host_rt(h));
	int r = dirfd >= 0 && strncmp(host_key(h), "test-", 5) == 0
			? read_dev(dirfd, host_key(h) + 5, &t->dev) : -1;
	if (dirfd >= 0)
		close(dirfd);
	if (r == 0 && t->dev.rate && !t->dev.broken) {
		t->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		struct itimerspec its = {{0, TICK_NS}, {0, TICK_NS}};
		if (t->tfd < 0 || timerfd_settime(t->tfd, 0, &its, NULL) < 0 ||
		    host_fd_add(h, t->tfd, EPOLLIN, on_tick, NULL) < 0) {
			if (t->tfd >= 0)
				close(t->tfd);
			t->tfd = -1;
			r = -1;
		}
	}
	if (r < 0) /* not loaded: the next attach tries again */
		memset(&t->dev, 0, sizeof t->dev);
	return r;
}

static int test_host_open(struct host *h, midi_error *e)
{
	struct thost *t = calloc(1, sizeof *t);
	if (!t)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	t->tfd = -1;
	host_set_priv(h, t);
	/* A device that says it is broken cannot be opened (as a USB device
	 * another program holds). One not readable now is tried again when its
	 * first port is attached. */
	if (load_dev(h, t) == 0 && t->dev.broken) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "test device %s cannot be opened (broken)",
			       t->dev.name);
		host_set_priv(h, NULL);
		free(t);
		return -MIDI_ERR_RUNTIME;
	}
	return 0;
}

static void test_host_close(struct host *h)
{
	struct thost *t = host_priv(h);
	if (!t)
		return;
	if (t->tfd >= 0)
		close(t->tfd);
	free(t);
}

static int test_attach(struct host *h, struct host_ep *ep)
{
	struct thost *t = host_priv(h);
	const struct reg_slot *s = host_ep_slot(ep);
	if (!t->dev.ports && load_dev(h, t) < 0) /* not readable when the host opened */
		return -1;
	/* A port serves one endpoint at a time, as a raw MIDI device does: a
	 * new incarnation of test:NAME-P is refused while the old one holds
	 * the port (the host detaches the old one first). */
	const char *dash = strrchr(s->info.id, '-');
	unsigned number = dash ? (unsigned)strtoul(dash + 1, NULL, 10) : 0;
	if (number < 1 || number > MAX_PORTS || t->port[number])
		return -1;
	struct tport *p = calloc(1, sizeof *p);
	if (!p)
		return -1;
	midi_device_decl_init(&p->decl, s->info.transport_name);
	p->h = h;
	p->ep = ep;
	p->number = number;
	t->port[number] = p;
	host_ep_set_priv(ep, p);
	return 0;
}

static void test_detach(struct host *h, struct host_ep *ep)
{
	struct thost *t = host_priv(h);
	struct tport *p = host_ep_priv(ep);
	if (p && t && t->port[p->number] == p)
		t->port[p->number] = NULL;
	free(p);
	host_ep_set_priv(ep, NULL);
}

static void flush_out(struct tport *p)
{
	if (p->nout)
		host_emit(p->h, p->ep, p->out, p->tags, p->nout);
	p->nout = 0;
}

static int collect(void *ctx, const midi_ump *u)
{
	struct tport *p = ctx;
	if (p->nout == sizeof p->out / sizeof *p->out)
		flush_out(p);
	p->out[p->nout] = (midi_packet){0, *u};
	p->tags[p->nout++] = p->tag;
	return 0;
}

static size_t test_input(struct host *h, struct host_ep *ep, const midi_packet *in,
			 const uint32_t *tags, size_t n)
{
	struct thost *t = host_priv(h);
	struct tport *p = host_ep_priv(ep);
	if (!p)
		return n;
	size_t take = n;
	if (t->dev.rate && take > t->tokens)
		take = (size_t)t->tokens;
	for (size_t k = 0; k < take; k++) {
		if (midi_ump_mt(&in[k].ump) == MIDI_MT_STREAM) {
			p->tag = tags[k]; /* replies to the asker only */
			midi_responder_put(&p->decl, &in[k].ump, collect, p);
			continue;
		}
		if (t->dev.lose && ++p->taken % t->dev.lose == 0) {
			host_ep_lost(ep, 1);
			continue;
		}
		p->tag = 0; /* the thru: every client */
		collect(p, &in[k].ump);
	}
	flush_out(p);
	if (t->dev.rate)
		t->tokens -= take;
	return take;
}

const struct midi_transport transport_test = {
	.name = "test",
	.host_open = test_host_open,
	.host_close = test_host_close,
	.host_attach = test_attach,
	.host_detach = test_detach,
	.host_input = test_input,
	.agent_wanted = test_wanted,
	.agent_open = test_agent_open,
	.agent_close = test_agent_close,
	.discoverable = 1,
};

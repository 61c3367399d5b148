/* seqping: owns the ALSA sequencer side of the VM benchmarks of the alsa
 * transport (tests/vm/guest-export.sh, bench/bench_usbvm.sh): a plain
 * sequencer client, the baseline the bridge is compared with.
 *
 *   seqping rt SEND RECV COUNT INTERVAL_MS
 *       Note On events (numbered by note and velocity) to port SEND, one
 *       every INTERVAL_MS ms, each awaited from port RECV (round trip).
 *       Prints count, received, latency_us {min, median, p99, max} and
 *       seconds as JSON, like rawping and midi-loop test --json.
 *   seqping times RECV COUNT INTERVAL_MS TIMEOUT_S
 *       Waits for COUNT Note On events from RECV and prints how far the
 *       intervals between their arrivals were from INTERVAL_MS:
 *       count, received, interval_error_us {median, p99, max} as JSON.
 *       Prints "ready" on standard error once subscribed.
 *
 * Ports are "CLIENT:PORT" as aconnect takes them (names or numbers).
 * Exit status 0 when every event came. Build: cc -O2 seqping.c -lasound. */
#include <alsa/asoundlib.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static snd_seq_t *seq;
static int me;

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void addr(const char *s, snd_seq_addr_t *a)
{
	if (snd_seq_parse_address(seq, a, s) < 0) {
		fprintf(stderr, "seqping: no sequencer port %s\n", s);
		exit(1);
	}
}

/* The next Note On's number (note + 128 * (velocity - 1)), or -1 after ms. */
static long next_note(int ms)
{
	double end = now_us() + ms * 1e3;
	for (;;) {
		snd_seq_event_t *ev;
		for (;;) {
			int r = snd_seq_event_input(seq, &ev);
			if (r < 0)
				break; /* -EAGAIN: nothing more now */
			if (ev->type == SND_SEQ_EVENT_NOTEON && ev->data.note.velocity)
				return ev->data.note.note + 128L * (ev->data.note.velocity - 1);
		}
		int left = (int)((end - now_us()) / 1e3);
		if (left <= 0)
			return -1;
		struct pollfd p[4];
		int n = snd_seq_poll_descriptors(seq, p, 4, POLLIN);
		poll(p, (nfds_t)n, left);
	}
}

static void stats(const char *what, double *v, long n, long want)
{
	qsort(v, n, sizeof *v, cmp);
	printf("{\"count\":%ld,\"received\":%ld,\"%s\":", want, n, what);
	if (n)
		printf("{\"min\":%.1f,\"median\":%.1f,\"p99\":%.1f,\"max\":%.1f}", v[0], v[n / 2],
		       v[(n * 99 + 99) / 100 - 1], v[n - 1]);
	else
		printf("null");
}

int main(int argc, char **argv)
{
	if (argc < 5 || (strcmp(argv[1], "rt") != 0 && strcmp(argv[1], "times") != 0)) {
		fprintf(stderr, "usage: seqping rt SEND RECV COUNT INTERVAL_MS\n"
				"       seqping times RECV COUNT INTERVAL_MS TIMEOUT_S\n");
		return 2;
	}
	if (snd_seq_open(&seq, "default", SND_SEQ_OPEN_DUPLEX, SND_SEQ_NONBLOCK) < 0) {
		fprintf(stderr, "seqping: no ALSA sequencer\n");
		return 1;
	}
	snd_seq_set_client_name(seq, "seqping");
	me = snd_seq_create_simple_port(seq, "seqping",
					SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_WRITE |
						SND_SEQ_PORT_CAP_SUBS_WRITE,
					SND_SEQ_PORT_TYPE_APPLICATION);
	snd_seq_addr_t in, out;
	int times = strcmp(argv[1], "times") == 0;
	addr(argv[times ? 2 : 3], &in);
	if (snd_seq_connect_from(seq, me, in.client, in.port) < 0) {
		fprintf(stderr, "seqping: cannot subscribe to %s\n", argv[times ? 2 : 3]);
		return 1;
	}
	long n = atol(argv[times ? 3 : 4]), gap = atol(argv[times ? 4 : 5]);
	if (n < 2 || n > 128 * 127 || gap < 0)
		return 2;
	double *v = calloc((size_t)n, sizeof *v);
	if (times) {
		fprintf(stderr, "ready\n");
		int limit = atoi(argv[5]) * 1000;
		double last = 0;
		long got = 0, k = 0;
		while (got < n && next_note(got ? 2000 : limit) >= 0) {
			double t = now_us();
			if (got++)
				v[k++] = fabs(t - last - gap * 1e3);
			last = t;
		}
		stats("interval_error_us", v, k, n - 1);
		printf("}\n");
		return got == n ? 0 : 1;
	}
	addr(argv[2], &out);
	if (snd_seq_connect_to(seq, me, out.client, out.port) < 0) {
		fprintf(stderr, "seqping: cannot subscribe to %s\n", argv[2]);
		return 1;
	}
	long recv = 0;
	double t0 = now_us(), last = t0;
	for (long k = 0; k < n; k++) {
		snd_seq_event_t ev;
		snd_seq_ev_clear(&ev);
		snd_seq_ev_set_source(&ev, me);
		snd_seq_ev_set_subs(&ev);
		snd_seq_ev_set_direct(&ev);
		snd_seq_ev_set_noteon(&ev, 0, k % 128, 1 + k / 128);
		double sent = now_us();
		if (snd_seq_event_output_direct(seq, &ev) < 0)
			break;
		long got;
		while ((got = next_note(2000)) >= 0 && got != k)
			;
		if (got < 0)
			break;
		last = now_us();
		v[recv++] = last - sent;
		struct timespec d = {gap / 1000, gap % 1000 * 1000000};
		nanosleep(&d, NULL);
	}
	stats("latency_us", v, recv, n);
	printf(",\"seconds\":%.3f}\n", (last - t0) / 1e6);
	return recv == n ? 0 : 1;
}

/* rawping: owns the ALSA baseline of the VM benchmarks (tests/vm/guest.sh,
 * bench/bench_usbvm.sh). It sends numbered 8-byte SysEx messages
 * F0 7D 7E SS SS SS SS F7 through a raw MIDI device file (the kernel's
 * snd-usb-audio card of the USB MIDI 1.0 gadget, whose gadget side echoes)
 * and matches them as they come back, as midi-loop test does through the
 * project:
 *
 *   rawping DEVICE COUNT INTERVAL_MS [WINDOW]
 *
 * INTERVAL_MS > 0: one message every INTERVAL_MS ms, each awaited (round
 * trip); 0: as fast as WINDOW (default 8) messages in flight allow
 * (throughput). Waits at most 2 s for a reply. First a warm-up message
 * (number 0xFFFFFFF, not counted) is sent until one comes back: the
 * kernel starts reading a raw MIDI input only once it is polled or read,
 * and a reply that comes before is lost. Prints one JSON object:
 * count, received, latency_us {min, median, p99, max} and seconds.
 * Exit status 0 when every message came back. Build: cc -O2. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static int fd;
static unsigned char msg[8], got = 0;

/* Read what is there (waiting up to ms); return the number of a complete
 * test message, or -1. */
static long next_reply(int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	unsigned char c;
	while (poll(&p, 1, ms) > 0 && read(fd, &c, 1) == 1) {
		if (c == 0xF0)
			got = 0;
		if (got < sizeof msg)
			msg[got++] = c;
		if (c == 0xF7 && got == 8 && msg[1] == 0x7D && msg[2] == 0x7E)
			return (long)msg[3] << 21 | msg[4] << 14 | msg[5] << 7 | msg[6];
		if (got)
			ms = 2000; /* finish a message once begun */
	}
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: rawping DEVICE COUNT INTERVAL_MS [WINDOW]\n");
		return 2;
	}
	long n = atol(argv[2]), gap = atol(argv[3]), win = argc > 4 ? atol(argv[4]) : 8, sent = 0, recv = 0;
	double *sent_at = calloc(n, sizeof *sent_at), *lat = calloc(n, sizeof *lat);
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || !sent_at || !lat || n < 1) {
		perror(argv[1]);
		return 1;
	}
	static const unsigned char warm[8] = {0xF0, 0x7D, 0x7E, 0x7f, 0x7f, 0x7f, 0x7f, 0xF7};
	for (int i = 0; i < 10; i++)
		if (write(fd, warm, sizeof warm) != sizeof warm || next_reply(1000) == 0xFFFFFFF)
			break;
	double t0 = now_us(), last = t0;
	while (recv < n) {
		if (sent < n && sent - recv < (gap ? 1 : win)) {
			unsigned char m[8] = {0xF0, 0x7D, 0x7E, sent >> 21 & 0x7f, sent >> 14 & 0x7f,
					      sent >> 7 & 0x7f, sent & 0x7f, 0xF7};
			sent_at[sent] = now_us();
			if (write(fd, m, sizeof m) != sizeof m) {
				perror("write");
				break;
			}
			sent++;
			continue;
		}
		long k = next_reply(2000);
		if (k < 0)
			break; /* a message did not come back within 2 s */
		if (k >= sent)
			continue; /* a late warm-up reply */
		double t = now_us();
		lat[recv++] = t - sent_at[k];
		last = t;
		if (gap && recv < n) {
			struct timespec d = {gap / 1000, gap % 1000 * 1000000};
			nanosleep(&d, NULL);
		}
	}
	qsort(lat, recv, sizeof *lat, cmp);
	printf("{\"count\":%ld,\"received\":%ld,\"latency_us\":", n, recv);
	if (recv)
		printf("{\"min\":%.1f,\"median\":%.1f,\"p99\":%.1f,\"max\":%.1f}", lat[0], lat[recv / 2],
		       lat[(recv * 99 + 99) / 100 - 1], lat[recv - 1]);
	else
		printf("null");
	printf(",\"seconds\":%.3f}\n", (last - t0) / 1e6);
	return recv == n ? 0 : 1;
}

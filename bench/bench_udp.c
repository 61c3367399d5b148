/* bench_udp.c: the baseline of the Network MIDI 2.0 benchmark
 * (bench/bench_net.sh): a plain UDP ping-pong on 127.0.0.1 between two
 * processes, both waiting in poll(2), 16-byte datagrams.
 *   bench_udp                 JSON (bench/run.sh): round trip at a 2 ms gap
 *                             and throughput with 32 in flight
 *   bench_udp gap MS N        "p50 p99" of N round trips MS apart (us)
 *   bench_udp flood N WINDOW  messages per second, WINDOW in flight */
#include "bench.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXN 100000

static int sock_on(struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof *a;
	if (fd < 0 || bind(fd, (struct sockaddr *)a, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)a, &len) < 0) {
		perror("udp");
		exit(1);
	}
	return fd;
}

/* A child that echoes every datagram to where it came from. */
static pid_t echo(struct sockaddr_in *at)
{
	int fd = sock_on(at);
	pid_t pid = fork();
	if (pid == 0) {
		char m[64];
		struct sockaddr_in from;
		for (;;) {
			struct pollfd pf = {.fd = fd, .events = POLLIN};
			poll(&pf, 1, -1);
			socklen_t len = sizeof from;
			ssize_t n = recvfrom(fd, m, sizeof m, 0, (struct sockaddr *)&from, &len);
			if (n > 0)
				sendto(fd, m, (size_t)n, 0, (struct sockaddr *)&from, len);
		}
	}
	close(fd);
	return pid;
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000L};
	if (us > 0)
		nanosleep(&ts, NULL);
}

static int gap(int ms, int n, double *p50, double *p99)
{
	static uint64_t v[MAXN];
	struct sockaddr_in peer, me;
	pid_t pid = echo(&peer);
	int fd = sock_on(&me);
	char m[16] = {0};
	for (int i = -20; i < n; i++) {
		sleep_us(ms * 1000L);
		uint64_t t0 = bench_now_ns();
		sendto(fd, m, sizeof m, 0, (struct sockaddr *)&peer, sizeof peer);
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 2000) != 1 || recv(fd, m, sizeof m, 0) != sizeof m)
			return -1;
		if (i >= 0)
			v[i] = bench_now_ns() - t0;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
	qsort(v, (size_t)n, sizeof *v, bench_cmp_u64);
	*p50 = v[n / 2] / 1e3;
	*p99 = v[n * 99 / 100] / 1e3;
	return 0;
}

static double flood(int n, int window)
{
	struct sockaddr_in peer, me;
	pid_t pid = echo(&peer);
	int fd = sock_on(&me);
	char m[16] = {0};
	int sent = 0, got = 0;
	uint64_t t0 = bench_now_ns();
	while (got < n) {
		while (sent < n && sent - got < window) {
			sendto(fd, m, sizeof m, 0, (struct sockaddr *)&peer, sizeof peer);
			sent++;
		}
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 1000) != 1)
			sent = got; /* lost: send again */
		else if (recv(fd, m, sizeof m, 0) == sizeof m)
			got++;
	}
	double s = (bench_now_ns() - t0) / 1e9;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
	return n / s;
}

int main(int argc, char **argv)
{
	double p50, p99;
	if (argc == 4 && !strcmp(argv[1], "gap")) {
		int n = atoi(argv[3]);
		if (n < 1 || n > MAXN || gap(atoi(argv[2]), n, &p50, &p99) < 0)
			return 1;
		printf("%.2f %.2f\n", p50, p99);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "flood")) {
		printf("%.1f\n", flood(atoi(argv[2]), atoi(argv[3])));
		return 0;
	}
	if (gap(2, 300, &p50, &p99) < 0)
		return 1;
	double rate = flood(20000, 32);
	printf("{\"bench\":\"udp_baseline\",\"results\":[{\"name\":\"udp_pingpong_2ms_gap\",\"unit\":\"us\","
	       "\"p50\":%.2f,\"p99\":%.2f},{\"name\":\"udp_throughput_window_32\",\"unit\":\"messages/s\","
	       "\"value\":%.1f}]}\n", p50, p99, rate);
	return 0;
}

/* rtprio.c: real-time scheduling for the hosts of devices (transport.h,
 * midi_transport.realtime) and for the scheduler (schedhost.c: what it
 * holds is due at a time, whatever else the machine does), best effort.
 * What a device sends reaches the host through kernel buffers that do
 * not wait for it (the ALSA sequencer's input pool drops events when full,
 * and snd-virmidi then stops dispatching; a raw MIDI device's 4 KiB buffer
 * overruns): a host
 * that a busy machine leaves waiting for tens of milliseconds loses data,
 * and its wake-ups add jitter to every message. So the host asks for
 * SCHED_FIFO at $MIDI_RT_PRIORITY (default RT_DEFAULT_PRIO, 0 = do not
 * ask), within RLIMIT_RTPRIO when not privileged (pam_limits gives the
 * audio group one on most distributions); refused, it asks for a lower
 * nice value within RLIMIT_NICE (RT_NICE at most); refused again, it runs
 * as it is. SCHED_RESET_ON_FORK: nothing it starts inherits the priority.
 * The hosts never spin for long (host.c: 20 us, only with two CPUs or
 * more), and the kernel's real-time throttling keeps 5% of each CPU for
 * everything else. */
#include "broker/broker.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>

#define RT_DEFAULT_PRIO 10
#define RT_NICE (-10)

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

int broker_rt_priority(void)
{
	const char *s = getenv("MIDI_RT_PRIORITY");
	if (!s || !*s)
		return RT_DEFAULT_PRIO;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 99)
		return RT_DEFAULT_PRIO; /* a helper has no terminal to say so */
	return (int)v;
}

static int set_fifo(int prio)
{
	struct sched_param sp = {.sched_priority = prio};
	return sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp);
}

int broker_realtime(void)
{
	int prio = broker_rt_priority();
	if (prio == 0)
		return BROKER_RT_NONE;
	if (set_fifo(prio) == 0)
		return BROKER_RT_FIFO;
	struct rlimit rl;
	if (errno == EPERM && getrlimit(RLIMIT_RTPRIO, &rl) == 0 && rl.rlim_cur > 0) {
		if (rl.rlim_cur < (rlim_t)prio)
			prio = (int)rl.rlim_cur;
		if (set_fifo(prio) == 0)
			return BROKER_RT_FIFO;
	}
	/* RLIMIT_NICE: the lowest nice value allowed is 20 - rlim_cur. */
	int want = RT_NICE;
	if (getrlimit(RLIMIT_NICE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 40 &&
	    20 - (int)rl.rlim_cur > want)
		want = 20 - (int)rl.rlim_cur;
	errno = 0;
	int now = getpriority(PRIO_PROCESS, 0);
	if (errno == 0 && want < now && setpriority(PRIO_PROCESS, 0, want) == 0)
		return BROKER_RT_NICE;
	return BROKER_RT_NONE;
}

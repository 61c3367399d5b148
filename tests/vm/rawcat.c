/* rawcat: owns the far-side reader of the rawmidi VM checks
 * (tests/vm/guest-rawmidi.sh). It reads a raw MIDI device file with a
 * 1 MiB kernel buffer (the default is 4 KiB, and inside snd-virmidi's
 * path through the sequencer nothing slows a writer down: what does not
 * fit is dropped, and this emulated CPU may not run the reader for a
 * while) and copies what comes to standard output:
 *
 *   rawcat DEVICE BYTES
 *
 * until BYTES bytes came or nothing came for 30 s. Exit status 0 when
 * BYTES came. Build: cc -O2 (kernel headers only). */
#include <fcntl.h>
#include <poll.h>
#include <sound/asound.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: rawcat DEVICE BYTES\n");
		return 2;
	}
	long want = atol(argv[2]), got = 0;
	int fd = open(argv[1], O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	struct snd_rawmidi_params p;
	memset(&p, 0, sizeof p);
	p.stream = SNDRV_RAWMIDI_STREAM_INPUT;
	p.buffer_size = 1 << 20;
	p.avail_min = 1;
	if (ioctl(fd, SNDRV_RAWMIDI_IOCTL_PARAMS, &p) < 0)
		perror("SNDRV_RAWMIDI_IOCTL_PARAMS");
	char buf[65536];
	while (got < want) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 30000) <= 0)
			break;
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			continue;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 1;
		fflush(stdout);
		got += n;
	}
	return got >= want ? 0 : 1;
}

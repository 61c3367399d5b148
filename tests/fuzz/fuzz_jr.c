/* fuzz_jr.c: JR timestamps (jr/jr.h) with hostile input: random packets and
 * arrival times through a receiver (jr_rx_filter), and random sends through
 * a sender (jr_tx_expand) whose output goes on to the receiver. Checks: no
 * crash; a receiver keeps exactly the packets that are not JR messages, in
 * order, never with a time later than they arrived; a sender's output is
 * its input in order with only JR Clocks and Timestamps added, at most
 * two before each packet, each carrying the packet's time.
 *
 * Input: records of 13 bytes: byte 0 (bit 0: through the sender first;
 * bits 1-7: the time step, scaled), 4 bytes of word 0 of a packet, 8 bytes
 * of arrival jitter (low 24 bits used, ns). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jr/jr.h"

static void must(int cond)
{
	if (!cond)
		abort();
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jr_tx tx = {0};
	struct jr_rx rx = {0};
	uint64_t t = 1000000000ull;
	for (size_t off = 0; off + 13 <= size; off += 13) {
		const uint8_t *r = data + off;
		t += (uint64_t)(r[0] >> 1) * 3000000ull; /* up to 0.38 s a step */
		uint64_t jitter = (le32(r + 5) & 0xFFFFFF) * 4ull;
		midi_packet in[2] = {{0, midi_ump_make(le32(r + 1), 0, 0, 0)},
				     {0, midi_ump_make(0x20903C64, 0, 0, 0)}};
		midi_packet out[6], keep[6];
		size_t n = 2;
		if (r[0] & 1) {
			n = jr_tx_expand(&tx, in, 2, t, out);
			must(n >= 2 && n <= 6);
			size_t k = 0, added = 0;
			if (tx.app) /* a JR message in the input: passed as it is */
				must(n == 2);
			/* Otherwise the input has no JR message: every one in the
			 * output was added, at most two before a packet. */
			for (size_t j = 0; j < n; j++) {
				if (!tx.app && jr_is_jr(&out[j].ump)) {
					must(++added <= 2);
					must(out[j].time_ns == 0);
					continue;
				}
				must(k < 2 && out[j].ump.w[0] == in[k].ump.w[0]);
				k++;
				added = 0;
			}
			must(k == 2);
		} else {
			memcpy(out, in, sizeof in);
		}
		for (size_t j = 0; j < n; j++)
			out[j].time_ns = t + jitter;
		memcpy(keep, out, n * sizeof *out);
		size_t m = jr_rx_filter(&rx, out, n);
		size_t k = 0;
		for (size_t j = 0; j < n; j++) {
			if (jr_is_jr(&keep[j].ump))
				continue;
			must(k < m);
			must(out[k].ump.w[0] == keep[j].ump.w[0]);
			must(out[k].time_ns <= keep[j].time_ns);
			k++;
		}
		must(k == m);
	}
	return 0;
}

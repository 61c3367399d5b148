/* fuzz_smf.c: libFuzzer target for the Standard MIDI File reader: any
 * input either parses (events in non-decreasing time, each a non-empty
 * byte string) or fails with an error message; the UMP conversion agrees
 * on success or failure. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "midi/smf.h"

struct st {
	uint64_t last_ns, last_tick;
	size_t n;
};

static int on_ev(void *ctx, const midi_smf_event *ev)
{
	struct st *s = ctx;
	if (ev->len == 0 || ev->time_ns < s->last_ns || ev->tick < s->last_tick)
		abort();
	volatile uint8_t x = ev->data[ev->len - 1];
	(void)x;
	s->last_ns = ev->time_ns;
	s->last_tick = ev->tick;
	s->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st s = {0};
	midi_error e;
	midi_error_clear(&e);
	int rc = midi_smf_parse(data, size, on_ev, &s, &e);
	if (rc < 0 && e.msg[0] == 0)
		abort();
	midi_packet *pk = NULL;
	size_t n = 0;
	int rc2 = midi_smf_to_ump(data, size, 1, &pk, &n, &e);
	if ((rc == 0) != (rc2 == 0))
		abort();
	for (size_t i = 1; i < n; i++)
		if (pk[i].time_ns < pk[i - 1].time_ns)
			abort();
	free(pk);
	return 0;
}

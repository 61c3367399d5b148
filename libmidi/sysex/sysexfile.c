/* sysexfile.c: .syx images (midi_syx_split, midi_syx_load) and hex byte
 * arguments (midi_hex_bytes); see midi/sysexfile.h. */
#include "format/format_priv.h"
#include "midi/sysexfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

long midi_syx_split(const uint8_t *buf, size_t n, midi_syx_msg **msgs, midi_error *e)
{
	*msgs = NULL;
	if (n == 0)
		return midi_error_set(e, MIDI_ERR_INPUT, "byte 0: no SysEx message (the file is empty)");
	size_t count = 0, cap = 0, start = 0;
	int in = 0;
	midi_syx_msg *v = NULL;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = buf[i];
		if (!in) {
			if (b != 0xF0) {
				free(v);
				return midi_error_set(e, MIDI_ERR_INPUT,
						      "byte %zu: 0x%02X outside a SysEx message (expected F0)",
						      i, b);
			}
			in = 1;
			start = i;
			continue;
		}
		if (b < 0x80)
			continue;
		if (b != 0xF7) {
			free(v);
			return midi_error_set(e, MIDI_ERR_INPUT,
					      "byte %zu: 0x%02X inside the SysEx message that starts at "
					      "byte %zu (expected data 00-7F or F7)", i, b, start);
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			midi_syx_msg *nv = realloc(v, ncap * sizeof *nv);
			if (!nv) {
				free(v);
				return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
			}
			v = nv;
			cap = ncap;
		}
		v[count].off = start;
		v[count].len = i + 1 - start;
		count++;
		in = 0;
	}
	if (in) {
		free(v);
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "byte %zu: the SysEx message that starts at byte %zu has no F7 "
				      "(truncated)", n, start);
	}
	*msgs = v;
	return (long)count;
}

/* Read fd to its end into a malloc'd buffer. */
static int read_all(int fd, const char *name, uint8_t **out, size_t *len, midi_error *e)
{
	size_t n = 0, cap = 65536;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "%s: out of memory", name);
	for (;;) {
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return midi_error_set(e, MIDI_ERR_RUNTIME, "%s: out of memory", name);
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;
			free(buf);
			return midi_error_sys(e, err, "cannot read %s", name);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

int midi_syx_load(const char *path, midi_syx_file *f, midi_error *e)
{
	memset(f, 0, sizeof *f);
	int is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "standard input" : path;
	int fd = 0;
	if (!is_stdin) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return midi_error_sys(e, errno, "cannot open %s", path);
	}
	uint8_t *data = NULL;
	size_t len = 0;
	int r = read_all(fd, name, &data, &len, e);
	if (!is_stdin)
		close(fd);
	if (r < 0)
		return r;
	midi_error se = {0};
	midi_syx_msg *msgs;
	long count = midi_syx_split(data, len, &msgs, &se);
	if (count < 0) {
		free(data);
		return midi_error_set(e, se.code, "%s: %s", name, se.msg);
	}
	f->data = data;
	f->len = len;
	f->msgs = msgs;
	f->count = (size_t)count;
	return 0;
}

void midi_syx_file_free(midi_syx_file *f)
{
	free(f->data);
	free(f->msgs);
	memset(f, 0, sizeof *f);
}

static int is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == ',';
}

int midi_hex_bytes(const char *s, uint8_t *out, size_t cap, size_t *len, midi_error *e)
{
	size_t i = 0;
	while (s[i]) {
		if (is_sep(s[i])) {
			i++;
			continue;
		}
		/* One item: [0x] and an even number of hex digits. */
		size_t start = i, end = i, d = i;
		while (s[end] && !is_sep(s[end]))
			end++;
		if (s[d] == '0' && (s[d + 1] == 'x' || s[d + 1] == 'X'))
			d += 2;
		size_t k = d;
		while (k < end && hexval(s[k]) >= 0)
			k++;
		if (k != end || k == d || (k - d) % 2) {
			int w = end - start > 16 ? 16 : (int)(end - start);
			return midi_error_set(e, MIDI_ERR_INPUT,
					      "column %zu: '%.*s' is not hex bytes (expected pairs of hex "
					      "digits, e.g. F0 7E or F07E)", start + 1, w, s + start);
		}
		for (; d < end; d += 2) {
			if (*len >= cap)
				return midi_error_set(e, MIDI_ERR_INPUT, "column %zu: more than %zu bytes",
						      d + 1, cap);
			out[(*len)++] = (uint8_t)(hexval(s[d]) << 4 | hexval(s[d + 1]));
		}
		i = end;
	}
	return 0;
}

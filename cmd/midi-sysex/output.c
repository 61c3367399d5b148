/* output.c: where captured and requested SysEx goes: a .syx byte stream or
 * hex lines, on standard output or in a file; binary never goes to a
 * terminal (see sysex_cmd.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../cli.h"
#include "sysex_cmd.h"

int sx_parse_format(const char *s)
{
	if (!strcasecmp(s, "bin"))
		return SX_FMT_BIN;
	if (!strcasecmp(s, "hex"))
		return SX_FMT_HEX;
	return -1;
}

int sx_write_msg(FILE *out, enum sx_format fmt, const uint8_t *payload, size_t len)
{
	if (fmt == SX_FMT_HEX) {
		static const char digits[] = "0123456789ABCDEF";
		fputs("F0", out);
		for (size_t i = 0; i < len; i++) {
			char b[3] = {' ', digits[payload[i] >> 4], digits[payload[i] & 0xF]};
			fwrite(b, 1, 3, out);
		}
		fputs(" F7\n", out);
	} else {
		putc(0xF0, out);
		fwrite(payload, 1, len, out);
		putc(0xF7, out);
	}
	return ferror(out) ? -1 : 0;
}

FILE *sx_open_output(const char *path, enum sx_format *fmt, int tty_hex, int *status)
{
	int is_stdout = !path || !strcmp(path, "-");
	FILE *out = is_stdout ? stdout : fopen(path, "wb");
	if (!out) {
		midi_error e = {0};
		midi_error_sys(&e, errno, "cannot create %s", path);
		*status = cli_report(&e);
		return NULL;
	}
	int tty = isatty(fileno(out));
	if (*fmt == SX_FMT_DEFAULT)
		*fmt = tty && tty_hex ? SX_FMT_HEX : SX_FMT_BIN;
	if (*fmt == SX_FMT_BIN && tty) {
		if (!is_stdout)
			fclose(out);
		*status = cli_usage_error("refusing to write binary SysEx to a terminal: use -o FILE, "
					  "redirect standard output, or -f hex");
		return NULL;
	}
	return out;
}

int sx_close_output(FILE *out, const char *path)
{
	int is_stdout = out == stdout;
	int bad = fflush(out) != 0 || ferror(out);
	int err = errno;
	if (!is_stdout && fclose(out) != 0 && !bad) {
		bad = 1;
		err = errno;
	}
	if (bad && !(is_stdout && err == EPIPE)) {
		midi_error e = {0};
		midi_error_sys(&e, err, "writing %s", is_stdout ? "standard output" : path);
		return cli_report(&e);
	}
	return 0;
}

/* tui.c: the interactive monitor's loop: receives in batches, turns
 * messages into log lines (the text format, SysEx reassembled), counts
 * activity, reads keys and redraws at most about 30 times a second, then
 * restores the terminal and reports as line mode does. */
#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "midi/identity.h"
#include "midi/msg.h"
#include "ui.h"

#define BATCH 256
#define FRAME_NS 33000000ull     /* at most ~30 redraws a second */
#define RECV_SLICE_NS 20000000ull /* then look at keys and the screen */
#define SYX_SHOWN 16             /* SysEx bytes written out in the log line */

/* "grp 1 ch 10 cc 7 64" -> "cc 7 64": the log has columns for those. */
static const char *strip_address(const char *s)
{
	static const char *const words[] = {"grp ", "ch "};
	for (int i = 0; i < 2; i++) {
		size_t n = strlen(words[i]);
		if (strncmp(s, words[i], n) != 0)
			continue;
		const char *p = s + n;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == ' ')
			s = p + 1;
	}
	return s;
}

static struct mon_line *new_line(struct mon_ui *ui, const midi_packet *p)
{
	struct mon_line *ln = mon_log_add(&ui->log);
	ln->time_ns = p->time_ns ? p->time_ns : cli_now_ns();
	ln->ump = p->ump;
	ln->group = midi_ump_has_group(&p->ump) ? (uint8_t)midi_ump_group(&p->ump) : MON_NO_CHANNEL;
	ln->channel = midi_ump_is_channel_voice(&p->ump) ? (uint8_t)midi_ump_channel(&p->ump)
							  : MON_NO_CHANNEL;
	return ln;
}

static void sysex_line(struct mon_ui *ui, const midi_packet *p, unsigned kind, const uint8_t *d,
		       size_t n)
{
	struct mon_line *ln = new_line(ui, p);
	const uint8_t *bytes = d;
	size_t nb = n;
	size_t len;
	ln->sysex = (uint8_t)kind;
	if (kind == 8 && n > 0) {
		len = (size_t)snprintf(ln->text, sizeof ln->text, "syx8 stream %u", d[0]);
		bytes++;
		nb--;
	} else {
		len = (size_t)snprintf(ln->text, sizeof ln->text, "syx");
	}
	for (size_t i = 0; i < nb && i < SYX_SHOWN; i++)
		len += (size_t)snprintf(ln->text + len, sizeof ln->text - len, " %02X", bytes[i]);
	unsigned dev;
	midi_stream_identity id;
	snprintf(ln->text + len, sizeof ln->text - len, "%s (%zu bytes)%s", nb > SYX_SHOWN ? " ..." : "",
		 nb, kind == 7 && midi_identity_reply_parse(d, n, &dev, &id) == 0 ? " identity reply" : "");
	mon_log_keep(&ui->log, ln, d, n);
}

/* One packet the filter let through: zero or more log lines. */
static void log_packet(struct mon_ui *ui, const midi_packet *p)
{
	if (midi_ump_sysex_kind(&p->ump)) {
		unsigned group, kind;
		const uint8_t *d;
		size_t n;
		int r = midi_sysex_asm_put(&ui->sysex, &p->ump, &group, &kind, &d, &n);
		if (r == 1) {
			sysex_line(ui, p, kind, d, n);
		} else if (r < 0) {
			struct mon_line *ln = new_line(ui, p);
			char desc[96];
			midi_ump_describe(&p->ump, desc, sizeof desc);
			snprintf(ln->text, sizeof ln->text, "broken SysEx: %s", desc);
		}
		return;
	}
	rewind(ui->mem);
	midi_printer_put(ui->printer, p, ui->mem);
	fflush(ui->mem);
	long n = ftell(ui->mem);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof ui->membuf)
		n = sizeof ui->membuf - 1;
	ui->membuf[n] = 0;
	char *save = NULL;
	for (char *s = strtok_r(ui->membuf, "\n", &save); s; s = strtok_r(NULL, "\n", &save)) {
		struct mon_line *ln = new_line(ui, p);
		snprintf(ln->text, sizeof ln->text, "%s", strip_address(s));
	}
}

/* Receive what is waiting for a while. Returns 1 when more may be waiting. */
static int receive(struct mon_ui *ui)
{
	midi_packet buf[BATCH];
	const struct mon_tui_opts *o = ui->o;
	uint64_t t0 = cli_now_ns();
	for (;;) {
		midi_error e = {0};
		int n = midi_recv(o->conn, buf, BATCH, 0, &e);
		if (n < 0) {
			ui->closed = 1;
			ui->err = e;
			snprintf(ui->closed_msg, sizeof ui->closed_msg, "%s",
				 e.msg[0] ? e.msg : "the endpoint went away");
			ui->dirty = 1;
			return 0;
		}
		int away = o->reconnect && midi_conn_incarnation(o->conn) == 0;
		if (away != ui->away)
			ui->dirty = 1;
		ui->away = away;
		uint64_t lost = midi_conn_lost(o->conn);
		if (lost != ui->lost)
			ui->dirty = 1;
		ui->lost = lost;
		for (int i = 0; i < n && !ui->quit; i++) {
			const midi_packet *p = &buf[i];
			int ends = midi_ump_ends_message(&p->ump);
			if (ends) {
				ui->received++;
				mon_activity_add(&ui->act, &p->ump, p->time_ns ? p->time_ns : t0);
			}
			if (!midi_filter_match(&ui->filter, &p->ump))
				continue;
			log_packet(ui, p);
			if (ends && ++ui->shown == o->count)
				ui->quit = 1;
		}
		if (n > 0)
			ui->dirty = 1;
		if (n < BATCH || ui->quit)
			return 0;
		if (cli_now_ns() - t0 > RECV_SLICE_NS)
			return 1;
	}
}

static void colors(void)
{
	if (!has_colors())
		return;
	start_color();
	use_default_colors();
	init_pair(1, COLOR_GREEN, -1);
	init_pair(2, COLOR_YELLOW, -1);
	init_pair(3, COLOR_RED, -1);
	init_pair(4, COLOR_CYAN, -1);
}

/* Milliseconds to wait: until the next frame if one is due, the deadline,
 * a look every 100 ms while the endpoint is away; -1 = until input. */
static int wait_ms(struct mon_ui *ui, uint64_t now, uint64_t last_draw, int more)
{
	if (more)
		return 0;
	uint64_t until = UINT64_MAX;
	if (ui->dirty || mon_activity_fading(&ui->act, now))
		until = last_draw + FRAME_NS;
	if (ui->o->deadline && ui->o->deadline < until)
		until = ui->o->deadline;
	if (ui->away && now + 100000000ull < until)
		until = now + 100000000ull;
	if (until == UINT64_MAX)
		return -1;
	if (until <= now)
		return 0;
	return (int)((until - now + 999999) / 1000000);
}

static int run(struct mon_ui *ui, int fd)
{
	const struct mon_tui_opts *o = ui->o;
	uint64_t last_draw = 0;
	int more = 0, timed_out = 0;
	ui->dirty = 1;
	while (!ui->quit) {
		if (*o->stop_signal || cli_stop_pending())
			break;
		if (!ui->closed)
			more = receive(ui);
		int key;
		while (!ui->quit && (key = getch()) != ERR)
			mon_key(ui, key);
		uint64_t now = cli_now_ns();
		if (o->deadline && now >= o->deadline) {
			timed_out = 1;
			break;
		}
		if ((ui->dirty || mon_activity_fading(&ui->act, now)) && now - last_draw >= FRAME_NS) {
			mon_draw(ui, now);
			last_draw = now;
			ui->dirty = 0;
		}
		if (ui->quit)
			break;
		int ms = wait_ms(ui, now, last_draw, more);
		struct pollfd pfd[2] = {{.fd = 0, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		if (ppoll(pfd, ui->closed ? 1 : 2, ms < 0 ? NULL : &ts, o->waitmask) < 0 &&
		    errno != EINTR) {
			midi_error_sys(&ui->err, errno, "waiting for messages");
			ui->failed = 1;
			break;
		}
	}
	return timed_out;
}

int mon_tui_run(const struct mon_tui_opts *o)
{
	struct mon_ui ui;
	midi_error e = {0};
	int status = 0;

	memset(&ui, 0, sizeof ui);
	ui.o = o;
	ui.filter = o->filter;
	ui.sel = MON_NO_SEL;
	midi_sysex_asm_init(&ui.sysex);
	int fd = midi_conn_fd(o->conn, &e);
	if (fd < 0)
		return cli_report(&e);
	if (mon_log_init(&ui.log, MON_LOG_LINES, MON_SYSEX_BUDGET) < 0) {
		midi_error_sys(&e, ENOMEM, "allocating the monitor's log");
		return cli_report(&e);
	}
	ui.printer = midi_printer_new(MIDI_FMT_TEXT, 0, 0, &e);
	ui.mem = ui.printer ? fmemopen(ui.membuf, sizeof ui.membuf, "w") : NULL;
	if (!ui.mem) {
		if (ui.printer)
			midi_error_sys(&e, errno, "opening a memory stream for the monitor");
		status = cli_report(&e);
		goto out;
	}
	setlocale(LC_ALL, "");
	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		cli_warn("cannot start the interactive monitor on terminal type '%s'; use --no-tui",
			 getenv("TERM") ? getenv("TERM") : "(unset)");
		status = EXIT_RUNTIME;
		goto out;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	colors();

	int timed_out = run(&ui, fd);

	endwin();
	delscreen(scr);
	if (ui.closed || ui.failed)
		status = cli_report(&ui.err);
	if (ui.lost)
		cli_warn("lost %llu messages", (unsigned long long)ui.lost);
	if (!status && ui.lost)
		status = EXIT_LOST;
	if (!status && timed_out && o->count && ui.shown < o->count) {
		cli_warn("timed out with %llu of %lu messages", (unsigned long long)ui.shown, o->count);
		status = EXIT_TIMEOUT;
	}
out:
	if (ui.mem)
		fclose(ui.mem);
	midi_printer_free(ui.printer);
	midi_sysex_asm_free(&ui.sysex);
	mon_log_free(&ui.log);
	return status;
}

/* log.c - printing for the mains; the core only calls dbh_report. */
#include "dbhook/log.h"

#include "dbhook/config.h"
#include "dbhook/secrets.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *log_prog = "dbhook";

void dbh_log_init(const char *prog)
{
	log_prog = prog;
}

const char *dbh_log_prog(void)
{
	return log_prog;
}

void dbh_report(const struct dbh_reporter *r, enum dbh_level level,
		const char *fmt, ...)
{
	char text[4096], line[4096];
	va_list ap;

	if (!r || !r->emit)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	dbh_secrets_scrub(text);
	dbh_complete_commands(text, line, sizeof(line));
	r->emit(r->ctx, level, line);
}

void dbh_log_sanitize(const char *in, char *out, size_t outsz)
{
	size_t i = 0;

	if (outsz == 0)
		return;
	for (; *in && i + 1 < outsz; in++) {
		unsigned char c = (unsigned char)*in;

		out[i++] = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f
			       ? '?'
			       : (char)c;
	}
	out[i] = '\0';
	/* Every line the programs print passes here: the last gate. */
	dbh_secrets_scrub(out);
}

/* Colour only on a terminal, and never with NO_COLOR set (no-color.org). */
static const char *colour_of(FILE *f, const char *label)
{
	static int use = -1;

	if (use < 0) {
		use = isatty(fileno(f)) && !dbh_config()->no_color;
	}
	if (!use)
		return NULL;
	if (strcmp(label, "error") == 0)
		return "\033[1;31m";
	if (strcmp(label, "warning") == 0)
		return "\033[1;33m";
	if (strcmp(label, "hint") == 0)
		return "\033[36m";
	return NULL;
}

/* ---- the live line ---- */

static int live_shown; /* a live line is on the screen, unfinished */

/* A live line only on a terminal that is no CI log and can overwrite. */
static int live_ok(void)
{
	static int ok = -1;

	if (ok < 0) {
		const struct dbh_config *c = dbh_config();

		ok = isatty(STDOUT_FILENO) && !c->ci && !c->github_actions &&
		     !(c->term && strcmp(c->term, "dumb") == 0);
	}
	return ok;
}

/* The width the live line may use: the terminal's, less one column so
 * the cursor never wraps (\r must return to the line's own start). */
static int live_width(void)
{
	struct winsize ws;

	return ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1
		   ? ws.ws_col - 1
		   : 79;
}

/* Clears the live line before anything else is printed. Spaces, not an
 * escape sequence: plain on every terminal, and NO_COLOR stays true. */
static void end_live(void)
{
	if (live_shown) {
		printf("\r%*s\r", live_width(), "");
		fflush(stdout);
		live_shown = 0;
	}
}

/* One screen row, cut to the terminal's width so \r can rewrite it,
 * padded so it covers what the last one left. */
static void print_live(const char *line)
{
	char clean[4096];
	int width = live_width();

	dbh_log_sanitize(line, clean, sizeof(clean));
	clean[strcspn(clean, "\n")] = '\0';
	printf("\r%-*.*s", width, width, clean);
	fflush(stdout);
	live_shown = 1;
}

/* Prints `text` with `label` before each of its lines. */
static void print_lines(FILE *f, const char *label, const char *text)
{
	char clean[4096];
	const char *p = clean;
	const char *colour = colour_of(f, label);

	end_live();
	dbh_log_sanitize(text, clean, sizeof(clean));
	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		if (colour)
			fprintf(f, "%s: %s%s:\033[0m %.*s\n", log_prog, colour,
				label, len, p);
		else
			fprintf(f, "%s: %s: %.*s\n", log_prog, label, len, p);
		p += len;
		if (*p == '\n')
			p++;
	}
}

/* Where GitHub Actions annotations go: stdout, as the runner reads both
 * streams, unless stdout carries data (status --json). */
static FILE *annotations; /* NULL: stdout */

/* GitHub annotations are one line: newlines become %0A as the runner
 * expects, and % itself %25. */
static void print_escaped_to(FILE *f, const char *text)
{
	char clean[4096];
	const char *p;

	dbh_log_sanitize(text, clean, sizeof(clean));
	for (p = clean; *p; p++) {
		if (*p == '%')
			fputs("%25", f);
		else if (*p == '\n')
			fputs("%0A", f);
		else
			fputc(*p, f);
	}
}

/* Prints one INFO line. A line of its own (after a newline) that starts
 * like a CI command (GitHub's "::name::", "##[") is indented, so text from
 * outside, a folder name or a message, can never issue one. */
static void print_info(const char *line)
{
	char clean[4096];
	const char *p = clean;

	end_live();
	dbh_log_sanitize(line, clean, sizeof(clean));
	for (;;) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		if (strncmp(p, "::", 2) == 0 || strncmp(p, "##[", 3) == 0)
			fputs("  ", stdout);
		printf("%.*s\n", len, p);
		if (!nl)
			break;
		p = nl + 1;
	}
}

static int quiet_flag;

static void emit_print(void *ctx, enum dbh_level level, const char *line)
{
	(void)ctx;
	switch (level) {
	case DBH_INFO:
	case DBH_RESULT:
		if (!quiet_flag || level == DBH_RESULT) {
			print_info(line);
			fflush(stdout);
		}
		break;
	case DBH_NOTE:
		if (!quiet_flag)
			print_lines(stderr, "note", line);
		break;
	case DBH_LIVE:
	case DBH_STEP:
		if (quiet_flag)
			break;
		if (live_ok())
			print_live(line);
		else if (level == DBH_STEP)
			print_info(line);
		break;
	case DBH_WARN:
		print_lines(stderr, "warning", line);
		if (dbh_config()->github_actions) {
			FILE *f = annotations ? annotations : stdout;

			fputs("::warning::", f);
			print_escaped_to(f, line);
			fputc('\n', f);
		}
		break;
	}
}

/* GitHub's workflow commands: a property value also escapes ':' and
 * ','; the message only '%' and line ends. */
static void print_property(FILE *f, const char *text)
{
	char clean[1024];

	dbh_log_sanitize(text, clean, sizeof(clean));
	for (const char *p = clean; *p; p++) {
		if (*p == '%')
			fputs("%25", f);
		else if (*p == '\n')
			fputs("%0A", f);
		else if (*p == ':')
			fputs("%3A", f);
		else if (*p == ',')
			fputs("%2C", f);
		else
			fputc(*p, f);
	}
}

static void annotate_print(void *ctx, const struct dbh_annotation *a)
{
	FILE *f = annotations ? annotations : stdout;

	(void)ctx;
	if (!dbh_config()->github_actions)
		return;
	end_live();
	fflush(stdout);
	fprintf(f, "::%s file=", a->kind);
	print_property(f, a->file);
	fprintf(f, ",line=%d,title=", a->line);
	print_property(f, a->title);
	fputs("::", f);
	print_escaped_to(f, a->text);
	fputc('\n', f);
	fflush(f);
}

void dbh_report_annotation(const struct dbh_reporter *r,
			   const struct dbh_annotation *a)
{
	if (r && r->annotate)
		r->annotate(r->ctx, a);
}

struct dbh_reporter dbh_log_reporter(int quiet)
{
	struct dbh_reporter r = {emit_print, NULL, annotate_print};

	quiet_flag = quiet;
	return r;
}

void dbh_log_stdout_is_data(void)
{
	annotations = stderr;
}

static void print_annotation(const struct dbh_error *err)
{
	FILE *f = annotations ? annotations : stdout;

	fprintf(f, "::error title=%s::", log_prog);
	print_escaped_to(f, err->message);
	if (err->hint[0]) {
		fputs("%0A", f);
		print_escaped_to(f, err->hint);
	}
	fputc('\n', f);
}

void dbh_log_error(const struct dbh_error *err)
{
	end_live();
	fflush(stdout);
	print_lines(stderr, "error", err->message[0] ? err->message : "failed");
	if (err->where[0]) {
		char at[600];

		snprintf(at, sizeof(at), "at %s%s%s%s", err->where,
			 err->sqlstate[0] ? " (SQLSTATE " : "", err->sqlstate,
			 err->sqlstate[0] ? ")" : "");
		print_lines(stderr, "detail", at);
	} else if (err->sqlstate[0]) {
		char at[32];

		snprintf(at, sizeof(at), "SQLSTATE %s", err->sqlstate);
		print_lines(stderr, "detail", at);
	}
	if (err->detail[0])
		print_lines(stderr, "detail", err->detail);
	if (err->hint[0])
		print_lines(stderr, "hint", err->hint);
	if (dbh_config()->github_actions)
		print_annotation(err);
	fflush(stderr);
}

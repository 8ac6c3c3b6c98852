/* log.h - what reaches the terminal.
 *
 * The core reports progress through a struct dbh_reporter (a callback) and
 * failures through struct dbh_error; only the mains print, through the
 * functions here. Untrusted text (file names, server messages) has its
 * control characters neutralised before it is printed.
 */
#ifndef DBHOOK_LOG_H
#define DBHOOK_LOG_H

#include "dbhook/error.h"

enum dbh_level {
	DBH_INFO,   /* a progress line: stdout */
	DBH_RESULT, /* the outcome of a run: stdout, also when quiet */
	DBH_NOTE,   /* a remark worth seeing: stderr, "prog: note: " */
	DBH_WARN,   /* something is wrong but the run goes on: stderr */
	DBH_LIVE,   /* a live status line on a terminal, overwritten by the
		     * next line; nothing when not on one (CI, a file) */
	DBH_STEP    /* one step of a long run: a line of stdout, or on a
		     * terminal the live line */
};

/* A remark about one line of a file (a GitHub Actions annotation when
 * the run is on GitHub). */
struct dbh_annotation {
	const char *kind;  /* "error", "warning" or "notice" */
	const char *file;  /* relative to the working directory */
	int line;	   /* 1-based */
	const char *title; /* one short line */
	const char *text;  /* may span lines */
};

/* How the core reports progress. `emit` receives one line without the
 * trailing newline; it must not keep the pointer. `annotate`, when set,
 * receives remarks about a file's line (after the lines that say the
 * same in words). */
struct dbh_reporter {
	void (*emit)(void *ctx, enum dbh_level level, const char *line);
	void *ctx;
	void (*annotate)(void *ctx, const struct dbh_annotation *a);
};

/* Hands `a` to the reporter's annotate, when it has one. */
void dbh_report_annotation(const struct dbh_reporter *r,
			   const struct dbh_annotation *a);

/* Formats one line and hands it to the reporter (a NULL reporter or emit
 * discards it). */
void dbh_report(const struct dbh_reporter *r, enum dbh_level level,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The mains' side. dbh_log_init sets the program name used as prefix. */
void dbh_log_init(const char *prog);
const char *dbh_log_prog(void);

/* A reporter that prints: INFO and RESULT to stdout, NOTE/WARN to stderr
 * with the program's prefix. `quiet` drops INFO and NOTE lines: errors,
 * warnings and the outcome stay. */
struct dbh_reporter dbh_log_reporter(int quiet);

/* Prints "prog: error: …", then "prog: detail: …" and "prog: hint: …" for
 * each non-empty field (one prefix per line of a multi-line field). On
 * GitHub Actions (GITHUB_ACTIONS=true) also an ::error:: annotation. */
void dbh_log_error(const struct dbh_error *err);

/* Copies `in` to `out`, replacing control characters other than newline
 * and tab with '?', so a hostile file name or server message cannot drive
 * the terminal, and every registered secret with "***" (secrets.h): every
 * line printed passes here. */
void dbh_log_sanitize(const char *in, char *out, size_t outsz);

/* stdout carries data (status --json): GitHub Actions annotations go to
 * stderr instead, which the runner reads as well. */
void dbh_log_stdout_is_data(void);

#endif

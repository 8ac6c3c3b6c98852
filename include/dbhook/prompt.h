/* prompt.h - reading secrets: from the terminal with echo off, or from a
 * file descriptor for automation.
 *
 * Never from argv or the environment. Callers own the buffers and wipe
 * them (dbh_secret_wipe) when done; these functions wipe what they read
 * on failure.
 */
#ifndef DBHOOK_PROMPT_H
#define DBHOOK_PROMPT_H

#include <stddef.h>

#include "dbhook/error.h"

/* Writes `prompt` to /dev/tty, reads one line with echo off (ECHO and
 * ECHONL cleared, canonical editing kept), restores the terminal (also
 * when SIGINT, SIGTERM, SIGHUP, SIGQUIT or SIGTSTP arrive: the settings
 * are restored, then the signal is delivered as usual), and writes the
 * newline the user did not see. The line, without its newline, goes into
 * `buf` (bufsz - 1 bytes at most). Returns 0; DBH_EUSAGE with `err` set
 * when there is no terminal, on end of input, or when the line is too
 * long. */
int dbh_prompt_secret(const char *prompt, char *buf, size_t bufsz,
		      struct dbh_error *err);

/* Asks `question` on /dev/tty (echo on) and reads one line. Returns 1
 * for an answer starting with y or Y, 0 for anything else (an empty
 * line, end of input); DBH_EUSAGE is never returned: with no terminal
 * the answer is 0. */
int dbh_prompt_confirm(const char *question);

/* Writes a line of text to /dev/tty (e.g. "passwords do not match"); does
 * nothing when there is no terminal. */
void dbh_prompt_say(const char *text);

/* Reads one line from file descriptor `fd` (up to a newline or end of
 * input, without the newline and a CR before it), one byte at a time so
 * nothing after the line is consumed. `what` names the value in errors
 * ("the password"). An empty line, a read error or a line longer than
 * bufsz - 1 is DBH_EUSAGE. */
int dbh_read_secret_fd(int fd, const char *what, char *buf, size_t bufsz,
		       struct dbh_error *err);

/* Parses the N of --password-fd N: a file descriptor number that is open.
 * Returns it, or -1 with `err` set. */
int dbh_parse_fd(const char *arg, const char *opt, struct dbh_error *err);

#endif

/* handoff_probe.c - test driver for the hand-off (tests/t_handoff.sh).
 *
 *   handoff_probe DIR [-- WORDS...]
 *
 * Resolves the build command for project DIR, prints "source: ..." and
 * "command: ..." (or "command: none") to stdout, changes to DIR and execs
 * the command. With PROBE_BLOCK_SIGNALS set it first blocks every signal
 * and ignores SIGPIPE, which the hand-off must undo. Exit status: the
 * build's (it replaces this process), or the error's code after printing
 * it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbhook/error.h"
#include "dbhook/handoff.h"
#include "dbhook/log.h"

int main(int argc, char **argv)
{
	struct dbh_reporter rep;
	struct dbh_handoff h;
	struct dbh_error err;
	char **words = NULL;
	int n = 0, ret;

	dbh_log_init("handoff_probe");
	rep = dbh_log_reporter(0);
	if (argc < 2 || (argc > 2 && strcmp(argv[2], "--") != 0)) {
		fprintf(stderr, "usage: handoff_probe DIR [-- WORDS...]\n");
		return 2;
	}
	if (argc > 2) {
		words = argv + 3;
		n = argc - 3;
	}
	if (dbh_handoff_inside())
		printf("inside: yes\n");
	ret = dbh_handoff_resolve(n, words, argv[1], &rep, &h, &err);
	if (ret) {
		dbh_log_error(&err);
		dbh_handoff_release(&h);
		return ret;
	}
	printf("source: %s\n", h.source);
	printf("command: %s\n", h.argv ? h.display : "none");
	fflush(stdout);
	if (!h.argv) {
		dbh_handoff_release(&h);
		return 0;
	}
	if (chdir(argv[1]) != 0) {
		perror("handoff_probe: chdir");
		dbh_handoff_release(&h);
		return 2;
	}
	if (getenv("PROBE_BLOCK_SIGNALS")) {
		/* What a caller might leave behind: the hand-off undoes it. */
		sigset_t all;

		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		signal(SIGPIPE, SIG_IGN);
	}
	ret = dbh_handoff_exec(&h, &err);
	dbh_log_error(&err);
	dbh_handoff_release(&h);
	return ret;
}

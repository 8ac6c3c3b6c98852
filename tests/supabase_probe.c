/* supabase_probe.c - drives supabase.h from a real process, for
 * tests/t_supabase.sh only (not installed).
 *
 *   supabase_probe [-d DEADLINE_S] [-p POLL_S] status|restore|wait REF
 *
 * The API URL, token and request time-out come from the environment, as
 * dbh_supabase_init reads them. Prints the result on stdout, errors through
 * dbh_log_error, and exits with the call's exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbhook/clock.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/supabase.h"

static int usage(void)
{
	fprintf(stderr, "usage: supabase_probe [-d DEADLINE_S] [-p POLL_S] "
			"status|restore|wait REF\n");
	return DBH_EUSAGE;
}

int main(int argc, char **argv)
{
	struct dbh_supabase sb;
	struct dbh_reporter rep;
	struct dbh_error err;
	const char *cmd, *ref;
	int opt, rc;

	dbh_log_init("supabase_probe");
	dbh_error_clear(&err);
	dbh_supabase_init(&sb);
	rep = dbh_log_reporter(0);
	while ((opt = getopt(argc, argv, "d:p:")) != -1) {
		switch (opt) {
		case 'd':
			sb.deadline = dbh_now() + atof(optarg);
			break;
		case 'p':
			sb.poll_interval_s = atof(optarg);
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 2)
		return usage();
	cmd = argv[optind];
	ref = argv[optind + 1];
	if (strcmp(cmd, "status") == 0) {
		char status[64];

		rc =
		    dbh_supabase_status(&sb, ref, status, sizeof(status), &err);
		if (rc == 0)
			printf("%s\n", status);
	} else if (strcmp(cmd, "restore") == 0) {
		rc = dbh_supabase_restore(&sb, ref, &err);
		if (rc == 0)
			printf("restore requested\n");
	} else if (strcmp(cmd, "wait") == 0) {
		rc = dbh_supabase_wait_healthy(&sb, ref, &rep, &err);
		if (rc == 0)
			printf("healthy\n");
	} else {
		return usage();
	}
	if (rc)
		dbh_log_error(&err);
	return rc;
}

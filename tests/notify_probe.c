/* notify_probe.c - test driver for the webhook (tests/t_notify.sh).
 *
 *   notify_probe URL TIMEOUT [KEY=VALUE...]
 *
 * KEY is one of outcome, environment, project, commit, migration,
 * sqlstate, message, hint, applied; absent keys are NULL (applied: 0).
 * Sends the event, prints "sent to ORIGIN" or the error (dbh_log_error),
 * and exits with dbh_notify_send's code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/notify.h"

int main(int argc, char **argv)
{
	struct dbh_notify_event ev = {0};
	struct dbh_error err;
	char origin[300];
	int i, ret;

	dbh_log_init("notify_probe");
	if (argc < 3) {
		fprintf(stderr, "usage: notify_probe URL TIMEOUT "
				"[KEY=VALUE...]\n");
		return 2;
	}
	for (i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *v;

		if (!eq) {
			fprintf(stderr, "notify_probe: not KEY=VALUE: %s\n",
				argv[i]);
			return 2;
		}
		*eq = '\0';
		v = eq + 1;
		if (strcmp(argv[i], "outcome") == 0)
			ev.outcome = v;
		else if (strcmp(argv[i], "environment") == 0)
			ev.environment = v;
		else if (strcmp(argv[i], "project") == 0)
			ev.project = v;
		else if (strcmp(argv[i], "commit") == 0)
			ev.commit = v;
		else if (strcmp(argv[i], "migration") == 0)
			ev.migration = v;
		else if (strcmp(argv[i], "sqlstate") == 0)
			ev.sqlstate = v;
		else if (strcmp(argv[i], "message") == 0)
			ev.message = v;
		else if (strcmp(argv[i], "hint") == 0)
			ev.hint = v;
		else if (strcmp(argv[i], "applied") == 0)
			ev.applied = atoi(v);
		else {
			fprintf(stderr, "notify_probe: unknown key %s\n",
				argv[i]);
			return 2;
		}
	}
	ret = dbh_notify_send(argv[1], &ev, atof(argv[2]), &err);
	if (ret) {
		dbh_log_error(&err);
		return ret;
	}
	printf("sent to %s\n",
	       dbh_notify_origin(argv[1], origin, sizeof(origin)));
	return 0;
}

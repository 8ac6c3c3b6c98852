/* pooler_probe.c - test driver for the live pooler probe (tests/t_pooler.sh).
 *
 *   POOLER_PROBE_URL=postgresql://... pooler_probe [N]
 *
 * Takes the URL from the environment variable POOLER_PROBE_URL (never from
 * the command line), connects once with dbh_conn_open, runs
 * dbh_pooler_probe N times (default 1) on that connection and prints one
 * verdict per line: "none", "session" or "transaction". Exits 0, or with
 * the error's code after printing it (dbh_log_error).
 */
#include <stdio.h>
#include <stdlib.h>

#include "dbhook/clock.h"
#include "dbhook/conn.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/pooler.h"
#include "dbhook/url.h"

int main(int argc, char **argv)
{
	struct dbh_conninfo ci = {0};
	struct dbh_connect_opts co = {0};
	struct dbh_reporter rep;
	struct dbh_conn c;
	struct dbh_error err;
	const char *url = getenv("POOLER_PROBE_URL");
	char app[96];
	long n = 1;
	int ret;

	dbh_log_init("pooler_probe");
	dbh_error_clear(&err);
	if (argc > 2 || (argc == 2 && (n = strtol(argv[1], NULL, 10)) < 1)) {
		fprintf(stderr,
			"usage: POOLER_PROBE_URL=URL pooler_probe [N]\n");
		return 2;
	}
	if (!url || !*url) {
		fprintf(stderr, "pooler_probe: POOLER_PROBE_URL is not set\n");
		return 2;
	}
	rep = dbh_log_reporter(0);
	if (dbh_url_parse(url, &ci, &err)) {
		dbh_log_error(&err);
		return err.code;
	}
	co.app_name = dbh_app_name(app, sizeof(app));
	co.deadline = dbh_now() + 20;
	co.rep = &rep;
	ret = dbh_conn_open(&c, &ci, &co, &err);
	if (ret) {
		dbh_log_error(&err);
		dbh_conninfo_release(&ci);
		return ret;
	}
	for (long i = 0; i < n; i++) {
		enum dbh_pool mode;
		const char *name;

		ret = dbh_pooler_probe(&c, &co, &mode, &name, &err);
		if (ret) {
			dbh_log_error(&err);
			break;
		}
		printf("%s\n", mode == DBH_POOL_NONE	  ? "none"
			       : mode == DBH_POOL_SESSION ? "session"
							  : "transaction");
		fflush(stdout);
	}
	dbh_conn_close(&c);
	dbh_conninfo_release(&ci);
	return ret;
}

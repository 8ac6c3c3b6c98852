/* gate.c - see gate.h. */
#include "dbhook/gate.h"

#include <stdio.h>
#include <string.h>

#include "dbhook/config.h"
#include "dbhook/history.h"
#include "dbhook/url.h"

/* Why staging does not count migration `m` as done, or NULL when it
 * does. */
static const char *not_done(const struct dbh_history *h,
			    const struct dbh_migration *m)
{
	const struct dbh_hrow *row;

	switch (dbh_history_state(h, m->name, &row)) {
	case DBH_APPLIED:
		return strcmp(row->checksum, m->checksum) == 0
			   ? NULL
			   : "applied there from a different file (its "
			     "checksum differs: the file changed since)";
	case DBH_FAILED:
		return "failed there and is not resolved";
	default:
		return "not applied there";
	}
}

/* Lists what staging lacks in `err`; returns how many. */
static size_t refuse(const char *var, const struct dbh_history *h,
		     struct dbh_migration *const *ms, size_t n,
		     struct dbh_error *err)
{
	size_t bad = 0, used = 0;
	const char *first = NULL;

	for (size_t i = 0; i < n; i++) {
		const char *why = not_done(h, ms[i]);

		if (!why)
			continue;
		if (!first)
			first = ms[i]->name;
		bad++;
		if (used < sizeof(err->detail) - 200)
			used += (size_t)snprintf(
			    err->detail + used, sizeof(err->detail) - used,
			    "%s%s: %s.", used ? "\n" : "", ms[i]->name, why);
	}
	if (!bad)
		return 0;
	snprintf(err->message, sizeof(err->message),
		 "%zu of %zu pending migration%s %s not applied on the "
		 "database in %s: nothing was applied",
		 bad, n, n == 1 ? "" : "s", bad == 1 ? "is" : "are", var);
	err->code = DBH_EFAILED;
	dbh_error_hint(err,
		       "Deploy to that database first (the promotion gate, "
		       "--require-applied-on %s, lets through only what it "
		       "finished from the same files), then deploy here "
		       "again.",
		       var);
	return bad;
}

int dbh_gate_check(const char *var, struct dbh_migration *const *ms, size_t n,
		   const struct dbh_connect_opts *co,
		   const struct dbh_reporter *rep, struct dbh_error *err)
{
	const char *url = dbh_config_var(var);
	struct dbh_conninfo ci = {0};
	struct dbh_history h = {0};
	struct dbh_connect_opts go = *co;
	struct dbh_conn c;
	int ret;

	if (!url || !*url) {
		dbh_error_set(
		    err, DBH_EUSAGE,
		    "--require-applied-on %s: the variable is not set", var);
		dbh_error_hint(err,
			       "Set %s to the URL of the database that must "
			       "have applied the migrations first (staging), "
			       "or deploy without --require-applied-on.",
			       var);
		return DBH_EUSAGE;
	}
	if (dbh_url_parse(url, &ci, err)) {
		dbh_error_prefix(err, var);
		return DBH_EUSAGE;
	}
	go.rep = NULL; /* its retries are not production's */
	ret = dbh_conn_open(&c, &ci, &go, err);
	if (!ret) {
		ret = dbh_history_read(&c, &h, err);
		dbh_conn_close(&c);
	}
	if (ret) {
		char msg[sizeof(err->message)];

		/* Staging unreachable: nothing is known, nothing applied. */
		snprintf(msg, sizeof(msg), "%s", err->message);
		snprintf(err->message, sizeof(err->message),
			 "the promotion gate cannot read the database in "
			 "%.100s: %.300s",
			 var, msg);
	} else if (!refuse(var, &h, ms, n, err)) {
		dbh_report(rep, DBH_INFO,
			   "Promotion gate: the database in %s has applied "
			   "the %zu pending migration%s from the same files",
			   var, n, n == 1 ? "" : "s");
	} else {
		ret = DBH_EFAILED;
	}
	dbh_history_release(&h);
	dbh_conninfo_release(&ci);
	return ret;
}

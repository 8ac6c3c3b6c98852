/* vaultask.c - what the vault commands ask (see vaultask.h): the
 * password, the URL and a new password, from the terminal or from a file
 * descriptor, with the checks an answer must pass before anything is
 * stored (a URL deploy would refuse is refused here, not at `run`). */
#include "dbhook/vaultask.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dbhook/conn.h"
#include "dbhook/pooler.h"
#include "dbhook/prompt.h"
#include "dbhook/url.h"
#include "dbhook/wipe.h"

#define PW_MIN 8
#define TRIES 3

/* One line from file descriptor `fd` that may be empty (--rotate's "keep
 * the old one"): dbh_read_secret_fd refuses an empty line, as setup and
 * run must. Read one byte at a time, so the next answer on the same
 * descriptor stays unread. On a terminal, dbh_read_secret_fd reads with
 * echo off (an empty line is then refused: on a terminal, leave the -fd
 * options out and answer the prompts). Returns 0 (buf "" for an empty
 * line), or DBH_EUSAGE at end of input, on a read error or for a line
 * too long. */
static int read_fd_line(int fd, const char *what, char *buf, size_t bufsz,
			struct dbh_error *err)
{
	size_t len = 0;
	int any = 0, too_long = 0;

	if (isatty(fd))
		return dbh_read_secret_fd(fd, what, buf, bufsz, err);
	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pf = {fd, POLLIN, 0};

			poll(&pf, 1, -1);
			continue;
		}
		if (n < 0) {
			int e = errno;

			dbh_secret_wipe(buf, bufsz);
			return dbh_error_set(err, DBH_EUSAGE,
					     "cannot read %s from file "
					     "descriptor %d: %s",
					     what, fd, strerror(e));
		}
		if (n == 0 && !any) {
			dbh_secret_wipe(buf, bufsz);
			return dbh_error_set(
			    err, DBH_EUSAGE,
			    "no line for %s on file descriptor "
			    "%d (end of input)",
			    what, fd);
		}
		if (n == 0 || c == '\n')
			break;
		any = 1;
		if (len + 1 < bufsz)
			buf[len++] = c;
		else
			too_long = 1;
		c = 0;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (too_long) {
		dbh_secret_wipe(buf, bufsz);
		return dbh_error_set(err, DBH_EUSAGE,
				     "%s read from file descriptor %d is too "
				     "long (at most %zu bytes)",
				     what, fd, bufsz - 1);
	}
	return 0;
}

/* A password: from --password-fd (one line), else asked on the terminal
 * with `prompt`. An empty line is refused. */
int dbh_vault_ask_password(const struct dbh_vault_opts *o, const char *prompt,
			   char *pw, size_t pwsz, struct dbh_error *err)
{
	int ret;

	if (o->a->password_fd >= 0)
		return dbh_read_secret_fd(o->a->password_fd, "the password", pw,
					  pwsz, err);
	ret = dbh_prompt_secret(prompt, pw, pwsz, err);
	if (ret)
		dbh_error_hint(err,
			       "Run dbhook %s in a terminal, or give the "
			       "password on a file descriptor: --password-fd N",
			       o->cmd);
	return ret;
}

/* Reads and checks the URL: from --url-fd, or asked up to three times
 * on the terminal. Fills `ci` on success. With `keep` (--rotate), an
 * empty answer is no URL: 0 with url[0] == '\0' and `ci` untouched. */
int dbh_vault_ask_url(const struct dbh_vault_opts *o, int keep, char *url,
		      size_t urlsz, struct dbh_conninfo *ci,
		      const struct dbh_reporter *rep, struct dbh_error *err)
{
	char prompt[200];

	snprintf(prompt, sizeof(prompt),
		 keep ? "New direct database URL for profile \"%s\" (input "
			"hidden; empty keeps the stored one): "
		      : "Direct database URL for profile \"%s\" (input "
			"hidden): ",
		 o->profile);
	for (int i = 1;; i++) {
		int ret =
		    o->a->url_fd >= 0
			? (keep ? read_fd_line(o->a->url_fd, "the URL", url,
					       urlsz, err)
				: dbh_read_secret_fd(o->a->url_fd, "the URL",
						     url, urlsz, err))
			: dbh_prompt_secret(prompt, url, urlsz, err);

		if (!ret && keep && !url[0])
			return 0;
		if (ret) {
			if (o->a->url_fd < 0)
				dbh_error_hint(
				    err, "Run dbhook setup in a terminal, "
					 "or give the URL on a file "
					 "descriptor: --url-fd N");
			return ret;
		}
		ret = dbh_url_parse(url, ci, err);
		if (!ret) {
			/* What deploy would refuse (a transaction pooler) is
			 * refused now, not at the first `run`. */
			ret = dbh_refuse_pooled_url(ci, 0, err);
			if (!ret)
				return 0;
			dbh_conninfo_release(ci);
		}
		dbh_secret_wipe(url, urlsz);
		if (o->a->url_fd >= 0 || i == TRIES)
			return ret;
		dbh_log_error(err);
		dbh_report(rep, DBH_WARN, "try again (%d %s left)", TRIES - i,
			   TRIES - i == 1 ? "try" : "tries");
	}
}

/* Reads the new password: once from --password-fd, or twice on the
 * terminal until both agree (three tries). With `keep` (--rotate), an
 * empty answer is no new password: 0 with pw[0] == '\0'. */
int dbh_vault_ask_new_password(const struct dbh_vault_opts *o, int keep,
			       char *pw, size_t pwsz,
			       const struct dbh_reporter *rep,
			       struct dbh_error *err)
{
	char again[DBH_VAULT_PW_MAX + 1], prompt[200];
	int ret = 0;

	memset(again, 0, sizeof(again));
	snprintf(prompt, sizeof(prompt),
		 keep ? "New password for profile \"%s\" (input hidden; "
			"empty keeps the current one): "
		      : "New password for profile \"%s\" (input hidden): ",
		 o->profile);
	for (int i = 1; i <= TRIES; i++) {
		const char *why = NULL;

		if (o->a->password_fd >= 0) {
			ret = keep ? read_fd_line(o->a->password_fd,
						  "the new password", pw, pwsz,
						  err)
				   : dbh_read_secret_fd(o->a->password_fd,
							"the password", pw,
							pwsz, err);
		} else {
			ret = dbh_prompt_secret(prompt, pw, pwsz, err);
			if (!ret && keep && !pw[0])
				return 0;
			if (!ret && strlen(pw) >= PW_MIN)
				ret = dbh_prompt_secret(
				    "Repeat the password: ", again,
				    sizeof(again), err);
			if (ret)
				dbh_error_hint(
				    err, "Run dbhook setup in a terminal, "
					 "or give the password on a file "
					 "descriptor: --password-fd N");
		}
		if (ret)
			break;
		if (keep && !pw[0])
			return 0;
		if (strlen(pw) < PW_MIN)
			why = "the password is too short (at least 8 "
			      "characters)";
		else if (o->a->password_fd < 0 && strcmp(pw, again) != 0)
			why = "the passwords do not match";
		dbh_secret_wipe(again, sizeof(again));
		if (!why)
			return 0;
		dbh_secret_wipe(pw, pwsz);
		ret = dbh_error_set(err, DBH_EUSAGE, "%s", why);
		if (o->a->password_fd >= 0)
			break;
		if (i < TRIES)
			dbh_report(rep, DBH_WARN, "%s; try again (%d %s left)",
				   why, TRIES - i,
				   TRIES - i == 1 ? "try" : "tries");
		else
			dbh_error_hint(err,
				       "Nothing was stored. Run `dbhook "
				       "setup%s` again.",
				       keep ? " --rotate" : "");
	}
	dbh_secret_wipe(again, sizeof(again));
	return ret;
}

/* setup --check: connect with `ci` and make the live pooler check that
 * deploy makes. */
int dbh_vault_check_url(const struct dbh_conninfo *ci,
			const struct dbh_reporter *rep, struct dbh_error *err)
{
	struct dbh_conn c;
	struct dbh_connect_opts co = {0};
	char app[96], target[300];
	int ret;

	co.app_name = dbh_app_name(app, sizeof(app));
	co.rep = rep;
	ret = dbh_conn_open(&c, ci, &co, err);
	if (!ret) {
		/* The live pooler check deploy makes. */
		ret = dbh_check_pooler(&c, &co, rep, err);
		dbh_conn_close(&c);
	}
	if (ret) {
		char hint[sizeof(err->hint)];

		snprintf(hint, sizeof(hint), "%s", err->hint);
		dbh_error_hint(err, "%s%sNothing was stored.", hint,
			       hint[0] ? " " : "");
		return ret;
	}
	dbh_report(rep, DBH_INFO, "Connected to %s.",
		   dbh_conninfo_target(ci, target, sizeof(target)));
	return 0;
}

/* vaultask.h - what the vault commands ask: a password, the URL, a new
 * password, each from the terminal (echo off, a hint to use the -fd
 * option when there is none) or from the file descriptor of --password-fd
 * or --url-fd. Errors go to `err` (DBH_EUSAGE); the retries on the
 * terminal are reported through `rep`.
 */
#ifndef DBHOOK_VAULTASK_H
#define DBHOOK_VAULTASK_H

#include <stddef.h>

#include "dbhook/conninfo.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/vaultopts.h"

/* A password: from --password-fd (one line), else asked on the terminal
 * with `prompt`. An empty line is refused. */
int dbh_vault_ask_password(const struct dbh_vault_opts *o, const char *prompt,
			   char *pw, size_t pwsz, struct dbh_error *err);

/* Reads and checks the URL: from --url-fd, or asked up to three times
 * on the terminal. Fills `ci` on success. With `keep` (--rotate), an
 * empty answer is no URL: 0 with url[0] == '\0' and `ci` untouched. */
int dbh_vault_ask_url(const struct dbh_vault_opts *o, int keep, char *url,
		      size_t urlsz, struct dbh_conninfo *ci,
		      const struct dbh_reporter *rep, struct dbh_error *err);

/* Reads the new password: once from --password-fd, or twice on the
 * terminal until both agree (three tries). With `keep` (--rotate), an
 * empty answer is no new password: 0 with pw[0] == '\0'. */
int dbh_vault_ask_new_password(const struct dbh_vault_opts *o, int keep,
			       char *pw, size_t pwsz,
			       const struct dbh_reporter *rep,
			       struct dbh_error *err);

/* setup --check: connect with `ci` and make the live pooler check that
 * deploy makes. Prints "Connected to ..." through `rep`. */
int dbh_vault_check_url(const struct dbh_conninfo *ci,
			const struct dbh_reporter *rep, struct dbh_error *err);

#endif

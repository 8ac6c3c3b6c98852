#!/usr/bin/env bash
# TLS against the test server's certificate (scripts/test-db: a test CA, a
# server certificate for localhost and 127.0.0.1, an unrelated CA):
# sslmode=require, verify-full by name and by IP, a wrong CA (a TLS error,
# not retried), Prisma's sslcert meaning the CA, and the unencrypted
# warning for a remote host, with dbhook adding sslmode=require when the
# URL has no sslmode. Each deploy records what the server saw of its own
# session (pg_stat_ssl) in a table.
. "$(dirname "$0")/lib.sh"
need_db
if [ -z "${TEST_SSL_CA:-}" ] || [ ! -r "$TEST_SSL_CA" ] ||
	[ -z "${TEST_SSL_OTHER_CA:-}" ] || [ ! -r "$TEST_SSL_OTHER_CA" ]; then
	echo "not ok 1 - TEST_SSL_CA / TEST_SSL_OTHER_CA missing or unreadable: the test database was started without TLS (restart it with scripts/test-db start)"
	echo "1..1"
	exit 1
fi
# Only the URL decides.
unset PGSSLMODE PGSSLROOTCERT PGSSLCERT PGSSLKEY PGREQUIRESSL PGHOSTADDR \
	PGSSLCRL PGSSLMINPROTOCOLVERSION PGSERVICE

M=$WORK/m
mkmig "$M" 20240101000000_tls_seen \
	'CREATE TABLE tls_seen AS SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();'

# ssl_seen DB : t or f, as the server saw the migration's session.
ssl_seen() {
	admin "$1" "SELECT ssl FROM tls_seen" 2>/dev/null || echo "(no table)"
}

# trun CMD... : run, and ELAPSED = wall time in milliseconds.
trun() {
	local t0
	t0=$(date +%s%N)
	run "$@"
	ELAPSED=$((($(date +%s%N) - t0) / 1000000))
}

B="postgresql://$TEST_DB_USER:$TEST_DB_PASSWORD_ENC"
TLS_HINT='^dbhook: hint: The encryption settings do not match the server'

# deploy_ok NAME URL : a new database, deploy through URL: exit 0, and the
# session was encrypted.
deploy_ok() {
	local db
	db=$(newdb)
	export DATABASE_URL_DIRECT=${2//@DB@/$db}
	run "$DBHOOK" deploy --dir "$M" --timeout 20
	is "$RC" 0 "$1: deploy exits 0"
	unlike "$ERR" 'not encrypted' "$1: no unencrypted warning"
	is "$(ssl_seen "$db")" t "$1: the server saw an encrypted session"
}

# deploy_tls_fails NAME URL REGEX : exit 3 at once, TLS hint, not retried.
deploy_tls_fails() {
	local db
	db=$(newdb)
	export DATABASE_URL_DIRECT=${2//@DB@/$db}
	trun "$DBHOOK" deploy --dir "$M" --timeout 20
	is "$RC" 3 "$1: exit 3"
	like "$ERR" "^dbhook: detail: .*$3" "$1: libpq's reason in the detail"
	like "$ERR" "$TLS_HINT" "$1: the TLS hint"
	unlike "$ERR" 'retrying in' "$1: not retried"
	if [ "$ELAPSED" -lt 2000 ]; then ok 0 "$1: at once (${ELAPSED} ms)"; else ok 1 "$1: at once (took ${ELAPSED} ms)"; fi
	is "$(ssl_seen "$db")" "(no table)" "$1: nothing applied"
}

deploy_ok "sslmode=require" "$B@127.0.0.1:$TEST_PG_PORT/@DB@?sslmode=require"
deploy_ok "verify-full, host localhost" \
	"$B@localhost:$TEST_PG_PORT/@DB@?sslmode=verify-full&sslrootcert=$TEST_SSL_CA"
deploy_ok "verify-full, host 127.0.0.1 (IP SAN)" \
	"$B@127.0.0.1:$TEST_PG_PORT/@DB@?sslmode=verify-full&sslrootcert=$TEST_SSL_CA"

deploy_tls_fails "verify-full with another CA" \
	"$B@localhost:$TEST_PG_PORT/@DB@?sslmode=verify-full&sslrootcert=$TEST_SSL_OTHER_CA" \
	'certificate verify failed'
deploy_tls_fails "verify-full, a name the certificate does not carry" \
	"$B@db.test.example:$TEST_PG_PORT/@DB@?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert=$TEST_SSL_CA" \
	'does not match host name "db\.test\.example"'

# Prisma's sslcert is the CA certificate: it becomes libpq's sslrootcert.
deploy_ok "Prisma sslcert=<CA> with verify-full" \
	"$B@localhost:$TEST_PG_PORT/@DB@?sslmode=verify-full&sslcert=$TEST_SSL_CA"
like "$ERR" '^dbhook: note: DATABASE_URL_DIRECT: Prisma parameter "sslcert" \(the CA certificate\) passed to libpq as "sslrootcert"' \
	"Prisma sslcert: a note says how it was taken"
deploy_tls_fails "Prisma sslcert=<another CA> with verify-full" \
	"$B@localhost:$TEST_PG_PORT/@DB@?sslmode=verify-full&sslcert=$TEST_SSL_OTHER_CA" \
	'certificate verify failed'

# A remote host name (dialled on loopback through hostaddr, so nothing is
# resolved or sent anywhere): plain text is warned about...
db=$(newdb)
export DATABASE_URL_DIRECT="$B@db.test.example:$TEST_PG_PORT/$db?hostaddr=127.0.0.1&sslmode=disable"
run "$DBHOOK" deploy --dir "$M" --timeout 20
is "$RC" 0 "remote host, sslmode=disable: deploy exits 0"
like "$ERR" "^dbhook: warning: the connection to db\.test\.example:$TEST_PG_PORT is not encrypted; add sslmode=require" \
	"remote host, sslmode=disable: warned that it is not encrypted"
is "$(ssl_seen "$db")" f "remote host, sslmode=disable: the session was indeed plain"

# ...and without sslmode, dbhook asks for TLS itself.
db=$(newdb)
export DATABASE_URL_DIRECT="$B@db.test.example:$TEST_PG_PORT/$db?hostaddr=127.0.0.1"
run "$DBHOOK" deploy --dir "$M" --timeout 20
is "$RC" 0 "remote host, no sslmode: deploy exits 0"
unlike "$ERR" 'not encrypted' "remote host, no sslmode: no warning"
is "$(ssl_seen "$db")" t "remote host, no sslmode: encrypted"
# libpq's own default (prefer) would have encrypted that too; a server
# without TLS (the session PgBouncer) tells them apart: prefer falls back to
# plain text, the sslmode=require dbhook adds refuses.
db=$(newdb)
export DATABASE_URL_DIRECT="$B@db.test.example:$TEST_PGB_SESSION_PORT/$db?hostaddr=127.0.0.1"
trun "$DBHOOK" deploy --dir "$M" --timeout 20
is "$RC" 3 "remote host, no sslmode, server without TLS: exit 3 (dbhook required TLS)"
like "$ERR" '^dbhook: detail: .*server does not support SSL, but SSL was required' \
	"remote host, no sslmode, server without TLS: libpq says SSL was required"
like "$ERR" "$TLS_HINT" "remote host, no sslmode, server without TLS: the TLS hint"
unlike "$ERR" 'retrying in' "remote host, no sslmode, server without TLS: not retried"
is "$(ssl_seen "$db")" "(no table)" "remote host, no sslmode, server without TLS: nothing applied"
# PGSSLMODE is the user's explicit choice: honoured, and warned about.
# (The table cannot tell: it sees PgBouncer's own connection.)
PGSSLMODE=prefer run "$DBHOOK" deploy --dir "$M" --timeout 20
is "$RC" 0 "remote host, PGSSLMODE=prefer, server without TLS: deploy exits 0"
like "$ERR" "^dbhook: warning: the connection to db\.test\.example:$TEST_PGB_SESSION_PORT is not encrypted" \
	"remote host, PGSSLMODE=prefer, server without TLS: warned that it is not encrypted"
is "$(admin "$db" "SELECT count(*) FROM tls_seen")" 1 "remote host, PGSSLMODE=prefer, server without TLS: applied"

# A loopback host is not warned about, even in plain text.
db=$(newdb)
export DATABASE_URL_DIRECT="$B@127.0.0.1:$TEST_PG_PORT/$db?sslmode=disable"
run "$DBHOOK" deploy --dir "$M" --timeout 20
is "$RC" 0 "loopback, sslmode=disable: deploy exits 0"
unlike "$ERR" 'not encrypted' "loopback, sslmode=disable: no warning for a local host"
is "$(ssl_seen "$db")" f "loopback, sslmode=disable: plain"

finish

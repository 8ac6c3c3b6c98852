#!/usr/bin/env bash
# Database URLs end to end: the forms users paste, Prisma's parameters,
# and each way a connection fails (exit 3, never the password).
. "$(dirname "$0")/lib.sh"
need_db

db=$(newdb)
M=$WORK/m
mkmig "$M" 20240101000000_one 'CREATE TABLE one (id int);'
P=$TEST_DB_PASSWORD_ENC
U=$TEST_DB_USER

# key=value conninfo (password quoted: it has special characters).
run env DATABASE_URL_DIRECT="host=127.0.0.1 port=$TEST_PG_PORT user=$U password='$TEST_DB_PASSWORD' dbname=$db" \
	"$DBHOOK" status --dir "$M"
is "$RC" 4 "key=value conninfo connects"
like "$OUT" "^Datasource: host=127.0.0.1 port=$TEST_PG_PORT user=$U password=\*\*\* dbname=$db\$" \
	"key=value shown redacted"

# postgres:// and several hosts (the first one refuses).
run env DATABASE_URL_DIRECT="postgres://$U:$P@127.0.0.1:1,127.0.0.1:$TEST_PG_PORT/$db" "$DBHOOK" status --dir "$M"
is "$RC" 4 "postgres:// with two hosts: libpq tries the next"

# Prisma's parameters are dropped with a note; unknown ones with a warning.
run env DATABASE_URL_DIRECT="$(url_for "$db" "" "connection_limit=1&pool_timeout=0&statement_cache_size=0&socket_timeout=10&foo=bar")" \
	"$DBHOOK" deploy --dir "$M"
is "$RC" 0 "URL with Prisma parameters deploys"
like "$ERR" 'note: .*connection_limit' "connection_limit noted"
like "$ERR" 'note: .*statement_cache_size' "statement_cache_size noted"
like "$ERR" 'warning: .*"foo"' "unknown parameter warned"
unlike "$ERR" 'invalid URI query parameter' "libpq never sees them"

# ?schema= : created when missing, history kept there, quoted.
run env DATABASE_URL_DIRECT="$(url_for "$db" "" "schema=App%20Schema")" "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "deploy with ?schema= (percent-encoded, mixed case, space)"
dbp=$(newdb)
run env DATABASE_URL_DIRECT="$(url_for "$dbp" "" "schema=public")" "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "deploy with ?schema=public, which exists"
unlike "$ERR" 'already exists' "no NOTICE that the schema already exists"
is "$(admin "$db" "SELECT count(*) FROM \"App Schema\"._prisma_migrations WHERE finished_at IS NOT NULL")" 1 \
	"history created in the URL's schema"
is "$(admin "$db" "SELECT count(*) FROM pg_tables WHERE schemaname = 'App Schema' AND tablename = 'one'")" 1 \
	"migration ran in that schema"
log_before=$(stat -c %s "$TESTDB_LOG")
run env DATABASE_URL_DIRECT="$(url_for "$db" "" "schema=App%20Schema")" "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "no-op with ?schema="
sleep 0.2
is "$(tail -c +$((log_before + 1)) "$TESTDB_LOG" | grep -F " db=$db app=dbhook/" | grep -cE 'LOG:  (statement|execute)')" 1 \
	"the no-op with ?schema= is still one statement"
run env DATABASE_URL_DIRECT="$(url_for "$db" "" "schema=App%20Schema")" "$DBHOOK" status --dir "$M"
is "$RC" 0 "status reads the history in the URL's schema"

# Malformed URLs: exit 2, password never shown.
TEST_EXTRA_SECRET='Sup3r-s3cret'
for bad in "postgresql://app:Sup3r-s3cret%zz@host/db" "postgresql://app:Sup3r-s3cret@[::1/db" \
	"mysql://app:Sup3r-s3cret@host/db" "host=h password=Sup3r-s3cret bogus=1" \
	"postgresql://app:Sup3r-s3cret@host:99999/db" "'postgresql://app:Sup3r-s3cret@host/db'"; do
	run env DATABASE_URL_DIRECT="$bad" "$DBHOOK" deploy --dir "$M"
	is "$RC" 2 "malformed URL exits 2: $(printf '%s' "$bad" | sed 's/Sup3r-s3cret/***/')"
	like "$ERR" '^dbhook: error: ' "malformed URL: error line"
done
run env DATABASE_URL_DIRECT="" "$DBHOOK" deploy --dir "$M"
is "$RC" 2 "empty URL variable: exit 2"

# Connection failures: exit 3 with a hint.
TEST_EXTRA_SECRET='Wr0ng-pass-XY'
run env DATABASE_URL_DIRECT="postgresql://$U:Wr0ng-pass-XY@127.0.0.1:$TEST_PG_PORT/$db" "$DBHOOK" deploy --dir "$M"
is "$RC" 3 "wrong password: exit 3"
like "$ERR" "error: cannot connect to the database at 127.0.0.1:$TEST_PG_PORT" "names the server"
like "$ERR" 'password authentication failed' "libpq's reason"
like "$ERR" 'hint: Check the user name and password' "hint"
TEST_EXTRA_SECRET=
run env DATABASE_URL_DIRECT="$(url_for no_such_database)" "$DBHOOK" status --dir "$M"
is "$RC" 3 "unknown database: exit 3"
like "$ERR" 'hint: Check the database name' "hint for the database name"
run env DATABASE_URL_DIRECT="postgresql://$U:$P@127.0.0.1:1/$db" "$DBHOOK" deploy --timeout 0.5 --dir "$M"
is "$RC" 3 "closed port: exit 3"
like "$ERR" 'Connection refused' "reason given"
like "$ERR" 'hint: Nothing accepts connections there' "hint"
run env DATABASE_URL_DIRECT="postgresql://$U:$P@[::1]:1/$db" "$DBHOOK" deploy --timeout 0.5 --dir "$M"
is "$RC" 3 "IPv6 host: exit 3 when nothing listens"
like "$ERR" 'cannot connect to the database at \[::1\]:1' "IPv6 target shown in brackets"

# A value libpq does not accept is a configuration error: exit 2 before
# any connection (no "Datasource:" line, no retries).
run env DATABASE_URL_DIRECT="$(url_for "$db")?sslmode=bogus" "$DBHOOK" status --dir "$M"
is "$RC" 2 "sslmode=bogus: exit 2"
like "$ERR" '^dbhook: error: DATABASE_URL_DIRECT: the database URL.s "sslmode" has a value libpq does not accept$' \
	"sslmode=bogus: names the variable and the parameter"
unlike "$OUT" 'Datasource' "sslmode=bogus: refused before connecting"
run env DATABASE_URL_DIRECT="not a url $TEST_DB_PASSWORD" "$DBHOOK" status --dir "$M"
is "$RC" 2 "text that is not a URL: exit 2"
like "$ERR" '^dbhook: error: DATABASE_URL_DIRECT: the database URL could not be read \(its text is not shown: it may hold the password\)$' \
	"text that is not a URL: not shown, the variable named"

finish

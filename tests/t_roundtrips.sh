#!/usr/bin/env bash
# Round trips through scripts/rtproxy.py, a proxy that counts them: the
# proxy's own counting against psql; dbhook's no-op deploy and status at
# the floor (libpq's connect plus one query), with and without TLS; and a
# deploy of N pending migrations in a constant number of round trips after
# authentication, whatever N. Counts, not times: they are the same on
# every run. TLS is off (sslmode=disable) except where said, so most counts
# do not depend on how the TLS library rounds its handshake.
. "$(dirname "$0")/lib.sh"
need_db

PROXY=${SRCDIR:-$(dirname "$0")/..}/scripts/rtproxy.py
db=$(newdb)
python3 "$PROXY" --target "127.0.0.1:$TEST_PG_PORT" --port-file "$WORK/port" \
	--stats-file "$WORK/stats" >"$LOGDIR/proxy.log" 2>&1 &
BG_PIDS+=("$!")
poll 10 test -s "$WORK/port" || diag "the proxy did not start"
PPORT=$(cat "$WORK/port")
U=$(url_for "$db" "$PPORT" sslmode=disable)

# counts : "connections round_trips" so far.
counts() {
	jq -r '"\(.connections) \(.round_trips)"' "$WORK/stats"
}
# after_run N : waits until the proxy has seen N connections close.
after_run() {
	poll 10 test "$(jq '.per_connection | length' "$WORK/stats")" -ge "$1"
}
# last : round trips of the last closed connection.
last() {
	jq '.per_connection[-1]' "$WORK/stats"
}

# psql: connect (startup, SCRAM's two exchanges) plus one query.
run env PGPASSWORD="$TEST_DB_PASSWORD" psql -X -q -A -t "host=127.0.0.1 port=$PPORT dbname=$db user=$TEST_DB_USER sslmode=disable" -c 'SELECT 1'
is "$RC" 0 "psql through the proxy: exit 0"
is "$OUT" 1 "psql through the proxy: the answer"
after_run 1
floor=$(last)
is "$floor" 4 "the proxy counts psql's connect and one query as 4 round trips"
run env PGPASSWORD="$TEST_DB_PASSWORD" psql -X -q -A -t "host=127.0.0.1 port=$PPORT dbname=$db user=$TEST_DB_USER sslmode=disable" -c 'SELECT 1' -c 'SELECT 2'
after_run 2
is "$(last)" $((floor + 1)) "one more query, one more round trip"

M=$WORK/m
mkmig "$M" 20240101000000_one 'CREATE TABLE one (id int);'
mkmig "$M" 20240102000000_two 'CREATE TABLE two (id int);'
run env DATABASE_URL_DIRECT="$U" "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "deploy through the proxy: exit 0"
is "$(rows "$db")" '20240101000000_one|true|false
20240102000000_two|true|false' "deploy through the proxy: applied"
after_run 3

# The no-op deploy of every build: one connection, one query after
# authentication, as the floor.
before=$(counts)
run env DATABASE_URL_DIRECT="$U" "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "no-op deploy: exit 0"
after_run 4
is "$(last)" "$floor" "no-op deploy: $floor round trips, libpq's connect and one query (the floor)"
is "$(($(counts | cut -d' ' -f1) - ${before%% *}))" 1 "no-op deploy: one connection"

run env DATABASE_URL_DIRECT="$U" "$DBHOOK" status --dir "$M"
is "$RC" 0 "status: exit 0"
after_run 5
is "$(last)" "$floor" "status: the floor too (one query)"

# Pending migrations: read, then the safety check's one query (the live
# facts), then one message that sets the session up, takes the lock and
# reads the history under it, then one message with every migration and
# the lock's release: 4 round trips after authentication (the floor's one
# query counts as the first), for any N. A fresh database adds one:
# creating the history table.
auth=$((floor - 1))
fresh=$(newdb)
rm -rf "$WORK/n"
mkmig "$WORK/n" 20240101000000_base 'CREATE TABLE base (id int);'
run env DATABASE_URL_DIRECT="$(url_for "$fresh" "$PPORT" sslmode=disable)" "$DBHOOK" deploy --dir "$WORK/n"
is "$RC" 0 "fresh database: exit 0"
after_run 6
is "$(($(last) - auth))" 5 "fresh database: 5 round trips after authentication (read, safety check, prepare, create the history table, apply)"
seen=6
for n in 1 10 50; do
	db=$(newdb)
	rm -rf "$WORK/n"
	mkmig "$WORK/n" 20240101000000_base 'CREATE TABLE base (id int);'
	run env DATABASE_URL_DIRECT="$(url_for "$db")" "$DBHOOK" deploy --dir "$WORK/n"
	for ((i = 1; i <= n; i++)); do
		mkmig "$WORK/n" "$(printf '20240102%06d_m%d' "$i" "$i")" "CREATE TABLE m$i (id int);
INSERT INTO m$i VALUES ($i);
CREATE INDEX ON m$i (id);"
	done
	run env DATABASE_URL_DIRECT="$(url_for "$db" "$PPORT" sslmode=disable)" "$DBHOOK" deploy --dir "$WORK/n"
	is "$RC" 0 "$n pending: exit 0"
	is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL")" $((n + 1)) "$n pending: all applied"
	after_run $((++seen))
	is "$(($(last) - auth))" 4 "$n pending: 4 round trips after authentication"
done

# A message holds up to 64 KB of SQL (memory): three files of 40 KB take
# three messages, so 6 round trips after authentication; all applied.
db=$(newdb)
rm -rf "$WORK/n"
mkmig "$WORK/n" 20240101000000_base 'CREATE TABLE base (id int);'
run env DATABASE_URL_DIRECT="$(url_for "$db")" "$DBHOOK" deploy --dir "$WORK/n"
pad=$(head -c 40000 /dev/zero | tr '\0' 'x')
for i in 1 2 3; do
	mkmig "$WORK/n" "2024010200000${i}_big$i" "-- $pad
CREATE TABLE big$i (id int);"
done
run env DATABASE_URL_DIRECT="$(url_for "$db" "$PPORT" sslmode=disable)" "$DBHOOK" deploy --dir "$WORK/n"
is "$RC" 0 "three 40 KB files: exit 0"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL")" 4 "three 40 KB files: all applied"
after_run $((++seen))
is "$(($(last) - auth))" 6 "three 40 KB files: one message each, 6 round trips after authentication"
is "$(admin "$db" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 72707369")" 0 "the lock was released with the last message"

# The 64 KB count the whole message, its bookkeeping too: two files of
# 32473 bytes are under 64 KB together, their message is not (libpq's
# buffer would double to 128 KB), so they go in two messages.
pad=$(head -c 32440 /dev/zero | tr '\0' 'y')
for i in 1 2; do
	mkmig "$WORK/n" "2024010300000${i}_half$i" "-- $pad
CREATE TABLE half$i (id int);"
done
run env DATABASE_URL_DIRECT="$(url_for "$db" "$PPORT" sslmode=disable)" "$DBHOOK" deploy --dir "$WORK/n"
is "$RC" 0 "two 32473-byte files: exit 0"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE migration_name LIKE '%_half_' AND finished_at IS NOT NULL")" 2 "two 32473-byte files: both applied"
after_run $((++seen))
is "$(($(last) - auth))" 5 "two 32473-byte files: two messages (the bookkeeping counts), 5 round trips after authentication"

# With TLS (as Supabase and Neon demand): dbhook's connect costs what
# libpq's costs for the same URL, no round trip more.
run env PGPASSWORD="$TEST_DB_PASSWORD" psql -X -q -A -t "host=127.0.0.1 port=$PPORT dbname=$db user=$TEST_DB_USER sslmode=require" -c 'SELECT 1'
is "$RC" 0 "psql over TLS: exit 0"
after_run $((++seen))
tls_floor=$(last)
run env DATABASE_URL_DIRECT="$(url_for "$db" "$PPORT" sslmode=require)" "$DBHOOK" deploy --dir "$WORK/n"
is "$RC" 0 "no-op deploy over TLS: exit 0"
after_run $((++seen))
is "$(last)" "$tls_floor" "no-op deploy over TLS: $tls_floor round trips, as psql's connect and one query"

finish

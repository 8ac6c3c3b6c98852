#!/usr/bin/env bash
# Concurrency: 8 deploys at once on one database. The advisory lock makes
# them take turns: every migration is applied exactly once, every deploy
# exits 0, the ones that came second say so.
. "$(dirname "$0")/lib.sh"
need_db

N=8

# deploy_all ROUND : starts N deploys at once, waits for all of them, and
# keeps each one's exit status and output in RCS[i], OUTS[i], ERRS[i].
RCS=() OUTS=() ERRS=()
deploy_all() {
	local round=$1 i pids=()
	for i in $(seq 1 $N); do
		DATABASE_URL_DIRECT=$URL run_bg "r$round-deploy$i" \
			"$DBHOOK" deploy --dir "$WORK/m" --lock-timeout 30 >/dev/null
		pids+=($!)
	done
	for i in $(seq 1 $N); do
		bg_result "r$round-deploy$i" "${pids[$((i - 1))]}"
		RCS[$i]=$RC
		OUTS[$i]=$OUT
		ERRS[$i]=$ERR
	done
}

# count_runs REGEX : how many of the N runs printed a stdout line matching
# REGEX.
count_runs() {
	local i n=0
	for i in $(seq 1 $N); do
		if printf '%s\n' "${OUTS[$i]}" | grep -Eq -- "$1"; then
			n=$((n + 1))
		fi
	done
	echo "$n"
}

# check_round ROUND NAMES... : the assertions shared by both rounds.
check_round() {
	local round=$1 i bad="" errs="" name
	shift
	for i in $(seq 1 $N); do
		[ "${RCS[$i]}" = 0 ] || bad="$bad deploy$i:${RCS[$i]}"
		if printf '%s\n' "${ERRS[$i]}" | grep -q 'error:'; then
			errs="$errs deploy$i"
		fi
	done
	is "${bad# }" "" "round $round: all $N concurrent deploys exit 0"
	is "${errs# }" "" "round $round: no deploy printed an error"
	is "$(count_runs '^[0-9]+ migrations? applied in [0-9]+ ms\.$')" 1 \
		"round $round: exactly one deploy applied the migrations"
	is "$(count_runs '^No pending migrations to apply\.$')" $((N - 1)) \
		"round $round: the $((N - 1)) others found nothing pending"
	for name in "$@"; do
		is "$(count_runs "^Applied migration \`$name\`")" 1 \
			"round $round: $name is listed as applied by one deploy only"
	done
	WAITED=$(count_runs '^Waiting for the migration lock \(held by ')
	if [ "$(count_runs '^Waiting for the migration lock \(held by pid [0-9]+, application_name "dbhook/')" -ge 1 ]; then
		ok 0 "round $round: the deploys overlapped ($WAITED waited for the lock, naming a dbhook holder)"
	else
		ok 1 "round $round: the deploys overlapped (some waited for the lock)"
		for i in $(seq 1 $N); do
			printf '%s\n' "${OUTS[$i]}" | sed "s/^/#   deploy$i | /"
		done
	fi
	is "$(count_runs '^Migration lock acquired after [0-9.]+ s$')" "$WAITED" \
		"round $round: every deploy that waited then acquired the lock"
}

db=$(newdb)
URL=$(url_for "$db")
M1=20240301000001_runs
M2=20240301000002_accounts
M3=20240301000003_slow
M4=20240301000004_note
M5=20240301000005_orders
# `runs` gets one row each time a migration's file is executed.
mkmig "$WORK/m" $M1 "CREATE TABLE runs (name text NOT NULL);
INSERT INTO runs VALUES ('$M1');
"
mkmig "$WORK/m" $M2 "CREATE TABLE accounts (id int PRIMARY KEY);
INSERT INTO runs VALUES ('$M2');
"
mkmig "$WORK/m" $M3 "SELECT pg_sleep(1);
CREATE TABLE slow (id int);
INSERT INTO runs VALUES ('$M3');
"
mkmig "$WORK/m" $M4 "ALTER TABLE accounts ADD COLUMN note text;
INSERT INTO runs VALUES ('$M4');
"
mkmig "$WORK/m" $M5 "CREATE TABLE orders (id int, account int REFERENCES accounts);
INSERT INTO runs VALUES ('$M5');
"

# Round 1: an empty database; all 8 race to create the history table too.
deploy_all 1
check_round 1 $M1 $M2 $M3 $M4 $M5
is "$(rows "$db")" "$M1|true|false
$M2|true|false
$M3|true|false
$M4|true|false
$M5|true|false" "round 1: exactly one applied row per migration, nothing else"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NULL OR rolled_back_at IS NOT NULL")" 0 \
	"round 1: no failed or rolled-back row"
is "$(admin "$db" "SELECT string_agg(name, ',' ORDER BY name) FROM runs")" \
	"$M1,$M2,$M3,$M4,$M5" "round 1: each migration's file ran exactly once"
is "$(admin "$db" "SELECT string_agg(c.relname, ',' ORDER BY c.relname COLLATE \"C\") FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'")" \
	"_prisma_migrations,accounts,orders,runs,slow" \
	"round 1: the tables and the history table exist, once each"
is "$(admin "$db" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note'")" 1 \
	"round 1: the added column exists"
is "$(admin "$db" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")" 0 \
	"round 1: no session left behind"

# Round 2: two new migrations, one of them slow; 8 deploys at once again.
M6=20240301000006_slow_again
M7=20240301000007_invoices
mkmig "$WORK/m" $M6 "SELECT pg_sleep(1);
ALTER TABLE orders ADD COLUMN total numeric;
INSERT INTO runs VALUES ('$M6');
"
mkmig "$WORK/m" $M7 "CREATE TABLE invoices (id int);
INSERT INTO runs VALUES ('$M7');
"
deploy_all 2
check_round 2 $M6 $M7
is "$(rows "$db")" "$M1|true|false
$M2|true|false
$M3|true|false
$M4|true|false
$M5|true|false
$M6|true|false
$M7|true|false" "round 2: exactly one applied row per migration, nothing else"
is "$(admin "$db" "SELECT string_agg(name, ',' ORDER BY name) FROM runs")" \
	"$M1,$M2,$M3,$M4,$M5,$M6,$M7" "round 2: each new file ran exactly once, the old ones not again"
is "$(admin "$db" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'total'")" 1 \
	"round 2: the added column exists"

# Afterwards a single deploy takes the fast path.
DATABASE_URL_DIRECT=$URL run "$DBHOOK" deploy --dir "$WORK/m"
is "$RC" 0 "a later deploy exits 0"
like "$OUT" '^No pending migrations to apply\.$' "a later deploy has nothing to do"
unlike "$OUT" 'Waiting for the migration lock' "nobody holds the lock any more"

finish

#!/usr/bin/env bash
# dbhook check beside squawk (npm squawk-cli 2.66.0), the SQL-only linter
# of PostgreSQL migrations: whatever squawk finds on the corpus
# (tests/safety/corpus) with a rule that overlaps dbhook's, dbhook finds
# too, on the same statement, as one of the rule ids mapped below; and
# what squawk cannot see, dbhook reports.
#  1. The rule lists below: every squawk 2.66.0 rule (39) is compared or
#     not, once, and squawk accepts each name.
#  2. The corpus: each compared squawk finding is a dbhook finding of a
#     mapped id on the same statement, on the database with big tables
#     (t_check.sh's second one) and offline.
#  3. Compared rules the corpus does not exercise, and variants of the
#     corpus's statements: one small migration each ("probes"), the same
#     comparison, on big tables and offline. A gap dbhook has there would
#     be listed under "Known gaps" below and asserted as still missing (a
#     fix then fails the test until its line is removed); there is none.
#  4. What squawk cannot see (it reads no database, so it says the same
#     of empty tables and big ones): a certain failure (05_add_required,
#     14_set_not_null_nulls, 20_missing_table: DH301, from live probes),
#     sizes, a varchar widening that rewrites nothing (08), Prisma's
#     rename (04: squawk sees a dropped column), and what dbhook alone
#     finds (enum values, lock pile-ups, TRUNCATE, an invalid index).
#
# squawk runs with --assume-in-transaction, because Prisma sends each
# migration.sql as one simple query, i.e. one implicit transaction: squawk
# then reports CONCURRENTLY in a file of several statements (18), and
# skips tables created earlier in the same file (22), as dbhook does.
# Without it squawk does neither (checked in 4). --pg-version is the test
# server's.
#
# dbhook is compared on the database with big tables ("User" 1,000,000
# rows, "Team" 20,000): squawk sees only the SQL and warns as if every
# table were big and busy, and big tables make each of its hazards real;
# there dbhook prints what `deploy` prints before a production database.
# On empty tables dbhook lowers lock findings to info and says "required
# column" rather than "will fail": a finding still, but not the fair
# comparison. Offline, dbhook has squawk's own input (the SQL alone, no
# table known to exist or be big): compared too, on the corpus.
#
# Lines: squawk reports the line of the clause (0-based), dbhook the first
# line of the statement; they match when both fall in the same statement
# (statements split at `;`, outside comments; the corpus has no `;` in
# strings).
#
# Compared (squawk rule: dbhook rule ids, any one on the statement):
#   ban-drop-column                              DH101 DH104
#   ban-drop-table                               DH102
#   renaming-column                              DH103
#   renaming-table                               DH103
#   adding-required-field                        DH105 DH301
#   adding-not-nullable-field                    DH203 DH301
#   ban-drop-not-null                            DH106
#   changing-column-type                         DH107
#   adding-field-with-default                    DH202
#   require-concurrent-index-creation            DH201
#   require-concurrent-index-deletion            DH201
#   ban-concurrent-index-creation-in-transaction DH302
#   adding-foreign-key-constraint                DH204
#   constraint-missing-not-valid                 DH204
#   disallowed-unique-constraint                 DH204
#   adding-serial-primary-key-field              DH202 DH204
#   ban-truncate-cascade                         DH206
#   require-concurrent-reindex                   DH206
#   prefer-repack                                DH206
#
# Not compared (no dbhook counterpart):
#   prefer-robust-stmts                  IF [NOT] EXISTS for re-runs; Prisma applies a migration once
#   require-lock-timeout                 dbhook deploy sets lock_timeout itself and retries
#   require-statement-timeout            the same
#   require-timeout-settings             the same (opt-in)
#   transaction-nesting                  BEGIN/COMMIT in a file (Prisma's enum recreate, 10)
#   ban-uncommitted-transaction          the same
#   require-enum-value-ordering          the order of enum values; DH108 flags every ADD VALUE anyway
#   prefer-text-field                    a style rule (varchar on new tables too); a varchar change is DH107
#   prefer-bigint-over-int               style
#   prefer-bigint-over-smallint          style
#   prefer-identity                      style
#   prefer-timestamp-tz                  style
#   ban-char-field                       style
#   identifier-too-long                  style
#   require-table-schema                 style (opt-in)
#   ban-duplicate-column-assignments     an error PostgreSQL reports itself
#   ban-create-domain-with-constraint    domains: not checked by dbhook
#   ban-alter-domain-with-add-constraint domains: not checked by dbhook
#   ban-drop-database                    dbhook checks this database's tables only
#   require-concurrent-partition-detach  partitions: not checked by dbhook
#
# Known gaps (probe:line, squawk rule, where dbhook misses it):
#
# squawk comes from npm (nodejs and npm: scripts/install-deps), installed
# once into a cache outside the repository; without npm the test fails
# rather than skips.
#
# shellcheck disable=SC2016 # literal $X in jq programs
# shellcheck source=/dev/null
. "$(dirname "$0")/lib.sh"
need_db

SRC=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
CORPUS=$SRC/tests/safety/corpus
SELF=$0
NPMDIR=${XDG_CACHE_HOME:-$HOME/.cache}/dbhook-test-squawk
SQUAWK=$NPMDIR/node_modules/.bin/squawk
SQUAWK_VERSION=2.66.0

# --- squawk --------------------------------------------------------------------------
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
	ok 1 "npm and node are installed (scripts/install-deps installs nodejs and npm)"
	finish
fi
if [ "$("$SQUAWK" --version 2>/dev/null)" != "squawk $SQUAWK_VERSION" ]; then
	mkdir -p "$NPMDIR"
	npm install --prefix "$NPMDIR" --no-audit --no-fund --no-save --prefer-offline --loglevel=error \
		"squawk-cli@$SQUAWK_VERSION" >"$LOGDIR/npm.log" 2>&1
fi
if [ "$("$SQUAWK" --version 2>/dev/null)" = "squawk $SQUAWK_VERSION" ]; then
	ok 0 "squawk $SQUAWK_VERSION installed in $NPMDIR"
else
	ok 1 "squawk $SQUAWK_VERSION installed in $NPMDIR (see $LOGDIR/npm.log)"
	finish
fi
: >"$WORK/squawk.toml" # no configuration file of the caller's applies
# squawk [OPTIONS] FILE... : JSON findings on stdout (called through run)
# shellcheck disable=SC2317
squawk() {
	(cd "$WORK" && "$SQUAWK" --config "$WORK/squawk.toml" --reporter json "$@")
}
# "CASE<TAB>RULE<TAB>LINE<TAB>MESSAGE HELP" per finding of squawk's JSON, the
# case being the migration's folder and LINE 1-based.
squawk_rows() {
	jq -r '.[] | [(.file | split("/") | .[-2]), .rule_name, (.line + 1), "\(.message) \(.help // "")"] | @tsv'
}

# --- the rule lists of the header -----------------------------------------------------
COMPARED=$(sed -n '/^# Compared (/,/^#$/p' "$SELF" | sed -n 's/^#   \([a-z-]*\)  *\(DH.*\)$/\1 \2/p')
NOT_COMPARED=$(sed -n '/^# Not compared (/,/^#$/p' "$SELF" | sed -n 's/^#   \([a-z-]*\) .*$/\1/p')
GAPS=$(sed -n '/^# Known gaps (/,/^#$/p' "$SELF" | sed -n 's/^#   \([a-z_]*:[0-9]*\)  *\([a-z-]*\)  *\(.*\)$/\1 \2 \3/p')
ids_for() { # ids_for RULE : the dbhook ids squawk's RULE maps to, or nothing
	awk -v r="$1" '$1 == r { $1 = ""; print substr($0, 2) }' <<<"$COMPARED"
}

# --- 1. the rule lists ------------------------------------------------------------------
all_rules=$(printf '%s\n' "$(cut -d' ' -f1 <<<"$COMPARED")" "$NOT_COMPARED" | sort)
is "$(wc -l <<<"$all_rules")" 39 "the header lists 39 squawk rules (squawk $SQUAWK_VERSION has 39)"
is "$(uniq -d <<<"$all_rules")" "" "each rule once, compared or not"
run "$SQUAWK" --config "$WORK/squawk.toml" --include "$(paste -sd, <<<"$all_rules")" "$WORK/squawk.toml"
is "$RC" 0 "squawk accepts every name of the lists"
[ "$RC" = 0 ] || diag "$ERR"
ids=$(cut -d' ' -f2- <<<"$COMPARED" | tr ' ' '\n' | sort -u)
run "$DBHOOK" check --help
missing_ids=""
for id in $ids; do
	printf '%s\n' "$OUT" | grep -Eq "$id [a-z-]+" || missing_ids="$missing_ids $id"
done
is "$missing_ids" "" "every dbhook id of the mapping is a rule of dbhook check --help"

# --- databases (as tests/t_check.sh) -------------------------------------------------------
# shellcheck source=tests/safety/dbs.sh
. "$SRC/tests/safety/dbs.sh"
corpus_dbs
PGV=$(admin postgres 'SELECT current_setting($$server_version_num$$)::int / 10000')

# dbhook_json WHERE CASE MIGFILE : dbhook check --json of the migration
# (after the init one; offline: alone) into $WORK/dh/WHERE/CASE.json.
dbhook_json() {
	local where=$1 name=$2 d=$WORK/dirs/$1/$2 out=$WORK/dh/$1/$2
	mkdir -p "$d/20240101000000_$name" "$WORK/dh/$where"
	cp "$3" "$d/20240101000000_$name/migration.sql"
	if [ "$where" = offline ]; then
		env -u DATABASE_URL "$DBHOOK" check --offline --json --dir "$d" >"$out.json" 2>"$out.err"
	else
		cp -r "$WORK/init/$INIT" "$d/"
		DATABASE_URL="$(url_for "${!where}")" "$DBHOOK" check --json --dir "$d" >"$out.json" 2>"$out.err"
	fi
}
# dbhook_rows WHERE CASE : "RULE SEVERITY LINE<TAB>MESSAGE" per finding
dbhook_rows() {
	jq -r '.findings[] | select(.silenced == null) | "\(.rule) \(.severity) \(.line)\t\(.message)"' "$WORK/dh/$1/$2.json"
}
# starts FILE : the first line of each statement
starts() {
	awk '{
		n = length($0)
		for (i = 1; i <= n; i++) {
			if (blk) { if (substr($0, i, 2) == "*/") { blk = 0; i++ }; continue }
			c = substr($0, i, 2)
			if (c == "/*") { blk = 1; i++; continue }
			if (c == "--") break
			c = substr($0, i, 1)
			if (c == ";") { stmt = 0; continue }
			if (c !~ /[ \t\r]/ && !stmt) { print NR; stmt = 1 }
		}
	}' "$1"
}
stmt_of() { # stmt_of FILE LINE : the first line of the statement holding LINE
	starts "$1" | awk -v l="$2" '$1 <= l { s = $1 } END { print s + 0 }'
}
# compare WHERE CASE FILE RULE LINE : one TAP line, ok when dbhook's
# findings (WHERE) hold a mapped id on the statement of squawk's LINE, or,
# for a known gap, when they still do not.
compare() {
	local where=$1 name=$2 file=$3 rule=$4 line=$5 want s found gap
	want=$(ids_for "$rule")
	s=$(stmt_of "$file" "$line")
	found=$(dbhook_rows "$where" "$name" | cut -f1 | awk -v s="$s" -v want=" $want " \
		'$3 == s && index(want, " " $1 " ") { print $1 " " $2 " " $3 }' | paste -sd, -)
	gap=$(awk -v k="$name:$line" -v r="$rule" -v w="$where" \
		'$1 == k && $2 == r { for (i = 3; i <= NF; i++) if ($i == w) print "gap" }' <<<"$GAPS")
	if [ -n "$gap" ] && [ -z "$found" ]; then
		ok 0 "$name:$line squawk $rule → dbhook ($where): none, a known gap"
	elif [ -n "$gap" ]; then
		ok 1 "$name:$line squawk $rule → dbhook ($where) $found: no longer a gap, remove it from the header's known gaps"
	elif [ -n "$found" ]; then
		ok 0 "$name:$line squawk $rule → dbhook ($where) $found"
	else
		ok 1 "$name:$line squawk $rule → dbhook ($where) one of $want on the statement at line $s"
		dbhook_rows "$where" "$name" | sed 's/^/#   dbhook: /'
	fi
}

# --- 2. the corpus ----------------------------------------------------------------------------
ncases=0
for dir in "$CORPUS"/*/; do
	name=$(basename "$dir")
	ncases=$((ncases + 1))
	for where in big empty offline; do
		dbhook_json "$where" "$name" "$dir/migration.sql"
	done
done
is "$(for f in "$WORK"/dh/*/*.json; do jq -e '.findings | arrays' "$f" >/dev/null && echo "$f"; done | wc -l)" "$((ncases * 3))" \
	"dbhook check --json: findings for each of the $ncases corpus migrations, on big and empty tables and offline"
run squawk --assume-in-transaction --pg-version="$PGV" "$CORPUS"/*/migration.sql
is "$RC" 1 "squawk: findings on the corpus (exit 1)"
SQ_CORPUS=$(printf '%s' "$OUT" | squawk_rows)
is "$(cut -f2 <<<"$SQ_CORPUS" | sort -u | grep -vxF -f <(printf '%s\n' "$all_rules"))" "" \
	"every rule squawk reports on the corpus is in the lists"
ncompared=0
for where in big offline; do
	while IFS=$'\t' read -r name rule line _; do
		[ -n "$(ids_for "$rule")" ] || continue
		ncompared=$((ncompared + 1))
		compare "$where" "$name" "$CORPUS/$name/migration.sql" "$rule" "$line"
	done <<<"$SQ_CORPUS"
done
diag "$((ncompared / 2)) compared squawk findings on the corpus"

# --- 3. compared rules the corpus does not exercise -----------------------------------------
# probe NAME SQL : a one-migration case of its own
probe() {
	mkdir -p "$WORK/probes/$1"
	printf '%s\n' "$2" >"$WORK/probes/$1/migration.sql"
}
# Compared rules the corpus does not exercise.
probe renaming_table 'ALTER TABLE "Team" RENAME TO "Group";'
probe drop_index 'DROP INDEX "Legacy_code_idx";'
probe reindex 'REINDEX TABLE "User";'
probe truncate_cascade 'TRUNCATE "Team" CASCADE;'
probe unique_constraint 'ALTER TABLE "Team" ADD CONSTRAINT "Team_name_key" UNIQUE ("name");'
probe primary_key 'ALTER TABLE "Legacy" ADD CONSTRAINT "Legacy_pkey" PRIMARY KEY ("id");'
probe serial_primary_key 'ALTER TABLE "Legacy" ADD COLUMN "pk" SERIAL PRIMARY KEY;'
probe vacuum_full 'VACUUM FULL "User";'
probe cluster 'CLUSTER "User" USING "User_pkey";'
# Variants of the corpus's statements.
probe generated_column 'ALTER TABLE "User" ADD COLUMN "double" INTEGER GENERATED ALWAYS AS ("score" * 2) STORED;'
probe identity_column 'ALTER TABLE "User" ADD COLUMN "n" INTEGER GENERATED ALWAYS AS IDENTITY;'
probe alter_type_multi_line 'ALTER TABLE "User"
    ALTER COLUMN "score" SET DATA TYPE BIGINT,
    ALTER COLUMN "name" SET DATA TYPE VARCHAR(50);'
probe required_beside_default 'ALTER TABLE "User" ADD COLUMN "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN "plan" TEXT NOT NULL;'
probe unique_index_if_not_exists 'CREATE UNIQUE INDEX IF NOT EXISTS "Team_name_key" ON "Team"("name");'
probe schema_qualified 'ALTER TABLE public."User" DROP COLUMN "bio";'
# Variants dbhook misses (the known gaps of the header).
probe column_unique 'ALTER TABLE "Team" ADD COLUMN "slug" TEXT UNIQUE;'
probe column_foreign_key 'ALTER TABLE "User" ADD COLUMN "mentorId" INTEGER REFERENCES "User"("id");'
probe exclusion 'ALTER TABLE "Team" ADD CONSTRAINT "Team_name_excl" EXCLUDE USING btree ("name" WITH =);'
probe validate_same_file 'ALTER TABLE "User" ADD CONSTRAINT "User_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") NOT VALID;
ALTER TABLE "User" VALIDATE CONSTRAINT "User_teamId_fkey";'
probe reindex_index 'REINDEX INDEX "User_pkey";'
for p in "$WORK"/probes/*/; do
	dbhook_json big "$(basename "$p")" "$p/migration.sql"
	dbhook_json offline "$(basename "$p")" "$p/migration.sql"
done
run squawk --assume-in-transaction --pg-version="$PGV" "$WORK"/probes/*/migration.sql
SQ_PROBES=$(printf '%s' "$OUT" | squawk_rows)
# prefer-repack fires from PostgreSQL 19 on (REPACK replaces VACUUM FULL
# and CLUSTER); dbhook's DH206 on any version.
run squawk --assume-in-transaction --pg-version=19 "$WORK"/probes/{vacuum_full,cluster}/migration.sql
SQ_PROBES=$SQ_PROBES$'\n'$(printf '%s' "$OUT" | squawk_rows | awk -F'\t' '$2 == "prefer-repack"')
is "$(cut -f2 <<<"$SQ_PROBES" | sort -u | grep -vxF -f <(printf '%s\n' "$all_rules"))" "" \
	"every rule squawk reports on the probes is in the lists"
for where in big offline; do
	while IFS=$'\t' read -r name rule line _; do
		[ -n "$(ids_for "$rule")" ] || continue
		compare "$where" "$name" "$WORK/probes/$name/migration.sql" "$rule" "$line"
	done <<<"$SQ_PROBES"
done
is "$(cut -d' ' -f1 <<<"$COMPARED" | sort | comm -23 - <(cut -f2 <<<"$SQ_CORPUS$'\n'$SQ_PROBES" | sort -u) | paste -sd' ' -)" "" \
	"every compared rule fired at least once (corpus or probes)"
is "$(cut -d' ' -f1 <<<"$GAPS" | sort -u | paste -sd' ' -)" \
	"$(awk -F'\t' '{ print $1 ":" $3 }' <<<"$SQ_PROBES" | sort -u | grep -xF -f <(cut -d' ' -f1 <<<"$GAPS") | paste -sd' ' -)" \
	"each known gap is a squawk finding of a probe"

# --- 4. what squawk cannot see ------------------------------------------------------------------
sq_case() { awk -F'\t' -v c="$1" '$1 == c' <<<"$SQ_CORPUS"; }
dh_msg() { dbhook_rows "$1" "$2" | awk -F'\t' -v f="$3" '$1 == f { print $2 }'; }
# A certain failure, from a live probe: squawk's words are the same on any
# database, and never say the migration fails.
is "$(dh_msg empty 05_add_required "DH105 error 2" | grep -c 'inserts fail')" 1 \
	"05_add_required, empty tables: DH105, the running deployment's inserts fail"
like "$(dh_msg big 05_add_required "DH301 error 2")" '"User" has rows \(about 1,000,000 rows, [0-9]+ MB\): this migration will fail \(23502\)' \
	"05_add_required, big tables: DH301, this migration will fail (a live probe found rows)"
like "$(dh_msg big 14_set_not_null_nulls "DH301 error 2")" '^column "email" of "User" has NULLs right now: SET NOT NULL will fail \(23502\)' \
	"14_set_not_null_nulls, big tables: DH301, NULLs right now"
like "$(dh_msg empty 14_set_not_null_nulls "DH203 info 2")" 'scans the whole table' \
	"14_set_not_null_nulls, empty tables: DH203 only (no NULLs there)"
like "$(dh_msg big 20_missing_table "DH301 error 1")" '^table "Ghost" does not exist in the database: this migration will fail \(42P01\)' \
	"20_missing_table: DH301, the table does not exist"
is "$(sq_case 05_add_required | cut -f2,3 | grep -v -e timeout -e robust | paste -sd' ')" $'adding-required-field\t2' \
	"05_add_required, squawk: adding-required-field only"
is "$(sq_case 14_set_not_null_nulls | cut -f2,3 | grep -v -e timeout -e robust | paste -sd' ')" $'adding-not-nullable-field\t2' \
	"14_set_not_null_nulls, squawk: adding-not-nullable-field only (a scan, not a failure)"
is "$(sq_case 20_missing_table | cut -f2 | while read -r r; do ids_for "$r"; done)" "" \
	"20_missing_table, squawk: no compared rule (it cannot know \"Ghost\" is missing)"
unlike "$(cut -f4 <<<"$SQ_CORPUS")" 'will fail|NULLs|does not exist' "squawk never says a corpus migration will fail"
# Sizes.
like "$(dh_msg big 11_index "DH201 error 2")" '"User" \(about 1,000,000 rows, [0-9]+ MB\)' "11_index, big tables: the table's rows and size"
like "$(dh_msg big 23_unique "DH201 warning 2")" '"Team" \(about 20,000 rows, [0-9.]+ [kM]B\)' "23_unique, big tables: \"Team\" is past the warning threshold only"
like "$(dh_msg empty 11_index "DH201 info 2")" '"User" \(empty\)' "11_index, empty tables: empty, so info"
unlike "$(cut -f4 <<<"$SQ_CORPUS")" '[0-9][0-9,]* rows|[0-9] ?([kMG]B|bytes)|empty' "squawk's messages name no size"
# A varchar widening rewrites nothing (the live column type says so).
like "$(dh_msg big 08_type_widen "DH107 info 2")" 'changes from character varying\(20\) to character varying\(200\): no rewrite' \
	"08_type_widen: DH107 info, no rewrite (from the column's type now)"
like "$(sq_case 08_type_widen | awk -F'\t' '$2 == "changing-column-type" { print $4 }')" 'while the table is rewritten' \
	"08_type_widen, squawk: says the table is rewritten"
# dbhook's findings (big tables) on statements where squawk has no compared
# finding, besides DH402 (a statement PostgreSQL 15's grammar cannot read:
# dbhook's own limit, 21).
alone=""
for dir in "$CORPUS"/*/; do
	name=$(basename "$dir")
	sq_stmts=$(sq_case "$name" | while IFS=$'\t' read -r _ rule line _; do
		[ -n "$(ids_for "$rule")" ] && stmt_of "$dir/migration.sql" "$line"
	done | sort -u)
	while read -r rule _ line; do
		if [ -z "$rule" ] || [ "$rule" = DH402 ]; then continue; fi
		grep -qx "$line" <<<"$sq_stmts" || alone="$alone $name:$line:$rule"
	done < <(dbhook_rows big "$name" | cut -f1)
done
is "${alone# }" "09_enum_add:2:DH108 10_enum_recreate:6:DH108 16_pileup:2:DH205 16_pileup:3:DH205 17_truncate:1:DH206 19_invalid_index:1:DH303 20_missing_table:1:DH301" \
	"dbhook alone, on big tables: enum values, lock pile-ups, TRUNCATE, an invalid index, a missing table"
# Prisma's rename: squawk sees a dropped column.
is "$(sq_case 04_prisma_rename | awk -F'\t' '$2 == "ban-drop-column" { print $3 ": " $4 }')" \
	"9: Dropping a column may break existing clients. " "04_prisma_rename, squawk: a dropped column, no word of a rename"
like "$(dh_msg big 04_prisma_rename "DH104 error 9")" 'this is how Prisma writes a renamed field, and it discards the column.s data \(about 1,000,000 rows' \
	"04_prisma_rename: DH104, Prisma's rename, and the rows it discards"
# Why --assume-in-transaction: without it squawk flags the index and the
# foreign key of a table created in the same file (an empty table: dbhook
# exempts it), and misses CONCURRENTLY inside the file's transaction.
run squawk --pg-version="$PGV" "$CORPUS"/{18_concurrently_in_file,22_new_table}/migration.sql
plain=$(printf '%s' "$OUT" | squawk_rows | awk -F'\t' '$2 !~ /timeout|robust|bigint|identity/ { print $1 ":" $3 ":" $2 }' | paste -sd' ')
is "$plain" "22_new_table:9:require-concurrent-index-creation 22_new_table:12:constraint-missing-not-valid 22_new_table:12:adding-foreign-key-constraint" \
	"squawk without --assume-in-transaction: flags the new table \"Post\", misses 18"
is "$(dbhook_rows big 22_new_table)" "" "22_new_table: dbhook exempts the table created in the file"

# No test secret in any of dbhook's outputs above.
leaked=$(cat "$WORK"/dh/*/*.json "$WORK"/dh/*/*.err | grep -cF -f <(secrets))
is "$leaked" 0 "no secret printed by the dbhook check runs"

finish

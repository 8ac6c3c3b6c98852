#!/usr/bin/env bash
# The promotion gate: `--require-applied-on STAGING_VAR` applies to
# production only the migrations that the database in STAGING_VAR (staging)
# has applied from the same files. Staging behind, staging with another
# checksum, staging failed: refused with the names, nothing applied; staging
# current: applied; staging unreachable: exit 3, and vercel-build goes on
# with the build unless --strict.
. "$(dirname "$0")/lib.sh"
need_db

VB=${VERCEL_BUILD:-$BUILDDIR/vercel-build}
applied() { # applied DB : the applied migrations' names, one line
	admin "$1" "SELECT coalesce(string_agg(migration_name, ' ' ORDER BY migration_name), '') FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL" 2>/dev/null
}
free_port() { # a loopback port nothing listens on (bound, then closed)
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

A=20240101000000_init
B=20240102000000_add_email
C=20240103000000_add_index
M=$WORK/m
mkmig "$M" $A 'CREATE TABLE users (id int PRIMARY KEY);'
mkmig "$M" $B 'ALTER TABLE users ADD COLUMN email text;'
staging=$(newdb)
prod=$(newdb)
S=$(url_for "$staging")
P=$(url_for "$prod")

# deploy to staging: A and B.
run env DATABASE_URL_DIRECT="$S" "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "staging: A and B applied"
mkmig "$M" $C 'CREATE INDEX users_email ON users (email);'

# --- 1. staging behind production's pending list --------------------------
run env DATABASE_URL_DIRECT="$P" STAGING_DATABASE_URL="$S" "$DBHOOK" deploy --dir "$M" --require-applied-on STAGING_DATABASE_URL
is "$RC" 1 "staging lacks C: exit 1"
like "$ERR" "^dbhook: error: 1 of 3 pending migrations is not applied on the database in STAGING_DATABASE_URL: nothing was applied\$" \
	"the error says how many, where, and that nothing was applied"
like "$ERR" "^dbhook: detail: $C: not applied there\.\$" "the detail names C and why"
unlike "$ERR" "$A:|$B:" "A and B (applied on staging) are not named"
like "$ERR" "^dbhook: hint: Deploy to that database first" "the hint says what to do"
is "$(applied "$prod")" "" "production: nothing applied"

# --- 2. staging applied C from another file ---------------------------------
mkmig "$M" $C 'CREATE INDEX users_email_old ON users (email);'
run env DATABASE_URL_DIRECT="$S" "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "staging: C (old text) applied"
mkmig "$M" $C 'CREATE INDEX users_email ON users (email);'
run env DATABASE_URL_DIRECT="$P" STAGING_DATABASE_URL="$S" "$DBHOOK" deploy --dir "$M" --require-applied-on STAGING_DATABASE_URL
is "$RC" 1 "C changed since staging applied it: exit 1"
like "$ERR" "^dbhook: detail: $C: applied there from a different file \(its checksum differs: the file changed since\)\.\$" \
	"the detail says the checksum differs"
is "$(applied "$prod")" "" "production: still nothing applied"

# --- 3. staging current: production applies ----------------------------------
mkmig "$M" $C 'CREATE INDEX users_email_old ON users (email);'
run env DATABASE_URL_DIRECT="$P" STAGING_DATABASE_URL="$S" "$DBHOOK" deploy --dir "$M" --require-applied-on STAGING_DATABASE_URL
is "$RC" 0 "staging current: exit 0"
like "$OUT$ERR" "Promotion gate: the database in STAGING_DATABASE_URL has applied the 3 pending migrations from the same files" \
	"it says the gate let them through"
is "$(applied "$prod")" "$A $B $C" "production: A, B, C applied"

# Nothing pending: the gate is not consulted (the no-op path stays one query).
run env DATABASE_URL_DIRECT="$P" "$DBHOOK" deploy --dir "$M" --require-applied-on STAGING_DATABASE_URL
is "$RC" 0 "nothing pending: exit 0 without the staging variable"
like "$OUT" '^No pending migrations to apply\.$' "nothing pending"

# --- 4. failed on staging ----------------------------------------------------
D=20240104000000_own_tx
mkmig "$M" $D 'BEGIN;
CREATE TABLE audit (id int);
COMMIT;
SELECT 1 / 0;'
run env DATABASE_URL_DIRECT="$S" "$DBHOOK" deploy --dir "$M"
is "$RC" 1 "staging: D fails (Prisma's mode leaves a failed row)"
run env DATABASE_URL_DIRECT="$P" STAGING_DATABASE_URL="$S" "$DBHOOK" deploy --dir "$M" --require-applied-on STAGING_DATABASE_URL
is "$RC" 1 "D failed on staging: exit 1"
like "$ERR" "^dbhook: detail: $D: failed there and is not resolved\.\$" "the detail says it failed there"
is "$(applied "$prod")" "$A $B $C" "production: D not applied"
rm -rf "${M:?}/$D"

# --- 5. the variable unset, or not a URL: usage errors -------------------
mkmig "$M" 20240105000000_more 'CREATE TABLE more (id int);'
run env DATABASE_URL_DIRECT="$P" "$DBHOOK" deploy --dir "$M" --require-applied-on STAGING_DATABASE_URL
is "$RC" 2 "staging variable unset: exit 2"
like "$ERR" '^dbhook: error: --require-applied-on STAGING_DATABASE_URL: the variable is not set$' "says so"
like "$ERR" '^dbhook: hint: Set STAGING_DATABASE_URL to the URL of the database' "and what to do"
run env DATABASE_URL_DIRECT="$P" STAGING_DATABASE_URL="not a url" "$DBHOOK" deploy --dir "$M" --require-applied-on STAGING_DATABASE_URL
is "$RC" 2 "staging variable not a URL: exit 2"
like "$ERR" '^dbhook: error: STAGING_DATABASE_URL: ' "the error names the variable"
run env DATABASE_URL_DIRECT="$P" "$DBHOOK" deploy --dir "$M" --require-applied-on 'not a name'
is "$RC" 2 "a bad variable name: exit 2"

# --- 6. staging unreachable: exit 3; vercel-build goes on unless --strict ---
dead=$(url_for "$staging" "$(free_port)")
run env DATABASE_URL_DIRECT="$P" STAGING_DATABASE_URL="$dead" "$DBHOOK" deploy --dir "$M" --require-applied-on STAGING_DATABASE_URL --unreachable-timeout 1
is "$RC" 3 "staging unreachable: exit 3"
like "$ERR" '^dbhook: error: the promotion gate cannot read the database in STAGING_DATABASE_URL: ' "the error names the gate and the variable"
is "$(applied "$prod")" "$A $B $C" "production: nothing more applied"

proj=$WORK/proj
mkdir -p "$proj"
cp -r "$M" "$proj/migrations"
cd "$proj" || exit 1
run env VERCEL_ENV=production MIGRATE_DATABASE_URL="$P" STAGING_DATABASE_URL="$dead" "$VB" --require-applied-on STAGING_DATABASE_URL --unreachable-timeout 1 -- true
is "$RC" 0 "vercel-build, staging unreachable: exit 0 (the build goes on)"
like "$ERR" '^vercel-build: error: the promotion gate cannot read the database in STAGING_DATABASE_URL' "vercel-build: the error"
like "$ERR" '^vercel-build: warning: the migration step failed; the build goes on without it' "vercel-build: says the build goes on"
run env VERCEL_ENV=production MIGRATE_DATABASE_URL="$P" STAGING_DATABASE_URL="$dead" "$VB" --strict --require-applied-on STAGING_DATABASE_URL --unreachable-timeout 1 -- true
is "$RC" 3 "vercel-build --strict, staging unreachable: exit 3"
run env VERCEL_ENV=production MIGRATE_DATABASE_URL="$P" STAGING_DATABASE_URL="$S" "$VB" --strict --require-applied-on STAGING_DATABASE_URL -- true
is "$RC" 1 "vercel-build --strict, staging behind: exit 1"
like "$ERR" "^vercel-build: detail: 20240105000000_more: not applied there\.\$" "vercel-build: names the migration"
cd "$WORK" || exit 1
is "$(applied "$prod")" "$A $B $C" "production: nothing more applied by the hook"

finish

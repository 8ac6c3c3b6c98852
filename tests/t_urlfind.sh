#!/usr/bin/env bash
# Where the database URL comes from, without configuration: each name in
# the search order, the variables Prisma's files name (schema.prisma,
# package.json's prisma.schema, prisma.config.ts, a monorepo package),
# .env (the environment wins; never in a Vercel build), a pooler passed
# over for a direct URL, the pooler refusal's hint, Prisma Accelerate URLs.
# Every message names the variable, never its value.
. "$(dirname "$0")/lib.sh"
need_db

NAMES=(DATABASE_URL_DIRECT MIGRATE_DATABASE_URL POSTGRES_URL_NON_POOLING
	DATABASE_URL_UNPOOLED DIRECT_URL DIRECT_DATABASE_URL DATABASE_URL)
unset "${NAMES[@]}" VERCEL VERCEL_ENV VERCEL_TARGET_ENV MY_DIRECT MY_POOLED \
	PKG_DIRECT CFG_URL WEB_DIRECT DBHOOK_HANDOFF MIGRATE_STRICT CI GITHUB_ACTIONS
export LC_ALL=C

# A URL whose password must never be printed, to a port nothing listens on.
BADPW='Ot4er-s3cret-pw'
export TEST_EXTRA_SECRET=$BADPW
CLOSED=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BAD="postgresql://nobody:$BADPW@127.0.0.1:$CLOSED/nowhere"
POOLED="postgresql://nobody:$BADPW@127.0.0.1:6543/nowhere?pgbouncer=true"

M=$WORK/m
mkmig "$M" 20240101000000_one 'CREATE TABLE one (id int);'
P=$WORK/proj
mkdir -p "$P"
cd "$P" || exit 1
db=$(newdb)
GOOD=$(url_for "$db")
st() { run env "$@" "$DBHOOK" status --dir "$M" --timeout 5; }

# --- each name in order: the first set wins over every later one ---------
for i in "${!NAMES[@]}"; do
	n=${NAMES[$i]}
	args=("$n=$GOOD")
	for later in "${NAMES[@]:$((i + 1))}"; do args+=("$later=$BAD"); done
	st "${args[@]}"
	is "$RC" 4 "$n: used before the later names (status: pending)"
	like "$OUT" "^Using $n from the environment\$" "$n: the variable is named"
done

# --- none set: every name looked at, no value --------------------------
st
is "$RC" 2 "no URL: exit 2"
like "$ERR" '^dbhook: error: no database URL$' "no URL: the error"
like "$ERR" "^dbhook: detail: None of these is set in the environment: DATABASE_URL_DIRECT, MIGRATE_DATABASE_URL, POSTGRES_URL_NON_POOLING, DATABASE_URL_UNPOOLED, DIRECT_URL, DIRECT_DATABASE_URL, DATABASE_URL\.\$" \
	"no URL: every name looked at, in order"

# --- --url-env NAME: exactly that variable --------------------------------
st DATABASE_URL_DIRECT="$BAD" MY_DIRECT="$GOOD"
is "$RC" 3 "the first usual name is used without --url-env"
run env DATABASE_URL_DIRECT="$GOOD" "$DBHOOK" status --dir "$M" --url-env MY_DIRECT
is "$RC" 2 "--url-env NAME unset: no other variable is used"
like "$ERR" '^dbhook: error: environment variable MY_DIRECT is not set$' "--url-env: names the variable"

# --- prisma/schema.prisma: the variable of directUrl --------------------------
mkdir -p prisma
cat >prisma/schema.prisma <<'EOF'
// directUrl = env("COMMENTED_OUT")
generator client {
  provider = "prisma-client-js"
}

/// The database
datasource db {
  provider  = "postgresql"
  url       = env("MY_POOLED") // the pooler
  directUrl = env( "MY_DIRECT" )
}
EOF
st MY_DIRECT="$GOOD" POSTGRES_URL_NON_POOLING="$BAD" DATABASE_URL="$BAD"
is "$RC" 4 "schema directUrl: its variable comes before the usual names"
like "$OUT" '^Using MY_DIRECT from the environment$' "schema directUrl: named"
st MY_POOLED="$GOOD" DATABASE_URL="$BAD"
is "$RC" 4 "schema url: its variable comes before DATABASE_URL"
like "$OUT" '^Using MY_POOLED from the environment$' "schema url: named"
st DATABASE_URL_DIRECT="$GOOD" MY_DIRECT="$BAD"
like "$OUT" '^Using DATABASE_URL_DIRECT ' "DATABASE_URL_DIRECT still comes first"
st
like "$ERR" 'detail: None of these .*MIGRATE_DATABASE_URL, MY_DIRECT, POSTGRES_URL_NON_POOLING, .*DIRECT_DATABASE_URL, MY_POOLED, DATABASE_URL\.' \
	"no URL: the schema's names are in the list, in their places"

# A URL written in the schema is never used, and not shown.
cat >prisma/schema.prisma <<EOF
datasource db {
  provider  = "postgresql"
  url       = env("DATABASE_URL")
  directUrl = "postgresql://me:$BADPW@db.example.com:5432/postgres"
}
EOF
st DATABASE_URL="$GOOD"
is "$RC" 4 "schema with a literal directUrl: DATABASE_URL is used"
like "$ERR" '^dbhook: note: prisma/schema.prisma: the datasource.s directUrl is a URL written in the file .*skipped$' \
	"the literal directUrl is skipped with a note"
rm -rf prisma

# --- package.json's prisma.schema -----------------------------------------
mkdir -p db
printf '{"name": "app", "prisma": {"schema": "db/schema.prisma"}}\n' >package.json
printf 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n  directUrl = env("PKG_DIRECT")\n}\n' >db/schema.prisma
st PKG_DIRECT="$GOOD" DATABASE_URL="$BAD"
like "$OUT" '^Using PKG_DIRECT from the environment$' "package.json prisma.schema: its directUrl's variable"
rm -rf db package.json

# --- prisma.config.ts ------------------------------------------------------
cat >prisma.config.ts <<'EOF'
import 'dotenv/config'
import { defineConfig, env } from 'prisma/config'

export default defineConfig({
  schema: 'prisma/schema.prisma',
  /* datasource: { url: env('WRONG') } */
  datasource: {
    url: env('CFG_URL'),
  },
})
EOF
st CFG_URL="$GOOD" DIRECT_URL="$BAD"
like "$OUT" '^Using CFG_URL from the environment$' "prisma.config.ts: a plain env('NAME') url"
sed -i "s/url: env('CFG_URL')/url: process.env.CFG_URL ?? ''/" prisma.config.ts
st CFG_URL="$BAD" DATABASE_URL="$GOOD"
like "$OUT" '^Using DATABASE_URL from the environment$' "prisma.config.ts dynamic: not used"
like "$ERR" "^dbhook: note: prisma.config.ts: the datasource's url is skipped: not a plain env\(\"NAME\"\)\$" \
	"prisma.config.ts dynamic: a one-line note"
rm -f prisma.config.ts

# --- a monorepo: the one workspace package with a schema ---------------------
printf '{"private": true, "workspaces": ["apps/*", "packages/*"]}\n' >package.json
mkdir -p apps/web/prisma apps/docs packages/ui
printf 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n  directUrl = env("WEB_DIRECT")\n}\n' \
	>apps/web/prisma/schema.prisma
st WEB_DIRECT="$GOOD" DATABASE_URL="$BAD"
like "$OUT" '^Using WEB_DIRECT from the environment$' "monorepo: the package's directUrl variable"
like "$ERR" 'note: the workspace package apps/web is the one with Prisma files' "monorepo: the package is named"
mkdir -p packages/db/prisma
cp apps/web/prisma/schema.prisma packages/db/prisma/
st WEB_DIRECT="$BAD" DATABASE_URL="$GOOD"
like "$OUT" '^Using DATABASE_URL from the environment$' "monorepo, two packages with schemas: none used"
like "$ERR" 'note: 2 workspace packages have Prisma files \(apps/web, packages/db\): none is used' \
	"monorepo, two packages: a note naming them"
rm -rf apps packages package.json

# --- .env --------------------------------------------------------------------
cat >.env <<EOF
# comment
export DIRECT_URL="$GOOD" # the direct one
DATABASE_URL='$BAD'
this line is not an assignment $BADPW
EOF
st
is "$RC" 4 ".env: its DIRECT_URL is used"
like "$OUT" '^Using DIRECT_URL from \.env$' ".env: the message names the variable and the file"
like "$ERR" '^dbhook: warning: \.env:4: not a KEY=VALUE line \(its text is not shown' ".env: a bad line is named by its number"
st DIRECT_URL="$BAD"
is "$RC" 3 ".env: the environment wins over the file"
like "$OUT" '^Using DIRECT_URL from the environment$' ".env: the environment's value is named so"
st DATABASE_URL_DIRECT="$GOOD"
like "$OUT" '^Using DATABASE_URL_DIRECT from the environment$' ".env: an earlier name in the environment comes first"
st VERCEL=1
is "$RC" 2 "VERCEL=1: .env is not read"
like "$ERR" '^dbhook: note: \.env is not read in a Vercel build' "VERCEL=1: a note says so"
st VERCEL_ENV=preview
is "$RC" 2 "VERCEL_ENV set: .env is not read"
rm -f .env

# --- a pooler passed over for a direct URL --------------------------------------
st DATABASE_URL_DIRECT="$POOLED" DIRECT_URL="$GOOD"
is "$RC" 4 "pooler first, direct later: the direct one is used"
like "$ERR" '^dbhook: note: DATABASE_URL_DIRECT looks like a transaction pooler \(pgbouncer=true in the URL\); using DIRECT_URL from the environment instead$' \
	"pooler passed over: a note naming both variables"
like "$OUT" '^Using DIRECT_URL from the environment$' "pooler passed over: the direct variable is named"
run env MIGRATE_DATABASE_URL="$(url_for "$db" 6543)" DATABASE_URL="$GOOD" "$DBHOOK" deploy --dir "$M" --timeout 10
is "$RC" 0 "deploy: a 6543 URL passed over for DATABASE_URL, applied"
like "$ERR" 'MIGRATE_DATABASE_URL looks like a transaction pooler \(.*6543.*\); using DATABASE_URL' "deploy: the note"

# All poolers: the refusal stays; --url-env a pooler: the hint names the direct one.
run env DATABASE_URL_DIRECT="$POOLED" DATABASE_URL="$(url_for "$db" 6543)" "$DBHOOK" deploy --dir "$M"
is "$RC" 2 "only poolers: deploy refuses"
like "$ERR" '^dbhook: error: refusing to migrate through a transaction pooler' "only poolers: the refusal"
unlike "$ERR" 'holds a direct connection' "only poolers: no direct variable to name"
run env DATABASE_URL="$POOLED" DIRECT_URL="$GOOD" "$DBHOOK" deploy --dir "$M" --url-env DATABASE_URL
is "$RC" 2 "--url-env names a pooler: refused"
like "$ERR" '^dbhook: hint: DIRECT_URL \(in the environment\) holds a direct connection: use it with --url-env DIRECT_URL\. ' \
	"the refusal's hint names the variable holding a direct URL"

# --- Prisma Accelerate ---------------------------------------------------------
ACC="prisma+postgres://accelerate.prisma-data.net/?api_key=$BADPW"
st DATABASE_URL="$ACC"
is "$RC" 2 "prisma+postgres:// URL: exit 2"
like "$ERR" '^dbhook: error: DATABASE_URL is a Prisma Accelerate URL \(prisma\+postgres://\), not a database connection$' \
	"prisma+postgres://: the message names the variable"
like "$ERR" '^dbhook: hint: Set the direct URL .* in DATABASE_URL_DIRECT, or name its variable with --url-env\.$' \
	"prisma+postgres://: what to use instead"
st DATABASE_URL="prisma://accelerate.prisma-data.net/?api_key=$BADPW"
like "$ERR" 'DATABASE_URL is a Prisma Accelerate URL \(prisma://\)' "prisma:// too"
st MIGRATE_DATABASE_URL="$ACC" DATABASE_URL="$GOOD"
is "$RC" 0 "Accelerate first, a direct URL later: the direct one is used (up to date)"
like "$ERR" 'note: MIGRATE_DATABASE_URL is a Prisma Accelerate URL, not a database connection; using DATABASE_URL' \
	"Accelerate passed over: a note"

# --- vercel-build: MIGRATE_DATABASE_URL first, then the same search ------------
vb() { run env "$@" "$VERCEL_BUILD" --dir "$M" -- true; }
dbv=$(newdb)
vb VERCEL_ENV=production DIRECT_URL="$(url_for "$dbv")" DATABASE_URL="$BAD"
is "$RC" 0 "vercel-build production: DIRECT_URL is found"
like "$OUT" '^vercel-build: using DIRECT_URL from the environment$' "vercel-build: the variable is named"
is "$(admin "$dbv" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL")" 1 \
	"vercel-build: the migration applied through DIRECT_URL"
vb VERCEL_ENV=production MIGRATE_DATABASE_URL="$(url_for "$dbv")" DATABASE_URL_DIRECT="$BAD"
like "$OUT" '^vercel-build: using MIGRATE_DATABASE_URL from the environment$' "vercel-build: MIGRATE_DATABASE_URL first"
vb VERCEL_ENV=preview DIRECT_URL="$BAD"
like "$OUT" 'skipping migrations' "vercel-build preview: skipped, whatever is set"
printf 'DIRECT_URL="%s"\n' "$GOOD" >.env
vb VERCEL_ENV=production
like "$ERR" 'MIGRATE_DATABASE_URL is not set for the "production" environment, nor any of DATABASE_URL_DIRECT, .*DATABASE_URL \(the variables looked at' \
	"vercel-build: .env is never read; the names looked at are listed"
rm -f .env

cd "$WORK" || exit 1
finish

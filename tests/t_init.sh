#!/usr/bin/env bash
# init: an app set up in its folder - package.json edited as added lines
# only, the workflow written, what to install and set printed; --dry-run,
# a second run, other indentations, existing scripts and files kept. No
# database needed.
. "$(dirname "$0")/lib.sh"

SHIPPED="$SRCDIR/.github/workflows/migrate.yml"

# A realistic Next.js + Prisma app.
app() { # app DIR
	mkdir -p "$1/prisma/migrations/20240101000000_init" \
		"$1/prisma/migrations/20240102000000_add_orders"
	cd "$1" || exit 1
	echo 'CREATE TABLE users (id int);' >prisma/migrations/20240101000000_init/migration.sql
	echo 'CREATE TABLE orders (id int);' >prisma/migrations/20240102000000_add_orders/migration.sql
	printf 'provider = "postgresql"\n' >prisma/migrations/migration_lock.toml
	cat >prisma/schema.prisma <<-'EOF'
		datasource db {
		  provider  = "postgresql"
		  url       = env("DATABASE_URL")
		  directUrl = env("DIRECT_URL")
		}
	EOF
	echo '{"lockfileVersion": 3}' >package-lock.json
	echo 'DIRECT_URL=postgresql://u:topsecret@h/db' >.env
	cat >package.json <<-'EOF'
		{
		  "name": "acme-shop",
		  "version": "0.1.0",
		  "private": true,
		  "scripts": {
		    "dev": "next dev",
		    "build": "next build",
		    "start": "next start"
		  },
		  "dependencies": {
		    "@prisma/client": "^6.0.0",
		    "next": "15.0.0"
		  }
		}
	EOF
	cp package.json "$WORK/original.json"
}

app "$WORK/shop"

# --dry-run: the diff, nothing written.
run "$DBHOOK" init --dry-run
is "$RC" 0 "--dry-run exits 0"
check "--dry-run leaves package.json as it was" cmp -s package.json "$WORK/original.json"
check "--dry-run creates no workflow" [ ! -e .github ]
like "$OUT" '^Would add to package.json: "vercel-build", "migrate:setup", "migrate:run"$' \
	"--dry-run names the scripts it would add"
like "$OUT" '^@@ -3,6 \+3,9 @@$' "--dry-run shows a diff hunk"
like "$OUT" '^\+    "vercel-build": "vercel-build",$' "the diff shows the added line"
like "$OUT" '^     "dev": "next dev",$' "and its context"
like "$OUT" '^Would create \.github/workflows/migrate\.yml' "--dry-run names the workflow it would create"
like "$OUT" '^Dry run, nothing written: 2 changes\.$' "--dry-run says nothing was written"

# The real run.
run "$DBHOOK" init
is "$RC" 0 "init exits 0"
cat >"$WORK/expected.json" <<-'EOF'
	{
	  "name": "acme-shop",
	  "version": "0.1.0",
	  "private": true,
	  "scripts": {
	    "vercel-build": "vercel-build",
	    "migrate:setup": "dbhook setup",
	    "migrate:run": "dbhook run",
	    "dev": "next dev",
	    "build": "next build",
	    "start": "next start"
	  },
	  "dependencies": {
	    "@prisma/client": "^6.0.0",
	    "next": "15.0.0"
	  }
	}
EOF
check "package.json is the expected bytes" cmp package.json "$WORK/expected.json"
is "$(diff "$WORK/original.json" package.json | grep -c '^[<>]')" 3 "the diff has 3 lines"
is "$(diff "$WORK/original.json" package.json | grep -c '^<')" 0 "added lines only"
check "the workflow is the shipped one" cmp .github/workflows/migrate.yml "$SHIPPED"
like "$OUT" '^Package manager: npm \(package-lock\.json\)$' "finds the package manager"
like "$OUT" '^Build: package.json "build" script \(next build\); vercel-build hands off to it: npm run build$' \
	"finds the build script and the hand-off"
like "$OUT" '^Migrations: prisma/migrations \(2 migrations\)$' "finds the migrations"
like "$OUT" "^Prisma: DIRECT_URL \(prisma/schema.prisma's directUrl\)$" "finds the directUrl variable"
like "$OUT" '^vercel.json: none$' "no vercel.json"
like "$OUT" '^Added to package.json: "vercel-build", "migrate:setup", "migrate:run"$' "says what it added"
like "$OUT" '^Created \.github/workflows/migrate\.yml$' "says it created the workflow"
like "$OUT" '^Install it: npm i dbhook$' "the install command of the lockfile's manager"
like "$OUT" '^Set these variables:$' "the variables"
like "$OUT" '^  On Vercel \(Project → Settings → Environment Variables\), for Production only:$' \
	"where on Vercel"
like "$OUT" '^    MIGRATE_DATABASE_URL +a direct or session-pooler URL' "MIGRATE_DATABASE_URL"
like "$OUT" '^  On GitHub \(Settings → .*\), for \.github/workflows/migrate\.yml:$' "where on GitHub"
for s in $(grep -o 'secrets\.[A-Za-z0-9_]*' "$SHIPPED" | sort -u | sed 's/secrets\.//'); do
	like "$OUT" "^    $s( |\$)" "the workflow's secret $s"
done
like "$OUT" '^Done: 2 changes\.$' "the outcome"
unlike "$OUT$ERR" 'topsecret' "no .env value printed"
is "$ERR" "" "nothing on stderr"

# A second run changes nothing.
cp package.json "$WORK/after1.json"
run "$DBHOOK" init
is "$RC" 0 "a second run exits 0"
like "$OUT" '^Nothing to change\.$' "a second run: nothing to change"
like "$OUT" '^Kept: the "vercel-build" script runs vercel-build already$' "the script it added is kept"
like "$OUT" '^Up to date: \.github/workflows/migrate\.yml$' "the workflow is up to date"
check "a second run leaves package.json" cmp package.json "$WORK/after1.json"
run "$DBHOOK" init --dry-run
like "$OUT" '^Nothing to change\.$' "--dry-run after it: nothing to change"

# `dbhook init workflow` prints the shipped workflow.
"$DBHOOK" init workflow >"$WORK/printed.yml"
check "init workflow prints the shipped workflow" cmp "$WORK/printed.yml" "$SHIPPED"
run "$DBHOOK" init other
is "$RC" 2 "an unknown word: exit 2"
like "$ERR" 'unexpected argument "other"' "and says which"

# 4 spaces, no final newline, pnpm: kept as they were.
mkdir -p "$WORK/four" && cd "$WORK/four" || exit 1
printf '{\n    "name": "four",\n    "scripts": {\n        "build": "next build"\n    }\n}' >package.json
touch pnpm-lock.yaml
run "$DBHOOK" init
is "$RC" 0 "4 spaces: exit 0"
is "$(od -An -c package.json | tr -s ' ')" "$(printf '{\n    "name": "four",\n    "scripts": {\n        "vercel-build": "vercel-build",\n        "migrate:setup": "dbhook setup",\n        "migrate:run": "dbhook run",\n        "build": "next build"\n    }\n}' | od -An -c | tr -s ' ')" \
	"4-space indentation and no final newline kept"
like "$OUT" '^Install it: pnpm add dbhook$' "pnpm's install command"
like "$OUT" '^Migrations: none yet' "no migrations folder yet"

# An existing vercel-build script is respected.
mkdir -p "$WORK/own" && cd "$WORK/own" || exit 1
printf '{\n  "scripts": {\n    "build": "next build",\n    "vercel-build": "vercel-build --strict -- next build"\n  },\n  "devDependencies": {"dbhook": "^0.1.0"}\n}\n' >package.json
run "$DBHOOK" init
is "$RC" 0 "own vercel-build script: exit 0"
like "$OUT" '^Kept: the "vercel-build" script runs vercel-build already$' "an existing vercel-build script is kept"
like "$OUT" '^Added to package.json: "migrate:setup", "migrate:run"$' "only the missing scripts are added"
like "$(cat package.json)" '"vercel-build": "vercel-build --strict -- next build"' "its text unchanged"
like "$OUT" '^dbhook: in devDependencies$' "no install command when dbhook is a dependency"

# A vercel-build script that does not run vercel-build, a buildCommand
# that bypasses it, and a different workflow: said, not changed.
mkdir -p "$WORK/other/.github/workflows" && cd "$WORK/other" || exit 1
printf '{\n  "scripts": {\n    "vercel-build": "prisma migrate deploy && next build",\n    "migrate:setup": "x",\n    "migrate:run": "y"\n  }\n}\n' >package.json
echo '{"buildCommand": "next build"}' >vercel.json
echo 'name: mine' >.github/workflows/migrate.yml
cp package.json "$WORK/other.json"
run "$DBHOOK" init
is "$RC" 0 "files left to change by hand: exit 0"
like "$ERR" 'the "vercel-build" script \("prisma migrate deploy && next build"\) does not run vercel-build' \
	"a vercel-build script that does not run vercel-build is named"
like "$ERR" 'change it to "vercel-build && prisma migrate deploy && next build"' "and what to change"
like "$ERR" 'vercel.json: "buildCommand": "next build" is what Vercel runs instead' "a bypassing buildCommand is named"
like "$ERR" 'change it to "vercel-build -- next build"' "and what to change"
like "$ERR" 'migrate.yml differs from the workflow of this dbhook: left as it is' "a different workflow is kept"
like "$ERR" 'dbhook init workflow \| diff -u' "and how to compare"
is "$(cat .github/workflows/migrate.yml)" "name: mine" "the workflow is not overwritten"
check "package.json not changed" cmp package.json "$WORK/other.json"
is "$(cat vercel.json)" '{"buildCommand": "next build"}' "vercel.json not changed"
like "$OUT" '^Nothing to change \(see the warnings above\)\.$' "nothing to change, with warnings"

# A script holding a database URL: quoted in a warning and in the dry
# run's diff, its password hidden.
mkdir -p "$WORK/secret" && cd "$WORK/secret" || exit 1
printf '{\n  "scripts": {\n    "db": "DATABASE_URL=postgres://app:Init-pw-93kq@db.example.com/app prisma db push",\n    "vercel-build": "DATABASE_URL=postgres://app:Init-pw-93kq@db.example.com/app prisma migrate deploy && next build"\n  }\n}\n' >package.json
run "$DBHOOK" init --dry-run
is "$RC" 0 "scripts with a URL: exit 0"
like "$ERR" 'the "vercel-build" script \("DATABASE_URL=postgres:\*\*\*@db.example.com/app prisma migrate deploy' \
	"the script is quoted with its password hidden"
like "$OUT" '^ +"db":' "the diff's context shows the other script's line"
unlike "$OUT$ERR" 'Init-pw-93kq' "the password is printed nowhere"

# Usage errors.
mkdir -p "$WORK/empty" && cd "$WORK/empty" || exit 1
run "$DBHOOK" init
is "$RC" 2 "no package.json: exit 2"
like "$ERR" 'error: no package.json in this folder' "no package.json: said"
like "$ERR" "hint: Run dbhook init in the app's folder" "and where to run it"
printf '{\n  "scripts": {\n    "build": "next build",\n  }\n}\n' >package.json
run "$DBHOOK" init
is "$RC" 2 "invalid JSON: exit 2"
like "$ERR" 'error: package.json:4:3: invalid JSON near "}"$' "invalid JSON: file:line:col"
is "$OUT" "" "invalid JSON: nothing else printed"

echo "1..$TAP_N"
[ "$TAP_FAILED" -eq 0 ]

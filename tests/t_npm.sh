#!/usr/bin/env bash
# The npm packages of scripts/package (dist/npm/*.tgz), installed as a user
# installs them: `npm install dbhook` into a fresh Node project, from a tiny
# npm registry on loopback (tests/npm-registry.js) that serves only our
# tarballs. Then the launcher: `npx dbhook`, `npm run vercel-build` in
# Preview and Production against the test PostgreSQL, exit codes and SIGTERM
# passed through, and what it says when the platform package is missing.
# No compiler is involved: the app's only dbhook is the one from npm.
# shellcheck disable=SC2016 # literal $X in patterns
. "$(dirname "$0")/lib.sh"
need_db

SRC=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
D=$SRC/dist/npm
if [ ! -f "$SRC/dist/portable/env" ] || ! ls "$D"/dbhook-linux-x64-*.tgz >/dev/null 2>&1; then
	ok 1 "scripts/package built the npm tarballs in $D: run scripts/package"
	finish
fi
# shellcheck source=/dev/null
. "$SRC/dist/portable/env"
V=$PORTABLE_VERSION
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY NODE_ENV

# --- the tarballs -------------------------------------------------------------
for t in dbhook dbhook-linux-x64 dbhook-linux-arm64; do
	check "dist/npm/$t-$V.tgz exists" test -f "$D/$t-$V.tgz"
done
for a in x64 arm64; do
	size=$(stat -c %s "$D/dbhook-linux-$a-$V.tgz")
	check "dbhook-linux-$a-$V.tgz is $size bytes (<= 3 MB compressed)" test "$size" -le 3145728
	is "$(tar -xzOf "$D/dbhook-linux-$a-$V.tgz" package/package.json | jq -c '[.os, .cpu, .libc, .version]')" \
		"[[\"linux\"],[\"$a\"],[\"glibc\"],\"$V\"]" "dbhook-linux-$a: os, cpu, libc and version"
	like "$(tar -tvzf "$D/dbhook-linux-$a-$V.tgz" package/bin/dbhook)" '^-rwx' "dbhook-linux-$a: the binary is executable"
done
M=$(tar -xzOf "$D/dbhook-$V.tgz" package/package.json)
is "$(jq -c '[.bin, .optionalDependencies, .scripts]' <<<"$M")" \
	"[{\"dbhook\":\"bin/dbhook.js\",\"vercel-build\":\"bin/vercel-build.js\"},{\"dbhook-linux-x64\":\"$V\",\"dbhook-linux-arm64\":\"$V\"},null]" \
	"dbhook: bin entries, optional platform packages, no install script"
is "$(jq -r '.dependencies // "none"' <<<"$M")" none "dbhook: no dependencies"

# --- the registry ---------------------------------------------------------------
node "$SRC/tests/npm-registry.js" "$D" "$WORK/regport" >"$WORK/registry.log" 2>&1 &
BG_PIDS+=($!)
poll 10 test -s "$WORK/regport"
REG=http://127.0.0.1:$(cat "$WORK/regport")/
export npm_config_registry=$REG npm_config_cache=$WORK/npm-cache npm_config_audit=false \
	npm_config_fund=false npm_config_update_notifier=false

newapp() { # newapp DIR : a Node project with a build script and migrations
	mkdir -p "$1"
	cat >"$1/package.json" <<-'EOF'
		{
		  "name": "acme-web",
		  "version": "1.0.0",
		  "private": true,
		  "scripts": {
		    "build": "sh build.sh",
		    "vercel-build": "vercel-build"
		  }
		}
	EOF
	cat >"$1/build.sh" <<-'EOF'
		echo "app build ran (VERCEL_ENV=${VERCEL_ENV:-})"
		if [ -n "${WAIT_FOR_TERM:-}" ]; then
			trap 'echo "build got TERM" >"$WAIT_FOR_TERM.term"; exit 143' TERM
			echo started >"$WAIT_FOR_TERM"
			while :; do sleep 0.1; done
		fi
	EOF
	mkmig "$1/prisma/migrations" 20240101000000_users 'CREATE TABLE users (id int PRIMARY KEY);'
	mkmig "$1/prisma/migrations" 20240102000000_posts 'CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users);'
}

A=$WORK/app
newapp "$A"
cd "$A" || exit 1
run npm install "dbhook@$V"
is "$RC" 0 "npm install dbhook@$V from the registry: exit 0"
check "node_modules/dbhook-linux-x64/bin/dbhook is installed" test -x node_modules/dbhook-linux-x64/bin/dbhook
check "node_modules/dbhook-linux-arm64 is not (another cpu)" test ! -e node_modules/dbhook-linux-arm64
is "$(jq -r '.packages["node_modules/dbhook-linux-arm64"].optional' package-lock.json)" true \
	"package-lock.json records the arm64 package too (a lockfile made here works on arm64)"
is "$(jq -r '.dependencies.dbhook' package.json)" "^$V" "package.json: dbhook is a dependency"
like "$(cat "$WORK/registry.log")" "GET /dbhook-linux-x64/-/dbhook-linux-x64-$V.tgz 200" "the binary came from the registry"
check "no compiler was involved: no build folder in node_modules" test -z "$(find node_modules -name '*.o' -o -name meson.build)"

run npx --no-install dbhook --version
is "$RC" 0 "npx dbhook --version: exit 0"
like "$OUT" "^dbhook $V \(" "npx dbhook --version: the packaged version $V"
run ./node_modules/.bin/vercel-build --version
like "$OUT" "^vercel-build $V \(" "node_modules/.bin/vercel-build is the build hook"

# --- npm run vercel-build ------------------------------------------------------------
db=$(newdb)
run env VERCEL_ENV=preview MIGRATE_DATABASE_URL="$(url_for "$db")" npm run vercel-build
is "$RC" 0 "Preview: npm run vercel-build exits 0"
like "$OUT" '^vercel-build: skipping migrations: environment "preview" is not in --environments \(production\)$' "Preview: says why it skips"
like "$OUT" '^app build ran \(VERCEL_ENV=preview\)$' "Preview: hands off to the build script"
is "$(admin "$db" "SELECT to_regclass('public._prisma_migrations') IS NOT NULL")" f "Preview: the database is untouched"

run env VERCEL_ENV=production MIGRATE_DATABASE_URL="$(url_for "$db")" npm run vercel-build
is "$RC" 0 "Production: npm run vercel-build exits 0"
is "$(rows "$db")" $'20240101000000_users|true|false\n20240102000000_posts|true|false' "Production: both migrations applied"
like "$OUT" '^app build ran \(VERCEL_ENV=production\)$' "Production: then the build ran"

# Exit codes through the launcher.
mkmig "$A/prisma/migrations" 20240103000000_broken 'SELECT 1/0;'
run env DATABASE_URL_DIRECT="$(url_for "$db")" npx --no-install dbhook status
is "$RC" 4 "npx dbhook status with a pending migration: exit 4, as the binary's"
run env VERCEL_ENV=production MIGRATE_STRICT=1 MIGRATE_DATABASE_URL="$(url_for "$db")" npm run vercel-build
is "$RC" 1 "MIGRATE_STRICT=1 and a failing migration: npm run vercel-build exits 1"
like "$ERR" 'division by zero' "the migration error reaches the terminal"
rm -rf "$A/prisma/migrations/20240103000000_broken"

# SIGTERM to npm reaches the launcher, the binary and the build it became.
rm -f "$WORK/wait" "$WORK/wait.term"
WAIT_FOR_TERM=$WORK/wait VERCEL_ENV=preview npm run vercel-build >"$WORK/term.out" 2>&1 &
npm_pid=$!
if poll 30 test -f "$WORK/wait"; then
	kill -TERM "$npm_pid"
	wait "$npm_pid"
	rc=$?
	poll 5 test -f "$WORK/wait.term"
	is "$(cat "$WORK/wait.term" 2>/dev/null)" "build got TERM" "SIGTERM to npm run vercel-build reaches the build"
	check "npm run vercel-build ended with a failure status after SIGTERM (got $rc)" test "$rc" -ne 0
else
	kill "$npm_pid" 2>/dev/null
	ok 1 "the build started under npm run vercel-build (see $WORK/term.out)"
fi

# --- the platform package missing ------------------------------------------------------
B=$WORK/omit
newapp "$B"
cd "$B" || exit 1
run npm install "dbhook@$V" --omit=optional
is "$RC" 0 "npm install --omit=optional: exit 0"
check "--omit=optional leaves the binary out" test ! -e node_modules/dbhook-linux-x64
run npx --no-install dbhook --version
is "$RC" 2 "without the platform package: exit 2"
like "$ERR" "^dbhook: error: the package dbhook-linux-x64, which holds the dbhook binary for linux-x64, is not installed\.$" \
	"without the platform package: says what is missing"
like "$ERR" "^dbhook: hint: Run: npm install dbhook@$V \(without --omit=optional\), or add the binary directly: npm install dbhook-linux-x64@$V$" \
	"without the platform package: says what to run"
run env npm_config_omit=optional npm run vercel-build
is "$RC" 2 "npm run vercel-build with optional dependencies omitted: exit 2"
like "$ERR" '^vercel-build: detail: optional dependencies are omitted here' "and it names --omit=optional as the cause"
run env NODE_ENV=production npx --no-install dbhook --version
like "$ERR" '^dbhook: detail: NODE_ENV=production: npm omits devDependencies; keep dbhook in "dependencies"' \
	"NODE_ENV=production: the message says to keep dbhook in dependencies"
run npm install "dbhook-linux-x64@$V"
run npx --no-install dbhook --version
is "$RC" 0 "after the hinted npm install dbhook-linux-x64@$V: it runs"

# Another platform: the launcher says which binaries exist.
printf "Object.defineProperty(process, 'arch', { value: 'ppc64' });\n" >"$WORK/ppc.js"
run env NODE_OPTIONS="--require $WORK/ppc.js" npx --no-install dbhook --version
is "$RC" 2 "an unsupported cpu: exit 2"
like "$ERR" "^dbhook: error: dbhook $V has no prebuilt binary for linux ppc64\.$" "an unsupported cpu: says so"
like "$ERR" '^dbhook: detail: Prebuilt binaries exist for linux-x64, linux-arm64 \(glibc 2\.31 or newer\)\.$' \
	"an unsupported cpu: lists the platforms"

cd "$WORK" || exit 1
finish

#!/usr/bin/env bash
# .github/workflows/migrate.yml: valid for GitHub (checked offline by the
# npm package @action-validator/cli), triggered and guarded as README says,
# and its shell steps work: they are taken from the YAML (parsed with the
# npm package yaml) and run here, in a copy of the repository, against the
# test PostgreSQL, with the secret replaced by a test database URL; its
# `npx --yes dbhook` gets dbhook from a registry on loopback serving the
# packages of scripts/package (tests/npm-registry.js).
#
# npm is required (scripts/install-deps installs nodejs and npm): without
# it this test fails rather than skips. Packages are installed once into
# a cache outside the repository.
. "$(dirname "$0")/lib.sh"
need_db

WF=$SRCDIR/.github/workflows/migrate.yml
NPMDIR=${XDG_CACHE_HOME:-$HOME/.cache}/dbhook-test-npm
VALIDATOR=$NPMDIR/node_modules/.bin/action-validator
YAMLMOD=$NPMDIR/node_modules/yaml

check "the workflow file exists" test -f "$WF"
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
	ok 1 "npm and node are installed (scripts/install-deps installs nodejs and npm)"
	finish
fi
if [ ! -x "$VALIDATOR" ] || [ ! -f "$YAMLMOD/package.json" ]; then
	mkdir -p "$NPMDIR"
	npm install --prefix "$NPMDIR" --no-audit --no-fund --no-save --loglevel=error \
		@action-validator/cli@0.6.0 yaml@2.9.1 >"$LOGDIR/npm.log" 2>&1
fi
if [ -x "$VALIDATOR" ] && [ -f "$YAMLMOD/package.json" ]; then
	ok 0 "@action-validator/cli and yaml installed in $NPMDIR"
else
	ok 1 "@action-validator/cli and yaml installed in $NPMDIR (see $LOGDIR/npm.log)"
	finish
fi

run "$VALIDATOR" "$WF"
is "$RC" 0 "action-validator accepts the workflow"
sed 's/runs-on:/runs_on:/' "$WF" >"$WORK/broken.yml"
run "$VALIDATOR" "$WORK/broken.yml"
isnt_zero=$([ "$RC" != 0 ] && echo 0 || echo 1)
ok "$isnt_zero" "and rejects a broken copy (the validator really validates)"

# The workflow as JSON.
node -e '
	const Y = require(process.argv[1]), fs = require("fs");
	process.stdout.write(JSON.stringify(Y.parse(fs.readFileSync(process.argv[2], "utf8"))));
' "$YAMLMOD" "$WF" >"$WORK/wf.json"
check "the YAML parses" jq -e . "$WORK/wf.json"
q() { jq -r "$@" "$WORK/wf.json"; }

is "$(q '.on.push.branches | join(",")')" "main" "runs on a push to main"
is "$(q '.on.push.paths | sort | join(",")')" "migrations/**,prisma/migrations/**" \
	"only when a migrations folder changes"
is "$(q '.on | has("workflow_dispatch")')" "true" "and on manual dispatch"
is "$(q '.concurrency.group | length > 0')" "true" "a concurrency group"
is "$(q '.concurrency["cancel-in-progress"]')" "false" "that never cancels a run in progress"
is "$(q '.jobs | length')" 1 "one job"
is "$(q '.jobs[] | ."runs-on" | startswith("ubuntu")')" "true" "on an Ubuntu runner"
is "$(q '.jobs[].steps[0].uses')" "actions/checkout@v4" "checks the code out first"
is "$(q '[.jobs[].steps[] | select(.env.DATABASE_URL_DIRECT)] | length')" 1 "one step gets the URL"
is "$(q '.jobs[].steps[] | select(.env.DATABASE_URL_DIRECT) | .env.DATABASE_URL_DIRECT')" \
	'${{ secrets.DATABASE_URL_DIRECT }}' "from the repository secret DATABASE_URL_DIRECT"
is "$(q '.jobs[].steps[] | select(.env.DATABASE_URL_DIRECT) | .run')" "npx --yes dbhook deploy" \
	"and runs dbhook from npm: npx --yes dbhook deploy"
is "$(q '[.jobs[].steps[] | .run // "" | select(test("apt-get|meson|gcc|make"))] | length')" 0 \
	"nothing is compiled or installed with apt"
unlike "$(q '[.jobs[].steps[] | select(.env.DATABASE_URL_DIRECT | not) | .env // {} | tostring] | join(" ")')" \
	'secrets\.' "no other step sees a secret"

# ---- the steps, run locally ----------------------------------------------------
# A copy of the repository plays the checkout (without build trees).
REPO=$WORK/repo
mkdir -p "$REPO"
tar -C "$SRCDIR" --exclude=./build --exclude=./build-asan --exclude=./build-fallback \
	--exclude=./.git --exclude=./dist --exclude=./node_modules -cf - . | tar -C "$REPO" -xf -
# npm's registry: ours, on loopback, with the packages of scripts/package.
if ! ls "$SRCDIR"/dist/npm/dbhook-*.tgz >/dev/null 2>&1; then
	ok 1 "scripts/package built the npm packages in dist/npm: run scripts/package"
	finish
fi
node "$SRCDIR/tests/npm-registry.js" "$SRCDIR/dist/npm" "$WORK/regport" >"$WORK/registry.log" 2>&1 &
BG_PIDS+=($!)
poll 10 test -s "$WORK/regport"
export npm_config_registry=http://127.0.0.1:$(cat "$WORK/regport")/ npm_config_cache=$WORK/npm-cache \
	npm_config_update_notifier=false
nsteps=$(q '.jobs[].steps | length')
db=$(newdb)
export DATABASE_URL_DIRECT_TEST
DATABASE_URL_DIRECT_TEST=$(url_for "$db")
export GITHUB_ACTIONS=true
unset DATABASE_URL MIGRATE_DATABASE_URL DATABASE_URL_DIRECT

# step_env I : the step's env as NAME=VALUE lines, secrets replaced
step_env() {
	q --argjson i "$1" '.jobs[].steps[$i].env // {} | to_entries[] | "\(.key)=\(.value)"' |
		sed 's/\${{ *secrets\.DATABASE_URL_DIRECT *}}/'"$(printf '%s' "$DATABASE_URL_DIRECT_TEST" | sed 's/[&/\]/\\&/g')"'/'
}

# run_step I : runs step I's `run:` as the runner does (bash -e, in the
# checkout), with its env (exported here, not on a command line that the
# test log would keep)
run_step() {
	local i=$1 cmd line names=()
	STEP_NAME=$(q --argjson i "$i" '.jobs[].steps[$i].name')
	cmd=$(q --argjson i "$i" '.jobs[].steps[$i].run // empty')
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		export "${line?}"
		names+=("${line%%=*}")
	done < <(step_env "$i")
	run env -C "$REPO" bash --noprofile --norc -eo pipefail -c "$cmd"
	for line in "${names[@]}"; do
		unset "$line"
	done
}

deploy_step=""
for ((i = 0; i < nsteps; i++)); do
	cmd=$(q --argjson i "$i" '.jobs[].steps[$i].run // empty')
	[ -n "$cmd" ] || continue
	if [ "$(q --argjson i "$i" '.jobs[].steps[$i].env.DATABASE_URL_DIRECT // empty')" ]; then
		deploy_step=$i
	fi
	run_step "$i"
	is "$RC" 0 "step \"$STEP_NAME\" succeeds here"
done
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL")" \
	"$(find "$REPO/migrations" -mindepth 1 -maxdepth 1 -type d | wc -l)" \
	"the deploy step applied every migration to the test database"
like "$OUT" '^All migrations have been successfully applied\.$' "and said so"

run_step "$deploy_step"
is "$RC" 0 "running the deploy step again: exit 0"
like "$OUT" '^No pending migrations to apply\.$' "nothing left to do"

mkmig "$REPO/migrations" 20990101000000_broken 'CREATE TABLE broken (id int'
run_step "$deploy_step"
is "$RC" 1 "a failing migration fails the step (exit 1)"
like "$OUT" '^::error title=dbhook::migration "20990101000000_broken" failed' \
	"and shows up as a GitHub annotation"
rm -r "$REPO/migrations/20990101000000_broken"

DATABASE_URL_DIRECT_TEST=""
run_step "$deploy_step"
is "$RC" 2 "an unset secret fails the step (exit 2)"
like "$OUT" '^::error title=dbhook::no database URL' "with an annotation that says so"

finish

#!/usr/bin/env bash
# .github/workflows/migrate.yml: valid for GitHub (checked offline by the
# npm package @action-validator/cli), triggered, routed and guarded as
# README says (dev to the environment staging, main to production, the
# promotion gate when STAGING_DATABASE_URL is set, a read-only check of
# pull requests against staging), and its shell steps work: each job's
# steps are taken from the YAML (parsed with the npm package yaml) and run
# here, in a copy of the repository, against two test databases (staging
# and production) with the secrets replaced by their URLs; its
# `npx --yes dbhook` gets dbhook from a registry on loopback serving the
# packages of scripts/package (tests/npm-registry.js). The jobs' `if:`
# conditions are evaluated for each event by a small evaluator of the
# expression forms the workflow uses (an unknown form fails the test).
#
# npm is required (scripts/install-deps installs nodejs and npm): without
# it this test fails rather than skips. Packages are installed once into
# a cache outside the repository.
#
# shellcheck disable=SC2016 # jq programs and ${{ }} expressions are literal
# shellcheck source=/dev/null
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

# ---- triggers and structure --------------------------------------------------
MIGPATHS="migrations/**,prisma/migrations/**"
is "$(q '.on.push.branches | sort | join(",")')" "dev,main" "runs on a push to dev or main"
is "$(q '.on.push.paths | sort | join(",")')" "$MIGPATHS" "only when a migrations folder changes"
is "$(q '.on.pull_request.paths // [] | sort | join(",")')" "$MIGPATHS" \
	"and on a pull request that changes a migrations folder"
is "$(q '.on.workflow_dispatch.inputs.environment | "\(.type) \(.options | sort | join(",")) \(.default)"')" \
	"choice by-branch,production,staging by-branch" \
	"by hand, with a choice of environment (default: by branch)"
is "$(q '.permissions | tostring')" '{"contents":"read"}' "the token may only read the contents"
is "$(q '.concurrency // "none" | tostring')" "none" \
	"no workflow-wide concurrency group (staging, production and checks do not wait for each other)"
is "$(q '.jobs | keys | join(",")')" "check,deploy,plan" "three jobs: plan, deploy, check"
is "$(q '[.jobs[] | ."runs-on" | startswith("ubuntu")] | all')" "true" "each on an Ubuntu runner"
is "$(q '[.jobs[] | ."timeout-minutes" | numbers | select(. > 0 and . <= 10)] | length')" 3 \
	"each with a timeout of at most 10 minutes"
is "$(q '[.jobs[].steps[] | .uses // empty] | unique | join(",")')" "actions/checkout@v4" \
	"the only action used is actions/checkout@v4"
is "$(q '[.jobs.deploy, .jobs.check | .steps[0].uses] | join(",")')" \
	"actions/checkout@v4,actions/checkout@v4" "deploy and check check the code out first"
is "$(q '.jobs.deploy.needs')" "plan" "deploy runs after plan"
ENVX='${{ needs.plan.outputs.environment }}'
is "$(q '.jobs.deploy.environment')" "$ENVX" "in the environment plan chose"
like "$(q '.jobs.deploy.concurrency.group')" "^[a-z-]+-\\$\\{\\{ needs\\.plan\\.outputs\\.environment \\}\\}\$" \
	"one concurrency group per environment"
is "$(q '.jobs.deploy.concurrency["cancel-in-progress"]')" "false" \
	"that never cancels a run in progress"
is "$(q '.jobs.check.environment')" "staging" "check reads staging's secrets (environment staging)"
is "$(q '.jobs.check.concurrency // "none" | tostring')" "none" \
	"and waits for no deploy (it only reads)"
like "$(q '.jobs.plan.outputs.environment')" '^\$\{\{ steps\.[a-z_-]+\.outputs\.environment \}\}$' \
	"plan's output comes from one of its steps"
is "$(q '[.jobs.plan.steps[] | .env // {} | tostring | select(test("secrets\\."))] | length')" 0 \
	"plan sees no secret"
is "$(q '[.jobs[].steps[] | select(.env.DATABASE_URL_DIRECT)] | length')" 3 "three steps get a database URL"
is "$(q '[.jobs.deploy, .jobs.check | .steps[] | .env.DATABASE_URL_DIRECT // empty] | unique | join(",")')" \
	'${{ secrets.DATABASE_URL_DIRECT }}' "each from its environment's secret DATABASE_URL_DIRECT"
is "$(q '.jobs.deploy.steps[] | .env.STAGING_DATABASE_URL // empty')" '${{ secrets.STAGING_DATABASE_URL }}' \
	"deploy also gets the secret STAGING_DATABASE_URL (the gate's)"
is "$(q '[.jobs.check.steps[] | .env.STAGING_DATABASE_URL // empty] | length')" 0 \
	"check does not"
unlike "$(q '[.jobs[].steps[] | select(.env.DATABASE_URL_DIRECT | not) | .env // {} | tostring] | join(" ")')" \
	'secrets\.' "no other step sees a secret"
is "$(q '[.jobs[].steps[] | .run // "" | select(test("apt-get|meson|gcc|make"))] | length')" 0 \
	"nothing is compiled or installed with apt"
is "$(q '[.jobs[].steps[] | .run // "" | split("\n")[] | select(test("npx"))
	| select(test("^ *npx --yes dbhook (deploy|status|check)( |$)") | not)] | length')" 0 \
	"npx runs only dbhook (npx --yes dbhook deploy|status|check)"
like "$(q '.jobs.deploy.steps[] | .run // empty')" \
	'npx --yes dbhook deploy --require-applied-on STAGING_DATABASE_URL$' "deploy has the gated form"

# ---- which jobs run for which event (their `if:`) ----------------------------
cat >"$WORK/jobs.js" <<'EOF'
// node jobs.js WF_JSON CONTEXT_JSON : "job:true|false" per job, true when
// it runs (its `if:` holds and every job it needs ran). Only these forms:
// ${{ }}, 'strings', true/false/null, context paths, == != && || ! ( ).
const fs = require("fs");
const wf = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const ctx = JSON.parse(process.argv[3]);
const get = (p) => p.split(".").reduce((o, k) => (o == null ? null : o[k] ?? null), ctx);
function evaluate(src) {
	src = String(src).trim().replace(/^\$\{\{([\s\S]*)\}\}$/, "$1");
	const tok = /\s*(?:('(?:[^']|'')*')|(==|!=|&&|\|\||!|\(|\))|(true|false|null)\b|([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*))\s*/y;
	let js = "";
	while (tok.lastIndex < src.length) {
		const at = tok.lastIndex, m = tok.exec(src);
		if (!m) throw new Error(`unsupported expression: ${src.slice(at)}`);
		if (m[1]) js += JSON.stringify(m[1].slice(1, -1).replace(/''/g, "'"));
		else if (m[2]) js += { "==": "===", "!=": "!==" }[m[2]] || m[2];
		else if (m[3]) js += m[3];
		else js += `get(${JSON.stringify(m[4])})`;
	}
	return Boolean(new Function("get", `return (${js});`)(get));
}
const ran = {};
const runs = (j) => {
	if (!(j in ran)) {
		const job = wf.jobs[j], needs = [].concat(job.needs || []);
		ran[j] = needs.every(runs) && (job.if === undefined || evaluate(job.if));
	}
	return ran[j];
};
console.log(Object.keys(wf.jobs).map((j) => `${j}:${runs(j)}`).join(" "));
EOF
jobs_for() { # jobs_for CONTEXT_JSON
	node "$WORK/jobs.js" "$WORK/wf.json" "$1" 2>&1
}
SAME='{"full_name":"acme/shop"}'
OTHER='{"full_name":"someone/shop"}'
is "$(jobs_for '{"github":{"event_name":"push","ref":"refs/heads/dev","repository":"acme/shop"}}')" \
	"plan:true deploy:true check:false" "a push: plan and deploy run, check does not"
is "$(jobs_for '{"github":{"event_name":"workflow_dispatch","ref":"refs/heads/main","repository":"acme/shop"},"inputs":{"environment":"by-branch"}}')" \
	"plan:true deploy:true check:false" "a manual run: plan and deploy"
is "$(jobs_for '{"github":{"event_name":"pull_request","ref":"refs/pull/7/merge","repository":"acme/shop","event":{"pull_request":{"head":{"repo":'"$SAME"'}}}}}')" \
	"plan:false deploy:false check:true" "a pull request: only check"
is "$(jobs_for '{"github":{"event_name":"pull_request","ref":"refs/pull/8/merge","repository":"acme/shop","event":{"pull_request":{"head":{"repo":'"$OTHER"'}}}}}')" \
	"plan:false deploy:false check:false" "a pull request from a fork (no secrets): nothing runs"

# ---- the steps, run locally ----------------------------------------------------
# A copy of the repository plays the checkout (without build trees).
REPO=$WORK/repo
mkdir -p "$REPO"
excl=(--exclude=./.git --exclude=./dist --exclude=./node_modules)
for d in "$SRCDIR"/*/; do
	[ -d "$d/meson-info" ] && excl+=("--exclude=./$(basename "$d")")
done
tar -C "$SRCDIR" "${excl[@]}" -cf - . | tar -C "$REPO" -xf -
# npm's registry: ours, on loopback, with the packages of scripts/package.
if ! ls "$SRCDIR"/dist/npm/dbhook-*.tgz >/dev/null 2>&1; then
	ok 1 "scripts/package built the npm packages in dist/npm: run scripts/package"
	finish
fi
node "$SRCDIR/tests/npm-registry.js" "$SRCDIR/dist/npm" "$WORK/regport" >"$WORK/registry.log" 2>&1 &
BG_PIDS+=($!)
poll 10 test -s "$WORK/regport"
npm_config_registry=http://127.0.0.1:$(cat "$WORK/regport")/
export npm_config_registry npm_config_cache=$WORK/npm-cache npm_config_update_notifier=false
unset DATABASE_URL MIGRATE_DATABASE_URL DATABASE_URL_DIRECT STAGING_DATABASE_URL

staging=$(newdb)
prod=$(newdb)
# The secrets of each GitHub environment (the gate's is set per test).
declare -A SECRET_URL=([staging]=$(url_for "$staging") [production]=$(url_for "$prod"))
declare -A SECRET_GATE=([staging]="" [production]="")
applied() { # applied DB : the applied migrations' names, one line
	admin "$1" "SELECT coalesce(string_agg(migration_name, ' ' ORDER BY migration_name), '') FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL" 2>/dev/null
}
history() { # history DB : every column of every row, for "nothing changed"
	admin "$1" "SELECT * FROM _prisma_migrations ORDER BY id" 2>/dev/null
}
local_migs() {
	find "$REPO/migrations" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | tr '\n' ' ' | sed 's/ $//'
}

# The runner's side: its variables, the expressions it fills in (CTX:
# "secrets.X", "inputs.X", "steps.ID.outputs.X", "needs.JOB.outputs.X").
declare -A CTX
export GITHUB_ACTIONS=true GITHUB_WORKSPACE=$REPO RUNNER_TEMP=$WORK/runner-temp
mkdir -p "$RUNNER_TEMP"

trigger() { # trigger EVENT REF [INPUT|BASE] : a new run of the workflow
	local k
	export GITHUB_EVENT_NAME=$1 GITHUB_REF=$2 GITHUB_BASE_REF=""
	for k in "${!CTX[@]}"; do
		unset "CTX[$k]"
	done
	CTX[inputs.environment]=""
	case $1 in
	workflow_dispatch) CTX[inputs.environment]=${3:-by-branch} ;;
	pull_request) GITHUB_BASE_REF=${3:-dev} ;;
	esac
}

resolve() { # resolve VALUE : sets RESOLVED to VALUE with its ${{ EXPR }} filled in
	local e
	RESOLVED=$1
	if [[ $1 =~ ^\$\{\{\ *([^}]*[^\ }])\ *\}\}$ ]]; then
		e=${BASH_REMATCH[1]}
		if [[ -v CTX[$e] ]]; then
			RESOLVED=${CTX[$e]}
		elif [[ $e == steps.*.outputs.* ]]; then
			RESOLVED="" # a step that did not set it (GitHub: empty)
		else
			ok 1 "the test knows the value of $1"
			RESOLVED=""
		fi
	elif [[ $1 == *'${{'* ]]; then
		ok 1 "the test knows the value of $1 (only a whole-value expression is filled in)"
	fi
}

# run_job JOB : runs JOB's `run:` steps in order as the runner does (bash
# -e -o pipefail, in the checkout, with the step's env exported here rather
# than on a command line the test log would keep), until one fails; OUT,
# ERR are all the steps', RC the last one's. The job's environment selects
# the secrets; steps' and the job's outputs go into CTX. JOB_ENV is the
# job's environment.
run_job() {
	local job=$1 n i k v cmd id names all_out="" all_err=""
	resolve "$(q --arg j "$job" '.jobs[$j].environment // ""')"
	JOB_ENV=$RESOLVED
	if [ -n "$JOB_ENV" ]; then
		CTX[secrets.DATABASE_URL_DIRECT]=${SECRET_URL[$JOB_ENV]}
		CTX[secrets.STAGING_DATABASE_URL]=${SECRET_GATE[$JOB_ENV]}
	else
		unset "CTX[secrets.DATABASE_URL_DIRECT]" "CTX[secrets.STAGING_DATABASE_URL]"
	fi
	n=$(q --arg j "$job" '.jobs[$j].steps | length')
	RC=0
	for ((i = 0; i < n; i++)); do
		cmd=$(q --arg j "$job" --argjson i "$i" '.jobs[$j].steps[$i].run // empty')
		[ -n "$cmd" ] || continue
		id=$(q --arg j "$job" --argjson i "$i" '.jobs[$j].steps[$i].id // empty')
		names=(GITHUB_OUTPUT)
		export GITHUB_OUTPUT=$WORK/output.$i
		: >"$GITHUB_OUTPUT"
		while IFS=$'\t' read -r k v; do
			resolve "$v"
			export "$k=$RESOLVED"
			names+=("$k")
		done < <(q --arg j "$job" --argjson i "$i" '.jobs[$j].steps[$i].env // {} | to_entries[] | "\(.key)\t\(.value)"')
		run env -C "$REPO" bash --noprofile --norc -eo pipefail -c "$cmd"
		unset "${names[@]}"
		all_out+=$OUT$'\n'
		all_err+=$ERR$'\n'
		if [ -n "$id" ]; then
			while IFS='=' read -r k v; do
				[ -n "$k" ] && CTX[steps.$id.outputs.$k]=$v
			done <"$WORK/output.$i"
		fi
		[ "$RC" = 0 ] || break
	done
	OUT=$all_out ERR=$all_err
	while IFS=$'\t' read -r k v; do
		resolve "$v"
		CTX[needs.$job.outputs.$k]=$RESOLVED
	done < <(q --arg j "$job" '.jobs[$j].outputs // {} | to_entries[] | "\(.key)\t\(.value)"')
}

# run_deploy EVENT REF [INPUT] : job plan, then job deploy when plan
# succeeded (PLAN_RC); TARGET is the environment plan chose.
run_deploy() {
	trigger "$@"
	run_job plan
	PLAN_RC=$RC TARGET=${CTX[needs.plan.outputs.environment]:-}
	[ "$RC" = 0 ] || return 0
	run_job deploy
}

# --- plan: which environment --------------------------------------------------
route() { # route EVENT REF [INPUT] : ROUTE, the environment plan chooses, or "rc=N"
	trigger "$@"
	run_job plan
	ROUTE=rc=$RC
	[ "$RC" != 0 ] || ROUTE=${CTX[needs.plan.outputs.environment]:-}
}
route push refs/heads/dev
is "$ROUTE" staging "push to dev: staging"
route push refs/heads/main
is "$ROUTE" production "push to main: production"
route workflow_dispatch refs/heads/main
is "$ROUTE" production "Run workflow on main, by-branch: production"
route workflow_dispatch refs/heads/dev
is "$ROUTE" staging "Run workflow on dev, by-branch: staging"
route workflow_dispatch refs/heads/main staging
is "$ROUTE" staging \
	"Run workflow on main, staging chosen: staging (bring staging level first)"
route workflow_dispatch refs/heads/feature/x
is "$ROUTE" "rc=1" "Run workflow on another branch, by-branch: fails"
like "$OUT" '^::error title=migrate::refs/heads/feature/x has no environment of its own' "saying so"
route workflow_dispatch refs/heads/dev production
is "$ROUTE" "rc=1" "production from dev: refused"
like "$OUT" '^::error title=migrate::production deploys main only, not refs/heads/dev$' "saying so"
route workflow_dispatch refs/heads/feature/x staging
is "$ROUTE" staging "staging from another branch, by hand: allowed"

# --- staging --------------------------------------------------------------------
ALL=$(local_migs)
run_deploy push refs/heads/dev
is "$PLAN_RC/$TARGET/$JOB_ENV" "0/staging/staging" "push to dev: deploy runs in the environment staging"
is "$RC" 0 "the deploy step succeeds"
is "$(applied "$staging")" "$ALL" "staging: every migration applied"
is "$(applied "$prod")" "" "production: untouched"
like "$OUT" '^All migrations have been successfully applied\.$' "and it said so"
unlike "$OUT$ERR" 'Promotion gate' "staging has no gate"
run_deploy push refs/heads/dev
is "$RC" 0 "the same again: exit 0"
like "$OUT" '^No pending migrations to apply\.$' "nothing left to do"

# --- production, with the gate ----------------------------------------------------
SECRET_GATE[production]=${SECRET_URL[staging]}
run_deploy push refs/heads/main
is "$PLAN_RC/$TARGET/$JOB_ENV" "0/production/production" "push to main: deploy runs in the environment production"
is "$RC" 0 "staging current: the gated deploy succeeds"
like "$OUT$ERR" "Promotion gate: the database in STAGING_DATABASE_URL has applied the [0-9]+ pending migrations from the same files" \
	"through the gate"
unlike "$OUT" '::notice' "no gate-off notice"
is "$(applied "$prod")" "$ALL" "production: every migration applied"

X=20990101000000_wf_next
mkmig "$REPO/migrations" $X 'CREATE TABLE wf_next (id int);'
run_deploy push refs/heads/main
is "$RC" 1 "staging behind (it lacks $X): the production deploy fails"
like "$ERR" "^dbhook: detail: $X: not applied there\.\$" "naming the migration"
like "$OUT" '^::error title=dbhook::1 of 1 pending migrations? is not applied on the database in STAGING_DATABASE_URL' \
	"with an annotation"
is "$(applied "$prod")" "$ALL" "production: nothing applied"

run_deploy push refs/heads/dev
is "$RC" 0 "push to dev: staging gets $X"
run_deploy push refs/heads/main
is "$RC" 0 "then push to main: the gate lets it through"
is "$(applied "$prod")" "$ALL $X" "production: $X applied"

# --- production, gate off -----------------------------------------------------------
SECRET_GATE[production]=""
Y=20990102000000_wf_later
mkmig "$REPO/migrations" $Y 'CREATE TABLE wf_later (id int);'
run_deploy push refs/heads/main
is "$RC" 0 "STAGING_DATABASE_URL empty: production deploys without the gate"
is "$(printf '%s\n' "$OUT" | grep -c '^::notice')" 1 "one notice"
like "$OUT" '^::notice title=Promotion gate off::The secret STAGING_DATABASE_URL is not set' "that says the gate is off"
is "$(applied "$prod")" "$ALL $X $Y" "production: $Y applied (staging lacks it)"
is "$(applied "$staging")" "$ALL $X" "staging: untouched"

B=20990103000000_broken
mkmig "$REPO/migrations" $B 'CREATE TABLE broken (id int'
run_deploy push refs/heads/main
is "$RC" 1 "a failing migration fails the step (exit 1)"
like "$OUT" "^::error title=dbhook::migration \"$B\" failed" "and shows up as a GitHub annotation"
rm -r "${REPO:?}/migrations/$B"

SECRET_URL[production]=""
run_deploy push refs/heads/main
is "$RC" 2 "an unset secret fails the step (exit 2)"
like "$OUT" '^::error title=dbhook::no database URL' "with an annotation that says so"
SECRET_URL[production]=$(url_for "$prod")

# --- pull requests: check against staging -------------------------------------------
# Staging has everything but $Y.
before=$(history "$staging")
trigger pull_request refs/pull/7/merge dev
run_job check
is "$JOB_ENV" staging "check runs in the environment staging"
is "$RC" 0 "a pending migration does not fail the check"
like "$OUT" "^::notice file=migrations/$Y/migration.sql,line=1,title=Not applied on staging yet::$Y: not applied on staging yet" \
	"it is a notice on its migration.sql"
is "$(printf '%s\n' "$OUT" | grep -c '^::')" 1 "the only annotation"
like "$OUT" '^Against staging: [0-9]+ applied, 1 pending, 0 failed, 0 modified, 0 missing here\.$' "a summary line"

trigger pull_request refs/pull/7/merge main
run_job check
is "$RC" 0 "into main: still passes"
like "$OUT" "^::warning file=migrations/$Y/migration.sql,line=1,title=Not applied on staging::$Y: not applied on staging: deploy it there first" \
	"but a warning: production's gate would refuse it"

cp "$REPO/migrations/$X/migration.sql" "$WORK/x.sql"
echo 'ALTER TABLE wf_next ADD COLUMN note text;' >>"$REPO/migrations/$X/migration.sql"
trigger pull_request refs/pull/7/merge dev
run_job check
is "$RC" 1 "a migration changed after staging applied it fails the check"
like "$OUT" "^::error file=migrations/$X/migration.sql,line=1,title=Changed after staging applied it::$X: staging applied another version" \
	"an error on its migration.sql"
cp "$WORK/x.sql" "$REPO/migrations/$X/migration.sql"

mv "$REPO/migrations/$X" "$WORK/x-folder"
run_job check
is "$RC" 0 "a migration applied on staging but missing here does not fail the check"
like "$OUT" "^::warning title=Applied on staging but not here::$X: applied on staging" "a warning (no file to put it on)"
mv "$WORK/x-folder" "$REPO/migrations/$X"
is "$(history "$staging")" "$before" "the checks changed nothing on staging"

F=20990104000000_wf_own_tx
mkmig "$REPO/migrations" $F 'BEGIN;
CREATE TABLE wf_audit (id int);
COMMIT;
SELECT 1 / 0;'
run_deploy push refs/heads/dev
is "$RC" 1 "staging: $F fails (Prisma's mode leaves a failed row)"
trigger pull_request refs/pull/7/merge dev
run_job check
is "$RC" 1 "a migration failed on staging fails the check"
like "$OUT" "^::error file=migrations/$F/migration.sql,line=1,title=Failed on staging::$F: failed on staging and not resolved: deploys there stop at it \(see dbhook resolve\)\. The database said: division by zero" \
	"an error on its migration.sql, with the database's message"

# The safety check: a pending migration dropping a column of a table
# staging has is an error annotation on its file and line.
D=20990105000000_wf_drop
mkmig "$REPO/migrations" $D 'ALTER TABLE wf_next DROP COLUMN id;'
admin "$staging" "DELETE FROM _prisma_migrations WHERE migration_name = '$F'" >/dev/null
trigger pull_request refs/pull/7/merge dev
run_job check
is "$RC" 7 "a migration the safety check finds an error in fails the check (exit 7)"
like "$OUT" "^::error file=migrations/$D/migration.sql,line=1,title=DH101 drop-column::dropping column \"id\" of \"wf_next\" \(empty\)" \
	"the finding is an annotation on its file and line"
like "$OUT" "^migrations/$D/migration.sql:1: error DH101 \(drop-column\)" "and a line of the log"
rm -rf "${REPO:?}/migrations/$D"

SECRET_URL[staging]=""
run_job check
is "$RC" 2 "no staging URL: the check fails with dbhook's exit status"
like "$ERR" '^::error title=dbhook::no database URL' "and dbhook's annotation (on stderr: stdout is the JSON; the runner reads both)"

finish

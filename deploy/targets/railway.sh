#!/usr/bin/env bash
# Deploys one release to one Railway environment: `railway config apply` of .railway/railway.ts,
# which reads DEPLOY_ENV and each service's image (API_IMAGE, WORKER_IMAGE, WEB_IMAGE) from the
# environment of the `railway` command. Every apply names all three images, because the CLI
# clears the image of a service declared without one. Two applies, so the api's pre-deploy
# command has migrated the database before a new worker or web starts:
#   0. plan, to learn which environment RAILWAY_TOKEN belongs to and what worker and web run;
#   1. apply the new api with the worker and web images they run now, and wait until
#      GET /api/version on RAILWAY_PUBLIC_URL names GIT_COMMIT;
#   2. apply all three new images, and wait again.
# The interface every target shares is in deploy/targets/README.md; docs/deploy/railway.md
# explains the rest, with the lines of the CLI's source each step relies on. Nothing here prints
# a secret, and there is no `set -x`. The plan Railway prints redacts variable values.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=railway
# shellcheck source=deploy/targets/platform.sh
source deploy/targets/platform.sh

# The CLI whose source this script and .railway/railway.ts were written against. deploy.yml
# installs exactly this release; pnpm check:deploy holds the three places to one number.
cli_version=5.43.1

# What every target receives.
: "${DEPLOY_ENV:=}" "${API_IMAGE:=}" "${WORKER_IMAGE:=}" "${WEB_IMAGE:=}" "${GIT_COMMIT:=}"
# What this target needs.
: "${RAILWAY_TOKEN:=}" "${RAILWAY_PUBLIC_URL:=}"
timeout_seconds="${RAILWAY_DEPLOY_TIMEOUT:-900}"

# The same image rule .railway/railway.ts applies.
check_release_inputs
[ -n "$RAILWAY_TOKEN" ] || fail "RAILWAY_TOKEN is empty (a project token of the $DEPLOY_ENV environment)"
[[ "$RAILWAY_PUBLIC_URL" =~ ^https://[A-Za-z0-9.-]+$ ]] ||
  fail "RAILWAY_PUBLIC_URL must be the web service's https://host, without a path"
# When the CLI reads the live environment back (src/iac/compiler.rs, environment_config_to_graph),
# a service whose image name contains one of these words becomes a database, and the next plan
# would delete it and create it again.
if [[ "${API_IMAGE%@*} ${WORKER_IMAGE%@*} ${WEB_IMAGE%@*}" =~ postgres|mysql|redis|mongo ]]; then
  fail "an image name containing postgres, mysql, redis or mongo reads back as a database in Railway's CLI"
fi
command -v railway >/dev/null ||
  fail "the railway CLI is not installed (deploy.yml installs $cli_version; see docs/deploy/railway.md)"
installed="$(railway --version)"
if ! [[ "$installed" =~ [0-9]+\.[0-9]+\.[0-9]+ ]] || [ "${BASH_REMATCH[0]}" != "$cli_version" ]; then
  fail "this script expects the railway CLI $cli_version, not \"$installed\", which may evaluate or diff otherwise"
fi
command -v jq >/dev/null || fail "jq is not installed"
[ -f node_modules/railway/package.json ] || fail "node_modules/railway is missing: run pnpm install first"

# Read by .railway/railway.ts. A pinned CLI must not replace itself in the middle of a deploy
# (it does not when CI is set either; src/telemetry.rs, is_auto_update_disabled).
export DEPLOY_ENV RAILWAY_NO_AUTO_UPDATE=1

# Runs `railway config <plan|apply> --json` with the three images given ($2 $3 $4) and prints its
# JSON. The CLI runs directly, never under `env` or a wrapper: the railway/iac package checks
# the CLI's version by running `$_ --version`, and the shell sets `_` to the command it starts.
railway_config() {
  local command="$1"
  shift
  local flags=(--json)
  [ "$command" = apply ] && flags+=(--yes)
  API_IMAGE="$1" WORKER_IMAGE="$2" WEB_IMAGE="$3" railway config "$command" "${flags[@]}"
}

# Prints the change set and the diagnostics of a plan or apply ($1). The CLI prints its JSON
# even when the plan has errors, but nothing when it failed before (its message is on stderr).
show() {
  jq -e . >/dev/null 2>&1 <<<"$1" || return 0
  jq -r '(.diff // empty), (.diagnostics[]? | "\(.severity): \(.path): \(.message)")' <<<"$1"
}

# Applies the three images given and fails on any change Railway reports as failed. No
# --confirm-destructive: a plan that would delete a service or a variable stops the deploy, for
# a person to look at (src/commands/config/runner.rs, guard_destructive_apply).
apply() {
  local output failed
  output="$(railway_config apply "$@")" || {
    show "$output"
    fail "railway config apply failed (the diagnostics above say why)"
  }
  # With --json, the CLI prints nothing when there is nothing to change.
  if [ -z "$output" ]; then
    echo "$target: nothing to change"
    return 0
  fi
  show "$output"
  failed="$(jq -r '.applyResult.changes[]? | select(.status == "failed") | .summary // .path' <<<"$output")"
  [ -z "$failed" ] || fail "Railway did not apply: $failed"
}

# The image a service runs now (its `source` in the plan's current graph), when it is pinned the
# way the file accepts; otherwise the new one, which that service then takes in step 1.
running_or_new() {
  local role="$1" new="$2" now
  now="$(jq -r --arg address "service.$role" \
    '.currentGraph.resources[]? | select(.address == $address) | .source.image // empty' <<<"$plan")"
  if [[ "$now" =~ ^ghcr\.io/[a-z0-9-]+/shipshape-$role@sha256:[0-9a-f]{64}$ ]]; then
    echo "$now"
  else
    echo "$target: $role runs no image pinned by digest yet; it moves with the api" >&2
    echo "$new"
  fi
}

echo "railway: $DEPLOY_ENV: planning ${GIT_COMMIT:0:12}"
plan="$(railway_config plan "$API_IMAGE" "$WORKER_IMAGE" "$WEB_IMAGE")" || {
  show "$plan"
  fail "railway config plan failed (the diagnostics above say why)"
}
# A project token belongs to one environment, and the CLI deploys to that one
# (src/config.rs, get_linked_project). A production token among staging's secrets stops here.
token_env="$(jq -r '.currentEnvironment.environmentName // "unknown"' <<<"$plan")"
[ "$token_env" = "$DEPLOY_ENV" ] ||
  fail "RAILWAY_TOKEN belongs to the $token_env environment, not $DEPLOY_ENV"
worker_now="$(running_or_new worker "$WORKER_IMAGE")"
web_now="$(running_or_new web "$WEB_IMAGE")"

echo "railway: $DEPLOY_ENV: step 1, the api (${API_IMAGE##*@}) and its migrations"
apply "$API_IMAGE" "$worker_now" "$web_now"
wait_for_release "$RAILWAY_PUBLIC_URL" "see the api's deployment in Railway"

echo "railway: $DEPLOY_ENV: step 2, worker (${WORKER_IMAGE##*@}) and web (${WEB_IMAGE##*@})"
apply "$API_IMAGE" "$WORKER_IMAGE" "$WEB_IMAGE"
wait_for_release "$RAILWAY_PUBLIC_URL" "see the api's deployment in Railway"
echo "railway: $DEPLOY_ENV now runs ${GIT_COMMIT:0:12}"

#!/usr/bin/env bash
# Deploys one release to one Railway environment: `railway config apply` of .railway/railway.ts,
# which takes each service's image from API_IMAGE, WORKER_IMAGE and WEB_IMAGE. Two steps, so the
# api's pre-deploy command has migrated the database before a new worker or web starts:
#   1. apply with API_IMAGE alone (worker and web keep the images they run), and wait until
#      GET /api/version on RAILWAY_PUBLIC_URL names GIT_COMMIT;
#   2. apply with all three images, and wait for /readyz.
# RAILWAY_TOKEN is a project token, which belongs to exactly one environment: CI keeps one per
# environment, so staging's token can never deploy production. The interface every target shares
# is in deploy/targets/README.md; docs/deploy/railway.md explains the rest. Nothing here prints a
# secret, and there is no `set -x`. The plan Railway prints redacts variable values.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=railway
# shellcheck source=deploy/targets/platform.sh
source deploy/targets/platform.sh

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
command -v railway >/dev/null || fail "the railway CLI is not installed (5.42.1 or newer reads .railway/railway.ts)"
[ -f node_modules/railway/package.json ] || fail "node_modules/railway is missing: run pnpm install first"

# .railway/railway.ts compares DEPLOY_ENV with the environment the token belongs to, and stops
# the plan when they differ: a production token among staging's secrets deploys nothing.
export DEPLOY_ENV

# Runs `railway config apply` under the given command prefix (env with the images to set). No
# --confirm-destructive: a plan that would delete a service or a variable stops the deploy, for
# a person to look at.
apply() {
  "$@" railway config apply --yes || fail "railway config apply failed (the plan above says why)"
}


echo "railway: $DEPLOY_ENV: step 1, the api (${API_IMAGE##*@}) and its migrations"
apply env -u WORKER_IMAGE -u WEB_IMAGE API_IMAGE="$API_IMAGE"
wait_for_release "$RAILWAY_PUBLIC_URL" "see the api's deployment in Railway"

echo "railway: $DEPLOY_ENV: step 2, worker (${WORKER_IMAGE##*@}) and web (${WEB_IMAGE##*@})"
apply env API_IMAGE="$API_IMAGE" WORKER_IMAGE="$WORKER_IMAGE" WEB_IMAGE="$WEB_IMAGE"
wait_for_release "$RAILWAY_PUBLIC_URL" "see the api's deployment in Railway"
echo "railway: $DEPLOY_ENV now runs ${GIT_COMMIT:0:12}"

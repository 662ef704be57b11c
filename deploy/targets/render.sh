#!/usr/bin/env bash
# Deploys one release to one Render environment (render.yaml): the api first, whose pre-deploy
# command migrates the database, then the worker and web once the api is live. Each service is
# moved to its image by digest, by one of two means:
#   - the Render API, when RENDER_API_KEY is set (with RENDER_SERVICE_ID_API, _WORKER, _WEB):
#     POST /v1/services/<id>/deploys with the imageUrl, then GET the deploy until it is live or
#     has failed. All three deploys are waited for. Needs only curl and jq.
#   - deploy hooks (RENDER_DEPLOY_HOOK_API, _WORKER, _WEB): the secret URL of each service, with
#     `imgURL` appended. A hook answers only that Render accepted the deploy, so the script
#     watches RENDER_PUBLIC_URL until GET /api/version names GIT_COMMIT; the worker's and web's
#     deploys are not waited for (nothing public names their version).
# The interface every target shares is in deploy/targets/README.md; docs/deploy/render.md
# explains the rest. Nothing here prints a secret or a hook URL, and there is no `set -x`.
set -euo pipefail

cd "$(dirname "$0")/../.."
target=render
# shellcheck source=deploy/targets/platform.sh
source deploy/targets/platform.sh

# What every target receives.
: "${DEPLOY_ENV:=}" "${API_IMAGE:=}" "${WORKER_IMAGE:=}" "${WEB_IMAGE:=}" "${GIT_COMMIT:=}"
# What this target needs, for one of the two means.
: "${RENDER_DEPLOY_HOOK_API:=}" "${RENDER_DEPLOY_HOOK_WORKER:=}" "${RENDER_DEPLOY_HOOK_WEB:=}"
: "${RENDER_API_KEY:=}" "${RENDER_SERVICE_ID_API:=}" "${RENDER_SERVICE_ID_WORKER:=}" "${RENDER_SERVICE_ID_WEB:=}"
: "${RENDER_PUBLIC_URL:=}"
timeout_seconds="${RENDER_DEPLOY_TIMEOUT:-900}"
# Only the tests change these (scripts/test/render.test.ts).
api_url="${RENDER_API_URL:-https://api.render.com/v1}"
poll_seconds="${RENDER_POLL_SECONDS:-5}"

# Render accepts imgURL only when everything but the tag or digest matches the service's image,
# so each reference must name the repository render.yaml gives that service.
check_release_inputs
[ -z "$RENDER_PUBLIC_URL" ] || [[ "$RENDER_PUBLIC_URL" =~ ^https://[A-Za-z0-9.-]+$ ]] ||
  fail "RENDER_PUBLIC_URL must be https://host, without a path"

if [ -n "$RENDER_API_KEY" ]; then
  means=api
  for role in API WORKER WEB; do
    name="RENDER_SERVICE_ID_$role"
    [[ "${!name}" =~ ^srv-[a-z0-9]+$ ]] || fail "$name must be a service id (srv-...)"
  done
else
  means=hook
  for role in API WORKER WEB; do
    name="RENDER_DEPLOY_HOOK_$role"
    [[ "${!name}" =~ ^https://api\.render\.com/deploy/srv-[A-Za-z0-9]+\?key=[A-Za-z0-9_-]+$ ]] ||
      fail "$name must be the service's deploy hook URL (Settings > Deploy Hook), or set RENDER_API_KEY"
  done
  # A hook only says that Render accepted the deploy: without a place to watch, the worker would
  # start before the api's migrations are known to have run.
  [ -n "$RENDER_PUBLIC_URL" ] || fail "RENDER_PUBLIC_URL is required with deploy hooks (the web service's URL)"
fi

# Percent-encodes an image reference for the imgURL query parameter (/, @ and : included).
urlencode() {
  local text="$1" out="" char i
  for ((i = 0; i < ${#text}; i++)); do
    char="${text:i:1}"
    case "$char" in
      [A-Za-z0-9._~-]) out+="$char" ;;
      *) out+="$(printf '%%%02X' "'$char")" ;;
    esac
  done
  printf '%s' "$out"
}

# Calls a deploy hook. The URL goes to curl through its standard input, not its arguments, so it
# appears neither in this output nor in the process list; only the HTTP status is printed.
call_hook() {
  local role="$1" hook="$2" image="$3" status
  status="$(
    printf 'url = "%s&imgURL=%s"\n' "$hook" "$(urlencode "$image")" |
      curl --silent --request POST --max-time 30 --output /dev/null --write-out '%{http_code}' --config -
  )" || fail "$role: the deploy hook could not be reached"
  [ "$status" = 200 ] || [ "$status" = 201 ] || [ "$status" = 202 ] ||
    fail "$role: the deploy hook answered HTTP $status (is the image the service's repository?)"
  echo "render: $role: deploy of ${image##*@} accepted"
}

# One call to the Render API (https://api-docs.render.com). The key reaches curl on its standard
# input, like the hook URLs. Prints the body; returns non-zero on a network error or HTTP >= 400.
render_api() {
  local method="$1" path="$2" data=()
  if [ -n "${3:-}" ]; then data=(--data "$3"); fi
  printf 'header = "Authorization: Bearer %s"\n' "$RENDER_API_KEY" |
    curl --silent --show-error --fail --max-time 30 --request "$method" \
      --header 'Accept: application/json' --header 'Content-Type: application/json' \
      "${data[@]}" --config - "$api_url$path"
}

# Creates a deploy of the image and prints its id. Render answers 201 with the deploy, or 202
# without one when the service already has a deploy under way; the new one then waits in the
# service's queue, where the render CLI also looks for it (cmd/deploycreate.go in render-oss/cli).
create_deploy() {
  local service="$1" image="$2" created id
  created="$(render_api POST "/services/$service/deploys" "$(jq -cn --arg image "$image" '{imageUrl: $image}')")" ||
    return 1
  id="$(jq -r '.id // empty' <<<"$created")"
  if [ -z "$id" ]; then
    id="$(render_api GET "/services/$service/deploys?status=queued&limit=1" | jq -r '.[0].deploy.id // empty')"
  fi
  [[ "$id" =~ ^dep-[a-z0-9]+$ ]] && echo "$id"
}

# Waits until the deploy is live. Render's statuses (pkg/deploy/util.go in render-oss/cli): live
# or deactivated (live, then replaced) succeed; build_failed, update_failed, pre_deploy_failed
# (the migration) and canceled fail; anything else is still under way.
wait_for_deploy() {
  local role="$1" service="$2" id="$3" deadline=$((SECONDS + timeout_seconds)) status="" seen=""
  while ((SECONDS < deadline)); do
    status="$(render_api GET "/services/$service/deploys/$id" | jq -r '.status // empty')" || status=""
    if [ -n "$status" ] && [ "$status" != "$seen" ]; then
      echo "render: $role: $status"
      seen="$status"
    fi
    case "$status" in
      live | deactivated) return 0 ;;
      *_failed | canceled) fail "$role: the deploy ended $status (its logs are in the Render Dashboard)" ;;
    esac
    sleep "$poll_seconds"
  done
  fail "$role: deploy $id still ${status:-unknown} after ${timeout_seconds}s"
}

deploy() {
  local role="$1" upper="${1^^}"
  local image_var="${upper}_IMAGE" service_var="RENDER_SERVICE_ID_$upper" hook_var="RENDER_DEPLOY_HOOK_$upper"
  echo "render: $DEPLOY_ENV: deploying $role (${!image_var##*@})"
  if [ "$means" = api ]; then
    local id
    id="$(create_deploy "${!service_var}" "${!image_var}")" ||
      fail "$role: Render refused the deploy (is the image the service's repository, the key valid?)"
    echo "render: $role: deploy $id created"
    deploy_ids[$role]="$id"
  else
    call_hook "$role" "${!hook_var}" "${!image_var}"
  fi
}

declare -A deploy_ids=()
deploy api
if [ "$means" = api ]; then
  wait_for_deploy api "$RENDER_SERVICE_ID_API" "${deploy_ids[api]}"
else
  wait_for_release "$RENDER_PUBLIC_URL" "see the api's deploy in the Render Dashboard"
fi
# Only now: a new worker must never meet the old schema.
deploy worker
deploy web
if [ "$means" = api ]; then
  wait_for_deploy worker "$RENDER_SERVICE_ID_WORKER" "${deploy_ids[worker]}"
  wait_for_deploy web "$RENDER_SERVICE_ID_WEB" "${deploy_ids[web]}"
  if [ -n "$RENDER_PUBLIC_URL" ]; then
    wait_for_release "$RENDER_PUBLIC_URL" "see the web service's deploy in the Render Dashboard"
  fi
else
  echo "render: worker and web accepted; with deploy hooks their deploys are not waited for"
fi
echo "render: $DEPLOY_ENV now runs ${GIT_COMMIT:0:12}"

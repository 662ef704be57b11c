#!/usr/bin/env bash
# Deploys one release to one Render environment (render.yaml): the api first, whose pre-deploy
# command migrates the database, then, once the new api answers, the worker and web. Each
# service is moved to its image by digest, by one of two means:
#   - deploy hooks (RENDER_DEPLOY_HOOK_API, _WORKER, _WEB): the secret URL of each service, with
#     `imgURL` appended. Render only accepts the deploy; RENDER_PUBLIC_URL is then required, and
#     the script waits until GET /api/version there names GIT_COMMIT.
#   - the Render CLI, when RENDER_API_KEY is set (with RENDER_SERVICE_ID_API, _WORKER, _WEB):
#     `render deploys create --image --wait` reports each deploy's outcome itself.
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

# Render accepts imgURL only when everything but the tag or digest matches the service's image,
# so each reference must name the repository render.yaml gives that service.
check_release_inputs
[ -z "$RENDER_PUBLIC_URL" ] || [[ "$RENDER_PUBLIC_URL" =~ ^https://[A-Za-z0-9.-]+$ ]] ||
  fail "RENDER_PUBLIC_URL must be https://host, without a path"

if [ -n "$RENDER_API_KEY" ]; then
  means=cli
  command -v render >/dev/null || fail "RENDER_API_KEY is set but the render CLI is not installed"
  for role in API WORKER WEB; do
    name="RENDER_SERVICE_ID_$role"
    [[ "${!name}" =~ ^srv-[a-z0-9]+$ ]] || fail "$name must be a service id (srv-...)"
  done
else
  means=hook
  for role in API WORKER WEB; do
    name="RENDER_DEPLOY_HOOK_$role"
    [[ "${!name}" =~ ^https://api\.render\.com/deploy/srv-[A-Za-z0-9]+\?key=[A-Za-z0-9_-]+$ ]] ||
      fail "$name must be the service's deploy hook URL (Settings > Deploy Hook)"
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

deploy() {
  local role="$1" upper="${1^^}"
  local image_var="${upper}_IMAGE" service_var="RENDER_SERVICE_ID_$upper" hook_var="RENDER_DEPLOY_HOOK_$upper"
  echo "render: $DEPLOY_ENV: deploying $role (${!image_var##*@})"
  if [ "$means" = cli ]; then
    # --wait exits non-zero when the deploy fails; --confirm because nobody is there to answer.
    render deploys create "${!service_var}" --image "${!image_var}" --wait --confirm --output json >/dev/null ||
      fail "$role: the deploy failed (its logs are in the Render Dashboard)"
    echo "render: $role: live"
  else
    call_hook "$role" "${!hook_var}" "${!image_var}"
  fi
}

# Waits until the public site's API names this release, then checks it is ready.

deploy api
if [ "$means" = hook ]; then wait_for_release "$RENDER_PUBLIC_URL" "see the api's deploy in the Render Dashboard"; fi
deploy worker
deploy web
if [ "$means" = cli ] && [ -n "$RENDER_PUBLIC_URL" ]; then wait_for_release "$RENDER_PUBLIC_URL" "see the api's deploy in the Render Dashboard"; fi
echo "render: $DEPLOY_ENV now runs ${GIT_COMMIT:0:12}"

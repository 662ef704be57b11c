# shellcheck shell=bash
# `target` and `timeout_seconds` are set by the script that sources this one.
# shellcheck disable=SC2154
# What render.sh and railway.sh share: sourced, not run. Each sets `target` (its name in
# messages) and `timeout_seconds` first. vps.sh checks its inputs itself, because they reach a
# shell on the server and it accepts any registry.

fail() {
  echo "$target: $*" >&2
  exit 1
}

# The inputs every target receives (deploy/targets/README.md), checked before anything is sent.
# A platform pulls what render.yaml or railway.ts names, so each image must be that service's
# GHCR repository, pinned by digest.
check_release_inputs() {
  case "$DEPLOY_ENV" in
    staging | production) ;;
    *) fail "DEPLOY_ENV must be staging or production" ;;
  esac
  local role name
  for role in api worker web; do
    name="${role^^}_IMAGE"
    [[ "${!name}" =~ ^ghcr\.io/[a-z0-9-]+/shipshape-$role@sha256:[0-9a-f]{64}$ ]] ||
      fail "$name must be ghcr.io/<owner>/shipshape-$role@sha256:<digest>"
  done
  [[ "$GIT_COMMIT" =~ ^[0-9a-f]{7,40}$ ]] || fail "GIT_COMMIT must be a commit id"
  [[ "$timeout_seconds" =~ ^[0-9]+$ ]] || fail "the deploy timeout must be a number of seconds"
}

# Waits until GET /api/version at the public URL ($1) names this release, then checks that it is
# ready. $2 says where to look when it never does.
wait_for_release() {
  local url="$1" where="$2" deadline=$((SECONDS + timeout_seconds)) commit=""
  echo "$target: waiting for $url/api/version to name ${GIT_COMMIT:0:12}"
  while ((SECONDS < deadline)); do
    commit="$(curl --silent --max-time 10 "$url/api/version" |
      sed -n 's/.*"commit":"\([0-9a-f]*\)".*/\1/p')" || true
    # The image may carry the short or the full commit id; either is a prefix of the other.
    if [ -n "$commit" ] && { [[ "$GIT_COMMIT" == "$commit"* ]] || [[ "$commit" == "$GIT_COMMIT"* ]]; }; then
      curl --silent --fail --max-time 10 --output /dev/null "$url/readyz" ||
        fail "the new api answers but /readyz does not (Postgres, Redis or the bucket)"
      echo "$target: the api of ${GIT_COMMIT:0:12} answers and is ready"
      return 0
    fi
    sleep 10
  done
  fail "no answer from ${GIT_COMMIT:0:12} after ${timeout_seconds}s (last seen: ${commit:-none}); $where"
}

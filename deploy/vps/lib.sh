# shellcheck shell=bash
# What deploy.sh, rollback.sh and compose.sh share: where an environment's files are, the
# compose command, and the state that records which images run. Sourced, never run.
#
# An environment (staging or production) is a compose project on this host:
#   project   shipshape-<env>                      (SHIPSHAPE_PROJECT overrides it)
#   env file  <app dir>/deploy/env/<env>.env       (SHIPSHAPE_ENV_FILE)
#   state     /var/lib/shipshape/<env>/            (SHIPSHAPE_STATE_DIR)
#               current, previous   the three image references, one KEY=ref line each
#               images.yml          a compose override that pins those images and puts the
#                                   environment's Caddy behind the server's front Caddy
#               deploys.log         one line per deploy or rollback
# Every environment on the host sits behind one front Caddy, the compose project shipshape-edge
# (deploy/vps/edge/), which owns ports 80 and 443 (ADR 024).
# The overrides exist so that a test can run a throwaway environment beside real ones, and
# SHIPSHAPE_COMPOSE_FILES (colon-separated) adds compose files after docker-compose.prod.yml,
# for an engine that needs one (podman, in test/deploy/run.ts's stand-in for a VPS).

set -euo pipefail

VPS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${SHIPSHAPE_ROOT:-$(cd "$VPS_DIR/../.." && pwd)}

step() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Sets ENV_NAME, PROJECT, ENV_FILE, STATE_DIR, DOMAIN, EDGE_ADDRESS, EDGE_TRUSTED_PROXIES,
# COMPOSE_COMMAND and COMPOSE (an array: the command and the options every call needs) for the
# environment named in $1.
load_environment() {
  ENV_NAME=${1:-}
  case "$ENV_NAME" in
    staging | production) ;;
    *) die "environment must be staging or production, got '${ENV_NAME}'" ;;
  esac
  PROJECT=${SHIPSHAPE_PROJECT:-shipshape-$ENV_NAME}
  ENV_FILE=${SHIPSHAPE_ENV_FILE:-$ROOT/deploy/env/$ENV_NAME.env}
  STATE_DIR=${SHIPSHAPE_STATE_DIR:-/var/lib/shipshape/$ENV_NAME}
  [ -f "$ENV_FILE" ] || die "no env file at $ENV_FILE (copy deploy/env/$ENV_NAME.env.example and fill it in)"
  [ -f "$ROOT/docker-compose.prod.yml" ] || die "no docker-compose.prod.yml in $ROOT"
  refuse_placeholders
  mkdir -p "$STATE_DIR"

  # The app reads the same file as compose (env_file: ${APP_ENV_FILE}), whatever APP_ENV_FILE
  # the file says: a copy of the example would otherwise still name the example, and the app
  # would run with its placeholder secrets. A variable set here wins over the env file.
  export APP_ENV_FILE=$ENV_FILE
  # Behind the front Caddy, the environment's Caddy publishes nothing the world can reach:
  # its ports go to 127.0.0.1 at a port the engine picks (0), so two of them, or two
  # environments, never compete. It has no fixed address either, so the new one can start
  # beside the old during a release; its API trusts the subnet (TRUST_PROXY).
  export HTTP_PORT=127.0.0.1:0 HTTPS_PORT=127.0.0.1:0 CADDY_ADDRESS=
  DOMAIN=$(env_value DOMAIN)
  [[ "$DOMAIN" =~ ^[A-Za-z0-9.-]+(,\ *[A-Za-z0-9.-]+)*$ ]] ||
    die "DOMAIN in $ENV_FILE must be one host name or a comma-separated list of them, got '$DOMAIN'"
  refuse_foreign_public_url
  EDGE_ADDRESS=$(env_value EDGE_ADDRESS 172.27.0.2)
  [[ "$EDGE_ADDRESS" =~ ^[0-9]+(\.[0-9]+){3}$ ]] || die "EDGE_ADDRESS in $ENV_FILE must be an IPv4 address"
  EDGE_TRUSTED_PROXIES=$(env_value EDGE_TRUSTED_PROXIES 0.0.0.0/32)
  [[ "$EDGE_TRUSTED_PROXIES" =~ ^[0-9A-Fa-f.:/_a-z\ ]+$ ]] ||
    die "EDGE_TRUSTED_PROXIES in $ENV_FILE must be addresses or ranges, space-separated"

  # Compose v2 is a docker plugin (`docker compose`); hosts that still have only the Python
  # docker-compose 1.29 get that. Both take the same options used here.
  if docker compose version >/dev/null 2>&1; then
    COMPOSE_COMMAND=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE_COMMAND=(docker-compose)
  else
    die 'neither the compose plugin (docker compose) nor docker-compose is installed'
  fi
  COMPOSE=("${COMPOSE_COMMAND[@]}" --project-name "$PROJECT" --env-file "$ENV_FILE" -f "$ROOT/docker-compose.prod.yml")
  local extra file
  IFS=: read -ra extra <<<"${SHIPSHAPE_COMPOSE_FILES:-}"
  for file in "${extra[@]}"; do
    COMPOSE+=(-f "$file")
  done

  # Profiles come from the env file (COMPOSE_PROFILES=s3 runs RustFS on this host), passed as
  # --profile flags because docker-compose 1.29 does not read that variable from an env file.
  local profiles
  profiles=$(sed -n 's/^COMPOSE_PROFILES=//p' "$ENV_FILE" | tail -n 1 | tr -d "\"'")
  PROFILES=()
  local profile
  for profile in ${profiles//,/ }; do
    COMPOSE+=(--profile "$profile")
    PROFILES+=("$profile")
  done
}

# The last value of a variable in the env file, without quotes; $2 when it is not there.
env_value() {
  local value
  value=$(sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1 | tr -d "\"'")
  echo "${value:-${2:-}}"
}

# An env file copied from the example and not filled in must not start anything: Postgres
# would keep the placeholder password in its volume even after the file is fixed.
refuse_placeholders() {
  local unfilled
  unfilled=$(sed -n 's/^\([A-Z0-9_]*\)=.*replace-with-.*/\1/p' "$ENV_FILE" | tr '\n' ' ')
  [ -z "$unfilled" ] ||
    die "$ENV_FILE still holds the example's placeholders: ${unfilled}(fill in each; openssl rand -base64 32 makes a secret)"
}

# Every link in a mail starts with PUBLIC_URL: a name Caddy does not serve, or plain HTTP, would
# mail people links that fail, or that send their token in the clear. A port is allowed (a test's
# front Caddy listens on one); a path is not, since the app's pages live at the root.
refuse_foreign_public_url() {
  local public_url host name names
  public_url=$(env_value PUBLIC_URL)
  [[ "$public_url" =~ ^https://([A-Za-z0-9.-]+)(:[0-9]+)?$ ]] ||
    die "PUBLIC_URL in $ENV_FILE must be https:// and a host name, without a path (e.g. https://${DOMAIN%%,*}), got '$public_url'"
  host=${BASH_REMATCH[1],,}
  IFS=', ' read -ra names <<<"$DOMAIN"
  for name in "${names[@]}"; do
    [ "${name,,}" = "$host" ] && return 0
  done
  die "PUBLIC_URL in $ENV_FILE names $host, which is not one of DOMAIN's names ($DOMAIN)"
}

has_profile() {
  local profile
  for profile in "${PROFILES[@]}"; do
    [ "$profile" = "$1" ] && return 0
  done
  return 1
}

# Reads API=, WORKER= and WEB= from a state file into API_IMAGE, WORKER_IMAGE and WEB_IMAGE.
read_images() {
  API_IMAGE=$(sed -n 's/^API=//p' "$1")
  WORKER_IMAGE=$(sed -n 's/^WORKER=//p' "$1")
  WEB_IMAGE=$(sed -n 's/^WEB=//p' "$1")
  if [ -z "$API_IMAGE" ] || [ -z "$WORKER_IMAGE" ] || [ -z "$WEB_IMAGE" ]; then
    die "$1 is incomplete"
  fi
}

write_images() {
  printf 'API=%s\nWORKER=%s\nWEB=%s\n' "$2" "$3" "$4" >"$1.tmp"
  mv "$1.tmp" "$1"
}

# The compose override that pins the three images (migrate runs from the api image) and puts
# the environment's Caddy behind the front Caddy: plain HTTP on port 80 for whatever host name
# the front Caddy sends, trusting exactly its X-Forwarded-For, and found on the shared network
# under an alias of its own (every container there also answers to plain `web`).
write_override() {
  cat >"$1.tmp" <<YAML
# Written by deploy/vps/deploy.sh: the images this environment runs. Do not edit; deploy instead.
services:
  migrate:
    image: '$2'
  api:
    image: '$2'
  worker:
    image: '$3'
  web:
    image: '$4'
    environment:
      DOMAIN: ':80'
      CADDY_TRUSTED_PROXIES: '$EDGE_ADDRESS'
    networks:
      edge:
        aliases: ['$PROJECT-web']
networks:
  edge:
    external: true
    name: shipshape-edge
YAML
  mv "$1.tmp" "$1"
}

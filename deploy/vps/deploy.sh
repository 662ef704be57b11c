#!/usr/bin/env bash
# Deploys a release to one environment on this host without dropping a request (ADR 024):
#   deploy/vps/deploy.sh <staging|production> <api-image> <worker-image> <web-image>
# Images are full references, by digest from CI (registry/shipshape-api@sha256:...).
#
# Steps: pull the images; start postgres and redis (and RustFS with COMPOSE_PROFILES=s3) if
# they are not running; run the migrations from the new api image; start the new api beside
# the old one and wait for its healthcheck; Caddy finds both under the name `api`, so new
# connections reach the new one while the old one drains on SIGTERM (ADR 014); the same for
# the worker and for web (this environment's Caddy with the built frontend), which the
# server's front Caddy finds under <project>-web; hand that front Caddy this environment's
# DOMAIN (edge.sh, which also starts it when the host has none yet); record the images, the
# previous ones kept for rollback.sh.
#
# Settings (environment): SHIPSHAPE_PULL=always|missing (default always: a tag may have moved;
# an image given by digest that is already here is never pulled again, since it cannot have
# changed), SHIPSHAPE_HEALTH_TIMEOUT (seconds, default 120), SHIPSHAPE_MIGRATE=0 (rollback.sh:
# skip the migrations), and the locations in lib.sh.
# shellcheck source=deploy/vps/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=deploy/vps/edge.sh
source "$VPS_DIR/edge.sh"

compose() { "${COMPOSE[@]}" -f "$NEXT" "$@"; }
elapsed() { echo "$((SECONDS - STARTED)) s"; }

# Health of a container: healthy, unhealthy or starting; `running` when it has no
# healthcheck; anything else (exited, dead) when it stopped.
container_health() {
  local state
  state=$(docker inspect --format \
    '{{if not .State.Running}}{{.State.Status}}{{else if .State.Health}}{{.State.Health.Status}}{{end}}' \
    "$1" 2>/dev/null) || state=missing
  # No healthcheck: Docker has no Health at all, podman an empty one.
  echo "${state:-running}"
}

# Waits until every container given is healthy (or, without a healthcheck, still running
# after a few seconds, so a process that crashes at start is caught).
wait_ready() {
  local deadline=$((SECONDS + HEALTH_TIMEOUT)) id state pending
  local steady_since=$SECONDS
  while :; do
    pending=0
    for id in "$@"; do
      state=$(container_health "$id")
      case "$state" in
        healthy) ;;
        running) [ $((SECONDS - steady_since)) -ge 5 ] || pending=1 ;;
        starting) pending=1 ;;
        *)
          note "container ${id:0:12} is $state"
          return 1
          ;;
      esac
    done
    [ "$pending" = 0 ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || {
      note "not ready after ${HEALTH_TIMEOUT} s"
      return 1
    }
    sleep 1
  done
}

container_ids() { compose ps -q "$1" | sort; }

# The api's healthcheck asks /healthz, which answers before the API has opened a database
# connection. /readyz opens one and asks Redis and S3 too: the old API is stopped only once the
# new one answered it, and a new one that cannot reach a dependency is removed instead.
# Other services are ready when wait_ready says so.
wait_serving() {
  local service=$1 id deadline=$((SECONDS + HEALTH_TIMEOUT))
  shift
  [ "$service" = api ] || return 0
  for id in "$@"; do
    until docker exec "$id" node -e \
      "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; do
      [ "$SECONDS" -lt "$deadline" ] || {
        note "api ${id:0:12}: /readyz not 200 after ${HEALTH_TIMEOUT} s"
        return 1
      }
      sleep 1
    done
  done
}

# Starts the new containers of a service next to the old ones, waits for them, then stops the
# old ones. `--no-recreate` with a doubled scale is what creates new containers from the new
# image and leaves the old ones alone; the same move as docker-rollout's.
roll_out() {
  local service=$1 old new scale id
  old=$(container_ids "$service")
  scale=$(echo "$old" | grep -c . || true)
  if [ "$scale" = 0 ]; then
    note "$service is not running: starting it"
    compose up -d --no-deps "$service"
    new=$(container_ids "$service")
  else
    note "$service: starting $scale new beside $scale old"
    compose up -d --no-deps --no-recreate --scale "$service=$((scale * 2))" "$service"
    new=$(comm -13 <(echo "$old") <(container_ids "$service"))
  fi
  # shellcheck disable=SC2086 # one word per container id
  if ! wait_ready $new || ! wait_serving "$service" $new; then
    for id in $new; do
      note "last log lines of ${id:0:12}:"
      docker logs --tail 30 "$id" 2>&1 | sed 's/^/      /'
    done
    # shellcheck disable=SC2086
    [ -z "$new" ] || docker rm -f $new >/dev/null
    die "the new $service did not become ready; the old one still serves, nothing else changed"
  fi
  note "$service: new ready ($(elapsed))"
  if [ "$scale" != 0 ]; then
    # SIGTERM: the API closes its port at once and finishes the requests it holds (ADR 014);
    # Caddy's next connection to `api` finds the new container. The worker finishes its jobs;
    # Caddy closes its listener and finishes the requests under way, as the API does.
    note "$service: draining and stopping the old ($(echo "$old" | cut -c1-12 | tr '\n' ' '))"
    # shellcheck disable=SC2086
    docker stop --time "$STOP_TIMEOUT" $old >/dev/null
    # shellcheck disable=SC2086
    docker rm $old >/dev/null
    note "$service: old removed ($(elapsed))"
  fi
}

# Everything runs from main, at the last line: bash has read the whole file before the
# first step, so the next deploy unpacking a new copy over this one cannot change it mid-run.
main() {
  [ $# -eq 4 ] || die "usage: $0 <staging|production> <api-image> <worker-image> <web-image>"
  load_environment "$1"
  NEW_API=$2
  NEW_WORKER=$3
  NEW_WEB=$4
  PULL=${SHIPSHAPE_PULL:-always}
  HEALTH_TIMEOUT=${SHIPSHAPE_HEALTH_TIMEOUT:-120}
  MIGRATE=${SHIPSHAPE_MIGRATE:-1}
  ACTION=${SHIPSHAPE_ACTION:-deploy}
  # docker stop's SIGTERM-to-SIGKILL time, the compose file's stop_grace_period for api and
  # worker: the API drains within SHUTDOWN_GRACE_SECONDS (8 s) plus its abort window.
  STOP_TIMEOUT=${SHIPSHAPE_STOP_TIMEOUT:-15}

  # One deploy at a time per environment: two interleaved rollouts would stop each other's api.
  exec 9>"$STATE_DIR/lock"
  flock -n 9 || die "another deploy or rollback of $ENV_NAME is running"

  NEXT="$STATE_DIR/images.next.yml"
  STARTED=$SECONDS

  step "$ACTION $ENV_NAME ($PROJECT): api $NEW_API, worker $NEW_WORKER, web $NEW_WEB"

  step "pulling images (policy: $PULL)"
  for image in "$NEW_API" "$NEW_WORKER" "$NEW_WEB"; do
    if { [ "$PULL" = missing ] || [[ "$image" == *@sha256:* ]]; } &&
      docker image inspect "$image" >/dev/null 2>&1; then
      note "$image: present"
    else
      docker pull --quiet "$image" >/dev/null
      note "$image: pulled"
    fi
  done

  write_override "$NEXT" "$NEW_API" "$NEW_WORKER" "$NEW_WEB"

  step "starting the services a release does not replace"
  ensure_edge
  backing=(postgres redis)
  has_profile s3 && backing+=(rustfs)
  # Mailpit, for a server without a mail provider yet (docs/deploy/email.md).
  has_profile mail && backing+=(mailpit)
  compose up -d "${backing[@]}"
  # shellcheck disable=SC2046 # one word per container id
  wait_ready $(for service in "${backing[@]}"; do compose ps -q "$service"; done) ||
    die 'the backing services are not healthy'
  if has_profile s3; then
    # One-shot: creates the bucket if it is missing; `run` returns its exit code.
    compose run --rm -T --no-deps create-bucket
  fi
  note "ready ($(elapsed))"

  if [ "$MIGRATE" = 1 ]; then
    step 'running the migrations from the new api image'
    # -T: no terminal, as over SSH from CI. The exit code is the migration's.
    compose run --rm -T --no-deps migrate
    note "migrated ($(elapsed))"
  else
    step 'skipping the migrations (the schema stays as the newer release left it)'
  fi

  step 'rolling out api'
  roll_out api
  step 'rolling out worker'
  roll_out worker

  step 'rolling out web'
  roll_out web
  step "front Caddy: serving $DOMAIN"
  publish_site

  step 'recording the release'
  if [ -f "$STATE_DIR/current" ]; then
    read_images "$STATE_DIR/current"
    if [ "$API_IMAGE $WORKER_IMAGE $WEB_IMAGE" != "$NEW_API $NEW_WORKER $NEW_WEB" ]; then
      cp "$STATE_DIR/current" "$STATE_DIR/previous"
    fi
  fi
  write_images "$STATE_DIR/current" "$NEW_API" "$NEW_WORKER" "$NEW_WEB"
  mv "$NEXT" "$STATE_DIR/images.yml"
  printf '%s %s api=%s worker=%s web=%s %ss\n' "$(date -u +%FT%TZ)" "$ACTION" \
    "$NEW_API" "$NEW_WORKER" "$NEW_WEB" "$((SECONDS - STARTED))" >>"$STATE_DIR/deploys.log"
  note "current:  $(tr '\n' ' ' <"$STATE_DIR/current")"
  [ -f "$STATE_DIR/previous" ] && note "previous: $(tr '\n' ' ' <"$STATE_DIR/previous")"
  step "done in $(elapsed)"
}

main "$@"

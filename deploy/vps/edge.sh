# shellcheck shell=bash
# The server's front Caddy (deploy/vps/edge/, ADR 024), as deploy.sh uses it: start it when it
# is missing, and hand it this environment's site. Sourced after lib.sh, never run.
#
# The Caddyfile and one file per environment (sites/<env>.caddy) live in the volume
# shipshape-edge-files, written through a throwaway container of the edge's image: that needs
# no path shared between this script and the engine, which may sit elsewhere (in the test, this
# script runs in a container that plays the VPS and drives the engine of the machine around it).
# A running edge reloads them gracefully (`caddy reload`). A release never replaces the edge:
# that would drop every connection of every environment.

EDGE_PROJECT=shipshape-edge
EDGE_FILES=shipshape-edge-files

edge_compose() {
  "${COMPOSE_COMMAND[@]}" --project-name "$EDGE_PROJECT" --env-file "$ENV_FILE" \
    -f "$VPS_DIR/edge/compose.yml" "$@"
}

# The image named in the edge's compose file, so the throwaway container needs no other.
edge_image() { sed -n 's/^ *image: *//p' "$VPS_DIR/edge/compose.yml" | head -n 1; }

is_running() { [ "$(docker inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }

# The site block that sends this environment's host names to its Caddy. EDGE_TRUSTED_PROXIES
# (a CDN's ranges) are the proxies in front whose X-Forwarded-For to believe; by default
# nobody's, so a visitor cannot choose their own address.
write_site() {
  cat <<CADDY
# Written by deploy/vps/deploy.sh for $ENV_NAME ($PROJECT). Do not edit: set DOMAIN and
# EDGE_TRUSTED_PROXIES in its env file, then deploy.
$DOMAIN {
	import front
	reverse_proxy $PROJECT-web:80 {
		import upstream
		trusted_proxies $EDGE_TRUSTED_PROXIES
	}
}
CADDY
}

# Copies files (paths under $1) into the edge's volume, keeping their paths.
copy_to_edge() {
  local dir=$1
  shift
  docker volume inspect "$EDGE_FILES" >/dev/null 2>&1 || docker volume create "$EDGE_FILES" >/dev/null
  tar -c -C "$dir" "$@" |
    docker run --rm -i --network none -v "$EDGE_FILES:/etc/caddy/edge" \
      --entrypoint tar "$(edge_image)" -x -C /etc/caddy/edge
}

# Before anything of the environment starts: its compose project joins the edge's network,
# which must exist by then. A first start serves the sites already in the volume, if any.
ensure_edge() {
  local edge
  edge=$(edge_compose ps -q caddy 2>/dev/null || true)
  if [ -z "$edge" ]; then
    note 'edge: no front Caddy on this host yet; starting one (compose project shipshape-edge)'
    copy_to_edge "$VPS_DIR/edge" Caddyfile
    edge_compose up -d caddy
    edge=$(edge_compose ps -q caddy)
  elif ! is_running "$edge"; then
    note "edge: the front Caddy ${edge:0:12} is stopped; starting it"
    docker start "$edge" >/dev/null
  fi
  wait_ready "$edge" || die 'the front Caddy is not running'
  note "edge: running (${edge:0:12})"
}

# After the environment's Caddy runs: this environment's site, and the Caddyfile of this
# release, reloaded gracefully (open connections finish on the old config). Caddy refuses an
# invalid config and keeps serving the running one.
publish_site() {
  local edge files out
  edge=$(edge_compose ps -q caddy)
  files=$(mktemp -d)
  mkdir "$files/sites"
  cp "$VPS_DIR/edge/Caddyfile" "$files/Caddyfile"
  write_site >"$files/sites/$ENV_NAME.caddy"
  copy_to_edge "$files" Caddyfile "sites/$ENV_NAME.caddy"
  rm -rf "$files"
  out=$(docker exec "$edge" caddy reload --config /etc/caddy/edge/Caddyfile --adapter caddyfile 2>&1) || {
    printf '%s\n' "$out" >&2
    die 'the front Caddy refused the new sites; it still serves the previous ones'
  }
  note "edge: $DOMAIN → $PROJECT-web:80 ($(elapsed))"
}

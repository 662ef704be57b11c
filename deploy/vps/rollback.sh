#!/usr/bin/env bash
# Puts the previous release back, with the same zero-downtime steps as a deploy:
#   deploy/vps/rollback.sh <staging|production>
# The images come from the state deploy.sh keeps (/var/lib/shipshape/<env>/previous). The
# migrations are not run: the schema stays as the newer release left it, which the older code
# must accept (ADR 007: migrations only add, and removals wait for a later release).
# Afterwards `previous` names the release rolled back from, so a second rollback undoes this one.
# shellcheck source=deploy/vps/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 1 ] || die "usage: $0 <staging|production>"
load_environment "$1"
[ -f "$STATE_DIR/previous" ] || die "no previous release recorded in $STATE_DIR"
read_images "$STATE_DIR/previous"
step "rolling $ENV_NAME back to api $API_IMAGE"
SHIPSHAPE_ACTION=rollback SHIPSHAPE_MIGRATE=0 exec "$VPS_DIR/deploy.sh" "$ENV_NAME" \
  "$API_IMAGE" "$WORKER_IMAGE" "$WEB_IMAGE"

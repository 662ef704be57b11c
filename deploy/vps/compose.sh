#!/usr/bin/env bash
# Any compose command against a deployed environment, with the images deploy.sh pinned:
#   deploy/vps/compose.sh production ps
#   deploy/vps/compose.sh production logs -f api worker web
# A bare `docker compose -f docker-compose.prod.yml up -d` would fall back to IMAGE_TAG from the
# env file and quietly replace the deployed version; going through this script cannot.
# shellcheck source=deploy/vps/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

load_environment "${1:-}"
shift
[ -f "$STATE_DIR/images.yml" ] || die "nothing deployed to $ENV_NAME yet ($STATE_DIR/images.yml missing)"
exec "${COMPOSE[@]}" -f "$STATE_DIR/images.yml" "$@"

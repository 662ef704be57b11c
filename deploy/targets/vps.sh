#!/usr/bin/env bash
# Deploys to one VPS over SSH: sends the deployed commit's docker-compose.prod.yml and deploy/vps/
# to the server, then runs deploy/vps/deploy.sh there, which pulls the images by digest and rolls
# them out without downtime. The interface every target shares is in deploy/targets/README.md;
# .github/workflows/deploy.yml calls it, and it works the same from a laptop with the variables set.
# Nothing here prints a secret, and there is no `set -x`: it would print the key.
set -euo pipefail

fail() {
  echo "vps: $*" >&2
  exit 1
}

# What every target receives.
: "${DEPLOY_ENV:=}" "${API_IMAGE:=}" "${WORKER_IMAGE:=}" "${WEB_IMAGE:=}" "${GIT_COMMIT:=}"
# What this target needs: the server, the account, its private key and the server's public host key.
: "${VPS_HOST:=}" "${VPS_USER:=}" "${VPS_SSH_KEY:=}" "${VPS_KNOWN_HOSTS:=}"
port="${VPS_PORT:-22}"
# One folder per environment, inside the one the server's setup gives the deploy user: each holds
# its env file and the files of the release it runs, so a staging deploy never changes the
# compose file that production's scripts read.
app_dir="${VPS_APP_DIR:-/srv/shipshape/$DEPLOY_ENV}"

# Every value that ends up in the command line on the server is checked against a strict pattern
# first, so none of them can carry shell syntax there.
case "$DEPLOY_ENV" in
  staging | production) ;;
  *) fail "DEPLOY_ENV must be staging or production" ;;
esac
digest_ref='^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$'
for name in API_IMAGE WORKER_IMAGE WEB_IMAGE; do
  [[ "${!name}" =~ $digest_ref ]] || fail "$name must be an image pinned by digest (registry/name@sha256:...)"
done
[[ "$GIT_COMMIT" =~ ^[0-9a-f]{7,40}$ ]] || fail "GIT_COMMIT must be a commit id"
[[ "$VPS_HOST" =~ ^[A-Za-z0-9.:-]+$ ]] || fail "VPS_HOST must be a host name or an IP address"
[[ "$VPS_USER" =~ ^[a-z_][a-z0-9_-]*$ ]] || fail "VPS_USER must be a user name"
[[ "$port" =~ ^[0-9]+$ ]] || fail "VPS_PORT must be a port number"
[[ "$app_dir" =~ ^/[A-Za-z0-9._/-]+$ ]] || fail "VPS_APP_DIR must be an absolute path"
[ -n "$VPS_SSH_KEY" ] || fail "VPS_SSH_KEY is empty"
# The pinned host key is what stops a machine in the middle from receiving the deployment:
# without it ssh would have to trust whatever key answers (StrictHostKeyChecking=no), never here.
[ -n "$VPS_KNOWN_HOSTS" ] || fail "VPS_KNOWN_HOSTS is empty (the output of ssh-keyscan, checked by hand)"
git cat-file -e "$GIT_COMMIT^{commit}" 2>/dev/null ||
  fail "commit $GIT_COMMIT is not in this clone (check out with full history)"
for path in docker-compose.prod.yml deploy/vps/deploy.sh; do
  git cat-file -e "$GIT_COMMIT:$path" 2>/dev/null || fail "commit ${GIT_COMMIT:0:12} has no $path"
done

# The key and the host key live in a private folder that is removed however the script ends.
secrets_dir="$(mktemp -d)"
trap 'rm -rf "$secrets_dir"' EXIT
(
  umask 077
  # OpenSSH refuses a key file without its final newline; a pasted secret often lacks it.
  printf '%s\n' "$VPS_SSH_KEY" >"$secrets_dir/key"
  printf '%s\n' "$VPS_KNOWN_HOSTS" >"$secrets_dir/known_hosts"
)

ssh_options=(
  -i "$secrets_dir/key"
  -o IdentitiesOnly=yes
  -o UserKnownHostsFile="$secrets_dir/known_hosts"
  -o GlobalKnownHostsFile=/dev/null
  -o StrictHostKeyChecking=yes
  # No prompt can ever be answered here: fail at once instead of waiting for one.
  -o BatchMode=yes
  -o ConnectTimeout=20
  # A server that stops answering mid-deploy ends the connection after a minute, not never.
  -o ServerAliveInterval=15
  -o ServerAliveCountMax=4
  -p "$port"
)
# Runs one command line on the server. It is built here, from the checked and quoted values
# above, on purpose (SC2029).
on_server() {
  # shellcheck disable=SC2029
  ssh "${ssh_options[@]}" "$VPS_USER@$VPS_HOST" "$1"
}
quoted_dir="$(printf '%q' "$app_dir")"

# The files come from the commit being deployed, not from whatever the runner has checked out:
# a rollback to an older release gets that release's compose file with its images. The server
# needs no git and no access to the repository; its env files (deploy/env/*.env) are never sent
# and never overwritten.
echo "vps: sending docker-compose.prod.yml and deploy/vps/ of ${GIT_COMMIT:0:12} to $VPS_HOST:$app_dir"
git archive --format=tar "$GIT_COMMIT" docker-compose.prod.yml deploy/vps |
  on_server "mkdir -p $quoted_dir && tar -x -C $quoted_dir"

echo "vps: running deploy/vps/deploy.sh $DEPLOY_ENV on $VPS_HOST"
on_server "cd $quoted_dir && deploy/vps/deploy.sh $(printf '%q ' "$DEPLOY_ENV" "$API_IMAGE" "$WORKER_IMAGE" "$WEB_IMAGE")"
echo "vps: $DEPLOY_ENV on $VPS_HOST now runs ${GIT_COMMIT:0:12}"

#!/bin/sh
# The engine's socket for the docker group, then sshd in the foreground.
set -eu
socat UNIX-LISTEN:/var/run/docker.sock,fork,group=docker,mode=660 UNIX-CONNECT:/run/engine.sock &
# On podman the test passes SHIPSHAPE_COMPOSE_FILES=/etc/shipshape/podman.yml; sshd hands it to
# every session, as an operator of a podman host would set it for the deploy account.
if [ -n "${SHIPSHAPE_COMPOSE_FILES:-}" ]; then
  echo "SetEnv SHIPSHAPE_COMPOSE_FILES=$SHIPSHAPE_COMPOSE_FILES" >>/etc/ssh/sshd_config.d/standin.conf
fi
exec /usr/sbin/sshd -D -e

#!/bin/sh
# Entrypoint of the self-hosted image (runs as root under tini, then execs its arguments).
# The daemon needs the Docker socket. When the socket belongs to a group other than root
# (the usual `docker` group, whatever its gid on this host), the daemon runs as the
# unprivileged `slipway` user with that gid as a supplementary group: access to the socket
# and nothing else. A root-owned socket (group 0) leaves no such choice: it stays root and
# says so. SLIPWAY_RUN_AS_ROOT=1 keeps root on purpose.
set -eu

data=${SLIPWAY_DATA_DIR:-/var/lib/slipway}
case "${DOCKER_HOST:-}" in
  "") sock=/var/run/docker.sock ;;
  unix://*) sock=${DOCKER_HOST#unix://} ;;
  *) sock= ;;
esac

if [ "$(id -u)" != 0 ] || [ "${SLIPWAY_RUN_AS_ROOT:-}" = 1 ]; then
  exec "$@"
fi

groups=
if [ -n "$sock" ]; then
  if [ ! -S "$sock" ]; then
    echo "slipway-entrypoint: no Docker socket at $sock (mount it: -v /var/run/docker.sock:/var/run/docker.sock)" >&2
    exec "$@"
  fi
  gid=$(stat -c %g "$sock")
  if [ "$gid" = 0 ]; then
    echo "slipway-entrypoint: $sock belongs to group root; running as root (give it a group such as docker to run unprivileged)" >&2
    exec "$@"
  fi
  groups=$gid
fi

# The data dir is the daemon's: created or taken over (files an older, root-run image left).
mkdir -p "$data"
find "$data" ! -user slipway -exec chown slipway:slipway {} +
export HOME=/home/slipway USER=slipway
if [ -n "$groups" ]; then
  exec setpriv --reuid=slipway --regid=slipway --groups="$groups" -- "$@"
fi
exec setpriv --reuid=slipway --regid=slipway --clear-groups -- "$@"

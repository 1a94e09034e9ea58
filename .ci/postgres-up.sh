#!/usr/bin/env bash
# Bring up a PostgreSQL server for the store tests on a bare Debian 12 machine where you are
# root, with role `slipway` (password `slipway`) owning database `slipway_test`, and print its
# URL on stdout (everything else goes to stderr):
#
#   export SLIPWAY_TEST_PG_URL=$(bash .ci/postgres-up.sh)
#
# Uses the distribution's cluster (pg_ctlcluster 15 main) when it exists; otherwise initialises
# a private cluster in /var/lib/slipway-pg owned by the postgres user. Listens on
# 127.0.0.1:5432 only. Safe to run again: every step is skipped when already done.
#
# SLIPWAY_PG_PRIVATE=1 forces the private cluster and SLIPWAY_PG_PORT moves it to another port
# (both for testing this script next to a running server).
set -euo pipefail

PORT=${SLIPWAY_PG_PORT:-5432}
ROLE=slipway
PASSWORD=slipway
DB=slipway_test
PRIVATE_DIR=/var/lib/slipway-pg

log() { printf 'postgres-up: %s\n' "$*" >&2; }
retry() { local n; for n in 1 2 3; do "$@" && return 0; log "retrying ($n): $*"; sleep $((n * 5)); done; "$@"; }
as_pg() { runuser -u postgres -- "$@"; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql"
  retry apt-get update -qq
  DEBIAN_FRONTEND=noninteractive retry apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
VERSION=$(ls /usr/lib/postgresql | sort -n | tail -1)
BIN=/usr/lib/postgresql/$VERSION/bin

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; }
wait_ready() {
  for _ in $(seq 1 60); do ready && return 0; sleep 1; done
  log "PostgreSQL did not accept connections on 127.0.0.1:$PORT; see $1"
  exit 1
}

if ready; then
  log "a server already answers on 127.0.0.1:$PORT"
elif [[ ${SLIPWAY_PG_PRIVATE:-} != 1 && $PORT == 5432 && -f /etc/postgresql/$VERSION/main/postgresql.conf ]] &&
  command -v pg_ctlcluster >/dev/null; then
  # A session's processes are killed when it ends; a stale postmaster.pid would block the start.
  pidfile=/var/lib/postgresql/$VERSION/main/postmaster.pid
  if [[ -f $pidfile ]] && ! kill -0 "$(head -1 "$pidfile")" 2>/dev/null; then rm -f "$pidfile"; fi
  log "starting cluster $VERSION/main"
  mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql
  pg_ctlcluster "$VERSION" main start || true
  wait_ready "/var/log/postgresql/postgresql-$VERSION-main.log"
else
  if [[ ! -f $PRIVATE_DIR/PG_VERSION ]]; then
    log "initialising a private cluster in $PRIVATE_DIR"
    mkdir -p "$PRIVATE_DIR" && chown postgres:postgres "$PRIVATE_DIR" && chmod 700 "$PRIVATE_DIR"
    as_pg "$BIN/initdb" -D "$PRIVATE_DIR" -U postgres --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  fi
  if [[ -f $PRIVATE_DIR/postmaster.pid ]] && ! kill -0 "$(head -1 "$PRIVATE_DIR/postmaster.pid")" 2>/dev/null; then
    rm -f "$PRIVATE_DIR/postmaster.pid"
  fi
  log "starting the private cluster (log: $PRIVATE_DIR/server.log)"
  mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql
  as_pg "$BIN/pg_ctl" -D "$PRIVATE_DIR" -l "$PRIVATE_DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=/var/run/postgresql" start >/dev/null
  wait_ready "$PRIVATE_DIR/server.log"
fi

# Role and database, through the local socket as the superuser (peer authentication).
psql_su() { as_pg psql -h /var/run/postgresql -p "$PORT" -v ON_ERROR_STOP=1 -qtA "$@"; }
if [[ -z $(psql_su -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'") ]]; then
  log "creating role $ROLE"
  psql_su -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
fi
if [[ -z $(psql_su -c "SELECT 1 FROM pg_database WHERE datname = '$DB'") ]]; then
  log "creating database $DB"
  psql_su -c "CREATE DATABASE $DB OWNER $ROLE"
fi
# Tests create one schema per test file; on PostgreSQL 15 that needs CREATE on the database.
psql_su -c "GRANT ALL ON DATABASE $DB TO $ROLE"

URL="postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
PGPASSWORD=$PASSWORD psql "$URL" -qtA -c 'SELECT 1' >/dev/null || { log "cannot log in as $ROLE over TCP"; exit 1; }
log "PostgreSQL $VERSION up"
echo "$URL"

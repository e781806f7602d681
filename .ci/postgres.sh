#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the `scep serve` tests, on a unix socket in a temporary
# directory (no TCP port). Sourced by .ci/run:
#
#   source .ci/postgres.sh
#   pg_start            # sets SCEP_TEST_POSTGRES (libpq key=value) and SCEP_PG_DIR
#   pg_stop             # stops the cluster and removes the directory (also on EXIT via trap)
#
# As root the server runs as the user `postgres` (Debian's package creates it); initdb refuses
# to run as root.

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_start() {
  local bin owner
  bin=$(pg_bindir) || { echo "initdb not found (Debian package postgresql)" >&2; return 1; }
  SCEP_PG_DIR=$(mktemp -d /tmp/scep-pg.XXXXXX)
  owner=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    owner=postgres
    chown postgres: "$SCEP_PG_DIR"
  fi
  chmod 0700 "$SCEP_PG_DIR"
  pg_as_owner "$bin/initdb" -D "$SCEP_PG_DIR/data" -U "$owner" --auth=trust \
    --no-sync -E UTF8 >"$SCEP_PG_DIR/initdb.log" 2>&1 ||
    { cat "$SCEP_PG_DIR/initdb.log" >&2; return 1; }
  # The socket directory must be reachable by the tests' user (root reads anything; others
  # own it). No TCP: listen_addresses=''.
  pg_as_owner "$bin/pg_ctl" -D "$SCEP_PG_DIR/data" -l "$SCEP_PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses='' -k $SCEP_PG_DIR -c max_connections=200 -c fsync=off" start \
    >/dev/null || { cat "$SCEP_PG_DIR/server.log" >&2; return 1; }
  export SCEP_PG_DIR
  export SCEP_TEST_POSTGRES="host=$SCEP_PG_DIR user=$owner dbname=postgres"
  echo "PostgreSQL ($("$bin/postgres" --version)) on $SCEP_PG_DIR"
}

pg_stop() {
  [ -n "${SCEP_PG_DIR:-}" ] && [ -d "$SCEP_PG_DIR" ] || return 0
  local bin
  bin=$(pg_bindir) || return 0
  pg_as_owner "$bin/pg_ctl" -D "$SCEP_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$SCEP_PG_DIR"
  unset SCEP_PG_DIR SCEP_TEST_POSTGRES
}

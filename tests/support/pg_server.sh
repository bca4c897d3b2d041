#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL 15 server for the test suites, on 127.0.0.1
# and a free port, in a fresh directory. Used as a CTest fixture (tests/CMakeLists.txt).
#   pg_server.sh start STATE_DIR   → writes STATE_DIR/dsn (a libpq connection string)
#   pg_server.sh stop STATE_DIR
# As root, the server runs as the postgres user (PostgreSQL refuses to run as root).
set -euo pipefail
cmd=$1
state=$2
bin=/usr/lib/postgresql/15/bin

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    rm -rf "$state"
    mkdir -p "$state"
    data=$(mktemp -d /tmp/praxis-pg-XXXXXX)
    echo "$data" > "$state/datadir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$data"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    pwfile="$data.pw"
    printf '%s\n' "$password" > "$pwfile"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$pwfile"
    as_owner "$bin/initdb" -D "$data/cluster" -U praxis_admin --pwfile="$pwfile" \
      --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    as_owner "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$data' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null
    # The application role: no superuser, no BYPASSRLS, does not own the schema objects
    # the adapter's migrations create through it (RLS is added by issue #13).
    PGPASSWORD=$password psql -h 127.0.0.1 -p "$port" -U praxis_admin -d postgres -q -v ON_ERROR_STOP=1 <<SQL
CREATE ROLE praxis_test LOGIN PASSWORD '$password' NOSUPERUSER NOBYPASSRLS NOCREATEROLE;
CREATE DATABASE praxis_test OWNER praxis_test;
SQL
    # The extension the scheduling migration needs, once for the database, so the suites'
    # schemas (created and dropped concurrently) never race to create or drop it.
    PGPASSWORD=$password psql -h 127.0.0.1 -p "$port" -U praxis_admin -d praxis_test -q \
      -v ON_ERROR_STOP=1 -c "CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;"
    echo "host=127.0.0.1 port=$port dbname=praxis_test user=praxis_test password=$password" > "$state/dsn"
    ;;
  stop)
    if [ -f "$state/datadir" ]; then
      data=$(cat "$state/datadir")
      as_owner "$bin/pg_ctl" -D "$data/cluster" -m immediate stop >/dev/null 2>&1 || true
      rm -rf "$data"
    fi
    rm -rf "$state"
    ;;
  *)
    echo "usage: pg_server.sh start|stop STATE_DIR" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL 15 server for the test suites, on 127.0.0.1
# and a free port, in a fresh directory. Used as a CTest fixture (tests/CMakeLists.txt).
#   pg_server.sh start STATE_DIR   → writes STATE_DIR/dsn and STATE_DIR/owner_dsn (libpq
#                                    connection strings of the working and the owning role)
#   pg_server.sh crash-restart STATE_DIR   (kill -9 style stop, then start again)
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
    # Durability off for speed, unless PG_DURABLE=1 (the failover test kills the server).
    fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${PG_DURABLE:-0}" = 1 ] && fast=""
    echo "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$data' $fast ${PG_EXTRA_OPTS:-}" \
      > "$state/options"
    as_owner "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -w -t 30 \
      -o "$(cat "$state/options")" start >/dev/null
    # Two roles, as in production (docs/operations.md): praxis_owner owns the database
    # and the schemas the suites create (migrations run as it); praxis_test is the role
    # praxis works as: no superuser, no BYPASSRLS, owns nothing, so row-level security
    # binds it.
    PGPASSWORD=$password psql -h 127.0.0.1 -p "$port" -U praxis_admin -d postgres -q -v ON_ERROR_STOP=1 <<SQL
CREATE ROLE praxis_owner LOGIN PASSWORD '$password' NOSUPERUSER NOBYPASSRLS NOCREATEROLE;
CREATE ROLE praxis_test LOGIN PASSWORD '$password' NOSUPERUSER NOBYPASSRLS NOCREATEROLE;
CREATE DATABASE praxis_test OWNER praxis_owner;
SQL
    # The extension the scheduling migration needs, once for the database, so the suites'
    # schemas (created and dropped concurrently) never race to create or drop it.
    PGPASSWORD=$password psql -h 127.0.0.1 -p "$port" -U praxis_admin -d praxis_test -q \
      -v ON_ERROR_STOP=1 -c "CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;"
    echo "host=127.0.0.1 port=$port dbname=praxis_test user=praxis_test password=$password" > "$state/dsn"
    echo "host=127.0.0.1 port=$port dbname=praxis_test user=praxis_owner password=$password" > "$state/owner_dsn"
    # The superuser, for test and benchmark tooling only (extensions, statistics).
    echo "host=127.0.0.1 port=$port dbname=praxis_test user=praxis_admin password=$password" > "$state/admin_dsn"
    ;;
  crash-restart)
    # Kills the server the hard way (no shutdown checkpoint) and starts it again on the
    # same port: crash recovery from the write-ahead log.
    data=$(cat "$state/datadir")
    as_owner "$bin/pg_ctl" -D "$data/cluster" -m immediate stop >/dev/null
    sleep "${PG_DOWN_SECONDS:-1}"
    as_owner "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -w -t 30 \
      -o "$(cat "$state/options")" start >/dev/null
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
    echo "usage: pg_server.sh start|crash-restart|stop STATE_DIR" >&2
    exit 2
    ;;
esac

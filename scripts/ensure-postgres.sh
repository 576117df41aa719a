#!/usr/bin/env bash
# Make sure the PostgreSQL server named by the URL answers; start the local
# cluster if it is installed but stopped; fail clearly otherwise.
set -uo pipefail
url="${1:-postgres://postgres@127.0.0.1:5432/kehu}"
hostport="${url#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=5432
user="${url#*://}"; user="${user%%@*}"; user="${user%%:*}"
ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }
if ! command -v pg_isready >/dev/null; then
  echo "error: PostgreSQL client tools are missing (apt-get install postgresql)." >&2; exit 1
fi
if ! ready; then
  echo "PostgreSQL at $host:$port is not answering; trying to start the local cluster"
  if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
    for v in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true; done
  fi
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
if ! ready; then
  echo "error: PostgreSQL is not reachable at $host:$port. Start it or set PG_URL=postgres://USER@HOST:PORT/NAME." >&2
  exit 1
fi
if ! psql -h "$host" -p "$port" -U "$user" -d postgres -tAc "select 1" >/dev/null 2>&1; then
  echo "error: cannot log in to PostgreSQL at $host:$port as '$user' (the tests need a role that may create databases)." >&2
  exit 1
fi
echo "PostgreSQL at $host:$port is ready"

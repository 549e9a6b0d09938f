#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth and a `test` database.
# Starts an installed but stopped cluster; installs Debian's server when none is installed.
set -euo pipefail
HOST=127.0.0.1
PORT=5432

ready() { pg_isready -q -h "$HOST" -p "$PORT" 2>/dev/null; }

start_clusters() {
  if command -v pg_lsclusters >/dev/null 2>&1; then
    while read -r ver name _; do
      [ -n "$ver" ] || continue
      pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start 2>/dev/null || true
    done < <(pg_lsclusters -h 2>/dev/null)
  fi
}

if ! command -v pg_isready >/dev/null 2>&1 || ! ready; then
  start_clusters
  for _ in $(seq 1 20); do ready && break; sleep 0.5; done
fi

if ! ready; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "PostgreSQL is not installed: installing Debian's postgresql package" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq </dev/null
      apt-get install -y -qq postgresql postgresql-contrib </dev/null >/dev/null
      conf=$(ls -d /etc/postgresql/*/main | head -n1)
      # Local trust authentication over TCP, as the project's tests expect.
      sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(host\s+all\s+all\s+::1\/128\s+)\S+/\1trust/' "$conf/pg_hba.conf"
      start_clusters
      for _ in $(seq 1 40); do ready && break; sleep 0.5; done
    fi
  fi
fi

if ! ready; then
  echo "ERROR: no PostgreSQL server answers on $HOST:$PORT and it could not be started or installed." >&2
  echo "       Start one (trust auth, database 'test') or set HRSYS_TEST_PG_URL." >&2
  exit 1
fi

if ! psql -h "$HOST" -p "$PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null | grep -q 1; then
  psql -h "$HOST" -p "$PORT" -U postgres -d postgres -c "CREATE DATABASE test" >/dev/null
fi
echo "PostgreSQL ready on $HOST:$PORT"

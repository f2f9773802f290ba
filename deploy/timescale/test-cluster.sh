#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL 15 cluster with TimescaleDB preloaded, for the storage tests:
#   deploy/timescale/test-cluster.sh start DIR PORT   → prints the URL for DELTADESK_TEST_TIMESCALE_URL
#   deploy/timescale/test-cluster.sh stop DIR
# Runs postgres as the `postgres` user, listening on 127.0.0.1 only, trust auth (a test cluster).
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
action=$1 dir=$2
case "$action" in
  start)
    port=$3
    mkdir -p "$dir"; chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o \
      "-p $port -k $dir -c listen_addresses=127.0.0.1 -c shared_preload_libraries=timescaledb -c timescaledb.telemetry_level=off" \
      start >/dev/null
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
